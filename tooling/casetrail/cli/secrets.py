"""`casetrail show`, `edit` and `section set`: reading and writing a case's encrypted sections.

Plaintext goes to the user's terminal, a pipe, or the private file of an edit; never to a file
inside the repository, and never into a message.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from casetrail.cli.common import Office, case_path, office, refuse_tombstone
from casetrail.cli.main import UserError
from casetrail.cli.sealing import (
    IDENTITY_OPTION,
    Resealed,
    case_ring,
    keyring,
    open_document,
    open_sections,
    read_document,
    reseal,
    with_keysets,
)
from casetrail.core.report import FINDINGS

if TYPE_CHECKING:
    from casetrail.core.case import Case
    from casetrail.core.document import CaseDocument
    from casetrail.core.envelope import SectionPlaintext
    from casetrail.shell.cipher import Keyring

MAX_SECTION_BYTES = 512 * 1024  # a section's text; the case file itself is capped at 1 MiB


def _tombstone(where: Office, ref: str) -> str | None:
    """The text of a destroyed case's tombstone (nothing in it is sensitive), or None."""
    from casetrail.core import destruction, document
    from casetrail.shell import repo

    rel = case_path(where.root, ref)
    data, size = repo.read_case(where.root, rel)
    parsed, _ = document.parse(data, size)
    if parsed is None or not destruction.is_tombstone(parsed.front_matter):
        return None
    return parsed.text


def _read(where: Office, ref: str) -> tuple[str, CaseDocument, Case]:
    """The case as it is on disk, parsed; findings other than a broken file do not stop a
    reader (a case waiting for `rekey` must still be readable)."""
    from casetrail.core import document
    from casetrail.core.case import Case
    from casetrail.shell import repo

    rel = case_path(where.root, ref)
    data, size = repo.read_case(where.root, rel)
    parsed, _ = document.parse(data, size)
    if parsed is not None:
        refuse_tombstone(rel, parsed)
    if parsed is None or not where.config.fast_check(parsed.front_matter):
        raise UserError(f"{rel} cannot be read as a case; run casetrail check {rel}")
    case = Case(parsed.front_matter)
    if case.type not in where.config.policy.case_types:
        raise UserError(f"{rel}: case type {case.type!r} is not in the policy")
    return rel, parsed, case


def _refuse_output_into_repository(root: Path) -> None:
    """Decrypted text may go to a terminal or a pipe, or a file outside the records."""
    try:
        target = os.readlink("/proc/self/fd/1")
    except OSError:
        return  # not Linux, or stdout closed: nothing to compare
    if target.startswith("/") and Path(target).resolve().is_relative_to(root.resolve()):
        raise UserError(
            "standard output is a file inside the records repository; decrypted text must "
            "not be written there (redirect it outside, or pipe it)"
        )


def _summary(block: str) -> str:
    from casetrail.core import envelope

    try:
        return f"[{envelope.parse_armor(block).readers}]"
    except envelope.EnvelopeError as error:
        return f"[encrypted block that {error}]"


@click.command()
@click.argument("case", metavar="CASE")
@click.option("--section", "section_title", default=None, help="Only this section.")
@click.option("--attachment", default=None, help="A document of the case, by its file name.")
@click.option("--decrypt", is_flag=True, help="Decrypt (needs a key that can read it).")
@IDENTITY_OPTION
@click.pass_context
def show(
    ctx: click.Context,
    case: str,
    section_title: str | None,
    attachment: str | None,
    decrypt: bool,
    identity: tuple[str, ...],
) -> int:
    """Print a case, a section or a document. Without --decrypt each encrypted section shows
    only as "encrypted for N recipients"; with it, the plaintext goes to standard output."""
    where = office(ctx)
    tomb = _tombstone(where, case)
    if tomb is not None:
        if attachment is not None or section_title is not None or decrypt:
            raise UserError(f"{case} was destroyed: it has no sections or documents any more")
        click.echo(tomb, nl=False)
        return 0
    rel, parsed, loaded = _read(where, case)
    if attachment is not None:
        return _show_attachment(where, rel, loaded, attachment, decrypt, identity)
    sensitive = where.config.policy.case_types[loaded.type].sensitive_titles
    if section_title is not None and parsed.section(section_title) is None:
        titles = ", ".join(s.title for s in parsed.sections)
        raise UserError(f"{rel} has no section {section_title!r}; sections: {titles}")
    plain: dict[str, str] = {}
    if decrypt:
        _refuse_output_into_repository(where.root)
        # One section asked for: decrypt only it (a reader may not hold every section's key).
        opened = open_sections(parsed, loaded, where.config, keyring(identity), section_title)
        plain = {title: value.text for title, value in opened.items()}
    if section_title is not None:
        chosen = parsed.section(section_title)
        assert chosen is not None
        if section_title in plain:
            click.echo(plain[section_title], nl=not plain[section_title].endswith("\n"))
        elif section_title in sensitive:
            click.echo(_summary(chosen.body))
        else:
            click.echo(chosen.body)
        return 0
    text = parsed.text
    for item in parsed.sections:
        if item.title in sensitive and item.body.startswith("-----BEGIN"):
            shown = plain[item.title].rstrip("\n") if item.title in plain else _summary(item.body)
            text = text.replace(item.body, shown, 1)
    click.echo(text, nl=not text.endswith("\n"))
    return 0


