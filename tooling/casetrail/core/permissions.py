"""The permissions report of SOP 002 §4.2: who can sign, who supervises, who can decrypt what,
and every change to those over time with who made it.

Pure: the caller reads history (one revision per commit on main that changed the roster or the
policy, oldest first) and says which day "now" is. The current picture comes from the last
revision; the changes come from comparing each revision with the one before it. Decryption
follows the same rules as `casetrail check` and `rekey` (recipients.py): the policy's classes,
overridden by a case type and then by a section, resolved to the people who hold a role and
have not left, and to the escrow keys that have not been ended.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from casetrail.core.config import CASE_TEAM, Policy, Roster
from casetrail.core.recipients import ESCROW, REGISTERED_BY, classes_for
from casetrail.core.signers import signing_keys
from casetrail.core.sshsig import fingerprint

STATES = ("open", "closed")
ACTIVE, ENDED, REVOKED, NOT_YET_VALID = "active", "ended", "revoked", "not yet valid"
SUPERVISOR = "supervisor"
DOCUMENTS = "documents"

# Change kinds, as they appear in JSON.
PERSON_ADDED = "person_added"
PERSON_LEFT = "person_left"
PERSON_RETURNED = "person_returned"
PERSON_REMOVED = "person_removed"
EMAIL_CHANGED = "email_changed"
DECRYPTION_KEY_CHANGED = "decryption_key_changed"
ROLE_ADDED = "role_added"
ROLE_REMOVED = "role_removed"
KEY_ADDED = "key_added"
KEY_ENDED = "key_ended"
KEY_REVOKED = "key_revoked"
KEY_REMOVED = "key_removed"
KEY_CHANGED = "key_changed"
ESCROW_ADDED = "escrow_added"
ESCROW_ENDED = "escrow_ended"
ESCROW_REMOVED = "escrow_removed"
ESCROW_CHANGED = "escrow_changed"
RECIPIENTS_CHANGED = "recipients_changed"
TRUST_ROOT_CHANGED = "trust_root_changed"
UNREADABLE = "unreadable"

_CLASS_WORDS = {
    CASE_TEAM: "the case's handler and resolution officer",
    REGISTERED_BY: "whoever registered it",
}


@dataclass(frozen=True, slots=True)
class Revision:
    """One version of the roster and the policy: the commit on main that introduced it."""

    commit: str  # full commit id
    when: datetime  # commit time (aware)
    by: str  # roster handle of the verified signer, or "unverified: <committer name>"
    roster: Mapping[str, Any] | None  # schema/roster.yaml at that commit (None: unreadable)
    policy: Mapping[str, Any] | None  # schema/policy.yaml at that commit (None: unreadable)


@dataclass(frozen=True, slots=True)
class KeyGrant:
    """One signing key of a person and its state on the report's day."""

    fingerprint: str  # "SHA256:..."
    type: str  # "ssh-ed25519", ...
    valid_from: date | None
    valid_until: date | None
    revoked_at: date | None
    state: str  # active, ended, revoked, not yet valid


@dataclass(frozen=True, slots=True)
class Signer:
    handle: str
    name: str
    email: str
    roles: tuple[str, ...]
    left_at: date | None
    keys: tuple[KeyGrant, ...]

    @property
    def can_sign(self) -> bool:
        return any(k.state == ACTIVE for k in self.keys)


@dataclass(frozen=True, slots=True)
class EscrowGrant:
    name: str
    valid_from: date | None
    valid_until: date | None
    state: str  # active, ended, not yet valid


@dataclass(frozen=True, slots=True)
class Reader:
    """One recipient class of the policy, in words and resolved to its holders."""

    kind: str  # the policy's class: case_team, registered_by, supervisor, escrow, ...
    description: str  # in words
    holders: tuple[str, ...]  # handles (roles) or escrow key names; empty for per-case classes


@dataclass(frozen=True, slots=True)
class Access:
    """Who can decrypt these parts of a case of this type in this state."""

    case_type: str
    state: str  # open or closed
    documents: bool  # the case's documents are among the parts
    sections: tuple[str, ...]  # sensitive section titles
    classes: tuple[str, ...]
    readers: tuple[Reader, ...]


