"""Case statuses and the transitions the procedure allows between two committed versions."""

from __future__ import annotations

NEW = "new"
ASSIGNED = "assigned"
IN_PROGRESS = "in_progress"
CLOSURE_REQUESTED = "closure_requested"
CLOSED = "closed"

STATUSES = (NEW, ASSIGNED, IN_PROGRESS, CLOSURE_REQUESTED, CLOSED)

# Registration -> assignment (approved) -> acknowledgement -> closure request -> supervisor's
# merge closes. A returned request goes back to work; only `reopen` leaves `closed`. A
# reassignment during the work sends the case back to `assigned` until the new handler acks.
TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({ASSIGNED}),
    ASSIGNED: frozenset({IN_PROGRESS}),
    IN_PROGRESS: frozenset({CLOSURE_REQUESTED, ASSIGNED}),
    CLOSURE_REQUESTED: frozenset({IN_PROGRESS, CLOSED}),
    CLOSED: frozenset({IN_PROGRESS}),
}

WHY = {
    NEW: "a new case must first be assigned (casetrail assign)",
    ASSIGNED: "the assignee must acknowledge first (casetrail ack)",
    IN_PROGRESS: "closure must be requested first (casetrail request-closure), or the case "
    "reassigned (casetrail assign)",
    CLOSURE_REQUESTED: "a requested closure is either closed or returned to work",
    CLOSED: "a closed case only changes through casetrail reopen",
}


def rank(status: str) -> int:
    return STATUSES.index(status)


def allowed(before: str, after: str) -> bool:
    """Between two committed versions a pull request may take several steps forward (request and
    close on one branch): every status's own requirements are checked in the file itself. Going
    back is only what the procedure allows: a returned request, a reassignment, a reopening."""
    if before == after or after in TRANSITIONS.get(before, frozenset()):
        return True
    if after in (NEW,) or before not in STATUSES or after not in STATUSES:
        return False
    return rank(after) > rank(before) or (before, after) in _BACK_IN_ONE_CHANGE


# A reopened case worked on again, or a returned request reassigned, in the same pull request.
_BACK_IN_ONE_CHANGE = frozenset(
    {(CLOSED, ASSIGNED), (CLOSED, CLOSURE_REQUESTED), (CLOSURE_REQUESTED, ASSIGNED)}
)
