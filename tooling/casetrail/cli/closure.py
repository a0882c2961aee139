"""Closure commands: request-closure, close, return-closure, reopen."""

from __future__ import annotations

import click

from casetrail.cli.common import edit_options, run_edit

CASE = click.argument("case", metavar="CASE")


@click.command("request-closure")
@CASE
@click.option(
    "--outcome",
    type=click.Choice(["resolved", "partly_resolved", "not_upheld", "withdrawn", "referred"]),
    required=True,
)
@click.option("--summary", required=True, help="The outcome in one non-identifying line.")
@click.option("--lessons", required=True, help="Lessons learned (SOP 003 §3).")
@edit_options
@click.pass_context
def request_closure(
    ctx: click.Context,
    case: str,
    outcome: str,
    summary: str,
    lessons: str,
    by: str | None,
    at: str | None,
    dry_run: bool,
    fmt: str,
) -> int:
    """Ask for closure: checks the closure criteria and explains any not met (SOP 000 §5)."""
    from casetrail.core.actions import closure

    return run_edit(
        ctx,
        case,
        by,
        at,
        dry_run,
        fmt,
        lambda c, a, _o: closure.request_closure(c, a, outcome, summary, lessons),
    )


@click.command()
@CASE
@click.option("--approved-by", required=True, help="The supervisor who approves (and merges).")
@edit_options
@click.pass_context
def close(
    ctx: click.Context,
    case: str,
    approved_by: str,
    by: str | None,
    at: str | None,
    dry_run: bool,
    fmt: str,
) -> int:
    """Complete the closure checklist, schedule retention and close (SOP 002 §5).

    Run by the records office on the closure branch; the supervisor's approval is the
    merge of that pull request."""
    from casetrail.core.actions import closure

    return run_edit(
        ctx, case, by, at, dry_run, fmt, lambda c, a, _o: closure.close(c, a, approved_by)
    )


@click.command("return-closure")
@CASE
@click.option("--reason", required=True, help="What is still to do.")
@edit_options
@click.pass_context
def return_closure(
    ctx: click.Context,
    case: str,
    reason: str,
    by: str | None,
    at: str | None,
    dry_run: bool,
    fmt: str,
) -> int:
    """Send a closure request back to work (a supervisor)."""
    from casetrail.core.actions import closure

    return run_edit(
        ctx, case, by, at, dry_run, fmt, lambda c, a, _o: closure.return_request(c, a, reason)
    )


@click.command()
@CASE
@click.option("--reason", required=True, help="Why the case is reopened.")
@edit_options
@click.pass_context
def reopen(
    ctx: click.Context,
    case: str,
    reason: str,
    by: str | None,
    at: str | None,
    dry_run: bool,
    fmt: str,
) -> int:
    """Reopen a closed case (a supervisor); the earlier closure stays in the record."""
    from casetrail.core.actions import closure

    return run_edit(ctx, case, by, at, dry_run, fmt, lambda c, a, _o: closure.reopen(c, a, reason))
