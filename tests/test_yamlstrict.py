from __future__ import annotations

import pytest

from casetrail.core import yamlstrict


def load(text: str) -> object:
    return yamlstrict.load(text).value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: no", "no"),
        ("a: yes", "yes"),
        ("a: off", "off"),
        ("a: 1.10", "1.10"),
        ("a: 012", "012"),
        ("a: 2026-11-02", "2026-11-02"),
        ("a: 2026-11-02T10:00:00+01:00", "2026-11-02T10:00:00+01:00"),
        ("a: 1e3", "1e3"),
        ("a: .inf", ".inf"),
        ("a: True", "True"),
        ("a: 0x1F", "0x1F"),
        ("a: 99999999999999999999999", "99999999999999999999999"),
        ("a: '12'", "12"),
        ("a: true", True),
        ("a: false", False),
        ("a: 12", 12),
        ("a: -3", -3),
        ("a: 0", 0),
        ("a: null", None),
        ("a: ~", None),
        ("a:", None),
        ("a: |\n  text\n", "text\n"),
    ],
)
def test_scalars_are_not_guessed(text: str, expected: object) -> None:
    assert load(text) == {"a": expected}


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("a: 1\na: 2\n", "CT007", 1),
        ("a: &x 1\n", "CT006", 0),
        ("a: &x [1]\nb: *x\n", "CT006", 0),
        ("a: !!python/object/apply:os.system ['true']\n", "CT006", 0),
        ("a: !custom x\n", "CT006", 0),
        ("1: a\n", "CT008", 0),
        ("true: a\n", "CT008", 0),
        ("? [a, b]\n: c\n", "CT008", 0),
        ("a: [\n", "CT005", 1),
        ("a: b: c\n", "CT005", 0),
        ("a: " + "[" * 40 + "]" * 40 + "\n", "CT010", 0),
    ],
)
def test_refusals(text: str, code: str, line: int) -> None:
    with pytest.raises(yamlstrict.StrictYamlError) as caught:
        yamlstrict.load(text)
    assert caught.value.code == code
    assert caught.value.line == line


def test_alias_bomb_is_refused_at_the_first_alias() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(
            f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]"
        )
    with pytest.raises(yamlstrict.StrictYamlError) as caught:
        yamlstrict.load("\n".join(lines))
    assert caught.value.code == "CT006"


def test_block_nesting_is_capped() -> None:
    text = "".join(" " * depth + "k:\n" for depth in range(40))
    with pytest.raises(yamlstrict.StrictYamlError) as caught:
        yamlstrict.load(text)
    assert caught.value.code == "CT010"


def test_locate_points_at_keys_and_items() -> None:
    located = yamlstrict.load("a: 1\nlist:\n  - x: 1\n    y: 2\n  - x: 3\n")
    assert located.locate(("list", 1, "x")) == (4, 4)
    assert located.locate(("list", 0, "y")) == (3, 4)
    assert located.locate(("missing",)) == (0, 0)
