"""Business-time arithmetic for SLA targets: pure, with the time zone and closed days passed in.

Working time. Each working day (its weekday has hours and the date is not closed) contributes
one interval [open, close) of local wall time, converted to absolute time as "the first moment
the wall clock reads that time": an ambiguous time (clocks going back) is its first occurrence,
and a time skipped by clocks going forward is the end of the gap (a 02:15 opening on a day that
jumps from 02:00 to 03:00 opens at 03:00). Everything is measured between absolute instants, so
DST days count real time: a 01:00-04:00 window is 2 hours on Berlin's spring-forward day.

Durations (`add`; an amount of 0 always returns the start itself):

- business_hours N: the earliest moment at which N hours of working time have elapsed since the
  start (counting begins at the next opening when the start is outside working time). Finishing
  exactly at a close gives that close, not the next opening.
- business_days N: the start moves to the next working moment; the result is the same elapsed
  offset into the Nth following working day, clamped to that day's close. A start at an opening
  has offset 0, which is the end of the previous working day: Mon 09:00 + 1 is Mon 17:00, and
  Fri 18:30 + 1 is Mon 17:00.
- clock_hours N: N hours of absolute time (across a DST change the wall clock moves N +/- 1).
- calendar_days N: the same wall time N dates later. A wall time that does not exist that day
  resolves as zoneinfo does with fold=0 (02:30 in a 02:00->03:00 gap becomes 03:30); an
  ambiguous one is its first occurrence.

Results are in the calendar's zone; they have microseconds only if the start had them.
`business_seconds` truncates to whole seconds. Searching more than two years ahead for working
time raises CalendarError, as does a naive datetime. Every error here is a CalendarError.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import count, dropwhile, islice
from typing import Any

UNITS = ("business_hours", "business_days", "clock_hours", "calendar_days")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
GUARD_DAYS = 2 * 366  # a calendar without working time in two years is a broken calendar
_NOUNS = {
    "business_hours": "business hour",
    "business_days": "business day",
    "clock_hours": "hour",
    "calendar_days": "calendar day",
}
_ONE_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)

Span = tuple[datetime, datetime]  # [start, end) in UTC


class CalendarError(ValueError):
    """A calendar or duration that cannot be used, or a naive datetime."""


@dataclass(frozen=True, slots=True)
class Duration:
    unit: str  # one of UNITS
    amount: int  # >= 0

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise CalendarError(f"unknown duration unit {self.unit!r} (one of {', '.join(UNITS)})")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise CalendarError(f"duration amount must be a whole number >= 0, not {self.amount!r}")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, int]) -> Duration:
        """A policy duration such as {"business_days": 1}: exactly one unit."""
        if len(mapping) != 1:
            raise CalendarError(f"a duration has exactly one unit, not {dict(mapping)!r}")
        ((unit, amount),) = mapping.items()
        return cls(unit, amount)

    def __str__(self) -> str:
        noun = _NOUNS[self.unit]
        return f"{self.amount} {noun}{'' if self.amount == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class ClosedDays:
    """The office's own closures together with the public holidays (any `in`-able set)."""

    office: frozenset[date]
    public: Container[date] = field(default_factory=frozenset)

    def __contains__(self, day: object) -> bool:
        return day in self.office or day in self.public