@dataclass(frozen=True, slots=True)
class Change:
    commit: str
    when: datetime
    by: str
    kind: str
    subject: str  # a handle, an escrow key name, or a policy setting
    summary: str  # one line in words
    flagged: bool = False  # something the rules forbid or an auditor should look at


@dataclass(frozen=True, slots=True)
class PermissionsReport:
    as_of: date | None
    head: str | None  # the commit of the last revision
    trust_root: str | None
    signers: tuple[Signer, ...]
    supervisors: tuple[str, ...]  # supervisors with an active signing key
    escrow: tuple[EscrowGrant, ...]
    access: tuple[Access, ...]
    unencrypted: tuple[tuple[str, tuple[str, ...]], ...]  # (case type, plain section titles)
    changes: tuple[Change, ...]
    warnings: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------------------------------------
# Snapshots: one revision's roster and policy in the terms the report compares.


@dataclass(frozen=True, slots=True)
class _Key:
    fingerprint: str
    type: str
    valid_from: date | None
    valid_until: date | None
    revoked_at: date | None


@dataclass(frozen=True, slots=True)
class _Person:
    handle: str
    name: str
    email: str
    roles: tuple[str, ...]
    left_at: date | None
    age_recipient: str
    keys: dict[str, _Key]  # by fingerprint, in roster order


@dataclass(frozen=True, slots=True)
class _Escrow:
    name: str
    age_recipient: str
    valid_from: date | None
    valid_until: date | None


@dataclass(frozen=True, slots=True)
class _RosterSnap:
    model: Roster
    people: dict[str, _Person]
    escrow: dict[str, _Escrow]


@dataclass(frozen=True, slots=True)
class _PolicySnap:
    model: Policy
    trust_root: str | None
    # (case type or None, section title or None, state) -> classes, for every place that sets them
    recipients: dict[tuple[str | None, str | None, str], tuple[str, ...]]


# What reading a mapping that is not a schema-valid roster or policy can raise.
_UNREADABLE = (KeyError, TypeError, ValueError, AttributeError)

_EMPTY_ROSTER_RAW: dict[str, Any] = {"people": [], "escrow": []}


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _key_type(key: str) -> str:
    return key.split(" ", 1)[0]


def _fingerprint(key: str) -> str:
    try:
        return fingerprint(key)
    except ValueError:  # signing_keys keeps only readable keys; never expected
        return f"unreadable key {key[:24]}..."


def _roster_snap(raw: Mapping[str, Any]) -> _RosterSnap:
    """Raise KeyError, TypeError or ValueError when the mapping is not a roster."""
    model = Roster.from_mapping(dict(raw))
    # Keyed by fingerprint; a key listed twice for one person (two windows) by "#2", "#3".
    keys_of: dict[str, dict[str, _Key]] = {handle: {} for handle in model.people}
    for signing in signing_keys(raw):
        print_ = _fingerprint(signing.key)
        mine = keys_of.setdefault(signing.handle, {})
        slot, count = print_, 1
        while slot in mine:
            count += 1
            slot = f"{print_}#{count}"
        mine[slot] = _Key(
            print_,
            _key_type(signing.key),
            signing.valid_from,
            signing.valid_until,
            signing.revoked_at,
        )
    people = {
        handle: _Person(
            handle,
            person.name,
            person.email,
            tuple(_roles_in_order(raw, handle)),
            person.left_at,
            person.age_recipient,
            keys_of.get(handle, {}),
        )
        for handle, person in model.people.items()
    }
    escrow = {
        str(e["name"]): _Escrow(
            str(e["name"]),
            str(e["age_recipient"]),
            _day(e.get("valid_from")),
            _day(e.get("valid_until")),
        )
        for e in raw.get("escrow", ())
    }
    return _RosterSnap(model, people, escrow)


def _roles_in_order(raw: Mapping[str, Any], handle: str) -> list[str]:
    """A person's roles in roster order (the model keeps them as a set)."""
    for entry in raw.get("people", ()):
        if entry.get("handle") == handle:
            return [str(r) for r in entry.get("roles", ())]
    return []


