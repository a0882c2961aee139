"""Every readable case's front matter, for the commands that look across the office
(suggestions, agenda, overdue, workload, reports), and the tombstones of destroyed cases apart
from them. Files that do not pass the schema are counted and left out: `casetrail check` is
where they are reported."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from casetrail.core import destruction, document
from casetrail.core.case import Case
from casetrail.core.engine import Config
from casetrail.shell import repo


@dataclass(frozen=True, slots=True)
class CaseIndex:
    cases: tuple[Case, ...]
    paths: dict[str, str]  # case id -> repository-relative path
    skipped: tuple[str, ...]  # paths that could not be read as valid cases
    sections: dict[str, tuple[document.Section, ...]]  # case id -> sections, when asked for
    tombstones: tuple[destruction.Tombstone, ...] = ()  # destroyed cases' records


def load(root: Path, config: Config, with_sections: bool = False) -> CaseIndex:
    """The valid cases; `with_sections` also keeps each one's sections (as stored: encrypted
    ones stay armored), so the site need not parse every file a second time."""
    cases: list[Case] = []
    paths: dict[str, str] = {}
    skipped: list[str] = []
    sections: dict[str, tuple[document.Section, ...]] = {}
    tombstones: list[destruction.Tombstone] = []
    for entry in repo.walk_cases(root):
        if entry.problem:
            continue
        data, size = repo.read_case(root, entry.path)
        parsed, _ = document.parse(data, size)
        if parsed is not None and destruction.is_tombstone(parsed.front_matter):
            try:
                tombstones.append(destruction.parse_tombstone(parsed.front_matter, entry.path))
            except destruction.DestructionError:
                skipped.append(entry.path)
            continue
        if parsed is None or not config.fast_check(parsed.front_matter):
            skipped.append(entry.path)
            continue
        case = Case(parsed.front_matter)
        cases.append(case)
        paths[case.id] = entry.path
        if with_sections:
            sections[case.id] = parsed.sections
    return CaseIndex(tuple(cases), paths, tuple(skipped), sections, tuple(tombstones))
