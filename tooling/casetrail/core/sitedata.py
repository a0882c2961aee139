"""What the site is made from: the data the thin shell gathers and the pure renderer reads.

Nothing here holds a key or a decrypted byte: cases are front matter, sections and documents are
counts of recipients from their age headers, and the history is commit metadata with verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from casetrail.core.businesstime import Calendar
from casetrail.core.case import Case
from casetrail.core.casefacts import Facts
from casetrail.core.config import Policy, Roster
from casetrail.core.destruction import Certificate, Tombstone
from casetrail.core.history import Commit
from casetrail.core.verdicts import Verdict
from casetrail.core.views import Item, Load


@dataclass(frozen=True, slots=True)
class SectionView:
    title: str
    readers: str | None  # "encrypted for N recipients"; None for a plain-text section


@dataclass(frozen=True, slots=True)
class DocumentView:
    name: str
    date: str
    readers: str  # "encrypted for N recipients", or why it could not be counted


@dataclass(frozen=True, slots=True)
class CaseView:
    case: Case
    path: str  # repository-relative case file
    sections: tuple[SectionView, ...] = ()
    documents: tuple[DocumentView, ...] = ()


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One commit that changed a case file, as the audit judged it."""

    commit: str
    when: str  # the commit's author date, ISO 8601
    author: str
    signer: str | None  # the roster handle whose key signed it, when known
    signature: str  # "good", "unsigned", "key not in roster"...
    change: str  # what happened to the file: created, changed, status a → b, renamed, deleted
    subject: str


@dataclass(frozen=True, slots=True)
class AuditView:
    available: bool
    problem: str = ""  # why the history could not be audited
    summary: Mapping[str, Any] = field(default_factory=dict)
    findings: tuple[Mapping[str, Any], ...] = ()
    permissions_text: str = ""
    last_audited: Mapping[str, Any] | None = None
    timelines: Mapping[str, tuple[TimelineEntry, ...]] = field(default_factory=dict)  # by case id


@dataclass(frozen=True, slots=True)
class CertificateView:
    """A certificate of destruction (retention/certificates/<LIST>.yaml), or why it does not
    read."""

    path: str  # repository-relative
    certificate: Certificate | None  # None when the file does not read as a certificate
    problem: str = ""


@dataclass(frozen=True, slots=True)
class Office:
    """The office's rules the figures are computed with."""

    policy: Policy
    calendar: Calendar
    roster: Roster


@dataclass(frozen=True, slots=True)
class SiteData:
    as_of: datetime
    head: str | None  # the commit the figures come from; None outside git
    cases: tuple[CaseView, ...]
    overdue: tuple[Item, ...]
    workload: tuple[Load, ...]
    audit: AuditView
    office: Office
    skipped: tuple[str, ...] = ()  # case files left out because they are not valid
    tombstones: tuple[Tombstone, ...] = ()  # destroyed cases: their records, never in `cases`
    certificates: tuple[CertificateView, ...] = ()  # by path


def change_words(git_status: str, old_status: str | None, new_status: str | None) -> str:
    """What a commit did to a case file, from git's change letter and the statuses it read."""
    if git_status == "D":
        return "deleted"
    if git_status == "A" or old_status is None:
        return f"created ({new_status})" if new_status else "created"
    moved = "moved; " if git_status in ("R", "C") else ""
    if old_status != new_status and new_status is not None:
        return f"{moved}status {old_status} → {new_status}"
    return f"{moved}changed" if moved else "changed"


def timelines(
    commits: Sequence[Commit], verdicts: Mapping[str, Verdict], facts: Mapping[str, Facts]
) -> dict[str, tuple[TimelineEntry, ...]]:
    """Every audited commit that changed a case file, by case id, oldest first: read from the
    audit's own pass over the history, so the site costs no second walk."""
    from casetrail.core import audit
    from casetrail.core.casefacts import ABSENT

    found: dict[str, list[TimelineEntry]] = {}
    for commit in commits:
        verdict = verdicts.get(commit.id)
        for change in commit.changes:
            if not (audit.is_case(change.new_path) or audit.is_case(change.old_path)):
                continue
            old = facts.get(change.old_blob or "", ABSENT)
            new = facts.get(change.new_blob or "", ABSENT)
            entry = TimelineEntry(
                commit=commit.id,
                when=commit.author_time.isoformat(),
                author=commit.author_name,
                signer=verdict.signer if verdict else None,
                signature=verdict.status if verdict else "not judged",
                change=change_words(change.status, old.status, new.status),
                subject=commit.subject,
            )
            found.setdefault(change.path.rsplit("/", 1)[-1].removesuffix(".md"), []).append(entry)
    return {case_id: tuple(entries) for case_id, entries in found.items()}
