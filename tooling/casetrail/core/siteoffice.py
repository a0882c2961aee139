"""The office's pages: workload and one page per person, closures with their lessons learned,
and the retention schedule with the cases destroyed at its end."""

from __future__ import annotations

from collections.abc import Sequence

from casetrail.core import periodic, retention, views
from casetrail.core.case import Case
from casetrail.core.sitedata import Office, SiteData
from casetrail.core.sitedestruction import PAGE as DESTRUCTIONS
from casetrail.core.sitedestruction import tombstone_table
from casetrail.core.sitemd import (
    PEOPLE_DIR,
    as_of_line,
    case_link,
    case_links,
    esc,
    person_link,
    table,
    words,
)
from casetrail.core.views import Item, Load


def workload_table(rows: Sequence[Load], depth: str = "") -> list[str]:
    return table(
        ("person", "points", "capacity", "high", "medium", "low", "open cases", "away"),
        (
            (
                person_link(r.person, depth),
                str(r.points),
                str(r.capacity),
                *(str(r.by_priority.get(p, 0)) for p in ("high", "medium", "low")),
                case_links(r.cases, depth),
                esc(r.away),
            )
            for r in rows
        ),
    )


def item_rows(items: Sequence[Item], depth: str) -> list[str]:
    return table(
        ("state", "case", "what", "due", "person", "escalate to", "late by"),
        (
            (
                esc(words(i.state)),
                case_link(i.case, depth),
                esc(i.what),
                esc(i.due),
                person_link(i.person, depth),
                ", ".join(person_link(h, depth) for h in i.escalate_to),
                esc(i.late),
            )
            for i in items
        ),
    )


def people_pages(data: SiteData) -> dict[str, str]:
    """people/index.md (workload) and people/<handle>.md for everyone in the roster."""
    pages = {f"{PEOPLE_DIR}/index.md": _people_index(data)}
    office, cases = data.office, [v.case for v in data.cases]
    loads = {r.person: r for r in data.workload}
    for person in office.roster.people.values():
        pages[f"{PEOPLE_DIR}/{person.handle}.md"] = _person_page(
            data, person.handle, cases, loads.get(person.handle), office
        )
    return pages


def _people_index(data: SiteData) -> str:
    roster = data.office.roster.people.values()
    return "\n".join(
        [
            "# Workload",
            "",
            as_of_line(data.as_of, data.head),
            "",
            "Open cases per person against capacity. Points weigh each case by its priority "
            "(`priorities.<priority>.weight` in the policy); the same figures as `casetrail workload`.",
            "",
            *workload_table(data.workload, "../"),
            "",
            "## Everyone in the roster",
            "",
            *table(
                ("person", "roles"),
                (
                    (person_link(p.handle, "../"), esc(", ".join(sorted(p.roles))))
                    for p in sorted(roster, key=lambda p: p.handle)
                ),
            ),
            "",
        ]
    )


def _person_page(
    data: SiteData,
    handle: str,
    cases: Sequence[Case],
    load: Load | None,
    office: Office,
) -> str:
    person = office.roster.people[handle]
    theirs = sorted(
        (c for c in cases if views.is_open(c) and handle in c.case_team()), key=lambda c: c.id
    )
    due = views.agenda(cases, handle, data.as_of, office.calendar, office.roster)
    facts = [
        ("roles", esc(", ".join(sorted(person.roles)))),
        ("capacity", str(person.capacity)),
        ("open cases", str(len(theirs))),
    ]
    if load is not None:
        facts += [("points", str(load.points)), ("away", esc(load.away) or "no")]
    if not person.is_active(data.as_of.date()):
        facts.append(("active", "no (not in the office on this date)"))
    return "\n".join(
        [
            f"# {esc(handle)}",
            "",
            as_of_line(data.as_of, data.head),
            "",
            *table(("", ""), facts),
            "",
            "## Open cases",
            "",
            *table(
                ("case", "role", "status", "priority", "title"),
                (
                    (
                        case_link(c.id, "../"),
                        esc(
                            ", ".join(
                                words(r)
                                for r in ("handler", "resolution_officer")
                                if c.assignee(r) == handle
                            )
                        ),
                        esc(c.status),
                        esc(c.priority),
                        esc(c.data.get("title", "")),
                    )
                    for c in theirs
                ),
            ),
            "",
            "## Due and overdue",
            "",
            "Targets, follow-ups and flags for this person (`casetrail agenda --for "
            f"{esc(handle)}`).",
            "",
            *item_rows(due, "../"),
            "",
        ]
    )


def closures_page(data: SiteData) -> str:
    """Every closure the records hold, newest first, with its outcome and lessons learned."""
    rows = sorted(
        (
            (closure, reopened, view.case)
            for view in data.cases
            for closure, reopened in periodic.closures(view.case)
            if "closed_at" in closure
        ),
        key=lambda r: (str(r[0]["closed_at"]), r[2].id),
        reverse=True,
    )
    lessons = [
        f"- {case_link(case.id)} ({esc(closure['closed_at'])}): {esc(closure['lessons_learned'])}"
        for closure, _, case in rows
        if closure.get("lessons_learned")
    ]
    return "\n".join(
        [
            "# Closures and lessons learned",
            "",
            as_of_line(data.as_of, data.head),
            "",
            f"{len(rows)} closures; a reopened case keeps its earlier closure, marked so "
            "(SOP 000 closure, SOP 003 lessons learned).",
            "",
            *table(
                ("closed at", "case", "type", "outcome", "closed by", "summary", "reopened"),
                (
                    (
                        esc(closure["closed_at"]),
                        case_link(case.id),
                        esc(case.type),
                        esc(words(str(closure.get("outcome", "")))),
                        person_link(closure.get("closed_by")),
                        esc(closure.get("outcome_summary", "")),
                        esc(reopened or ""),
                    )
                    for closure, reopened, case in rows
                ),
            ),
            "",
            "## Lessons learned",
            "",
            *(lessons or ["None recorded yet."]),
            "",
        ]
    )


def retention_page(data: SiteData) -> str:
    today = data.as_of.date()
    rows = retention.schedule([v.case for v in data.cases], today)
    counts = {s: sum(1 for r in rows if r.state == s) for s in (retention.DUE, retention.HELD)}

    def part(state: str) -> list[str]:
        return table(
            ("case", "type", "closed at", "until", "disposition", "rule"),
            (
                (
                    case_link(r.case),
                    esc(r.type),
                    esc(r.closed_at),
                    esc(r.until),
                    esc(r.disposition),
                    esc(r.rule),
                )
                for r in rows
                if r.state == state
            ),
        )

    return "\n".join(
        [
            "# Retention schedule",
            "",
            as_of_line(data.as_of, data.head),
            "",
            f"{len(rows)} closed cases: **{counts[retention.DUE]}** whose retention period has "
            f"ended by {esc(today.isoformat())}, **{counts[retention.HELD]}** on legal hold. "
            "Retention is set at closure from the policy's rule for the case type "
            "(SOP 001 §4.6, SOP 002 §4.6). "
            f"**{len(data.tombstones)}** cases destroyed at the end of their retention keep only "
            f"a tombstone ([destructions]({DESTRUCTIONS})).",
            "",
            "## Due for archiving or destruction",
            "",
            *part(retention.DUE),
            "",
            "## On legal hold (suspended)",
            "",
            *part(retention.HELD),
            "",
            "## Closed without a retention schedule",
            "",
            *part(retention.MISSING),
            "",
            "## Scheduled",
            "",
            *part(retention.SCHEDULED),
            "",
            "## Destroyed",
            "",
            *tombstone_table(data.tombstones),
            "",
        ]
    )
