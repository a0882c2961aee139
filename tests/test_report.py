"""`casetrail report`: periods, independent counts over the example cases, SLA and review
compliance on hand-written cases, the Markdown template and where a report may be written."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import frontmatter
import pytest

from casetrail.core import ids
from casetrail.core.periodic import TemplateProblem, parse_period, render
from conftest import PROJECT, Records

EXAMPLES = sorted((PROJECT / "cases" / "2026").glob("*.md"))
BERLIN = ZoneInfo("Europe/Berlin")  # the policy's calendar.timezone
HELP = "--period must be YYYY-MM or YYYY-Www, e.g. 2026-11 or 2026-W47"


# ---- periods ----


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),  # leap year
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2026-W47", date(2026, 11, 16), date(2026, 11, 22)),
        ("2026-W01", date(2025, 12, 29), date(2026, 1, 4)),  # ISO year starts in December
        ("2025-W01", date(2024, 12, 30), date(2025, 1, 5)),
        ("2026-W53", date(2026, 12, 28), date(2027, 1, 3)),  # 2026 starts on a Thursday
        ("2026-w47", date(2026, 11, 16), date(2026, 11, 22)),
    ],
)
def test_periods_are_months_and_iso_weeks(text: str, start: date, end: date) -> None:
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)
    assert period.label == text.upper()
    if period.kind == "week":
        assert period.start.weekday() == 0 and period.end.weekday() == 6


def test_the_following_period_crosses_year_boundaries() -> None:
    assert parse_period("2026-12").following().label == "2027-01"
    assert parse_period("2026-W53").following().label == "2027-W01"
    assert parse_period("2026-W53").following().start == date(2027, 1, 4)
    assert parse_period("2026-W52").following().label == "2026-W53"


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",
        "2026-00",
        "2027-W53",
        "2026-W54",
        "2026-W00",
        "26-11",
        "2026-11-01",
        "",
        "2026-W5",
        "nov",
    ],
)
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(HELP)):
        parse_period(text)


def test_week_53_only_where_the_iso_calendar_has_it() -> None:
    # The oracle is the standard library: 2026 has a week 53 and 2027 has not.
    assert date.fromisocalendar(2026, 53, 1) == parse_period("2026-W53").start
    with pytest.raises(ValueError):
        date.fromisocalendar(2027, 53, 1)
    with pytest.raises(ValueError, match="2027 has ISO weeks W01 to W52"):
        parse_period("2027-W53")


@pytest.mark.parametrize("text", ["2026-13", "2027-W53", "last-month"])
def test_cli_refuses_a_bad_period_with_exit_2(records: Records, text: str) -> None:
    result = records.run("report", "--period", text)
    assert result.code == 2
    assert HELP in result.err
    assert result.out == ""


# ---- helpers ----


def copy_examples(records: Records) -> None:
    folder = records.root / "cases" / "2026"
    folder.mkdir(parents=True, exist_ok=True)
    for path in EXAMPLES:
        shutil.copy(path, folder / path.name)


def report_json(records: Records, *args: str) -> dict[str, Any]:
    result = records.run("report", "--format", "json", *args)
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def front_matters() -> list[dict[str, Any]]:
    """The example cases read by python-frontmatter, independently of casetrail's parser."""
    return [frontmatter.load(str(path)).metadata for path in EXAMPLES]


def local(stamp: str) -> date:
    return datetime.fromisoformat(stamp).astimezone(BERLIN).date()


def in_month(stamp: str, year: int, month: int) -> bool:
    day = local(stamp)
    return (day.year, day.month) == (year, month)


def new_id(seed: int) -> str:
    return ids.make(2026, bytes([seed, seed + 1, seed + 2, seed + 3, seed + 4, seed + 5]))


def handler(at: str, **extra: str) -> dict[str, Any]:
    return {
        "role": "handler",
        "person": "bkoch",
        "assigned_at": at,
        "assigned_by": "amartin",
        "approved_by": "gharris",
        "criteria": {
            "expertise": "test",
            "workload": "test",
            "availability": "test",
            "conflict_of_interest": "none declared",
        },
        "rationale": "test",
        **extra,
    }


def write_case(records: Records, seed: int, status: str, body: str = "", **fields: Any) -> str:
    """A schema-valid case; JSON is YAML, and every timestamp stays a quoted string."""
    case_id = new_id(seed)
    data = {
        "schema": "casetrail-case/1",
        "id": case_id,
        "type": "complaint",
        "title": "Hand-written case for the report tests",
        "status": status,
        "priority": "medium",
        "channel": "email",
        "received_at": "2026-10-01T09:00:00+02:00",
        "registered_at": "2026-10-01T09:30:00+02:00",
        "registered_by": "amartin",
        "priority_history": [
            {"at": "2026-10-01T09:30:00+02:00", "by": "amartin", "to": "medium", "reason": "test"}
        ],
        **fields,
    }
    records.write(f"cases/2026/{case_id}.md", f"---\n{json.dumps(data, indent=2)}\n---\n{body}")
    return case_id


