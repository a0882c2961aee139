"""What the audit keeps per clone in `.git/casetrail/verdicts.sqlite`: signature verdicts by
commit id, and the facts of case versions by blob id.

Neither ever changes (a commit, its ancestors and a blob are immutable), so each commit is
verified once and each version scanned once per clone. Rows carry the VERSION of the rules
that made them: new rules redo the work. SQLite (standard library) gives atomic commits, so an
interrupted audit leaves a usable store.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

from casetrail.core import casefacts
from casetrail.core.verdicts import VERSION, Verdict

FILE = "verdicts.sqlite"


class AuditStore:
    def __init__(self, folder: Path) -> None:
        self.connection: sqlite3.Connection | None = None
        with contextlib.suppress(OSError, sqlite3.Error):  # read-only clone: verify each run
            folder.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(folder / FILE)
            connection.execute(
                "CREATE TABLE IF NOT EXISTS verdicts (commit_id TEXT PRIMARY KEY, version INTEGER,"
                " code TEXT, signer TEXT, fingerprint TEXT, message TEXT)"
            )
            connection.execute(
                "CREATE TABLE IF NOT EXISTS facts (blob TEXT PRIMARY KEY, version INTEGER,"
                " data TEXT)"
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

    def get_facts(self, blobs: Iterable[str]) -> dict[str, casefacts.Facts]:
        if self.connection is None:
            return {}
        wanted = set(blobs)
        found = {}
        try:
            rows = self.connection.execute(
                "SELECT blob, data FROM facts WHERE version = ?", (casefacts.VERSION,)
            )
            for blob, data in rows:
                if blob in wanted:
                    found[blob] = casefacts.Facts.from_json(json.loads(data))
        except (sqlite3.Error, ValueError, TypeError):
            return {}
        return found

    def put_facts(self, facts: Mapping[str, casefacts.Facts]) -> None:
        if self.connection is None or not facts:
            return
        with contextlib.suppress(sqlite3.Error), self.connection:
            self.connection.executemany(
                "INSERT OR REPLACE INTO facts VALUES (?, ?, ?)",
                (
                    (b, casefacts.VERSION, json.dumps(f.to_json(), separators=(",", ":")))
                    for b, f in facts.items()
                ),
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
