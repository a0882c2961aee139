"""`casetrail setup`: a clone set up once, on real git repositories in temporary folders, with the
demo roster's real SSH keys; signed commits made afterwards by plain git and checked by git."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from casetrail.cli import setup as setup_cli
from conftest import DEMO_KEYS, GIT_ENV, Records

AMARTIN = "amartin@demo.casetrail.invalid"
AMARTIN_KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIOcyj3vTtZ42sIsJGExbvTi+hgsMY2P4PLVT5EjrXi0P"


# --- helpers -------------------------------------------------------------------------------


def git(
    records: Records, *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["git", *args],
        cwd=records.root,
        env={**os.environ, **GIT_ENV, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stdout}{result.stderr}")
    return result


def home() -> Path:
    return Path(os.environ["HOME"])


def install_key(handle: str, folder: Path | None = None) -> Path:
    """A demo key pair in ~/.ssh (or `folder`), private half readable by its owner only (as
    ssh-keygen insists); the private key's path."""
    target = folder or home() / ".ssh"
    target.mkdir(parents=True, exist_ok=True)
    private = target / f"{handle}.ssh"
    shutil.copyfile(DEMO_KEYS / f"{handle}.ssh", private)
    shutil.copyfile(DEMO_KEYS / f"{handle}.ssh.pub", target / f"{handle}.ssh.pub")
    private.chmod(0o600)
    return private


def local_config(records: Records, key: str) -> str | None:
    result = git(records, "config", "--local", "--get", key, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def clone(records: Records) -> None:
    git(records, "init", "-q", "-b", "main")


def set_up(records: Records, *args: str) -> str:
    result = records.run("setup", *args)
    assert result.code == 0, result.out + result.err
    return result.out


def state(records: Records) -> dict[str, tuple[bytes, int]]:
    """Bytes and modification time of everything setup may write."""
    git_dir = records.root / ".git"
    paths = [
        git_dir / "config",
        git_dir / "casetrail" / "allowed_signers",
        *(git_dir / "hooks" / n for n in ("pre-commit", "post-merge", "post-checkout")),
        records.root / ".gitattributes",
        records.root / ".gitignore",
    ]
    graph = git_dir / "objects" / "info" / "commit-graph"
    paths += [graph] if graph.exists() else []
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in paths}


def lines_of(out: str, start: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(start)]


def roster_edit(records: Records, old: str, new: str) -> None:
    path = records.root / "schema" / "roster.yaml"
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


AMARTIN_ENTRY = f'      - key: ssh-ed25519 {AMARTIN_KEY}\n        valid_from: "2026-01-05"\n'


# --- setting up, and again ------------------------------------------------------------------


def test_setup_from_nothing_then_check_passes_and_a_second_run_writes_nothing(
    records: Records,
) -> None:
    clone(records)
    private = install_key("amartin")
    first = set_up(records)
    assert f"ok       user.email {AMARTIN} is amartin in schema/roster.yaml" in first
    assert "set      git config gpg.format = ssh" in first
    assert f"set      git config user.signingkey = {private} (SHA256:" in first
    assert "set      git config commit.gpgsign = true" in first
    assert "set      git config tag.gpgsign = true" in first
    assert "wrote    .git/casetrail/allowed_signers (9 keys from schema/roster.yaml)" in first
    assert "wrote    hook .git/hooks/pre-commit (casetrail check on the staged files)" in first
    assert "wrote    hook .git/hooks/post-merge" in first
    assert "wrote    hook .git/hooks/post-checkout" in first
    assert "set      git config fetch.writeCommitGraph = true" in first
    assert not lines_of(first, "missing")
    # everything in this clone's own config; nothing global
    assert local_config(records, "gpg.format") == "ssh"
    assert local_config(records, "user.signingkey") == str(private)
    assert local_config(records, "commit.gpgsign") == "true"
    signers = records.root / ".git" / "casetrail" / "allowed_signers"
    assert local_config(records, "gpg.ssh.allowedSignersFile") == str(signers)
    assert f"{AMARTIN} " in signers.read_text()
    assert not (home() / ".gitconfig").exists() and not (home() / ".config" / "git").exists()
    for hook in ("pre-commit", "post-merge", "post-checkout"):
        assert os.access(records.root / ".git" / "hooks" / hook, os.X_OK)
    # no key material but the public fingerprint is ever shown
    assert AMARTIN_KEY not in first and "PRIVATE KEY" not in first

    check = records.run("setup", "--check")
    assert check.code == 0, check.out
    assert check.out.splitlines()[-1] == "setup --check: everything is in place"

    before = state(records)
    second = records.run("setup")
    assert second.code == 0
    assert second.out.splitlines()[-1] == "setup: everything is in place; nothing changed"
    assert all(line.startswith("ok ") for line in second.out.splitlines()[:-1]), second.out
    assert state(records) == before