# ---- independent counts over the example cases ----


def test_example_counts_for_september_match_an_independent_reading(records: Records) -> None:
    copy_examples(records)
    cases = front_matters()
    closed = sorted(
        c["id"]
        for c in cases
        if "closed_at" in c.get("closure", {}) and in_month(c["closure"]["closed_at"], 2026, 9)
    )
    registered = [c["id"] for c in cases if in_month(c["registered_at"], 2026, 9)]
    talks = [
        c["id"] for c in cases for e in c.get("communications", []) if in_month(e["at"], 2026, 9)
    ]
    directions = Counter(
        e["direction"]
        for c in cases
        for e in c.get("communications", [])
        if in_month(e["at"], 2026, 9)
    )
    bases = Counter(
        e["basis"] for c in cases for e in c.get("disclosures", []) if in_month(e["at"], 2026, 9)
    )
    reviews = [c["id"] for c in cases for e in c.get("reviews", []) if in_month(e["at"], 2026, 9)]
    assert closed and registered and talks  # the expectation is not vacuous

    data = report_json(records, "--period", "2026-09", "--as-of", "2026-10-01T12:00:00+02:00")
    activity = data["activities"]
    assert data["cases_read"] == len(EXAMPLES) and data["skipped"] == []
    assert activity["closures"]["count"] == len(closed)
    assert activity["closures"]["cases"] == closed
    assert [row["id"] for row in data["outcomes"]["cases"]] == sorted(
        closed,
        key=lambda i: next(
            datetime.fromisoformat(c["closure"]["closed_at"]) for c in cases if c["id"] == i
        ),
    )
    assert activity["registered"]["count"] == len(registered)
    assert activity["communications"]["count"] == len(talks)
    assert activity["communications"]["cases"] == sorted(set(talks))
    assert activity["communications"]["by"] == dict(directions)
    assert activity["disclosures"]["by"] == dict(bases)
    assert activity["reviews"]["count"] == len(reviews)
    lessons = {c["id"]: c["closure"]["lessons_learned"] for c in cases if c["id"] in closed}
    assert {r["id"]: r["lessons_learned"] for r in data["outcomes"]["cases"]} == lessons


def test_iso_week_counts_match_an_independent_reading(records: Records) -> None:
    copy_examples(records)
    cases = front_matters()
    week = (date(2026, 11, 16), date(2026, 11, 22))
    registered = sorted(c["id"] for c in cases if week[0] <= local(c["registered_at"]) <= week[1])
    done = [
        c["id"]
        for c in cases
        for f in c.get("followups", [])
        if "done_at" in f and week[0] <= local(f["done_at"]) <= week[1]
    ]
    assert registered and done
    data = report_json(records, "--period", "2026-W47", "--as-of", "2026-11-23T10:00:00+01:00")
    assert data["period"] == {
        "label": "2026-W47",
        "kind": "week",
        "start": "2026-11-16",
        "end": "2026-11-22",
        "zone": "Europe/Berlin",
    }
    assert data["activities"]["registered"]["cases"] == registered
    assert data["activities"]["followups_done"]["count"] == len(done)


def test_open_cases_and_followups_in_next_steps(records: Records) -> None:
    copy_examples(records)
    cases = front_matters()
    as_of = "2026-11-23T10:00:00+01:00"
    horizon = date(2026, 12, 31)  # the end of the following period, 2026-12
    expected = sorted(
        (f["due"], c["id"], f["id"])
        for c in cases
        for f in c.get("followups", [])
        if "done_at" not in f and date.fromisoformat(f["due"]) <= horizon
    )
    data = report_json(records, "--period", "2026-11", "--as-of", as_of)
    steps = data["next_steps"]
    assert [(r["due"], r["case"], r["id"]) for r in steps["followups"]] == expected
    overdue = {(r["case"], r["id"]) for r in steps["followups"] if r["overdue"]}
    assert overdue == {(c, i) for d, c, i in expected if date.fromisoformat(d) < date(2026, 11, 23)}
    for status, row in steps["open_cases"].items():
        assert row["cases"] == sorted(c["id"] for c in cases if c["status"] == status)
    assert "closed" not in steps["open_cases"]


