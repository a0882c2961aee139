"""Closure commands: request-closure, close, return-closure, reopen."""

from __future__ import annotations

import click

from casetrail.cli.common import Step, case_step
from casetrail.core.actions.closure import OUTCOMES


@click.command("request-closure")
@case_step
@click.option("--outcome", type=click.Choice(OUTCOMES), required=True)
@click.option("--summary", required=True, help="The outcome in one non-identifying line.")
@click.option("--lessons", required=True, help="Lessons learned (SOP 003 §3).")
def request_closure(outcome: str, summary: str, lessons: str) -> Step:
    """Ask for closure: checks the closure criteria and explains any not met (SOP 000 §5)."""
    from casetrail.core.actions import closure

    return lambda c, a, _o: closure.request_closure(c, a, outcome, summary, lessons)


@click.command()
@case_step
@click.option("--approved-by", required=True, help="The supervisor who approves (and merges).")
def close(approved_by: str) -> Step:
    """Complete the closure checklist, schedule retention and close (SOP 002 §5).

    Run by the records office on the closure branch; the supervisor's approval is the
    merge of that pull request."""
    from casetrail.core.actions import closure

    return lambda c, a, _o: closure.close(c, a, approved_by)


@click.command("return-closure")
@case_step
@click.option("--reason", required=True, help="What is still to do.")
def return_closure(reason: str) -> Step:
    """Send a closure request back to work (a supervisor)."""
    from casetrail.core.actions import closure

    return lambda c, a, _o: closure.return_request(c, a, reason)


@click.command()
@case_step
@click.option("--reason", required=True, help="Why the case is reopened.")
def reopen(reason: str) -> Step:
    """Reopen a closed case (a supervisor); the earlier closure stays in the record."""
    from casetrail.core.actions import closure

    return lambda c, a, _o: closure.reopen(c, a, reason)


@click.command()
@case_step
@click.option("--reason", required=True, help="Why (a litigation, an inquiry; no names).")
@click.option("--release", is_flag=True, help="Release the hold instead of placing it.")
def hold(reason: str, release: bool) -> Step:
    """Place a legal hold on a closed case, or release it (a records officer): while held, the
    case is never proposed for destruction and no destruction list may destroy it."""
    from casetrail.core.actions import closure

    return lambda c, a, _o: closure.legal_hold(c, a, reason, release)