def test_check_alone_changes_nothing(records: Records) -> None:
    clone(records)
    install_key("amartin")
    config = (records.root / ".git" / "config").read_bytes()
    before = records.snapshot()
    result = records.run("setup", "--check")
    assert result.code == 1
    assert "missing  git config commit.gpgsign = true" in result.out
    assert "missing  hook .git/hooks/pre-commit" in result.out
    assert result.out.splitlines()[-1].startswith("setup --check: ")
    assert (records.root / ".git" / "config").read_bytes() == config
    assert records.snapshot() == before
    assert not (records.root / ".git" / "casetrail").exists()
    assert not (records.root / ".cache").exists()
    assert not (records.root / ".git" / "hooks" / "pre-commit").exists()


# --- signing -------------------------------------------------------------------------------


def test_a_plain_git_commit_afterwards_is_signed_and_verifies(records: Records) -> None:
    clone(records)
    install_key("amartin")
    set_up(records)
    records.new_case()
    git(records, "add", "-A")
    git(records, "commit", "-q", "-m", "a case")  # plain git: signing is on by default
    verified = git(records, "verify-commit", "--raw", "HEAD")
    assert "GOODSIG" in verified.stderr or "Good" in verified.stderr, verified.stderr
    shown = git(records, "log", "--show-signature", "-1").stdout
    assert f'Good "git" signature for {AMARTIN}' in shown
    tag = git(records, "tag", "-m", "a signed tag", "v1")  # tags are signed too
    assert tag.returncode == 0
    assert "Good" in git(records, "verify-tag", "v1").stderr


def test_an_existing_signing_key_is_kept_and_a_given_one_is_checked(
    records: Records, tmp_path: Path
) -> None:
    clone(records)
    private = install_key("amartin", tmp_path / "keys")
    git(records, "config", "--global", "user.signingkey", str(private))
    out = set_up(records)
    assert f"set      git config user.signingkey = {private} (SHA256:" in out
    assert local_config(records, "user.signingkey") == str(private)
    # --signing-key with the public half names the same key by its private half
    public = f"{private}.pub"
    again = set_up(records, "--signing-key", public)
    assert f"ok       git config user.signingkey = {private}" in again


