"""The site's view of destroyed records (issue 8): the Destructions page, one section per
certificate of destruction, and the tombstones' rows on the other pages.

Pure, like the other site modules. A certificate and a tombstone hold no title, party or text
(core/destruction.py), and every value read from them is escaped all the same.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from casetrail.core import destruction
from casetrail.core.destruction import Certificate, Tombstone
from casetrail.core.formats import parse_datetime
from casetrail.core.sitedata import SiteData
from casetrail.core.sitemd import as_of_line, case_link, code, esc, person_link, table

PAGE = "destruction.md"
CRYPTO_SHREDDING = (
    "Crypto-shredding means erasing a case's own key from the key store: its sections and "
    "documents were encrypted with that key, so the ciphertext that stays in git's history, in "
    "clones and in backups can no longer be read by anyone. A case destroyed without a key of "
    'its own ("no per-case key" below) leaves the current files only.'
)
NO_CASE_KEY_WORDS = "no per-case key (older versions stay readable to their recipients)"


def list_link(list_id: str, depth: str = "") -> str:
    """A link to a list's section on the Destructions page (list ids are `DL-<date>-<n>`)."""
    return f"[{esc(list_id)}]({depth}{PAGE}#{list_id})"


def key_words(key: str) -> str:
    if key == destruction.KEY_ERASED:
        return "erased"
    if key == destruction.NO_CASE_KEY:
        return NO_CASE_KEY_WORDS
    return esc(key)


def tombstone_path(case_id: str) -> str:
    return f"cases/{case_id[:4]}/{case_id}.md"


def destruction_page(data: SiteData) -> str:
    readable = sorted(
        (v for v in data.certificates if v.certificate is not None),
        key=lambda v: _executed(v.certificate),
        reverse=True,
    )
    unreadable = [v for v in data.certificates if v.certificate is None]
    with_pages = {t.id for t in data.tombstones} | {v.case.id for v in data.cases}
    destroyed = sum(len(v.certificate.cases) for v in readable if v.certificate)
    lines = [
        "# Destructions",
        "",
        as_of_line(data.as_of, data.head),
        "",
        "Records destroyed at the end of their retention (SOP 002 §4.6): a records officer "
        "proposed each destruction list, a supervisor other than the proposer approved it by a "
        "signed merge, and after the cooling-off period a records officer executed it, leaving "
        "of each case only a tombstone (its ID, type and dates) and a certificate of the list.",
        CRYPTO_SHREDDING,
        "`casetrail audit` verifies each destruction against the signed history (CT850; a "
        "tombstone changed afterwards is CT851): see the [audit](audit.md).",
        "",
    ]
    if not data.certificates and not data.tombstones:
        lines += [
            "No record has been destroyed: there is no certificate of destruction in "
            f"{esc(destruction.CERTIFICATES_DIR)}/ and no tombstone in cases/.",
            "",
        ]
    else:
        lines += [
            f"{len(readable)} destruction list(s) executed, **{destroyed}** case(s) destroyed; "
            f"{len(data.tombstones)} tombstone(s) in cases/.",
            "",
        ]
    for view in readable:
        if view.certificate is not None:
            lines += _certificate(view.path, view.certificate, with_pages)
    if unreadable:
        lines += [
            "## Unreadable certificates",
            "",
            "These files do not read as certificates of destruction; `casetrail audit` judges "
            "the certificate each destruction committed.",
            "",
            *table(("file", "problem"), ((esc(v.path), esc(v.problem)) for v in unreadable)),
            "",
        ]
    certified = {
        (v.certificate.record.list_id, c.id)
        for v in readable
        if v.certificate is not None
        for c in v.certificate.cases
    }
    orphans = [t for t in data.tombstones if (t.record.list_id, t.id) not in certified]
    if orphans:
        lines += [
            "## Tombstones no certificate here names",
            "",
            "`casetrail audit` says whether each was destroyed as the procedure requires.",
            "",
        ]
    shown = {v.certificate.record.list_id for v in readable if v.certificate is not None}
    for list_id in sorted({t.record.list_id for t in orphans}):
        anchor = "" if list_id in shown else f" {{#{list_id}}}"  # where tombstones link to
        lines += [
            f"### {esc(list_id)}{anchor}",
            "",
            *tombstone_table([t for t in orphans if t.record.list_id == list_id]),
            "",
        ]
    return "\n".join(lines)


def _executed(certificate: Certificate | None) -> tuple[float, str]:
    if certificate is None:
        return (0.0, "")
    moment = parse_datetime(certificate.record.executed_at)
    return (moment.timestamp(), certificate.record.list_id)


def _certificate(path: str, certificate: Certificate, with_pages: Collection[str]) -> list[str]:
    r = certificate.record
    facts = [
        ("proposed", f"by {person_link(r.proposed_by)} at {esc(r.proposed_at)}"),
        (
            "approved",
            f"by {person_link(r.approved_by)} at {esc(r.approved_at)}, signed merge "
            f"{code(r.approval_commit[:12])}",
        ),
        ("cooling-off period", f"{certificate.cooling_off_days} days"),
        ("executed", f"by {person_link(r.executed_by)} at {esc(r.executed_at)}"),
        ("key store log", esc(certificate.key_store_log) or "no key store"),
        ("certificate", esc(path)),
    ]
    rows = (
        (
            case_link(c.id) if c.id in with_pages else esc(c.id),
            esc(c.type),
            esc(c.closed_at),
            esc(c.until),
            key_words(c.key),
            str(c.documents),
        )
        for c in certificate.cases
    )
    return [
        f"## {esc(r.list_id)} {{#{r.list_id}}}",
        "",
        *table(("", ""), facts),
        "",
        f"{len(certificate.cases)} case(s) destroyed:",
        "",
        *table(
            ("case", "type", "closed", "retention until", "key", "documents removed"),
            rows,
            "None listed.",
        ),
        "",
    ]


def tombstone_table(tombstones: Sequence[Tombstone], depth: str = "") -> list[str]:
    """The destroyed cases with their list, for the retention page (and orphans above)."""
    return table(
        ("case", "type", "closed at", "until", "list", "executed at", "key"),
        (
            (
                case_link(t.id, depth),
                esc(t.type),
                esc(t.closed_at),
                esc(t.retention_until),
                list_link(t.record.list_id, depth),
                esc(t.record.executed_at),
                key_words(t.key),
            )
            for t in sorted(tombstones, key=lambda t: (t.record.list_id, t.id))
        ),
    )