def _show_attachment(
    where: Office,
    rel: str,
    case: Case,
    name: str,
    decrypt: bool,
    identity: tuple[str, ...],
) -> int:
    from casetrail.core import envelope

    entry = next((e for e in case.entries("attachments") if e["name"] == name), None)
    if entry is None:
        names = ", ".join(e["name"] for e in case.entries("attachments")) or "none"
        raise UserError(f"{rel} lists no attachment {name!r}; attachments: {names}")
    path = (where.root / rel).with_suffix("") / name
    data = read_document(path, rel)
    if not decrypt:
        try:
            held = envelope.parse_binary(data[: 64 * 1024]).readers
        except envelope.EnvelopeError as error:
            held = f"not a valid age file: it {error}"
        click.echo(
            f"{name}: {entry['kind']} of {entry['date']}, {entry['size']:,} bytes, "
            f"sha256 {entry['sha256']}, added by {entry['added_by']}; {held}"
        )
        return 0
    _refuse_output_into_repository(where.root)
    plain = open_document(path, data, entry, case_ring(keyring(identity), case), rel)
    sys.stdout.buffer.write(plain)
    sys.stdout.buffer.flush()
    return 0


@click.group()
def section() -> None:
    """Write a case's encrypted sections from scripts."""


@section.command("set")
@click.argument("case", metavar="CASE")
@click.argument("title", metavar="SECTION")
@IDENTITY_OPTION
@click.pass_context
def section_set(ctx: click.Context, case: str, title: str, identity: tuple[str, ...]) -> int:
    """Replace SECTION's text with standard input, encrypted in place (needs a key that can
    read the section, to count its revision on)."""
    where = office(ctx)
    rel, parsed, loaded = _read(where, case)
    sensitive = where.config.policy.case_types[loaded.type].sensitive_titles
    if title not in sensitive:
        kind = "a plain section" if parsed.section(title) else "not a section of this case"
        raise UserError(f"{title!r} is {kind}; encrypted sections: " + ", ".join(sorted(sensitive)))
    if "-" in identity:
        raise UserError(
            "section set reads the text from standard input, so the key cannot come from "
            "there too; give it with -i FILE or $CASETRAIL_AGE_KEY_FILE"
        )
    from casetrail.core import envelope

    if not any(s.title == title and envelope.looks_armored(s.body) for s in parsed.sections):
        raise UserError(
            f"{rel} has no encrypted block under '## {title}' to replace; run casetrail check {rel}"
        )
    raw = sys.stdin.buffer.read(MAX_SECTION_BYTES + 1)
    if len(raw) > MAX_SECTION_BYTES:
        raise UserError(f"the text is larger than {MAX_SECTION_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError("the text on standard input is not UTF-8") from None
    if "\0" in text or "\r" in text:
        raise UserError("the text holds NUL or CR characters; use plain LF text")
    ring = keyring(identity)
    result = reseal(where.root, rel, parsed, loaded, where.config, ring, {title: text})
    if not (result.changed or result.rekeyed or result.documents):
        click.echo(f"{rel}: section '{title}' unchanged; nothing written")
        return 0
    # Re-encrypted documents get their new keysets recorded, or `rekey` would redo them.
    _write_validated(where, rel, with_keysets(rel, result).encode(), result.documents)
    click.echo(_written(rel, result))
    return 0


def _written(rel: str, result: Resealed) -> str:
    changed, rekeyed, documents = result.changed, result.rekeyed, result.documents
    parts = [f"updated {', '.join(changed)}"] if changed else []
    parts += [f"re-encrypted {', '.join(rekeyed)} for the current recipients"] if rekeyed else []
    parts += [f"re-encrypted {len(documents)} document(s)"] if documents else []
    return f"{rel}: " + "; ".join(parts or ["saved; no encrypted section changed"])


def _findings(rel: str, data: bytes, where: Office) -> list[str]:
    """Errors `casetrail check` would report for the new file (messages never hold content)."""
    from casetrail.core import engine

    result = engine.check_file(rel, data, where.config)
    return [
        f"line {d.line}: {d.code} {d.message}"
        for d in result.diagnostics
        if d.severity.value == "error"
    ]


def _write_validated(
    where: Office, rel: str, data: bytes, documents: list[tuple[Path, bytes]]
) -> None:
    from casetrail.cli.common import Edit, write_case

    problems = _findings(rel, data, where)
    if problems:
        raise UserError(
            "the case would not be valid; nothing was written:\n  " + "\n  ".join(problems)
        )
    write_case(where.root, rel, Edit(data, documents))


@click.command()
@click.argument("case", metavar="CASE")
@IDENTITY_OPTION
@click.pass_context
def edit(ctx: click.Context, case: str, identity: tuple[str, ...]) -> int:
    """Edit a case with its encrypted sections decrypted, in $VISUAL or $EDITOR.

    The plaintext lives in a private temporary file outside the repository (0600, in RAM where
    possible) that is removed afterwards. On save the case is validated; an invalid save reopens
    the editor with the findings at the top. Only sections whose text changed are re-encrypted.
    Quit without saving (or with an error exit, like vim's :cq) to abandon: nothing is written.
    """
    from casetrail.core import editview
    from casetrail.shell import editor

    where = office(ctx)
    rel, parsed, loaded = _read(where, case)
    ring = keyring(identity)
    opened = open_sections(parsed, loaded, where.config, ring)
    blocks = {s.title: s.body for s in parsed.sections if s.title in opened}
    try:
        view = editview.render(
            parsed.text,
            blocks,
            {title: value.text for title, value in opened.items()},
            editview.notice(loaded.id),
        )
    except editview.ViewError as error:
        raise UserError(f"{rel}: {error}") from None
    try:
        with editor.private_file(where.root, f"{loaded.id}.md") as path:
            written = _edit_loop(where, rel, path, view, blocks, opened, ring)
    except editor.EditorError as error:
        raise UserError(str(error)) from None
    if written is None:
        click.echo(f"{rel}: edit abandoned; nothing written", err=True)
        return FINDINGS
    if written == "":
        click.echo(f"{rel}: no changes; nothing written")
    else:
        click.echo(written)
    return 0


def _edit_loop(
    where: Office,
    rel: str,
    path: Path,
    view: str,
    blocks: dict[str, str],
    opened: dict[str, SectionPlaintext],
    ring: Keyring,
) -> str | None:
    """Run the editor until the save is valid (the message), unchanged (""), or abandoned."""
    from casetrail.core import document, editview
    from casetrail.core.case import Case
    from casetrail.shell import editor

    shown = view
    first = True
    while True:
        editor.write_private(path, shown)
        if not editor.run(path):
            return None
        saved = path.read_text(encoding="utf-8", errors="replace")
        if saved == shown:
            return "" if first else None  # a second unchanged save after findings abandons
        first = False
        problems: list[str]
        try:
            back = editview.read_back(saved, blocks)
        except editview.ViewError as error:
            problems = [str(error)]
        else:
            new_doc, parse_findings = document.parse(back.text.encode())
            if new_doc is None or not where.config.fast_check(new_doc.front_matter):
                problems = _findings(rel, back.text.encode(), where) or [
                    f.message for f in parse_findings
                ]
            elif misplaced := _misplaced_regions(new_doc, blocks):
                problems = misplaced
            else:
                new_case = Case(new_doc.front_matter)
                result = reseal(
                    where.root, rel, new_doc, new_case, where.config, ring, back.texts, opened
                )
                new_data = with_keysets(rel, result).encode()
                problems = _findings(rel, new_data, where)
                if not problems:
                    if new_data == (where.root / rel).read_bytes() and not result.documents:
                        return ""  # saved as it was (say, only the notice removed)
                    _write_validated(where, rel, new_data, result.documents)
                    return _written(rel, result)
        shown = editview.notice(Path(rel).stem, problems) + editview.strip_notice(saved)


def _misplaced_regions(new_doc: CaseDocument, blocks: dict[str, str]) -> list[str]:
    """Each encrypted region must stay under its own heading: a region moved under another
    would leave a block bound to one section in another, which nobody could read back."""
    return [
        f"line {s.heading_line}: the region of section '{title}' is under the heading "
        f"'{s.title}'; move each region back under its own heading"
        for s in new_doc.sections
        for title, block in blocks.items()
        if title != s.title and block in s.body
    ]
