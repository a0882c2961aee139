"""A synthetic records repository with a long, honest, signed history, for the audit benchmark.

    python tests/bench/history.py --cases 200 --verify

The history of an office that used casetrail for most of 2026: commit 1 introduces schema/ and
the roster (the trust root), commit 2 names it in the policy, then every case is registered in
its own file (cases/2026/<id>.md, content as synth.py makes it) and changed as its work goes on:
intake, assignment, acknowledgement, follow-ups, contacts, reviews, flags, a priority change, new
progress notes (re-encrypted sections), and now and then a case id corrected (the file renamed).
A closed case is closed on a branch (the handler asks for closure, the records office closes) and
reaches main through a merge commit signed by a supervisor who is not on its case team. The roster
changes three times: bkoch rotates his key, ipatel's key is revoked (lost laptop) and replaced,
esilva leaves (her key ends; she commits nothing after).

Every commit is signed by its committer with their demo SSH key (tests/demo-keys-DO-NOT-USE), in
process: the SSHSIG signature (PROTOCOL.sshsig, namespace "git", sha512) is made with
`cryptography`, byte for byte what `ssh-keygen -Y sign` makes, and the commit objects are written
by this module. Committer dates increase, keys are used only inside their validity as the roster
stood in the commit's parent, and every dated entry a commit writes is no later than the commit.
So `casetrail audit` must pass with exit 0.

Speed: git signs by running ssh-keygen once per commit (about 20 ms), and a 10,000-case tree is
rewritten by every commit, so nothing here goes through git porcelain. Objects are hashed in
Python and written into one pack with its index: blobs as deltas against the case's previous
version (line-based), the 10,000-entry cases/2026 tree as deltas against its previous version
(chains at most 50 deep, as `git gc` keeps them), everything else whole. Section ciphertext is a
structurally valid age armor (header with one X25519 stanza per reader) of random bytes from the
seeded generator, so a build is reproducible: same parameters, same commit ids.

The repository is cached under /tmp, keyed by its parameters, the generator's VERSION and the
schema's digest; a second run reuses it.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import functools
import hashlib
import itertools
import json
import multiprocessing
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import synth
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

VERSION = 2  # bump whenever the generated history changes
SEED = synth.SEED
BASE = Path("/tmp/casetrail-bench-history")
KEYS = synth.REPO / "tests" / "demo-keys-DO-NOT-USE"
ZONE = synth.ZONE
MIN, HOUR, DAY = synth.MIN, synth.HOUR, synth.DAY


def _ts(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=ZONE).timestamp())


INTRODUCED = _ts(2026, 1, 5, 10, 0)  # keys are valid from 2026-01-05
RECEIVED = (_ts(2026, 1, 7, 8), _ts(2026, 11, 10, 17))
CLOSING_BEFORE = _ts(2026, 9, 1)  # cases received later are still open at the end
END = _ts(2026, 11, 25)  # no event after this
# Roster changes. Keys are used well inside their dates on either side of a change.
ROTATE = _ts(2026, 6, 15, 10, 5)  # bkoch: new key valid from 06-15, the old one until 06-22
ROTATED_FROM = _ts(2026, 6, 16, 12)  # bkoch signs with the new key from here
REVOKE = _ts(2026, 8, 20, 11, 40)  # ipatel's laptop lost: key revoked, a new one added
LEAVE = _ts(2026, 10, 15, 9, 30)  # esilva leaves; her key ends that day
ESILVA_LAST = _ts(2026, 10, 12)  # she does nothing from here on
SUPERVISORS, RECORDS = synth.SUPERVISORS, synth.RECORDS[0]
RENAME_SHARE = 0.015  # cases whose id is corrected after registration
P_CUT = 0.01  # chance that an ordinary entry ends its commit (more: more commits)
GAP, SPAN = 12 * DAY, 12 * DAY  # a commit never holds entries further apart than this
ENDS = ("create", "assign", "start", "request", "close")  # entries that end a commit
ENTRY = 43  # bytes of one cases/2026 tree entry: "100644 2026-XXXXXXX.md\0" + 20-byte id


# --- People, keys and SSH signatures -------------------------------------------------------


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _wire(key: Ed25519PrivateKey) -> bytes:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _string(b"ssh-ed25519") + _string(raw)


def openssh_public(key: Ed25519PrivateKey) -> str:
    return "ssh-ed25519 " + base64.b64encode(_wire(key)).decode()


def sshsig(key: Ed25519PrivateKey, message: bytes, namespace: bytes = b"git") -> str:
    """The armored SSHSIG signature of `message`, exactly as `ssh-keygen -Y sign` writes it."""
    digest = hashlib.sha512(message).digest()
    signed = b"SSHSIG" + _string(namespace) + _string(b"") + _string(b"sha512") + _string(digest)
    signature = _string(b"ssh-ed25519") + _string(key.sign(signed))
    blob = b"SSHSIG" + struct.pack(">I", 1) + _string(_wire(key)) + _string(namespace)
    blob += _string(b"") + _string(b"sha512") + _string(signature)
    text = base64.b64encode(blob).decode()
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return "-----BEGIN SSH SIGNATURE-----\n" + "\n".join(lines) + "\n-----END SSH SIGNATURE-----\n"


@dataclass
class Key:
    private: Ed25519PrivateKey
    public: str  # "ssh-ed25519 AAAA..."
    roster_version: int  # the roster version that first lists it
    usable: tuple[int, int]  # when this generator signs with it (inside its validity, with margin)


@dataclass
class Person:
    handle: str
    name: str
    email: str
    keys: list[Key] = field(default_factory=list)

    def key(self, at: int, roster_version: int) -> Key:
        """The newest key the roster (at `roster_version`) lists and that is usable at `at`."""
        for key in reversed(self.keys):
            if key.roster_version <= roster_version and key.usable[0] <= at < key.usable[1]:
                return key
        raise RuntimeError(f"{self.handle} has no usable key at {at} (roster {roster_version})")


def _new_key(label: str) -> Ed25519PrivateKey:
    seed = hashlib.sha256(f"casetrail bench history key: {label}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def people(roster_text: str) -> dict[str, Person]:
    """The roster's people with their demo keys, and the keys the roster changes add."""
    found: dict[str, Person] = {}
    for entry in yaml.safe_load(roster_text)["people"]:
        handle = entry["handle"]
        private = serialization.load_ssh_private_key((KEYS / f"{handle}.ssh").read_bytes(), None)
        assert isinstance(private, Ed25519PrivateKey), f"{handle}'s demo key is not ed25519"
        public = openssh_public(private)
        listed = [k["key"].split()[:2] for k in entry["signing_keys"]]
        assert public.split() in listed, f"{handle}'s demo key is not in the roster"
        person = Person(handle, entry["name"], entry["email"])
        person.keys.append(Key(private, public, 0, (INTRODUCED, END + 30 * DAY)))
        found[handle] = person
    bkoch, ipatel, esilva = found["bkoch"], found["ipatel"], found["esilva"]
    bkoch.keys[0].usable = (INTRODUCED, ROTATE + 4 * DAY)  # valid until 06-22; branches end by then
    new = _new_key("bkoch 2026-06")
    bkoch.keys.append(Key(new, openssh_public(new), 1, (ROTATED_FROM, END + 30 * DAY)))
    ipatel.keys[0].usable = (INTRODUCED, REVOKE - DAY)
    new = _new_key("ipatel 2026-08")
    ipatel.keys.append(Key(new, openssh_public(new), 2, (REVOKE + DAY, END + 30 * DAY)))
    esilva.keys[0].usable = (INTRODUCED, ESILVA_LAST + DAY)
    return found


