"""Encrypted sections without keys: armor syntax, age header structure, and the plaintext header.

A sensitive section is exactly one ASCII-armored age file. Its plaintext begins with a small
header naming the case, the section and a revision; age has no associated data, so this header is
what stops a block pasted from another case from decrypting "cleanly" in the wrong place.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----"
END = "-----END AGE ENCRYPTED FILE-----"
AGE_MAGIC = b"age-encryption.org/v1\n"
MAX_HEADER_BYTES = 64 * 1024
MAX_STANZAS = 256
ALLOWED_STANZAS = {"X25519": 1, "ssh-ed25519": 2}  # type -> number of arguments
PLAINTEXT_MAGIC = "casetrail-section/1"

_B64_LINE = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_STANZA_NAME = re.compile(r"^[A-Za-z0-9._+-]{1,40}$")  # shown in messages only if it is this plain


class EnvelopeError(ValueError):
    """A block that is not a canonical age armor; the message never quotes its content."""


@dataclass(frozen=True, slots=True)
class Envelope:
    stanza_types: tuple[str, ...]
    payload_bytes: int

    @property
    def recipients(self) -> int:
        return len(self.stanza_types)

    @property
    def readers(self) -> str:
        """How a block is shown to someone without a key (never more than this)."""
        count = self.recipients
        return f"encrypted for {count} recipient{'' if count == 1 else 's'}"


def looks_armored(text: str) -> bool:
    return text.lstrip("\n").startswith(BEGIN)


def parse_armor(text: str) -> Envelope:
    """Check one canonical armored age file (surrounding blank lines allowed)."""
    lines = text.strip("\n").split("\n")
    if not lines or lines[0] != BEGIN:
        raise EnvelopeError("does not start with the age armor line")
    if END not in lines:
        raise EnvelopeError("has no END line of the age armor")
    end = lines.index(END)
    if end != len(lines) - 1:
        raise EnvelopeError("has text after the END line of the age armor")
    body = lines[1:end]
    if not body:
        raise EnvelopeError("armor holds no data")
    for number, line in enumerate(body, start=1):
        last = number == len(body)
        if not _B64_LINE.match(line) or (len(line) != 64 and not last) or len(line) > 64:
            raise EnvelopeError(f"armor line {number} is not canonical base64 of 64 columns")
    try:
        data = base64.b64decode("".join(body), validate=True)
    except binascii.Error:
        raise EnvelopeError("armor is not valid base64") from None
    if base64.b64encode(data).decode() != "".join(body):
        raise EnvelopeError("armor base64 is not canonical")
    return parse_binary(data)


def parse_binary(data: bytes) -> Envelope:
    """The age v1 header's structure: stanza types and argument counts, sizes bounded."""
    if not data.startswith(AGE_MAGIC):
        raise EnvelopeError("is not an age v1 file")
    end = data.find(b"\n--- ", 0, MAX_HEADER_BYTES)
    if end == -1:
        raise EnvelopeError(f"age header is missing or larger than {MAX_HEADER_BYTES} bytes")
    try:
        header = data[len(AGE_MAGIC) : end + 1].decode("ascii")
    except UnicodeDecodeError:
        raise EnvelopeError("age header is not ASCII") from None
    types: list[str] = []
    for line in header.split("\n")[:-1]:
        if line.startswith("-> "):
            words = line[3:].split(" ")
            kind = words[0]
            if kind.endswith("-grease"):
                continue  # age implementations add random "grease" stanzas; they name nobody
            if kind == "scrypt":
                raise EnvelopeError(
                    "uses a passphrase (scrypt) stanza; only recipient keys are allowed"
                )
            if ALLOWED_STANZAS.get(kind) != len(words) - 1:
                shown = kind[:20] if _STANZA_NAME.match(kind) else "(unprintable)"
                raise EnvelopeError(f"has an unsupported or malformed recipient stanza '{shown}'")
            types.append(kind)
            if len(types) > MAX_STANZAS:
                raise EnvelopeError(f"has more than {MAX_STANZAS} recipient stanzas")
        elif len(line) > 64 or not _B64_LINE.match(line):
            raise EnvelopeError("age header has a malformed stanza body line")
    if not types:
        raise EnvelopeError("has no recipient stanzas")
    mac_end = data.find(b"\n", end + 5)
    if mac_end == -1 or mac_end - (end + 5) != 43:
        raise EnvelopeError("age header MAC line is malformed")
    return Envelope(tuple(types), len(data) - mac_end - 1)


@dataclass(frozen=True, slots=True)
class SectionPlaintext:
    """A section's text with its binding: the case, the section, a revision counted up on every
    change of the text, and the fingerprint of the recipient set it was encrypted to (so `rekey`
    knows, after decrypting, whether the set has changed since)."""

    case_id: str
    section: str
    revision: int
    text: str
    keyset: str = ""


def format_plaintext(value: SectionPlaintext) -> bytes:
    keyset = f"keyset: {value.keyset}\n" if value.keyset else ""
    header = (
        f"{PLAINTEXT_MAGIC}\ncase: {value.case_id}\nsection: {value.section}\n"
        f"revision: {value.revision}\n{keyset}\n"
    )
    return (header + value.text).encode("utf-8")


def parse_plaintext(data: bytes) -> SectionPlaintext:
    """Read the binding header; raises EnvelopeError without quoting the text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise EnvelopeError("decrypted section is not UTF-8") from None
    head, sep, rest = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or len(lines) not in (4, 5) or lines[0] != PLAINTEXT_MAGIC:
        raise EnvelopeError("decrypted section has no casetrail binding header")
    fields = dict(line.partition(": ")[::2] for line in lines[1:])
    names = {"case", "section", "revision"} | ({"keyset"} if len(lines) == 5 else set())
    if set(fields) != names or not fields["revision"].isdigit():
        raise EnvelopeError("decrypted section has a malformed binding header")
    return SectionPlaintext(
        fields["case"],
        fields["section"],
        int(fields["revision"]),
        rest,
        fields.get("keyset", ""),
    )
