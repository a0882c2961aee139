"""Per-case keys in use (issue 8): new cases get a key in the store, reading unwraps it, and a
change of who may read the case changes wrappers, never ciphertext. Real signed history, real
directory store, real age (pyrage, and the reference `age` CLI where installed)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from unittest import mock

import pytest

from casekeykit import (
    IDENTITIES,
    SECRET,
    blocks,
    closed_case,
    fork_keyed,
    keyed_office,
    readable_by,
    store_readers,
    versions,
)
from casetrail.core import document, envelope
from casetrail.shell import casekeys, cipher
from historykit import DEMO_KEYS, History


@pytest.fixture(scope="module")
def worked(tmp_path_factory: pytest.TempPathFactory) -> tuple[History, Path, str]:
    """A keyed office with one inquiry registered by amartin, its parties written, handled by
    bkoch, and closed (approved by fweber's merge)."""
    kit, store = keyed_office(tmp_path_factory.mktemp("keyed"))
    return kit, store, closed_case(kit)


def test_a_new_case_is_encrypted_to_its_own_key_only(worked: tuple[History, Path, str]) -> None:
    kit, store, cid = worked
    rel = kit.case_path(cid)
    first = kit.git("log", "--reverse", "--format=%H", "--", rel).split()[0]
    text = kit.git("show", f"{first}:{rel}")
    key = re.search(r"(?m)^case_key: (age1\S+)$", text)
    assert key is not None
    assert (store / "cases" / cid / "recipient").read_text().strip() == key.group(1)
    found = blocks(text.encode())
    assert {title for _, title, _ in found} == {"Parties", "Progress notes"}
    for _, _, block in found:
        assert envelope.parse_armor(block).stanza_types == ("X25519",)


def test_reading_unwraps_the_key_and_the_plaintext_is_nowhere_in_git(
    worked: tuple[History, Path, str],
) -> None:
    kit, store, cid = worked
    shown = kit.ok("show", cid, "--section", "Parties", "--decrypt")  # as escrow (kit default)
    assert SECRET in shown
    everything = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"], cwd=kit.root, capture_output=True
    ).stdout
    assert b"CANARY-PER-CASE" not in everything
    assert b"CANARY-PER-CASE" not in b"".join(
        p.read_bytes() for p in store.rglob("*") if p.is_file()
    )


def test_assignment_and_closure_change_wrappers_not_ciphertext(
    worked: tuple[History, Path, str],
) -> None:
    kit, store, cid = worked
    rel = kit.case_path(cid)
    seen = {
        block for _, data in versions(kit, rel) for _, t, block in blocks(data) if t == "Parties"
    }
    assert len(seen) == 2  # the template's block, then the one with the parties: no re-encryption
    assert store_readers(store, cid) == ("escrow:records-office-escrow", "fweber", "gharris")
    log = [json.loads(line) for line in (store / "log.jsonl").read_text().splitlines()]
    mine = [(e["action"], e.get("reader")) for e in log if e["case"] == cid]
    assert ("wrap", "bkoch") in mine
    assert ("unwrap-removed", "bkoch") in mine
    assert ("unwrap-removed", "amartin") in mine


def test_a_person_removed_from_a_case_cannot_read_any_version(
    worked: tuple[History, Path, str],
) -> None:
    """bkoch handled the case and amartin registered it: while on it they could read it (the
    test can fail); after closure, neither can read any version in any commit."""
    kit, store, cid = worked
    rel = kit.case_path(cid)
    all_versions = list(versions(kit, rel))
    assert len(all_versions) >= 6
    for name in ("bkoch", "amartin", "cnguyen", "ipatel"):
        for commit, data in all_versions:
            assert readable_by(name, data, store) == [], f"{name} reads {commit[:12]}"
    for name in ("fweber", "gharris", "escrow"):  # supervisors and escrow keep reading
        assert any(SECRET in t for _, d in all_versions for t in readable_by(name, d, store))


