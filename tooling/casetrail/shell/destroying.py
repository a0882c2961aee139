"""Executing a destruction list across the two places a case lives: the key store (outside git)
and the records repository. Pure rules are in core/destruction.py; this module does the I/O.

A crash can stop `destroy execute` between the key store and the repository, so it keeps an
intent journal, `.git/casetrail/destroying/<LIST>.json`, written before anything changes and
removed only after the commit:

1. journal (who executes, when: a re-run reuses both, so the record does not change);
2. erase each case's per-case key (idempotent: a re-run finds it erased);
3. write each tombstone, remove each case's documents, write the certificate;
4. commit those paths (signed as the records officer's git is set up to sign);
5. remove the journal.

While a journal exists, its cases are *being destroyed*: `keys status`, `destroy status`,
`check` and the site say so, and reading such a case is refused with the command that finishes
the job. So a case never silently claims to be readable after its key is gone, and a tombstone
is never committed while its key still exists (the commit comes after every erasure).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casetrail.core import destruction
from casetrail.shell import git, repo

JOURNALS = "casetrail/destroying"


class DestroyError(Exception):
    """A refused or failed execution; the message says what to do."""


def _journal_dir(root: Path) -> Path:
    return git.git_dir(root) / JOURNALS


def journal_path(root: Path, list_id: str) -> Path:
    return _journal_dir(root) / f"{destruction.check_list_id(list_id)}.json"


def read_journal(root: Path, list_id: str) -> dict[str, Any] | None:
    path = journal_path(root, list_id)
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        value = None
    if not isinstance(value, dict):
        raise DestroyError(
            f"{path}: the journal of an interrupted execution is damaged; compare `casetrail "
            "keys status` with the list before removing it by hand"
        )
    return value


def write_journal(root: Path, list_id: str, record: dict[str, Any]) -> None:
    path = journal_path(root, list_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(b"")  # atomic_write keeps an existing file's mode
    repo.atomic_write(path, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode())


def remove_journal(root: Path, list_id: str) -> None:
    journal_path(root, list_id).unlink(missing_ok=True)


def interrupted(root: Path) -> dict[str, str]:
    """Cases of executions that stopped half-way: case id -> list id."""
    try:
        folder = _journal_dir(root)
    except git.GitError:
        return {}
    found: dict[str, str] = {}
    for path in sorted(folder.glob("DL-*.json")) if folder.is_dir() else []:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for case_id in record.get("cases", []) if isinstance(record, dict) else []:
            if isinstance(case_id, str):
                found[case_id] = path.stem
    return found


# --- approval from history ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Found:
    """The list as committed, and the commit that brought it to main's line."""

    value: destruction.DestructionList
    text: bytes
    commit: str | None  # None: not on HEAD's first-parent line


def committed_list(root: Path, list_id: str) -> Found:
    rel = destruction.list_path(list_id)
    text = git.read_objects(root, [f"HEAD:{rel}"]).get(f"HEAD:{rel}")
    if text is None:
        raise DestroyError(
            f"{rel} is not committed on this branch: propose it with `casetrail destroy propose`, "
            "commit it on a branch and have a supervisor merge it"
        )
    try:
        value = destruction.parse_list(text.decode("utf-8"), rel)
    except (destruction.DestructionError, UnicodeDecodeError) as error:
        raise DestroyError(str(error)) from None
    changes = git.first_parent_commits(root, "HEAD", rel)
    if len(changes) > 1:
        raise DestroyError(
            f"{rel} changed on main after it was first merged ({changes[1][:12]}); an approved "
            "list is never edited: propose a new one"
        )
    return Found(value, text, changes[0] if changes else None)


Judged = tuple[destruction.Approval | None, list[str]]


def approval_of(root: Path, found: Found) -> Judged:
    """The signed merge that brought the list to main, or the problems that keep it from being
    an approval (see `approvals`)."""
    return approvals(root, [found])[0]


def approvals(root: Path, lists: list[Found]) -> list[Judged]:
    """For each list, the signed merge that brought it to main, judged as the audit judges it
    (a supervisor's good signature by the roster the merge was judged by, the list as its
    records officer proposer signed it on the branch) and timed no earlier than what it
    merged; or the problems that keep it from being an approval. One audit run for them all."""
    from casetrail.core import audit, auditdestruction
    from casetrail.shell import trail

    if all(found.commit is None for found in lists):
        return [(None, []) for _ in lists]
    run = trail.run_audit(root)
    try:
        main = auditdestruction.main_line(run.trail.history(*audit.settings(run.policy)))
        judged: list[Judged] = []
        for found in lists:
            commit = main.by_id.get(found.commit) if found.commit else None
            if found.commit is None:
                judged.append((None, []))
            elif commit is None:
                judged.append(
                    (None, ["it is older than the trust root: casetrail cannot judge it"])
                )
            else:
                problems = auditdestruction.approval_check(main, commit, found.value)
                verdict = run.trail.verdicts.get(commit.id)
                if problems or verdict is None or verdict.signer is None:
                    judged.append((None, problems))
                else:
                    made = main.made_at(commit)
                    approval = destruction.Approval(
                        commit.id, verdict.signer, commit.committer_time, made
                    )
                    judged.append((approval, []))
        return judged
    finally:
        run.trail.reader.close()


# --- the changes in the work tree --------------------------------------------------------------


def documents_folder(root: Path, rel: str) -> Path:
    return (root / rel).with_suffix("")


def remove_documents(root: Path, rel: str) -> int:
    """Delete a case's document folder; the number of files it held."""
    folder = documents_folder(root, rel)
    if folder.is_symlink():
        raise DestroyError(f"{folder}: a link where the case's documents should be; refusing")
    if not folder.is_dir():
        return 0
    count = sum(1 for p in folder.rglob("*") if p.is_file())
    shutil.rmtree(folder)
    return count


def commit(root: Path, paths: list[str], message: str, when: str) -> bool:
    """Commit exactly `paths` (additions, changes, deletions), dated `when` (the execution's
    recorded moment, so the record and the commit agree); False if nothing changed."""
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    # A path neither on disk nor tracked (a documents folder a finished run removed) would make
    # git refuse the whole command.
    paths = [p for p in paths if (root / p).exists() or git.ls_files(root, [p])]
    if not paths:
        return False
    git.run_with(root, ["add", "-A", "--", *paths], env)
    staged = git.run_with(root, ["diff", "--cached", "--name-only", "--", *paths], env)
    if not staged.strip():
        return False
    git.run_with(root, ["commit", "-q", "-m", message, "--", *paths], env)
    return True


def head_has(root: Path, rel: str) -> bytes | None:
    return head_versions(root, [rel])[rel]


def head_versions(root: Path, rels: list[str]) -> dict[str, bytes | None]:
    """The committed version of each path (None where HEAD has none), in one git call."""
    found = git.read_objects(root, [f"HEAD:{rel}" for rel in rels])
    return {rel: found.get(f"HEAD:{rel}") for rel in rels}


def lists_in(root: Path) -> Iterator[str]:
    folder = root / destruction.LISTS_DIR
    for path in sorted(folder.glob("DL-*.yaml")) if folder.is_dir() else []:
        if destruction.LIST_ID.match(path.stem):
            yield path.stem
