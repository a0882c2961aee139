"""The retention schedule (SOP 001 §4.6, SOP 002 §4.6): when each closed record leaves the office.

Pure: closed cases and a date in, rows out. A case's retention (until, disposition, rule) is set
at closure from the policy; a legal hold suspends it. `due` rows are those whose period has
ended: the records office archives or destroys them (the destruction procedure is issue 8's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from casetrail.core.case import Case
from casetrail.core.formats import parse_date

DUE, HELD, SCHEDULED, MISSING = "due", "legal hold", "scheduled", "not scheduled"


@dataclass(frozen=True, slots=True)
class Row:
    case: str
    type: str
    closed_at: str
    until: str
    disposition: str
    rule: str
    state: str  # DUE, HELD, SCHEDULED or MISSING


def schedule(cases: Sequence[Case], today: date) -> list[Row]:
    """Every closed case with its retention, ordered by the date it ends (missing ones first)."""
    rows = []
    for case in cases:
        if case.status != "closed":
            continue
        kept = case.data.get("retention")
        closed_at = str(case.closure().get("closed_at", ""))
        if not isinstance(kept, dict) or "until" not in kept:
            rows.append(Row(case.id, case.type, closed_at, "", "", "", MISSING))
            continue
        until = str(kept["until"])
        if kept.get("legal_hold") is True:
            state = HELD
        else:
            state = DUE if parse_date(until) <= today else SCHEDULED
        rows.append(
            Row(
                case.id,
                case.type,
                closed_at,
                until,
                str(kept.get("disposition", "")),
                str(kept.get("rule", "")),
                state,
            )
        )
    return sorted(rows, key=lambda r: (r.state != MISSING, r.until, r.case))
