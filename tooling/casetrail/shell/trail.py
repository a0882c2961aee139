"""Gathers what the audit rules read, with a fixed number of git calls whatever the size of
the history: one `git log`, one `cat-file --batch` for the commit objects not yet verified,
one for the roster and policy versions, one for the case versions."""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from casetrail.core import (
    audit,
    auditcodes,
    casefacts,
    history,
    permissions,
    signers,
    verdicts,
    yamlstrict,
)
from casetrail.core.history import POLICY, ROSTER, Commit
from casetrail.shell import git
from casetrail.shell.auditstore import AuditStore

STATE_FILE = "last-audit.json"
DEFAULT_ZONE = "UTC"


class TrailError(Exception):
    """The history cannot be audited as asked (shallow clone, unknown revision...)."""


@dataclass
class _Judged:
    verdicts: dict[str, verdicts.Verdict]
    rosters: dict[str, Mapping[str, Any] | None]  # the roster each commit was judged by
    refused: dict[str, str]  # commits whose change to schema/ was not honoured, and why
    newly: int


@dataclass(frozen=True)
class Trail:
    commits: list[Commit]
    head: str
    judged: _Judged
    rosters: dict[str, Mapping[str, Any] | None]  # by commit id: the roster AT the commit
    policies: dict[str, Mapping[str, Any] | None]  # by commit id: the policy AT the commit
    facts: dict[str, casefacts.Facts]  # of case versions, by blob id (and rev:path for merges)
    reader: git.ObjectReader  # reads a version whole when a rule needs it
    timezone: str

    @property
    def verdicts(self) -> dict[str, verdicts.Verdict]:
        return self.judged.verdicts

    @property
    def newly_verified(self) -> int:
        return self.judged.newly

    def parent_roster(self, commit_id: str) -> Mapping[str, Any] | None:
        """The roster a commit was judged by: its first parent's, as honoured changes left
        it (the introduction commit, having no parent, by the one it brings)."""
        return self.judged.rosters.get(commit_id)

    @property
    def by_id(self) -> dict[str, Commit]:
        return {c.id: c for c in self.commits}

    def history(
        self, backdate_days: int, assignment_by_merge: bool, cooling_off_days: int
    ) -> audit.History:
        return audit.History(
            self.commits,
            self.head,
            self.verdicts,
            self.parent_roster,
            lambda name: self.facts.get(name, casefacts.ABSENT) if name else casefacts.ABSENT,
            lambda name: self.reader.read(name) if name else None,
            ZoneInfo(self.timezone),
            backdate_days,
            assignment_by_merge,
            self.judged.refused,
            cooling_off_days,
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
    if not isinstance(zone, str):
        return DEFAULT_ZONE
    try:  # `check` reports an unknown zone (CT602); history is judged in UTC meanwhile
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_ZONE
    return zone


@dataclass(frozen=True)
class AuditRun:
    """One audit of the history up to `head`: what it gathered and what it found."""

    trail: Trail
    findings: list[auditcodes.AuditFinding]
    trust_root: str | None
    policy: Mapping[str, Any]


def run_audit(root: Path, tip: str = "HEAD", base: str | None = None) -> AuditRun:
    """Audit the commits after the trust root up to `tip` (and after `base`, for a range);
    verdicts are kept only from whole audits."""
    require_full_history(root)
    head = resolve(root, tip)
    policy = policy_at(root, head) or {}
    revisions, trust, found = _since_trust_root(root, head)
    if base is not None:
        revisions.append(f"^{resolve(root, base)}")
    gathered = gather(root, revisions, head, timezone_of(policy), keep=base is None)
    try:
        found += audit.audit(gathered.history(*audit.settings(policy)))
    finally:
        gathered.reader.close()
    return AuditRun(gathered, found, trust, policy)


def permissions_report(gathered: Trail, today: date) -> tuple[dict[str, Any], str]:
    """The permissions report (SOP 002 §4.2) of an audit run, as JSON and as text."""
    report = permissions.report(permission_revisions(gathered), today)
    return permissions.to_json(report), permissions.render_text(report)


def permission_revisions(gathered: Trail) -> list[permissions.Revision]:
    """One revision per commit on main's line that brought a new roster or policy, with who
    made it (the verified signer)."""
    line = history.first_parent_line(gathered.by_id, gathered.head)
    revisions = []
    previous: tuple[Any, Any] | None = None
    for commit in line:
        current = (gathered.rosters.get(commit.id), gathered.policies.get(commit.id))
        if previous is None or current[0] is not previous[0] or current[1] is not previous[1]:
            verdict = gathered.verdicts.get(commit.id)
            by = (
                verdict.signer
                if verdict is not None and verdict.good and verdict.signer
                else f"unverified: {commit.committer_name}"
            )
            revisions.append(permissions.Revision(commit.id, commit.committer_time, by, *current))
        previous = current
    return revisions


def read_history(root: Path, revisions: Sequence[str]) -> list[Commit]:
    """The commits of `revisions`, parents before children, in one `git log`."""
    nonce = secrets.token_hex(12)
    return _parsed(git.log(root, list(revisions), nonce), nonce)


def read_file_history(root: Path, path: str) -> list[Commit]:
    """The commits that changed `path`, oldest first: those on HEAD's first-parent line, each
    merge preceded by the commits of its branch that changed it, and back through renames.
    A few path-limited git calls, never a walk of the whole history per file."""
    nonce = secrets.token_hex(12)
    found: list[Commit] = []
    start, current = "HEAD", path
    for _ in range(MAX_RENAMES):
        line = _parsed(git.log_line(root, start, current, nonce), nonce)
        segment: list[Commit] = []
        for commit in line:
            if commit.is_merge:
                branch = git.log_branch(root, commit.parents[0], commit.id, current, nonce)
                segment += _parsed(branch, nonce)
            segment.append(commit)
        if not line:
            break
        oldest, renamed = line[0], _renamed(root, line[0], current)
        if renamed is not None:
            segment[segment.index(oldest)] = renamed[0]
        found = segment + found
        if renamed is None:
            break
        start, current = oldest.parents[0], renamed[1]
    return found


MAX_RENAMES = 50


def _renamed(root: Path, commit: Commit, path: str) -> tuple[Commit, str] | None:
    """`commit` with its change to `path` read as a rename, and the old path, if it made
    `path` by renaming a file (a path-limited log sees only the new file appear)."""
    added = [c for c in commit.changes if c.new_path == path and c.status == "A"]
    if not added or not commit.parents:
        return None
    source = git.renamed_from(root, commit.id, commit.parents[0], path)
    if source is None:
        return None
    change = history.Change("R", source[0], path, source[1], added[0].new_blob)
    return dataclasses.replace(commit, changes=(change,)), source[0]


def _parsed(out: bytes, nonce: str) -> list[Commit]:
    try:
        return history.parse_log(out, nonce)
    except history.HistoryError as error:
        raise TrailError(f"cannot read the history: {error}") from None


def gather(
    root: Path, revisions: Sequence[str], head: str, timezone: str, keep: bool = True
) -> Trail:
    """The audited commits (`revisions` as git reads them) and everything the rules read."""
    commits = read_history(root, revisions)
    rosters = _versions(root, commits, ROSTER)
    policies = _versions(root, commits, POLICY)
    judged = _verdicts(root, commits, rosters, policies, keep)
    facts = _case_facts(root, commits)
    return Trail(commits, head, judged, rosters, policies, facts, git.ObjectReader(root), timezone)


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
    policies: Mapping[str, Mapping[str, Any] | None],
    keep: bool,
) -> _Judged:
    """Each commit's verdict, judged by the roster (and the policy's time zone) its first
    parent hands on. A commit hands on what it was judged by, unless it changed the roster
    or policy file and the change is honoured: made with a good signature by a records
    officer (roster as judged) who does not change their own entry, or merged unchanged
    from a parent that already honoured it. So a key that entered the roster through a
    failing commit, or through anyone but the records office, authorises nothing.

    Verdicts are kept only from whole audits (`keep`): a range starts from trusting its
    base, which a whole audit might not."""
    store = AuditStore(git.git_dir(root) / "casetrail")
    try:
        found = store.get(c.id for c in commits)
        raw = git.read_objects(root, [c.id for c in commits if c.id not in found])
        times = history.effective_times(commits)
        trusted_roster: dict[str, Mapping[str, Any] | None] = {}
        trusted_policy: dict[str, Mapping[str, Any] | None] = {}
        judged = _Judged(found, {}, {}, 0)
        new = {}
        for commit in commits:
            first = commit.parents[0] if commit.parents else commit.id
            roster = trusted_roster.get(first, rosters.get(first))
            policy = trusted_policy.get(first, policies.get(first))
            judged.rosters[commit.id] = roster
            verdict = found.get(commit.id)
            if verdict is None:
                verdict = new[commit.id] = verdicts.judge(
                    raw.get(commit.id) or b"",
                    commit.committer_email,
                    roster,
                    times[commit.id],
                    timezone_of(policy or {}),
                    lambda key, c=commit.id: _git_verifies(root, c, key),  # type: ignore[misc]
                )
            for files, trusted, kept in (
                (rosters, trusted_roster, roster),
                (policies, trusted_policy, policy),
            ):
                reason = _schema_change(commit, verdict, files, trusted, roster, files is rosters)
                trusted[commit.id] = kept if reason else files.get(commit.id)
                if reason and reason != UNCHANGED:
                    judged.refused[commit.id] = reason
        if keep:
            store.put(new)
        found.update(new)
        judged.newly = len(new)
        return judged
    finally:
        store.close()


