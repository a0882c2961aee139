"""The work tree beyond the case files: which files exist, key material in them, and the
headers of the attachment files. Reads are bounded; what the bytes mean is decided in core.

Outside cases/ the listing is git's (tracked, and untracked but not ignored: what `git add -A`
would take), or a walk when the folder is not a git work tree. Under cases/ the repository
shell's own walk counts every file, ignored or not.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from casetrail.core import attachments_check, envelope
from casetrail.core.diagnostics import Diagnostic
from casetrail.core.rules import files
from casetrail.core.rules.base import StoredFile
from casetrail.shell import git
from casetrail.shell.cache import CACHE_DIR, ResultCache
from casetrail.shell.repo import CASES

CHUNK = 1024 * 1024
MAX_SCAN_BYTES = 8 * CHUNK  # of a bigger file only the head is searched (keys are small)
SKIPPED = frozenset({".git", ".venv", "build", ".cache", CASES})  # top-level, when walking
OWN_CACHE = f"{CACHE_DIR.as_posix()}/"


def list_work_tree(root: Path) -> list[str]:
    """Every file outside cases/, repository-relative (symlinks and vanished files included;
    the readers below skip them)."""
    with os.scandir(root) as top:  # naming the top-level entries keeps git out of cases/
        names = sorted(e.name for e in top if e.name not in (".git", CASES))
    listed = git.ls_files(root, names) if names else []
    if listed is not None:  # our own cache is data we wrote, when nobody ignored it
        return [p for p in listed if not p.startswith((f"{CASES}/", OWN_CACHE))]
    found = []
    for folder, dirs, names in os.walk(root):
        rel = Path(folder).relative_to(root).as_posix()
        prefix = "" if rel == "." else f"{rel}/"
        dirs[:] = sorted(d for d in dirs if d != ".git" and not (not prefix and d in SKIPPED))
        found += [f"{prefix}{name}" for name in sorted(names)]
    return found


def _regular(path: Path) -> os.stat_result | None:
    """lstat of a regular file (never follow a symlink, never open a FIFO), else None."""
    try:
        info = path.lstat()
    except OSError:
        return None
    return info if stat.S_ISREG(info.st_mode) else None


def find_keys(root: Path, rel: str, head: bytes = b"") -> list[Diagnostic]:
    """CT015 for one file, searched in chunks up to MAX_SCAN_BYTES; `head`, if given, is its
    start already read (a small file is then not read again)."""
    if files.exempt(rel):
        return []
    scanner = files.KeyScanner()
    path = root / rel
    info = _regular(path)
    if info is None:
        return []
    if head and len(head) >= info.st_size:
        scanner.feed(head)
    else:
        try:
            with path.open("rb") as handle:
                for _ in range(MAX_SCAN_BYTES // CHUNK):
                    chunk = handle.read(CHUNK)
                    if not chunk:
                        break
                    scanner.feed(chunk)
        except OSError:
            return []  # unreadable to us: git could not add it either
    return files.key_diagnostics(rel, scanner.found)


def work_tree_findings(root: Path, also_search: list[str]) -> list[Diagnostic]:
    """CT016 for leftovers outside cases/ and CT015 for keys in any file outside cases/ or
    in `also_search` (files under cases/ that are neither cases nor attachments)."""
    listing = list_work_tree(root)
    found = [files.leftover_diagnostic(path, why) for path, why in files.leftovers(listing)]
    for rel in [*listing, *also_search]:
        found += find_keys(root, rel)
    return found


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def _head(path: str) -> bytes | None:
    """The first bytes of a regular file, enough for its age header; None for anything else.
    Plain os calls: this runs once per attachment on every check."""
    try:
        fd = os.open(path, _READ_FLAGS)  # a symlink fails here; a FIFO does not block
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        head = os.read(fd, attachments_check.FIRST_READ)
        if len(head) == attachments_check.FIRST_READ and not (
            attachments_check.header_complete(head)
        ):
            while len(head) < attachments_check.HEAD_BYTES:
                more = os.read(fd, attachments_check.HEAD_BYTES - len(head))
                if not more:
                    break
                head += more
        return head
    except OSError:
        return None
    finally:
        os.close(fd)


def start_blob_index(root: Path) -> Callable[[], dict[str, str]]:
    """Start asking git which attachments are unchanged since they were staged (see
    read_attachments); call the result for the answer."""
    return git.unchanged_blobs(root, f"{CASES}/*/*/*")


def read_attachments(
    root: Path,
    paths: list[str],
    known: ResultCache | None = None,
    clean: dict[str, str] | None = None,
) -> tuple[dict[str, dict[str, StoredFile]], list[Diagnostic]]:
    """The attachment files by folder, each with what its header says; and CT015 for any that
    is not an age file and holds a key. With a cache (a whole-tree run), a file git finds
    unchanged since it was staged (`clean`: path -> blob id, from start_blob_index) is judged
    by its blob id without being opened; any other file by a digest of its header bytes."""
    base = os.fspath(root)
    if known is not None and not known.enabled:
        known = None  # a run on given paths: a few headers, read directly
    if clean is None:
        clean = start_blob_index(root)() if known and paths else {}
    folders: dict[str, dict[str, StoredFile]] = defaultdict(dict)
    found: list[Diagnostic] = []
    for rel in paths:
        folder, _, name = rel.rpartition("/")
        blob = clean.get(rel)
        verdict = known.get_header(f"git:{blob}") if known and blob else None
        if verdict is not None and not verdict[1]:  # a bad file is read: it may hold a key
            folders[folder][name] = StoredFile(rel, *verdict)
            continue
        head = _head(f"{base}/{rel}")
        if head is None:
            stored = StoredFile(rel, problem="could not be read as a regular file")
        else:
            if blob:
                key = f"git:{blob}"
            else:
                header = attachments_check.header_bytes(head)
                key = f"b2:{hashlib.blake2b(header, digest_size=16).hexdigest()}"
            verdict = known.get_header(key) if known else None
            if verdict is not None:
                stored = StoredFile(rel, *verdict)
            else:
                stored = attachments_check.inspect(rel, head)
                if known:
                    known.put_header(key, stored.stanza_types, stored.problem)
            if stored.problem:
                found += find_keys(root, rel, head)
        folders[folder][name] = stored
    return dict(folders), found


def folder_files(root: Path, folders: set[str]) -> list[str]:
    """The files of these attachment folders (the given paths mode: one scandir each, nothing
    for a folder that does not exist); leftovers and subfolders are left to the whole-tree
    walk."""
    found = []
    for folder in sorted(folders):
        try:
            with os.scandir(root / folder) as listing:
                names = sorted(e.name for e in listing if e.is_file(follow_symlinks=False))
        except (FileNotFoundError, NotADirectoryError):
            continue
        present = set(names)
        for name in names:
            twin = name + files.ENCRYPTED_SUFFIX in present
            if name != ".gitkeep" and files.classify(name, twin) is None:
                found.append(f"{folder}/{name}")
    return found


# --- what the site must refuse to publish from ------------------------------------------------


def unsafe_records(root: Path) -> list[str]:
    """Why the records under cases/ are not safe to build a site from: symbolic links, files
    that are neither cases nor attachments, leftovers of decryption, attachments that are not
    age files (plaintext, perhaps). One line each; empty when safe."""
    from casetrail.shell import repo

    attachments: list[str] = []  # walk_cases lists the files of the attachment folders here
    found = [
        f"{e.path} {e.problem} ({e.code})"
        for e in repo.walk_cases(root, attachments)
        if e.problem is not None
    ]
    for rel in attachments:
        head = _head(str(root / rel))
        if head is None:
            found.append(f"{rel} cannot be read as a regular file (CT013)")
            continue
        problem = attachments_check.inspect(rel, head[: attachments_check.HEAD_BYTES]).problem
        if problem:
            found.append(f"{rel} {problem} (CT408)")
    return found


def unsafe_docs(docs: Path, names: list[str]) -> list[str]:
    """Why files of the site's docs folder must not be published as they are: a symbolic link
    (which could reach out of the tree), an age-encrypted block, or private key material."""
    found = []
    base = docs.resolve()
    for rel in names:
        path = docs / rel
        if any(p.is_symlink() for p in [path, *path.parents] if p.is_relative_to(docs)):
            found.append(f"{rel} is or lies under a symbolic link")
        elif not path.resolve().is_relative_to(base) or not path.is_file():
            found.append(f"{rel} is not a regular file inside the docs folder")
        else:
            data = path.read_bytes()[:MAX_SCAN_BYTES]
            scanner = files.KeyScanner()
            scanner.feed(data)
            if envelope.BEGIN.encode() in data:
                found.append(f"{rel} holds an age-encrypted block")
            elif scanner.found:
                found.append(f"{rel} holds private key material")
    return found
