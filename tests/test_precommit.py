"""This repository's pre-commit configuration, run by the real pre-commit on a real repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import PROJECT, Records

BIN = Path(sys.executable).parent


def _install_config(records: Records) -> None:
    text = (PROJECT / ".pre-commit-config.yaml").read_text().replace(".venv/bin/", f"{BIN}/")
    (records.root / ".pre-commit-config.yaml").write_text(text)


def _pre_commit(records: Records) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "pre-commit"), "run"],
        cwd=records.root,
        capture_output=True,
        text=True,
        check=False,
    )


def test_hook_definitions_match_the_local_config() -> None:
    published = {
        h["id"]: h for h in yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    }
    local = yaml.safe_load((PROJECT / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    for hook in local:
        if hook["id"] in published:
            assert hook["files"] == published[hook["id"]]["files"]
            assert hook.get("pass_filenames", True) == published[hook["id"]].get(
                "pass_filenames", True
            )


def test_pre_commit_blocks_an_invalid_staged_case_and_passes_a_valid_one(records: Records) -> None:
    assert shutil.which("git")
    records.git("init", "-q")
    _install_config(records)
    path = records.new_case()
    records.git("add", "-A")
    good = _pre_commit(records)
    assert good.returncode == 0, good.stdout + good.stderr
    file = records.root / path
    file.write_text(file.read_text().replace("status: new", "status: closed", 1))
    records.git("add", "-A")
    bad = _pre_commit(records)
    assert bad.returncode == 1
    assert f"{path}:6:1: CT320 status 'closed' requires" in bad.stdout


def test_a_schema_change_revalidates_every_case(records: Records) -> None:
    records.git("init", "-q")
    _install_config(records)
    records.new_case()
    records.git("add", "-A")
    records.git("commit", "-q", "-m", "one case", "--no-verify")
    policy = records.root / "schema" / "policy.yaml"
    policy.write_text(policy.read_text().replace("channels: [email,", "channels: [fax,"))
    records.git("add", "schema/policy.yaml")
    result = _pre_commit(records)
    assert result.returncode == 1
    assert "CT210 'email' is not a channel" in result.stdout


def test_schemas_pass_the_metaschema_check() -> None:
    schemas = sorted(str(p) for p in (PROJECT / "schema").glob("*.schema.json"))
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--check-metaschema", *schemas],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
