"""The demo seed: reproducible IDs and age encryption for the fictional demo office only.

With CASETRAIL_DEMO_SEED set, the same inputs give the same bytes (so `casetrail demo` can be
rebuilt byte for byte), the output is real age v1 that pyrage and the reference `age` CLI
decrypt, and any recipient that is not one of the published demo keys is refused outright.
Without the seed, encryption is pyrage's and random as before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import subprocess
from pathlib import Path

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from casetrail.core import envelope
from casetrail.shell import agedeterministic as agedet
from casetrail.shell import cipher, demoseed
from conftest import DEMO_KEYS, NEW_CASE, PROJECT, Records
from test_envelope import needs_age

KEY_FILES = sorted(DEMO_KEYS.glob("*.agekey"))
SEED = "fictional-office-2026"
CASE_ID = "2026-0000000"
TEXT = "Jane Example, 12 Sample Street, CANARY-d3m0\n"
READERS = ("amartin", "bkoch", "fweber", "gharris", "escrow")


def public(path: Path) -> str:
    return path.read_text().split("# public key: ")[1].split()[0]


def identity_line(path: Path) -> str:
    return next(line for line in path.read_text().splitlines() if line.startswith("AGE-SECRET"))


def recipients(*handles: str) -> list[str]:
    return [public(DEMO_KEYS / f"{handle}.agekey") for handle in handles]


def ring(handle: str) -> cipher.Keyring:
    return cipher.Keyring(cipher.load_identities((DEMO_KEYS / f"{handle}.agekey").read_text()))


def section(text: str = TEXT, revision: int = 1) -> envelope.SectionPlaintext:
    return envelope.SectionPlaintext(CASE_ID, "Parties", revision, text)


def age_decrypt(handle: str, data: bytes) -> bytes:
    return subprocess.run(
        ["age", "-d", "-i", str(DEMO_KEYS / f"{handle}.agekey")],
        input=data,
        capture_output=True,
        check=True,
    ).stdout


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(demoseed.SEED_VARIABLE, SEED)


@pytest.fixture(autouse=True)
def unseeded_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(demoseed.SEED_VARIABLE, raising=False)


# ---- the constant and the keys ----


def test_demo_recipients_are_exactly_the_public_keys_of_the_demo_folder() -> None:
    assert len(KEY_FILES) == 10  # nine people and the records office's escrow
    assert frozenset(public(path) for path in KEY_FILES) == demoseed.DEMO_RECIPIENTS
    for path in KEY_FILES:  # and each file's comment is the public half of its own identity
        identity = pyrage.x25519.Identity.from_str(identity_line(path))
        assert str(identity.to_public()) == public(path), path.name


def test_bech32_maps_every_demo_identity_to_its_recipient() -> None:
    for path in KEY_FILES:
        hrp, secret = agedet.bech32_decode(identity_line(path))
        assert (hrp, len(secret)) == ("age-secret-key-", 32)
        assert agedet.bech32_encode(hrp, secret).upper() == identity_line(path)
        share = X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes_raw()
        assert agedet.bech32_encode("age", share) == public(path)
        assert agedet.recipient_key(public(path)) == share


def test_bech32_agrees_with_pyrage_on_fresh_keys_and_the_spec_example() -> None:
    for _ in range(20):
        identity = pyrage.x25519.Identity.generate()
        _, secret = agedet.bech32_decode(str(identity))
        share = X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes_raw()
        assert agedet.bech32_encode("age", share) == str(identity.to_public())
    # c2sp.org/age, "The X25519 recipient type"
    example = (DEMO_KEYS / "age-spec-example.key").read_text().splitlines()[-1]  # kept with keys
    _, secret = agedet.bech32_decode(example)
    share = X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes_raw()
    assert agedet.recipient_key(
        "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"
    ) == (share)


def test_bech32_refuses_what_is_not_a_recipient() -> None:
    good = public(DEMO_KEYS / "escrow.agekey")
    swapped = good[:10] + ("q" if good[10] != "q" else "p") + good[11:]
    for bad, message in (
        (swapped, "checksum"),
        (good[:-1], "checksum"),
        (good.upper(), "lower case"),
        (good[:8] + good[8:].upper(), "lower case"),
        ("age1" + "b" * 58, "alphabet"),
        ("age", "not a Bech32 string"),
        (identity_line(DEMO_KEYS / "escrow.agekey").lower(), "not an age X25519 recipient"),
        (agedet.bech32_encode("age", bytes(31)), "not an age X25519 recipient"),
    ):
        with pytest.raises(agedet.AgeFormatError, match=message):
            agedet.recipient_key(bad)


# ---- the seeded random source ----


def test_random_bytes_is_hmac_sha256_in_counter_mode_of_the_seed(seeded: None) -> None:
    purpose = b"casetrail-test/purpose"
    expected = b"".join(
        hmac.new(SEED.encode(), purpose + i.to_bytes(4, "big"), hashlib.sha256).digest()
        for i in range(4)
    )
    for n in (0, 1, 32, 33, 100, 128):
        assert demoseed.random_bytes(purpose, n) == expected[:n]
    assert demoseed.random_bytes(purpose, 16) != demoseed.random_bytes(b"other purpose", 16)


def test_random_bytes_differ_by_seed_and_come_from_the_os_without_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert demoseed.seed() is None
    assert demoseed.random_bytes(b"x", 16) != demoseed.random_bytes(b"x", 16)
    monkeypatch.setenv(demoseed.SEED_VARIABLE, "")  # empty is unset
    assert demoseed.seed() is None
    assert demoseed.random_bytes(b"x", 16) != demoseed.random_bytes(b"x", 16)
    monkeypatch.setenv(demoseed.SEED_VARIABLE, "one")
    first = demoseed.random_bytes(b"x", 16)
    assert first == demoseed.random_bytes(b"x", 16)
    monkeypatch.setenv(demoseed.SEED_VARIABLE, "two")
    assert demoseed.random_bytes(b"x", 16) != first


# ---- sections ----


def test_seeded_sections_are_identical_for_the_same_inputs_and_differ_otherwise(
    seeded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = recipients(*READERS)
    block = cipher.encrypt_section(section(), keys)
    assert cipher.encrypt_section(section(), keys) == block
    assert cipher.encrypt_section(section(), reversed(keys)) == block  # order given is irrelevant
    assert cipher.encrypt_section(section(), [*keys, keys[0]]) == block  # so are duplicates
    others = {
        cipher.encrypt_section(section("Another text\n"), keys),
        cipher.encrypt_section(section(revision=2), keys),
        cipher.encrypt_section(section(), keys[:-1]),
        cipher.encrypt_section(section(), recipients("cnguyen", "escrow")),
    }
    assert block not in others and len(others) == 4
    monkeypatch.setenv(demoseed.SEED_VARIABLE, SEED + "-other")
    assert cipher.encrypt_section(section(), keys) != block


def test_seeded_sections_round_trip_through_casetrail_for_every_reader_only(seeded: None) -> None:
    block = cipher.encrypt_section(section(), recipients(*READERS))
    shape = envelope.parse_armor(block)
    assert shape.stanza_types == ("X25519",) * len(READERS)
    for handle in READERS:
        assert cipher.decrypt_section(block, ring(handle), CASE_ID, "Parties") == section()
    with pytest.raises(cipher.NoMatchingKey):
        cipher.decrypt_section(block, ring("cnguyen"), CASE_ID, "Parties")


def test_seeded_stanzas_are_in_sorted_recipient_order_and_follow_the_spec(seeded: None) -> None:
    """Unwrap each stanza by hand with the spec's X25519 recipe: stanza i opens with the key
    of the i-th recipient in sorted order, and all of them hold the same 16-byte file key."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    secrets = {public(p): agedet.bech32_decode(identity_line(p))[1] for p in KEY_FILES}
    keys = sorted(recipients(*READERS))
    data = cipher.encrypt_file(b"order", list(reversed(keys)))
    lines = data.split(b"\n---", 1)[0].split(b"\n")[1:]
    assert len(lines) == 2 * len(keys)
    file_keys = set()
    for key, arg_line, body_line in zip(keys, lines[::2], lines[1::2], strict=True):
        assert arg_line.startswith(b"-> X25519 ") and len(body_line) == 43
        share = base64.b64decode(arg_line[10:] + b"=")
        body = base64.b64decode(body_line + b"=")
        identity = X25519PrivateKey.from_private_bytes(secrets[key])
        shared = identity.exchange(X25519PublicKey.from_public_bytes(share))
        salt = share + agedet.recipient_key(key)
        wrap = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=salt, info=b"age-encryption.org/v1/X25519"
        ).derive(shared)
        file_keys.add(ChaCha20Poly1305(wrap).decrypt(bytes(12), body, None))
    assert len(file_keys) == 1 and len(file_keys.pop()) == 16


