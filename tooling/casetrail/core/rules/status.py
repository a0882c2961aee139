"""What each status requires, the closure criteria, the checklist, and allowed transitions."""

from collections.abc import Iterator

from casetrail.core import lifecycle
from casetrail.core.case import Case
from casetrail.core.config import CASE_TEAM
from casetrail.core.diagnostics import Finding, JsonPath
from casetrail.core.formats import parse_datetime
from casetrail.core.rules.base import CaseContext, TreeContext
from casetrail.core.rules.registry import case_rule, tree_rule

_REQUEST_FIELDS = ("requested_at", "requested_by", "outcome", "outcome_summary", "lessons_learned")


def _requirements(ctx: CaseContext) -> Iterator[tuple[bool, str, JsonPath, str]]:
    """(met, what, where, how to meet it) for everything the status requires."""
    case, rank = ctx.case, lifecycle.rank(ctx.case.status)
    closure = case.closure()
    at_closure: JsonPath = ("closure",) if closure else ("status",)
    handler = case.current_assignment("handler")
    if rank >= lifecycle.rank(lifecycle.ASSIGNED):
        yield (
            handler is not None,
            "a current handler assignment",
            ("status",),
            "record it with casetrail assign",
        )
    if rank >= lifecycle.rank(lifecycle.IN_PROGRESS) and handler is not None:
        yield (
            "acknowledged_at" in handler[1],
            "the handler's acknowledgement",
            ("assignments", handler[0]),
            "the handler acknowledges with casetrail ack",
        )
    if rank >= lifecycle.rank(lifecycle.CLOSURE_REQUESTED):
        for name in _REQUEST_FIELDS:
            yield (
                name in closure,
                f"closure.{name}",
                at_closure,
                "casetrail request-closure records the request, outcome and lessons learned",
            )
    if case.status == lifecycle.CLOSED:
        for name in ("closed_at", "closed_by"):
            yield name in closure, f"closure.{name}", at_closure, "casetrail close sets it"
        yield (
            "retention" in case.data,
            "a retention schedule (retention)",
            ("status",),
            "casetrail close schedules retention from the policy",
        )


@case_rule(
    "CT320",
    "status-requirements",
    "A field the case's status requires is missing, or a "
    "field a later status sets is already present.",
)
def status_requirements(ctx: CaseContext) -> Iterator[Finding]:
    status = ctx.case.status
    for present, what, at, how in _requirements(ctx):
        if not present:
            yield Finding("CT320", f"status '{status}' requires {what}", at=at, hint=how)
    closure = ctx.case.closure()
    if status != lifecycle.CLOSED and "closed_at" in closure:
        yield Finding(
            "CT320",
            f"closure.closed_at is set but status is '{status}'",
            at=("closure", "closed_at"),
        )
    if (
        lifecycle.rank(status) < lifecycle.rank(lifecycle.CLOSURE_REQUESTED)
        and "requested_at" in closure
    ):
        yield Finding(
            "CT320",
            f"closure.requested_at is set but status is '{status}'",
            at=("closure", "requested_at"),
        )


def unmet_criteria(case: Case) -> Iterator[Finding]:
    """SOP 000 §5 closure criteria not met, each with where it stands and what to do."""
    for index, task in enumerate(case.entries("followups")):
        if "done_at" not in task or "outcome" not in task:
            yield Finding(
                "CT321",
                f"follow-up {task['id']} is not done with an outcome",
                at=("followups", index),
                hint=f"casetrail followup done CASE {task['id']} --outcome '...'",
            )
    for index, flag in enumerate(case.entries("flags")):
        if "resolved_at" not in flag:
            yield Finding(
                "CT321",
                f"{flag['kind']} flag raised {flag['raised_at']} is still open",
                at=("flags", index),
                hint="resolve the flag (resolved_at, resolved_by, resolution) before closure",
            )
    stakeholders = case.entries("stakeholders")
    if not stakeholders:
        yield Finding(
            "CT321",
            "no stakeholders are recorded to confirm closure with",
            at=("status",),
            hint="SOP 000 §5: stakeholders notified and in agreement",
        )
    for index, party in enumerate(stakeholders):
        if "notified_of_closure_at" not in party:
            yield Finding(
                "CT321",
                f"stakeholder {party['ref']} has not been notified of closure",
                at=("stakeholders", index),
            )
        if party.get("agreement") != "agreed":
            yield Finding(
                "CT321",
                f"stakeholder {party['ref']} has not agreed to closure "
                f"(agreement: {party.get('agreement', 'not recorded')})",
                at=("stakeholders", index),
            )


