"""The periodic report of SOP 001 §4.5: key activities, outcomes and lessons learned, next steps
and SLA compliance over a calendar month or an ISO week.

Pure: cases (front matter only, never a section), the period, the office's time zone and the
moment of the report in; a JSON-able dict out, and Markdown from a template given as text.
A period is a range of local dates in the office's zone: an entry belongs to it when its
timestamp, read in that zone, falls on one of those dates. The records are read as they stand;
`as_of` is the moment at which open items are judged (pending or breached, overdue or not).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from casetrail.core import lifecycle, sla
from casetrail.core.businesstime import Calendar, Duration
from casetrail.core.case import Case, Entry
from casetrail.core.config import Policy
from casetrail.core.formats import is_datetime, parse_date, parse_datetime

FORMAT = "casetrail-report/1"  # the JSON shape's version; bump it when a key changes meaning
PERIOD_HELP = "--period must be YYYY-MM or YYYY-Www, e.g. 2026-11 or 2026-W47"
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_WEEK = re.compile(r"([0-9]{4})-[Ww]([0-9]{2})")
_ACTIVE = (lifecycle.ASSIGNED, lifecycle.IN_PROGRESS)  # statuses in which reviews are due


# ---- periods ----


@dataclass(frozen=True, slots=True)
class Period:
    label: str  # "2026-11" or "2026-W47"
    kind: str  # "month" or "week"
    start: date
    end: date  # inclusive

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end

    def following(self) -> Period:
        """The next month or ISO week: the horizon of the report's next steps."""
        after = self.end + timedelta(days=1)
        if self.kind == "month":
            return _month(after.year, after.month)
        return _week(*after.isocalendar()[:2])


