"""`casetrail check [PATH...]`: validate case files and the schema/ folder."""

from __future__ import annotations

import gc
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import click

from casetrail.cli.common import relative_path
from casetrail.cli.main import UserError, repository_root
from casetrail.core.diagnostics import Diagnostic, Severity
from casetrail.core.engine import FileResult
from casetrail.core.report import REPORTERS, USAGE, Report, ordered
from casetrail.core.rules import files
from casetrail.core.rules.base import StoredFile


@dataclass
class Selection:
    """What one run looks at, from the walk of cases/ or from the given paths."""

    cases: list[str] = field(default_factory=list)
    found: list[Diagnostic] = field(default_factory=list)  # about the listing itself
    attachments: list[str] = field(default_factory=list)  # files in cases/<year>/<id>/
    search: list[str] = field(default_factory=list)  # other files to search for keys


def _walk(root: Path) -> Selection:
    from casetrail.shell import repo

    chosen = Selection()
    for entry in repo.walk_cases(root, chosen.attachments):
        if not entry.problem:
            chosen.cases.append(entry.path)
            continue
        severity = Severity.WARNING if entry.code == "CT014" else Severity.ERROR
        hint = files.LEFTOVER_HINT if entry.code == files.LEFTOVER else ""
        chosen.found.append(
            Diagnostic(
                entry.path, 1, 1, entry.code, f"{entry.path} {entry.problem}", severity, hint
            )
        )
        if entry.code in ("CT014", files.LEFTOVER):
            chosen.search.append(entry.path)
    return chosen


def _given(root: Path, given: tuple[str, ...]) -> Selection:
    """Pre-commit mode: case files are checked; a leftover or a file holding a key is flagged
    wherever it is; an attachment brings its case; every other file is not ours to judge."""
    chosen = Selection()
    for name in given:
        rel = relative_path(root, name)
        target = root / rel
        under_cases = rel.startswith("cases/")
        if not target.is_symlink() and not target.exists():
            if under_cases:
                raise UserError(f"{name}: no such file")
            continue
        if target.is_dir():
            continue
        why = files.classify(rel, (root / f"{rel}{files.ENCRYPTED_SUFFIX}").exists())
        if why is not None:
            chosen.found.append(files.leftover_diagnostic(rel, why))
            chosen.search.append(rel)
        elif target.is_symlink():
            if under_cases:
                chosen.found.append(
                    Diagnostic(
                        rel,
                        1,
                        1,
                        "CT013",
                        f"{rel} is a symbolic link; case files must be regular files",
                    )
                )
        elif under_cases and rel.count("/") == 3:  # cases/<year>/<id>/<name>: a document
            if rel.endswith("/.gitkeep"):
                continue
            case = f"{rel.rsplit('/', 1)[0]}.md"
            if (root / case).is_file() and case not in chosen.cases:
                chosen.cases.append(case)
            chosen.attachments.append(rel)
        elif under_cases and rel.endswith(".md"):
            if rel not in chosen.cases:
                chosen.cases.append(rel)
        else:
            chosen.search.append(rel)
    return chosen


def _attachments(
    root: Path,
    chosen: Selection,
    results: list[FileResult],
    given: bool,
    results_cache: object,
    clean: dict[str, str] | None,
) -> tuple[dict[str, dict[str, StoredFile]], list[Diagnostic]]:
    """The attachment folders' files with their headers. A whole-tree run has them from the
    walk; with given paths, the folders of the checked cases are listed (one scandir each)."""
    from casetrail.core.rules.attachments import folder_of
    from casetrail.shell import cache, treescan

    assert isinstance(results_cache, cache.ResultCache)
    wanted = chosen.attachments
    if given:
        folders = {rel.rsplit("/", 1)[0] for rel in wanted} | {folder_of(r.path) for r in results}
        wanted = sorted({*wanted, *treescan.folder_files(root, folders)})
    return treescan.read_attachments(root, wanted, results_cache, clean)


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


def office_moment(given: str | None, timezone_name: str) -> datetime:
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
    from casetrail.core.rules.base import AttachmentScan
    from casetrail.shell import cache, index, repo, treescan

    # A run builds tens of thousands of long-lived objects and almost no reference cycles, so
    # the cyclic collector would only traverse them again and again (a sixth of a warm run on
    # 10,000 cases). It is back on when the command is done; parse workers turn it on too.
    if gc.isenabled():
        gc.disable()
        ctx.call_on_close(gc.enable)
    root = repository_root(ctx)
    config_files = repo.read_config(root)
    try:
        config = cache.load_config(root, config_files)
    except configload.ConfigError as error:
        click.echo(REPORTERS[fmt](Report(ordered(error.diagnostics), 0)))
        return USAGE
    chosen = _given(root, paths) if paths else _walk(root)
    found = list(chosen.found)
    results_cache = cache.ResultCache(
        root, cache.fingerprint(config_files), not (paths or no_cache)
    )
    # git lists the attachments it knows unchanged while the case files are parsed
    blob_index = None
    if results_cache.enabled and chosen.attachments:
        blob_index = treescan.start_blob_index(root)
        ctx.call_on_close(blob_index)  # reaps git even if the run stops early
    results, blobs = index.check_files(root, chosen.cases, config, results_cache, jobs)
    if paths:
        twins, twin_blobs = index.check_files(
            root, _twins(root, results), config, results_cache, jobs
        )
        results, blobs = results + twins, {**blobs, **twin_blobs}
    previous = _previous_status(root, results, blobs, against, results_cache)
    found += [d for r in results for d in r.diagnostics]
    clean = blob_index() if blob_index else None
    stored, keys = _attachments(root, chosen, results, bool(paths), results_cache, clean)
    found += keys
    if paths:
        found += [d for rel in chosen.search for d in treescan.find_keys(root, rel)]
    else:
        found += treescan.work_tree_findings(root, chosen.search)
    found += engine.check_tree(
        results,
        previous,
        against,
        office_moment(as_of, config.policy.raw["calendar"]["timezone"]),
        strict_sla,
        AttachmentScan(stored, frozenset(r.path for r in results)),
    )
    results_cache.save(None if paths else {r.path for r in results})
    report = Report(ordered(found), len(results), results_cache.hits, strict)
    click.echo(REPORTERS[fmt](report))
    if summary and fmt == "text":
        click.echo(_summary_table(results))
    return report.return_code
