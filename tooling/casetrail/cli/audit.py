"""`casetrail audit [--range A..B]`: verify the history as the audit log, without any key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from casetrail.cli.main import UserError, repository_root


@click.command()
@click.option(
    "--range",
    "span",
    metavar="A..B",
    help="Audit only the commits in A..B (as git reads it), e.g. a pull request's base..head.",
)
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The record of the last audit (default: .git/casetrail/last-audit.json); the site "
    "publishes it, and CI passes the published one so a rewritten main is caught.",
)
@click.option("--no-record", is_flag=True, help="Do not update the record of the last audit.")
@click.option(
    "--permissions",
    is_flag=True,
    help="Also print who can sign, approve and decrypt, and when that changed.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
)
@click.pass_context
def audit(
    ctx: click.Context,
    span: str | None,
    state: Path | None,
    no_record: bool,
    permissions: bool,
    fmt: str,
) -> int:
    """Verify the signed history: signatures against the roster of each parent commit,
    closures merged by a supervisor, closed cases left alone, dates, rewriting.

    Needs no decryption key and reads the history once. Exit 0 clean (warnings allowed),
    1 on any error finding, 2 if the history cannot be audited (e.g. a shallow clone)."""
    from casetrail.core.auditreport import REPORTERS, AuditReport
    from casetrail.shell import git, trail

    root = repository_root(ctx)
    try:
        base, tip = _span(span)
        run = trail.run_audit(root, tip, base)
        state_path = state or trail.default_state(root)
        previous = trail.read_state(state_path)
    except trail.TrailError as error:
        raise UserError(str(error)) from None
    gathered, found, trust_root, head = run.trail, run.findings, run.trust_root, run.trail.head
    timezone = gathered.timezone
    previous_head = previous["head"] if previous else None
    if previous and previous_head and not git.is_ancestor(root, previous_head, head):
        found.insert(0, _rewritten(previous_head, head, previous))
    if previous and previous.get("trust_root") not in (None, trust_root):
        found.insert(0, _root_moved(previous, trust_root))
    report = AuditReport(
        found,
        head,
        trust_root,
        len(gathered.commits),
        gathered.newly_verified,
        previous_head,
        *(trail.permissions_report(gathered, _today(timezone)) if permissions else (None, "")),
    )
    # A rewrite stays reported until someone has looked into it and moved the record on by
    # hand (delete the record file, or audit once with --state pointing at a new one).
    if not no_record and span is None and not any(f.code == "CT840" for f in found):
        trail.write_state(state_path, _record(report))
    click.echo(REPORTERS[fmt](report))
    return report.return_code


def _span(span: str | None) -> tuple[str | None, str]:
    if span is None:
        return None, "HEAD"
    base, dots, tip = span.partition("..")
    if not dots or not base or tip.startswith("."):
        raise UserError(f"--range {span!r}: give two revisions as A..B (e.g. origin/main..HEAD)")
    return base, tip or "HEAD"


def _rewritten(previous: str, head: str, record: dict[str, Any]) -> Any:
    from casetrail.core import auditcodes as rules

    when = record.get("audited_at", "an earlier audit")
    return rules.finding(
        previous,
        "CT840",
        f"the head audited at {when} ({previous[:12]}) is no longer in the history of "
        f"{head[:12]}: main was rewritten (force-pushed) since",
        hint="restore the rewritten commits from a clone or a backup and find out who pushed",
    )


def _root_moved(record: dict[str, Any], trust_root: str | None) -> Any:
    from casetrail.core import auditcodes as rules

    was = str(record["trust_root"])
    return rules.finding(
        was,
        "CT842",
        f"the last audit ({record.get('audited_at', '?')}) started from trust root {was[:12]}, "
        f"this one from {trust_root[:12] if trust_root else 'none'}",
        "schema/policy.yaml",
    )


def _record(report: Any) -> dict[str, Any]:
    from casetrail.shell import trail

    return {"version": 1, "audited_at": trail.now(), **report.summary()}


def _today(timezone: str) -> Any:
    """The office's day by the (possibly simulated) clock: key states are judged on it."""
    from casetrail.cli.check import office_moment

    return office_moment(None, timezone).date()
