"""Destruction with four eyes and a cooling-off period (issue 8), end to end on a real signed
history and a real directory key store: propose, a supervisor's signed merge, execute after
the cooling-off period; refusals that change nothing; interrupted executions that a re-run
finishes; and the proof that no identity left can read any version of a destroyed case."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from casekeykit import (
    IDENTITIES,
    SECRET,
    at,
    closed_case,
    fork_keyed,
    keyed_office,
    readable_by,
    sign_as,
    versions,
)
from casetrail.core import destruction
from casetrail.shell import destroying, repo
from casetrail.shell.keystore_dir import DirectoryKeyStore
from historykit import History

PROPOSED = at("2029-01-08T10:00:00+01:00")  # an inquiry closed in Nov 2026 is due (2 years)
LIST = "DL-2029-01-08-1"
AFTER_COOLING_OFF = at("2029-01-16T10:00:00+01:00")


@pytest.fixture(scope="module")
def approved(tmp_path_factory: pytest.TempPathFactory) -> tuple[History, Path, list[str]]:
    """Two closed inquiries (one with a document) and a complaint still kept; a destruction
    list proposed by hlindqvist and approved by fweber's signed merge."""
    kit, store = keyed_office(tmp_path_factory.mktemp("approved"))
    first = closed_case(kit, document=True)
    second = closed_case(kit)
    kept = closed_case(kit, "complaint")  # kept 6 years: never listed
    kit.now = PROPOSED
    kit.branch("destroy")
    out = kit.ok("destroy", "propose", "--by", "hlindqvist")
    assert f"wrote {destruction.list_path(LIST)}: 2 case(s)" in out
    assert kept not in out
    kit.commit("hlindqvist", f"Propose {LIST}")
    kit.merge("fweber", "destroy", message=f"Approve {LIST}")
    sign_as(kit, "hlindqvist")
    return kit, store, [first, second]


@pytest.fixture
def office(
    approved: tuple[History, Path, list[str]], tmp_path: Path
) -> tuple[History, Path, list[str]]:
    kit, store, cases = approved
    copy, copied = fork_keyed(kit, store, tmp_path / "office")
    return copy, copied, list(cases)


def snapshot(kit: History, store: Path) -> dict[str, str]:
    """Every file of the work tree (outside .git) and of the store, by content hash."""
    found = {}
    for base, name in ((kit.root, "repo"), (store, "store")):
        for path in sorted(base.rglob("*")):
            if path.is_file() and ".git" not in path.relative_to(base).parts:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[f"{name}/{path.relative_to(base)}"] = digest
    return found


def execute(kit: History, when: object = AFTER_COOLING_OFF, by: str = "hlindqvist") -> object:
    kit.now = when  # type: ignore[assignment]
    return kit.casetrail("destroy", "execute", LIST, "--by", by)


