"""`casetrail check [PATH...]`: validate case files and the schema/ folder."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import click

from casetrail.cli.common import relative_path
from casetrail.cli.main import UserError, repository_root
from casetrail.core.diagnostics import Diagnostic, Severity
from casetrail.core.engine import FileResult
from casetrail.core.report import REPORTERS, USAGE, Report, ordered


def _select(root: Path, given: tuple[str, ...]) -> tuple[list[str], list[Diagnostic]]:
    """Case files to check, and findings for things under cases/ that are not case files."""
    from casetrail.shell import repo

    if not given:
        entries = list(repo.walk_cases(root))
    else:
        entries = []
        for name in given:
            rel = relative_path(root, name)
            target = root / rel
            if not rel.startswith("cases/"):
                continue  # pre-commit may pass other files; they are not ours to judge
            if target.is_symlink():
                entries.append(
                    repo.Entry(rel, "is a symbolic link; case files must be regular files", "CT013")
                )
            elif not target.exists():
                raise UserError(f"{name}: no such file")
            elif rel.endswith(".md"):
                entries.append(repo.Entry(rel))
    found = [
        Diagnostic(
            e.path,
            1,
            1,
            e.code,
            f"{e.path} {e.problem}",
            Severity.WARNING if e.code == "CT014" else Severity.ERROR,
        )
        for e in entries
        if e.problem
    ]
    return [e.path for e in entries if not e.problem], found


def _twins(root: Path, results: list[FileResult]) -> list[str]:
    """Files that would share an ID with a checked file (path mode only)."""
    checked = {r.path for r in results}
    twins = []
    for result in results:
        if result.summary:
            expected = f"cases/{result.summary.id[:4]}/{result.summary.id}.md"
            if expected not in checked and (root / expected).is_file():
                twins.append(expected)
    return twins


def _previous_status(
    root: Path,
    results: list[FileResult],
    blobs: dict[str, str],
    against: str,
    results_cache: object,
) -> dict[str, str]:
    from casetrail.core import document
    from casetrail.shell import cache, git

    assert isinstance(results_cache, cache.ResultCache)
    paths = [r.path for r in results if r.summary]
    if not paths or not (root / ".git").exists():
        return {}
    before = git.ls_tree(root, against, ["cases"] if len(paths) > 50 else paths)
    if before is None:
        if against != "HEAD":
            raise UserError(f"--against {against}: not a commit in this repository")
        return {}  # no commits yet: nothing to compare with
    statuses: dict[str, str] = {}
    wanted: dict[str, str] = {}
    for path in paths:
        blob = before.get(path)
        if blob is None or blob == blobs.get(path):
            continue
        known = results_cache.get_status(blob)
        if known is not None:
            statuses[path] = known
        else:
            wanted[path] = blob
    contents = git.cat_blobs(root, sorted(set(wanted.values())))
    for path, blob in wanted.items():
        parsed, _ = document.parse(contents[blob])
        status = parsed.front_matter.get("status") if parsed else None
        if isinstance(status, str):
            statuses[path] = status
            results_cache.put_status(blob, status)
    return statuses


def _moment(given: str | None, timezone_name: str) -> datetime:
    """--as-of, else the (possibly simulated) clock, in the office's zone: time-based rules
    judge at this moment, and "today" is the office's day."""
    import os
    from zoneinfo import ZoneInfo

    from casetrail.cli.common import parse_as_of, parse_moment

    zone = ZoneInfo(timezone_name)
    if given is not None:
        return parse_as_of(given, zone)
    simulated = os.environ.get("CASETRAIL_NOW")
    if simulated is None:
        return datetime.now(zone)
    return parse_moment(simulated, "CASETRAIL_NOW").astimezone(zone)


def _summary_table(results: list[FileResult]) -> str:
    summaries = [r.summary for r in results if r.summary]
    lines = [f"{len(summaries)} cases"]
    for label, values in (
        ("status", Counter(s.status for s in summaries)),
        ("priority", Counter(s.priority for s in summaries)),
        ("type", Counter(s.type for s in summaries)),
    ):
        lines.append(f"  by {label:<9} " + ", ".join(f"{k} {v}" for k, v in sorted(values.items())))
    return "\n".join(lines)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(REPORTERS)),
    default="text",
    help="text (default), json (stable shape), github (PR annotations).",
)
@click.option("--strict", is_flag=True, help="Warnings fail the run too.")
@click.option(
    "--against",
    default="HEAD",
    show_default=True,
    help="Revision whose committed statuses the transitions are checked against.",
)
@click.option("--no-cache", is_flag=True, help="Parse every file even if unchanged.")
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes for parsing (default: all cores).",
)
@click.option("--summary", is_flag=True, help="Also print cases by status, priority and type.")
@click.option(
    "--as-of",
    default=None,
    help="Judge due targets and follow-ups at this moment (default: now).",
)
@click.option("--strict-sla", is_flag=True, help="Overdue targets and follow-ups are errors.")
@click.pass_context
def check(
    ctx: click.Context,
    paths: tuple[str, ...],
    fmt: str,
    strict: bool,
    against: str,
    no_cache: bool,
    jobs: int | None,
    summary: bool,
    as_of: str | None,
    strict_sla: bool,
) -> int:
    """Validate case files (all of cases/, or PATHS) and the schema/ folder.

    Prints each finding as PATH:LINE:COL: CODE message, with a hint. Exit codes: 0 no errors,
    1 findings, 2 usage or configuration error.
    """
    from casetrail.core import configload, engine
    from casetrail.shell import cache, index, repo

    root = repository_root(ctx)
    files = repo.read_config(root)
    try:
        config = cache.load_config(root, files)
    except configload.ConfigError as error:
        click.echo(REPORTERS[fmt](Report(ordered(error.diagnostics), 0)))
        return USAGE
    selected, found = _select(root, paths)
    results_cache = cache.ResultCache(root, cache.fingerprint(files), not (paths or no_cache))
    results, blobs = index.check_files(root, selected, config, results_cache, jobs)
    if paths:
        twins, twin_blobs = index.check_files(
            root, _twins(root, results), config, results_cache, jobs
        )
        results, blobs = results + twins, {**blobs, **twin_blobs}
    previous = _previous_status(root, results, blobs, against, results_cache)
    found += [d for r in results for d in r.diagnostics]
    found += engine.check_tree(
        results,
        previous,
        against,
        _moment(as_of, config.policy.raw["calendar"]["timezone"]),
        strict_sla,
    )
    results_cache.save(None if paths else {r.path for r in results})
    report = Report(ordered(found), len(results), results_cache.hits, strict)
    click.echo(REPORTERS[fmt](report))
    if summary and fmt == "text":
        click.echo(_summary_table(results))
    return report.return_code
