"""Reproducible randomness for the fictional demo office, and nothing else.

`casetrail demo` builds a whole fictional office (cases, documents, three months of history) by
driving the real commands, and it must be reproducible: run twice, it gives byte-identical case
files and the same commit trees. Two things are random on those paths: case IDs and age
encryption (file key, ephemeral X25519 secrets, payload nonce). When `CASETRAIL_DEMO_SEED` is set,
both draw their bytes from this module instead of the operating system, derived from the seed
with HMAC-SHA256 in counter mode.

This exists only so the demo is reproducible. Deterministic encryption to a real person would
be a weakness (the same text gives the same ciphertext, and anyone who knows the seed knows every
file key), so `shell/cipher.py` refuses a seed unless every recipient is one of the demo office's
public keys below, whose private halves are published in `tests/demo-keys-DO-NOT-USE/`. Without
the variable nothing changes: the bytes come from `os.urandom`.
"""

from __future__ import annotations

import hashlib
import hmac
import os

SEED_VARIABLE = "CASETRAIL_DEMO_SEED"

# The fictional office's age recipients (nine people and the records office's escrow key), from
# the `# public key:` lines of tests/demo-keys-DO-NOT-USE/*.agekey. Their private keys are public:
# nothing encrypted to them is secret, which is why only they may be used with a seed.
# tests/test_demoseed.py checks this set against that folder so the two cannot drift apart.
DEMO_RECIPIENTS: frozenset[str] = frozenset(
    {
        "age1c843zgv2r7vkezs4tu45y2f55jjtls0g6xw8ew86qdr5k3ly3y5qkqgxan",  # amartin
        "age13hkyh7yrrx0qe73v2lug3xtufzaya3r2upa3nfqjllhz50cygyasu5zcpt",  # bkoch
        "age1v5gsyv6ghhqn4g2m34kv8h0kdgq8qy4mu5470yk30tlhjlljhu5svl847t",  # cnguyen
        "age176ud2xk6dklgu9uuslcf807cdfctd6hgn30rwc4t252g6cfecsyqeexxsn",  # dokafor
        "age1ps6uuthjlanxx24398l7awpe6sszq6m6sdlw8l44qgxakxevfdnsh7yq5d",  # escrow
        "age1z98ukwdyuvrmu4tr4jqqt9t5lad6mhgl83nqgjdn5zwjj0fk89dsmqlhsl",  # esilva
        "age14wkxft4v4y6htjv3373rd2xdplf24z28hn0av99fm2suwe6lpusqld62x8",  # fweber
        "age1cgcqh25pfrmdxv7fqzqgyqtypgaxmgplm4ng85pwhv2hpsvtsezsk6q7tj",  # gharris
        "age1ljgrd4f6jr7ke4h2fgkqc32a5jujmasnjqhmg4g9kua8khujma2qaeflcm",  # hlindqvist
        "age1lgy7etd0an2u3d8q0pc70yjslqd378mmm9jhvn3m7mqctakp7d7svr3mwc",  # ipatel
    }
)


def seed() -> bytes | None:
    """The demo seed from the environment; None when the variable is unset or empty."""
    value = os.environ.get(SEED_VARIABLE, "")
    return value.encode("utf-8") if value else None


def random_bytes(purpose: bytes, n: int) -> bytes:
    """`n` bytes for `purpose`: from os.urandom without a seed; with one, HMAC-SHA256(seed,
    purpose || 4-byte big-endian counter) for counter 0, 1, ... concatenated and cut to `n`.

    The same seed and purpose always give the same bytes, so callers put everything that must
    make the bytes differ (the plaintext's digest, the recipients, an attempt number) into the
    purpose, after a label naming the use."""
    if n < 0:
        raise ValueError("a negative number of bytes")
    key = seed()
    if key is None:
        return os.urandom(n)
    blocks = []
    for counter in range((n + 31) // 32):
        blocks.append(hmac.new(key, purpose + counter.to_bytes(4, "big"), hashlib.sha256).digest())
    return b"".join(blocks)[:n]


_case_keys: set[str] = set()  # per-case recipients drawn from the seed in this process


def allow_case_key(recipient: str) -> None:
    """A per-case key the demo's store drew from the seed: as fictional as the demo's keys."""
    _case_keys.add(recipient)


def is_demo_recipient(recipient: str) -> bool:
    return recipient in DEMO_RECIPIENTS or recipient in _case_keys
