"""The permissions report (SOP 002 §4.2): current signers, supervisors and readers, and every
change to them, from the demo roster and policy and versions derived from them."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from casetrail.core import permissions, yamlstrict
from casetrail.core.permissions import Change, PermissionsReport, Revision

PROJECT = Path(__file__).resolve().parent.parent
TZ = timezone(timedelta(hours=1))
AS_OF = date(2026, 11, 23)

# `ssh-keygen -lf tests/demo-keys-DO-NOT-USE/<handle>.ssh.pub`
FWEBER = "SHA256:X29svmo12Q6vmm5BRk7Cw5LaO6MaG3YOmit6Awf61DE"
GHARRIS = "SHA256:Bm9pEI53LHzoGFmSz8Bw1CBiLSgPpQGXZtz6wBj+OG8"
BKOCH = "SHA256:wlh06ROZ0Jx2R14fXMMAJZKdSo4jZ4ohr/Ji98sgTGE"
ESCROW2 = "age1ps6uuthjlanxx24398l7awpe6sszq6m6sdlw8l44qgxakxevfdnsh7yq5d"


def load(name: str) -> dict[str, Any]:
    value = yamlstrict.load((PROJECT / "schema" / name).read_text()).value
    assert isinstance(value, dict)
    return value


ROSTER = load("roster.yaml")
POLICY = load("policy.yaml")


def person(roster: dict[str, Any], handle: str) -> dict[str, Any]:
    return next(p for p in roster["people"] if p["handle"] == handle)


def commit_id(n: int) -> str:
    return f"{n:02d}" * 20


def history(
    *steps: Callable[[dict[str, Any], dict[str, Any]], None], by: str = "hlindqvist"
) -> list[Revision]:
    """The demo roster and policy, then one revision per step, each changing a copy of the
    previous one in place."""
    roster, policy = copy.deepcopy(ROSTER), copy.deepcopy(POLICY)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=TZ)
    revisions = [Revision(commit_id(1), start, "hlindqvist", roster, policy)]
    for n, step in enumerate(steps, start=2):
        roster, policy = copy.deepcopy(roster), copy.deepcopy(policy)
        step(roster, policy)
        when = start + timedelta(days=7 * n)
        revisions.append(Revision(commit_id(n), when, by, roster, policy))
    return revisions


def later(revisions: list[Revision]) -> list[Change]:
    """The changes after the first revision."""
    built = permissions.report(revisions, AS_OF)
    return [c for c in built.changes if c.commit != revisions[0].commit]


def test_the_demo_office_now() -> None:
    built = permissions.report(history(), AS_OF)
    assert built.as_of == AS_OF
    assert built.head == commit_id(1)
    assert built.trust_root is None
    assert [s.handle for s in built.signers][:3] == ["amartin", "bkoch", "cnguyen"]
    assert all(s.can_sign for s in built.signers)
    fweber = next(s for s in built.signers if s.handle == "fweber")
    assert fweber.name == "Frieda Weber"
    assert fweber.roles == ("supervisor",)
    (key,) = fweber.keys
    assert (key.fingerprint, key.type, key.state) == (FWEBER, "ssh-ed25519", "active")
    assert (key.valid_from, key.valid_until, key.revoked_at) == (date(2026, 1, 5), None, None)
    assert built.supervisors == ("fweber", "gharris")
    assert [(e.name, e.state) for e in built.escrow] == [("records-office-escrow", "active")]
    assert built.warnings == ()


def test_who_can_decrypt_resolves_classes_to_people() -> None:
    built = permissions.report(history(), AS_OF)
    by_case = {(a.case_type, a.state): a for a in built.access}
    assert len(built.access) == 2 * len(POLICY["case_types"])
    complaint = by_case["complaint", "open"]
    assert complaint.documents
    assert complaint.sections == ("Parties", "Account", "Progress notes")
    assert complaint.classes == ("case_team", "registered_by", "supervisor", "escrow")
    assert [(r.description, r.holders) for r in complaint.readers] == [
        ("the case's handler and resolution officer", ()),
        ("whoever registered it", ()),
        ("supervisors", ("fweber", "gharris")),
        ("escrow key", ("records-office-escrow",)),
    ]
    closed = by_case["complaint", "closed"]
    assert closed.classes == ("supervisor", "escrow")
    assert dict(built.unencrypted)["incident"] == ("Summary", "Outcome")


def test_a_section_override_gets_its_own_line() -> None:
    def override(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        sections = policy["case_types"]["incident"]["sections"]
        sections[2]["recipients"] = {"closed": ["records_officer", "escrow"]}

    revisions = history(override)
    built = permissions.report(revisions, AS_OF)
    incident = [a for a in built.access if a.case_type == "incident" and a.state == "closed"]
    assert [(a.documents, a.sections, a.classes) for a in incident] == [
        (True, ("Parties", "Progress notes"), ("supervisor", "escrow")),
        (False, ("Incident report",), ("records_officer", "escrow")),
    ]
    assert incident[1].readers[0].holders == ("hlindqvist",)
    (change,) = later(revisions)
    assert change.kind == "recipients_changed"
    assert change.subject == "case_types.incident.sections[Incident report].recipients.closed"
    assert change.summary == (
        'who can decrypt section "Incident report" of closed incident cases: '
        "records_officer, escrow (was the default)"
    )


def test_the_first_revision_grants_everything_it_lists() -> None:
    revisions = history()
    changes = permissions.report(revisions, AS_OF).changes
    kinds = [c.kind for c in changes]
    assert kinds.count("person_added") == len(ROSTER["people"])
    assert kinds.count("key_added") == len(ROSTER["people"])
    assert kinds.count("escrow_added") == 1
    assert kinds.count("recipients_changed") == 2
    assert not any(c.flagged for c in changes)
    assert {(c.commit, c.by) for c in changes} == {(commit_id(1), "hlindqvist")}
    assert changes[0].summary == "amartin (Amira Martin) added with roles intake"
    assert changes[1].summary == (
        "signing key SHA256:2N5EBX0126hSK4qOs4PWXALVIALYYwtpoMkpb4YufnQ (ssh-ed25519) of amartin "
        "added, valid from 2026-01-05"
    )
    assert (
        changes[-1].summary == "who can decrypt closed cases (office default): supervisor, escrow"
    )


def test_a_new_supervisor() -> None:
    def promote(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        person(roster, "bkoch")["roles"].append("supervisor")

    revisions = history(promote, by="fweber")
    (change,) = later(revisions)
    assert (change.kind, change.subject, change.by) == ("role_added", "bkoch", "fweber")
    assert change.summary == "bkoch became supervisor"
    assert change.commit == commit_id(2)
    assert change.when == revisions[1].when
    built = permissions.report(revisions, AS_OF)
    assert built.supervisors == ("bkoch", "fweber", "gharris")
    complaint_closed = next(a for a in built.access if a.case_type == "complaint")
    assert complaint_closed.readers[2].holders == ("bkoch", "fweber", "gharris")


def test_a_role_removed() -> None:
    def demote(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        person(roster, "dokafor")["roles"] = ["handler"]

    (change,) = later(history(demote))
    assert (change.kind, change.summary) == (
        "role_removed",
        "dokafor is no longer resolution officer",
    )


def test_a_key_ended_and_its_successor() -> None:
    def rotate(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        keys = person(roster, "fweber")["signing_keys"]
        keys[0]["valid_until"] = "2026-11-30"
        keys.append(
            {"key": person(ROSTER, "gharris")["signing_keys"][0]["key"], "valid_from": "2026-12-01"}
        )

    revisions = history(rotate)
    ended, added = later(revisions)
    assert (ended.kind, ended.flagged) == ("key_ended", False)
    assert ended.summary == f"signing key {FWEBER} (ssh-ed25519) of fweber ended on 2026-11-30"
    assert added.kind == "key_added"
    assert added.summary.endswith("added, valid from 2026-12-01")
    fweber = next(s for s in permissions.report(revisions, AS_OF).signers if s.handle == "fweber")
    assert [k.state for k in fweber.keys] == ["active", "not yet valid"]
    on_last_day = permissions.report(revisions, date(2026, 11, 30)).signers
    assert [k.state for k in on_last_day[5].keys] == ["active", "not yet valid"]
    after = permissions.report(revisions, date(2026, 12, 1))
    assert [k.state for k in after.signers[5].keys] == ["ended", "active"]
    assert "fweber" in after.supervisors


def test_moving_an_end_date_later_is_flagged() -> None:
    def end(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        person(roster, "bkoch")["signing_keys"][0]["valid_until"] = "2026-06-30"

    def extend(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        person(roster, "bkoch")["signing_keys"][0]["valid_until"] = "2026-12-31"

    def reopen(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        del person(roster, "bkoch")["signing_keys"][0]["valid_until"]

    changes = later(history(end, extend, reopen))
    assert [(c.kind, c.flagged) for c in changes] == [
        ("key_ended", False),
        ("key_ended", True),
        ("key_changed", True),
    ]
    assert changes[1].summary.endswith("end moved from 2026-06-30 to 2026-12-31")
    assert changes[2].summary.endswith("end date 2026-12-31 removed (valid again)")


def test_a_key_revoked() -> None:
    def revoke(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        person(roster, "gharris")["signing_keys"][0]["revoked_at"] = "2026-12-15"

    revisions = history(revoke)
    (change,) = later(revisions)
    assert (change.kind, change.subject) == ("key_revoked", "gharris")
    assert change.summary == f"signing key {GHARRIS} (ssh-ed25519) of gharris revoked on 2026-12-15"
    built = permissions.report(revisions, AS_OF)
    gharris = next(s for s in built.signers if s.handle == "gharris")
    # Revoked is refused whatever date a commit claims, so even before the revocation date.
    assert gharris.keys[0].state == "revoked"
    assert built.supervisors == ("fweber",)
    assert built.warnings == (
        "gharris is a supervisor without an active signing key (cannot approve closures by merge)",
    )


def test_withdrawing_a_revocation_is_flagged() -> None:
    def revoke(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        person(roster, "gharris")["signing_keys"][0]["revoked_at"] = "2026-12-15"

    def withdraw(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        del person(roster, "gharris")["signing_keys"][0]["revoked_at"]

    change = later(history(revoke, withdraw))[-1]
    assert (change.kind, change.flagged) == ("key_changed", True)
    assert change.summary.endswith("revocation of 2026-12-15 withdrawn")


def test_a_deleted_key_is_flagged() -> None:
    def delete(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        person(roster, "bkoch")["signing_keys"] = []

    revisions = history(delete, by="unverified: Bruno Koch")
    (change,) = later(revisions)
    assert (change.kind, change.flagged, change.by) == (
        "key_removed",
        True,
        "unverified: Bruno Koch",
    )
    assert change.summary == (
        f"signing key {BKOCH} (ssh-ed25519) of bkoch deleted from the roster: keys must be "
        "ended, never deleted, or older commits stop verifying"
    )
    bkoch = next(s for s in permissions.report(revisions, AS_OF).signers if s.handle == "bkoch")
    assert (bkoch.keys, bkoch.can_sign) == ((), False)


def test_moving_a_key_start_earlier_is_flagged() -> None:
    def backdate(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        person(roster, "bkoch")["signing_keys"][0]["valid_from"] = "2025-01-01"

    (change,) = later(history(backdate))
    assert (change.kind, change.flagged) == ("key_changed", True)
    assert change.summary.endswith("start moved from 2026-01-05 to 2025-01-01")


def test_a_person_leaves_and_one_is_deleted() -> None:
    def leave(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        person(roster, "cnguyen")["left_at"] = "2026-10-31"
        roster["people"].remove(person(roster, "ipatel"))

    revisions = history(leave)
    changes = later(revisions)
    assert [(c.kind, c.subject, c.flagged) for c in changes] == [
        ("person_left", "cnguyen", False),
        ("person_removed", "ipatel", True),
        ("key_removed", "ipatel", True),
    ]
    assert changes[0].summary == "cnguyen (Chi Nguyen) left on 2026-10-31"
    built = permissions.report(revisions, AS_OF)
    assert "ipatel" not in [s.handle for s in built.signers]
    assert built.warnings[0].startswith("cnguyen left on 2026-10-31 but signing key SHA256:")


def test_an_email_change_and_a_new_decryption_key_are_listed() -> None:
    def change(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        esilva = person(roster, "esilva")
        esilva["email"] = "elena.silva@demo.casetrail.invalid"
        esilva["age_recipient"] = person(ROSTER, "amartin")["age_recipient"]

    changes = later(history(change))
    assert [c.kind for c in changes] == ["email_changed", "decryption_key_changed"]
    assert "elena.silva@demo.casetrail.invalid" in changes[0].summary


def test_an_escrow_key_added_and_ended() -> None:
    def add(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        roster["escrow"].append(
            {"name": "escrow-2027", "age_recipient": ESCROW2, "valid_from": "2026-12-01"}
        )

    def end(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        roster["escrow"][0]["valid_until"] = "2026-12-31"

    revisions = history(add, end)
    added, ended = later(revisions)
    assert (added.kind, added.subject) == ("escrow_added", "escrow-2027")
    assert added.summary == "escrow key escrow-2027 added, valid from 2026-12-01"
    assert (ended.kind, ended.summary) == (
        "escrow_ended",
        "escrow key records-office-escrow ended on 2026-12-31",
    )
    built = permissions.report(revisions, AS_OF)
    assert [(e.name, e.state) for e in built.escrow] == [
        ("records-office-escrow", "active"),
        ("escrow-2027", "not yet valid"),
    ]
    # As `check` and `rekey` do: an escrow key with an end date is no longer a recipient.
    assert built.access[0].readers[-1].holders == ("escrow-2027",)
    assert any("records-office-escrow has an end date" in w for w in built.warnings)


def test_a_deleted_escrow_key_is_flagged() -> None:
    def delete(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        roster["escrow"] = []

    revisions = history(delete)
    (change,) = later(revisions)
    assert (change.kind, change.flagged) == ("escrow_removed", True)
    built = permissions.report(revisions, AS_OF)
    assert built.access[0].readers[-1] == permissions.Reader("escrow", "escrow keys", ())


def test_recipients_closed_changed() -> None:
    def widen(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        policy["recipients"]["closed"] = ["supervisor", "records_officer", "escrow"]

    def narrow(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        policy["recipients"]["closed"] = ["escrow"]

    revisions = history(widen, narrow)
    widened, narrowed = later(revisions)
    assert (widened.kind, widened.subject) == ("recipients_changed", "recipients.closed")
    assert widened.summary == (
        "who can decrypt closed cases (office default): supervisor, escrow -> supervisor, "
        "records_officer, escrow (added records_officer)"
    )
    assert narrowed.summary.endswith("(removed supervisor, records_officer)")
    built = permissions.report(revisions, AS_OF)
    closed = next(a for a in built.access if a.state == "closed")
    assert closed.classes == ("escrow",)


def test_a_case_type_override_added_and_removed() -> None:
    def add(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        policy["case_types"]["inquiry"]["recipients"] = {"open": ["case_team", "escrow"]}

    def remove(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        del policy["case_types"]["inquiry"]["recipients"]

    added, removed = later(history(add, remove))
    assert added.subject == "case_types.inquiry.recipients.open"
    assert added.summary == (
        "who can decrypt open inquiry cases: case_team, escrow (was the default)"
    )
    assert removed.summary == (
        "who can decrypt open inquiry cases: own list case_team, escrow removed, back to the "
        "default"
    )


def test_trust_root_set_then_moved() -> None:
    first, second = "a" * 40, "b" * 40

    def set_root(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        policy["trust_root"] = first

    def move_root(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        policy["trust_root"] = second

    def clear_root(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        policy["trust_root"] = None

    revisions = history(set_root, move_root, clear_root)
    changes = later(revisions)
    assert [(c.kind, c.flagged) for c in changes] == [
        ("trust_root_changed", False),
        ("trust_root_changed", True),
        ("trust_root_changed", True),
    ]
    assert changes[0].summary == f"trust root set to {first}"
    assert changes[1].summary == f"trust root moved from {first} to {second}"
    assert permissions.report(revisions[:2], AS_OF).trust_root == first


def test_an_unreadable_roster_is_flagged_and_the_last_readable_one_shown() -> None:
    revisions = history()
    broken = Revision(commit_id(2), revisions[0].when + timedelta(days=1), "gharris", None, POLICY)
    odd = Revision(commit_id(3), broken.when, "gharris", {"people": [{"handle": 1}]}, POLICY)
    built = permissions.report([*revisions, broken, odd], AS_OF)
    unreadable = [c for c in built.changes if c.kind == "unreadable"]
    assert [(c.commit, c.subject, c.flagged) for c in unreadable] == [
        (commit_id(2), "schema/roster.yaml", True),
        (commit_id(3), "schema/roster.yaml", True),
    ]
    assert len(built.signers) == len(ROSTER["people"])
    assert built.warnings[0] == (
        "schema/roster.yaml cannot be read at 030303030303; showing the last readable one"
    )


def test_changes_are_compared_with_the_last_readable_version() -> None:
    def promote(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        person(roster, "bkoch")["roles"].append("supervisor")

    start, promoted = history(promote)
    broken = Revision(commit_id(3), promoted.when, "x", None, None)
    again = Revision(commit_id(4), promoted.when, "x", promoted.roster, promoted.policy)
    changes = permissions.report([start, broken, promoted, again]).changes
    assert [c.kind for c in changes if c.commit != commit_id(1)] == [
        "unreadable",
        "unreadable",
        "role_added",
    ]


def test_as_of_defaults_to_the_office_day_of_the_last_revision() -> None:
    (revision,) = history()
    late = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)  # 00:30 on the 23rd in Berlin
    late_revision = Revision(revision.commit, late, revision.by, ROSTER, POLICY)
    assert permissions.report([late_revision]).as_of == date(2026, 11, 23)
    no_policy = Revision(revision.commit, late, revision.by, ROSTER, None)
    assert permissions.report([no_policy]).as_of == date(2026, 11, 22)


def test_a_key_listed_for_two_people_is_pointed_out() -> None:
    def share(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        person(roster, "gharris")["signing_keys"].append(
            {"key": person(roster, "fweber")["signing_keys"][0]["key"], "valid_from": "2026-02-01"}
        )

    built = permissions.report(history(share), AS_OF)
    assert built.warnings == (
        f"signing key {FWEBER} is listed for fweber, gharris, so it proves nothing about who "
        "signed (audit treats it as unknown)",
    )


def test_one_key_with_two_windows_for_one_person() -> None:
    def rejoin(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        keys = person(roster, "esilva")["signing_keys"]
        keys[0]["valid_until"] = "2026-03-31"
        keys.append({"key": keys[0]["key"], "valid_from": "2026-09-01"})

    revisions = history(rejoin)
    changes = later(revisions)
    assert [(c.kind, c.flagged) for c in changes] == [
        ("key_ended", False),
        ("key_added", False),
    ]
    esilva = next(s for s in permissions.report(revisions, AS_OF).signers if s.handle == "esilva")
    assert [(k.valid_from, k.state) for k in esilva.keys] == [
        (date(2026, 1, 5), "ended"),
        (date(2026, 9, 1), "active"),
    ]


def test_no_revisions() -> None:
    built = permissions.report([])
    assert (built.as_of, built.head, built.signers, built.changes) == (None, None, (), ())
    assert built.warnings == ("no commit changed schema/roster.yaml or schema/policy.yaml",)
    assert "no commit changed" in permissions.render_text(built)


@pytest.mark.parametrize(
    ("on", "state"),
    [
        (date(2026, 1, 4), "not yet valid"),
        (date(2026, 1, 5), "active"),
        (date(2026, 6, 30), "active"),
        (date(2026, 7, 1), "ended"),
    ],
)
def test_key_state(on: date, state: str) -> None:
    assert permissions.key_state(date(2026, 1, 5), date(2026, 6, 30), None, on) == state
    assert permissions.key_state(date(2026, 1, 5), None, date(2027, 1, 1), on) == "revoked"


# A small office for the snapshots: one supervisor whose key was rotated, one handler whose
# key was deleted by an unverified commit, one case type.
def small_office() -> list[Revision]:
    roster = copy.deepcopy(ROSTER)
    roster["people"] = [person(roster, "bkoch"), person(roster, "fweber")]
    policy = copy.deepcopy(POLICY)
    policy["case_types"] = {"inquiry": policy["case_types"]["inquiry"]}

    def rotate(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        keys = person(roster, "fweber")["signing_keys"]
        keys[0]["valid_until"] = "2026-11-30"
        keys.append(
            {"key": person(ROSTER, "gharris")["signing_keys"][0]["key"], "valid_from": "2026-12-01"}
        )
        policy["trust_root"] = "c" * 40

    def tamper(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        person(roster, "bkoch")["signing_keys"] = []
        policy["recipients"]["closed"] = ["supervisor", "records_officer", "escrow"]

    start = datetime(2026, 1, 5, 9, 0, tzinfo=TZ)
    revisions = [Revision(commit_id(1), start, "unverified: Hanna Lindqvist", roster, policy)]
    for n, (step, by) in enumerate([(rotate, "fweber"), (tamper, "unverified: Bruno Koch")], 2):
        roster, policy = copy.deepcopy(roster), copy.deepcopy(policy)
        step(roster, policy)
        revisions.append(
            Revision(commit_id(n), start + timedelta(days=300 + n), by, roster, policy)
        )
    return revisions


SNAPSHOT = f"""\
Permissions report (SOP 002 §4.2) as of 2026-11-23, roster and policy at 030303030303
Trust root: {"c" * 40}

