"""`casetrail setup`: set up a clone once, and say what is missing and how to fix it.

Five pieces, each checked and reported on its own line: `ok`, what was done (`set`, `added`,
`wrote`), or `missing` with how to fix it.

1. Readable diffs and merges of case files (setup_drivers.py).
2. Commit signing with the person's SSH key, one of theirs in schema/roster.yaml
   (setup_signing.py).
3. git's allowed signers, generated from the roster (setup_hooks.py).
4. Hooks: pre-commit runs `casetrail check` on the staged files; post-merge and post-checkout
   refresh the allowed signers when the roster changed (setup_hooks.py).
5. The commit-graph with changed-path filters (setup_commitgraph.py).
6. Where the office's key store is, for per-case keys (setup_keystore.py).

Configuration goes into this clone's .git/config only, never the user's global one. Running it
again changes nothing; `--check` changes nothing and exits 1 if anything is missing. No key
material is printed or read beyond public halves: a private key is only looked for.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from casetrail.cli.main import UserError, repository_root
from casetrail.cli.setup_commitgraph import set_up_commit_graph
from casetrail.cli.setup_common import Report, load_schema, office_timezone
from casetrail.cli.setup_drivers import set_up_drivers
from casetrail.cli.setup_hooks import (
    HOOK_MARKER,
    PRE_COMMIT_FRAMEWORK,
    refresh_allowed_signers,
    set_up_allowed_signers,
    set_up_hooks,
)
from casetrail.cli.setup_keystore import set_up_key_store
from casetrail.cli.setup_signing import set_up_signing
from casetrail.shell.commitgraph import graph_layers

# Re-exported: tests/test_setup.py reads these from here.
__all__ = ["HOOK_MARKER", "PRE_COMMIT_FRAMEWORK", "graph_layers", "setup"]


@click.command()
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Only report what is missing or stale (exit 1 if anything is); change nothing.",
)
@click.option(
    "--signing-key",
    metavar="FILE",
    help="Your SSH signing key: the private key file or its .pub (default: the one git "
    "config names, else one of yours in the roster found in ~/.ssh).",
)
@click.option(
    "--force-hook",
    is_flag=True,
    help="Replace hooks casetrail did not write (the old ones are kept beside them).",
)
@click.option(
    "--key-store",
    metavar="FOLDER",
    help="The office's key store for per-case keys (a shared folder the records office names).",
)
@click.option("--refresh-signers", is_flag=True, hidden=True)
@click.pass_context
def setup(
    ctx: click.Context,
    check_only: bool,
    signing_key: str | None,
    force_hook: bool,
    key_store: str | None,
    refresh_signers: bool,
) -> int:
    """Set up this clone once: signed commits, readable diffs and merges, hooks.

    Each piece is checked and reported on its own line (ok, what was set, or missing and how to
    fix it): the diff and merge drivers for case files (.git/config, .gitattributes,
    .gitignore); commit signing with your SSH key (gpg.format ssh, user.signingkey, signing on
    for commits and tags), the key being one of yours in schema/roster.yaml, valid today, found
    by your git e-mail; git's allowed signers generated from the roster
    (.git/casetrail/allowed_signers, gpg.ssh.allowedSignersFile), so git log --show-signature
    and git verify-commit work; the pre-commit hook (casetrail check on the staged files) and
    post-merge and post-checkout hooks that refresh the allowed signers; the commit-graph with
    changed-path filters for fast path-limited history; and where the office's key store is
    (--key-store), when the policy gives cases per-case keys.

    Settings go into this clone's .git/config, never your global one. Running it again changes
    nothing. Exit 0 when everything is in place, 1 if something is still missing, 2 if this is
    not a git clone or schema/ cannot be read."""
    from casetrail.shell import git

    root = repository_root(ctx)
    if not git.is_repository(root):
        raise UserError(f"{root} is not the top of a git clone; run git init or git clone first")
    if signing_key is not None and not any(
        Path(os.path.expanduser(name)).is_file() for name in (signing_key, f"{signing_key}.pub")
    ):
        raise UserError(f"--signing-key {signing_key}: no such file")
    if refresh_signers:
        try:
            refresh_allowed_signers(root)
        except OSError as error:
            raise UserError(f"cannot write the allowed signers ({error.strerror})") from None
        return 0
    files, config = load_schema(root)
    timezone = office_timezone(config)
    report = Report(check_only)
    try:
        set_up_drivers(report, root)
        set_up_signing(report, root, config.roster, timezone, signing_key)
        set_up_allowed_signers(report, root, files, config.roster, timezone)
        set_up_hooks(report, root, force_hook)
        set_up_commit_graph(report, root)
        set_up_key_store(report, root, config, key_store)
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        raise UserError(f"setup could not write {where}{error.strerror}") from None
    return _summary(report)


def _summary(report: Report) -> int:
    if report.check_only:
        if report.missing:
            click.echo(f"setup --check: {report.missing} item(s) missing or stale (see above)")
            return 1
        click.echo("setup --check: everything is in place")
        return 0
    if not report.changed and not report.missing:
        click.echo("setup: everything is in place; nothing changed")
        return 0
    done = f"setup: changed {report.changed} item(s)"
    if report.missing:
        click.echo(f"{done}; {report.missing} item(s) still missing (see above)")
        return 1
    commit = (
        "; commit .gitattributes and .gitignore so every clone uses them"
        if report.committable
        else ""
    )
    click.echo(f"{done}{commit}")
    return 0
