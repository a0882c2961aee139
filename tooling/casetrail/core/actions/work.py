"""The handler's work on an open case: follow-ups, communications, reviews, disclosures.

SOP 000 §4 (milestones, weekly review, follow-up tasks), §6 (communications), SOP 001 §4.3
(disclosure with consent or legal basis), §4.4 (reviews).
"""

from __future__ import annotations

from casetrail.core import sla
from casetrail.core.actions.base import (
    STAFF_ROLES,
    Act,
    Change,
    Refusal,
    one_line,
    require_after,
    require_open,
    require_team_or_role,
    require_working,
)
from casetrail.core.actions.intake import stakeholder_index
from casetrail.core.case import Case
from casetrail.core.formats import is_date
from casetrail.core.yamledit import Append, Set

WORK_ROLES = ("supervisor",)  # besides the case team


def add_followup(case: Case, act: Act, title: str, owner: str, due: str) -> Change:
    require_working(case, "add a follow-up")
    require_team_or_role(case, act.actor, WORK_ROLES, "add a follow-up")
    person = act.person(owner, "--owner")
    if not person.roles & STAFF_ROLES:
        raise Refusal(
            f"--owner {owner} is not case staff (roles: {', '.join(sorted(person.roles))})"
        )
    if not is_date(due):
        raise Refusal(f"--due {due!r} is not a date like 2026-11-30")
    if due < act.now.date().isoformat():
        raise Refusal(f"--due {due} is before today ({act.now.date()})")
    numbers = [int(f["id"][1:]) for f in case.entries("followups")]
    task_id = f"F{max(numbers, default=0) + 1}"
    entry = {
        "id": task_id,
        "title": one_line(title, "--title"),
        "owner": owner,
        "created_at": act.at,
        "created_by": act.actor.handle,
        "due": due,
    }
    return Change(
        [Append(("followups",), entry)],
        f"{case.id} follow-up {task_id} for {owner}, due {due}",
        {"followup": task_id},
    )


def complete_followup(case: Case, act: Act, task_id: str, outcome: str) -> Change:
    tasks = case.entries("followups")
    index = next((i for i, t in enumerate(tasks) if t["id"] == task_id.upper()), None)
    if index is None:
        known = ", ".join(t["id"] for t in tasks) or "none"
        raise Refusal(f"{case.id} has no follow-up {task_id} (it has: {known})")
    task = tasks[index]
    if "done_at" in task:
        raise Refusal(
            f"follow-up {task['id']} was already done at {task['done_at']} by {task['done_by']}"
        )
    if act.actor.handle != task["owner"]:
        require_team_or_role(case, act.actor, WORK_ROLES, f"complete {task['owner']}'s follow-up")
    require_after(case, act, task["created_at"], "the follow-up was created")
    return Change(
        [
            Set(("followups", index, "done_at"), act.at),
            Set(("followups", index, "done_by"), act.actor.handle),
            Set(("followups", index, "outcome"), one_line(outcome, "--outcome")),
        ],
        f"{case.id} follow-up {task['id']} done",
    )


def contact(
    case: Case, act: Act, stakeholder: str, channel: str, direction: str, summary: str
) -> Change:
    """A one-line, non-sensitive log entry; details belong in the encrypted Progress notes."""
    require_open(case, "log a communication")
    require_team_or_role(case, act.actor, WORK_ROLES, "log a communication")
    index = stakeholder_index(case, stakeholder)
    if channel not in act.policy.channels:
        raise Refusal(f"--channel {channel}: one of " + ", ".join(sorted(act.policy.channels)))
    entry = {
        "at": act.at,
        "by": act.actor.handle,
        "stakeholder": case.entries("stakeholders")[index]["ref"],
        "channel": channel,
        "direction": direction,
        "summary": one_line(summary, "--summary"),
    }
    return Change(
        [Append(("communications",), entry)],
        f"{case.id} {direction} {channel} with {entry['stakeholder']} logged",
    )


def review(case: Case, act: Act, summary: str) -> Change:
    """SOP 000 §4: the periodic review; the next one falls due from this one."""
    require_open(case, "review it")
    require_team_or_role(case, act.actor, WORK_ROLES, "review the case")
    reviews = case.entries("reviews")
    if reviews:
        require_after(case, act, reviews[-1]["at"], "the last review")
    entry = {"at": act.at, "by": act.actor.handle, "summary": one_line(summary, "--summary")}
    next_review = sla.due(act.policy, act.calendar, "review", act.now, case.priority)
    return Change(
        [Append(("reviews",), entry), Set(("due", "next_review"), next_review)],
        f"{case.id} reviewed; next review due {next_review}",
    )


def disclose(
    case: Case, act: Act, recipient: str, basis: str, reference: str | None, summary: str
) -> Change:
    """SOP 001 §4.3: information leaves the team only with consent or a legal basis, recorded."""
    require_open(case, "record a disclosure")
    require_team_or_role(case, act.actor, WORK_ROLES, "record a disclosure")
    entry = {
        "at": act.at,
        "by": act.actor.handle,
        "recipient": one_line(recipient, "--recipient"),
        "basis": basis,
    }
    if reference:
        entry["reference"] = one_line(reference, "--reference")
    elif basis == "legal_obligation":
        raise Refusal("a disclosure under a legal obligation needs --reference (the law or order)")
    entry["summary"] = one_line(summary, "--summary")
    return Change(
        [Append(("disclosures",), entry)],
        f"{case.id} disclosure to {entry['recipient']} recorded ({basis})",
    )
