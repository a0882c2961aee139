"""The body follows the case type's template; sensitive sections hold one age block only."""

import functools
from collections import Counter
from collections.abc import Iterator

from casetrail.core import envelope, recipients
from casetrail.core.diagnostics import Finding, Severity
from casetrail.core.rules.base import CaseContext
from casetrail.core.rules.registry import case_rule

_NEVER_ECHOED = "(its content is not shown)"


@functools.lru_cache(maxsize=16)
def _armor(body: str) -> envelope.Envelope | envelope.EnvelopeError:
    """A block's structure, read once for the rules that both need it (CT402, CT405)."""
    try:
        return envelope.parse_armor(body)
    except envelope.EnvelopeError as error:
        return error


@case_rule(
    "CT401",
    "plaintext-in-sensitive-section",
    "A sensitive section holds anything other than one age-encrypted block.",
)
def sensitive_sections_encrypted(ctx: CaseContext) -> Iterator[Finding]:
    case_type = ctx.case_type
    if case_type is None:
        return
    for section in ctx.document.sections:
        if section.title not in case_type.sensitive_titles:
            continue
        body = section.body
        if not body.strip():
            yield Finding(
                "CT401",
                f"sensitive section '{section.title}' is empty; it must hold an encrypted block",
                line=section.heading_line,
                hint="create it with casetrail new or casetrail section set",
            )
        elif not envelope.looks_armored(body):
            yield Finding(
                "CT401",
                f"sensitive section '{section.title}' holds plaintext {_NEVER_ECHOED}",
                line=section.first_content_line,
                hint="remove the text from the file and store it with "
                "'casetrail section set CASE SECTION' so it is encrypted",
            )


@case_rule(
    "CT402",
    "malformed-encrypted-block",
    "An encrypted block is not a canonical age armor with recipient-key stanzas only.",
)
def encrypted_blocks_wellformed(ctx: CaseContext) -> Iterator[Finding]:
    case_type = ctx.case_type
    sensitive = case_type.sensitive_titles if case_type else frozenset()
    for section in ctx.document.sections:
        body = section.body
        if not envelope.looks_armored(body):
            if section.title not in sensitive and envelope.BEGIN in body:
                yield Finding(
                    "CT402",
                    f"section '{section.title}' holds an age block mixed with other text",
                    line=section.first_content_line,
                )
            continue
        found = _armor(body)
        if isinstance(found, envelope.EnvelopeError):
            yield Finding(
                "CT402",
                f"encrypted block in section '{section.title}' {found}",
                line=section.first_content_line,
                hint="re-create the section with casetrail; do not edit armor by hand",
            )


@case_rule(
    "CT403",
    "template-sections",
    "A section of the case type's template is missing, repeated or out of order.",
)
def template_followed(ctx: CaseContext) -> Iterator[Finding]:
    case_type = ctx.case_type
    if case_type is None:
        return
    titles = [s.title for s in ctx.document.sections]
    expected = [s.title for s in case_type.sections]
    for title in expected:
        if titles.count(title) > 1:
            section = [s for s in ctx.document.sections if s.title == title][1]
            yield Finding("CT403", f"section '{title}' appears twice", line=section.heading_line)
        elif title not in titles:
            yield Finding(
                "CT403",
                f"section '{title}' of the {case_type.label.lower()} template is missing",
                line=ctx.document.body_first_line,
                hint="sections: " + ", ".join(expected),
            )
    present = [t for t in titles if t in expected]
    if present == sorted(set(present), key=expected.index) or len(set(present)) != len(present):
        return
    yield Finding(
        "CT403",
        "sections are not in the template's order: " + ", ".join(expected),
        line=ctx.document.body_first_line,
    )


@case_rule(
    "CT404",
    "extra-section",
    "A section that the case type's template does not have.",
    Severity.WARNING,
)
def no_extra_sections(ctx: CaseContext) -> Iterator[Finding]:
    case_type = ctx.case_type
    if case_type is None:
        return
    expected = {s.title for s in case_type.sections}
    preamble = ctx.document.preamble_line()
    if preamble is not None:
        yield Finding(
            "CT404",
            f"text before the first section is not in the {case_type.label.lower()} template; "
            "it is stored unencrypted",
            line=preamble,
            hint="move it into a template section",
        )
    for section in ctx.document.sections:
        if section.title not in expected:
            yield Finding(
                "CT404",
                f"section '{section.title}' is not in the "
                f"{case_type.label.lower()} template; it is stored unencrypted",
                line=section.heading_line,
                hint="move its content into a template section",
            )


@case_rule(
    "CT405",
    "recipients-mismatch",
    "An encrypted block's recipient stanzas do not match the recipients the policy gives.",
)
def encrypted_to_policy_recipients(ctx: CaseContext) -> Iterator[Finding]:
    """Counted without keys: X25519 stanzas name nobody, so the count and the key types are
    what can be checked; `rekey` compares the exact set after decrypting."""
    case_type = ctx.case_type
    if case_type is None:
        return
    for section in ctx.document.sections:
        if section.title not in case_type.sensitive_titles or not envelope.looks_armored(
            section.body
        ):
            continue
        found = _armor(section.body)
        if isinstance(found, envelope.EnvelopeError):
            continue  # CT402 reports it
        expected = recipients.for_section(ctx.case, section.title, ctx.policy, ctx.roster)
        if Counter(found.stanza_types) != expected.stanza_types:
            state = "closed" if ctx.case.status == "closed" else "open"
            yield Finding(
                "CT405",
                f"section '{section.title}' is {found.readers}; "
                f"the policy gives {len(expected)} for this {state} case "
                f"({', '.join(expected.holders)})",
                line=section.first_content_line,
                hint="re-encrypt it for the current recipients with 'casetrail rekey CASE' "
                "(needs a key that can read it)",
            )