def _policy_snap(raw: Mapping[str, Any]) -> _PolicySnap:
    """Raise KeyError, TypeError or ValueError when the mapping is not a policy."""
    model = Policy.from_mapping(dict(raw))
    settings: dict[tuple[str | None, str | None, str], tuple[str, ...]] = {}
    office = raw["recipients"]
    for state in STATES:
        settings[(None, None, state)] = tuple(office[state])
    for type_key, spec in raw["case_types"].items():
        for state in STATES:
            if state in spec.get("recipients", {}):
                settings[(type_key, None, state)] = tuple(spec["recipients"][state])
        for section in spec.get("sections", ()):
            for state in STATES:
                if state in section.get("recipients", {}):
                    settings[(type_key, section["title"], state)] = tuple(
                        section["recipients"][state]
                    )
    trust_root = raw.get("trust_root")
    return _PolicySnap(model, str(trust_root) if trust_root else None, settings)


# ---------------------------------------------------------------------------------------------
# The current picture.


def key_state(
    valid_from: date | None, valid_until: date | None, revoked_at: date | None, on: date
) -> str:
    """A key's state on a day: revoked whatever the dates (a revoked key is refused for every
    commit), else not yet valid before valid_from, ended after valid_until (its last day)."""
    if revoked_at is not None:
        return REVOKED
    if valid_from is not None and on < valid_from:
        return NOT_YET_VALID
    if valid_until is not None and on > valid_until:
        return ENDED
    return ACTIVE


def _signers(roster: _RosterSnap, as_of: date) -> tuple[Signer, ...]:
    return tuple(
        Signer(
            p.handle,
            p.name,
            p.email,
            p.roles,
            p.left_at,
            tuple(
                KeyGrant(
                    k.fingerprint,
                    k.type,
                    k.valid_from,
                    k.valid_until,
                    k.revoked_at,
                    key_state(k.valid_from, k.valid_until, k.revoked_at, as_of),
                )
                for k in p.keys.values()
            ),
        )
        for p in roster.people.values()
    )


def _escrow_grants(roster: _RosterSnap, as_of: date) -> tuple[EscrowGrant, ...]:
    return tuple(
        EscrowGrant(
            e.name,
            e.valid_from,
            e.valid_until,
            key_state(e.valid_from, e.valid_until, None, as_of),
        )
        for e in roster.escrow.values()
    )


def _role_words(role: str, count: int) -> str:
    words = role.replace("_", " ")
    return words if count == 1 else f"{words}s"


def _reader(kind: str, roster: _RosterSnap) -> Reader:
    if kind in _CLASS_WORDS:
        return Reader(kind, _CLASS_WORDS[kind], ())
    if kind == ESCROW:
        # As recipients.py: an escrow key is a recipient until it has an end date.
        names = tuple(str(e["name"]) for e in roster.model.raw["escrow"] if "valid_until" not in e)
        return Reader(kind, "escrow key" if len(names) == 1 else "escrow keys", names)
    handles = tuple(sorted(p.handle for p in roster.model.with_role(kind) if p.left_at is None))
    return Reader(kind, _role_words(kind, len(handles)), handles)


def _access(policy: _PolicySnap, roster: _RosterSnap) -> tuple[Access, ...]:
    found: list[Access] = []
    for type_key, case_type in policy.model.case_types.items():
        parts: list[str | None] = [None]
        parts += [s.title for s in case_type.sections if s.sensitive]
        for state in STATES:
            groups: dict[tuple[str, ...], list[str | None]] = {}
            for part in parts:
                classes = tuple(classes_for(policy.model, type_key, part, state == "closed"))
                groups.setdefault(classes, []).append(part)
            for classes, members in groups.items():
                found.append(
                    Access(
                        type_key,
                        state,
                        None in members,
                        tuple(m for m in members if m is not None),
                        classes,
                        tuple(_reader(kind, roster) for kind in classes),
                    )
                )
    return tuple(found)