UNCHANGED = "unchanged"
SCHEMA_KEEPERS = frozenset({"records_officer"})


def _schema_change(
    commit: Commit,
    verdict: verdicts.Verdict,
    files: Mapping[str, Mapping[str, Any] | None],
    trusted: Mapping[str, Mapping[str, Any] | None],
    roster: Mapping[str, Any] | None,
    is_roster: bool,
) -> str | None:
    """None if the commit's version of a schema file is honoured; why not otherwise (or
    UNCHANGED when the commit did not change it and hands on what it inherited)."""
    if not commit.parents:
        return None  # the introduction commit brings the first roster and policy
    mine = files.get(commit.id)
    if mine is files.get(commit.parents[0]):
        return UNCHANGED
    if any(mine is trusted.get(p, files.get(p)) for p in commit.parents):
        return None  # merged unchanged from a parent that honoured it
    if mine is None:
        return "made unreadable"
    if not verdict.good or verdict.signer is None:
        return "changed by a commit without a good signature"
    if not signers.roles(roster, verdict.signer) & SCHEMA_KEEPERS:
        return f"changed by {verdict.signer}, who is not a records officer"
    if is_roster and signers.entry(roster, verdict.signer) != signers.entry(mine, verdict.signer):
        return f"{verdict.signer} changed their own roster entry"
    return None