Who can sign (1 of 2 people have an active key)
  bkoch (Bruno Koch, handler)
    no signing key
  fweber (Frieda Weber, supervisor)
    {FWEBER} ssh-ed25519, from 2026-01-05 until 2026-11-30: active
    {GHARRIS} ssh-ed25519, from 2026-12-01: not yet valid

Supervisors with an active key: fweber
Escrow keys: records-office-escrow (from 2026-01-05: active)

Who can decrypt
  inquiry, open: documents and sections Parties, Progress notes
    the case's handler and resolution officer; whoever registered it; supervisor fweber; escrow key records-office-escrow
  inquiry, closed: documents and sections Parties, Progress notes
    supervisor fweber; records officers (nobody); escrow key records-office-escrow
  Not encrypted (anyone with the repository can read them)
    inquiry: Summary, Outcome

Attention
  ! closed inquiry cases name records_officer as recipients but nobody holds it

Changes (12, 1 flagged)
  2026-01-05T09:00+01:00 010101010101 by unverified: Hanna Lindqvist
    - bkoch (Bruno Koch) added with roles handler
    - signing key {BKOCH} (ssh-ed25519) of bkoch added, valid from 2026-01-05
    - fweber (Frieda Weber) added with roles supervisor
    - signing key {FWEBER} (ssh-ed25519) of fweber added, valid from 2026-01-05
    - escrow key records-office-escrow added, valid from 2026-01-05
    - who can decrypt open cases (office default): case_team, registered_by, supervisor, escrow
    - who can decrypt closed cases (office default): supervisor, escrow
  2026-11-03T09:00+01:00 020202020202 by fweber
    - signing key {FWEBER} (ssh-ed25519) of fweber ended on 2026-11-30
    - signing key {GHARRIS} (ssh-ed25519) of fweber added, valid from 2026-12-01
    - trust root set to {"c" * 40}
  2026-11-04T09:00+01:00 030303030303 by unverified: Bruno Koch
    ! signing key {BKOCH} (ssh-ed25519) of bkoch deleted from the roster: keys must be ended, never deleted, or older commits stop verifying
    - who can decrypt closed cases (office default): supervisor, escrow -> supervisor, records_officer, escrow (added records_officer)
