"""CT850 and CT851: `casetrail audit` on real signed histories (tests/historykit.py) where a
closed case is destroyed (issue 8). One honest destruction passes; every other way a
destruction can go wrong is found, with its code, on the commit that did it.

A scene is built once per module, up to the moment before execution: a records office with
per-case keys, two closed inquiries whose retention ended on 2028-11-16, a destruction list of
one of them proposed by hlindqvist (records officer) on a branch and approved by fweber
(supervisor) with a signed --no-ff merge on 2029-01-08. Each test forks it (with a copy of the
key store) and adds its own ending. Where `casetrail destroy execute` refuses the bad act, the
test writes the tombstone and certificate itself (`destruction.render_tombstone` and
`render_certificate`, as execute does) and commits them, signed, as the person who would."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from casekeykit import SECRET, at, keyed_office, sign_as
from casetrail.core import destruction, document
from casetrail.core.case import Case
from historykit import Finding, History, iso
from test_audit import audited, by_code, errors, git_says

LIST = "DL-2029-01-08-1"
LIST_REL = destruction.list_path(LIST)
CERTIFICATE = destruction.certificate_path(LIST)
PROPOSED = at("2029-01-08T10:00:00+01:00")  # retention ended 2028-11-16
APPROVED = at("2029-01-08T10:30:00+01:00")  # fweber's merge (historykit's clock steps 30 min)
COOLED = APPROVED + timedelta(days=destruction.DEFAULT_COOLING_OFF_DAYS)
EXECUTED = at("2029-01-16T10:00:00+01:00")


@dataclass(frozen=True)
class Scene:
    kit: History
    store: Path
    case: str  # on the list
    spared: str  # closed and due as well, but on no list
    closed: str  # main after the closures were approved, before any list
    approval: str  # fweber's signed merge of the list


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    kit, store = keyed_office(tmp_path_factory.mktemp("destruction"))
    case = kit.register(case_type="inquiry")
    kit.ok("section", "set", case, "Parties", stdin=SECRET.encode() + b"\n")
    kit.commit("amartin", f"Parties of {case}")
    spared = kit.register("Opening hours", case_type="inquiry")
    for cid in (case, spared):
        kit.assign(cid, "bkoch")
    kit.branch("close")
    for cid in (case, spared):
        kit.request_closure(cid, "bkoch")
        kit.close(cid, "fweber")
    kit.merge("fweber", "close", message="Approve the closures")
    closed = kit.head()
    kit.now = PROPOSED
    kit.branch("destroy")
    kit.ok("destroy", "propose", "--by", "hlindqvist", "--case", case)
    kit.commit("hlindqvist", f"Propose {LIST}")
    approval = kit.merge("fweber", "destroy", message=f"Approve {LIST}")
    assert _committed_at(kit, approval) == APPROVED
    sign_as(kit, "hlindqvist")  # what `destroy execute` commits is signed by the records officer
    assert kit.audit("--no-record").code == 0  # and the forks start with cached verdicts
    return Scene(kit, store, case, spared, closed, approval)


def fork(scene: Scene, folder: Path) -> History:
    """An independent copy of the scene, with its own copy of the key store."""
    kit = scene.kit.fork(folder)
    store = folder / "keystore"
    shutil.copytree(scene.store, store)
    kit.git("config", "casetrail.keyStore", str(store))
    return kit


@pytest.fixture
def kit(scene: Scene, tmp_path: Path) -> History:
    return fork(scene, tmp_path / "fork")


def _committed_at(kit: History, commit: str) -> datetime:
    return datetime.fromisoformat(kit.git("show", "-s", "--format=%cI", commit).strip())


def execute(kit: History, when: datetime = EXECUTED, by: str = "hlindqvist") -> str:
    """The real `casetrail destroy execute`, at `when`; the commit it made."""
    kit.now = when
    out = kit.ok("destroy", "execute", LIST, "--by", by)
    assert "destroyed 1 case(s)" in out, out
    return kit.head()


def refused(kit: History, when: datetime, *expected: str) -> None:
    """`destroy execute` refuses at `when` and says why; nothing is committed."""
    kit.now = when
    head = kit.head()
    result = kit.casetrail("destroy", "execute", LIST, "--by", "hlindqvist")
    assert result.code != 0, str(result)
    assert all(e in result.err for e in expected), str(result)
    assert kit.head() == head
    kit.git("checkout", "-q", "--", ".")  # no half-written files left for the next commit


def by_hand(
    kit: History,
    cid: str,
    *,
    by: str = "hlindqvist",
    when: datetime = EXECUTED,
    approval: str | None = None,
    approver: str = "fweber",
    approved_at: datetime | None = None,
    executor: str | None = None,
    certificate: Iterable[str] | None = None,
    with_certificate: bool = True,
    signed: bool = True,
) -> str:
    """What `destroy execute` would commit for `cid`, written and committed (signed unless
    `signed` is False) as `by` at `when`: the tombstone (naming `approval` by `approver` at the
    merge's time or `approved_at`, executed by `executor` or `by`) and the certificate (naming
    `certificate`, by default the case). Returns the commit."""
    path = kit.case_path(cid)
    parsed, _ = document.parse((kit.root / path).read_bytes())
    assert parsed is not None
    listed = destruction.parse_list(kit.read(LIST_REL), LIST_REL)
    approval = approval or kit.head("main")
    record = destruction.Record(
        LIST, "", listed.proposed_by, listed.proposed_at, approver,
        iso(approved_at or _committed_at(kit, approval)), approval, executor or by, iso(when),
    )  # fmt: skip
    tomb = destruction.tombstone_for(Case(parsed.front_matter), record, destruction.KEY_ERASED)
    files = {path: destruction.render_tombstone(tomb)}
    if with_certificate:
        kind, closed, until = destruction.KEY_ERASED, tomb.closed_at, tomb.retention_until
        named = [cid] if certificate is None else list(certificate)
        cases = tuple(destruction.Destroyed(n, "inquiry", closed, until, kind, 0) for n in named)
        issued = destruction.Certificate(record, destruction.DEFAULT_COOLING_OFF_DAYS, cases, "")
        files[CERTIFICATE] = destruction.render_certificate(issued)
    message = f"Destroy the records of {LIST} (by hand)"
    return kit.commit(by, message, files=files, date=when, signed=signed)


def shown(found: Iterable[Finding]) -> str:
    return "\n".join(
        f"{f.commit and f.commit[:12]} {f.code} {f.severity}: {f.message}" for f in found
    )


def only(kit: History, commit: str, *fragments: str, code: str = "CT850", range_: str = "") -> None:
    """The audit fails with exactly one kind of error, `code`, on `commit` (and nothing else),
    and its messages say each of `fragments`."""
    exit_code, found = audited(kit, *(("--range", range_) if range_ else ()))
    assert exit_code == 1, shown(found)
    assert {(f.code, f.commit) for f in errors(found)} == {(code, commit)}, shown(found)
    said = " | ".join(f.message for f in found if f.code == code)
    for fragment in fragments:
        assert fragment in said, shown(found)


def clean(kit: History, *args: str) -> None:
    """The audit passes with no finding at all, not even a warning."""
    exit_code, found = audited(kit, *args)
    assert exit_code == 0, shown(found)
    assert found == [], shown(found)


def rebase_main_to(kit: History, commit: str) -> None:
    """Main as it was at `commit` (a fresh fork was never audited with a record, so this is
    not a rewrite the audit would report)."""
    kit.checkout("main")
    kit.git("reset", "-q", "--hard", commit)


def edit_retention(kit: History, cid: str, edit: tuple[str, str], message: str) -> str:
    """hlindqvist (records officer) changes a closed case's retention block on main."""
    path = kit.case_path(cid)
    text = kit.read(path)
    assert edit[0] in text
    return kit.commit("hlindqvist", message, files={path: text.replace(*edit, 1)})


