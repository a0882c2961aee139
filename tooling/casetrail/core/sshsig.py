"""git's SSH commit signatures (OpenSSH's SSHSIG format), checked in process.

git checks an SSH signature by starting `ssh-keygen` for every commit (about 20 ms each); this
module gives the same answers without a process, so a whole history verifies in seconds. git
and OpenSSH 9.2 are the reference, and the tests compare the two on real signed commits:

- `split_commit` cuts a commit object the way git's `parse_buffer_signed_by_header` does: the
  payload is the object without its `gpgsig` header (and any other `gpgsig*` header, such as
  `gpgsig-sha256`, with their continuation lines); the signature is the `gpgsig` value.
- `parse` reads the armor and the blob the way `sshsig_dearmor` and `sshsig_wrap_verify` do
  (PROTOCOL.sshsig), including OpenSSH's leniencies: whitespace anywhere in the base64, text
  after the footer ignored, version 0 accepted, the reserved field ignored, one trailing NUL
  allowed in a name. Whatever OpenSSH refuses to read raises SignatureError.
- `verify` checks ssh-ed25519, ecdsa-sha2-nistp256/384/521 and ssh-rsa (with rsa-sha2-256 or
  rsa-sha2-512 signatures only, as OpenSSH insists). For anything it cannot answer exactly as
  git would (other key types such as security keys; what OpenSSH releases judge differently,
  such as a non-canonical Ed25519 scalar or a CRLF after the armor header; an RSA key the
  cryptography library refuses) it raises UnsupportedKey, and the caller asks git.

Pure: no I/O; the cryptography comes from the `cryptography` package.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

__all__ = [
    "SignatureError",
    "SshSignature",
    "UnsupportedKey",
    "canonical_key",
    "fingerprint",
    "parse",
    "split_commit",
    "verify",
]

MAGIC = b"SSHSIG"
BEGIN = b"-----BEGIN SSH SIGNATURE-----"
END = b"-----END SSH SIGNATURE-----"
MAX_ARMORED = 1 << 20  # a 16384-bit RSA signature is under 6 KiB of base64
MAX_BIGNUM = 16384 // 8  # OpenSSH's SSHBUF_MAX_BIGNUM, in bytes
HASHES = ("sha256", "sha512")
RSA_SIGNATURES = {"rsa-sha2-256": hashes.SHA256, "rsa-sha2-512": hashes.SHA512}
RSA_MIN_BITS, RSA_MAX_BITS = 1024, 16384
ED25519 = "ssh-ed25519"
RSA = "ssh-rsa"
# curve name, cryptography curve, hash, field bytes, group order
_CURVES: dict[str, tuple[str, ec.EllipticCurve, type[hashes.HashAlgorithm], int, int]] = {
    "ecdsa-sha2-nistp256": (
        "nistp256",
        ec.SECP256R1(),
        hashes.SHA256,
        32,
        0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    ),
    "ecdsa-sha2-nistp384": (
        "nistp384",
        ec.SECP384R1(),
        hashes.SHA384,
        48,
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973,
    ),
    "ecdsa-sha2-nistp521": (
        "nistp521",
        ec.SECP521R1(),
        hashes.SHA512,
        66,
        0x01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409,
    ),
}
VERIFIED_TYPES = frozenset({ED25519, RSA, *_CURVES})
# Key types OpenSSH knows but this module leaves to git: their key blobs are read (so they
# have a fingerprint and may stand in a roster), their signatures are not checked here.
_SK_ED25519 = "sk-ssh-ed25519@openssh.com"
_SK_ECDSA = "sk-ecdsa-sha2-nistp256@openssh.com"
_DSA = "ssh-dss"
KNOWN_TYPES = VERIFIED_TYPES | {_SK_ED25519, _SK_ECDSA, _DSA}
_ED25519_ORDER = 2**252 + 27742317777372353535851937790883648493
_TYPE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9@._+-]{0,63}")
_B64 = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_B64_SPACE = b" \t\n\r\x0b\x0c"  # C isspace(), which OpenSSH's b64_pton skips


class SignatureError(ValueError):
    """A signature or key that OpenSSH would not read (malformed, truncated, oversized)."""


class UnsupportedKey(Exception):
    """A signature this module cannot judge exactly as git would: ask git instead."""


@dataclass(frozen=True)
class SshSignature:
    """One parsed SSHSIG blob.

    public_key: the signer's key in OpenSSH one-line form without a comment ("ssh-ed25519
    AAAA..."), canonically encoded, so it compares equal to roster keys (see canonical_key).
    key_type: its type name; key_blob: its canonical wire encoding.
    signature: the inner signature blob (type name and signature bytes), as signed.
    version: the SSHSIG version (1; OpenSSH also reads 0).
    ask_git: why only git can judge this signature (verify raises UnsupportedKey), or None.
    """

    public_key: str
    namespace: str
    hash_algorithm: str
    key_type: str
    key_blob: bytes
    signature: bytes
    version: int = 1
    ask_git: str | None = None

    @property
    def fingerprint(self) -> str:
        return _fingerprint_of(self.key_blob)


# ---- the commit object ------------------------------------------------------------------------


def split_commit(raw: bytes, header: str = "gpgsig") -> tuple[bytes, str | None]:
    """(the payload git verifies, the armored signature or None) of a raw commit object (the
    body `git cat-file commit` prints). As git: every `gpgsig*` header and its continuation lines
    leave the payload; the signature is the value of `header` ("gpgsig" in a SHA-1 repository,
    "gpgsig-sha256" in a SHA-256 one), continuation lines joined; the headers end at the first
    empty line. Bytes that are not UTF-8 survive as surrogate escapes (parse undoes them)."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise SignatureError("a commit object is bytes")
    data = bytes(raw)
    prefix = header.encode("ascii") + b" "
    payload: list[bytes] = []
    signature: list[bytes] = []
    in_signature = other_signature = saw_signature = False
    start, size = 0, len(data)
    while start < size:
        newline = data.find(b"\n", start)
        end = size if newline < 0 else newline + 1
        line = data[start:end]
        value: bytes | None = None
        if in_signature and line.startswith(b" "):
            value = line[1:]
        elif line.startswith(prefix):
            value = line[len(prefix) :]
            other_signature = False
        elif line.startswith(b"gpgsig"):
            other_signature = True
        elif other_signature and not line.startswith(b" "):
            other_signature = False
        if value is not None:
            signature.append(value)
            saw_signature = in_signature = True
        else:
            if line.startswith(b"\n"):  # the end of the headers: the rest is the message
                end = size
                line = data[start:end]
            if not other_signature:
                payload.append(line)
            in_signature = False
        start = end
    armored = b"".join(signature).decode("utf-8", "surrogateescape") if saw_signature else None
    return b"".join(payload), armored


