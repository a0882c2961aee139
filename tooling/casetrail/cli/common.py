"""What the lifecycle commands share: who acts, when, which case, and the safe edit of a file.

An edit reads the case, asks a pure step for its changes, applies them with round-trip YAML so
only the changed lines move, validates the result exactly as `casetrail check` would, and only
then replaces the file atomically. A refused step leaves the file byte-identical.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from casetrail.cli.main import UserError, repository_root
from casetrail.core.config import Person, Roster

if TYPE_CHECKING:  # deferred at run time to keep `--help` fast
    from casetrail.core.actions.base import Act, Change
    from casetrail.core.businesstime import Calendar
    from casetrail.core.case import Case
    from casetrail.core.engine import Config

F = TypeVar("F", bound=Callable[..., Any])
NOW_VARIABLE = "CASETRAIL_NOW"  # a simulated clock for demos and tests; see the README


def acting_person(root: Path, roster: Roster, given: str | None) -> Person:
    """--by, or the git identity (user.email) mapped through the roster."""
    from casetrail.shell import git

    if given:
        person = roster.people.get(given)
        if person is None:
            raise UserError(f"--by {given}: no such person in schema/roster.yaml")
        return person
    email = git.config_value(root, "user.email") if git.is_repository(root) else None
    person = roster.by_email(email) if email else None
    if person is None:
        raise UserError(
            f"git user.email {email or '(not set)'} is not in schema/roster.yaml; "
            "set it with git config user.email, or pass --by HANDLE"
        )
    return person


def parse_moment(value: str, option: str) -> datetime:

    from casetrail.core.formats import is_datetime, parse_datetime

    if not is_datetime(value):
        raise UserError(f"{option} {value!r} is not a timestamp like 2026-11-23T09:30+01:00")
    moment = parse_datetime(value)
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise UserError(f"{option} {value!r} is out of range") from None
    if not 1900 <= moment.year <= 9000:
        raise UserError(f"{option} {value!r} is out of range (years 1900 to 9000)")
    return moment


def parse_as_of(value: str, zone: tzinfo) -> datetime:
    """--as-of: a timestamp, or a date meaning the end of that day in the office's zone."""
    from datetime import date, time

    from casetrail.core.formats import is_date

    if is_date(value):
        day = date.fromisoformat(value)
        return datetime.combine(day, time(23, 59, 59), zone)
    return parse_moment(value, "--as-of").astimezone(zone)


def now(calendar: Calendar) -> datetime:
    """The current moment in the office's zone (or the simulated clock, if one is set)."""
    simulated = os.environ.get(NOW_VARIABLE)
    moment = parse_moment(simulated, NOW_VARIABLE) if simulated else datetime.now(calendar.zone)
    return moment.astimezone(calendar.zone).replace(microsecond=0)


def moment(given: str | None, calendar: Calendar, option: str = "--at") -> datetime:
    """--at, which may be earlier than now (recording after the fact) but not in the future."""
    current = now(calendar)
    if given is None:
        return current
    when = parse_moment(given, option).astimezone(calendar.zone)
    if when > current + timedelta(minutes=5):
        raise UserError(f"{option} {given} is in the future; record things when they have happened")
    return when


def case_path(root: Path, ref: str) -> str:
    """A case by its ID (any case, I/L read as 1, O as 0) or by its path."""
    from casetrail.core import ids

    if ref.endswith(".md"):
        path = Path(ref)
        absolute = path if path.is_absolute() else Path.cwd() / path
        try:
            rel = absolute.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            raise UserError(f"{ref} is outside the records repository {root}") from None
    else:
        case_id = ids.normalise(ref)
        problem = ids.problem(case_id)
        if problem:
            raise UserError(f"{ref!r} is not a case ID: {problem}")
        rel = f"cases/{case_id[:4]}/{case_id}.md"
    if not (root / rel).is_file():
        raise UserError(f"no case {ref} (looked for {rel})")
    return rel


@dataclass(frozen=True, slots=True)
class Office:
    """The repository and its rules, loaded once per command."""

    root: Path
    config: Config
    calendar: Calendar

    def act(self, by: str | None, at: str | None) -> Act:
        from casetrail.core.actions.base import Act

        person = acting_person(self.root, self.config.roster, by)
        policy = self.config.policy
        return Act(policy, self.config.roster, self.calendar, person, moment(at, self.calendar))


