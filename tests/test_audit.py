"""`casetrail audit` on real signed histories (tests/historykit.py): one honest history that
passes, and for each rule of invariant 6 a history that breaks it, found and named by commit.

A base history (introduction, trust root, one case registered, assigned and acknowledged) is
built once per module; each scenario forks it into its own folder and adds its commits."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from historykit import Finding, History, findings

OUTCOME_PROMPT = "<!-- What was decided and done, without personal data. -->"


def by_code(found: Iterable[Finding], code: str) -> set[str | None]:
    return {f.commit for f in found if f.code == code}


def errors(found: Iterable[Finding]) -> list[Finding]:
    return [f for f in found if f.severity == "error"]


def audited(kit: History, *args: str) -> tuple[int, list[Finding]]:
    code, found, _ = kit.audit_json("--no-record", *args)
    return code, found


def assert_found(kit: History, code: str, commits: set[str], *args: str) -> list[Finding]:
    """The audit fails and reports `code` naming exactly `commits`."""
    exit_code, found = audited(kit, *args)
    shown = "\n".join(
        f"{f.commit and f.commit[:12]} {f.code} {f.severity}: {f.message}" for f in found
    )
    assert exit_code == 1, shown
    assert by_code(found, code) == commits, f"{code} expected on {commits}:\n{shown}"
    return found


def close_on_branch(kit: History, cid: str, branch: str = "close", handler: str = "bkoch",
                    approver: str = "fweber") -> str:  # fmt: skip
    """request-closure (the handler) and close (records office) on a branch; returns the
    closing commit. Leaves the branch checked out."""
    kit.branch(branch)
    kit.request_closure(cid, handler)
    return kit.close(cid, approver)


def edit_outcome(kit: History, cid: str, text: str) -> None:
    path = kit.case_path(cid)
    before = kit.read(path)
    assert OUTCOME_PROMPT in before
    kit.write(path, before.replace(OUTCOME_PROMPT, text))


def git_says(kit: History) -> dict[str, str]:
    """git's own verdict (%G?) per commit, against allowed signers made from the roster at HEAD
    (every key the roster lists, by email). A cross-check that the kit signs what it says."""
    text = kit.read("schema/roster.yaml")
    lines = []
    for block in re.split(r"\n  - handle: ", text)[1:]:
        email = re.search(r"\n    email: (\S+)", block)
        for key in re.findall(r"- key: (ssh-ed25519 \S+)", block):
            assert email
            lines.append(f"{email.group(1)} {key}")
    signers = kit.home / "allowed_signers"
    signers.write_text("\n".join(lines) + "\n")
    out = kit.git("-c", "gpg.format=ssh", "-c", f"gpg.ssh.allowedSignersFile={signers}",
                  "log", "--format=%H %G?", "HEAD")  # fmt: skip
    return dict(line.split() for line in out.splitlines())


# ---- the honest history ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def honest(base: tuple[History, str], tmp_path_factory: pytest.TempPathFactory) -> History:
    """Intake, assignment, work merged by its own handler (not a closure), a key rotation
    made by the records office and used afterwards, a second case, and a closure on a branch
    merged by a supervisor who is not on the case's team with a signed --no-ff merge."""
    kit, cid = base[0].fork(tmp_path_factory.mktemp("honest")), base[1]
    kit.branch("work")
    kit.step("bkoch", "Follow-up", "followup", "add", cid, "--by", "bkoch", "--title", "Call back",
             "--owner", "bkoch", "--due", "2026-12-01")  # fmt: skip
    kit.merge("bkoch", "work")
    new_key = kit.fresh_key("cnguyen-2026b")
    kit.add_key("cnguyen", kit.public_key(new_key), "2026-11-16")
    kit.commit("hlindqvist", "Roster: cnguyen's new signing key")
    other = kit.register("Missing permit letter", case_type="incident")
    kit.ok("assign", other, "--by", "gharris", "--handler", "cnguyen", "--approved-by", "gharris",
           "--rationale", "incident expertise", "--why-not-top", "continuity")  # fmt: skip
    kit.commit("gharris", f"Assign {other}")
    kit.ok("ack", other, "--by", "cnguyen")
    kit.commit("cnguyen", f"cnguyen acknowledges {other}", key=new_key)
    kit.step("bkoch", "F1 done", "followup", "done", cid, "F1", "--by", "bkoch",
             "--outcome", "Called back")  # fmt: skip
    close_on_branch(kit, cid, "close-a")
    kit.checkout("main")  # main moves on while the closure waits for approval
    kit.step("cnguyen", "Review", "review", other, "--by", "cnguyen", "--summary", "on track")
    kit.merge("fweber", "close-a", message=f"Approve closure of {cid}")
    return kit


