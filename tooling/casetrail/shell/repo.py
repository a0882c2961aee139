"""The records repository on disk: finding its root, listing case files, atomic writes."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from casetrail.core.configload import CONFIG_FILES
from casetrail.core.document import MAX_FILE_BYTES

CASES = "cases"


class RepositoryError(Exception):
    pass


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding schema/policy.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "schema" / "policy.yaml").is_file():
            return folder
    raise RepositoryError(
        f"no records repository at or above {start} (no schema/policy.yaml); "
        "run casetrail inside a records repository or pass --root"
    )


def blob_id(data: bytes) -> str:
    """git's object id for these bytes, so cache keys agree with `git ls-tree`."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class Entry:
    path: str  # repository-relative, POSIX
    problem: str | None = None  # why it cannot be a case file (code CT013/CT014)
    code: str = ""


def walk_cases(root: Path, attachments: list[str] | None = None) -> Iterator[Entry]:
    """Every case file under cases/, plus entries that must not be there (symlinks, stray
    files, leftovers of decryption or editing). The files of the attachment folders
    cases/<year>/<id>/ are not case files: they are appended to `attachments` if given."""
    from casetrail.core.rules import files

    base = root / CASES
    if not base.is_dir():
        return
    suspect = files.SUSPECT.search
    stack = [(str(base), CASES, 0)]  # plain strings: a Path per folder costs more than its scan
    while stack:
        folder, prefix, depth = stack.pop()
        with os.scandir(folder) as listing:
            items = sorted(listing, key=lambda e: e.name)
        twins = {item.name[:-4] for item in items if item.name.endswith(files.ENCRYPTED_SUFFIX)}
        for item in items:
            rel = f"{prefix}/{item.name}"  # string joins: a Path per entry costs 10x
            leftover = None
            if suspect(item.name) is not None or item.name in twins:  # rare: then the details
                leftover = files.classify(rel, item.name in twins)
            if leftover is not None and not item.is_dir(follow_symlinks=False):
                yield Entry(rel, leftover, files.LEFTOVER)
            elif item.is_symlink():
                yield Entry(rel, "is a symbolic link; case files must be regular files", "CT013")
            elif item.is_dir(follow_symlinks=False):
                stack.append((item.path, rel, depth + 1))
            elif not item.is_file(follow_symlinks=False):
                yield Entry(rel, "is not a regular file", "CT013")
            elif item.name == ".gitkeep":
                continue
            elif depth == 2:  # cases/<year>/<id>/<name>: a document of case <id>
                if attachments is not None:
                    attachments.append(rel)
            elif item.name.endswith(".md"):
                yield Entry(rel)
            else:
                yield Entry(
                    rel,
                    "is not a case file (.md); encrypted attachments (.age) belong in the "
                    "folder of their case, cases/<year>/<id>/",
                    "CT014",
                )


def read_case(root: Path, rel: str) -> tuple[bytes, int]:
    """A case file's bytes and real size; of an oversized file only the head is read.

    One open (refusing a symbolic link), one fstat, one read: plain `os` calls on strings,
    because a warm check of 10,000 cases spends most of its time here."""
    try:
        fd = os.open(os.path.join(root, rel), os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise RepositoryError(f"{rel} is a symbolic link") from None
        raise
    try:
        size = os.fstat(fd).st_size
        wanted = min(size, MAX_FILE_BYTES + 1)  # never 50 MB into memory to say it is too big
        chunks = []
        while wanted > 0 and (chunk := os.read(fd, wanted)):
            chunks.append(chunk)
            wanted -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    return data, size if size > MAX_FILE_BYTES else len(data)


def read_config(root: Path) -> dict[str, bytes | None]:
    files: dict[str, bytes | None] = {}
    for rel in CONFIG_FILES:
        try:
            files[rel] = (root / rel).read_bytes()
        except FileNotFoundError:
            files[rel] = None
    return files


def _synced_temp(path: Path, data: bytes, mode: int) -> Path:
    """`data` in a new temporary file beside `path`, flushed to disk, with `mode`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _sync_directory(folder: Path) -> None:
    """Make the rename or link itself durable."""
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it."""
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644
    tmp = _synced_temp(path, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def create_exclusive(path: Path, data: bytes) -> None:
    """Write a new file atomically, failing if it already exists (no overwrite race)."""
    tmp = _synced_temp(path, data, 0o644)
    try:
        os.link(tmp, path)  # fails with FileExistsError instead of replacing
    finally:
        tmp.unlink(missing_ok=True)
    _sync_directory(path.parent)