def _unencrypted(policy: _PolicySnap) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(
        (key, tuple(s.title for s in spec.sections if not s.sensitive))
        for key, spec in policy.model.case_types.items()
        if any(not s.sensitive for s in spec.sections)
    )


def _current_warnings(roster: _RosterSnap, signers: Sequence[Signer], as_of: date) -> list[str]:
    warnings = []
    for signer in signers:
        if signer.left_at is not None and signer.left_at <= as_of:
            for key in signer.keys:
                if key.state == ACTIVE:
                    warnings.append(
                        f"{signer.handle} left on {signer.left_at} but signing key "
                        f"{key.fingerprint} is still active"
                    )
        staying = signer.left_at is None or signer.left_at > as_of
        if SUPERVISOR in signer.roles and not signer.can_sign and staying:
            warnings.append(
                f"{signer.handle} is a supervisor without an active signing key "
                "(cannot approve closures by merge)"
            )
    owners: dict[str, list[str]] = {}
    for signer in signers:
        for key in signer.keys:
            if signer.handle not in owners.setdefault(key.fingerprint, []):
                owners[key.fingerprint].append(signer.handle)
    for print_, handles in owners.items():
        if len(handles) > 1:
            warnings.append(
                f"signing key {print_} is listed for {', '.join(handles)}, so it proves nothing "
                "about who signed (audit treats it as unknown)"
            )
    if not any(SUPERVISOR in s.roles and s.can_sign for s in signers):
        warnings.append("nobody is a supervisor with an active signing key")
    for e in roster.escrow.values():
        if e.valid_until is not None and e.valid_until >= as_of:
            warnings.append(
                f"escrow key {e.name} has an end date ({e.valid_until}), so new encryptions "
                "already leave it out"
            )
    return warnings


# ---------------------------------------------------------------------------------------------
# Changes between two revisions.


def _short(commit: str) -> str:
    return commit[:12]


def _key_words(key: _Key, handle: str) -> str:
    return f"signing key {key.fingerprint} ({key.type}) of {handle}"


def _roster_changes(
    old: _RosterSnap | None, new: _RosterSnap
) -> Iterator[tuple[str, str, str, bool]]:
    """(kind, subject, summary, flagged) for each difference, in roster order."""
    before = old.people if old is not None else {}
    for handle, person in new.people.items():
        was = before.get(handle)
        if was is None:
            roles = ", ".join(person.roles) or "no role"
            yield PERSON_ADDED, handle, f"{handle} ({person.name}) added with roles {roles}", False
            if person.left_at is not None:
                yield PERSON_LEFT, handle, f"{handle} left on {person.left_at}", False
            for key in person.keys.values():
                yield from _key_added(key, handle)
            continue
        if was.left_at != person.left_at:
            if person.left_at is None:
                yield (
                    PERSON_RETURNED,
                    handle,
                    f"{handle} no longer marked as left (was left on {was.left_at})",
                    True,
                )
            elif was.left_at is None:
                yield (
                    PERSON_LEFT,
                    handle,
                    f"{handle} ({person.name}) left on {person.left_at}",
                    False,
                )
            else:
                yield (
                    PERSON_LEFT,
                    handle,
                    f"{handle} leaving date moved from {was.left_at} to {person.left_at}",
                    False,
                )
        if was.email != person.email:
            yield (
                EMAIL_CHANGED,
                handle,
                f"{handle} email changed from {was.email} to {person.email} "
                "(commits are matched to signers by email)",
                False,
            )
        if was.age_recipient != person.age_recipient:
            yield (
                DECRYPTION_KEY_CHANGED,
                handle,
                f"{handle} decryption key (age recipient) replaced",
                False,
            )
        for role in person.roles:
            if role not in was.roles:
                yield ROLE_ADDED, handle, f"{handle} became {_role_words(role, 1)}", False
        for role in was.roles:
            if role not in person.roles:
                yield ROLE_REMOVED, handle, f"{handle} is no longer {_role_words(role, 1)}", False
        yield from _key_changes(was, person)
    for handle, was in before.items():
        if handle not in new.people:
            yield (
                PERSON_REMOVED,
                handle,
                f"{handle} ({was.name}) deleted from the roster: people must be marked as left, "
                "never deleted",
                True,
            )
            for key in was.keys.values():
                yield KEY_REMOVED, handle, f"{_key_words(key, handle)} deleted with them", True
    yield from _escrow_changes(old.escrow if old is not None else {}, new.escrow)