def test_markdown_has_the_sections_and_the_same_numbers(records: Records) -> None:
    copy_examples(records)
    args = ("--period", "2026-09", "--as-of", "2026-10-01T12:00:00+02:00")
    data = report_json(records, *args)
    result = records.run("report", *args)
    assert result.code == 0, result.err
    text = result.out
    assert text.startswith("# Periodic report 2026-09 (2026-09-01 to 2026-09-30)\n")
    assert "As of 2026-10-01T12:00:00+02:00" in text
    for heading in (
        "Key activities",
        "Outcomes and lessons learned",
        "Next steps",
        "SLA compliance",
    ):
        assert f"\n## {heading}\n" in text
    for row in data["activities"].values():
        assert re.search(rf"^\| {re.escape(row['label'])}[^|]*\| {row['count']} \|", text, re.M)
    for row in data["outcomes"]["cases"]:
        assert f"### {row['id']}" in text
        assert row["lessons_learned"] in text
    # Each target's row shows the same counts as the JSON, and its percentage.
    assert any(t["measured"] for t in data["sla"]["targets"].values())
    for name, target in data["sla"]["targets"].items():
        counts = f"| {target['met']} | {target['met_late']} | {target['breached']} | {target['pending']} |"
        if target["measured"]:
            assert re.search(rf"^\| {name} .*{re.escape(counts)}", text, re.M), name
    reviews = data["sla"]["reviews"]
    cells = f"| {reviews['met']} | {reviews['met_late']} | {reviews['breached']} | {reviews['pending']} |"
    assert cells in text
    assert text.endswith("\n") and not text.endswith("\n\n\n")


# ---- SLA and review compliance on hand-written cases ----


def test_sla_compliance_counts_met_late_breached_and_pending(records: Records) -> None:
    dues = {"intake": "2026-10-05T17:00:00+02:00", "assignment": "2026-10-06T17:00:00+02:00"}
    met = write_case(
        records,
        1,
        "assigned",
        due=dues,
        intake={"assessed_at": "2026-10-05T10:00:00+02:00", "assessed_by": "amartin"},
        assignments=[handler("2026-10-06T12:00:00+02:00")],
    )
    late = write_case(
        records,
        2,
        "assigned",
        due=dues,
        intake={"assessed_at": "2026-10-06T10:00:00+02:00", "assessed_by": "amartin"},
        assignments=[handler("2026-10-07T12:00:00+02:00")],
    )
    breached = write_case(records, 3, "new", due={"intake": "2026-10-12T17:00:00+02:00"})
    write_case(records, 4, "new", due={"intake": "2026-10-28T17:00:00+02:00"})  # pending
    # 23:30 UTC on 31 October is 1 November in Berlin: outside the October report.
    write_case(records, 5, "new", due={"intake": "2026-10-31T23:30:00+00:00"})

    data = report_json(records, "--period", "2026-10", "--as-of", "2026-10-20T12:00:00+02:00")
    intake = data["sla"]["targets"]["intake"]
    assert (intake["met"], intake["met_late"], intake["breached"], intake["pending"]) == (
        1,
        1,
        1,
        1,
    )
    assert intake["compliance"] == 33.3
    assert intake["late_cases"] == [late] and intake["breached_cases"] == [breached]
    assignment = data["sla"]["targets"]["assignment"]
    assert (assignment["met"], assignment["met_late"], assignment["compliance"]) == (1, 1, 50.0)
    assert data["sla"]["targets"]["resolution"]["compliance"] is None
    assert data["sla"]["recorded"] == 6 and data["sla"]["cases_with_targets"] == 5
    assert met not in intake["late_cases"] + intake["breached_cases"]

    november = report_json(records, "--period", "2026-11", "--as-of", "2026-11-20T12:00:00+01:00")
    assert november["sla"]["targets"]["intake"]["breached"] == 1

    text = records.run("report", "--period", "2026-10", "--as-of", "2026-10-20T12:00:00+02:00").out
    assert re.search(r"^\| intake \([^|]*\) \| 1 \| 1 \| 1 \| 1 \| 33\.3 % \|", text, re.M)
    assert re.search(r"^\| assignment \([^|]*\) \| 1 \| 1 \| 0 \| 0 \| 50\.0 % \|", text, re.M)
    assert re.search(r"^\| resolution \([^|]*\) \| 0 \| 0 \| 0 \| 0 \| n/a \|", text, re.M)


def review(at: str) -> dict[str, str]:
    return {"at": at, "by": "gharris", "summary": "weekly review"}


