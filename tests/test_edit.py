"""`casetrail edit` with a scripted editor: the one place plaintext touches a disk.

The fake editor is a small Python script run as `$EDITOR`. What it does on each invocation
comes from $FAKE_EDITOR_PLAN (a JSON list, one step per invocation, the last one repeating);
each invocation appends what it saw (path, modes, whether findings were shown) to the JSON-lines
file $FAKE_EDITOR_LOG. Both live outside the repository.
"""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from casetrail.core import editview
from conftest import Records, Run
from test_lifecycle_refusals import assert_refused, case_rel, walk
from test_secrets import (
    ASSIGN,
    BKOCH_LEAVES,
    CANARY,
    PARTIES,
    attachments,
    blocks,
    case_file,
    casetrail,
    check_passes,
    opened,
    roster_edit,
    sealed_case,
    set_section,
)

EDITOR_SCRIPT = r"""
import json, os, signal, stat, sys, time

path = sys.argv[-1]
log = os.environ["FAKE_EDITOR_LOG"]
plan = json.loads(os.environ["FAKE_EDITOR_PLAN"])
count = sum(1 for _ in open(log)) if os.path.exists(log) else 0
step = plan[min(count, len(plan) - 1)]
with open(path, encoding="utf-8") as handle:
    text = handle.read()
entry = {
    "path": path,
    "mode": stat.S_IMODE(os.stat(path).st_mode),
    "folder_mode": stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode),
    "findings": "The last save was not written" in text,
    "notice": text.split("\n-->\n")[0] if text.startswith("<!-- casetrail edit") else None,
}
with open(log, "a") as handle:
    handle.write(json.dumps(entry) + "\n")
for old, new in step.get("replace", []):
    if old not in text:
        sys.exit(97)
    text = text.replace(old, new, 1)
if step.get("replace"):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
if step.get("backup"):  # as editors do: a backup beside the file, with the plaintext
    with open(path + "~", "w", encoding="utf-8") as handle:
        handle.write(text)
if "kill" in step:
    os.kill(os.getppid(), getattr(signal, step["kill"]))
    time.sleep(step.get("sleep", 0))
sys.exit(step.get("exit", 0))
"""

BEGIN = "<!-- casetrail:begin encrypted section: {} -->\n"
END = "<!-- casetrail:end encrypted section: {} -->\n"


