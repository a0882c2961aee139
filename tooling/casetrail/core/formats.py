"""The string formats of case files, shared by both schema validators and the model."""

from __future__ import annotations

import re
from datetime import date, datetime

# Calendar-aware: rejects 2026-02-30 and 2025-02-29, accepts 2028-02-29.
DATE = (
    r"(?!0000)(?:\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
    r"|02-(?:0[1-9]|1\d|2[0-8]))"
    r"|(?:\d\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)"
)
# A timestamp always carries its UTC offset, so no reader has to guess the zone.
DATETIME = rf"(?:{DATE})T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)"

# \Z, not $: Python's $ also matches before a final newline ("...+01:00\n").
FORMATS = {"date": f"^(?:{DATE})\\Z", "date-time": f"^{DATETIME}\\Z"}
_DATE_RE = re.compile(FORMATS["date"])
_DATETIME_RE = re.compile(FORMATS["date-time"])


def is_date(value: str) -> bool:
    return bool(_DATE_RE.match(value))


def is_datetime(value: str) -> bool:
    return bool(_DATETIME_RE.match(value))


def parse_datetime(value: str) -> datetime:
    """An aware datetime from a validated timestamp string."""
    return datetime.fromisoformat(value)


def parse_date(value: str) -> date:
    return date.fromisoformat(value)
