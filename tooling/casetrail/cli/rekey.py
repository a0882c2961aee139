"""`casetrail rekey`: re-encrypt what the policy and the roster now say others should read."""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from casetrail.cli.common import Office, case_path, office
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

    def add(self, line: str, sections: int, documents: int, failed: bool, writes: Writes) -> str:
        """Count one case's outcome; its line for the user."""
        self.cases += 1
        self.failed += failed
        if sections or documents:
            self.rekeyed_cases += 1
            self.sections += sections
            self.documents += documents
        return line


Writes = list[tuple[Path, bytes]]  # documents first, then the case file
Outcome = tuple[str, int, int, bool, Writes]  # line, sections, documents, failed, writes
BATCH_FILES = 500  # files written per pair of syncs (see shell/bulkwrite.py)
PARALLEL_FROM = 200  # cases; below this, starting processes costs more than it saves
_shared: tuple[Office, Keyring, bool] | None = None  # what forked workers inherit


def _run_all(where: Office, paths: list[str], ring: Keyring, dry_run: bool) -> Iterator[Outcome]:
    """Each case's outcome, in order; on both cores when there are many. Workers are forked so
    they inherit the keys in memory: nothing secret is pickled, piped or re-read."""
    global _shared
    jobs = os.cpu_count() or 1
    if jobs == 1 or len(paths) < PARALLEL_FROM or "fork" not in mp.get_all_start_methods():
        yield from (_one(where, rel, ring, dry_run) for rel in paths)
        return
    _shared = (where, ring, dry_run)
    try:
        with mp.get_context("fork").Pool(jobs) as pool:
            yield from pool.imap(_one_shared, paths, chunksize=32)
    finally:
        _shared = None


def _one_shared(rel: str) -> Outcome:
    assert _shared is not None
    return _one(_shared[0], rel, _shared[1], _shared[2])


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
    from casetrail.shell import bulkwrite, repo

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
    pending: Writes = []

    def count(outcome: Outcome) -> str:
        pending.extend(outcome[4])
        if len(pending) >= BATCH_FILES:
            bulkwrite.replace_all(pending)
            pending.clear()
        return tally.add(*outcome)

    outcomes = _run_all(where, paths, ring, dry_run)
    try:
        if len(paths) >= PROGRESS_FROM and sys.stderr.isatty():
            with click.progressbar(outcomes, length=len(paths), label="re-encrypting") as bar:
                lines = [count(outcome) for outcome in bar]
            click.echo("\n".join(line for line in lines if line))
        else:
            for outcome in outcomes:
                line = count(outcome)
                if line:
                    click.echo(line)
    finally:  # what was re-encrypted before an interruption is kept
        bulkwrite.replace_all(pending)
    verb = "would re-encrypt" if dry_run else "re-encrypted"
    click.echo(
        f"{tally.cases} case{'s' if tally.cases != 1 else ''}: {verb} "
        f"{tally.sections} section(s) and {tally.documents} document(s) in "
        f"{tally.rekeyed_cases} case(s); {tally.failed} failed"
    )
    return FINDINGS if tally.failed else OK


def _one(where: Office, rel: str, ring: Keyring, dry_run: bool) -> Outcome:
    """Re-encrypt one case: a line for the user (empty when it was already current), the counts
    of re-encrypted sections and documents, and whether it failed."""
    from casetrail.core import destruction, document
    from casetrail.core.case import Case
    from casetrail.shell import cipher, repo

    data, size = repo.read_case(where.root, rel)
    parsed, _ = document.parse(data, size)
    if parsed is not None and destruction.is_tombstone(parsed.front_matter):
        return "", 0, 0, False, []  # destroyed: nothing is encrypted any more
    if parsed is None or not where.config.fast_check(parsed.front_matter):
        return f"{rel}: not a valid case; skipped (casetrail check {rel})", 0, 0, True, []
    case = Case(parsed.front_matter)
    if case.type not in where.config.policy.case_types:
        return f"{rel}: unknown case type; skipped", 0, 0, True, []
    try:
        result = reseal(where.root, rel, parsed, case, where.config, ring)
        text = with_keysets(rel, result)
    except (cipher.CipherError, UserError) as error:
        message = str(error)
        where_from = "" if message.startswith(rel) else f"{rel}: "
        return f"{where_from}{message}; left as it was", 0, 0, True, []
    parts = [*result.rekeyed, *(p.name for p, _ in result.documents)]
    if not parts:
        return "", 0, 0, False, []
    # Only ciphertext and keyset values changed, each checked where it was made (the armor is
    # pyrage's, the keysets are verified by re-reading), so the case is not re-validated here.
    writes: Writes = [] if dry_run else [*result.documents, (where.root / rel, text.encode())]
    verb = "would re-encrypt" if dry_run else "re-encrypted"
    line = f"{rel}: {verb} " + ", ".join(parts)
    return line, len(result.rekeyed), len(result.documents), False, writes