# ---- the honest destruction -------------------------------------------------------------------


def test_an_honest_destruction_passes(scene: Scene, kit: History) -> None:
    refused(kit, COOLED - timedelta(minutes=1), "cooling-off period ends")
    done = execute(kit)
    clean(kit)
    assert git_says(kit)[done] == "G"
    front, _ = document.parse((kit.root / kit.case_path(scene.case)).read_bytes())
    assert front is not None
    tomb = destruction.parse_tombstone(front.front_matter, "tombstone")
    assert (tomb.record.approval_commit, tomb.record.approved_by) == (scene.approval, "fweber")
    assert tomb.record.executed_by == "hlindqvist"
    assert kit.read(kit.case_path(scene.spared)).count("status: closed") == 1


def test_execution_may_start_the_moment_the_cooling_off_period_ends(kit: History) -> None:
    execute(kit, COOLED)
    clean(kit)


def test_a_destruction_written_by_hand_as_execute_would_passes(kit: History, scene: Scene) -> None:
    """The control for the tests below: the hand-written tombstone and certificate are not
    themselves what the audit objects to."""
    by_hand(kit, scene.case)
    clean(kit)


def test_an_honest_destruction_executed_on_a_branch_and_merged_passes(
    kit: History, scene: Scene
) -> None:
    kit.branch("execute")
    execute(kit)
    kit.merge("fweber", "execute", message=f"Record the destruction of {LIST}")
    clean(kit)