def closure_request(at: str) -> dict[str, str]:
    return {
        "requested_at": at,
        "requested_by": "bkoch",
        "outcome": "resolved",
        "outcome_summary": "done",
        "lessons_learned": "none",
    }


def test_review_compliance_from_the_reviews_list(records: Records) -> None:
    start = "2026-10-01T10:00:00+02:00"
    weekly = write_case(
        records,
        1,
        "in_progress",
        assignments=[handler(start)],
        reviews=[
            review("2026-10-08T09:00:00+02:00"),  # met: due 8 Oct 10:00
            review("2026-10-16T09:00:00+02:00"),  # late: due 15 Oct 09:00
            review("2026-10-20T09:00:00+02:00"),  # met: due 23 Oct
            # Clocks go back on 25 October: 7 calendar days later is 09:00 local, met on time.
            review("2026-10-27T09:00:00+01:00"),
        ],
    )
    # Closure requested on 20 October with the review due on 12 October missed: breached.
    missed = write_case(
        records,
        2,
        "closure_requested",
        assignments=[handler(start)],
        reviews=[review("2026-10-05T10:00:00+02:00")],
        closure=closure_request("2026-10-20T10:00:00+02:00"),
    )
    # Closure requested before any review was due: nothing to measure, and a supervisor's look
    # at the pending request 11 days later is not a late review (none is due while it waits).
    write_case(
        records,
        3,
        "closure_requested",
        assignments=[handler(start)],
        reviews=[review("2026-10-16T10:00:00+02:00")],
        closure=closure_request("2026-10-05T10:00:00+02:00"),
    )
    october = report_json(records, "--period", "2026-10", "--as-of", "2026-11-05T12:00:00+01:00")
    reviews = october["sla"]["reviews"]
    assert reviews["every"] == "7 calendar days"
    assert (reviews["met"], reviews["met_late"], reviews["breached"], reviews["pending"]) == (
        4,
        1,
        1,
        0,
    )
    assert reviews["compliance"] == 66.7
    assert reviews["late_cases"] == [weekly] and reviews["breached_cases"] == [missed]

    # The interval after the last review ends on 3 November: breached by 5 November.
    november = report_json(records, "--period", "2026-11", "--as-of", "2026-11-05T12:00:00+01:00")
    assert november["sla"]["reviews"]["breached_cases"] == [weekly]
    assert november["sla"]["reviews"]["compliance"] == 0.0
    assert november["next_steps"]["reviews_due"] == [
        {"case": weekly, "due": "2026-11-03T09:00:00+01:00", "overdue": True, "handler": "bkoch"}
    ]
    # The same interval before its due time is pending and not yet measured.
    early = report_json(records, "--period", "2026-11", "--as-of", "2026-11-02T12:00:00+01:00")
    assert early["sla"]["reviews"]["pending"] == 1 and early["sla"]["reviews"]["compliance"] is None


def test_period_boundaries_are_local_dates(records: Records) -> None:
    talk = {"by": "bkoch", "stakeholder": "S1", "channel": "email", "summary": "call"}
    case = write_case(
        records,
        1,
        "new",
        communications=[
            {**talk, "at": "2026-09-30T23:30:00+00:00"},  # 1 October 01:30 in Berlin
            {**talk, "at": "2026-10-31T22:59:00+00:00"},  # 31 October 23:59 in Berlin (CET)
            {**talk, "at": "2026-10-31T23:00:00+00:00"},  # 1 November 00:00 in Berlin
        ],
    )
    data = report_json(records, "--period", "2026-10", "--as-of", "2026-11-05T12:00:00+01:00")
    assert data["activities"]["communications"] == {
        "label": "Communications logged",
        "count": 2,
        "cases": [case],
        "by": {},
    }


# ---- the command's edges ----


def test_the_report_reads_front_matter_only(records: Records) -> None:
    marker = "MARKER-FROM-A-SECTION-BODY"
    write_case(records, 1, "new", body=f"## Summary\n\n{marker}\n")
    for fmt in ("markdown", "json"):
        result = records.run("report", "--period", "2026-10", "--format", fmt)
        assert result.code == 0, result.err
        assert marker not in result.out


