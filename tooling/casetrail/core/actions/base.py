"""What every step needs: who acts, when, under which policy; and how a step says no."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from casetrail.core import lifecycle
from casetrail.core.businesstime import Calendar
from casetrail.core.case import Case
from casetrail.core.config import Person, Policy, Roster
from casetrail.core.formats import parse_datetime
from casetrail.core.sla import stamp
from casetrail.core.yamledit import Op

ROLE_WORDS = {
    "intake": "an intake officer",
    "handler": "a case handler",
    "resolution_officer": "a resolution officer",
    "supervisor": "a supervisor",
    "records_officer": "a records officer",
    "it_admin": "an IT administrator",
    "auditor": "an auditor",
}


class Refusal(Exception):
    """The procedure forbids this step; the message says why, the hint what to do instead."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Act:
    """The acting person, the moment the step happened, and the office's rules."""

    policy: Policy
    roster: Roster
    calendar: Calendar
    actor: Person
    now: datetime  # aware, in the calendar's zone

    @property
    def at(self) -> str:
        return stamp(self.now)

    def person(self, handle: str, what: str) -> Person:
        person = self.roster.people.get(handle)
        if person is None:
            raise Refusal(f"{what} {handle}: no such person in schema/roster.yaml")
        if not person.is_active(self.now.date()):
            raise Refusal(f"{what} {handle} is not active on {self.now.date()} (see the roster)")
        return person


@dataclass(frozen=True, slots=True)
class Change:
    """Edits to one case and what to tell the user about them."""

    ops: list[Op]
    message: str
    data: dict[str, Any] = field(default_factory=dict)


def roles_text(roles: Iterable[str]) -> str:
    return " or ".join(ROLE_WORDS.get(r, r) for r in roles)


def require_role(person: Person, roles: Iterable[str], doing: str) -> None:
    wanted = tuple(roles)
    if not person.roles & set(wanted):
        raise Refusal(
            f"{person.handle} cannot {doing}: that needs {roles_text(wanted)}",
            "act as someone who holds the role (git user.email or --by), or update the roster",
        )


def require_team_or_role(case: Case, person: Person, roles: Iterable[str], doing: str) -> None:
    """The case's handler or resolution officer, or someone with one of `roles`."""
    if person.handle in case.case_team():
        return
    wanted = tuple(roles)
    if not person.roles & set(wanted):
        raise Refusal(
            f"{person.handle} cannot {doing}: only the case's handler or resolution officer"
            + (f", or {roles_text(wanted)}," if wanted else "")
            + " may"
        )


def require_status(case: Case, allowed: Iterable[str], doing: str, forward: bool = True) -> None:
    """`forward`: the step moves the case on, so the hint says what must come first."""
    wanted = tuple(allowed)
    if case.status not in wanted:
        raise Refusal(
            f"cannot {doing}: {case.id} is {case.status.replace('_', ' ')}",
            lifecycle.WHY.get(case.status, "") if forward else "",
        )


def require_working(case: Case, doing: str) -> None:
    """New work is not added to a case waiting for its closure approval, nor to a closed one."""
    require_open(case, doing)
    if case.status == lifecycle.CLOSURE_REQUESTED:
        raise Refusal(
            f"cannot {doing}: closure of {case.id} has been requested",
            "a supervisor returns the request to work first (casetrail return-closure)",
        )


STAFF_ROLES = frozenset(
    {"intake", "handler", "resolution_officer", "supervisor", "records_officer"}
)


def require_staff(person: Person, doing: str) -> None:
    """Auditors and IT administrators read; they do not change cases."""
    require_role(person, sorted(STAFF_ROLES), doing)


def require_open(case: Case, doing: str) -> None:
    require_status(case, [s for s in lifecycle.STATUSES if s != lifecycle.CLOSED], doing)


def require_after(case: Case, act: Act, when: str, what: str) -> None:
    """Entries are chronological: a step cannot be dated before what it depends on."""
    if act.now < parse_datetime(when):
        raise Refusal(f"{act.at} is before {what} ({when}); check --at")


def one_line(text: str, what: str, limit: int = 500) -> str:
    """Free text for the front matter: one non-empty line, within the schema's limit."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise Refusal(f"{what} is empty; say it in a few words")
    if len(cleaned) > limit:
        raise Refusal(f"{what} is {len(cleaned)} characters; keep it under {limit}")
    return cleaned
