"""Assignment commands: suggest, assign, ack (SOP 003 §2, SOP 004 §4-5)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import click

from casetrail.cli.common import Office, Step, case_path, case_step, load_case, moment, office
from casetrail.core.actions.assignment import Candidate
from casetrail.core.case import Case

if TYPE_CHECKING:
    from casetrail.core.actions.base import Act, Change

CASE = click.argument("case", metavar="CASE")
ROLE = click.option(
    "--role",
    type=click.Choice(["handler", "resolution_officer"]),
    default="handler",
    show_default=True,
)


def _open_cases(where: Office) -> list[Case]:
    from casetrail.shell import caseindex

    return [c for c in caseindex.load(where.root, where.config).cases if c.status != "closed"]


def _ranked(
    where: Office, case: Case, role: str, on: datetime, open_cases: list[Case]
) -> list[Candidate]:
    from casetrail.core.actions import assignment

    until = assignment.resolution_day(case, where.calendar, on.date() + timedelta(days=14))
    return assignment.suggest(
        case, role, where.config.roster, where.config.policy, open_cases, on.date(), until
    )


def _render(case: Case, role: str, ranked: list[Candidate]) -> str:
    lines = [
        f"{role.replace('_', ' ')} for {case.id} ({case.type}, {case.priority} priority, "
        f"{case.data.get('complexity', 'standard')} complexity), best first:"
    ]
    eligible = [c for c in ranked if c.eligible]
    for number, c in enumerate(eligible, start=1):
        lines.append(f"  {number}. {c.handle}")
        lines += [f"       {key.replace('_', ' ')}: {text}" for key, text in c.criteria.items()]
    if not eligible:
        lines.append("  nobody eligible: see below, or change the roster")
    excluded = [c for c in ranked if not c.eligible]
    if excluded:
        lines.append("not eligible:")
        lines += [f"  - {c.handle}: {c.excluded}" for c in excluded]
    return "\n".join(lines)


@click.command()
@CASE
@ROLE
@click.option("--at", default=None, help="Rank as of this moment (default: now).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def suggest(ctx: click.Context, case: str, role: str, at: str | None, fmt: str) -> int:
    """Rank eligible staff by expertise, workload, availability and conflicts, with reasons."""
    where = office(ctx)
    loaded = load_case(where, case_path(where.root, case)).case
    ranked = _ranked(where, loaded, role, moment(at, where.calendar), _open_cases(where))
    if fmt == "json":
        rows = [
            {
                "person": c.handle,
                "eligible": c.eligible,
                "excluded": c.excluded,
                "points": c.points,
                "capacity": c.capacity,
                "criteria": c.criteria,
            }
            for c in ranked
        ]
        click.echo(json.dumps({"id": loaded.id, "role": role, "candidates": rows}, indent=2))
    else:
        click.echo(_render(loaded, role, ranked))
    return 0


@click.command()
@case_step
@click.option("--handler", default=None, help="The case handler.")
@click.option("--resolution-officer", default=None, help="The resolution officer.")
@click.option("--approved-by", required=True, help="The supervisor approving the assignment.")
@click.option("--rationale", required=True, help="Why this person (SOP 004 §5).")
@click.option("--why-not-top", default=None, help="Why not the top suggestion, when it is not.")
@click.option("--reason", default=None, help="For a reassignment: why the earlier one ends.")
def assign(
    handler: str | None,
    resolution_officer: str | None,
    approved_by: str,
    rationale: str,
    why_not_top: str | None,
    reason: str | None,
) -> Step:
    """Assign a handler and/or resolution officer, with criteria, rationale and approval."""
    from casetrail.core.actions import assignment

    choices = [
        assignment.Choice(role, handle)
        for role, handle in (("handler", handler), ("resolution_officer", resolution_officer))
        if handle
    ]
    if not choices:
        raise click.UsageError("give --handler, --resolution-officer, or both")

    def step(c: Case, a: Act, o: Office) -> Change:
        open_cases = _open_cases(o)  # read once for both roles
        ranked = {x.role: _ranked(o, c, x.role, a.now, open_cases) for x in choices}
        return assignment.assign(c, a, choices, approved_by, rationale, why_not_top, reason, ranked)

    return step


@click.command()
@case_step
def ack() -> Step:
    """Acknowledge your assignment (SOP 004 §4.5); the handler's starts the work."""
    from casetrail.core.actions import assignment

    return lambda c, a, _o: assignment.acknowledge(c, a)
