"""A records office that uses per-case keys, for the key and destruction tests: a real signed
history (historykit), a real directory key store outside the repository, and helpers that try
every demo identity against every version of a case in git."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from unittest import mock

from casetrail.core import document, envelope
from casetrail.shell import casekeys, cipher
from casetrail.shell.keystore_dir import DirectoryKeyStore
from historykit import DEMO_KEYS, History

# Every identity the demo office has: the people and the records office's escrow key.
IDENTITIES = (
    "amartin", "bkoch", "cnguyen", "dokafor", "esilva", "fweber", "gharris", "hlindqvist",
    "ipatel", "escrow",
)  # fmt: skip
SECRET = "S1: CANARY-PER-CASE Jordan Example, 12 Example Street (fictional)"


def identity(name: str) -> cipher.Keyring:
    path = DEMO_KEYS / f"{name}.agekey"
    return cipher.Keyring(cipher.load_identities(path.read_text(), name), (name,))


def keyed_office(folder: Path) -> tuple[History, Path]:
    """A history whose policy gives every new case a per-case key, and its store."""
    kit = History.create(folder)
    store = folder / "keystore"
    store.mkdir()
    kit.git("config", "casetrail.keyStore", str(store))
    policy = kit.root / "schema" / "policy.yaml"
    policy.write_text(policy.read_text().replace("per_case_keys: false", "per_case_keys: true"))
    kit.commit("hlindqvist", "Policy: per-case keys for every new case")
    return kit, store


def sign_as(kit: History, handle: str) -> None:
    """Commits casetrail makes itself (destroy execute) are signed with `handle`'s key."""
    for key, value in (
        ("gpg.format", "ssh"),
        ("user.signingkey", str(kit.signing_keys[handle])),
        ("commit.gpgsign", "true"),
        ("user.name", kit.people[handle][0]),
        ("user.email", kit.people[handle][1]),
    ):
        kit.git("config", "--global", key, value)


def versions(kit: History, rel: str) -> Iterator[tuple[str, bytes]]:
    """Every version of `rel` in every commit of every branch: (commit, bytes)."""
    out = kit.git("log", "--all", "--format=%H", "--", rel)
    for commit in out.split():
        shown = subprocess.run(
            ["git", "show", f"{commit}:{rel}"], cwd=kit.root, capture_output=True, check=False
        )
        if shown.returncode == 0:
            yield commit, shown.stdout


def blocks(data: bytes) -> list[tuple[str, str, str]]:
    """(case id, section title, armored block) of each sealed section in a version."""
    parsed, _ = document.parse(data)
    if parsed is None:
        return []
    case_id = str(parsed.front_matter.get("id", ""))
    return [
        (case_id, s.title, s.body.strip())
        for s in parsed.sections
        if envelope.looks_armored(s.body)
    ]


def readable_by(name: str, data: bytes, store: Path) -> list[str]:
    """The plaintext of every block in `data` that identity `name` can read, directly or by
    unwrapping the case's key from the store (which is how casetrail reads it)."""
    ring = identity(name)
    parsed, _ = document.parse(data)
    assert parsed is not None
    with mock.patch.dict(os.environ, {casekeys.STORE_VARIABLE: str(store)}):
        try:
            opened = casekeys.with_case_key(ring, parsed.front_matter)
        except casekeys.CaseKeyError:
            opened = ring
    found = []
    for case_id, title, block in blocks(data):
        try:
            found.append(cipher.decrypt_section(block, opened, case_id, title).text)
        except cipher.CipherError:
            continue
    return found


def store_readers(store: Path, case_id: str) -> tuple[str, ...]:
    return DirectoryKeyStore(store).readers(case_id)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def fork_keyed(kit: History, store: Path, folder: Path) -> tuple[History, Path]:
    """An independent copy of a keyed office: the history and its own copy of the store."""
    import shutil

    copy = kit.fork(folder)
    copied = folder / "keystore"
    shutil.copytree(store, copied, symlinks=True)
    copy.git("config", "casetrail.keyStore", str(copied))
    return copy, copied


DOCUMENT = b"CANARY-DOCUMENT a fictional letter from the complainant\n"


def closed_case(kit: History, case_type: str = "inquiry", document: bool = False) -> str:
    """A case registered by amartin with its parties written, handled by bkoch (who attaches a
    letter, if asked), closed by the records office on a branch and approved by fweber's
    signed merge."""
    cid = kit.register(case_type=case_type)
    kit.ok("section", "set", cid, "Parties", stdin=SECRET.encode() + b"\n")
    kit.commit("amartin", f"Parties of {cid}")
    kit.assign(cid, "bkoch")
    if document:
        letter = kit.home / "letter.txt"
        letter.write_bytes(DOCUMENT)
        kit.ok("attach", cid, str(letter), "--kind", "correspondence", "--by", "bkoch")
        letter.unlink()
        kit.commit("bkoch", f"Letter for {cid}")
    kit.branch(f"close-{cid}")
    kit.request_closure(cid, "bkoch")
    kit.close(cid, "fweber")
    kit.merge("fweber", f"close-{cid}", message=f"Approve closure of {cid}")
    return cid
