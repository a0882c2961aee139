"""An attachment file's age header judged without keys: the shell reads the head, this decides.

Attachments are whole binary age files (`<date>-<slug>.<ext>.age`) in the case's folder. Their
header is checked like an encrypted section's: recipient-key stanzas only, no passphrase, sizes
bounded. Messages never quote the file.
"""

from __future__ import annotations

from casetrail.core import envelope
from casetrail.core.rules.base import StoredFile

FIRST_READ = 4096  # almost every header fits; a longer one is read on up to HEAD_BYTES
HEAD_BYTES = envelope.MAX_HEADER_BYTES + 128  # the header limit plus its MAC line
_ARMOR = envelope.BEGIN.encode("ascii")


def header_complete(head: bytes) -> bool:
    """Whether `head` holds the whole age header (or is clearly not one)."""
    return not head.startswith(envelope.AGE_MAGIC) or b"\n--- " in head


def header_bytes(head: bytes) -> bytes:
    """The part of `head` that inspect() judges: up to the end of the age header's MAC line
    (all of it if there is none). A verdict cached under a digest of these bytes is exact."""
    end = head.find(b"\n--- ", 0, envelope.MAX_HEADER_BYTES)
    if end == -1:
        return head
    mac_end = head.find(b"\n", end + 5)
    return head if mac_end == -1 else head[: mac_end + 1]


def inspect(path: str, head: bytes) -> StoredFile:
    """The file at `path` whose first bytes are `head` (at most HEAD_BYTES of them)."""
    if head.lstrip(b"\r\n").startswith(_ARMOR):
        return StoredFile(path, problem="is ASCII-armored; attachments are binary age files")
    if not head.startswith(envelope.AGE_MAGIC):
        return StoredFile(path, problem="is not an age-encrypted file; it may be plaintext")
    try:
        found = envelope.parse_binary(head)
    except envelope.EnvelopeError as error:
        return StoredFile(path, problem=str(error))
    return StoredFile(path, tuple(sorted(found.stanza_types)))
