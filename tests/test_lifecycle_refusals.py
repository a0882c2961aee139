"""The lifecycle commands refuse bad input cleanly, through the real CLI.

Every refusal here is: exit code 2, a short message on stderr that names the problem (each case
checks a distinctive fragment of it), nothing on stdout, no Python traceback and no "unexpected
error", and every file of the records repository byte-identical afterwards.

Commands are written as they are typed (`shlex` splits them); `{case}` is the case's ID.
Starting states are built with the real commands (`walk`), never by writing YAML by hand, except
for the deliberately broken files. `casetrail new` has its own refusal tests in test_cli_new.py.
Tests that show a bug in the product are marked xfail(strict=True) with the reason "BUG: ...".
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from casetrail.core import ids
from conftest import Records, Run

# ---- building a case with the real commands ----

STATES = (
    "new",
    "assessed",
    "verified",
    "assigned",
    "in_progress",
    "ready",  # in progress, stakeholder S1 notified of the closure and agreed
    "closure_requested",
    "closed",
)
STATUS = {state: state for state in STATES} | {
    "assessed": "new",
    "verified": "new",
    "ready": "in_progress",
}
# bkoch is the top suggestion for a complaint while nobody has work (ties break by handle).
ASSIGN_BKOCH = "assign {case} --by fweber --handler bkoch --approved-by fweber --rationale 'free'"
REQUEST = (
    "request-closure {case} --by {handler} --outcome resolved --summary 'Reply sent' "
    "--lessons 'Log letters on arrival'"
)


def steps(handler: str, assign: str) -> dict[str, list[str]]:
    """The commands that take a case from the state before to each state."""
    return {
        "new": [],
        "assessed": ["assess {case} --by amartin --notes 'letter lost in the post room'"],
        "verified": ["verify {case} --by gharris"],
        "assigned": [assign],
        "in_progress": [
            f"ack {{case}} --by {handler}",
            f"stakeholder add {{case}} --by {handler} --role complainant",
        ],
        "ready": [f"stakeholder closure {{case}} S1 --by {handler} --agreement agreed"],
        "closure_requested": [REQUEST.replace("{handler}", handler)],
        "closed": ["close {case} --by hlindqvist --approved-by gharris"],
    }


def argv(command: str, case_id: str) -> list[str]:
    return [word.replace("{case}", case_id) for word in shlex.split(command)]


def succeed(records: Records, command: str, case_id: str) -> Run:
    result = records.run(*argv(command, case_id))
    assert result.code == 0, f"casetrail {command.replace('{case}', case_id)}\n{result.err}"
    return result


def walk(
    records: Records,
    to: str,
    *,
    handler: str = "bkoch",
    assign: str = ASSIGN_BKOCH,
    skip: Sequence[str] = (),
) -> str:
    """A new medium complaint taken to state `to` with the real commands; returns its ID."""
    case_id = records.new_case().rsplit("/", 1)[1].removesuffix(".md")
    plan = steps(handler, assign)
    for state in STATES[: STATES.index(to) + 1]:
        for command in plan[state] if state not in skip else []:
            succeed(records, command, case_id)
    assert f"\nstatus: {STATUS[to]}\n" in case_text(records, case_id)
    return case_id


def case_rel(case_id: str) -> str:
    return f"cases/{case_id[:4]}/{case_id}.md"


def case_text(records: Records, case_id: str) -> str:
    return (records.root / case_rel(case_id)).read_text()


# ---- what a refusal looks like ----

USAGE_LINES = 4  # Click's usage errors: "Usage: ...", "Try ... --help", "", "Error: ..."


def assert_refused(result: Run, *fragments: str, max_lines: int = 2) -> None:
    """Exit 2, a short message holding every fragment, no traceback, nothing on stdout."""
    shown = f"exit {result.code}\nstdout: {result.out!r}\nstderr:\n{result.err}"
    assert result.code == 2, shown
    assert result.out == "", shown
    assert "Traceback" not in result.err, shown
    assert "unexpected error" not in result.err, shown
    for fragment in fragments:
        assert fragment in result.err, f"{fragment!r} is not in the message\n{shown}"
    assert 1 <= len(result.err.strip().splitlines()) <= max_lines, shown
    assert result.err.startswith("Usage: ") or "casetrail: " in result.err, shown


@dataclass(frozen=True)
class Refusal:
    state: str  # the case is walked to this state first
    command: str  # the refused command
    expect: tuple[str, ...]  # fragments of the message; "{case}" is the case's ID
    setup: tuple[str, ...] = ()  # more commands, each succeeding, before the refused one
    clock: str | None = None  # CASETRAIL_NOW from just before the refused command on
    max_lines: int = 2  # the message and a hint; more for lists of findings


def refusal(
    name: str,
    state: str,
    command: str,
    *expect: str,
    setup: Sequence[str] = (),
    clock: str | None = None,
    max_lines: int = 2,
) -> object:
    spec = Refusal(state, command, expect, tuple(setup), clock, max_lines)
    return pytest.param(spec, id=name)


def check_refusal(records: Records, monkeypatch: pytest.MonkeyPatch, spec: Refusal) -> None:
    case_id = walk(records, spec.state)
    for command in spec.setup:
        succeed(records, command, case_id)
    if spec.clock:
        monkeypatch.setenv("CASETRAIL_NOW", spec.clock)
    before = records.snapshot()
    result = records.run(*argv(spec.command, case_id))
    expect = [fragment.replace("{case}", case_id) for fragment in spec.expect]
    assert_refused(result, *expect, max_lines=spec.max_lines)
    assert records.snapshot() == before


# ---- mistakes every writing command refuses the same way ----

# One plausible use of each command that edits a case, without --by and --at.
EVERY_COMMAND = {
    "assess": "assess {case}",
    "verify": "verify {case}",
    "priority": "priority {case} high --reason 'the complainant is ill'",
    "stakeholder-add": "stakeholder add {case} --role complainant",
    "stakeholder-closure": "stakeholder closure {case} S1 --agreement agreed",
    "conflict": "conflict {case} --person cnguyen --reason neighbour",
    "flag": "flag {case} --reason 'vulnerable complainant'",
    "escalate": "escalate {case} --to gharris --reason 'no reply from the post room'",
    "resolve-flag": "resolve-flag {case} 1 --resolution handled",
    "assign": "assign {case} --handler bkoch --approved-by gharris --rationale 'free capacity'",
    "ack": "ack {case}",
    "followup-add": "followup add {case} --title 'Send the reply' --owner bkoch --due 2026-11-30",
    "followup-done": "followup done {case} F1 --outcome 'Reply sent'",
    "contact": "contact {case} --stakeholder S1 --channel phone --summary 'Explained the delay'",
    "review": "review {case} --summary 'waiting for the post room'",
    "disclose": (
        "disclose {case} --recipient ombudsman --basis consent --reference 'consent form 3' "
        "--summary 'dates of the correspondence'"
    ),
    "request-closure": (
        "request-closure {case} --outcome resolved --summary 'Reply sent' --lessons 'Log letters'"
    ),
    "close": "close {case} --approved-by gharris",
    "return-closure": "return-closure {case} --reason 'reply not yet confirmed'",
    "reopen": "reopen {case} --reason 'the complainant never got the reply'",
}

ABSENT_ID = ids.make(2026, bytes(6))  # 2026-0000000: well-formed, its check character right


def mistyped(case_id: str) -> str:
    """The ID with its check character changed: what a one-character slip looks like."""
    alphabet = ids.ALPHABET
    return case_id[:-1] + alphabet[(alphabet.index(case_id[-1]) + 1) % len(alphabet)]


@dataclass(frozen=True)
class Mistake:
    ref: Callable[[str], str]  # what is typed for CASE, from the real ID
    options: str  # what is added to the command
    expect: tuple[str, ...]


COMMON_MISTAKES = {
    "unknown-id": Mistake(
        lambda _: ABSENT_ID,
        "--by fweber",
        ("no case 2026-0000000", "looked for cases/2026/2026-0000000.md"),
    ),
    "malformed-id": Mistake(
        lambda _: "2026-12",
        "--by fweber",
        ("'2026-12' is not a case ID", "YYYY-XXXXXXX"),
    ),
    "mistyped-check-character": Mistake(
        mistyped, "--by fweber", ("is not a case ID", "check character does not match")
    ),
    "unknown-by": Mistake(
        lambda c: c, "--by nobody", ("--by nobody: no such person in schema/roster.yaml",)
    ),
    "at-day-first": Mistake(
        lambda c: c,
        "--by fweber --at 23/11/2026",
        ("--at '23/11/2026' is not a timestamp like 2026-11-23T09:30+01:00",),
    ),
    "at-in-the-future": Mistake(
        lambda c: c,
        "--by fweber --at 2026-11-23T11:00:00+01:00",
        ("--at 2026-11-23T11:00:00+01:00 is in the future",),
    ),
}


@pytest.mark.parametrize("mistake", list(COMMON_MISTAKES))
@pytest.mark.parametrize("command", list(EVERY_COMMAND))
def test_every_writing_command_refuses_bad_ids_people_and_times(
    records: Records, command: str, mistake: str
) -> None:
    spec = COMMON_MISTAKES[mistake]
    case_id = walk(records, "new")
    args = argv(f"{EVERY_COMMAND[command]} {spec.options}", spec.ref(case_id))
    before = records.snapshot()
    assert_refused(records.run(*args), *spec.expect)
    assert records.snapshot() == before


def test_the_absent_id_is_well_formed_and_the_mistyped_one_is_not() -> None:
    assert ids.problem(ABSENT_ID) is None
    assert ids.problem(mistyped("2026-7KQ4XMP")) is not None


# ---- a case file that is already invalid ----


@pytest.mark.parametrize("dry_run", [False, True], ids=["write", "dry-run"])
@pytest.mark.parametrize("command", list(EVERY_COMMAND))
def test_every_writing_command_refuses_a_hand_edited_invalid_case(
    records: Records, command: str, dry_run: bool
) -> None:
    case_id = walk(records, "in_progress")
    rel = case_rel(case_id)
    path = records.root / rel
    path.write_text(path.read_text().replace("\nstatus: in_progress\n", "\nstatus: banana\n"))
    before = records.snapshot()
    dry = " --dry-run" if dry_run else ""
    result = records.run(*argv(f"{EVERY_COMMAND[command]} --by fweber{dry}", case_id))
    assert_refused(
        result,
        "CT100 status: 'banana' is not one of",
        f"casetrail: {rel} has errors; fix them first (casetrail check {rel})",
        max_lines=3,
    )
    assert records.snapshot() == before


CORRUPTIONS = {
    "no-front-matter": (
        lambda text: text.removeprefix("---\n"),
        "CT003 file does not start with a '---' front matter line",
    ),
    "invalid-utf8": (lambda text: "\udcff" + text, "CT001 invalid UTF-8"),  # a raw 0xff byte
    "merge-conflict-marker": (
        lambda text: text.replace("\nstatus:", "\n<<<<<<< HEAD\nstatus:", 1),
        "CT012 unresolved merge conflict marker",
    ),
    "duplicate-key": (
        lambda text: text.replace("\npriority: medium\n", "\npriority: medium\npriority: low\n"),
        "CT007 duplicate key 'priority'",
    ),
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_a_corrupted_case_file_is_refused_and_left_alone(records: Records, corruption: str) -> None:
    corrupt, expect = CORRUPTIONS[corruption]
    case_id = walk(records, "in_progress")
    rel = case_rel(case_id)
    path = records.root / rel
    path.write_bytes(corrupt(path.read_text()).encode("utf-8", "surrogateescape"))
    before = records.snapshot()
    result = records.run(*argv("review {case} --by bkoch --summary 'all fine'", case_id))
    assert_refused(result, expect, f"fix them first (casetrail check {rel})", max_lines=6)
    assert records.snapshot() == before


def test_a_case_file_that_is_a_symbolic_link_is_refused(records: Records) -> None:
    case_id = walk(records, "in_progress")
    rel = case_rel(case_id)
    real = records.root / "elsewhere.md"
    (records.root / rel).rename(real)
    (records.root / rel).symlink_to(real)
    before = records.snapshot()
    result = records.run(*argv("review {case} --by bkoch --summary 'all fine'", case_id))
    assert_refused(result, f"{rel} is a symbolic link")
    assert records.snapshot() == before
    assert (records.root / rel).is_symlink()


def test_a_case_given_by_a_path_outside_the_repository_is_refused(records: Records) -> None:
    walk(records, "in_progress")
    before = records.snapshot()
    result = records.run("review", "/tmp/elsewhere.md", "--by", "bkoch", "--summary", "fine")
    assert_refused(result, "/tmp/elsewhere.md is outside the records repository")
    assert records.snapshot() == before


# ---- intake: assess, verify, priority, stakeholder, conflict, flag, escalate, resolve-flag ----

A_FLAG = "flag {case} --by bkoch --reason 'vulnerable complainant'"

INTAKE = [
    refusal(
        "assess-by-a-handler",
        "new",
        "assess {case} --by bkoch",
        "bkoch cannot assess a case: that needs an intake officer or a supervisor",
        "hint: act as someone who holds the role",
    ),
    refusal(
        "assess-twice",
        "verified",
        "assess {case} --by amartin",
        "{case} was already assessed at 2026-11-23T10:00:00+01:00",
    ),
    refusal(
        "assess-an-assigned-case",
        "assigned",
        "assess {case} --by amartin",
        "{case} was already assessed at",
    ),
    refusal(
        "assess-before-the-case-was-received",
        "new",
        "assess {case} --by amartin --at 2026-11-20T09:00:00+01:00",
        "is before the case was received (2026-11-23T10:00:00+01:00); check --at",
    ),
    # Four eyes at intake (SOP 001 §4.1), which the demo roster reaches directly: amartin
    # (intake) assessed the case, so amartin cannot also verify it.
    refusal(
        "verify-by-the-assessor",
        "assessed",
        "verify {case} --by amartin",
        "the person who assessed the case cannot also verify it (four eyes)",
    ),
    refusal(
        "verify-before-assessment",
        "new",
        "verify {case} --by gharris",
        "{case} has not been assessed yet",
        "casetrail assess CASE first",
    ),
    refusal(
        "verify-twice",
        "verified",
        "verify {case} --by fweber",
        "{case} was already verified at 2026-11-23T10:00:00+01:00",
    ),
    refusal(
        "verify-by-an-auditor",
        "assessed",
        "verify {case} --by ipatel",
        "ipatel cannot verify an intake record: that needs an intake officer or a supervisor",
    ),
    refusal(
        "priority-to-the-same-level",
        "in_progress",
        "priority {case} medium --by bkoch --reason 'still medium'",
        "{case} is already medium priority",
    ),
    refusal(
        "priority-unknown-level",
        "in_progress",
        "priority {case} urgent --by bkoch --reason 'very urgent'",
        "'urgent' is not one of 'high', 'medium', 'low'",
        max_lines=USAGE_LINES,
    ),
    refusal(
        "priority-without-reason",
        "in_progress",
        "priority {case} high --by bkoch",
        "Missing option '--reason'",
        max_lines=USAGE_LINES,
    ),
    refusal(
        "priority-with-a-blank-reason",
        "in_progress",
        "priority {case} high --by bkoch --reason '   '",
        "--reason is empty; say it in a few words",
    ),
    refusal(
        "priority-by-an-auditor",
        "in_progress",
        "priority {case} high --by ipatel --reason 'the complainant is ill'",
        "ipatel cannot reassess the priority",
    ),
    refusal(
        "priority-of-a-closed-case",
        "closed",
        "priority {case} high --by gharris --reason 'the complainant is ill'",
        "cannot change its priority: {case} is closed",
        "hint: a closed case only changes through casetrail reopen",
    ),
    refusal(
        "stakeholder-add-unknown-role",
        "in_progress",
        "stakeholder add {case} --by bkoch --role uncle",
        "stakeholder role uncle: one of affected_party, client, complainant",
    ),
    refusal(
        "stakeholder-add-by-an-auditor",
        "in_progress",
        "stakeholder add {case} --by ipatel --role client",
        "ipatel cannot add a stakeholder",
    ),
    refusal(
        "stakeholder-closure-unknown-ref",
        "in_progress",
        "stakeholder closure {case} S7 --by bkoch --agreement agreed",
        "no stakeholder S7",
        "S1 (complainant)",  # the ones the case has
        "hint: casetrail stakeholder add CASE --role ROLE",
    ),
    refusal(
        "stakeholder-closure-unknown-answer",
        "in_progress",
        "stakeholder closure {case} S1 --by bkoch --agreement maybe",
        "'maybe' is not one of 'pending', 'agreed', 'disagreed', 'not_reachable'",
        max_lines=USAGE_LINES,
    ),
    refusal(
        "stakeholder-closure-by-an-auditor",
        "in_progress",
        "stakeholder closure {case} S1 --by ipatel --agreement agreed",
        "ipatel cannot record a stakeholder's response",
    ),
    refusal(
        "conflict-of-an-unknown-person",
        "verified",
        "conflict {case} --by fweber --person nobody --reason 'x y'",
        "--person nobody: no such person in schema/roster.yaml",
    ),
    refusal(
        "conflict-declared-twice",
        "verified",
        "conflict {case} --by fweber --person cnguyen --reason again",
        "a conflict of interest for cnguyen is already declared on {case}",
        setup=["conflict {case} --by fweber --person cnguyen --reason 'related to a party'"],
    ),
    refusal(
        "conflict-of-the-assigned-handler",
        "in_progress",
        "conflict {case} --by fweber --person bkoch --reason neighbour",
        "bkoch is assigned to {case}; reassign the case first",
    ),
    refusal(
        "flag-to-a-non-supervisor",
        "in_progress",
        "flag {case} --by bkoch --to amartin --reason 'vulnerable complainant'",
        "--to amartin is not a supervisor",
    ),
    refusal(
        "escalate-to-a-handler",
        "in_progress",
        "escalate {case} --by bkoch --to cnguyen --reason 'post room does not answer'",
        "--to cnguyen is not a supervisor; flags and escalations go to a supervisor",
    ),
    refusal(
        "escalate-to-an-unknown-person",
        "in_progress",
        "escalate {case} --by bkoch --to nobody --reason 'post room does not answer'",
        "--to nobody: no such person in schema/roster.yaml",
    ),
    refusal(
        "escalate-without-to",
        "in_progress",
        "escalate {case} --by bkoch --reason 'post room does not answer'",
        "Missing option '--to'",
        max_lines=USAGE_LINES,
    ),
    refusal(
        "escalate-on-a-closed-case",
        "closed",
        "escalate {case} --by bkoch --to fweber --reason 'post room does not answer'",
        "cannot raise an escalation flag: {case} is closed",
    ),
    refusal(
        "resolve-flag-0",
        "in_progress",
        "resolve-flag {case} 0 --by fweber --resolution handled",
        "{case} has no flag 0 (it has 1)",
        setup=[A_FLAG],
    ),
    refusal(
        "resolve-flag-past-the-last",
        "in_progress",
        "resolve-flag {case} 2 --by fweber --resolution handled",
        "{case} has no flag 2 (it has 1)",
        setup=[A_FLAG],
    ),
    refusal(
        "resolve-flag-when-there-is-none",
        "in_progress",
        "resolve-flag {case} 1 --by fweber --resolution handled",
        "{case} has no flag 1 (it has 0)",
    ),
    # Click reads "-1" as an option: a usage error still, though it speaks of options.
    refusal(
        "resolve-flag-negative",
        "in_progress",
        "resolve-flag {case} -1 --by fweber --resolution handled",
        "No such option '-1'",
        setup=[A_FLAG],
        max_lines=USAGE_LINES,
    ),
    refusal(
        "resolve-flag-not-a-number",
        "in_progress",
        "resolve-flag {case} one --by fweber --resolution handled",
        "'one' is not a valid integer",
        setup=[A_FLAG],
        max_lines=USAGE_LINES,
    ),
    refusal(
        "resolve-flag-twice",
        "in_progress",
        "resolve-flag {case} 1 --by fweber --resolution again",
        "flag 1 was already resolved at 2026-11-23T10:00:00+01:00",
        setup=[A_FLAG, "resolve-flag {case} 1 --by fweber --resolution handled"],
    ),
    refusal(
        "resolve-flag-by-an-auditor",
        "in_progress",
        "resolve-flag {case} 1 --by ipatel --resolution handled",
        "ipatel cannot resolve urgent flag 1: only a supervisor or the case team may",
        setup=[A_FLAG],
    ),
]


@pytest.mark.parametrize("spec", INTAKE)
def test_intake_refusals(records: Records, monkeypatch: pytest.MonkeyPatch, spec: Refusal) -> None:
    check_refusal(records, monkeypatch, spec)


# ---- assignment: assign, ack ----


def assign(handler: str, extra: str = "", *, by: str = "fweber", approver: str = "fweber") -> str:
    return (
        f"assign {{case}} --by {by} --handler {handler} --approved-by {approver} "
        f"--rationale 'knows the permit system' {extra}"
    )


REASSIGN = "--why-not-top 'knows the file' --reason 'bkoch is ill'"

ASSIGNMENT = [
    refusal(
        "handler-unknown",
        "verified",
        assign("nobody"),
        "--handler nobody: no such person in schema/roster.yaml",
    ),
    refusal(
        "resolution-officer-unknown",
        "verified",
        assign("bkoch", "--resolution-officer nobody"),
        "--resolution-officer nobody: no such person in schema/roster.yaml",
    ),
    refusal(
        "approver-unknown",
        "verified",
        assign("bkoch", approver="nobody"),
        "--approved-by nobody: no such person in schema/roster.yaml",
    ),
    refusal(
        "approved-by-an-intake-officer",
        "verified",
        assign("bkoch", approver="amartin"),
        "--approved-by amartin is not a supervisor (SOP 003 §2)",
    ),
    refusal(
        "assigned-by-a-handler",
        "verified",
        assign("bkoch", by="bkoch"),
        "bkoch cannot assign a case: that needs a supervisor or an intake officer",
    ),
    refusal(
        "assigned-by-an-auditor",
        "verified",
        assign("bkoch", by="ipatel"),
        "ipatel cannot assign a case",
    ),
    refusal(
        "handler-without-the-role",
        "verified",
        assign("esilva"),
        "esilva does not have the role handler in the roster",
    ),
    refusal(
        "resolution-officer-without-the-role",
        "verified",
        "assign {case} --by fweber --resolution-officer bkoch --approved-by fweber "
        "--rationale 'knows the permit system'",
        "bkoch does not have the role resolution_officer in the roster",
    ),
    refusal(
        "without-rationale",
        "verified",
        "assign {case} --by fweber --handler bkoch --approved-by fweber",
        "Missing option '--rationale'",
        max_lines=USAGE_LINES,
    ),
    refusal(
        "with-a-blank-rationale",
        "verified",
        "assign {case} --by fweber --handler bkoch --approved-by fweber --rationale ' '",
        "--rationale is empty; say it in a few words",
    ),
    refusal(
        "without-anyone-to-assign",
        "verified",
        "assign {case} --by fweber --approved-by fweber --rationale 'knows the permit system'",
        "give --handler, --resolution-officer, or both",
        max_lines=USAGE_LINES,
    ),
    refusal(
        "not-the-top-suggestion-without-why-not-top",
        "verified",
        assign("cnguyen"),
        "cnguyen is not the top suggestion for handler (bkoch); say why with --why-not-top",
        "SOP 004 §5",
    ),
    refusal(
        "not-the-top-suggestion-in-a-dry-run",
        "verified",
        assign("cnguyen", "--dry-run"),
        "cnguyen is not the top suggestion for handler (bkoch)",
    ),
    # cnguyen is on leave 2026-12-14..23; the clock is moved into the leave.
    refusal(
        "a-handler-on-leave",
        "verified",
        assign("cnguyen", "--why-not-top 'knows the file'"),
        "cnguyen cannot be assigned: absent 2026-12-14..2026-12-23 (annual leave)",
        clock="2026-12-15T10:00:00+01:00",
    ),
    refusal(
        "reassignment-without-reason",
        "in_progress",
        assign("cnguyen", "--why-not-top 'knows the file'"),
        "{case} already has bkoch as handler; a reassignment needs --reason (SOP 004 §7)",
    ),
    refusal(
        "reassignment-to-the-same-handler",
        "in_progress",
        assign("bkoch", "--reason 'again'"),
        "bkoch is already the handler of {case}",
    ),
    refusal(
        "a-handler-with-a-declared-conflict",
        "verified",
        assign("bkoch"),
        "bkoch cannot be assigned: conflict of interest declared on the case: neighbour",
        setup=["conflict {case} --by fweber --person bkoch --reason neighbour"],
    ),
    refusal(
        "a-handler-with-a-declared-conflict-even-with-why-not-top",
        "verified",
        assign("bkoch", "--why-not-top 'knows the file'"),
        "bkoch cannot be assigned: conflict of interest",
        setup=["conflict {case} --by fweber --person bkoch --reason neighbour"],
    ),
    refusal(
        "a-case-whose-closure-is-requested",
        "closure_requested",
        assign("cnguyen", REASSIGN),
        "cannot assign: {case} is closure requested",
    ),
    refusal(
        "a-closed-case",
        "closed",
        assign("cnguyen", REASSIGN),
        "cannot assign: {case} is closed",
    ),
    refusal(
        "ack-twice",
        "in_progress",
        "ack {case} --by bkoch",
        "bkoch already acknowledged {case} at 2026-11-23T10:00:00+01:00",
    ),
    refusal(
        "ack-by-someone-not-assigned",
        "assigned",
        "ack {case} --by cnguyen",
        "cnguyen is not assigned to {case} (assigned: bkoch)",
    ),
    refusal(
        "ack-before-any-assignment",
        "verified",
        "ack {case} --by bkoch",
        "bkoch is not assigned to {case} (assigned: nobody yet)",
    ),
    refusal(
        "ack-by-the-handler-reassigned-away",
        "assigned",
        "ack {case} --by bkoch",
        "bkoch is not assigned to {case} (assigned: cnguyen)",
        setup=[assign("cnguyen", REASSIGN)],
    ),
]


@pytest.mark.parametrize("spec", ASSIGNMENT)
def test_assignment_refusals(
    records: Records, monkeypatch: pytest.MonkeyPatch, spec: Refusal
) -> None:
    check_refusal(records, monkeypatch, spec)


# ---- the handler's work: followup, contact, review, disclose ----

ADD_F1 = "followup add {case} --by bkoch --title 'Send the reply' --owner bkoch --due 2026-11-30"


def followup_add(options: str, by: str = "bkoch") -> str:
    return f"followup add {{case}} --by {by} --title 'Send the reply' {options}"


def contact(stakeholder: str, channel: str, extra: str = "", *, by: str = "bkoch") -> str:
    return (
        f"contact {{case}} --by {by} --stakeholder {stakeholder} --channel {channel} "
        f"--summary 'Explained the delay' {extra}"
    )


def disclose(options: str, by: str = "bkoch") -> str:
    return f"disclose {{case}} --by {by} --recipient police --summary 'dates of contact' {options}"


WORK = [
    refusal(
        "followup-add-by-an-auditor",
        "in_progress",
        followup_add("--owner bkoch --due 2026-11-30", by="ipatel"),
        "ipatel cannot add a follow-up: only the case's handler or resolution officer, "
        "or a supervisor, may",
    ),
    refusal(
        "followup-add-by-a-handler-not-on-the-case",
        "in_progress",
        followup_add("--owner cnguyen --due 2026-11-30", by="cnguyen"),
        "cnguyen cannot add a follow-up",
    ),
    refusal(
        "followup-add-unknown-owner",
        "in_progress",
        followup_add("--owner nobody --due 2026-11-30"),
        "--owner nobody: no such person in schema/roster.yaml",
    ),
    refusal(
        "followup-add-owner-not-case-staff",
        "in_progress",
        followup_add("--owner ipatel --due 2026-11-30"),
        "--owner ipatel is not case staff (roles: auditor)",
    ),
    refusal(
        "followup-add-on-a-closed-case",
        "closed",
        followup_add("--owner bkoch --due 2026-11-30", by="gharris"),
        "cannot add a follow-up: {case} is closed",
        "hint: a closed case only changes through casetrail reopen",
    ),
    refusal(
        "followup-add-empty-title",
        "in_progress",
        "followup add {case} --by bkoch --title '' --owner bkoch --due 2026-11-30",
        "--title is empty",
    ),
    refusal(
        "followup-done-twice",
        "in_progress",
        "followup done {case} F1 --by bkoch --outcome again",
        "follow-up F1 was already done at 2026-11-23T10:00:00+01:00 by bkoch",
        setup=[ADD_F1, "followup done {case} F1 --by bkoch --outcome 'reply sent'"],
    ),
    refusal(
        "followup-done-unknown-id",
        "in_progress",
        "followup done {case} F9 --by bkoch --outcome 'reply sent'",
        "{case} has no follow-up F9 (it has: F1)",
        setup=[ADD_F1],
    ),
    refusal(
        "followup-done-when-there-is-none",
        "in_progress",
        "followup done {case} F1 --by bkoch --outcome 'reply sent'",
        "{case} has no follow-up F1 (it has: none)",
    ),
    refusal(
        "followup-done-by-an-auditor",
        "in_progress",
        "followup done {case} F1 --by ipatel --outcome 'reply sent'",
        "ipatel cannot complete bkoch's follow-up",
        setup=[ADD_F1],
    ),
    refusal(
        "followup-done-without-outcome",
        "in_progress",
        "followup done {case} F1 --by bkoch",
        "Missing option '--outcome'",
        setup=[ADD_F1],
        max_lines=USAGE_LINES,
    ),
    refusal(
        "followup-done-before-it-was-created",
        "in_progress",
        "followup done {case} F1 --by bkoch --outcome sent --at 2026-11-23T09:00:00+01:00",
        "is before the follow-up was created (2026-11-23T10:00:00+01:00); check --at",
        setup=[ADD_F1],
    ),
    refusal(
        "contact-unknown-stakeholder",
        "in_progress",
        contact("S9", "phone"),
        "no stakeholder S9",
        "S1 (complainant)",
        "hint: casetrail stakeholder add CASE --role ROLE",
    ),
    refusal(
        "contact-before-any-stakeholder",
        "assigned",
        contact("S1", "phone"),
        "no stakeholder S1",
        "none yet",
    ),
    refusal(
        "contact-by-a-role-two-stakeholders-hold",
        "in_progress",
        contact("complainant", "phone"),
        "more than one stakeholder has the role complainant",
        "S1 (complainant), S2 (complainant)",
        setup=["stakeholder add {case} --by bkoch --role complainant"],
    ),
    refusal(
        "contact-unknown-channel",
        "in_progress",
        contact("S1", "pigeon"),
        "--channel pigeon: one of email, in_person, letter, phone, referral, web_form",
    ),
    refusal(
        "contact-unknown-direction",
        "in_progress",
        contact("S1", "phone", "--direction sideways"),
        "'sideways' is not one of 'incoming', 'outgoing'",
        max_lines=USAGE_LINES,
    ),
    refusal(
        "contact-summary-too-long",
        "in_progress",
        contact("S1", "phone", f"--summary {'x' * 501}"),
        "--summary is 501 characters; keep it under 500",
    ),
    refusal(
        "contact-by-an-auditor",
        "in_progress",
        contact("S1", "phone", by="ipatel"),
        "ipatel cannot log a communication",
    ),
    refusal(
        "review-by-an-auditor",
        "in_progress",
        "review {case} --by ipatel --summary 'all fine'",
        "ipatel cannot review the case",
    ),
    refusal(
        "review-of-a-closed-case",
        "closed",
        "review {case} --by gharris --summary 'all fine'",
        "cannot review it: {case} is closed",
    ),
    refusal(
        "review-dated-before-the-last-review",
        "in_progress",
        "review {case} --by bkoch --summary second --at 2026-11-23T09:30+01:00",
        "is before the last review (2026-11-23T10:00:00+01:00); check --at",
        setup=["review {case} --by bkoch --summary first"],
    ),
    refusal(
        "disclose-legal-obligation-without-reference",
        "in_progress",
        disclose("--basis legal_obligation"),
        "a disclosure under a legal obligation needs --reference (the law or order)",
    ),
    refusal(
        "disclose-unknown-basis",
        "in_progress",
        disclose("--basis curiosity"),
        "'curiosity' is not one of 'consent', 'legal_obligation'",
        max_lines=USAGE_LINES,
    ),
    refusal(
        "disclose-by-an-auditor",
        "in_progress",
        disclose("--basis consent --reference 'form 3'", by="ipatel"),
        "ipatel cannot record a disclosure",
    ),
    refusal(
        "disclose-on-a-closed-case",
        "closed",
        disclose("--basis consent --reference 'form 3'", by="gharris"),
        "cannot record a disclosure: {case} is closed",
    ),
]


@pytest.mark.parametrize("spec", WORK)
def test_work_refusals(records: Records, monkeypatch: pytest.MonkeyPatch, spec: Refusal) -> None:
    check_refusal(records, monkeypatch, spec)


# ---- closure: request-closure, close, return-closure, reopen ----

REQUEST_BKOCH = REQUEST.replace("{handler}", "bkoch")


def close(by: str = "hlindqvist", approver: str = "gharris", extra: str = "") -> str:
    return f"close {{case}} --by {by} --approved-by {approver} {extra}"


CLOSURE = [
    refusal(
        "request-with-an-open-followup",
        "ready",
        REQUEST_BKOCH,
        "{case} does not meet the closure criteria yet:",
        "follow-up F1 is not done with an outcome",
        "casetrail followup done CASE F1",
        "SOP 000 §5",
        setup=[ADD_F1],
        max_lines=3,
    ),
    refusal(
        "request-with-a-stakeholder-who-disagrees",
        "in_progress",
        REQUEST_BKOCH,
        "stakeholder S1 has not agreed to closure (agreement: disagreed)",
        setup=["stakeholder closure {case} S1 --by bkoch --agreement disagreed"],
        max_lines=3,
    ),
    refusal(
        "request-with-a-stakeholder-not-yet-told",
        "in_progress",
        REQUEST_BKOCH,
        "stakeholder S1 has not been notified of closure",
        "stakeholder S1 has not agreed to closure (agreement: not recorded)",
        max_lines=4,
    ),
    refusal(
        "request-with-an-open-flag",
        "ready",
        REQUEST_BKOCH,
        "urgent flag raised 2026-11-23T10:00:00+01:00 is still open",
        setup=[A_FLAG],
        max_lines=3,
    ),
    refusal(
        "request-with-every-criterion-unmet",
        "ready",
        REQUEST_BKOCH,
        "follow-up F1 is not done",
        "urgent flag raised",
        "stakeholder S2 has not been notified of closure",
        "stakeholder S2 has not agreed to closure",
        setup=[ADD_F1, A_FLAG, "stakeholder add {case} --by bkoch --role client"],
        max_lines=6,
    ),
    # On a new case nobody is on the team, so the refusal speaks of who asks (see the report).
    refusal(
        "request-on-a-new-case",
        "verified",
        REQUEST_BKOCH,
        "cannot request closure: {case} is new",
    ),
    refusal(
        "request-before-acknowledging",
        "assigned",
        REQUEST_BKOCH,
        "cannot request closure: {case} is assigned",
        "hint: the assignee must acknowledge first (casetrail ack)",
    ),
    refusal(
        "request-by-a-handler-not-on-the-case",
        "ready",
        REQUEST.replace("{handler}", "cnguyen"),
        "cnguyen cannot request closure",
    ),
    refusal(
        "request-twice",
        "closure_requested",
        REQUEST_BKOCH,
        "cannot request closure: {case} is closure requested",
    ),
    refusal(
        "request-unknown-outcome",
        "ready",
        REQUEST_BKOCH.replace("resolved", "fixed"),
        "'fixed' is not one of 'resolved', 'partly_resolved'",
        max_lines=USAGE_LINES,
    ),
    refusal(
        "request-without-lessons",
        "ready",
        REQUEST_BKOCH.split(" --lessons")[0],
        "Missing option '--lessons'",
        max_lines=USAGE_LINES,
    ),
    refusal(
        "close-an-in-progress-case",
        "ready",
        close(),
        "cannot close: {case} is in progress",
        "hint: closure must be requested first (casetrail request-closure)",
    ),
    refusal("close-a-new-case", "new", close(), "cannot close: {case} is new"),
    refusal("close-twice", "closed", close(), "cannot close: {case} is closed"),
    refusal(
        "close-run-by-the-handler",
        "closure_requested",
        close(by="bkoch"),
        "bkoch cannot complete checklist item retention_scheduled",
        "it needs a records officer",
        "hint: the records office runs casetrail close",
    ),
    refusal(
        "close-run-by-a-supervisor",
        "closure_requested",
        close(by="gharris"),
        "gharris cannot complete checklist item retention_scheduled",
    ),
    refusal(
        "close-approved-by-a-handler",
        "closure_requested",
        close(approver="bkoch"),
        "--approved-by bkoch is not a supervisor (SOP 000 §4)",
    ),
    refusal(
        "close-approved-by-the-records-officer",
        "closure_requested",
        close(approver="hlindqvist"),
        "--approved-by hlindqvist is not a supervisor",
    ),
    refusal(
        "close-approved-by-an-unknown-person",
        "closure_requested",
        close(approver="nobody"),
        "--approved-by nobody: no such person in schema/roster.yaml",
    ),
    refusal(
        "close-dated-before-the-request",
        "closure_requested",
        close(extra="--at 2026-11-23T09:59:00+01:00"),
        "is before the closure request (2026-11-23T10:00:00+01:00); check --at",
    ),
    refusal(
        "return-closure-by-the-handler",
        "closure_requested",
        "return-closure {case} --by bkoch --reason 'not done'",
        "bkoch cannot return a closure request: that needs a supervisor",
    ),
    refusal(
        "return-closure-of-an-in-progress-case",
        "ready",
        "return-closure {case} --by gharris --reason 'not done'",
        "cannot return the closure request: {case} is in progress",
    ),
    refusal(
        "reopen-by-the-handler",
        "closed",
        "reopen {case} --by bkoch --reason 'new evidence'",
        "bkoch cannot reopen a case: that needs a supervisor",
    ),
    refusal(
        "reopen-by-the-records-officer",
        "closed",
        "reopen {case} --by hlindqvist --reason 'new evidence'",
        "hlindqvist cannot reopen a case: that needs a supervisor",
    ),
    refusal(
        "reopen-an-open-case",
        "in_progress",
        "reopen {case} --by gharris --reason 'new evidence'",
        "cannot reopen: {case} is in progress",
    ),
    refusal(
        "reopen-a-case-whose-closure-is-requested",
        "closure_requested",
        "reopen {case} --by gharris --reason 'new evidence'",
        "cannot reopen: {case} is closure requested",
    ),
    refusal(
        "reopen-dated-before-the-closure",
        "closed",
        "reopen {case} --by gharris --reason 'new evidence' --at 2026-11-23T08:00Z",
        "is before the closure (2026-11-23T10:00:00+01:00); check --at",
    ),
]


@pytest.mark.parametrize("spec", CLOSURE)
def test_closure_refusals(records: Records, monkeypatch: pytest.MonkeyPatch, spec: Refusal) -> None:
    check_refusal(records, monkeypatch, spec)


# ---- dates: --at and --due ----

LATER = "2026-11-25T10:00:00+01:00"  # the clock moved on two days, for the tests that need it
REVIEW = "review {case} --by bkoch --summary 'all fine'"

DATES = [
    refusal(
        "at-a-date-without-time",
        "in_progress",
        f"{REVIEW} --at 2026-11-23",
        "--at '2026-11-23' is not a timestamp like 2026-11-23T09:30+01:00",
    ),
    refusal(
        "at-without-utc-offset",
        "in_progress",
        f"{REVIEW} --at 2026-11-23T09:00",
        "--at '2026-11-23T09:00' is not a timestamp",
    ),
    refusal(
        "at-a-day-that-does-not-exist",
        "in_progress",
        f"{REVIEW} --at 2026-02-30T09:00Z",
        "--at '2026-02-30T09:00Z' is not a timestamp",
    ),
    refusal(
        "at-in-the-future-of-a-moved-clock",
        "in_progress",
        f"{REVIEW} --at 2026-11-26T09:00Z",
        "--at 2026-11-26T09:00Z is in the future; record things when they have happened",
        clock=LATER,
    ),
    refusal(
        "at-before-the-case-was-received",
        "in_progress",
        contact("S1", "phone", "--at 2026-11-01T10:00:00+01:00"),
        "2026-11-01T10:00:00+01:00 is before the case was registered (2026-11-23T10:00:00+01:00)",
    ),
    refusal(
        "ack-dated-before-the-assignment",
        "assigned",
        "ack {case} --by bkoch --at 2026-11-23T09:00:00+01:00",
        "is before the assignment (2026-11-23T10:00:00+01:00); check --at",
    ),
    refusal(
        "due-month-13",
        "in_progress",
        followup_add("--owner bkoch --due 2026-13-01"),
        "--due '2026-13-01' is not a date like 2026-11-30",
    ),
    refusal(
        "due-day-first",
        "in_progress",
        followup_add("--owner bkoch --due 30.11.2026"),
        "--due '30.11.2026' is not a date like 2026-11-30",
    ),
    refusal(
        "due-with-a-time",
        "in_progress",
        followup_add("--owner bkoch --due 2026-11-30T17:00+01:00"),
        "is not a date like 2026-11-30",
    ),
    refusal(
        "due-in-the-past",
        "in_progress",
        followup_add("--owner bkoch --due 2026-11-22"),
        "--due 2026-11-22 is before today (2026-11-23)",
    ),
    refusal(
        "due-in-the-past-of-a-moved-clock",
        "in_progress",
        followup_add("--owner bkoch --due 2026-11-24"),
        "--due 2026-11-24 is before today (2026-11-25)",
        clock=LATER,
    ),
    refusal(
        "due-missing",
        "in_progress",
        followup_add("--owner bkoch"),
        "Missing option '--due'",
        max_lines=USAGE_LINES,
    ),
]


@pytest.mark.parametrize("spec", DATES)
def test_date_refusals(records: Records, monkeypatch: pytest.MonkeyPatch, spec: Refusal) -> None:
    check_refusal(records, monkeypatch, spec)


def test_a_malformed_simulated_clock_is_a_clear_error(
    records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = walk(records, "in_progress")
    monkeypatch.setenv("CASETRAIL_NOW", "tomorrow")
    before = records.snapshot()
    result = records.run(*argv(REVIEW, case_id))
    assert_refused(result, "CASETRAIL_NOW 'tomorrow' is not a timestamp")
    assert records.snapshot() == before


# ---- new work while closure is requested: the request goes back to work first ----

AFTER_CLOSURE_REQUEST = [
    refusal(
        "followup-add-after-the-closure-request",
        "closure_requested",
        followup_add("--owner bkoch --due 2026-11-30"),
        "cannot add a follow-up: closure of {case} has been requested",
        "casetrail return-closure",
    ),
    refusal(
        "stakeholder-disagrees-after-the-closure-request",
        "closure_requested",
        "stakeholder closure {case} S1 --by bkoch --agreement disagreed",
        "cannot record a stakeholder's response: closure of {case} has been requested",
        "casetrail return-closure",
    ),
    refusal(
        "flag-after-the-closure-request",
        "closure_requested",
        A_FLAG,
        "cannot raise an urgent flag: closure of {case} has been requested",
        "casetrail return-closure",
    ),
]


@pytest.mark.parametrize("spec", AFTER_CLOSURE_REQUEST)
def test_no_new_work_while_closure_is_requested(
    records: Records, monkeypatch: pytest.MonkeyPatch, spec: Refusal
) -> None:
    check_refusal(records, monkeypatch, spec)


# ---- steps the commands allow that would make the file fail `casetrail check` ----

# Each command validates its result as `check` does and writes nothing if that fails.
WOULD_BE_INVALID = [
    refusal(
        "contact-with-a-bidirectional-control-character",
        "in_progress",
        contact("S1", "phone", "--summary 'abc\u202edef'"),
        "CT011 invisible or bidirectional control character U+202E",
        "nothing was written",
        max_lines=4,
    ),
]


@pytest.mark.parametrize("spec", WOULD_BE_INVALID)
def test_changes_that_would_fail_check_are_not_written(
    records: Records, monkeypatch: pytest.MonkeyPatch, spec: Refusal
) -> None:
    check_refusal(records, monkeypatch, spec)


# ---- four eyes where the demo roster cannot reach ----

# In the demo roster no supervisor is also a handler or resolution officer, so a supervisor
# approving their own assignment, or approving the closure of a case they work on, cannot
# happen with it (verify-by-the-assessor above is the four-eyes refusal it does reach). Here
# the test's own copy of the roster makes the supervisor fweber a handler too (the project's
# schema/ is untouched), to reach those two refusals.


def make_fweber_a_handler(records: Records) -> None:
    roster = records.root / "schema" / "roster.yaml"
    text = roster.read_text()
    changed = text.replace(
        "roles: [supervisor]\n    expertise: [complaint, incident]",
        "roles: [supervisor, handler]\n    expertise: [complaint, incident]",
    )
    assert changed != text, "fweber's entry in schema/roster.yaml changed; update this test"
    roster.write_text(changed)


def test_a_supervisor_cannot_approve_their_own_assignment(records: Records) -> None:
    make_fweber_a_handler(records)
    case_id = walk(records, "verified")
    before = records.snapshot()
    result = records.run(*argv(assign("fweber", by="gharris", approver="fweber"), case_id))
    assert_refused(result, "fweber cannot approve their own assignment (SOP 003 §2)")
    assert records.snapshot() == before


def test_a_supervisor_on_the_case_team_cannot_approve_its_closure(records: Records) -> None:
    make_fweber_a_handler(records)
    fweber = assign("fweber", "--why-not-top 'knows the permit system'", approver="gharris")
    case_id = walk(records, "closure_requested", handler="fweber", assign=fweber)
    before = records.snapshot()
    result = records.run(*argv(close(approver="fweber"), case_id))
    assert_refused(
        result, "fweber is on the case team; another supervisor must approve its closure"
    )
    assert records.snapshot() == before
    succeed(records, close(approver="gharris"), case_id)  # another supervisor may


# ---- --dry-run: the diff, and nothing written ----

DRY_RUNS = {
    "assess": ("new", "assess {case} --by amartin", "+  assessed_by: amartin"),
    "ack": ("assigned", "ack {case} --by bkoch", "+status: in_progress"),
    "contact": ("in_progress", contact("S1", "phone"), '+    summary: "Explained the delay"'),
    "request-closure": ("ready", REQUEST_BKOCH, "+status: closure_requested"),
    "close": ("closure_requested", close(), "+status: closed"),
    "reopen": ("closed", "reopen {case} --by gharris --reason 'new evidence'", "-status: closed"),
}


@pytest.mark.parametrize("step", list(DRY_RUNS))
def test_dry_run_prints_the_diff_and_writes_nothing(records: Records, step: str) -> None:
    state, command, line = DRY_RUNS[step]
    case_id = walk(records, state)
    rel = case_rel(case_id)
    old = case_text(records, case_id)
    before = records.snapshot()
    dry = records.run(*argv(command, case_id), "--dry-run")
    assert dry.code == 0, dry.err
    reencrypts = step in ("close", "reopen")  # who may read the case changes
    assert ("would have re-encrypted 3 part(s) for: " in dry.err) == reencrypts, dry.err
    assert reencrypts or dry.err == ""
    assert dry.out.startswith(f"--- a/{rel}\n+++ b/{rel}\n@@ "), dry.out
    assert line in dry.out.splitlines(), dry.out
    assert records.snapshot() == before
    # The diff is exactly what the step then writes (the front matter; sections that are
    # re-encrypted get new ciphertext, which a diff cannot usefully show).
    succeed(records, command, case_id)
    new = case_text(records, case_id)
    if reencrypts:
        new = new[: new.index("\n---\n") + 5] + old[old.index("\n---\n") + 5 :]
    diff = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{rel}", f"b/{rel}"
    )
    assert dry.out == "".join(diff)


# ---- refusals that need a case walked differently ----

# Both were found writing to closed records while these tests were written, and fixed since.


@pytest.mark.parametrize("state", ["closure_requested", "closed"])
def test_ack_refuses_a_case_past_its_closure_request(records: Records, state: str) -> None:
    both = assign("bkoch", "--resolution-officer dokafor")  # dokafor never acknowledges
    case_id = walk(records, state, assign=both)
    before = records.snapshot()
    result = records.run("ack", case_id, "--by", "dokafor")
    assert_refused(result, f"cannot acknowledge: {case_id} is {state.replace('_', ' ')}")
    assert records.snapshot() == before


def test_verify_refuses_a_closed_case(records: Records) -> None:
    case_id = walk(records, "closed", skip=["verified"])  # assessed, never verified
    before = records.snapshot()
    result = records.run("verify", case_id, "--by", "fweber")
    assert_refused(result, f"cannot verify its intake record: {case_id} is closed")
    assert records.snapshot() == before


# ---- found while writing these tests, and fixed ----


def test_a_step_that_check_would_warn_about_says_so(records: Records) -> None:
    case_id = walk(records, "in_progress")
    result = records.run(
        *argv(contact("S1", "phone", "--summary 'wrote to j.doe@example.org'"), case_id)
    )
    assert "CT501" in result.err, f"exit {result.code}, stderr {result.err!r}"


def test_an_escalation_is_not_resolved_by_the_handler_who_raised_it(records: Records) -> None:
    case_id = walk(records, "in_progress")
    succeed(records, "escalate {case} --by bkoch --to fweber --reason 'post room silent'", case_id)
    before = records.snapshot()
    result = records.run("resolve-flag", case_id, "1", "--by", "bkoch", "--resolution", "done")
    assert_refused(result, "bkoch cannot resolve")
    assert records.snapshot() == before
