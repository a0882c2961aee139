"""Supporting documents (SOP 001 §4.2): listed in the front matter, stored encrypted beside it.

A document's file name is not encrypted, so it is made from the date and the kind (or a slug the
user gives), never from the original file name, which often names a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from casetrail.core import yamledit
from casetrail.core.actions.base import Act, Change, Refusal, require_open, require_staff
from casetrail.core.case import Case

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")
MAX_SLUG = 40


@dataclass(frozen=True, slots=True)
class Document:
    """What the shell learned about the file: its extension, size and SHA-256."""

    extension: str
    size: int
    sha256: str


def extension_of(filename: str) -> str:
    """The file's extension if it is a short plain one, else `bin`."""
    suffix = filename.rsplit(".", 1)[1].lower() if "." in filename.lstrip(".") else ""
    return suffix if _EXTENSION.match(suffix) else "bin"


def file_name(case: Case, day: date, kind: str, slug: str | None, extension: str) -> str:
    """`<date>-<slug>.<ext>.age`; the default slug is the kind with a number, unique in the case."""
    # A document is named by its stem (date and slug) whatever the file type: "evidence 2 of
    # the 20th" is one file, so a number or a slug is not reused for another extension.
    taken = {e["name"].split(".", 1)[0]: e["name"] for e in case.entries("attachments")}
    if slug is not None:
        if not _SLUG.match(slug) or len(slug) > MAX_SLUG:
            raise Refusal(
                f"--name {slug!r} is not a slug: lower-case letters, digits and single hyphens, "
                f"at most {MAX_SLUG} characters",
                "file names are not encrypted; describe the document without names",
            )
        stem = f"{day.isoformat()}-{slug}"
        if stem in taken:
            raise Refusal(
                f"the case already has a document named {taken[stem]}", "choose another --name"
            )
        return f"{stem}.{extension}.age"
    number = 1
    while (stem := f"{day.isoformat()}-{kind.replace('_', '-')}-{number}") in taken:
        number += 1
    return f"{stem}.{extension}.age"


def attach(
    case: Case,
    act: Act,
    document: Document,
    day: date,
    kind: str,
    slug: str | None,
    keyset: str,
) -> Change:
    require_staff(act.actor, "add a document to a case")
    require_open(case, "add a document")
    if kind not in act.policy.attachment_kinds:
        raise Refusal(
            f"--kind {kind}: not a document kind; one of "
            + ", ".join(sorted(act.policy.attachment_kinds))
        )
    if day > act.now.date():
        raise Refusal(f"--date {day.isoformat()} is in the future")
    if document.size == 0:
        raise Refusal("the file is empty; nothing to keep")
    same = [e["name"] for e in case.entries("attachments") if e["sha256"] == document.sha256]
    if same:
        raise Refusal(f"the case already holds this document as {same[0]}")
    name = file_name(case, day, kind, slug, document.extension)
    entry = {
        "name": name,
        "date": day.isoformat(),
        "kind": kind,
        "size": document.size,
        "sha256": document.sha256,
        "added_by": act.actor.handle,
        "keyset": keyset,
    }
    existing = case.entries("attachments")
    position = sum(1 for e in existing if e["date"] <= entry["date"])  # chronological, stable
    if position == len(existing):
        op: yamledit.Op = yamledit.Append(("attachments",), entry)
    else:
        op = yamledit.Set(("attachments",), [*existing[:position], entry, *existing[position:]])
    return Change(
        [op],
        f"added {kind} of {day.isoformat()} as {name} ({document.size:,} bytes, encrypted)",
        {"name": name},
    )
