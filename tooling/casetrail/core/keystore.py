"""The per-case key store's pure parts: names, the interface, the change log's format and checks.

A key store keeps, for each case, a per-case age identity whose public half (the case's
*recipient*) encrypts the case's sections, and whose private half exists only *wrapped*:
age-encrypted to each entitled reader and to the records office's escrow key, one wrapper per
(case, reader). Revocation deletes a wrapper; crypto-shredding deletes them all.

Readers are named as in core/recipients.py: a roster handle (`amartin`) or `escrow:NAME`. Every
name that becomes part of a path is checked here first, so a backend never builds a path from
unchecked text. The change log is one JSON object per line, hash-chained: each entry holds the
SHA-256 of the previous line, and a separately stored head (entry count and the last line's
hash) catches a removed or edited last line. No I/O here; shell/keystore_dir.py is the
directory backend.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from casetrail.core import ids

HANDLE_RE = re.compile(r"^[a-z][a-z0-9_-]{1,31}\Z")  # the roster schema's handle pattern
ESCROW_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,63}\Z")  # the roster schema's escrow name
ESCROW_PREFIX = "escrow:"
RECIPIENT_RE = re.compile(r"^age1[02-9ac-hj-np-z]{58}\Z")  # bech32 X25519 recipient
SSH_RECIPIENT_RE = re.compile(r"^ssh-ed25519 [A-Za-z0-9+/=]{1,200}\Z")  # the roster schema
GENESIS = "0" * 64  # the `prev` of the first log entry
LOG_VERSION = 1
MAX_LOG_LINE_BYTES = 64 * 1024

Action = Literal["create", "wrap", "unwrap-removed", "erase"]
ACTIONS: tuple[Action, ...] = ("create", "wrap", "unwrap-removed", "erase")
_WRAPPER_TITLE = "# casetrail per-case key for case "
_PUBLIC_PREFIX = "# public key: "
_SECRET_RE = re.compile(r"^AGE-SECRET-KEY[-]1[02-9AC-HJ-NP-Z]{58}\Z")  # [-]: not a key to scanners


class KeyStoreError(Exception):
    """Bad input, a refused store, or a failed write; the message says which and what to do.
    It never holds key material."""


# --- names --------------------------------------------------------------------------------


def check_case_id(case_id: object) -> str:
    """`case_id` if it is a well-formed case ID (the only case names a store accepts)."""
    if not isinstance(case_id, str):
        raise KeyStoreError("a case ID must be text")
    why = ids.problem(case_id)
    if why is not None:
        shown = case_id[:40].encode("ascii", "backslashreplace").decode("ascii")
        raise KeyStoreError(f"'{shown}' is not a case ID: {why}")
    return case_id


def check_reader(name: object) -> str:
    """`name` if it names a reader: a roster handle, or `escrow:NAME`."""
    if isinstance(name, str):
        if name.startswith(ESCROW_PREFIX) and ESCROW_NAME_RE.match(name[len(ESCROW_PREFIX) :]):
            return name
        if HANDLE_RE.match(name):
            return name
    shown = str(name)[:40].encode("ascii", "backslashreplace").decode("ascii")
    raise KeyStoreError(
        f"'{shown}' is not a reader name: use a roster handle (lower case, 2-32 characters: "
        f"a-z, 0-9, _ and -) or {ESCROW_PREFIX}NAME for an escrow key"
    )


def check_actor(actor: object) -> str:
    """`actor` if it is a roster handle (who made a change)."""
    if not isinstance(actor, str) or not HANDLE_RE.match(actor):
        raise KeyStoreError("the actor must be a roster handle")
    return actor


def check_recipient(recipient: object, whose: str) -> str:
    """`recipient` if it looks like an age public key (X25519 or ssh-ed25519)."""
    if isinstance(recipient, str) and (
        RECIPIENT_RE.match(recipient) or SSH_RECIPIENT_RE.match(recipient)
    ):
        return recipient
    raise KeyStoreError(f"{whose}: not an age recipient (age1... or ssh-ed25519 ...)")


def check_time(at: object) -> str:
    """`at` as ISO 8601 text; it must carry a time zone (logs are read across offices)."""
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise KeyStoreError("the time of a change must be a datetime with a time zone")
    return at.isoformat(timespec="seconds")


def is_escrow(name: str) -> bool:
    return name.startswith(ESCROW_PREFIX)


def wrapper_file_name(reader: str) -> str:
    """The file a reader's wrapper lives in: `amartin.age`, `escrow.records.age` (handles hold no
    dot, so the two kinds never collide, and no name holds a path separator or a colon)."""
    check_reader(reader)
    if is_escrow(reader):
        return f"escrow.{reader[len(ESCROW_PREFIX) :]}.age"
    return f"{reader}.age"


def reader_of_file(file_name: str) -> str | None:
    """The reader a wrapper file belongs to, or None for any other file."""
    if not file_name.endswith(".age"):
        return None
    stem = file_name[: -len(".age")]
    name = ESCROW_PREFIX + stem[len("escrow.") :] if stem.startswith("escrow.") else stem
    try:
        check_reader(name)
    except KeyStoreError:
        return None
    return name


# --- the wrapped plaintext -------------------------------------------------------------------


def wrapper_plaintext(case_id: str, recipient: str, secret: str) -> bytes:
    """What a wrapper decrypts to: an age key file (usable as `age -d -i`) naming its case."""
    return f"{_WRAPPER_TITLE}{case_id}\n{_PUBLIC_PREFIX}{recipient}\n{secret}\n".encode("ascii")


def parse_wrapper_plaintext(data: bytes, case_id: str, recipient: str) -> str:
    """The secret key in a decrypted wrapper, refused unless it names this case and recipient
    (age has no associated data: a wrapper copied from another case would decrypt cleanly)."""
    try:
        lines = data.decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise KeyStoreError(f"case {case_id}: a wrapper holds something else than a key") from None
    if len(lines) != 4 or lines[3] != "" or not _SECRET_RE.match(lines[2]):
        raise KeyStoreError(f"case {case_id}: a wrapper holds something else than a key")
    if lines[0] != _WRAPPER_TITLE + case_id or lines[1] != _PUBLIC_PREFIX + recipient:
        raise KeyStoreError(
            f"case {case_id}: a wrapper holds the key of another case or another recipient; "
            "refusing it (someone copied a file inside the key store)"
        )
    return lines[2]


# --- the interface ---------------------------------------------------------------------------

CaseState = Literal["ready", "interrupted-create", "interrupted-erase"]


@dataclass(frozen=True, slots=True)
class CaseKeyStatus:
    """Where one case's key is: its recipient (None if absent) and who can unwrap it."""

    case_id: str
    recipient: str | None
    readers: tuple[str, ...]
    state: CaseState = "ready"


