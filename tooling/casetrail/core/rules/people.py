"""Everyone a record names exists in the roster, holds the role the field needs, and acts
within the procedure: no self-approval, no assignee with a conflict of interest."""

from collections.abc import Iterator

from casetrail.core.diagnostics import Finding, format_path
from casetrail.core.rules.base import CaseContext
from casetrail.core.rules.registry import case_rule

# Which roster roles may stand in which field (any one of them).
FIELD_ROLES: dict[tuple[str, str], frozenset[str]] = {
    ("", "registered_by"): frozenset({"intake", "supervisor"}),
    ("assignments", "approved_by"): frozenset({"supervisor"}),
    ("flags", "to"): frozenset({"supervisor"}),
    ("closure", "closed_by"): frozenset({"supervisor", "records_officer"}),
    ("reopenings", "by"): frozenset({"supervisor"}),
}


@case_rule(
    "CT301", "unknown-person", "A handle in the record is not a person in schema/roster.yaml."
)
def known_people(ctx: CaseContext) -> Iterator[Finding]:
    for at, handle in ctx.case.people():
        if handle not in ctx.roster.people:
            yield Finding(
                "CT301",
                f"{format_path(at)}: '{handle}' is not in the roster",
                at=at,
                hint="use a handle from schema/roster.yaml",
            )


def _needed_roles(at: tuple[str | int, ...], entry_role: str | None) -> frozenset[str] | None:
    group = str(at[0]) if len(at) > 1 else ""
    name = str(at[-1])
    if group == "assignments" and name == "person" and entry_role:
        return frozenset({entry_role})
    return FIELD_ROLES.get((group, name))


@case_rule("CT302", "missing-role", "A person stands in a field their roster roles do not allow.")
def roles_fit(ctx: CaseContext) -> Iterator[Finding]:
    assignments = ctx.case.entries("assignments")
    for at, handle in ctx.case.people():
        person = ctx.roster.people.get(handle)
        role = (
            assignments[at[1]]["role"]
            if at[0] == "assignments" and isinstance(at[1], int)
            else None
        )
        needed = _needed_roles(at, role)
        if person and needed and not needed & person.roles:
            yield Finding(
                "CT302",
                f"{format_path(at)}: {handle} does not have the role {' or '.join(sorted(needed))} in the roster",
                at=at,
                hint=f"choose someone with the role, or give {handle} the role in the roster",
            )


@case_rule("CT303", "self-approval", "An assignment is approved by the person it assigns.")
def no_self_approval(ctx: CaseContext) -> Iterator[Finding]:
    for index, entry in enumerate(ctx.case.entries("assignments")):
        if entry["approved_by"] == entry["person"]:
            yield Finding(
                "CT303",
                f"assignments[{index}]: {entry['person']} approved their own assignment",
                at=("assignments", index, "approved_by"),
                hint="another supervisor must validate the assignment (SOP 003 §2)",
            )


@case_rule(
    "CT304",
    "conflict-of-interest",
    "A person with a declared conflict of interest is assigned to the case.",
)
def no_conflicted_assignee(ctx: CaseContext) -> Iterator[Finding]:
    conflicted = {c["person"] for c in ctx.case.entries("conflicts")}
    for index, entry in enumerate(ctx.case.entries("assignments")):
        if entry["person"] in conflicted and "ended_at" not in entry:
            yield Finding(
                "CT304",
                f"assignments[{index}]: {entry['person']} has a declared "
                "conflict of interest in this case",
                at=("assignments", index, "person"),
                hint="reassign the case to someone without a conflict (SOP 004 §3)",
            )