def test_execute_destroys_the_listed_cases_and_commits_a_certificate(
    office: tuple[History, Path, list[str]],
) -> None:
    kit, store, cases = office
    result = kit.casetrail("destroy", "execute", LIST, "--by", "hlindqvist")
    assert result.code == 2 and "cooling-off period ends at 2029-01-15" in result.err, result
    kit.now = AFTER_COOLING_OFF
    out = kit.ok("destroy", "execute", LIST, "--by", "hlindqvist")
    assert f"destroyed 2 case(s) of {LIST}: 2 key(s) erased" in out
    assert kit.git("log", "-1", "--format=%an %ad", "--date=iso-strict").startswith(
        "Hanna Lindqvist 2029-01-16T10:00:00+01:00"
    )
    assert "-----BEGIN SSH SIGNATURE-----" in kit.git("cat-file", "commit", "HEAD")
    assert kit.git("status", "--porcelain") == ""
    for cid in cases:
        tomb = kit.read(kit.case_path(cid))
        assert "schema: casetrail-tombstone/1" in tomb and "key: erased" in tomb
        assert "title" not in tomb and "AGE ENCRYPTED" not in tomb
        assert not (store / "cases" / cid).exists()
    certificate = destruction.parse_certificate(
        kit.read(destruction.certificate_path(LIST)), "certificate"
    )
    assert {c.id for c in certificate.cases} == set(cases)
    assert {c.id: c.documents for c in certificate.cases} == {cases[0]: 1, cases[1]: 0}
    assert not (kit.root / kit.case_path(cases[0])).with_suffix("").exists()  # documents gone
    assert kit.git("ls-files", "--", kit.case_path(cases[0]).removesuffix(".md") + "/") == ""
    assert (certificate.record.proposed_by, certificate.record.approved_by) == (
        "hlindqvist",
        "fweber",
    )
    log_head = DirectoryKeyStore(store).log_head()
    assert certificate.key_store_log == log_head
    assert kit.casetrail("check").code == 0
    audit = kit.audit()
    assert audit.code == 0 and "0 errors, 0 warnings" in audit.out, audit
    status = json.loads(kit.ok("keys", "status", "--format", "json"))
    assert {r["case"]: r["state"] for r in status["cases"]}.items() >= {
        (cid, "destroyed, key erased") for cid in cases
    }
    assert f"{LIST}  executed" in kit.ok("destroy", "status")
    again = kit.ok("destroy", "execute", LIST, "--by", "hlindqvist")
    assert "was executed already" in again
    assert f"list: {LIST}" in kit.ok("show", cases[0])  # the tombstone is the record now
    for args in (["status", cases[0]], ["show", cases[0], "--decrypt"],
                 ["review", cases[0], "--by", "fweber", "--summary", "x"]):  # fmt: skip
        refused = kit.casetrail(*args)
        assert refused.code == 2 and "destroyed" in refused.err, (args, refused)
        assert "Traceback" not in refused.err
    assert "0 failed" in kit.ok("rekey", "--all")
    assert kit.git("status", "--porcelain") == ""


def test_no_identity_left_can_read_any_version_of_a_destroyed_case(
    office: tuple[History, Path, list[str]],
) -> None:
    """Walks every commit of every branch: before execution the escrow key and a supervisor
    read the parties (so this test can fail); after it, no identity the office still has, of
    the team, the supervisors or escrow, reads any version, directly or through the store."""
    kit, store, cases = office
    rel = {cid: kit.case_path(cid) for cid in cases}
    before = [(cid, data) for cid in cases for _, data in versions(kit, rel[cid])]
    for name in ("escrow", "fweber"):
        assert any(SECRET in text for _, data in before for text in readable_by(name, data, store))
    execute(kit)
    walked = 0
    for cid in cases:
        for commit, data in versions(kit, rel[cid]):
            for name in IDENTITIES:
                assert readable_by(name, data, store) == [], f"{name} reads {cid} at {commit[:12]}"
                walked += 1
    assert walked >= len(IDENTITIES) * 2 * 7
    leftovers = [p.name for p in (store / "cases").iterdir()]
    assert not any(cid in name for cid in cases for name in leftovers)


def test_destroy_refuses_a_list_no_supervisor_merged(tmp_path: Path) -> None:
    kit, store = keyed_office(tmp_path)
    cid = closed_case(kit)
    kit.now = PROPOSED
    kit.ok("destroy", "propose", "--by", "hlindqvist")
    kit.commit("hlindqvist", "Propose straight on main")
    kit.now = AFTER_COOLING_OFF
    before = snapshot(kit, store)
    result = kit.casetrail("destroy", "execute", LIST, "--by", "hlindqvist")
    assert result.code == 2 and "is not approved" in result.err, result
    assert snapshot(kit, store) == before
    assert (store / "cases" / cid / "recipient").exists()