@dataclass(frozen=True, slots=True)
class LogCheck:
    """What `verify_log` found: problems make it fail; notes are benign (a crash's traces)."""

    entries: int
    problems: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


class KeyStore(Protocol):
    """What casetrail needs from a key store; shell/keystore_dir.py is the directory backend.

    `identities` are parsed age identities (as cipher.load_identities returns them). Each
    change is logged with its `actor` and time `at`. A store raises KeyStoreError, nothing else.
    """

    def create(
        self,
        case_id: str,
        readers: Mapping[str, str],
        escrow: tuple[str, str],
        actor: str,
        at: datetime,
    ) -> str: ...

    def recipient(self, case_id: str) -> str: ...

    def readers(self, case_id: str) -> tuple[str, ...]: ...

    def wrap(
        self,
        case_id: str,
        handle: str,
        recipient: str,
        unwrapping_identities: Sequence[object],
        actor: str,
        at: datetime,
    ) -> None: ...

    def unwrap(self, case_id: str, identities: Sequence[object]) -> str: ...

    def remove(self, case_id: str, handle: str, actor: str, at: datetime) -> None: ...

    def erase(self, case_id: str, actor: str, at: datetime) -> None: ...

    def status(self) -> list[CaseKeyStatus]: ...

    def verify_log(self) -> LogCheck: ...

    def log_head(self) -> str: ...

    def all_wrapped(self) -> dict[str, dict[str, str]]: ...

    def was_erased(self, case_id: str) -> bool: ...


# --- the change log --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One change. `reader`/`recipient` for wrap and unwrap-removed (recipient on wrap only);
    `recipient` and `readers` (name -> recipient) for create; neither for erase."""

    at: str
    actor: str
    action: Action
    case: str
    reader: str | None = None
    recipient: str | None = None
    readers: tuple[tuple[str, str], ...] = ()
    prev: str = GENESIS


def line_hash(line: bytes) -> str:
    """The SHA-256 of one log line without its newline: what the next line's `prev` holds."""
    return hashlib.sha256(line).hexdigest()


def format_entry(entry: LogEntry) -> bytes:
    """One log line (with its newline): compact JSON with sorted keys, ASCII only."""
    record = {
        "v": LOG_VERSION,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "case": entry.case,
        "reader": entry.reader,
        "recipient": entry.recipient,
        "readers": dict(entry.readers),
        "prev": entry.prev,
    }
    return json.dumps(record, sort_keys=True, separators=(",", ":")).encode("ascii") + b"\n"


