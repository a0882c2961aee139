"""Destruction of records whose retention has ended (SOP 002 §4.6): the list a records officer
proposes, the tombstone that replaces each destroyed case file, and the certificate of a list's
execution. Pure: texts in, values and texts out; the shell reads git and the key store.

The procedure, with four eyes and a cooling-off period:

1. A records officer proposes a list (`retention/destruction/<LIST>.yaml`) of closed cases whose
   retention has ended with the disposition `destroy`, none under legal hold.
2. A supervisor other than the proposer approves it by merging it to main with a signed merge.
3. No sooner than `destruction.cooling_off_days` (policy; default 7) after that merge, a records
   officer executes it: each case's per-case key is erased from the key store (crypto-shredding),
   its documents are removed, its file becomes a tombstone (ID, type, dates and this record),
   and a certificate (`retention/certificates/<LIST>.yaml`) is committed with them.

A tombstone keeps no title, no party, no text: only what a register of destroyed records needs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from casetrail.core import yamlstrict
from casetrail.core.case import Case
from casetrail.core.formats import is_datetime, parse_date

LIST_SCHEMA = "casetrail-destruction-list/1"
TOMBSTONE_SCHEMA = "casetrail-tombstone/1"
CERTIFICATE_SCHEMA = "casetrail-destruction-certificate/1"
DESTROYED = "destroyed"
LIST_ID = re.compile(r"^DL-(\d{4}-\d{2}-\d{2})-([1-9][0-9]{0,2})\Z")
LISTS_DIR = "retention/destruction"
CERTIFICATES_DIR = "retention/certificates"
DEFAULT_COOLING_OFF_DAYS = 7
KEY_ERASED = "erased"  # the case's per-case key was crypto-shredded
NO_CASE_KEY = "none"  # the case had no per-case key: its old ciphertext stays readable
_CASE_ID = re.compile(r"^[0-9]{4}-[0-9A-HJKMNP-TV-Z]{7}\Z")
_HANDLE = re.compile(r"^[a-z][a-z0-9_-]{1,31}\Z")
_COMMIT = re.compile(r"^[0-9a-f]{40}\Z")


class DestructionError(Exception):
    """A list, tombstone or certificate that does not read; or a refused step."""


def list_path(list_id: str) -> str:
    return f"{LISTS_DIR}/{check_list_id(list_id)}.yaml"


def certificate_path(list_id: str) -> str:
    return f"{CERTIFICATES_DIR}/{check_list_id(list_id)}.yaml"


def check_list_id(list_id: str) -> str:
    if not LIST_ID.match(list_id):
        shown = list_id[:40].encode("ascii", "backslashreplace").decode("ascii")
        raise DestructionError(f"'{shown}' is not a destruction list ID (DL-YYYY-MM-DD-N)")
    return list_id


def next_list_id(day: date, taken: Iterable[str]) -> str:
    """The first free `DL-<day>-N`."""
    used = set(taken)
    for number in range(1, 1000):
        candidate = f"DL-{day.isoformat()}-{number}"
        if candidate not in used:
            return candidate
    raise DestructionError(f"more than 999 destruction lists proposed on {day}")


def cooling_off_days(policy: Mapping[str, Any]) -> int:
    given = (policy.get("destruction") or {}).get("cooling_off_days")
    return given if isinstance(given, int) and given >= 0 else DEFAULT_COOLING_OFF_DAYS


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(value, ensure_ascii=False)


# --- the proposed list ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Listed:
    """One case on a list, as its record stood when proposed."""

    id: str
    type: str
    closed_at: str
    until: str
    rule: str


@dataclass(frozen=True, slots=True)
class DestructionList:
    id: str
    proposed_by: str
    proposed_at: str
    reason: str
    cases: tuple[Listed, ...]

    @property
    def case_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.cases)


def listed(case: Case) -> Listed:
    kept = case.data.get("retention") or {}
    return Listed(
        case.id,
        case.type,
        str(case.closure().get("closed_at", "")),
        str(kept.get("until", "")),
        str(kept.get("rule", "")),
    )


def render_list(value: DestructionList) -> str:
    lines = [
        f"schema: {LIST_SCHEMA}",
        f"id: {value.id}",
        f"proposed_by: {value.proposed_by}",
        f"proposed_at: {_q(value.proposed_at)}",
        f"reason: {_q(value.reason)}",
        "cases:",
    ]
    for c in value.cases:
        lines += [
            f"  - id: {c.id}",
            f"    type: {c.type}",
            f"    closed_at: {_q(c.closed_at)}",
            f"    until: {_q(c.until)}",
            f"    rule: {_q(c.rule)}",
        ]
    return (
        "# A destruction list: approved when a supervisor merges it (signed), executed with\n"
        + ("# `casetrail destroy execute " + value.id + "` after the cooling-off period.\n")
        + "\n".join(lines)
        + "\n"
    )


def _load(text: str, what: str) -> dict[str, Any]:
    try:
        value = yamlstrict.load(text).value
    except yamlstrict.StrictYamlError as error:
        raise DestructionError(f"{what}: {error.message} (line {error.line + 1})") from None
    if not isinstance(value, dict):
        raise DestructionError(f"{what}: not a mapping")
    return value


def _text(
    value: Mapping[str, Any], key: str, what: str, pattern: re.Pattern[str] | None = None
) -> str:
    got = value.get(key)
    if not isinstance(got, str) or not got or (pattern is not None and not pattern.match(got)):
        raise DestructionError(f"{what}: `{key}` is missing or malformed")
    return got


def _moment(value: Mapping[str, Any], key: str, what: str) -> str:
    got = _text(value, key, what)
    if not is_datetime(got):
        raise DestructionError(f"{what}: `{key}` is not a date and time with its offset")
    return got


def _case_entries(
    raw: Mapping[str, Any], what: str, allow_empty: bool
) -> list[tuple[str, dict[str, Any]]]:
    """The `cases:` entries of a list or certificate, each a mapping, with a label for messages."""
    entries = raw.get("cases")
    if not isinstance(entries, list) or not (entries or allow_empty):
        raise DestructionError(f"{what}: lists no cases")
    found = []
    for number, entry in enumerate(entries, start=1):
        where = f"{what}: case {number}"
        if not isinstance(entry, dict):
            raise DestructionError(f"{where}: not a mapping")
        found.append((where, entry))
    return found


def parse_list(text: str, what: str) -> DestructionList:
    raw = _load(text, what)
    if raw.get("schema") != LIST_SCHEMA:
        raise DestructionError(f"{what}: not a destruction list (schema {LIST_SCHEMA})")
    list_id = check_list_id(_text(raw, "id", what))
    cases = []
    for where, entry in _case_entries(raw, what, allow_empty=False):
        cases.append(
            Listed(
                _text(entry, "id", where, _CASE_ID),
                _text(entry, "type", where),
                str(entry.get("closed_at", "")),
                str(entry.get("until", "")),
                str(entry.get("rule", "")),
            )
        )
    ids = [c.id for c in cases]
    if len(set(ids)) != len(ids):
        raise DestructionError(f"{what}: names a case twice")
    return DestructionList(
        list_id,
        _text(raw, "proposed_by", what, _HANDLE),
        _moment(raw, "proposed_at", what),
        _text(raw, "reason", what),
        tuple(cases),
    )


# --- what may be destroyed ------------------------------------------------------------------


def why_not_destroyable(case: Case, today: date) -> str | None:
    """Why a case may not be destroyed today, or None if it may."""
    if case.status != "closed":
        return f"{case.id} is {case.status}, not closed"
    kept = case.data.get("retention")
    if not isinstance(kept, dict) or "until" not in kept:
        return f"{case.id} has no retention scheduled"
    if kept.get("legal_hold") is True:
        return f"{case.id} is under legal hold"
    if kept.get("disposition") != "destroy":
        return f"{case.id}'s disposition is {kept.get('disposition')}, not destroy"
    until = parse_date(str(kept["until"]))
    if until > today:
        return f"{case.id} is kept until {until}"
    return None


def due_for_destruction(cases: Sequence[Case], today: date, pending: Iterable[str]) -> list[Case]:
    """Closed cases whose retention ended with `destroy`, not held, on no pending list."""
    skip = set(pending)
    found = [c for c in cases if c.id not in skip and why_not_destroyable(c, today) is None]
    return sorted(found, key=lambda c: c.id)


@dataclass(frozen=True, slots=True)
class Approval:
    """The signed merge that brought a list to main."""

    commit: str
    by: str  # the verified signer
    at: datetime  # the merge's commit time, as the tombstone records it
    made: datetime  # when it can have been made at the earliest: no sooner than what it merged


def cooling_off_ends(approval: Approval, days: int) -> datetime:
    """Counted from when the merge was really made: a merge dated before the commits it merges
    must not shorten the period."""
    return approval.made + timedelta(days=days)


# --- tombstones ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Record:
    """The destruction record a tombstone and a certificate carry."""

    list_id: str
    rule: str
    proposed_by: str
    proposed_at: str
    approved_by: str
    approved_at: str
    approval_commit: str
    executed_by: str
    executed_at: str


@dataclass(frozen=True, slots=True)
class Tombstone:
    id: str
    type: str
    received_at: str
    registered_at: str
    closed_at: str
    retention_until: str
    key: str  # KEY_ERASED or NO_CASE_KEY
    record: Record


def tombstone_for(case: Case, record: Record, key: str) -> Tombstone:
    kept = case.data.get("retention") or {}
    return Tombstone(
        case.id,
        case.type,
        str(case.data.get("received_at", "")),
        str(case.data.get("registered_at", "")),
        str(case.closure().get("closed_at", "")),
        str(kept.get("until", "")),
        key,
        replace(record, rule=str(kept.get("rule", record.rule))),
    )


def render_tombstone(t: Tombstone) -> str:
    r = t.record
    lines = [
        "---",
        f"schema: {TOMBSTONE_SCHEMA}",
        f"id: {t.id}",
        f"type: {t.type}",
        f"status: {DESTROYED}",
        f"received_at: {_q(t.received_at)}",
        f"registered_at: {_q(t.registered_at)}",
        f"closed_at: {_q(t.closed_at)}",
        f"retention_until: {_q(t.retention_until)}",
        "destruction:",
        f"  list: {r.list_id}",
        f"  rule: {_q(r.rule)}",
        f"  proposed_by: {r.proposed_by}",
        f"  proposed_at: {_q(r.proposed_at)}",
        f"  approved_by: {r.approved_by}",
        f"  approved_at: {_q(r.approved_at)}",
        f"  approval_commit: {r.approval_commit}",
        f"  executed_by: {r.executed_by}",
        f"  executed_at: {_q(r.executed_at)}",
        f"  key: {t.key}",
        "---",
        "",
        f"This record was destroyed under destruction list {r.list_id} at the end of its "
        "retention period.",
        f"Only this tombstone remains; the certificate is {certificate_path(r.list_id)}.",
        "",
    ]
    return "\n".join(lines)


def _record(raw: Mapping[str, Any], what: str, list_key: str, rule: str) -> Record:
    """The destruction record fields a tombstone and a certificate share, each checked."""
    return Record(
        check_list_id(_text(raw, list_key, what)),
        rule,
        _text(raw, "proposed_by", what, _HANDLE),
        _moment(raw, "proposed_at", what),
        _text(raw, "approved_by", what, _HANDLE),
        _moment(raw, "approved_at", what),
        _text(raw, "approval_commit", what, _COMMIT),
        _text(raw, "executed_by", what, _HANDLE),
        _moment(raw, "executed_at", what),
    )


def is_tombstone(front_matter: Mapping[str, Any]) -> bool:
    return front_matter.get("schema") == TOMBSTONE_SCHEMA


def parse_tombstone(front_matter: Mapping[str, Any], what: str) -> Tombstone:
    """A tombstone's fields, refused unless each is present and well formed (and nothing else
    is there: a tombstone that grew a title or a section would be a leak)."""
    allowed = {
        "schema", "id", "type", "status", "received_at", "registered_at", "closed_at",
        "retention_until", "destruction",
    }  # fmt: skip
    extra = sorted(set(front_matter) - allowed)
    if extra:
        raise DestructionError(f"{what}: a tombstone holds only its record, not {', '.join(extra)}")
    if front_matter.get("status") != DESTROYED:
        raise DestructionError(f"{what}: a tombstone's status is `{DESTROYED}`")
    d = front_matter.get("destruction")
    if not isinstance(d, dict):
        raise DestructionError(f"{what}: `destruction` is missing")
    where = f"{what}: destruction"
    record = _record(d, where, "list", _text(d, "rule", where))
    key = _text(d, "key", where)
    if key not in (KEY_ERASED, NO_CASE_KEY):
        raise DestructionError(f"{where}: `key` is {KEY_ERASED} or {NO_CASE_KEY}")
    return Tombstone(
        _text(front_matter, "id", what, _CASE_ID),
        _text(front_matter, "type", what),
        _moment(front_matter, "received_at", what),
        _moment(front_matter, "registered_at", what),
        str(front_matter.get("closed_at", "")),
        str(front_matter.get("retention_until", "")),
        key,
        record,
    )


# --- the certificate -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Destroyed:
    id: str
    type: str
    closed_at: str
    until: str
    key: str
    documents: int  # document files removed


@dataclass(frozen=True, slots=True)
class Certificate:
    record: Record
    cooling_off_days: int
    cases: tuple[Destroyed, ...]
    key_store_log: str  # "N entries, head <sha256>" after the erasures, or "" without a store


def render_certificate(c: Certificate) -> str:
    r = c.record
    lines = [
        "# Certificate of destruction: written and committed by `casetrail destroy execute`.",
        f"schema: {CERTIFICATE_SCHEMA}",
        f"list: {r.list_id}",
        f"proposed_by: {r.proposed_by}",
        f"proposed_at: {_q(r.proposed_at)}",
        f"approved_by: {r.approved_by}",
        f"approved_at: {_q(r.approved_at)}",
        f"approval_commit: {r.approval_commit}",
        f"cooling_off_days: {c.cooling_off_days}",
        f"executed_by: {r.executed_by}",
        f"executed_at: {_q(r.executed_at)}",
        f"key_store_log: {_q(c.key_store_log)}",
        "cases:",
    ]
    for d in c.cases:
        lines += [
            f"  - id: {d.id}",
            f"    type: {d.type}",
            f"    closed_at: {_q(d.closed_at)}",
            f"    retention_until: {_q(d.until)}",
            f"    key: {d.key}",
            f"    documents_removed: {d.documents}",
        ]
    return "\n".join(lines) + "\n"


def parse_certificate(text: str, what: str) -> Certificate:
    raw = _load(text, what)
    if raw.get("schema") != CERTIFICATE_SCHEMA:
        raise DestructionError(f"{what}: not a destruction certificate")
    record = _record(raw, what, "list", "")
    cases = []
    for where, entry in _case_entries(raw, what, allow_empty=True):
        removed = entry.get("documents_removed", 0)
        cases.append(
            Destroyed(
                _text(entry, "id", where, _CASE_ID),
                _text(entry, "type", where),
                str(entry.get("closed_at", "")),
                str(entry.get("retention_until", "")),
                _text(entry, "key", where),
                removed if isinstance(removed, int) else 0,
            )
        )
    days = raw.get("cooling_off_days")
    return Certificate(
        record,
        days if isinstance(days, int) else DEFAULT_COOLING_OFF_DAYS,
        tuple(cases),
        str(raw.get("key_store_log", "")),
    )
