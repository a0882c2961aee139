"""Round-trip editing of front matter (DESIGN.md invariant 2): an edit moves only its own lines."""

from __future__ import annotations

import copy
import difflib
import functools
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casetrail.core import yamledit, yamlstrict
from casetrail.core.yamledit import Append, Delete, EditError, Op, Set, apply, roundtrips

CASES = sorted((Path(__file__).resolve().parent.parent / "cases" / "2026").glob("*.md"))
TIMESTAMP = "2026-11-20T10:00:00+01:00"


def front_matter(path: Path) -> str:
    """The text between the --- fences, ending in a line break."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return text[4 : text.index("\n---\n", 3) + 1]


def load(text: str) -> Any:
    return yamlstrict.load(text).value


def case_where(test: Any) -> str:
    """The front matter of the first example case whose data passes test."""
    for path in CASES:
        text = front_matter(path)
        if test(load(text)):
            return text
    pytest.fail("no example case has what this test needs: change the test, not the examples")


def changes(before: str, after: str) -> list[tuple[str, int, list[str], list[str]]]:
    """(kind, first old line index, old lines, new lines) of every line-level change."""
    old, new = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [
        (tag, i1, old[i1:i2], new[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def top_level_end(text: str, key: str) -> tuple[int, int]:
    """(first, end) line indexes of the top-level entry `key`."""
    lines = text.splitlines()
    first = lines.index(f"{key}:")
    for index in range(first + 1, len(lines)):
        if not lines[index].startswith(" "):
            return first, index
    return first, len(lines)


# --- every example case -----------------------------------------------------------------------


def test_there_are_example_cases() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize("path", CASES, ids=lambda path: path.stem)
def test_example_case_roundtrips_unchanged(path: Path) -> None:
    text = front_matter(path)
    assert roundtrips(text)
    assert apply(text, []) == text


# --- single edits on example cases ------------------------------------------------------------


def test_set_a_scalar_changes_exactly_its_line() -> None:
    text = case_where(lambda data: data.get("status") != "in_progress")
    status = load(text)["status"]
    edited = apply(text, [Set(("status",), "in_progress")])
    line = f"status: {status}"
    at = text.splitlines().index(line)
    assert changes(text, edited) == [("replace", at, [line], ["status: in_progress"])]


@pytest.mark.parametrize(
    ("key", "entry", "lines"),
    [
        (
            "followups",
            {
                "id": "F9",
                "title": "Call the complainant back: 10:00",
                "owner": "bkoch",
                "created_at": TIMESTAMP,
                "created_by": "bkoch",
                "due": "2026-11-24",
            },
            [
                "  - id: F9",
                '    title: "Call the complainant back: 10:00"',
                "    owner: bkoch",
                f'    created_at: "{TIMESTAMP}"',
                "    created_by: bkoch",
                '    due: "2026-11-24"',
            ],
        ),
        (
            "reviews",
            {"at": TIMESTAMP, "by": "fweber", "summary": "Weekly review: on track."},
            [
                f'  - at: "{TIMESTAMP}"',
                "    by: fweber",
                '    summary: "Weekly review: on track."',
            ],
        ),
    ],
)
def test_append_adds_only_the_entry_at_the_end_of_its_list(
    key: str, entry: dict[str, str], lines: list[str]
) -> None:
    text = case_where(lambda data: bool(data.get(key)))
    edited = apply(text, [Append((key,), entry)])
    _, end = top_level_end(text, key)
    assert changes(text, edited) == [("insert", end, [], lines)]


def test_append_to_a_missing_list_creates_it_at_the_end() -> None:
    text = case_where(lambda data: "reviews" not in data)
    entry = {"at": TIMESTAMP, "by": "fweber", "summary": "First review"}
    edited = apply(text, [Append(("reviews",), entry)])
    assert edited == text + (
        f'reviews:\n  - at: "{TIMESTAMP}"\n    by: fweber\n    summary: "First review"\n'
    )


def test_set_on_a_missing_mapping_creates_a_block_mapping() -> None:
    text = case_where(lambda data: "targets" not in data)
    once = apply(text, [Set(("targets", "intake"), TIMESTAMP)])
    assert once == text + f'targets:\n  intake: "{TIMESTAMP}"\n'
    twice = apply(once, [Set(("targets", "response"), "2026-12-01T17:00:00+01:00")])
    assert twice == once + '  response: "2026-12-01T17:00:00+01:00"\n'
    assert "{" not in twice


def test_set_inside_a_list_item_adds_one_line_in_that_item() -> None:
    text = case_where(
        lambda data: (
            bool(data.get("assignments")) and "acknowledged_at" not in data["assignments"][0]
        )
    )
    lines = text.splitlines()
    first, _ = top_level_end(text, "assignments")
    end = next(
        (i for i in range(first + 2, len(lines)) if not lines[i].startswith("    ")), len(lines)
    )
    edited = apply(text, [Set(("assignments", 0, "acknowledged_at"), TIMESTAMP)])
    assert changes(text, edited) == [("insert", end, [], [f'    acknowledged_at: "{TIMESTAMP}"'])]
    assert load(edited)["assignments"][0]["acknowledged_at"] == TIMESTAMP


def test_set_an_existing_value_inside_a_list_item() -> None:
    text = case_where(lambda data: "acknowledged_at" in (data.get("assignments") or [{}])[0])
    old = load(text)["assignments"][0]["acknowledged_at"]
    edited = apply(text, [Set(("assignments", 0, "acknowledged_at"), TIMESTAMP)])
    [(kind, _, before, after)] = changes(text, edited)
    assert (kind, before, after) == (
        "replace",
        [f'    acknowledged_at: "{old}"'],
        [f'    acknowledged_at: "{TIMESTAMP}"'],
    )


def test_delete_a_key_removes_its_line() -> None:
    text = case_where(lambda data: "notes" in data.get("intake", {}))
    edited = apply(text, [Delete(("intake", "notes"))])
    [(kind, _, before, after)] = changes(text, edited)
    assert kind == "delete" and after == []
    assert len(before) == 1 and before[0].startswith("  notes: ")
    assert "notes" not in load(edited)["intake"]


def test_delete_a_block_mapping_removes_exactly_its_lines() -> None:
    text = case_where(lambda data: "closure" in data)
    first, end = top_level_end(text, "closure")
    edited = apply(text, [Delete(("closure",))])
    assert changes(text, edited) == [("delete", first, text.splitlines()[first:end], [])]


# --- comments and blank lines -----------------------------------------------------------------

ANNOTATED = """\
# Case front matter, annotated by hand
id: 2026-TEST123
# status is changed by casetrail commands
status: open  # see SOP 002

