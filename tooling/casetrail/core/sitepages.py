"""The auditors' site as Markdown pages: case index, overdue items and the audit in, pages out.

Pure: no clock (the moment comes in with the data), no files, no keys. Every value read from a
record is escaped, so a title like `<script>` is shown as text. Encrypted sections and documents
appear only as how many recipients they are encrypted for: the data handed in holds nothing more.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from casetrail.core.case import Case
from casetrail.core.views import Item, Load

CASES_DIR = "cases"
_MARKDOWN_SPECIALS = "\\`*_{}[]()#+-.!|>"  # Python-Markdown escapes, and tables' |
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class SectionView:
    title: str
    readers: str | None  # "encrypted for N recipients"; None for a plain-text section


@dataclass(frozen=True, slots=True)
class DocumentView:
    name: str
    date: str
    readers: str  # "encrypted for N recipients", or why it could not be counted


@dataclass(frozen=True, slots=True)
class CaseView:
    case: Case
    path: str  # repository-relative case file
    sections: tuple[SectionView, ...] = ()
    documents: tuple[DocumentView, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditView:
    available: bool
    problem: str = ""  # why the history could not be audited
    summary: Mapping[str, Any] = field(default_factory=dict)
    findings: tuple[Mapping[str, Any], ...] = ()
    permissions_text: str = ""
    last_audited: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class SiteData:
    as_of: datetime
    head: str | None  # the commit the figures come from; None outside git
    cases: tuple[CaseView, ...]
    overdue: tuple[Item, ...]
    workload: tuple[Load, ...]
    audit: AuditView
    skipped: tuple[str, ...] = ()  # case files left out because they are not valid


def esc(value: Any) -> str:
    """A value from a record as inert Markdown text: no HTML, no markup, one line."""
    text = " ".join(str(value).split())
    text = html.escape(text, quote=False)
    return "".join(f"\\{c}" if c in _MARKDOWN_SPECIALS else c for c in text)


def code(value: Any) -> str:
    """A commit id as code; anything else escaped as text."""
    text = str(value)
    return f"`{text}`" if text and set(text) <= _HEX else esc(text)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A Markdown table; cells must already be escaped (or be links we made)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return lines if len(lines) > 2 else ["None."]


def case_link(case_id: str, prefix: str = "") -> str:
    return f"[{esc(case_id)}]({prefix}{case_id}.md)"


def render(data: SiteData) -> dict[str, str]:
    """Every generated page, by path under the docs folder."""
    pages = {
        "index.md": overview(data),
        "overdue.md": overdue_page(data),
        "audit.md": audit_page(data),
        f"{CASES_DIR}/index.md": cases_index(data),
    }
    for view in data.cases:
        pages[f"{CASES_DIR}/{view.case.id}.md"] = case_page(view)
    return pages


def _as_of_line(data: SiteData) -> str:
    head = f"commit {code(data.head[:12])}" if data.head else "a folder outside git (no commit)"
    return f"As of {esc(data.as_of.isoformat())}, from {head}."


def _counts(title: str, counter: Counter[str]) -> list[str]:
    rows = [(esc(key), str(count)) for key, count in sorted(counter.items())]
    return [f"### {title}", "", *table((title.split()[-1], "open cases"), rows), ""]


def overview(data: SiteData) -> str:
    open_cases = [v.case for v in data.cases if v.case.status != "closed"]
    breached = sum(1 for i in data.overdue if i.state == "breached")
    lines = [
        "# Overview",
        "",
        _as_of_line(data),
        "",
        f"- **{len(data.cases)}** cases, **{len(open_cases)}** open "
        f"([all cases]({CASES_DIR}/index.md))",
        f"- **{len(data.overdue)}** items overdue, at risk or flagged, "
        f"**{breached}** breached ([overdue and at risk](overdue.md))",
        f"- audit: {_audit_line(data.audit)} ([audit](audit.md))",
        "",
    ]
    if data.skipped:
        lines += [f"{len(data.skipped)} invalid case file(s) left out: run `casetrail check`.", ""]
    lines += ["## Open cases", ""]
    lines += _counts("By status", Counter(c.status for c in open_cases))
    lines += _counts("By priority", Counter(c.priority for c in open_cases))
    lines += _counts("By type", Counter(c.type for c in open_cases))
    lines += ["## Workload", "", *workload_table(data.workload), ""]
    return "\n".join(lines)


def workload_table(rows: Sequence[Load]) -> list[str]:
    return table(
        ("person", "points", "capacity", "open cases", "away"),
        (
            (
                esc(r.person),
                str(r.points),
                str(r.capacity),
                ", ".join(case_link(c, f"{CASES_DIR}/") for c in r.cases),
                esc(r.away),
            )
            for r in rows
        ),
    )


def _audit_line(audit: AuditView) -> str:
    if not audit.available:
        return "not audited"
    s = audit.summary
    return f"{s.get('commits', 0)} commits, {s.get('errors', 0)} errors, {s.get('warnings', 0)} warnings"


def overdue_page(data: SiteData) -> str:
    rows = (
        (
            esc(i.state.replace("_", " ")),
            case_link(i.case, f"{CASES_DIR}/"),
            esc(i.what),
            esc(i.due),
            esc(i.person or ""),
            esc(", ".join(i.escalate_to)),
            esc(i.late),
        )
        for i in data.overdue
    )
    breached = sum(1 for i in data.overdue if i.state == "breached")
    return "\n".join(
        [
            "# Overdue and at risk",
            "",
            _as_of_line(data),
            f"{len(data.overdue)} items: {breached} breached; the rest at risk or open flags.",
            "",
            *table(
                ("state", "case", "what", "due", "person", "escalate to", "late by"),
                rows,
            ),
            "",
        ]
    )


def cases_index(data: SiteData) -> str:
    ordered = sorted(data.cases, key=lambda v: v.case.id)
    rows = (
        (
            case_link(v.case.id),
            esc(v.case.data.get("title", "")),
            esc(v.case.type),
            esc(v.case.status),
            esc(v.case.priority),
            esc(v.case.assignee("handler") or ""),
        )
        for v in ordered
    )
    return "\n".join(
        [
            "# Cases",
            "",
            _as_of_line(data),
            "",
            *table(("case", "title", "type", "status", "priority", "handler"), rows),
            "",
        ]
    )


def _fields(entry: Mapping[str, Any], names: Sequence[str]) -> list[str]:
    return [esc(entry.get(name, "")) for name in names]


def _entries(title: str, entries: Sequence[Mapping[str, Any]], names: Sequence[str]) -> list[str]:
    rows = (_fields(e, names) for e in entries)
    return [f"## {title}", "", *table([n.replace("_", " ") for n in names], rows), ""]


_METADATA = (
    "type",
    "status",
    "priority",
    "complexity",
    "channel",
    "received_at",
    "registered_at",
    "registered_by",
)


def case_page(view: CaseView) -> str:
    case = view.case
    meta = [(esc(k.replace("_", " ")), esc(case.data[k])) for k in _METADATA if k in case.data]
    team = [
        (esc(r.replace("_", " ")), esc(who))
        for r in ("handler", "resolution_officer")
        if (who := case.assignee(r))
    ]
    due = case.data.get("due") if isinstance(case.data.get("due"), dict) else {}
    lines = [
        # The page title (the H1) holds no user text: MkDocs puts it into <title> and the
        # navigation unescaped. The case's own title follows as body text.
        f"# Case {esc(case.id)}",
        "",
        f"**{esc(case.data.get('title', ''))}**",
        "",
        f"Record: {esc(view.path)}",
        "",
        *table(("field", "value"), [*meta, *team]),
        "",
        "## Targets",
        "",
        *table(
            ("target", "due"),
            ((esc(k), esc(v)) for k, v in sorted((due or {}).items()) if k != "calendar"),
        ),
        "",
    ]
    stakeholders = sorted(case.entries("stakeholders"), key=lambda s: (str(s["role"]), s["ref"]))
    lines += _entries("Stakeholders", stakeholders, ("role", "ref", "agreement"))
    lines += _entries(
        "Follow-ups", case.entries("followups"), ("id", "title", "owner", "due", "done_at")
    )
    lines += _entries("Reviews", case.entries("reviews"), ("at", "by", "summary"))
    lines += _entries(
        "Communications",
        case.entries("communications"),
        ("at", "by", "stakeholder", "channel", "direction", "summary"),
    )
    lines += _closure(case)
    lines += _sections(view)
    return "\n".join(lines)


def _closure(case: Case) -> list[str]:
    closure = case.closure()
    facts = [
        (esc(k.replace("_", " ")), esc(closure[k]))
        for k in ("requested_at", "requested_by", "outcome", "closed_at", "closed_by")
        if k in closure
    ]
    retention = case.data.get("retention")
    held = retention if isinstance(retention, dict) else {}
    return [
        "## Closure",
        "",
        *(table(("field", "value"), facts) if facts else ["Not requested."]),
        "",
        "### Checklist",
        "",
        *table(
            ("item", "done by", "done at"),
            (_fields(i, ("item", "done_by", "done_at")) for i in closure.get("checklist", [])),
        ),
        "",
        "## Retention",
        "",
        *table(
            ("field", "value"),
            ((esc(k.replace("_", " ")), esc(v)) for k, v in sorted(held.items())),
        ),
        "",
    ]


def _sections(view: CaseView) -> list[str]:
    rows = [
        (esc(s.title), esc(s.readers) if s.readers else "plain text, in the record")
        for s in view.sections
    ]
    docs = [(esc(d.name), esc(d.date), esc(d.readers)) for d in view.documents]
    return [
        "## Sections",
        "",
        *table(("section", "content"), rows),
        "",
        "## Documents",
        "",
        *table(("document", "date", "content"), docs),
        "",
    ]


def audit_page(data: SiteData) -> str:
    audit = data.audit
    lines = ["# Audit", "", _as_of_line(data), ""]
    if not audit.available:
        lines += [
            f"The history could not be audited: {esc(audit.problem)}",
            "",
        ]
    else:
        s = audit.summary
        root = s.get("trust_root")
        lines += [
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
        lines += ["", "## Findings", ""]
        lines += table(
            ("commit", "code", "severity", "path", "message"),
            (
                (
                    code(str(f.get("commit", ""))[:12]),
                    esc(f.get("code", "")),
                    esc(f.get("severity", "")),
                    esc(f.get("path") or ""),
                    esc(f.get("message", "")),
                )
                for f in audit.findings
            ),
        )
        lines += ["", "## Permissions", ""]
        text = audit.permissions_text.rstrip("\n") or "(no permissions report)"
        lines += ["```text", *_fenced(text).split("\n"), "```", ""]
    lines += [
        "## Re-run the audit",
        "",
        "From any full clone (no key is needed):",
        "",
        "```sh",
        "git clone <repository> records && cd records",
        "make demo   # or: python3 -m venv .venv && .venv/bin/pip install -e .",
        ".venv/bin/casetrail audit --permissions",
        "```",
        "",
    ]
    return "\n".join(lines)


def _fenced(text: str) -> str:
    """Text inside a code fence: a fence line in it must not close ours."""
    return text.replace("```", "` ` `")
