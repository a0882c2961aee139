"""The few facts the audit needs from every version of every case, read without YAML.

An audit reads tens of thousands of historical versions; a strict YAML parse of each costs
about 2 ms, this scan about 0.1 ms, and its result is kept by blob id (a version's facts never
change). It reads what casetrail writes (a top-level `status:` line, timestamps as ISO strings
after a key, assignments as block lists) and falls back to a YAML parse for any other layout.
Versions that need more (a change to a closed case) are parsed properly by the rules.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

VERSION = 2  # of the facts kept by blob id: bump when what they hold changes

_STATUS = re.compile(rb"^status:[ \t]*[\"']?([A-Za-z_]+)[\"']?[ \t]*(?:#.*)?\r?$", re.MULTILINE)
# `key: "2026-11-03T10:40:00+01:00"` or `key: 2026-11-03`: casetrail's block layout, one key
# per line (the scan starts only at line starts, which keeps it fast); other layouts (flow
# style) fall back to the YAML reader.
_DATED = re.compile(
    rb"^[ \t]*(?:-[ \t]+)?([a-z_]+):[ \t]*[\"']?(\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?"
    rb"(?:Z|[+-]\d\d:?\d\d)?)?)[\"']?[ \t]*\r?$"
)
_TIMESTAMP = re.compile(
    r"\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?"
)
# Keys that record when something happened (as opposed to when something is due).
_EVENT_KEY = re.compile(rb"^(?:at|date|[a-z_]+_at)$")
_ASSIGNMENTS = re.compile(rb"^assignments:[ \t]*\r?\n((?:[ \t-].*\r?\n?)*)", re.MULTILINE)
_ENTRY_FIELD = re.compile(
    rb"^[ \t]*(?:-[ \t]+)?(role|person):[ \t]*[\"']?([A-Za-z0-9_.-]+)", re.MULTILINE
)
TEAM_ROLES = frozenset({"handler", "resolution_officer"})
_CASE_KEY = re.compile(
    rb"^case_key:[ \t]*[\"']?(age1[02-9ac-hj-np-z]+)[\"']?[ \t]*\r?$", re.MULTILINE
)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the audit reads of one version of a case file."""

    status: str | None
    events: tuple[tuple[str, str, int], ...]  # (key, timestamp, how many times)
    team: frozenset[str]  # everyone it names as handler or resolution officer
    key: str | None = None  # its per-case key's recipient (`case_key`), if it has one

    def event_counts(self) -> Counter[tuple[str, str]]:
        return Counter({(key, value): count for key, value, count in self.events})

    def to_json(self) -> list[Any]:
        return [self.status, [list(e) for e in self.events], sorted(self.team), self.key]

    @classmethod
    def from_json(cls, data: list[Any]) -> Facts:
        status, events, team, key = data
        return cls(
            status, tuple((str(k), str(v), int(n)) for k, v, n in events), frozenset(team), key
        )


ABSENT = Facts(None, (), frozenset())


def facts(data: bytes | None) -> Facts:
    """The facts of one version (ABSENT for no file)."""
    if data is None:
        return ABSENT
    front = front_matter(data)
    flow = b"{" in front or b"[" in front.replace(b"[]", b"")
    parsed = _yaml(front) if flow else None
    if parsed is not None:
        key = parsed.get("case_key")
        return Facts(
            _yaml_status(parsed),
            _yaml_events(parsed),
            _yaml_team(parsed),
            key if isinstance(key, str) else None,
        )
    counted = _events(front)
    found = _CASE_KEY.search(front) if b"case_key" in front else None
    return Facts(
        _status(front),
        tuple(sorted((k, v, n) for (k, v), n in counted.items())),
        _team(front),
        found.group(1).decode() if found else None,
    )


def front_matter(data: bytes) -> bytes:
    """The front matter between the `---` lines (empty if there is none)."""
    return _split(data)[0]


def body(data: bytes) -> bytes:
    """What follows the front matter (all of it if there is none)."""
    return _split(data)[1]


def _split(data: bytes) -> tuple[bytes, bytes]:
    # str.find, not a regular expression: this runs on every version of every case.
    first = data.find(b"\n")
    if first < 0 or data[:first].rstrip(b"\r") != b"---":
        return b"", data
    position = first
    while True:
        end = data.find(b"\n---", position)
        if end < 0:
            return b"", data
        line_end = data.find(b"\n", end + 1)
        stop = line_end if line_end >= 0 else len(data)
        if data[end + 1 : stop].rstrip(b" \t\r") == b"---":
            return data[first + 1 : end + 1], data[stop + 1 :]
        position = end + 1


def status(data: bytes | None) -> str | None:
    """The case's status, or None (no file, or no readable status line)."""
    return None if data is None else _status(front_matter(data))


def _status(front: bytes) -> str | None:
    found = _STATUS.search(front)
    if found:
        return found.group(1).decode()
    if b"status" not in front:
        return None
    parsed = _yaml(front)  # an unusual layout (quoted key, flow style): read it all
    return _yaml_status(parsed) if parsed is not None else None


def events(data: bytes | None) -> Counter[tuple[str, str]]:
    """Every (key, timestamp) recording when something happened, with multiplicity (block
    layout; `facts` handles the others)."""
    return Counter() if data is None else _events(front_matter(data))


def _events(front: bytes) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for line in front.split(b"\n"):
        if b"at:" in line or b"date:" in line:  # cheap filter before the expression
            matched = _DATED.match(line)
            if matched and _EVENT_KEY.match(matched.group(1)):
                found[(matched.group(1).decode(), matched.group(2).decode())] += 1
    return found


def _team(front: bytes) -> frozenset[str]:
    block = _ASSIGNMENTS.search(front)
    if block is None:
        return frozenset()
    team = set()
    for entry in re.split(rb"(?m)^[ \t]*-[ \t]+", block.group(1)):
        fields = dict(_ENTRY_FIELD.findall(entry))
        if fields.get(b"role", b"").decode() in TEAM_ROLES and b"person" in fields:
            team.add(fields[b"person"].decode())
    return frozenset(team)


def _yaml(front: bytes) -> dict[str, Any] | None:
    import yaml

    try:
        value = yaml.load(front, Loader=yaml.CBaseLoader)  # strings only: no type guessing
    except yaml.YAMLError:
        return None
    return value if isinstance(value, dict) else None


def _yaml_status(front: dict[str, Any]) -> str | None:
    value = front.get("status")
    return value if isinstance(value, str) else None


def _yaml_events(front: dict[str, Any]) -> tuple[tuple[str, str, int], ...]:
    found: Counter[tuple[str, str]] = Counter()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if (
                    isinstance(item, str)
                    and _EVENT_KEY.match(str(key).encode())
                    and _TIMESTAMP.fullmatch(item)
                ):
                    found[(str(key), item)] += 1
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(front)
    return tuple(sorted((k, v, n) for (k, v), n in found.items()))


def _yaml_team(front: dict[str, Any]) -> frozenset[str]:
    entries = front.get("assignments")
    return frozenset(
        str(e["person"])
        for e in (entries if isinstance(entries, list) else [])
        if isinstance(e, dict) and e.get("role") in TEAM_ROLES and "person" in e
    )


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
