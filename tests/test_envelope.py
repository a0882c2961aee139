"""Encrypted section envelopes: structure without keys, binding, and age CLI interoperability."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest

from casetrail.core import envelope
from casetrail.shell import cipher
from conftest import DEMO_KEYS

ESCROW = DEMO_KEYS / "escrow.agekey"
ESCROW_PUBLIC = ESCROW.read_text().split("public key: ")[1].split()[0]
needs_age = pytest.mark.skipif(
    shutil.which("age") is None,
    reason="the reference age CLI is not installed (apt-get install age; .ci/run installs it)",
)


def section(text: str = "Jane Example, 12 Sample Street") -> envelope.SectionPlaintext:
    return envelope.SectionPlaintext("2026-0000000", "Parties", 3, text)


def armor(data: bytes) -> str:
    encoded = base64.b64encode(data).decode()
    lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    return "\n".join([envelope.BEGIN, *lines, envelope.END])


def test_round_trip_with_several_recipients() -> None:
    recipients = [ESCROW_PUBLIC, "age1c843zgv2r7vkezs4tu45y2f55jjtls0g6xw8ew86qdr5k3ly3y5qkqgxan"]
    block = cipher.encrypt_section(section(), recipients)
    assert envelope.parse_armor(block).recipients == 2
    keys = cipher.Keyring(cipher.load_identities(ESCROW.read_text()))
    assert cipher.decrypt_section(block, keys, "2026-0000000", "Parties") == section()


def test_a_block_from_another_case_or_section_is_refused_without_its_plaintext() -> None:
    block = cipher.encrypt_section(section("CANARY-9931"), [ESCROW_PUBLIC])
    keys = cipher.Keyring(cipher.load_identities(ESCROW.read_text()))
    for case_id, title in (("2026-1111111", "Parties"), ("2026-0000000", "Account")):
        with pytest.raises(cipher.CipherError) as caught:
            cipher.decrypt_section(block, keys, case_id, title)
        assert "written for case 2026-0000000, section 'Parties'" in str(caught.value)
        assert "CANARY" not in str(caught.value)


def test_plaintext_header_is_required() -> None:
    with pytest.raises(envelope.EnvelopeError):
        envelope.parse_plaintext(b"no header at all")
    with pytest.raises(envelope.EnvelopeError):
        envelope.parse_plaintext(b"casetrail-section/1\ncase: x\nsection: y\nrevision: two\n\nz")


def test_passphrase_stanza_is_refused_structurally() -> None:
    import pyrage

    data = pyrage.passphrase.encrypt(b"secret", "correct horse")
    with pytest.raises(envelope.EnvelopeError, match="passphrase"):
        envelope.parse_armor(armor(data))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b + "\ntrailing words", "after the END line"),
        (lambda b: b.replace(envelope.END, ""), "no END line"),
        (
            lambda b: "\n".join(
                line[:32] + "\n" + line[32:] if i == 1 else line
                for i, line in enumerate(b.split("\n"))
            ),
            "not canonical",
        ),
        (
            lambda b: b.replace("\n", "", 2).replace(envelope.BEGIN, envelope.BEGIN + "\n", 1),
            "not canonical",
        ),
        (lambda b: envelope.BEGIN + "\n" + envelope.END, "holds no data"),
    ],
)
def test_malformed_armor_is_refused(mutate: object, message: str) -> None:
    block = cipher.encrypt_section(section(), [ESCROW_PUBLIC])
    assert callable(mutate)
    with pytest.raises(envelope.EnvelopeError, match=message):
        envelope.parse_armor(mutate(block))


def test_unknown_stanza_and_oversized_header_are_refused() -> None:
    mac = "A" * 43
    unknown = f"age-encryption.org/v1\n-> piv-p256 abc\nAAAA\n--- {mac}\n".encode()
    with pytest.raises(envelope.EnvelopeError, match="unsupported"):
        envelope.parse_binary(unknown)
    huge = b"age-encryption.org/v1\n" + b"-> X25519 abc\nAAAA\n" * 10000 + f"--- {mac}\n".encode()
    with pytest.raises(envelope.EnvelopeError, match="larger than"):
        envelope.parse_binary(huge)


@needs_age
def test_casetrail_blocks_decrypt_with_the_age_cli() -> None:
    block = cipher.encrypt_section(section(), [ESCROW_PUBLIC])
    out = subprocess.run(
        ["age", "-d", "-i", str(ESCROW)], input=block.encode(), capture_output=True, check=True
    ).stdout
    assert envelope.parse_plaintext(out) == section()


@needs_age
def test_age_cli_blocks_with_the_header_decrypt_with_casetrail(tmp_path: Path) -> None:
    plain = envelope.format_plaintext(section("written by the age CLI"))
    block = subprocess.run(
        ["age", "-e", "-a", "-r", ESCROW_PUBLIC], input=plain, capture_output=True, check=True
    ).stdout.decode()
    envelope.parse_armor(block)
    keys = cipher.Keyring(cipher.load_identities(ESCROW.read_text()))
    value = cipher.decrypt_section(block.strip(), keys, "2026-0000000", "Parties")
    assert value.text == "written by the age CLI"


def test_key_files_are_read_as_age_reads_them_and_bad_lines_are_not_echoed() -> None:
    text = ESCROW.read_text()
    assert len(cipher.load_identities(text)) == 1  # comments skipped
    with pytest.raises(cipher.CipherError) as caught:
        cipher.load_identities(text + "\nnot-a-key-SECRETVALUE\n")
    assert "the key file: line 5 is not an age identity" in str(caught.value)
    assert "SECRETVALUE" not in str(caught.value)
