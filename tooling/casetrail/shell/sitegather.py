"""What the site is made from, gathered from a records repository: the case index with the
tombstones of destroyed cases, overdue items, workload, the age headers of sections and
documents, the certificates of destruction, and the audit run.

Never loads a key: encrypted sections and documents are counted from their age headers only
(core/envelope.py). Refuses records that are not safe to publish (`UnsafeRecords`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from casetrail.core.document import Section
from casetrail.core.sitedata import AuditView, CaseView, CertificateView, DocumentView, SiteData

ROOT_VARIABLE = "CASETRAIL_SITE_ROOT"  # build the site of another records repository
MAX_CERTIFICATE_BYTES = 8 * 1024 * 1024  # a list of 10,000 cases writes about 2 MB


class UnsafeRecords(Exception):
    """The records hold something the site must not be built from (listed, one per line)."""

    def __init__(self, reasons: list[str]) -> None:
        shown = "\n  ".join(reasons[:20]) + (
            f"\n  and {len(reasons) - 20} more" if len(reasons) > 20 else ""
        )
        super().__init__(
            "the records are not safe to publish; nothing was built. Remove or encrypt these "
            f"(`casetrail check` says more):\n  {shown}"
        )


def site_data(root: Path, when: datetime) -> SiteData:
    """Everything the pages show, for the records at `root` at the moment `when`."""
    from casetrail.core import sitedata, views
    from casetrail.shell import calendars, caseindex, index, treescan

    certificates, unsafe = _certificates(root)
    unsafe = treescan.unsafe_records(root) + unsafe
    if unsafe:
        raise UnsafeRecords(unsafe)
    config, _ = index.load_config(root)
    calendar = calendars.load(config.policy.raw["calendar"])
    found = caseindex.load(root, config, with_sections=True)
    roster = config.roster
    return sitedata.SiteData(
        as_of=when,
        head=_head(root),
        cases=tuple(
            _case_view(root, c, found.paths[c.id], found.sections[c.id]) for c in found.cases
        ),
        overdue=tuple(views.overdue(found.cases, when, calendar, roster)),
        workload=tuple(views.workload(found.cases, roster, config.policy, when)),
        audit=_audit(root, when),
        office=sitedata.Office(config.policy, calendar, roster),
        skipped=found.skipped,
        tombstones=found.tombstones,
        certificates=tuple(certificates),
    )


def _certificates(root: Path) -> tuple[list[CertificateView], list[str]]:
    """Every `retention/certificates/*.yaml`, read or with why it does not read; and why the
    folder is not safe to publish from (a symbolic link, or something that is not a regular
    file, refuses the build as under cases/)."""
    from casetrail.core import destruction

    folder, unsafe = root, []  # nothing follows a link: each step is checked first
    for part in destruction.CERTIFICATES_DIR.split("/"):
        folder = folder / part
        rel = folder.relative_to(root).as_posix()
        if folder.is_symlink():
            return [], [f"{rel} is a symbolic link; the records' folders must be real folders"]
        if not folder.exists():
            return [], []
        if not folder.is_dir():
            return [], [f"{rel} is not a folder"]
    try:
        paths = sorted(folder.iterdir())
    except OSError as error:
        return [], [f"{destruction.CERTIFICATES_DIR} cannot be listed ({error.strerror})"]
    found = []
    for path in paths:
        rel = f"{destruction.CERTIFICATES_DIR}/{path.name}"
        if not path.name.endswith(".yaml"):
            continue
        if path.is_symlink():
            unsafe.append(f"{rel} is a symbolic link; a certificate must be a regular file")
        elif not path.is_file():
            unsafe.append(f"{rel} is not a regular file")
        else:
            found.append(_certificate(path, rel))
    return found, unsafe


def _certificate(path: Path, rel: str) -> CertificateView:
    """One certificate, read without following a link and only up to its size limit."""
    from casetrail.core import destruction

    try:
        fd = os.open(
            path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except OSError as error:
        return CertificateView(rel, None, f"cannot be read ({error.strerror})")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return CertificateView(rel, None, "is not a regular file")
        chunks, wanted = [], MAX_CERTIFICATE_BYTES + 1
        while wanted > 0 and (chunk := os.read(fd, wanted)):
            chunks.append(chunk)
            wanted -= len(chunk)
    except OSError as error:
        return CertificateView(rel, None, f"cannot be read ({error.strerror})")
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_CERTIFICATE_BYTES:
        return CertificateView(rel, None, f"is larger than {MAX_CERTIFICATE_BYTES} bytes")
    try:
        certificate = destruction.parse_certificate(data.decode("utf-8"), rel)
    except UnicodeDecodeError:
        return CertificateView(rel, None, "is not UTF-8 text")
    except destruction.DestructionError as error:
        return CertificateView(rel, None, str(error).removeprefix(f"{rel}: "))
    if path.name != f"{certificate.record.list_id}.yaml":
        return CertificateView(
            rel, None, f"certifies {certificate.record.list_id}, not the list its name says"
        )
    return CertificateView(rel, certificate)


def _head(root: Path) -> str | None:
    from casetrail.shell import git, trail

    if not git.is_repository(root):
        return None
    try:
        return trail.resolve(root, "HEAD")
    except (trail.TrailError, git.GitError):
        return None


def _case_view(root: Path, case: Any, rel: str, sections: Sequence[Section]) -> CaseView:
    from casetrail.core import envelope, sitedata

    views = tuple(
        sitedata.SectionView(s.title, _readers(s.body) if envelope.looks_armored(s.body) else None)
        for s in sections
    )
    folder = root / rel.removesuffix(".md")
    documents = tuple(_document(folder, a) for a in case.entries("attachments"))
    return sitedata.CaseView(case, rel, views, documents)


def _readers(armored: str) -> str:
    from casetrail.core import envelope

    try:
        return envelope.parse_armor(armored).readers
    except envelope.EnvelopeError:
        return "encrypted block that does not parse (run casetrail check)"


def _document(folder: Path, entry: dict[str, Any]) -> DocumentView:
    from casetrail.core import envelope, sitedata

    name, date = str(entry["name"]), str(entry["date"])
    path = folder / name
    try:
        if path.is_symlink():
            raise OSError("a symbolic link")
        with path.open("rb") as handle:
            head = handle.read(envelope.MAX_HEADER_BYTES + 1024)
        text = head.decode("ascii", "replace")
        info = (
            envelope.parse_armor(text)
            if envelope.looks_armored(text)
            else envelope.parse_binary(head)
        )
        readers = info.readers
    except (OSError, envelope.EnvelopeError):
        readers = "missing or unreadable (run casetrail check)"
    return sitedata.DocumentView(name, date, readers)


def _audit(root: Path, when: datetime) -> AuditView:
    """`casetrail audit --permissions --no-record`, as data for the Audit page."""
    from casetrail.core import sitedata
    from casetrail.core.auditreport import AuditReport
    from casetrail.shell import git, trail

    if not git.is_repository(root):
        return AuditView(False, "this folder is not a git repository, so it has no audit trail")
    try:
        run = trail.run_audit(root)
        last = trail.read_state(trail.default_state(root))
        _, permissions_text = trail.permissions_report(run.trail, when.date())
    except (trail.TrailError, git.GitError) as error:
        return AuditView(False, str(error))
    gathered, found, trust_root, head = run.trail, run.findings, run.trust_root, run.trail.head
    report = AuditReport(found, head, trust_root, len(gathered.commits), gathered.newly_verified)
    summary = {k: v for k, v in report.summary().items() if k not in ("verified_now", "from_cache")}
    return AuditView(
        True,
        summary=summary,
        findings=tuple(f.to_json() for f in report.findings),
        permissions_text=permissions_text,
        last_audited=last,
        timelines=sitedata.timelines(gathered.commits, gathered.verdicts, gathered.facts),
    )
