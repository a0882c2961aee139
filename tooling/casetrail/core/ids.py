"""Case identifiers: unique without coordination, readable over the phone, self-checking.

`2026-7KQ4XMP`: the year, then six random Crockford base32 characters (no I, L, O, U: nothing
to mishear or misread) and one Luhn mod 32 check character, which catches every single-character
slip and most swaps of neighbours. 32**6 (about 10**9) random values a year make a clash between
two cases created on two branches at the same moment vanishingly unlikely without any shared
counter; `casetrail check` still rejects duplicates across the tree.
"""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_LENGTH = 6
ID_RE = re.compile(rf"^(\d{{4}})-([{ALPHABET}]{{{RANDOM_LENGTH + 1}}})$")
_READ_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def check_character(body: str) -> str:
    """Luhn mod N over the Crockford alphabet."""
    factor, total = 2, 0
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def make(year: int, random_bytes: bytes) -> str:
    """An ID from a year and at least six random bytes (the caller owns the randomness)."""
    body = "".join(ALPHABET[b % 32] for b in random_bytes[:RANDOM_LENGTH])
    return f"{year:04d}-{body}{check_character(body)}"


def problem(case_id: str) -> str | None:
    """Why `case_id` is not a well-formed ID, or None."""
    match = ID_RE.match(case_id)
    if not match:
        return "not of the form YYYY-XXXXXXX (year, dash, seven Crockford base32 characters)"
    code = match.group(2)
    if check_character(code[:-1]) != code[-1]:
        return "its check character does not match (a character was mistyped or swapped)"
    return None


def normalise(text: str) -> str:
    """What a person typed or said, as an ID: upper case, I/L read as 1, O as 0."""
    return text.strip().upper().translate(_READ_ALIKES)
