"""`casetrail log CASE` against a known signed history (tests/historykit.py): every commit that
touched the case, in order, with its author, signer and verification status, and what changed in
words; renames and merges included; the JSON has the same entries.

Phrases come from core/timeline.py; the tests look for the key words only, so wording may change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from historykit import History


@dataclass
class Known:
    kit: History
    cid: str
    # (commit id, committer handle, signer handle or None, status, key phrases), oldest first
    steps: list[tuple[str, str, str | None, str, tuple[str, ...]]]
    unrelated: list[str]


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> Known:
    kit = History.create(tmp_path_factory.mktemp("log"))
    steps: list[tuple[str, str, str | None, str, tuple[str, ...]]] = []
    unrelated = []

    def add(
        who: str, commit: str, *phrases: str, signer: str | None = "", status: str = "good"
    ) -> None:
        steps.append((commit, who, who if signer == "" else signer, status, phrases))

    # Registered, but first filed under the wrong year's folder by an import script, then moved
    # to its own path (the same ID): the log follows the rename back to the registration.
    path = kit.new_case("Late reply to a records request", priority="medium")
    cid = Path(path).stem
    misfiled = f"cases/2025/{cid}.md"
    (kit.root / "cases" / "2025").mkdir()
    (kit.root / path).rename(kit.root / misfiled)
    add("amartin", kit.commit("amartin", f"Register {cid}"), "created", "status new")
    kit.git("mv", misfiled, path)
    add(
        "hlindqvist",
        kit.commit("hlindqvist", f"File {cid} under its own year"),
        "renamed from cases/2025/",
    )
    unrelated.append(kit.commit("hlindqvist", "Notes", files={"notes/readme.txt": "hello\n"}))
    add(
        "amartin",
        kit.step("amartin", "Assess", "assess", cid, "--by", "amartin"),
        "assessed by amartin",
    )
    kit.ok("assign", cid, "--by", "fweber", "--handler", "bkoch", "--approved-by", "fweber",
           "--rationale", "expertise", "--why-not-top", "continuity")  # fmt: skip
    add("fweber", kit.commit("fweber", "Assign"), "status new -> assigned", "handler bkoch")
    add(
        "bkoch",
        kit.step("bkoch", "Ack", "ack", cid, "--by", "bkoch"),
        "assigned -> in_progress",
        "acknowledged",
    )
    add("bkoch", kit.step("bkoch", "Follow-up", "followup", "add", cid, "--by", "bkoch",
                          "--title", "Call back", "--owner", "bkoch", "--due", "2026-12-01"),
        "follow-up F1 added")  # fmt: skip
    add("bkoch", kit.step("bkoch", "Priority", "priority", cid, "high", "--by", "bkoch",
                          "--reason", "safety risk found"),
        "medium -> high", "safety risk found")  # fmt: skip
    kit.ok("section", "set", cid, "Parties", stdin=b"S1: Jordan Example (fictional)\n")
    add("bkoch", kit.commit("bkoch", "Parties"), '"Parties"', "encrypted")
    outside = kit.home / "letter.txt"
    outside.write_text("A fictional letter.\n")
    kit.ok("attach", cid, str(outside), "--by", "bkoch", "--kind", "correspondence")
    add("bkoch", kit.commit("bkoch", "Attach the letter"), "attached")
    kit.ok("review", cid, "--by", "bkoch", "--summary", "on track")
    add("bkoch", kit.unsigned_commit("bkoch", "Review, unsigned"), "review by bkoch",
        signer=None, status="unsigned")  # fmt: skip
    add("bkoch", kit.step("bkoch", "F1 done", "followup", "done", cid, "F1", "--by", "bkoch",
                          "--outcome", "Called back"),
        "follow-up F1 done")  # fmt: skip
    kit.branch("close")
    add("bkoch", kit.request_closure(cid), "-> closure_requested", "closure requested")
    add("hlindqvist", kit.close(cid), "-> closed", "closed by hlindqvist")
    add("fweber", kit.merge("fweber", "close"), "-> closed")
    return Known(kit, cid, steps, unrelated)


def entries_of(data: Any) -> list[dict[str, Any]]:
    """The timeline entries of `log --format json` (a list, or under a conventional key)."""
    if isinstance(data, dict):
        for key in ("entries", "timeline", "commits", "events"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    assert isinstance(data, list), f"no list of entries in {data!r:.300}"
    return data


def commit_of(entry: dict[str, Any]) -> str:
    value = entry.get("commit", entry.get("id"))
    assert isinstance(value, str), entry
    return value


@pytest.fixture(scope="module")
def as_json(known: Known) -> list[dict[str, Any]]:
    result = known.kit.casetrail("log", known.cid, "--format", "json")
    assert result.code == 0, str(result)
    return entries_of(json.loads(result.out))


@pytest.fixture(scope="module")
def as_text(known: Known) -> str:
    result = known.kit.casetrail("log", known.cid)
    assert result.code == 0, str(result)
    return result.out


def test_every_commit_that_touched_the_case_in_order(
    known: Known, as_json: list[dict[str, Any]]
) -> None:
    assert [commit_of(e) for e in as_json] == [s[0] for s in known.steps]
    assert not {commit_of(e) for e in as_json} & set(known.unrelated)


def test_who_signed_and_whether_it_verifies(known: Known, as_json: list[dict[str, Any]]) -> None:
    for entry, (commit, who, signer, status, _) in zip(as_json, known.steps, strict=True):
        flat = json.dumps(entry)
        assert known.kit.people[who][0] in flat or who in flat, (commit[:12], entry)
        assert entry.get("signer") == signer, (commit[:12], entry)
        assert entry.get("verification") == status, (commit[:12], entry)
        assert entry.get("merge") is (commit == known.steps[-1][0]), (commit[:12], entry)


def test_what_changed_in_words(known: Known, as_json: list[dict[str, Any]]) -> None:
    for entry, (commit, _, _, _, phrases) in zip(as_json, known.steps, strict=True):
        flat = json.dumps(entry).lower()
        for phrase in phrases:
            assert phrase.lower() in flat, (commit[:12], phrase, entry)


def test_text_lists_the_same_entries_in_order(known: Known, as_text: str) -> None:
    text = as_text.lower()
    starts = [text.find(commit[:7]) for commit, *_ in known.steps]
    assert -1 not in starts and starts == sorted(starts), (
        f"entries missing or out of order:\n{as_text}"
    )
    for (commit, who, signer, status, phrases), at, nxt in zip(
        known.steps, starts, [*starts[1:], len(text)], strict=True
    ):
        block = text[at:nxt]
        assert status in block, (commit[:12], status, block)
        if signer:
            assert signer in block, (commit[:12], signer, block)
        assert who in block or known.kit.people[who][0].lower() in block, (commit[:12], block)
        for phrase in phrases:
            assert phrase.lower() in block, (commit[:12], phrase, block)
    assert "merge" in text[starts[-1] - 30 : starts[-1]], as_text  # the merge is marked


def test_the_case_by_path_and_in_any_case_spelling(
    known: Known, as_json: list[dict[str, Any]]
) -> None:
    for ref in (known.kit.case_path(known.cid), known.cid.lower()):
        result = known.kit.casetrail("log", ref, "--format", "json")
        assert result.code == 0, str(result)
        assert [commit_of(e) for e in entries_of(json.loads(result.out))] == [
            commit_of(e) for e in as_json
        ]


def test_an_unknown_case_is_a_usage_error(known: Known) -> None:
    result = known.kit.casetrail("log", "2026-AAAAAA0")
    assert result.code == 2, str(result)


def test_a_case_on_a_branch_only_shows_the_branch_commits(known: Known, tmp_path: Path) -> None:
    kit = known.kit.fork(tmp_path / "fork")
    kit.branch("another")
    cid = kit.register("Second case on a branch")
    kit.commit("hlindqvist", "Notes", files={"notes/more.txt": "more\n"})
    result = kit.casetrail("log", cid, "--format", "json")
    assert result.code == 0, str(result)
    entries = entries_of(json.loads(result.out))
    assert [commit_of(e) for e in entries] == [kit.head("HEAD~1")]


def test_log_and_audit_agree_on_a_self_authorised_key(tmp_path: Path) -> None:
    """A key that entered the roster through a commit signed with itself signs nothing, in the
    log as in the audit, even where no audit has run in the clone yet."""
    kit = History.create(tmp_path / "h")
    cid = kit.register()
    kit.assign(cid, "bkoch")
    key = kit.fresh_key("bkoch-new")
    kit.add_key("bkoch", kit.public_key(key), "2026-11-16")
    kit.ok("review", cid, "--by", "bkoch", "--summary", "signed in with my own key")
    adds = kit.commit("bkoch", "Roster: my new key, and a review", key=key)
    kit.ok("review", cid, "--by", "bkoch", "--summary", "and again")
    later = kit.commit("bkoch", "Review", key=key)
    result = kit.casetrail("log", cid, "--format", "json")
    assert result.code == 0, str(result)
    status = {commit_of(e): e["verification"] for e in entries_of(json.loads(result.out))}
    assert status[adds] == "key not in roster"
    assert status[later] != "good", status
    audit = kit.casetrail("audit", "--no-record", "--format", "json")
    flagged = {f["commit"] for f in json.loads(audit.out)["findings"] if f["severity"] == "error"}
    assert {adds, later} <= flagged, audit.out
