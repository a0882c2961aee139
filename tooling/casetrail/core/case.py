"""A schema-valid case: the front matter mapping with typed views the rules share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from casetrail.core.config import CASE_TEAM
from casetrail.core.formats import parse_datetime

Entry = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Case:
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def type(self) -> str:
        return str(self.data["type"])

    @property
    def status(self) -> str:
        return str(self.data["status"])

    @property
    def priority(self) -> str:
        return str(self.data["priority"])

    @property
    def registered_at(self) -> datetime:
        return parse_datetime(self.data["registered_at"])

    def entries(self, field: str) -> list[Entry]:
        value = self.data.get(field, [])
        return value if isinstance(value, list) else []

    def closure(self) -> Entry:
        value = self.data.get("closure", {})
        return value if isinstance(value, dict) else {}

    def current_assignment(self, role: str) -> tuple[int, Entry] | None:
        """The latest assignment in `role` that has not ended, with its index."""
        current = None
        for index, entry in enumerate(self.entries("assignments")):
            if entry["role"] == role and "ended_at" not in entry:
                current = (index, entry)
        return current

    def assignee(self, role: str) -> str | None:
        current = self.current_assignment(role)
        return str(current[1]["person"]) if current else None

    def case_team(self) -> frozenset[str]:
        """The current handler and resolution officer."""
        return frozenset(
            p for p in (self.assignee("handler"), self.assignee("resolution_officer")) if p
        )

    def holds(self, handle: str, roles: Iterable[str], responsible: Iterable[str]) -> bool:
        """Whether `handle`, with roster `roles`, is among `responsible`: roster roles, or
        `case_team` for this case's own handler and resolution officer."""
        held = set(roles) | ({CASE_TEAM} if handle in self.case_team() else set())
        return bool(held & set(responsible))

    def people(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """Every handle the record names, with where it stands."""
        for key in ("registered_by",):
            yield (key,), self.data[key]
        for group, fields in PERSON_FIELDS.items():
            value = self.data.get(group)
            if isinstance(value, dict):
                for name in fields:
                    if name in value:
                        yield (group, name), value[name]
            for index, entry in enumerate(value if isinstance(value, list) else []):
                for name in fields:
                    if name in entry:
                        yield (group, index, name), entry[name]
        for index, item in enumerate(self.closure().get("checklist", [])):
            yield ("closure", "checklist", index, "done_by"), item["done_by"]


PERSON_FIELDS: dict[str, tuple[str, ...]] = {
    "intake": ("assessed_by", "verified_by"),
    "priority_history": ("by",),
    "assignments": ("person", "assigned_by", "approved_by"),
    "followups": ("owner", "created_by", "done_by"),
    "communications": ("by",),
    "disclosures": ("by",),
    "reviews": ("by",),
    "flags": ("raised_by", "to", "resolved_by"),
    "conflicts": ("person", "declared_by"),
    "closure": ("requested_by", "closed_by"),
    "reopenings": ("by",),
    "attachments": ("added_by",),
}

# The timestamp that orders each list of dated entries (SOP 001 §4.2: chronological).
CHRONOLOGICAL: dict[str, str] = {
    "priority_history": "at",
    "assignments": "assigned_at",
    "followups": "created_at",
    "communications": "at",
    "disclosures": "at",
    "reviews": "at",
    "flags": "raised_at",
    "conflicts": "declared_at",
    "reopenings": "at",
    "attachments": "date",
}
