"""Attacks on the audit log found in review, each a real signed history that must fail
`casetrail audit` (or, for honest ones, pass): tests/historykit.py builds them."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from historykit import Finding, History


def audited(kit: History) -> tuple[int, dict[str, set[str | None]]]:
    code, found, _ = kit.audit_json("--no-record")
    return code, _codes(found)


def _codes(found: list[Finding]) -> dict[str, set[str | None]]:
    codes: dict[str, set[str | None]] = {}
    for f in found:
        codes.setdefault(f.code, set()).add(f.commit)
    return codes


def close_on_branch(kit: History, cid: str) -> str:
    kit.branch("close")
    kit.request_closure(cid)
    return kit.close(cid, "fweber")


@pytest.fixture
def closed(kit: History, cid: str) -> History:
    close_on_branch(kit, cid)
    kit.merge("fweber", "close")
    return kit


def test_a_handler_cannot_add_a_key_to_a_supervisors_entry(kit: History, cid: str) -> None:
    key = kit.fresh_key("not-fweber")
    kit.add_key("fweber", kit.public_key(key), "2026-11-01")
    tidy = kit.commit("bkoch", "Roster: tidy")
    close_on_branch(kit, cid)
    merge = kit.merge("fweber", "close", key=key)  # bkoch holds the key, commits as fweber
    code, codes = audited(kit)
    assert code == 1 and codes.get("CT809") == {tidy} and merge in codes.get("CT803", set())


def test_a_trust_root_moved_over_a_closure_on_main(kit: History, cid: str) -> None:
    kit.request_closure(cid)
    closing = kit.close(cid)  # straight on main
    kit.set_trust_root(closing)
    moved = kit.commit("bkoch", "Policy: move the trust root")
    code, codes = audited(kit)
    assert code == 1 and codes.get("CT810") == {closing}
    assert moved in codes.get("CT842", set()) and moved in codes.get("CT809", set())


def test_a_trust_root_that_is_a_ref_name_is_refused(tmp_path: Path) -> None:
    kit = History.create(tmp_path / "ref", trust_root=False)
    policy = kit.root / "schema" / "policy.yaml"
    policy.write_text(re.sub(r"(?m)^trust_root: .*$", 'trust_root: "HEAD"', policy.read_text()))
    kit.commit("hlindqvist", "Policy: trust root HEAD")
    code, codes = audited(kit)
    assert code == 1 and "CT841" in codes


def test_a_closed_case_moved_out_edited_and_moved_back(closed: History, cid: str) -> None:
    kit = closed
    path = kit.case_path(cid)
    kit.git("mv", path, "attic.md")
    out = kit.commit("bkoch", "move")
    kit.write("attic.md", kit.read("attic.md").replace("Answer sent", "Nothing was sent"))
    kit.commit("bkoch", "edit")
    kit.git("mv", "attic.md", path)
    back = kit.commit("bkoch", "move back")
    code, codes = audited(kit)
    assert code == 1 and codes.get("CT820") == {out} and codes.get("CT810") == {back}


def test_a_case_closed_while_parked_outside_the_records(kit: History, cid: str) -> None:
    path = kit.case_path(cid)
    kit.ok("stakeholder", "add", cid, "--by", "bkoch", "--role", "complainant")
    kit.ok("stakeholder", "closure", cid, "S1", "--by", "bkoch", "--agreement", "agreed")
    kit.ok("request-closure", cid, "--by", "bkoch", "--outcome", "resolved",
           "--summary", "x", "--lessons", "y")  # fmt: skip
    kit.ok("close", cid, "--by", "hlindqvist", "--approved-by", "fweber")
    closed_text = kit.read(path)
    kit.git("checkout", "--", path)
    kit.git("mv", path, "parked.md")
    kit.commit("bkoch", "park")
    kit.write("parked.md", closed_text)
    kit.commit("bkoch", "edit parked")
    kit.git("mv", "parked.md", path)
    back = kit.commit("bkoch", "unpark")
    code, codes = audited(kit)
    assert code == 1 and codes.get("CT810") == {back}


def test_a_quoted_status_key_does_not_hide_a_closure(kit: History, cid: str) -> None:
    kit.request_closure(cid)
    kit.ok("close", cid, "--by", "hlindqvist", "--approved-by", "fweber")
    path = kit.case_path(cid)
    kit.write(path, kit.read(path).replace("\nstatus: closed\n", '\n"status": closed\n', 1))
    closing = kit.commit("hlindqvist", "Close")
    code, codes = audited(kit)
    assert code == 1 and codes.get("CT810") == {closing}


def test_an_evil_merge_cannot_add_a_future_entry(kit: History, cid: str) -> None:
    kit.branch("work")
    kit.commit("bkoch", "notes", files={"notes/a.txt": "a\n"})
    kit.checkout("main")
    kit.git("merge", "-q", "--no-ff", "--no-commit", "work")
    path = kit.case_path(cid)
    future = '\nreviewed_at: "2030-01-01T00:00:00+00:00"\nstatus:'
    kit.write(path, kit.read(path).replace("\nstatus:", future, 1))
    merge = kit.commit("fweber", "Merge work")
    code, codes = audited(kit)
    assert code == 1 and codes.get("CT830") == {merge}


def test_a_reopening_needs_a_supervisor(closed: History, cid: str) -> None:
    kit = closed
    path = kit.case_path(cid)
    text = kit.read(path).replace("\nstatus: closed\n", "\nstatus: in_progress\n", 1)
    text = text.replace("\nretention:", '\nreopenings:\n  - at: "2026-11-20T10:00:00+01:00"\n'
                        "    by: bkoch\n    reason: more to do\nretention:", 1)  # fmt: skip
    kit.write(path, text)
    reopened = kit.commit("bkoch", "Reopen")
    code, codes = audited(kit)
    assert code == 1 and codes.get("CT820") == {reopened}


def test_rekey_of_a_closed_case_after_a_roster_change_passes(closed: History, cid: str) -> None:
    kit = closed
    kit.add_role("cnguyen", "supervisor")
    kit.commit("hlindqvist", "Roster: cnguyen supervises")
    kit.ok("rekey", cid)
    kit.commit("hlindqvist", "Rekey")
    code, codes = audited(kit)
    assert code == 0, codes


def test_verdicts_do_not_depend_on_the_time_zone_of_head(kit: History, cid: str) -> None:
    """A later policy change of time zone must not change an earlier commit's verdict."""
    kit.end_key("bkoch", "2026-11-16")
    kit.commit("hlindqvist", "Roster: bkoch leaves", date=datetime.fromisoformat("2026-11-16T20:00:00+01:00"))  # fmt: skip
    kit.now = datetime.fromisoformat("2026-11-17T00:30:00+01:00")
    kit.ok("review", cid, "--by", "bkoch", "--summary", "late")
    late = kit.commit("bkoch", "Review after midnight", date=kit.now)
    policy = kit.root / "schema" / "policy.yaml"
    zone = re.sub(r"(?m)^(\s+timezone:).*$", r"\1 Etc/GMT+12", policy.read_text(), count=1)
    policy.write_text(zone)
    kit.commit("hlindqvist", "Policy: time zone")
    cached = audited(kit)[1]
    for store in (kit.root / ".git" / "casetrail").glob("verdicts*"):
        store.unlink()
    fresh = audited(kit)[1]
    assert late in cached.get("CT805", set()) and late in fresh.get("CT805", set())