def test_destroy_refuses_a_list_merged_by_its_proposer_or_not_committed(tmp_path: Path) -> None:
    kit, store = keyed_office(tmp_path)
    closed_case(kit)
    kit.now = PROPOSED
    kit.branch("destroy")
    kit.ok("destroy", "propose", "--by", "hlindqvist")
    uncommitted = kit.casetrail("destroy", "execute", LIST, "--by", "hlindqvist")
    assert uncommitted.code == 2 and "is not committed" in uncommitted.err, uncommitted
    kit.commit("hlindqvist", "Propose")
    kit.merge("bkoch", "destroy")  # signed, but bkoch is no supervisor
    kit.now = AFTER_COOLING_OFF
    before = snapshot(kit, store)
    result = kit.casetrail("destroy", "execute", LIST, "--by", "hlindqvist")
    assert result.code == 2 and "who is not a supervisor" in result.err, result
    assert snapshot(kit, store) == before


def test_destroy_refuses_a_case_under_legal_hold(office: tuple[History, Path, list[str]]) -> None:
    """A legal hold set after approval stops the whole list; propose never lists a held case."""
    kit, store, cases = office
    kit.now = AFTER_COOLING_OFF - timedelta(days=1)
    refused = kit.casetrail("hold", cases[0], "--by", "fweber", "--reason", "litigation")
    assert refused.code == 2 and "records officer" in refused.err, refused
    held = kit.ok("hold", cases[0], "--by", "hlindqvist", "--reason", "a pending court case")
    assert f"{cases[0]} placed under legal hold by hlindqvist" in held
    kit.commit("hlindqvist", "Legal hold")
    assert "legal hold:" in kit.ok("retention", "--all")
    before = snapshot(kit, store)
    result = execute(kit)
    assert result.code == 2 and f"{cases[0]} is under legal hold" in result.err, result  # type: ignore[attr-defined]
    assert snapshot(kit, store) == before
    kit.branch("again")
    kit.now = AFTER_COOLING_OFF
    out = kit.ok("destroy", "propose", "--by", "hlindqvist")
    assert "no case is due" in out  # the other one is on the pending list, this one is held
    held = kit.casetrail("destroy", "propose", "--by", "hlindqvist", "--case", cases[0])
    assert held.code == 2 and f"already on list {LIST}" in held.err
    (kit.root / destruction.list_path(LIST)).unlink()  # as if the list had never been made
    held = kit.casetrail("destroy", "propose", "--by", "hlindqvist", "--case", cases[0])
    assert held.code == 2 and "under legal hold" in held.err
    kit.git("checkout", "--", destruction.list_path(LIST))
    again = kit.casetrail("hold", cases[0], "--by", "hlindqvist", "--reason", "twice")
    assert again.code == 2 and "already" in again.err
    released = kit.ok("hold", cases[0], "--release", "--by", "hlindqvist", "--reason", "settled")
    assert "released from legal hold" in released
    text = kit.read(kit.case_path(cases[0]))
    assert "action: hold" in text and "action: release" in text and "legal_hold" not in text
    kit.commit("hlindqvist", "Legal hold released")
    audit = kit.audit()
    assert audit.code == 0 and "0 errors, 0 warnings" in audit.out, audit.out


def test_only_a_records_officer_proposes_and_executes(
    office: tuple[History, Path, list[str]],
) -> None:
    kit, store, _ = office
    before = snapshot(kit, store)
    result = execute(kit, by="fweber")
    assert result.code == 2 and "for a records officer" in result.err  # type: ignore[attr-defined]
    proposed = kit.casetrail("destroy", "propose", "--by", "bkoch")
    assert proposed.code == 2 and "for a records officer" in proposed.err
    bad = kit.casetrail("destroy", "execute", "DL-2029-13", "--by", "hlindqvist")
    assert bad.code == 2 and "not a destruction list ID" in bad.err
    assert snapshot(kit, store) == before


# --- interrupted executions -------------------------------------------------------------------


class Crash(KeyboardInterrupt):
    """A simulated crash: the process stops at this point (casetrail reports an interruption)."""