@dataclass(frozen=True, slots=True)
class Calendar:
    name: str
    zone: tzinfo
    hours: Mapping[int, tuple[time, time]]  # weekday (0=Mon) -> (open, close); missing = closed
    closed: Container[date]
    description: str = ""

    def __post_init__(self) -> None:
        for weekday, (opens, closes) in self.hours.items():
            if weekday not in range(7) or not opens < closes:
                raise CalendarError(
                    f"calendar {self.name!r}: bad hours {opens}-{closes} on day {weekday}"
                )

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.hours and day not in self.closed

    def add(self, start: datetime, duration: Duration) -> datetime:
        """`start` plus `duration` (see the module docstring), in this calendar's zone."""
        begin = _utc(start)
        if duration.amount == 0:
            return begin.astimezone(self.zone)
        adders: dict[str, Callable[[datetime, int], datetime]] = {
            "business_hours": self._add_business_hours,
            "business_days": self._add_business_days,
            "clock_hours": lambda at, n: at + timedelta(hours=n),
            "calendar_days": self._add_calendar_days,
        }
        return adders[duration.unit](begin, duration.amount).astimezone(self.zone)

    def business_seconds(self, start: datetime, end: datetime) -> int:
        """Whole seconds of working time in [start, end); 0 if end <= start."""
        total = sum((b - a for a, b in self.working_intervals(start, end)), timedelta())
        return total // _SECOND

    def working_intervals(self, start: datetime, end: datetime) -> Iterator[Span]:
        """The working time within [start, end) as ordered, disjoint spans.

        In UTC on purpose: subtracting two datetimes that share a zoneinfo tzinfo gives the
        wall-clock difference, which is wrong across a DST change.
        """
        begin, finish = _utc(start), _utc(end)
        if finish <= begin:
            return
        last = finish.astimezone(self.zone).date() + _ONE_DAY
        for opens, closes in self._spans(self._first_day(begin), last):
            if opens >= finish:
                return
            if closes > begin:
                yield max(opens, begin), min(closes, finish)

    def _add_business_hours(self, begin: datetime, hours: int) -> datetime:
        remaining = timedelta(hours=hours)
        for opens, closes in self._spans_after(begin):
            opens = max(opens, begin)
            if opens + remaining <= closes:
                return opens + remaining
            remaining -= closes - opens
        raise AssertionError("unreachable: _spans_after is endless or raises")

    def _add_business_days(self, begin: datetime, days: int) -> datetime:
        spans = self._spans_after(begin)
        first = next(spans)
        offset = max(begin - first[0], timedelta())
        if not offset:  # at or before an opening: the previous working day has just ended
            return _nth(_prepend(first, spans), days - 1)[1]
        target_opens, target_closes = _nth(spans, days - 1)
        return min(target_opens + offset, target_closes)

    def _add_calendar_days(self, begin: datetime, days: int) -> datetime:
        wall = begin.astimezone(self.zone).replace(tzinfo=None) + timedelta(days=days)
        return wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)

    def _first_day(self, instant: datetime) -> date:
        # No earlier day's span can end after `instant`: the clock already shows this date.
        return instant.astimezone(self.zone).date()

    def _spans_after(self, begin: datetime) -> Iterator[Span]:
        """Whole working-day spans ending after `begin`, endlessly (guarded)."""
        return dropwhile(lambda span: span[1] <= begin, self._spans(self._first_day(begin)))

    def _spans(self, first: date, last: date | None = None) -> Iterator[Span]:
        """Each working day's span from `first` (to `last`, or endlessly but guarded)."""
        idle = 0
        for day in _dates(first, last):
            span = self._span(day)
            if span is not None:
                idle = 0
                yield span
            elif last is None and (idle := idle + 1) > GUARD_DAYS:
                raise CalendarError(
                    f"calendar {self.name!r} has no working time in the two years up to {day}: "
                    "check its working hours, holidays and closures"
                )

    def _span(self, day: date) -> Span | None:
        if not self.is_working_day(day):
            return None
        opens, closes = self.hours[day.weekday()]
        span = (self._reach(day, opens), self._reach(day, closes))
        # A window wholly inside a DST gap never happens: no working time, so no business day.
        return span if span[0] < span[1] else None

    def _reach(self, day: date, wall: time) -> datetime:
        """The first instant (UTC) at which the wall clock shows `wall` on `day` or later."""
        local = datetime.combine(day, wall, tzinfo=self.zone)
        early, late = local.astimezone(UTC), local.replace(fold=1).astimezone(UTC)
        # fold=0 is the earlier reading of an ambiguous time; in a gap fold=1 lands before it.
        return early if late >= early else self._gap_end(late, early)

    def _gap_end(self, before: datetime, after: datetime) -> datetime:
        """The instant in (before, after] where the clocks jump forward (bisection to 1 s)."""
        offset_after = after.astimezone(self.zone).utcoffset()
        while after - before > _SECOND:
            middle = before + (after - before) // 2 // _SECOND * _SECOND
            if middle.astimezone(self.zone).utcoffset() == offset_after:
                after = middle
            else:
                before = middle
        return after


