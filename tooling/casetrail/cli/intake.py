"""Intake commands: assess, verify, priority, stakeholder, conflict, flag, escalate, resolve-flag."""

from __future__ import annotations

import click

from casetrail.cli.common import edit_options, run_edit

CASE = click.argument("case", metavar="CASE")


@click.command()
@CASE
@click.option("--notes", default=None, help="A one-line, non-identifying note on the assessment.")
@edit_options
@click.pass_context
def assess(
    ctx: click.Context,
    case: str,
    notes: str | None,
    by: str | None,
    at: str | None,
    dry_run: bool,
    fmt: str,
) -> int:
    """Record the intake assessment (SOP 004 §4.1); starts the selection target."""
    from casetrail.core.actions import intake

    return run_edit(ctx, case, by, at, dry_run, fmt, lambda c, a, _o: intake.assess(c, a, notes))


@click.command()
@CASE
@edit_options
@click.pass_context
def verify(
    ctx: click.Context, case: str, by: str | None, at: str | None, dry_run: bool, fmt: str
) -> int:
    """Verify the intake record, by someone other than the assessor (SOP 001 §4.1)."""
    from casetrail.core.actions import intake

    return run_edit(ctx, case, by, at, dry_run, fmt, lambda c, a, _o: intake.verify(c, a))


@click.command()
@CASE
@click.argument("level", type=click.Choice(["high", "medium", "low"]))
@click.option("--reason", required=True, help="Why the priority changes (SOP 003 §4).")
@edit_options
@click.pass_context
def priority(
    ctx: click.Context,
    case: str,
    level: str,
    reason: str,
    by: str | None,
    at: str | None,
    dry_run: bool,
    fmt: str,
) -> int:
    """Reassess the priority; the assignment and resolution targets move with it."""
    from casetrail.core.actions import intake

    return run_edit(
        ctx, case, by, at, dry_run, fmt, lambda c, a, _o: intake.priority(c, a, level, reason)
    )


@click.group()
def stakeholder() -> None:
    """Parties to a case, by pseudonymous reference (S1, S2...)."""


@stakeholder.command("add")
@CASE
@click.option("--role", required=True, help="A stakeholder role from the policy.")
@edit_options
@click.pass_context
def stakeholder_add(
    ctx: click.Context,
    case: str,
    role: str,
    by: str | None,
    at: str | None,
    dry_run: bool,
    fmt: str,
) -> int:
    """Add a stakeholder; their identity goes in the encrypted Parties section."""
    from casetrail.core.actions import intake

    return run_edit(
        ctx, case, by, at, dry_run, fmt, lambda c, a, _o: intake.add_stakeholder(c, a, role)
    )


@stakeholder.command("closure")
@CASE
@click.argument("ref")
@click.option(
    "--agreement",
    type=click.Choice(["pending", "agreed", "disagreed", "not_reachable"]),
    required=True,
    help="Their answer to the intended closure (SOP 000 §4).",
)
@edit_options
@click.pass_context
def stakeholder_closure(
    ctx: click.Context,
    case: str,
    ref: str,
    agreement: str,
    by: str | None,
    at: str | None,
    dry_run: bool,
    fmt: str,
) -> int:
    """Record that a stakeholder was told of the intended closure, and their answer."""
    from casetrail.core.actions import intake

    return run_edit(
        ctx,
        case,
        by,
        at,
        dry_run,
        fmt,
        lambda c, a, _o: intake.stakeholder_response(c, a, ref, agreement),
    )


@click.command()
@CASE
@click.option("--person", "handle", required=True, help="Who has the conflict.")
@click.option("--reason", required=True, help="The conflict, in non-identifying words.")
@edit_options
@click.pass_context
def conflict(
    ctx: click.Context,
    case: str,
    handle: str,
    reason: str,
    by: str | None,
    at: str | None,
    dry_run: bool,
    fmt: str,
) -> int:
    """Declare a conflict of interest: the person is never suggested or assigned."""
    from casetrail.core.actions import intake

    return run_edit(
        ctx,
        case,
        by,
        at,
        dry_run,
        fmt,
        lambda c, a, _o: intake.declare_conflict(c, a, handle, reason),
    )


@click.command()
@CASE
@click.option("--reason", required=True, help="Why the case is urgent.")
@click.option("--to", default=None, help="The supervisor to alert (optional).")
@edit_options
@click.pass_context
def flag(
    ctx: click.Context,
    case: str,
    reason: str,
    to: str | None,
    by: str | None,
    at: str | None,
    dry_run: bool,
    fmt: str,
) -> int:
    """Flag the case as urgent (SOP 001 §4.4)."""
    from casetrail.core.actions import intake

    return run_edit(
        ctx,
        case,
        by,
        at,
        dry_run,
        fmt,
        lambda c, a, _o: intake.raise_flag(c, a, "urgent", reason, to),
    )


@click.command()
@CASE
@click.option("--to", required=True, help="The supervisor escalated to.")
@click.option("--reason", required=True, help="The delay or obstacle.")
@edit_options
@click.pass_context
def escalate(
    ctx: click.Context,
    case: str,
    to: str,
    reason: str,
    by: str | None,
    at: str | None,
    dry_run: bool,
    fmt: str,
) -> int:
    """Escalate a delay or obstacle to a supervisor (SOP 000 §6, SOP 003 §6-7)."""
    from casetrail.core.actions import intake

    return run_edit(
        ctx,
        case,
        by,
        at,
        dry_run,
        fmt,
        lambda c, a, _o: intake.raise_flag(c, a, "escalation", reason, to),
    )


@click.command("resolve-flag")
@CASE
@click.argument("number", type=int)
@click.option("--resolution", required=True, help="How it was resolved.")
@edit_options
@click.pass_context
def resolve_flag(
    ctx: click.Context,
    case: str,
    number: int,
    resolution: str,
    by: str | None,
    at: str | None,
    dry_run: bool,
    fmt: str,
) -> int:
    """Resolve urgent flag or escalation NUMBER (1 = the first raised)."""
    from casetrail.core.actions import intake

    return run_edit(
        ctx,
        case,
        by,
        at,
        dry_run,
        fmt,
        lambda c, a, _o: intake.resolve_flag(c, a, number, resolution),
    )