def _key_added(key: _Key, handle: str) -> Iterator[tuple[str, str, str, bool]]:
    dates = f"valid from {key.valid_from}" if key.valid_from else "no start date"
    if key.valid_until is not None:
        dates += f" until {key.valid_until}"
    yield KEY_ADDED, handle, f"{_key_words(key, handle)} added, {dates}", False
    if key.revoked_at is not None:
        yield KEY_REVOKED, handle, f"{_key_words(key, handle)} revoked on {key.revoked_at}", False


def _key_changes(was: _Person, person: _Person) -> Iterator[tuple[str, str, str, bool]]:
    handle = person.handle
    for print_, key in person.keys.items():
        old = was.keys.get(print_)
        if old is None:
            yield from _key_added(key, handle)
            continue
        words = _key_words(key, handle)
        yield from _validity_changes(
            old, key, handle, words, KEY_CHANGED, KEY_ENDED, flag_widening=True
        )
        if old.revoked_at != key.revoked_at:
            if key.revoked_at is None:
                yield (
                    KEY_CHANGED,
                    handle,
                    f"{words} revocation of {old.revoked_at} withdrawn",
                    True,
                )
            elif old.revoked_at is None:
                yield KEY_REVOKED, handle, f"{words} revoked on {key.revoked_at}", False
            else:
                yield (
                    KEY_REVOKED,
                    handle,
                    f"{words} revocation date moved from {old.revoked_at} to {key.revoked_at}",
                    False,
                )
    for print_, old in was.keys.items():
        if print_ not in person.keys:
            yield (
                KEY_REMOVED,
                handle,
                f"{_key_words(old, handle)} deleted from the roster: keys must be ended, never "
                "deleted, or older commits stop verifying",
                True,
            )


def _validity_changes(
    old: _Key | _Escrow,
    new: _Key | _Escrow,
    subject: str,
    words: str,
    changed: str,
    ended: str,
    *,
    flag_widening: bool,
) -> Iterator[tuple[str, str, str, bool]]:
    """A key's start and end dates moved, as `changed` (start, end removed) or `ended` changes.
    With `flag_widening`, a window that grows (an earlier start, an end removed or moved later)
    is flagged: for a signing key it lets commits verify that did not before."""
    if old.valid_from != new.valid_from:
        earlier = new.valid_from is None or (
            old.valid_from is not None and new.valid_from < old.valid_from
        )
        summary = f"{words} start moved from {old.valid_from} to {new.valid_from}"
        yield changed, subject, summary, flag_widening and earlier
    if old.valid_until != new.valid_until:
        if new.valid_until is None:
            # Always flagged: a signing key verifies again, an escrow key reads every case again.
            summary = f"{words} end date {old.valid_until} removed (valid again)"
            yield changed, subject, summary, True
        elif old.valid_until is None:
            yield ended, subject, f"{words} ended on {new.valid_until}", False
        else:
            later = new.valid_until > old.valid_until
            summary = f"{words} end moved from {old.valid_until} to {new.valid_until}"
            yield ended, subject, summary, flag_widening and later


def _escrow_changes(
    before: Mapping[str, _Escrow], after: Mapping[str, _Escrow]
) -> Iterator[tuple[str, str, str, bool]]:
    for name, entry in after.items():
        old = before.get(name)
        if old is None:
            dates = f"valid from {entry.valid_from}"
            if entry.valid_until is not None:
                dates += f" until {entry.valid_until}"
            yield ESCROW_ADDED, name, f"escrow key {name} added, {dates}", False
            continue
        if old.age_recipient != entry.age_recipient:
            yield (
                ESCROW_CHANGED,
                name,
                f"escrow key {name} replaced by a different key under the same name",
                True,
            )
        # Escrow dates never decide which commits verify, so a wider window is not flagged.
        words = f"escrow key {name}"
        yield from _validity_changes(
            old, entry, name, words, ESCROW_CHANGED, ESCROW_ENDED, flag_widening=False
        )
    for name in before:
        if name not in after:
            yield (
                ESCROW_REMOVED,
                name,
                f"escrow key {name} deleted from the roster: escrow keys must be ended, never "
                "deleted",
                True,
            )


