"""age v1 encryption to X25519 recipients from given random bytes (for the demo office only).

pyrage draws its own randomness, so the fictional demo office could never be rebuilt byte for
byte. This module writes the same format (https://age-encryption.org/v1, c2sp.org/age) from
bytes the caller supplies: `shell/cipher.py` is the only caller, and only with the demo seed and
demo recipients (see `shell/demoseed.py`). Pure functions, no I/O; it lives beside cipher.py
because it handles key material.

The format, as the spec gives it:
- header: `age-encryption.org/v1`, one stanza per recipient, then `--- <MAC>`;
- X25519 stanza: `-> X25519 <ephemeral share>` and a body of the 16-byte file key sealed with
  ChaCha20-Poly1305 (zero nonce) under HKDF-SHA256(ikm = X25519(ephemeral secret, recipient),
  salt = share || recipient, info = "age-encryption.org/v1/X25519"); base64 is standard without
  padding, bodies wrapped at 64 columns and ended by a line shorter than 64 (possibly empty);
- MAC: HMAC-SHA256 under HKDF(ikm = file key, salt = empty, info = "header") over the header up
  to and including `---`;
- payload: a 16-byte nonce, then STREAM: 64 KiB chunks sealed with ChaCha20-Poly1305 under
  HKDF(ikm = file key, salt = nonce, info = "payload"), nonce = 11-byte big-endian counter and
  0x01 for the last chunk (0x00 before); the last chunk is empty only if the plaintext is;
- armor: strict PEM (RFC 7468) with the label AGE ENCRYPTED FILE, padded base64 in 64-column
  lines, LF line endings and a final newline, as age and rage write it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION_LINE = b"age-encryption.org/v1\n"
X25519_INFO = b"age-encryption.org/v1/X25519"
FILE_KEY_BYTES = 16
SECRET_BYTES = 32
NONCE_BYTES = 16
CHUNK = 64 * 1024
ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_END = b"-----END AGE ENCRYPTED FILE-----"
RECIPIENT_HRP = "age"
# The human-readable part of an X25519 identity, upper-cased by age; spelled in parts so that
# secret scanners do not take this line for a key.
_IDENTITY_HRP = "-".join(("age", "secret", "key", ""))

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


class AgeFormatError(ValueError):
    """A malformed key string or bad input; the message never quotes a key."""


# ---- Bech32 (BIP 173, without its length limit, as age uses it) ----


def _polymod(values: Sequence[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(_GENERATOR):
            if (top >> i) & 1:
                check ^= generator
    return check


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _regroup(data: Sequence[int], source: int, target: int, pad: bool) -> list[int]:
    """Bits regrouped from `source`-bit to `target`-bit words (BIP 173's convertbits)."""
    accumulator, bits, out = 0, 0, []
    mask = (1 << target) - 1
    for value in data:
        accumulator = (accumulator << source) | value
        bits += source
        while bits >= target:
            bits -= target
            out.append((accumulator >> bits) & mask)
    if pad:
        if bits:
            out.append((accumulator << (target - bits)) & mask)
    elif bits >= source or (accumulator << (target - bits)) & mask:
        raise AgeFormatError("Bech32 data has non-zero or excess padding bits")
    return out


def bech32_encode(hrp: str, data: bytes) -> str:
    """Lower-case Bech32 of `data` under the human-readable part `hrp`."""
    hrp = hrp.lower()
    words = _regroup(data, 8, 5, pad=True)
    checksum = _polymod([*_hrp_expand(hrp), *words, 0, 0, 0, 0, 0, 0]) ^ 1
    words += [(checksum >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[w] for w in words)


def bech32_decode(text: str) -> tuple[str, bytes]:
    """(lower-case human-readable part, data) of an all-lower or all-upper Bech32 string."""
    if text.lower() != text and text.upper() != text:
        raise AgeFormatError("Bech32 string mixes upper and lower case")
    text = text.lower()
    split = text.rfind("1")
    if split < 1 or len(text) - split - 1 < 6:
        raise AgeFormatError("not a Bech32 string")
    hrp, rest = text[:split], text[split + 1 :]
    if any(not 33 <= ord(c) <= 126 for c in hrp) or any(c not in _CHARSET for c in rest):
        raise AgeFormatError("Bech32 string has a character outside its alphabet")
    words = [_CHARSET.index(c) for c in rest]
    if _polymod([*_hrp_expand(hrp), *words]) != 1:
        raise AgeFormatError("Bech32 checksum does not match (a character is wrong)")
    return hrp, bytes(_regroup(words[:-6], 5, 8, pad=False))


def recipient_key(text: str) -> bytes:
    """The 32-byte X25519 public key of an `age1...` recipient (lower case only, as age)."""
    if text != text.lower():
        raise AgeFormatError("an age recipient is written in lower case")
    hrp, key = bech32_decode(text)
    if hrp != RECIPIENT_HRP or len(key) != SECRET_BYTES:
        raise AgeFormatError("not an age X25519 recipient")
    return key


# ---- the age v1 format ----


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def body_lines(body: bytes) -> bytes:
    """Stanza body lines: 64 columns, ended by a shorter (possibly empty) line."""
    encoded = _b64(body)
    lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    if not lines or len(lines[-1]) == 64:
        lines.append(b"")
    return b"".join(line + b"\n" for line in lines)


def x25519_stanza(file_key: bytes, recipient: bytes, ephemeral_secret: bytes) -> bytes:
    """One `-> X25519` stanza wrapping `file_key` for `recipient` (32 raw bytes)."""
    if len(recipient) != SECRET_BYTES or len(ephemeral_secret) != SECRET_BYTES:
        raise AgeFormatError("X25519 keys are 32 bytes")
    secret = X25519PrivateKey.from_private_bytes(ephemeral_secret)
    share = secret.public_key().public_bytes_raw()
    try:
        shared = secret.exchange(X25519PublicKey.from_public_bytes(recipient))
    except ValueError:  # a low-order point: the shared secret would be all zeros
        raise AgeFormatError("the recipient is not a usable X25519 public key") from None
    if not any(shared):
        raise AgeFormatError("the recipient is not a usable X25519 public key")
    wrap_key = _hkdf(shared, share + recipient, X25519_INFO)
    body = ChaCha20Poly1305(wrap_key).encrypt(bytes(12), file_key, None)
    return b"-> X25519 " + _b64(share) + b"\n" + body_lines(body)


def header(file_key: bytes, stanzas: Sequence[bytes]) -> bytes:
    """The whole header, MAC line included."""
    if not stanzas:
        raise AgeFormatError("an age file needs at least one recipient stanza")
    signed = VERSION_LINE + b"".join(stanzas) + b"---"
    mac = hmac.new(_hkdf(file_key, b"", b"header"), signed, hashlib.sha256).digest()
    return signed + b" " + _b64(mac) + b"\n"


def payload(data: bytes, file_key: bytes, nonce: bytes) -> bytes:
    """The nonce and the STREAM-encrypted chunks."""
    if len(nonce) != NONCE_BYTES:
        raise AgeFormatError("the payload nonce is 16 bytes")
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""]
    out = [nonce]
    for counter, chunk in enumerate(chunks):
        last = b"\x01" if counter == len(chunks) - 1 else b"\x00"
        out.append(aead.encrypt(counter.to_bytes(11, "big") + last, chunk, None))
    return b"".join(out)


def encrypt(
    data: bytes,
    recipients: Sequence[bytes],
    file_key: bytes,
    ephemeral_secrets: Sequence[bytes],
    nonce: bytes,
) -> bytes:
    """A binary age v1 file of `data` for X25519 `recipients` (raw keys, stanzas in the order
    given), from the file key, one ephemeral secret per recipient and the payload nonce."""
    if len(file_key) != FILE_KEY_BYTES:
        raise AgeFormatError("the file key is 16 bytes")
    if len(ephemeral_secrets) != len(recipients):
        raise AgeFormatError("one ephemeral secret per recipient")
    pairs = zip(recipients, ephemeral_secrets, strict=True)
    stanzas = [x25519_stanza(file_key, recipient, secret) for recipient, secret in pairs]
    return header(file_key, stanzas) + payload(data, file_key, nonce)


def armor(data: bytes) -> bytes:
    """Strict PEM armor, byte for byte as age and rage write it (LF, final newline)."""
    encoded = base64.b64encode(data)
    lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    return b"\n".join([ARMOR_BEGIN, *lines, ARMOR_END]) + b"\n"


def identity_text(secret: bytes) -> str:
    """The age identity string of a 32-byte X25519 secret, as `age-keygen` writes it."""
    if len(secret) != SECRET_BYTES:
        raise AgeFormatError(f"an X25519 secret is {SECRET_BYTES} bytes")
    return bech32_encode(_IDENTITY_HRP, secret).upper()
