"""The auditors' site as Markdown pages (and SVG charts): the site's data in, pages out.

Pure: no clock (the moment comes in with the data), no files, no keys. Every value read from a
record is escaped (core/sitemd.py). Encrypted sections and documents appear only as how many
recipients they are encrypted for: the data handed in holds nothing more.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from casetrail.core import sitedestruction, sitereports
from casetrail.core.sitecase import case_page, tombstone_page
from casetrail.core.sitedata import AuditView, SiteData
from casetrail.core.sitemd import (
    CASES_DIR,
    PEOPLE_DIR,
    REPORTS_DIR,
    as_of_line,
    case_link,
    code,
    esc,
    filtered_index,
    person_link,
    table,
)
from casetrail.core.siteoffice import (
    closures_page,
    item_rows,
    people_pages,
    retention_page,
    workload_table,
)
from casetrail.core.views import is_open


def render(data: SiteData) -> dict[str, str]:
    """Every generated page (and chart), by path under the docs folder."""
    found = sitereports.figures(data)
    pages = {
        "index.md": overview(data, found),
        "overdue.md": overdue_page(data),
        "audit.md": audit_page(data),
        "closures.md": closures_page(data),
        "retention.md": retention_page(data),
        sitedestruction.PAGE: sitedestruction.destruction_page(data),
        f"{CASES_DIR}/index.md": cases_index(data),
        **sitereports.pages(data, found),
        **sitereports.charts(found),
        **people_pages(data),
    }
    timelines = data.audit.timelines
    for tomb in data.tombstones:  # a live case of the same ID (CT error) keeps its own page
        pages[f"{CASES_DIR}/{tomb.id}.md"] = tombstone_page(
            tomb, timelines.get(tomb.id, ()), data.audit.available
        )
    for view in data.cases:
        pages[f"{CASES_DIR}/{view.case.id}.md"] = case_page(
            view, timelines.get(view.case.id, ()), data.audit.available
        )
    return pages | _unknown_people(pages)


_PERSON_LINK = re.compile(rf"{PEOPLE_DIR}/([a-z][a-z0-9_-]{{1,31}})\.md\)")


def _unknown_people(pages: Mapping[str, str]) -> dict[str, str]:
    """A page for every handle the records name that the roster does not (someone who left,
    or a mistake `casetrail check` reports as CT301), so no link on the site is broken."""
    named = {h for text in pages.values() for h in _PERSON_LINK.findall(text)}
    return {
        f"{PEOPLE_DIR}/{handle}.md": f"# {esc(handle)}\n\nNot in the current roster: someone "
        "who has left, or a name `casetrail check` reports (CT301). Their cases and commits "
        "are on the case pages that link here.\n"
        for handle in sorted(named)
        if f"{PEOPLE_DIR}/{handle}.md" not in pages
    }


def _counts(title: str, column: str, counter: Counter[str]) -> list[str]:
    rows = (
        (esc(key), filtered_index(str(n), "", open="yes", **{column: key}))
        for key, n in sorted(counter.items())
    )
    return [f"### {title}", "", *table((column, "open cases"), rows), ""]


def overview(data: SiteData, found: sitereports.Figures) -> str:
    open_cases = [v.case for v in data.cases if is_open(v.case)]
    breached = sum(1 for i in data.overdue if i.state == "breached")
    lines = [
        "# Overview",
        "",
        as_of_line(data.as_of, data.head),
        "",
        f"- **{len(data.cases)}** cases, {filtered_index(f'**{len(open_cases)}** open', open='yes')} "
        f"([all cases]({CASES_DIR}/index.md))",
        f"- **{len(data.overdue)}** items overdue, at risk or flagged, "
        f"**{breached}** breached ([overdue and at risk](overdue.md))",
        f"- {filtered_index(f'**{len(data.tombstones)}** destroyed', status='destroyed')} at the "
        f"end of their retention ([destructions]({sitedestruction.PAGE}))",
        f"- audit: {_audit_line(data.audit)} ([audit](audit.md))",
        "",
    ]
    if data.skipped:
        lines += [f"{len(data.skipped)} invalid case file(s) left out: run `casetrail check`.", ""]
    lines += [
        "## SLA compliance to date",
        "",
        "Each count links to the cases behind it ([SLA compliance](sla.md)).",
        "",
        *sitereports.compliance_table(found.to_date),
        "",
        "## Trends",
        "",
        *sitereports.trends(found),
        "## Open cases",
        "",
    ]
    lines += _counts("By status", "status", Counter(c.status for c in open_cases))
    lines += _counts("By priority", "priority", Counter(c.priority for c in open_cases))
    lines += _counts("By type", "type", Counter(c.type for c in open_cases))
    lines += [
        "## Workload",
        "",
        f"Open cases per person against capacity ([everyone]({PEOPLE_DIR}/index.md)).",
        "",
        *workload_table(data.workload),
        "",
        "## More",
        "",
        f"- [Closures and lessons learned](closures.md), [retention schedule](retention.md), "
        f"[destructions]({sitedestruction.PAGE}), [periodic reports]({REPORTS_DIR}/index.md)",
        "",
    ]
    return "\n".join(lines)


def _audit_line(audit: AuditView) -> str:
    if not audit.available:
        return "not audited"
    s = audit.summary
    return f"{s.get('commits', 0)} commits, {s.get('errors', 0)} errors, {s.get('warnings', 0)} warnings"


def overdue_page(data: SiteData) -> str:
    breached = sum(1 for i in data.overdue if i.state == "breached")
    return "\n".join(
        [
            "# Overdue and at risk",
            "",
            as_of_line(data.as_of, data.head),
            f"{len(data.overdue)} items: {breached} breached; the rest at risk or open flags "
            "(the same as `casetrail overdue`). Escalate to the supervisors named.",
            "",
            *item_rows(data.overdue, ""),
            "",
        ]
    )


def cases_index(data: SiteData) -> str:
    live = (
        (
            v.case.id,
            (
                case_link(v.case.id, "../"),
                esc(v.case.data.get("title", "")),
                esc(v.case.type),
                esc(v.case.status),
                "yes" if is_open(v.case) else "no",
                esc(v.case.priority),
                person_link(v.case.assignee("handler"), "../"),
                esc(v.case.data.get("registered_at", "")),
            ),
        )
        for v in data.cases
    )
    destroyed = (  # a tombstone keeps no title, priority or team
        (
            t.id,
            (
                case_link(t.id, "../"),
                "",
                esc(t.type),
                "destroyed",
                "no",
                "",
                "",
                esc(t.registered_at),
            ),
        )
        for t in data.tombstones
    )
    rows = (row for _, row in sorted([*live, *destroyed], key=lambda r: r[0]))
    return "\n".join(
        [
            "# Cases",
            "",
            as_of_line(data.as_of, data.head),
            "",
            "Click a column's heading to sort; type in the filter to find a case. A destroyed "
            f"case keeps only its tombstone ([destructions](../{sitedestruction.PAGE})).",
            "",
            *table(
                ("case", "title", "type", "status", "open", "priority", "handler", "registered"),
                rows,
            ),
            "",
        ]
    )


def audit_page(data: SiteData) -> str:
    audit = data.audit
    lines = ["# Audit", "", as_of_line(data.as_of, data.head), ""]
    if not audit.available:
        lines += [f"The history could not be audited: {esc(audit.problem)}", ""]
    else:
        lines += _audit_summary(audit)
    lines += [
        "## Re-run the audit",
        "",
        "From any full clone (no key is needed); the result must match this page for the "
        "commit above. Install casetrail from its own source first (its README: `make "
        "test` or `pip install` of the checkout), then:",
        "",
        "```sh",
        "git clone <records repository> records && cd records",
        "git checkout <commit>",
        "casetrail check",
        "casetrail audit --permissions",
        "casetrail log <case id>",
        "```",
        "",
    ]
    return "\n".join(lines)


def _audit_summary(audit: AuditView) -> list[str]:
    s = audit.summary
    root = s.get("trust_root")
    lines = [
        f"- head audited: {code(s.get('head', ''))}",
        f"- trust root: {code(root)}" if root else "- trust root: none (the whole history)",
        f"- commits audited: {s.get('commits', 0)}",
        f"- errors: {s.get('errors', 0)}, warnings: {s.get('warnings', 0)}",
    ]
    last = audit.last_audited
    if last:
        lines.append(
            f"- last recorded audit: {code(last.get('head', ''))} "
            f"at {esc(last.get('audited_at', '?'))}"
        )
    lines += ["", "## Findings", "", *_findings(audit.findings), "", "## Permissions", ""]
    text = audit.permissions_text.rstrip("\n") or "(no permissions report)"
    return [*lines, "```text", *_fenced(text).split("\n"), "```", ""]


FINDINGS_SHOWN = 500  # findings listed one by one; all of them are counted by code above


def _findings(findings: Sequence[Mapping[str, object]]) -> list[str]:
    by_code = Counter((str(f.get("code", "")), str(f.get("severity", ""))) for f in findings)
    lines = table(
        ("code", "severity", "findings"),
        ((esc(c), esc(sev), str(n)) for (c, sev), n in sorted(by_code.items())),
        "None: every audited commit passed every check.",
    )
    if not findings:
        return lines
    shown = findings[:FINDINGS_SHOWN]
    lines += ["", f"### Each finding, in history order ({len(shown)} of {len(findings)})", ""]
    if len(findings) > len(shown):
        lines += ["`casetrail audit` lists every one (`--format json` for a file).", ""]
    return lines + table(
        ("commit", "code", "severity", "path", "message"),
        (
            (
                code(str(f.get("commit", ""))[:12]),
                esc(f.get("code", "")),
                esc(f.get("severity", "")),
                esc(f.get("path") or ""),
                esc(f.get("message", "")),
            )
            for f in shown
        ),
    )


def _fenced(text: str) -> str:
    """Text inside a code fence: a fence line in it must not close ours."""
    return text.replace("```", "` ` `")
