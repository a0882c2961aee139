"""`timeline.describe`: what changed between two versions of a case file, in words.

The lifecycle table runs the real commands through the CLI on one case and compares the phrases
for each step's before and after with what the step did. The unit cases start from the example
cases of the project and hand-edit them: creation, deletion, unreadable versions, the generic
fallback, sections, and hostile input. No phrase may ever hold the text of a section (CANARY).
"""

from __future__ import annotations

import io
import itertools
import json
import re
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from casetrail.core import document
from casetrail.core.timeline import align, describe, front_matter_changes, generic
from conftest import PROJECT, Records
from test_secrets import BKOCH_LEAVES, roster_edit

CANARY = "CANARY-7d41aa"  # section text that must never appear in a phrase
EXAMPLES = sorted((PROJECT / "cases" / "2026").glob("*.md"))
RICH = PROJECT / "cases" / "2026" / "2026-6DNGN93.md"  # closed incident: every kind of entry
INTERNAL = "internal error"


# ---- the real commands, one step at a time ----

SECTION_SET = "SECTION-SET"  # `section set CASE Parties` with CANARY on standard input
ATTACH = "ATTACH"  # `attach` of a small file
EDIT_SUMMARY = "EDIT-SUMMARY"  # a hand edit of the plain Summary section, with CANARY

RO = (
    "assign {case} --by fweber --resolution-officer esilva --approved-by gharris "
    "--rationale free --why-not-top 'fresh eyes'"
)
REQUEST = (
    "request-closure {case} --by dokafor --outcome resolved --summary 'Reply sent' "
    "--lessons 'Log letters'"
)
THREE_SECTIONS = ("Parties", "Account", "Progress notes")
DOC = "2026-11-20-correspondence-1.txt.age"


def sealed(readers: str) -> list[str]:
    return [f'section "{title}" re-encrypted ({readers})' for title in THREE_SECTIONS]


