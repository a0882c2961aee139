"""`casetrail keys`: the per-case keys in the records office's key store.

`status` shows, for each case, where its key is and who can unwrap it, against what the policy
says now; `sync` gives and takes wrappers to match (after a roster change such as a departure,
or to finish a step that could not reach the store).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from casetrail.cli.common import office
from casetrail.cli.main import UserError
from casetrail.cli.sealing import IDENTITY_OPTION, keyring

if TYPE_CHECKING:
    from casetrail.cli.common import Office
    from casetrail.shell.keystore_dir import DirectoryKeyStore


@click.group()
def keys() -> None:
    """Per-case keys: where each case's key is and who can unwrap it."""


def _store(where: Office) -> DirectoryKeyStore:
    from casetrail.shell import casekeys

    try:
        return casekeys.open_store(where.root)
    except casekeys.CaseKeyError as error:
        raise UserError(str(error)) from None


@keys.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def status(ctx: click.Context, fmt: str) -> int:
    """Each case's key: in the store or erased, who holds a wrapper, and what differs from the
    policy. Exit 1 if something needs doing."""
    from casetrail.core import keyreport, recipients
    from casetrail.shell import caseindex, destroying

    where = office(ctx)
    store = _store(where)
    index = caseindex.load(where.root, where.config)
    policy, roster = where.config.policy, where.config.roster
    keyed = [
        keyreport.KeyedCase(
            case.id,
            str(case.data[recipients.CASE_KEY]),
            recipients.case_readers(case, policy, roster),
        )
        for case in index.cases
        if isinstance(case.data.get(recipients.CASE_KEY), str)
    ]
    destroyed = [t.id for t in index.tombstones if t.key == "erased"]
    interrupted = destroying.interrupted(where.root)
    found = store.status()
    logged = store.all_wrapped()
    wrapped = {
        s.case_id: {r: logged.get(s.case_id, {}).get(r, "") for r in s.readers} for s in found
    }
    rows = keyreport.rows(keyed, destroyed, found, interrupted, wrapped)
    log = store.verify_log()
    if fmt == "json":
        out = {
            "store": str(store.root),
            "log": {
                "entries": log.entries,
                "problems": list(log.problems),
                "notes": list(log.notes),
            },
            "cases": [r.to_json() for r in rows],
        }
        click.echo(json.dumps(out, indent=2))
    else:
        click.echo(f"key store {store.root}: {len(rows)} case(s); change log {log.entries} entries")
        for problem in log.problems:
            click.echo(f"  log problem: {problem}")
        for row in rows:
            who = f"  readers: {', '.join(row.readers)}" if row.readers else ""
            diff = f"  missing: {', '.join(row.missing)}" if row.missing else ""
            diff += f"  to revoke: {', '.join(row.extra)}" if row.extra else ""
            note = f"  ({row.note})" if row.note else ""
            click.echo(f"  {row.case}  {row.state}{who}{diff}{note}")
    return 1 if any(r.problem for r in rows) or not log.ok else 0


@keys.command()
@click.argument("cases", nargs=-1, metavar="[CASE]...")
@click.option("--by", default=None, help="Who acts (default: from git user.email).")
@click.option("--at", default=None, help="When (default: now).")
@IDENTITY_OPTION
@click.pass_context
def sync(
    ctx: click.Context,
    cases: tuple[str, ...],
    by: str | None,
    at: str | None,
    identity: tuple[str, ...],
) -> int:
    """Give and take wrappers so that exactly the people the policy names can unwrap each case's
    key (every case with a per-case key, or the CASEs given). Revoking needs no key; giving a
    wrapper needs a key that can unwrap the case's key already."""
    from casetrail.shell import caseindex, casekeys

    where = office(ctx)
    store = _store(where)
    act = where.act(by, at)
    index = caseindex.load(where.root, where.config)
    chosen = {c.id: c for c in index.cases if casekeys.uses_key(c)}
    if cases:
        unknown = [c for c in cases if c not in chosen]
        if unknown:
            raise UserError(f"no case with a per-case key: {', '.join(unknown)}")
        chosen = {c: chosen[c] for c in cases}
    ring = keyring(identity)
    changed, failed = 0, []
    logged = store.all_wrapped()  # one reading of the change log for every case
    for case in chosen.values():
        try:
            done = casekeys.sync(
                store, case, where.config.policy, where.config.roster, ring, act.actor.handle,
                act.now, logged.get(case.id, {}),
            )  # fmt: skip
        except casekeys.CaseKeyError as error:  # one case must not keep the others as they were
            failed.append(str(error))
            continue
        if done.words(case.id):
            changed += 1
            click.echo(done.words(case.id))
    click.echo(f"{changed} of {len(chosen)} case key(s) changed")
    if failed:
        for message in failed:
            click.echo(f"not synced: {message}", err=True)
        raise UserError(f"{len(failed)} case key(s) could not be synced (see above)")
    return 0