# ---- who executed -----------------------------------------------------------------------------


def test_a_tombstone_committed_by_a_non_records_officer(kit: History, scene: Scene) -> None:
    done = by_hand(kit, scene.case, by="bkoch")
    only(kit, done, f"written in {done[:12]} by bkoch, who is not a records officer")


def test_a_tombstone_by_a_non_records_officer_on_a_merged_branch(
    kit: History, scene: Scene
) -> None:
    """Written on a branch, the finding names the merge that brought it to main."""
    kit.branch("execute")
    written = by_hand(kit, scene.case, by="bkoch")
    merge = kit.merge("fweber", "execute", message="Merge the destruction")
    only(kit, merge, f"written in {written[:12]} by bkoch, who is not a records officer")


def test_an_unsigned_tombstone(kit: History, scene: Scene) -> None:
    done = by_hand(kit, scene.case, signed=False)
    exit_code, found = audited(kit)
    assert exit_code == 1
    assert by_code(found, "CT801") == {done}
    assert {(f.code, f.commit) for f in errors(found)} == {("CT801", done), ("CT850", done)}
    assert "no verified signature" in " ".join(f.message for f in found if f.code == "CT850")


def test_a_tombstone_naming_another_executor(kit: History, scene: Scene) -> None:
    done = by_hand(kit, scene.case, executor="gharris")
    only(kit, done, f"names gharris as executor, but {done[:12]} is signed by hlindqvist")


# ---- how the list reached main ----------------------------------------------------------------


@pytest.mark.parametrize("how", ["commit", "fast-forward"])
def test_a_list_that_reached_main_without_a_merge(kit: History, scene: Scene, how: str) -> None:
    rebase_main_to(kit, scene.closed)
    if how == "commit":
        listed = kit.git("show", f"destroy:{LIST_REL}")
        arrived = kit.commit("hlindqvist", f"{LIST}, straight on main", files={LIST_REL: listed})
    else:
        arrived = kit.merge("fweber", "destroy", no_ff=False)
    refused(kit, EXECUTED, "not approved")
    done = by_hand(kit, scene.case, approval=arrived, approver="hlindqvist")
    only(kit, done, f"reached main in {arrived[:12]} without a signed merge")


def test_a_list_merged_with_an_unsigned_merge(kit: History, scene: Scene) -> None:
    rebase_main_to(kit, scene.closed)
    merge = kit.merge("fweber", "destroy", signed=False, date=APPROVED)
    refused(kit, EXECUTED, f"reached main in {merge[:12]} without a signed merge")
    done = by_hand(kit, scene.case, approval=merge)
    exit_code, found = audited(kit)
    assert exit_code == 1
    assert {(f.code, f.commit) for f in errors(found)} == {("CT801", merge), ("CT850", done)}
    assert f"reached main in {merge[:12]} without a signed merge" in shown(found)