def _setting_words(where: tuple[str | None, str | None, str]) -> str:
    case_type, section, state = where
    if case_type is None:
        return f"{state} cases (office default)"
    if section is None:
        return f"{state} {case_type} cases"
    return f'section "{section}" of {state} {case_type} cases'


def _setting_name(where: tuple[str | None, str | None, str]) -> str:
    case_type, section, state = where
    if case_type is None:
        return f"recipients.{state}"
    if section is None:
        return f"case_types.{case_type}.recipients.{state}"
    return f"case_types.{case_type}.sections[{section}].recipients.{state}"


def _policy_changes(
    old: _PolicySnap | None, new: _PolicySnap
) -> Iterator[tuple[str, str, str, bool]]:
    before_root = old.trust_root if old is not None else None
    if before_root != new.trust_root:
        if new.trust_root is None:
            yield (
                TRUST_ROOT_CHANGED,
                "trust_root",
                f"trust root {before_root} removed: the signed-history rules no longer start "
                "anywhere",
                True,
            )
        elif before_root is None:
            yield TRUST_ROOT_CHANGED, "trust_root", f"trust root set to {new.trust_root}", False
        else:
            yield (
                TRUST_ROOT_CHANGED,
                "trust_root",
                f"trust root moved from {before_root} to {new.trust_root}",
                True,
            )
    before = old.recipients if old is not None else {}
    for where in sorted(set(before) | set(new.recipients), key=_setting_order(new, old)):
        was, now = before.get(where), new.recipients.get(where)
        if was == now:
            continue
        words = f"who can decrypt {_setting_words(where)}"
        if now is None:
            summary = f"{words}: own list {', '.join(was or ())} removed, back to the default"
        elif was is None:
            summary = f"{words}: {', '.join(now)}"
            if old is not None:
                summary += " (was the default)"
        else:
            gained = [c for c in now if c not in was]
            lost = [c for c in was if c not in now]
            detail = "; ".join(
                part
                for part in (
                    f"added {', '.join(gained)}" if gained else "",
                    f"removed {', '.join(lost)}" if lost else "",
                )
                if part
            )
            summary = f"{words}: {', '.join(was)} -> {', '.join(now)}"
            if detail:
                summary += f" ({detail})"
        yield RECIPIENTS_CHANGED, _setting_name(where), summary, False


def _setting_order(
    new: _PolicySnap, old: _PolicySnap | None
) -> Any:  # a sort key: office defaults first, then case types and sections in policy order
    types = list(new.model.case_types)
    if old is not None:
        types += [t for t in old.model.case_types if t not in types]
    sections: dict[tuple[str, str], int] = {}
    for snap in (new, old):
        if snap is None:
            continue
        for type_key, spec in snap.model.case_types.items():
            for index, section in enumerate(spec.sections):
                sections.setdefault((type_key, section.title), index)

    def order(where: tuple[str | None, str | None, str]) -> tuple[int, int, int]:
        case_type, section, state = where
        type_index = -1 if case_type is None else types.index(case_type)
        section_index = (
            -1 if section is None or case_type is None else sections.get((case_type, section), 0)
        )
        return type_index, section_index, STATES.index(state)

    return order


# ---------------------------------------------------------------------------------------------
# The report.


def _read(revision: Revision) -> tuple[_RosterSnap | None, _PolicySnap | None, list[str]]:
    problems = []
    roster: _RosterSnap | None = None
    policy: _PolicySnap | None = None
    if revision.roster is not None:
        with suppress(*_UNREADABLE):
            roster = _roster_snap(revision.roster)
    if roster is None:
        problems.append("schema/roster.yaml")
    if revision.policy is not None:
        with suppress(*_UNREADABLE):
            policy = _policy_snap(revision.policy)
    if policy is None:
        problems.append("schema/policy.yaml")
    return roster, policy, problems


