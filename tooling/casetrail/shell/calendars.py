"""The policy's business calendar, built from the time zone database and the holidays package."""

from __future__ import annotations

from collections.abc import Container, Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from casetrail.core.businesstime import Calendar, CalendarError, describe, from_policy


def load(calendar: Mapping[str, Any]) -> Calendar:
    """The policy's `calendar:` mapping as a Calendar; CalendarError for an unknown zone or region."""
    zone = _zone(calendar.get("timezone"))
    region = calendar.get("holidays")
    public, version = _public_holidays(region) if region else (frozenset[date](), None)
    return from_policy(calendar, zone, public, describe(calendar, version))


def _zone(name: object) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: not a key at all, e.g. "../x"
        raise CalendarError(
            f"unknown time zone {name!r} in the policy calendar (use an IANA name such as Europe/Berlin)"
        ) from None


def _public_holidays(region: Mapping[str, str]) -> tuple[Container[date], str]:
    """The region's public holidays for any year (expanded lazily) and the package version."""
    import holidays  # slow to import; only commands that compute SLAs need it
    from holidays.version import __version__ as version

    country, subdivision = region.get("country", ""), region.get("subdivision")
    try:
        found = holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError as error:  # the package's way of saying "no such region"
        where = "-".join(filter(None, (country, subdivision)))
        raise CalendarError(
            f"unknown public holidays {where!r} in the policy calendar "
            f"(holidays {version}: {error})"
        ) from None
    return found, version
