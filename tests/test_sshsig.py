"""In-process SSH signature checks against the reference: git and OpenSSH's ssh-keygen.

Keys are made by the real `ssh-keygen`; commits are signed by the real `git commit -S`; crafted
variants (tampered, other namespace, odd encodings) are written as real commit objects. Every
verdict of ours is compared with the reference's on the same bytes:

- git's `%G?` (N unsigned, B bad, U good signature by a key not allowed then, G good) against
  our split_commit + parse + verify + signers.authorise, with the allowed signers file that
  signers.allowed_signers writes;
- `ssh-keygen -Y check-novalidate` (the cryptographic check alone) against parse + verify.

git runs with TZ=UTC except where a test says otherwise: see the last test for why.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_ssh_private_key,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casetrail.core import signers, sshsig

OFFICE = "Europe/Berlin"
KEY_TYPES = {
    "ed25519": ["-t", "ed25519"],
    "ecdsa256": ["-t", "ecdsa", "-b", "256"],
    "ecdsa384": ["-t", "ecdsa", "-b", "384"],
    "ecdsa521": ["-t", "ecdsa", "-b", "521"],
    "rsa3072": ["-t", "rsa", "-b", "3072"],
    "shared": ["-t", "ed25519"],
    "revoked": ["-t", "ed25519"],
    "stranger": ["-t", "ed25519"],
    "summer": ["-t", "ed25519"],
}
ED25519_ORDER = 2**252 + 27742317777372353535851937790883648493
PAYLOAD = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> 1 +0000\n\nmsg\n"


# ---- the reference processes ------------------------------------------------------------------


@dataclass
class Kit:
    """A folder with keys made by ssh-keygen and a git repository, and an environment that
    reads nothing from the developer's home."""

    base: Path
    keys: dict[str, Path]

    @property
    def repo(self) -> Path:
        return self.base / "repo"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(self.base / "home"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "LC_ALL": "C",
            "TZ": "UTC",
        }
        env.update(extra)
        return env

    def run(self, *args: str, input: bytes | None = None, env: Mapping[str, str] = {}) -> bytes:
        result = subprocess.run(
            args, cwd=self.repo, env=self.env(**env), input=input, capture_output=True
        )
        assert result.returncode == 0, result.stderr.decode()
        return result.stdout

    def git(self, *args: str, input: bytes | None = None, env: Mapping[str, str] = {}) -> str:
        return self.run("git", *args, input=input, env=env).decode()

    def public(self, name: str) -> str:
        return " ".join(self.keys[name].with_suffix(".pub").read_text().split()[:2])

    def private(self, name: str) -> Any:
        return load_ssh_private_key(self.keys[name].read_bytes(), None)

    def sign_file(self, name: str, data: bytes, namespace: str = "git") -> str:
        """`ssh-keygen -Y sign`, exactly as git runs it (but with any namespace)."""
        path = self.base / "to-sign"
        path.write_bytes(data)
        self.run(
            "ssh-keygen", "-q", "-Y", "sign", "-n", namespace, "-f", str(self.keys[name]), str(path)
        )
        signature = path.with_name("to-sign.sig")
        text = signature.read_text()
        signature.unlink()
        return text

    def check_novalidate(self, armored: bytes, payload: bytes, namespace: str = "git") -> bool:
        """ssh-keygen's cryptographic verdict alone (no allowed signers)."""
        path = self.base / "check.sig"
        path.write_bytes(armored)
        result = subprocess.run(
            ["ssh-keygen", "-Y", "check-novalidate", "-n", namespace, "-s", str(path)],
            env=self.env(),
            input=payload,
            capture_output=True,
        )
        return result.returncode == 0 and result.stdout.startswith(b"Good")


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    base = tmp_path_factory.mktemp("sshsig")
    (base / "home").mkdir()
    (base / "repo").mkdir()
    keys = {}
    for name, args in KEY_TYPES.items():
        path = base / name
        subprocess.run(
            ["ssh-keygen", "-q", *args, "-N", "", "-C", f"{name}@test", "-f", str(path)],
            check=True,
            capture_output=True,
        )
        keys[name] = path
    made = Kit(base, keys)
    made.git("init", "-q", "-b", "main")
    return made


# ---- building signatures and commit objects -----------------------------------------------------