class Editor:
    """The fake editor's plan and what it logged."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = tmp_path / "editor"
        self.folder.mkdir()
        script = self.folder / "fake_editor.py"
        script.write_text(EDITOR_SCRIPT)
        self.log = self.folder / "log.jsonl"
        self.monkeypatch = monkeypatch
        monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}")
        monkeypatch.setenv("FAKE_EDITOR_LOG", str(self.log))

    def plan(self, *steps: dict[str, Any]) -> None:
        self.log.unlink(missing_ok=True)
        self.monkeypatch.setenv("FAKE_EDITOR_PLAN", json.dumps(list(steps)))

    def seen(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Editor:
    return Editor(tmp_path, monkeypatch)


def replace(*pairs: tuple[str, str], **more: Any) -> dict[str, Any]:
    return {"replace": [list(pair) for pair in pairs], **more}


def edit(records: Records, case_id: str, runs: list[Run]) -> Run:
    result = records.run("edit", case_id)
    runs.append(result)
    return result


def assert_private(records: Records, seen: list[dict[str, Any]]) -> None:
    """Every file the editor saw was private, outside the repository, and is gone."""
    assert seen
    for entry in seen:
        path = Path(entry["path"])
        assert not path.resolve().is_relative_to(records.root.resolve())
        assert entry["mode"] == 0o600 and entry["folder_mode"] == 0o700, entry
        assert not path.exists() and not path.parent.exists(), path


def everything_in(root: Path) -> bytes:
    """Every byte of every file under root, .git and caches included."""
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def git_objects(records: Records) -> bytes:
    return subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"],
        cwd=records.root,
        check=True,
        capture_output=True,
    ).stdout


def commit(records: Records, message: str) -> None:
    records.git("add", "-A")
    records.git("commit", "-q", "--allow-empty", "-m", message)


# ---- 7. a scripted session ----


def test_a_scripted_edit_session_leaves_no_plaintext_anywhere(
    records: Records, editor: Editor, monkeypatch: pytest.MonkeyPatch
) -> None:
    canary_notes = f"{CANARY}-NOTES"
    canary_account = f"{CANARY}-ACCOUNT"
    canary_lost = f"{CANARY}-ABANDONED"
    records.git("init", "-q")
    runs: list[Run] = []
    case_id = walk(records, "assigned")
    commit(records, "assigned")
    path = case_file(records, case_id)
    notes_prompt = "<!-- Dated notes after each interaction. -->"
    account_prompt = "<!-- The complaint as the complainant tells it. -->"

    # 1. A sensitive section gets a note; the other blocks stay byte-identical.
    old_blocks, old_values = blocks(records, case_id), opened(records, case_id)
    editor.plan(replace((notes_prompt, f"2026-11-23: called; {canary_notes}"), backup=True))
    result = edit(records, case_id, runs)
    assert result.code == 0 and f"{case_rel(case_id)}: updated Progress notes" in result.out
    assert len(editor.seen()) == 1 and editor.seen()[0]["notice"].startswith(
        f"<!-- casetrail edit of case {case_id}"
    )
    assert_private(records, editor.seen())
    backup = Path(editor.seen()[0]["path"] + "~")  # the editor's own copy, plaintext and all
    new_blocks, new_values = blocks(records, case_id), opened(records, case_id)
    assert new_values["Progress notes"].text == f"2026-11-23: called; {canary_notes}\n"
    assert new_values["Progress notes"].revision == old_values["Progress notes"].revision + 1
    for title in ("Parties", "Account"):
        assert new_blocks[title] == old_blocks[title]
    check_passes(records)
    commit(records, "notes")

    # 2. An invalid front matter is shown back with the findings; the second save fixes it.
    before = path.read_bytes()
    editor.plan(
        replace(("priority: medium", "priority: urgent"), (account_prompt, canary_account)),
        replace(("priority: urgent", "priority: medium")),
    )
    result = edit(records, case_id, runs)
    assert result.code == 0 and "updated Account" in result.out, result.err
    first, second = editor.seen()
    assert not first["findings"] and second["findings"]
    assert second["notice"].startswith(f"<!-- casetrail edit of case {case_id}:")
    assert "priority" in second["notice"] and canary_account not in second["notice"]
    assert_private(records, editor.seen())
    assert path.read_bytes() != before
    assert opened(records, case_id)["Account"].text == f"{canary_account}\n"
    assert "\npriority: medium\n" in path.read_text()
    check_passes(records)
    commit(records, "account")

    # 3. The editor exits with an error (vim's :cq): abandoned, byte-identical.
    before = records.snapshot()
    editor.plan(replace((canary_account, canary_lost), exit=1))
    result = edit(records, case_id, runs)
    assert result.code == 1 and "edit abandoned; nothing written" in result.err
    assert records.snapshot() == before
    assert_private(records, editor.seen())

    # 4. A marker line removed: the findings say so; the editor then gives up.
    end_parties = END.format("Parties")
    for giving_up in ({"exit": 1}, {}):  # an error exit, or an unchanged save
        editor.plan(replace((end_parties, ""), (canary_account, canary_lost)), giving_up)
        result = edit(records, case_id, runs)
        assert result.code == 1 and "edit abandoned; nothing written" in result.err
        first, second = editor.seen()
        assert second["findings"] and "begins inside 'Parties'" in second["notice"]
        assert records.snapshot() == before
        assert_private(records, editor.seen())

    # 5. Plaintext typed outside the markers of a sensitive section is never written in clear.
    editor.plan(replace((END.format("Account"), END.format("Account") + canary_lost + "\n")), {})
    result = edit(records, case_id, runs)
    assert result.code == 1
    assert "has text after the END line" in editor.seen()[1]["notice"]
    assert canary_lost not in editor.seen()[1]["notice"]
    assert records.snapshot() == before

    # 6. Saved without a change: nothing written.
    editor.plan({})
    result = edit(records, case_id, runs)
    assert result.code == 0 and "no changes; nothing written" in result.out
    assert records.snapshot() == before
    commit(records, "after the session")

    for canary in (CANARY, canary_notes, canary_account, canary_lost):
        assert canary.encode() not in everything_in(records.root), canary
        assert canary.encode() not in git_objects(records), canary
        for run in runs:
            assert canary not in run.out and canary not in run.err, run
    # The canaries are there, for those who may read them.
    shown = records.run("show", case_id, "--decrypt")
    assert canary_notes in shown.out and canary_account in shown.out
    assert canary_lost not in shown.out
    # Editors' backup files went with the private folder.
    assert not backup.exists() and not backup.parent.exists()


def test_an_edit_of_a_plain_section_keeps_every_block(
    records: Records, editor: Editor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case_id = sealed_case(records, monkeypatch, tmp_path)
    old_blocks = blocks(records, case_id)
    summary = "<!-- What the complaint is about, in non-identifying words. -->"
    editor.plan(replace((summary, "A reply to a records request came late.")))
    result = records.run("edit", case_id)
    assert result.code == 0, result.err
    assert result.out == f"{case_rel(case_id)}: saved; no encrypted section changed\n"
    assert blocks(records, case_id) == old_blocks
    assert "A reply to a records request came late." in case_file(records, case_id).read_text()
    check_passes(records)


def test_a_section_holding_a_marker_line_is_not_opened_in_the_editor(
    records: Records, editor: Editor, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = walk(records, "new")
    text = f"quoted:\n{BEGIN.format('Account')}{CANARY}\n"
    assert set_section(records, monkeypatch, case_id, "Parties", text).code == 0
    editor.plan({})
    before = records.snapshot()
    result = records.run("edit", case_id)
    assert_refused(result, "section 'Parties' holds a casetrail marker line", "section set")
    assert CANARY not in result.err
    assert editor.seen() == [] and records.snapshot() == before


def test_the_notice_is_not_confused_by_what_a_section_says(
    records: Records, editor: Editor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Markdown headings and HTML comments inside a section are the section's own text."""
    case_id = walk(records, "new", assign=ASSIGN)
    tricky = "## Not a heading of the case\n\n<!-- a comment -->\n-->\n"
    assert set_section(records, monkeypatch, case_id, "Parties", tricky).code == 0
    editor.plan(replace((tricky.rstrip("\n"), tricky + PARTIES.rstrip("\n"))))
    assert records.run("edit", case_id).code == 0
    assert opened(records, case_id)["Parties"].text == tricky + PARTIES
    assert editview.NOTICE_START not in case_file(records, case_id).read_text()