LIFECYCLE: list[tuple[str, list[str]]] = [
    (
        "assess {case} --by amartin --notes 'letter lost in the post room'",
        ["assessed by amartin (with notes)", "due.selection set to 2026-11-25T10:00:00+01:00"],
    ),
    ("verify {case} --by gharris", ["intake verified by gharris"]),
    (
        "priority {case} high --by amartin --reason 'the complainant is ill'",
        [
            "priority medium -> high: the complainant is ill",
            "due.assignment 2026-11-24T10:00:00+01:00 -> 2026-11-23T14:00:00+01:00",
            "due.resolution 2026-11-26T10:00:00+01:00 -> 2026-11-24T10:00:00+01:00",
        ],
    ),
    (
        "conflict {case} --by amartin --person cnguyen --reason neighbour",
        ["conflict of interest declared for cnguyen by amartin"],
    ),
    (
        "assign {case} --by fweber --handler bkoch --approved-by gharris --rationale free",
        [
            "status new -> assigned",
            "handler bkoch assigned by fweber, approved by gharris",
            "due.notification set to 2026-11-24T10:00:00+01:00",
            "due.acknowledgement set to 2026-11-24T10:00:00+01:00",
            "due.next_review set to 2026-11-30T10:00:00+01:00",
            *sealed("encrypted for 5 recipients, was 4"),  # the handler can read it now
        ],
    ),
    ("ack {case} --by bkoch", ["status assigned -> in_progress", "acknowledged by bkoch"]),
    (
        RO,
        [
            "resolution officer esilva assigned by fweber, approved by gharris",
            *sealed("encrypted for 6 recipients, was 5"),
        ],
    ),
    ("ack {case} --by esilva", ["acknowledged by esilva as resolution officer"]),
    (
        "stakeholder add {case} --by bkoch --role complainant",
        ["stakeholder S1 added (complainant)"],
    ),
    (
        "contact {case} --by bkoch --stakeholder S1 --channel email --summary 'Acknowledged'",
        ["communication with S1 logged by bkoch (email, outgoing)"],
    ),
    (
        "followup add {case} --by bkoch --title 'Ask the team' --owner bkoch --due 2026-11-24",
        ["follow-up F1 added (owner bkoch, due 2026-11-24)"],
    ),
    (
        "followup done {case} F1 --by bkoch --outcome 'Team confirmed the delay'",
        ["follow-up F1 done by bkoch"],
    ),
    ("review {case} --by gharris --summary 'Answer drafted'", ["review by gharris"]),
    (
        "disclose {case} --by bkoch --recipient ombudsman --basis legal_obligation "
        "--reference 'court order 12' --summary 'dates of the letters'",
        ["disclosure recorded by bkoch (legal obligation)"],
    ),
    ("flag {case} --by bkoch --reason 'vulnerable complainant'", ["urgent flag 1 raised by bkoch"]),
    ("resolve-flag {case} 1 --by bkoch --resolution handled", ["flag 1 resolved by bkoch"]),
    (
        "escalate {case} --by bkoch --to gharris --reason 'no reply from the post room'",
        ["escalation flag 2 raised by bkoch to gharris"],
    ),
    ("resolve-flag {case} 2 --by gharris --resolution answered", ["flag 2 resolved by gharris"]),
    (SECTION_SET, ['section "Parties" re-encrypted (encrypted for 6 recipients)']),
    (EDIT_SUMMARY, ['section "Summary" edited']),
    (ATTACH, [f"document {DOC} attached (correspondence, by bkoch)"]),
    (
        "assign {case} --by fweber --handler dokafor --approved-by gharris --rationale free "
        "--why-not-top expertise --reason 'bkoch is on leave'",
        [
            "status in_progress -> assigned",
            "handler bkoch -> dokafor (reassigned: bkoch is on leave), assigned by fweber, "
            "approved by gharris",
            f"document {DOC} re-encrypted",
            *sealed("encrypted for 6 recipients"),
        ],
    ),
    ("ack {case} --by dokafor", ["status assigned -> in_progress", "acknowledged by dokafor"]),
    (
        "stakeholder closure {case} S1 --by dokafor --agreement agreed",
        ["stakeholder S1: notified of closure, agreement agreed"],
    ),
    (
        REQUEST,
        [
            "status in_progress -> closure_requested",
            "closure requested by dokafor (resolved)",
            "checklist: actions_documented by dokafor, integrity_verified by dokafor",
        ],
    ),
    (
        "return-closure {case} --by gharris --reason 'reply not yet confirmed'",
        [
            "status closure_requested -> in_progress",
            "closure returned by gharris: reply not yet confirmed",
        ],
    ),
    (
        REQUEST,
        [
            "status in_progress -> closure_requested",
            "closure requested by dokafor (resolved)",
            "checklist: actions_documented by dokafor, integrity_verified by dokafor",
        ],
    ),
    (
        "close {case} --by hlindqvist --approved-by fweber",
        [
            "status closure_requested -> closed",
            "closed by hlindqvist",
            "checklist: approvals_obtained by fweber, retention_scheduled by hlindqvist, "
            "access_revoked by hlindqvist",
            "retention until 2032-11-23, then destroy",
            f"document {DOC} re-encrypted",
            *sealed("encrypted for 3 recipients, was 6"),  # the case team loses access
        ],
    ),
    (
        "reopen {case} --by gharris --reason 'the complainant sent new evidence'",
        [
            "status closed -> in_progress",
            "stakeholder S1: closure notice withdrawn, agreement agreed -> pending",
            "reopened by gharris: the complainant sent new evidence",
            f"document {DOC} re-encrypted",
            *sealed("encrypted for 6 recipients, was 3"),
        ],
    ),
]


def run_step(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, step: str, case: str
) -> None:
    path = records.root / f"cases/{case[:4]}/{case}.md"
    if step == SECTION_SET:
        data = f"Jane Example ({CANARY}), 12 Sample Street\n".encode()
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
        result = records.run("section", "set", case, "Parties")
    elif step == ATTACH:
        source = tmp_path / "letter.txt"
        source.write_text(f"Letter from {CANARY}\n")
        result = records.run("attach", case, str(source), "--by", "bkoch",
                             "--kind", "correspondence", "--date", "2026-11-20")  # fmt: skip
    elif step == EDIT_SUMMARY:
        text = path.read_text()
        prompt = re.search(r"## Summary\n\n(<!--.*-->)\n", text)
        assert prompt, text
        path.write_text(text.replace(prompt.group(1), f"The complainant {CANARY} wrote twice."))
        return
    else:
        result = records.run(*(w.replace("{case}", case) for w in shlex.split(step)))
    assert result.code == 0, f"{step}\n{result.err}"


