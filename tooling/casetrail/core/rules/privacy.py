"""Front matter is pseudonymous: no e-mail addresses, phone numbers or similar identifiers."""

import re
from collections.abc import Iterator
from typing import Any

from casetrail.core.diagnostics import Finding, JsonPath, Severity
from casetrail.core.rules.base import CaseContext
from casetrail.core.rules.registry import case_rule

# Shapes that dates, timestamps, IDs, handles and hashes never take.
_PATTERNS = (
    (_EMAIL := "an e-mail address", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")),
    (
        "a phone number",
        re.compile(r"\+\d[\d ()/-]{7,}\d|(?<![\w.:-])\d{3,}[ /-]?\d{3,}[ /-]?\d{3,}(?![\w.:-])"),
    ),
    ("an IBAN", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}\b")),
)


# The fields where people write free text; every other string has a shape the schema fixes
# (handles, keys, enums, dates, IDs), which cannot hold an address or a number.
FREE_TEXT = frozenset(
    {
        "title",
        "reason",
        "rationale",
        "expertise",
        "workload",
        "availability",
        "complexity",
        "conflict_of_interest",
        "end_reason",
        "summary",
        "recipient",
        "reference",
        "outcome",
        "outcome_summary",
        "lessons_learned",
        "resolution",
        "notes",
        "rule",
    }
)
_SUSPECT = re.compile(r"[@\d]")


def _free_text(value: Any, at: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    """Free-text values that hold an '@' or a digit, with their paths."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                if key in FREE_TEXT and _SUSPECT.search(item):
                    yield (*at, key), item
            elif isinstance(item, dict | list):
                yield from _free_text(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict | list):
                yield from _free_text(item, (*at, index))


@case_rule(
    "CT501",
    "personal-data-in-front-matter",
    "A front matter value looks like personal data (e-mail, phone number, IBAN).",
    Severity.WARNING,
)
def pseudonymous(ctx: CaseContext) -> Iterator[Finding]:
    for at, text in _free_text(ctx.case.data, ()):
        for what, pattern in _PATTERNS:
            if pattern.search(text):
                yield Finding(
                    "CT501",
                    f"a value looks like {what}; front matter must not hold "
                    "personal data (it is not shown here)",
                    at=at,
                    hint="move it into an encrypted section and refer to the person as "
                    "a stakeholder ref (S1, S2, ...)",
                )
                break