def test_an_honest_history_passes(honest: History) -> None:
    result = honest.audit("--no-record")
    assert result.code == 0, str(result)
    code, found, _ = honest.audit_json("--no-record")
    assert code == 0
    assert found == [], "\n".join(f"{f.code} {f.message}" for f in found)


def test_the_honest_history_is_signed_as_git_sees_it(honest: History) -> None:
    says = git_says(honest)
    assert says[honest.intro] == "G"
    assert set(says.values()) == {"G"}, says


def test_an_honest_history_passes_as_a_subprocess_and_from_a_fresh_clone(
    honest: History, tmp_path: Path
) -> None:
    """Anyone can verify from a clone, without keys and without casetrail's cached verdicts."""
    clone = tmp_path / "clone"
    honest.git("clone", "-q", "--no-local", str(honest.root), str(clone))
    env = honest.env()
    env.pop("CASETRAIL_AGE_KEY_FILE")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "casetrail"), "audit", "--no-record"],
        cwd=clone, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


# ---- signatures -------------------------------------------------------------------------------


def test_an_unsigned_commit(kit: History, cid: str) -> None:
    kit.ok("followup", "add", cid, "--by", "bkoch", "--title", "Call", "--owner", "bkoch",
           "--due", "2026-12-01")  # fmt: skip
    bad = kit.unsigned_commit("bkoch", "Follow-up, unsigned")
    kit.step("bkoch", "Review", "review", cid, "--by", "bkoch", "--summary", "on track")
    assert_found(kit, "CT801", {bad})


def test_a_key_not_in_the_roster(kit: History, cid: str) -> None:
    stranger = kit.fresh_key("stranger")
    kit.ok("review", cid, "--by", "bkoch", "--summary", "on track")
    bad = kit.commit("bkoch", "Review", key=stranger)
    kit.step("bkoch", "Review again", "review", cid, "--by", "bkoch", "--summary", "still fine")
    assert_found(kit, "CT803", {bad})
    assert git_says(kit)[bad] != "G"


def test_a_supervisor_named_as_committer_but_signed_by_someone_else(kit: History) -> None:
    bad = kit.commit_signed_by("bkoch", "fweber", "Tidy", files={"notes/tidy.txt": "x\n"})
    found = assert_found(kit, "CT804", {bad})
    assert not by_code(found, "CT803") & {bad}, "bkoch's key is in the roster"


def test_the_committer_signs_what_someone_else_authored(kit: History) -> None:
    """A supervisor committing (e.g. cherry-picking) bkoch's change signs as the committer."""
    kit.commit("bkoch", "Tidy", committer="fweber", files={"notes/tidy.txt": "x\n"})
    code, found = audited(kit)
    assert code == 0 and not errors(found), found


def _signed_object(kit: History, unsigned: str, namespace: str, signer: str) -> str:
    """`unsigned` re-made with an SSH signature over it in `namespace`, as git would embed it."""
    raw = kit.git("cat-file", "commit", unsigned)
    signature = subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-q", "-n", namespace, "-f", str(kit.signing_keys[signer])],
        input=raw.encode(), capture_output=True, check=True, env=kit.env(),
    ).stdout.decode()  # fmt: skip
    header, _, message = raw.partition("\n\n")
    gpgsig = "gpgsig " + "\n ".join(signature.strip().splitlines())
    made = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--stdin"], cwd=kit.root, check=True,
        input=f"{header}\n{gpgsig}\n\n{message}", capture_output=True, text=True, env=kit.env(),
    )  # fmt: skip
    return made.stdout.strip()


