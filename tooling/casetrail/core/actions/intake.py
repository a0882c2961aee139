"""Intake and the case's standing facts: assessment, priority, stakeholders, conflicts, flags.

SOP 001 §4.1 (verification at entry), SOP 003 §1, §4 (priority, reassessment), SOP 004 §4.1
(assessment), SOP 001 §4.4 and SOP 000 §6 (urgent flags, escalation).
"""

from __future__ import annotations

from casetrail.core import sla
from casetrail.core.actions.base import (
    Act,
    Change,
    Refusal,
    one_line,
    require_after,
    require_open,
    require_role,
    require_staff,
    require_team_or_role,
    require_working,
)
from casetrail.core.case import Case
from casetrail.core.formats import parse_datetime
from casetrail.core.yamledit import Append, Op, Set

INTAKE_ROLES = ("intake", "supervisor")


def assess(case: Case, act: Act, notes: str | None) -> Change:
    """SOP 004 §4.1: the intake team evaluates the case; starts the selection target."""
    require_role(act.actor, INTAKE_ROLES, "assess a case")
    require_working(case, "assess it")
    if "assessed_at" in case.data.get("intake", {}):
        raise Refusal(f"{case.id} was already assessed at {case.data['intake']['assessed_at']}")
    require_after(case, act, case.data["received_at"], "the case was received")
    ops: list[Op] = [
        Set(("intake", "assessed_at"), act.at),
        Set(("intake", "assessed_by"), act.actor.handle),
        Set(
            ("due", "selection"),
            sla.due(act.policy, act.calendar, "selection", act.now, case.priority),
        ),
    ]
    if notes:
        ops.append(Set(("intake", "notes"), one_line(notes, "--notes")))
    return Change(ops, f"{case.id} assessed by {act.actor.handle}")


def verify(case: Case, act: Act) -> Change:
    """SOP 001 §4.1: a second person verifies the intake record at the point of entry."""
    require_role(act.actor, INTAKE_ROLES, "verify an intake record")
    require_open(case, "verify its intake record")
    intake = case.data.get("intake", {})
    if "assessed_at" not in intake:
        raise Refusal(f"{case.id} has not been assessed yet", "casetrail assess CASE first")
    if "verified_at" in intake:
        raise Refusal(f"{case.id} was already verified at {intake['verified_at']}")
    if intake.get("assessed_by") == act.actor.handle:
        raise Refusal("the person who assessed the case cannot also verify it (four eyes)")
    require_after(case, act, intake["assessed_at"], "the assessment")
    return Change(
        [Set(("intake", "verified_at"), act.at), Set(("intake", "verified_by"), act.actor.handle)],
        f"{case.id} intake verified by {act.actor.handle}",
    )


def priority(case: Case, act: Act, level: str, reason: str) -> Change:
    """SOP 003 §4: set or reassess the priority with a reason; targets move with it."""
    require_working(case, "change its priority")
    require_team_or_role(case, act.actor, INTAKE_ROLES, "reassess the priority")
    if level not in act.policy.priorities:
        raise Refusal(f"priority {level}: one of " + ", ".join(act.policy.priorities))
    if level == case.priority:
        raise Refusal(f"{case.id} is already {level} priority")
    require_after(case, act, case.entries("priority_history")[-1]["at"], "the last assessment")
    entry = {
        "at": act.at,
        "by": act.actor.handle,
        "from": case.priority,
        "to": level,
        "reason": one_line(reason, "--reason"),
    }
    ops: list[Op] = [Set(("priority",), level), Append(("priority_history",), entry)]
    # The new targets run from the reassessment: the case is judged by what it is now.
    if case.current_assignment("handler") is None and not _any_handler(case):
        ops.append(
            Set(
                ("due", "assignment"),
                sla.due(act.policy, act.calendar, "assignment", act.now, level),
            )
        )
    if "requested_at" not in case.closure():
        ops.append(
            Set(
                ("due", "resolution"),
                sla.due(act.policy, act.calendar, "resolution", act.now, level),
            )
        )
    return Change(ops, f"{case.id} priority {case.priority} -> {level}")


def _any_handler(case: Case) -> bool:
    return any(a["role"] == "handler" for a in case.entries("assignments"))


def add_stakeholder(case: Case, act: Act, role: str) -> Change:
    """A party by pseudonymous reference; who they are goes in the encrypted Parties section."""
    require_working(case, "add a stakeholder")
    require_team_or_role(case, act.actor, INTAKE_ROLES, "add a stakeholder")
    if role not in act.policy.stakeholder_roles:
        raise Refusal(
            f"stakeholder role {role}: one of " + ", ".join(sorted(act.policy.stakeholder_roles))
        )
    refs = {int(s["ref"][1:]) for s in case.entries("stakeholders")}
    ref = f"S{max(refs, default=0) + 1}"
    return Change(
        [Append(("stakeholders",), {"ref": ref, "role": role})],
        f"{case.id} stakeholder {ref} ({role}) added; put their details in the Parties section",
        {"ref": ref},
    )


