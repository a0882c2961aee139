"""Files that must never be committed: private keys, and leftovers of decryption or editing.

Pure functions over names and bytes; the shells list and read the files. Findings name the
file, the line and the kind of key, never the matched text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from casetrail.core.diagnostics import Diagnostic, Finding
from casetrail.core.rules.registry import documented

KEY_MATERIAL = "CT015"
LEFTOVER = "CT016"
EXEMPT_MARK = "DO-NOT-USE"  # a path segment holding this is demo material, committed on purpose
ENCRYPTED_SUFFIX = ".age"

documented(
    KEY_MATERIAL,
    "private-key-material",
    "A file holds a private key (age secret key or plugin identity, OpenSSH, PEM or PGP).",
    "repository",
)
documented(
    LEFTOVER,
    "leftover-file",
    "A leftover of decryption or editing (*.dec, backups, swap files, plaintext of an attachment).",
    "repository",
)

_BECH32 = rb"[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]"  # age writes its keys in upper case
# An armor line counts only with a key body after it (base64, or a PEM/PGP header line), on
# the next line or after a "\n" escape (a key inside JSON): code and docs that merely name
# the marker are not keys.
_BODY = rb"(?:\r?\n|\\n)[ \t>]*(?:(?:\r?\n|\\n)[ \t>]*)?(?:[A-Za-z0-9+/]{16}|[A-Za-z-]+: )"
# The markers are spelled with a character class ([-], [ ]) so that this source never holds
# them literally: secret scanners (a forge's, or a records office's own) would flag it.
_KEYS = re.compile(
    rb"(?P<age>AGE-SECRET-KEY[-]1" + _BECH32 + rb"{50,})"
    rb"|(?P<plugin>AGE-PLUGIN[-][A-Z0-9._+-]+?-1" + _BECH32 + rb"{20,})"
    rb"|(?P<openssh>-----BEGIN OPENSSH PRIVATE[ ]KEY-----" + _BODY + rb")"
    rb"|(?P<pem>-----BEGIN (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE[ ]KEY-----" + _BODY + rb")"
    rb"|(?P<pgp>-----BEGIN PGP PRIVATE[ ]KEY BLOCK-----" + _BODY + rb")"
)
# Two substring tests first (each a few microseconds for a case file): the regular expression
# runs only on a file holding one of them. Base64 armor has no "-", so "AGE-" is rare.
_MARKERS = (b"AGE-", b"PRIVATE" + b" KEY")
KINDS = {
    "age": "an age secret key",
    "plugin": "an age plugin identity",
    "openssh": "an OpenSSH private key",
    "pem": "a PEM private key",
    "pgp": "a PGP private key",
}
_OVERLAP = 512  # bytes kept between chunks: longer than any marker plus its minimum key body
KEY_HINT = (
    "remove the key from the repository and keep it in a key file outside it; if it was ever "
    "committed or pushed, treat it as compromised: replace it in schema/roster.yaml and rekey"
)


def exempt(path: str) -> bool:
    """Demo keys committed on purpose live under a folder named DO-NOT-USE."""
    return any(EXEMPT_MARK in segment for segment in path.split("/"))


def find_keys(data: bytes) -> list[tuple[int, str]]:
    """(byte offset, kind) of every private key in `data`; kind is a key of KINDS."""
    if not any(marker in data for marker in _MARKERS):
        return []
    return [(m.start(), str(m.lastgroup)) for m in _KEYS.finditer(data)]


def key_lines(data: bytes) -> list[tuple[int, str]]:
    """(1-based line, kind) of every private key in a whole file's bytes."""
    return [(data.count(b"\n", 0, offset) + 1, kind) for offset, kind in find_keys(data)]


@dataclass(slots=True)
class KeyScanner:
    """find_keys over a file read in chunks, with file line numbers: a short tail of each chunk
    is kept, so a key cut by a chunk boundary is still found (and found once)."""

    found: list[tuple[int, str]] = field(default_factory=list)
    _tail: bytes = b""
    _offset: int = 0  # file offset of the tail's first byte
    _line: int = 1  # file line of the tail's first byte
    _seen: set[int] = field(default_factory=set)

    def feed(self, chunk: bytes) -> None:
        buffer = self._tail + chunk
        for offset, kind in find_keys(buffer):
            if self._offset + offset not in self._seen:
                self._seen.add(self._offset + offset)
                self.found.append((self._line + buffer.count(b"\n", 0, offset), kind))
        cut = max(0, len(buffer) - _OVERLAP)
        self._line += buffer.count(b"\n", 0, cut)
        self._offset += cut
        self._tail = buffer[cut:]


def key_findings(data: bytes) -> list[Finding]:
    """CT015 for a case file, read whole by the per-file check (so its result is cached)."""
    return [
        Finding(
            KEY_MATERIAL,
            f"holds {KINDS[kind]} (not shown); private keys never belong in a case file",
            line=line,
            hint=KEY_HINT,
        )
        for line, kind in key_lines(data)
    ]


def key_diagnostics(path: str, found: list[tuple[int, str]]) -> list[Diagnostic]:
    """CT015 for any other file of the work tree."""
    return [
        Diagnostic(
            path,
            line,
            1,
            KEY_MATERIAL,
            f"{path} holds {KINDS[kind]} (not shown); private keys never belong in the repository",
            hint=KEY_HINT,
        )
        for line, kind in sorted(set(found))
    ]


_DECRYPTED = "is a decrypted copy (*.dec, *.dec.md); it may hold the plaintext of encrypted data"
_BACKUP = "is a backup or merge leftover (*~, *.bak, *.orig, *.rej); it may hold plaintext"
_SWAP = "is an editor swap, lock or autosave file; it may hold plaintext"


# Every name classify() may call a leftover matches this (the walk of cases/ tests it first).
SUSPECT = re.compile(r"(?:\.dec|\.dec\.md|\.bak|\.orig|\.rej|\.sw[pon]|~)\Z|\A\.?#", re.I)


def classify(path: str, encrypted_twin: bool = False) -> str | None:
    """Why `path` looks like a leftover of decryption or editing, or None.
    `encrypted_twin`: the same name with .age added exists beside it."""
    name = path.rsplit("/", 1)[-1]
    if not encrypted_twin and SUSPECT.search(name) is None:
        return None  # the common case, in one step
    lower = name.lower()
    if lower.endswith((".dec", ".dec.md")):
        return _DECRYPTED
    if name.endswith("~") or lower.endswith((".bak", ".orig", ".rej")):
        return _BACKUP
    if name.startswith(".") and lower.endswith((".swp", ".swo", ".swn")):
        return _SWAP
    if name.startswith(".#") or (len(name) > 2 and name.startswith("#") and name.endswith("#")):
        return _SWAP
    if encrypted_twin:
        return f"is the plaintext of the encrypted attachment {name}{ENCRYPTED_SUFFIX} beside it"
    return None


def leftovers(paths: list[str]) -> list[tuple[str, str]]:
    """(path, why) for every leftover among `paths` (a listing of the work tree)."""
    present = set(paths)
    found = []
    for path in paths:
        why = classify(path, path + ENCRYPTED_SUFFIX in present)
        if why is not None:
            found.append((path, why))
    return found


LEFTOVER_HINT = (
    "delete it; it must never be committed (if it is staged: git rm --cached; if it was "
    "pushed, tell the records office)"
)


def leftover_diagnostic(path: str, why: str) -> Diagnostic:
    return Diagnostic(path, 1, 1, LEFTOVER, f"{path} {why}", hint=LEFTOVER_HINT)
