"""Who a case's sensitive sections and documents are encrypted to, from the policy and the roster.

The policy names recipient *classes* (the case team, the registering officer, a roster role, the
escrow key) for open and for closed cases; a case type, and a section within it, may override
them. A class resolves to the age recipients of the people who hold it today. The resulting set
is what `check` counts stanzas against (without keys) and what `rekey` compares, by fingerprint,
with the set a block was written for.

A case with a `case_key` (a per-case key, issue 8) is encrypted to that one key instead; the
people the classes resolve to become its *readers*, who hold wrappers of the key in the key
store. So a change of team changes wrappers, never ciphertext.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

from casetrail.core.case import Case
from casetrail.core.config import CASE_TEAM, Policy, Roster

ESCROW = "escrow"
REGISTERED_BY = "registered_by"
CASE_KEY = "case_key"  # the front matter field, and the holder name of a per-case key
ATTACHMENTS = None  # the `section` argument that means the case's documents


@dataclass(frozen=True, slots=True)
class RecipientSet:
    """The holders (handles, `escrow:NAME`) and their age recipient strings, both sorted."""

    holders: tuple[str, ...]
    keys: tuple[str, ...]

    @property
    def fingerprint(self) -> str:
        """16 hex digits naming exactly this set of keys (recorded with what they encrypt)."""
        digest = hashlib.sha256("\n".join(self.keys).encode("ascii")).hexdigest()
        return digest[:16]

    @property
    def stanza_types(self) -> Counter[str]:
        """The age header stanzas an encryption to this set produces, by type."""
        return Counter(key_type(key) for key in self.keys)

    def __len__(self) -> int:
        return len(self.keys)


def key_type(recipient: str) -> str:
    """The age stanza type a recipient string encrypts with (the roster schema allows two)."""
    return "X25519" if recipient.startswith("age1") else recipient.split(" ", 1)[0]


def classes_for(policy: Policy, case_type: str, section: str | None, closed: bool) -> list[str]:
    """The recipient classes of a section (or of the documents, section None): the section's
    own, else the case type's, else the office's."""
    state = "closed" if closed else "open"
    chosen: Any = policy.raw["recipients"][state]
    spec = policy.raw["case_types"].get(case_type, {})
    chosen = spec.get("recipients", {}).get(state, chosen)
    for entry in spec.get("sections", ()):
        if section is not None and entry["title"] == section:
            chosen = entry.get("recipients", {}).get(state, chosen)
    return list(chosen)


def for_section(case: Case, section: str | None, policy: Policy, roster: Roster) -> RecipientSet:
    """The recipients a section (or, with None, the documents) must be encrypted to now: the
    case's own key if it has one, else the people (and escrow keys) entitled to read it."""
    key = case.data.get(CASE_KEY)
    if isinstance(key, str):
        return RecipientSet((CASE_KEY,), (key,))
    return entitled(case, section, policy, roster)


def uses_per_case_key(policy: Policy, case_type: str) -> bool:
    """Whether a new case of this type gets a per-case key (policy `key_store`)."""
    setting = policy.raw.get("key_store") or {}
    if setting.get("per_case_keys") is not True:
        return False
    types = setting.get("case_types", "all")
    return types == "all" or case_type in types


def case_readers(case: Case, policy: Policy, roster: Roster) -> dict[str, str]:
    """Who must hold a wrapper of the case's per-case key now (holder -> age recipient): everyone
    entitled to any of its sensitive sections or its documents. One key opens the whole case,
    so a section-level override narrows nothing here (site/guides/keystore.md says so)."""
    spec = policy.case_types.get(case.type)
    titles: list[str | None] = [*sorted(spec.sensitive_titles)] if spec else []
    found: dict[str, str] = {}
    for title in [*titles, ATTACHMENTS]:
        chosen = entitled(case, title, policy, roster)
        for holder in chosen.holders:
            found.setdefault(holder, _key_of(holder, roster))
    return found


def _key_of(holder: str, roster: Roster) -> str:
    if holder.startswith(f"{ESCROW}:"):
        name = holder.split(":", 1)[1]
        return next(str(e["age_recipient"]) for e in roster.raw["escrow"] if e["name"] == name)
    return roster.people[holder].age_recipient


def entitled(case: Case, section: str | None, policy: Policy, roster: Roster) -> RecipientSet:
    """The people and escrow keys the policy entitles to read a section (or the documents)."""
    holders: set[str] = set()
    keys: dict[str, str] = {}
    for kind in classes_for(policy, case.type, section, case.status == "closed"):
        if kind == CASE_TEAM:
            handles = set(case.case_team())
        elif kind == REGISTERED_BY:
            handles = {str(case.data["registered_by"])}
        elif kind == ESCROW:
            for entry in roster.raw["escrow"]:
                if "valid_until" not in entry:
                    holder = f"{ESCROW}:{entry['name']}"
                    holders.add(holder)
                    keys[holder] = entry["age_recipient"]
            continue
        else:
            handles = {p.handle for p in roster.with_role(kind) if p.left_at is None}
        for handle in handles:
            person = roster.people.get(handle)
            if person is not None and person.left_at is None:
                holders.add(handle)
                keys[handle] = person.age_recipient
    return RecipientSet(tuple(sorted(holders)), tuple(sorted(set(keys.values()))))