def parse_line(line: bytes) -> LogEntry:
    """A log line (without its newline) as an entry, or KeyStoreError saying what is wrong."""
    if len(line) > MAX_LOG_LINE_BYTES:
        raise KeyStoreError("longer than any entry casetrail writes")
    try:
        raw = json.loads(line.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise KeyStoreError("not a JSON object") from None
    keys = {"v", "at", "actor", "action", "case", "reader", "recipient", "readers", "prev"}
    if not isinstance(raw, dict) or set(raw) != keys or raw["v"] != LOG_VERSION:
        raise KeyStoreError("not a casetrail key store log entry (version 1)")
    action = raw["action"]
    if action not in ACTIONS:
        raise KeyStoreError("unknown action")
    readers = raw["readers"]
    prev = raw["prev"]
    if not isinstance(readers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in readers.items()
    ):
        raise KeyStoreError("malformed readers")
    if not isinstance(prev, str) or not re.fullmatch(r"[0-9a-f]{64}", prev):
        raise KeyStoreError("malformed prev hash")
    for name in ("at", "actor", "case"):
        if not isinstance(raw[name], str):
            raise KeyStoreError(f"malformed {name}")
    for name in ("reader", "recipient"):
        if raw[name] is not None and not isinstance(raw[name], str):
            raise KeyStoreError(f"malformed {name}")
    return LogEntry(
        at=raw["at"],
        actor=raw["actor"],
        action=action,
        case=raw["case"],
        reader=raw["reader"],
        recipient=raw["recipient"],
        readers=tuple(sorted(readers.items())),
        prev=prev,
    )


def split_log(data: bytes) -> tuple[list[bytes], bytes]:
    """The complete lines of a log and an unfinished last line (b"" if none)."""
    if not data:
        return [], b""
    *lines, tail = data.split(b"\n")
    return lines, tail


def parse_entries(data: bytes) -> list[LogEntry]:
    """The entries of a log that parse (for decisions that tolerate a damaged log)."""
    found = []
    for line in split_log(data)[0]:
        try:
            found.append(parse_line(line))
        except KeyStoreError:
            continue
    return found


def format_head(entries: int, last_hash: str) -> bytes:
    return json.dumps({"entries": entries, "sha256": last_hash}, sort_keys=True).encode() + b"\n"


def parse_head(data: bytes) -> tuple[int, str] | None:
    try:
        raw = json.loads(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(raw, dict) or set(raw) != {"entries", "sha256"}:
        return None
    entries, digest = raw["entries"], raw["sha256"]
    if not isinstance(entries, int) or isinstance(entries, bool) or entries < 0:
        return None
    if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
        return None
    return entries, digest


def verify(data: bytes, head: bytes | None) -> LogCheck:
    """Check a log's hash chain and its agreement with the head: an edited, removed or
    reordered line breaks the chain at the next line; a removed or edited last line disagrees
    with the head. Lines after the head with an intact chain are the trace of a crash between
    appending and recording the head: a note, not a problem."""
    lines, tail = split_log(data)
    problems: list[str] = []
    notes: list[str] = []
    previous = GENESIS
    for number, line in enumerate(lines, start=1):
        try:
            entry = parse_line(line)
        except KeyStoreError as error:
            problems.append(f"log line {number}: {error}")
        else:
            if entry.prev != previous:
                problems.append(
                    f"log line {number}: does not follow the line before it (a line was "
                    "edited, removed or reordered)"
                )
        previous = line_hash(line)
    parsed_head = None if head is None else parse_head(head)
    if head is not None and parsed_head is None:
        problems.append("log.head: not a casetrail log head")
    elif parsed_head is None:
        if lines:
            problems.append("log.head is missing, but the log has entries")
    else:
        count, digest = parsed_head
        if count > len(lines):
            problems.append(
                f"the log has {len(lines)} entries but log.head records {count}: "
                "entries were removed from its end"
            )
        elif count and line_hash(lines[count - 1]) != digest:
            problems.append(
                f"log line {count} is not the line log.head records (it was edited or replaced)"
            )
        elif count < len(lines):
            notes.append(
                f"{len(lines) - count} entries after the recorded head (a change was "
                "interrupted after logging; the next change records them)"
            )
    if tail:
        notes.append("an unfinished last line (a crash while appending; the next change drops it)")
    return LogCheck(len(lines), tuple(problems), tuple(notes))


def latest(entries: Iterable[LogEntry], case_id: str, reader: str | None = None) -> LogEntry | None:
    """The last entry about a case (reader None), or about one reader of it (a create counts
    as a wrap for each reader it names; an erase counts for every reader)."""
    found = None
    for entry in entries:
        if entry.case != case_id:
            continue
        if (
            reader is None
            or entry.action == "erase"
            or entry.reader == reader
            or (entry.action == "create" and reader in dict(entry.readers))
        ):
            found = entry
    return found


def wrappers(entries: Iterable[LogEntry]) -> dict[str, dict[str, str]]:
    """Replayed from the log in one pass: for each case, each reader with a wrapper and the
    recipient it was made for."""
    found: dict[str, dict[str, str]] = {}
    for entry in entries:
        if entry.action == "create":
            found[entry.case] = dict(entry.readers)
        elif entry.action == "wrap" and entry.reader is not None and entry.recipient:
            found.setdefault(entry.case, {})[entry.reader] = entry.recipient
        elif entry.action == "unwrap-removed" and entry.reader is not None:
            found.get(entry.case, {}).pop(entry.reader, None)
        elif entry.action == "erase":
            found.pop(entry.case, None)
    return found


def wrapped_recipient(entry: LogEntry, reader: str) -> str | None:
    """The recipient an entry wrapped the key to for `reader`, if it is a wrap (or a create)."""
    if entry.action == "wrap":
        return entry.recipient
    if entry.action == "create":
        return dict(entry.readers).get(reader)
    return None
