"""Shared fixtures: real records repositories in temporary folders, the real CLI, no home."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from casetrail.cli.main import main
from historykit import History

# Time-zone rules come from the pinned tzdata package, never from the machine: an OS update
# must not change the daylight-saving answers the tests check.
zoneinfo.reset_tzpath([])

PROJECT = Path(__file__).resolve().parent.parent
DEMO_KEYS = PROJECT / "tests" / "demo-keys-DO-NOT-USE"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Amira Martin",
    "GIT_AUTHOR_EMAIL": "amartin@demo.casetrail.invalid",
    "GIT_COMMITTER_NAME": "Amira Martin",
    "GIT_COMMITTER_EMAIL": "amartin@demo.casetrail.invalid",
    "GIT_AUTHOR_DATE": "2026-11-02T10:00:00+01:00",
    "GIT_COMMITTER_DATE": "2026-11-02T10:00:00+01:00",
}


NOW = "2026-11-23T10:00:00+01:00"  # a Monday
# `casetrail new` as amartin registers the tests' usual complaint (JSON output).
NEW_CASE = ("new", "--by", "amartin", "--format", "json", "--type", "complaint",
            "--priority", "medium", "--title", "Late reply to a records request")  # fmt: skip


@pytest.fixture(autouse=True)
def no_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read or write the developer's home or global git config."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    # The office clock is fixed, so dues and time-based findings never depend on the day tests run.
    monkeypatch.setenv("CASETRAIL_NOW", NOW)
    # Steps that change who may read a case (assign, close, reopen) re-encrypt it, which needs a
    # key: tests act with the fictional records office's demo escrow key unless they unset it.
    monkeypatch.setenv("CASETRAIL_AGE_KEY_FILE", str(DEMO_KEYS / "escrow.agekey"))
    for name in ("CASETRAIL_AGE_KEY_CMD", "VISUAL", "EDITOR"):
        monkeypatch.delenv(name, raising=False)


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class Records:
    """A records repository in a temporary folder, with the project's schema/."""

    root: Path
    capsys: pytest.CaptureFixture[str]

    def run(self, *args: str) -> Run:
        self.capsys.readouterr()
        code = main(["--root", str(self.root), *args])
        captured = self.capsys.readouterr()
        return Run(code, captured.out, captured.err)

    def git(self, *args: str) -> str:
        env = {**os.environ, **GIT_ENV}
        return subprocess.run(
            ["git", *args], cwd=self.root, env=env, check=True, capture_output=True, text=True
        ).stdout

    def write(self, rel: str, data: bytes | str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def snapshot(self) -> dict[str, str]:
        """Hash of every file outside .git and .cache, to prove nothing changed."""
        return {
            p.relative_to(self.root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(self.root.rglob("*"))
            if p.is_file()
            and not p.is_symlink()
            and not {".git", ".cache"} & set(p.relative_to(self.root).parts)
        }

    def new_case(self, *extra: str) -> str:
        result = self.run(*NEW_CASE, *extra)
        assert result.code == 0, result.err
        import json

        return str(json.loads(result.out)["path"])


@pytest.fixture
def records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Records]:
    root = tmp_path / "records"
    root.mkdir()
    monkeypatch.chdir(root)
    shutil.copytree(PROJECT / "schema", root / "schema")
    (root / "cases").mkdir()
    yield Records(root, capsys)


# ---- a signed history with one assigned case (historykit), for the audit tests ----


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[History, str]:
    """A signed history (built once per module) where bkoch handles one registered case."""
    kit = History.create(tmp_path_factory.mktemp("base"))
    cid = kit.register()
    kit.assign(cid, "bkoch")
    return kit, cid


@pytest.fixture
def kit(base: tuple[History, str], tmp_path: Path) -> History:
    """An independent copy of `base` for one test to build its scenario on."""
    return base[0].fork(tmp_path / "fork")


@pytest.fixture
def cid(base: tuple[History, str]) -> str:
    return base[1]
