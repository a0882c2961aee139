"""Business-time arithmetic: properties, a naive minute-by-minute oracle, and known answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from casetrail.core.businesstime import (
    UNITS,
    Calendar,
    CalendarError,
    Duration,
    describe,
    from_policy,
)
from casetrail.shell import calendars

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # DST moves the clock by 30 minutes
ZONES = (BERLIN, NEW_YORK, LORD_HOWE, ZoneInfo("Asia/Kolkata"), ZoneInfo("UTC"))
MINUTE = timedelta(minutes=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

# A literal copy of the shipped policy's calendar, so the known answers below stay fixed.
OFFICE_POLICY: dict[str, Any] = {
    "name": "office-v1",
    "timezone": "Europe/Berlin",
    "working_hours": {day: ["09:00", "17:00"] for day in WEEKDAYS},
    "holidays": {"country": "DE", "subdivision": "BE"},
    "closures": [],
}
OFFICE = calendars.load(OFFICE_POLICY)


def berlin(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
    *,
    fold: int = 0,
) -> datetime:
    local = datetime(year, month, day, hour, minute, second, microsecond)
    return local.replace(tzinfo=BERLIN, fold=fold)


def hours(n: int) -> Duration:
    return Duration("business_hours", n)


def days(n: int) -> Duration:
    return Duration("business_days", n)


def utc(moment: datetime) -> datetime:
    # Two datetimes sharing a zoneinfo tzinfo compare by wall time, ignoring fold: compare in UTC.
    return moment.astimezone(UTC)


# --- strategies -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScatteredDays:
    """Pseudo-random closed dates, dense enough to matter in any week (about `permille`/1000)."""

    seed: int
    permille: int

    def __contains__(self, day: object) -> bool:
        assert isinstance(day, date)
        return (day.toordinal() * 2654435761 + self.seed) % 1000 < self.permille


EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
# The 2026 DST changes (in UTC) of the zones above: starts cluster around their zone's changes.
CHANGES = {
    BERLIN: (datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)),
    NEW_YORK: (datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC)),
    LORD_HOWE: (datetime(2026, 4, 4, 15, tzinfo=UTC), datetime(2026, 10, 3, 15, 30, tzinfo=UTC)),
}
ALL_CHANGES = tuple(change for pair in CHANGES.values() for change in pair)
anywhere = st.integers(0, 2 * 365 * 24 * 60).map(lambda m: EPOCH + m * MINUTE)
instants = st.one_of(  # whole minutes, so that the oracle can step exactly
    anywhere,
    st.builds(
        lambda at, m: at + m * MINUTE, st.sampled_from(ALL_CHANGES), st.integers(-4320, 4320)
    ),
)
# Any minute; half hours; and the times DST changes skip or repeat (01:00-03:30).
wall_minutes = st.one_of(
    st.integers(0, 1439),
    st.integers(0, 47).map(lambda h: h * 30),
    st.sampled_from([60, 90, 120, 135, 150, 165, 180, 210]),
)


@st.composite
def generated_calendars(draw: st.DrawFn) -> Calendar:
    week: dict[int, tuple[time, time]] = {}
    for weekday in range(7):
        if draw(st.booleans()):
            bounds = draw(st.lists(wall_minutes, min_size=2, max_size=2, unique=True))
            opens, closes = (time(m // 60, m % 60) for m in sorted(bounds))
            week[weekday] = (opens, closes)
    week = week or {draw(st.integers(0, 6)): (time(9), time(17))}
    closed = ScatteredDays(draw(st.integers(0, 2**32)), draw(st.integers(0, 300)))
    return Calendar("generated", draw(st.sampled_from(ZONES)), week, closed)


any_calendar = st.one_of(st.just(OFFICE), generated_calendars())


@st.composite
def calendars_and_starts(draw: st.DrawFn) -> tuple[Calendar, datetime]:
    """A calendar, and a start that is often in the three days before one of its DST changes."""
    calendar = draw(any_calendar)
    changes = CHANGES.get(calendar.zone, ())  # type: ignore[call-overload]
    if changes and draw(st.booleans()):
        return calendar, draw(st.sampled_from(changes)) + draw(st.integers(-4320, 60)) * MINUTE
    return calendar, draw(instants)


# Gaps between instants: within days (same or next working interval) or up to a year.
gaps = st.one_of(st.integers(0, 4000), st.integers(0, 366 * 24 * 60)).map(lambda m: m * MINUTE)
durations = st.one_of(
    st.builds(Duration, st.just("business_hours"), st.integers(0, 60)),
    st.builds(Duration, st.just("business_days"), st.integers(0, 15)),
    st.builds(Duration, st.just("clock_hours"), st.integers(0, 500)),
    st.builds(Duration, st.just("calendar_days"), st.integers(0, 60)),
)
business_units = st.sampled_from(["business_hours", "business_days"])


# --- the oracle -----------------------------------------------------------------------------


def oracle_minutes(calendar: Calendar, start: datetime, end: datetime) -> list[bool]:
    """Deliberately naive: is each minute of [start, end) working time?

    Walks UTC minute by minute and reads the wall clock. The office opens the first time the
    clock shows the opening time and closes the first time it shows the closing time, so what
    counts is the furthest reading so far (a repeated hour does not rewind it, and a skipped
    one jumps past it). The walk starts early enough for that furthest reading to be right.
    """
    furthest: datetime | None = None
    flags: list[bool] = []
    minute = start - timedelta(hours=3)
    while minute < end:
        wall = minute.astimezone(calendar.zone).replace(tzinfo=None)
        furthest = wall if furthest is None else max(furthest, wall)
        if minute >= start:
            flags.append(in_window(calendar, furthest))
        minute += MINUTE
    return flags


def in_window(calendar: Calendar, wall: datetime) -> bool:
    span = calendar.hours.get(wall.weekday())
    return (
        span is not None and wall.date() not in calendar.closed and span[0] <= wall.time() < span[1]
    )


def oracle_add_hours(start: datetime, working: list[bool], n: int) -> datetime:
    """The end of the minute in which the (n*60)th working minute after `start` falls."""
    if n == 0:
        return start
    done = 0
    for index, flag in enumerate(working):
        done += flag
        if done == n * 60:
            return start + (index + 1) * MINUTE
    raise AssertionError("the walk was too short")


def working_or_just_closed(calendar: Calendar, moment: datetime) -> bool:
    before, at = oracle_minutes(calendar, utc(moment) - MINUTE, utc(moment) + MINUTE)
    return at or before


# --- properties -----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(calendars_and_starts(), gaps, durations)
def test_later_start_never_gives_earlier_result(
    calendar_start: tuple[Calendar, datetime], gap: timedelta, duration: Duration
) -> None:
    # Not for calendar_days: across clocks going back a later instant can read an earlier wall
    # time (the second 02:10 is after the first 02:50), and calendar days keep the wall time.
    calendar, early = calendar_start
    if duration.unit != "calendar_days":
        assert utc(calendar.add(early, duration)) <= utc(calendar.add(early + gap, duration))


@settings(max_examples=200, deadline=None)
@given(calendars_and_starts(), st.sampled_from(UNITS), st.integers(0, 40), st.integers(0, 40))
def test_longer_duration_never_gives_earlier_result(
    calendar_start: tuple[Calendar, datetime], unit: str, m: int, n: int
) -> None:
    calendar, start = calendar_start
    short, long = Duration(unit, min(m, n)), Duration(unit, max(m, n))
    assert utc(calendar.add(start, short)) <= utc(calendar.add(start, long))


@settings(max_examples=200, deadline=None)
@given(calendars_and_starts(), st.integers(0, 100))
def test_measuring_an_added_business_hours_gives_it_back(
    calendar_start: tuple[Calendar, datetime], n: int
) -> None:
    calendar, start = calendar_start
    end = calendar.add(start.astimezone(calendar.zone), hours(n))
    assert calendar.business_seconds(start, end) == n * 3600


@settings(max_examples=200, deadline=None)
@given(instants, st.integers(0, 30))
def test_a_business_day_is_eight_working_hours_in_the_office(start: datetime, n: int) -> None:
    assert OFFICE.business_seconds(start, OFFICE.add(start, days(n))) == n * 8 * 3600


@settings(max_examples=150, deadline=None)
@given(calendars_and_starts(), business_units, st.integers(1, 30))
def test_business_results_land_in_working_time_or_at_a_close(
    calendar_start: tuple[Calendar, datetime], unit: str, n: int
) -> None:
    calendar, start = calendar_start
    assert working_or_just_closed(calendar, calendar.add(start, Duration(unit, n)))


@settings(max_examples=200, deadline=None)
@given(calendars_and_starts(), gaps, gaps)
def test_business_seconds_is_additive(
    calendar_start: tuple[Calendar, datetime], ab: timedelta, bc: timedelta
) -> None:
    calendar, a = calendar_start
    b, c = a + ab, a + ab + bc
    whole = calendar.business_seconds(a, c)
    assert whole == calendar.business_seconds(a, b) + calendar.business_seconds(b, c)
    assert calendar.business_seconds(c, a) == 0  # an empty or backwards range


@settings(max_examples=200, deadline=None)
@given(calendars_and_starts(), st.integers(0, 3000))
def test_short_ranges_measure_at_most_their_length_and_backwards_nothing(
    calendar_start: tuple[Calendar, datetime], minutes: int
) -> None:
    calendar, start = calendar_start
    end = start + minutes * MINUTE
    assert 0 <= calendar.business_seconds(start, end) <= minutes * 60
    assert calendar.business_seconds(end, start) == 0


@settings(max_examples=60, deadline=None)
@given(calendars_and_starts(), st.data())
def test_agrees_with_a_minute_by_minute_walk(
    calendar_start: tuple[Calendar, datetime], data: st.DataObject
) -> None:
    calendar, start = calendar_start
    working = oracle_minutes(calendar, start, start + timedelta(days=7))
    cut = data.draw(st.integers(0, len(working)), label="minutes to end")
    end = start + cut * MINUTE
    assert calendar.business_seconds(start, end) == 60 * sum(working[:cut])
    n = data.draw(st.integers(0, sum(working) // 60), label="business hours")
    expected = oracle_add_hours(start, working, n)
    assert utc(calendar.add(start.astimezone(calendar.zone), hours(n))) == expected


# --- known answers (Europe/Berlin, Mon-Fri 09:00-17:00, public holidays DE-BE) --------------

KNOWN: list[tuple[datetime, Duration, datetime]] = [
    # Friday-evening High case: the weekend is skipped, counting starts Mon 09:00.
    (berlin(2026, 11, 20, 18, 30), hours(4), berlin(2026, 11, 23, 13)),
    # Friday evening: Mon 09:00 is the end of Friday's working day, one whole day more is 17:00.
    (berlin(2026, 11, 20, 18, 30), days(1), berlin(2026, 11, 23, 17)),
    # Six hours into Monday -> six hours into Tuesday.
    (berlin(2026, 11, 23, 15), days(1), berlin(2026, 11, 24, 15)),
    # At an opening a whole working day has elapsed at that day's close, not at Tue 09:00.
    (berlin(2026, 11, 23, 9), days(1), berlin(2026, 11, 23, 17)),
    # Before opening is the same as at opening.
    (berlin(2026, 11, 23, 7), days(1), berlin(2026, 11, 23, 17)),
    # At the close is the same as at the next opening.
    (berlin(2026, 11, 23, 17), days(1), berlin(2026, 11, 24, 17)),
    # Completing exactly at a close gives the close, not Fri 09:00.
    (berlin(2026, 11, 19, 13), hours(4), berlin(2026, 11, 19, 17)),
    # One hour on Friday, one on Monday.
    (berlin(2026, 11, 20, 16), hours(2), berlin(2026, 11, 23, 10)),
    # A Saturday start counts from Monday's opening.
    (berlin(2026, 11, 21, 10), hours(1), berlin(2026, 11, 23, 10)),
    # Sixteen hours are two whole working days.
    (berlin(2026, 11, 23, 10), hours(16), berlin(2026, 11, 25, 10)),
    # 24 Dec (Thu) is a working day in Berlin; 25 Dec (Fri) and 26 Dec (Sat) are holidays.
    (berlin(2026, 12, 24, 16), hours(2), berlin(2026, 12, 28, 10)),
    # New Year's Day 2027 is a Friday; 31 Dec is a working day.
    (berlin(2026, 12, 31, 12), days(1), berlin(2027, 1, 4, 12)),
    # Labour Day, Fri 2026-05-01.
    (berlin(2026, 4, 30, 10), days(1), berlin(2026, 5, 4, 10)),
    # Good Friday 2026-04-03 and Easter Monday 2026-04-06.
    (berlin(2026, 4, 2, 15), days(2), berlin(2026, 4, 8, 15)),
    # Ascension Day, Thu 2026-05-14.
    (berlin(2026, 5, 13, 12), days(1), berlin(2026, 5, 15, 12)),
    # International Women's Day (a Berlin-only holiday) is Mon 2027-03-08.
    (berlin(2027, 3, 5, 10), days(1), berlin(2027, 3, 9, 10)),
    # ... but a Sunday in 2026, and Berlin has no substitute Monday.
    (berlin(2026, 3, 6, 10), days(1), berlin(2026, 3, 9, 10)),
    # 24 real hours over the spring-forward night: the clock jumped an hour, so it reads 13:00.
    (berlin(2026, 3, 28, 12), Duration("clock_hours", 24), berlin(2026, 3, 29, 13)),
    # ... and over the fall-back night it reads 11:00.
    (berlin(2026, 10, 24, 12), Duration("clock_hours", 24), berlin(2026, 10, 25, 11)),
    # Calendar days keep the wall time across DST (here 167 real hours) ...
    (berlin(2026, 3, 25, 10), Duration("calendar_days", 7), berlin(2026, 4, 1, 10)),
    # ... in both directions (169 real hours).
    (berlin(2026, 10, 21, 10), Duration("calendar_days", 7), berlin(2026, 10, 28, 10)),
    # 02:30 does not exist on 29 Mar; fold=0 reads it with the winter offset: 03:30 summer time.
    (berlin(2026, 3, 28, 2, 30), Duration("calendar_days", 1), berlin(2026, 3, 29, 3, 30)),
    # 02:30 happens twice on 25 Oct: the first one (summer time, fold=0).
    (berlin(2026, 10, 24, 2, 30), Duration("calendar_days", 1), berlin(2026, 10, 25, 2, 30)),
    # Zero is the start itself, even outside working time.
    (berlin(2026, 11, 21, 10), hours(0), berlin(2026, 11, 21, 10)),
    (berlin(2026, 11, 21, 10), days(0), berlin(2026, 11, 21, 10)),
]


@pytest.mark.parametrize(("start", "duration", "expected"), KNOWN, ids=str)
def test_known_answers(start: datetime, duration: Duration, expected: datetime) -> None:
    result = OFFICE.add(start, duration)
    assert (result, result.utcoffset()) == (expected, expected.utcoffset())
    assert result.tzinfo is BERLIN
    assert OFFICE.add(start.astimezone(NEW_YORK), duration) == result  # any input zone


# Each date checked against the installed holidays package (0.109) before relying on it.
HOLIDAY_FACTS = [
    (date(2026, 12, 25), False),  # Christmas Day, Friday
    (date(2026, 12, 24), True),  # Christmas Eve is not a public holiday in DE-BE
    (date(2026, 12, 31), True),  # nor is New Year's Eve
    (date(2027, 1, 1), False),  # New Year's Day, Friday
    (date(2026, 5, 1), False),  # Labour Day, Friday
    (date(2027, 3, 8), False),  # International Women's Day (Berlin only), Monday
    (date(2026, 3, 9), True),  # no substitute for Women's Day on Sunday 2026-03-08
    (date(2026, 11, 21), False),  # Saturday
    (date(2026, 11, 23), True),  # an ordinary Monday
]


@pytest.mark.parametrize(("day", "working"), HOLIDAY_FACTS, ids=str)
def test_working_days_in_berlin(day: date, working: bool) -> None:
    assert OFFICE.is_working_day(day) is working


def test_known_business_seconds() -> None:
    assert OFFICE.business_seconds(berlin(2026, 11, 20, 16), berlin(2026, 11, 23, 10)) == 7200
    # The week of Christmas 2026: Mon-Thu are working days, Fri 25 is a holiday.
    assert OFFICE.business_seconds(berlin(2026, 12, 21), berlin(2026, 12, 28)) == 4 * 8 * 3600
    assert OFFICE.business_seconds(berlin(2026, 11, 23, 12), berlin(2026, 11, 23, 11)) == 0


def test_results_keep_microseconds_only_when_the_start_had_them() -> None:
    start = berlin(2026, 11, 23, 10, 0, 0, 250000)
    assert OFFICE.add(start, hours(1)) == berlin(2026, 11, 23, 11, 0, 0, 250000)
    assert OFFICE.add(berlin(2026, 11, 23, 10), hours(1)).microsecond == 0
    # Counting from an opening: the fraction of the start no longer matters.
    assert OFFICE.add(berlin(2026, 11, 21, 10, 0, 0, 500000), hours(1)) == berlin(2026, 11, 23, 10)
    # business_seconds truncates to whole seconds.
    assert (
        OFFICE.business_seconds(berlin(2026, 11, 23, 10, 0, 0, 500000), berlin(2026, 11, 23, 11))
        == 3599
    )


# --- DST days inside working time -----------------------------------------------------------


def sunday_calendar(zone: ZoneInfo, opens: time, closes: time) -> Calendar:
    return Calendar("sundays", zone, {6: (opens, closes)}, frozenset())


SUNDAY_WINDOWS = [
    # 01:00-04:00 Berlin: an ordinary Sunday is 3 hours ...
    (BERLIN, time(1), time(4), date(2026, 3, 22), 3 * 3600),
    # ... 2 real hours when 02:00 jumps to 03:00 ...
    (BERLIN, time(1), time(4), date(2026, 3, 29), 2 * 3600),
    # ... and 4 when 03:00 goes back to 02:00.
    (BERLIN, time(1), time(4), date(2026, 10, 25), 4 * 3600),
    # New York changes at 02:00 local both ways.
    (NEW_YORK, time(1), time(4), date(2026, 3, 8), 2 * 3600),
    (NEW_YORK, time(1), time(4), date(2026, 11, 1), 4 * 3600),
    # Lord Howe moves by 30 minutes: forward 02:00 -> 02:30, back 02:00 -> 01:30.
    (LORD_HOWE, time(1), time(4), date(2026, 10, 4), 150 * 60),
    (LORD_HOWE, time(1), time(4), date(2026, 4, 5), 210 * 60),
    # An opening inside the gap opens when the clock first shows it or later: at 03:00.
    (BERLIN, time(2, 15), time(5), date(2026, 3, 29), 2 * 3600),
    # A window wholly inside the gap never happens.
    (BERLIN, time(2, 15), time(2, 45), date(2026, 3, 29), 0),
    # A window inside the repeated hour counts once: from its first 02:00 to its first 02:30.
    (BERLIN, time(2), time(2, 30), date(2026, 10, 25), 30 * 60),
]


@pytest.mark.parametrize(("zone", "opens", "closes", "day", "seconds"), SUNDAY_WINDOWS, ids=str)
def test_dst_days_count_real_time(
    zone: ZoneInfo, opens: time, closes: time, day: date, seconds: int
) -> None:
    calendar = sunday_calendar(zone, opens, closes)
    midnight = datetime.combine(day, time(), tzinfo=zone)
    assert calendar.business_seconds(midnight, midnight + timedelta(days=1)) == seconds


def test_a_business_day_is_clamped_to_a_shorter_day() -> None:
    week = {day: (time(9), time(17)) for day in range(4)} | {4: (time(9), time(12))}
    short_friday = Calendar("short-friday", BERLIN, week, frozenset())
    # Six hours into Thursday; Friday has only three, so its close.
    assert short_friday.add(berlin(2026, 11, 19, 15), days(1)) == berlin(2026, 11, 20, 12)
    # Two hours into Thursday fit into Friday.
    assert short_friday.add(berlin(2026, 11, 19, 11), days(1)) == berlin(2026, 11, 20, 11)


def test_a_day_whose_window_falls_in_the_dst_gap_is_not_a_business_day() -> None:
    gap = sunday_calendar(BERLIN, time(2, 15), time(2, 45))
    # 29 Mar 2026 skips 02:00-03:00, so the next Sunday is the first with working time.
    assert gap.add(berlin(2026, 3, 28, 12), days(1)) == berlin(2026, 4, 5, 2, 45)


def test_business_hours_across_the_dst_change() -> None:
    night = sunday_calendar(BERLIN, time(1), time(4))
    # One working hour after 01:00 the clock jumps from 02:00 straight to 03:00.
    assert night.add(berlin(2026, 3, 29), hours(1)) == berlin(2026, 3, 29, 3)
    # Two working hours after 01:00 summer time is the second 02:00 (winter time).
    autumn = night.add(berlin(2026, 10, 25), hours(2))
    assert (utc(autumn), autumn.fold) == (utc(berlin(2026, 10, 25, 2, fold=1)), 1)
    # An opening in the gap: the office opens at 03:00, one hour later is 04:00.
    gap = sunday_calendar(BERLIN, time(2, 15), time(5))
    assert gap.add(berlin(2026, 3, 29), hours(1)) == berlin(2026, 3, 29, 4)


# --- the policy mapping, closures and errors ------------------------------------------------


def test_office_closures_from_the_mapping_are_skipped() -> None:
    policy = {**OFFICE_POLICY, "closures": ["2026-11-23"]}
    plain = from_policy(policy, BERLIN, frozenset())
    assert not plain.is_working_day(date(2026, 11, 23))
    assert plain.add(berlin(2026, 11, 20, 18, 30), hours(4)) == berlin(2026, 11, 24, 13)
    # With public holidays too: closed 28 Dec as well as the Christmas holidays.
    loaded = calendars.load({**OFFICE_POLICY, "closures": ["2026-12-28"]})
    assert loaded.add(berlin(2026, 12, 24, 16), hours(2)) == berlin(2026, 12, 29, 10)


def test_a_calendar_without_working_time_raises_instead_of_looping() -> None:
    never = Calendar("never", BERLIN, {}, frozenset())
    always_closed = Calendar("shut", BERLIN, {0: (time(9), time(17))}, ScatteredDays(0, 1000))
    for calendar in (never, always_closed):
        for duration in (hours(1), days(1)):
            with pytest.raises(CalendarError, match="no working time in the two years"):
                calendar.add(berlin(2026, 1, 1), duration)
        # Measuring and plain clock arithmetic still work.
        assert calendar.business_seconds(berlin(2026, 1, 1), berlin(2029, 1, 1)) == 0
        assert calendar.add(berlin(2026, 1, 1), Duration("clock_hours", 1)) == berlin(2026, 1, 1, 1)


def test_the_guard_does_not_trip_on_a_sparse_but_working_calendar() -> None:
    yearly = Calendar("rare", BERLIN, {0: (time(9), time(10))}, ScatteredDays(7, 980))
    result = yearly.add(berlin(2026, 1, 1), hours(3))
    assert yearly.business_seconds(berlin(2026, 1, 1), result) == 3 * 3600


NAIVE = datetime(2026, 11, 20, 18, 30)
NAIVE_CALLS: list[Callable[[], object]] = [
    lambda: OFFICE.add(NAIVE, hours(1)),
    lambda: OFFICE.add(NAIVE, Duration("clock_hours", 0)),
    lambda: OFFICE.business_seconds(NAIVE, berlin(2026, 11, 23)),
    lambda: OFFICE.business_seconds(berlin(2026, 11, 23), NAIVE),
    lambda: list(OFFICE.working_intervals(NAIVE, berlin(2026, 11, 23))),
]


@pytest.mark.parametrize("call", NAIVE_CALLS)
def test_naive_datetimes_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(CalendarError, match="naive datetime 2026-11-20T18:30:00"):
        call()


def test_working_intervals_are_utc_spans_of_working_time() -> None:
    spans = list(OFFICE.working_intervals(berlin(2026, 11, 20, 12), berlin(2026, 11, 23, 10)))
    assert spans == [
        (datetime(2026, 11, 20, 11, tzinfo=UTC), datetime(2026, 11, 20, 16, tzinfo=UTC)),
        (datetime(2026, 11, 23, 8, tzinfo=UTC), datetime(2026, 11, 23, 9, tzinfo=UTC)),
    ]


def test_durations() -> None:
    assert Duration.from_mapping({"business_days": 1}) == Duration("business_days", 1)
    texts = [str(Duration(u, n)) for u, n in zip(UNITS, (4, 1, 24, 7), strict=True)]
    assert texts == ["4 business hours", "1 business day", "24 hours", "7 calendar days"]
    assert [str(Duration(u, 1)) for u in ("business_hours", "clock_hours")] == [
        "1 business hour",
        "1 hour",
    ]


@pytest.mark.parametrize(
    "bad",
    [
        {"weeks": 1},
        {"business_days": -1},
        {"business_days": True},
        {"business_days": 1.5},
        {},
        {"clock_hours": 1, "calendar_days": 1},
    ],
    ids=str,
)
def test_bad_durations_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(CalendarError):
        Duration.from_mapping(bad)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"working_hours": {"monday": ["09:00", "17:00"]}}, "bad entry monday"),
        ({"working_hours": {"mon": ["17:00", "09:00"]}}, "closes"),
        ({"working_hours": {"mon": ["09:00", "09:00"]}}, "closes"),
        ({"working_hours": {"mon": ["9am", "17:00"]}}, "not a time"),
        ({"closures": ["2026-13-01"]}, "not a date"),
        ({"working_hours": None}, "no 'working_hours'"),
        ({"name": None}, "no 'name'"),
    ],
    ids=str,
)
def test_bad_policy_calendars_are_refused(change: dict[str, Any], message: str) -> None:
    policy = {key: value for key, value in {**OFFICE_POLICY, **change}.items() if value is not None}
    with pytest.raises(CalendarError, match=message):
        from_policy(policy, BERLIN, frozenset())


def test_descriptions() -> None:
    holidays_version = version("holidays")
    assert OFFICE.description == (
        "office-v1: Europe/Berlin, Mon-Fri 09:00-17:00, public holidays DE-BE "
        f"(holidays {holidays_version}), no office closures"
    )
    mixed = {
        "name": "branch",
        "timezone": "America/New_York",
        "working_hours": {
            **{day: ["08:00", "16:30"] for day in ("mon", "tue", "wed", "thu")},
            "fri": ["08:00", "14:00"],
            "sun": ["10:00", "12:00"],
        },
        "closures": ["2026-12-24"],
    }
    assert describe(mixed) == (
        "branch: America/New_York, Mon-Thu 08:00-16:30, Fri 08:00-14:00, Sun 10:00-12:00, "
        "no public holidays, 1 office closure"
    )
    assert from_policy(mixed, NEW_YORK, frozenset()).description == describe(mixed)


# --- the shell --------------------------------------------------------------------------------


def test_load_without_public_holidays() -> None:
    policy = {key: value for key, value in OFFICE_POLICY.items() if key != "holidays"}
    calendar = calendars.load(policy)
    assert calendar.is_working_day(date(2026, 12, 25))
    assert "no public holidays" in calendar.description


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone 'Mars/Olympus_Mons'"),
        ({"timezone": "../../etc/passwd"}, "unknown time zone"),
        ({"holidays": {"country": "XX"}}, "unknown public holidays 'XX'"),
        ({"holidays": {"country": "DE", "subdivision": "ZZ"}}, "unknown public holidays 'DE-ZZ'"),
    ],
    ids=str,
)
def test_load_refuses_unknown_regions(change: dict[str, Any], message: str) -> None:
    with pytest.raises(CalendarError, match=message) as raised:
        calendars.load({**OFFICE_POLICY, **change})
    assert "\n" not in str(raised.value)


def test_the_shipped_policy_calendar_loads() -> None:
    policy = yaml.safe_load((Path(__file__).parent.parent / "schema" / "policy.yaml").read_text())
    calendar = calendars.load(policy["calendar"])
    assert calendar.description.startswith(f"{policy['calendar']['name']}: ")
    assert calendar.add(berlin(2026, 11, 23, 9), days(1)) > berlin(2026, 11, 23, 9)
