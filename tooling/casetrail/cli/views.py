"""Read-only views: status, agenda, overdue, workload. They never write."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from casetrail.cli.common import Office, acting_person, case_path, load_case, office, parse_as_of
from casetrail.cli.common import now as current_moment
from casetrail.core.views import Item

if TYPE_CHECKING:
    from casetrail.shell.caseindex import CaseIndex

CASE = click.argument("case", metavar="CASE")
AS_OF = click.option("--as-of", default=None, help="The moment to judge targets at (default: now).")
FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")


def _as_of(where: Office, given: str | None) -> datetime:
    if given is None:
        return current_moment(where.calendar)
    return parse_as_of(given, where.calendar.zone)


def office_view(ctx: click.Context, as_of: str | None) -> tuple[Office, datetime, CaseIndex]:
    """The office, the moment to judge at, and every readable case (invalid ones are named)."""
    from casetrail.shell import caseindex

    where = office(ctx)
    moment = _as_of(where, as_of)
    index = caseindex.load(where.root, where.config)
    if index.skipped:
        click.echo(
            f"({len(index.skipped)} invalid case file(s) left out; run casetrail check)", err=True
        )
    return where, moment, index


def _item_line(item: Item) -> str:
    late = f" ({item.late} late)" if item.late else ""
    who = f" [{item.person}]" if item.person else ""
    escalate = (
        f" -> escalate to {', '.join(item.escalate_to)}"
        if item.escalate_to and item.state in ("breached", "at_risk")
        else ""
    )
    return f"  {item.state:<9} {item.due:<25} {item.case}  {item.what}{who}{late}{escalate}"


def _items_json(items: list[Item], as_of: datetime) -> str:
    return json.dumps(
        {"as_of": as_of.isoformat(), "items": [dataclasses.asdict(i) for i in items]}, indent=2
    )


@click.command()
@CASE
@AS_OF
@FORMAT
@click.pass_context
def status(ctx: click.Context, case: str, as_of: str | None, fmt: str) -> int:
    """A case at a glance: status, who, what is due, what blocks closure."""
    from casetrail.core import views

    where = office(ctx)
    loaded = load_case(where, case_path(where.root, case)).case
    moment = _as_of(where, as_of)
    view = views.at_a_glance(loaded, moment, where.calendar, where.config.roster)
    if fmt == "json":
        click.echo(json.dumps(view, indent=2, default=str))
        return 0
    click.echo(_render_status(view))
    return 0


def _render_status(view: dict[str, Any]) -> str:
    team = (
        ", ".join(f"{role.replace('_', ' ')} {who}" for role, who in view["team"].items() if who)
        or "nobody assigned"
    )
    lines = [
        f"{view['id']}  {view['title']}",
        f"  {view['type']}, {view['priority']} priority, {view['status'].replace('_', ' ')}; {team}",
    ]
    if view["targets"]:
        lines.append("targets:")
        for t in view["targets"]:
            extra = f" (met {t['done']})" if t["done"] else ""
            late = f", {t['late']} late" if t["late"] else ""
            lines.append(f"  {t['target']:<16} due {t['due']}  {t['state']}{late}{extra}")
    else:
        lines.append("targets: none recorded")
    lines += (
        ["open follow-ups:"]
        + [f"  {f['what']} [{f['person']}] due {f['due']} {f['state']}" for f in view["followups"]]
        if view["followups"]
        else []
    )
    lines += ["open flags:"] + [f"  {f}" for f in view["flags"]] if view["flags"] else []
    if view["closure_blockers"]:
        lines.append("blocks closure:")
        lines += [f"  - {b}" for b in view["closure_blockers"]]
    elif view["status"] == "in_progress":
        lines.append("closure criteria met: casetrail request-closure can proceed")
    if view["retention"]:
        r = view["retention"]
        lines.append(f"retention: until {r['until']}, then {r['disposition']}")
    return "\n".join(lines)


@click.command()
@click.option(
    "--for", "handle", default=None, help="Whose agenda (default: you, from git user.email)."
)
@AS_OF
@FORMAT
@click.pass_context
def agenda(ctx: click.Context, handle: str | None, as_of: str | None, fmt: str) -> int:
    """What is due or overdue for a person: targets, follow-ups, flags."""
    from casetrail.core import views

    where, moment, index = office_view(ctx, as_of)
    person = acting_person(where.root, where.config.roster, handle)
    items = views.agenda(index.cases, person.handle, moment, where.calendar, where.config.roster)
    if fmt == "json":
        click.echo(_items_json(items, moment))
        return 0
    click.echo(f"agenda for {person.handle} as of {moment.isoformat()}: {len(items)} item(s)")
    click.echo("\n".join(_item_line(i) for i in items) or "  nothing due")
    return 0


@click.command()
@AS_OF
@FORMAT
@click.pass_context
def overdue(ctx: click.Context, as_of: str | None, fmt: str) -> int:
    """Every breached or at-risk target and follow-up, and open flags, with whom to escalate to."""
    from casetrail.core import views

    where, moment, index = office_view(ctx, as_of)
    items = views.overdue(index.cases, moment, where.calendar, where.config.roster)
    if fmt == "json":
        click.echo(_items_json(items, moment))
        return 0
    breached = sum(1 for i in items if i.state == "breached")
    click.echo(
        f"as of {moment.isoformat()}: {breached} breached, {len(items) - breached} at risk or open flags"
    )
    click.echo("\n".join(_item_line(i) for i in items) or "  nothing overdue")
    return 0


@click.command()
@AS_OF
@FORMAT
@click.pass_context
def workload(ctx: click.Context, as_of: str | None, fmt: str) -> int:
    """Open cases per person against capacity (points: cases weighted by priority)."""
    from casetrail.core import views

    where, moment, index = office_view(ctx, as_of)
    rows = views.workload(index.cases, where.config.roster, where.config.policy, moment)
    if fmt == "json":
        click.echo(
            json.dumps(
                {"as_of": moment.isoformat(), "people": [dataclasses.asdict(r) for r in rows]},
                indent=2,
            )
        )
        return 0
    click.echo(f"{'person':<12} {'points':>11}  {'high':>4} {'med':>4} {'low':>4}  cases")
    for r in rows:
        counts = " ".join(f"{r.by_priority.get(p, 0):>4}" for p in ("high", "medium", "low"))
        away = f"  away {r.away}" if r.away else ""
        click.echo(
            f"{r.person:<12} {r.points:>4} of {r.capacity:<4}  {counts}  {len(r.cases)}{away}"
        )
    return 0