"""


def test_text_snapshot() -> None:
    built = permissions.report(small_office(), AS_OF)
    assert permissions.render_text(built) == SNAPSHOT


def test_json_shape() -> None:
    built = permissions.report(small_office(), AS_OF)
    data = permissions.to_json(built)
    assert json.loads(json.dumps(data)) == data
    assert list(data) == [
        "version",
        "as_of",
        "head",
        "trust_root",
        "signers",
        "supervisors",
        "escrow",
        "decryption",
        "unencrypted",
        "warnings",
        "changes",
    ]
    assert data["version"] == 1
    assert data["as_of"] == "2026-11-23"
    assert data["head"] == commit_id(3)
    assert data["signers"][1] == {
        "handle": "fweber",
        "name": "Frieda Weber",
        "email": "fweber@demo.casetrail.invalid",
        "roles": ["supervisor"],
        "left_at": None,
        "can_sign": True,
        "keys": [
            {
                "fingerprint": FWEBER,
                "type": "ssh-ed25519",
                "valid_from": "2026-01-05",
                "valid_until": "2026-11-30",
                "revoked_at": None,
                "state": "active",
            },
            {
                "fingerprint": GHARRIS,
                "type": "ssh-ed25519",
                "valid_from": "2026-12-01",
                "valid_until": None,
                "revoked_at": None,
                "state": "not yet valid",
            },
        ],
    }
    assert data["supervisors"] == ["fweber"]
    assert data["escrow"] == [
        {
            "name": "records-office-escrow",
            "valid_from": "2026-01-05",
            "valid_until": None,
            "state": "active",
        }
    ]
    assert data["decryption"][1] == {
        "case_type": "inquiry",
        "state": "closed",
        "documents": True,
        "sections": ["Parties", "Progress notes"],
        "classes": ["supervisor", "records_officer", "escrow"],
        "readers": [
            {"class": "supervisor", "description": "supervisor", "holders": ["fweber"]},
            {"class": "records_officer", "description": "records officers", "holders": []},
            {"class": "escrow", "description": "escrow key", "holders": ["records-office-escrow"]},
        ],
    }
    assert data["unencrypted"] == {"inquiry": ["Summary", "Outcome"]}
    assert data["changes"][-2] == {
        "commit": commit_id(3),
        "when": "2026-11-04T09:00:00+01:00",
        "by": "unverified: Bruno Koch",
        "kind": "key_removed",
        "subject": "bkoch",
        "summary": (
            f"signing key {BKOCH} (ssh-ed25519) of bkoch deleted from the roster: keys must be "
            "ended, never deleted, or older commits stop verifying"
        ),
        "flagged": True,
    }


def test_report_is_a_frozen_value() -> None:
    built = permissions.report(small_office(), AS_OF)
    assert isinstance(built, PermissionsReport)
    with pytest.raises(AttributeError):
        built.head = "x"  # type: ignore[misc]


def test_an_escrow_key_made_valid_again_is_flagged() -> None:
    """Removing an escrow key's end date makes it a recipient of every case again."""

    def end(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        roster["escrow"][0]["valid_until"] = "2026-12-31"

    def again(roster: dict[str, Any], policy: dict[str, Any]) -> None:
        roster["escrow"][0].pop("valid_until")

    _, revived = later(history(end, again))
    assert revived.summary.endswith("end date 2026-12-31 removed (valid again)")
    assert revived.flagged
