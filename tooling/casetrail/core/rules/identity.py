"""The ID is well formed, matches the file's place, and is unique across the tree."""

from collections import defaultdict
from collections.abc import Iterator

from casetrail.core import ids
from casetrail.core.diagnostics import Finding
from casetrail.core.rules.base import CaseContext, TreeContext
from casetrail.core.rules.registry import case_rule, tree_rule


@case_rule(
    "CT201", "id-format", "Case ID is not in the agreed format or fails its check character."
)
def id_format(ctx: CaseContext) -> Iterator[Finding]:
    why = ids.problem(ctx.case.id)
    if why:
        yield Finding(
            "CT201",
            f"case ID '{ctx.case.id}' is {why}"
            if why.startswith("not")
            else f"case ID '{ctx.case.id}': {why}",
            at=("id",),
            hint="IDs are made by 'casetrail new'; copy them, never type them by hand",
        )


@case_rule("CT202", "path-mismatch", "File is not at cases/<year>/<id>.md for its own ID.")
def path_matches_id(ctx: CaseContext) -> Iterator[Finding]:
    expected = f"cases/{ctx.case.id[:4]}/{ctx.case.id}.md"
    if ctx.path != expected:
        yield Finding(
            "CT202",
            f"case {ctx.case.id} must be stored at {expected}",
            at=("id",),
            hint=f"git mv {ctx.path} {expected}",
        )


@tree_rule("CT203", "duplicate-id", "Two files in the tree carry the same case ID.")
def unique_ids(tree: TreeContext) -> Iterator[tuple[str, Finding]]:
    paths: dict[str, list[str]] = defaultdict(list)
    for summary in tree.cases:
        paths[summary.id].append(summary.path)
    for case_id, where in paths.items():
        if len(where) > 1:
            for path in where:
                others = ", ".join(p for p in where if p != path)
                yield (
                    path,
                    Finding(
                        "CT203",
                        f"case ID {case_id} is also used by {others}",
                        at=("id",),
                        hint="give one of them a new ID with casetrail new",
                    ),
                )


@case_rule("CT204", "duplicate-entry-id", "Two follow-ups or stakeholders in one case share an ID.")
def unique_entry_ids(ctx: CaseContext) -> Iterator[Finding]:
    for group, key in (("followups", "id"), ("stakeholders", "ref")):
        seen: set[str] = set()
        for index, entry in enumerate(ctx.case.entries(group)):
            if entry[key] in seen:
                yield Finding(
                    "CT204",
                    f"{group}[{index}]: {key} {entry[key]} is used twice",
                    at=(group, index, key),
                )
            seen.add(entry[key])


@case_rule(
    "CT205", "unknown-stakeholder", "An entry names a stakeholder ref the case does not list."
)
def stakeholder_refs(ctx: CaseContext) -> Iterator[Finding]:
    refs = {s["ref"] for s in ctx.case.entries("stakeholders")}
    for index, entry in enumerate(ctx.case.entries("communications")):
        if entry["stakeholder"] not in refs:
            yield Finding(
                "CT205",
                f"communications[{index}]: stakeholder {entry['stakeholder']} is "
                "not in this case's stakeholders",
                at=("communications", index, "stakeholder"),
                hint="add the stakeholder (ref and role) first",
            )
