"""Closure: the request with outcome and lessons learned, the closing checklist, reopening.

SOP 000 §4-5 (closure request, criteria), SOP 002 §4.4-5 (sign-off, checklist), SOP 003 §3
(the resolution officer documents the outcome and lessons learned). The supervisor's approval
itself is the merge of the pull request that closes the case; the audit proves it from git.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from casetrail.core import lifecycle, sla
from casetrail.core.actions.base import (
    Act,
    Change,
    Refusal,
    one_line,
    require_after,
    require_role,
    require_status,
    roles_text,
)
from casetrail.core.case import Case
from casetrail.core.config import ChecklistItem
from casetrail.core.formats import is_datetime, parse_datetime
from casetrail.core.rules.status import unmet_criteria
from casetrail.core.yamledit import Append, Delete, Op, Set

OUTCOMES = ("resolved", "partly_resolved", "not_upheld", "withdrawn", "referred")


def blockers(case: Case) -> list[str]:
    """What stands between the case and closure, in plain words (empty: the criteria are met)."""
    # An acknowledged handler is not listed: CT320 already requires it of every case in
    # progress, and only valid cases reach the commands.
    return [f.message + (f" ({f.hint})" if f.hint else "") for f in unmet_criteria(case)]


def latest_event(case: Case) -> str | None:
    """The latest timestamp the record holds (due times are targets, not events)."""
    found: list[datetime] = []

    def walk(value: object, key: str) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                if name != "due":
                    walk(item, name)
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, str) and (key == "at" or key.endswith("_at")) and is_datetime(value):
            found.append(parse_datetime(value))

    walk(case.data, "")
    return max(found).isoformat() if found else None


def _tick(spec: ChecklistItem, at: str, by: str) -> Append:
    return Append(("closure", "checklist"), {"item": spec.item, "done_at": at, "done_by": by})


def request_closure(case: Case, act: Act, outcome: str, summary: str, lessons: str) -> Change:
    """The case team asks for closure once every criterion is met, and ticks its items."""
    require_status(case, (lifecycle.IN_PROGRESS,), "request closure")
    if act.actor.handle not in case.case_team():
        raise Refusal(
            f"{act.actor.handle} cannot request closure: only the case's handler or resolution officer may"
        )
    unmet = blockers(case)
    if unmet:
        raise Refusal(
            f"{case.id} does not meet the closure criteria yet:\n  - " + "\n  - ".join(unmet),
            "SOP 000 §5: follow-ups done, no open issues, stakeholders notified and in agreement",
        )
    latest = latest_event(case)
    if latest is not None:
        require_after(case, act, latest, "the latest entry in the case")
    if outcome not in OUTCOMES:
        raise Refusal(f"--outcome {outcome}: one of " + ", ".join(OUTCOMES))
    ops: list[Op] = [
        Set(("closure", "requested_at"), act.at),
        Set(("closure", "requested_by"), act.actor.handle),
        Set(("closure", "outcome"), outcome),
        Set(("closure", "outcome_summary"), one_line(summary, "--summary")),
        Set(("closure", "lessons_learned"), one_line(lessons, "--lessons")),
    ]
    for spec in act.policy.checklist:
        if spec.when != "request":
            continue
        if not case.holds(act.actor.handle, act.actor.roles, spec.responsible):
            raise Refusal(
                f"checklist item {spec.item} needs {', '.join(spec.responsible)}; ask them to request closure"
            )
        ops.append(_tick(spec, act.at, act.actor.handle))
    ops.append(Set(("status",), lifecycle.CLOSURE_REQUESTED))
    return Change(
        ops,
        f"{case.id} closure requested ({outcome.replace('_', ' ')}); a supervisor approves by merging",
    )


def close(case: Case, act: Act, approved_by: str) -> Change:
    """Complete the checklist, schedule retention from the policy, and close."""
    require_status(case, (lifecycle.CLOSURE_REQUESTED,), "close")
    supervisor = act.person(approved_by, "--approved-by")
    if "supervisor" not in supervisor.roles:
        raise Refusal(f"--approved-by {approved_by} is not a supervisor (SOP 000 §4)")
    if supervisor.handle in case.case_team() or supervisor.handle == case.closure().get(
        "requested_by"
    ):
        raise Refusal(
            f"{approved_by} is on the case team; another supervisor must approve its closure"
        )
    unmet = blockers(case)
    if unmet:
        raise Refusal(
            f"{case.id} no longer meets the closure criteria:\n  - " + "\n  - ".join(unmet)
        )
    require_after(case, act, case.closure()["requested_at"], "the closure request")
    case_type = act.policy.case_types.get(case.type)
    if case_type is None:
        raise Refusal(f"case type {case.type} is not in the policy; fix the case first")
    ops: list[Op] = []
    for spec in act.policy.checklist:
        if spec.when != "close":
            continue
        if "supervisor" in spec.responsible:  # the approval is the named supervisor's
            ops.append(_tick(spec, act.at, supervisor.handle))
        elif case.holds(act.actor.handle, act.actor.roles, spec.responsible):
            ops.append(_tick(spec, act.at, act.actor.handle))
        else:
            raise Refusal(
                f"{act.actor.handle} cannot complete checklist item {spec.item} ({spec.label}): "
                f"it needs {roles_text(spec.responsible)}",
                "the records office runs casetrail close; the supervisor approves by merging",
            )
    until = case_type.retention_until(act.now.date())
    retention = {
        "until": until.isoformat(),
        "disposition": case_type.disposition,
        "rule": case_type.retention_rule,
    }
    ops += [
        Set(("closure", "closed_at"), act.at),
        Set(("closure", "closed_by"), act.actor.handle),
        Set(("retention",), retention),
        Set(("status",), lifecycle.CLOSED),
    ]
    return Change(
        ops,
        f"{case.id} closed with {approved_by}'s approval; kept until {until} ({case_type.disposition})",
        {"retention": retention},
    )


def return_request(case: Case, act: Act, reason: str) -> Change:
    """A supervisor sends a closure request back to work; the request is kept as a review."""
    require_role(act.actor, ("supervisor",), "return a closure request")
    require_status(
        case, (lifecycle.CLOSURE_REQUESTED,), "return the closure request", forward=False
    )
    review = {
        "at": act.at,
        "by": act.actor.handle,
        "summary": one_line(f"closure request returned to work: {reason}", "--reason"),
    }
    return Change(
        [
            Append(("reviews",), review),
            Delete(("closure",)),
            Set(("status",), lifecycle.IN_PROGRESS),
            Set(
                ("due", "next_review"),
                sla.due(act.policy, act.calendar, "review", act.now, case.priority),
            ),
        ],
        f"{case.id} closure request returned to work",
    )


def reopen(case: Case, act: Act, reason: str) -> Change:
    """SOP 000: only a supervisor reopens; the undone closure stays in the record."""
    require_role(act.actor, ("supervisor",), "reopen a case")
    require_status(case, (lifecycle.CLOSED,), "reopen", forward=False)
    require_after(case, act, case.closure()["closed_at"], "the closure")
    entry: dict[str, Any] = {
        "at": act.at,
        "by": act.actor.handle,
        "reason": one_line(reason, "--reason"),
        "previous_closure": case.closure(),
    }
    if isinstance(case.data.get("retention"), dict):
        entry["previous_retention"] = case.data["retention"]
    policy, calendar = act.policy, act.calendar
    ops: list[Op] = [Append(("reopenings",), entry), Delete(("closure",))]
    if "retention" in case.data:
        ops.append(Delete(("retention",)))
    # Their earlier agreement was to the closure now undone: they are asked again.
    for index, party in enumerate(case.entries("stakeholders")):
        if "notified_of_closure_at" in party:
            ops.append(Delete(("stakeholders", index, "notified_of_closure_at")))
        if "agreement" in party:
            ops.append(Set(("stakeholders", index, "agreement"), "pending"))
    ops += [
        Set(("status",), lifecycle.IN_PROGRESS),
        Set(("due", "resolution"), sla.due(policy, calendar, "resolution", act.now, case.priority)),
        Set(("due", "next_review"), sla.due(policy, calendar, "review", act.now, case.priority)),
    ]
    return Change(ops, f"{case.id} reopened by {act.actor.handle}")


def legal_hold(case: Case, act: Act, reason: str, release: bool = False) -> Change:
    """SOP 001 §4.6.1, SOP 002 §4.6: a legal hold suspends a closed case's disposal; placing
    and releasing it are the records office's, with the reason kept in the record."""
    doing = "release a legal hold" if release else "place a legal hold"
    require_role(act.actor, ("records_officer",), doing)
    require_status(case, (lifecycle.CLOSED,), doing, forward=False)
    kept = case.data.get("retention")
    if not isinstance(kept, dict):
        raise Refusal(f"cannot {doing}: {case.id} has no retention scheduled")
    held = kept.get("legal_hold") is True
    if held != release:
        state = "is not under a legal hold" if release else "is under a legal hold already"
        raise Refusal(f"cannot {doing}: {case.id} {state}")
    require_after(case, act, case.closure()["closed_at"], "the closure")
    entry = {
        "at": act.at,
        "by": act.actor.handle,
        "action": "release" if release else "hold",
        "reason": one_line(reason, "--reason"),
    }
    ops: list[Op] = [Append(("retention", "holds"), entry)]
    ops.append(
        Delete(("retention", "legal_hold")) if release else Set(("retention", "legal_hold"), True)
    )
    verb = "released from" if release else "placed under"
    return Change(ops, f"{case.id} {verb} legal hold by {act.actor.handle}")