def _day_of(at: int) -> str:
    return datetime.fromtimestamp(at, ZONE).date().isoformat()


def _key_line(text: str, public: str) -> re.Match[str]:
    found = re.search(rf"(?m)^( *)- key: {re.escape(public)}[^\n]*\n( *)valid_from: [^\n]*\n", text)
    if found is None:
        raise RuntimeError(f"roster.yaml has no key line for {public[:40]}...")
    return found


def _end_key(text: str, public: str, field_name: str, day: str, added: str = "") -> str:
    """The roster with one key ended (valid_until or revoked_at) and maybe a new key after it."""
    line = _key_line(text, public)
    item, inner = line.group(1), line.group(2)
    extra = f'{inner}{field_name}: "{day}"\n'
    if added:
        extra += f'{item}- key: {added}\n{inner}valid_from: "{day}"\n'
    return text[: line.end()] + extra + text[line.end() :]


def _leave(text: str, handle: str, day: str) -> str:
    found = re.search(rf"(?ms)^  - handle: {handle}\n.*?^( +)active_from: [^\n]*\n", text)
    if found is None:
        raise RuntimeError(f"roster.yaml has no active_from line for {handle}")
    return text[: found.end()] + f'{found.group(1)}left_at: "{day}"\n' + text[found.end() :]


def _rotate_bkoch(text: str, team: dict[str, Person]) -> str:
    bkoch = team["bkoch"]
    text = _end_key(text, bkoch.keys[0].public, "valid_until", _day_of(ROTATE + 7 * DAY))
    line = _key_line(text, bkoch.keys[0].public)
    # the old key's entry now ends with its valid_until line; the new key follows it
    end = text.index("\n", text.index("valid_until", line.end() - 1)) + 1
    new = f'{line.group(1)}- key: {bkoch.keys[1].public}\n{line.group(2)}valid_from: "{_day_of(ROTATE)}"\n'
    return text[:end] + new + text[end:]


# --- Case stories: one case's commits, computed independently of all others -----------------


@dataclass(slots=True)
class Step:
    time: int
    lane: str  # "main", "branch" (the closing pull request), "merge" (its merge into main)
    signer: str
    message: str
    path: str  # the case file this commit writes
    content: bytes  # empty for a merge (the branch's version is taken)
    case: int
    old_path: str = ""  # a rename: the path the case file had before


@dataclass(slots=True)
class Event:
    time: int
    actor: str
    label: str
    milestone: str = ""  # create, assign (new -> assigned), start (-> in_progress), priority,
    # request, close; those in ENDS end a commit


@functools.lru_cache(maxsize=1 << 16)
def _parse(value: str) -> int:
    return int(datetime.fromisoformat(value).timestamp())


def _is_time(key: str) -> bool:
    return key == "at" or key.endswith("_at")


