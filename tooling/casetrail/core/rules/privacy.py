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


def _strings(value: Any, at: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    if isinstance(value, str):
        yield at, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*at, index))


@case_rule(
    "CT501",
    "personal-data-in-front-matter",
    "A front matter value looks like personal data (e-mail, phone number, IBAN).",
    Severity.WARNING,
)
def pseudonymous(ctx: CaseContext) -> Iterator[Finding]:
    text = ctx.document.text[: ctx.document.text.find("\n---\n", 3)]
    if not any(p.search(text) for what, p in _PATTERNS if what != _EMAIL or "@" in text):
        return  # the common case: one scan of the text, no walk
    for at, text in _strings(ctx.case.data, ()):
        if at and at[-1] in ("id", "sha256", "name"):  # shapes the schema already fixes
            continue
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
