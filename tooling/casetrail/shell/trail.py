"""Gathers what the audit rules read, with a fixed number of git calls whatever the size of
the history: one `git log`, one `cat-file --batch` for the commit objects not yet verified,
one for the roster and policy versions, one for the case versions."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from casetrail.core import audit, history, verdicts, yamlstrict
from casetrail.core.history import POLICY, ROSTER, Commit
from casetrail.shell import git
from casetrail.shell.verdictstore import VerdictStore

STATE_FILE = "last-audit.json"
DEFAULT_ZONE = "UTC"


class TrailError(Exception):
    """The history cannot be audited as asked (shallow clone, unknown revision...)."""


@dataclass(frozen=True)
class Trail:
    commits: list[Commit]
    head: str
    verdicts: dict[str, verdicts.Verdict]
    rosters: dict[str, Mapping[str, Any] | None]  # by commit id: the roster AT the commit
    judged_by: dict[str, Mapping[str, Any] | None]  # by commit id: the roster that judged it
    policies: dict[str, Mapping[str, Any] | None]  # by commit id: the policy AT the commit
    case_blobs: dict[str, bytes | None]
    timezone: str
    newly_verified: int

    def parent_roster(self, commit_id: str) -> Mapping[str, Any] | None:
        """The roster a commit was judged by (its first parent's, as verified commits left
        it; the introduction commit, having no parent, by the one it brings)."""
        return self.judged_by.get(commit_id)

    @property
    def by_id(self) -> dict[str, Commit]:
        return {c.id: c for c in self.commits}

    def history(self, backdate_days: int, assignment_by_merge: bool) -> audit.History:
        return audit.History(
            self.commits,
            self.head,
            self.verdicts,
            self.parent_roster,
            lambda blob: self.case_blobs.get(blob) if blob else None,
            ZoneInfo(self.timezone),
            backdate_days,
            assignment_by_merge,
        )


def require_full_history(root: Path) -> None:
    if git.is_shallow(root):
        raise TrailError(
            "this clone is shallow: its history is cut off, so it cannot be audited. "
            "Fetch the whole history with `git fetch --unshallow` (in CI: fetch-depth: 0)"
        )


def resolve(root: Path, revision: str) -> str:
    found = git.resolve(root, revision)
    if found is None:
        raise TrailError(f"{revision!r} is not a commit in this repository")
    return found


def read_yaml(data: bytes | None) -> Mapping[str, Any] | None:
    if data is None:
        return None
    try:
        value = yamlstrict.load(data.decode("utf-8")).value
    except (yamlstrict.StrictYamlError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def policy_at(root: Path, commit: str) -> Mapping[str, Any] | None:
    return read_yaml(git.read_objects(root, [f"{commit}:{POLICY}"])[f"{commit}:{POLICY}"])


def timezone_of(policy: Mapping[str, Any]) -> str:
    """The office's time zone from a policy (UTC if it names none)."""
    calendar = policy.get("calendar")
    zone = calendar.get("timezone") if isinstance(calendar, dict) else None
    return zone if isinstance(zone, str) else DEFAULT_ZONE


def gather(
    root: Path, revisions: Sequence[str], head: str, timezone: str, keep: bool = True
) -> Trail:
    """The audited commits (`revisions` as git reads them) and everything the rules read."""
    commits = history.parse_log(git.log(root, list(revisions)))
    rosters = _versions(root, commits, ROSTER)
    policies = _versions(root, commits, POLICY)
    found, judged_by, newly = _verdicts(root, commits, rosters, timezone, keep)
    blobs = _case_blobs(root, commits)
    return Trail(commits, head, found, rosters, judged_by, policies, blobs, timezone, newly)


def _versions(
    root: Path, commits: Sequence[Commit], path: str
) -> dict[str, Mapping[str, Any] | None]:
    """The parsed file `path` at every listed commit and at their parents outside the list."""
    listed = {c.id for c in commits}
    outside = sorted({p for c in commits for p in c.parents if p not in listed})
    known: dict[str, str | None] = {p: f"{p}:{path}" for p in outside}
    blobs = history.blob_at(commits, path, known)
    names = sorted({b for b in blobs.values() if b is not None})
    contents = git.read_objects(root, names)
    parsed = {name: read_yaml(contents.get(name)) for name in names}
    return {c: (parsed[b] if b is not None else None) for c, b in blobs.items()}


