"""`casetrail retention` on the example cases, counted again with python-frontmatter."""

from __future__ import annotations

import json

import frontmatter
import pytest

from casetrail.cli.main import main
from conftest import PROJECT

CLOSED = [
    post.metadata
    for path in sorted((PROJECT / "cases").glob("*/*.md"))
    if (post := frontmatter.load(str(path))).metadata.get("status") == "closed"
]


def listed(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, list[str]]:
    capsys.readouterr()
    assert main(["--root", str(PROJECT), "retention", "--format", "json", *args]) == 0
    found: dict[str, list[str]] = {}
    for row in json.loads(capsys.readouterr().out)["cases"]:
        found.setdefault(row["state"], []).append(row["case"])
    return found


@pytest.mark.parametrize("as_of", ["2026-11-23", "2028-08-24", "2031-01-01", "2036-12-31"])
def test_due_and_held_match_the_records(capsys: pytest.CaptureFixture[str], as_of: str) -> None:
    found = listed(capsys, "--as-of", as_of, "--all")
    held = {m["id"] for m in CLOSED if m["retention"].get("legal_hold") is True}
    due = {m["id"] for m in CLOSED if m["id"] not in held and m["retention"]["until"] <= as_of}
    assert set(found.get("due", [])) == due
    assert set(found.get("legal hold", [])) == held and held  # the examples hold one
    assert sum(map(len, found.values())) == len(CLOSED)


def test_scheduled_cases_only_with_all(capsys: pytest.CaptureFixture[str]) -> None:
    assert "scheduled" not in listed(capsys, "--as-of", "2026-11-23")
    assert listed(capsys, "--as-of", "2026-11-23", "--all")["scheduled"]


def test_text_and_a_bad_date(capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["--root", str(PROJECT), "retention", "--as-of", "2036-12-31"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("6 closed case(s) whose retention has ended by 2036-12-31:")
    assert "legal hold:" in out
    assert main(["--root", str(PROJECT), "retention", "--as-of", "soon"]) == 2
    assert "Traceback" not in capsys.readouterr().err
