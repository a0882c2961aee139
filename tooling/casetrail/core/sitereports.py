"""The figures over time: SLA compliance to date with the cases behind it, the periodic reports
of SOP 001 §4.5 (one page per month) and the trend charts made from them.

All of it comes from one `periodic.Ledger`, so every page counts the same facts the same way as
`casetrail report --period` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any

from casetrail.core import periodic
from casetrail.core.case import Case
from casetrail.core.formats import parse_datetime
from casetrail.core.sitecharts import Series, bar_chart, line_chart
from casetrail.core.sitedata import SiteData
from casetrail.core.sitemd import (
    REPORTS_DIR,
    as_of_line,
    case_link,
    case_links,
    esc,
    filtered_index,
    percent,
    person_link,
    table,
    words,
)

TO_DATE = periodic.Period("to date", "all", date(1, 1, 1), date(9999, 12, 31))
MAX_MONTHS = 120  # report pages go back at most ten years; older: `casetrail report --period`
CHARTED = ("intake", "assignment", "acknowledgement", "resolution", "reviews")
LIST_LIMIT = 200  # case links listed in one cell before "and N more"


@dataclass(frozen=True, slots=True)
class Figures:
    months: tuple[periodic.Period, ...]  # oldest first, up to the month of the as-of date
    reports: tuple[Mapping[str, Any], ...]  # one per month
    to_date: Mapping[str, Any]  # SLA compliance over every target due so far


def figures(data: SiteData) -> Figures:
    cases = [v.case for v in data.cases]
    office = data.office
    zone = office.calendar.zone
    ledger = periodic.Ledger(cases, zone, data.as_of, office.policy, office.calendar, data.skipped)
    months = _months(cases, zone, data.as_of.astimezone(zone).date())
    return Figures(months, tuple(ledger.report(m) for m in months), ledger.compliance_in(TO_DATE))


def _months(cases: Sequence[Case], zone: tzinfo, today: date) -> tuple[periodic.Period, ...]:
    first = min(
        (parse_datetime(c.data["registered_at"]).astimezone(zone).date() for c in cases),
        default=today,
    )
    first = max(min(first, today), date(today.year - MAX_MONTHS // 12, today.month, 1))
    months, year, month = [], first.year, first.month
    while (year, month) <= (today.year, today.month):
        months.append(periodic.parse_period(f"{year:04d}-{month:02d}"))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(months)


# ---- SLA compliance ----


def _measured(section: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(name, what it measures, counts) per target. The stored `review` due is left out: the
    chain of review intervals (`reviews`) measures every review, not only the next one."""
    reviews = section["reviews"]
    return [
        *((n, row["label"], row) for n, row in section["targets"].items() if n != "review"),
        (
            "reviews",
            f"the last review or assignment to the next review, every {reviews['every']}",
            reviews,
        ),
    ]


def compliance_table(section: Mapping[str, Any], depth: str = "") -> list[str]:
    """Compliance per target with the counts behind it, each linked to its cases on sla.md."""
    rows = (
        (
            f"[{esc(name)}]({depth}sla.md#{name})",
            *(str(row[k]) for k in ("met", "met_late", "breached", "pending")),
            f"**{percent(row['compliance'])}**",
        )
        for name, _, row in _measured(section)
    )
    return table(("target", "met", "met late", "breached", "pending", "compliance"), rows)


def sla_page(data: SiteData, found: Figures) -> str:
    lines = [
        "# SLA compliance",
        "",
        as_of_line(data.as_of, data.head),
        "",
        "Every target recorded in a case, by its due time. Compliance is met on time / (met + "
        "met late + breached); pending targets are not yet measured. Each count below lists "
        "the cases behind it.",
        "",
        *compliance_table(found.to_date),
        "",
    ]
    for name, label, row in _measured(found.to_date):
        lines += [
            f"## {esc(name)} {{#{name}}}",
            "",
            f"From {esc(label)}.",
            "",
            f"{row['met']} met, {row['met_late']} met late, {row['breached']} breached, "
            f"{row['pending']} pending: compliance {percent(row['compliance'])}.",
            "",
            f"- met late ({_cases(row['late_cases'])}): "
            f"{case_links(row['late_cases'], '', LIST_LIMIT) or 'none'}",
            f"- breached ({_cases(row['breached_cases'])}): "
            f"{case_links(row['breached_cases'], '', LIST_LIMIT) or 'none'}",
            "",
        ]
    return "\n".join(lines)


def _cases(ids: Sequence[str]) -> str:
    return "1 case" if len(ids) == 1 else f"{len(ids)} cases"


# ---- trends ----


CHART_MONTHS = 12  # the trend charts show the last year; the reports go back further


def charts(found: Figures) -> dict[str, str]:
    shown = found.reports[-CHART_MONTHS:]
    labels = [m.label for m in found.months[-CHART_MONTHS:]]
    volume = [
        Series(
            "registered",
            tuple(float(r["activities"]["registered"]["count"]) for r in shown),
        ),
        Series("closed", tuple(float(r["activities"]["closures"]["count"]) for r in shown)),
    ]
    compliance = [
        Series(
            name,
            tuple(_compliance_of(r, name) for r in shown),
        )
        for name in CHARTED
    ]
    return {
        "charts/volume.svg": bar_chart("Cases registered and closed per month", labels, volume),
        "charts/compliance.svg": line_chart(
            "SLA compliance per month (%)", labels, compliance, "%", 100.0
        ),
    }


