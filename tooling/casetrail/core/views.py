"""What the office looks like at a moment: one case at a glance, a person's agenda, every
breached or at-risk target, and workload. Pure: cases, roster and a moment in; rows out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from casetrail.core import lifecycle, sla
from casetrail.core.actions.assignment import workload as points_of
from casetrail.core.actions.closure import blockers
from casetrail.core.businesstime import Calendar
from casetrail.core.case import Case
from casetrail.core.config import Policy, Roster

SOON = timedelta(days=2)  # a follow-up due within two days is on the agenda as "due soon"


@dataclass(frozen=True, slots=True)
class Item:
    """One thing due: a target, a follow-up, an acknowledgement or a flag."""

    case: str
    what: str
    due: str
    state: str  # breached, at_risk, pending, open
    person: str | None
    escalate_to: tuple[str, ...] = ()
    late: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


def is_open(case: Case) -> bool:
    return case.status != lifecycle.CLOSED


def escalation_path(case: Case, roster: Roster) -> tuple[str, ...]:
    """The supervisor who approved the current assignment, else every active supervisor."""
    current = case.current_assignment("handler")
    if current is not None:
        return (str(current[1]["approved_by"]),)
    return tuple(sorted(p.handle for p in roster.with_role("supervisor") if p.left_at is None))


def target_items(
    case: Case, as_of: datetime, calendar: Calendar | None, roster: Roster
) -> list[Item]:
    items = []
    for result in sla.states(case, as_of, calendar):
        if result.state not in (sla.BREACHED, sla.AT_RISK, sla.PENDING):
            continue
        d = result.deadline
        items.append(
            Item(
                case.id,
                f"{d.target} target",
                d.due,
                result.state,
                d.owner,
                escalation_path(case, roster),
                sla.describe_seconds(result.late_by_seconds) if result.late_by_seconds else "",
                {"met_by": sla.TARGETS[d.target][1]},
            )
        )
    return items


def followup_items(case: Case, as_of: datetime, roster: Roster) -> list[Item]:
    items = []
    today = as_of.date()
    for task in case.entries("followups"):
        if "done_at" in task:
            continue
        due = datetime.fromisoformat(task["due"]).date()
        state = sla.BREACHED if due < today else sla.AT_RISK if due - today <= SOON else sla.PENDING
        late = f"{(today - due).days} d" if due < today else ""
        items.append(
            Item(
                case.id,
                f"follow-up {task['id']}: {task['title']}",
                task["due"],
                state,
                task["owner"],
                escalation_path(case, roster),
                late,
            )
        )
    return items


def flag_items(case: Case) -> list[Item]:
    return [
        Item(case.id, f"{f['kind']} flag {n}: {f['reason']}", f["raised_at"], "open", f.get("to"))
        for n, f in enumerate(case.entries("flags"), start=1)
        if "resolved_at" not in f
    ]


def everything_due(
    cases: Sequence[Case], as_of: datetime, calendar: Calendar | None, roster: Roster
) -> list[Item]:
    items: list[Item] = []
    for case in cases:
        if is_open(case):
            items += target_items(case, as_of, calendar, roster)
            items += followup_items(case, as_of, roster)
            items += flag_items(case)
    return sorted(items, key=lambda i: (i.due, i.case, i.what))


def overdue(
    cases: Sequence[Case], as_of: datetime, calendar: Calendar | None, roster: Roster
) -> list[Item]:
    """Every breached or at-risk target and follow-up, and every open flag."""
    return [i for i in everything_due(cases, as_of, calendar, roster) if i.state != sla.PENDING]


def agenda(
    cases: Sequence[Case], handle: str, as_of: datetime, calendar: Calendar | None, roster: Roster
) -> list[Item]:
    """What is due or overdue for one person: their targets, follow-ups and flags raised to them."""
    return [i for i in everything_due(cases, as_of, calendar, roster) if i.person == handle]


@dataclass(frozen=True, slots=True)
class Load:
    person: str
    roles: tuple[str, ...]
    points: int
    capacity: int
    by_priority: dict[str, int]
    cases: tuple[str, ...]
    away: str


def workload(cases: Sequence[Case], roster: Roster, policy: Policy, as_of: datetime) -> list[Load]:
    """Open cases per person against capacity (points: each case weighted by its priority)."""
    open_cases = [c for c in cases if is_open(c)]
    rows = []
    for person in roster.people.values():
        if not person.roles & {"handler", "resolution_officer"} or not person.is_active(
            as_of.date()
        ):
            continue
        theirs = [c for c in open_cases if person.handle in c.case_team()]
        counts = {p: sum(1 for c in theirs if c.priority == p) for p in policy.priorities}
        absence = person.absence_on(as_of.date())
        rows.append(
            Load(
                person.handle,
                tuple(sorted(person.roles)),
                points_of(person.handle, open_cases, policy),
                person.capacity,
                counts,
                tuple(sorted(c.id for c in theirs)),
                f"{absence.start}..{absence.end} ({absence.reason})" if absence else "",
            )
        )
    return sorted(rows, key=lambda r: (-r.points / max(r.capacity, 1), r.person))


def at_a_glance(
    case: Case, as_of: datetime, calendar: Calendar | None, roster: Roster
) -> dict[str, Any]:
    """`casetrail status`: who, what is due, what blocks closure."""
    team = {role: case.assignee(role) for role in ("handler", "resolution_officer")}
    targets = [
        {
            "target": r.deadline.target,
            "due": r.deadline.due,
            "state": r.state,
            "done": r.deadline.done,
            "late": sla.describe_seconds(r.late_by_seconds) if r.late_by_seconds else "",
        }
        for r in sla.states(case, as_of, calendar)
    ]
    open_work = lifecycle.rank(case.status) >= lifecycle.rank(lifecycle.IN_PROGRESS) and is_open(
        case
    )
    return {
        "id": case.id,
        "title": case.data["title"],
        "type": case.type,
        "status": case.status,
        "priority": case.priority,
        "team": team,
        "targets": targets,
        "followups": [asdict(i) for i in followup_items(case, as_of, roster)],
        "flags": [i.what for i in flag_items(case)],
        "closure_blockers": blockers(case) if open_work else [],
        "retention": case.data.get("retention"),
    }
