"""`casetrail check` beyond the case files: private keys and leftovers anywhere in the work tree,
and the attachments beside each case (binary age files, listed, encrypted to the policy's set).

Real files in temporary records repositories, real age files (pyrage), the real CLI.
Key-like strings are assembled at run time, so this file itself holds no key material.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest
import yaml

from casetrail.core.rules import RULES, files
from casetrail.core.rules.base import CaseSummary
from conftest import DEMO_KEYS, PROJECT, Records

CANARY = "CANARY-ATTACHMENT-PLAINTEXT"
BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"
# A syntactically real but made-up age secret key (never a key anyone holds).
FAKE_AGE_KEY = "AGE-SECRET-" + "KEY-1" + (BECH32 * 2)[:58]
FAKE_PLUGIN = "AGE-PLUGIN-" + "YUBIKEY-1" + (BECH32 * 2)[3:40]
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"


def _armor(label: str) -> str:
    return "-----BEGIN " + label + "-----\n"


# ---------------------------------------------------------------------------- helpers


def _recipients(handles: list[str]) -> list[str]:
    roster = yaml.safe_load((PROJECT / "schema" / "roster.yaml").read_text())
    keys = {p["handle"]: p["age_recipient"] for p in roster["people"]}
    escrow = [e["age_recipient"] for e in roster["escrow"] if "valid_until" not in e]
    return [keys[h] for h in handles] + escrow


# A new case registered by amartin is readable by its registrar, the supervisors and escrow
# (schema/policy.yaml recipients.open; nobody is assigned yet). Written out here as the oracle.
OPEN_NEW_CASE = ["amartin", "fweber", "gharris"]


def _encrypt(data: bytes, recipients: list[str], armored: bool = False) -> bytes:
    keys = [pyrage.x25519.Recipient.from_str(r) for r in recipients]
    encrypted: bytes = pyrage.encrypt(data, keys, armored=armored)
    return encrypted


def _entry(name: str, day: str, plain: bytes) -> str:
    return (
        f"  - name: {name}\n"
        f'    date: "{day}"\n'
        "    kind: evidence\n"
        f"    size: {len(plain)}\n"
        f"    sha256: {hashlib.sha256(plain).hexdigest()}\n"
        "    added_by: amartin\n"
    )


def _before_closing_line(records: Records, path: str, block: str) -> None:
    file = records.root / path
    text = file.read_text()
    end = text.index("\n---\n", 4) + 1
    file.write_text(text[:end] + block + text[end:])


def _list_attachments(records: Records, path: str, entries: list[tuple[str, str]]) -> None:
    """Add an `attachments:` list as the last key of the case's front matter."""
    block = "attachments:\n" + "".join(_entry(n, d, CANARY.encode()) for n, d in entries)
    _before_closing_line(records, path, block)


def _append_entries(records: Records, path: str, entries: list[tuple[str, str]]) -> None:
    """More entries at the end of the list _list_attachments made."""
    _before_closing_line(records, path, "".join(_entry(n, d, b"x") for n, d in entries))


def _folder(path: str) -> str:
    return path.removesuffix(".md")


def _line_of(records: Records, path: str, needle: str) -> int:
    lines = (records.root / path).read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


def _codes(out: str) -> list[tuple[str, str]]:
    """(path, code) of every finding line of text output."""
    found = []
    for line in out.splitlines():
        if ": CT" in line and not line.startswith(" "):
            location, _, rest = line.partition(": ")
            found.append((location.split(":")[0], rest.split(" ")[0]))
    return found


@pytest.fixture
def repo(records: Records) -> Records:
    records.git("init", "-q")
    return records


@pytest.fixture
def with_documents(repo: Records) -> tuple[Records, str]:
    """A new case with two valid attachments, committed."""
    path = repo.new_case()
    folder = repo.root / _folder(path)
    folder.mkdir()
    names = [
        ("2026-11-20-landlord-letter.pdf.age", "2026-11-20"),
        ("2026-11-21-photo.jpg.age", "2026-11-21"),
    ]
    for name, _ in names:
        (folder / name).write_bytes(_encrypt(CANARY.encode(), _recipients(OPEN_NEW_CASE)))
    _list_attachments(repo, path, names)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "case with documents", "--no-verify")
    return repo, path


# ---------------------------------------------------------------------------- registry


