"""The only module that touches keys: age encryption through pyrage.

With `CASETRAIL_DEMO_SEED` set (the reproducible fictional demo office, see shell/demoseed.py),
encryption goes instead through a deterministic age v1 X25519 encryptor
(shell/agedeterministic.py) with bytes derived from the seed, and only to the demo office's
public keys: any other recipient is refused, never encrypted to deterministically nor silently
handed to pyrage. Decryption is always pyrage's.

Every decryption first checks the age header's structure without keys (no passphrase stanzas,
bounded header and stanza count) and refuses inputs larger than a fixed size, so a hostile block
costs bounded time and memory. Messages name the block and the key sources tried, never a key
and never plaintext.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from casetrail.core import envelope
from casetrail.shell import demoseed
from casetrail.shell.keysource import KeySource, describe_sources

MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024  # a document larger than this belongs elsewhere
_SSH_KEY_FILE = "-----BEGIN OPENSSH "  # how an OpenSSH private key file starts


class CipherError(Exception):
    pass


class NoMatchingKey(CipherError):
    """Keys were found, but none of them is a recipient of this block or file."""


@dataclass(frozen=True, slots=True)
class Keyring:
    """Parsed identities and the names of the sources they came from (for messages)."""

    identities: list[object] = field(default_factory=list)
    sources: tuple[str, ...] = ()
    cases: tuple[str, ...] = ()  # the cases whose per-case key this ring already holds

    def __bool__(self) -> bool:
        return bool(self.identities)

    def tried(self) -> str:
        return ", ".join(self.sources) if self.sources else "no key sources were found"


def recipient(text: str) -> object:
    """An age recipient (X25519 or SSH) parsed by pyrage."""
    import pyrage

    try:
        if text.startswith("age1"):
            return pyrage.x25519.Recipient.from_str(text)
        return pyrage.ssh.Recipient.from_str(text)
    except pyrage.RecipientError:
        raise CipherError(f"not a valid age recipient: {text[:24]}...") from None


def public_of(identity: object) -> str:
    """The age recipient of an X25519 identity (a per-case key is checked against its case)."""
    return str(identity.to_public())  # type: ignore[attr-defined]


def throwaway_recipient() -> str:
    """The recipient of a fresh key nobody keeps (a dry run shows what a case would look like)."""
    import pyrage

    return str(pyrage.x25519.Identity.generate().to_public())


def _recipients(keys: Iterable[str]) -> list[object]:
    parsed = [recipient(r) for r in sorted(set(keys))]
    if not parsed:
        raise CipherError("no recipients: nobody could ever read this")
    return parsed


def _demo_encrypt(data: bytes, recipients: Iterable[str], armored: bool) -> bytes:
    """age v1 bytes drawn from the demo seed: the same plaintext to the same recipients gives
    the same bytes. Only for the demo office's keys; anything else is refused."""
    wanted = sorted(set(recipients))  # sorted: the stanza order is part of the bytes
    if not wanted:
        raise CipherError("no recipients: nobody could ever read this")
    for key in wanted:
        if not demoseed.is_demo_recipient(key):
            kind = "an ssh recipient" if key.startswith("ssh-") else "the recipient"
            raise CipherError(
                f"{demoseed.SEED_VARIABLE} is for the fictional demo office only: "
                f"{kind} {key[:24]}... is not a demo key; unset {demoseed.SEED_VARIABLE} "
                "to encrypt for real people"
            )
    from casetrail.shell import agedeterministic as agedet

    purpose = (
        b"casetrail-demo/age-v1\0"
        + hashlib.sha256(data).digest()
        + hashlib.sha256("\n".join(wanted).encode("ascii")).digest()
    )
    drawn = demoseed.random_bytes(
        purpose, agedet.FILE_KEY_BYTES + agedet.SECRET_BYTES * len(wanted) + agedet.NONCE_BYTES
    )
    file_key, rest = drawn[: agedet.FILE_KEY_BYTES], drawn[agedet.FILE_KEY_BYTES :]
    size = agedet.SECRET_BYTES
    ephemerals = [rest[i * size : (i + 1) * size] for i in range(len(wanted))]
    nonce = rest[len(wanted) * size :]
    try:
        keys = [agedet.recipient_key(key) for key in wanted]
        encrypted = agedet.encrypt(data, keys, file_key, ephemerals, nonce)
    except agedet.AgeFormatError as error:
        raise CipherError(f"demo encryption: {error}") from None
    return agedet.armor(encrypted) if armored else encrypted


