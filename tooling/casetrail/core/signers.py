"""Who may sign: the roster's signing keys, as git's allowed signers and as verdicts.

A key is honoured from the start of its `valid_from` day to the end of its `valid_until` day,
both read as whole days of the office's time zone; `revoked_at` ends it for good, whatever date
a commit claims. A key listed for two people proves nothing about who signed, so it counts as
unknown (and is left out of the allowed signers file).

`allowed_signers` writes the same rules for git (`gpg.ssh.allowedSignersFile`, see ALLOWED
SIGNERS in ssh-keygen(1)): the person's e-mail as principal, `namespaces="git"`, and the window
as `valid-after`/`valid-before` instants in UTC with a `Z` suffix, so ssh-keygen reads them the
same whatever the machine's TZ. ssh-keygen's valid-before is inclusive to the second, so it
names the last second of the last day.

Pure: the roster comes in as the mapping read from schema/roster.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from casetrail.core import sshsig

__all__ = [
    "Authorisation",
    "SigningKey",
    "allowed_signers",
    "authorise",
    "signing_keys",
]

UNKNOWN, NOT_COMMITTER, OUTSIDE_DATES, REVOKED = "CT803", "CT804", "CT805", "CT806"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# An e-mail that is safe as an allowed-signers principal: no whitespace, quotes, commas (the
# principal list separator) or pattern characters, and it cannot start a comment.
_EMAIL = re.compile(r"[A-Za-z0-9._%+'&=~^{}|/-]+@[A-Za-z0-9.-]+")
_HANDLE = re.compile(r"[A-Za-z0-9._-]+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SigningKey:
    """One `signing_keys` entry of a person in the roster. `key` is '<type> <base64>',
    canonical (see sshsig.canonical_key), without the comment."""

    handle: str
    name: str
    email: str
    key: str
    valid_from: date
    valid_until: date | None
    revoked_at: date | None
    roles: frozenset[str]


@dataclass(frozen=True)
class Authorisation:
    """Whether a key may sign a commit. `code` is None when it may; otherwise one of
    CT803 (unknown or ambiguous key), CT804 (not the committer's key), CT805 (outside its
    dates), CT806 (revoked), with a one-line `problem`. `person` is the key's owner when
    the key is known."""

    person: str | None
    key: SigningKey | None
    code: str | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.code is None


# ---- reading the roster ----------------------------------------------------------------------


def _day(value: Any) -> date | None:
    """A roster date: a 'YYYY-MM-DD' string (the strict reader keeps dates as text) or a date."""
    if isinstance(value, datetime):
        return None  # a timestamp is not a day; the schema never allows one
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _roles(value: Any) -> frozenset[str]:
    if isinstance(value, list | tuple):
        return frozenset(role for role in value if isinstance(role, str))
    return frozenset()


def _entries(person: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    keys = person.get("signing_keys")
    if not isinstance(keys, list | tuple):
        return ()
    return (entry for entry in keys if isinstance(entry, Mapping))


def entry(roster: Mapping[str, Any] | None, handle: str) -> Mapping[str, Any] | None:
    """The roster's entry for `handle` (None if absent or the roster is unreadable)."""
    people = roster.get("people") if isinstance(roster, Mapping) else None
    for person in people if isinstance(people, list | tuple) else ():
        if isinstance(person, Mapping) and person.get("handle") == handle:
            return person
    return None


def roles(roster: Mapping[str, Any] | None, handle: str) -> frozenset[str]:
    """The roles the roster gives `handle` (none if absent or unreadable)."""
    person = entry(roster, handle)
    return _roles(person.get("roles")) if person is not None else frozenset()