def test_codes_are_registered_with_name_summary_and_stage() -> None:
    stages = {"CT015": "repository", "CT016": "repository"}
    stages |= {f"CT4{n:02d}": "repository" for n in range(6, 12)}
    for code, stage in stages.items():
        rule = RULES[code]
        assert rule.stage == stage and rule.name and rule.summary.endswith(".")


def test_rules_command_lists_the_new_codes(records: Records) -> None:
    out = records.run("rules").out
    for code in ("CT015", "CT016", "CT406", "CT407", "CT408", "CT409", "CT410", "CT411"):
        assert f"{code}  " in out


# ---------------------------------------------------------------------------- pure parts


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"# created: x\n# public key: age1x\n{FAKE_AGE_KEY}\n", "age"),
        (f"{FAKE_PLUGIN}\n", "plugin"),
        (_armor("OPENSSH PRIVATE KEY") + "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n", "openssh"),
        (_armor("RSA PRIVATE KEY") + PEM_BODY, "pem"),
        (_armor("EC PRIVATE KEY") + PEM_BODY, "pem"),
        (_armor("DSA PRIVATE KEY") + PEM_BODY, "pem"),
        (_armor("ENCRYPTED PRIVATE KEY") + PEM_BODY, "pem"),
        (_armor("PRIVATE KEY") + PEM_BODY, "pem"),
        (_armor("RSA PRIVATE KEY") + "Proc-Type: 4,ENCRYPTED\n", "pem"),
        ('{"private_key": "' + _armor("PRIVATE KEY")[:-1] + "\\n" + PEM_BODY[:-1] + '"}', "pem"),
        (_armor("PGP PRIVATE KEY BLOCK") + "\nlQOYBF0AAAAAAAAAAAAAAAAAAAAAAAAAA\n", "pgp"),
    ],
)
def test_every_kind_of_key_is_found(text: str, kind: str) -> None:
    found = files.key_lines(text.encode())
    assert [k for _, k in found] == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "the age secret key prefix is AGE-SECRET-" + "KEY-1 followed by its data\n",
        '_SSH = b"' + _armor("OPENSSH PRIVATE KEY")[:-1] + '"\n',  # code naming the marker
        _armor("AGE ENCRYPTED FILE") + "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBL\n",
        _armor("PUBLIC KEY") + PEM_BODY,
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPz amartin\n",
        "age1c843zgv2r7vkezs4tu45y2f55jjtls0g6xw8ew86qdr5k3ly3y5qkqgxan\n",
    ],
)
def test_public_keys_armor_and_mentions_are_not_keys(text: str) -> None:
    assert files.key_lines(text.encode()) == []


def test_a_key_cut_by_any_chunk_boundary_is_found_once_on_its_line() -> None:
    data = ("filler line\n" * 40 + FAKE_AGE_KEY + "\nmore\n").encode()
    start = data.index(b"AGE-SECRET")
    for cut in range(start - 2, start + len(FAKE_AGE_KEY) + 2):
        scanner = files.KeyScanner()
        for chunk in (data[:cut], data[cut:]):
            scanner.feed(chunk)
        assert scanner.found == [(41, "age")], cut
    many = files.KeyScanner()
    for i in range(0, len(data), 7):  # chunks shorter than the key itself
        many.feed(data[i : i + 7])
    assert many.found == [(41, "age")]


@pytest.mark.parametrize(
    ("path", "leftover"),
    [
        ("cases/2026/2026-7KQ4XMP.dec.md", True),
        ("notes/parties.dec", True),
        ("schema/policy.yaml~", True),
        ("cases/2026/2026-7KQ4XMP.md.orig", True),
        ("fix.rej", True),
        ("roster.BAK", True),
        ("cases/2026/.2026-7KQ4XMP.md.swp", True),
        (".x.swo", True),
        (".x.swn", True),
        ("#2026-7KQ4XMP.md#", True),
        (".#2026-7KQ4XMP.md", True),
        ("cases/2026/2026-7KQ4XMP.md", False),
        ("decoder.py", False),
        ("notes.swp.txt", False),
        ("orig/readme.md", False),
        ("a.debug", False),
        ("issue#12.md", False),
        ("x.swp", False),  # vim swap files start with a dot
    ],
)
def test_leftover_names(path: str, leftover: bool) -> None:
    assert (files.classify(path) is not None) is leftover


def test_plaintext_beside_its_encrypted_twin_is_a_leftover() -> None:
    found = files.leftovers(["docs/scan.pdf", "docs/scan.pdf.age", "docs/other.pdf"])
    assert [p for p, _ in found] == ["docs/scan.pdf"]
    assert "scan.pdf.age" in found[0][1]


