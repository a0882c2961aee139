"""Time-based findings: targets and follow-ups past due at --as-of. Warnings, so CI never turns
red only because a day passed; `--strict-sla` makes them errors for a scheduled escalation job."""

from collections.abc import Iterator
from datetime import date, datetime

from casetrail.core.diagnostics import Finding, Severity
from casetrail.core.formats import parse_datetime
from casetrail.core.rules.base import TreeContext
from casetrail.core.rules.registry import tree_rule
from casetrail.core.sla import TARGETS, describe_seconds


def _severity(tree: TreeContext) -> Severity:
    return Severity.ERROR if tree.strict_sla else Severity.WARNING


def _late(due: str, as_of: datetime) -> int:
    return int((as_of - parse_datetime(due)).total_seconds())


@tree_rule(
    "CT701",
    "target-breached",
    "A service-level target stored in the case (intake, selection, assignment, notification, "
    "acknowledgement, resolution) is past due and not met.",
    Severity.WARNING,
)
def targets_breached(tree: TreeContext) -> Iterator[tuple[str, Finding]]:
    if tree.as_of is None:
        return
    for case in tree.cases:
        for what, due, done in case.deadlines:
            if what in TARGETS and what != "review" and not done and _late(due, tree.as_of) > 0:
                yield (
                    case.path,
                    Finding(
                        "CT701",
                        f"{what} target breached: due {due}, "
                        f"{describe_seconds(_late(due, tree.as_of))} late",
                        at=("due",),
                        severity=_severity(tree),
                        hint=f"met by {TARGETS[what][1]}; escalate to a supervisor if blocked",
                    ),
                )


@tree_rule(
    "CT702",
    "review-overdue",
    "An open case's periodic review (SOP 000 §4, policy targets.review_every) is overdue.",
    Severity.WARNING,
)
def review_overdue(tree: TreeContext) -> Iterator[tuple[str, Finding]]:
    if tree.as_of is None:
        return
    for case in tree.cases:
        for what, due, _done in case.deadlines:
            if what == "review" and _late(due, tree.as_of) > 0:
                yield (
                    case.path,
                    Finding(
                        "CT702",
                        f"review overdue: due {due}, {describe_seconds(_late(due, tree.as_of))} late",
                        at=("due",),
                        severity=_severity(tree),
                        hint="casetrail review CASE --summary '...'",
                    ),
                )


@tree_rule(
    "CT703",
    "followup-overdue",
    "An open follow-up task is past its due date.",
    Severity.WARNING,
)
def followups_overdue(tree: TreeContext) -> Iterator[tuple[str, Finding]]:
    if tree.as_of is None:
        return
    today = tree.as_of.date()
    for case in tree.cases:
        for what, due, _done in case.deadlines:
            if what.startswith("follow-up ") and date.fromisoformat(due) < today:
                days = (today - date.fromisoformat(due)).days
                yield (
                    case.path,
                    Finding(
                        "CT703",
                        f"{what} overdue: due {due}, {days} d late",
                        at=("followups",),
                        severity=_severity(tree),
                        hint=f"casetrail followup done CASE {what.split()[-1]} --outcome '...'",
                    ),
                )