# ---- 8. killed between the private file and the case ----


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_a_killed_edit_leaves_the_case_as_it_was(
    records: Records, editor: Editor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sig: str
) -> None:
    case_id = sealed_case(records, monkeypatch, tmp_path)
    before = records.snapshot()
    editor.plan(
        # After SIGTERM the editor lingers until casetrail stops it; after SIGKILL it just exits.
        replace(
            ("Jane Example", "Jane Changed"),
            kill=sig,
            sleep=30 if sig == "SIGTERM" else 0,
            backup=True,
        )
    )
    done = casetrail(records.root, "edit", case_id, capture_output=True, timeout=60)
    (entry,) = editor.seen()
    private = Path(entry["path"]).parent
    try:
        assert records.snapshot() == before
        if sig == "SIGKILL":
            assert done.returncode == -signal.SIGKILL
        else:
            assert done.returncode == 130, done.stderr
            assert b"interrupted" in done.stderr and b"Traceback" not in done.stderr
            assert not private.exists(), "the private folder outlived a SIGTERM"
        assert CANARY.encode() not in done.stdout + done.stderr
    finally:
        if private.exists():  # SIGKILL cannot be caught: the folder is left, in RAM if possible
            for child in private.iterdir():
                child.unlink()
            private.rmdir()


def test_regions_moved_under_another_heading_are_not_written(
    records: Records, editor: Editor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Swapping two regions, markers and all, would leave each block under the other's
    heading: a swapped block that nobody could read back. The save is shown again instead."""
    case_id = sealed_case(records, monkeypatch, tmp_path)
    view = editview.render(
        case_file(records, case_id).read_text(),
        blocks(records, case_id),
        {title: value.text for title, value in opened(records, case_id).items()},
        "",
    )

    def region(title: str) -> str:
        start = view.index(BEGIN.format(title))
        return view[start : view.index(END.format(title)) + len(END.format(title))]

    parties, account = region("Parties"), region("Account")
    swapped = "\x00"
    before = records.snapshot()
    editor.plan(
        replace((parties, swapped), (account, parties), (swapped, account)),
        {"exit": 1},
    )
    result = records.run("edit", case_id)
    assert result.code == 1 and "edit abandoned" in result.err
    _, second = editor.seen()
    assert second["findings"] and "under the heading" in second["notice"], second["notice"]
    assert records.snapshot() == before
    assert records.run("show", case_id, "--decrypt").code == 0


def test_an_edit_after_a_roster_change_leaves_nothing_for_rekey(
    records: Records, editor: Editor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case_id = sealed_case(records, monkeypatch, tmp_path)
    roster_edit(records, *BKOCH_LEAVES)
    editor.plan(replace(("Jane Example", "Jane Example-Smith")))
    result = records.run("edit", case_id)
    assert result.code == 0
    assert result.out == (
        f"{case_rel(case_id)}: updated Parties; re-encrypted Account, Progress notes for the "
        "current recipients; re-encrypted 1 document(s)\n"
    )
    keysets = {value.keyset for value in opened(records, case_id).values()}
    assert {entry["keyset"] for entry in attachments(records, case_id)} == keysets
    check_passes(records)
    before = records.snapshot()
    assert "in 0 case(s); 0 failed" in records.run("rekey", "--all").out
    assert records.snapshot() == before