def wire(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def mpint(value: int, pad: int = 0) -> bytes:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
    if raw and raw[0] & 0x80:
        raw = b"\0" + raw
    return wire(b"\0" * pad + raw)


def armor(blob: bytes, head: bytes = b"\n", width: int = 70) -> bytes:
    encoded = base64.b64encode(blob)
    lines = b"\n".join(encoded[i : i + width] for i in range(0, len(encoded), width))
    return b"-----BEGIN SSH SIGNATURE-----" + head + lines + b"\n-----END SSH SIGNATURE-----\n"


def dearmor(text: str) -> bytes:
    lines = text.strip().splitlines()
    return base64.b64decode("".join(lines[1:-1]))


CURVE_NAMES = {256: b"nistp256", 384: b"nistp384", 521: b"nistp521"}
CURVE_HASHES: dict[int, hashes.HashAlgorithm] = {
    256: hashes.SHA256(),
    384: hashes.SHA384(),
    521: hashes.SHA512(),
}


def key_blob(private: Any, e_pad: int = 0) -> bytes:
    public = private.public_key()
    if isinstance(public, ed25519.Ed25519PublicKey):
        return wire(b"ssh-ed25519") + wire(public.public_bytes(Encoding.Raw, PublicFormat.Raw))
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        return wire(b"ssh-rsa") + mpint(numbers.e, e_pad) + mpint(numbers.n)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    curve = CURVE_NAMES[public.curve.key_size]
    point = public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return wire(b"ecdsa-sha2-" + curve) + wire(curve) + wire(point)


def signed_data(payload: bytes, namespace: bytes = b"git", hash_name: str = "sha512") -> bytes:
    digest = hashlib.new(hash_name, payload).digest()
    return b"SSHSIG" + wire(namespace) + wire(b"") + wire(hash_name.encode()) + wire(digest)


def signature_blob(
    private: Any, data: bytes, rsa_type: bytes = b"rsa-sha2-512", pad: int = 0
) -> bytes:
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return wire(b"ssh-ed25519") + wire(private.sign(data))
    if isinstance(private, rsa.RSAPrivateKey):
        digest: dict[bytes, hashes.HashAlgorithm] = {
            b"rsa-sha2-512": hashes.SHA512(),
            b"rsa-sha2-256": hashes.SHA256(),
            b"ssh-rsa": hashes.SHA1(),
        }
        return wire(rsa_type) + wire(private.sign(data, padding.PKCS1v15(), digest[rsa_type]))
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    size = private.curve.key_size
    r, s = decode_dss_signature(private.sign(data, ec.ECDSA(CURVE_HASHES[size])))
    return wire(b"ecdsa-sha2-" + CURVE_NAMES[size]) + wire(mpint(r, pad) + mpint(s, pad))


def sshsig_blob(
    private: Any,
    payload: bytes,
    *,
    version: int = 1,
    namespace: bytes = b"git",
    reserved: bytes = b"",
    hash_name: bytes = b"sha512",
    key: bytes | None = None,
    signature: bytes | None = None,
    trailing: bytes = b"",
) -> bytes:
    """An SSHSIG blob; by default a correct one. Names lose one trailing NUL before signing,
    as OpenSSH reads them."""
    data = signed_data(payload, namespace.rstrip(b"\0"), hash_name.rstrip(b"\0").decode())
    return (
        b"SSHSIG"
        + version.to_bytes(4, "big")
        + wire(key_blob(private) if key is None else key)
        + wire(namespace)
        + wire(reserved)
        + wire(hash_name)
        + wire(signature_blob(private, data) if signature is None else signature)
        + trailing
    )


def with_signature(payload: bytes, armored: bytes, header: bytes = b"gpgsig") -> bytes:
    """The commit object git writes: the signature as a header (continuation lines start with
    a space) at the end of the headers."""
    end = payload.index(b"\n\n") + 1
    lines = armored.rstrip(b"\n").split(b"\n")
    block = header + b" " + b"\n ".join(lines) + b"\n"
    return payload[:end] + block + payload[end:]


# ---- our verdict, in git's letters --------------------------------------------------------------

COMMITTER = re.compile(rb"^committer (.*) <(.*)> (\d+) ([+-])(\d\d)(\d\d)$", re.MULTILINE)


def committer(raw: bytes) -> tuple[str, datetime]:
    found = COMMITTER.search(raw.split(b"\n\n", 1)[0])
    assert found is not None
    sign = 1 if found.group(4) == b"+" else -1
    offset = timedelta(hours=int(found.group(5)), minutes=int(found.group(6))) * sign
    when = datetime.fromtimestamp(int(found.group(3)), timezone(offset))
    return found.group(2).decode(), when


def our_letter(raw: bytes, keys: list[signers.SigningKey]) -> str:
    """N, B, U or G as git's %G? would say, from our own parts; "ask git" where only git
    can tell (the caller then asks git)."""
    payload, armored = sshsig.split_commit(raw)
    if armored is None:
        return "N"
    try:
        signature = sshsig.parse(armored)
        valid = sshsig.verify(signature, payload)
    except sshsig.SignatureError:
        return "B"
    except sshsig.UnsupportedKey:
        return "ask git"
    if not valid:
        return "B"
    email, when = committer(raw)
    found = signers.authorise(keys, signature.public_key, when, email, OFFICE)
    # git does not compare the committer with the principal: CT804 is ours alone.
    return "G" if found.code in (None, "CT804") else "U"


def git_letters(
    kit: Kit, commits: list[str], signers_file: Path, env: Mapping[str, str] = {}
) -> dict[str, str]:
    """git's %G? for each commit. git 2.39 runs `ssh-keygen -Y check-novalidate` without
    ignoring SIGPIPE, so a signature ssh-keygen rejects before reading the payload kills git
    now and then (about 2 runs in 100): such a run is repeated, as it says nothing."""
    letters = {}
    for commit in commits:
        for _attempt in range(20):
            result = subprocess.run(
                ["git", "-c", f"gpg.ssh.allowedSignersFile={signers_file}", "log", "--no-walk",
                 "--format=%H %G?", commit],
                cwd=kit.repo,
                env=kit.env(**env),
                capture_output=True,
                text=True,
            )  # fmt: skip
            if result.returncode != -signal.SIGPIPE:
                break
        assert result.returncode == 0, result.stderr
        found, letter = result.stdout.split()
        letters[found] = letter
    return letters


# ---- a history of real and crafted commits ------------------------------------------------------


def roster(kit: Kit) -> dict[str, Any]:
    def person(handle: str, key: str, **dates: str) -> dict[str, Any]:
        entry = {"key": f"{kit.public(key)} {handle}@laptop", "valid_from": "2026-01-05", **dates}
        return {
            "handle": handle,
            "name": handle.title(),
            "email": f"{handle}@demo.invalid",
            "roles": ["handler"],
            "signing_keys": [entry],
        }

    return {
        "people": [
            person("alice", "ed25519"),
            person("bruno", "ecdsa256", valid_from="2026-03-01", valid_until="2026-11-30"),
            person("chi", "rsa3072", valid_from="2026-02-01"),
            person("dan", "ecdsa384"),
            person("eve", "ecdsa521"),
            person("frank", "shared"),
            person("grace", "shared"),
            person("hugo", "revoked", revoked_at="2026-06-01"),
            person("ida", "summer", valid_until="2026-07-31"),
        ]
    }


@dataclass
class Commit:
    name: str
    id: str
    raw: bytes


@dataclass
class History:
    kit: Kit
    keys: list[signers.SigningKey]
    signers_file: Path
    commits: list[Commit]


def identity(handle: str, when: str) -> dict[str, str]:
    email = f"{handle}@demo.invalid"
    return {
        "GIT_AUTHOR_NAME": handle.title(),
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": handle.title(),
        "GIT_COMMITTER_EMAIL": email,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
    }


@pytest.fixture(scope="module")
def history(kit: Kit) -> History:
    office = roster(kit)
    signers_file = kit.base / "allowed_signers"
    signers_file.write_text(signers.allowed_signers(office, OFFICE))
    made: list[Commit] = []

    def commit(name: str, key: str | None, handle: str, when: str) -> str:
        sign = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={kit.keys[key]}"] if key else []
        flag = ["-S"] if key else []
        kit.git(
            *sign, "commit", "-q", "--allow-empty", *flag, "-m", name, env=identity(handle, when)
        )
        head = kit.git("rev-parse", "HEAD").strip()
        made.append(Commit(name, head, kit.run("git", "cat-file", "commit", head)))
        return head

    def craft(name: str, raw: bytes) -> str:
        made_id = kit.git("hash-object", "-t", "commit", "-w", "--literally", "--stdin", input=raw)
        made.append(Commit(name, made_id.strip(), raw))
        return made_id.strip()

    # Real commits, one per key type, and each person's edge cases.
    commit("alice, ed25519", "ed25519", "alice", "2026-11-02T10:00:00+01:00")
    commit("bruno, ecdsa p256, summer", "ecdsa256", "bruno", "2026-06-15T12:00:00+02:00")
    commit("chi, rsa 3072", "rsa3072", "chi", "2026-11-03T10:00:00+01:00")
    commit("dan, ecdsa p384", "ecdsa384", "dan", "2026-11-03T11:00:00+01:00")
    commit("eve, ecdsa p521", "ecdsa521", "eve", "2026-11-03T12:00:00+01:00")
    commit("bruno, last second of his last day", "ecdsa256", "bruno", "2026-11-30T23:59:59+01:00")
    commit("bruno, the day after his last", "ecdsa256", "bruno", "2026-12-01T00:00:00+01:00")
    commit(
        "bruno, the second before his first day", "ecdsa256", "bruno", "2026-02-28T23:59:59+01:00"
    )
    commit("bruno, first second of his first day", "ecdsa256", "bruno", "2026-03-01T00:00:00+01:00")
    commit("alice, before her key existed", "ed25519", "alice", "2026-01-04T23:59:59+01:00")
    commit("hugo, revoked key", "revoked", "hugo", "2026-05-01T10:00:00+02:00")
    commit("frank, key listed for two people", "shared", "frank", "2026-11-04T10:00:00+01:00")
    commit("a stranger's key", "stranger", "alice", "2026-11-04T11:00:00+01:00")
    commit("alice signs, chi is committer", "ed25519", "chi", "2026-11-04T12:00:00+01:00")
    commit("unsigned", None, "alice", "2026-11-04T13:00:00+01:00")
    good = commit("alice, to be tampered with", "ed25519", "alice", "2026-11-05T10:00:00+01:00")

    raw = kit.run("git", "cat-file", "commit", good)
    payload, armored = sshsig.split_commit(raw)
    assert armored is not None
    signature = armored.encode()
    craft("tampered message", raw.replace(b"tampered with", b"tampered with!"))
    craft("tampered committer name", raw.replace(b"committer Alice", b"committer Alicia"))
    other = kit.sign_file("ed25519", payload, namespace="file").encode()
    craft("signed in the 'file' namespace", with_signature(payload, other))
    craft("signature of another payload", with_signature(payload + b"x", signature))
    # git leaves every gpgsig* header out of the payload, and reads the signature from gpgsig.
    extra = with_signature(payload, b"-----BEGIN PGP SIGNATURE-----\nabc\n", b"gpgsig-sha256")
    craft("extra gpgsig-sha256 header", with_signature(extra, signature))
    inclusive = kit.sign_file("ed25519", extra).encode()
    craft("signed over a gpgsig-sha256 header", with_signature(extra, inclusive))
    odd = payload.replace(b"\n\n", b"\ngpgsigx one\n two\n\n", 1)
    craft("unknown gpgsig* header", with_signature(odd, kit.sign_file("ed25519", payload).encode()))
    craft(
        "two gpgsig headers, good first",
        with_signature(with_signature(payload, signature), b"junk\n"),
    )
    # (a first value that is not a signature at all makes git die: keep the armor header)
    unfinished = b"-----BEGIN SSH SIGNATURE-----\nAAAA\n"
    craft(
        "two gpgsig headers, junk first",
        with_signature(with_signature(payload, unfinished), signature),
    )
    craft(
        "CRLF after the armor header",
        with_signature(payload, signature.replace(b"-----\n", b"-----\r\n", 1)),
    )

    # OpenSSH's leniencies and refusals, as real commits.
    def craft_sshsig(name: str, signer: str, payload: bytes, **options: Any) -> None:
        armored = armor(sshsig_blob(kit.private(signer), payload, **options))
        craft(name, with_signature(payload, armored))

    blob = dearmor(armored)
    craft("SSHSIG version 0", with_signature(payload, armor(blob[:6] + b"\0\0\0\0" + blob[10:])))
    craft_sshsig("reserved field used", "ed25519", payload, reserved=b"x")
    craft_sshsig("namespace with a trailing NUL", "ed25519", payload, namespace=b"git\0")
    craft_sshsig("sha256 message hash", "ed25519", payload, hash_name=b"sha256")
    craft_sshsig("sha384 message hash", "ed25519", payload, hash_name=b"sha384")
    craft_sshsig("trailing data", "ed25519", payload, trailing=b"\0")
    chi = kit.private("rsa3072")
    chi_payload = sshsig.split_commit(made[2].raw)[0]
    data = signed_data(chi_payload)
    sha1 = signature_blob(chi, data, b"ssh-rsa")
    craft_sshsig("rsa, SHA-1 signature", "rsa3072", chi_payload, signature=sha1)
    sha256 = signature_blob(chi, data, b"rsa-sha2-256")
    craft_sshsig("rsa, rsa-sha2-256 signature", "rsa3072", chi_payload, signature=sha256)
    padded = key_blob(chi, e_pad=1)
    craft_sshsig("rsa, key with a padded exponent", "rsa3072", chi_payload, key=padded)
    return History(kit, signers.signing_keys(office), signers_file, made)


# ---- split_commit ---------------------------------------------------------------------------------


def test_split_commit_takes_gpgsig_out_of_the_payload() -> None:
    raw = with_signature(
        PAYLOAD, b"-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n"
    )
    assert b"gpgsig" in raw
    payload, armored = sshsig.split_commit(raw)
    assert payload == PAYLOAD
    assert armored == "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n"


def test_split_commit_unsigned_and_odd_headers() -> None:
    assert sshsig.split_commit(PAYLOAD) == (PAYLOAD, None)
    assert sshsig.split_commit(b"") == (b"", None)
    # other gpgsig* headers and their continuation lines leave the payload; others stay
    raw = PAYLOAD.replace(
        b"\n\n",
        b"\ngpgsig-sha256 x\n y\nmergetag object 1\n type commit\ngpgsigx z\n\n",
        1,
    )
    payload, armored = sshsig.split_commit(raw)
    assert armored is None
    assert payload == PAYLOAD.replace(b"\n\n", b"\nmergetag object 1\n type commit\n\n", 1)
    # a gpgsig line in the message is message, not a header
    raw = PAYLOAD + b"gpgsig not a header\n"
    assert sshsig.split_commit(raw) == (raw, None)
    # a SHA-256 repository signs in gpgsig-sha256 and drops gpgsig
    both = with_signature(with_signature(PAYLOAD, b"one\n", b"gpgsig-sha256"), b"two\n")
    assert sshsig.split_commit(both) == (PAYLOAD, "two\n")
    assert sshsig.split_commit(both, "gpgsig-sha256") == (PAYLOAD, "one\n")


def test_split_commit_concatenates_repeated_headers_and_keeps_odd_bytes() -> None:
    raw = with_signature(with_signature(PAYLOAD, b"b\xff\n"), b"a\n")
    assert sshsig.split_commit(raw) == (PAYLOAD, "b\udcff\na\n")
    with pytest.raises(sshsig.SignatureError):
        sshsig.split_commit("text")  # type: ignore[arg-type]


# ---- real commits: git's verdict and ours -------------------------------------------------------

EXPECTED = {
    "alice, ed25519": "G",
    "bruno, ecdsa p256, summer": "G",
    "chi, rsa 3072": "G",
    "dan, ecdsa p384": "G",
    "eve, ecdsa p521": "G",
    "bruno, last second of his last day": "G",
    "bruno, the day after his last": "U",
    "bruno, the second before his first day": "U",
    "bruno, first second of his first day": "G",
    "alice, before her key existed": "U",
    "hugo, revoked key": "U",
    "frank, key listed for two people": "U",
    "a stranger's key": "U",
    "alice signs, chi is committer": "G",
    "unsigned": "N",
    "alice, to be tampered with": "G",
    "tampered message": "B",
    "tampered committer name": "B",
    "signed in the 'file' namespace": "B",
    "signature of another payload": "B",
    "extra gpgsig-sha256 header": "G",
    "signed over a gpgsig-sha256 header": "B",
    "unknown gpgsig* header": "G",
    "two gpgsig headers, good first": "G",
    "two gpgsig headers, junk first": "B",
    "CRLF after the armor header": "B",
    "SSHSIG version 0": "G",
    "reserved field used": "G",
    "namespace with a trailing NUL": "G",
    "sha256 message hash": "G",
    "sha384 message hash": "B",
    "trailing data": "B",
    "rsa, SHA-1 signature": "B",
    "rsa, rsa-sha2-256 signature": "G",
    "rsa, key with a padded exponent": "G",
}


def test_our_verdicts_are_gits_on_real_commits(history: History) -> None:
    ids = [c.id for c in history.commits]
    git = git_letters(history.kit, ids, history.signers_file)
    ours = {c.id: our_letter(c.raw, history.keys) for c in history.commits}
    table = {c.name: (git[c.id], ours[c.id]) for c in history.commits}
    assert {name: g for name, (g, _o) in table.items()} == EXPECTED  # the reference as expected
    asked = {name for name, (_g, o) in table.items() if o == "ask git"}
    assert asked == {"CRLF after the armor header"}  # OpenSSH versions differ on it
    assert {name: o for name, (_g, o) in table.items() if name not in asked} == {
        name: letter for name, letter in EXPECTED.items() if name not in asked
    }  # and ours is the same


def test_git_agrees_in_another_time_zone_in_winter(history: History) -> None:
    """Outside summer time git's verify-time is exact in any zone (see the last test), so the
    allowed signers file reads the same under TZ=Europe/Berlin as under TZ=UTC."""
    edges = [c for c in history.commits if "+0100" in c.raw.split(b"\n\n")[0].decode()]
    edges = [c for c in edges if c.name.startswith(("bruno", "alice, before"))]
    assert len(edges) == 5
    git = git_letters(history.kit, [c.id for c in edges], history.signers_file, {"TZ": OFFICE})
    assert {c.name: git[c.id] for c in edges} == {c.name: EXPECTED[c.name] for c in edges}


def test_raw_objects_round_trip_through_split_commit(history: History) -> None:
    for commit in history.commits[:16]:
        payload, armored = sshsig.split_commit(commit.raw)
        if armored is None:
            assert payload == commit.raw
        else:
            assert with_signature(payload, armored.encode()) == commit.raw


def test_parse_reads_what_git_wrote(history: History, kit: Kit) -> None:
    by_name = {c.name: c for c in history.commits}
    for name, key in (
        ("alice, ed25519", "ed25519"),
        ("bruno, ecdsa p256, summer", "ecdsa256"),
        ("chi, rsa 3072", "rsa3072"),
        ("dan, ecdsa p384", "ecdsa384"),
        ("eve, ecdsa p521", "ecdsa521"),
    ):
        armored = sshsig.split_commit(by_name[name].raw)[1]
        assert armored is not None
        signature = sshsig.parse(armored)
        assert signature.public_key == kit.public(key)  # comparable with roster keys
        assert signature.namespace == "git"
        assert signature.hash_algorithm == "sha512"
        assert signature.version == 1
        assert signature.fingerprint == sshsig.fingerprint(kit.public(key))


def test_fingerprints_are_ssh_keygens(kit: Kit) -> None:
    for name, path in kit.keys.items():
        printed = kit.run("ssh-keygen", "-l", "-f", str(path.with_suffix(".pub"))).decode()
        assert sshsig.fingerprint(path.with_suffix(".pub").read_text()) == printed.split()[1], name


def test_canonical_key_drops_comment_and_normalises_encoding(kit: Kit) -> None:
    text = kit.keys["rsa3072"].with_suffix(".pub").read_text()
    assert sshsig.canonical_key(text) == kit.public("rsa3072")
    padded = key_blob(kit.private("rsa3072"), e_pad=2)
    odd = "ssh-rsa " + base64.b64encode(padded).decode()
    assert odd != kit.public("rsa3072")
    assert sshsig.canonical_key(odd) == kit.public("rsa3072")
    assert sshsig.fingerprint(odd) == sshsig.fingerprint(kit.public("rsa3072"))
    for bad in (
        "",
        "ssh-ed25519",
        "ssh-rsa " + kit.public("ed25519").split()[1],
        "ssh-ed25519 AAAA!",
    ):
        with pytest.raises(sshsig.SignatureError):
            sshsig.canonical_key(bad)


# ---- crafted signatures: ssh-keygen's cryptographic verdict and ours ------------------------------


def mutations(kit: Kit, name: str) -> dict[str, bytes]:
    private = kit.private(name)
    good = sshsig_blob(private, PAYLOAD)
    encoded = base64.b64encode(good)
    spaced = b"\n".join(encoded[i : i + 5] for i in range(0, len(encoded), 5)).replace(
        b"\n", b" \t\n"
    )
    blob = key_blob(private)
    type_length = int.from_bytes(blob[:4], "big")
    nul_type = wire(blob[4 : 4 + type_length] + b"\0") + blob[4 + type_length :]
    data = signed_data(PAYLOAD)
    return {
        "good": armor(good),
        "version 0": armor(sshsig_blob(private, PAYLOAD, version=0)),
        "version 2": armor(sshsig_blob(private, PAYLOAD, version=2)),
        "reserved used": armor(sshsig_blob(private, PAYLOAD, reserved=b"xyz")),
        "namespace git NUL": armor(sshsig_blob(private, PAYLOAD, namespace=b"git\0")),
        "namespace git NUL x": armor(
            b"SSHSIG" + good[6:].replace(wire(b"git"), wire(b"git\0x"), 1)
        ),
        "namespace file": armor(sshsig_blob(private, PAYLOAD, namespace=b"file")),
        "hash sha512 NUL": armor(sshsig_blob(private, PAYLOAD, hash_name=b"sha512\0")),
        "hash sha256": armor(sshsig_blob(private, PAYLOAD, hash_name=b"sha256")),
        "hash sha384": armor(sshsig_blob(private, PAYLOAD, hash_name=b"sha384")),
        "hash SHA512": armor(good.replace(wire(b"sha512"), wire(b"SHA512"), 1)),
        "trailing data": armor(sshsig_blob(private, PAYLOAD, trailing=b"\0")),
        "key blob trailing data": armor(sshsig_blob(private, PAYLOAD, key=blob + b"\0")),
        "key type with NUL": armor(sshsig_blob(private, PAYLOAD, key=nul_type)),
        "signature trailing data": armor(
            sshsig_blob(private, PAYLOAD, signature=signature_blob(private, data) + b"\0")
        ),
        "other key": armor(sshsig_blob(private, PAYLOAD, key=key_blob(kit.private("stranger")))),
        "CRLF after header": armor(good, head=b"\r\n"),
        "no line end after header": armor(good, head=b""),
        "whitespace inside base64": b"-----BEGIN SSH SIGNATURE-----\n"
        + spaced
        + b"\r\n-----END SSH SIGNATURE-----\n",
        "text after footer": armor(good) + b"junk \xff\n-----END SSH SIGNATURE-----\n",
        "NUL before footer": armor(good).replace(b"\n-----END", b"\0\n-----END"),
        "NUL inside base64": armor(good).replace(b"\n", b"\n\0", 2),
        "base64 slop bits": slop_bits(private),
        "truncated": armor(good[: len(good) // 2]),
        "one byte short": armor(good[:-1]),
        "empty": b"",
        "no footer": armor(good)[:-29],
    }


def slop_bits(private: Any) -> bytes:
    """A valid blob whose base64 ends in padding, with a bit set past its last byte (the
    reserved field, which is not signed, sets the length)."""
    signature = signature_blob(private, signed_data(PAYLOAD))
    blobs = (sshsig_blob(private, PAYLOAD, reserved=b"x" * k, signature=signature) for k in (1, 2))
    blob = next(b for b in blobs if len(b) % 3)
    encoded = base64.b64encode(blob)
    pads = encoded.count(b"=")
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(encoded[-pads - 1])
    assert (
        base64.b64decode(encoded[: -pads - 1] + alphabet[last + 1 : last + 2] + b"=" * pads) == blob
    )
    return armor(blob).replace(
        encoded[-pads - 1 - 3 :],
        encoded[-pads - 4 : -pads - 1] + alphabet[last + 1 : last + 2] + b"=" * pads,
    )


def compare_with_ssh_keygen(kit: Kit, cases: Mapping[str, bytes], payload: bytes = PAYLOAD) -> None:
    """Our verdict is ssh-keygen's on every case, except where we say only git can tell."""
    differences, asked = {}, set()
    for name, armored in cases.items():
        reference = kit.check_novalidate(armored, payload)
        try:
            text = armored.decode("utf-8", "surrogateescape")
            ours = sshsig.verify(sshsig.parse(text), payload)
        except sshsig.SignatureError:
            ours = False
        except sshsig.UnsupportedKey:
            asked.add(name)
            continue
        if ours != reference:
            differences[name] = (reference, ours)
    assert differences == {}
    assert asked <= {"CRLF after header"}


@pytest.mark.parametrize(
    "name",
    [
        "ed25519",
        pytest.param("ecdsa256", marks=pytest.mark.slow),
        pytest.param("ecdsa384", marks=pytest.mark.slow),
        pytest.param("ecdsa521", marks=pytest.mark.slow),
        pytest.param("rsa3072", marks=pytest.mark.slow),
    ],
)
def test_crafted_signatures_read_as_ssh_keygen_reads_them(kit: Kit, name: str) -> None:
    compare_with_ssh_keygen(kit, mutations(kit, name))


def test_encodings_of_signature_values(kit: Kit) -> None:
    cases = {}
    for name in ("ecdsa256", "ecdsa384", "ecdsa521"):
        private = kit.private(name)
        padded = signature_blob(private, signed_data(PAYLOAD), pad=2)
        cases[f"{name} r and s with leading zeros"] = armor(
            sshsig_blob(private, PAYLOAD, signature=padded)
        )
        swapped = wire(b"ecdsa-sha2-nistp521" if name != "ecdsa521" else b"ecdsa-sha2-nistp256")
        inner = padded[4 + int.from_bytes(padded[:4], "big") :]
        cases[f"{name} signature type of another curve"] = armor(
            sshsig_blob(private, PAYLOAD, signature=swapped + inner)
        )
    alice = kit.private("ed25519")
    raw = alice.sign(signed_data(PAYLOAD))
    for label, sig in {
        "ed25519 63 bytes": raw[:63],
        "ed25519 65 bytes": raw + b"\0",
        "ed25519 high bits of S": raw[:63] + bytes([raw[63] | 0x80]),
    }.items():
        cases[label] = armor(
            sshsig_blob(alice, PAYLOAD, signature=wire(b"ssh-ed25519") + wire(sig))
        )
    cases["ed25519 signature type with NUL"] = armor(
        sshsig_blob(alice, PAYLOAD, signature=wire(b"ssh-ed25519\0") + wire(raw))
    )
    chi = kit.private("rsa3072")
    data = signed_data(PAYLOAD)
    cases["rsa sha2-256 signature hashed with sha512"] = armor(
        sshsig_blob(
            chi,
            PAYLOAD,
            signature=wire(b"rsa-sha2-256")
            + wire(chi.sign(data, padding.PKCS1v15(), hashes.SHA512())),
        )
    )
    long = chi.sign(data, padding.PKCS1v15(), hashes.SHA512())
    cases["rsa signature longer than the modulus"] = armor(
        sshsig_blob(chi, PAYLOAD, signature=wire(b"rsa-sha2-512") + wire(b"\0" + long))
    )
    compare_with_ssh_keygen(kit, cases)


@pytest.mark.slow
def test_short_rsa_signature_is_padded_as_openssh_does(kit: Kit) -> None:
    """One RSA signature in 256 starts with a zero byte; OpenSSH pads one sent without it."""
    chi = kit.private("rsa3072")
    for counter in range(5000):
        payload = PAYLOAD + str(counter).encode()
        raw = chi.sign(signed_data(payload), padding.PKCS1v15(), hashes.SHA512())
        if raw[0] == 0:
            break
    short = wire(b"rsa-sha2-512") + wire(raw.lstrip(b"\0"))
    compare_with_ssh_keygen(
        kit, {"short rsa": armor(sshsig_blob(chi, payload, signature=short))}, payload
    )
    assert sshsig.verify(
        sshsig.parse(armor(sshsig_blob(chi, payload, signature=short)).decode()), payload
    )


def test_non_canonical_ed25519_scalar_is_left_to_git(kit: Kit) -> None:
    """S + L verifies in OpenSSH 9.2 (ref10 reduces S) but not in OpenSSL nor in later OpenSSH
    (which checks S < L): a malleated signature that only git can judge for its own version."""
    alice = kit.private("ed25519")
    raw = alice.sign(signed_data(PAYLOAD))
    scalar = int.from_bytes(raw[32:], "little") + ED25519_ORDER
    assert scalar < 2**253
    malleated = raw[:32] + scalar.to_bytes(32, "little")
    armored = armor(sshsig_blob(alice, PAYLOAD, signature=wire(b"ssh-ed25519") + wire(malleated)))
    signature = sshsig.parse(armored.decode())
    with pytest.raises(sshsig.UnsupportedKey):
        sshsig.verify(signature, PAYLOAD)
    assert isinstance(kit.check_novalidate(armored, PAYLOAD), bool)  # whatever this OpenSSH says


def test_curve_orders_are_right() -> None:
    """The group orders behind OpenSSH's public point checks: n - 1 is a private key, n is not."""
    for _name, curve, _hash, _size, order in sshsig._CURVES.values():
        ec.derive_private_key(order - 1, curve)
        with pytest.raises(ValueError):
            ec.derive_private_key(order, curve)


def test_security_keys_and_other_types_are_left_to_git() -> None:
    pk = bytes(range(32))
    sk_blob = wire(b"sk-ssh-ed25519@openssh.com") + wire(pk) + wire(b"ssh:")
    cert_blob = wire(b"ssh-ed25519-cert-v01@openssh.com") + wire(b"nonce") + wire(pk)
    for blob in (sk_blob, cert_blob):
        text = b"SSHSIG" + (1).to_bytes(4, "big") + wire(blob) + wire(b"git") + wire(b"")
        text += wire(b"sha512") + wire(wire(b"x") + wire(b"y"))
        signature = sshsig.parse(armor(text).decode())
        assert signature.public_key.startswith(
            blob[4 : 4 + int.from_bytes(blob[:4], "big")].decode()
        )
        assert signature.fingerprint.startswith("SHA256:")
        with pytest.raises(sshsig.UnsupportedKey):
            sshsig.verify(signature, PAYLOAD)
    assert sshsig.canonical_key(
        "sk-ssh-ed25519@openssh.com " + base64.b64encode(sk_blob).decode() + " me"
    )


# ---- malformed input: SignatureError and nothing else -------------------------------------------


@pytest.fixture(scope="module")
def good_blob(kit: Kit) -> bytes:
    return sshsig_blob(kit.private("ed25519"), PAYLOAD)


def judged(armored: str, payload: bytes = PAYLOAD) -> str:
    """'error', 'unsupported', or the verdict; any other exception fails the test."""
    try:
        signature = sshsig.parse(armored)
    except sshsig.SignatureError:
        return "error"
    assert sshsig.fingerprint(signature.public_key).startswith("SHA256:")
    try:
        return str(sshsig.verify(signature, payload))
    except sshsig.UnsupportedKey:
        return "unsupported"


def test_malformed_examples_raise_signature_error(kit: Kit, good_blob: bytes) -> None:
    good = good_blob
    huge = b"SSHSIG" + (1).to_bytes(4, "big") + b"\xff\xff\xff\xff" + good[14:]
    examples = {
        "wrong magic": armor(b"SSHSIH" + good[6:]),
        "huge length": armor(huge),
        "huge key length inside": armor(
            good[:10] + wire(wire(b"ssh-ed25519") + b"\xff\xff\xff\xff") + good[10:]
        ),
        "truncated base64": armor(good)[:-40] + b"\n-----END SSH SIGNATURE-----\n",
        "PGP": b"-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n",
        "not base64": b"-----BEGIN SSH SIGNATURE-----\n%%%%\n-----END SSH SIGNATURE-----\n",
        "negative rsa modulus": armor(
            sshsig_blob(
                kit.private("rsa3072"),
                PAYLOAD,
                key=wire(b"ssh-rsa") + mpint(65537) + wire(b"\xff" * 256),
            )
        ),
        "rsa key of 768 bits": armor(
            sshsig_blob(
                kit.private("rsa3072"),
                PAYLOAD,
                key=wire(b"ssh-rsa") + mpint(65537) + mpint(2**767 + 1),
            )
        ),
        "ecdsa point off the curve": armor(
            sshsig_blob(
                kit.private("ecdsa256"),
                PAYLOAD,
                key=wire(b"ecdsa-sha2-nistp256") + wire(b"nistp256") + wire(b"\x04" + b"\x01" * 64),
            )
        ),
        "compressed ecdsa point": armor(
            sshsig_blob(
                kit.private("ecdsa256"),
                PAYLOAD,
                key=wire(b"ecdsa-sha2-nistp256") + wire(b"nistp256") + wire(b"\x02" + b"\x01" * 32),
            )
        ),
        "ed25519 key of 31 bytes": armor(
            sshsig_blob(
                kit.private("ed25519"), PAYLOAD, key=wire(b"ssh-ed25519") + wire(b"\x01" * 31)
            )
        ),
        "key type with a space": armor(
            sshsig_blob(
                kit.private("ed25519"), PAYLOAD, key=wire(b"ssh ed25519") + wire(b"\x01" * 32)
            )
        ),
    }
    for name, armored in examples.items():
        assert judged(armored.decode("utf-8", "surrogateescape")) == "error", name
    assert judged("x" * (sshsig.MAX_ARMORED + 1)) == "error"
    with pytest.raises(sshsig.SignatureError):
        sshsig.parse(
            b"-----BEGIN SSH SIGNATURE-----\n"  # type: ignore[arg-type]
        )


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_mutated_signatures_never_raise_anything_else(
    good_blob: bytes, data: st.DataObject
) -> None:
    blob = bytearray(good_blob)
    for _ in range(data.draw(st.integers(1, 4))):
        action = data.draw(st.sampled_from(["flip", "cut", "insert", "length"]))
        at = data.draw(st.integers(0, len(blob) - 1)) if blob else 0
        if action == "flip" and blob:
            blob[at] ^= data.draw(st.integers(1, 255))
        elif action == "cut":
            del blob[at : at + data.draw(st.integers(1, 40))]
        elif action == "insert":
            blob[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        elif len(blob) > at + 4:
            blob[at : at + 4] = data.draw(
                st.sampled_from([b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\0\0\0\0"])
            )
    assert judged(armor(bytes(blob)).decode("utf-8", "surrogateescape")) in {
        "error",
        "unsupported",
        "True",
        "False",
    }


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=300), st.text(max_size=200))
def test_arbitrary_input_never_raises_anything_else(junk: bytes, text: str) -> None:
    assert judged(armor(junk).decode("utf-8", "surrogateescape")) in {
        "error",
        "unsupported",
        "True",
        "False",
    }
    assert judged(text) in {"error", "unsupported", "True", "False"}
    payload, armored = sshsig.split_commit(junk)
    assert isinstance(payload, bytes) and (armored is None or isinstance(armored, str))


# ---- the time zone surprise -----------------------------------------------------------------------


def test_git_in_a_summer_time_zone_reads_commit_times_an_hour_late(
    history: History, kit: Kit
) -> None:
    """git passes the commit time to ssh-keygen as local wall time without a zone
    (-Overify-time=YYYYMMDDHHMMSS, TZ of the process), and ssh-keygen reads it with
    mktime(tm_isdst=0): in summer time that is one hour late. The allowed signers file names
    instants (UTC, 'Z'), so only git's side shifts. Run git with TZ=UTC to get exact answers;
    our verdicts never depend on the machine's zone."""
    kit.git(
        "-c",
        "gpg.format=ssh",
        "-c",
        f"user.signingkey={kit.keys['summer']}",
        "commit",
        "-q",
        "--allow-empty",
        "-S",
        "-m",
        "ida, last half hour of her last day",
        env=identity("ida", "2026-07-31T23:30:00+02:00"),
    )
    head = kit.git("rev-parse", "HEAD").strip()
    assert our_letter(kit.run("git", "cat-file", "commit", head), history.keys) == "G"
    assert git_letters(kit, [head], history.signers_file, {"TZ": "UTC"})[head] == "G"
    assert git_letters(kit, [head], history.signers_file, {"TZ": "Europe/Berlin"})[head] == "U"
