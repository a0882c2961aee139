"""The user's editor on a private temporary file: the one place decrypted text touches a disk.

The file lives in a folder only the user can open (0700, file 0600), on a RAM-backed file system
where one exists (/dev/shm, $XDG_RUNTIME_DIR), never inside the repository, and the folder (with
any swap or backup files the editor made) is removed when the edit ends, however it ends.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

RAM_FOLDERS = ("/dev/shm", os.environ.get("XDG_RUNTIME_DIR") or "")


class EditorError(Exception):
    pass


def _private_base(root: Path) -> str | None:
    for folder in RAM_FOLDERS:
        usable = folder and os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)
        if usable and not Path(folder).resolve().is_relative_to(root.resolve()):
            return folder
    return None  # the system temporary folder


@contextlib.contextmanager
def private_file(root: Path, name: str) -> Iterator[Path]:
    """A path for a private file outside `root`; everything near it is removed afterwards,
    also when the process is asked to stop (SIGTERM, SIGHUP become KeyboardInterrupt)."""
    folder = Path(tempfile.mkdtemp(prefix="casetrail-edit-", dir=_private_base(root)))
    if folder.resolve().is_relative_to(root.resolve()):
        shutil.rmtree(folder, ignore_errors=True)
        raise EditorError("the temporary folder would be inside the repository; set TMPDIR")
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    for sig in previous:
        signal.signal(sig, interrupt)
    try:
        os.chmod(folder, 0o700)
        yield folder / name
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def command() -> list[str]:
    chosen = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        words = shlex.split(chosen)
    except ValueError:
        raise EditorError(f"$VISUAL/$EDITOR {chosen!r} has unbalanced quotes") from None
    if not words:
        raise EditorError("$VISUAL/$EDITOR is empty")
    return words


def run(path: Path) -> bool:
    """Open the editor on `path`; False when it exited with an error (an abandoned edit)."""
    words = command()
    try:
        done = subprocess.run([*words, str(path)], check=False)
    except FileNotFoundError:
        raise EditorError(f"editor {words[0]!r} not found; set $VISUAL or $EDITOR") from None
    return done.returncode == 0