def trust_root(root: Path, head: str) -> tuple[str | None, list[auditcodes.AuditFinding]]:
    """The trust root in force for `head` (the first one the policy ever named on main's
    line, as a full commit id in the history of `head`), with findings about it."""
    line = git.first_parent_commits(root, head, POLICY)
    names = [f"{c}:{POLICY}" for c in line]
    contents = git.read_objects(root, names)
    values = [
        (c, (read_yaml(contents[n]) or {}).get("trust_root"))
        for c, n in zip(line, names, strict=True)
    ]
    named, found = audit.trust_root_history(values)
    if named is None:
        return None, found
    resolved = git.resolve(root, named) if history.is_commit_id(named) else None
    if resolved is None or not git.is_ancestor(root, resolved, head):
        problem = auditcodes.finding(
            named[:40],
            "CT841",
            f"the trust root {named[:40]!r} named in schema/policy.yaml is not a commit in "
            "this history; every commit is audited instead",
            POLICY,
        )
        return None, [*found, problem]
    return resolved, found


def _since_trust_root(
    root: Path, head: str
) -> tuple[list[str], str | None, list[auditcodes.AuditFinding]]:
    """The revisions of the commits after the trust root up to `head` (as git reads them),
    the trust root, and the findings about it."""
    trust, found = trust_root(root, head)
    return [head, *([f"^{trust}"] if trust else [])], trust, found


def verify_history(root: Path) -> dict[str, verdicts.Verdict]:
    """The verdict on every commit after the trust root, as a whole audit gives it: from the
    verdicts kept in this clone, verifying (and keeping) what is not there yet."""
    revisions, _, _ = _since_trust_root(root, resolve(root, "HEAD"))
    commits = read_history(root, revisions)
    rosters = _versions(root, commits, ROSTER)
    policies = _versions(root, commits, POLICY)
    return _verdicts(root, commits, rosters, policies, keep=True).verdicts


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


FACT_BATCH = 4000  # versions read per `cat-file` call: bounds memory on a cold audit


def _case_facts(root: Path, commits: Sequence[Commit]) -> dict[str, casefacts.Facts]:
    """The facts of every version of a case file the audited commits changed, by blob id,
    and for merges of the version in their other parents (by `audit.merged_name`). Kept by
    blob id in the clone's store: a later audit reads only versions it has not seen."""
    blobs: set[str] = set()
    merged: set[str] = set()
    for commit in commits:
        for change in commit.changes:
            if audit.is_case(change.new_path) or audit.is_case(change.old_path):
                blobs.update(b for b in (change.old_blob, change.new_blob) if b is not None)
                if audit.is_case(change.new_path):
                    merged.update(audit.merged_name(p, change.path) for p in commit.parents[1:])
    resolved = git.object_ids(root, sorted(merged))
    blobs.update(b for b in resolved.values() if b is not None)
    store = AuditStore(git.git_dir(root) / "casetrail")
    try:
        found = store.get_facts(blobs)
        missing = sorted(blobs - found.keys())
        for start in range(0, len(missing), FACT_BATCH):
            contents = git.read_objects(root, missing[start : start + FACT_BATCH])
            new = {blob: casefacts.facts(data) for blob, data in contents.items()}
            store.put_facts(new)
            found.update(new)
    finally:
        store.close()
    for name, blob in resolved.items():
        found[name] = found.get(blob, casefacts.ABSENT) if blob else casefacts.ABSENT
    return found


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
    if not isinstance(data, dict) or not history.is_commit_id(data.get("head")):
        raise TrailError(f"{path}: not a casetrail audit record (no head commit id)")
    return data


def write_state(path: Path, record: Mapping[str, Any]) -> None:
    from casetrail.shell.repo import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode())


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
