"""The few facts the audit needs from every version of every case, read without YAML.

An audit reads tens of thousands of historical versions; a strict YAML parse of each costs
about 0.7 ms, this scan about 20 µs. It reads only what casetrail and `check` guarantee about
the front matter layout (a top-level `status:` line; timestamps as ISO strings after a key).
Versions that need more (a closure, a change to a closed case) are parsed properly.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, tzinfo

FRONT_MATTER = re.compile(rb"\A---\r?\n(.*?)^---[ \t]*\r?$", re.DOTALL | re.MULTILINE)
_STATUS = re.compile(rb"^status:[ \t]*[\"']?([A-Za-z_]+)[\"']?[ \t]*(?:#.*)?\r?$", re.MULTILINE)
# `key: "2026-11-03T10:40:00+01:00"` or `key: 2026-11-03`, in block or flow style.
_DATED = re.compile(
    rb"([A-Za-z_]+):[ \t]*[\"']?(\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?"
    rb"(?:Z|[+-]\d\d:?\d\d)?)?)[\"']?"
)
# Keys that record when something happened (as opposed to when something is due).
_EVENT_KEY = re.compile(rb"^(?:at|date|[a-z_]+_at)$")


def front_matter(data: bytes) -> bytes:
    found = FRONT_MATTER.match(data)
    return found.group(1) if found else b""


def status(data: bytes | None) -> str | None:
    """The case's status, or None (no file, or no readable status line)."""
    if data is None:
        return None
    front = front_matter(data)
    found = _STATUS.search(front)
    if found:
        return found.group(1).decode()
    if b"status" not in front:
        return None
    return _status_by_yaml(front)  # an unusual layout (quoted key, flow style): read it all


def _status_by_yaml(front: bytes) -> str | None:
    import yaml

    try:
        value = yaml.load(front, Loader=yaml.CBaseLoader)  # strings only: no type guessing
    except yaml.YAMLError:
        return None
    status = value.get("status") if isinstance(value, dict) else None
    return status if isinstance(status, str) else None


def events(data: bytes | None) -> Counter[tuple[str, str]]:
    """Every (key, timestamp) recording when something happened, with multiplicity."""
    if data is None:
        return Counter()
    found: Counter[tuple[str, str]] = Counter()
    for key, value in _DATED.findall(front_matter(data)):
        if _EVENT_KEY.match(key):
            found[(key.decode(), value.decode())] += 1
    return found


def moment(value: str, zone: tzinfo) -> datetime | date | None:
    """A recorded timestamp: an aware datetime (naive ones read in the office's zone), a
    date for a whole day, or None if unreadable."""
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        parsed = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
