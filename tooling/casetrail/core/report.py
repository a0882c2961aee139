"""Reporters render diagnostics; the report owns the exit code."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from casetrail.core.diagnostics import Diagnostic, Severity

OK, FINDINGS, USAGE, INTERNAL, INTERRUPTED = 0, 1, 2, 3, 130
# Findings that depend on the clock: only --strict-sla (which makes them errors) fails on them,
# so a --strict CI job does not turn red just because a day passed.
CLOCK_CODES = frozenset({"CT701", "CT702", "CT703"})


@dataclass(frozen=True, slots=True)
class Report:
    diagnostics: tuple[Diagnostic, ...]
    files: int
    cached: int = 0
    strict: bool = False

    @property
    def errors(self) -> int:
        return sum(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return len(self.diagnostics) - self.errors

    @property
    def return_code(self) -> int:
        strict_warnings = sum(
            d.severity is Severity.WARNING and d.code not in CLOCK_CODES for d in self.diagnostics
        )
        failing = self.errors + (strict_warnings if self.strict else 0)
        return FINDINGS if failing else OK


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_text(report: Report) -> str:
    lines = []
    for d in report.diagnostics:
        label = "" if d.severity is Severity.ERROR else "warning: "
        lines.append(f"{d.path}:{d.line}:{d.col}: {d.code} {label}{d.message}")
        if d.hint:
            lines.append(f"    hint: {d.hint}")
    cached = f" ({report.cached} unchanged, from cache)" if report.cached else ""
    lines.append(
        f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')} in "
        f"{_plural(report.files, 'file')}{cached}"
    )
    return "\n".join(lines)


def render_json(report: Report) -> str:
    return json.dumps(
        {
            "version": 1,
            "summary": {
                "files": report.files,
                "errors": report.errors,
                "warnings": report.warnings,
                "cached": report.cached,
            },
            "diagnostics": [d.to_json() for d in report.diagnostics],
        },
        indent=2,
    )


def _escape(text: str, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def render_github(report: Report) -> str:
    lines = []
    for d in report.diagnostics:
        kind = "error" if d.severity is Severity.ERROR else "warning"
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        lines.append(
            f"::{kind} file={_escape(d.path, True)},line={d.line},col={d.col},"
            f"title={_escape(d.code, True)}::{_escape(message)}"
        )
    return "\n".join(lines)


REPORTERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
}


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.path, d.line, d.col, d.code)


def ordered(diagnostics: Sequence[Diagnostic]) -> tuple[Diagnostic, ...]:
    return tuple(sorted(set(diagnostics), key=sort_key))