followups:
  - id: F1
    due: "2026-11-02"  # agreed on the phone

# weekly reviews
reviews:
  - at: "2026-11-03T09:00:00+01:00"
    by: fweber
closure:
  outcome: resolved
  # the checklist follows SOP 005
  checklist:
    - item: actions_documented
# end of the front matter
"""


def replace_lines(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1
    return text.replace(old, new)


def test_comment_next_to_a_changed_value_survives() -> None:
    edited = apply(ANNOTATED, [Set(("status",), "closed")])
    # The end-of-line comment keeps its two spaces although the value grew.
    assert edited == replace_lines(ANNOTATED, "status: open  #", "status: closed  #")


def test_append_goes_before_the_blank_and_comment_lines_that_follow_the_list() -> None:
    edited = apply(ANNOTATED, [Append(("followups",), {"id": "F2", "due": "2026-11-09"})])
    assert edited == replace_lines(
        ANNOTATED,
        "phone\n\n# weekly",
        'phone\n  - id: F2\n    due: "2026-11-09"\n\n# weekly',
    )


def test_new_entries_at_the_very_end_go_before_the_trailing_comment() -> None:
    edited = apply(
        ANNOTATED,
        [Append(("closure", "checklist"), {"item": "client_informed"}), Set(("extra",), 1)],
    )
    assert edited == replace_lines(
        ANNOTATED,
        "actions_documented\n",
        "actions_documented\n    - item: client_informed\nextra: 1\n",
    )


def test_deleting_an_entry_keeps_the_comments_around_it() -> None:
    edited = apply(ANNOTATED, [Delete(("followups",))])
    removed = 'followups:\n  - id: F1\n    due: "2026-11-02"  # agreed on the phone\n'
    assert edited == replace_lines(ANNOTATED, removed, "")
    edited = apply(ANNOTATED, [Delete(("closure",))])
    removed = "closure:\n  outcome: resolved\n  # the checklist follows SOP 005\n  checklist:\n    - item: actions_documented\n"
    assert edited == replace_lines(ANNOTATED, removed, "")


def test_deleting_a_first_entry_keeps_the_lines_between_it_and_the_next() -> None:
    text = "a:\n  - x: 1\n\n  # about the second\n  - x: 2\nb: 1\n"
    assert apply(text, [Delete(("a", 0))]) == "a:\n\n  # about the second\n  - x: 2\nb: 1\n"
    text = "a: 1\n\n# about b\nb: 2\n"
    assert apply(text, [Delete(("a",))]) == "\n# about b\nb: 2\n"


def test_replacing_a_list_keeps_the_comment_after_it() -> None:
    edited = apply(ANNOTATED, [Set(("followups",), "none")])
    removed = 'followups:\n  - id: F1\n    due: "2026-11-02"  # agreed on the phone\n'
    assert edited == replace_lines(ANNOTATED, removed, "followups: none\n")


def test_emptying_a_mapping_writes_braces_and_keeps_the_following_comment() -> None:
    text = "a:\n  b: 1\n\n# about c\nc: 2\n"
    assert apply(text, [Delete(("a", "b"))]) == "a: {}\n\n# about c\nc: 2\n"


def test_appending_to_an_empty_flow_list_writes_a_block_list() -> None:
    text = "a: []\n\n# about b\nb: 2\n"
    assert apply(text, [Append(("a",), "x")]) == "a:\n  - x\n\n# about b\nb: 2\n"


# --- values -----------------------------------------------------------------------------------

LOOKALIKES = [
    "no", "No", "yes", "on", "OFF", "y", "n", "true", "False", "null", "Null", "~", "",
    "1.10", "012", "-0", "12", "0x1F", "1e3", ".inf", "2026-11-02", TIMESTAMP,
]  # fmt: skip


@pytest.mark.parametrize("value", LOOKALIKES)
def test_values_that_look_like_other_types_stay_strings(value: str) -> None:
    edited = apply(
        ANNOTATED,
        [
            Set(("status",), value),
            Append(("notes",), value),
            Set(("due", "intake"), value),
            Append(("reviews",), {"at": value, value: value}),
        ],
    )
    data = load(edited)
    assert data["status"] == value and isinstance(data["status"], str)
    assert data["notes"] == [value]
    assert data["due"] == {"intake": value}
    assert data["reviews"][-1] == {"at": value, value: value}
    # The comment keeps its column when the value fits before it, else its two-space gap.
    assert re.search(f'^status: "{re.escape(value)}" {{2,}}# see SOP 002$', edited, re.MULTILINE)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("in_progress", "in_progress"),
        ("bkoch", "bkoch"),
        ("F1", "F1"),
        ("web-form", "web-form"),
        (5, "5"),
        (-3, "-3"),
        (0, "0"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        ("two words", '"two words"'),
    ],
)
def test_simple_values_are_written_plain(value: Any, written: str) -> None:
    edited = apply("a: 1\nb: 2\n", [Set(("a",), value), Set(("c",), value)])
    assert edited == f"a: {written}\nb: 2\nc: {written}\n"
    assert load(edited) == {"a": value, "b": 2, "c": value}


FREE_TEXT = [
    'He said "no" twice',
    "back\\slash and \\n not a newline",
    "key: value, and more: colons",
    "# not a comment",
    "text #with a hash",
    "- leading dash",
    "? question",
    "café, naïve, 中文, ελληνικά, 😀",
    "two\nlines\n",
    "tab\there",
    " leading and trailing spaces ",
    "'single quotes'",
    "{not: a mapping}",
    "[not, a, list]",
    "&anchor *alias !tag %directive @at `tick",
    "controls \x00 \x07 \x1b \x7f \x85 \u2028 \u2029 \ufeff",
    "x" * 500,
]


@pytest.mark.parametrize("value", FREE_TEXT)
def test_free_text_reads_back_exactly(value: str) -> None:
    edited = apply(ANNOTATED, [Set(("title",), value), Append(("followups",), {"title": value})])
    data = load(edited)
    assert data["title"] == value
    assert data["followups"][-1] == {"title": value}
    assert edited.count("\n") == ANNOTATED.count("\n") + 2  # each value on one line


PLAIN_SCALARS = """\
a: null
b: ~
c:
d: -0
e: 012
f: 1.10
g: no
h: 2026-11-02
i: 2026-11-02T09:00:00+01:00
j: True
k: 0o12
l: 1_000
m: 0x1F
n: .inf
o: 1e3
p: 'single'
q: "double"
r: |
  literal
