"""What the lifecycle commands share: who acts, when, which case, and the safe edit of a file.

An edit reads the case, asks a pure step for its changes, applies them with round-trip YAML so
only the changed lines move, validates the result exactly as `casetrail check` would, and only
then replaces the file atomically. A refused step leaves the file byte-identical.
"""

from __future__ import annotations

import difflib
import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from casetrail.cli.main import UserError, repository_root
from casetrail.core.config import Person, Roster

if TYPE_CHECKING:  # deferred at run time to keep `--help` fast
    from casetrail.core.actions.base import Act, Change
    from casetrail.core.businesstime import Calendar
    from casetrail.core.case import Case
    from casetrail.core.diagnostics import Diagnostic
    from casetrail.core.document import CaseDocument
    from casetrail.core.engine import Config
    from casetrail.shell.keystore_dir import DirectoryKeyStore

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


def relative_path(root: Path, given: str) -> str:
    """A path given on the command line, relative to the repository (symlinks not followed)."""
    path = Path(given)
    absolute = (path if path.is_absolute() else Path.cwd() / path).absolute()
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        raise UserError(f"{given} is outside the records repository {root}") from None


def case_path(root: Path, ref: str) -> str:
    """A case by its ID (any case, I/L read as 1, O as 0) or by its path."""
    from casetrail.core import ids

    if ref.endswith(".md"):
        rel = relative_path(root, ref)
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
    from casetrail.shell import calendars, casekeys, index

    root = repository_root(ctx)
    casekeys.use_repository(root)
    config, _ = index.load_config(root)
    return Office(root, config, calendars.load(config.policy.raw["calendar"]))


@dataclass(frozen=True, slots=True)
class Loaded:
    """A case file as read: its bytes, parsed document, model and findings (parsed once)."""

    rel: str
    data: bytes
    document: CaseDocument
    case: Case
    diagnostics: tuple[Diagnostic, ...]


def load_case(office: Office, rel: str) -> Loaded:
    """The case as it is, refusing a file that does not pass `casetrail check` now."""
    from casetrail.core import document, engine
    from casetrail.core.case import Case
    from casetrail.shell import repo

    data, size = repo.read_case(office.root, rel)
    parsed, findings = document.parse(data, size)
    if parsed is not None:
        refuse_tombstone(rel, parsed)
    result = engine.check_parsed(rel, parsed, findings, office.config)
    _refuse_errors(result.diagnostics, f"{rel} has errors; fix them first (casetrail check {rel})")
    assert parsed is not None  # no errors, so it parsed
    return Loaded(rel, data, parsed, Case(parsed.front_matter), result.diagnostics)


def refuse_tombstone(rel: str, parsed: CaseDocument) -> None:
    """A destroyed case's tombstone is a record of its destruction, not a case to work on."""
    from casetrail.core import destruction

    if destruction.is_tombstone(parsed.front_matter):
        record = parsed.front_matter.get("destruction") or {}
        listed = record.get("list", "?") if isinstance(record, dict) else "?"
        raise UserError(
            f"{rel} was destroyed (destruction list {listed}); only its tombstone remains: "
            f"`casetrail show` prints it"
        )


def _refuse_errors(diagnostics: tuple[Diagnostic, ...], message: str) -> None:
    from casetrail.core.report import REPORTERS, Report, ordered

    errors = [d for d in diagnostics if d.severity.value == "error"]
    if errors:
        click.echo(REPORTERS["text"](Report(ordered(errors), 1)), err=True)
        raise UserError(message)


@dataclass(frozen=True, slots=True)
class Edit:
    """A validated new case file, the encrypted documents to replace before it, and a note."""

    data: bytes
    documents: list[tuple[Path, bytes]]
    note: str = ""
    preview: bytes = b""  # the change before re-encryption: what --dry-run shows as a diff


def edited(office: Office, loaded: Loaded, change: Change, identity: tuple[str, ...] = ()) -> Edit:
    """The file with the change applied, re-encrypted if the change alters who may read it
    (assignment, closure, reopening), and validated; refuses anything check would refuse."""
    from casetrail.cli import sealing
    from casetrail.core import engine, yamledit

    ops = list(change.ops)
    if any(op.path[:1] == ("due",) for op in ops):  # dues are stored with their calendar
        ops.append(yamledit.Set(("due", "calendar"), office.calendar.description))
    try:
        new_yaml = yamledit.apply(loaded.document.front_matter_text, ops)
    except yamledit.EditError as error:
        raise UserError(f"{loaded.rel}: {error}") from None
    preview = loaded.document.with_front_matter(new_yaml)
    text, documents, note = sealing.resealed_for(
        office.root,
        loaded.rel,
        preview,
        loaded.case,
        office.config,
        identity,
    )
    new = text.encode()
    result = engine.check_file(loaded.rel, new, office.config)
    _refuse_errors(
        result.diagnostics, "the change would make the case invalid; nothing was written"
    )
    _show_new_warnings(loaded.diagnostics, result.diagnostics)
    return Edit(new, documents, note, preview.encode())


def _show_new_warnings(before: tuple[Diagnostic, ...], after: tuple[Diagnostic, ...]) -> None:
    """Warnings the change introduces (say, an e-mail address in a free-text field)."""
    from casetrail.core.report import REPORTERS, Report, ordered

    known = {(d.code, d.message) for d in before}
    fresh = [d for d in after if (d.code, d.message) not in known]
    if fresh:
        click.echo(REPORTERS["text"](Report(ordered(fresh), 1)), err=True)