def test_while_on_the_case_the_handler_could_read_it(tmp_path: Path) -> None:
    kit, store = keyed_office(tmp_path)
    cid = kit.register(case_type="inquiry")
    kit.ok("section", "set", cid, "Parties", stdin=SECRET.encode() + b"\n")
    kit.commit("amartin", "parties")
    kit.assign(cid, "bkoch")
    data = (kit.root / kit.case_path(cid)).read_bytes()
    assert any(SECRET in t for t in readable_by("bkoch", data, store))
    assert readable_by("cnguyen", data, store) == []


@pytest.mark.skipif(shutil.which("age") is None, reason="the reference age CLI is not installed")
def test_the_reference_age_cli_reads_a_case_through_the_escrow_wrapper(
    worked: tuple[History, Path, str], tmp_path: Path
) -> None:
    """A records office can recover a case with nothing but `age`: unwrap, then decrypt."""
    kit, store, cid = worked
    wrapper = store / "cases" / cid / "wrapped" / "escrow.records-office-escrow.age"
    key = subprocess.run(
        ["age", "-d", "-i", str(DEMO_KEYS / "escrow.agekey"), str(wrapper)],
        capture_output=True,
        check=True,
    ).stdout
    key_file = tmp_path / "case.key"
    key_file.write_bytes(key)
    block = next(
        b for _, t, b in blocks((kit.root / kit.case_path(cid)).read_bytes()) if t == "Parties"
    )
    plain = subprocess.run(
        ["age", "-d", "-i", str(key_file)], input=block.encode(), capture_output=True, check=True
    ).stdout
    assert SECRET.encode() in plain


def test_keys_status_shows_where_each_key_is_and_who_can_unwrap_it(
    worked: tuple[History, Path, str],
) -> None:
    kit, _, cid = worked
    result = kit.casetrail("keys", "status", "--format", "json")
    assert result.code == 0, result
    data = json.loads(result.out)
    row = next(r for r in data["cases"] if r["case"] == cid)
    assert row["state"] == "ok"
    assert row["readers"] == ["escrow:records-office-escrow", "fweber", "gharris"]
    assert data["log"]["problems"] == []


def test_a_departure_is_revoked_with_keys_sync(tmp_path: Path) -> None:
    """gharris leaves the office (a roster change): status says her wrapper must go, sync
    removes it, and from then on she cannot read any version."""
    kit, store = keyed_office(tmp_path)
    cid = kit.register(case_type="inquiry")
    kit.ok("section", "set", cid, "Parties", stdin=SECRET.encode() + b"\n")
    kit.commit("amartin", "parties")
    kit._edit_person("gharris", lambda block: block.replace(
        '    active_from: "2026-01-05"\n', '    active_from: "2026-01-05"\n    left_at: "2026-11-20"\n'
    ))  # fmt: skip
    kit.commit("hlindqvist", "gharris leaves the office")
    status = kit.casetrail("keys", "status")
    assert status.code == 1 and "to revoke: gharris" in status.out, status
    assert "unwrapped from gharris" in kit.ok("keys", "sync", "--by", "hlindqvist")
    assert kit.casetrail("keys", "status").code == 0
    for _, data in versions(kit, kit.case_path(cid)):
        assert readable_by("gharris", data, store) == []
    assert "0 of 1 case key(s) changed" in kit.ok(
        "keys", "sync", "--by", "hlindqvist"
    )  # nothing more to do


def test_without_a_store_a_keyed_step_writes_nothing(tmp_path: Path) -> None:
    kit, _ = keyed_office(tmp_path)
    cid = kit.register(case_type="inquiry")
    kit.git("config", "--unset", "casetrail.keyStore")
    rel = kit.case_path(cid)
    before = (kit.root / rel).read_bytes()
    result = kit.casetrail("assign", cid, "--by", "fweber", "--handler", "bkoch",
                           "--approved-by", "fweber", "--rationale", "expertise",
                           "--why-not-top", "continuity")  # fmt: skip
    assert result.code == 2 and "no key store is configured" in result.err, result
    assert "Traceback" not in result.err
    assert (kit.root / rel).read_bytes() == before
    refused = kit.casetrail("new", "--by", "amartin", "--type", "inquiry", "--priority", "low",
                            "--title", "Opening hours")  # fmt: skip
    assert refused.code == 2 and "per-case key" in refused.err, refused
    assert kit.git("status", "--porcelain") == ""


