"""`casetrail new` through the real CLI, on a real repository in a temporary folder."""

from __future__ import annotations

import json
import re

from casetrail.core import envelope, ids
from casetrail.shell import cipher
from conftest import DEMO_KEYS, Records


def test_new_case_is_valid_encrypted_and_placed_by_its_id(records: Records) -> None:
    path = records.new_case()
    case_id = path.rsplit("/", 1)[1][:-3]
    assert ids.problem(case_id) is None
    assert path == f"cases/{case_id[:4]}/{case_id}.md"
    text = (records.root / path).read_text()
    assert "registered_by: amartin" in text
    assert "status: new" in text
    assert text.count(envelope.BEGIN) == 3  # complaint: Parties, Account, Progress notes
    check = records.run("check")
    assert (check.code, check.out.splitlines()[-1]) == (0, "0 errors, 0 warnings in 1 file")


def test_sections_decrypt_for_registrar_supervisor_and_escrow_but_not_others(
    records: Records,
) -> None:
    path = records.new_case()
    case_id = path.rsplit("/", 1)[1][:-3]
    text = (records.root / path).read_text()
    block = text[text.index(envelope.BEGIN) : text.index(envelope.END) + len(envelope.END)]
    for handle in ("amartin", "fweber", "gharris", "escrow"):
        keys = cipher.Keyring(cipher.load_identities((DEMO_KEYS / f"{handle}.agekey").read_text()))
        value = cipher.decrypt_section(block, keys, case_id, "Parties")
        assert value.case_id == case_id and value.revision == 1
    outsider = cipher.Keyring(cipher.load_identities((DEMO_KEYS / "bkoch.agekey").read_text()))
    try:
        cipher.decrypt_section(block, outsider, case_id, "Parties")
    except cipher.CipherError as error:
        assert "none of the keys tried can decrypt it" in str(error)
    else:
        raise AssertionError("a handler not on the case could decrypt it")


def test_identity_comes_from_git_email_through_the_roster(records: Records) -> None:
    records.git("init", "-q")
    records.git("config", "user.email", "FWeber@demo.casetrail.invalid")
    result = records.run(
        "new", "--type", "inquiry", "--priority", "low", "--title", "Opening hours"
    )
    assert result.code == 0, result.err
    assert "registered by fweber" in result.out


def test_unknown_identity_is_a_clear_error_and_writes_nothing(records: Records) -> None:
    records.git("init", "-q")
    records.git("config", "user.email", "stranger@example.org")
    before = records.snapshot()
    result = records.run(
        "new", "--type", "inquiry", "--priority", "low", "--title", "Opening hours"
    )
    assert result.code == 2
    assert "stranger@example.org is not in schema/roster.yaml" in result.err
    assert records.snapshot() == before


def test_bad_options_are_usage_errors_that_write_nothing(records: Records) -> None:
    before = records.snapshot()
    cases = [
        (["--type", "parking", "--priority", "low", "--title", "x y z"], "not a case type"),
        (["--type", "inquiry", "--priority", "urgent", "--title", "x y z"], "urgent"),
        (
            ["--type", "inquiry", "--priority", "low", "--title", "x y z", "--by", "nobody"],
            "no such person",
        ),
        (
            [
                "--type",
                "inquiry",
                "--priority",
                "low",
                "--title",
                "x y z",
                "--received-at",
                "yesterday",
                "--by",
                "amartin",
            ],
            "is not a timestamp",
        ),
        (
            ["--type", "inquiry", "--priority", "low", "--title", "x y z", "--by", "bkoch"],
            "registered_by: bkoch does not have the role intake or supervisor",
        ),
        (
            [
                "--type",
                "inquiry",
                "--priority",
                "low",
                "--title",
                "Write to jane@example.org",
                "--by",
                "amartin",
                "--channel",
                "pigeon",
            ],
            "'pigeon' is not a channel",
        ),
    ]
    for args, message in cases:
        result = records.run("new", *args)
        assert result.code == 2, (args, result.out, result.err)
        assert message in result.out + result.err, (args, result.out, result.err)
    assert records.snapshot() == before


def test_dry_run_prints_and_writes_nothing(records: Records) -> None:
    result = records.run(
        "new",
        "--by",
        "amartin",
        "--type",
        "issue",
        "--priority",
        "high",
        "--title",
        "Broken ramp at north entrance",
        "--dry-run",
    )
    assert result.code == 0
    assert result.out.startswith("---\nschema: casetrail-case/1\n")
    assert list((records.root / "cases").rglob("*.md")) == []


def test_titles_that_look_like_other_types_stay_strings(records: Records) -> None:
    path = records.new_case("--reason", "no")
    text = (records.root / path).read_text()
    assert re.search(r'reason: "no"', text)
    assert records.run("check").code == 0
    assert json.loads(records.run("check", "--format", "json").out)["summary"]["errors"] == 0
