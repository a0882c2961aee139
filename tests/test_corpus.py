"""The invalid-input corpus: each bad input gets exactly its expected `casetrail check` output.

See tests/corpus/README.md. `CASETRAIL_UPDATE_GOLDEN=1 pytest tests/test_corpus.py` rewrites the
expected.txt files from the actual output (never those of KNOWN_BUGS).
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import shutil
from pathlib import Path

import pytest

from casetrail.cli.main import main
from casetrail.core.rules import RULES

TESTS = Path(__file__).parent
SCHEMA = TESTS.parent / "schema"
CORPUS = TESTS / "corpus" / "invalid"
UPDATE = os.environ.get("CASETRAIL_UPDATE_GOLDEN") == "1"

ENTRIES = sorted(p for p in CORPUS.iterdir() if (p / "expected.txt").is_file())
(BIG,) = [p for p in CORPUS.iterdir() if p.name.endswith("-file-over-1-mib")]  # NOTE.md only
CANARY = re.compile(rb"CANARY-[A-Z0-9]+(?:-[A-Z0-9]+)*")
FINDING = re.compile(r"^\S+:\d+:\d+: (CT\d{3}) ", re.MULTILINE)
MEBIBYTE = 1024 * 1024

# Entries (by slug: the directory name without its number) whose expected.txt is the output
# casetrail SHOULD give; today it does not.
KNOWN_BUGS: dict[str, str] = {}

# Codes no corpus entry can show, and the test that covers each instead.
COVERED_ELSEWHERE: dict[str, str] = {
    # A symlink under cases/ is not portable corpus data (and its stage is "repository").
    "CT013": "test_cli_check.py::test_symlink_and_stray_files_under_cases",
    # A status transition is judged against the committed version: it needs git history.
    "CT323": "test_cli_check.py::test_status_transitions_are_checked_against_the_committed_version",
    # Judged against a moment (--as-of), not a property of the file alone.
    "CT701": "test_lifecycle.py::test_check_reports_breached_targets_as_of_a_moment",
    "CT702": "test_lifecycle.py::test_check_reports_breached_targets_as_of_a_moment",
    "CT703": "test_lifecycle.py::test_check_reports_breached_targets_as_of_a_moment",
}
STAGES = ("parser", "schema", "case", "tree")


def _build(root: Path, cases: Path) -> None:
    """A records repository: a copy of schema/ plus a cases/ tree."""
    shutil.copytree(SCHEMA, root / "schema")
    shutil.copytree(cases, root / "cases")


def _snapshot(root: Path) -> dict[str, str]:
    """Hash of every file outside the git-ignored cache."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".cache" not in path.relative_to(root).parts
    }


def _check(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--root", str(root), "check", "--format", "text"])
    return code, capsys.readouterr().out


def _canaries(folder: Path) -> set[bytes]:
    return {
        m.group() for p in folder.rglob("*") if p.is_file() for m in CANARY.finditer(p.read_bytes())
    }


def _diff(expected: str, actual: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            f"{name}/expected.txt",
            "casetrail check",
        )
    )


def _slug(entry: Path) -> str:
    return entry.name.split("-", 1)[1]


