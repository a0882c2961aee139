"""`casetrail setup`, step 1: readable diffs and merges of case files. The drivers of
cli/gitdrivers.py go into .git/config, .gitattributes routes cases/**/*.md through them and
.gitignore ignores .cache/; the two files are committed, so every clone uses them."""

from __future__ import annotations

from pathlib import Path

from casetrail.cli import gitdrivers
from casetrail.cli.setup_common import Report, ensure_config


def _appended(path: Path, lines: list[str], comment: str) -> bytes:
    old = path.read_bytes() if path.exists() else b""
    if old and not old.endswith(b"\n"):
        old += b"\n"
    return old + "\n".join([comment, *lines, ""]).encode("utf-8")


def set_up_drivers(report: Report, root: Path) -> None:
    from casetrail.shell import repo

    for key, value in gitdrivers.wanted_config().items():
        ensure_config(report, root, key, value)

    attributes = root / ".gitattributes"
    text = attributes.read_text("utf-8", "replace") if attributes.exists() else ""
    needed = gitdrivers.missing_attributes(text)
    made = [report.change("added", f".gitattributes: {line}") for line in needed]
    if not needed:
        report.ok(".gitattributes")
    elif all(made):
        note = "# casetrail setup: case files diff and merge through casetrail (see its README)"
        repo.atomic_write(attributes, _appended(attributes, needed, note))
        report.committable = True

    ignore = root / ".gitignore"
    if gitdrivers.ignores_cache(ignore.read_text("utf-8", "replace") if ignore.exists() else ""):
        report.ok(".gitignore: .cache/")
    elif report.change("added", ".gitignore: .cache/"):
        note = "# casetrail's caches (never plaintext)"
        repo.atomic_write(ignore, _appended(ignore, [".cache/"], note))
        report.committable = True
