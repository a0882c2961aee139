"""The `casetrail` command: one error funnel, exit codes as documented in the README.

0 ok (warnings allowed), 1 findings, 2 usage or configuration error, 3 unexpected internal error,
130 interrupted. Nothing below this module calls sys.exit.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from casetrail import __version__
from casetrail.core.report import INTERNAL, INTERRUPTED, OK, USAGE


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


# Subcommands load on first use, so a pre-commit run imports only what `check` needs.
_COMMANDS = {
    "ack": "casetrail.cli.assign:ack",
    "agenda": "casetrail.cli.views:agenda",
    "assess": "casetrail.cli.intake:assess",
    "assign": "casetrail.cli.assign:assign",
    "attach": "casetrail.cli.documents:attach",
    "audit": "casetrail.cli.audit:audit",
    "destroy": "casetrail.cli.destroy:destroy",
    "check": "casetrail.cli.check:check",
    "close": "casetrail.cli.closure:close",
    "conflict": "casetrail.cli.intake:conflict",
    "contact": "casetrail.cli.work:contact",
    "disclose": "casetrail.cli.work:disclose",
    "edit": "casetrail.cli.secrets:edit",
    "escalate": "casetrail.cli.intake:escalate",
    "flag": "casetrail.cli.intake:flag",
    "followup": "casetrail.cli.work:followup",
    "merge-driver": "casetrail.cli.gitdrivers:merge_driver",
    "hold": "casetrail.cli.closure:hold",
    "keys": "casetrail.cli.keys:keys",
    "log": "casetrail.cli.log:log",
    "new": "casetrail.cli.new:new",
    "overdue": "casetrail.cli.views:overdue",
    "priority": "casetrail.cli.intake:priority",
    "rekey": "casetrail.cli.rekey:rekey",
    "reopen": "casetrail.cli.closure:reopen",
    "report": "casetrail.cli.report:report",
    "request-closure": "casetrail.cli.closure:request_closure",
    "resolve-flag": "casetrail.cli.intake:resolve_flag",
    "return-closure": "casetrail.cli.closure:return_closure",
    "review": "casetrail.cli.work:review",
    "section": "casetrail.cli.secrets:section",
    "setup": "casetrail.cli.setup:setup",
    "show": "casetrail.cli.secrets:show",
    "site": "casetrail.cli.site:site",
    "retention": "casetrail.cli.retention:retention",
    "demo": "casetrail.cli.demo:demo",
    "rules": "casetrail.cli.rules:rules",
    "stakeholder": "casetrail.cli.intake:stakeholder",
    "status": "casetrail.cli.views:status",
    "suggest": "casetrail.cli.assign:suggest",
    "textconv": "casetrail.cli.gitdrivers:textconv",
    "verify": "casetrail.cli.intake:verify",
    "workload": "casetrail.cli.views:workload",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="casetrail")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="The records repository (default: found from the current folder).",
)
@click.option("--traceback", is_flag=True, help="Show the Python traceback of an internal error.")
@click.pass_context
def cli(ctx: click.Context, root: Path | None, traceback: bool) -> None:
    """Case records kept as signed, encrypted plain text in git."""
    ctx.obj = {"root": root}


def repository_root(ctx: click.Context) -> Path:
    from casetrail.shell.repo import find_root

    given = ctx.find_root().obj.get("root")
    return find_root(given if given is not None else Path.cwd())


def _known_errors() -> tuple[type[BaseException], ...]:
    from casetrail.core.businesstime import CalendarError
    from casetrail.core.keystore import KeyStoreError
    from casetrail.shell.casekeys import CaseKeyError
    from casetrail.shell.cipher import CipherError
    from casetrail.shell.editor import EditorError
    from casetrail.shell.git import GitError
    from casetrail.shell.keysource import KeySourceError
    from casetrail.shell.repo import RepositoryError

    return (
        UserError,
        RepositoryError,
        GitError,
        CipherError,
        CalendarError,
        KeySourceError,
        EditorError,
        CaseKeyError,
        KeyStoreError,
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        result = cli.main(args=args, prog_name="casetrail", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("casetrail: interrupted", err=True)
        return INTERRUPTED
    except KeyboardInterrupt:
        click.echo("casetrail: interrupted", err=True)
        return INTERRUPTED
    except click.exceptions.ClickException as error:
        error.show()
        return USAGE
    except click.exceptions.Exit as error:
        return int(error.exit_code)
    except _known_errors() as error:
        click.echo(f"casetrail: {error}", err=True)
        return USAGE
    except Exception as error:
        if "--traceback" in args:
            raise
        click.echo(
            f"casetrail: an unexpected error occurred: {type(error).__name__}: {error}\n"
            "This is a bug in casetrail; rerun with --traceback and report the output.",
            err=True,
        )
        return INTERNAL
    return result if isinstance(result, int) else OK
