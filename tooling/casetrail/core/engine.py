"""Checking as functions over bytes: one file, then the cross-file rules over all summaries."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from casetrail.core import destruction, recipients, sla, validation
from casetrail.core import document as doc
from casetrail.core.case import Case
from casetrail.core.config import Policy, Roster
from casetrail.core.diagnostics import Diagnostic, Finding, JsonPath, Severity
from casetrail.core.rules import RULES, files, tombstones
from casetrail.core.rules.base import AttachmentScan, CaseContext, CaseSummary, TreeContext


@dataclass(frozen=True, slots=True)
class Config:
    policy: Policy
    roster: Roster
    case_schema: dict[str, Any]
    fast_check: Callable[[Any], bool]


TOMBSTONE = "tombstone"  # FileResult.lines key marking a destroyed case's tombstone


@dataclass(frozen=True, slots=True)
class FileResult:
    path: str
    diagnostics: tuple[Diagnostic, ...]
    summary: CaseSummary | None = None
    # lines of `id`, `status`, ... and `attachments.N` (entry N's name), for tree rules
    lines: dict[str, int] = field(default_factory=dict)


def locate(path: str, finding: Finding, document: doc.CaseDocument | None) -> Diagnostic:
    """Turn a finding into a diagnostic with a file line and the rule's default severity."""
    line, col = finding.line or 1, finding.col
    if finding.line is None and finding.at is not None and document is not None:
        line, col = document.position(finding.at)
    rule = RULES.get(finding.code)
    severity = finding.severity or (rule.severity if rule else Severity.ERROR)
    return Diagnostic(path, line, col, finding.code, finding.message, severity, finding.hint)


def check_file(path: str, data: bytes, config: Config, size: int | None = None) -> FileResult:
    document, findings = doc.parse(data, size)
    if not files.exempt(path):  # on the bytes: a key breaks the YAML as often as not
        findings = [*findings, *files.key_findings(data)]
    return check_parsed(path, document, findings, config)


def check_parsed(
    path: str, document: doc.CaseDocument | None, findings: list[Finding], config: Config
) -> FileResult:
    """check_file for a document already parsed (a command that goes on to edit it)."""
    findings = list(findings)
    if document is None:
        return FileResult(path, tuple(locate(path, f, None) for f in findings))
    metadata = document.front_matter
    if destruction.is_tombstone(metadata):  # a destroyed case: its record, nothing to check more
        findings.extend(tombstones.findings(path, document))
        located = tuple(locate(path, f, document) for f in findings)
        return FileResult(path, located, lines={TOMBSTONE: 1})
    if not config.fast_check(metadata):
        precise = list(validation.precise_findings(config.case_schema, metadata))
        # The two validators must agree; if only the fast one objects, still refuse the file.
        findings.extend(precise or [validation.unexplained()])
        return FileResult(path, tuple(locate(path, f, document) for f in findings))
    context = CaseContext(path, document, Case(metadata), config.policy, config.roster)
    for rule in RULES.values():
        if rule.check_case is not None:
            findings.extend(rule.check_case(context))
    lines: dict[str, int] = {
        key: document.position((key,))[0]
        for key in ("id", "status", "due", "followups")
        if key in metadata
    }
    case = context.case
    listed = case.entries("attachments")
    stanzas: tuple[tuple[str, int], ...] = ()
    if listed:  # only then: the recipient set costs more than the rest of the summary
        for index in range(len(listed)):
            lines[f"attachments.{index}"] = document.position(("attachments", index, "name"))[0]
        wanted = recipients.for_section(case, recipients.ATTACHMENTS, config.policy, config.roster)
        stanzas = tuple(sorted(wanted.stanza_types.items()))
    summary = CaseSummary(
        path,
        case.id,
        case.status,
        case.type,
        case.priority,
        sla.summary_deadlines(case),
        tuple((str(e["name"]), str(e["date"])) for e in listed),
        stanzas,
    )
    return FileResult(
        path, tuple(sorted(locate(path, f, document) for f in findings)), summary, lines
    )


def _line(lines: dict[str, int], at: JsonPath | None) -> int:
    """The stored line for `at` (tree rules see no document): of an attachment entry, else of
    the top-level key (`id` when no path is given)."""
    if not at:
        return lines.get("id", 1)
    if at[0] == "attachments" and len(at) > 1:
        entry = lines.get(f"attachments.{at[1]}")
        if entry is not None:
            return entry
    return lines.get(str(at[0]), 1)


def check_tree(
    results: Iterable[FileResult],
    previous_status: dict[str, str],
    against: str,
    as_of: datetime | None = None,
    strict_sla: bool = False,
    attachments: AttachmentScan | None = None,
) -> list[Diagnostic]:
    """The cross-file rules. A finding may name a file that is not a checked case (an
    attachment, a folder): it is placed at its explicit line, else at line 1."""
    results = list(results)
    by_path = {r.path: r for r in results if r.summary is not None}
    tree = TreeContext(
        tuple(r.summary for r in by_path.values() if r.summary),
        previous_status,
        against,
        as_of,
        strict_sla,
        attachments,
        frozenset(r.path for r in results if TOMBSTONE in r.lines),
    )
    out = []
    for rule in RULES.values():
        if rule.check_tree is None:
            continue
        for path, finding in rule.check_tree(tree):
            result = by_path.get(path)
            line = finding.line or (_line(result.lines, finding.at) if result else 1)
            own = RULES.get(finding.code, rule)
            out.append(
                Diagnostic(
                    path,
                    line,
                    finding.col,
                    finding.code,
                    finding.message,
                    finding.severity or own.severity,
                    finding.hint,
                )
            )
    return out
