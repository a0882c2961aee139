"""The one-pass history reader and the fast case-facts scan, on real git repositories."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from casetrail.core import casefacts, history
from casetrail.shell import git, trail

PROJECT = Path(__file__).resolve().parent.parent


def _git(repo: Path, *args: str, date: str = "2026-11-02T10:00:00+01:00") -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    out = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: one -> three -> merge(br: two) -> rename a->b (dates out of order on `two`)."""
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a").write_text("a\n")
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "roster.yaml").write_text("people: []\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "one", date="2026-11-02T10:00:00+01:00")
    _git(tmp_path, "switch", "-qc", "br")
    (tmp_path / "a").write_text("a\nb\n")
    _git(tmp_path, "commit", "-qam", "two\x1fwith a separator", date="2026-11-01T10:00:00+01:00")
    _git(tmp_path, "switch", "-q", "main")
    (tmp_path / "schema" / "roster.yaml").write_text("people: [x]\n")
    _git(tmp_path, "commit", "-qam", "three", date="2026-11-03T10:00:00+01:00")
    _git(tmp_path, "merge", "-q", "--no-ff", "br", "-m", "merge", date="2026-11-04T10:00:00+01:00")
    _git(tmp_path, "mv", "a", "b")
    _git(tmp_path, "commit", "-qm", "rename", date="2026-11-05T10:00:00+01:00")
    return tmp_path


def test_one_pass_reads_commits_changes_merges_and_renames(repo: Path) -> None:
    commits = trail.read_history(repo, ["HEAD"])
    subjects = [c.subject for c in commits]
    assert subjects[0] == "one" and subjects[-1] == "rename" and len(commits) == 5
    by_subject = {c.subject.split("\x1f")[0]: c for c in commits}
    merge = by_subject["merge"]
    assert merge.is_merge and [ch.path for ch in merge.changes] == ["a"]  # vs first parent
    rename = by_subject["rename"].changes[0]
    assert (rename.status, rename.old_path, rename.new_path) == ("R", "a", "b")
    assert by_subject["one"].changes[0].old_blob is None
    assert by_subject["two"].subject == "two\x1fwith a separator"


def test_blob_at_follows_first_parents(repo: Path) -> None:
    commits = trail.read_history(repo, ["HEAD"])
    blobs = history.blob_at(commits, "schema/roster.yaml", {})
    contents = git.read_objects(repo, [b for b in blobs.values() if b])
    by_subject = {c.subject.split("\x1f")[0]: c.id for c in commits}
    assert contents[blobs[by_subject["two"]] or ""] == b"people: []\n"
    assert contents[blobs[by_subject["rename"]] or ""] == b"people: [x]\n"


def test_effective_time_never_goes_below_a_parent(repo: Path) -> None:
    commits = trail.read_history(repo, ["HEAD"])
    times = history.effective_times(commits)
    by_subject = {c.subject.split("\x1f")[0]: c for c in commits}
    two = by_subject["two"]
    assert two.committer_time < by_subject["one"].committer_time
    assert times[two.id] == by_subject["one"].committer_time


def test_first_parent_line_and_branch_commits(repo: Path) -> None:
    commits = trail.read_history(repo, ["HEAD"])
    by_id = {c.id: c for c in commits}
    head = commits[-1].id
    line = history.first_parent_line(by_id, head)
    assert [c.subject for c in line] == ["one", "three", "merge", "rename"]
    merge = next(c for c in commits if c.subject == "merge")
    order = {c.id: i for i, c in enumerate(commits)}
    brought = history.branch_commits(by_id, merge, {c.id for c in line}, order)
    assert [by_id[c].subject.split("\x1f")[0] for c in brought] == ["two"]


def test_a_subject_cannot_forge_a_record(repo: Path) -> None:
    """Names and subjects are free text: separators carry a nonce they cannot predict."""
    head = _git(repo, "rev-parse", "HEAD")
    forged = f"x\x1e{head}\x1f\x1fEvil\x1fe@x\x1f2026-01-01T00:00:00+00:00\x1d"
    (repo / "c").write_text("c\n")
    _git(repo, "add", "c")
    _git(repo, "commit", "-qm", forged, date="2026-11-06T10:00:00+01:00")
    commits = trail.read_history(repo, ["HEAD"])
    assert len(commits) == 6 and commits[-1].subject == forged
    assert [c.path for c in commits[-1].changes] == ["c"]


def test_read_objects_reports_missing_names(repo: Path) -> None:
    found = git.read_objects(repo, ["HEAD:b", "HEAD:nope", "0" * 40])
    assert found == {"HEAD:b": b"a\nb\n", "HEAD:nope": None, "0" * 40: None}


def test_case_facts_from_an_example_case() -> None:
    data = (PROJECT / "cases" / "2026" / "2026-0XV3PVQ.md").read_bytes()
    assert casefacts.status(data) == "in_progress"
    events = casefacts.events(data)
    assert events[("received_at", "2026-11-03T10:40:00+01:00")] == 1
    assert ("due", "2026-11-10") not in events  # when something is due is not an event
    assert casefacts.status(None) is None and casefacts.events(b"no front matter") == Counter()


def test_case_facts_read_flow_style_and_whole_days() -> None:
    data = b'---\nstatus: "closed"\nreviews: [{at: "2026-11-04T09:00:00Z", by: x}]\n---\nbody\n'
    found = casefacts.facts(data)
    assert found.status == "closed" and casefacts.status(data) == "closed"
    assert found.event_counts() == Counter({("at", "2026-11-04T09:00:00Z"): 1})
    zone = ZoneInfo("Europe/Berlin")
    assert casefacts.moment("2026-11-04", zone) == date(2026, 11, 4)
    assert casefacts.moment("2026-11-04T09:00:00", zone) == datetime(2026, 11, 4, 9, tzinfo=zone)
    assert casefacts.moment("2026-13-04", zone) is None
