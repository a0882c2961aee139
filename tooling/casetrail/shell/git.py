"""The only module that runs git. Small named functions, one subprocess each."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

# Set by git while it runs hooks; they would point a nested git at the wrong repository.
_HOOK_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_PREFIX",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
)


class GitError(Exception):
    pass


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _HOOK_VARIABLES}


def _run(root: Path, *args: str, stdin: bytes | None = None, check: bool = True) -> bytes:
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, input=stdin, capture_output=True, env=_env(), check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if check and result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else result.returncode}")
    return result.stdout


def is_repository(root: Path) -> bool:
    return (root / ".git").exists() and bool(
        _run(root, "rev-parse", "--is-inside-work-tree", check=False).strip() == b"true"
    )


def ls_tree(root: Path, rev: str, paths: list[str]) -> dict[str, str] | None:
    """path -> blob id of the files under `paths` at `rev`; None if `rev` is not a commit here
    (no repository, no commits yet): one git call either way."""
    try:
        out = _run(root, "ls-tree", "-r", "-z", "--full-tree", rev, "--", *paths)
    except GitError:
        return None
    blobs = {}
    for record in out.split(b"\0"):
        if record:
            meta, _, path = record.partition(b"\t")
            blobs[path.decode("utf-8", "surrogateescape")] = meta.split()[2].decode()
    return blobs


def ls_files(root: Path, paths: list[str]) -> list[str] | None:
    """The files under `paths` as git sees them: tracked, and untracked but not ignored (one
    call; `paths` are taken literally). Paths are relative to `root`. None if `root` is not
    inside a git work tree (or git is missing)."""
    specs = [f":(literal){path}" for path in paths]
    try:
        out = _run(root, "ls-files", "-z", "-c", "-o", "--exclude-standard", "--", *specs)
    except GitError:
        return None
    names = (p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p)
    return list(dict.fromkeys(names))  # an unmerged path is listed once per stage


_LS_RECORD = re.compile(rb"([A-Za-z]) [0-7]+ ([0-9a-f]+) ([0-3])\t([^\0]*)\0")


def unchanged_blobs(root: Path, pattern: str) -> Callable[[], dict[str, str]]:
    """path -> blob id of the tracked files matching the glob `pattern` whose work-tree copy
    git's own stat check finds unchanged from the index (racy entries are compared by content
    by git; files marked assume-unchanged are left out); empty without git.

    One call, started now and collected by calling the result, so git walks the files while
    the caller parses (its output goes to a temporary file: a pipe would stall it)."""
    args = ["git", "ls-files", "-z", "-v", "-s", "-c", "-m", "--", f":(glob){pattern}"]
    out = tempfile.TemporaryFile()  # noqa: SIM115  (closed by collect(), after git ends)
    try:
        process = subprocess.Popen(
            args, cwd=root, stdout=out, stderr=subprocess.DEVNULL, env=_env()
        )
    except OSError:
        out.close()
        return dict
    done: list[dict[str, str]] = []

    def collect() -> dict[str, str]:  # idempotent: also called when the command closes
        if not done:
            with out:
                ok = process.wait() == 0
                out.seek(0)
                done.append(_unchanged(out.read()) if ok else {})
        return done[0]

    return collect


def _unchanged(out: bytes) -> dict[str, str]:
    blobs: dict[bytes, bytes] = {}
    changed: set[bytes] = set()
    for tag, blob, stage, path in _LS_RECORD.findall(out):
        if tag == b"H" and stage == b"0":  # cached, not a conflict
            blobs[path] = blob
        else:  # C modified or deleted; lower case assume-unchanged; M unmerged; S sparse
            changed.add(path)
    return {
        path.decode("utf-8", "surrogateescape"): blob.decode()
        for path, blob in blobs.items()
        if path not in changed
    }


def cat_blobs(root: Path, blob_ids: list[str]) -> dict[str, bytes]:
    """Contents of many blobs through one `git cat-file --batch`."""
    if not blob_ids:
        return {}
    out = _run(root, "cat-file", "--batch", stdin="".join(f"{b}\n" for b in blob_ids).encode())
    contents, position = {}, 0
    for blob in blob_ids:
        newline = out.index(b"\n", position)
        header = out[position:newline].split()
        if len(header) < 3:
            raise GitError(f"git cat-file could not read {blob}")
        size = int(header[2])
        contents[blob] = out[newline + 1 : newline + 1 + size]
        position = newline + 1 + size + 1
    return contents


def config_value(root: Path, key: str) -> str | None:
    value = _run(root, "config", "--get", key, check=False).decode().strip()
    return value or None


def local_config_value(root: Path, key: str) -> str | None:
    """A value of this clone's own .git/config (not the user's or the system's)."""
    value = _run(root, "config", "--local", "--get", key, check=False).decode().strip()
    return value or None