def test_do_not_use_exemption_is_by_path_segment() -> None:
    assert files.exempt("tests/demo-keys-DO-NOT-USE/amartin.agekey")
    assert files.exempt("DO-NOT-USE/x")
    assert not files.exempt("tests/demo-keys/amartin.agekey")
    assert not files.exempt("tests/do-not-use/amartin.agekey")  # the marker is upper case


# ---------------------------------------------------------------------------- keys in the tree


def test_key_files_anywhere_in_the_work_tree_are_refused_without_showing_them(
    repo: Records,
) -> None:
    repo.new_case()
    repo.write("keys/me.txt", f"# created: 2026-11-23\n# public key: age1...\n{FAKE_AGE_KEY}\n")
    repo.write("deploy/id_ed25519", _armor("OPENSSH PRIVATE KEY") + "b3BlbnNzaC1rZXktdjEAAAAA\n")
    repo.write("server.pem", "cert first\n" + _armor("RSA PRIVATE KEY") + PEM_BODY)
    repo.write("notes.txt", "nothing secret here\n")
    repo.git("add", "deploy/id_ed25519")  # tracked or untracked: both count
    before = repo.snapshot()
    result = repo.run("check")
    assert result.code == 1
    assert "keys/me.txt:3:1: CT015 keys/me.txt holds an age secret key (not shown)" in result.out
    assert (
        "deploy/id_ed25519:1:1: CT015 deploy/id_ed25519 holds an OpenSSH private key" in result.out
    )
    assert "server.pem:2:1: CT015 server.pem holds a PEM private key" in result.out
    assert "notes.txt" not in result.out
    assert "    hint: remove the key from the repository" in result.out
    for secret in (FAKE_AGE_KEY, FAKE_AGE_KEY[16:40], "b3BlbnNzaC1r", PEM_BODY[:20]):
        assert secret not in result.out
    assert repo.snapshot() == before


def test_ignored_files_are_git_s_business_but_a_plain_folder_is_walked(records: Records) -> None:
    records.new_case()
    records.write(".gitignore", "secrets/\n.venv/\nbuild/\n")
    records.write("secrets/key.txt", FAKE_AGE_KEY + "\n")
    records.write(".venv/lib/key.txt", FAKE_AGE_KEY + "\n")
    records.write("build/key.txt", FAKE_AGE_KEY + "\n")
    records.write("site/key.txt", FAKE_AGE_KEY + "\n")
    # Not a git repository: every file is walked, except .git, .venv, build and .cache.
    plain = _codes(records.run("check").out)
    assert ("secrets/key.txt", "CT015") in plain and ("site/key.txt", "CT015") in plain
    assert not any(p.startswith((".venv/", "build/")) for p, _ in plain)
    # In a git repository an ignored file is not listed (git add -A would not take it).
    records.git("init", "-q")
    in_git = _codes(records.run("check").out)
    assert ("site/key.txt", "CT015") in in_git
    assert not any(p.startswith(("secrets/", ".venv/", "build/")) for p, _ in in_git)


def test_demo_keys_in_a_do_not_use_folder_are_exempt(repo: Records) -> None:
    repo.new_case()
    shutil.copytree(DEMO_KEYS, repo.root / "tests" / "demo-keys-DO-NOT-USE")
    shutil.copy(DEMO_KEYS / "amartin.agekey", repo.root / "amartin.agekey")
    out = repo.run("check").out
    assert _codes(out) == [("amartin.agekey", "CT015")], out
    assert repo.run("check", "tests/demo-keys-DO-NOT-USE/amartin.ssh").code == 0


def test_a_key_in_a_case_file_is_found_even_when_it_breaks_the_yaml(repo: Records) -> None:
    path = repo.new_case()
    file = repo.root / path
    text = file.read_text()
    file.write_text(text.replace("## Summary\n", f"## Summary\n\n{FAKE_AGE_KEY}\n", 1))
    line = _line_of(repo, path, "AGE-SECRET")
    first = repo.run("check")
    assert f"{path}:{line}:1: CT015 holds an age secret key (not shown)" in first.out
    again = repo.run("check")  # the finding comes back from the cache
    assert "from cache" in again.out and f"{path}:{line}:1: CT015" in again.out
    file.write_text(text.replace("title:", f"{FAKE_PLUGIN}\ntitle:", 1))
    broken = repo.run("check", path)
    assert ("CT005" in broken.out or "CT100" in broken.out) and "CT015" in broken.out
    assert FAKE_AGE_KEY not in first.out + again.out and FAKE_PLUGIN not in broken.out


