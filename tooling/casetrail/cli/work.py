"""The handler's commands: followup add|done, contact, review, disclose."""

from __future__ import annotations

import click

from casetrail.cli.common import Step, case_step


@click.group()
def followup() -> None:
    """Follow-up tasks with owner, due date and outcome (SOP 000 §4)."""


@followup.command("add")
@case_step
@click.option("--title", required=True, help="The task, in non-identifying words.")
@click.option("--owner", required=True, help="Who does it.")
@click.option("--due", required=True, help="Due date, YYYY-MM-DD.")
def followup_add(title: str, owner: str, due: str) -> Step:
    """Add a follow-up task (F1, F2...)."""
    from casetrail.core.actions import work

    return lambda c, a, _o: work.add_followup(c, a, title, owner, due)


@followup.command("done")
@case_step
@click.argument("task")
@click.option("--outcome", required=True, help="What came of it.")
def followup_done(task: str, outcome: str) -> Step:
    """Complete follow-up TASK (e.g. F2) with its outcome."""
    from casetrail.core.actions import work

    return lambda c, a, _o: work.complete_followup(c, a, task, outcome)


@click.command()
@case_step
@click.option("--stakeholder", required=True, help="S1, S2... or a role held by one stakeholder.")
@click.option("--channel", required=True, help="A channel from the policy (email, phone...).")
@click.option(
    "--direction",
    type=click.Choice(["incoming", "outgoing"]),
    default="outgoing",
    show_default=True,
)
@click.option(
    "--summary", required=True, help="One non-sensitive line; details go in Progress notes."
)
def contact(stakeholder: str, channel: str, direction: str, summary: str) -> Step:
    """Log a communication with a stakeholder (SOP 000 §6)."""
    from casetrail.core.actions import work

    return lambda c, a, _o: work.contact(c, a, stakeholder, channel, direction, summary)


@click.command()
@case_step
@click.option("--summary", required=True, help="Where the case stands, in one line.")
def review(summary: str) -> Step:
    """Record the periodic review (SOP 000 §4); the next one falls due from now."""
    from casetrail.core.actions import work

    return lambda c, a, _o: work.review(c, a, summary)


@click.command()
@case_step
@click.option("--recipient", required=True, help="Who received it (organisation or role).")
@click.option("--basis", type=click.Choice(["consent", "legal_obligation"]), required=True)
@click.option(
    "--reference",
    default=None,
    help="The consent form or the law/order (required for legal_obligation).",
)
@click.option("--summary", required=True, help="What was disclosed, without the data itself.")
def disclose(recipient: str, basis: str, reference: str | None, summary: str) -> Step:
    """Record a disclosure outside the team with its consent or legal basis (SOP 001 §4.3)."""
    from casetrail.core.actions import work

    return lambda c, a, _o: work.disclose(c, a, recipient, basis, reference, summary)