def test_an_email_that_is_not_in_the_roster_is_named_with_the_roster_s(
    records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone(records)
    install_key("amartin")
    monkeypatch.delenv("GIT_COMMITTER_EMAIL")
    git(records, "config", "user.email", "someone@elsewhere.example")
    result = records.run("setup")
    assert result.code == 1
    line = lines_of(result.out, "missing  user.email")[0]
    assert "someone@elsewhere.example (from git config user.email) is not anyone's" in line
    assert AMARTIN in line and "bkoch@demo.casetrail.invalid" in line
    assert "git config user.email" in line
    assert "missing  git config user.signingkey: waits for your user.email" in result.out
    assert "missing  git config commit.gpgsign = true: waits for a signing key" in result.out
    assert local_config(records, "commit.gpgsign") is None
    assert local_config(records, "user.signingkey") is None
    # the rest of the clone is set up all the same
    assert "wrote    hook .git/hooks/pre-commit" in result.out
    assert result.out.splitlines()[-1].endswith("item(s) still missing (see above)")


def test_someone_else_s_key_is_refused(records: Records) -> None:
    clone(records)
    other = install_key("bkoch")
    result = records.run("setup", "--signing-key", str(other))
    assert result.code == 1
    line = lines_of(result.out, "missing  git config user.signingkey")[0]
    assert f"--signing-key {other} (SHA256:" in line
    assert "is the key of bkoch <bkoch@demo.casetrail.invalid> in schema/roster.yaml" in line
    assert "not of amartin" in line
    assert local_config(records, "user.signingkey") is None
    assert local_config(records, "commit.gpgsign") is None
    # a key found in ~/.ssh that is not theirs is not picked either
    auto = records.run("setup")
    assert auto.code == 1
    assert "none of ~/.ssh/*.pub is a current key of amartin's" in auto.out


def test_a_key_that_is_not_in_the_roster_is_refused(records: Records, tmp_path: Path) -> None:
    clone(records)
    key = tmp_path / "new_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "new", "-f", str(key)], check=True
    )
    result = records.run("setup", "--signing-key", str(key))
    assert result.code == 1
    assert "is not in schema/roster.yaml; ask the records office to add its public half" in (
        result.out
    )


def test_an_ended_key_and_a_revoked_key_are_refused(records: Records) -> None:
    clone(records)
    private = install_key("amartin")
    roster_edit(records, AMARTIN_ENTRY, AMARTIN_ENTRY + '        valid_until: "2026-06-30"\n')
    ended = records.run("setup")
    assert ended.code == 1
    line = lines_of(ended.out, "missing  git config user.signingkey")[0]
    assert "~/.ssh/amartin.ssh.pub (SHA256:" in line
    assert "amartin's key is valid from 2026-01-05 to 2026-06-30, not at 2026-11-23" in line
    assert local_config(records, "user.signingkey") is None

    roster_edit(
        records, '        valid_until: "2026-06-30"\n', '        revoked_at: "2026-11-20"\n'
    )
    revoked = records.run("setup", "--signing-key", str(private))
    assert revoked.code == 1
    assert "amartin's key was revoked on 2026-11-20; use a current key" in revoked.out


def test_no_key_at_all_says_how_to_get_one_and_commits_still_work(records: Records) -> None:
    clone(records)
    result = records.run("setup")
    assert result.code == 1
    line = lines_of(result.out, "missing  git config user.signingkey")[0]
    assert "pass --signing-key FILE" in line and "ssh-keygen -t ed25519" in line
    assert "amartin's current keys in the roster: SHA256:" in line
    # signing is not switched on without a key, so committing is not blocked
    records.new_case()
    git(records, "add", "-A")
    git(records, "commit", "-q", "-m", "unsigned")
    assert records.run("setup", "--check").code == 1


def test_a_private_half_that_is_not_here_is_reported(records: Records, tmp_path: Path) -> None:
    clone(records)
    folder = tmp_path / "only-public"
    folder.mkdir()
    shutil.copyfile(DEMO_KEYS / "amartin.ssh.pub", folder / "amartin.ssh.pub")
    result = records.run("setup", "--signing-key", str(folder / "amartin.ssh.pub"))
    assert result.code == 1
    assert f"its private half {folder / 'amartin.ssh'} is not on this machine" in result.out


# --- usage errors ---------------------------------------------------------------------------


def test_usage_problems_are_one_line_and_exit_2(records: Records, tmp_path: Path) -> None:
    outside = records.run("setup")
    assert outside.code == 2 and "is not the top of a git clone" in outside.err
    clone(records)
    missing = records.run("setup", "--signing-key", str(tmp_path / "nope"))
    assert missing.code == 2
    assert missing.err.strip() == f"casetrail: --signing-key {tmp_path / 'nope'}: no such file"
    (records.root / "schema" / "roster.yaml").write_text("people: [\n")
    broken = records.run("setup")
    assert broken.code == 2
    assert len(broken.err.strip().splitlines()) == 1
    assert broken.err.startswith("casetrail: schema/ cannot be read: schema/roster.yaml")
    assert "Traceback" not in broken.err + broken.out
    assert local_config(records, "gpg.format") is None  # nothing was changed