@pytest.mark.parametrize("merger", ["hlindqvist", "bkoch"])
def test_a_list_merged_by_a_non_supervisor(kit: History, scene: Scene, merger: str) -> None:
    """hlindqvist proposed the list: merging it himself is no approval either."""
    rebase_main_to(kit, scene.closed)
    merge = kit.merge(merger, "destroy", date=APPROVED)
    refused(kit, EXECUTED, f"merged by {merger}, who is not a supervisor")
    done = by_hand(kit, scene.case, approval=merge, approver=merger)
    own = (
        ["proposed and approved by the same person (hlindqvist)"] if merger == "hlindqvist" else []
    )
    only(kit, done, f"merged by {merger}, who is not a supervisor", *own)


def test_a_list_merged_by_its_own_proposer(kit: History, scene: Scene) -> None:
    """gharris, a supervisor, is made a records officer too (by hlindqvist, as the roster
    allows); he proposes a list and approves it himself."""
    rebase_main_to(kit, scene.closed)
    kit.add_role("gharris", "records_officer")
    kit.commit("hlindqvist", "Roster: gharris joins the records office")
    kit.now = PROPOSED
    kit.branch("destroy-own")
    kit.ok("destroy", "propose", "--by", "gharris", "--case", scene.case)
    kit.commit("gharris", f"Propose {LIST}")
    merge = kit.merge("gharris", "destroy-own", message=f"Approve {LIST}")
    refused(kit, EXECUTED, "proposed and approved by the same person (gharris)")
    done = by_hand(kit, scene.case, approval=merge, approver="gharris")
    only(kit, done, "proposed and approved by the same person (gharris)")


def test_a_list_written_by_its_approver_in_another_name(kit: History, scene: Scene) -> None:
    """fweber writes the list himself, naming hlindqvist as its proposer, and merges it: the
    list's text says four eyes, its signatures say one pair. execute asks the signatures."""
    rebase_main_to(kit, scene.closed)
    kit.branch("destroy-forged")
    listed = kit.git("show", f"destroy:{LIST_REL}")
    written = kit.commit("fweber", f"Propose {LIST}", files={LIST_REL: listed}, date=PROPOSED)
    merge = kit.merge("fweber", "destroy-forged", message=f"Approve {LIST}")
    message = f"written by fweber in {written[:12]}, but names hlindqvist as its proposer"
    refused(kit, EXECUTED, "is not approved", message)
    done = by_hand(kit, scene.case, approval=merge)
    only(kit, done, message)


def test_a_list_changed_in_its_approving_merge(kit: History, scene: Scene) -> None:
    """fweber's merge adds a case the proposer never listed (an evil merge)."""
    rebase_main_to(kit, scene.closed)
    kit.git("merge", "-q", "--no-ff", "--no-commit", "destroy")
    text = kit.read(LIST_REL)
    entry = text[text.index("  - id: ") :].replace(scene.case, scene.spared)
    merge = kit.commit("fweber", f"Approve {LIST}", files={LIST_REL: text + entry}, date=APPROVED)
    assert len(kit.git("show", "-s", "--format=%P", merge).split()) == 2
    done = by_hand(kit, scene.spared, approval=merge)
    only(kit, done, "changed the list proposed on its branch")


def test_a_list_changed_on_main_after_its_approval(kit: History, scene: Scene) -> None:
    """The records officer adds a case to the approved list, then destroys it under it."""
    text = kit.read(LIST_REL)
    entry = text[text.index("  - id: ") :].replace(scene.case, scene.spared)
    kit.commit("hlindqvist", f"Add {scene.spared} to {LIST}", files={LIST_REL: text + entry})
    refused(kit, EXECUTED, "changed on main after it was first merged")
    done = by_hand(kit, scene.spared, approval=scene.approval)
    only(
        kit,
        done,
        f"not the list approved in {scene.approval[:12]}",
        f"does not list {scene.spared}",
    )


def test_a_case_not_on_the_list(kit: History, scene: Scene) -> None:
    done = by_hand(kit, scene.spared, approval=scene.approval)
    only(kit, done, f"{LIST} does not list {scene.spared}")


# ---- when -------------------------------------------------------------------------------------


def test_executed_before_the_cooling_off_period_ended(kit: History, scene: Scene) -> None:
    early = COOLED - timedelta(minutes=1)
    refused(kit, early, "cooling-off period ends")
    done = by_hand(kit, scene.case, when=early)
    only(kit, done, "before the 7-day cooling-off period")