def test_a_key_deep_in_a_big_file_is_found_and_past_the_cap_is_not(repo: Records) -> None:
    repo.new_case()
    mib = 1024 * 1024
    filler = b"x" * 1023 + b"\n"
    with (repo.root / "big.log").open("wb") as handle:
        for _ in range(mib // len(filler) - 1):
            handle.write(filler)
        handle.write(b"x" * 1000 + FAKE_AGE_KEY.encode() + b"\n")  # across the 1 MiB boundary
        for _ in range(20 * mib // len(filler)):
            handle.write(filler)
        handle.write(FAKE_AGE_KEY.encode() + b"\n")  # after 21 MiB: past the scanned head
    out = repo.run("check").out
    assert _codes(out) == [("big.log", "CT015")]
    assert "big.log:1024:1: CT015" in out


# ---------------------------------------------------------------------------- leftovers


def test_leftovers_are_refused_anywhere_and_are_never_read_as_cases(repo: Records) -> None:
    path = repo.new_case()
    plain = (repo.root / path).read_bytes()
    leftovers = [
        path.replace(".md", ".dec.md"),
        "cases/2026/parties.dec",
        path + "~",
        path + ".orig",
        "schema/policy.yaml.rej",
        "notes.bak",
        f"cases/2026/.{Path(path).name}.swp",
        ".notes.swo",
        "tooling/.x.swn",
        f"cases/2026/#{Path(path).name}#",
        "docs/scan.pdf",
    ]
    for rel in leftovers:
        repo.write(rel, plain)
    repo.write("docs/scan.pdf.age", _encrypt(b"scan", _recipients(OPEN_NEW_CASE)))
    os.symlink("amartin@host.1234", repo.root / "cases" / "2026" / f".#{Path(path).name}")
    before = repo.snapshot()
    result = repo.run("check", "--format", "json")
    assert result.code == 1
    data = json.loads(result.out)
    by_path = {d["path"]: d for d in data["diagnostics"]}
    expected = {*leftovers, f"cases/2026/.#{Path(path).name}"}
    assert {p for p, d in by_path.items() if d["code"] == "CT016"} == expected
    assert {d["code"] for d in data["diagnostics"]} == {"CT016"}  # no CT202/CT203 for copies
    assert data["summary"]["files"] == 1
    scan = by_path["docs/scan.pdf"]
    assert scan == {
        "path": "docs/scan.pdf",
        "line": 1,
        "col": 1,
        "code": "CT016",
        "severity": "error",
        "message": "docs/scan.pdf is the plaintext of the encrypted attachment scan.pdf.age "
        "beside it",
        "hint": files.LEFTOVER_HINT,
    }
    assert repo.snapshot() == before


def test_ordinary_files_outside_cases_are_left_alone(repo: Records) -> None:
    repo.new_case()
    repo.write("README.md", "# records\n")
    repo.write("docs/decisions.txt", "orig, bak and swp are only words here\n")
    repo.write("tooling/decoder.py", "print('hello')\n")
    assert repo.run("check").code == 0


# ---------------------------------------------------------------------------- attachments


def test_valid_attachments_pass(with_documents: tuple[Records, str]) -> None:
    repo, _ = with_documents
    result = repo.run("check")
    assert result.code == 0, result.out
    assert repo.run("check").code == 0  # and from the cache


def test_every_attachment_finding(with_documents: tuple[Records, str]) -> None:
    repo, path = with_documents
    folder = _folder(path)
    right, three = _recipients(OPEN_NEW_CASE), _recipients(OPEN_NEW_CASE)[1:]
    (repo.root / folder / "2026-11-21-photo.jpg.age").write_bytes(_encrypt(b"x", three))
    repo.write(f"{folder}/2026-11-22-plain.pdf.age", f"{CANARY} in the clear\n")
    repo.write(f"{folder}/2026-11-22-armored.pdf.age", _encrypt(CANARY.encode(), right, True))
    passphrase: bytes = pyrage.passphrase.encrypt(CANARY.encode(), "pw")
    repo.write(f"{folder}/2026-11-22-scrypt.pdf.age", passphrase)
    repo.write(f"{folder}/stray.pdf.age", _encrypt(b"x", right))
    repo.write("cases/2026/2026-0000000/orphan.pdf.age", _encrypt(b"x", right))
    _append_entries(
        repo,
        path,
        [
            ("2026-11-22-plain.pdf.age", "2026-11-22"),
            ("2026-11-22-armored.pdf.age", "2026-11-22"),
            ("2026-11-22-scrypt.pdf.age", "2026-11-22"),
            ("2026-11-22-missing.pdf.age", "2026-11-22"),
            ("2026-11-21-misdated.pdf.age", "2026-11-23"),
            ("2026-11-22-missing.pdf.age", "2026-11-23"),
        ],
    )
    before = repo.snapshot()
    result = repo.run("check")
    out = result.out
    assert result.code == 1
    missing = _line_of(repo, path, "2026-11-22-missing.pdf.age")
    misdated = _line_of(repo, path, "2026-11-21-misdated.pdf.age")
    expected = [
        f"{path}:{missing}:1: CT406 attachment '2026-11-22-missing.pdf.age' is listed but "
        f"{folder}/2026-11-22-missing.pdf.age does not exist",
        f"{path}:{misdated}:1: CT410 attachment '2026-11-21-misdated.pdf.age' does not start "
        "with its date 2026-11-23",
        f"{folder}/stray.pdf.age:1:1: CT407 {folder}/stray.pdf.age is not listed in the "
        f"attachments of {path}",
        f"{folder}/2026-11-22-plain.pdf.age:1:1: CT408 {folder}/2026-11-22-plain.pdf.age is not "
        "an age-encrypted file; it may be plaintext",
        f"{folder}/2026-11-22-armored.pdf.age:1:1: CT408 {folder}/2026-11-22-armored.pdf.age is "
        "ASCII-armored; attachments are binary age files",
        f"{folder}/2026-11-22-scrypt.pdf.age:1:1: CT408 {folder}/2026-11-22-scrypt.pdf.age uses a "
        "passphrase (scrypt) stanza",
        f"{folder}/2026-11-21-photo.jpg.age:1:1: CT409 {folder}/2026-11-21-photo.jpg.age is "
        "encrypted for 3 recipients (3 X25519); the policy gives 4 (4 X25519)",
        "cases/2026/2026-0000000:1:1: CT411 cases/2026/2026-0000000/ holds 1 file(s) but there "
        "is no case file cases/2026/2026-0000000.md",
        "CT410 attachment '2026-11-22-missing.pdf.age' is listed twice",
    ]
    for line in expected:
        assert line in out, f"{line}\n--- not in ---\n{out}"
    assert CANARY not in out
    assert repo.snapshot() == before
    warm = repo.run("check")
    assert "from cache" in warm.out and sorted(_codes(warm.out)) == sorted(_codes(out))


def test_unknown_stanza_and_unlisted_plaintext_are_refused(
    with_documents: tuple[Records, str],
) -> None:
    repo, path = with_documents
    folder = _folder(path)
    good = (repo.root / folder / "2026-11-20-landlord-letter.pdf.age").read_bytes()
    forged = good.replace(b"-> X25519 ", b"-> piv ", 1)
    (repo.root / folder / "2026-11-20-landlord-letter.pdf.age").write_bytes(forged)
    repo.write(f"{folder}/notes.md", f"# {CANARY}\n{FAKE_AGE_KEY}\n")
    out = repo.run("check").out
    assert "CT408" in out and "unsupported or malformed recipient stanza 'piv'" in out
    assert (f"{folder}/notes.md", "CT407") in _codes(out)
    assert (f"{folder}/notes.md", "CT408") in _codes(out)
    assert (f"{folder}/notes.md", "CT015") in _codes(out)  # plaintext there is searched too
    assert CANARY not in out and FAKE_AGE_KEY not in out


def test_an_attachment_changed_after_a_cached_run_is_judged_again(
    with_documents: tuple[Records, str],
) -> None:
    repo, path = with_documents
    assert repo.run("check").code == 0
    target = repo.root / _folder(path) / "2026-11-20-landlord-letter.pdf.age"
    stat = target.stat()
    target.write_bytes(_encrypt(b"y", _recipients(OPEN_NEW_CASE)[:2]))
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime: content decides
    out = repo.run("check").out
    assert "from cache" in out and "CT409" in out


def test_a_committed_attachment_forged_in_place_is_not_judged_by_its_old_blob(
    with_documents: tuple[Records, str],
) -> None:
    """Same size, same mtime, committed before: git's status check still sees the change,
    so the verdict cached under the committed blob id is not used."""
    repo, path = with_documents
    assert repo.run("check").code == 0  # verdicts cached under the committed blob ids
    target = repo.root / _folder(path) / "2026-11-21-photo.jpg.age"
    stat = target.stat()
    data = target.read_bytes()
    forged = data.replace(b"-> X25519 ", b"-> piv-xx ", 1)
    assert len(forged) == len(data) and forged != data
    target.write_bytes(forged)
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    out = repo.run("check").out
    assert (f"{_folder(path)}/2026-11-21-photo.jpg.age", "CT408") in _codes(out)


def test_paths_mode_flags_given_leftovers_keys_and_attachments(
    with_documents: tuple[Records, str],
) -> None:
    repo, path = with_documents
    folder = _folder(path)
    repo.write("notes.txt~", "x")
    repo.write("key.txt", FAKE_AGE_KEY + "\n")
    repo.write("README.md", "ordinary\n")
    repo.write(f"{folder}/stray.pdf.age", _encrypt(b"x", _recipients(OPEN_NEW_CASE)))
    out = repo.run("check", "notes.txt~", "key.txt", "README.md", "missing.txt").out
    assert sorted(_codes(out)) == [("key.txt", "CT015"), ("notes.txt~", "CT016")]
    # A given attachment brings in its case, whose folder is checked as a whole.
    given = repo.run("check", f"{folder}/2026-11-20-landlord-letter.pdf.age")
    assert _codes(given.out) == [(f"{folder}/stray.pdf.age", "CT407")]
    assert "in 1 file" in given.out
    # A given case is checked with its folder too (one listing).
    assert _codes(repo.run("check", path).out) == [(f"{folder}/stray.pdf.age", "CT407")]
    (repo.root / f"{folder}/stray.pdf.age").unlink()
    (repo.root / folder / "2026-11-21-photo.jpg.age").unlink()
    assert _codes(repo.run("check", path).out) == [(path, "CT406")]


def test_the_summary_with_attachments_survives_the_cache(repo: Records) -> None:
    from casetrail.core.engine import FileResult
    from casetrail.shell import cache

    summary = CaseSummary(
        "cases/2026/2026-7KQ4XMP.md",
        "2026-7KQ4XMP",
        "new",
        "complaint",
        "high",
        (("intake", "2026-11-24T10:00:00+01:00", ""),),
        (("2026-11-20-letter.pdf.age", "2026-11-20"),),
        (("X25519", 4), ("ssh-ed25519", 1)),
    )
    result = FileResult(summary.path, (), summary, {"id": 2, "attachments.0": 30})
    stored = cache.ResultCache(repo.root, "f")
    stored.put("blob", result)
    stored.put_header("d" * 32, ("X25519",), "")
    stored.save({summary.path})
    loaded = cache.ResultCache(repo.root, "f")
    assert loaded.get(summary.path, "blob") == result
    assert loaded.get_header("d" * 32) == (("X25519",), "")
    assert cache.ResultCache(repo.root, "other").get(summary.path, "blob") is None


def test_a_cache_entry_of_the_older_shape_is_a_miss(repo: Records) -> None:
    from casetrail.shell import cache

    stored = cache.ResultCache(repo.root, "f")
    stored.entries["cases/x.md\0blob"] = {
        "summary": ["cases/x.md", "2026-7KQ4XMP", "new", "complaint", "high", []],
        "lines": {},
        "diagnostics": [],
    }
    assert stored.get("cases/x.md", "blob") is None


# ---------------------------------------------------------------------------- pre-commit


def test_the_pre_commit_hook_refuses_a_staged_key_and_leftover(repo: Records) -> None:
    bin_dir = Path(sys.executable).parent
    config = (PROJECT / ".pre-commit-config.yaml").read_text().replace(".venv/bin/", f"{bin_dir}/")
    repo.write(".pre-commit-config.yaml", config)
    repo.new_case()
    repo.write("README.md", "ordinary\n")
    repo.git("add", "-A")

    def pre_commit() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(bin_dir / "pre-commit"), "run"],
            cwd=repo.root,
            capture_output=True,
            text=True,
            check=False,
        )

    clean = pre_commit()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    repo.write("id.txt", FAKE_AGE_KEY + "\n")
    repo.write("draft.dec.md", "decrypted\n")
    repo.git("add", "id.txt", "draft.dec.md")
    blocked = pre_commit()
    assert blocked.returncode == 1
    assert "id.txt:1:1: CT015" in blocked.stdout and "draft.dec.md:1:1: CT016" in blocked.stdout
    assert FAKE_AGE_KEY not in blocked.stdout