@case_rule(
    "CT321",
    "closure-criteria",
    "A case requesting closure or closed does not meet the "
    "closure criteria (SOP 000 §5, SOP 002 §4.4).",
)
def closure_criteria(ctx: CaseContext) -> Iterator[Finding]:
    if lifecycle.rank(ctx.case.status) >= lifecycle.rank(lifecycle.CLOSURE_REQUESTED):
        yield from unmet_criteria(ctx.case)


@case_rule(
    "CT322",
    "closure-checklist",
    "A closure checklist item is missing, repeated, or ticked "
    "by someone without the responsible role (SOP 002 §5).",
)
def checklist(ctx: CaseContext) -> Iterator[Finding]:
    status = ctx.case.status
    items = {c.item: c for c in ctx.policy.checklist}
    done: dict[str, int] = {}
    for index, entry in enumerate(ctx.case.closure().get("checklist", [])):
        spec = items.get(entry["item"])
        if entry["item"] in done:
            yield Finding(
                "CT322",
                f"checklist item {entry['item']} is ticked twice",
                at=("closure", "checklist", index),
            )
        done[entry["item"]] = index
        person = ctx.roster.people.get(entry["done_by"])
        roles = person.roles if person else frozenset()
        if spec and not ctx.case.holds(entry["done_by"], roles, spec.responsible):
            who = " or ".join(
                "the case's handler or resolution officer" if r == CASE_TEAM else f"a {r}"
                for r in spec.responsible
            )
            yield Finding(
                "CT322",
                f"checklist item {spec.item} was ticked by {entry['done_by']}, who is not {who}",
                at=("closure", "checklist", index, "done_by"),
            )
    due = {"closure_requested": ("request",), "closed": ("request", "close")}.get(status, ())
    for spec in ctx.policy.checklist:
        if spec.when in due and spec.item not in done:
            yield Finding(
                "CT322",
                f"status '{status}' requires checklist item {spec.item} ({spec.label})",
                at=("closure",) if ctx.case.closure() else ("status",),
            )


@tree_rule(
    "CT323",
    "status-transition",
    "The status changed in a way the procedure does not allow since the committed version.",
)
def transitions(tree: TreeContext) -> Iterator[tuple[str, Finding]]:
    for summary in tree.cases:
        before = tree.previous_status.get(summary.path)
        if before is not None and not lifecycle.allowed(before, summary.status):
            yield (
                summary.path,
                Finding(
                    "CT323",
                    f"status went from '{before}' ({tree.against}) to '{summary.status}'",
                    at=("status",),
                    hint=lifecycle.WHY.get(before, ""),
                ),
            )


@case_rule(
    "CT324",
    "priority-history",
    "The priority differs from its last recorded assessment, or a reassessment's 'from' does "
    "not match the priority before it.",
)
def priority_matches_history(ctx: CaseContext) -> Iterator[Finding]:
    history = ctx.case.entries("priority_history")
    previous = None
    for index, entry in enumerate(history):
        if previous is not None and entry.get("from", previous) != previous:
            yield Finding(
                "CT324",
                f"priority_history[{index}] says from {entry['from']}, but the priority was {previous}",
                at=("priority_history", index, "from"),
            )
        previous = entry["to"]
    if history and ctx.case.priority != previous:
        yield Finding(
            "CT324",
            f"priority is {ctx.case.priority} but the last assessment set it to {previous}",
            at=("priority",),
            hint="change the priority with casetrail priority, which records the reason",
        )


@case_rule(
    "CT325",
    "retention-policy",
    "A closed case's retention does not follow the policy for its type (period from closure, "
    "disposition).",
)
def retention_follows_policy(ctx: CaseContext) -> Iterator[Finding]:
    retention = ctx.case.data.get("retention")
    case_type = ctx.case_type
    closed_at = ctx.case.closure().get("closed_at")
    if not isinstance(retention, dict) or case_type is None or closed_at is None:
        return
    expected = case_type.retention_until(parse_datetime(closed_at).date())
    if retention["until"] != expected.isoformat():
        yield Finding(
            "CT325",
            f"retention.until is {retention['until']}; the policy keeps a {case_type.key} "
            f"{case_type.retention_years} years from closure, until {expected.isoformat()}",
            at=("retention", "until"),
        )
    if retention["disposition"] != case_type.disposition:
        yield Finding(
            "CT325",
            f"retention.disposition is {retention['disposition']}; the policy says "
            f"{case_type.disposition} for a {case_type.key}",
            at=("retention", "disposition"),
        )
