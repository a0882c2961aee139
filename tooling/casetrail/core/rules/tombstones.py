"""A destroyed case's tombstone (issue 8): it holds its record and nothing else."""

from __future__ import annotations

from collections.abc import Iterator

from casetrail.core import destruction, envelope
from casetrail.core.diagnostics import Finding
from casetrail.core.document import CaseDocument
from casetrail.core.rules.registry import documented

documented(
    "CT060",
    "tombstone-invalid",
    "A tombstone (a destroyed case's record) is malformed, or holds more than its record.",
    "case",
)


def findings(path: str, document: CaseDocument) -> Iterator[Finding]:
    """What is wrong with a tombstone file (nothing, for a well-formed one)."""
    try:
        tomb = destruction.parse_tombstone(document.front_matter, "the tombstone")
    except destruction.DestructionError as error:
        yield Finding("CT060", str(error), at=("schema",))
        return
    stem = path.rsplit("/", 1)[-1].removesuffix(".md")
    if tomb.id != stem:
        yield Finding("CT060", f"the tombstone's id {tomb.id} is not its file name {stem}")
    if document.sections or envelope.looks_armored(document.body) or "-----BEGIN" in document.body:
        yield Finding(
            "CT060",
            "a tombstone holds no sections and no encrypted text",
            line=document.body_first_line,
            hint="a destroyed case keeps only its record; `casetrail destroy execute` writes it",
        )