def test_the_cooling_off_period_follows_the_policy(kit: History, scene: Scene) -> None:
    policy = kit.read("schema/policy.yaml")
    days = re.sub(r"(?m)^  cooling_off_days: \d+$", "  cooling_off_days: 30", policy)
    assert days != policy
    kit.commit("hlindqvist", "Policy: 30 days to think again", files={"schema/policy.yaml": days})
    refused(kit, EXECUTED, "30-day cooling-off period")
    done = by_hand(kit, scene.case)
    only(kit, done, "before the 30-day cooling-off period")


def test_a_backdated_approval_does_not_shorten_the_cooling_off(kit: History, scene: Scene) -> None:
    """fweber dates his merge eight days before the list was even proposed: git lets him (the
    audit warns, CT807), but the approval cannot be earlier than what it approves."""
    rebase_main_to(kit, scene.closed)
    merge = kit.merge("fweber", "destroy", date=PROPOSED - timedelta(days=8))
    early = PROPOSED + timedelta(hours=2)
    refused(kit, early, "cooling-off period ends")  # counted from when the merge can be made
    done = by_hand(kit, scene.case, approval=merge, when=early)
    exit_code, found = audited(kit)
    assert exit_code == 1, shown(found)
    assert by_code(found, "CT807") == {merge}
    assert {(f.code, f.commit) for f in errors(found)} == {("CT850", done)}, shown(found)
    assert "cooling-off" in " ".join(f.message for f in found if f.code == "CT850")


# ---- the case ---------------------------------------------------------------------------------


def test_a_case_under_legal_hold(kit: History, scene: Scene) -> None:
    rule = '  rule: "policy inquiry: 2 years from closure, then destroy"\n'
    hold = edit_retention(kit, scene.case, (rule, rule + "  legal_hold: true\n"), "Legal hold")
    refused(kit, EXECUTED, "under legal hold")
    done = by_hand(kit, scene.case)
    only(kit, done, "under legal hold")  # and nothing on `hold`: a records officer may set it
    assert hold in kit.git("rev-list", "HEAD")


def test_a_case_whose_retention_has_not_ended(kit: History, scene: Scene) -> None:
    edit_retention(kit, scene.case, ('until: "2028-11-16"', 'until: "2030-11-16"'), "Keep longer")
    refused(kit, EXECUTED, "kept until 2030-11-16")
    done = by_hand(kit, scene.case)
    only(kit, done, "destroyed before its retention ended (2030-11-16)")


def test_a_case_to_be_archived_not_destroyed(kit: History, scene: Scene) -> None:
    edit_retention(kit, scene.case, ("disposition: destroy", "disposition: archive"), "Archive")
    refused(kit, EXECUTED, "not destroy")
    done = by_hand(kit, scene.case)
    only(kit, done, "disposition was archive, not destroy")


# ---- the certificate --------------------------------------------------------------------------


def test_no_certificate_in_the_commit(kit: History, scene: Scene) -> None:
    done = by_hand(kit, scene.case, with_certificate=False)
    only(kit, done, f"no certificate {CERTIFICATE}")


def test_a_certificate_not_naming_the_case(kit: History, scene: Scene) -> None:
    done = by_hand(kit, scene.case, certificate=[scene.spared])
    only(kit, done, f"the certificate of {LIST} does not name {scene.case}")


# ---- the record the tombstone keeps -----------------------------------------------------------


def test_a_tombstone_naming_another_approval_commit(kit: History, scene: Scene) -> None:
    proposal = kit.head("destroy")
    done = by_hand(kit, scene.case, approval=proposal)
    only(kit, done, f"names approval {proposal[:12]} by fweber", f"merged in {scene.approval[:12]}")


def test_a_tombstone_naming_another_approver(kit: History, scene: Scene) -> None:
    done = by_hand(kit, scene.case, approval=scene.approval, approver="gharris")
    only(kit, done, f"names approval {scene.approval[:12]} by gharris", "by fweber")


def test_a_tombstone_naming_another_approval_time(kit: History, scene: Scene) -> None:
    """An earlier approval in the record would let a reader believe the list cooled off."""
    claimed = APPROVED - timedelta(days=3)
    done = by_hand(kit, scene.case, approval=scene.approval, approved_at=claimed)
    only(kit, done, f"by fweber at {iso(claimed)}; the list was merged in {scene.approval[:12]}")


