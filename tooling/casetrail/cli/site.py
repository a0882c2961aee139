"""`casetrail site`: the auditors' site pages as Markdown files, and the data behind them.

`site_data` is what the MkDocs adapter (cli/siteplugin.py) and this command share: it reads the
case index, the overdue items, workload and the audit, and never loads a key. Encrypted sections
and documents are counted from their age headers only (core/envelope.py); nothing is decrypted.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from casetrail.cli.main import UserError, repository_root

if TYPE_CHECKING:
    from collections.abc import Sequence

    from casetrail.core.document import Section
    from casetrail.core.sitedata import AuditView, CaseView, DocumentView, SiteData, TimelineEntry
    from casetrail.shell.trail import AuditRun

ROOT_VARIABLE = "CASETRAIL_SITE_ROOT"  # build the site of another records repository


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


def moment(given: str | None, root: Path) -> datetime:
    """--as-of (a date or timestamp), else the office clock (CASETRAIL_NOW, else now)."""
    from casetrail.cli.common import now, parse_as_of
    from casetrail.shell import calendars, index

    config, _ = index.load_config(root)
    calendar = calendars.load(config.policy.raw["calendar"])
    return now(calendar) if given is None else parse_as_of(given, calendar.zone)


def site_data(root: Path, as_of: str | None = None) -> SiteData:
    from casetrail.core import sitedata, views
    from casetrail.shell import calendars, caseindex, index, treescan

    unsafe = treescan.unsafe_records(root)
    if unsafe:
        raise UnsafeRecords(unsafe)
    config, _ = index.load_config(root)
    calendar = calendars.load(config.policy.raw["calendar"])
    when = moment(as_of, root)
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
    )


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
    from casetrail.cli.audit import permissions_report
    from casetrail.core.auditreport import AuditReport
    from casetrail.core.sitedata import AuditView
    from casetrail.shell import git, trail

    if not git.is_repository(root):
        return AuditView(False, "this folder is not a git repository, so it has no audit trail")
    try:
        run = trail.run_audit(root)
        last = trail.read_state(trail.default_state(root))
        _, permissions_text = permissions_report(run.trail, when.date())
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
        timelines=timelines(run),
    )


def timelines(run: AuditRun) -> dict[str, tuple[TimelineEntry, ...]]:
    """Every audited commit that changed a case file, by case id, oldest first: read from the
    audit's own pass over the history, so the site costs no second walk."""
    from casetrail.core import audit, sitedata
    from casetrail.core.casefacts import ABSENT

    found: dict[str, list[TimelineEntry]] = {}
    trail = run.trail
    for commit in trail.commits:
        verdict = trail.verdicts.get(commit.id)
        for change in commit.changes:
            if not (audit.is_case(change.new_path) or audit.is_case(change.old_path)):
                continue
            old = trail.facts.get(change.old_blob or "", ABSENT)
            new = trail.facts.get(change.new_blob or "", ABSENT)
            entry = sitedata.TimelineEntry(
                commit=commit.id,
                when=commit.author_time.isoformat(),
                author=commit.author_name,
                signer=verdict.signer if verdict else None,
                signature=verdict.status if verdict else "not judged",
                change=sitedata.change_words(change.status, old.status, new.status),
                subject=commit.subject,
            )
            found.setdefault(Path(change.path).stem, []).append(entry)
    return {case_id: tuple(entries) for case_id, entries in found.items()}


MANIFEST = ".casetrail-pages"  # what the last run wrote into --out, one path a line


def write_pages(pages: dict[str, str], out: Path) -> None:
    """Write the pages, then remove those an earlier run wrote that are no longer generated
    (a case that left the records must leave the site); files we did not write stay."""
    from casetrail.shell.repo import atomic_write

    manifest = out / MANIFEST
    try:
        earlier = set(manifest.read_text("utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        earlier = set()
    for rel, text in sorted(pages.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text.encode())
    atomic_write(manifest, "".join(f"{rel}\n" for rel in sorted(pages)).encode())
    for rel in sorted(earlier - pages.keys()):
        stale = out / rel
        if ".." not in Path(rel).parts and stale.is_file() and not stale.is_symlink():
            stale.unlink()


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/site-pages"),
    show_default=True,
    help="Where to write the generated Markdown pages.",
)
@click.option("--as-of", default=None, help="The moment the figures are for (default: now).")
@click.pass_context
def site(ctx: click.Context, out: Path, as_of: str | None) -> int:
    """Write the auditors' site pages as Markdown (for `mkdocs build` use mkdocs.yml instead).

    Never decrypts: encrypted sections and documents appear as "encrypted for N recipients"."""
    from casetrail.core import sitepages

    root = repository_root(ctx)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: not a folder")
    try:
        data = site_data(root, as_of)
    except UnsafeRecords as error:
        raise UserError(str(error)) from None
    pages = sitepages.render(data)
    write_pages(pages, out)
    click.echo(f"{len(pages)} pages written to {out}{os.sep}")
    return 0