"""


def test_plain_scalars_of_every_look_are_written_back_as_spelled() -> None:
    assert roundtrips(PLAIN_SCALARS)
    edited = apply(PLAIN_SCALARS, [Set(("z",), 1)])
    assert edited == PLAIN_SCALARS + "z: 1\n"
    assert load(edited) == {**load(PLAIN_SCALARS), "z": 1}


def test_other_indentation_styles_are_kept() -> None:
    text = "items:\n- name: a\n  size: 1\nmeta:\n    owner: bkoch\n"
    assert roundtrips(text)
    edited = apply(text, [Append(("items",), {"name": "b", "size": 2}), Set(("meta", "x"), 1)])
    assert (
        edited
        == "items:\n- name: a\n  size: 1\n- name: b\n  size: 2\nmeta:\n    owner: bkoch\n    x: 1\n"
    )


# --- refusals ---------------------------------------------------------------------------------

SMALL = (
    'status: open\nassignments:\n  - role: handler\nfollowups: []\ndue:\n  intake: "x"\nnothing:\n'
)


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (Set(("assignments", 5, "acknowledged_at"), TIMESTAMP), "assignments[5]"),
        (Set(("assignments", 1), {}), "assignments[1]"),
        (Append(("status",), "x"), "cannot append to status"),
        (Append(("due",), "x"), "cannot append to due"),
        (Append(("assignments", 3), "x"), "assignments[3]"),
        (Delete(("missing",)), "missing"),
        (Delete(("due", "missing")), "due.missing"),
        (Delete(("missing", "deeper")), "missing.deeper"),
        (Delete(("assignments", 1)), "assignments[1]"),
        (Set(("status", "x"), 1), "status is text"),
        (Set(("nothing", "x"), 1), "nothing is null"),
        (Set(("assignments", "x"), 1), "is a list, not a mapping"),
        (Set(("due", 0), 1), "is a mapping, not a list"),
        (Set(("new", 0), 1), "position 0"),
        (Set(("x",), 1.5), "float"),
        (Set(("x",), {1: "a"}), "not a string"),
        (Set(("x",), 10**20), "digits"),
        (Set(("x",), "\ud800"), "surrogate"),
        (Set((), {}), "give a path"),
        (Set(("x",), functools.reduce(lambda inner, _: [inner], range(40), 1)), "deeper"),
        (Delete(("x", True)), "path parts"),
    ],
)
def test_impossible_edits_are_refused_with_one_clear_line(op: Op, message: str) -> None:
    with pytest.raises(EditError) as raised:
        apply(SMALL, [op])
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_deleting_the_last_key_is_refused() -> None:
    with pytest.raises(EditError, match="would be empty"):
        apply("a: 1\n", [Delete(("a",))])


@pytest.mark.parametrize(
    "text",
    ["a: [1,2]\n", "a:    1\n", "a: x\n  continued\n", "? a\n: b\n"],
)
def test_text_ruamel_would_reformat_is_refused(text: str) -> None:
    assert not roundtrips(text)
    with pytest.raises(EditError, match="without reformatting"):
        apply(text, [Set(("b",), 1)])


@pytest.mark.parametrize("text", ["a: 1\na: 2\n", "a: &x 1\nb: *x\n", "- a\n", "a: [\n"])
def test_text_the_strict_reader_refuses_is_refused(text: str) -> None:
    with pytest.raises(EditError, match=r"not valid strict YAML|not a mapping"):
        apply(text, [Set(("b",), 1)])


def test_roundtrips_is_false_for_broken_yaml() -> None:
    assert not roundtrips("a: [\n")


def test_the_safety_net_catches_a_dump_that_reads_back_differently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = yamledit._dump

    def corrupting(yaml: Any, tree: Any) -> str:
        return real(yaml, tree).replace("status: closed", "status: 1")

    monkeypatch.setattr(yamledit, "_dump", corrupting)
    with pytest.raises(EditError, match="internal: the edited front matter does not read back"):
        apply("status: open\n", [Set(("status",), "closed")])


# --- random edits -----------------------------------------------------------------------------

# Text with few brackets: yamlstrict's depth guard counts brackets inside quoted strings too.
TEXT = st.text(max_size=30).filter(lambda s: s.count("[") + s.count("{") < 4)
SCALARS = TEXT | st.integers(-(10**6), 10**6) | st.booleans() | st.none()
ENTRIES = st.dictionaries(st.sampled_from(["at", "by", "note", "no"]), SCALARS, min_size=1)
SET_OPS = st.one_of(
    st.builds(Set, st.tuples(st.sampled_from(["status", "title", "alpha", "beta"])), SCALARS),
    st.builds(Set, st.tuples(st.sampled_from(["gamma", "status"])), ENTRIES),
    st.builds(Set, st.tuples(st.just("due"), st.sampled_from(["intake", "response"])), SCALARS),
    st.builds(
        Set,
        st.tuples(st.just("priority_history"), st.just(0), st.sampled_from(["by", "extra"])),
        SCALARS,
    ),
)
APPEND_OPS = st.builds(
    Append,
    st.tuples(st.sampled_from(["followups", "reviews", "priority_history", "zeta"])),
    ENTRIES | SCALARS,
)
EDITABLE = [path for path in CASES if load(front_matter(path)).get("priority_history")]


def expected_after(data: dict[str, Any], ops: list[Op]) -> dict[str, Any]:
    """What the ops mean, computed independently of yamledit."""
    data = copy.deepcopy(data)
    for op in ops:
        *parents, last = op.path
        node: Any = data
        for part in parents:
            node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
        if isinstance(op, Set):
            node[last] = copy.deepcopy(op.value)
        elif isinstance(op, Append):
            node.setdefault(last, []).append(copy.deepcopy(op.value))
    return data


def top_level_blocks(text: str) -> list[tuple[str, list[str]]]:
    blocks: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if not line.startswith(" "):
            blocks.append((line.split(":", 1)[0], []))
        blocks[-1][1].append(line)
    return blocks


def is_subsequence(needles: list[str], haystack: list[str]) -> bool:
    remaining = iter(haystack)
    return all(any(line == candidate for candidate in remaining) for line in needles)


@settings(max_examples=100, deadline=None)
@given(path=st.sampled_from(EDITABLE), ops=st.lists(SET_OPS | APPEND_OPS, min_size=1, max_size=6))
def test_random_edits_read_back_and_keep_every_other_line(path: Path, ops: list[Op]) -> None:
    text = front_matter(path)
    edited = apply(text, ops)
    assert load(edited) == expected_after(load(text), ops)
    touched = {op.path[0] for op in ops}
    kept = [line for key, lines in top_level_blocks(text) if key not in touched for line in lines]
    assert is_subsequence(kept, edited.splitlines())


@settings(max_examples=50, deadline=None)
@given(path=st.sampled_from(EDITABLE), ops=st.lists(APPEND_OPS, min_size=1, max_size=4))
def test_random_appends_only_add_lines(path: Path, ops: list[Op]) -> None:
    text = front_matter(path)
    edited = apply(text, ops)
    assert load(edited) == expected_after(load(text), ops)
    assert all(kind == "insert" for kind, *_ in changes(text, edited))
