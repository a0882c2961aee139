"""The benchmark's signed-history generator (tests/bench/history.py) makes commits git accepts.

It signs in process and writes its own pack, so git is the judge here: every commit verifies
against the roster's keys, is signed by its committer, and `git fsck --strict` is clean.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from casetrail.cli.main import main

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "tests" / "bench"))

import history  # noqa: E402  (tests/bench is not a package)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> history.Built:
    repo = tmp_path_factory.mktemp("history") / "repo"
    return history.Built(repo, history.build(repo, 14))


def test_git_verifies_every_commit_and_fsck_is_clean(built: history.Built) -> None:
    verdicts = history.verify(built)
    assert verdicts == {"G": built.manifest["commits"]}
    lines = history.git(
        built.repo, "log", "--format=%G?|%GS|%ce|%P", signers=built.allowed_signers
    ).splitlines()
    assert len(lines) == built.manifest["commits"]
    for line in lines:
        verdict, signer, committer, _parents = line.split("|")
        assert (verdict, signer) == ("G", committer)  # signed by the person named as committer
    merges = [line for line in lines if len(line.split("|")[3].split()) == 2]
    assert len(merges) == built.manifest["merges"] >= 1


def test_history_holds_closures_renames_and_roster_changes(built: history.Built) -> None:
    manifest = built.manifest
    assert manifest["renames"] >= 1 and manifest["roster_changes"] == 3
    subjects = history.git(built.repo, "log", "--format=%s").splitlines()
    assert subjects[-1].startswith("Introduce casetrail")
    assert (
        subjects[-2]
        == f"policy: trust root is the introduction commit {manifest['trust_root'][:12]}"
    )
    assert sum(s.startswith("roster: ") for s in subjects) == 3
    renamed = history.git(built.repo, "log", "-M", "--diff-filter=R", "--name-status", "--format=")
    assert renamed.count("\nR") + renamed.startswith("R") == manifest["renames"]
    policy = (built.repo / "schema" / "policy.yaml").read_text()
    assert f'trust_root: "{manifest["trust_root"]}"' in policy
    roster = (built.repo / "schema" / "roster.yaml").read_text()
    assert "left_at:" in roster and "revoked_at:" in roster and "valid_until:" in roster


def test_casetrail_audit_passes_the_honest_history(
    built: history.Built, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(built.repo / ".git" / "casetrail", ignore_errors=True)
    code = main(["--root", str(built.repo), "audit", "--no-record"])
    assert code == 0, capsys.readouterr().out


def test_signatures_are_those_ssh_keygen_makes(tmp_path: Path) -> None:
    key = tmp_path / "bkoch.ssh"
    shutil.copy(history.KEYS / "bkoch.ssh", key)
    key.chmod(0o600)
    message = tmp_path / "payload"
    message.write_bytes(b"tree 0000\nauthor x\n\nsubject\n")
    sign = ["ssh-keygen", "-Y", "sign", "-q", "-f", str(key), "-n", "git", str(message)]
    subprocess.run(sign, check=True, capture_output=True)
    team = history.people((PROJECT / "schema" / "roster.yaml").read_text())
    made = history.sshsig(team["bkoch"].keys[0].private, message.read_bytes())
    assert made == (tmp_path / "payload.sig").read_text()


def test_delta_writers_reproduce_their_target() -> None:
    rng = random.Random(5)
    lines = [f"line {rng.randint(0, 40)} {'x' * rng.randint(0, 30)}\n".encode() for _ in range(300)]
    old = b"".join(lines)
    for _ in range(20):
        new_lines = list(lines)
        for _ in range(rng.randint(1, 12)):
            at = rng.randrange(len(new_lines))
            if rng.random() < 0.5:
                new_lines.insert(at, rng.randbytes(rng.randint(0, 300)))
            else:
                del new_lines[at]
        new = b"".join(new_lines)
        assert history.patch(old, history.line_delta(old, new)) == new
    folder = history.Folder()
    names = sorted(f"2026-{i:07d}.md" for i in rng.sample(range(10**6), 200))
    folder.change({name: rng.randbytes(20) for name in names})
    before, old_names = bytes(folder.data), list(folder.names)
    changed = {"2026-0000000.md", names[5], names[-1]}
    edits = folder.change(
        {"2026-0000000.md": rng.randbytes(20), names[5]: None, names[-1]: b"\1" * 20}
    )
    assert (
        history.patch(before, history.edits_delta(len(before), len(folder.data), edits))
        == folder.data
    )
    again = history.edits_delta(len(before), len(folder.data), folder.since(old_names, changed))
    assert history.patch(before, again) == folder.data
