"""Checking as functions over bytes: one file, then the cross-file rules over all summaries."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from casetrail.core import document as doc
from casetrail.core import sla, validation
from casetrail.core.case import Case
from casetrail.core.config import Policy, Roster
from casetrail.core.diagnostics import Diagnostic, Finding, Severity
from casetrail.core.rules import RULES
from casetrail.core.rules.base import CaseContext, CaseSummary, TreeContext


@dataclass(frozen=True, slots=True)
class Config:
    policy: Policy
    roster: Roster
    case_schema: dict[str, Any]
    fast_check: Callable[[Any], bool]


@dataclass(frozen=True, slots=True)
class FileResult:
    path: str
    diagnostics: tuple[Diagnostic, ...]
    summary: CaseSummary | None = None
    lines: dict[str, int] = field(default_factory=dict)  # line of `id` and `status`, for tree rules


def locate(path: str, finding: Finding, document: doc.CaseDocument | None) -> Diagnostic:
    """Turn a finding into a diagnostic with a file line and the rule's default severity."""
    line, col = finding.line or 1, finding.col
    if finding.line is None and finding.at is not None and document is not None:
        line, col = document.position(finding.at)
    rule = RULES.get(finding.code)
    severity = finding.severity or (rule.severity if rule else Severity.ERROR)
    return Diagnostic(path, line, col, finding.code, finding.message, severity, finding.hint)


def check_file(path: str, data: bytes, config: Config, size: int | None = None) -> FileResult:
    return check_parsed(path, *doc.parse(data, size), config)


def check_parsed(
    path: str, document: doc.CaseDocument | None, findings: list[Finding], config: Config
) -> FileResult:
    """check_file for a document already parsed (a command that goes on to edit it)."""
    findings = list(findings)
    if document is None:
        return FileResult(path, tuple(locate(path, f, None) for f in findings))
    metadata = document.front_matter
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
    summary = CaseSummary(
        path, case.id, case.status, case.type, case.priority, sla.summary_deadlines(case)
    )
    return FileResult(
        path, tuple(sorted(locate(path, f, document) for f in findings)), summary, lines
    )


def check_tree(
    results: Iterable[FileResult],
    previous_status: dict[str, str],
    against: str,
    as_of: datetime | None = None,
    strict_sla: bool = False,
) -> list[Diagnostic]:
    by_path = {r.path: r for r in results if r.summary is not None}
    tree = TreeContext(
        tuple(r.summary for r in by_path.values() if r.summary),
        previous_status,
        against,
        as_of,
        strict_sla,
    )
    out = []
    for rule in RULES.values():
        if rule.check_tree is None:
            continue
        for path, finding in rule.check_tree(tree):
            key = str(finding.at[0]) if finding.at else "id"
            line = by_path[path].lines.get(key, 1)
            out.append(
                Diagnostic(
                    path,
                    line,
                    1,
                    finding.code,
                    finding.message,
                    finding.severity or rule.severity,
                    finding.hint,
                )
            )
    return out