def _judge(name: str, code: int, expected: str, actual: str, known_bug: str | None) -> None:
    """Exit code 1 and exact output. A known bug must still fail, and is then an xfail (done
    here rather than with a mark so that the checks before it stay hard failures)."""
    problem = ""
    if actual != expected:
        problem = f"output differs from expected.txt:\n{_diff(expected, actual, name)}"
    elif code != 1:
        problem = f"exit code {code}, expected 1 (findings)"
    if known_bug is not None:
        if not problem:
            pytest.fail(f"{name} now gives the expected output: remove it from KNOWN_BUGS")
        pytest.xfail(known_bug)
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.mark.parametrize("entry", ENTRIES, ids=[p.name for p in ENTRIES])
def test_corpus_entry(entry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _build(tmp_path, entry / "cases")
    before = _snapshot(tmp_path)
    code, out = _check(tmp_path, capsys)

    # Checked before the xfail of a known bug: these must hold for every input.
    assert _snapshot(tmp_path) == before, "casetrail check changed, added or removed a file"
    leaked = sorted(c.decode() for c in _canaries(entry / "cases") if c.decode() in out)
    assert not leaked, f"sensitive canary text in the output: {leaked}"

    golden = entry / "expected.txt"
    if UPDATE and _slug(entry) not in KNOWN_BUGS:
        golden.write_text(out, encoding="utf-8")
    _judge(entry.name, code, golden.read_text(encoding="utf-8"), out, KNOWN_BUGS.get(_slug(entry)))


def _oversized_case(size: int) -> bytes:
    head = (
        b"---\nschema: casetrail-case/1\nid: 2026-M4DKKRC\ntype: complaint\n"
        b'title: "Attachment pasted into the record"\n---\n## Summary\n\n'
    )
    filler = (b"x" * 99 + b"\n") * (size // 100 + 1)
    return (head + filler)[:size]


@pytest.mark.parametrize("size", [MEBIBYTE + 1, 3 * MEBIBYTE], ids=["1MiB+1", "3MiB"])
def test_file_over_one_mebibyte(
    size: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Generated rather than committed (see corpus/invalid/NN-file-over-1-mib/NOTE.md)."""
    cases = tmp_path / "source" / "cases"
    (cases / "2026").mkdir(parents=True)
    (cases / "2026" / "2026-M4DKKRC.md").write_bytes(_oversized_case(size))
    root = tmp_path / "repo"
    _build(root, cases)
    before = _snapshot(root)
    code, out = _check(root, capsys)
    assert _snapshot(root) == before
    expected = (
        f"cases/2026/2026-M4DKKRC.md:1:1: CT010 file is {size:,} bytes; "
        "a case file may be at most 1,048,576\n"
        "    hint: move large material into an encrypted attachment\n"
        "1 error, 0 warnings in 1 file\n"
    )
    _judge(f"{BIG.name} ({size:,} bytes)", code, expected, out, KNOWN_BUGS.get(_slug(BIG)))


def test_alias_bomb_is_refused_as_forbidden_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (entry,) = [p for p in ENTRIES if _slug(p) == "alias-bomb"]
    _build(tmp_path, entry / "cases")
    code, out = _check(tmp_path, capsys)
    assert code == 1
    assert FINDING.findall(out) == ["CT006"], out


def test_every_code_has_an_example() -> None:
    assert set(COVERED_ELSEWHERE) <= set(RULES), "COVERED_ELSEWHERE names an unknown code"
    wanted = {code for code, rule in RULES.items() if rule.stage in STAGES}
    shown = {
        code
        for entry in ENTRIES
        for code in FINDING.findall((entry / "expected.txt").read_text(encoding="utf-8"))
    }
    missing = sorted(wanted - shown - set(COVERED_ELSEWHERE))
    assert not missing, f"no corpus entry shows {', '.join(missing)}"


def test_corpus_layout() -> None:
    """Only numbered entries holding cases/ and expected.txt (or a NOTE.md for generated ones)."""
    assert ENTRIES, f"no corpus entries in {CORPUS}"
    assert set(KNOWN_BUGS) <= {_slug(p) for p in CORPUS.iterdir()}, (
        "a KNOWN_BUGS slug names no corpus entry"
    )
    (plaintext,) = [p for p in ENTRIES if _slug(p) == "plaintext-in-sensitive-section"]
    assert _canaries(plaintext), "the canary check is vacuous"
    for folder in sorted(CORPUS.iterdir()):
        assert re.fullmatch(r"\d\d-[a-z0-9.-]+", folder.name), folder.name
        contents = {p.name for p in folder.iterdir()}
        assert contents in ({"cases", "expected.txt"}, {"NOTE.md"}), (folder.name, contents)
        if contents == {"NOTE.md"}:
            continue
        for path in (folder / "cases").rglob("*"):
            assert path.is_dir() or path.suffix == ".md", path
