"""`casetrail retention`: closed cases whose retention period has ended (SOP 001 §4.6, SOP 002
§4.6), with their disposition; a legal hold suspends a case. Front matter only: no key."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from casetrail.cli.views import AS_OF, FORMAT, office_view


@click.command()
@AS_OF
@click.option("--all", "everything", is_flag=True, help="Also list the cases still scheduled.")
@FORMAT
@click.pass_context
def retention(ctx: click.Context, as_of: str | None, everything: bool, fmt: str) -> int:
    """Closed cases whose retention has ended: archive or destroy them (legal holds wait)."""
    from casetrail.core import retention as schedule

    _, moment, index = office_view(ctx, as_of)
    rows = schedule.schedule(index.cases, moment.date())
    shown = [r for r in rows if everything or r.state != schedule.SCHEDULED]
    if fmt == "json":
        out = {"as_of": moment.isoformat(), "cases": [asdict(r) for r in shown]}
        click.echo(json.dumps(out, indent=2))
        return 0
    due = [r for r in shown if r.state == schedule.DUE]
    click.echo(f"{len(due)} closed case(s) whose retention has ended by {moment.date()}:")
    for state in (schedule.DUE, schedule.HELD, schedule.MISSING, schedule.SCHEDULED):
        part = [r for r in shown if r.state == state]
        if state != schedule.DUE and not part:
            continue
        if state != schedule.DUE:
            click.echo(f"{state}:")
        for r in part:
            until = f"until {r.until}, then {r.disposition}" if r.until else "no retention set"
            rule = f"  ({r.rule})" if r.rule else ""
            click.echo(f"  {r.case}  {r.type:<10} closed {r.closed_at[:10]}  {until}{rule}")
    return 0
