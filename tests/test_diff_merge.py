"""Readable diffs and merges: `casetrail setup`, the textconv git runs for `git diff`, and the
merge driver, on real git repositories in temporary folders, through real git."""

from __future__ import annotations

import os
import shutil
import subprocess
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casetrail.core import document, envelope, merge3, recipients
from casetrail.core.case import Case
from casetrail.shell import cipher, index
from conftest import DEMO_KEYS, GIT_ENV, Records

ESCROW = cipher.Keyring(cipher.load_identities((DEMO_KEYS / "escrow.agekey").read_text()))
PARTIES = "Parties"


# --- helpers -------------------------------------------------------------------------------


def git(records: Records, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """git in the records repository, with the test's environment (keys included)."""
    result = subprocess.run(
        ["git", *args],
        cwd=records.root,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result


def block_of(text: str, title: str) -> str:
    parsed, _ = document.parse(text.encode())
    assert parsed is not None
    blocks = {s.title: s.block for s in merge3.sealed_blocks(parsed) or []}
    return blocks[title]


def case_id_of(records: Records, rel: str) -> str:
    return rel.rsplit("/", 1)[1][:-3]


def read_section(records: Records, rel: str, title: str = PARTIES) -> envelope.SectionPlaintext:
    text = (records.root / rel).read_text()
    return cipher.decrypt_section(block_of(text, title), ESCROW, case_id_of(records, rel), title)


def write_section(records: Records, rel: str, body: str, title: str = PARTIES) -> None:
    """Encrypt a new text into a section, as `casetrail edit` would (for the policy's set)."""
    text = (records.root / rel).read_text()
    parsed, _ = document.parse(text.encode())
    assert parsed is not None
    case = Case(parsed.front_matter)
    config, _ = index.load_config(records.root)
    wanted = recipients.for_section(case, title, config.policy, config.roster)
    old_block = block_of(text, title)
    old = cipher.decrypt_section(old_block, ESCROW, case.id, title)
    new = replace(old, text=body, revision=old.revision + 1, keyset=wanted.fingerprint)
    new_block = cipher.encrypt_section(new, wanted.keys)
    (records.root / rel).write_text(text.replace(old_block, new_block))


def replace_line(records: Records, rel: str, old: str, new: str) -> None:
    path = records.root / rel
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def commit_all(records: Records, message: str) -> None:
    git(records, "add", "-A")
    git(records, "commit", "-q", "--no-verify", "-m", message)


def signing_key() -> None:
    """amartin's demo key in ~/.ssh, where `casetrail setup` looks for the committer's key."""
    ssh = Path(os.environ["HOME"]) / ".ssh"
    ssh.mkdir(exist_ok=True)
    for name in ("amartin.ssh", "amartin.ssh.pub"):
        shutil.copyfile(DEMO_KEYS / name, ssh / name)
    (ssh / "amartin.ssh").chmod(0o600)  # ssh-keygen refuses a private key others can read


def repository(records: Records, setup: bool = True) -> str:
    """A git clone set up by `casetrail setup`, with one committed case; its path."""
    git(records, "init", "-q", "-b", "main")
    if setup:
        signing_key()
        result = records.run("setup")
        assert result.code == 0, result.err
    rel = records.new_case()
    write_section(records, rel, "".join(f"line {n}\n" for n in range(1, 8)))
    commit_all(records, "a case")
    return rel


def branches(records: Records) -> None:
    git(records, "branch", "theirs")


def merge(records: Records) -> subprocess.CompletedProcess[str]:
    return git(records, "merge", "--no-edit", "-q", "theirs", check=False)


def everything_under_git(records: Records) -> bytes:
    """Every byte under .git, loose objects decompressed (a textconv cache would be notes
    objects there, so a plain grep of the files is not enough)."""
    found = []
    for path in (records.root / ".git").rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.parent.parent.name == "objects" and len(path.parent.name) == 2:
            data = zlib.decompress(data)
        found.append(data)
    return b"\n".join(found)


# --- setup ---------------------------------------------------------------------------------


def test_setup_configures_the_clone_and_a_second_run_changes_nothing(records: Records) -> None:
    git(records, "init", "-q")
    signing_key()
    first = records.run("setup")
    assert first.code == 0, first.err
    assert "set      git config diff.casetrail.textconv" in first.out
    textconv = git(records, "config", "--local", "diff.casetrail.textconv").stdout.strip()
    assert textconv.endswith(" -m casetrail textconv")
    assert git(records, "config", "--local", "diff.casetrail.cachetextconv").stdout == "false\n"
    driver = git(records, "config", "--local", "merge.casetrail.driver").stdout.strip()
    assert driver.endswith(" -m casetrail merge-driver %O %A %B %P")
    attributes = (records.root / ".gitattributes").read_text()
    assert "cases/**/*.md text eol=lf diff=casetrail merge=casetrail\n" in attributes
    assert "*.age binary\n" in attributes
    assert ".cache/\n" in (records.root / ".gitignore").read_text()
    # git itself sees the attributes
    attrs = git(records, "check-attr", "diff", "merge", "--", "cases/2026/2026-0000000.md")
    assert "diff: casetrail" in attrs.stdout and "merge: casetrail" in attrs.stdout

    before = records.snapshot()
    config_before = (records.root / ".git" / "config").read_bytes()
    second = records.run("setup")
    assert second.code == 0
    assert second.out.splitlines()[-1] == "setup: everything is in place; nothing changed"
    assert records.snapshot() == before
    assert (records.root / ".git" / "config").read_bytes() == config_before
    assert records.run("setup", "--check").code == 0


def test_setup_check_reports_and_changes_nothing(records: Records) -> None:
    git(records, "init", "-q")
    before = records.snapshot()
    result = records.run("setup", "--check")
    assert result.code == 1
    assert "missing  git config diff.casetrail.cachetextconv = false" in result.out
    assert records.snapshot() == before
    assert git(records, "config", "--local", "--list").stdout.count("casetrail") == 0


def test_setup_keeps_an_existing_eol_convention_and_fixes_a_stale_command(
    records: Records,
) -> None:
    git(records, "init", "-q")
    signing_key()
    records.write(".gitattributes", "cases/**/*.md text eol=lf\n*.age binary")
    records.write(".gitignore", "/.cache\n")
    git(records, "config", "--local", "diff.casetrail.textconv", "/gone/venv/bin/casetrail")
    result = records.run("setup")
    assert result.code == 0, result.err
    assert "(was /gone/venv/bin/casetrail)" in result.out
    attributes = (records.root / ".gitattributes").read_text()
    assert attributes.startswith("cases/**/*.md text eol=lf\n*.age binary\n# casetrail")
    assert attributes.endswith("\ncases/**/*.md diff=casetrail merge=casetrail\n")
    assert (records.root / ".gitignore").read_text() == "/.cache\n"


def test_this_repository_ships_the_attributes_setup_wants() -> None:
    from casetrail.cli import gitdrivers

    text = (Path(__file__).resolve().parent.parent / ".gitattributes").read_text()
    assert gitdrivers.missing_attributes(text) == []
    assert gitdrivers.missing_attributes("") == [
        "cases/**/*.md text eol=lf diff=casetrail merge=casetrail",
        "*.age binary",
    ]


def test_setup_outside_a_git_clone_is_a_clear_error(records: Records) -> None:
    result = records.run("setup")
    assert result.code == 2
    assert "is not the top of a git clone" in result.err


def test_git_commands_are_hidden_from_help_but_setup_is_listed(records: Records) -> None:
    result = records.run("--help")
    assert " setup " in result.out
    assert "textconv" not in result.out and "merge-driver" not in result.out


# --- textconv and git diff -----------------------------------------------------------------


def test_git_diff_shows_decrypted_text_with_a_key_and_a_summary_without(
    records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    rel = repository(records)
    write_section(records, rel, "line 1\nCANARY-DIFF-NEW\n")
    with_key = git(records, "diff").stdout
    assert "+CANARY-DIFF-NEW" in with_key
    assert "-line 2" in with_key
    assert "decrypted: revision 3" in with_key and "decrypted: revision 2" in with_key

    monkeypatch.delenv("CASETRAIL_AGE_KEY_FILE")
    without = git(records, "diff").stdout
    assert "CANARY" not in without and "line 2" not in without
    assert "-[encrypted for 4 recipients, block " in without
    assert "; no key here]" in without
    assert envelope.BEGIN not in without


def test_a_key_that_cannot_read_the_case_gets_the_summary(
    records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    rel = repository(records)
    write_section(records, rel, "CANARY-OUTSIDER\n")
    monkeypatch.setenv("CASETRAIL_AGE_KEY_FILE", str(DEMO_KEYS / "bkoch.agekey"))
    out = git(records, "diff").stdout
    assert "CANARY" not in out
    assert "none of the keys here can read it]" in out


@pytest.mark.parametrize("cache", ["false", "true"])
def test_no_plaintext_reaches_git_s_storage_unless_the_cache_is_turned_on(
    records: Records, cache: str
) -> None:
    """With setup's cachetextconv=false nothing decrypted lands under .git; the control run
    with the cache on shows the search would find it."""
    rel = repository(records)
    write_section(records, rel, "CANARY-CACHE-4471\n")
    commit_all(records, "edit")
    git(records, "config", "--local", "diff.casetrail.cachetextconv", cache)
    assert "CANARY-CACHE-4471" in git(records, "log", "-p").stdout
    assert "CANARY-CACHE-4471" in git(records, "show", "HEAD").stdout
    stored = everything_under_git(records)
    assert (b"CANARY-CACHE-4471" in stored) == (cache == "true")
    assert not list((records.root / ".cache").rglob("*CANARY*"))


def test_textconv_reads_the_case_from_the_front_matter_not_the_file_name(
    records: Records,
) -> None:
    rel = repository(records)
    write_section(records, rel, "CANARY-NAME\n")
    copy = records.write("elsewhere/tmp-blob-1234", (records.root / rel).read_bytes())
    result = records.run("textconv", str(copy))
    assert result.code == 0
    assert "CANARY-NAME" in result.out


def test_textconv_prints_a_file_that_does_not_parse_as_it_is(records: Records) -> None:
    for data in (b"no front matter\n", b"---\n: [\n---\n", b"\xff\xfe\x00 binary", b""):
        path = records.write("broken.md", data)
        result = subprocess.run(
            [*_casetrail(), "textconv", str(path)], cwd=records.root, capture_output=True
        )
        assert (result.returncode, result.stdout, result.stderr) == (0, data, b"")


def test_textconv_never_writes_plaintext_into_a_file(records: Records, tmp_path: Path) -> None:
    rel = repository(records)
    write_section(records, rel, "CANARY-REDIRECT\n")
    target = tmp_path / "out.txt"
    with target.open("wb") as handle:
        subprocess.run(
            [*_casetrail(), "textconv", rel], cwd=records.root, stdout=handle, check=True
        )
    out = target.read_text()
    assert "CANARY" not in out
    assert "not decrypted: standard output is a file]" in out
    piped = subprocess.run(
        [*_casetrail(), "textconv", rel], cwd=records.root, capture_output=True, check=True
    )
    assert b"CANARY-REDIRECT" in piped.stdout


def _casetrail() -> list[str]:
    import sys

    return [sys.executable, "-m", "casetrail"]


def test_a_block_swapped_in_from_another_case_is_refused_in_the_diff(records: Records) -> None:
    rel = repository(records)
    other = records.new_case()
    write_section(records, other, "CANARY-OTHER-CASE\n")
    text = (records.root / rel).read_text()
    swapped = block_of((records.root / other).read_text(), PARTIES)
    (records.root / rel).write_text(text.replace(block_of(text, PARTIES), swapped))
    out = git(records, "diff", "--", rel).stdout
    assert "CANARY" not in out
    assert f"holds a block written for case {case_id_of(records, other)}" in out
    assert "refusing to use it here" in out


# --- merge driver --------------------------------------------------------------------------


def test_different_plain_fields_on_two_branches_merge_cleanly(records: Records) -> None:
    rel = repository(records)
    branches(records)
    replace_line(records, rel, 'title: "Late reply', 'title: "Very late reply')
    commit_all(records, "ours: title")
    git(records, "checkout", "-q", "theirs")
    replace_line(
        records,
        rel,
        "<!-- What was decided and done, without personal data. -->",
        "Apology sent.",
    )
    write_section(records, rel, "CANARY-THEIRS-ONLY\n", title="Account")
    commit_all(records, "theirs: outcome and account")
    git(records, "checkout", "-q", "main")
    result = merge(records)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (records.root / rel).read_text()
    assert 'title: "Very late reply' in text and "Apology sent." in text
    assert read_section(records, rel, "Account").text == "CANARY-THEIRS-ONLY\n"
    assert records.run("check", rel).code == 0


def _edit_both_sides(records: Records, rel: str, ours: str, theirs: str) -> None:
    branches(records)
    write_section(records, rel, ours)
    commit_all(records, "ours")
    git(records, "checkout", "-q", "theirs")
    write_section(records, rel, theirs)
    commit_all(records, "theirs")
    git(records, "checkout", "-q", "main")


BASE_TEXT = "".join(f"line {n}\n" for n in range(1, 8))
OURS_TEXT = BASE_TEXT.replace("line 1\n", "CANARY-OURS\n")
THEIRS_TEXT = BASE_TEXT.replace("line 7\n", "CANARY-THEIRS\n")


def test_an_encrypted_section_changed_on_both_sides_merges_three_way_with_a_key(
    records: Records,
) -> None:
    rel = repository(records)
    _edit_both_sides(records, rel, OURS_TEXT, THEIRS_TEXT)
    result = merge(records)
    assert result.returncode == 0, result.stdout + result.stderr
    merged = read_section(records, rel)
    assert merged.text == BASE_TEXT.replace("line 1\n", "CANARY-OURS\n").replace(
        "line 7\n", "CANARY-THEIRS\n"
    )
    assert merged.revision == 4  # both sides at 3
    text = (records.root / rel).read_text()
    assert "CANARY" not in text
    assert records.run("check", rel).code == 0
    assert "merged with a key here, re-encrypted" in result.stderr


def test_without_a_key_both_sides_changed_is_a_clear_conflict(
    records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    rel = repository(records)
    _edit_both_sides(records, rel, OURS_TEXT, THEIRS_TEXT)
    monkeypatch.delenv("CASETRAIL_AGE_KEY_FILE")
    result = merge(records)
    assert result.returncode != 0
    text = (records.root / rel).read_text()
    assert "CANARY" not in text and "line 2" not in text
    assert "<<<<<<< ours: encrypted section 'Parties' was changed on both sides" in text
    assert "no key here to decrypt it" in text
    assert "casetrail edit" in text
    assert text.count(envelope.BEGIN) == 4  # both blocks of Parties, and the other two
    check = records.run("check", rel)
    assert check.code == 1
    assert "CT012" in check.out


def test_overlapping_edits_conflict_with_a_key_and_write_no_plaintext(records: Records) -> None:
    rel = repository(records)
    _edit_both_sides(
        records,
        rel,
        BASE_TEXT.replace("line 4\n", "CANARY-OURS-4\n"),
        BASE_TEXT.replace("line 4\n", "CANARY-THEIRS-4\n"),
    )
    result = merge(records)
    assert result.returncode != 0
    text = (records.root / rel).read_text()
    assert "CANARY" not in text and "line 4" not in text
    assert "CANARY" not in result.stdout + result.stderr
    assert "both sides changed the same lines of its text" in text
    assert "CT012" in records.run("check", rel).out
    # someone with a key can read the other side to redo its change
    theirs = git(records, "show", f":3:{rel}").stdout.encode()
    shown = subprocess.run(
        [*_casetrail(), "textconv", "-"], input=theirs, capture_output=True, check=True
    )
    assert b"CANARY-THEIRS-4" in shown.stdout
    # each side's block is intact: keeping ours (as the marker lines say) resolves it
    start, middle, end = conflict_region(text)
    lines = text.split("\n")
    ours_block = "\n".join(lines[start + 1 : middle])
    value = cipher.decrypt_section(ours_block, ESCROW, case_id_of(records, rel), PARTIES)
    assert value.text == BASE_TEXT.replace("line 4\n", "CANARY-OURS-4\n")
    (records.root / rel).write_text("\n".join([*lines[:start], ours_block, *lines[end + 1 :]]))
    assert records.run("check", rel).code == 0


def conflict_region(text: str) -> tuple[int, int, int]:
    """Line indexes of the '<<<<<<<', '=======' and '>>>>>>>' lines of the one conflict."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("<<<<<<< ")]
    assert len(starts) == 1, starts
    middle = lines.index("=======", starts[0])
    end = next(i for i in range(middle, len(lines)) if lines[i].startswith(">>>>>>> "))
    return starts[0], middle, end


def test_a_swapped_block_is_refused_by_the_merge_without_printing_it(records: Records) -> None:
    rel = repository(records)
    other = records.new_case()
    write_section(records, other, "CANARY-SWAPPED\n")
    commit_all(records, "other case")
    branches(records)
    write_section(records, rel, OURS_TEXT)
    commit_all(records, "ours")
    git(records, "checkout", "-q", "theirs")
    text = (records.root / rel).read_text()
    swapped = block_of((records.root / other).read_text(), PARTIES)
    (records.root / rel).write_text(text.replace(block_of(text, PARTIES), swapped))
    commit_all(records, "theirs: a block from another case")
    git(records, "checkout", "-q", "main")
    result = merge(records)
    assert result.returncode != 0
    merged = (records.root / rel).read_text()
    assert "CANARY" not in merged + result.stdout + result.stderr
    assert "refusing to use it here" in merged
    assert "CT012" in records.run("check", rel).out


def test_a_conflict_in_the_front_matter_leaves_the_section_unmerged(records: Records) -> None:
    rel = repository(records)
    branches(records)
    replace_line(records, rel, 'title: "Late reply', 'title: "Ours: late reply')
    write_section(records, rel, OURS_TEXT)
    commit_all(records, "ours")
    git(records, "checkout", "-q", "theirs")
    replace_line(records, rel, 'title: "Late reply', 'title: "Theirs: late reply')
    write_section(records, rel, THEIRS_TEXT)
    commit_all(records, "theirs")
    git(records, "checkout", "-q", "main")
    result = merge(records)
    assert result.returncode != 0
    text = (records.root / rel).read_text()
    assert "CANARY" not in text
    assert "the front matter conflicts too" in text
    assert '<<<<<<< ours\ntitle: "Ours: late reply' in text


def test_merge_driver_without_setup_falls_back_to_git_s_text_merge(records: Records) -> None:
    """The control: without the driver, git conflicts on the ciphertext itself."""
    rel = repository(records, setup=False)
    _edit_both_sides(records, rel, OURS_TEXT, THEIRS_TEXT)
    result = merge(records)
    assert result.returncode != 0
    assert "encrypted section 'Parties'" not in (records.root / rel).read_text()


def test_merge_driver_directly_handles_unreadable_versions(records: Records) -> None:
    base = records.write("o", "---\nbroken\n")
    ours = records.write("a", "---\nbroken\nours\n")
    theirs = records.write("b", "---\nbroken\n")
    result = records.run("merge-driver", str(base), str(ours), str(theirs), "cases/x.md")
    assert result.code == 0, result.err
    assert ours.read_text() == "---\nbroken\nours\n"


# --- the pure three-way merge --------------------------------------------------------------


def test_merge_lines_examples() -> None:
    base = "a\nb\nc\nd\ne\n"
    assert merge3.merge_lines(base, "A\nb\nc\nd\ne\n", "a\nb\nc\nd\nE\n") == "A\nb\nc\nd\nE\n"
    assert merge3.merge_lines(base, "a\nb\nX\nd\ne\n", "a\nb\nY\nd\ne\n") is None
    assert merge3.merge_lines(base, "a\nb\nX\nd\ne\n", "a\nb\nX\nd\ne\n") == "a\nb\nX\nd\ne\n"
    assert merge3.merge_lines("", "x\n", "y\n") is None  # two insertions at one place
    assert merge3.merge_lines(base, "a\nc\nd\ne\n", "a\nb\nc\nd\ne\nf\n") == "a\nc\nd\ne\nf\n"
    assert merge3.merge_lines("a\n", "a\nb\n", "c\na\n") == "c\na\nb\n"
    assert merge3.merge_lines("a", "a\nb", "c\na") is None  # "a" and "a\\n" differ


lines = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "d\n", "\n"]), max_size=12).map("".join)


@given(lines, lines)
def test_merge_lines_takes_the_only_change(base: str, other: str) -> None:
    assert merge3.merge_lines(base, other, base) == other
    assert merge3.merge_lines(base, base, other) == other
    assert merge3.merge_lines(base, other, other) == other


@given(lines, lines, lines)
def test_merge_lines_is_symmetric(base: str, ours: str, theirs: str) -> None:
    merged = merge3.merge_lines(base, ours, theirs)
    assert (merged is None) == (merge3.merge_lines(base, theirs, ours) is None)
    if merged is not None:
        assert merge3.merge_lines(ours, merged, ours) == merged


# Texts without repeated lines: with repeats, a three-way merge may align a line with any of
# its copies (git merge-file too), so merging again can pair them differently.
distinct_lines = st.lists(
    st.sampled_from(["a\n", "b\n", "c\n", "d\n", "e\n", "f\n"]), max_size=6, unique=True
).map("".join)


@given(distinct_lines, distinct_lines, distinct_lines)
def test_merge_lines_keeps_both_sides_changes(base: str, ours: str, theirs: str) -> None:
    """What ours changed and theirs kept is in the result, and vice versa: merging the result
    with either side again changes nothing."""
    merged = merge3.merge_lines(base, ours, theirs)
    if merged is not None:
        assert merge3.merge_lines(base, merged, ours) in (merged, None)
        assert merge3.merge_lines(base, merged, theirs) in (merged, None)
