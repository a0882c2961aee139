"""`casetrail log CASE`: a case's timeline from git, in words, with who signed each change."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from casetrail.cli.common import case_path
from casetrail.cli.main import UserError, repository_root


@click.command()
@click.argument("case")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.pass_context
def log(ctx: click.Context, case: str, fmt: str) -> int:
    """Print CASE's timeline: each commit that changed it (merges and renames included), oldest
    first, with its time, author, signer and verification, and what changed in words.

    Reads no key: encrypted sections show only that they changed. Verification is the audit's
    verdict: the first `log` or `audit` in a clone verifies the history once, later runs
    verify only new commits."""
    from casetrail.shell import trail

    root = repository_root(ctx)
    path = case_path(root, case)
    try:
        trail.require_full_history(root)
        commits = trail.read_file_history(root, path)
        found = _verdicts(root, commits)
    except trail.TrailError as error:
        raise UserError(str(error)) from None
    entries = [
        _entry(commit, found.get(commit.id), words) for commit, words in _words(root, commits)
    ]
    if fmt == "json":
        click.echo(json.dumps({"version": 1, "case": path, "entries": entries}, indent=2))
    else:
        click.echo(_text(path, entries))
    return 0


def _words(root: Path, commits: Sequence[Any]) -> list[tuple[Any, list[str]]]:
    """Each commit with what it did to the case, from the versions before and after."""
    from casetrail.core import timeline
    from casetrail.shell import git

    names = sorted(
        {b for c in commits for ch in c.changes for b in (ch.old_blob, ch.new_blob) if b}
    )
    contents = git.read_objects(root, names)
    out = []
    for commit in commits:
        words: list[str] = []
        for change in commit.changes:
            old, new = contents.get(change.old_blob or ""), contents.get(change.new_blob or "")
            if change.status == "R" and change.old_path != change.new_path:
                words.append(f"renamed from {change.old_path}")
            words += timeline.describe(old, new)
        out.append((commit, words))
    return out


def _verdicts(root: Path, commits: Sequence[Any]) -> Mapping[str, Any]:
    """The audit's verdicts kept in this clone; if some are missing, the history is verified
    once as `casetrail audit` does (a verdict depends on every commit before it: a key can
    only be trusted if the commit that put it in the roster was)."""
    from casetrail.shell import git, trail
    from casetrail.shell.auditstore import AuditStore

    store = AuditStore(git.git_dir(root) / "casetrail")
    try:
        found = dict(store.get(c.id for c in commits))
    finally:
        store.close()
    missing = [c.id for c in commits if c.id not in found]
    if missing:
        head = trail.resolve(root, "HEAD")
        base, _ = trail.trust_root(root, head)
        if base is None or any(not git.is_ancestor(root, c, base) for c in missing):
            found = trail.verify_history(root)
    return found


def _entry(commit: Any, verdict: Any, words: list[str]) -> dict[str, Any]:
    return {
        "commit": commit.id,
        "parents": list(commit.parents),
        "merge": commit.is_merge,
        "time": commit.committer_time.isoformat(),
        "author": f"{commit.author_name} <{commit.author_email}>",
        "committer": f"{commit.committer_name} <{commit.committer_email}>",
        "signer": verdict.signer if verdict is not None else None,
        "verification": verdict.status if verdict is not None else "before the trust root",
        "verification_code": verdict.code if verdict is not None else None,
        "subject": commit.subject,
        "changes": words,
    }


def _text(path: str, entries: list[dict[str, Any]]) -> str:
    lines = [f"{path}: {len(entries)} change{'' if len(entries) == 1 else 's'}"]
    for e in entries:
        kind = "merge " if e["merge"] else ""
        signer = f", signed by {e['signer']}" if e["signer"] else ""
        status = e["verification"] + (
            f" ({e['verification_code']})" if e["verification_code"] else ""
        )
        lines.append("")
        lines.append(f"{e['time']}  {kind}{e['commit'][:12]}  {e['author']}")
        lines.append(f"    {status}{signer}: {e['subject']}")
        for word in e["changes"]:
            lines.append(f"    - {word}")
    return "\n".join(lines)
