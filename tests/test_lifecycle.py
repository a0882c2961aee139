"""The procedure end to end through the real CLI on a real git repository: intake to closure
for each priority, business-time dues, suggestions, reassignment, reopening, the views."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from casetrail.core import yamlstrict
from conftest import Records


def front(records: Records, path: str) -> dict[str, object]:
    text = (records.root / path).read_text()
    value = yamlstrict.load(text.split("---\n")[1]).value
    assert isinstance(value, dict)
    return value


def ok(records: Records, *args: str) -> str:
    result = records.run(*args)
    assert result.code == 0, f"{args}: {result.err}{result.out}"
    return result.out


def case_id(path: str) -> str:
    return Path(path).stem


def new(records: Records, priority: str, case_type: str = "complaint") -> str:
    out = ok(
        records,
        *("new", "--by", "amartin", "--format", "json", "--type", case_type),
        *("--priority", priority, "--title", "Delayed answer to a benefits question"),
    )
    return str(json.loads(out)["path"])


def commit(records: Records, message: str) -> None:
    records.git("add", "-A")
    records.git("commit", "-q", "-m", message)
    # Every committed step is valid and a transition the procedure allows.
    assert records.run("check", "--strict").code == 0, records.run("check").out


def walk_to_closure(records: Records, path: str, handler: str = "bkoch") -> None:
    cid = case_id(path)
    steps = [
        ("assess", cid, "--by", "amartin", "--notes", "complete intake form"),
        ("verify", cid, "--by", "gharris"),
        (
            *("assign", cid, "--by", "fweber", "--handler", handler, "--approved-by", "fweber"),
            *("--rationale", "complaints expertise and capacity", "--why-not-top", "continuity"),
        ),
        ("ack", cid, "--by", handler),
        ("stakeholder", "add", cid, "--by", handler, "--role", "complainant"),
        (
            "contact",
            cid,
            "--by",
            handler,
            "--stakeholder",
            "S1",
            "--channel",
            "email",
            "--summary",
            "Acknowledged the complaint",
        ),
        (
            "followup",
            "add",
            cid,
            "--by",
            handler,
            "--title",
            "Ask the team",
            "--owner",
            handler,
            "--due",
            "2026-11-24",
        ),
        ("followup", "done", cid, "F1", "--by", handler, "--outcome", "Team confirmed the delay"),
        ("review", cid, "--by", handler, "--summary", "Answer drafted"),
        ("stakeholder", "closure", cid, "S1", "--by", handler, "--agreement", "agreed"),
        (
            *("request-closure", cid, "--by", handler, "--outcome", "resolved"),
            *("--summary", "Answer sent", "--lessons", "Track benefit questions weekly"),
        ),
        ("close", cid, "--by", "hlindqvist", "--approved-by", "gharris"),
    ]
    for step in steps:
        ok(records, *step)
        commit(records, " ".join(step[:2]))


@pytest.fixture
def repo(records: Records) -> Records:
    records.git("init", "-q")
    records.git("commit", "-q", "--allow-empty", "-m", "root")
    return records


# Registered Monday 2026-11-23 10:00 Berlin (the fixed test clock); office hours 09-17 Mon-Fri.
DUES = {
    "high": ("2026-11-23T14:00:00+01:00", "2026-11-24T10:00:00+01:00"),  # 4 bh; 1 bd
    "medium": ("2026-11-24T10:00:00+01:00", "2026-11-26T10:00:00+01:00"),  # 1 bd; 3 bd
    "low": ("2026-11-25T10:00:00+01:00", "2026-11-30T10:00:00+01:00"),  # 2 bd; 5 bd over a weekend
}


@pytest.mark.parametrize("priority", ["high", "medium", "low"])
def test_each_priority_from_intake_to_closure(repo: Records, priority: str) -> None:
    path = new(repo, priority)
    due = front(repo, path)["due"]
    assert isinstance(due, dict)
    assert (due["assignment"], due["resolution"]) == DUES[priority]
    assert due["intake"] == "2026-11-24T10:00:00+01:00"
    assert "office-v1" in due["calendar"] and "holidays" in due["calendar"]
    commit(repo, "register")
    walk_to_closure(repo, path)
    data = front(repo, path)
    assert data["status"] == "closed"
    closure = data["closure"]
    assert isinstance(closure, dict)
    ticks = {item["item"]: item["done_by"] for item in closure["checklist"]}
    assert ticks == {
        "actions_documented": "bkoch",
        "integrity_verified": "bkoch",
        "approvals_obtained": "gharris",
        "retention_scheduled": "hlindqvist",
        "access_revoked": "hlindqvist",
    }
    assert data["retention"] == {
        "until": "2032-11-23",
        "disposition": "destroy",
        "rule": "policy complaint: 6 years from closure, then destroy",
    }
    status = json.loads(ok(repo, "status", case_id(path), "--format", "json"))
    assert {t["target"]: t["state"] for t in status["targets"]} == {
        "intake": "met",
        "selection": "met",
        "assignment": "met",
        "notification": "met",
        "acknowledgement": "met",
        "resolution": "met",
    }


def test_each_step_moves_only_its_own_lines(repo: Records) -> None:
    path = new(repo, "medium")
    cid = case_id(path)
    before = (repo.root / path).read_text().splitlines()
    ok(repo, "assess", cid, "--by", "amartin")
    after = (repo.root / path).read_text().splitlines()
    removed = [line for line in difflib.ndiff(before, after) if line.startswith("- ")]
    added = [line[2:] for line in difflib.ndiff(before, after) if line.startswith("+ ")]
    assert removed == []
    assert added == [  # the new due time under `due:`, and a new block at the end
        '  selection: "2026-11-25T10:00:00+01:00"',
        "intake:",
        '  assessed_at: "2026-11-23T10:00:00+01:00"',
        "  assessed_by: amartin",
    ]


def test_priority_reassessment_records_why_and_moves_targets(repo: Records) -> None:
    path = new(repo, "low")
    ok(repo, "priority", case_id(path), "high", "--by", "amartin", "--reason", "safety risk found")
    data = front(repo, path)
    assert data["priority"] == "high"
    assert data["priority_history"][-1] == {  # type: ignore[index]
        "at": "2026-11-23T10:00:00+01:00",
        "by": "amartin",
        "from": "low",
        "to": "high",
        "reason": "safety risk found",
    }
    assert data["due"]["assignment"] == DUES["high"][0]  # type: ignore[index]
    assert data["due"]["resolution"] == DUES["high"][1]  # type: ignore[index]


def test_suggest_ranks_with_reasons_and_never_suggests_a_conflict(repo: Records) -> None:
    path = new(repo, "medium")
    cid = case_id(path)
    ok(
        repo,
        "conflict",
        cid,
        "--by",
        "amartin",
        "--person",
        "bkoch",
        "--reason",
        "related to the complainant",
    )
    data = json.loads(ok(repo, "suggest", cid, "--format", "json"))
    by_person = {c["person"]: c for c in data["candidates"]}
    assert not by_person["bkoch"]["eligible"]
    assert "conflict of interest" in by_person["bkoch"]["excluded"]
    eligible = [c["person"] for c in data["candidates"] if c["eligible"]]
    assert eligible and "bkoch" not in eligible
    assert "expertise" in data["candidates"][0]["criteria"]
    refused = repo.run(
        "assign", cid, "--by", "fweber", "--handler", "bkoch", "--approved-by", "fweber",
        "--rationale", "x", "--why-not-top", "y",
    )  # fmt: skip
    assert refused.code == 2 and "conflict of interest" in refused.err


def test_absent_people_are_not_suggested(repo: Records, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASETRAIL_NOW", "2026-12-15T10:00:00+01:00")  # cnguyen on leave
    path = new(repo, "low", "incident")
    data = json.loads(ok(repo, "suggest", case_id(path), "--format", "json"))
    cnguyen = next(c for c in data["candidates"] if c["person"] == "cnguyen")
    assert not cnguyen["eligible"] and "annual leave" in cnguyen["excluded"]


def test_reassignment_keeps_the_earlier_assignment_and_needs_a_new_ack(repo: Records) -> None:
    path = new(repo, "medium")
    cid = case_id(path)
    assign = ("assign", cid, "--by", "fweber", "--approved-by", "fweber", "--rationale", "capacity")
    ok(repo, *assign, "--handler", "bkoch", "--why-not-top", "continuity")
    ok(repo, "ack", cid, "--by", "bkoch")
    commit(repo, "assigned and acknowledged")
    ok(
        repo,
        *assign,
        "--handler",
        "dokafor",
        "--why-not-top",
        "expertise",
        "--reason",
        "bkoch on sick leave",
    )
    data = front(repo, path)
    first, second = data["assignments"]  # type: ignore[misc]
    assert first["person"] == "bkoch" and first["end_reason"] == "bkoch on sick leave"
    assert second["person"] == "dokafor" and "ended_at" not in second
    assert "not the top suggestion" in second["rationale"]
    assert data["status"] == "assigned"
    commit(repo, "reassigned")  # in_progress -> assigned is an allowed transition
    ok(repo, "ack", cid, "--by", "dokafor")
    assert front(repo, path)["status"] == "in_progress"


def test_reopen_keeps_the_earlier_closure_and_the_case_can_close_again(repo: Records) -> None:
    path = new(repo, "medium")
    commit(repo, "register")
    walk_to_closure(repo, path)
    cid = case_id(path)
    ok(repo, "reopen", cid, "--by", "fweber", "--reason", "complainant sent new evidence")
    commit(repo, "reopen")
    data = front(repo, path)
    assert data["status"] == "in_progress" and "closure" not in data and "retention" not in data
    reopening = data["reopenings"][0]  # type: ignore[index]
    assert reopening["previous_closure"]["outcome"] == "resolved"
    assert reopening["previous_retention"]["disposition"] == "destroy"
    assert data["stakeholders"] == [{"ref": "S1", "role": "complainant", "agreement": "pending"}]
    blocked = repo.run(*("request-closure", cid, "--by", "bkoch", "--outcome", "resolved"),
                       *("--summary", "x", "--lessons", "y"))  # fmt: skip
    assert blocked.code == 2 and "stakeholder S1 has not been notified of closure" in blocked.err
    ok(repo, "stakeholder", "closure", cid, "S1", "--by", "bkoch", "--agreement", "agreed")
    ok(repo, *("request-closure", cid, "--by", "bkoch", "--outcome", "resolved"),
       *("--summary", "New evidence assessed", "--lessons", "none"))  # fmt: skip
    ok(repo, "close", cid, "--by", "hlindqvist", "--approved-by", "fweber")
    commit(repo, "closed again")


def test_check_reports_breached_targets_as_of_a_moment(repo: Records) -> None:
    path = new(repo, "high")
    cid = case_id(path)
    ok(repo, "assess", cid, "--by", "amartin")
    ok(repo, *("assign", cid, "--by", "fweber", "--handler", "bkoch", "--approved-by", "fweber"),
       *("--rationale", "capacity", "--why-not-top", "continuity"))  # fmt: skip
    ok(
        repo,
        "followup",
        "add",
        cid,
        "--by",
        "bkoch",
        "--title",
        "Call",
        "--owner",
        "bkoch",
        "--due",
        "2026-11-23",
    )
    early = repo.run("check", "--as-of", "2026-11-23T11:00:00+01:00")
    assert early.code == 0 and "CT70" not in early.out
    late = repo.run("check", "--as-of", "2026-12-02T09:00:00+01:00", "--strict")
    assert late.code == 0, "clock findings never fail --strict"
    assert "CT701 warning: acknowledgement target breached" in late.out
    assert "CT701 warning: resolution target breached" in late.out
    assert "CT702 warning: review overdue" in late.out
    assert "CT703 warning: follow-up F1 overdue: due 2026-11-23, 9 d late" in late.out
    assert "intake target" not in late.out and "assignment target" not in late.out  # met
    strict = repo.run("check", "--as-of", "2026-12-02T09:00:00+01:00", "--strict-sla")
    assert strict.code == 1 and "4 errors, 0 warnings" in strict.out


def test_views_agree_with_an_independent_count(repo: Records) -> None:
    paths = [new(repo, p) for p in ("high", "medium", "low")]
    for path, handler in zip(paths, ("bkoch", "bkoch", "dokafor"), strict=True):
        ok(repo, *("assign", case_id(path), "--by", "fweber", "--handler", handler),
           *("--approved-by", "fweber", "--rationale", "capacity", "--why-not-top", "test"))  # fmt: skip
    load = json.loads(ok(repo, "workload", "--format", "json"))
    points = {row["person"]: row["points"] for row in load["people"]}
    assert points["bkoch"] == 3 + 2 and points["dokafor"] == 1  # policy weights
    late = json.loads(
        ok(repo, "overdue", "--as-of", "2026-11-25T12:00:00+01:00", "--format", "json")
    )
    breached = sorted((i["case"], i["what"]) for i in late["items"] if i["state"] == "breached")
    # Intake is met by the assignment (no separate assessment was recorded); nobody acknowledged
    # within a business day; only the high-priority case's resolution (1 business day) is past.
    expected = sorted(
        [(case_id(p), "acknowledgement target") for p in paths]
        + [(case_id(paths[0]), "resolution target")]
    )
    assert breached == expected
    mine = json.loads(
        ok(
            repo,
            "agenda",
            "--for",
            "dokafor",
            "--as-of",
            "2026-11-25T12:00:00+01:00",
            "--format",
            "json",
        )
    )
    assert {i["case"] for i in mine["items"]} == {case_id(paths[2])}


def test_handler_and_resolution_officer_are_two_people(repo: Records) -> None:
    path = new(repo, "medium", "incident")
    cid = case_id(path)
    base = ("assign", cid, "--by", "fweber", "--approved-by", "fweber", "--rationale", "capacity")
    ok(repo, *base, "--handler", "dokafor", "--why-not-top", "continuity")
    before = repo.snapshot()
    refused = repo.run(*base, "--resolution-officer", "dokafor", "--why-not-top", "x")
    assert refused.code == 2 and "already the handler" in refused.err
    assert repo.snapshot() == before


def test_a_step_that_adds_a_warning_says_so(repo: Records) -> None:
    path = new(repo, "medium")
    result = repo.run("assess", case_id(path), "--by", "amartin", "--notes", "call 030 1234 5678")
    assert result.code == 0 and "CT501 warning" in result.err


def test_closure_request_cannot_predate_what_it_summarises(
    repo: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = new(repo, "medium")
    commit(repo, "register")
    cid = case_id(path)
    ok(repo, "assign", cid, "--by", "fweber", "--handler", "bkoch", "--approved-by", "fweber",
       "--rationale", "capacity", "--why-not-top", "continuity")  # fmt: skip
    monkeypatch.setenv("CASETRAIL_NOW", "2026-11-24T16:00:00+01:00")
    ok(repo, "ack", cid, "--by", "bkoch")
    ok(repo, "stakeholder", "add", cid, "--by", "bkoch", "--role", "complainant")
    ok(repo, "stakeholder", "closure", cid, "S1", "--by", "bkoch", "--agreement", "agreed")
    before = repo.snapshot()
    early = repo.run(*("request-closure", cid, "--by", "bkoch", "--outcome", "resolved"),
                     *("--summary", "x", "--lessons", "y", "--at", "2026-11-24T09:00:00+01:00"))  # fmt: skip
    assert early.code == 2 and "is before the latest entry in the case" in early.err
    assert repo.snapshot() == before


def test_as_of_a_date_means_the_end_of_that_day(repo: Records) -> None:
    path = new(repo, "high")
    by_date = json.loads(ok(repo, "overdue", "--as-of", "2026-11-23", "--format", "json"))
    assert by_date["as_of"] == "2026-11-23T23:59:59+01:00"
    assert {(i["case"], i["what"]) for i in by_date["items"] if i["state"] == "breached"} == {
        (case_id(path), "assignment target")
    }


def test_close_records_the_named_supervisor_as_approver(repo: Records) -> None:
    path = new(repo, "medium")
    commit(repo, "register")
    walk_to_closure(repo, path)
    checklist = front(repo, path)["closure"]["checklist"]  # type: ignore[index]
    assert {
        "item": "approvals_obtained",
        "done_at": checklist[2]["done_at"],
        "done_by": "gharris",
    } in checklist
