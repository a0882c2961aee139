"""Issue 4's contract through the real CLI: `show`, `section set`, `attach`, `rekey` and the
lifecycle steps that change who may read a case.

Every case is built with the real commands (`walk` from test_lifecycle_refusals) and every
block is written by casetrail itself, the reference `age` CLI, or (for the hostile ones) by
hand. "Refused" means what test_lifecycle_refusals means by it (exit 2, a short message, no
traceback, nothing on stdout), plus: every file byte-identical afterwards, and no plaintext
(CANARY) in any output. `casetrail edit` has its own file, test_edit.py.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import difflib
import hashlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from casetrail.core import document, envelope
from casetrail.shell import cipher
from conftest import DEMO_KEYS, PROJECT, Records, Run
from test_envelope import ESCROW, ESCROW_PUBLIC, armor, needs_age
from test_lifecycle_refusals import (
    ASSIGN_BKOCH,
    STATES,
    assert_refused,
    case_rel,
    steps,
    succeed,
    walk,
)

CANARY = "CANARY-5e1f0c"  # plaintext that must never leave a decryption meant for a person
PARTIES = f"Jane Example ({CANARY}), 12 Sample Street\n"
DOCUMENT = f"Letter from the complainant, {CANARY}-DOC\n".encode()
# Later cases on the same repository need a reason: bkoch is no longer the top suggestion.
ASSIGN = ASSIGN_BKOCH + " --why-not-top continuity"
ASSIGN_DOKAFOR = (
    "assign {case} --by fweber --handler dokafor --approved-by fweber --rationale free "
    "--why-not-top expertise"
)
REASSIGN_DOKAFOR = ASSIGN_DOKAFOR + " --reason 'bkoch is on leave'"
OPEN_READERS = ("amartin", "bkoch", "fweber", "gharris", "escrow")  # registered_by, team, sup.
NOT_READERS = ("cnguyen", "dokafor", "esilva", "hlindqvist", "ipatel")
CLOSED_READERS = ("fweber", "gharris", "escrow")
SSH_KEYGEN = shutil.which("ssh-keygen")


# ---- helpers ----


def key(handle: str) -> str:
    return str(DEMO_KEYS / f"{handle}.agekey")


def public(handle: str) -> str:
    return (DEMO_KEYS / f"{handle}.agekey").read_text().split("public key: ")[1].split()[0]


def ring(*handles: str) -> cipher.Keyring:
    text = "\n".join((DEMO_KEYS / f"{h}.agekey").read_text() for h in handles)
    return cipher.Keyring(cipher.load_identities(text))


def case_file(records: Records, case_id: str) -> Path:
    return records.root / case_rel(case_id)


def folder(records: Records, case_id: str) -> Path:
    return case_file(records, case_id).with_suffix("")


def parsed(records: Records, case_id: str) -> document.CaseDocument:
    value, _ = document.parse(case_file(records, case_id).read_bytes())
    assert value is not None
    return value


def blocks(records: Records, case_id: str) -> dict[str, str]:
    """Each encrypted section's armored block, as it stands in the file."""
    return {
        s.title: s.body for s in parsed(records, case_id).sections if envelope.looks_armored(s.body)
    }


def opened(
    records: Records, case_id: str, handle: str = "escrow"
) -> dict[str, envelope.SectionPlaintext]:
    keys = ring(handle)
    return {
        title: cipher.decrypt_section(block, keys, case_id, title)
        for title, block in blocks(records, case_id).items()
    }


def attachments(records: Records, case_id: str) -> list[dict[str, object]]:
    entries = parsed(records, case_id).front_matter.get("attachments", [])
    assert isinstance(entries, list)
    return entries


