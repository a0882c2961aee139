"""The office's policy and roster as typed values (built from schema-valid mappings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from casetrail.core.formats import parse_date

CASE_TEAM = "case_team"


@dataclass(frozen=True, slots=True)
class SectionSpec:
    title: str
    sensitive: bool
    prompt: str


@dataclass(frozen=True, slots=True)
class CaseType:
    key: str
    label: str
    retention_years: int
    disposition: str
    sections: tuple[SectionSpec, ...]

    @property
    def sensitive_titles(self) -> frozenset[str]:
        return frozenset(s.title for s in self.sections if s.sensitive)

    def retention_until(self, closed: date) -> date:
        """The end of the retention period of a case of this type closed on `closed`."""
        try:
            return closed.replace(year=closed.year + self.retention_years)
        except ValueError:  # 29 February into a common year
            return closed.replace(year=closed.year + self.retention_years, day=28)

    @property
    def retention_rule(self) -> str:
        return (
            f"policy {self.key}: {self.retention_years} years from closure, then {self.disposition}"
        )


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    item: str
    label: str
    responsible: tuple[str, ...]
    when: str  # "request" or "close"


@dataclass(frozen=True, slots=True)
class Priority:
    key: str
    label: str
    weight: int
    assignment: dict[str, int]
    resolution: dict[str, int]


@dataclass(frozen=True, slots=True)
class Policy:
    raw: dict[str, Any]
    case_types: dict[str, CaseType]
    priorities: dict[str, Priority]
    channels: frozenset[str]
    stakeholder_roles: frozenset[str]
    attachment_kinds: frozenset[str]
    checklist: tuple[ChecklistItem, ...]

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> Policy:
        types = {
            key: CaseType(
                key=key,
                label=spec["label"],
                retention_years=spec["retention"]["years"],
                disposition=spec["retention"]["disposition"],
                sections=tuple(
                    SectionSpec(s["title"], s["sensitive"], s["prompt"]) for s in spec["sections"]
                ),
            )
            for key, spec in raw["case_types"].items()
        }
        priorities = {
            key: Priority(key, p["label"], p["weight"], p["assignment"], p["resolution"])
            for key, p in raw["priorities"].items()
        }
        checklist = tuple(
            ChecklistItem(c["item"], c["label"], tuple(c["responsible"]), c["when"])
            for c in raw["closure_checklist"]
        )
        return cls(
            raw=raw,
            case_types=types,
            priorities=priorities,
            channels=frozenset(raw["channels"]),
            stakeholder_roles=frozenset(raw["stakeholder_roles"]),
            attachment_kinds=frozenset(raw["attachment_kinds"]),
            checklist=checklist,
        )


@dataclass(frozen=True, slots=True)
class Absence:
    start: date
    end: date
    reason: str


@dataclass(frozen=True, slots=True)
class Person:
    handle: str
    name: str
    email: str
    roles: frozenset[str]
    expertise: frozenset[str]
    capacity: int
    active_from: date
    left_at: date | None
    availability: tuple[Absence, ...]
    age_recipient: str
    conflicts: tuple[tuple[str, str], ...] = ()  # (case id, reason) declared in the roster
    max_complexity: str = "high"  # the most complex cases the person takes

    def absence_on(self, day: date) -> Absence | None:
        return next((a for a in self.availability if a.start <= day <= a.end), None)

    def absences_between(self, first: date, last: date) -> list[Absence]:
        return [a for a in self.availability if a.start <= last and first <= a.end]

    def is_active(self, on: date) -> bool:
        return self.active_from <= on and (self.left_at is None or on < self.left_at)


@dataclass(frozen=True, slots=True)
class Roster:
    raw: dict[str, Any]
    people: dict[str, Person]

    def by_email(self, email: str) -> Person | None:
        wanted = email.strip().lower()
        return next((p for p in self.people.values() if p.email.lower() == wanted), None)

    def with_role(self, role: str) -> list[Person]:
        return [p for p in self.people.values() if role in p.roles]

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> Roster:
        people = {}
        for entry in raw["people"]:
            person = Person(
                handle=entry["handle"],
                name=entry["name"],
                email=entry["email"],
                roles=frozenset(entry["roles"]),
                expertise=frozenset(entry.get("expertise", ())),
                capacity=entry["capacity"],
                active_from=parse_date(entry["active_from"]),
                left_at=parse_date(entry["left_at"]) if "left_at" in entry else None,
                availability=tuple(
                    Absence(parse_date(a["from"]), parse_date(a["until"]), a["reason"])
                    for a in entry.get("availability", ())
                ),
                age_recipient=entry["age_recipient"],
                conflicts=tuple((c["with"], c["reason"]) for c in entry.get("conflicts", ())),
                max_complexity=entry.get("max_complexity", "high"),
            )
            people[person.handle] = person
        return cls(raw=raw, people=people)
