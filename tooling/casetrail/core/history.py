"""Git history as data: the one-pass `git log` parsed into commits and their file changes.

The shell runs git once with log_format(nonce) and LOG_OPTIONS; everything after that is
pure. Each
commit's changes are against its first parent, so along main's first-parent line they say what
a merge brought in, and along a branch what each commit did.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

# Names and subjects are free text that anyone committing can choose, so the separators carry
# a nonce chosen per run: a subject cannot forge a record it cannot predict.
_FIELDS = ("%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%s")
_ID = re.compile(r"[0-9a-f]{40}")
LOG_OPTIONS = (
    "-z",
    "--raw",
    "--no-abbrev",
    "-M",
    "--diff-merges=first-parent",
)
ROSTER = "schema/roster.yaml"
POLICY = "schema/policy.yaml"
_NULL = "0" * 40


class HistoryError(ValueError):
    """git printed something this parser does not understand."""


@dataclass(frozen=True, slots=True)
class Change:
    status: str  # A added, M modified, D deleted, R renamed, T type changed, C copied
    old_path: str | None
    new_path: str | None
    old_blob: str | None
    new_blob: str | None

    @property
    def path(self) -> str:
        """The path after the change (or before it, for a deletion)."""
        return self.new_path or self.old_path or ""


@dataclass(frozen=True, slots=True)
class Commit:
    id: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_time: datetime
    committer_name: str
    committer_email: str
    committer_time: datetime
    subject: str
    changes: tuple[Change, ...]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def short(self) -> str:
        return self.id[:12]


def is_commit_id(value: object) -> bool:
    """A full 40-hex commit id (never a ref name, which could point anywhere)."""
    return isinstance(value, str) and bool(_ID.fullmatch(value))


def _marks(nonce: str) -> tuple[str, str, str]:
    """Record start, field separator and header end, each with the run's nonce."""
    return f"%x1e{nonce}%x1e", f"%x1f{nonce}%x1f", f"%x1d{nonce}%x1d"


def log_format(nonce: str) -> str:
    """The `git log --format` for one run; `nonce` is random hex, fresh each run."""
    start, between, end = _marks(nonce)
    return start + between.join(_FIELDS) + end


def parse_log(out: bytes, nonce: str) -> list[Commit]:
    """Commits from `git log --format=log_format(nonce) LOG_OPTIONS`, in git's order."""
    start, between, end = (
        m.replace("%x1e", "\x1e").replace("%x1f", "\x1f").replace("%x1d", "\x1d").encode()
        for m in _marks(nonce)
    )
    commits = []
    seen: set[str] = set()
    for record in out.split(start)[1:]:
        header, found, raw = record.partition(end)
        fields = header.decode("utf-8", "replace").split(between.decode())
        if not found or len(fields) != len(_FIELDS):
            raise HistoryError(f"unexpected git log record: {header[:80]!r}")
        cid, parents, an, ae, at, cn, ce, ct, subject = fields
        if not _ID.fullmatch(cid) or cid in seen or not all(map(_ID.fullmatch, parents.split())):
            raise HistoryError(f"unexpected git log record for {cid[:40]!r}")
        seen.add(cid)
        try:
            author_time, committer_time = datetime.fromisoformat(at), datetime.fromisoformat(ct)
        except ValueError:
            raise HistoryError(f"commit {cid[:12]}: unreadable date") from None
        commits.append(
            Commit(
                cid,
                tuple(parents.split()),
                an,
                ae,
                author_time,
                cn,
                ce,
                committer_time,
                subject,
                tuple(_changes(raw)),
            )
        )
    return commits


def _changes(raw: bytes) -> Iterator[Change]:
    parts = raw.lstrip(b"\0\n").split(b"\0")
    index = 0
    while index < len(parts) and parts[index].startswith(b":"):
        meta = parts[index][1:].decode("ascii", "replace").split()
        if len(meta) != 5 or index + 1 >= len(parts):
            raise HistoryError(f"unexpected git raw diff line: {parts[index][:80]!r}")
        old_blob, new_blob, status = meta[2], meta[3], meta[4][0]
        first = parts[index + 1].decode("utf-8", "surrogateescape")
        if status in "RC":
            second = parts[index + 2].decode("utf-8", "surrogateescape")
            index += 3
            yield Change(status, first, second, old_blob, new_blob)
            continue
        index += 2
        yield Change(
            status,
            None if status == "A" else first,
            None if status == "D" else first,
            None if old_blob == _NULL else old_blob,
            None if new_blob == _NULL else new_blob,
        )


def blob_at(
    commits: Iterable[Commit], path: str, known: Mapping[str, str | None]
) -> dict[str, str | None]:
    """The blob of `path` at each commit (None where absent), from each commit's change against
    its first parent. `commits` must list parents before children; `known` gives the blob at
    parents outside the list. One pass, no git."""
    blobs: dict[str, str | None] = dict(known)
    for commit in commits:
        blob = blobs.get(commit.parents[0]) if commit.parents else None
        for change in commit.changes:
            if change.new_path == path:
                blob = change.new_blob
            elif change.old_path == path and change.status in "RD":
                blob = None
        blobs[commit.id] = blob
    return blobs


def first_parent_line(commits: Mapping[str, Commit], head: str) -> list[Commit]:
    """Main's own line: head, its first parent, and so on, oldest first (within `commits`)."""
    line = []
    current: str | None = head
    while current is not None and current in commits:
        commit = commits[current]
        line.append(commit)
        current = commit.parents[0] if commit.parents else None
    line.reverse()
    return line


def effective_times(commits: Iterable[Commit]) -> dict[str, datetime]:
    """A commit cannot have been made before any of its parents: the later of its own
    committer date and its parents' effective times (parents before children)."""
    times: dict[str, datetime] = {}
    for commit in commits:
        when = commit.committer_time
        for parent in commit.parents:
            earlier = times.get(parent)
            if earlier is not None and earlier > when:
                when = earlier
        times[commit.id] = when
    return times


def branch_commits(
    commits: Mapping[str, Commit], merge: Commit, line: set[str], position: Mapping[str, int]
) -> list[str]:
    """The commits a merge brought in: reachable from its other parents without passing
    through main's first-parent line, parents before children (by `position`, git's order)."""
    seen: set[str] = set()
    stack = list(merge.parents[1:])
    while stack:
        current = stack.pop()
        if current in seen or current in line or current not in commits:
            continue
        seen.add(current)
        stack.extend(commits[current].parents)
    return sorted(seen, key=position.__getitem__)
