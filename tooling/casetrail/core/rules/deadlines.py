"""Time-based findings: targets and follow-ups past due at --as-of. Warnings, so CI never turns
red only because a day passed; `--strict-sla` makes them errors for a scheduled escalation job."""

from collections.abc import Iterator
from datetime import date, datetime

from casetrail.core.diagnostics import Finding, Severity
from casetrail.core.formats import parse_datetime
from casetrail.core.rules.base import TreeContext
from casetrail.core.rules.registry import tree_rule
from casetrail.core.sla import TARGETS, describe_seconds

FOLLOW_UP = "follow-up "  # deadlines named "follow-up F2" carry a date, not a timestamp


def _seconds_late(what: str, due: str, as_of: datetime) -> int:
    if what.startswith(FOLLOW_UP):  # due by the end of its day
        return (as_of.date() - date.fromisoformat(due)).days * 86400
    return int((as_of - parse_datetime(due)).total_seconds())


def _overdue(tree: TreeContext, kind: str) -> Iterator[tuple[str, str, str, int]]:
    """(path, what, due, seconds late) of every deadline of `kind` not met and past due."""
    if tree.as_of is None:
        return
    for case in tree.cases:
        for what, due, done in case.deadlines:
            of_kind = FOLLOW_UP if what.startswith(FOLLOW_UP) else what
            if of_kind != kind or done:
                continue
            late = _seconds_late(what, due, tree.as_of)
            if late > 0:
                yield case.path, what, due, late


def _finding(tree: TreeContext, code: str, message: str, at: str, hint: str) -> Finding:
    severity = Severity.ERROR if tree.strict_sla else Severity.WARNING
    return Finding(code, message, at=(at,), severity=severity, hint=hint)


@tree_rule(
    "CT701",
    "target-breached",
    "A service-level target stored in the case (intake, selection, assignment, notification, "
    "acknowledgement, resolution) is past due and not met.",
    Severity.WARNING,
)
def targets_breached(tree: TreeContext) -> Iterator[tuple[str, Finding]]:
    for target in TARGETS:
        if target == "review":
            continue
        for path, what, due, late in _overdue(tree, target):
            message = f"{what} target breached: due {due}, {describe_seconds(late)} late"
            hint = f"met by {TARGETS[what][1]}; escalate to a supervisor if blocked"
            yield path, _finding(tree, "CT701", message, "due", hint)


@tree_rule(
    "CT702",
    "review-overdue",
    "An open case's periodic review (SOP 000 §4, policy targets.review_every) is overdue.",
    Severity.WARNING,
)
def review_overdue(tree: TreeContext) -> Iterator[tuple[str, Finding]]:
    for path, _what, due, late in _overdue(tree, "review"):
        message = f"review overdue: due {due}, {describe_seconds(late)} late"
        yield path, _finding(tree, "CT702", message, "due", "casetrail review CASE --summary '...'")


@tree_rule(
    "CT703",
    "followup-overdue",
    "An open follow-up task is past its due date.",
    Severity.WARNING,
)
def followups_overdue(tree: TreeContext) -> Iterator[tuple[str, Finding]]:
    for path, what, due, late in _overdue(tree, FOLLOW_UP):
        message = f"{what} overdue: due {due}, {late // 86400} d late"
        hint = f"casetrail followup done CASE {what.split()[-1]} --outcome '...'"
        yield path, _finding(tree, "CT703", message, "followups", hint)
