"""Service-level targets: due times computed from the policy's business calendar and stored in
the case (`due`), and their state at a moment (met, met late, breached, at risk, pending).

Dues are computed when the event that starts them happens and are then read from the file, so
an audit years later sees the targets as they were set, whatever the holiday data says today.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from casetrail.core import lifecycle
from casetrail.core.businesstime import Calendar, Duration
from casetrail.core.case import Case
from casetrail.core.config import Policy
from casetrail.core.formats import is_datetime, parse_datetime

# Target -> (what starts the clock, what meets it), in plain words for reports and hints.
TARGETS: dict[str, tuple[str, str]] = {
    "intake": ("receipt", "intake assessment (casetrail assess), or else the first assignment"),
    "selection": ("intake assessment", "handler assignment (casetrail assign)"),
    "assignment": ("registration", "handler assignment (casetrail assign)"),
    "notification": ("assignment", "notification of the assignee"),
    "acknowledgement": ("assignment", "acknowledgement (casetrail ack)"),
    "resolution": ("registration", "closure request (casetrail request-closure)"),
    "review": ("last review or assignment", "a review (casetrail review)"),
}
DUE_KEY = {"review": "next_review"}  # the `due` field of each target, where the name differs
AT_RISK_SHARE = 0.25  # pending and less than a quarter of the target's window left

MET, LATE, BREACHED, AT_RISK, PENDING = "met", "met_late", "breached", "at_risk", "pending"


def stamp(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def _target_duration(policy: Policy, name: str, priority: str) -> Duration:
    if name in ("assignment", "resolution"):
        return Duration.from_mapping(getattr(policy.priorities[priority], name))
    key = "review_every" if name == "review" else name
    return Duration.from_mapping(policy.raw["targets"][key])


def due(policy: Policy, calendar: Calendar, name: str, start: datetime, priority: str) -> str:
    """The due time of target `name` whose clock starts at `start`."""
    return stamp(calendar.add(start, _target_duration(policy, name, priority)))


def at_registration(
    policy: Policy, calendar: Calendar, received: datetime, registered: datetime, priority: str
) -> dict[str, str]:
    return {
        "intake": due(policy, calendar, "intake", received, priority),
        "assignment": due(policy, calendar, "assignment", registered, priority),
        "resolution": due(policy, calendar, "resolution", registered, priority),
        "calendar": calendar.description or calendar.name,
    }


# ---- evaluation: pure over the stored dues, no calendar needed to say what is late ----


@dataclass(frozen=True, slots=True)
class Deadline:
    target: str
    due: str
    done: str | None  # when it was met, if it was
    start: str | None  # when its clock started (for "at risk")
    owner: str | None  # who is expected to meet it


@dataclass(frozen=True, slots=True)
class TargetState:
    deadline: Deadline
    state: str
    late_by_seconds: int  # > 0 when breached or met late


def _first_handler(case: Case) -> dict[str, Any] | None:
    return next((a for a in case.entries("assignments") if a["role"] == "handler"), None)


def _get(mapping: dict[str, Any] | None, key: str) -> str | None:
    value = mapping.get(key) if mapping else None
    return value if isinstance(value, str) and is_datetime(value) else None


def deadlines(case: Case) -> Iterator[Deadline]:
    """Every target the case has a stored due time for, with what met it."""
    stored = case.data.get("due")
    if not isinstance(stored, dict):
        return
    intake = case.data.get("intake") if isinstance(case.data.get("intake"), dict) else None
    first = _first_handler(case)
    current = case.current_assignment("handler")
    handler = current[1] if current else None
    owner = handler["person"] if handler else None
    open_case = lifecycle.rank(case.status) < lifecycle.rank(lifecycle.CLOSURE_REQUESTED)
    facts: dict[str, tuple[str | None, str | None, str | None]] = {
        # A case assigned without a recorded assessment was evaluated when it was assigned.
        "intake": (
            _get(intake, "assessed_at") or _get(first, "assigned_at"),
            case.data["received_at"],
            case.data["registered_by"],
        ),
        "selection": (_get(first, "assigned_at"), _get(intake, "assessed_at"), None),
        "assignment": (_get(first, "assigned_at"), case.data["registered_at"], None),
        "notification": (
            _get(handler, "notified_at"),
            _get(handler, "assigned_at"),
            handler["assigned_by"] if handler else None,
        ),
        "acknowledgement": (_get(handler, "acknowledged_at"), _get(handler, "assigned_at"), owner),
        "resolution": (_get(case.closure(), "requested_at"), case.data["registered_at"], owner),
    }
    for name, (done, start, who) in facts.items():
        value = stored.get(name)
        if isinstance(value, str) and is_datetime(value):
            yield Deadline(name, value, done, start, who)
    review = stored.get("next_review")
    if (
        open_case
        and case.status != lifecycle.NEW
        and isinstance(review, str)
        and is_datetime(review)
    ):
        last = case.entries("reviews")[-1]["at"] if case.entries("reviews") else None
        yield Deadline("review", review, None, last or _get(handler, "assigned_at"), owner)


def state(deadline: Deadline, as_of: datetime, calendar: Calendar | None = None) -> TargetState:
    """The deadline's state at `as_of`. With a calendar, pending targets near breach are at risk."""
    due_at = parse_datetime(deadline.due)
    if deadline.done is not None:
        late = int((parse_datetime(deadline.done) - due_at).total_seconds())
        return TargetState(deadline, LATE if late > 0 else MET, max(late, 0))
    late = int((as_of - due_at).total_seconds())
    if late > 0:
        return TargetState(deadline, BREACHED, late)
    if calendar is not None and deadline.start is not None and _at_risk(deadline, as_of, calendar):
        return TargetState(deadline, AT_RISK, 0)
    return TargetState(deadline, PENDING, 0)


def _at_risk(deadline: Deadline, as_of: datetime, calendar: Calendar) -> bool:
    assert deadline.start is not None
    start, due_at = parse_datetime(deadline.start), parse_datetime(deadline.due)
    window = calendar.business_seconds(start, due_at) or (due_at - start).total_seconds()
    left = calendar.business_seconds(as_of, due_at)  # 0: no working time left before it is due
    return window > 0 and left <= window * AT_RISK_SHARE


def states(case: Case, as_of: datetime, calendar: Calendar | None = None) -> list[TargetState]:
    return [state(d, as_of, calendar) for d in deadlines(case)]


def describe_seconds(seconds: int) -> str:
    """A lateness in words: "3 days 2 h", "45 min"."""
    minutes = seconds // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def summary_deadlines(case: Case) -> tuple[tuple[str, str, str], ...]:
    """Targets and open follow-ups as plain tuples for the cached case summary."""
    if case.status == lifecycle.CLOSED:
        return ()
    rows = [(d.target, d.due, d.done or "") for d in deadlines(case)]
    rows += [
        (f"follow-up {t['id']}", t["due"], "")
        for t in case.entries("followups")
        if "done_at" not in t
    ]
    return tuple(rows)