# ---- reading ------------------------------------------------------------------------------------


class _Reader:
    """OpenSSH's sshbuf getters over bytes; every shortfall is a SignatureError."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, count: int, what: str) -> bytes:
        if count > len(self.data) - self.pos:
            raise SignatureError(f"truncated {what}")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def u32(self, what: str) -> int:
        return int.from_bytes(self.take(4, what), "big")

    def string(self, what: str) -> bytes:
        return self.take(self.u32(what), what)

    def name(self, what: str) -> str:
        """sshbuf_get_cstring: no NUL inside, one NUL allowed at the very end (dropped)."""
        value = self.string(what)
        if b"\0" in value[:-1]:
            raise SignatureError(f"{what} contains a NUL byte")
        return value.rstrip(b"\0").decode("utf-8", "surrogateescape")

    def mpint(self, what: str) -> int:
        """sshbuf_get_bignum2: non-negative, at most 16384 bits, leading zeros allowed."""
        value = self.string(what)
        if value and value[0] & 0x80:
            raise SignatureError(f"{what} is negative")
        if len(value) > MAX_BIGNUM + 1 or (len(value) == MAX_BIGNUM + 1 and value[0] != 0):
            raise SignatureError(f"{what} is too large")
        return int.from_bytes(value, "big")

    @property
    def rest(self) -> int:
        return len(self.data) - self.pos


def _string(value: bytes) -> bytes:
    return len(value).to_bytes(4, "big") + value


def _mpint(value: int) -> bytes:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
    if raw and raw[0] & 0x80:
        raw = b"\0" + raw
    return _string(raw)


def _b64decode(text: bytes, what: str) -> bytes:
    """OpenSSH's b64_pton: whitespace skipped anywhere, padding required, and the bits past
    the last whole byte must be zero."""
    compact = text.translate(None, _B64_SPACE)
    if len(compact) % 4 or not _B64.fullmatch(compact):
        raise SignatureError(f"{what} is not valid base64")
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{what} is not valid base64") from None
    if base64.b64encode(data) != compact:
        raise SignatureError(f"{what} is not canonical base64")
    return data


@dataclass(frozen=True)
class _Key:
    type: str
    blob: bytes  # canonical encoding
    fields: tuple[Any, ...]  # ed25519: (pk,), ecdsa: (x, y, point), rsa: (e, n)


def _read_key(reader: _Reader, what: str) -> _Key:
    """sshkey_froms/sshkey_from_blob: one public key (not a certificate), all of its blob."""
    key_type = reader.name(f"{what} type")
    if not _TYPE_NAME.fullmatch(key_type):
        raise SignatureError(f"{what} has an unreadable type name")
    wire = _string(key_type.encode())
    if key_type == ED25519:
        pk = reader.string(f"{what} (ed25519)")
        if len(pk) != 32:
            raise SignatureError(f"{what}: an ed25519 key is 32 bytes")
        return _Key(key_type, wire + _string(pk), (pk,))
    if key_type in _CURVES:
        curve_name, _curve, _hash, size, order = _CURVES[key_type]
        if reader.name(f"{what} curve") != curve_name:
            raise SignatureError(f"{what}: curve does not match the key type")
        point = reader.string(f"{what} (ecdsa point)")
        x, y = _ec_point(point, key_type, size, order, what)
        blob = wire + _string(curve_name.encode()) + _string(point)
        return _Key(key_type, blob, (x, y, point))
    if key_type == RSA:
        e = reader.mpint(f"{what} (rsa e)")
        n = reader.mpint(f"{what} (rsa n)")
        if not RSA_MIN_BITS <= n.bit_length() <= RSA_MAX_BITS:
            raise SignatureError(f"{what}: RSA keys are {RSA_MIN_BITS} to {RSA_MAX_BITS} bits")
        return _Key(key_type, wire + _mpint(e) + _mpint(n), (e, n))
    if key_type == _SK_ED25519:
        pk = reader.string(f"{what} (ed25519)")
        if len(pk) != 32:
            raise SignatureError(f"{what}: an ed25519 key is 32 bytes")
        application = reader.name(f"{what} application")
        blob = wire + _string(pk) + _string(application.encode("utf-8", "surrogateescape"))
        return _Key(key_type, blob, ())
    if key_type == _SK_ECDSA:
        if reader.name(f"{what} curve") != "nistp256":
            raise SignatureError(f"{what}: curve does not match the key type")
        point = reader.string(f"{what} (ecdsa point)")
        _ec_point(point, "ecdsa-sha2-nistp256", 32, _CURVES["ecdsa-sha2-nistp256"][4], what)
        application = reader.name(f"{what} application")
        blob = (
            wire
            + _string(b"nistp256")
            + _string(point)
            + _string(application.encode("utf-8", "surrogateescape"))
        )
        return _Key(key_type, blob, ())
    if key_type == _DSA:
        numbers = [reader.mpint(f"{what} (dsa {part})") for part in "pqgy"]
        return _Key(key_type, wire + b"".join(_mpint(v) for v in numbers), ())
    # A type OpenSSH may know (a certificate, a newer algorithm): keep its blob as it is and
    # let git judge it.
    return _Key(key_type, wire + reader.take(reader.rest, what), ())


def _ec_point(point: bytes, key_type: str, size: int, order: int, what: str) -> tuple[int, int]:
    """sshbuf_get_eckey + sshkey_ec_validate_public: an uncompressed point on the curve, not
    at infinity, with both coordinates above sqrt(order) and below order - 1."""
    if len(point) != 1 + 2 * size or point[0] != 4:
        raise SignatureError(f"{what}: not an uncompressed curve point")
    try:
        key = _ec_key(key_type, point)
    except ValueError:
        raise SignatureError(f"{what}: not a point on the curve") from None
    numbers = key.public_numbers()
    x, y = numbers.x, numbers.y
    half = order.bit_length() // 2
    if x.bit_length() <= half or y.bit_length() <= half or x >= order - 1 or y >= order - 1:
        raise SignatureError(f"{what}: curve point refused by OpenSSH's key checks")
    return x, y


@lru_cache(maxsize=1024)
def _ec_key(key_type: str, point: bytes) -> ec.EllipticCurvePublicKey:
    return ec.EllipticCurvePublicKey.from_encoded_point(_CURVES[key_type][1], point)


@lru_cache(maxsize=1024)
def _ed25519_key(pk: bytes) -> ed25519.Ed25519PublicKey:
    return ed25519.Ed25519PublicKey.from_public_bytes(pk)


@lru_cache(maxsize=256)
def _rsa_key(e: int, n: int) -> rsa.RSAPublicKey:
    return rsa.RSAPublicNumbers(e, n).public_key()


def _key_text(key: _Key) -> str:
    return f"{key.type} {base64.b64encode(key.blob).decode('ascii')}"


def parse(armored: str) -> SshSignature:
    """The SSHSIG blob inside an armored SSH signature. SignatureError if OpenSSH would not
    read it."""
    if not isinstance(armored, str):
        raise SignatureError("an armored signature is text")
    if len(armored) > MAX_ARMORED:
        raise SignatureError("signature too large")
    text = armored.encode("utf-8", "surrogateescape")
    if not text.startswith(BEGIN):
        raise SignatureError("not an SSH signature (missing header)")
    body = text[len(BEGIN) :]
    ask_git = None
    if body.startswith(b"\r\n"):  # OpenSSH reads this since 9.3 (or so), 9.2 refuses it
        body = body[2:]
        ask_git = "a CRLF after the armor header is read by some OpenSSH versions only"
    elif body.startswith(b"\n"):
        body = body[1:]
    else:
        raise SignatureError("no line end after the header")
    footer = body.find(b"\n" + END)
    if footer < 0:
        raise SignatureError("missing footer")
    encoded = body[:footer]
    if encoded.endswith(b"\0"):  # sshbuf_dup_string accepts one NUL at the very end
        encoded = encoded[:-1]
    if b"\0" in encoded:
        raise SignatureError("NUL byte in the signature")
    blob = _b64decode(encoded, "signature")
    reader = _Reader(blob)
    if reader.take(len(MAGIC), "magic") != MAGIC:
        raise SignatureError("not an SSHSIG blob (bad magic)")
    version = reader.u32("version")
    if version > 1:
        raise SignatureError(f"SSHSIG version {version} is not supported")
    key = _public_key_blob(reader.string("public key"))
    namespace = reader.name("namespace")
    reader.string("reserved")  # read and ignored, as OpenSSH does
    hash_algorithm = reader.name("hash algorithm")
    signature = reader.string("signature")
    if reader.rest:
        raise SignatureError("trailing data after the signature")
    if hash_algorithm not in HASHES:
        raise SignatureError(f"hash algorithm {hash_algorithm!r} is not sha256 or sha512")
    return SshSignature(
        public_key=_key_text(key),
        namespace=namespace,
        hash_algorithm=hash_algorithm,
        key_type=key.type,
        key_blob=key.blob,
        signature=signature,
        version=version,
        ask_git=ask_git,
    )


@lru_cache(maxsize=1024)
def _public_key_blob(raw: bytes) -> _Key:
    reader = _Reader(raw)
    key = _read_key(reader, "public key")
    if reader.rest:
        raise SignatureError("trailing data after the public key")
    return key


# ---- verifying ----------------------------------------------------------------------------------


def verify(signature: SshSignature, payload: bytes, namespace: str = "git") -> bool:
    """True iff `signature` is a valid signature of `payload` in `namespace`, as
    `ssh-keygen -Y check-novalidate -n NAMESPACE` would say. Raises UnsupportedKey when
    only git can tell (a key type not checked here, or an encoding OpenSSH versions treat
    differently)."""
    if signature.key_type not in VERIFIED_TYPES:
        raise UnsupportedKey(f"{signature.key_type} signatures are checked by git")
    if signature.ask_git is not None:
        raise UnsupportedKey(signature.ask_git)
    if signature.namespace != namespace or signature.hash_algorithm not in HASHES:
        return False
    digest = hashlib.new(signature.hash_algorithm, payload).digest()
    signed = (
        MAGIC
        + _string(namespace.encode("utf-8", "surrogateescape"))
        + _string(b"")
        + _string(signature.hash_algorithm.encode())
        + _string(digest)
    )
    key = _public_key_blob(signature.key_blob)
    reader = _Reader(signature.signature)
    try:
        if key.type == ED25519:
            return _verify_ed25519(key, reader, signed)
        if key.type == RSA:
            return _verify_rsa(key, reader, signed)
        return _verify_ecdsa(key, reader, signed)
    except SignatureError:
        return False


def _verify_ed25519(key: _Key, reader: _Reader, signed: bytes) -> bool:
    if reader.name("signature type") != ED25519:
        return False
    raw = reader.string("ed25519 signature")
    if reader.rest or len(raw) != 64:
        return False
    if raw[63] & 0xE0:
        return False
    if int.from_bytes(raw[32:], "little") >= _ED25519_ORDER:
        # A non-canonical scalar (S >= L): never made by a signer, only by altering a good
        # signature. OpenSSH releases disagree on it; let git (and its ssh-keygen) decide.
        raise UnsupportedKey("non-canonical ed25519 signature; ask git")
    try:
        _ed25519_key(key.fields[0]).verify(raw, signed)
    except InvalidSignature:
        return False
    return True


def _verify_ecdsa(key: _Key, reader: _Reader, signed: bytes) -> bool:
    if reader.name("signature type") != key.type:
        return False
    inner = _Reader(reader.string("ecdsa signature"))
    if reader.rest:
        return False
    r = inner.mpint("ecdsa r")
    s = inner.mpint("ecdsa s")
    if inner.rest:
        return False
    hash_type = _CURVES[key.type][2]
    try:
        _ec_key(key.type, key.fields[2]).verify(
            encode_dss_signature(r, s), signed, ec.ECDSA(hash_type())
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _verify_rsa(key: _Key, reader: _Reader, signed: bytes) -> bool:
    sig_type = reader.name("signature type")
    if sig_type not in RSA_SIGNATURES:  # "ssh-rsa" (SHA-1) is refused, as OpenSSH does
        return False
    raw = reader.string("rsa signature")
    if reader.rest or not raw:
        return False
    e, n = key.fields
    size = (n.bit_length() + 7) // 8
    if len(raw) > size:
        return False
    raw = raw.rjust(size, b"\0")  # OpenSSH pads a short signature to the modulus size
    try:
        public = _rsa_key(e, n)
    except ValueError:
        raise UnsupportedKey("an RSA key the cryptography library refuses; ask git") from None
    try:
        public.verify(raw, signed, padding.PKCS1v15(), RSA_SIGNATURES[sig_type]())
    except InvalidSignature:
        return False
    return True


# ---- keys as text ---------------------------------------------------------------------------------


def _split_key_text(public_key: str) -> _Key:
    if not isinstance(public_key, str):
        raise SignatureError("a public key is text")
    if len(public_key) > MAX_ARMORED:
        raise SignatureError("public key too large")
    parts = public_key.split(None, 2)
    if len(parts) < 2:
        raise SignatureError("a public key is '<type> <base64>'")
    key_type, data = parts[0], parts[1]
    if not _TYPE_NAME.fullmatch(key_type):
        raise SignatureError("unreadable key type")
    try:
        raw = data.encode("ascii")
    except UnicodeEncodeError:
        raise SignatureError("public key is not valid base64") from None
    key = _public_key_blob(_b64decode(raw, "public key"))
    if key.type != key_type:
        raise SignatureError(f"key type {key_type} does not match its blob ({key.type})")
    return key


def canonical_key(public_key: str) -> str:
    """'<type> <base64>' of an OpenSSH one-line public key, comment dropped and the blob
    re-encoded canonically (as OpenSSH compares keys). SignatureError if unreadable."""
    return _key_text(_split_key_text(public_key))


def fingerprint(public_key: str) -> str:
    """ "SHA256:<base64 without padding>", as `ssh-keygen -l -f` prints it."""
    return _fingerprint_of(_split_key_text(public_key).blob)


def _fingerprint_of(blob: bytes) -> str:
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
