"""What the steps of `casetrail setup` share: the report of one run, the values it sets in this
clone's .git/config, and schema/ read without writing anything."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from casetrail.cli.main import UserError

if TYPE_CHECKING:
    from casetrail.core.engine import Config

ROSTER = "schema/roster.yaml"
POLICY = "schema/policy.yaml"
GIT_TRUE = {"true", "yes", "on", "1"}  # what git reads as true


@dataclass
class Report:
    """The lines of one run, and what they add up to."""

    check_only: bool
    changed: int = 0
    missing: int = 0
    committable: bool = False  # .gitattributes or .gitignore changed

    def ok(self, what: str) -> None:
        click.echo(f"ok       {what}")

    def change(self, verb: str, what: str) -> bool:
        """A change setup makes; with --check, reported as missing. True if it is to be made."""
        if self.check_only:
            self.lack(what)
            return False
        self.changed += 1
        click.echo(f"{verb:<8} {what}")
        return True

    def lack(self, what: str) -> None:
        """Something missing that this run does not (or cannot) fix."""
        self.missing += 1
        click.echo(f"missing  {what}")


def shown_path(path: Path, root: Path) -> str:
    """A path as people read it: relative to the repository when inside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def ensure_config(report: Report, root: Path, key: str, value: str, shown: str = "") -> None:
    """One value of this clone's .git/config: reported ok, or set (unless --check)."""
    from casetrail.shell import git

    current = git.local_config_value(root, key)
    if current == value or (value == "true" and (current or "").lower() in GIT_TRUE):
        report.ok(f"git config {key}{f' = {shown}' if shown else ''}")
        return
    was = "" if current is None else f" (was {current})"
    if report.change("set", f"git config {key} = {shown or value}{was}"):
        git.set_local_config(root, key, value)


def load_schema(root: Path) -> tuple[dict[str, bytes | None], Config]:
    """schema/ read and validated, without writing casetrail's caches (setup --check writes
    nothing); a usage error if it cannot be read."""
    from casetrail.core import configload
    from casetrail.core.validation import fast_check_from_code, generate_fast_code
    from casetrail.shell import repo

    def factory(name: str, schema: dict[str, Any]) -> Callable[[Any], bool]:
        return fast_check_from_code(compile(generate_fast_code(schema), name, "exec"))

    files = repo.read_config(root)
    try:
        return files, configload.load(files, factory)
    except configload.ConfigError as error:
        first = error.diagnostics[0] if error.diagnostics else None
        where = f"{first.path}:{first.line}: {first.message}" if first else "not valid"
        count = len(error.diagnostics)
        more = f" (and {count - 1} more problem(s))" if count > 1 else ""
        raise UserError(f"schema/ cannot be read: {where}{more}; run casetrail check") from None


def office_timezone(config: Config) -> str:
    """The office's time zone (policy calendar.timezone); a usage error if it is unknown."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    timezone = str(config.policy.raw["calendar"]["timezone"])
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"{POLICY}: calendar.timezone {timezone!r} is not a known time zone"
        ) from None
    return timezone