def feed(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """What the in-process CLI reads from standard input."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def set_section(
    records: Records,
    monkeypatch: pytest.MonkeyPatch,
    case_id: str,
    title: str,
    text: str | bytes,
    *options: str,
) -> Run:
    feed(monkeypatch, text.encode() if isinstance(text, str) else text)
    return records.run("section", "set", case_id, title, *options)


def ok(result: Run) -> Run:
    assert result.code == 0, f"exit {result.code}\n{result.out}\n{result.err}"
    return result


def put_block(records: Records, case_id: str, title: str, block: str) -> None:
    """Hand-edit: replace the armored block under `## title` (as a paste would)."""
    path = case_file(records, case_id)
    text = path.read_text()
    old = blocks(records, case_id)[title]
    assert text.count(old) == 1
    path.write_text(text.replace(old, block.strip("\n")))


def attach(records: Records, case_id: str, tmp_path: Path, data: bytes, *options: str) -> str:
    """Attach `data` (from a file outside the repository); returns the stored name."""
    source = tmp_path / f"upload-{hashlib.sha256(data).hexdigest()[:8]}.txt"
    source.write_bytes(data)
    result = ok(records.run("attach", case_id, str(source), "--by", "bkoch", *options))
    match = re.search(r" as (\S+\.age) ", result.out)
    assert match, result.out
    return match.group(1)


def check_passes(records: Records) -> None:
    result = records.run("check")
    assert result.code == 0, result.out + result.err


def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing but what the test passes with -i (HOME is empty, so no default key file)."""
    monkeypatch.delenv("CASETRAIL_AGE_KEY_FILE", raising=False)
    monkeypatch.delenv("CASETRAIL_AGE_KEY_CMD", raising=False)


def decrypts(records: Records, case_id: str, handle: str, *args: str) -> Run:
    return records.run("show", case_id, "--decrypt", "-i", key(handle), *args)


def advance(records: Records, case_id: str, start: str, to: str, handler: str = "bkoch") -> None:
    """Run the real steps from state `start` (exclusive) to `to` (inclusive)."""
    plan = steps(handler, ASSIGN)
    for state in STATES[STATES.index(start) + 1 : STATES.index(to) + 1]:
        for command in plan[state]:
            succeed(records, command, case_id)


def build_sealed_case(records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A complaint assigned to bkoch, PARTIES in its Parties section, one document attached,
    built with the real commands."""
    case_id = walk(records, "assigned", assign=ASSIGN)
    ok(set_section(records, monkeypatch, case_id, "Parties", PARTIES))
    attach(records, case_id, tmp_path, DOCUMENT, "--kind", "correspondence", "--date", "2026-11-20",
           "--name", "first-letter")  # fmt: skip
    return case_id


class _Capture:
    """What `Records.run` needs of capsys, for building outside a test."""

    def __init__(self) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()

    def readouterr(self) -> SimpleNamespace:
        captured = SimpleNamespace(out=self.out.getvalue(), err=self.err.getvalue())
        for stream in (self.out, self.err):
            stream.seek(0)
            stream.truncate()
        return captured


_TEMPLATES: dict[str, tuple[Path, str]] = {}  # state -> (records root, case ID); per process


def _template(state: str) -> tuple[Path, str]:
    """A sealed case in `state`, built once per test process with the real commands in the
    same environment the tests have (fixed clock, no home, the escrow key)."""
    if state in _TEMPLATES:
        return _TEMPLATES[state]
    base = Path(tempfile.mkdtemp(prefix="casetrail-template-"))
    atexit.register(shutil.rmtree, base, True)
    root = base / "records"
    (root / "cases").mkdir(parents=True)
    shutil.copytree(PROJECT / "schema", root / "schema")
    capture = _Capture()
    with pytest.MonkeyPatch.context() as patch, contextlib.ExitStack() as stack:
        patch.chdir(root)
        patch.setenv("HOME", str(base / "home"))
        patch.setenv("CASETRAIL_AGE_KEY_FILE", str(ESCROW))
        stack.enter_context(contextlib.redirect_stdout(capture.out))
        stack.enter_context(contextlib.redirect_stderr(capture.err))
        builder = Records(root, capture)  # type: ignore[arg-type]
        case_id = build_sealed_case(builder, patch, base)
        advance(builder, case_id, "assigned", state)
    _TEMPLATES[state] = root, case_id
    return root, case_id


def sealed_case(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, state: str = "assigned"
) -> str:
    """`build_sealed_case` taken on to `state`, copied from a template (building the same case
    for every test would cost seconds); the case ID is the same in every test."""
    assert records.snapshot() == {
        p: h for p, h in records.snapshot().items() if p.startswith("schema/")
    }, "a template is copied into an empty records repository only"
    root, case_id = _template(state)
    for name in ("cases", "schema"):
        shutil.rmtree(records.root / name)
        shutil.copytree(root / name, records.root / name)
    return case_id


DOC_NAME = "2026-11-20-first-letter.txt.age"


def no_canary(*runs: Run) -> None:
    for run in runs:
        assert CANARY not in run.out and CANARY not in run.err, run


# ---- 1. round trips with several recipients ----


def test_every_recipient_reads_with_their_own_key_and_nobody_else_does(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case_id = sealed_case(records, monkeypatch, tmp_path)
    account = f"The complainant says {CANARY} twice.\n\nSecond paragraph.\n"
    ok(set_section(records, monkeypatch, case_id, "Account", account))
    for block in blocks(records, case_id).values():
        assert envelope.parse_armor(block).recipients == len(OPEN_READERS)
    assert CANARY not in case_file(records, case_id).read_text()
    no_key(monkeypatch)
    for handle in OPEN_READERS:
        assert decrypts(records, case_id, handle, "--section", "Parties").out == PARTIES
        assert decrypts(records, case_id, handle, "--section", "Account").out == account
        whole = ok(decrypts(records, case_id, handle)).out
        assert f"## Parties\n\n{PARTIES}\n## Account\n\n{account}\n## Progress" in whole
        document_run = records.run(
            "show", case_id, "--attachment", DOC_NAME, "--decrypt", "-i", key(handle)
        )
        assert ok(document_run).out.encode() == DOCUMENT
    for handle in NOT_READERS:
        for extra in ((), ("--section", "Parties"), ("--attachment", DOC_NAME)):
            refused = decrypts(records, case_id, handle, *extra)
            assert_refused(
                refused, "none of the keys tried can decrypt it", f"tried -i {key(handle)}"
            )
            no_canary(refused)


def test_without_decrypt_sections_show_only_their_recipient_count(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case_id = sealed_case(records, monkeypatch, tmp_path)
    no_key(monkeypatch)
    shown = ok(records.run("show", case_id)).out
    assert shown.count("[encrypted for 5 recipients]") == 3
    assert "BEGIN AGE" not in shown and CANARY not in shown
    assert "## Summary" in shown and "title: " in shown
    one = ok(records.run("show", case_id, "--section", "Parties")).out
    assert one == "[encrypted for 5 recipients]\n"


# ---- 2. re-saving unchanged sections keeps ciphertext byte-identical ----


def test_setting_the_same_text_writes_nothing(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case_id = sealed_case(records, monkeypatch, tmp_path)
    before = records.snapshot()
    for same in (PARTIES, PARTIES.rstrip("\n"), PARTIES + "\n"):  # an editor's last newline
        result = ok(set_section(records, monkeypatch, case_id, "Parties", same))
        assert "unchanged; nothing written" in result.out
        assert records.snapshot() == before


def test_changing_one_section_leaves_every_other_byte_alone(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case_id = sealed_case(records, monkeypatch, tmp_path)
    old_text = case_file(records, case_id).read_text()
    old_blocks, old_values = blocks(records, case_id), opened(records, case_id)
    result = ok(set_section(records, monkeypatch, case_id, "Account", "What happened.\n"))
    assert "updated Account" in result.out and CANARY not in result.out
    new_blocks, new_values = blocks(records, case_id), opened(records, case_id)
    assert new_blocks["Parties"] == old_blocks["Parties"]
    assert new_blocks["Progress notes"] == old_blocks["Progress notes"]
    assert new_blocks["Account"] != old_blocks["Account"]
    assert new_values["Account"].revision == old_values["Account"].revision + 1
    assert new_values["Account"].text == "What happened.\n"
    for title in ("Parties", "Progress notes"):
        assert new_values[title] == old_values[title]
    # Line by line: only the lines of the Account block moved.
    new_text = case_file(records, case_id).read_text()
    moved = [
        line[2:]
        for line in difflib.ndiff(old_text.splitlines(), new_text.splitlines())
        if line[:2] in ("- ", "+ ")
    ]
    account_lines = set(old_blocks["Account"].split("\n")) | set(new_blocks["Account"].split("\n"))
    assert moved and set(moved) <= account_lines - {envelope.BEGIN, envelope.END}
    # And the next change counts on from there.
    ok(set_section(records, monkeypatch, case_id, "Account", "What happened, in full.\n"))
    assert opened(records, case_id)["Account"].revision == old_values["Account"].revision + 2
    check_passes(records)


# ---- 3. re-keying when someone must lose access ----


def test_reassignment_takes_the_old_handler_off_every_section_and_document(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case_id = sealed_case(records, monkeypatch, tmp_path)
    before_values = opened(records, case_id)
    result = ok(records.run(*shlex.split(REASSIGN_DOKAFOR.format(case=case_id))))
    assert "re-encrypted 4 part(s)" in result.out
    assert "adds dokafor; removes bkoch" in result.out
    no_canary(result)
    after_values = opened(records, case_id)
    for title, value in after_values.items():  # same text and revision, a new recipient set
        assert (value.text, value.revision) == (
            before_values[title].text,
            before_values[title].revision,
        )
        assert value.keyset != before_values[title].keyset
    no_key(monkeypatch)
    for extra in ((), ("--section", "Parties"), ("--attachment", DOC_NAME)):
        assert_refused(decrypts(records, case_id, "bkoch", *extra), "none of the keys tried")
        for handle in ("dokafor", "fweber", "gharris", "escrow"):
            assert ok(decrypts(records, case_id, handle, *extra)).out
    assert ok(decrypts(records, case_id, "dokafor", "--section", "Parties")).out == PARTIES
    check_passes(records)


def test_closure_leaves_only_supervisors_and_escrow(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case_id = sealed_case(records, monkeypatch, tmp_path)
    keyset_before = attachments(records, case_id)[0]["keyset"]
    advance(records, case_id, "assigned", "closure_requested")
    check_passes(records)
    result = records.run("close", case_id, "--by", "hlindqvist", "--approved-by", "gharris")
    assert "re-encrypted 4 part(s)" in ok(result).out
    assert "removes amartin, bkoch" in result.out
    check_passes(records)
    entry = attachments(records, case_id)[0]
    assert entry["keyset"] != keyset_before
    assert {v.keyset for v in opened(records, case_id).values()} == {entry["keyset"]}
    for block in blocks(records, case_id).values():
        assert envelope.parse_armor(block).recipients == len(CLOSED_READERS)
    no_key(monkeypatch)
    for extra in ((), ("--attachment", DOC_NAME)):
        for handle in ("bkoch", "amartin", "hlindqvist"):
            refused = decrypts(records, case_id, handle, *extra)
            assert_refused(refused, "none of the keys tried")
            no_canary(refused)
        for handle in CLOSED_READERS:
            assert CANARY in ok(decrypts(records, case_id, handle, *extra)).out
    # The handler's key no longer opens the stored document either (straight from the file).
    data = (folder(records, case_id) / DOC_NAME).read_bytes()
    with pytest.raises(cipher.CipherError):
        cipher.decrypt_file(data, ring("bkoch"), "document")
    assert cipher.decrypt_file(data, ring("escrow"), "document") == DOCUMENT


def roster_edit(records: Records, old: str, new: str) -> None:
    path = records.root / "schema" / "roster.yaml"
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


BKOCH_LEAVES = (
    '    active_from: "2026-01-05"\n    age_recipient: age13hkyh',
    '    active_from: "2026-01-05"\n    left_at: "2026-11-23"\n    age_recipient: age13hkyh',
)


def test_rekey_after_a_person_leaves_touches_exactly_what_they_could_read(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Progress notes are the supervisors' and the records office's only: leaving staff never
    # had them, so `rekey` must leave those blocks alone.
    policy = records.root / "schema" / "policy.yaml"
    notes = (
        '{title: Progress notes, sensitive: true, prompt: "Dated notes after each interaction."}'
    )
    text = policy.read_text()
    assert text.count(notes) == 4
    policy.write_text(
        text.replace(notes, notes[:-1] + ", recipients: {open: [supervisor, escrow]}}")
    )
    mine = build_sealed_case(records, monkeypatch, tmp_path)
    theirs = walk(records, "assigned", handler="dokafor", assign=ASSIGN_DOKAFOR)
    ok(set_section(records, monkeypatch, theirs, "Parties", PARTIES))
    assert envelope.parse_armor(blocks(records, mine)["Progress notes"]).recipients == 3
    check_passes(records)
    old_mine, old_theirs = blocks(records, mine), case_file(records, theirs).read_bytes()
    old_values = opened(records, mine)
    roster_edit(records, *BKOCH_LEAVES)

    before = records.snapshot()
    dry = ok(records.run("rekey", "--all", "--dry-run"))
    assert records.snapshot() == before
    assert f"{case_rel(mine)}: would re-encrypt Parties, Account, {DOC_NAME}" in dry.out
    assert "would re-encrypt 2 section(s) and 1 document(s) in 1 case(s); 0 failed" in dry.out
    assert theirs not in dry.out

    done = ok(records.run("rekey", "--all"))
    assert "re-encrypted 2 section(s) and 1 document(s) in 1 case(s); 0 failed" in done.out
    no_canary(dry, done)
    assert case_file(records, theirs).read_bytes() == old_theirs
    new_mine = blocks(records, mine)
    assert new_mine["Progress notes"] == old_mine["Progress notes"]
    assert new_mine["Parties"] != old_mine["Parties"]
    assert new_mine["Account"] != old_mine["Account"]
    new_values = opened(records, mine)
    for title in ("Parties", "Account"):
        assert new_values[title].revision == old_values[title].revision
        assert new_values[title].text == old_values[title].text
    check_passes(records)
    no_key(monkeypatch)
    for extra in (("--section", "Parties"), ("--attachment", DOC_NAME)):
        assert_refused(decrypts(records, mine, "bkoch", *extra), "none of the keys tried")
        assert CANARY in ok(decrypts(records, mine, "fweber", *extra)).out

    monkeypatch.setenv("CASETRAIL_AGE_KEY_FILE", str(ESCROW))
    after = records.snapshot()
    again = ok(records.run("rekey", "--all"))
    assert "re-encrypted 0 section(s) and 0 document(s) in 0 case(s); 0 failed" in again.out
    assert records.snapshot() == after


@pytest.mark.parametrize("processes", ["one process", "forked workers"])
def test_rekey_after_a_supervisor_changes_key(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, processes: str
) -> None:
    import pyrage

    if processes == "forked workers":  # the path `rekey --all` takes on a large archive
        monkeypatch.setattr("casetrail.cli.rekey.PARALLEL_FROM", 1)

    first = sealed_case(records, monkeypatch, tmp_path)
    second = walk(records, "new")
    fresh = pyrage.x25519.Identity.generate()
    fresh_file = tmp_path / "fweber-new.agekey"
    fresh_file.write_text(str(fresh) + "\n")
    roster_edit(records, public("fweber"), str(fresh.to_public()))
    second_bytes = case_file(records, second).read_bytes()
    # Named cases only: the other case waits for its own rekey.
    result = ok(records.run("rekey", first))
    assert "re-encrypted 3 section(s) and 1 document(s) in 1 case(s)" in result.out
    assert case_file(records, second).read_bytes() == second_bytes
    no_key(monkeypatch)
    for extra in (("--section", "Parties"), ("--attachment", DOC_NAME)):
        assert_refused(decrypts(records, first, "fweber", *extra), "none of the keys tried")
        fresh_run = records.run("show", first, "--decrypt", "-i", str(fresh_file), *extra)
        assert CANARY in ok(fresh_run).out
    first_bytes = case_file(records, first).read_bytes()
    # The old key still opens what was written for it, so it can hand that case over; the
    # case it can no longer open is named and left alone (exit 1).
    done = records.run("rekey", "--all", "-i", key("fweber"))
    assert done.code == 1
    assert f"{case_rel(second)}: re-encrypted Parties, Account, Progress notes\n" in done.out
    assert f"{case_rel(first)}: section 'Parties': none of the keys tried" in done.out
    assert case_file(records, first).read_bytes() == first_bytes
    # ... after which it opens nothing, and nothing is left to do.
    refused = records.run("rekey", "--all", "-i", key("fweber"))
    assert refused.code == 1 and refused.out.count("left as it was") == 2
    assert_refused(decrypts(records, second, "fweber"), "none of the keys tried")
    assert ok(records.run("show", second, "--decrypt", "-i", str(fresh_file))).out
    again = ok(records.run("rekey", "--all", "-i", str(fresh_file)))
    assert "in 0 case(s); 0 failed" in again.out
    check_passes(records)


def test_rekey_needs_a_key_and_names_what_to_rekey(
    records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = walk(records, "new")
    before = records.snapshot()
    assert_refused(records.run("rekey"), "name the cases to re-encrypt, or pass --all")
    assert_refused(records.run("rekey", case_id, "--all"), "or pass --all")
    no_key(monkeypatch)
    assert_refused(records.run("rekey", "--all"), "rekey decrypts to re-encrypt, so it needs a key")
    assert records.snapshot() == before


# ---- 4. a block pasted into the wrong place ----


@pytest.mark.parametrize("where", ["other-case-same-section", "same-case-other-section"])
def test_a_swapped_block_is_refused_everywhere(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, where: str
) -> None:
    source = sealed_case(records, monkeypatch, tmp_path)
    target = walk(records, "assigned", assign=ASSIGN) if where.startswith("other") else source
    title = "Parties" if where.startswith("other") else "Account"
    put_block(records, target, title, blocks(records, source)["Parties"])
    marker = tmp_path / "editor-ran"
    monkeypatch.setenv("EDITOR", f"touch {marker}")
    before = records.snapshot()
    said = f"section '{title}' holds a block written for case {source}, section 'Parties'"
    runs = [
        records.run("show", target, "--decrypt"),
        records.run("show", target, "--decrypt", "--section", title),
        records.run("edit", target),
        set_section(records, monkeypatch, target, title, "replacement\n"),
        set_section(records, monkeypatch, target, "Progress notes", "notes\n"),
    ]
    for result in runs:
        assert_refused(result, said, "refusing to use it here")
        no_canary(result)
    rekeyed = records.run("rekey", target)
    assert rekeyed.code == 1 and said in rekeyed.out
    no_canary(rekeyed)
    assert not marker.exists()
    assert records.snapshot() == before


# ---- 5. every refusal, files byte-identical ----


@dataclass(frozen=True)
class Refusal:
    command: str  # `{case}`, `{doc}`, `{keys}`, `{tmp}` are filled in
    expect: tuple[str, ...]
    state: str = "assigned"
    env: tuple[tuple[str, str | None], ...] = ()  # None unsets
    stdin: bytes = b""
    prepare: Callable[[Records, str, Path], None] | None = None
    max_lines: int = 2


def refusal(name: str, command: str, *expect: str, **options: object) -> object:
    return pytest.param(Refusal(command, expect, **options), id=name)  # type: ignore[arg-type]


NO_KEY = (("CASETRAIL_AGE_KEY_FILE", None),)
WRONG_KEY = (("CASETRAIL_AGE_KEY_FILE", "{keys}/cnguyen.agekey"),)
NOT_FOUND = "{tmp}/missing/keys.txt"
NO_KEY_SAYS = ("no decryption key was found", "-i FILE", "CASETRAIL_AGE_KEY_CMD")
WRONG_SAYS = ("none of the keys tried can decrypt it", "cnguyen.agekey")
STEP_NEEDS_KEY = ("this step changes who may read the case", "needs a key that can read them")
CLOSE = "close {case} --by hlindqvist --approved-by gharris"
ATTACH = "attach {case} {tmp}/upload.txt --by bkoch --kind evidence"


def write_upload(data: bytes) -> Callable[[Records, str, Path], None]:
    def prepare(records: Records, case_id: str, tmp: Path) -> None:
        (tmp / "upload.txt").write_bytes(data)

    return prepare


def bad_key_file(records: Records, case_id: str, tmp: Path) -> None:
    (tmp / "bad.key").write_text(f"# my key\nAGE-SECRET-KEY-1{CANARY}KEYMATERIAL\n")


def passphrase_ssh_key(records: Records, case_id: str, tmp: Path) -> None:
    if SSH_KEYGEN is None:
        pytest.skip("ssh-keygen is not installed; cannot make a passphrase-protected key")
    subprocess.run(
        [SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "pass", "-C", "", "-f", str(tmp / "locked")],
        check=True,
        capture_output=True,
    )


def remove_document_file(records: Records, case_id: str, tmp: Path) -> None:
    (folder(records, case_id) / DOC_NAME).unlink()


def stray_document_file(records: Records, case_id: str, tmp: Path) -> None:
    """An unlisted file where the next document would go (a crash, a half-done merge)."""
    (folder(records, case_id) / "2026-11-23-evidence-1.txt.age").write_bytes(b"stray")
    (tmp / "upload.txt").write_bytes(b"another document\n")


def drop_account_block(records: Records, case_id: str, tmp: Path) -> None:
    """A hand edit that left a sensitive section without its block."""
    put_block(records, case_id, "Account", "<!-- to be written -->")


REFUSALS = [
    # no key at all
    refusal("no-key-show", "show {case} --decrypt", *NO_KEY_SAYS, env=NO_KEY),
    refusal("no-key-show-section", "show {case} --section Parties --decrypt", *NO_KEY_SAYS, env=NO_KEY),
    refusal("no-key-show-document", "show {case} --attachment {doc} --decrypt", *NO_KEY_SAYS, env=NO_KEY),
    refusal("no-key-section-set", "section set {case} Parties", *NO_KEY_SAYS, env=NO_KEY, stdin=b"x\n"),
    refusal("no-key-edit", "edit {case}", *NO_KEY_SAYS, env=NO_KEY),
    refusal("no-key-reassign", REASSIGN_DOKAFOR, *STEP_NEEDS_KEY, "adds dokafor; removes bkoch", env=NO_KEY),
    refusal("no-key-assign", ASSIGN_BKOCH, *STEP_NEEDS_KEY, "adds bkoch", env=NO_KEY, state="verified"),
    refusal("no-key-close", CLOSE, *STEP_NEEDS_KEY, "removes amartin, bkoch", env=NO_KEY, state="closure_requested"),
    # a key that is not a recipient
    refusal("wrong-key-show", "show {case} --decrypt", *WRONG_SAYS, env=WRONG_KEY),
    refusal("wrong-key-show-document", "show {case} --attachment {doc} --decrypt", *WRONG_SAYS, env=WRONG_KEY),
    refusal("wrong-key-section-set", "section set {case} Parties", *WRONG_SAYS, env=WRONG_KEY, stdin=b"x\n"),
    refusal("wrong-key-edit", "edit {case}", *WRONG_SAYS, env=WRONG_KEY),
    refusal("wrong-key-reassign", REASSIGN_DOKAFOR, *WRONG_SAYS, env=WRONG_KEY),
    refusal("wrong-key-close", CLOSE, *WRONG_SAYS, env=WRONG_KEY, state="closure_requested"),
    refusal("wrong-key-by-i", "show {case} --decrypt -i {keys}/cnguyen.agekey", *WRONG_SAYS, env=NO_KEY),
    # key files that cannot be read
    refusal("missing-i-file", f"show {{case}} --decrypt -i {NOT_FOUND}", f"-i {NOT_FOUND}: no such key file"),
    refusal("missing-key-file-variable", "show {case} --decrypt", f"CASETRAIL_AGE_KEY_FILE={NOT_FOUND}: no such key file", env=(("CASETRAIL_AGE_KEY_FILE", NOT_FOUND),)),
    refusal("missing-key-file-on-close", CLOSE, "no such key file", env=(("CASETRAIL_AGE_KEY_FILE", NOT_FOUND),), state="closure_requested"),
    refusal("key-file-is-a-folder", "show {case} --decrypt -i {tmp}", "is a folder, not a key file"),
    refusal("malformed-i-file", "show {case} --decrypt -i {tmp}/bad.key", "-i {tmp}/bad.key: line 2 is not an age identity", prepare=bad_key_file),
    refusal("malformed-key-file-variable", "section set {case} Parties", "line 2 is not an age identity", env=(("CASETRAIL_AGE_KEY_FILE", "{tmp}/bad.key"),), prepare=bad_key_file, stdin=b"x\n"),
    refusal("passphrase-ssh-key", "show {case} --decrypt -i {tmp}/locked", "an SSH key casetrail cannot use", "unencrypted ssh-ed25519", env=NO_KEY, prepare=passphrase_ssh_key),
    # a key command that fails
    refusal("key-command-fails", "show {case} --decrypt", "CASETRAIL_AGE_KEY_CMD (false): exited with 1", env=(("CASETRAIL_AGE_KEY_CMD", "false"),)),
    refusal("key-command-not-found", "show {case} --decrypt", "CASETRAIL_AGE_KEY_CMD (/nonexistent/vault): command not found", env=(("CASETRAIL_AGE_KEY_CMD", "/nonexistent/vault get age"),)),
    refusal("key-command-prints-garbage", "show {case} --decrypt", "CASETRAIL_AGE_KEY_CMD (echo): line 1 is not an age identity", env=(("CASETRAIL_AGE_KEY_CMD", f"echo {CANARY}-NOT-A-KEY"),)),
    refusal("key-command-unbalanced-quotes", "show {case} --decrypt", "unbalanced quotes", env=(("CASETRAIL_AGE_KEY_CMD", "cat 'x"),)),
    refusal("key-command-fails-on-reassign", REASSIGN_DOKAFOR, "exited with 1", env=(("CASETRAIL_AGE_KEY_CMD", "false"),)),
    # section set: what it writes
    refusal("set-a-plain-section", "section set {case} Summary", "'Summary' is a plain section", "encrypted sections: Account, Parties, Progress notes", stdin=b"x\n"),
    refusal("set-an-unknown-section", "section set {case} Nope", "'Nope' is not a section of this case", stdin=b"x\n"),
    refusal("set-non-utf8", "section set {case} Parties", "not UTF-8", stdin=b"caf\xe9 " + CANARY.encode()),
    refusal("set-oversized", "section set {case} Parties", "larger than 524,288 bytes", stdin=b"a" * (512 * 1024 + 1)),
    refusal("set-nul", "section set {case} Parties", "NUL or CR", stdin=f"a\0{CANARY}\n".encode()),
    refusal("set-crlf", "section set {case} Parties", "NUL or CR", stdin=f"a\r\n{CANARY}\r\n".encode()),
    refusal("set-key-from-stdin", "section set {case} Parties -i -", "standard input", "-i FILE", stdin=b"x\n"),
    refusal("set-a-section-without-its-block", "section set {case} Account", "no encrypted block", stdin=b"x\n", prepare=drop_account_block),
    # attach
    refusal("attach-bad-kind", "attach {case} {tmp}/upload.txt --by bkoch --kind letter", "--kind letter: not a document kind", "evidence", prepare=write_upload(b"x\n")),
    refusal("attach-future-date", ATTACH + " --date 2026-11-24", "--date 2026-11-24 is in the future", prepare=write_upload(b"x\n")),
    refusal("attach-malformed-date", ATTACH + " --date 20.11.2026", "--date '20.11.2026' is not a date", prepare=write_upload(b"x\n")),
    refusal("attach-name-with-a-name", ATTACH + " --name Jane_Doe", "--name 'Jane_Doe' is not a slug", max_lines=2, prepare=write_upload(b"x\n")),
    refusal("attach-name-too-long", ATTACH + " --name " + "a" * 41, "is not a slug", prepare=write_upload(b"x\n")),
    refusal("attach-duplicate-document", ATTACH, f"the case already holds this document as {DOC_NAME}", prepare=write_upload(DOCUMENT)),
    refusal("attach-duplicate-name", ATTACH + " --date 2026-11-20 --name first-letter", f"already has a document named {DOC_NAME}", prepare=write_upload(b"other\n")),
    refusal("attach-empty-file", ATTACH, "the file is empty", prepare=write_upload(b"")),
    refusal("attach-to-a-closed-case", ATTACH, "closed", state="closed", prepare=write_upload(b"x\n")),
    refusal("attach-missing-file", ATTACH, "does not exist", max_lines=4),
    refusal("attach-over-a-stray-file", ATTACH, "2026-11-23-evidence-1.txt.age", "already exists", prepare=stray_document_file),
    # show
    refusal("show-unknown-section", "show {case} --section Nope", "has no section 'Nope'"),
    refusal("show-unknown-document", "show {case} --attachment nope.age --decrypt", "lists no attachment 'nope.age'", DOC_NAME),
    refusal("show-missing-document-file", "show {case} --attachment {doc} --decrypt", f"the file of attachment {DOC_NAME} is missing", prepare=remove_document_file),
]  # fmt: skip


def build(records: Records, monkeypatch: pytest.MonkeyPatch, tmp: Path, state: str) -> str:
    """A sealed case (canary in Parties, a document) taken on to `state`."""
    if STATES.index(state) < STATES.index("assigned"):
        return walk(records, state)
    return sealed_case(records, monkeypatch, tmp, state)


@pytest.mark.parametrize("spec", REFUSALS)
def test_refusals_leave_every_file_alone(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, spec: Refusal
) -> None:
    tmp = tmp_path / "outside"
    tmp.mkdir()
    case_id = build(records, monkeypatch, tmp_path, spec.state)
    if spec.prepare:
        spec.prepare(records, case_id, tmp)

    def fill(text: str) -> str:
        return text.format(case=case_id, doc=DOC_NAME, keys=DEMO_KEYS, tmp=tmp)

    for name, value in spec.env:
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, fill(value))
    marker = tmp_path / "editor-ran"
    monkeypatch.setenv("EDITOR", f"touch {marker}")
    before = records.snapshot()
    feed(monkeypatch, spec.stdin)
    result = records.run(*[fill(word) for word in shlex.split(spec.command)])
    assert_refused(result, *[fill(e) for e in spec.expect], max_lines=spec.max_lines)
    no_canary(result)
    assert "KEYMATERIAL" not in result.err
    assert records.snapshot() == before
    assert not marker.exists(), "the editor must not open when the case cannot be decrypted"


def test_wrong_key_rekey_names_each_case_and_writes_nothing(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case_id = sealed_case(records, monkeypatch, tmp_path)
    before = records.snapshot()
    result = records.run("rekey", "--all", "-i", key("cnguyen"))  # with escrow too: it reads
    assert result.code == 0, result.out
    monkeypatch.setenv("CASETRAIL_AGE_KEY_FILE", key("cnguyen"))
    result = records.run("rekey", "--all")
    assert result.code == 1
    assert f"{case_rel(case_id)}: section 'Parties': none of the keys tried" in result.out
    assert "left as it was" in result.out and "1 failed" in result.out
    no_canary(result)
    assert records.snapshot() == before


# ---- show: plaintext never goes into a file of the repository ----


def casetrail(root: Path, *args: str, **options: object) -> subprocess.CompletedProcess[bytes]:
    """The CLI as a separate process (the environment is the test's, keys included)."""
    command = [sys.executable, "-m", "casetrail", "--root", str(root), *args]
    return subprocess.run(command, cwd=root, check=False, **options)  # type: ignore[call-overload, no-any-return]


@pytest.mark.parametrize(
    "extra",
    [(), ("--section", "Parties"), ("--attachment", DOC_NAME)],
    ids=["case", "section", "document"],
)
def test_decrypting_into_a_file_inside_the_repository_is_refused(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, extra: tuple[str, ...]
) -> None:
    case_id = sealed_case(records, monkeypatch, tmp_path)
    (records.root / "notes").mkdir()
    inside = records.root / "notes" / "out.txt"
    before = records.snapshot()
    with inside.open("w") as out:
        done = casetrail(
            records.root, "show", case_id, "--decrypt", *extra, stdout=out, stderr=subprocess.PIPE
        )
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert "standard output is a file inside the records repository" in err
    assert CANARY not in err and "Traceback" not in err
    assert inside.read_bytes() == b""
    inside.unlink()
    assert records.snapshot() == before
    if extra:
        return
    # The same command into a file outside the repository, or a pipe, shows the plaintext.
    outside = tmp_path / "out.txt"
    with outside.open("w") as out:
        assert (
            casetrail(records.root, "show", case_id, "--decrypt", *extra, stdout=out).returncode
            == 0
        )
    assert CANARY in outside.read_text()
    piped = casetrail(records.root, "show", case_id, "--decrypt", *extra, capture_output=True)
    assert CANARY in piped.stdout.decode()


# ---- 6. where identities come from ----


def test_identity_sources(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case_id = sealed_case(records, monkeypatch, tmp_path)
    no_key(monkeypatch)
    parties = ("show", case_id, "--section", "Parties", "--decrypt")
    assert_refused(records.run(*parties), "no decryption key was found")
    feed(monkeypatch, (DEMO_KEYS / "bkoch.agekey").read_bytes())
    assert ok(records.run(*parties, "-i", "-")).out == PARTIES
    monkeypatch.setenv("CASETRAIL_AGE_KEY_FILE", key("gharris"))
    assert ok(records.run(*parties)).out == PARTIES
    monkeypatch.delenv("CASETRAIL_AGE_KEY_FILE")
    monkeypatch.setenv("CASETRAIL_AGE_KEY_CMD", f"cat {key('fweber')}")
    assert ok(records.run(*parties)).out == PARTIES
    monkeypatch.delenv("CASETRAIL_AGE_KEY_CMD")
    default = Path(os.environ["HOME"]) / ".config" / "casetrail" / "keys.txt"
    default.parent.mkdir(parents=True)
    default.write_text((DEMO_KEYS / "amartin.agekey").read_text())
    assert ok(records.run(*parties)).out == PARTIES
    # A named source replaces the default file, as with age: a wrong -i is not rescued by it.
    assert_refused(records.run(*parties, "-i", key("cnguyen")), "tried -i")
    # Several -i: any of them may be the one.
    assert ok(records.run(*parties, "-i", key("cnguyen"), "-i", key("bkoch"))).out == PARTIES


def ssh_recipient(handle: str) -> str:
    return " ".join((DEMO_KEYS / f"{handle}.ssh.pub").read_text().split()[:2])


def test_an_ssh_ed25519_key_decrypts_what_was_encrypted_to_it(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case_id = sealed_case(records, monkeypatch, tmp_path)
    value = opened(records, case_id)["Parties"]
    block = cipher.encrypt_section(value, [ssh_recipient("bkoch"), ESCROW_PUBLIC])
    assert sorted(envelope.parse_armor(block).stanza_types) == ["X25519", "ssh-ed25519"]
    put_block(records, case_id, "Parties", block)
    path = folder(records, case_id) / DOC_NAME
    path.write_bytes(cipher.encrypt_file(DOCUMENT, [ssh_recipient("bkoch")]))
    no_key(monkeypatch)
    ssh_key = str(DEMO_KEYS / "bkoch.ssh")
    shown = ok(records.run("show", case_id, "--section", "Parties", "--decrypt", "-i", ssh_key))
    assert shown.out == PARTIES
    document_run = records.run(
        "show", case_id, "--attachment", DOC_NAME, "--decrypt", "-i", ssh_key
    )
    assert ok(document_run).out.encode() == DOCUMENT
    other = str(DEMO_KEYS / "dokafor.ssh")
    assert_refused(
        records.run("show", case_id, "--attachment", DOC_NAME, "--decrypt", "-i", other),
        f"tried -i {other}",
    )


# ---- 9. the reference age CLI reads what casetrail writes, and the reverse ----


def age(*args: str, data: bytes) -> bytes:
    return subprocess.run(["age", *args], input=data, capture_output=True, check=True).stdout


@needs_age
def test_the_age_cli_decrypts_sections_and_documents(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case_id = sealed_case(records, monkeypatch, tmp_path)
    for title, block in blocks(records, case_id).items():
        value = envelope.parse_plaintext(age("-d", "-i", str(ESCROW), data=block.encode()))
        assert (value.case_id, value.section) == (case_id, title)
    parties = age("-d", "-i", key("bkoch"), data=blocks(records, case_id)["Parties"].encode())
    assert envelope.parse_plaintext(parties).text == PARTIES
    stored = (folder(records, case_id) / DOC_NAME).read_bytes()
    assert age("-d", "-i", str(ESCROW), data=stored) == DOCUMENT


@needs_age
def test_what_the_age_cli_writes_decrypts_with_casetrail(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case_id = sealed_case(records, monkeypatch, tmp_path)
    readers = [arg for handle in OPEN_READERS for arg in ("-r", public(handle))]
    plain = envelope.format_plaintext(
        envelope.SectionPlaintext(case_id, "Account", 7, f"Written with age, {CANARY}\n")
    )
    put_block(records, case_id, "Account", age("-e", "-a", *readers, data=plain).decode())
    no_key(monkeypatch)
    shown = decrypts(records, case_id, "bkoch", "--section", "Account")
    assert ok(shown).out == f"Written with age, {CANARY}\n"
    # A document from the age CLI is shown when it is the one the case records ...
    path = folder(records, case_id) / DOC_NAME
    path.write_bytes(age("-e", *readers, data=DOCUMENT))
    assert (
        ok(decrypts(records, case_id, "bkoch", "--attachment", DOC_NAME)).out.encode() == DOCUMENT
    )
    # ... and refused, unshown, when it is not.
    for other in (DOCUMENT.replace(b"Letter", b"Lett3r"), DOCUMENT + b"more"):  # size kept, not
        path.write_bytes(age("-e", *readers, data=other))
        before = records.snapshot()
        refused = decrypts(records, case_id, "bkoch", "--attachment", DOC_NAME)
        assert_refused(refused, "does not match the size and SHA-256", "may have been swapped")
        no_canary(refused)
        assert records.snapshot() == before


# ---- 10. hostile blocks cost little and say what is wrong ----


def stanza() -> bytes:
    def b64() -> bytes:
        return base64.b64encode(os.urandom(32)).rstrip(b"=")

    return b"-> X25519 " + b64() + b"\n" + b64() + b"\n"


def age_file(stanzas: Iterable[bytes]) -> bytes:
    mac = base64.b64encode(os.urandom(32)).rstrip(b"=")
    return envelope.AGE_MAGIC + b"".join(stanzas) + b"--- " + mac + b"\n" + os.urandom(64)


def scrypt_block() -> str:
    """The header `age -p` writes (test_envelope checks a real one; scrypt is slow on purpose)."""
    salt = base64.b64encode(os.urandom(16)).rstrip(b"=")
    return armor(age_file([b"-> scrypt " + salt + b" 18\n" + b"A" * 43 + b"\n"]))


HOSTILE = {
    "scrypt": (scrypt_block, "uses a passphrase (scrypt) stanza"),
    "300-stanzas": (lambda: armor(age_file(stanza() for _ in range(300))), "more than 256"),
    "huge-header": (lambda: armor(age_file(stanza() for _ in range(700))), "larger than 65536"),
    "unknown-stanza": (
        lambda: armor(age_file([b"-> piv-p256 abc def\n" + b"A" * 43 + b"\n"])),
        "unsupported or malformed recipient stanza",
    ),
    "not-age": (lambda: armor(b"hello " * 40), "is not an age v1 file"),
    "bad-armor": (
        lambda: envelope.BEGIN + "\n" + "A" * 70 + "\n" + envelope.END,
        "not canonical base64",
    ),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_blocks_are_refused_quickly(
    records: Records, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    make, says = HOSTILE[kind]
    case_id = walk(records, "new")
    put_block(records, case_id, "Parties", make())
    before = records.snapshot()
    start = time.monotonic()
    for extra in ((), ("--section", "Parties")):
        result = records.run("show", case_id, "--decrypt", *extra)
        assert_refused(result, "section 'Parties': the encrypted block", says)
        no_canary(result)
    assert_refused(
        set_section(records, monkeypatch, case_id, "Account", "x\n"), "the encrypted block", says
    )
    assert time.monotonic() - start < 5
    assert records.snapshot() == before
    summary = ok(records.run("show", case_id, "--section", "Parties")).out
    assert summary.startswith("[encrypted block that ") and says in summary


# ---- 11. attach ----


def test_attach_names_orders_and_records_documents(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case_id = walk(records, "assigned")
    named = tmp_path / "Jane Doe complaint letter.PDF"
    named.write_bytes(b"%PDF-1.4 newer " + CANARY.encode())
    result = ok(records.run("attach", case_id, str(named), "--by", "bkoch", "--kind", "evidence",
                            "--date", "2026-11-20"))  # fmt: skip
    assert "added evidence of 2026-11-20 as 2026-11-20-evidence-1.pdf.age" in result.out
    older = attach(records, case_id, tmp_path, b"older letter\n", "--kind", "correspondence",
                   "--date", "2026-11-02", "--name", "reply-from-office")  # fmt: skip
    assert older == "2026-11-02-reply-from-office.txt.age"
    second = attach(
        records, case_id, tmp_path, b"second\n", "--kind", "evidence", "--date", "2026-11-20"
    )
    assert second == "2026-11-20-evidence-2.txt.age"
    before = records.snapshot()
    again = tmp_path / "again.pdf"
    again.write_bytes(b"a different file")
    for taken in ("--name", "reply-from-office", "--date", "2026-11-02"), ("--name", "evidence-1"):
        refused = records.run("attach", case_id, str(again), "--by", "bkoch", "--kind", "note",
                              "--date", "2026-11-20", *taken)  # fmt: skip
        assert_refused(refused, "the case already has a document named 2026-11-", max_lines=3)
    assert records.snapshot() == before
    no_extension = tmp_path / "scan"
    no_extension.write_bytes(b"\x00\x01binary")
    ok(records.run("attach", case_id, str(no_extension), "--by", "bkoch", "--kind", "form"))
    entries = attachments(records, case_id)
    assert [e["name"] for e in entries] == [
        "2026-11-02-reply-from-office.txt.age",
        "2026-11-20-evidence-1.pdf.age",
        "2026-11-20-evidence-2.txt.age",
        "2026-11-23-form-1.bin.age",
    ]
    first = entries[1]
    content = named.read_bytes()
    assert first["size"] == len(content)
    assert first["sha256"] == hashlib.sha256(content).hexdigest()
    assert (first["kind"], first["date"], first["added_by"]) == ("evidence", "2026-11-20", "bkoch")
    text = case_file(records, case_id).read_text()
    assert "Jane" not in text and "Doe" not in text and CANARY not in text
    stored = folder(records, case_id)
    assert sorted(p.name for p in stored.iterdir()) == sorted(e["name"] for e in entries)
    for entry in entries:
        data = (stored / str(entry["name"])).read_bytes()
        assert envelope.parse_binary(data).recipients == len(OPEN_READERS)
        assert cipher.decrypt_file(data, ring("bkoch"), "x") != b""
    listed = ok(records.run("show", case_id, "--attachment", "2026-11-20-evidence-1.pdf.age"))
    assert listed.out == (
        f"2026-11-20-evidence-1.pdf.age: evidence of 2026-11-20, {len(content)} bytes, "
        f"sha256 {first['sha256']}, added by bkoch; encrypted for 5 recipients\n"
    )
    check_passes(records)
    # The original, if it sits inside the repository, is called out: it would be committed.
    inside = records.root / "letter.txt"
    inside.write_bytes(b"inside\n")
    warned = ok(records.run("attach", case_id, str(inside), "--by", "bkoch", "--kind", "note"))
    assert "is inside the records repository and is NOT encrypted" in warned.err


def test_documents_follow_the_case_through_closure(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case_id = walk(records, "ready")
    names = [
        attach(
            records, case_id, tmp_path, f"document {n} {CANARY}\n".encode(), "--kind", "evidence"
        )
        for n in (1, 2)
    ]
    check_passes(records)
    advance(records, case_id, "ready", "closed")
    check_passes(records)
    entries = attachments(records, case_id)
    sections_keyset = {v.keyset for v in opened(records, case_id).values()}
    assert {e["keyset"] for e in entries} == sections_keyset
    no_key(monkeypatch)
    for name in names:
        refused = decrypts(records, case_id, "bkoch", "--attachment", name)
        assert_refused(refused, f"attachment {name}: none of the keys tried")
        no_canary(refused)
        assert CANARY in ok(decrypts(records, case_id, "gharris", "--attachment", name)).out
        assert envelope.parse_binary((folder(records, case_id) / name).read_bytes()).recipients == 3
    # Reopening gives the team its access back.
    monkeypatch.setenv("CASETRAIL_AGE_KEY_FILE", str(ESCROW))
    reopened = ok(records.run("reopen", case_id, "--by", "fweber", "--reason", "new evidence"))
    assert "adds amartin, bkoch" in reopened.out
    no_key(monkeypatch)
    assert CANARY in ok(decrypts(records, case_id, "bkoch", "--attachment", names[0])).out
    check_passes(records)


def test_writing_a_section_after_a_roster_change_finishes_the_rekey(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A write that has to re-encrypt (text or recipients) leaves the case fully current:
    documents too, with their keysets recorded, so a later `rekey` has nothing left to do."""
    case_id = sealed_case(records, monkeypatch, tmp_path)
    roster_edit(records, *BKOCH_LEAVES)
    result = ok(set_section(records, monkeypatch, case_id, "Account", "Told on the phone.\n"))
    assert "updated Account; re-encrypted Parties, Progress notes" in result.out
    check_passes(records)
    wanted = {v.keyset for v in opened(records, case_id).values()}
    assert len(wanted) == 1
    assert attachments(records, case_id)[0]["keyset"] in wanted
    before = records.snapshot()
    again = ok(records.run("rekey", "--all"))
    assert "in 0 case(s); 0 failed" in again.out, again.out
    assert records.snapshot() == before