def test_stanza_bodies_wrap_at_64_columns_and_end_with_a_short_line() -> None:
    """X25519 bodies are always 43 columns; other lengths follow the spec's grammar."""
    assert agedet.body_lines(b"") == b"\n"
    assert agedet.body_lines(bytes(32)) == b"A" * 43 + b"\n"
    assert agedet.body_lines(bytes(48)) == b"A" * 64 + b"\n\n"  # a full line, then an empty one
    assert agedet.body_lines(bytes(49)) == b"A" * 64 + b"\n" + b"AA\n"
    assert agedet.body_lines(bytes(96)) == (b"A" * 64 + b"\n") * 2 + b"\n"


def test_the_armor_is_byte_for_byte_what_pyrage_writes() -> None:
    recipient = pyrage.x25519.Recipient.from_str(public(DEMO_KEYS / "escrow.agekey"))
    for size in (0, 1, 31, 47, 48, 49, 200, 5000):
        made = pyrage.encrypt(bytes(size), [recipient], armored=True)
        body = made.decode().split("\n")[1:-2]
        assert agedet.armor(base64.b64decode("".join(body))) == made, size


@needs_age
def test_seeded_sections_decrypt_with_the_age_cli(seeded: None) -> None:
    block = cipher.encrypt_section(section(), recipients(*READERS))
    assert not block.endswith("\n") and "\r" not in block
    for handle in ("bkoch", "escrow"):
        assert envelope.parse_plaintext(age_decrypt(handle, block.encode())) == section()
        assert envelope.parse_plaintext(age_decrypt(handle, (block + "\n").encode())) == section()