def _office_day(when: datetime, policy: _PolicySnap | None) -> date:
    """The day `when` falls on in the office's time zone (the commit's own offset without one)."""
    try:
        zone = ZoneInfo(str(policy.model.raw["calendar"]["timezone"])) if policy else None
    except (KeyError, TypeError, ValueError, ZoneInfoNotFoundError):
        zone = None
    return when.astimezone(zone).date() if zone is not None else when.date()


def report(revisions: Sequence[Revision], as_of: date | None = None) -> PermissionsReport:
    """The permissions now (the last revision, key states on `as_of`, by default the office's
    day of the last revision: pass today's date for an audit) and every change since the first
    revision."""
    changes: list[Change] = []
    warnings: list[str] = []
    roster: _RosterSnap | None = None
    policy: _PolicySnap | None = None
    problems: list[str] = []
    for revision in revisions:
        new_roster, new_policy, problems = _read(revision)
        found: list[tuple[str, str, str, bool]] = []
        for path in problems:
            found.append((UNREADABLE, path, f"{path} cannot be read at this commit", True))
        if new_roster is not None:
            found += _roster_changes(roster, new_roster)
            roster = new_roster
        if new_policy is not None:
            found += _policy_changes(policy, new_policy)
            policy = new_policy
        changes += (
            Change(revision.commit, revision.when, revision.by, kind, subject, summary, flagged)
            for kind, subject, summary, flagged in found
        )
    head = revisions[-1] if revisions else None
    if as_of is None and head is not None:
        as_of = _office_day(head.when, policy)
    if head is None:
        warnings.append("no commit changed schema/roster.yaml or schema/policy.yaml")
    else:
        for path in problems:
            warnings.append(
                f"{path} cannot be read at {_short(head.commit)}; showing the last readable one"
            )
    signers: tuple[Signer, ...] = ()
    escrow: tuple[EscrowGrant, ...] = ()
    access: tuple[Access, ...] = ()
    unencrypted: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if roster is not None and as_of is not None:
        signers = _signers(roster, as_of)
        escrow = _escrow_grants(roster, as_of)
        warnings += _current_warnings(roster, signers, as_of)
    if policy is not None:
        access = _access(policy, roster or _roster_snap(_EMPTY_ROSTER_RAW))
        unencrypted = _unencrypted(policy)
        for item in access:
            for reader in item.readers:
                if reader.kind not in _CLASS_WORDS and not reader.holders:
                    warnings.append(
                        f"{item.state} {item.case_type} cases name {reader.kind} as recipients "
                        "but nobody holds it"
                    )
    return PermissionsReport(
        as_of=as_of,
        head=head.commit if head is not None else None,
        trust_root=policy.trust_root if policy is not None else None,
        signers=signers,
        supervisors=tuple(s.handle for s in signers if SUPERVISOR in s.roles and s.can_sign),
        escrow=escrow,
        access=access,
        unencrypted=unencrypted,
        changes=tuple(changes),
        warnings=tuple(dict.fromkeys(warnings)),
    )


# ---------------------------------------------------------------------------------------------
# Output.


def _dates(valid_from: date | None, valid_until: date | None, revoked_at: date | None) -> str:
    words = f"from {valid_from}" if valid_from is not None else "no start date"
    if valid_until is not None:
        words += f" until {valid_until}"
    if revoked_at is not None:
        words += f", revoked {revoked_at}"
    return words


def _parts(item: Access) -> str:
    sections = ", ".join(item.sections)
    word = "section" if len(item.sections) == 1 else "sections"
    if item.documents and item.sections:
        return f"{DOCUMENTS} and {word} {sections}"
    return DOCUMENTS if item.documents else f"{word} {sections}"


def _reader_words(reader: Reader) -> str:
    if reader.kind in _CLASS_WORDS:
        return reader.description
    return f"{reader.description} {', '.join(reader.holders) or '(nobody)'}"