def _verdicts(
    root: Path,
    commits: Sequence[Commit],
    rosters: Mapping[str, Mapping[str, Any] | None],
    timezone: str,
    keep: bool,
) -> tuple[dict[str, verdicts.Verdict], dict[str, Mapping[str, Any] | None], int]:
    """Each commit's verdict, and the roster it was judged by: the roster its first parent
    hands on. A commit hands on its own roster only if its signature is good; otherwise the
    one it was judged by, so a key that entered the roster through a commit that failed
    (say, signed with that very key) authorises nothing after it either.

    Verdicts are kept only from whole audits (`keep`): a range starts from trusting its
    base, which a whole audit might not."""
    store = VerdictStore(git.git_dir(root) / "casetrail")
    try:
        found = store.get(c.id for c in commits)
        raw = git.read_objects(root, [c.id for c in commits if c.id not in found])
        times = history.effective_times(commits)
        handed_on: dict[str, Mapping[str, Any] | None] = {}
        judged_by: dict[str, Mapping[str, Any] | None] = {}
        new = {}
        for commit in commits:
            first = commit.parents[0] if commit.parents else None
            roster = (
                rosters.get(commit.id)
                if first is None
                else handed_on.get(first, rosters.get(first))
            )
            judged_by[commit.id] = roster
            verdict = found.get(commit.id)
            if verdict is None:
                verdict = new[commit.id] = verdicts.judge(
                    raw.get(commit.id) or b"",
                    commit.committer_email,
                    roster,
                    times[commit.id],
                    timezone,
                    lambda key, c=commit.id: _git_verifies(root, c, key),  # type: ignore[misc]
                )
            # Only a good commit that itself changed the roster hands on its version; any
            # other commit hands on what it was judged by (so a good commit cannot launder
            # a key that a failing commit before it put in the roster file).
            changed = first is None or rosters.get(commit.id) is not rosters.get(first)
            handed_on[commit.id] = rosters.get(commit.id) if verdict.good and changed else roster
        if keep:
            store.put(new)
        found.update(new)
        return found, judged_by, len(new)
    finally:
        store.close()


def trust_root(root: Path, head: str, policy: Mapping[str, Any]) -> str | None:
    """The trust root the policy names, if it is in the history of `head`."""
    named = policy.get("trust_root")
    found = git.resolve(root, named) if isinstance(named, str) and named else None
    return found if found is not None and git.is_ancestor(root, found, head) else None


def verify_history(root: Path) -> dict[str, verdicts.Verdict]:
    """The verdict on every commit after the trust root, as a whole audit gives it: from the
    verdicts kept in this clone, verifying (and keeping) what is not there yet."""
    head = resolve(root, "HEAD")
    policy = policy_at(root, head) or {}
    revisions = [head]
    base = trust_root(root, head, policy)
    if base is not None:
        revisions.append(f"^{base}")
    commits = history.parse_log(git.log(root, revisions))
    rosters = _versions(root, commits, ROSTER)
    return _verdicts(root, commits, rosters, timezone_of(policy), keep=True)[0]


def _git_verifies(root: Path, commit: str, public_key: str) -> bool:
    """git's own cryptographic check of a signature this process cannot check (security
    keys, edge encodings where OpenSSH versions differ): against a one-line allowed signers
    file holding just that key, undated, so git answers only whether the signature is good."""
    with tempfile.NamedTemporaryFile("w", suffix=".allowed", delete=False) as handle:
        handle.write(f'casetrail@signature.check namespaces="git" {public_key}\n')
    try:
        return git.verify_commit(root, commit, handle.name)
    finally:
        os.unlink(handle.name)


def _case_blobs(root: Path, commits: Sequence[Commit]) -> dict[str, bytes | None]:
    wanted = {
        blob
        for commit in commits
        for change in commit.changes
        if audit.is_case(change.new_path) or audit.is_case(change.old_path)
        for blob in (change.old_blob, change.new_blob)
        if blob is not None
    }
    return git.read_objects(root, sorted(wanted))


# --- the last audited head -----------------------------------------------------------------


def default_state(root: Path) -> Path:
    return git.git_dir(root) / "casetrail" / STATE_FILE


def read_state(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise TrailError(f"{path}: not a casetrail audit record ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("head"), str):
        raise TrailError(f"{path}: not a casetrail audit record (no head)")
    return data


def write_state(path: Path, record: Mapping[str, Any]) -> None:
    from casetrail.shell.repo import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode())


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