def _compliance_of(report: Mapping[str, Any], name: str) -> float | None:
    section = report["sla"]
    row = section["reviews"] if name == "reviews" else section["targets"][name]
    value = row["compliance"]
    return None if value is None else float(value)


def trends(found: Figures, depth: str = "") -> list[str]:
    """The charts with the figures behind them, for the overview."""
    return [
        f"![Cases registered and closed per month]({depth}charts/volume.svg)",
        "",
        f"![SLA compliance per month]({depth}charts/compliance.svg)",
        "",
        f"The figures behind both charts, month by month: [reports]({depth}{REPORTS_DIR}/index.md).",
        "",
    ]


# ---- periodic reports ----


def reports_index(data: SiteData, found: Figures) -> str:
    rows = [
        (
            f"[{esc(r['period']['label'])}]({r['period']['label']}.md)",
            str(r["activities"]["registered"]["count"]),
            str(r["activities"]["closures"]["count"]),
            *(percent(_compliance_of(r, name)) for name in CHARTED),
        )
        for r in reversed(found.reports)
    ]
    return "\n".join(
        [
            "# Periodic reports",
            "",
            as_of_line(data.as_of, data.head),
            "",
            "One report per month (SOP 001 §4.5): key activities, outcomes and lessons learned, "
            "and SLA compliance for targets due in the month. `casetrail report --period "
            "YYYY-MM` gives the same figures from a clone (and ISO weeks: `--period 2026-W47`).",
            "",
            "![Cases registered and closed per month](../charts/volume.svg)",
            "",
            "![SLA compliance per month](../charts/compliance.svg)",
            "",
            *table(("month", "registered", "closed", *(f"{n} %" for n in CHARTED)), rows),
            "",
        ]
    )


def report_page(data: SiteData, report: Mapping[str, Any], current: bool) -> str:
    period = report["period"]
    lines = [
        f"# Report {esc(period['label'])}",
        "",
        as_of_line(data.as_of, data.head),
        f"From {period['start']} to {period['end']}, dates in {esc(period['zone'])}.",
        "",
        "## Key activities",
        "",
        *table(
            ("activity", "count", "by", "cases"),
            (
                (
                    esc(row["label"]),
                    str(row["count"]),
                    esc(", ".join(f"{words(k)} {n}" for k, n in row["by"].items())),
                    case_links(row["cases"], "../", LIST_LIMIT),
                )
                for row in report["activities"].values()
            ),
        ),
        "",
        "## Outcomes and lessons learned",
        "",
        *table(
            ("case", "closed at", "outcome", "summary", "lessons learned", "reopened"),
            (
                (
                    case_link(row["id"], "../"),
                    esc(row["closed_at"]),
                    esc(words(str(row["outcome"]))),
                    esc(row["outcome_summary"] or ""),
                    esc(row["lessons_learned"] or ""),
                    esc(row["reopened_at"] or ""),
                )
                for row in report["outcomes"]["cases"]
            ),
            "No case was closed in this month.",
        ),
        "",
        "## SLA compliance",
        "",
        "Targets whose due time falls in the month.",
        "",
        *_month_compliance(report["sla"]),
        "",
    ]
    if current:
        lines += _next_steps(report["next_steps"])
    return "\n".join(lines)


def _month_compliance(section: Mapping[str, Any]) -> list[str]:
    return table(
        ("target", "met", "met late", "breached", "pending", "compliance", "late or breached"),
        (
            (
                esc(name),
                *(str(row[k]) for k in ("met", "met_late", "breached", "pending")),
                percent(row["compliance"]),
                case_links(sorted({*row["late_cases"], *row["breached_cases"]}), "../", LIST_LIMIT),
            )
            for name, _, row in _measured(section)
        ),
    )


def _next_steps(steps: Mapping[str, Any]) -> list[str]:
    return [
        "## Next steps",
        "",
        f"Until the end of {esc(steps['following_period'])} ({steps['until']}).",
        "",
        "### Follow-ups due",
        "",
        *table(
            ("case", "follow-up", "owner", "due", ""),
            (
                (
                    case_link(t["case"], "../"),
                    esc(f"{t['id']}: {t['title']}"),
                    person_link(t["owner"], "../"),
                    esc(t["due"]),
                    "overdue" if t["overdue"] else "",
                )
                for t in steps["followups"]
            ),
        ),
        "",
        "### Reviews due",
        "",
        *table(
            ("case", "handler", "next review", ""),
            (
                (
                    case_link(r["case"], "../"),
                    person_link(r["handler"], "../"),
                    esc(r["due"]),
                    "overdue" if r["overdue"] else "",
                )
                for r in steps["reviews_due"]
            ),
        ),
        "",
        "### Open cases",
        "",
        *table(
            ("status", "count"),
            (
                (esc(words(status)), filtered_index(str(row["count"]), "../", status=status))
                for status, row in steps["open_cases"].items()
            ),
        ),
        "",
    ]


def pages(data: SiteData, found: Figures) -> dict[str, str]:
    out = {"sla.md": sla_page(data, found), f"{REPORTS_DIR}/index.md": reports_index(data, found)}
    for position, report in enumerate(found.reports):
        label = report["period"]["label"]
        out[f"{REPORTS_DIR}/{label}.md"] = report_page(
            data, report, position == len(found.reports) - 1
        )
    return out
