"""One page per case: metadata, team, targets, stakeholders, follow-ups, reviews, communications,
closure with its checklist, retention, sections and documents as recipient counts, and the
timeline from git with each commit's signer and verification status. A destroyed case's page
shows its tombstone's record and the same timeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from casetrail.core.case import Case
from casetrail.core.destruction import Tombstone
from casetrail.core.sitedata import CaseView, TimelineEntry
from casetrail.core.sitedestruction import key_words, list_link, tombstone_path
from casetrail.core.sitemd import code, esc, person_link, table, words

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
UP = "../"  # case pages sit in cases/


def _fields(entry: Mapping[str, Any], names: Sequence[str]) -> list[str]:
    return [esc(entry.get(name, "")) for name in names]


def _entries(title: str, entries: Sequence[Mapping[str, Any]], names: Sequence[str]) -> list[str]:
    rows = (_fields(e, names) for e in entries)
    return [f"## {title}", "", *table([words(n) for n in names], rows), ""]


def case_page(view: CaseView, timeline: Sequence[TimelineEntry], audited: bool) -> str:
    case = view.case
    meta = [(esc(words(k)), esc(case.data[k])) for k in _METADATA if k in case.data]
    team = [
        (esc(words(r)), person_link(who, UP))
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
    lines += _entries("Flags", case.entries("flags"), ("kind", "raised_at", "raised_by", "reason"))
    lines += _closure(case)
    lines += _sections(view)
    lines += _timeline(timeline, audited)
    return "\n".join(lines)


def tombstone_page(tomb: Tombstone, timeline: Sequence[TimelineEntry], audited: bool) -> str:
    """A destroyed case: only what its tombstone records, and its history's commits."""
    r = tomb.record
    facts = [
        ("type", esc(tomb.type)),
        ("status", "destroyed"),
        ("received at", esc(tomb.received_at)),
        ("registered at", esc(tomb.registered_at)),
        ("closed at", esc(tomb.closed_at)),
        ("retention until", esc(tomb.retention_until)),
    ]
    record = [
        ("list", list_link(r.list_id, UP)),
        ("rule", esc(r.rule)),
        ("proposed", f"by {person_link(r.proposed_by, UP)} at {esc(r.proposed_at)}"),
        (
            "approved",
            f"by {person_link(r.approved_by, UP)} at {esc(r.approved_at)}, signed merge "
            f"{code(r.approval_commit[:12])}",
        ),
        ("executed", f"by {person_link(r.executed_by, UP)} at {esc(r.executed_at)}"),
        ("key", key_words(tomb.key)),
    ]
    return "\n".join(
        [
            f"# Case {esc(tomb.id)}",
            "",
            f"**Destroyed** at the end of its retention under {list_link(r.list_id, UP)}: only "
            "this record remains, no title, party, section or document.",
            "",
            f"Record: {esc(tombstone_path(tomb.id))} (a tombstone)",
            "",
            *table(("field", "value"), facts),
            "",
            "## Destruction",
            "",
            *table(("field", "value"), record),
            "",
            *_timeline(timeline, audited),
        ]
    )


def _closure(case: Case) -> list[str]:
    closure = case.closure()
    facts = [
        (esc(words(k)), esc(closure[k]))
        for k in (
            "requested_at",
            "requested_by",
            "outcome",
            "outcome_summary",
            "lessons_learned",
            "closed_at",
            "closed_by",
        )
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
            ((esc(words(k)), esc(v)) for k, v in sorted(held.items())),
            "Not scheduled (set at closure).",
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


SUBJECT_LIMIT = 72  # characters of a commit subject shown; `casetrail log` shows it whole


def _timeline(entries: Sequence[TimelineEntry], audited: bool) -> list[str]:
    if not audited:
        return ["## Timeline", "", "No audited history (see the [audit](../audit.md)).", ""]
    rows = (
        (
            esc(e.when.replace("T", " ")),
            person_link(e.signer, UP) if e.signer else esc(e.author),
            esc(e.signature) if e.signature == "good" else f"**{esc(e.signature)}**",
            esc(e.change),
            esc(_shorten(e.subject)),
            code(e.commit[:12]),
        )
        for e in entries
    )
    return [
        "## Timeline",
        "",
        "Every audited commit that changed this record, oldest first: who signed it (the roster "
        "handle whose key made the signature; the author's name when it is not signed by a key "
        "the roster knows) and the verdict ([audit](../audit.md); `casetrail log` shows the "
        "same from a clone).",
        "",
        *table(
            ("when", "signed by", "signature", "change", "message", "commit"),
            rows,
            "No audited commit changed this record (it predates the trust root).",
        ),
        "",
    ]


def _shorten(text: str) -> str:
    return text if len(text) <= SUBJECT_LIMIT else text[: SUBJECT_LIMIT - 1].rstrip() + "…"
