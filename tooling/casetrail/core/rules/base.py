"""The rule protocol and the contexts rules read. A rule never prints, exits or touches disk."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from casetrail.core.case import Case
from casetrail.core.config import CaseType, Policy, Roster
from casetrail.core.diagnostics import Finding, Severity
from casetrail.core.document import CaseDocument


@dataclass(frozen=True, slots=True)
class CaseContext:
    path: str  # repository-relative, POSIX separators
    document: CaseDocument
    case: Case
    policy: Policy
    roster: Roster

    @property
    def case_type(self) -> CaseType | None:
        """The policy's definition of this case's type (None: CT210 reports it)."""
        return self.policy.case_types.get(self.case.type)


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """What cross-file rules need of each case; cached with the file's findings."""

    path: str
    id: str
    status: str
    type: str = ""
    priority: str = ""
    # (what, due, done or ""): stored targets and follow-ups, judged against --as-of by the
    # tree rules, so the cached per-file result stays valid as time passes.
    deadlines: tuple[tuple[str, str, str], ...] = ()
    # (name, date) of each listed attachment, in order, and the age stanzas (type, count) an
    # encryption to the documents' recipients has: the attachment files are not part of this
    # file's blob, so they are checked after the per-file stage against these.
    attachments: tuple[tuple[str, str], ...] = ()
    document_stanzas: tuple[tuple[str, int], ...] = ()


class StoredFile(NamedTuple):
    """A file in a case's attachment folder, as the shell found it (header read, no keys).
    A named tuple: one is made per attachment on every run, and it costs a tenth of a frozen
    dataclass to make."""

    path: str  # cases/<year>/<id>/<name>
    stanza_types: tuple[str, ...] = ()  # its age header's recipient stanzas, sorted (no grease)
    problem: str = ""  # why it is not a binary age v1 file with recipient stanzas ("": it is)


@dataclass(frozen=True, slots=True)
class AttachmentScan:
    """What the attachment rules compare the listed attachments with."""

    folders: dict[str, dict[str, StoredFile]]  # "cases/<year>/<id>" -> name -> file
    cases: frozenset[str] = frozenset()  # every case file checked in this run, parsed or not


@dataclass(frozen=True, slots=True)
class TreeContext:
    cases: tuple[CaseSummary, ...]
    previous_status: dict[str, str] = field(default_factory=dict)  # path -> status at --against
    against: str = "HEAD"
    as_of: datetime | None = None  # time-based rules run only when a moment is given
    strict_sla: bool = False  # time-based findings are errors (a scheduled escalation job)
    attachments: AttachmentScan | None = None  # None: attachment folders were not looked at
    tombstones: frozenset[str] = frozenset()  # paths of destroyed cases' tombstones


CaseCheck = Callable[[CaseContext], Iterator[Finding]]
TreeCheck = Callable[[TreeContext], Iterator[tuple[str, Finding]]]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    summary: str
    severity: Severity = Severity.ERROR
    stage: str = "case"  # parser, schema, case, tree, config, repository
    check_case: CaseCheck | None = None
    check_tree: TreeCheck | None = None
