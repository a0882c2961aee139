"""Signature verdicts kept per commit id in `.git/casetrail/verdicts.sqlite`.

A commit's verdict never changes (its object and its parent's roster are immutable), so each
commit is verified once per clone. Rows carry the rules' VERSION: new rules re-verify. SQLite
(standard library) gives atomic commits, so an interrupted audit leaves a usable store.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

from casetrail.core.verdicts import VERSION, Verdict

FILE = "verdicts.sqlite"


class VerdictStore:
    def __init__(self, folder: Path) -> None:
        self.connection: sqlite3.Connection | None = None
        with contextlib.suppress(OSError, sqlite3.Error):  # read-only clone: verify each run
            folder.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(folder / FILE)
            connection.execute(
                "CREATE TABLE IF NOT EXISTS verdicts (commit_id TEXT PRIMARY KEY, version INTEGER,"
                " code TEXT, signer TEXT, fingerprint TEXT, message TEXT)"
            )
            self.connection = connection

    def get(self, commits: Iterable[str]) -> dict[str, Verdict]:
        if self.connection is None:
            return {}
        wanted = set(commits)
        found = {}
        try:
            rows = self.connection.execute(
                "SELECT commit_id, code, signer, fingerprint, message FROM verdicts"
                " WHERE version = ?",
                (VERSION,),
            )
            for commit, code, signer, fingerprint, message in rows:
                if commit in wanted:
                    found[commit] = Verdict(code, signer, fingerprint, message)
        except sqlite3.Error:
            return {}
        return found

    def put(self, verdicts: Mapping[str, Verdict]) -> None:
        if self.connection is None or not verdicts:
            return
        with contextlib.suppress(sqlite3.Error), self.connection:
            self.connection.executemany(
                "INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?, ?, ?)",
                ((c, VERSION, *v.to_row()) for c, v in verdicts.items()),
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