def set_local_config(root: Path, key: str, value: str) -> None:
    _run(root, "config", "--local", key, value)


def merge_file(base: bytes, ours: bytes, theirs: bytes) -> tuple[bytes, int]:
    """git merge-file of three texts: (the merge, the number of conflicts). Conflict markers
    are labelled `ours` and `theirs`, in the plain two-sided style whatever the user's
    merge.conflictStyle. The inputs go through temporary files: never pass it secrets."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="casetrail-merge-") as folder:
        names = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(folder) / name
            path.write_bytes(data)
            names.append(str(path))
        try:
            result = subprocess.run(
                [
                    "git",
                    "-c",
                    "merge.conflictStyle=merge",
                    "merge-file",
                    "--stdout",
                    "-L",
                    "ours",
                    "-L",
                    "base",
                    "-L",
                    "theirs",
                    *names,
                ],
                cwd=folder,
                capture_output=True,
                env=_env(),
                check=False,
            )
        except FileNotFoundError:
            raise GitError("git is not installed or not on PATH") from None
    if not 0 <= result.returncode <= 127:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git merge-file failed: {message[-1] if message else result.returncode}")
    return result.stdout, result.returncode


# --- history (the audit trail) -------------------------------------------------------------


def log(root: Path, revisions: list[str], nonce: str) -> bytes:
    """One `git log` over `revisions` with every field the audit needs, parents before
    children (see core.history for the format)."""
    from casetrail.core.history import LOG_OPTIONS, log_format

    args = ["log", f"--format={log_format(nonce)}", *LOG_OPTIONS, "--topo-order", "--reverse"]
    return _run(root, *args, *revisions, "--")


def log_line(root: Path, start: str, path: str, nonce: str) -> bytes:
    """The commits on `start`'s first-parent line that changed `path` (merges by their change
    against the first parent), oldest first. Path-limited and first-parent, so git answers
    from the commit-graph's changed-path filters where `casetrail setup` wrote them."""
    from casetrail.core.history import LOG_OPTIONS, log_format

    args = ["log", f"--format={log_format(nonce)}", *LOG_OPTIONS, "--first-parent", "--reverse"]
    return _run(root, *args, start, "--", path)


def log_branch(root: Path, base: str, tip: str, path: str, nonce: str) -> bytes:
    """The commits in base..tip (a merged branch) that changed `path`, merges left out,
    oldest first."""
    from casetrail.core.history import LOG_OPTIONS, log_format

    args = ["log", f"--format={log_format(nonce)}", *LOG_OPTIONS, "--no-merges", "--full-history"]
    return _run(root, *args, "--topo-order", "--reverse", f"{base}..{tip}", "--", path)


def renamed_from(root: Path, commit: str, parent: str, path: str) -> tuple[str, str] | None:
    """If `commit` made `path` by renaming a file of `parent`: that file's path and blob."""
    out = _run(root, "diff-tree", "-M", "-r", "--raw", "-z", "--no-abbrev", parent, commit)
    parts = out.split(b"\0")
    for index, part in enumerate(parts):
        meta = part[1:].split() if part.startswith(b":") else []
        if len(meta) == 5 and meta[4].startswith(b"R") and index + 2 < len(parts):
            old, new = parts[index + 1], parts[index + 2]
            if new.decode("utf-8", "surrogateescape") == path:
                return old.decode("utf-8", "surrogateescape"), meta[2].decode()
    return None


def is_shallow(root: Path) -> bool:
    return _run(root, "rev-parse", "--is-shallow-repository", check=False).strip() == b"true"