def _after(real: Callable[..., object], count: int) -> Callable[..., object]:
    """`real`, but the process stops right after its `count`-th call."""
    calls = [0]

    def wrapped(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)
        calls[0] += 1
        if calls[0] == count:
            raise Crash
        return result

    return wrapped


def _before(real: Callable[..., object], count: int) -> Callable[..., object]:
    calls = [0]

    def wrapped(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        if calls[0] == count:
            raise Crash
        return real(*args, **kwargs)

    return wrapped


CRASHES = {
    "after the journal": ("destroying", "write_journal", _after, 1),
    "after the first key erased": ("store", "erase", _after, 1),
    "after every key erased": ("store", "erase", _after, 2),
    "removing documents": ("destroying", "remove_documents", _before, 2),
    "after the first tombstone": ("repo", "atomic_write", _after, 1),
    "writing the certificate": ("repo", "atomic_write", _before, 3),
    "before the commit": ("destroying", "commit", _before, 1),
    "after the commit": ("destroying", "commit", _after, 1),
}


def _committed(kit: History, rel: str) -> str:
    return kit.git("show", f"HEAD:{rel}")


@pytest.mark.parametrize("point", sorted(CRASHES))
def test_an_interrupted_execution_is_never_half_true_and_a_rerun_finishes_it(
    office: tuple[History, Path, list[str]], monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    kit, store, cases = office
    where, name, how, count = CRASHES[point]
    target = {"destroying": destroying, "repo": repo, "store": DirectoryKeyStore}[where]
    monkeypatch.setattr(target, name, how(getattr(target, name), count))
    stopped = execute(kit)
    assert stopped.code == 130, stopped  # type: ignore[attr-defined]
    monkeypatch.undo()
    journal = destroying.read_journal(kit.root, LIST)
    for cid in cases:
        committed_tombstone = "casetrail-tombstone/1" in _committed(kit, kit.case_path(cid))
        key_present = (store / "cases" / cid / "recipient").exists()
        # Never a committed tombstone whose key still exists ...
        assert not (committed_tombstone and key_present), point
        # ... and a key gone while the record still claims to be readable only under a
        # journal that names the case, which every reader reports as an interrupted destruction.
        if not key_present and not committed_tombstone:
            assert journal is not None and cid in journal["cases"], point
    if journal is not None:
        status = json.loads(kit.casetrail("keys", "status", "--format", "json").out)
        states = {r["case"]: r["state"] for r in status["cases"]}
        for cid in cases:
            committed = "casetrail-tombstone/1" in _committed(kit, kit.case_path(cid))
            assert committed or states[cid] == "destruction interrupted", (point, states)
        assert f"{LIST}  interrupted" in kit.ok("destroy", "status")
    finished = execute(kit)
    assert finished.code == 0, (point, finished)  # type: ignore[attr-defined]
    assert destroying.read_journal(kit.root, LIST) is None
    for cid in cases:
        assert "casetrail-tombstone/1" in _committed(kit, kit.case_path(cid))
        assert not (store / "cases" / cid).exists()
    assert kit.git("status", "--porcelain") == ""
    assert kit.git("log", "-1", "--format=%s").startswith(f"Destroy the records of {LIST}")
    audit = kit.audit()
    assert audit.code == 0, (point, audit.out)
    assert kit.casetrail("check").code == 0


# --- what the review found -------------------------------------------------------------------


def test_a_rerun_judges_again_the_cases_not_yet_destroyed(
    office: tuple[History, Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped after its journal, before any key was erased; a legal hold comes in; the re-run
    refuses and erases nothing."""
    kit, store, cases = office
    monkeypatch.setattr(destroying, "write_journal", _after(destroying.write_journal, 1))
    assert execute(kit).code == 130  # type: ignore[attr-defined]
    monkeypatch.undo()
    rel = kit.case_path(cases[0])
    text = kit.read(rel).replace("\nretention:\n", "\nretention:\n  legal_hold: true\n", 1)
    kit.commit("hlindqvist", "Legal hold", files={rel: text})
    result = execute(kit, AFTER_COOLING_OFF + timedelta(hours=1))
    assert result.code == 2 and "under legal hold" in result.err, result  # type: ignore[attr-defined]
    assert all((store / "cases" / cid / "recipient").exists() for cid in cases)


def test_a_store_that_does_not_hold_the_keys_is_refused(
    office: tuple[History, Path, list[str]], tmp_path: Path
) -> None:
    """A mistyped, empty or stale store folder must not make execute claim keys are erased."""
    kit, store, _ = office
    empty = tmp_path / "empty-store"
    empty.mkdir()
    kit.git("config", "casetrail.keyStore", str(empty))
    before = snapshot(kit, store)
    result = execute(kit)
    assert result.code == 2 and "holds no key for" in result.err, result  # type: ignore[attr-defined]
    assert snapshot(kit, store) == before
    assert destroying.read_journal(kit.root, LIST) is None


def test_only_the_records_officer_s_own_signed_commit_may_follow_an_erasure(
    office: tuple[History, Path, list[str]],
) -> None:
    """fweber, set up to commit as himself, cannot execute in hlindqvist's name; and a clone
    that does not sign cannot execute at all: both refused before any key is erased."""
    kit, store, _ = office
    before = snapshot(kit, store)
    sign_as(kit, "fweber")
    result = execute(kit, by="hlindqvist")
    assert result.code == 2 and "not of hlindqvist" in result.err, result  # type: ignore[attr-defined]
    sign_as(kit, "hlindqvist")
    kit.git("config", "--global", "commit.gpgsign", "false")
    unsigned = execute(kit)
    assert unsigned.code == 2 and "not signed" in unsigned.err, unsigned  # type: ignore[attr-defined]
    assert snapshot(kit, store) == before


def test_a_damaged_journal_is_a_clear_refusal(office: tuple[History, Path, list[str]]) -> None:
    kit, store, _ = office
    path = destroying.journal_path(kit.root, LIST)
    path.parent.mkdir(parents=True, exist_ok=True)
    for damaged in ("{}", '{"cases": "abc"}', "[1, 2]", "not json"):
        path.write_text(damaged)
        result = execute(kit)
        assert result.code == 2, (damaged, result)  # type: ignore[attr-defined]
        assert "journal" in result.err and "Traceback" not in result.err  # type: ignore[attr-defined]
    assert all((store / "cases").iterdir())


def test_a_rerun_after_the_commit_only_removes_the_journal(
    office: tuple[History, Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    kit, _, _ = office
    monkeypatch.setattr(destroying, "remove_journal", _before(destroying.remove_journal, 1))
    assert execute(kit).code == 130  # type: ignore[attr-defined]
    monkeypatch.undo()
    head = kit.head()
    certificate = kit.read(destruction.certificate_path(LIST))
    kit.register(case_type="inquiry")  # the store's log moves on
    again = execute(kit, AFTER_COOLING_OFF + timedelta(hours=2))
    assert again.code == 0 and "executed already" in again.out  # type: ignore[attr-defined]
    assert (
        kit.git("rev-list", "-1", "HEAD", "--", destruction.certificate_path(LIST)).strip() == head
    )
    assert kit.read(destruction.certificate_path(LIST)) == certificate
    assert destroying.read_journal(kit.root, LIST) is None


def test_documents_put_back_beside_a_tombstone_are_found(
    office: tuple[History, Path, list[str]],
) -> None:
    kit, _, cases = office
    assert execute(kit).code == 0  # type: ignore[attr-defined]
    folder = kit.case_path(cases[0]).removesuffix(".md")
    kit.git("checkout", "HEAD~1", "--", folder)
    result = kit.casetrail("check")
    assert result.code == 1 and "beside a destroyed case's tombstone" in result.out, result