def signing_keys(roster: Mapping[str, Any]) -> list[SigningKey]:
    """Every well-formed signing key entry of the roster, sorted by handle, then start date,
    then key. Malformed people or entries (missing handle or e-mail, an unreadable key or date,
    optional dates that are not dates) are skipped, never raised: a roster of an older commit
    must still be judged."""
    if not isinstance(roster, Mapping):
        return []
    people = roster.get("people")
    if not isinstance(people, list | tuple):
        return []
    found: set[SigningKey] = set()
    for person in people:
        if not isinstance(person, Mapping):
            continue
        handle, email = _text(person.get("handle")), _text(person.get("email"))
        if handle is None or email is None or not _EMAIL.fullmatch(email):
            continue
        name = _text(person.get("name")) or handle
        roles = _roles(person.get("roles"))
        for entry in _entries(person):
            signing = _signing_key(entry, handle, name, email, roles)
            if signing is not None:
                found.add(signing)
    return sorted(found, key=_order)


def _signing_key(
    entry: Mapping[str, Any], handle: str, name: str, email: str, roles: frozenset[str]
) -> SigningKey | None:
    text = entry.get("key")
    if not isinstance(text, str):
        return None
    try:
        key = sshsig.canonical_key(text)
    except sshsig.SignatureError:
        return None
    if key.split(" ", 1)[0] not in sshsig.KNOWN_TYPES:
        return None  # a line ssh-keygen might not read would hide every later line from git
    valid_from = _day(entry.get("valid_from"))
    if valid_from is None:
        return None
    optional: dict[str, date | None] = {}
    for field in ("valid_until", "revoked_at"):
        raw = entry.get(field)
        optional[field] = _day(raw)
        if raw is not None and optional[field] is None:
            return None
    return SigningKey(
        handle=handle,
        name=name,
        email=email,
        key=key,
        valid_from=valid_from,
        valid_until=optional["valid_until"],
        revoked_at=optional["revoked_at"],
        roles=roles,
    )


def _order(key: SigningKey) -> tuple[str, date, str, date, date]:
    return (
        key.handle,
        key.valid_from,
        key.key,
        key.valid_until or date.max,
        key.revoked_at or date.max,
    )


# ---- time -------------------------------------------------------------------------------------


def _zone(timezone: str) -> tzinfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {timezone!r}") from None


def _day_start(day: date, zone: tzinfo) -> datetime:
    """The first instant of `day` on the office's wall clock, in UTC. A midnight skipped by a
    clock change starts the day at the change; a repeated one at its first occurrence."""
    try:
        return datetime.combine(day, time(0), zone).astimezone(UTC)
    except OverflowError:  # the first or last days a datetime can hold
        return (
            datetime.min.replace(tzinfo=UTC) if day.year < 2 else datetime.max.replace(tzinfo=UTC)
        )


def _window(key: SigningKey, zone: tzinfo) -> tuple[datetime, datetime | None]:
    """[start, end) of a key's validity in absolute time; end None when open."""
    start = _day_start(key.valid_from, zone)
    if key.valid_until is None or key.valid_until >= date.max:
        return start, None
    return start, _day_start(key.valid_until + timedelta(days=1), zone)


def _inside(key: SigningKey, when: datetime, zone: tzinfo) -> bool:
    start, end = _window(key, zone)
    return start <= when and (end is None or when < end)


# ---- git's allowed signers ----------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


def _ambiguous(keys: Sequence[SigningKey]) -> set[str]:
    owners: dict[str, set[str]] = {}
    for key in keys:
        owners.setdefault(key.key, set()).add(key.handle)
    return {key for key, handles in owners.items() if len(handles) > 1}


