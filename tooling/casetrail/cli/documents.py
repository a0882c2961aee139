"""`casetrail attach`: keep a supporting document encrypted beside its case."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path

import click

from casetrail.cli.common import case_path, edited, load_case, office, relative_path
from casetrail.cli.main import UserError
from casetrail.cli.sealing import IDENTITY_OPTION, check_case_key, documents_set


@click.command()
@click.argument("case", metavar="CASE")
@click.argument("file", metavar="FILE", type=click.Path(dir_okay=False, exists=True))
@click.option("--kind", required=True, help="A document kind from the policy (evidence, ...).")
@click.option("--date", "day", default=None, help="The document's own date (default: today).")
@click.option("--name", "slug", default=None, help="A slug for the file name (no names!).")
@click.option("--by", default=None, help="Who adds it (default: from git user.email).")
@click.option("--at", default=None, help="When (default: now).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@IDENTITY_OPTION
@click.pass_context
def attach(
    ctx: click.Context,
    case: str,
    file: str,
    kind: str,
    day: str | None,
    slug: str | None,
    by: str | None,
    at: str | None,
    fmt: str,
    identity: tuple[str, ...],
) -> int:
    """Encrypt FILE to the case's readers and store it as cases/<year>/<id>/<date>-<slug>.<ext>.age,
    listed in the front matter with its date, kind, size and SHA-256."""
    from casetrail.core.actions import documents
    from casetrail.core.actions.base import Refusal
    from casetrail.core.formats import is_date
    from casetrail.shell import cipher, repo

    where = office(ctx)
    rel = case_path(where.root, case)
    loaded = load_case(where, rel)
    act = where.act(by, at)
    if day is not None and not is_date(day):
        raise UserError(f"--date {day!r} is not a date like 2026-11-20")
    when = date.fromisoformat(day) if day else act.now.date()
    source = click.format_filename(file)
    try:
        with open(file, "rb") as handle:
            data = handle.read(cipher.MAX_ATTACHMENT_BYTES + 1)
    except OSError as error:
        raise UserError(f"{source}: cannot read it ({error.strerror})") from None
    if len(data) > cipher.MAX_ATTACHMENT_BYTES:
        raise UserError(f"{source} is larger than {cipher.MAX_ATTACHMENT_BYTES:,} bytes")
    check_case_key(loaded.case)
    wanted = documents_set(loaded.case, where.config)
    document = documents.Document(
        documents.extension_of(source), len(data), hashlib.sha256(data).hexdigest()
    )
    try:
        change = documents.attach(loaded.case, act, document, when, kind, slug, wanted.fingerprint)
    except Refusal as refusal:
        hint = f"\n  hint: {refusal.hint}" if refusal.hint else ""
        raise UserError(refusal.message + hint) from None
    edit = edited(where, loaded, change, identity)
    target = (where.root / rel).with_suffix("") / change.data["name"]
    try:
        repo.create_exclusive(target, cipher.encrypt_file(data, wanted.keys))
    except FileExistsError:  # a file the case does not list: never overwrite it
        raise UserError(
            f"{relative_path(where.root, str(target))} already exists but {rel} does not list "
            f"it; run casetrail check {rel}, or choose another --name"
        ) from None
    try:
        for path, content in edit.documents:
            repo.atomic_write(path, content)
        repo.atomic_write(where.root / rel, edit.data)
    except BaseException:
        target.unlink(missing_ok=True)  # the case does not list it: leave no orphan behind
        raise
    if fmt == "json":
        click.echo(json.dumps({"id": loaded.case.id, "path": rel, **change.data}))
    else:
        click.echo(change.message)
    _warn_if_plaintext_inside(where.root, file)
    return 0


def _warn_if_plaintext_inside(root: Path, file: str) -> None:
    """The original stays where it was; inside the repository it would be committed in clear."""
    if not Path(os.path.normpath(Path(file).absolute())).is_relative_to(root):
        return
    click.echo(
        f"warning: {file} is inside the records repository and is NOT encrypted; "
        "move it out or delete it before you commit",
        err=True,
    )