def test_every_identity_is_tried_in_the_proof_helpers() -> None:
    assert set(IDENTITIES) == {p.name.removesuffix(".agekey") for p in DEMO_KEYS.glob("*.agekey")
                               if p.stem != "age-spec-example"}  # fmt: skip


def test_a_case_key_edited_by_hand_encrypts_nothing(tmp_path: Path) -> None:
    """bkoch writes an outsider's key into case_key: attaching a document to the case is
    refused (the store holds another key for it), and nothing is written."""
    import pyrage

    kit, _ = keyed_office(tmp_path)
    cid = kit.register(case_type="inquiry")
    kit.assign(cid, "bkoch")
    rel = kit.case_path(cid)
    outsider = str(pyrage.x25519.Identity.generate().to_public())
    text = re.sub(r"(?m)^case_key: \S+$", f"case_key: {outsider}", kit.read(rel))
    swapped = kit.commit("bkoch", "Swap the case key", files={rel: text})
    letter = kit.home / "letter.txt"
    letter.write_text("CANARY-OUTSIDER a fictional letter\n")
    result = kit.casetrail("attach", cid, str(letter), "--kind", "correspondence", "--by", "bkoch")
    assert result.code == 2 and "not the key the store holds" in result.err, result
    assert kit.git("status", "--porcelain") == ""
    assert "the store's key is not the case's" in kit.casetrail("keys", "status").out
    code, found, _ = kit.audit_json()
    assert code == 1 and {(f.code, f.commit) for f in found if f.severity == "error"} == {
        ("CT852", swapped)
    }, found


def test_a_replaced_age_key_gets_a_new_wrapper_and_the_old_key_reads_nothing(
    worked: tuple[History, Path, str], tmp_path: Path
) -> None:
    """fweber's age key is replaced in the roster (say it was lost): status says her wrapper is
    missing, sync wraps the case's key to the new key, and her old key reads no version."""
    import pyrage

    kit, store = fork_keyed(worked[0], worked[1], tmp_path / "fork")
    cid = worked[2]
    fresh = pyrage.x25519.Identity.generate()
    kit._edit_person("fweber", lambda block: re.sub(
        r"(?m)^    age_recipient: \S+$", f"    age_recipient: {fresh.to_public()}", block
    ))  # fmt: skip
    kit.commit("hlindqvist", "fweber's new age key")
    status = json.loads(kit.casetrail("keys", "status", "--format", "json").out)
    row = next(r for r in status["cases"] if r["case"] == cid)
    assert row["missing"] == ["fweber"], row
    assert "wrapped to fweber" in kit.ok("keys", "sync", "--by", "hlindqvist")
    data = (kit.root / kit.case_path(cid)).read_bytes()
    for _, version in versions(kit, kit.case_path(cid)):
        assert readable_by("fweber", version, store) == []  # the old key, from the demo keys
    ring = cipher.Keyring([fresh], ("fweber's new key",))
    with mock.patch.dict(os.environ, {casekeys.STORE_VARIABLE: str(store)}):
        opened = casekeys.with_case_key(ring, document.parse(data)[0].front_matter)  # type: ignore[union-attr]
    assert any(
        SECRET in cipher.decrypt_section(b, opened, c, t).text
        for c, t, b in blocks(data)
        if t == "Parties"
    )


def test_keys_sync_goes_on_past_a_case_it_cannot_sync(tmp_path: Path) -> None:
    kit, store = keyed_office(tmp_path)
    first = kit.register(case_type="inquiry")
    second = kit.register(case_type="inquiry")
    shutil.rmtree(store / "cases" / min(first, second))  # its key lost from the store
    kit._edit_person("gharris", lambda block: block.replace(
        '    active_from: "2026-01-05"\n', '    active_from: "2026-01-05"\n    left_at: "2026-11-20"\n'
    ))  # fmt: skip
    kit.commit("hlindqvist", "gharris leaves the office")
    result = kit.casetrail("keys", "sync", "--by", "hlindqvist")
    assert result.code == 2 and "could not be synced" in result.err, result
    assert f"case {max(first, second)}'s key: unwrapped from gharris" in result.out
    assert "gharris" not in store_readers(store, max(first, second))
