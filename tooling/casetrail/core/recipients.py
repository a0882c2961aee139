"""Who a case's sensitive sections are encrypted to, from the policy and the roster."""

from __future__ import annotations

from casetrail.core.case import Case
from casetrail.core.config import CASE_TEAM, Policy, Roster


def for_case(case: Case, policy: Policy, roster: Roster) -> list[str]:
    """age recipients of the case's current recipient classes (open or closed)."""
    classes = policy.raw["recipients"]["closed" if case.status == "closed" else "open"]
    handles: set[str] = set()
    keys: set[str] = set()
    for kind in classes:
        if kind == CASE_TEAM:
            handles |= case.case_team()
        elif kind == "registered_by":
            handles.add(str(case.data["registered_by"]))
        elif kind == "escrow":
            keys |= {e["age_recipient"] for e in roster.raw["escrow"] if "valid_until" not in e}
        else:
            handles |= {p.handle for p in roster.with_role(kind) if p.left_at is None}
    keys |= {roster.people[h].age_recipient for h in handles if h in roster.people}
    return sorted(keys)