def test_a_signature_made_for_another_namespace(kit: History) -> None:
    plain = kit.unsigned_commit("hlindqvist", "Note", files={"notes/a.txt": "a\n"})
    good = _signed_object(kit, plain, "git", "hlindqvist")  # the control: as git signs
    kit.git("update-ref", "refs/heads/main", good)
    kit.git("reset", "-q", "--hard", good)
    assert git_says(kit)[good] == "G"
    other = kit.unsigned_commit("hlindqvist", "Note", files={"notes/b.txt": "b\n"})
    bad = _signed_object(kit, other, "file", "hlindqvist")
    kit.git("update-ref", "refs/heads/main", bad)
    kit.git("reset", "-q", "--hard", bad)
    assert git_says(kit)[bad] != "G"
    assert_found(kit, "CT802", {bad})


def test_the_commit_before_the_trust_root_need_not_be_signed(tmp_path: Path) -> None:
    kit = History.create(tmp_path / "h", trust_root=False)
    kit.write("notes/readme.txt", "before the trust root\n")
    early = kit.unsigned_commit("hlindqvist", "Unsigned, before the trust root")
    kit.set_trust_root(early)
    kit.commit("hlindqvist", "Policy: trust root")
    late = kit.unsigned_commit("hlindqvist", "Unsigned, after", files={"notes/b.txt": "b\n"})
    assert_found(kit, "CT801", {late})


def test_a_trust_root_not_in_the_history(tmp_path: Path) -> None:
    kit = History.create(tmp_path / "elsewhere", trust_root=False)
    elsewhere = "0123456789abcdef0123456789abcdef01234567"
    kit.set_trust_root(elsewhere)
    bad = kit.commit("hlindqvist", "Policy: a trust root from elsewhere")
    exit_code, found = audited(kit)
    assert exit_code == 1 and "CT841" in {f.code for f in found}, found
    # Named by the missing trust root itself, or by the commit that names it.
    assert by_code(found, "CT841") <= {elsewhere, bad}, found
    assert {f.path for f in found if f.code == "CT841"} <= {"schema/policy.yaml", None}


def test_a_trust_root_moved_later_is_found_and_the_first_stays(kit: History) -> None:
    """Moving the trust root forward would exempt the commits it skips."""
    unsigned = kit.unsigned_commit("bkoch", "Unsigned", files={"notes/n.txt": "n\n"})
    kit.set_trust_root(unsigned)
    moved = kit.commit("hlindqvist", "Policy: a later trust root")
    exit_code, found = audited(kit)
    assert exit_code == 1 and by_code(found, "CT842") == {moved}, found
    assert unsigned in by_code(found, "CT801"), found


def test_a_tampered_commit_does_not_verify(kit: History) -> None:
    signed = kit.commit("hlindqvist", "Records office note", files={"notes/n.txt": "n\n"})
    raw = kit.git("cat-file", "commit", signed)
    forged = raw.replace("Records office note", "Records office note (edited)")
    done = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin"], cwd=kit.root,
                          input=forged, capture_output=True, text=True, check=True, env=kit.env())  # fmt: skip
    bad = done.stdout.strip()
    kit.git("update-ref", "refs/heads/main", bad)
    assert_found(kit, "CT802", {bad})


# ---- a pull request that authorises its own key -----------------------------------------------


