"""`casetrail rekey`: re-encrypt what the policy and the roster now say others should read."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from casetrail.cli.common import Edit, Office, case_path, office, write_case
from casetrail.cli.main import UserError
from casetrail.cli.sealing import IDENTITY_OPTION, keyring, reseal, with_keysets
from casetrail.core.report import FINDINGS, OK

if TYPE_CHECKING:
    from casetrail.shell.cipher import Keyring

PROGRESS_FROM = 20  # cases; fewer finish before a bar would be worth drawing


@dataclass
class Tally:
    cases: int = 0
    rekeyed_cases: int = 0
    sections: int = 0
    documents: int = 0
    failed: int = 0


@click.command()
@click.argument("cases", nargs=-1, metavar="[CASE...]")
@click.option("--all", "every", is_flag=True, help="Every case under cases/.")
@click.option("--dry-run", is_flag=True, help="Say what would be re-encrypted; write nothing.")
@IDENTITY_OPTION
@click.pass_context
def rekey(
    ctx: click.Context,
    cases: tuple[str, ...],
    every: bool,
    dry_run: bool,
    identity: tuple[str, ...],
) -> int:
    """Re-encrypt exactly the sections and documents whose recipient set changed (after an
    assignment or a roster change), keeping every other block byte-identical.

    Needs a key that can read the cases: a supervisor's, or the records office's escrow key.
    Exit 1 if some case could not be re-encrypted (each is named, and left as it was).
    """
    from casetrail.shell import repo

    if bool(cases) == every:
        raise UserError("name the cases to re-encrypt, or pass --all")
    where = office(ctx)
    if every:
        paths = [e.path for e in repo.walk_cases(where.root) if e.problem is None]
    else:
        paths = [case_path(where.root, ref) for ref in cases]
    ring = keyring(identity)
    if not ring:
        from casetrail.shell.keysource import describe_sources

        raise UserError("rekey decrypts to re-encrypt, so it needs a key; " + describe_sources())
    tally = Tally()
    if len(paths) >= PROGRESS_FROM and sys.stderr.isatty():
        with click.progressbar(paths, label="re-encrypting", file=sys.stderr) as bar:
            lines = [_one(where, rel, ring, dry_run, tally) for rel in bar]
        click.echo("\n".join(line for line in lines if line))
    else:
        for rel in paths:
            line = _one(where, rel, ring, dry_run, tally)
            if line:
                click.echo(line)
    verb = "would re-encrypt" if dry_run else "re-encrypted"
    click.echo(
        f"{tally.cases} case{'s' if tally.cases != 1 else ''}: {verb} "
        f"{tally.sections} section(s) and {tally.documents} document(s) in "
        f"{tally.rekeyed_cases} case(s); {tally.failed} failed"
    )
    return FINDINGS if tally.failed else OK


def _one(where: Office, rel: str, ring: Keyring, dry_run: bool, tally: Tally) -> str:
    """Re-encrypt one case; a line for the user, empty when it was already current."""
    from casetrail.core import document, engine
    from casetrail.core.case import Case
    from casetrail.shell import cipher, repo

    tally.cases += 1
    data, size = repo.read_case(where.root, rel)
    parsed, _ = document.parse(data, size)
    if parsed is None or not where.config.fast_check(parsed.front_matter):
        tally.failed += 1
        return f"{rel}: not a valid case; skipped (casetrail check {rel})"
    case = Case(parsed.front_matter)
    if case.type not in where.config.policy.case_types:
        tally.failed += 1
        return f"{rel}: unknown case type; skipped"
    try:
        result = reseal(where.root, rel, parsed, case, where.config, ring)
        text = with_keysets(rel, result)
    except (cipher.CipherError, UserError) as error:
        tally.failed += 1
        return f"{rel}: {error}; left as it was"
    parts = [*result.rekeyed, *(p.name for p, _ in result.documents)]
    if not parts:
        return ""
    if not dry_run:
        new = text.encode()
        errors = [
            d
            for d in engine.check_file(rel, new, where.config).diagnostics
            if d.severity.value == "error"
        ]
        if errors:
            tally.failed += 1
            return f"{rel}: would not be valid afterwards ({errors[0].code}); left as it was"
        write_case(where.root, rel, Edit(new, result.documents))
    tally.rekeyed_cases += 1
    tally.sections += len(result.rekeyed)
    tally.documents += len(result.documents)
    return f"{rel}: {'would re-encrypt' if dry_run else 're-encrypted'} " + ", ".join(parts)
