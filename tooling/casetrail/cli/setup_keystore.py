"""`casetrail setup`, piece 6: where this clone finds the office's key store (per-case keys).

The policy (`key_store.per_case_keys`) says whether the office uses per-case keys; each machine
says where the store's folder is (a shared drive, say), in this clone's `casetrail.keyStore`.
"""

from __future__ import annotations

from pathlib import Path

from casetrail.cli.setup_common import Report
from casetrail.core.engine import Config
from casetrail.shell import casekeys, git


def set_up_key_store(report: Report, root: Path, config: Config, given: str | None) -> None:
    uses = (config.policy.raw.get("key_store") or {}).get("per_case_keys") is True
    current = git.local_config_value(root, casekeys.GIT_SETTING)
    if given is not None:
        folder = Path(given).expanduser().resolve()
        if not folder.is_dir():
            report.lack(f"key store {given}: no such folder (ask the records office where it is)")
            return
        if current == str(folder):
            report.ok(f"key store {folder}")
        elif report.change("set", f"key store {folder} ({casekeys.GIT_SETTING})"):
            git.set_local_config(root, casekeys.GIT_SETTING, str(folder))
        return
    if current:
        state = "" if Path(current).is_dir() else " (not reachable from here)"
        (report.ok if not state else report.lack)(f"key store {current}{state}")
    elif uses:
        report.lack(
            "key store: the policy gives cases per-case keys; run setup --key-store FOLDER with "
            "the folder the records office names"
        )
