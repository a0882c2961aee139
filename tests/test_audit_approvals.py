"""CT815: with `audit.assignment_approval: merge`, an assignment reaches main only through a
merge signed by the supervisor it names as approver (real signed histories, tests/historykit)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from historykit import History


def _merge_policy(kit: History) -> None:
    path = kit.root / "schema" / "policy.yaml"
    text = re.sub(
        r"(?m)^  assignment_approval: .*$", "  assignment_approval: merge", path.read_text()
    )
    path.write_text(text)
    kit.commit("hlindqvist", "Policy: assignments are approved by merge")


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> tuple[History, str]:
    kit = History.create(tmp_path_factory.mktemp("approvals"))
    _merge_policy(kit)
    return kit, kit.register()


def _assign_on_branch(kit: History, cid: str) -> None:
    kit.branch(f"assign/{cid}")
    kit.ok("assign", cid, "--by", "amartin", "--handler", "bkoch", "--approved-by", "fweber",
           "--rationale", "expertise and capacity", "--why-not-top", "continuity")  # fmt: skip
    kit.commit("amartin", f"Propose bkoch for {cid}")
    kit.checkout("main")


def _codes(kit: History) -> dict[str, set[str | None]]:
    _, found, _ = kit.audit_json("--no-record")
    codes: dict[str, set[str | None]] = {}
    for f in found:
        codes.setdefault(f.code, set()).add(f.commit)
    return codes


def test_an_assignment_merged_by_its_approver_passes(
    registered: tuple[History, str], tmp_path: Path
) -> None:
    kit, cid = registered[0].fork(tmp_path / "ok"), registered[1]
    _assign_on_branch(kit, cid)
    kit.merge("fweber", f"assign/{cid}")
    assert "CT815" not in _codes(kit)


def test_an_assignment_merged_by_another_supervisor_is_found(
    registered: tuple[History, str], tmp_path: Path
) -> None:
    kit, cid = registered[0].fork(tmp_path / "other"), registered[1]
    _assign_on_branch(kit, cid)
    merge = kit.merge("gharris", f"assign/{cid}")
    assert _codes(kit).get("CT815") == {merge}


def test_an_assignment_committed_straight_on_main_is_found(
    registered: tuple[History, str], tmp_path: Path
) -> None:
    kit, cid = registered[0].fork(tmp_path / "direct"), registered[1]
    kit.ok("assign", cid, "--by", "fweber", "--handler", "bkoch", "--approved-by", "fweber",
           "--rationale", "expertise and capacity", "--why-not-top", "continuity")  # fmt: skip
    commit = kit.commit("fweber", f"Assign {cid}")
    assert _codes(kit).get("CT815") == {commit}