def stakeholder_response(case: Case, act: Act, ref: str, agreement: str) -> Change:
    """SOP 000 §4: stakeholders notified of the intended closure, and their answer."""
    require_working(case, "record a stakeholder's response")
    require_team_or_role(case, act.actor, ("supervisor",), "record a stakeholder's response")
    index = stakeholder_index(case, ref)
    ops: list[Op] = [Set(("stakeholders", index, "agreement"), agreement)]
    if "notified_of_closure_at" not in case.entries("stakeholders")[index]:
        ops.insert(0, Set(("stakeholders", index, "notified_of_closure_at"), act.at))
    return Change(ops, f"{case.id} stakeholder {ref}: {agreement.replace('_', ' ')}")


def stakeholder_index(case: Case, ref: str) -> int:
    """A stakeholder by reference (S2), or by role when exactly one holds it (complainant)."""
    parties = case.entries("stakeholders")
    for index, party in enumerate(parties):
        if party["ref"] == ref.upper():
            return index
    by_role = [index for index, party in enumerate(parties) if party["role"] == ref]
    if len(by_role) == 1:
        return by_role[0]
    known = ", ".join(f"{s['ref']} ({s['role']})" for s in parties) or "none yet"
    what = "more than one stakeholder has the role" if by_role else "no stakeholder"
    raise Refusal(
        f"{case.id}: {what} {ref} (known: {known})",
        "casetrail stakeholder add CASE --role ROLE",
    )


def declare_conflict(case: Case, act: Act, handle: str, reason: str) -> Change:
    """SOP 003 §2, SOP 004 §3: a declared conflict bars the person from the case."""
    require_open(case, "declare a conflict of interest")
    require_staff(act.actor, "declare a conflict of interest")
    person = act.person(handle, "--person")
    if any(c["person"] == handle for c in case.entries("conflicts")):
        raise Refusal(f"a conflict of interest for {handle} is already declared on {case.id}")
    if person.handle in case.case_team():
        raise Refusal(
            f"{handle} is assigned to {case.id}; reassign the case first (casetrail assign ... --reason)"
        )
    entry = {
        "person": handle,
        "declared_at": act.at,
        "declared_by": act.actor.handle,
        "reason": one_line(reason, "--reason"),
    }
    return Change(
        [Append(("conflicts",), entry)], f"{case.id} conflict of interest declared for {handle}"
    )


def raise_flag(case: Case, act: Act, kind: str, reason: str, to: str | None) -> Change:
    """An urgent flag (SOP 001 §4.4) or an escalation to a supervisor (SOP 000 §6, SOP 003 §6-7)."""
    require_working(case, f"raise an {kind} flag")
    require_staff(act.actor, f"raise an {kind} flag")
    entry = {"kind": kind, "raised_at": act.at, "raised_by": act.actor.handle}
    if to is not None:
        supervisor = act.person(to, "--to")
        if "supervisor" not in supervisor.roles:
            raise Refusal(
                f"--to {to} is not a supervisor; flags and escalations go to a supervisor"
            )
        entry["to"] = to
    elif kind == "escalation":
        raise Refusal("an escalation needs --to SUPERVISOR")
    entry["reason"] = one_line(reason, "--reason")
    number = len(case.entries("flags")) + 1
    return Change(
        [Append(("flags",), entry)],
        f"{case.id} {kind} flag {number} raised" + (f" to {to}" if to else ""),
        {"flag": number},
    )


def resolve_flag(case: Case, act: Act, number: int, resolution: str) -> Change:
    """An escalation is resolved by a supervisor; an urgent flag also by the case team."""
    flags = case.entries("flags")
    if not 1 <= number <= len(flags):
        raise Refusal(f"{case.id} has no flag {number} (it has {len(flags)})")
    flag = flags[number - 1]
    if "resolved_at" in flag:
        raise Refusal(f"flag {number} was already resolved at {flag['resolved_at']}")
    team_may = flag["kind"] == "urgent" and act.actor.handle in case.case_team()
    if "supervisor" not in act.actor.roles and not team_may:
        who = "a supervisor" if flag["kind"] == "escalation" else "a supervisor or the case team"
        raise Refusal(
            f"{act.actor.handle} cannot resolve {flag['kind']} flag {number}: only {who} may"
        )
    if act.now < parse_datetime(flag["raised_at"]):
        raise Refusal(f"{act.at} is before the flag was raised ({flag['raised_at']})")
    index = number - 1
    return Change(
        [
            Set(("flags", index, "resolved_at"), act.at),
            Set(("flags", index, "resolved_by"), act.actor.handle),
            Set(("flags", index, "resolution"), one_line(resolution, "--resolution")),
        ],
        f"{case.id} flag {number} resolved",
    )