def test_each_lifecycle_step_in_words(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = records.root / records.new_case()
    case = path.stem
    created = describe(None, path.read_text())
    assert created == ["created: complaint, priority medium, status new"]
    said = [*created]
    for step, expected in LIFECYCLE:
        before = path.read_text()
        run_step(records, monkeypatch, tmp_path, step, case)
        after = path.read_text()
        phrases = describe(before, after)
        assert phrases == expected, step
        assert describe(before.encode(), after.encode()) == phrases  # bytes as git gives them
        said += phrases
    assert describe(path.read_text(), None) == ["deleted"]
    assert not any(CANARY in phrase for phrase in said)
    assert not any(INTERNAL in phrase for phrase in said)


def test_rekey_after_a_person_leaves(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = records.root / records.new_case()
    case = path.stem
    assign = "assign {case} --by fweber --handler bkoch --approved-by gharris --rationale free"
    for step in (assign, SECTION_SET, ATTACH):
        run_step(records, monkeypatch, tmp_path, step, case)
    before = path.read_text()
    roster_edit(records, *BKOCH_LEAVES)
    result = records.run("rekey", case)
    assert result.code == 0, result.err
    assert describe(before, path.read_text()) == [
        f"document {DOC} re-encrypted",
        'section "Parties" re-encrypted (encrypted for 4 recipients, was 5)',
        'section "Account" re-encrypted (encrypted for 4 recipients, was 5)',
        'section "Progress notes" re-encrypted (encrypted for 4 recipients, was 5)',
    ]


# ---- hand edits of an example case ----


def rich() -> str:
    return RICH.read_text()


def edit(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    def apply(text: str) -> str:
        assert text.count(old) == count, old
        return text.replace(old, new)

    return apply


def front_matter(text: str) -> dict[str, object]:
    parsed, _ = document.parse(text.encode())
    assert parsed is not None
    return parsed.front_matter


def rewrite(change: Callable[[dict[str, object]], None]) -> Callable[[str], str]:
    """Change the front matter as data and write it back (quoting every string)."""

    def apply(text: str) -> str:
        parsed, _ = document.parse(text.encode())
        assert parsed is not None
        data = json.loads(json.dumps(parsed.front_matter))
        change(data)
        dumped = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)
        return parsed.with_front_matter(dumped)

    return apply


def drop(path: tuple[str | int, ...]) -> Callable[[dict[str, object]], None]:
    def change(data: dict[str, object]) -> None:
        target: object = data
        for part in path[:-1]:
            target = target[part]  # type: ignore[index]
        del target[path[-1]]  # type: ignore[attr-defined]

    return change


def put(path: tuple[str | int, ...], value: object) -> Callable[[dict[str, object]], None]:
    def change(data: dict[str, object]) -> None:
        target: object = data
        for part in path[:-1]:
            target = target[part]  # type: ignore[index]
        target[path[-1]] = value  # type: ignore[index]

    return change


PARTIES_BLOCK = re.compile(
    r"(## Parties\n\n?)(-----BEGIN AGE.*?-----END AGE ENCRYPTED FILE-----)", re.S
)
INCIDENT_BLOCK = re.compile(
    r"(## Incident report\n\n?)(-----BEGIN AGE.*?-----END AGE ENCRYPTED FILE-----)", re.S
)


def swap_blocks(text: str) -> str:
    """Parties gets the Incident report's block (another valid armor), as a paste would."""
    incident = INCIDENT_BLOCK.search(text)
    assert incident
    return PARTIES_BLOCK.sub(lambda m: m.group(1) + incident.group(2), text)


def plain_parties(text: str) -> str:
    """The Parties section decrypted into the file: the leak a pre-commit hook must stop."""
    return PARTIES_BLOCK.sub(lambda m: m.group(1) + f"Jane Example, {CANARY}", text)


HAND_EDITS = [
    pytest.param(
        edit('title: "Visitor slipped', 'title: "A visitor slipped'), ["title changed"], id="title"
    ),
    pytest.param(
        edit(
            '  resolution: "2026-08-13T11:05:00+02:00"', '  resolution: "2026-08-14T11:05:00+02:00"'
        ),
        ["due.resolution 2026-08-13T11:05:00+02:00 -> 2026-08-14T11:05:00+02:00"],
        id="due",
    ),
    pytest.param(
        edit('    due: "2026-08-19"\n', '    due: "2026-08-21"\n'),
        ["followups[1].due 2026-08-19 -> 2026-08-21"],
        id="followup-due",
    ),
    pytest.param(rewrite(drop(("followups", 1))), ["follow-up F2 removed"], id="followup-removed"),
    pytest.param(
        rewrite(drop(("reviews", 2))),
        ["review of 2026-09-02T09:00:00+02:00 removed"],
        id="review-removed",
    ),
    pytest.param(
        rewrite(put(("reviews", 2, "at"), "2026-09-03T09:00:00+02:00")),
        ["reviews[2].at 2026-09-02T09:00:00+02:00 -> 2026-09-03T09:00:00+02:00"],
        id="identity-edited",
    ),
    pytest.param(
        rewrite(put(("assignments", 0, "approved_by"), "gharris")),
        ["assignments[0].approved_by fweber -> gharris"],
        id="approver-edited",
    ),
    pytest.param(
        rewrite(put(("intake", "notes"), f"Called {CANARY} at home")),
        ["intake.notes changed"],
        id="free-text-not-shown",
    ),
    pytest.param(
        rewrite(put(("retention", "legal_hold"), True)), ["legal hold set"], id="legal-hold"
    ),
    pytest.param(
        rewrite(put(("retention", "until"), "2040-01-01")),
        ["retention until 2036-09-30 -> 2040-01-01"],
        id="retention-until",
    ),
    pytest.param(rewrite(drop(("retention",))), ["retention removed"], id="retention-removed"),
    pytest.param(
        rewrite(put(("closure", "closed_by"), "gharris")),
        ["closure.closed_by fweber -> gharris"],
        id="closure-field",
    ),
    pytest.param(
        rewrite(drop(("closure", "checklist", 4))),
        ["checklist item access_revoked removed"],
        id="checklist-item-removed",
    ),
    pytest.param(
        rewrite(put(("stakeholders", 1, "agreement"), "disagreed")),
        ["stakeholder S2: agreement agreed -> disagreed"],
        id="agreement",
    ),
    pytest.param(
        rewrite(put(("flags", 0, "to"), "gharris")),
        ["flags[0].to fweber -> gharris"],
        id="flag-field",
    ),
    pytest.param(
        rewrite(put(("priority_history", 0, "reason"), "hazard")),
        ["priority_history[0].reason changed"],
        id="priority-reason",
    ),
    pytest.param(
        rewrite(put(("priority",), "low")), ["priority high -> low"], id="priority-without-entry"
    ),
    pytest.param(
        rewrite(put(("status",), "in_progress")),
        ["status closed -> in_progress"],
        id="status-by-hand",
    ),
    pytest.param(rewrite(put(("extra",), 1)), ["extra set to 1"], id="unknown-key"),
    pytest.param(
        rewrite(put(("retention", "legal_hold"), 1)),
        ["retention.legal_hold set to 1"],
        id="one-is-not-true",
    ),
    pytest.param(rewrite(drop(("closure",))), ["closure record removed"], id="closure-removed"),
    pytest.param(lambda t: t, [], id="no-change"),
    pytest.param(
        edit('  notes: "Centre team', '  # a comment\n  notes: "Centre team'),
        ["front matter formatting changed (same values)"],
        id="front-matter-comment",
    ),
    pytest.param(
        edit("## Outcome\n", "## Outcome\n\n"), ["body formatting changed"], id="body-spacing"
    ),
    pytest.param(
        edit("---\n## Summary\n", f"---\nNote from {CANARY}.\n\n## Summary\n"),
        ["text before the first section edited"],
        id="preamble",
    ),
    pytest.param(
        swap_blocks,
        ['section "Parties" re-encrypted (encrypted for 3 recipients)'],
        id="block-pasted",
    ),
    pytest.param(
        plain_parties, ['section "Parties" no longer encrypted'], id="decrypted-into-the-file"
    ),
    pytest.param(
        edit("## Outcome\n", f"## Notes\n\n{CANARY}\n\n## Outcome\n"),
        ['section "Notes" added'],
        id="plain-section-added",
    ),
    pytest.param(
        lambda t: t[: t.index("## Outcome\n")].rstrip("\n") + "\n",
        ['section "Outcome" removed'],
        id="section-removed",
    ),
    pytest.param(
        edit("## Summary\n", "## Summary \u202e\x1b[31m\n"),
        ['section "Summary \\u202e\\u001b[31m" added', 'section "Summary" removed'],
        id="control-characters-escaped",
    ),
]


@pytest.mark.parametrize(("change", "expected"), HAND_EDITS)
def test_hand_edits(change: Callable[[str], str], expected: list[str]) -> None:
    before = rich()
    phrases = describe(before, change(before))
    assert phrases == expected
    assert not any(CANARY in p for p in phrases)


def test_sections_reordered_and_newly_encrypted() -> None:
    text = rich()
    summary = text[text.index("## Summary\n") : text.index("## Parties\n")]
    moved = text.replace(summary, "").rstrip("\n") + "\n\n" + summary.rstrip("\n") + "\n"
    assert describe(text, moved) == ["sections reordered"]
    assert describe(plain_parties(text), text) == [
        'section "Parties" now encrypted (encrypted for 3 recipients)'
    ]


def test_a_block_right_under_its_heading_is_still_sealed() -> None:
    tight = rich().replace("## Parties\n\n", "## Parties\n")
    assert describe(tight, swap_blocks(tight)) == [
        'section "Parties" re-encrypted (encrypted for 3 recipients)'
    ]


def test_a_broken_block_is_named_without_quoting_it() -> None:
    text = rich()
    broken = PARTIES_BLOCK.sub(
        lambda m: m.group(1) + m.group(2).replace("YWdlLWVuY3J5cHRpb24", "AAAAAAAAAAAAAAAAAAA"),
        text,
    )
    assert describe(text, broken) == [
        'section "Parties" re-encrypted (not a valid age block: is not an age v1 file)'
    ]


def test_created_deleted_and_nothing() -> None:
    for path in EXAMPLES:
        created = describe(None, path.read_text())
        assert len(created) == 1 and created[0].startswith("created: ")
        assert "?" not in created[0]
    assert describe(None, rich()) == ["created: incident, priority high, status closed"]
    assert describe(rich(), None) == ["deleted"]
    assert describe(None, None) == []
    assert describe(rich(), rich()) == []


UNREADABLE = [
    pytest.param(
        "no front matter here\n",
        "file does not start with a '---' front matter line (line 1)",
        id="none",
    ),
    pytest.param("---\nid: x\n", "front matter is not closed by a '---' line (line 1)", id="open"),
    pytest.param("---\n- a\n---\n", "front matter is a list, not a mapping (line 2)", id="list"),
    pytest.param("---\nid: [\n---\n", "YAML syntax error", id="syntax"),
    pytest.param("---\na: 1\na: 2\n---\n", "duplicate key 'a'", id="duplicate"),
    pytest.param(b"---\nid: \xff\n---\n", "invalid UTF-8 (byte 0xff) (line 2)", id="bytes"),
    pytest.param("---\nid: \udc80x\n---\n", "invalid UTF-8", id="surrogate-escaped"),
    pytest.param("---\nid: \ud800\n---\n", "invalid UTF-8", id="lone-surrogate"),
    pytest.param("---\r\nid: x\r\n---\r\n", "CR or CRLF line endings", id="crlf"),
    pytest.param(
        "---\nid: x\n---\n<<<<<<< ours\n=======\n>>>>>>> theirs\n",
        "unresolved merge conflict marker",
        id="conflict",
    ),
]


@pytest.mark.parametrize(("broken", "reason"), UNREADABLE)
def test_unreadable_versions_are_named_with_a_short_reason(
    broken: str | bytes, reason: str
) -> None:
    changed = describe(rich(), broken)
    assert len(changed) == 1
    assert changed[0].startswith("file not readable as a case: ") and reason in changed[0]
    assert describe(None, broken) == ["created", changed[0]]
    assert describe(broken, rich()) == [
        "readable as a case again: incident, priority high, status closed"
    ]
    assert len(changed[0]) < 300


def test_generic_fallback_names_every_leaf() -> None:
    assert generic(("due",), {"a": "2026-01-01"}, {"a": "2026-01-02", "b": "x y"}) == [
        "due.a 2026-01-01 -> 2026-01-02",
        "due.b added",
    ]
    assert generic(("x",), [1, 2], [1]) == ["x changed (2 -> 1 entries)"]
    assert generic(("x",), True, 1) == ["x true -> 1"]
    assert generic(("a", 0, "b"), "secret words", None) == ["a[0].b changed"]


def test_entries_inserted_in_the_middle_are_matched_by_identity() -> None:
    old = [{"name": "a"}, {"name": "c"}]
    new = [{"name": "a"}, {"name": "b"}, {"name": "c", "keyset": "k"}]
    pairs = align("attachments", old, new)
    assert [(p.old_index, p.new_index) for p in pairs] == [(0, 0), (None, 1), (1, 2)]


def test_an_entry_merged_into_the_middle_of_a_list() -> None:
    """A merge can put the other branch's entry between two old ones."""
    base = rich()
    review = '  - at: "2026-08-20T09:00:00+02:00"\n    by: gharris\n    summary: "Merged."\n'
    merged = edit(
        '  - at: "2026-08-26T09:00:00+02:00"\n', review + '  - at: "2026-08-26T09:00:00+02:00"\n'
    )(base)
    assert describe(base, merged) == ["review by gharris"]


JUNK: list[object] = [None, "x", 1, True, [], {}, ["x"], [{"bogus": 1}], [None, {}], {"a": [1]}]


def shapes(data: dict[str, object]) -> list[tuple[str | int, ...]]:
    """Every key, every first entry of a list and every field of it, every nested field."""
    targets: list[tuple[str | int, ...]] = []
    for key, value in data.items():
        targets.append((key,))
        if isinstance(value, list) and value and isinstance(value[0], dict):
            targets += [(key, 0), *((key, 0, field) for field in value[0])]
        if isinstance(value, dict):
            targets += [(key, field) for field in value]
    return targets


@pytest.mark.parametrize("junk", JUNK, ids=[json.dumps(j) for j in JUNK])
def test_any_shape_of_front_matter_gives_phrases(junk: object) -> None:
    """A hand edit can put anything anywhere: every key of a rich case, and every field of
    its entries, replaced by junk still gives phrases and never an internal error."""
    base = front_matter(rich())
    for target in shapes(base):
        changed = json.loads(json.dumps(base))
        put(target, junk)(changed)
        for a, b in ((base, changed), (changed, base), ({}, changed), (changed, {})):
            phrases = front_matter_changes(a, b)
            assert phrases and not any(INTERNAL in p for p in phrases), (target, phrases)
            assert all(p and "\n" not in p for p in phrases), (target, phrases)
    for key in base:  # and through the file, for the top-level keys
        text = rewrite(put((key,), junk))(rich())
        for a, b in ((rich(), text), (text, rich()), (None, text)):
            phrases = describe(a, b)
            assert phrases and not any(INTERNAL in p for p in phrases), (key, phrases)


def test_pairs_of_example_cases() -> None:
    """Unrelated versions (another case) still read as a list of changes."""
    texts = [p.read_text() for p in EXAMPLES]
    for a, b in itertools.pairwise(texts):
        phrases = describe(a, b)
        assert phrases and not any(INTERNAL in p for p in phrases)
        assert phrases == describe(a, b)  # stable