def from_policy(
    calendar: Mapping[str, Any], zone: tzinfo, closed: Container[date], description: str = ""
) -> Calendar:
    """The policy's `calendar:` mapping as a Calendar.

    `closed` holds the public holidays; the mapping's own `closures` are added to it. Without a
    description, one is made by `describe`.
    """
    office = frozenset(_parse_date(text) for text in calendar.get("closures") or ())
    return Calendar(
        name=str(_required(calendar, "name")),
        zone=zone,
        hours=_working_hours(calendar),
        closed=ClosedDays(office, closed),
        description=description or describe(calendar),
    )


def describe(calendar: Mapping[str, Any], holidays_version: str | None = None) -> str:
    """One line for case files, e.g. "office-v1: Europe/Berlin, Mon-Fri 09:00-17:00, ..."."""
    closures = len(calendar.get("closures") or ())
    parts = [
        str(_required(calendar, "timezone")),
        _describe_hours(_working_hours(calendar)),
        _describe_holidays(calendar.get("holidays"), holidays_version),
        f"{closures or 'no'} office closure{'' if closures == 1 else 's'}",
    ]
    return f"{_required(calendar, 'name')}: {', '.join(parts)}"


def _describe_hours(hours: Mapping[int, tuple[time, time]]) -> str:
    runs: list[tuple[list[int], tuple[time, time]]] = []
    for weekday in sorted(hours):
        if runs and runs[-1][0][-1] == weekday - 1 and runs[-1][1] == hours[weekday]:
            runs[-1][0].append(weekday)
        else:
            runs.append(([weekday], hours[weekday]))
    return ", ".join(f"{_day_range(days)} {_hm(o)}-{_hm(c)}" for days, (o, c) in runs)


def _day_range(days: list[int]) -> str:
    names = [WEEKDAYS[d].title() for d in (days[0], days[-1])]
    return names[0] if len(days) == 1 else "-".join(names)


def _describe_holidays(region: Mapping[str, str] | None, version: str | None) -> str:
    if not region:
        return "no public holidays"
    name = "-".join(filter(None, (region.get("country"), region.get("subdivision"))))
    return f"public holidays {name}" + (f" (holidays {version})" if version else "")


def _hm(moment: time) -> str:
    return moment.strftime("%H:%M")


def _working_hours(calendar: Mapping[str, Any]) -> dict[int, tuple[time, time]]:
    hours: dict[int, tuple[time, time]] = {}
    for key, span in dict(_required(calendar, "working_hours")).items():
        if key not in WEEKDAYS or len(span) != 2:
            raise CalendarError(f"working_hours: bad entry {key}: {span!r}")
        opens, closes = (_parse_time(text) for text in span)
        if not opens < closes:
            raise CalendarError(f"working_hours: {key} closes ({closes}) before it opens ({opens})")
        hours[WEEKDAYS.index(key)] = (opens, closes)
    return hours


def _required(calendar: Mapping[str, Any], key: str) -> Any:
    if key not in calendar:
        raise CalendarError(f"the policy calendar has no {key!r}")
    return calendar[key]


def _parse_time(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except (TypeError, ValueError):
        raise CalendarError(f"working_hours: {text!r} is not a time HH:MM") from None


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise CalendarError(f"closures: {text!r} is not a date YYYY-MM-DD") from None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CalendarError(f"naive datetime {moment.isoformat()}: business time needs a time zone")
    return moment.astimezone(UTC)


def _dates(first: date, last: date | None) -> Iterator[date]:
    for step in count():
        day = first + step * _ONE_DAY
        if last is not None and day > last:
            return
        yield day


def _nth(spans: Iterator[Span], index: int) -> Span:
    return next(islice(spans, index, None))


def _prepend(first: Span, rest: Iterator[Span]) -> Iterator[Span]:
    yield first
    yield from rest
