"""Renders `casetrail audit` results: text, JSON and GitHub annotations, like `check`."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from casetrail.core.auditcodes import AuditFinding
from casetrail.core.diagnostics import Severity
from casetrail.core.report import FINDINGS, OK, _escape, _plural


@dataclass(frozen=True)
class AuditReport:
    findings: Sequence[AuditFinding]
    head: str
    trust_root: str | None
    commits: int
    verified_now: int
    previous_head: str | None = None
    permissions: dict[str, Any] | None = None
    permissions_text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(f.severity is Severity.ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors

    @property
    def return_code(self) -> int:
        return FINDINGS if self.errors else OK

    def summary(self) -> dict[str, Any]:
        return {
            "head": self.head,
            "trust_root": self.trust_root,
            "previous_head": self.previous_head,
            "commits": self.commits,
            "verified_now": self.verified_now,
            "from_cache": self.commits - self.verified_now,
            "errors": self.errors,
            "warnings": self.warnings,
        }


def render_text(report: AuditReport) -> str:
    lines = []
    for f in report.findings:
        label = "" if f.severity is Severity.ERROR else "warning: "
        where = f" {f.path}" if f.path else ""
        lines.append(f"{f.commit[:12]}{where}: {f.code} {label}{f.message}")
        if f.hint:
            lines.append(f"    hint: {f.hint}")
    root = f" after trust root {report.trust_root[:12]}" if report.trust_root else ""
    lines.append(
        f"{_plural(report.commits, 'commit')} audited{root} up to {report.head[:12]} "
        f"({report.verified_now} verified now, {report.commits - report.verified_now} from "
        f"earlier runs): {_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')}"
    )
    if report.permissions_text:
        lines += ["", report.permissions_text.rstrip("\n")]
    return "\n".join(lines)


def render_json(report: AuditReport) -> str:
    data: dict[str, Any] = {
        "version": 1,
        "summary": report.summary(),
        "findings": [f.to_json() for f in report.findings],
    }
    if report.permissions is not None:
        data["permissions"] = report.permissions
    return json.dumps(data, indent=2)


def render_github(report: AuditReport) -> str:
    lines = []
    for f in report.findings:
        kind = "error" if f.severity is Severity.ERROR else "warning"
        where = f"file={_escape(f.path, True)}," if f.path else ""
        message = f"commit {f.commit[:12]}: {f.message}" + (f" (hint: {f.hint})" if f.hint else "")
        lines.append(f"::{kind} {where}title={_escape(f.code, True)}::{_escape(message)}")
    return "\n".join(lines)


REPORTERS: dict[str, Callable[[AuditReport], str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
}