# --- hooks ---------------------------------------------------------------------------------


def _commit(records: Records, message: str) -> subprocess.CompletedProcess[str]:
    return git(records, "commit", "-q", "-m", message, check=False)


def test_the_pre_commit_hook_refuses_an_invalid_case_and_lets_a_valid_one_through(
    records: Records,
) -> None:
    clone(records)
    install_key("amartin")
    set_up(records)
    path = records.new_case()
    git(records, "add", "-A")
    assert _commit(records, "a valid case").returncode == 0
    head = git(records, "rev-parse", "HEAD").stdout
    file = records.root / path
    valid = file.read_text()
    file.write_text(valid.replace("status: new", "status: closed", 1))
    git(records, "add", path)
    refused = _commit(records, "an invalid case")
    assert refused.returncode != 0
    assert f"{path}:6:1: CT320 status 'closed' requires" in refused.stderr
    assert git(records, "rev-parse", "HEAD").stdout == head
    # the staged copy is what counts: a valid working copy over an invalid staged one is refused
    file.write_text(valid)
    partial = _commit(records, "an invalid case, hidden")
    assert partial.returncode != 0
    assert "these staged files have other changes that are not staged" in partial.stderr
    assert path in partial.stderr
    git(records, "add", path)
    assert git(records, "status", "--porcelain").stdout == ""  # back to the committed case


def test_a_hook_casetrail_did_not_write_is_left_alone_unless_forced(records: Records) -> None:
    clone(records)
    install_key("amartin")
    hook = records.root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho mine\n")
    hook.chmod(0o755)
    result = records.run("setup")
    assert result.code == 1
    line = lines_of(result.out, "missing  hook .git/hooks/pre-commit")[0]
    assert "casetrail did not write the one there, so it is left alone" in line
    assert "casetrail-check hook to .pre-commit-config.yaml" in line
    assert "-m casetrail check" in line and "--force-hook" in line
    assert hook.read_text() == "#!/bin/sh\necho mine\n"
    assert "wrote    hook .git/hooks/post-merge" in result.out  # the others are ours to write

    forced = records.run("setup", "--force-hook")
    assert forced.code == 0, forced.out
    assert "the old one is kept as pre-commit.before-casetrail" in forced.out
    assert setup_cli.HOOK_MARKER in hook.read_text()
    kept = hook.with_name("pre-commit.before-casetrail")
    assert kept.read_text() == "#!/bin/sh\necho mine\n"


def test_the_pre_commit_framework_s_hook_counts_when_it_runs_casetrail(records: Records) -> None:
    clone(records)
    install_key("amartin")
    hook = records.root / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/usr/bin/env bash\n# {setup_cli.PRE_COMMIT_FRAMEWORK}\n")
    (records.root / ".pre-commit-config.yaml").write_text("repos: []\n")
    assert records.run("setup").code == 1
    (records.root / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n      - id: casetrail-check\n"
    )
    result = records.run("setup")
    assert result.code == 0, result.out
    assert "ok       hook .git/hooks/pre-commit (the pre-commit framework runs" in result.out


def test_hooks_go_where_core_hooks_path_says(records: Records) -> None:
    clone(records)
    install_key("amartin")
    git(records, "config", "core.hooksPath", "githooks")
    out = set_up(records)
    assert "wrote    hook githooks/pre-commit" in out
    assert (records.root / "githooks" / "post-checkout").exists()
    assert not (records.root / ".git" / "hooks" / "pre-commit").exists()


