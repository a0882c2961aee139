"""`casetrail check` through the real CLI: formats, exit codes, config, git, cache, files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from casetrail.core import rules
from conftest import Records


def _break_status(records: Records, path: str, status: str) -> None:
    file = records.root / path
    file.write_text(file.read_text().replace("status: new", f"status: {status}", 1))


def test_clean_tree_exits_zero(records: Records) -> None:
    records.new_case()
    result = records.run("check", "--summary")
    assert result.code == 0
    assert "1 cases" in result.out and "by status    new 1" in result.out


def test_findings_are_path_line_col_code_message_with_hint(records: Records) -> None:
    path = records.new_case()
    _break_status(records, path, "assigned")
    result = records.run("check")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0] == f"{path}:6:1: CT320 status 'assigned' requires a current handler assignment"
    assert lines[1].startswith("    hint: ")
    assert lines[-1] == "1 error, 0 warnings in 1 file"


def test_json_format_is_stable(records: Records) -> None:
    path = records.new_case()
    _break_status(records, path, "assigned")
    data = json.loads(records.run("check", "--format", "json").out)
    assert data["version"] == 1
    assert data["summary"] == {"files": 1, "errors": 1, "warnings": 0, "cached": 0}
    assert set(data["diagnostics"][0]) == {
        "path",
        "line",
        "col",
        "code",
        "severity",
        "message",
        "hint",
    }


def test_github_format_annotates(records: Records) -> None:
    path = records.new_case()
    _break_status(records, path, "assigned")
    out = records.run("check", "--format", "github").out
    assert out.startswith(f"::error file={path},line=6,col=1,title=CT320::status 'assigned'")


def test_warnings_pass_unless_strict(records: Records) -> None:
    path = records.new_case()
    file = records.root / path
    file.write_text(file.read_text() + "\n## Scratch\n\nnotes\n")
    assert records.run("check").code == 0
    strict = records.run("check", "--strict")
    assert strict.code == 1 and "CT404 warning: section 'Scratch'" in strict.out


def test_check_never_modifies_files(records: Records) -> None:
    path = records.new_case()
    _break_status(records, path, "closed")
    before = records.snapshot()
    records.run("check")
    records.run("check", path)
    assert records.snapshot() == before


def test_paths_mode_checks_only_given_cases_and_ignores_other_files(records: Records) -> None:
    good = records.new_case()
    bad = records.new_case()
    _break_status(records, bad, "assigned")
    records.write("README.md", "not a case")
    assert records.run("check", good, "README.md").code == 0
    assert records.run("check", bad).code == 1


def test_duplicate_id_is_found_in_paths_mode_too(records: Records) -> None:
    path = records.new_case()
    copy = path.replace(".md", "-copy.md")
    (records.root / copy).write_bytes((records.root / path).read_bytes())
    out = records.run("check", str(records.root / copy)).out
    assert "CT203" in out and "CT202" in out
    assert "CT203" in records.run("check").out


def test_symlink_and_stray_files_under_cases(records: Records) -> None:
    path = records.new_case()
    (records.root / "cases" / "link.md").symlink_to(records.root / path)
    (records.root / "cases" / "notes.txt").write_text("x")
    result = records.run("check")
    assert result.code == 1
    assert "cases/link.md:1:1: CT013 cases/link.md is a symbolic link" in result.out
    assert "CT014 warning" in result.out


def test_a_50_megabyte_file_is_refused_without_reading_it_all(records: Records) -> None:
    big = records.root / "cases" / "2026" / "2026-0000000.md"
    big.parent.mkdir(parents=True)
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    result = records.run("check")
    assert result.code == 1
    assert "CT010 file is 52,428,800 bytes" in result.out


def test_invalid_policy_is_a_configuration_error_with_line(records: Records) -> None:
    policy = records.root / "schema" / "policy.yaml"
    policy.write_text(policy.read_text().replace("weight: 3", "weight: three"))
    result = records.run("check")
    assert result.code == 2
    assert "schema/policy.yaml:" in result.out and "CT601" in result.out
    assert "priorities.high.weight: expected integer" in result.out


def test_roster_duplicate_handles_are_reported(records: Records) -> None:
    roster = records.root / "schema" / "roster.yaml"
    roster.write_text(roster.read_text().replace("handle: bkoch", "handle: amartin"))
    result = records.run("check")
    assert result.code == 2
    assert "CT602 handle 'amartin' is used by 2 people" in result.out


def test_missing_schema_file_is_a_configuration_error(records: Records) -> None:
    (records.root / "schema" / "case.schema.json").unlink()
    result = records.run("check")
    assert result.code == 2 and "case.schema.json:1:1: CT601 file is missing" in result.out


def test_outside_a_repository_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from casetrail.cli.main import main

    assert main(["--root", str(tmp_path), "check"]) == 2
    assert "no records repository at or above" in capsys.readouterr().err


def test_status_transitions_are_checked_against_the_committed_version(records: Records) -> None:
    path = records.new_case()
    records.git("init", "-q")
    records.git("add", "-A")
    records.git("commit", "-q", "-m", "register case")
    file = records.root / path
    # Forward steps may be taken several at once (request and close in one pull request);
    # going back is what the procedure forbids.
    file.write_text(file.read_text().replace("status: new", "status: closed", 1))
    assert "CT323" not in records.run("check", path).out
    records.git("commit", "-q", "-am", "close it (the file itself is invalid: CT320)")
    file.write_text(file.read_text().replace("status: closed", "status: new", 1))
    result = records.run("check", path)
    assert "CT323 status went from 'closed' (HEAD) to 'new'" in result.out
    records.git("commit", "-q", "-am", "back to new")
    assert "CT323" not in records.run("check").out  # HEAD now agrees with the work tree
    assert "CT323" in records.run("check", "--against", "HEAD~1").out


def test_second_run_uses_the_cache_and_gives_the_same_answer(records: Records) -> None:
    for _ in range(3):
        records.new_case()
    bad = records.new_case()
    _break_status(records, bad, "assigned")
    first = records.run("check", "--format", "json")
    second = records.run("check", "--format", "json")
    one, two = json.loads(first.out), json.loads(second.out)
    assert one["diagnostics"] == two["diagnostics"]
    assert (one["summary"]["cached"], two["summary"]["cached"]) == (0, 4)
    # The cache is keyed by content, not time: an edit is seen even with the same mtime.
    stat = (records.root / bad).stat()
    file = records.root / bad
    file.write_text(file.read_text().replace("status: assigned", "status: closed", 1))
    os.utime(records.root / bad, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    third = json.loads(records.run("check", "--format", "json").out)
    assert third["summary"]["cached"] == 3
    assert {d["code"] for d in third["diagnostics"]} >= {"CT320", "CT321", "CT322"}


def test_config_change_invalidates_the_cache(records: Records) -> None:
    records.new_case()
    records.run("check")
    policy = records.root / "schema" / "policy.yaml"
    policy.write_text(policy.read_text().replace("channels: [email,", "channels: [fax,"))
    data = json.loads(records.run("check", "--format", "json").out)
    assert data["summary"]["cached"] == 0
    assert data["diagnostics"][0]["code"] == "CT210"


def test_parallel_and_serial_runs_agree(records: Records) -> None:
    for index in range(6):
        path = records.new_case()
        if index % 2:
            _break_status(records, path, "in_progress")
    from casetrail.shell import index as index_module

    serial = records.run("check", "--no-cache", "--jobs", "1", "--format", "json").out
    old = index_module.PARALLEL_THRESHOLD
    index_module.PARALLEL_THRESHOLD = 1
    try:
        parallel = records.run("check", "--no-cache", "--jobs", "2", "--format", "json").out
    finally:
        index_module.PARALLEL_THRESHOLD = old
    assert json.loads(serial)["diagnostics"] == json.loads(parallel)["diagnostics"]
    assert len(json.loads(serial)["diagnostics"]) >= 3


def test_rules_lists_every_code_once_with_a_summary(records: Records) -> None:
    result = records.run("rules", "--format", "json")
    listed = json.loads(result.out)
    assert [r["code"] for r in listed] == list(rules.RULES)
    assert all(r["summary"] and r["name"] for r in listed)


def test_internal_errors_exit_3_with_a_hint(records: Records, monkeypatch: object) -> None:
    import pytest

    from casetrail.shell import index

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated")

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setattr(index, "check_files", boom)
    result = records.run("check")
    assert result.code == 3
    assert "rerun with --traceback" in result.err


def test_a_cached_config_never_hides_a_later_config_error(records: Records) -> None:
    records.new_case()
    assert records.run("check").code == 0
    roster = records.root / "schema" / "roster.yaml"
    roster.write_text(roster.read_text().replace("capacity: 10", "capacity: ten", 1))
    result = records.run("check")
    assert result.code == 2
    assert "schema/roster.yaml" in result.out and "capacity: expected integer" in result.out


def test_missing_closure_block_findings_point_at_the_status_line(records: Records) -> None:
    path = records.new_case()
    _break_status(records, path, "closed")
    lines = [line for line in records.run("check").out.splitlines() if " CT322 " in line]
    assert lines and all(line.startswith(f"{path}:6:1: CT322 status 'closed'") for line in lines)