def _month(year: int, month: int) -> Period:
    start = date(year, month, 1)
    after = date(year + month // 12, month % 12 + 1, 1)
    return Period(f"{year:04d}-{month:02d}", "month", start, after - timedelta(days=1))


def _week(year: int, week: int) -> Period:
    start = date.fromisocalendar(year, week, 1)
    return Period(f"{year:04d}-W{week:02d}", "week", start, start + timedelta(days=6))


def parse_period(text: str) -> Period:
    """A calendar month (2026-11) or an ISO week, Monday to Sunday (2026-W47)."""
    month, week = _MONTH.fullmatch(text), _WEEK.fullmatch(text)
    found = month or week
    if found is None or not 1 <= int(found[1]) <= 9998:  # 9999 has no following period
        raise ValueError(f"{PERIOD_HELP}, not {text!r}")
    year = int(found[1])
    if month:
        if not 1 <= int(month[2]) <= 12:
            raise ValueError(f"{PERIOD_HELP}; {text!r} has no month {month[2]}")
        return _month(year, int(month[2]))
    assert week is not None
    last = date(year, 12, 28).isocalendar().week  # 28 December is always in the last week
    if not 1 <= int(week[2]) <= last:
        raise ValueError(f"{PERIOD_HELP}; {year} has ISO weeks W01 to W{last}, not W{week[2]}")
    return _week(year, int(week[2]))


def _day(stamp: str, zone: tzinfo) -> date:
    return parse_datetime(stamp).astimezone(zone).date()


# ---- key activities ----

Event = tuple[str, str | None]  # (timestamp, the group it is counted under in `by`, if any)
Extractor = Callable[[Case], Iterator[Event]]


def _listed(
    name: str, at: str, by: str | None = None, keep: Callable[[Entry], bool] | None = None
) -> Extractor:
    """Events from a list field: one per entry that has the timestamp `at`."""

    def extract(case: Case) -> Iterator[Event]:
        for entry in case.entries(name):
            if at in entry and (keep is None or keep(entry)):
                yield entry[at], str(entry[by]) if by and by in entry else None

    return extract


def _intake(at: str) -> Extractor:
    def extract(case: Case) -> Iterator[Event]:
        intake = case.data.get("intake")
        if isinstance(intake, dict) and at in intake:
            yield intake[at], None

    return extract


def closures(case: Case) -> Iterator[tuple[Entry, str | None]]:
    """Every closure the record holds, with when it was undone: reopenings keep the old ones."""
    for reopening in case.entries("reopenings"):
        previous = reopening.get("previous_closure")
        if isinstance(previous, dict):
            yield previous, reopening["at"]
    if case.closure():
        yield case.closure(), None


def _closure(at: str) -> Extractor:
    def extract(case: Case) -> Iterator[Event]:
        for closure, _ in closures(case):
            if at in closure:
                yield closure[at], closure.get("outcome")

    return extract


def _registered(case: Case) -> Iterator[Event]:
    yield case.data["registered_at"], case.type


# Key -> (label, events). The order is the report's order. A closure request that a supervisor
# returned is not in the record any more (only the review saying so), so it is not counted.
ACTIVITIES: dict[str, tuple[str, Extractor]] = {
    "registered": ("Cases registered", _registered),
    "assessed": ("Intake assessments", _intake("assessed_at")),
    "verified": ("Intake verifications", _intake("verified_at")),
    "assigned": ("Assignments made", _listed("assignments", "assigned_at", "role")),
    "acknowledged": ("Assignments acknowledged", _listed("assignments", "acknowledged_at", "role")),
    "reviews": ("Case reviews", _listed("reviews", "at")),
    "communications": ("Communications logged", _listed("communications", "at", "direction")),
    "disclosures": ("Disclosures outside the team", _listed("disclosures", "at", "basis")),
    "escalations": (
        "Escalations to a supervisor",
        _listed("flags", "raised_at", keep=lambda f: f["kind"] == "escalation"),
    ),
    "urgent_flags": (
        "Urgent flags raised",
        _listed("flags", "raised_at", keep=lambda f: f["kind"] == "urgent"),
    ),
    "followups_created": ("Follow-ups created", _listed("followups", "created_at")),
    "followups_done": ("Follow-ups done", _listed("followups", "done_at")),
    "priority_changes": (
        "Priority reassessments",
        _listed("priority_history", "at", "to", keep=lambda p: "from" in p),
    ),
    "closure_requests": ("Closure requests", _closure("requested_at")),
    "closures": ("Cases closed", _closure("closed_at")),
    "reopenings": ("Cases reopened", _listed("reopenings", "at")),
}


# ---- facts by local day ----


class _Days:
    """Items by the local date they happened on: a period collects its own by looking up its
    days, so one reading of the cases serves any number of periods."""

    def __init__(self) -> None:
        self.by_day: dict[date, list[Any]] = {}

    def add(self, day: date, item: Any) -> None:
        self.by_day.setdefault(day, []).append(item)

    def within(self, period: Period) -> Iterator[Any]:
        span = (period.end - period.start).days + 1
        if span > len(self.by_day):
            days: Iterable[date] = sorted(d for d in self.by_day if period.holds(d))
        else:
            days = (period.start + timedelta(n) for n in range(span))
        for day in days:
            yield from self.by_day.get(day, ())


def _activity_row(label: str, events: Iterable[tuple[str, str | None]]) -> dict[str, Any]:
    count, ids, groups = 0, set(), Counter[str]()
    for case_id, group in events:
        count += 1
        ids.add(case_id)
        if group:
            groups[group] += 1
    return {
        "label": label,
        "count": count,
        "cases": sorted(ids),
        "by": dict(sorted(groups.items())),
    }


def _outcome_row(case: Case, closure: Entry, reopened: str | None) -> dict[str, Any]:
    return {
        "id": case.id,
        "type": case.type,
        "title": case.data["title"],
        "closed_at": closure["closed_at"],
        "outcome": closure.get("outcome"),
        "outcome_summary": closure.get("outcome_summary"),
        "lessons_learned": closure.get("lessons_learned"),
        "reopened_at": reopened,
    }


def _outcomes(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Every closure in the period, including one that a later reopening undid (said so)."""
    ordered = sorted(rows, key=lambda r: (parse_datetime(r["closed_at"]).astimezone(UTC), r["id"]))
    kinds = Counter(str(r["outcome"]) for r in ordered)
    return {"count": len(ordered), "by_outcome": dict(sorted(kinds.items())), "cases": ordered}


# ---- periodic reviews: the chain of intervals the policy's review_every sets ----

Adder = Callable[[datetime], datetime]  # start -> due, in UTC


@dataclass(frozen=True, slots=True)
class ReviewSlot:
    """One interval in which a review was due: from the assignment or last review to `due`."""

    start: datetime
    due: datetime
    done: datetime | None  # the review that ended it
    missed: bool  # closure was requested after `due` without a review in between

    def state(self, as_of: datetime) -> str:
        if self.done is not None:
            return sla.MET if self.done <= self.due else sla.LATE
        return sla.BREACHED if self.missed or as_of > self.due else sla.PENDING


def review_adder(policy: Policy, zone: tzinfo, calendar: Calendar | None = None) -> Adder:
    """start + review_every. Without the business calendar only clock and calendar units work
    (a calendar with no working hours raises CalendarError for business units)."""
    every = Duration.from_mapping(policy.raw["targets"]["review_every"])
    office = calendar or Calendar("report", zone, {}, frozenset())
    return lambda start: office.add(start, every).astimezone(UTC)


def _review_events(case: Case) -> list[tuple[datetime, int]]:
    """Reviews (0), closure requests that pause the chain (1) and reopenings that resume it (2)."""
    events = [(parse_datetime(r["at"]), 0) for r in case.entries("reviews")]
    events += [
        (parse_datetime(c["requested_at"]), 1) for c, _ in closures(case) if "requested_at" in c
    ]
    events += [(parse_datetime(r["at"]), 2) for r in case.entries("reopenings")]
    return sorted(events, key=lambda e: (e[0].astimezone(UTC), e[1]))


def review_slots(case: Case, add: Adder) -> list[ReviewSlot]:
    """The review intervals from the first handler assignment on, in order. A returned closure
    request is recorded as a review, so it restarts the chain like any review."""
    first = next((a for a in case.entries("assignments") if a["role"] == "handler"), None)
    if first is None:
        return []
    begin = parse_datetime(first["assigned_at"])
    clock: datetime | None = begin
    slots: list[ReviewSlot] = []
    for at, kind in _review_events(case):
        if at < begin:
            continue
        if kind == 0 and clock is not None:
            slots.append(ReviewSlot(clock, add(clock), at, False))
        elif kind == 1 and clock is not None and at > add(clock):
            slots.append(ReviewSlot(clock, add(clock), None, True))
        clock = None if kind == 1 else at
    if clock is not None and case.status in _ACTIVE:
        slots.append(ReviewSlot(clock, add(clock), None, False))
    return slots


# ---- SLA compliance ----


@dataclass(slots=True)
class Tally:
    """Counts of target states, and which cases were late or breached (for tracing)."""

    counts: Counter[str] = field(default_factory=Counter)
    late: set[str] = field(default_factory=set)
    breached: set[str] = field(default_factory=set)

    def add(self, state: str, case_id: str) -> None:
        self.counts[state] += 1
        if state == sla.LATE:
            self.late.add(case_id)
        elif state == sla.BREACHED:
            self.breached.add(case_id)

    def as_dict(self) -> dict[str, Any]:
        met, late, breached = (self.counts[s] for s in (sla.MET, sla.LATE, sla.BREACHED))
        measured = met + late + breached
        return {
            "met": met,
            "met_late": late,
            "breached": breached,
            "pending": self.counts[sla.PENDING],
            "measured": measured,
            "compliance": compliance(met, measured),
            "late_cases": sorted(self.late),
            "breached_cases": sorted(self.breached),
        }


def compliance(met: int, measured: int) -> float | None:
    """Met on time as a percentage with one decimal; None when there is nothing to measure."""
    return round(100 * met / measured, 1) if measured else None


# ---- next steps ----


def _open_followups(cases: Sequence[Case], horizon: date, today: date) -> list[dict[str, Any]]:
    rows = [
        {
            "case": case.id,
            "id": task["id"],
            "title": task["title"],
            "owner": task["owner"],
            "due": task["due"],
            "overdue": parse_date(task["due"]) < today,
        }
        for case in cases
        for task in case.entries("followups")
        if "done_at" not in task
        and (parse_date(task["due"]) <= horizon or parse_date(task["due"]) < today)
    ]
    return sorted(rows, key=lambda r: (r["due"], r["case"], r["id"]))


def _next_review(case: Case, slots: Callable[[], list[ReviewSlot]]) -> datetime | None:
    if case.status not in _ACTIVE:
        return None
    due = case.data.get("due")
    stored = due.get("next_review") if isinstance(due, dict) else None
    if isinstance(stored, str) and is_datetime(stored):
        return parse_datetime(stored).astimezone(UTC)
    chain = slots()
    return chain[-1].due if chain and chain[-1].done is None and not chain[-1].missed else None


def _open_cases(cases: Sequence[Case]) -> dict[str, Any]:
    return {
        status: {
            "count": len(ids := sorted(c.id for c in cases if c.status == status)),
            "cases": ids,
        }
        for status in lifecycle.STATUSES
        if status != lifecycle.CLOSED
    }


# ---- the whole report ----


class Ledger:
    """Every dated fact of the cases that a report counts, read once and kept by local day.

    `report(period)` then costs a look-up per day of the period, so the site's report for every
    month reads the cases once instead of once a month. Targets and reviews are judged at the
    moment `as_of`, as the records stand."""

    def __init__(
        self,
        cases: Sequence[Case],
        zone: tzinfo,
        as_of: datetime,
        policy: Policy,
        calendar: Calendar | None = None,
        skipped: Sequence[str] = (),
    ) -> None:
        self.cases, self.zone, self.as_of, self.skipped = cases, zone, as_of, tuple(skipped)
        self.moment = as_of.astimezone(UTC)
        self.every = str(Duration.from_mapping(policy.raw["targets"]["review_every"]))
        add = review_adder(policy, zone, calendar)
        self.activities = {key: _Days() for key in ACTIVITIES}
        self.closures = _Days()
        self.targets = {name: _Days() for name in sla.TARGETS}
        self.reviews = _Days()
        self.next_reviews: list[tuple[Case, datetime]] = []
        for case in cases:
            self._read(case, add)

    def _read(self, case: Case, add: Adder) -> None:
        for key, (_, extract) in ACTIVITIES.items():
            for stamp, group in extract(case):
                self.activities[key].add(_day(stamp, self.zone), (case.id, group))
        for closure, reopened in closures(case):
            if "closed_at" in closure:
                row = _outcome_row(case, closure, reopened)
                self.closures.add(_day(closure["closed_at"], self.zone), row)
        for deadline in sla.deadlines(case):
            state = sla.state(deadline, self.moment).state
            self.targets[deadline.target].add(_day(deadline.due, self.zone), (state, case.id))
        slots = review_slots(case, add)
        for slot in slots:
            self.reviews.add(
                slot.due.astimezone(self.zone).date(), (slot.state(self.moment), case.id)
            )
        due = _next_review(case, lambda: slots)
        if due is not None:
            self.next_reviews.append((case, due))

    def activities_in(self, period: Period) -> dict[str, Any]:
        return {
            key: _activity_row(label, self.activities[key].within(period))
            for key, (label, _) in ACTIVITIES.items()
        }

    def outcomes_in(self, period: Period) -> dict[str, Any]:
        return _outcomes(self.closures.within(period))

    def compliance_in(self, period: Period) -> dict[str, Any]:
        targets = {}
        for name, days in self.targets.items():
            tally = Tally()
            for state, case_id in days.within(period):
                tally.add(state, case_id)
            targets[name] = tally.as_dict() | {
                "label": f"{sla.TARGETS[name][0]} to {sla.TARGETS[name][1]}"
            }
        reviews = Tally()
        for state, case_id in self.reviews.within(period):
            reviews.add(state, case_id)
        return {
            "targets": targets,
            "recorded": sum(
                t["met"] + t["met_late"] + t["breached"] + t["pending"] for t in targets.values()
            ),
            "cases_with_targets": sum(1 for c in self.cases if isinstance(c.data.get("due"), dict)),
            "reviews": {"every": self.every} | reviews.as_dict(),
        }

    def next_steps(self, period: Period) -> dict[str, Any]:
        following = period.following()
        horizon = following.end
        reviews = [
            {
                "case": case.id,
                "due": sla.stamp(due.astimezone(self.zone)),
                "overdue": due < self.moment,
                "handler": case.assignee("handler"),
            }
            for case, due in self.next_reviews
            if due.astimezone(self.zone).date() <= horizon
        ]
        return {
            "until": horizon.isoformat(),
            "following_period": following.label,
            "followups": _open_followups(
                self.cases, horizon, self.moment.astimezone(self.zone).date()
            ),
            "reviews_due": sorted(reviews, key=lambda r: (r["due"], r["case"])),
            "open_cases": _open_cases(self.cases),
        }

    def report(self, period: Period) -> dict[str, Any]:
        """The report as plain data; every figure is counted from the cases."""
        return {
            "format": FORMAT,
            "period": {
                "label": period.label,
                "kind": period.kind,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "zone": str(self.zone),
            },
            "as_of": sla.stamp(self.as_of.astimezone(self.zone)),
            "cases_read": len(self.cases),
            "skipped": list(self.skipped),
            "activities": self.activities_in(period),
            "outcomes": self.outcomes_in(period),
            "next_steps": self.next_steps(period),
            "sla": self.compliance_in(period),
        }


def build(
    cases: Sequence[Case],
    period: Period,
    zone: tzinfo,
    as_of: datetime,
    policy: Policy,
    calendar: Calendar | None = None,
    skipped: Sequence[str] = (),
) -> dict[str, Any]:
    """The report of one period as plain data; every figure is counted from `cases`."""
    return Ledger(cases, zone, as_of, policy, calendar, skipped).report(period)


# ---- Markdown ----


class TemplateProblem(ValueError):
    """The report template does not parse or names something the report does not have."""


def _cell(value: object) -> str:
    """A value safe inside a Markdown table cell."""
    return " ".join(str(value).split()).replace("|", "\\|")


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} %"


def render(report: Mapping[str, Any], template: str) -> str:
    """The report through a Jinja2 template; StrictUndefined so a misspelt key is an error."""
    import jinja2  # only the Markdown format needs it

    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown, not HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = _cell
    env.filters["percent"] = _percent
    try:
        return env.from_string(template).render(**report)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateProblem(f"line {error.lineno}: {error.message}") from None
    except jinja2.TemplateError as error:
        raise TemplateProblem(str(error)) from None