def _encrypt(data: bytes, recipients: Iterable[str], armored: bool) -> bytes:
    if demoseed.seed() is not None:
        return _demo_encrypt(data, recipients, armored)
    import pyrage

    encrypted: bytes = pyrage.encrypt(data, _recipients(recipients), armored=armored)
    return encrypted


def encrypt_section(value: envelope.SectionPlaintext, recipients: Iterable[str]) -> str:
    """An armored age block of the section's plaintext with its binding header."""
    armored = _encrypt(envelope.format_plaintext(value), recipients, armored=True)
    return armored.decode("ascii").rstrip("\n")


def encrypt_file(data: bytes, recipients: Iterable[str]) -> bytes:
    """A binary age file (a document), decryptable with `age -d`."""
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise CipherError(f"the file is larger than {MAX_ATTACHMENT_BYTES:,} bytes")
    return _encrypt(data, recipients, armored=False)


def _decrypt(data: bytes, keyring: Keyring, what: str) -> bytes:
    import pyrage

    if not keyring:
        raise CipherError(f"{what}: no decryption key was found; " + describe_sources())
    try:
        plain: bytes = pyrage.decrypt(data, keyring.identities)
    except pyrage.DecryptError:
        raise NoMatchingKey(
            f"{what}: none of the keys tried can decrypt it (tried {keyring.tried()})"
        ) from None
    return plain


def decrypt_section(
    armored: str, keyring: Keyring, case_id: str, section: str
) -> envelope.SectionPlaintext:
    """Decrypt a block and refuse it unless its header binds it to this case and section."""
    try:
        envelope.parse_armor(armored)
    except envelope.EnvelopeError as error:
        raise CipherError(f"section '{section}': the encrypted block {error}") from None
    data = _decrypt(armored.encode("ascii"), keyring, f"section '{section}'")
    try:
        value = envelope.parse_plaintext(data)
    except envelope.EnvelopeError as error:
        raise CipherError(f"section '{section}': {error}") from None
    if (value.case_id, value.section) != (case_id, section):
        raise CipherError(
            f"section '{section}' holds a block written for case {value.case_id}, "
            f"section '{value.section}'; refusing to use it here"
        )
    return value


def decrypt_file(data: bytes, keyring: Keyring, what: str) -> bytes:
    """A binary age file's plaintext (structure checked first, size bounded)."""
    if len(data) > MAX_ATTACHMENT_BYTES + 64 * 1024:
        raise CipherError(f"{what}: larger than any document casetrail writes; not decrypting")
    try:
        envelope.parse_binary(data)
    except envelope.EnvelopeError as error:
        raise CipherError(f"{what} {error}") from None
    return _decrypt(data, keyring, what)


def load_identities(text: str, label: str = "the key file") -> list[object]:
    """age identities from a key file's text, read as age reads it: '#' starts a comment,
    blank lines are skipped, every other line is one identity. An OpenSSH ed25519 private key
    file is one identity."""
    import pyrage

    if text.lstrip().startswith(_SSH_KEY_FILE):
        try:
            return [pyrage.ssh.Identity.from_buffer(text.encode())]
        except pyrage.IdentityError:  # passphrase-protected or not ed25519
            raise CipherError(
                f"{label}: an SSH key casetrail cannot use (it must be an unencrypted "
                "ssh-ed25519 key; decrypt a copy with ssh-keygen -p into a private folder)"
            ) from None
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            found.append(pyrage.x25519.Identity.from_str(line))
        except pyrage.IdentityError:  # never echo the line: it may be a key
            raise CipherError(f"{label}: line {number} is not an age identity") from None
    return found


def keyring(sources: list[KeySource]) -> Keyring:
    """Identities from the gathered key sources."""
    identities: list[object] = []
    for source in sources:
        try:
            text = source.text.decode("utf-8")
        except UnicodeDecodeError:
            raise CipherError(f"{source.label}: not a text key file") from None
        identities += load_identities(text, source.label)
    return Keyring(identities, tuple(s.label for s in sources))
