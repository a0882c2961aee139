"""Intake commands: assess, verify, priority, stakeholder, conflict, flag, escalate, resolve-flag.

Each returns the pure step to apply; `case_step` (right under the command decorator) adds CASE
before the command's own arguments, and --by, --at, --dry-run, --format."""

from __future__ import annotations

import click

from casetrail.cli.common import Step, case_step


@click.command()
@case_step
@click.option("--notes", default=None, help="A one-line, non-identifying note on the assessment.")
def assess(notes: str | None) -> Step:
    """Record the intake assessment (SOP 004 §4.1); starts the selection target."""
    from casetrail.core.actions import intake

    return lambda c, a, _o: intake.assess(c, a, notes)


@click.command()
@case_step
def verify() -> Step:
    """Verify the intake record, by someone other than the assessor (SOP 001 §4.1)."""
    from casetrail.core.actions import intake

    return lambda c, a, _o: intake.verify(c, a)


@click.command()
@case_step
@click.argument("level", type=click.Choice(["high", "medium", "low"]))
@click.option("--reason", required=True, help="Why the priority changes (SOP 003 §4).")
def priority(level: str, reason: str) -> Step:
    """Reassess the priority; the assignment and resolution targets move with it."""
    from casetrail.core.actions import intake

    return lambda c, a, _o: intake.priority(c, a, level, reason)


@click.group()
def stakeholder() -> None:
    """Parties to a case, by pseudonymous reference (S1, S2...)."""


@stakeholder.command("add")
@case_step
@click.option("--role", required=True, help="A stakeholder role from the policy.")
def stakeholder_add(role: str) -> Step:
    """Add a stakeholder; their identity goes in the encrypted Parties section."""
    from casetrail.core.actions import intake

    return lambda c, a, _o: intake.add_stakeholder(c, a, role)


@stakeholder.command("closure")
@case_step
@click.argument("ref")
@click.option(
    "--agreement",
    type=click.Choice(["pending", "agreed", "disagreed", "not_reachable"]),
    required=True,
    help="Their answer to the intended closure (SOP 000 §4).",
)
def stakeholder_closure(ref: str, agreement: str) -> Step:
    """Record that a stakeholder was told of the intended closure, and their answer."""
    from casetrail.core.actions import intake

    return lambda c, a, _o: intake.stakeholder_response(c, a, ref, agreement)


@click.command()
@case_step
@click.option("--person", "handle", required=True, help="Who has the conflict.")
@click.option("--reason", required=True, help="The conflict, in non-identifying words.")
def conflict(handle: str, reason: str) -> Step:
    """Declare a conflict of interest: the person is never suggested or assigned."""
    from casetrail.core.actions import intake

    return lambda c, a, _o: intake.declare_conflict(c, a, handle, reason)


@click.command()
@case_step
@click.option("--reason", required=True, help="Why the case is urgent.")
@click.option("--to", default=None, help="The supervisor to alert (optional).")
def flag(reason: str, to: str | None) -> Step:
    """Flag the case as urgent (SOP 001 §4.4)."""
    from casetrail.core.actions import intake

    return lambda c, a, _o: intake.raise_flag(c, a, "urgent", reason, to)


@click.command()
@case_step
@click.option("--to", required=True, help="The supervisor escalated to.")
@click.option("--reason", required=True, help="The delay or obstacle.")
def escalate(to: str, reason: str) -> Step:
    """Escalate a delay or obstacle to a supervisor (SOP 000 §6, SOP 003 §6-7)."""
    from casetrail.core.actions import intake

    return lambda c, a, _o: intake.raise_flag(c, a, "escalation", reason, to)


@click.command("resolve-flag")
@case_step
@click.argument("number", type=int)
@click.option("--resolution", required=True, help="How it was resolved.")
def resolve_flag(number: int, resolution: str) -> Step:
    """Resolve urgent flag or escalation NUMBER (1 = the first raised)."""
    from casetrail.core.actions import intake

    return lambda c, a, _o: intake.resolve_flag(c, a, number, resolution)
