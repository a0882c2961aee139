from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from casetrail.core import ids


@given(st.binary(min_size=6, max_size=6), st.integers(2000, 2099))
def test_made_ids_are_valid(random: bytes, year: int) -> None:
    case_id = ids.make(year, random)
    assert ids.problem(case_id) is None
    assert case_id.isascii() and len(case_id) == 12


@given(st.binary(min_size=6, max_size=6), st.integers(5, 11), st.sampled_from(ids.ALPHABET))
def test_any_single_character_slip_is_caught(random: bytes, position: int, char: str) -> None:
    case_id = ids.make(2026, random)
    if case_id[position] != char:
        mistyped = case_id[:position] + char + case_id[position + 1 :]
        assert ids.problem(mistyped) is not None


@given(st.binary(min_size=6, max_size=6), st.integers(5, 10))
def test_swapping_neighbours_is_caught(random: bytes, position: int) -> None:
    case_id = ids.make(2026, random)
    a, b = case_id[position], case_id[position + 1]
    swapped = case_id[:position] + b + a + case_id[position + 2 :]
    # Luhn mod N misses only the swap of the two characters whose values sum to N-1 ... and equal ones.
    if a != b and ids.ALPHABET.index(a) + ids.ALPHABET.index(b) != 31:
        assert ids.problem(swapped) is not None


def test_bad_shapes() -> None:
    for bad in ("2026-ABC", "2026-ILOU123", "../../etc/passwd", "2026-abcdefg", "26-ABCDEFG"):
        assert ids.problem(bad) is not None


def test_normalise_reads_alikes() -> None:
    case_id = ids.make(2026, bytes([1, 0, 1, 2, 3, 4]))
    spoken = case_id.lower().replace("1", "l").replace("0", "o")
    assert ids.normalise(spoken) == case_id