def test_the_allowed_signers_follow_the_roster_through_checkout_and_merge(
    records: Records,
) -> None:
    clone(records)
    install_key("amartin")
    set_up(records)
    git(records, "add", "-A")
    assert _commit(records, "records").returncode == 0
    signers = records.root / ".git" / "casetrail" / "allowed_signers"
    stamp = signers.stat().st_mtime_ns
    git(records, "checkout", "-q", "-b", "onboarding")
    assert signers.stat().st_mtime_ns == stamp  # the roster did not change: not rewritten
    new_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP2jXyGqLb4l4X1bUuL0kHzJDnA5d2x6F0v0T6s0TQ1Z"
    roster_edit(
        records,
        AMARTIN_ENTRY,
        f'{AMARTIN_ENTRY}      - key: {new_key}\n        valid_from: "2026-12-01"\n',
    )
    git(records, "add", "schema/roster.yaml")
    assert _commit(records, "roster: amartin's second key").returncode == 0
    git(records, "checkout", "-q", "main")
    assert new_key not in signers.read_text()
    git(records, "merge", "-q", "--ff-only", "onboarding")  # post-merge
    assert new_key in signers.read_text()
    git(records, "checkout", "-q", "HEAD~1")  # post-checkout
    assert new_key not in signers.read_text()
    assert "ok       .git/casetrail/allowed_signers" in records.run("setup", "--check").out


def test_the_refresh_hooks_never_fail_a_checkout(records: Records) -> None:
    clone(records)
    install_key("amartin")
    set_up(records)
    signers = records.root / ".git" / "casetrail" / "allowed_signers"
    before = signers.read_bytes()
    (records.root / "schema" / "roster.yaml").write_text("people: [\n")
    hook = subprocess.run(
        [str(records.root / ".git" / "hooks" / "post-checkout"), "0", "0", "1"],
        cwd=records.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert hook.returncode == 0
    assert hook.stdout == ""
    assert "could not refresh the allowed signers; run casetrail setup" in hook.stderr
    assert "Traceback" not in hook.stderr
    assert signers.read_bytes() == before


# --- commit-graph --------------------------------------------------------------------------


def test_the_commit_graph_is_written_once_with_changed_path_filters(records: Records) -> None:
    clone(records)
    for number in range(3):
        records.write(f"notes/{number}.txt", f"{number}\n")
        git(records, "add", "-A")
        git(records, "commit", "-q", "-m", f"note {number}")
    install_key("amartin")
    first = set_up(records)
    [line] = lines_of(first, "wrote    commit-graph")
    assert line.startswith("wrote    commit-graph: 3 commits with changed-path filters in ")
    assert line.endswith(" s")
    assert local_config(records, "core.commitGraph") == "true"
    info = records.root / ".git" / "objects" / "info"
    layers = setup_cli.graph_layers(
        info, bytes.fromhex(git(records, "rev-parse", "HEAD").stdout.strip())
    )
    assert [(layer.commits, layer.filters, layer.has) for layer in layers] == [(3, True, True)]
    assert git(records, "commit-graph", "verify").returncode == 0
    graph = (info / "commit-graph").stat().st_mtime_ns
    second = set_up(records)
    assert "ok       commit-graph: 3 commits with changed-path filters" in second
    assert (info / "commit-graph").stat().st_mtime_ns == graph
    assert second.splitlines()[-1] == "setup: everything is in place; nothing changed"
    # a newer commit is not in it yet: --check is content, setup brings it up to date
    records.write("notes/3.txt", "3\n")
    git(records, "add", "-A")
    assert _commit(records, "note 3").returncode == 0
    assert "HEAD is newer" in records.run("setup", "--check").out
    assert "wrote    commit-graph: 4 commits" in set_up(records)


def test_graph_layer_reads_a_split_chain_as_git_writes_it(records: Records) -> None:
    clone(records)
    for number in range(2):
        records.write(f"n{number}", "x\n")
        git(records, "add", "-A")
        git(records, "commit", "-q", "-m", str(number))
        git(records, "commit-graph", "write", "--reachable", "--split", "--changed-paths")
    info = records.root / ".git" / "objects" / "info"
    head = bytes.fromhex(git(records, "rev-parse", "HEAD").stdout.strip())
    layers = setup_cli.graph_layers(info, head)
    assert sum(layer.commits for layer in layers) == 2
    assert all(layer.filters for layer in layers) and any(layer.has for layer in layers)
    assert not any(layer.has for layer in setup_cli.graph_layers(info, b"\0" * 20))
