"""`casetrail report`: the periodic report of SOP 001 §4.5 for a month or an ISO week.

Wires the case index (front matter only: no key is loaded and no section is decrypted) to the
pure report in core.periodic, and renders it through the template in schema/templates/.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from casetrail.cli.main import UserError

TEMPLATE = "schema/templates/report.md.j2"


@click.command()
@click.option(
    "--period", required=True, help="A month (2026-11) or an ISO week, Monday to Sunday (2026-W47)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the report to FILE (atomically) instead of standard output; not inside cases/.",
)
@click.option(
    "--as-of", "as_of", default=None, help="Judge open items at this moment (default: now)."
)
@click.pass_context
def report(
    ctx: click.Context, period: str, fmt: str, output: Path | None, as_of: str | None
) -> int:
    """Key activities, outcomes, next steps and SLA compliance for one period."""
    from casetrail.cli.common import now, office, parse_moment
    from casetrail.core import periodic
    from casetrail.shell import caseindex

    try:
        span = periodic.parse_period(period)
    except ValueError as error:
        raise UserError(str(error)) from None
    where = office(ctx)
    target = _output_path(where.root, output)  # refused before any work, so nothing is written
    zone = where.calendar.zone
    moment = parse_moment(as_of, "--as-of") if as_of else now(where.calendar)
    index = caseindex.load(where.root, where.config)
    for path in index.skipped:
        click.echo(f"casetrail: {path}: not a valid case, left out of the report", err=True)
    data = periodic.build(
        index.cases, span, zone, moment, where.config.policy, where.calendar, index.skipped
    )
    text = _render(where.root, data) if fmt == "markdown" else json.dumps(data, indent=2) + "\n"
    _emit(text, target)
    return 0


def _output_path(root: Path, output: Path | None) -> Path | None:
    """Reports are not case records: refuse a path inside cases/, where check would see it."""
    if output is None:
        return None
    target = output.resolve()
    if target.is_relative_to((root / "cases").resolve()):
        raise UserError(
            f"--output {output}: reports are not case records; write them outside cases/"
        )
    if target.is_dir():
        raise UserError(f"--output {output} is a folder; give a file name")
    return target


def _render(root: Path, data: dict[str, object]) -> str:
    from casetrail.core.periodic import TemplateProblem, render

    path = root / TEMPLATE
    try:
        template = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"the report template {TEMPLATE} is missing from {root}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read the report template {TEMPLATE}: {error}") from None
    try:
        return render(data, template)
    except TemplateProblem as error:
        raise UserError(f"{TEMPLATE}: {error}") from None


def _emit(text: str, target: Path | None) -> None:
    if target is None:
        click.echo(text, nl=False)
        return
    from casetrail.shell import repo

    repo.atomic_write(target, text.encode("utf-8"))
    click.echo(f"wrote {target}", err=True)