def resolve(root: Path, revision: str) -> str | None:
    """The full id of the commit `revision` names, or None."""
    out = _run(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", check=False)
    return out.decode().strip() or None


def is_ancestor(root: Path, ancestor: str, descendant: str) -> bool:
    args = ("merge-base", "--is-ancestor", ancestor, descendant)
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, env=_env(), check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    return result.returncode == 0


def git_dir(root: Path) -> Path:
    """This clone's own .git folder (for casetrail's per-clone state)."""
    out = _run(root, "rev-parse", "--absolute-git-dir").decode().strip()
    return Path(out)


def read_objects(root: Path, names: list[str]) -> dict[str, bytes | None]:
    """Contents of many objects (ids, or `rev:path`) through one `git cat-file --batch`;
    None for a name that does not exist."""
    if not names:
        return {}
    out = _run(root, "cat-file", "--batch", stdin="".join(f"{n}\n" for n in names).encode())
    contents: dict[str, bytes | None] = {}
    position = 0
    for name in names:
        newline = out.index(b"\n", position)
        header = out[position:newline].split()
        if len(header) == 3 and header[1] in (b"blob", b"commit", b"tree", b"tag"):
            size = int(header[2])
            contents[name] = out[newline + 1 : newline + 1 + size]
            position = newline + 1 + size + 1
        else:  # "<name> missing" or "ambiguous"
            contents[name] = None
            position = newline + 1
    return contents


def verify_commit(root: Path, commit: str, allowed_signers: str) -> bool:
    """git's own check of a commit's signature against an allowed signers file."""
    args = ("-c", f"gpg.ssh.allowedSignersFile={allowed_signers}", "verify-commit", commit)
    try:  # TZ=UTC: git hands ssh-keygen a local time without its zone
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, env={**_env(), "TZ": "UTC"}, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    return result.returncode == 0


# --- casetrail setup: this clone's hooks, identity and commit-graph --------------------------


def git_path(root: Path, name: str) -> Path:
    """Where git keeps `name` for this clone (`git rev-parse --git-path`): `hooks` follows
    core.hooksPath, `objects/info` the object store. Absolute."""
    out = _run(root, "rev-parse", "--git-path", name).decode("utf-8", "surrogateescape")
    return (root / out.rstrip("\n")).absolute()


def common_git_dir(root: Path) -> Path:
    """The .git folder shared by every worktree of this clone (where its config lives)."""
    out = _run(root, "rev-parse", "--git-common-dir").decode("utf-8", "surrogateescape")
    return (root / out.rstrip("\n")).absolute()


def write_commit_graph(root: Path) -> None:
    """The commit-graph of every reachable commit, with changed-path (Bloom) filters."""
    _run(root, "commit-graph", "write", "--reachable", "--changed-paths")


def first_parent_commits(root: Path, head: str, path: str) -> list[str]:
    """The commits on `head`'s first-parent line that changed `path`, oldest first."""
    out = _run(root, "log", "--first-parent", "--reverse", "--format=%H", head, "--", path)
    return out.decode().split()


def object_ids(root: Path, names: list[str]) -> dict[str, str | None]:
    """The object id each name (`rev:path`) resolves to, None if it does not exist: one
    `git cat-file --batch-check`."""
    if not names:
        return {}
    out = _run(root, "cat-file", "--batch-check", stdin="".join(f"{n}\n" for n in names).encode())
    ids: dict[str, str | None] = {}
    for name, line in zip(names, out.decode().splitlines(), strict=True):
        parts = line.split()
        ids[name] = parts[0] if len(parts) == 3 and parts[1] == "blob" else None
    return ids


class ObjectReader:
    """Objects read one at a time, on demand, through one long-running `git cat-file --batch`
    (for the few versions a rule reads whole)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.process: subprocess.Popen[bytes] | None = None

    def read(self, name: str) -> bytes | None:
        if "\n" in name:
            return None
        if self.process is None:
            try:
                self.process = subprocess.Popen(
                    ["git", "cat-file", "--batch"],
                    cwd=self.root,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=_env(),
                )
            except FileNotFoundError:
                raise GitError("git is not installed or not on PATH") from None
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(name.encode() + b"\n")
        self.process.stdin.flush()
        header = self.process.stdout.readline().split()
        if len(header) != 3 or header[1] not in (b"blob", b"commit", b"tree", b"tag"):
            return None
        data = self.process.stdout.read(int(header[2]))
        self.process.stdout.read(1)  # the newline after the contents
        return data

    def close(self) -> None:
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None


def run_with(root: Path, args: list[str], env: dict[str, str]) -> str:
    """git with extra environment (the demo office's identities, dates and an empty global
    configuration); its output as text."""
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, env={**_env(), **env}, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else result.returncode}")
    return result.stdout.decode("utf-8", "replace")