EDIT_OPTIONS = (
    click.argument("case", metavar="CASE"),
    click.option("--by", default=None, help="Who acts (default: from git user.email)."),
    click.option("--at", default=None, help="When it happened (default: now)."),
    click.option("--dry-run", is_flag=True, help="Show the change as a diff; write nothing."),
    click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text"),
    click.option(
        "-i",
        "--identity",
        "identity",
        multiple=True,
        metavar="FILE",
        help="A key file for re-encrypting when the step changes who may read the case "
        "('-' reads standard input; repeatable). Also: $CASETRAIL_AGE_KEY_FILE, "
        "$CASETRAIL_AGE_KEY_CMD.",
    ),
)
Step = Callable[["Case", "Act", Office], "Change"]


def case_step(build: Callable[..., Step]) -> Callable[..., int]:
    """A command that applies one procedure step to CASE: `build` receives the command's own
    options and returns the step; CASE, --by, --at, --dry-run and --format are added here."""

    @functools.wraps(build)
    @click.pass_context
    def command(
        ctx: click.Context, /, case: str, by: str | None, at: str | None, dry_run: bool, fmt: str,
        identity: tuple[str, ...], **options: Any,
    ) -> int:  # fmt: skip
        return run_edit(ctx, case, by, at, dry_run, fmt, build(**options), identity)

    for decorator in reversed(EDIT_OPTIONS):  # CASE last, so it is the first argument
        command = decorator(command)
    return command


def run_edit(
    ctx: click.Context,
    ref: str,
    by: str | None,
    at: str | None,
    dry_run: bool,
    fmt: str,
    step: Step,
    identity: tuple[str, ...] = (),
) -> int:
    """Apply one procedure step to one case file, safely."""
    from casetrail.core.actions.base import Refusal

    where = office(ctx)
    rel = case_path(where.root, ref)
    loaded = load_case(where, rel)
    data, case = loaded.data, loaded.case
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
    edit = edited(where, loaded, change, identity)
    if dry_run:
        diff = difflib.unified_diff(
            data.decode().splitlines(keepends=True),
            edit.preview.decode().splitlines(keepends=True),
            f"a/{rel}",
            f"b/{rel}",
        )
        click.echo("".join(diff), nl=False)
        if edit.note:  # ciphertext diffs say nothing; say what would be re-encrypted instead
            click.echo(f"would have {edit.note}", err=True)
        return 0
    after = _after(edit.data)
    store = _store_for_readers(where, case, after)
    write_case(where.root, rel, edit)
    keys_note = _sync_case_key(where, store, rel, after, act, identity)
    note = "\n".join(n for n in (edit.note, keys_note) if n)
    edit = replace(edit, note=note)
    if fmt == "json":
        extra = {"reencrypted": edit.note} if edit.note else {}
        click.echo(
            json.dumps(
                {"id": case.id, "path": rel, "message": change.message, **change.data, **extra}
            )
        )
    else:
        click.echo(change.message + (f"\n{edit.note}" if edit.note else ""))
    return 0


def _after(data: bytes) -> Case | None:
    from casetrail.core import document
    from casetrail.core.case import Case

    parsed, _ = document.parse(data)
    return Case(parsed.front_matter) if parsed is not None else None


def _store_for_readers(where: Office, before: Case, after: Case | None) -> DirectoryKeyStore | None:
    """The key store, if the step changes who holds the case's per-case key (refused before
    anything is written when this machine names no store)."""
    from casetrail.core import recipients
    from casetrail.shell import casekeys

    if after is None or casekeys.uses_key(after) is None:
        return None
    policy, roster = where.config.policy, where.config.roster
    if recipients.case_readers(before, policy, roster) == recipients.case_readers(
        after, policy, roster
    ):
        return None
    try:
        return casekeys.open_store(where.root, f"this step changes who may read {after.id}, but ")
    except casekeys.CaseKeyError as error:
        raise UserError(f"{error}; nothing was written") from None


def _sync_case_key(
    where: Office,
    store: DirectoryKeyStore | None,
    rel: str,
    after: Case | None,
    act: Act,
    identity: tuple[str, ...],
) -> str:
    """Give and take wrappers of the case's key after the case file says who may read it."""
    from casetrail.cli.sealing import keyring
    from casetrail.shell import casekeys

    if store is None or after is None:
        return ""
    try:
        done = casekeys.sync(
            store,
            after,
            where.config.policy,
            where.config.roster,
            keyring(identity),
            act.actor.handle,
            act.now,
        )
    except casekeys.CaseKeyError as error:
        raise UserError(
            f"{rel} was written, but its key's wrappers were not updated: {error}; finish "
            f"with `casetrail keys sync {after.id}` (someone who can read the case)"
        ) from None
    return done.words(after.id)


def write_case(root: Path, rel: str, edit: Edit) -> None:
    """Documents first, then the case file, each atomically: a crash in between leaves every
    file whole and readable, and `casetrail rekey` finishes the job."""
    from casetrail.shell import repo

    for path, data in edit.documents:
        repo.atomic_write(path, data)
    repo.atomic_write(root / rel, edit.data)


def office_moment_at(given: str | None, root: Path) -> datetime:
    """--as-of (a date or timestamp), else the office clock (CASETRAIL_NOW, else now)."""
    from casetrail.shell import calendars, index

    config, _ = index.load_config(root)
    calendar = calendars.load(config.policy.raw["calendar"])
    return now(calendar) if given is None else parse_as_of(given, calendar.zone)
