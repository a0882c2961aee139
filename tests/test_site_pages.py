"""The site's pure parts: charts, the retention schedule, change words, one Ledger for many
periods; and the case timeline on a real signed history (historykit)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest

from casetrail.core import periodic, retention, sitecharts, sitedata, sitemd
from casetrail.core.case import Case
from casetrail.shell import calendars, caseindex, index
from conftest import NOW, PROJECT
from historykit import History


def test_charts_are_valid_svg_deterministic_and_inert() -> None:
    labels = ["2026-09", "2026-10", "<b>&"]
    series = [
        sitecharts.Series("met <x>", (100.0, None, 50.0)),
        sitecharts.Series("late", (None, 12.5, 0.0)),
    ]
    line = sitecharts.line_chart("Compliance & <script>", labels, series, "%", 100.0)
    assert line == sitecharts.line_chart("Compliance & <script>", labels, series, "%", 100.0)
    root = ElementTree.fromstring(line)  # well-formed, so every record value was escaped
    assert root.find("{http://www.w3.org/2000/svg}title").text == "Compliance & <script>"  # type: ignore[union-attr]
    assert "<script" not in line and "&lt;b&gt;&amp;" in line
    bars = sitecharts.bar_chart("Volume", labels, [sitecharts.Series("n", (3.0, 0.0, 7.0))])
    ElementTree.fromstring(bars)
    assert bars.count("<rect x=") == 2 + 1  # two bars (a zero draws none) and the legend


@pytest.mark.parametrize(("values", "top"), [([0.0], 5.0), ([7.0], 10.0), ([20.0], 20.0), ([21.0], 50.0), ([120.0], 200.0)])  # fmt: skip
def test_chart_axes_end_on_a_round_number(values: list[float], top: float) -> None:
    assert sitecharts._scale(values, None) == top


def case(case_id: str, status: str, kept: dict[str, object] | None, closed_at: str = "") -> Case:
    data: dict[str, object] = {"id": case_id, "type": "inquiry", "status": status}
    if kept is not None:
        data["retention"] = kept
    if closed_at:
        data["closure"] = {"closed_at": closed_at}
    return Case(data)


def test_retention_schedule_states_and_order() -> None:
    rule = {"disposition": "destroy", "rule": "policy: inquiry 2 years"}
    rows = retention.schedule(
        [
            case("2026-AAAAAAA", "closed", {"until": "2026-11-23", **rule}, "2024-11-23T10:00:00+01:00"),
            case("2026-BBBBBBB", "closed", {"until": "2026-11-24", **rule}),
            case("2026-CCCCCCC", "closed", {"until": "2020-01-01", "legal_hold": True, **rule}),
            case("2026-DDDDDDD", "closed", None),
            case("2026-EEEEEEE", "in_progress", {"until": "2020-01-01", **rule}),
        ],
        date(2026, 11, 23),
    )  # fmt: skip
    assert [(r.case, r.state) for r in rows] == [
        ("2026-DDDDDDD", retention.MISSING),
        ("2026-CCCCCCC", retention.HELD),
        ("2026-AAAAAAA", retention.DUE),  # ends today: due
        ("2026-BBBBBBB", retention.SCHEDULED),
    ]


def test_change_words() -> None:
    assert sitedata.change_words("A", None, "new") == "created (new)"
    assert sitedata.change_words("M", "new", "assigned") == "status new → assigned"
    assert sitedata.change_words("M", "assigned", "assigned") == "changed"
    assert sitedata.change_words("R", "closed", "closed") == "moved; changed"
    assert sitedata.change_words("D", "closed", None) == "deleted"


def test_filtered_index_links_quote_their_values() -> None:
    link = sitemd.filtered_index("3", "../", status="closure requested", open="yes")
    assert link == "[3](../cases/index.md?open=yes&status=closure%20requested)"


def test_one_ledger_gives_every_month_what_one_report_gives() -> None:
    """The site reads the cases once for all months; each month must equal the report that
    `casetrail report` builds for it alone, and to date must be the months' sum."""
    config, _ = index.load_config(PROJECT)
    calendar = calendars.load(config.policy.raw["calendar"])
    cases = caseindex.load(PROJECT, config).cases
    moment = datetime.fromisoformat(NOW)
    ledger = periodic.Ledger(cases, calendar.zone, moment, config.policy, calendar)
    summed: dict[str, int] = {}
    for label in ("2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12", "2026-W47"):
        period = periodic.parse_period(label)
        alone = periodic.build(cases, period, calendar.zone, moment, config.policy, calendar)
        assert ledger.report(period) == alone, label
        if "W" not in label:
            for name, row in alone["sla"]["targets"].items():
                summed[name] = summed.get(name, 0) + row["met"] + row["breached"] + row["pending"]
    everything = periodic.Period("all", "all", date(1, 1, 1), date(9999, 12, 31))
    to_date = ledger.compliance_in(everything)["targets"]
    assert {n: r["met"] + r["breached"] + r["pending"] for n, r in to_date.items()} == summed
    assert sum(summed.values()) > 50  # the example cases have targets in those months


def test_case_timeline_shows_signer_and_verification(tmp_path: Path) -> None:
    kit = History.create(tmp_path / "h")
    cid = kit.register()
    kit.assign(cid)
    kit.ok("review", cid, "--by", "bkoch", "--summary", "checked the file")
    kit.unsigned_commit("bkoch", f"Review {cid}")
    out = tmp_path / "pages"
    kit.ok("site", "--out", str(out), "--as-of", kit.now.isoformat())
    page = (out / "cases" / f"{cid}.md").read_text()
    timeline = page.split("## Timeline", 1)[1]
    rows = [line for line in timeline.splitlines() if line.startswith("| 20")]
    assert len(rows) == 4, timeline  # register, assign, acknowledge, review
    assert f"[amartin](../people/amartin.md) | good | {sitemd.esc('created (new)')}" in rows[0]
    assert (
        f"[fweber](../people/fweber.md) | good | {sitemd.esc('status new → assigned')}" in rows[1]
    )
    assert "| **unsigned** | changed |" in rows[3]
    assert f"Review {sitemd.esc(cid)}" in rows[3]
    audit = (out / "audit.md").read_text()
    assert "CT801" in audit  # the unsigned commit is a finding there too


def test_a_handle_the_roster_does_not_know_gets_a_page_not_a_broken_link() -> None:
    from casetrail.core import sitepages

    pages = {"cases/x.md": "[zzghost](../people/zzghost.md) [bkoch](../people/bkoch.md)",
             "people/bkoch.md": "# bkoch"}  # fmt: skip
    made = sitepages._unknown_people(pages)
    assert (
        list(made) == ["people/zzghost.md"]
        and "Not in the current roster" in made["people/zzghost.md"]
    )