def render_text(report: PermissionsReport) -> str:
    """The report for people: the current picture, then the changes grouped by commit."""
    head = _short(report.head) if report.head else "(none)"
    lines = [f"Permissions report (SOP 002 §4.2) as of {report.as_of}, roster and policy at {head}"]
    lines.append(f"Trust root: {report.trust_root or 'not set'}")
    lines += [
        "",
        f"Who can sign ({sum(s.can_sign for s in report.signers)} of "
        f"{len(report.signers)} people have an active key)",
    ]
    for signer in report.signers:
        left = f", left {signer.left_at}" if signer.left_at else ""
        lines.append(f"  {signer.handle} ({signer.name}, {', '.join(signer.roles)}{left})")
        for key in signer.keys:
            lines.append(
                f"    {key.fingerprint} {key.type}, "
                f"{_dates(key.valid_from, key.valid_until, key.revoked_at)}: {key.state}"
            )
        if not signer.keys:
            lines.append("    no signing key")
    lines += ["", f"Supervisors with an active key: {', '.join(report.supervisors) or 'none'}"]
    if report.escrow:
        lines.append(
            "Escrow keys: "
            + "; ".join(
                f"{e.name} ({_dates(e.valid_from, e.valid_until, None)}: {e.state})"
                for e in report.escrow
            )
        )
    lines += ["", "Who can decrypt"]
    for item in report.access:
        lines.append(f"  {item.case_type}, {item.state}: {_parts(item)}")
        lines.append(f"    {'; '.join(_reader_words(r) for r in item.readers)}")
    if report.unencrypted:
        lines.append("  Not encrypted (anyone with the repository can read them)")
        lines += [f"    {t}: {', '.join(titles)}" for t, titles in report.unencrypted]
    if report.warnings:
        lines += ["", "Attention"]
        lines += [f"  ! {w}" for w in report.warnings]
    lines += [
        "",
        f"Changes ({len(report.changes)}, {sum(c.flagged for c in report.changes)} flagged)",
    ]
    commit = None
    for change in report.changes:
        if change.commit != commit:
            commit = change.commit
            when = change.when.isoformat(timespec="minutes")
            lines.append(f"  {when} {_short(change.commit)} by {change.by}")
        lines.append(f"    {'!' if change.flagged else '-'} {change.summary}")
    return "\n".join(lines) + "\n"


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def to_json(report: PermissionsReport) -> dict[str, Any]:
    """The report for tools (version 1); dates as ISO strings, absent ones as null."""
    return {
        "version": 1,
        "as_of": _iso(report.as_of),
        "head": report.head,
        "trust_root": report.trust_root,
        "signers": [
            {
                "handle": s.handle,
                "name": s.name,
                "email": s.email,
                "roles": list(s.roles),
                "left_at": _iso(s.left_at),
                "can_sign": s.can_sign,
                "keys": [
                    {
                        "fingerprint": k.fingerprint,
                        "type": k.type,
                        "valid_from": _iso(k.valid_from),
                        "valid_until": _iso(k.valid_until),
                        "revoked_at": _iso(k.revoked_at),
                        "state": k.state,
                    }
                    for k in s.keys
                ],
            }
            for s in report.signers
        ],
        "supervisors": list(report.supervisors),
        "escrow": [
            {
                "name": e.name,
                "valid_from": _iso(e.valid_from),
                "valid_until": _iso(e.valid_until),
                "state": e.state,
            }
            for e in report.escrow
        ],
        "decryption": [
            {
                "case_type": a.case_type,
                "state": a.state,
                "documents": a.documents,
                "sections": list(a.sections),
                "classes": list(a.classes),
                "readers": [
                    {"class": r.kind, "description": r.description, "holders": list(r.holders)}
                    for r in a.readers
                ],
            }
            for a in report.access
        ],
        "unencrypted": {case_type: list(titles) for case_type, titles in report.unencrypted},
        "warnings": list(report.warnings),
        "changes": [
            {
                "commit": c.commit,
                "when": c.when.isoformat(),
                "by": c.by,
                "kind": c.kind,
                "subject": c.subject,
                "summary": c.summary,
                "flagged": c.flagged,
            }
            for c in report.changes
        ],
    }