def office(ctx: click.Context) -> Office:
    from casetrail.shell import calendars, index

    root = repository_root(ctx)
    config, _ = index.load_config(root)
    return Office(root, config, calendars.load(config.policy.raw["calendar"]))


def load_case(office: Office, rel: str) -> tuple[bytes, Case]:
    """The case as it is, refusing a file that does not pass `casetrail check` now."""
    from casetrail.core import engine
    from casetrail.core.case import Case
    from casetrail.shell import repo

    data, size = repo.read_case(office.root, rel)
    result = engine.check_file(rel, data, office.config, size)
    _refuse_errors(result.diagnostics, f"{rel} has errors; fix them first (casetrail check {rel})")
    from casetrail.core import document

    parsed, _ = document.parse(data)
    assert parsed is not None  # check_file passed, so it parses
    return data, Case(parsed.front_matter)


def _refuse_errors(diagnostics: Any, message: str) -> None:
    from casetrail.core.report import REPORTERS, Report, ordered

    errors = [d for d in diagnostics if d.severity.value == "error"]
    if errors:
        click.echo(REPORTERS["text"](Report(ordered(errors), 1)), err=True)
        raise UserError(message)


def edited(office: Office, rel: str, data: bytes, change: Change) -> bytes:
    """The file with the change applied and validated; refuses anything check would refuse."""
    from casetrail.core import document, engine, yamledit

    parsed, _ = document.parse(data)
    assert parsed is not None
    ops = list(change.ops)
    if any(op.path[:1] == ("due",) for op in ops):  # dues are stored with their calendar
        ops.append(yamledit.Set(("due", "calendar"), office.calendar.description))
    try:
        new_yaml = yamledit.apply(parsed.front_matter_text, ops)
    except yamledit.EditError as error:
        raise UserError(f"{rel}: {error}") from None
    new = parsed.with_front_matter(new_yaml).encode()
    result = engine.check_file(rel, new, office.config)
    _refuse_errors(
        result.diagnostics, "the change would make the case invalid; nothing was written"
    )
    _show_new_warnings(office, rel, data, result.diagnostics)
    return new


def _show_new_warnings(office: Office, rel: str, old: bytes, found: Any) -> None:
    """Warnings the change introduces (say, an e-mail address in a free-text field)."""
    from casetrail.core import engine
    from casetrail.core.report import REPORTERS, Report, ordered

    before = {(d.code, d.message) for d in engine.check_file(rel, old, office.config).diagnostics}
    fresh = [d for d in found if (d.code, d.message) not in before]
    if fresh:
        click.echo(REPORTERS["text"](Report(ordered(fresh), 1)), err=True)


def edit_options(function: F) -> F:
    """--by, --at, --dry-run and --format for every command that edits a case."""
    options = [
        click.option("--by", default=None, help="Who acts (default: from git user.email)."),
        click.option("--at", default=None, help="When it happened (default: now)."),
        click.option("--dry-run", is_flag=True, help="Show the change as a diff; write nothing."),
        click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text"),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def run_edit(
    ctx: click.Context,
    ref: str,
    by: str | None,
    at: str | None,
    dry_run: bool,
    fmt: str,
    step: Callable[[Case, Act, Office], Change],
) -> int:
    """Apply one procedure step to one case file, safely."""
    from casetrail.core.actions.base import Refusal
    from casetrail.shell import repo

    where = office(ctx)
    rel = case_path(where.root, ref)
    data, case = load_case(where, rel)
    act = where.act(by, at)
    try:
        change = step(case, act, where)
    except Refusal as refusal:
        raise UserError(
            refusal.message + (f"\n  hint: {refusal.hint}" if refusal.hint else "")
        ) from None
    if act.now < case.registered_at:  # checked after the step, whose own message says more
        raise UserError(
            f"{act.at} is before the case was registered ({case.data['registered_at']})"
        )
    new = edited(where, rel, data, change)
    if dry_run:
        diff = difflib.unified_diff(
            data.decode().splitlines(keepends=True),
            new.decode().splitlines(keepends=True),
            f"a/{rel}",
            f"b/{rel}",
        )
        click.echo("".join(diff), nl=False)
        return 0
    repo.atomic_write(where.root / rel, new)
    if fmt == "json":
        click.echo(
            json.dumps({"id": case.id, "path": rel, "message": change.message, **change.data})
        )
    else:
        click.echo(change.message)
    return 0