def test_as_of_defaults_to_now(records: Records, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASETRAIL_NOW", "2026-11-23T08:15:00Z")
    assert report_json(records, "--period", "2026-11")["as_of"] == "2026-11-23T09:15:00+01:00"
    result = records.run("report", "--period", "2026-11", "--as-of", "yesterday")
    assert result.code == 2 and "--as-of" in result.err


def test_output_inside_cases_is_refused_and_nothing_is_written(records: Records) -> None:
    copy_examples(records)
    before = records.snapshot()
    for target in (
        "cases/report.md",
        "cases/2026/report.md",
        str(records.root / "cases" / "r.json"),
    ):
        result = records.run("report", "--period", "2026-11", "--output", target)
        assert result.code == 2
        assert "not case records" in result.err
    assert records.snapshot() == before


def test_output_elsewhere_writes_the_report(records: Records) -> None:
    copy_examples(records)
    args = ("--period", "2026-11", "--as-of", "2026-11-23T10:00:00+01:00")
    shown = records.run("report", *args).out
    result = records.run("report", *args, "--output", "reports/2026-11.md")
    assert result.code == 0, result.err
    assert result.out == ""
    assert (records.root / "reports" / "2026-11.md").read_text() == shown
    # Through cases/.. the path is outside cases/, so it is allowed.
    result = records.run("report", *args, "--format", "json", "--output", "cases/../r.json")
    assert result.code == 0, result.err
    assert json.loads((records.root / "r.json").read_text())["period"]["label"] == "2026-11"


def test_missing_or_broken_template(records: Records) -> None:
    template = records.root / "schema" / "templates" / "report.md.j2"
    template.write_text("{{ period.label }} {{ no_such_key }}\n")
    result = records.run("report", "--period", "2026-11")
    assert result.code == 2 and "schema/templates/report.md.j2" in result.err
    assert "no_such_key" in result.err
    template.unlink()
    result = records.run("report", "--period", "2026-11")
    assert result.code == 2 and "schema/templates/report.md.j2" in result.err
    assert records.run("report", "--period", "2026-11", "--format", "json").code == 0


def test_render_escapes_table_cells_and_reports_template_errors() -> None:
    report = {"title": "a | b\nc"}
    assert render(report, "| {{ title | cell }} |\n") == "| a \\| b c |\n"
    with pytest.raises(TemplateProblem, match="line 1"):
        render(report, "{% if %}")


def test_the_template_in_the_repository_is_the_one_used(records: Records) -> None:
    assert (PROJECT / "schema" / "templates" / "report.md.j2").read_bytes() == (
        records.root / "schema" / "templates" / "report.md.j2"
    ).read_bytes()
    (records.root / "schema" / "templates" / "report.md.j2").write_text(
        "Report {{ period.label }}\n"
    )
    assert records.run("report", "--period", "2026-W47").out == "Report 2026-W47\n"


def test_skipped_files_are_named(records: Records) -> None:
    records.write("cases/2026/2026-BROKEN1.md", "---\nid: [\n---\n")
    result = records.run("report", "--period", "2026-11", "--format", "json")
    assert result.code == 0
    assert "cases/2026/2026-BROKEN1.md" in result.err
    assert json.loads(result.out)["skipped"] == ["cases/2026/2026-BROKEN1.md"]


def test_paths_are_relative_to_the_working_folder(records: Records, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "report.md"
    result = records.run("report", "--period", "2026-11", "--output", str(target))
    assert result.code == 0, result.err
    assert target.read_text().startswith("# Periodic report 2026-11")


def test_a_reopened_closure_still_counts_and_pauses_the_review_clock(records: Records) -> None:
    closed = closure_request("2026-10-06T10:00:00+02:00") | {
        "closed_at": "2026-10-07T10:00:00+02:00",
        "closed_by": "gharris",
    }
    case = write_case(
        records,
        1,
        "in_progress",
        assignments=[handler("2026-10-01T10:00:00+02:00")],
        reviews=[review("2026-10-05T10:00:00+02:00"), review("2026-10-26T10:00:00+01:00")],
        reopenings=[
            {
                "at": "2026-10-20T10:00:00+02:00",
                "by": "gharris",
                "reason": "again",
                "previous_closure": closed,
            }
        ],
        due={"next_review": "2026-11-02T09:00:00+01:00"},
    )
    data = report_json(records, "--period", "2026-10", "--as-of", "2026-10-30T12:00:00+01:00")
    assert data["activities"]["closures"]["cases"] == [case]
    assert data["activities"]["reopenings"]["count"] == 1
    assert data["outcomes"]["cases"][0]["reopened_at"] == "2026-10-20T10:00:00+02:00"
    # 5 Oct (met), paused from the request on 6 Oct to the reopening on 20 Oct, 26 Oct (met).
    reviews = data["sla"]["reviews"]
    assert (reviews["met"], reviews["met_late"], reviews["breached"]) == (2, 0, 0)
    # The stored next review is what the tool set, so next steps use it.
    assert data["next_steps"]["reviews_due"][0]["due"] == "2026-11-02T09:00:00+01:00"