# ---- a tombstone is final ---------------------------------------------------------------------


@pytest.mark.parametrize("how", ["front matter", "text", "deleted", "moved out of cases/"])
def test_a_tombstone_changed_or_removed_later(kit: History, scene: Scene, how: str) -> None:
    execute(kit)
    path = kit.case_path(scene.case)
    tomb = kit.read(path)
    files: dict[str, str | None]
    if how == "front matter":
        files = {path: tomb.replace("key: erased", "key: none")}
    elif how == "text":
        files = {path: tomb + "\nAn afterthought.\n"}
    elif how == "deleted":
        files = {path: None}
    else:
        files = {path: None, f"attic/{scene.case}.md": tomb}
    later = kit.commit("hlindqvist", f"Touch the tombstone ({how})", files=files)
    what = {"deleted": "removed", "moved out of cases/": "moved out of the records (to attic/"}
    only(kit, later, f"tombstone was {what.get(how, 'changed')}", code="CT851")


@pytest.mark.parametrize("how", ["changed", "removed"])
def test_a_certificate_changed_or_removed_later(kit: History, scene: Scene, how: str) -> None:
    execute(kit)
    text = kit.read(CERTIFICATE)
    edited = (
        None if how == "removed" else text.replace("cooling_off_days: 7", "cooling_off_days: 30")
    )
    later = kit.commit("hlindqvist", f"Touch the certificate ({how})", files={CERTIFICATE: edited})
    only(kit, later, f"certificate of destruction was {how}", code="CT851")


def test_a_tombstone_changed_on_a_branch_is_found_on_its_merge(kit: History, scene: Scene) -> None:
    execute(kit)
    kit.branch("tidy")
    path = kit.case_path(scene.case)
    kit.commit("hlindqvist", "Tidy", files={path: kit.read(path).replace("inquiry", "complaint")})
    merge = kit.merge("fweber", "tidy")
    only(kit, merge, "tombstone was changed", code="CT851")


# ---- ranges -----------------------------------------------------------------------------------


def test_a_range_after_the_approval_judges_the_destruction(kit: History, scene: Scene) -> None:
    """A pull request's audit (base..head, as CI runs it) sees the execution but not the
    approval merge: the list at its base is trusted as the base is, and the rest is judged."""
    span = f"{scene.approval}..HEAD"
    kit.branch("execute")
    execute(kit)
    clean(kit, "--range", span)
    kit.git("reset", "-q", "--hard", scene.approval)
    bad = by_hand(kit, scene.case, by="bkoch")
    only(kit, bad, "by bkoch, who is not a records officer", range_=span)
    kit.git("reset", "-q", "--hard", scene.approval)
    early = by_hand(kit, scene.case, when=COOLED - timedelta(hours=1))
    only(kit, early, "before the 7-day cooling-off period", range_=span)
    kit.git("reset", "-q", "--hard", scene.approval)
    text = kit.read(LIST_REL)
    entry = text[text.index("  - id: ") :].replace(scene.case, scene.spared)
    kit.commit("hlindqvist", "Add to the list", files={LIST_REL: text + entry})
    other = by_hand(kit, scene.spared)
    only(kit, other, f"not the list on main at {scene.approval[:12]}", range_=span)


def test_an_execution_dated_forward_is_caught_by_the_commits_after_it(
    kit: History, scene: Scene
) -> None:
    """One day after the approval the records officer runs execute with the clock set past the
    cooling-off period; the next commit on main, made at the real time, gives the date away."""
    done = execute(kit, COOLED + timedelta(hours=1))
    after = kit.commit(
        "amartin",
        "An unrelated note",
        files={"notes.txt": "x\n"},
        date=APPROVED + timedelta(days=1),
    )
    exit_code, found = audited(kit)
    assert exit_code == 1, shown(found)
    assert {(f.code, f.commit) for f in errors(found)} == {("CT850", done)}, shown(found)
    assert by_code(found, "CT807") == {after}
    assert "main's later commits were made by" in shown(found)
