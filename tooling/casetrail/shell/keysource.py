"""Where decryption keys come from, the way age and sops users expect; never the command line.

In order: each `-i FILE` (`-` is standard input), then the file named by CASETRAIL_AGE_KEY_FILE,
then the output of the command named by CASETRAIL_AGE_KEY_CMD (a password manager, say), then
age's own default `~/.config/casetrail/keys.txt`. Every source found is used; none is required
until something has to be decrypted. This module reads key text; only `cipher` parses it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

FILE_VARIABLE = "CASETRAIL_AGE_KEY_FILE"
COMMAND_VARIABLE = "CASETRAIL_AGE_KEY_CMD"
DEFAULT_FILE = Path("~/.config/casetrail/keys.txt")
MAX_KEY_FILE_BYTES = 256 * 1024  # a key file is a few lines; a huge one is a mistake
COMMAND_TIMEOUT_SECONDS = 60


class KeySourceError(Exception):
    """A key source that was named but could not be read; the message names it, never its text."""


@dataclass(frozen=True, slots=True)
class KeySource:
    label: str  # how the source is named in messages: a path, a variable, "standard input"
    text: bytes


def _read_file(path: Path, label: str) -> KeySource:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
    except FileNotFoundError:
        raise KeySourceError(f"{label}: no such key file") from None
    except IsADirectoryError:
        raise KeySourceError(f"{label}: is a folder, not a key file") from None
    except OSError as error:
        raise KeySourceError(f"{label}: cannot read it ({error.strerror})") from None
    if len(data) > MAX_KEY_FILE_BYTES:
        raise KeySourceError(f"{label}: larger than {MAX_KEY_FILE_BYTES:,} bytes; not a key file")
    return KeySource(label, data)


def _run_command(command: str) -> KeySource:
    try:
        words = shlex.split(command)
    except ValueError:
        raise KeySourceError(f"{COMMAND_VARIABLE}: unbalanced quotes in the command") from None
    if not words:
        raise KeySourceError(f"{COMMAND_VARIABLE}: the variable is set but empty")
    label = f"{COMMAND_VARIABLE} ({words[0]})"
    try:
        done = subprocess.run(
            words,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        raise KeySourceError(f"{label}: command not found") from None
    except subprocess.TimeoutExpired:
        raise KeySourceError(
            f"{label}: no answer within {COMMAND_TIMEOUT_SECONDS} s; stopped it"
        ) from None
    if done.returncode != 0:  # its stderr may say why (locked vault); its stdout stays private
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise KeySourceError(f"{label}: exited with {done.returncode} {reason[0][:200]}".rstrip())
    return KeySource(label, done.stdout[:MAX_KEY_FILE_BYTES])


def gather(given: tuple[str, ...] = ()) -> list[KeySource]:
    """Every key source available now, in the documented order."""
    sources = []
    for name in given:
        if name == "-":
            sources.append(KeySource("standard input", sys.stdin.buffer.read(MAX_KEY_FILE_BYTES)))
        else:
            sources.append(_read_file(Path(name).expanduser(), f"-i {name}"))
    named = os.environ.get(FILE_VARIABLE)
    if named:
        sources.append(_read_file(Path(named).expanduser(), f"{FILE_VARIABLE}={named}"))
    command = os.environ.get(COMMAND_VARIABLE)
    if command:
        sources.append(_run_command(command))
    default = DEFAULT_FILE.expanduser()
    if not sources and default.is_file():
        sources.append(_read_file(default, str(DEFAULT_FILE)))
    return sources


def describe_sources() -> str:
    """What the user can do when no key was found."""
    return (
        f"give a key with -i FILE, set {FILE_VARIABLE} to a key file, set {COMMAND_VARIABLE} "
        f"to a command that prints one, or put it in {DEFAULT_FILE}"
    )