def _all_times(value: Any, key: str = "") -> Iterator[int]:
    if isinstance(value, dict):
        for name, item in value.items():
            if name != "due":
                yield from _all_times(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _all_times(item, key)
    elif isinstance(value, str) and _is_time(key):
        yield _parse(value)


def _events(data: dict[str, Any]) -> list[Event]:
    """Every dated entry of the final record, with who made it and a few words."""
    found: list[Event] = [Event(_parse(data["registered_at"]), data["registered_by"], "", "create")]
    intake = data.get("intake", {})
    for step in ("assessed", "verified"):
        if f"{step}_at" in intake:
            found.append(
                Event(_parse(intake[f"{step}_at"]), intake[f"{step}_by"], f"intake {step}")
            )
    for entry in data.get("priority_history", [])[1:]:
        found.append(
            Event(
                _parse(entry["at"]),
                entry["by"],
                f"priority {entry['from']} -> {entry['to']}",
                "priority",
            )
        )
    handler = _current(data, "handler")
    for number, entry in enumerate(data.get("assignments", [])):
        role, person = entry["role"].replace("_", " "), entry["person"]
        first = "assign" if number == 0 else ""  # new -> assigned
        found.append(
            Event(
                _parse(entry["assigned_at"]),
                entry["assigned_by"],
                f"{person} assigned as {role}",
                first,
            )
        )
        found.append(
            Event(_parse(entry["notified_at"]), entry["assigned_by"], f"{person} notified")
        )
        if "acknowledged_at" in entry:
            start = "start" if entry is handler else ""
            found.append(
                Event(_parse(entry["acknowledged_at"]), person, f"acknowledged by {person}", start)
            )
        if "ended_at" in entry:
            found.append(
                Event(_parse(entry["ended_at"]), entry["assigned_by"], f"{person} reassigned")
            )
    for entry in data.get("followups", []):
        found.append(
            Event(
                _parse(entry["created_at"]), entry["created_by"], f"follow-up {entry['id']} added"
            )
        )
        if "done_at" in entry:
            found.append(
                Event(_parse(entry["done_at"]), entry["done_by"], f"follow-up {entry['id']} done")
            )
    for entry in data.get("communications", []):
        found.append(
            Event(
                _parse(entry["at"]),
                entry["by"],
                f"{entry['channel'].replace('_', ' ')} contact logged",
            )
        )
    for entry in data.get("disclosures", []):
        found.append(Event(_parse(entry["at"]), entry["by"], "disclosure recorded"))
    for entry in data.get("reviews", []):
        found.append(Event(_parse(entry["at"]), entry["by"], "review"))
    for entry in data.get("flags", []):
        found.append(
            Event(_parse(entry["raised_at"]), entry["raised_by"], f"{entry['kind']} flag raised")
        )
        if "resolved_at" in entry:
            found.append(
                Event(
                    _parse(entry["resolved_at"]),
                    entry["resolved_by"],
                    f"{entry['kind']} flag resolved",
                )
            )
    for entry in data.get("conflicts", []):
        found.append(
            Event(
                _parse(entry["declared_at"]), entry["declared_by"], "conflict of interest declared"
            )
        )
    lead = handler["person"] if handler else data["registered_by"]
    for entry in data.get("stakeholders", []):
        if "notified_of_closure_at" in entry:
            found.append(
                Event(_parse(entry["notified_of_closure_at"]), lead, "stakeholders told of closure")
            )
    closure = data.get("closure", {})
    if "requested_at" in closure:
        found.append(Event(_parse(closure["requested_at"]), closure["requested_by"], "", "request"))
    if "closed_at" in closure:
        found.append(Event(_parse(closure["closed_at"]), RECORDS, "", "close"))
    return sorted(found, key=lambda e: (e.time, e.milestone != "create"))


def _current(data: dict[str, Any], role: str, at: int | None = None) -> dict[str, Any] | None:
    """The assignment holding `role` at `at` (None: at the end)."""
    held = None
    for entry in data.get("assignments", []):
        if entry["role"] != role or (at is not None and _parse(entry["assigned_at"]) > at):
            continue
        ended = entry.get("ended_at")
        if ended is None or (at is not None and _parse(ended) > at):
            held = entry
    return held


def _status(data: dict[str, Any], at: int) -> str:
    closure = data.get("closure", {})
    if "closed_at" in closure and _parse(closure["closed_at"]) <= at:
        return "closed"
    if "requested_at" in closure and _parse(closure["requested_at"]) <= at:
        return "closure_requested"
    handler = _current(data, "handler")
    if handler and "acknowledged_at" in handler and _parse(handler["acknowledged_at"]) <= at:
        return "in_progress"
    assigned = [e for e in data.get("assignments", []) if _parse(e["assigned_at"]) <= at]
    return "assigned" if assigned else "new"


def _as_of(value: dict[str, Any], at: int, always: bool = False) -> dict[str, Any]:
    """A dict as it stood at `at`: a dated key not yet reached hides it and what follows it."""
    out: dict[str, Any] = {}
    shown = True
    for key, item in value.items():
        if _is_time(key) and isinstance(item, str):
            shown = _parse(item) <= at
        if not shown:
            continue
        if isinstance(item, list):
            kept = [_as_of(e, at) for e in item if always or key == "stakeholders" or _born(e, at)]
            if kept:
                out[key] = kept
        elif isinstance(item, dict):
            inner = _as_of(item, at)
            if inner:
                out[key] = inner
        else:
            out[key] = item
    return out


def _born(entry: dict[str, Any], at: int) -> bool:
    first = next((v for k, v in entry.items() if _is_time(k) and isinstance(v, str)), None)
    return first is None or _parse(first) <= at


def snapshot(data: dict[str, Any], at: int) -> dict[str, Any]:
    """The case's front matter as it stood at `at`: only entries dated at or before it."""
    out = _as_of(data, at)
    status = _status(data, at)
    out["status"] = status
    history = [e for e in data["priority_history"] if _parse(e["at"]) <= at]
    out["priority"] = history[-1]["to"]
    due = {k: v for k, v in data["due"].items() if k not in ("next_review", "calendar")}
    if status != "closed":
        reviews = [_parse(e["at"]) for e in data.get("reviews", []) if _parse(e["at"]) <= at]
        last = max(reviews, default=_parse(data["registered_at"]))
        due["next_review"] = synth._when(last + 7 * DAY)
    due["calendar"] = data["due"]["calendar"]
    out["due"] = due
    if status != "closed":
        out.pop("retention", None)
    return out


def _readers(data: dict[str, Any], at: int) -> int:
    """How many recipients a sensitive section is encrypted to at `at` (policy recipients)."""
    if _status(data, at) == "closed":
        return len(SUPERVISORS) + 1  # supervisors and the escrow key
    team = {
        e["person"] for e in (_current(data, r, at) for r in ("handler", "resolution_officer")) if e
    }
    holders = team | {data["registered_by"], *SUPERVISORS}
    if at >= LEAVE:
        holders.discard("esilva")
    return len(holders) + 1


def _b64raw(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def fake_armor(rng: random.Random, readers: int, plain: int) -> str:
    """A canonical age armor with `readers` X25519 stanzas and a payload for `plain` bytes."""
    header = "age-encryption.org/v1\n"
    for _ in range(readers):
        header += f"-> X25519 {_b64raw(rng.randbytes(32))}\n{_b64raw(rng.randbytes(32))}\n"
    header += f"--- {_b64raw(rng.randbytes(32))}\n"
    payload = rng.randbytes(16 + plain + 16 * (1 + plain // 65536))
    text = base64.b64encode(header.encode() + payload).decode()
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return "\n".join(
        ["-----BEGIN AGE ENCRYPTED FILE-----", *lines, "-----END AGE ENCRYPTED FILE-----"]
    )


def _pick_status(rng: random.Random, received: int) -> str:
    if received < CLOSING_BEFORE:
        statuses = {
            "closed": 45,
            "in_progress": 33,
            "closure_requested": 10,
            "assigned": 7,
            "new": 5,
        }
    else:
        statuses = {"new": 20, "assigned": 20, "in_progress": 50, "closure_requested": 10}
    return rng.choices(list(statuses), list(statuses.values()))[0]


def _fits(data: dict[str, Any], events: list[Event]) -> bool:
    if events[-1].time >= END:
        return False
    team = {e["person"] for e in data.get("assignments", [])}
    return not ("esilva" in team and events[-1].time >= ESILVA_LAST)


def _group(rng: random.Random, events: list[Event]) -> list[list[Event]]:
    """Entries made together become one commit: the registration alone, the closure request and
    the closure each end a commit, other entries end one by chance or when it would span too long."""
    groups: list[list[Event]] = []
    group: list[Event] = []
    for event in events:
        if group and (event.time - group[-1].time > GAP or event.time - group[0].time > SPAN):
            groups.append(group)
            group = []
        group.append(event)
        if event.milestone in ENDS or rng.random() < P_CUT:
            groups.append(group)
            group = []
    if group:
        groups.append(group)
    return groups


def _message(case_id: str, data: dict[str, Any], group: list[Event], merger: str) -> str:
    last = group[-1]
    if last.milestone == "create":
        return (
            f"{case_id} registered ({data['type']}, priority {data['priority_history'][0]['to']})"
        )
    if last.milestone == "request":
        outcome = data["closure"]["outcome"].replace("_", " ")
        return f"{case_id} closure requested ({outcome}); a supervisor approves by merging"
    if last.milestone == "close":
        kept = data["retention"]
        return f"{case_id} closed with {merger}'s approval; kept until {kept['until']} ({kept['disposition']})"
    labels = list(dict.fromkeys(e.label for e in group if e.label))
    more = f" and {len(labels) - 3} more" if len(labels) > 3 else ""
    return f"{case_id}: {', '.join(labels[:3])}{more}"


@dataclass(frozen=True)
class Job:
    index: int
    seed: int
    case_id: str
    received: int
    wrong_id: str  # "" unless this case's id is corrected after registration


def story(job: Job) -> list[Step]:
    """One case's commits, oldest first; a closed case's last three are branch, branch, merge."""
    rng = random.Random(job.seed * 1_000_003 + job.index)
    for _ in range(200):
        case_type = rng.choices(list(synth.TYPES), list(synth.TYPES.values()))[0]
        status = _pick_status(rng, job.received)
        data = synth.Case(rng, job.case_id, job.received, status).build(case_type)
        data.pop("attachments", None)  # documents are not part of this history
        data.pop("reopenings", None)  # a reopening needs a closure before it
        events = _events(data)
        if _fits(data, events):
            break
    else:
        raise RuntimeError(f"no fitting timeline for case {job.index}")
    merger = ""
    closure = data.get("closure", {})
    if "closed_at" in closure:
        closure["closed_by"] = RECORDS  # the records office runs `casetrail close`
        ticks = {tick["item"]: tick for tick in closure["checklist"]}
        merger = ticks["approvals_obtained"]["done_by"]  # the supervisor who approves by merging
    groups = _group(rng, events)
    times = sorted(set(_all_times(data)))
    steps: list[Step] = []
    sensitive = [title for title, secret in synth.SECTIONS[case_type] if secret]
    notes: dict[str, int] = {t: rng.randint(300, 1500) for t in sensitive}  # plaintext bytes
    body: dict[str, str] = {}
    for title, secret in synth.SECTIONS[case_type]:
        if not secret and title != "Outcome":
            body[title] = synth._paragraph(rng, rng.randint(15, 60))
    body["Outcome"] = "<!-- To be written at closure. -->"
    last_readers, previous = -1, 0
    closing = "closed_at" in closure
    for number, group in enumerate(groups):
        end = group[-1].time
        later = times[bisect.bisect_right(times, end) :]
        limit = later[0] - 1 if later else end + HOUR
        at = max(min(end + rng.randint(MIN, 25 * MIN), limit), end, previous + 1)
        previous = at
        milestone = group[-1].milestone
        readers = _readers(data, at)
        changed = readers != last_readers
        if number and not changed and "Progress notes" in notes and rng.random() < 0.6:
            notes["Progress notes"] += rng.randint(150, 500)  # a new progress note
            body["Progress notes"] = fake_armor(rng, readers, notes["Progress notes"] + 90)
        if changed:  # who may read changed (assignment, closure): every section re-encrypted
            for title in sensitive:
                body[title] = fake_armor(rng, readers, notes[title] + 90)
            last_readers = readers
        if milestone == "request":
            body["Outcome"] = synth._paragraph(rng, rng.randint(20, 60))
        front = snapshot(data, at)
        case_id = job.wrong_id if job.wrong_id and number == 0 else job.case_id
        front["id"] = case_id
        text = ["---", *synth.emit(front), "---", ""]
        for title, _secret in synth.SECTIONS[case_type]:
            text.append(f"## {title}\n\n{body[title]}\n")
        lane = "branch" if closing and milestone in ("request", "close") else "main"
        signer = group[-1].actor
        message = _message(job.case_id, data, group, merger) + "\n"
        path = f"cases/2026/{case_id}.md"
        steps.append(Step(at, lane, signer, message, path, "\n".join(text).encode(), job.index))
        if number == 0 and job.wrong_id:  # the id is corrected before anything else happens
            gap = (groups[1][0].time if len(groups) > 1 else at + HOUR) - at
            renamed = at + max(1, min(30 * MIN, gap // 2))
            # Only the id line changes, so git sees a rename (the sections are re-encrypted,
            # with their binding to the new id, at the next change of readers).
            front["id"] = job.case_id
            text = ["---", *synth.emit(front), "---", ""]
            for title, _secret in synth.SECTIONS[case_type]:
                text.append(f"## {title}\n\n{body[title]}\n")
            steps.append(
                Step(
                    renamed,
                    "main",
                    data["registered_by"],
                    f"{job.case_id}: case id corrected (was {job.wrong_id})\n",
                    f"cases/2026/{job.case_id}.md",
                    "\n".join(text).encode(),
                    job.index,
                    path,
                )
            )
            previous = renamed
    rekeyed = LEAVE + rng.randint(10 * MIN, 3 * HOUR)
    if not closing and previous < LEAVE and _readers(data, rekeyed) != last_readers:
        # The records office re-encrypts the open cases esilva could read the day she leaves.
        for title in sensitive:
            body[title] = fake_armor(rng, _readers(data, rekeyed), notes[title] + 90)
        text = ["---", *synth.emit(front), "---", ""]
        for title, _secret in synth.SECTIONS[case_type]:
            text.append(f"## {title}\n\n{body[title]}\n")
        message = f"{job.case_id}: sections re-encrypted for the current readers (esilva left)\n"
        path = f"cases/2026/{job.case_id}.md"
        content = "\n".join(text).encode()
        steps.append(Step(rekeyed, "main", RECORDS, message, path, content, job.index))
    if closing:
        at = previous + rng.randint(10 * MIN, 18 * HOUR)
        message = f"Merge pull request #{job.index + 1} from close/{job.case_id}\n\n{job.case_id} closure approved by {merger}\n"
        steps.append(
            Step(at, "merge", merger, message, f"cases/2026/{job.case_id}.md", b"", job.index)
        )
    return steps


# --- Git objects: a pack written directly, with its index -----------------------------------

COMMIT, TREE, BLOB, OFS_DELTA = 1, 2, 3, 6
MAX_DEPTH = 50  # git gc's default pack.depth
KEY_EVERY = 24  # every 24th cases/2026 tree is a delta against the previous such tree


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _copy(out: bytearray, offset: int, size: int) -> None:
    while size:
        chunk = min(size, 0x10000)
        op, args = 0x80, bytearray()
        for i in range(4):
            byte = (offset >> (8 * i)) & 0xFF
            if byte:
                op |= 1 << i
                args.append(byte)
        if chunk != 0x10000:  # size 0 (no size bytes) means 0x10000
            for i in range(3):
                byte = (chunk >> (8 * i)) & 0xFF
                if byte:
                    op |= 0x10 << i
                    args.append(byte)
        out.append(op)
        out += args
        offset += chunk
        size -= chunk


def _insert(out: bytearray, data: bytes) -> None:
    for i in range(0, len(data), 127):
        piece = data[i : i + 127]
        out.append(len(piece))
        out += piece


def edits_delta(old_size: int, new_size: int, edits: list[tuple[int, int, bytes]]) -> bytes:
    """A git delta from (position in the old object, bytes removed there, bytes put there)."""
    out = bytearray(_varint(old_size) + _varint(new_size))
    position = 0
    for at, removed, data in edits:
        if at > position:
            _copy(out, position, at - position)
        if data:
            _insert(out, data)
        position = at + removed
    if position < old_size:
        _copy(out, position, old_size - position)
    return bytes(out)


def line_delta(old: bytes, new: bytes) -> bytes:
    """A git delta copying every line of `new` that `old` also has (runs joined)."""
    where: dict[bytes, int] = {}
    position = 0
    for line in old.splitlines(keepends=True):
        where.setdefault(line, position)
        position += len(line)
    out = bytearray(_varint(len(old)) + _varint(len(new)))
    start = length = 0
    pending = bytearray()
    for line in new.splitlines(keepends=True):
        if length and old.startswith(line, start + length):
            length += len(line)
            continue
        found = where.get(line) if len(line) >= 8 else None
        if length:
            _copy(out, start, length)
            length = 0
        if found is None:
            pending += line
            continue
        if pending:
            _insert(out, bytes(pending))
            pending.clear()
        start, length = found, len(line)
    if length:
        _copy(out, start, length)
    if pending:
        _insert(out, bytes(pending))
    return bytes(out)


def patch(base: bytes, delta: bytes) -> bytes:
    """Apply a git delta (for tests of the delta writers)."""
    position = 0

    def varint() -> int:
        nonlocal position
        value = shift = 0
        while True:
            byte = delta[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    assert varint() == len(base)
    size, out = varint(), bytearray()
    while position < len(delta):
        op = delta[position]
        position += 1
        if op & 0x80:
            offset = length = 0
            for i in range(4):
                if op & (1 << i):
                    offset |= delta[position] << (8 * i)
                    position += 1
            for i in range(3):
                if op & (0x10 << i):
                    length |= delta[position] << (8 * i)
                    position += 1
            out += base[offset : offset + (length or 0x10000)]
        else:
            out += delta[position : position + op]
            position += op
    assert len(out) == size
    return bytes(out)


class Pack:
    """One pack file and its version 2 index, written as objects come."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = path.open("wb")
        self.file.write(b"PACK" + struct.pack(">II", 2, 0))
        self.offset = 12
        self.index: list[tuple[bytes, int, int]] = []  # id, crc32, offset
        self.seen: dict[bytes, tuple[int, int]] = {}  # id -> (offset, delta depth)

    def _entry(self, kind: int, size: int, sha: bytes, data: bytes, depth: int) -> None:
        first = (kind << 4) | (size & 0x0F)
        size >>= 4
        head = bytearray()
        while size:
            head.append(first | 0x80)
            first, size = size & 0x7F, size >> 7
        head.append(first)
        entry = bytes(head) + data
        self.file.write(entry)
        self.index.append((sha, zlib.crc32(entry), self.offset))
        self.seen[sha] = (self.offset, depth)
        self.offset += len(entry)

    def whole(self, kind: int, data: bytes, sha: bytes) -> None:
        if sha not in self.seen:
            level = 1 if len(data) > 65536 else 6
            self._entry(kind, len(data), sha, zlib.compress(data, level), 0)

    def delta(self, sha: bytes, base: bytes, delta: bytes) -> None:
        if sha in self.seen:
            return
        offset, depth = self.seen[base]
        distance = self.offset - offset
        encoded = bytearray([distance & 0x7F])
        distance >>= 7
        while distance:
            distance -= 1
            encoded.insert(0, 0x80 | (distance & 0x7F))
            distance >>= 7
        self._entry(OFS_DELTA, len(delta), sha, bytes(encoded) + zlib.compress(delta), depth + 1)

    def depth(self, sha: bytes) -> int:
        return self.seen[sha][1]

    def finish(self, objects: Path) -> str:
        """Close the pack, write its index; returns the pack's name (its checksum)."""
        self.file.seek(8)
        self.file.write(struct.pack(">I", len(self.index)))
        self.file.close()
        digest = hashlib.sha1()
        with self.path.open("rb") as stream:
            while chunk := stream.read(1 << 22):
                digest.update(chunk)
        checksum = digest.digest()
        with self.path.open("ab") as stream:
            stream.write(checksum)
        entries = sorted(self.index)
        fanout = [0] * 256
        for sha, _crc, _offset in entries:
            fanout[sha[0]] += 1
        total, counts = 0, []
        for count in fanout:
            total += count
            counts.append(total)
        large: list[int] = []
        offsets = bytearray()
        for _sha, _crc, offset in entries:
            if offset < 0x80000000:
                offsets += struct.pack(">I", offset)
            else:
                offsets += struct.pack(">I", 0x80000000 | len(large))
                large.append(offset)
        index = bytearray(b"\377tOc" + struct.pack(">I", 2) + struct.pack(">256I", *counts))
        index += b"".join(sha for sha, _c, _o in entries)
        index += b"".join(struct.pack(">I", crc) for _s, crc, _o in entries)
        index += offsets + b"".join(struct.pack(">Q", o) for o in large) + checksum
        index += hashlib.sha1(index).digest()
        name = checksum.hex()
        self.path.rename(objects / f"pack-{name}.pack")
        (objects / f"pack-{name}.idx").write_bytes(bytes(index))
        return name


def object_id(kind: str, data: bytes) -> bytes:
    digest = hashlib.sha1(f"{kind} {len(data)}\0".encode())
    digest.update(data)
    return digest.digest()


def tree_bytes(entries: list[tuple[str, str, bytes]]) -> bytes:
    """A git tree from (mode, name, id); git orders directories as if their name ended in /."""
    ordered = sorted(entries, key=lambda e: e[1] + ("/" if e[0] == "40000" else ""))
    return b"".join(f"{mode} {name}\0".encode() + sha for mode, name, sha in ordered)


class Folder:
    """cases/2026: thousands of same-length entries kept as one buffer, changed in place."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.data = bytearray()
        self.ids: dict[str, bytes] = {}

    def change(self, updates: dict[str, bytes | None]) -> list[tuple[int, int, bytes]]:
        """Set (id) or remove (None) entries; returns the edits against the old buffer."""
        edits = self.edits(self.names, updates)
        for (at, removed, data), name in reversed(list(zip(edits, sorted(updates), strict=True))):
            self.data[at : at + removed] = data
            rank = at // ENTRY
            if removed and not data:
                del self.names[rank]
                del self.ids[name]
            elif data and not removed:
                self.names.insert(rank, name)
            if data:
                self.ids[name] = data[-20:]
        return edits

    def edits(
        self, old: list[str], updates: dict[str, bytes | None]
    ) -> list[tuple[int, int, bytes]]:
        found = []
        for name in sorted(updates):
            sha = updates[name]
            rank = bisect.bisect_left(old, name)
            present = rank < len(old) and old[rank] == name
            entry = f"100644 {name}\0".encode() + sha if sha else b""
            assert not entry or len(entry) == ENTRY, f"{name} does not fit the fixed entry size"
            found.append((rank * ENTRY, ENTRY if present else 0, entry))
        return found

    def since(self, old: list[str], names: set[str]) -> list[tuple[int, int, bytes]]:
        """Edits turning the folder as it was (`old` names) into now, given what changed."""
        return self.edits(old, {name: self.ids.get(name) for name in names})


@dataclass
class Branch:
    base: str  # the main commit it starts from
    data: bytes  # the base's cases/2026 tree
    tree: bytes  # its id
    rank: int  # the case's entry in it
    roster: int  # roster version at the base
    rest: list[tuple[str, str, bytes]]  # the base's other root entries
    tip: str = ""
    blob: bytes = b""


class Writer:
    """Turns the ordered steps into signed commits in one pack."""

    def __init__(self, pack: Pack, team: dict[str, Person]) -> None:
        self.pack, self.team = pack, team
        self.folder = Folder()
        self.folder_id = b""  # the current cases/2026 tree on main
        self.key_tree: tuple[bytes, list[str]] | None = None  # last key version: id, names
        self.since_key: set[str] = set()
        self.versions = 0
        self.blobs: dict[int, bytes] = {}  # case -> its last blob id
        self.schema: dict[str, bytes] = {}  # path under schema/ -> content
        self.gitignore = b".cache/\n"
        self.main = ""
        self.roster = 0
        self.branches: dict[int, Branch] = {}
        self.commits = 0
        self._blob_data: dict[bytes, bytes] = {}  # the last version of each case, for deltas
        self._schema_id = b""

    # objects
    def blob(self, data: bytes, case: int | None = None) -> bytes:
        sha = object_id("blob", data)
        base = self.blobs.get(case) if case is not None else None
        if base is not None and sha not in self.pack.seen and self.pack.depth(base) < MAX_DEPTH:
            old = self._blob_data[base]
            self.pack.delta(sha, base, line_delta(old, data))
        else:
            self.pack.whole(BLOB, data, sha)
        if case is not None:
            self.blobs[case] = sha
            self._blob_data.pop(base or b"", None)
            self._blob_data[sha] = data
        return sha

    def tree(self, entries: list[tuple[str, str, bytes]]) -> bytes:
        data = tree_bytes(entries)
        sha = object_id("tree", data)
        self.pack.whole(TREE, data, sha)
        return sha

    def schema_tree(self) -> bytes:
        def build(prefix: str) -> bytes:
            entries: list[tuple[str, str, bytes]] = []
            folders = set()
            for path, content in self.schema.items():
                if not path.startswith(prefix):
                    continue
                rest = path[len(prefix) :]
                if "/" in rest:
                    folders.add(rest.split("/", 1)[0])
                else:
                    entries.append(("100644", rest, self.blob(content)))
            entries += [("40000", name, build(f"{prefix}{name}/")) for name in sorted(folders)]
            return self.tree(entries)

        return build("")

    def root(self, folder: bytes, schema: bytes) -> tuple[bytes, list[tuple[str, str, bytes]]]:
        rest = [("100644", ".gitignore", self.blob(self.gitignore)), ("40000", "schema", schema)]
        entries = list(rest)
        if folder:
            entries.append(("40000", "cases", self.tree([("40000", "2026", folder)])))
        return self.tree(entries), rest

    def commit(
        self, tree: bytes, parents: list[str], handle: str, at: int, message: str, roster: int
    ) -> str:
        person = self.team[handle]
        key = person.key(at, roster)
        zone = datetime.fromtimestamp(at, ZONE).strftime("%z")
        ident = f"{person.name} <{person.email}> {at} {zone}"
        head = f"tree {tree.hex()}\n" + "".join(f"parent {p}\n" for p in parents)
        head += f"author {ident}\ncommitter {ident}\n"
        signature = sshsig(key.private, f"{head}\n{message}".encode())
        body = f"{head}gpgsig {signature.rstrip().replace(chr(10), chr(10) + ' ')}\n\n{message}".encode()
        sha = object_id("commit", body)
        self.pack.whole(COMMIT, body, sha)
        self.commits += 1
        return sha.hex()

    # main's cases/2026 tree
    def folder_tree(self, edits: list[tuple[int, int, bytes]], names: set[str]) -> bytes:
        old = self.folder_id
        data = bytes(self.folder.data)
        sha = object_id("tree", data)
        self.since_key |= names
        self.versions += 1
        if not old:
            self.pack.whole(TREE, data, sha)
        elif self.versions % KEY_EVERY == 0 and self.key_tree is not None:
            key, key_names = self.key_tree
            if self.pack.depth(key) + KEY_EVERY >= MAX_DEPTH - 2:  # room for the versions after
                self.pack.whole(TREE, data, sha)
            else:
                edits = self.folder.since(key_names, self.since_key)
                size = len(key_names) * ENTRY
                self.pack.delta(sha, key, edits_delta(size, len(data), edits))
        elif self.pack.depth(old) + 1 >= MAX_DEPTH - 2:  # branches add one more level
            self.pack.whole(TREE, data, sha)
        else:
            size = len(data) - sum(len(d) - r for _a, r, d in edits)
            self.pack.delta(sha, old, edits_delta(size, len(data), edits))
        if self.key_tree is None or self.versions % KEY_EVERY == 0:
            self.key_tree, self.since_key = (sha, list(self.folder.names)), set()
        self.folder_id = sha
        return sha

    def on_main(self, updates: dict[str, bytes | None]) -> bytes:
        names = {name.rsplit("/", 1)[1]: sha for name, sha in updates.items()}
        edits = self.folder.change(names)
        folder = self.folder_tree(edits, set(names))
        tree, _rest = self.root(folder, self._schema_id)
        return tree

    def system(self, at: int, files: dict[str, bytes], message: str, roster_changed: bool) -> str:
        self.schema.update(files)
        self._schema_id = self.schema_tree()
        tree, _rest = self.root(self.folder_id, self._schema_id)
        parents = [self.main] if self.main else []
        self.main = self.commit(tree, parents, RECORDS, at, message, self.roster)
        if roster_changed:
            self.roster += 1
        return self.main

    def step(self, step: Step) -> None:
        name = step.path.rsplit("/", 1)[1]
        if step.lane == "main":
            updates: dict[str, bytes | None] = {step.path: self.blob(step.content, step.case)}
            if step.old_path:
                updates[step.old_path] = None
            tree = self.on_main(updates)
            self.main = self.commit(
                tree, [self.main], step.signer, step.time, step.message, self.roster
            )
        elif step.lane == "branch":
            branch = self.branches.get(step.case)
            if branch is None:
                rank = bisect.bisect_left(self.folder.names, name)
                assert self.folder.names[rank] == name, f"{name} is not on main"
                _tree, rest = self.root(self.folder_id, self._schema_id)
                branch = Branch(
                    self.main,
                    bytes(self.folder.data),
                    self.folder_id,
                    rank,
                    self.roster,
                    rest,
                    self.main,
                )
                self.branches[step.case] = branch
            blob = self.blob(step.content, step.case)
            at = branch.rank * ENTRY
            data = branch.data[: at + ENTRY - 20] + blob + branch.data[at + ENTRY :]
            folder = object_id("tree", data)
            delta = edits_delta(len(branch.data), len(data), [(at + ENTRY - 20, 20, blob)])
            self.pack.delta(folder, branch.tree, delta)
            tree = self.tree(
                [*branch.rest, ("40000", "cases", self.tree([("40000", "2026", folder)]))]
            )
            branch.tip = self.commit(
                tree, [branch.tip], step.signer, step.time, step.message, branch.roster
            )
            branch.blob = blob
        else:
            branch = self.branches.pop(step.case)
            tree = self.on_main({step.path: branch.blob})
            parents = [self.main, branch.tip]
            self.main = self.commit(
                tree, parents, step.signer, step.time, step.message, self.roster
            )


# --- Building and caching -------------------------------------------------------------------


def schema_files() -> dict[str, bytes]:
    return {
        p.relative_to(synth.SCHEMA).as_posix(): p.read_bytes()
        for p in sorted(synth.SCHEMA.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def jobs(cases: int, seed: int) -> list[Job]:
    from casetrail.core import ids

    rng = random.Random(seed)
    seen: set[str] = set()

    def fresh() -> str:
        while True:
            case_id = ids.make(2026, rng.randbytes(6))
            if case_id not in seen:
                seen.add(case_id)
                return case_id

    received = sorted(rng.randint(*RECEIVED) for _ in range(cases))
    renamed = set(rng.sample(range(cases), max(1, round(cases * RENAME_SHARE))))
    made = []
    for index, at in enumerate(received):
        case_id = fresh()
        made.append(Job(index, seed, case_id, at, fresh() if index in renamed else ""))
    return made


def _stories(work: list[Job]) -> list[list[Step]]:
    if len(work) < 200:
        return [story(job) for job in work]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        return pool.map(story, work, chunksize=64)


@dataclass
class Built:
    repo: Path
    manifest: dict[str, Any]

    @property
    def allowed_signers(self) -> Path:
        return self.repo.parent / "allowed_signers"


def build(repo: Path, cases: int, seed: int = SEED) -> dict[str, Any]:
    """Generate the repository at `repo` (replaced if there); returns its manifest."""
    started = time.perf_counter()
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    schema = schema_files()
    team = people(schema["roster.yaml"].decode())
    stories = _stories(jobs(cases, seed))
    generated = time.perf_counter()
    steps = sorted(
        (s for case in stories for s in case), key=lambda s: (s.time, s.case, s.lane == "merge")
    )
    # Committer dates strictly increase (each case's own order is kept: only later, never earlier).
    for before, after in itertools.pairwise(steps):
        if after.time <= before.time:
            after.time = before.time + 1
    objects = repo / ".git" / "objects" / "pack"
    writer = Writer(Pack(objects / "tmp-history.pack"), team)
    policy = schema["policy.yaml"].decode()
    if "trust_root: null" not in policy:
        raise RuntimeError("schema/policy.yaml has no 'trust_root: null' line to set")
    root = writer.system(
        INTRODUCED, schema, "Introduce casetrail: schema, policy and roster\n", False
    )
    trusted = policy.replace("trust_root: null", f'trust_root: "{root}"', 1)
    writer.system(
        INTRODUCED + 30 * MIN,
        {"policy.yaml": trusted.encode()},
        f"policy: trust root is the introduction commit {root[:12]}\n",
        False,
    )
    roster = schema["roster.yaml"].decode()
    edits = [
        (ROTATE, "roster: bkoch rotates his signing key\n", lambda t: _rotate_bkoch(t, team)),
        (
            REVOKE,
            "roster: ipatel's key revoked (laptop lost); new key added\n",
            lambda t: _end_key(
                t,
                team["ipatel"].keys[0].public,
                "revoked_at",
                _day_of(REVOKE),
                team["ipatel"].keys[1].public,
            ),
        ),
        (
            LEAVE,
            "roster: esilva leaves the office; her key ends today\n",
            lambda t: _end_key(
                _leave(t, "esilva", _day_of(LEAVE)),
                team["esilva"].keys[0].public,
                "valid_until",
                _day_of(LEAVE),
            ),
        ),
    ]
    counts = {"main": 0, "branch": 0, "merge": 0, "rename": 0}
    touched: dict[str, int] = {}
    last = INTRODUCED
    for step in steps:
        while edits and edits[0][0] <= step.time:
            at, message, edit = edits.pop(0)
            roster = edit(roster)
            writer.system(max(at, last + 1), {"roster.yaml": roster.encode()}, message, True)
        writer.step(step)
        last = step.time
        counts[step.lane] += 1
        counts["rename"] += bool(step.old_path)
        touched[step.path] = touched.get(step.path, 0) + 1
    for at, message, edit in edits:
        roster = edit(roster)
        last = max(at, last + 1)
        writer.system(last, {"roster.yaml": roster.encode()}, message, True)
    assembled = time.perf_counter()
    name = writer.pack.finish(objects)
    (repo / ".git" / "refs" / "heads" / "main").write_text(writer.main + "\n")
    subprocess.run(["git", "-C", str(repo), "reset", "-q", "--hard"], check=True)
    signers = []
    for person in team.values():
        signers += [f'{person.email} namespaces="git" {key.public}' for key in person.keys]
    (repo.parent / "allowed_signers").write_text("\n".join(signers) + "\n")
    busiest = max(touched, key=lambda p: (touched[p], p))
    return {
        "version": VERSION,
        "cases": cases,
        "seed": seed,
        "head": writer.main,
        "trust_root": root,
        "commits": writer.commits,
        "main_commits": counts["main"],
        "branch_commits": counts["branch"],
        "merges": counts["merge"],
        "closures": counts["merge"],
        "renames": counts["rename"],
        "roster_changes": 3,
        "system_commits": 2 + 3,
        "busiest_case": Path(busiest).stem,
        "busiest_case_commits": touched[busiest],
        "pack": f"pack-{name}.pack",
        "pack_bytes": (objects / f"pack-{name}.pack").stat().st_size,
        "seconds": {
            "stories": round(generated - started, 1),
            "objects": round(assembled - generated, 1),
            "total": round(time.perf_counter() - started, 1),
        },
    }


def stamp_of(cases: int, seed: int) -> str:
    digest = hashlib.sha256()
    for path, content in schema_files().items():
        digest.update(path.encode() + b"\0" + content)
    return f"v{VERSION}-{cases}-{seed}-{digest.hexdigest()[:10]}"


def ensure(cases: int, seed: int = SEED, base: Path = BASE) -> Built:
    """The repository for these parameters, built unless a finished one is cached."""
    folder = base / stamp_of(cases, seed)
    repo, manifest = folder / "repo", folder / "manifest.json"
    if manifest.exists() and (repo / ".git").is_dir():
        return Built(repo, json.loads(manifest.read_text()))
    for other in base.glob(f"v*-{cases}-{seed}-*"):  # older generators or schemas: not kept
        shutil.rmtree(other, ignore_errors=True)
    print(f"building a {cases}-case signed history in {repo} ...", file=sys.stderr, flush=True)
    made = build(repo, cases, seed)
    manifest.write_text(json.dumps(made, indent=2) + "\n")
    return Built(repo, made)


def git(repo: Path, *args: str, signers: Path | None = None) -> str:
    config = ["-c", f"gpg.ssh.allowedSignersFile={signers}"] if signers else []
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    done = subprocess.run(
        ["git", "-C", str(repo), *config, *args], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


def verify(built: Built, limit: int = 0) -> dict[str, int]:
    """git's own verdict on every commit (or the newest `limit`), and `git fsck`: all good."""
    count = ["-n", str(limit)] if limit else []
    lines = git(built.repo, "log", *count, "--format=%H %G?", signers=built.allowed_signers)
    verdicts: dict[str, int] = {}
    for line in lines.splitlines():
        verdicts[line.split()[1]] = verdicts.get(line.split()[1], 0) + 1
    if set(verdicts) != {"G"}:
        bad = [line for line in lines.splitlines() if not line.endswith(" G")][:5]
        raise RuntimeError(f"git does not verify every commit: {verdicts}; {bad}")
    git(built.repo, "fsck", "--strict", "--no-dangling")
    return verdicts


def add_commits(built: Built, count: int, workdir: Path, later: int = 0) -> list[str]:
    """`count` new commits made by git itself (`git commit -S`, ssh-keygen signing): a review
    added to `count` open cases by fweber, dated after the history (and `later` seconds more,
    so each round of a benchmark makes new commits). Returns their ids."""
    workdir.mkdir(parents=True, exist_ok=True)
    key = workdir / "fweber.ssh"
    shutil.copy(KEYS / "fweber.ssh", key)
    key.chmod(0o600)
    repo = built.repo
    head = git(repo, "log", "-1", "--format=%ct").strip()
    at = int(head) + HOUR + later
    cases = sorted(repo.glob("cases/2026/*.md"))
    made: list[str] = []
    for path in cases:
        if len(made) == count:
            break
        text = path.read_text(encoding="utf-8")
        if "\nstatus: in_progress\n" not in text or "\nreviews:\n" not in text:
            continue
        at += 10 * MIN
        start = text.index("\nreviews:\n") + 1
        end = re.compile(r"(?m)^\S").search(text, start + len("reviews:\n"))
        assert end is not None
        entry = (
            f'  - at: "{datetime.fromtimestamp(at - MIN, ZONE).isoformat()}"\n'
            '    by: fweber\n    summary: "weekly review: no change"\n'
        )
        path.write_text(text[: end.start()] + entry + text[end.start() :], encoding="utf-8")
        date = datetime.fromtimestamp(at, ZONE).isoformat()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
            "GIT_AUTHOR_NAME": "Frieda Weber",
            "GIT_AUTHOR_EMAIL": "fweber@demo.casetrail.invalid",
            "GIT_COMMITTER_NAME": "Frieda Weber",
            "GIT_COMMITTER_EMAIL": "fweber@demo.casetrail.invalid",
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
        }
        config = [
            "-c",
            "gpg.format=ssh",
            "-c",
            f"user.signingkey={key}",
            "-c",
            "core.hooksPath=/dev/null",
        ]
        subprocess.run(
            [
                "git",
                "-C",
                str(repo),
                *config,
                "commit",
                "-q",
                "-S",
                "-m",
                f"{path.stem}: review",
                "--",
                str(path),
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        made.append(git(repo, "rev-parse", "HEAD").strip())
    return made


def reset_head(built: Built) -> None:
    """Main back at the generated head, the working tree matching (after add_commits)."""
    git(built.repo, "update-ref", "refs/heads/main", built.manifest["head"])
    git(built.repo, "reset", "-q", "--hard")


def restore(built: Built) -> None:
    """As generated: the generated head, and no audit state or verdicts."""
    reset_head(built)
    shutil.rmtree(built.repo / ".git" / "casetrail", ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--base", type=Path, default=BASE, help="cache folder")
    parser.add_argument("--verify", action="store_true", help="git verifies every commit; fsck")
    args = parser.parse_args()
    made = ensure(args.cases, args.seed, args.base)
    print(json.dumps(made.manifest, indent=2))
    print(made.repo)
    if args.verify:
        print(verify(made))
