"""Choosing and assigning staff: SOP 003 §2 and SOP 004 §3-5.

`suggest` ranks everyone holding the role by the SOP criteria and says why; `assign` records
the choice with its criteria, rationale and supervisor's approval; `ack` records that the
assignee received and understood it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from casetrail.core import lifecycle, sla
from casetrail.core.actions.base import Act, Change, Refusal, one_line, require_after, require_role
from casetrail.core.businesstime import Calendar
from casetrail.core.case import Case
from casetrail.core.config import Person, Policy, Roster
from casetrail.core.formats import parse_datetime
from casetrail.core.yamledit import Append, Op, Set

ROLES = ("handler", "resolution_officer")
COMPLEXITY = ("low", "standard", "high")
ASSIGNERS = ("supervisor", "intake")  # SOP 004 §6: team lead or manager selects and assigns


@dataclass(frozen=True, slots=True)
class Candidate:
    handle: str
    eligible: bool
    excluded: str | None  # why not eligible (never suggested)
    points: int  # workload in use, before this case
    capacity: int
    criteria: dict[str, str]  # the assignment record's criteria, in words
    rank_key: tuple[int, int, float, str]


def workload(handle: str, open_cases: Sequence[Case], policy: Policy, skip: str = "") -> int:
    """Points in use: each open case the person is assigned to, weighted by its priority."""
    return sum(
        policy.priorities[c.priority].weight
        for c in open_cases
        if c.id != skip and handle in c.case_team() and c.priority in policy.priorities
    )


def conflict(case: Case, person: Person) -> str | None:
    for entry in case.entries("conflicts"):
        if entry["person"] == person.handle:
            return f"conflict of interest declared on the case: {entry['reason']}"
    for with_, reason in person.conflicts:
        if with_ == case.id:
            return f"conflict of interest declared in the roster: {reason}"
    return None


def _candidate(
    case: Case, person: Person, open_cases: Sequence[Case], policy: Policy, on: date, until: date
) -> Candidate:
    points = workload(person.handle, open_cases, policy, skip=case.id)
    weight = policy.priorities[case.priority].weight
    complexity = str(case.data.get("complexity", "standard"))
    expert = case.type in person.expertise
    capable = COMPLEXITY.index(complexity) <= COMPLEXITY.index(person.max_complexity)
    absent = person.absence_on(on)
    later = [a for a in person.absences_between(on, until) if a is not absent]
    excluded = conflict(case, person)
    if excluded is None and absent is not None:
        excluded = f"absent {absent.start}..{absent.end} ({absent.reason})"
    if excluded is None and points + weight > person.capacity:
        excluded = f"over capacity: {points} + {weight} > {person.capacity} points"
    criteria = {
        "expertise": f"{case.type}: {'yes' if expert else 'no'}"
        + ("" if capable else f"; takes up to {person.max_complexity} complexity"),
        "workload": f"{points} of {person.capacity} points in use before this case (+{weight})",
        "availability": (
            f"away {later[0].start}..{later[0].end} ({later[0].reason}) before the resolution target"
            if later
            else f"available until the resolution target ({until})"
        ),
        "complexity": f"{complexity}; takes up to {person.max_complexity}",
        "conflict_of_interest": conflict(case, person) or "none declared",
    }
    key = (
        0 if expert and capable else 1,
        1 if later else 0,
        points / max(person.capacity, 1),
        person.handle,
    )
    return Candidate(
        person.handle, excluded is None, excluded, points, person.capacity, criteria, key
    )


def suggest(
    case: Case,
    role: str,
    roster: Roster,
    policy: Policy,
    open_cases: Sequence[Case],
    on: date,
    until: date,
) -> list[Candidate]:
    """Everyone active with `role`, eligible first, best first; the excluded say why."""
    people = [p for p in roster.with_role(role) if p.is_active(on)]
    ranked = [_candidate(case, p, open_cases, policy, on, until) for p in people]
    return sorted(ranked, key=lambda c: (not c.eligible, c.rank_key))


@dataclass(frozen=True, slots=True)
class Choice:
    role: str
    handle: str


def assign(
    case: Case,
    act: Act,
    choices: Sequence[Choice],
    approved_by: str,
    rationale: str,
    why_not_top: str | None,
    reason: str | None,
    ranked: dict[str, list[Candidate]],
) -> Change:
    """Record assignments; a reassignment ends the earlier one and keeps it with its reason."""
    require_role(act.actor, ASSIGNERS, "assign a case")
    if case.status in (lifecycle.CLOSURE_REQUESTED, lifecycle.CLOSED):
        raise Refusal(f"cannot assign: {case.id} is {case.status.replace('_', ' ')}")
    approver = act.person(approved_by, "--approved-by")
    if "supervisor" not in approver.roles:
        raise Refusal(f"--approved-by {approved_by} is not a supervisor (SOP 003 §2)")
    rationale = one_line(rationale, "--rationale")
    ops: list[Op] = []
    for choice in choices:
        ops += _assign_one(
            case, act, choice, approver, rationale, why_not_top, reason, ranked[choice.role]
        )
    if any(c.role == "handler" for c in choices):
        ops += _handler_targets(case, act)
    status = case.status
    if any(c.role == "handler" for c in choices) and status in (
        lifecycle.NEW,
        lifecycle.IN_PROGRESS,
    ):
        ops.append(Set(("status",), lifecycle.ASSIGNED))
    names = ", ".join(f"{c.role.replace('_', ' ')} {c.handle}" for c in choices)
    return Change(ops, f"{case.id} assigned: {names} (approved by {approved_by})")


def _assign_one(
    case: Case,
    act: Act,
    choice: Choice,
    approver: Person,
    rationale: str,
    why_not_top: str | None,
    reason: str | None,
    ranked: list[Candidate],
) -> list[Op]:
    person = act.person(choice.handle, f"--{choice.role.replace('_', '-')}")
    if choice.role not in person.roles:
        raise Refusal(f"{person.handle} does not have the role {choice.role} in the roster")
    if approver.handle == person.handle:
        raise Refusal(f"{person.handle} cannot approve their own assignment (SOP 003 §2)")
    candidate = next(c for c in ranked if c.handle == person.handle)
    blocked = conflict(case, person)
    if blocked:
        raise Refusal(f"{person.handle} cannot be assigned: {blocked}")
    if person.absence_on(act.now.date()) is not None:
        raise Refusal(f"{person.handle} cannot be assigned: {candidate.excluded}")
    other = "handler" if choice.role == "resolution_officer" else "resolution_officer"
    if case.assignee(other) == person.handle:
        raise Refusal(
            f"{person.handle} is already the {other.replace('_', ' ')} of {case.id}; "
            "the handler and the resolution officer are two people (SOP 003 §3)"
        )
    top = next((c for c in ranked if c.eligible), None)
    if top is not None and top.handle != person.handle:
        if not why_not_top:
            not_eligible = (
                f"; {person.handle} is not eligible: {candidate.excluded}"
                if candidate.excluded
                else ""
            )
            raise Refusal(
                f"{person.handle} is not the top suggestion for {choice.role.replace('_', ' ')} "
                f"({top.handle}){not_eligible}; say why with --why-not-top",
                "SOP 004 §5: document the rationale, especially outside the standard criteria",
            )
        rationale = f"{rationale}; not the top suggestion ({top.handle}): {one_line(why_not_top, '--why-not-top')}"
    ops: list[Op] = []
    current = case.current_assignment(choice.role)
    if current is not None:
        index, entry = current
        if entry["person"] == person.handle:
            raise Refusal(
                f"{person.handle} is already the {choice.role.replace('_', ' ')} of {case.id}"
            )
        if not reason:
            raise Refusal(
                f"{case.id} already has {entry['person']} as {choice.role.replace('_', ' ')}; "
                "a reassignment needs --reason (SOP 004 §7)"
            )
        require_after(case, act, entry["assigned_at"], "the current assignment")
        ops += [
            Set(("assignments", index, "ended_at"), act.at),
            Set(("assignments", index, "end_reason"), one_line(reason, "--reason")),
        ]
    record = {
        "role": choice.role,
        "person": person.handle,
        "assigned_at": act.at,
        "assigned_by": act.actor.handle,
        "approved_by": approver.handle,
        "criteria": candidate.criteria,
        "rationale": rationale,
        "notified_at": act.at,  # the assignment itself is the system notification (SOP 004 §4.4)
    }
    ops.append(Append(("assignments",), record))
    return ops


def _handler_targets(case: Case, act: Act) -> list[Op]:
    policy, calendar = act.policy, act.calendar
    ops: list[Op] = [
        Set(
            ("due", "notification"),
            sla.due(policy, calendar, "notification", act.now, case.priority),
        ),
        Set(
            ("due", "acknowledgement"),
            sla.due(policy, calendar, "acknowledgement", act.now, case.priority),
        ),
    ]
    if "next_review" not in case.data.get("due", {}):
        ops.append(
            Set(("due", "next_review"), sla.due(policy, calendar, "review", act.now, case.priority))
        )
    return ops


def acknowledge(case: Case, act: Act) -> Change:
    """SOP 004 §4.5: the assignee acknowledges; the handler's acknowledgement starts the work."""
    if case.status in (lifecycle.CLOSURE_REQUESTED, lifecycle.CLOSED):
        raise Refusal(f"cannot acknowledge: {case.id} is {case.status.replace('_', ' ')}")
    mine = [
        (role, current)
        for role in ROLES
        if (current := case.current_assignment(role)) is not None
        and current[1]["person"] == act.actor.handle
    ]
    if not mine:
        team = ", ".join(sorted(case.case_team())) or "nobody yet"
        raise Refusal(f"{act.actor.handle} is not assigned to {case.id} (assigned: {team})")
    pending = [(role, c) for role, c in mine if "acknowledged_at" not in c[1]]
    if not pending:
        when = mine[0][1][1]["acknowledged_at"]
        raise Refusal(f"{act.actor.handle} already acknowledged {case.id} at {when}")
    ops: list[Op] = []
    for _role, (index, entry) in pending:
        require_after(case, act, entry["assigned_at"], "the assignment")
        if "notified_at" not in entry:
            ops.append(Set(("assignments", index, "notified_at"), act.at))
        ops.append(Set(("assignments", index, "acknowledged_at"), act.at))
    if any(role == "handler" for role, _ in pending) and case.status == lifecycle.ASSIGNED:
        ops.append(Set(("status",), lifecycle.IN_PROGRESS))
    return Change(ops, f"{case.id} acknowledged by {act.actor.handle}")


def resolution_day(case: Case, calendar: Calendar, fallback: date) -> date:
    """The last day the case needs its team: its resolution target, if stored."""
    value = case.data.get("due", {}).get("resolution")
    return (
        parse_datetime(value).astimezone(calendar.zone).date()
        if isinstance(value, str)
        else fallback
    )