def allowed_signers(roster: Mapping[str, Any], timezone: str) -> str:
    """The text of git's gpg.ssh.allowedSignersFile for this roster: one line per signing key
    entry that is not revoked (a key revoked in any entry is left out entirely), nor listed for
    two people, nor empty (ending before it starts). Deterministic."""
    zone = _zone(timezone)
    keys = signing_keys(roster)
    revoked = {key.key for key in keys if key.revoked_at is not None}
    shared = _ambiguous(keys)
    lines = [
        "# Allowed signers for git, generated by casetrail from schema/roster.yaml: do not edit.",
        f"# Key validity dates are whole days in {timezone}, written here as UTC instants.",
    ]
    body = []
    for key in keys:
        if key.key in revoked or key.key in shared:
            continue
        start, end = _window(key, zone)
        if end is not None and (end <= start or end - timedelta(seconds=1) <= _EPOCH):
            continue  # ssh-keygen rejects such a line, and stops reading the file there
        options = ['namespaces="git"']
        if start > _EPOCH:  # ssh-keygen refuses instants at or before 1970
            options.append(f'valid-after="{_stamp(start)}"')
        if end is not None:
            options.append(f'valid-before="{_stamp(end - timedelta(seconds=1))}"')
        comment = f" {key.handle}" if _HANDLE.fullmatch(key.handle) else ""
        body.append((_verified_first(key), f"{key.email} {','.join(options)} {key.key}{comment}"))
    lines.extend(line for _rank, line in sorted(body, key=lambda item: item[0]))
    return "\n".join(lines) + "\n"


def _verified_first(key: SigningKey) -> tuple[int, str, date, str]:
    """Keys of the types checked in process first: a line ssh-keygen cannot read stops it from
    reading the lines after it, so the ones this project relies on come first."""
    kind = key.key.split(" ", 1)[0]
    return (0 if kind in sshsig.VERIFIED_TYPES else 1, key.handle, key.valid_from, key.key)


# ---- verdicts ----------------------------------------------------------------------------------


def authorise(
    keys: Sequence[SigningKey],
    public_key: str,
    when: datetime,
    committer_email: str,
    timezone: str,
) -> Authorisation:
    """May the holder of `public_key` sign a commit at `when` (aware) that names
    `committer_email` as committer? Checked in this order: unknown or ambiguous key (CT803),
    revoked (CT806), outside its dates in the office's time zone (CT805), committer e-mail
    (case-insensitive) not the key owner's (CT804)."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("authorise needs an aware datetime")
    zone = _zone(timezone)
    try:
        wanted = sshsig.canonical_key(public_key)
    except sshsig.SignatureError:
        wanted = " ".join(public_key.split()[:2])
    entries = [key for key in keys if key.key == wanted]
    if not entries:
        return Authorisation(None, None, UNKNOWN, "signing key is not in the roster")
    owners = sorted({key.handle for key in entries})
    if len(owners) > 1:
        return Authorisation(
            None,
            None,
            UNKNOWN,
            f"signing key is listed for {len(owners)} people ({', '.join(owners)}), "
            "so it does not say who signed",
        )
    person = owners[0]
    revoked = [key for key in entries if key.revoked_at is not None]
    if revoked:
        first = min(revoked, key=lambda key: key.revoked_at or date.max)
        return Authorisation(
            person, first, REVOKED, f"{person}'s key was revoked on {first.revoked_at}"
        )
    inside = [key for key in entries if _inside(key, when, zone)]
    if not inside:
        return Authorisation(
            person,
            entries[0],
            OUTSIDE_DATES,
            f"{person}'s key is valid {_span(entries)}, not at {_local(when, zone)}",
        )
    key = inside[0]
    if committer_email.strip().lower() != key.email.lower():
        return Authorisation(
            person,
            key,
            NOT_COMMITTER,
            f"signed with {person}'s key ({key.email}) but the committer is "
            f"{committer_email.strip() or 'empty'}",
        )
    return Authorisation(person, key, None, None)


def _span(entries: Sequence[SigningKey]) -> str:
    spans = []
    for key in entries:
        end = f"to {key.valid_until}" if key.valid_until is not None else "onwards"
        spans.append(f"from {key.valid_from} {end}")
    return " and ".join(spans)


def _local(when: datetime, zone: tzinfo) -> str:
    return when.astimezone(zone).isoformat(timespec="seconds")
