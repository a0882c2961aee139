"""The only module that touches keys: age encryption through pyrage."""

from __future__ import annotations

from collections.abc import Iterable

from casetrail.core import envelope


class CipherError(Exception):
    pass


def _recipient(text: str) -> object:
    import pyrage

    try:
        if text.startswith("age1"):
            return pyrage.x25519.Recipient.from_str(text)
        return pyrage.ssh.Recipient.from_str(text)
    except pyrage.RecipientError:
        raise CipherError(f"not a valid age recipient: {text[:24]}...") from None


def encrypt_section(value: envelope.SectionPlaintext, recipients: Iterable[str]) -> str:
    """An armored age block of the section's plaintext with its binding header."""
    import pyrage

    keys = [_recipient(r) for r in sorted(set(recipients))]
    if not keys:
        raise CipherError("no recipients: nobody could ever read this section")
    armored: bytes = pyrage.encrypt(envelope.format_plaintext(value), keys, armored=True)
    return armored.decode("ascii").rstrip("\n")


def decrypt_section(
    armored: str, identities: list[object], case_id: str, section: str
) -> envelope.SectionPlaintext:
    """Decrypt a block and refuse it unless its header binds it to this case and section."""
    import pyrage

    envelope.parse_armor(armored)
    try:
        data: bytes = pyrage.decrypt(armored.encode("ascii"), identities)
    except pyrage.DecryptError:
        raise CipherError(
            f"section '{section}': none of the given identities can decrypt it"
        ) from None
    value = envelope.parse_plaintext(data)
    if (value.case_id, value.section) != (case_id, section):
        raise CipherError(
            f"section '{section}' holds a block written for case {value.case_id}, "
            f"section '{value.section}'; refusing to use it here"
        )
    return value


def load_identities(text: str) -> list[object]:
    """age identities from a key file's text, read as age reads it: '#' starts a comment,
    blank lines are skipped, every other line is one identity."""
    import pyrage

    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            found.append(pyrage.x25519.Identity.from_str(line))
        except pyrage.IdentityError:  # never echo the line: it may be a key
            raise CipherError(f"line {number} of the key file is not an age identity") from None
    return found
