"""Values that must be among the policy's case types, channels, roles and kinds."""

from collections.abc import Iterator

from casetrail.core.diagnostics import Finding, JsonPath
from casetrail.core.rules.base import CaseContext
from casetrail.core.rules.registry import case_rule


def _refs(ctx: CaseContext) -> Iterator[tuple[JsonPath, str, frozenset[str], str]]:
    policy = ctx.policy
    yield ("type",), ctx.case.type, frozenset(policy.case_types), "case type"
    yield ("channel",), ctx.case.data["channel"], policy.channels, "channel"
    for i, entry in enumerate(ctx.case.entries("communications")):
        yield ("communications", i, "channel"), entry["channel"], policy.channels, "channel"
    for i, entry in enumerate(ctx.case.entries("stakeholders")):
        yield (
            ("stakeholders", i, "role"),
            entry["role"],
            policy.stakeholder_roles,
            "stakeholder role",
        )
    for i, entry in enumerate(ctx.case.entries("attachments")):
        yield ("attachments", i, "kind"), entry["kind"], policy.attachment_kinds, "attachment kind"
    items = frozenset(c.item for c in policy.checklist)
    for i, entry in enumerate(ctx.case.closure().get("checklist", [])):
        yield ("closure", "checklist", i, "item"), entry["item"], items, "closure checklist item"


@case_rule(
    "CT210",
    "unknown-policy-value",
    "A case type, channel, stakeholder role or checklist item the policy does not define.",
)
def policy_values(ctx: CaseContext) -> Iterator[Finding]:
    for at, value, allowed, what in _refs(ctx):
        if value not in allowed:
            yield Finding(
                "CT210",
                f"'{value}' is not a {what} in schema/policy.yaml",
                at=at,
                hint="one of: " + ", ".join(sorted(allowed)),
            )