@pytest.fixture(scope="module", params=["next", "after-a-good-commit"])
def self_authorised(
    base: tuple[History, str],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> tuple[History, dict[str, str]]:
    """bkoch's pull request adds his new key to the roster in a commit signed with that key,
    then closes his case in a commit signed with it: either right after, or after a commit he
    signs with his old, valid key (which must not launder the roster it inherited)."""
    kit, cid = base[0].fork(tmp_path_factory.mktemp("selfauth")), base[1]
    key = kit.fresh_key("bkoch-new")
    kit.branch("pr")
    kit.add_key("bkoch", kit.public_key(key), "2026-11-16")
    adds = kit.commit("bkoch", "Roster: my new key", key=key)
    if request.param == "after-a-good-commit":
        kit.request_closure(cid)  # signed with bkoch's roster key: a good signature
    else:
        kit.ok("stakeholder", "add", cid, "--by", "bkoch", "--role", "complainant")
        kit.ok("stakeholder", "closure", cid, "S1", "--by", "bkoch", "--agreement", "agreed")
        kit.ok("request-closure", cid, "--by", "bkoch", "--outcome", "resolved",
               "--summary", "Answer sent", "--lessons", "none")  # fmt: skip
    kit.ok("close", cid, "--by", "hlindqvist", "--approved-by", "fweber")
    closes = kit.commit("bkoch", f"Close {cid}", key=key)
    merge = kit.merge("fweber", "pr")
    return kit, {"adds": adds, "closes": closes, "merge": merge}


def test_a_pull_request_cannot_sign_in_its_own_key(
    self_authorised: tuple[History, dict[str, str]],
) -> None:
    kit, ids = self_authorised
    exit_code, found = audited(kit)
    assert exit_code == 1
    assert ids["adds"] in by_code(found, "CT803"), found


def test_a_closure_signed_with_a_self_authorised_key_is_not_accepted(
    self_authorised: tuple[History, dict[str, str]],
) -> None:
    """The key reached the roster only through a commit that failed verification, so what it
    signs afterwards (here the closure) must not pass either."""
    kit, ids = self_authorised
    _, found = audited(kit)
    named = {f.commit for f in errors(found)}
    assert named & {ids["closes"], ids["merge"]}, (
        "the closure signed with the self-authorised key was accepted:\n"
        + "\n".join(f"{f.commit and f.commit[:12]} {f.code}: {f.message}" for f in found)
    )


# ---- key validity -------------------------------------------------------------------------------


def day(kit: History, days: int, hour: int = 10) -> datetime:
    """A moment `days` after the kit's start day (2026-11-16, Berlin winter time)."""
    return datetime.fromisoformat(f"2026-11-16T{hour:02d}:00:00+01:00") + timedelta(days=days)


def test_a_backdated_commit_by_an_offboarded_person(kit: History, cid: str) -> None:
    kit.end_key("bkoch", "2026-11-18")
    ended = kit.commit("hlindqvist", "Roster: bkoch left on 2026-11-18", date=day(kit, 4))
    kit.now = day(kit, 1)  # bkoch claims to have written this before leaving
    kit.ok("review", cid, "--by", "bkoch", "--summary", "on track")
    bad = kit.commit("bkoch", "Review", date=day(kit, 1))
    found = assert_found(kit, "CT805", {bad})
    assert by_code(found, "CT807") == {bad}
    assert [f.severity for f in found if f.code == "CT807"] == ["warning"]
    assert ended not in {f.commit for f in found}


def test_a_key_used_after_it_ended(kit: History, cid: str) -> None:
    kit.end_key("bkoch", "2026-11-18")
    kit.commit("hlindqvist", "Roster: bkoch's key ends on 2026-11-18")
    kit.now = day(kit, 5)
    kit.ok("review", cid, "--by", "bkoch", "--summary", "on track")
    bad = kit.commit("bkoch", "Review")
    found = assert_found(kit, "CT805", {bad})
    assert not by_code(found, "CT807")


def test_ended_keys_keep_their_earlier_commits_valid(kit: History, cid: str) -> None:
    kit.ok("review", cid, "--by", "bkoch", "--summary", "on track")
    kit.commit("bkoch", "Review", date=day(kit, 1))
    kit.end_key("bkoch", "2026-11-18")
    kit.commit("hlindqvist", "Roster: bkoch left", date=day(kit, 4))
    code, found = audited(kit)
    assert code == 0 and not errors(found), found


def test_a_key_ends_at_the_end_of_its_last_day_in_the_office_zone(kit: History, cid: str) -> None:
    kit.end_key("bkoch", "2026-11-18")
    kit.commit("hlindqvist", "Roster: bkoch's key ends on 2026-11-18")
    last = datetime.fromisoformat("2026-11-18T23:30:00+01:00")
    kit.now = last
    kit.ok("review", cid, "--by", "bkoch", "--summary", "late evening")
    kit.commit("bkoch", "Review", date=last)
    after = datetime.fromisoformat("2026-11-18T23:45:00+00:00")  # 00:45 on the 19th in Berlin
    kit.now = after
    kit.ok("review", cid, "--by", "bkoch", "--summary", "after midnight")
    bad = kit.commit("bkoch", "Review", date=after)
    assert_found(kit, "CT805", {bad})


def test_a_key_used_before_its_valid_from(kit: History, cid: str) -> None:
    key = kit.fresh_key("bkoch-next")
    kit.add_key("bkoch", kit.public_key(key), "2026-11-25")
    kit.commit("hlindqvist", "Roster: bkoch's next key, from 2026-11-25")
    kit.ok("review", cid, "--by", "bkoch", "--summary", "on track")
    early = kit.commit("bkoch", "Review", key=key)
    kit.now = day(kit, 10)
    kit.ok("review", cid, "--by", "bkoch", "--summary", "still on track")
    kit.commit("bkoch", "Review", key=key)
    assert_found(kit, "CT805", {early})


@pytest.mark.parametrize("claimed", [5, 1], ids=["dated-after", "backdated"])
def test_a_revoked_key_whatever_the_date(kit: History, cid: str, claimed: int) -> None:
    kit.revoke_key("bkoch", "2026-11-19")
    kit.commit("hlindqvist", "Roster: bkoch's key revoked (laptop stolen)", date=day(kit, 4))
    kit.now = day(kit, claimed)
    kit.ok("review", cid, "--by", "bkoch", "--summary", "on track")
    bad = kit.commit("bkoch", "Review", date=day(kit, claimed))
    assert_found(kit, "CT806", {bad})


def test_an_unreadable_roster_is_not_honoured(kit: History) -> None:
    """A roster nobody can read authorises nobody: the commit that broke it is refused
    (CT809) and what follows is judged by the last readable roster."""
    roster = kit.read("schema/roster.yaml")
    broke = kit.commit("hlindqvist", "Roster: broken",
                       files={"schema/roster.yaml": roster.replace("people:", "people: [", 1)})  # fmt: skip
    after = kit.commit("hlindqvist", "Roster: fixed", files={"schema/roster.yaml": roster})
    found = assert_found(kit, "CT809", {broke})
    assert not {f for f in found if f.commit == after}, found


def test_only_the_records_office_changes_the_roster(kit: History, cid: str) -> None:
    """An intake officer who makes himself a supervisor on main, then approves a closure."""
    kit.add_role("amartin", "supervisor")
    promoted = kit.commit("amartin", "Roster: amartin is a supervisor")
    close_on_branch(kit, cid)
    merge = kit.merge("amartin", "close")
    exit_code, found = audited(kit)
    assert exit_code == 1 and by_code(found, "CT809") == {promoted}, found
    assert by_code(found, "CT811") == {merge}, found


# ---- closures -------------------------------------------------------------------------------------


@pytest.mark.parametrize("merger", ["amartin", "bkoch"])
def test_a_closure_merged_by_a_non_supervisor(kit: History, cid: str, merger: str) -> None:
    close_on_branch(kit, cid)
    merge = kit.merge(merger, "close")
    assert_found(kit, "CT811", {merge})


def test_a_closure_merged_with_an_unsigned_merge(kit: History, cid: str) -> None:
    close_on_branch(kit, cid)
    merge = kit.merge("fweber", "close", signed=False)
    found = assert_found(kit, "CT811", {merge})
    assert by_code(found, "CT801") == {merge}


def supervisor_closes_own_case(kit: History) -> None:
    """fweber, a supervisor who also handles complaints, works a case and asks to close it on
    the branch close-own (the records office closes it, approved by gharris)."""
    kit.add_role("fweber", "handler")
    kit.commit("hlindqvist", "Roster: fweber also handles complaints")
    cid = kit.register("Complaint about a supervisor's own team")
    kit.ok("assign", cid, "--by", "gharris", "--handler", "fweber", "--approved-by", "gharris",
           "--rationale", "only free handler", "--why-not-top", "continuity")  # fmt: skip
    kit.commit("gharris", f"Assign {cid} to fweber")
    kit.step("fweber", "ack", "ack", cid, "--by", "fweber")
    close_on_branch(kit, cid, "close-own", handler="fweber", approver="gharris")


def test_a_closure_merged_by_the_cases_own_handler(kit: History) -> None:
    supervisor_closes_own_case(kit)
    merge = kit.merge("fweber", "close-own")
    assert_found(kit, "CT812", {merge})


def test_the_other_supervisor_may_merge_that_closure(kit: History) -> None:
    supervisor_closes_own_case(kit)
    kit.merge("gharris", "close-own")
    code, found = audited(kit)
    assert code == 0 and not errors(found), found


def test_a_closure_changed_after_closing_on_the_branch(kit: History, cid: str) -> None:
    closing = close_on_branch(kit, cid)
    edit_outcome(kit, cid, "Answer sent; complainant satisfied.")
    later = kit.commit("hlindqvist", "Outcome wording")
    merge = kit.merge("fweber", "close")
    exit_code, found = audited(kit)
    assert exit_code == 1
    assert by_code(found, "CT813") & {merge, later}, found
    assert closing not in by_code(found, "CT813")


def test_other_files_may_change_after_the_closure_on_its_branch(kit: History, cid: str) -> None:
    close_on_branch(kit, cid)
    kit.commit("hlindqvist", "Notes", files={"notes/closing.txt": "closed\n"})
    kit.merge("fweber", "close")
    code, found = audited(kit)
    assert code == 0 and not errors(found), found


def test_a_closure_changed_in_the_merge_itself(kit: History, cid: str) -> None:
    close_on_branch(kit, cid)
    kit.checkout("main")
    kit.git("merge", "-q", "--no-ff", "--no-commit", "close")
    edit_outcome(kit, cid, "Changed while merging.")
    merge = kit.commit("fweber", "Merge branch 'close'")
    assert len(kit.git("rev-list", "--parents", "-n1", merge).split()) == 3
    assert_found(kit, "CT813", {merge})


def test_a_closure_committed_straight_onto_main(kit: History, cid: str) -> None:
    kit.request_closure(cid)
    closing = kit.close(cid)
    assert_found(kit, "CT810", {closing})


def test_a_closure_fast_forwarded_onto_main(kit: History, cid: str) -> None:
    closing = close_on_branch(kit, cid)
    kit.merge("fweber", "close", no_ff=False)
    assert kit.head("main") == closing
    assert_found(kit, "CT810", {closing})


# ---- closed cases -----------------------------------------------------------------------------------


@pytest.fixture
def closed(kit: History, cid: str) -> History:
    close_on_branch(kit, cid)
    kit.merge("fweber", "close")
    return kit


def test_a_closed_case_changed_afterwards_on_main(closed: History, cid: str) -> None:
    edit_outcome(closed, cid, "Rewritten after closure.")
    bad = closed.commit("hlindqvist", "Outcome wording")
    found = assert_found(closed, "CT820", {bad})
    assert {f.path for f in found if f.code == "CT820"} == {closed.case_path(cid)}


def test_a_closed_case_changed_later_through_another_merge(closed: History, cid: str) -> None:
    closed.checkout("close")
    edit_outcome(closed, cid, "Rewritten after closure, on the old branch.")
    closed.commit("hlindqvist", "Outcome wording")
    merge = closed.merge("fweber", "close", message="Merge the old closure branch again")
    assert_found(closed, "CT820", {merge})


def test_a_closed_case_deleted(closed: History, cid: str) -> None:
    closed.git("rm", "-q", closed.case_path(cid))
    bad = closed.commit("hlindqvist", "Delete a closed case")
    assert_found(closed, "CT820", {bad})


def test_a_reopened_case_may_change(closed: History, cid: str) -> None:
    closed.step("fweber", "Reopen", "reopen", cid, "--by", "fweber", "--reason", "new evidence")
    closed.step("bkoch", "Review", "review", cid, "--by", "bkoch", "--summary", "looking again")
    code, found = audited(closed)
    assert code == 0 and not errors(found), found


# ---- dates in the files ------------------------------------------------------------------------------


def test_an_entry_dated_after_its_commit(kit: History, cid: str) -> None:
    committed = kit.now
    kit.now = committed + timedelta(days=2)
    kit.ok("review", cid, "--by", "bkoch", "--summary", "written in the future")
    bad = kit.commit("bkoch", "Review", date=committed)
    found = assert_found(kit, "CT830", {bad})
    assert {f.path for f in found if f.code == "CT830"} == {kit.case_path(cid)}


def test_an_entry_within_the_clock_skew_allowance(kit: History, cid: str) -> None:
    committed = kit.now
    kit.now = committed + timedelta(minutes=5)
    kit.ok("review", cid, "--by", "bkoch", "--summary", "clocks a little apart")
    kit.commit("bkoch", "Review", date=committed)
    code, found = audited(kit)
    assert code == 0 and not by_code(found, "CT830"), found


def test_an_entry_much_older_than_its_commit_is_a_warning(kit: History, cid: str) -> None:
    kit.ok("review", cid, "--by", "bkoch", "--summary", "committed three weeks later")
    late = kit.commit("bkoch", "Review", date=kit.now + timedelta(days=21))
    code, found = audited(kit)
    assert code == 0, found
    assert by_code(found, "CT831") == {late}
    assert {f.severity for f in found if f.code == "CT831"} == {"warning"}


def test_the_backdate_warning_follows_the_policy(kit: History, cid: str) -> None:
    policy = kit.read("schema/policy.yaml")
    assert "backdate_warning_days: 14" in policy
    kit.write(
        "schema/policy.yaml",
        policy.replace("backdate_warning_days: 14", "backdate_warning_days: 30"),
    )
    kit.commit("hlindqvist", "Policy: warn about entries a month late")
    kit.ok("review", cid, "--by", "bkoch", "--summary", "committed three weeks later")
    kit.commit("bkoch", "Review", date=kit.now + timedelta(days=21))
    code, found = audited(kit)
    assert code == 0 and not by_code(found, "CT831"), found


# ---- rewritten history, shallow clones, ranges, formats ----------------------------------------------


def test_a_force_pushed_main(kit: History, cid: str) -> None:
    kit.step("bkoch", "Review", "review", cid, "--by", "bkoch", "--summary", "one")
    kit.step("bkoch", "Review", "review", cid, "--by", "bkoch", "--summary", "two")
    first = kit.audit()
    assert first.code == 0, str(first)
    state = json.loads((kit.root / ".git" / "casetrail" / "last-audit.json").read_text())
    audited_head = kit.head()
    assert state["version"] == 1 and state["head"] == audited_head
    kit.git("reset", "-q", "--hard", "HEAD~2")
    kit.step("bkoch", "Review", "review", cid, "--by", "bkoch", "--summary", "rewritten")
    kit.step("bkoch", "Review", "review", cid, "--by", "bkoch", "--summary", "rewritten too")
    exit_code, found, _ = kit.audit_json()
    assert exit_code == 1
    assert by_code(found, "CT840") & {audited_head, kit.head()}, found
    # Running the audit again (a re-run CI job) must not make the rewrite disappear.
    again, found, _ = kit.audit_json()
    assert again == 1 and by_code(found, "CT840"), found


def test_a_force_push_is_found_from_a_fresh_clone_with_the_published_state(
    kit: History, cid: str, tmp_path: Path
) -> None:
    published = tmp_path / "site" / "last-audit.json"
    kit.step("bkoch", "Review", "review", cid, "--by", "bkoch", "--summary", "one")
    assert kit.audit("--state", str(published)).code == 0
    kit.git("reset", "-q", "--hard", "HEAD~1")
    kit.step("bkoch", "Review", "review", cid, "--by", "bkoch", "--summary", "rewritten")
    clone = tmp_path / "clone"
    kit.git("clone", "-q", str(kit.root), str(clone))
    result = kit.casetrail("audit", "--state", str(published), "--format", "json", cwd=clone)
    assert result.code == 1, str(result)
    assert "CT840" in {f.code for f in findings(json.loads(result.out))}


def test_no_record_leaves_the_state_alone(kit: History) -> None:
    assert kit.audit("--no-record").code == 0
    assert not (kit.root / ".git" / "casetrail" / "last-audit.json").exists()


def test_a_shallow_clone_is_refused_with_advice(kit: History, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    kit.git("clone", "-q", "--depth", "1", f"file://{kit.root}", str(clone))
    result = kit.casetrail("audit", cwd=clone)
    assert result.code == 2, str(result)
    assert "git fetch --unshallow" in result.out + result.err


def test_a_range_reports_only_its_own_commits(kit: History, cid: str) -> None:
    early = kit.unsigned_commit("bkoch", "Unsigned, before the range", files={"notes/a.txt": "a"})
    kit.step("bkoch", "Review", "review", cid, "--by", "bkoch", "--summary", "on track")
    start = kit.head()
    kit.branch("pr")
    inside = kit.unsigned_commit("bkoch", "Unsigned, in the range", files={"notes/b.txt": "b"})
    kit.step("bkoch", "Review", "review", cid, "--by", "bkoch", "--summary", "still fine")
    in_range = set(kit.git("rev-list", f"{start}..HEAD").split())
    exit_code, found = audited(kit, "--range", f"{start}..HEAD")
    assert exit_code == 1
    assert by_code(found, "CT801") == {inside}
    assert {f.commit for f in found if f.commit} <= in_range, found
    _, everything = audited(kit)
    assert by_code(everything, "CT801") == {early, inside}
    code, before = audited(kit, "--range", f"{kit.pinned}..{start}~1")
    assert by_code(before, "CT801") == {early} and code == 1


def test_json_text_and_github_formats(kit: History) -> None:
    bad = kit.unsigned_commit("hlindqvist", "Unsigned", files={"notes/a.txt": "a"})
    code, found, data = kit.audit_json("--no-record")
    assert code == 1
    raw = data.get("findings", data.get("diagnostics"))
    assert isinstance(raw, list) and raw
    for item in raw:
        assert {"code", "severity", "commit", "message"} <= set(item), item
        assert re.fullmatch(r"CT8\d\d", item["code"]) and item["severity"] in {"error", "warning"}
        assert re.fullmatch(r"[0-9a-f]{40}", item["commit"]), item
        assert item.get("path") is None or isinstance(item["path"], str)
    unsigned = [f for f in found if f.code == "CT801"]
    assert [(f.commit, f.severity) for f in unsigned] == [(bad, "error")]
    text = kit.audit("--no-record")
    assert text.code == 1
    line = next(x for x in text.out.splitlines() if "CT801" in x)
    assert line.startswith(f"{bad[:12]}") and bad not in line, line
    github = kit.audit("--no-record", "--format", "github")
    assert github.code == 1 and any(
        x.startswith("::error") and "CT801" in x for x in github.out.splitlines()
    ), github.out


def test_a_second_run_gives_the_same_findings_from_its_cache(kit: History) -> None:
    bad = kit.unsigned_commit("hlindqvist", "Unsigned", files={"notes/a.txt": "a"})
    first = audited(kit)
    assert (kit.root / ".git" / "casetrail" / "verdicts.sqlite").exists()
    assert audited(kit) == first and by_code(first[1], "CT801") == {bad}


def test_permissions_report(honest: History) -> None:
    result = honest.audit("--no-record", "--permissions")
    assert result.code == 0, str(result)
    for handle in ("fweber", "gharris", "hlindqvist"):
        assert handle in result.out
    assert "supervisor" in result.out