# ---- files ----

SIZES = {
    "empty": 0,
    "one byte": 1,
    "exactly one chunk": agedet.CHUNK,
    "several chunks": 3 * agedet.CHUNK + 17,
}


def payload_of(size: int) -> bytes:
    return hashlib.shake_256(str(size).encode()).digest(size)


@pytest.mark.parametrize("name", SIZES)
def test_seeded_files_are_reproducible_and_decrypt_with_pyrage(seeded: None, name: str) -> None:
    data = payload_of(SIZES[name])
    keys = recipients("bkoch", "escrow")
    encrypted = cipher.encrypt_file(data, keys)
    assert cipher.encrypt_file(data, keys) == encrypted
    assert envelope.parse_binary(encrypted).stanza_types == ("X25519", "X25519")
    chunks = max(1, -(-len(data) // agedet.CHUNK))  # STREAM: one 16-byte tag per chunk
    assert envelope.parse_binary(encrypted).payload_bytes == 16 + len(data) + 16 * chunks
    for handle in ("bkoch", "escrow"):
        assert cipher.decrypt_file(encrypted, ring(handle), name) == data


@needs_age
@pytest.mark.parametrize("name", SIZES)
def test_seeded_files_decrypt_with_the_age_cli(seeded: None, name: str) -> None:
    data = payload_of(SIZES[name])
    encrypted = cipher.encrypt_file(data, recipients("bkoch", "escrow"))
    assert age_decrypt("escrow", encrypted) == data
    assert age_decrypt("bkoch", encrypted) == data


def test_a_tampered_chunk_or_header_does_not_decrypt(seeded: None) -> None:
    """The MAC and STREAM tags are real: flipping one byte anywhere fails."""
    data = payload_of(2 * agedet.CHUNK + 5)
    encrypted = cipher.encrypt_file(data, recipients("escrow"))
    header_end = encrypted.index(b"\n---") + 1
    for where in (header_end + 5, len(encrypted) - agedet.CHUNK - 40, len(encrypted) - 1):
        broken = bytearray(encrypted)
        broken[where] ^= 1
        with pytest.raises(cipher.CipherError):
            cipher.decrypt_file(bytes(broken), ring("escrow"), "tampered")
    truncated = encrypted[: -(5 + 16)]  # the final chunk dropped: never accepted as complete
    with pytest.raises(cipher.CipherError):
        cipher.decrypt_file(truncated, ring("escrow"), "truncated")


# ---- refusals ----


def test_a_seed_with_a_real_key_is_refused(seeded: None) -> None:
    stranger = str(pyrage.x25519.Identity.generate().to_public())
    for keys in ([stranger], [*recipients(*READERS), stranger]):
        with pytest.raises(cipher.CipherError) as caught:
            cipher.encrypt_section(section(), keys)
        message = str(caught.value)
        assert "CASETRAIL_DEMO_SEED is for the fictional demo office only" in message
        assert f"{stranger[:24]}... is not a demo key" in message
        with pytest.raises(cipher.CipherError, match="is not a demo key"):
            cipher.encrypt_file(b"document", keys)
    with pytest.raises(cipher.CipherError, match="is not a demo key"):
        cipher.encrypt_file(b"document", ["not a key at all"])


def test_a_seed_with_an_ssh_recipient_is_refused(seeded: None) -> None:
    ssh = (DEMO_KEYS / "amartin.ssh.pub").read_text().strip()  # even a demo person's ssh key
    with pytest.raises(cipher.CipherError) as caught:
        cipher.encrypt_section(section(), [*recipients("escrow"), ssh])
    message = str(caught.value)
    assert "CASETRAIL_DEMO_SEED is for the fictional demo office only" in message
    assert "an ssh recipient ssh-ed25519" in message and "is not a demo key" in message
    with pytest.raises(cipher.CipherError, match="an ssh recipient"):
        cipher.encrypt_file(b"document", [ssh])


def test_without_the_seed_encryption_is_random_and_takes_any_key() -> None:
    stranger = str(pyrage.x25519.Identity.generate().to_public())
    keys = [*recipients("escrow"), stranger]
    first, second = cipher.encrypt_section(section(), keys), cipher.encrypt_section(section(), keys)
    assert first != second
    assert cipher.decrypt_section(first, ring("escrow"), CASE_ID, "Parties") == section()
    assert cipher.encrypt_file(b"document", keys) != cipher.encrypt_file(b"document", keys)


# ---- `casetrail new` ----


def fresh_copy(records: Records, name: str) -> Records:
    root = records.root.parent / name
    root.mkdir()
    shutil.copytree(PROJECT / "schema", root / "schema")
    (root / "cases").mkdir()
    return Records(root, records.capsys)


def created(records: Records) -> tuple[str, bytes]:
    result = records.run(*NEW_CASE)
    assert result.code == 0, result.err
    rel = str(json.loads(result.out)["path"])
    return rel, (records.root / rel).read_bytes()


def test_new_with_the_seed_gives_the_same_id_and_bytes_in_two_fresh_copies(
    records: Records, seeded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = created(records)
    second = created(fresh_copy(records, "again"))
    assert first == second
    assert records.run("check").code == 0
    text = first[1].decode()
    block = text[text.index(envelope.BEGIN) : text.index(envelope.END) + len(envelope.END)]
    case_id = first[0].rsplit("/", 1)[1][:-3]
    assert cipher.decrypt_section(block, ring("escrow"), case_id, "Parties").case_id == case_id
    # The same registration again in the same office moves past the clash, reproducibly.
    third = created(records)
    assert third[0] != first[0]
    again = fresh_copy(records, "third")
    created(again)
    assert created(again) == third
    # Another seed gives another office.
    monkeypatch.setenv(demoseed.SEED_VARIABLE, SEED + "-other")
    assert created(fresh_copy(records, "other"))[0] != first[0]


def test_new_without_the_seed_differs_between_two_fresh_copies(records: Records) -> None:
    first, second = created(records), created(fresh_copy(records, "again"))
    assert first[0] != second[0] and first[1] != second[1]


def test_new_with_the_seed_refuses_an_office_with_real_keys_and_writes_nothing(
    records: Records, seeded: None
) -> None:
    roster = records.root / "schema" / "roster.yaml"
    demo = public(DEMO_KEYS / "fweber.agekey")  # a supervisor: a reader of every new case
    real = str(pyrage.x25519.Identity.generate().to_public())
    roster.write_text(roster.read_text().replace(demo, real))
    before = records.snapshot()
    result = records.run(*NEW_CASE)
    assert result.code == 2, (result.out, result.err)
    assert "CASETRAIL_DEMO_SEED is for the fictional demo office only" in result.err
    assert "Traceback" not in result.err and result.out == ""
    assert records.snapshot() == before
