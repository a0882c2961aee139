"""The demo office end to end: made by the real commands, clean under check and audit, its site
built with --strict, its figures equal to counts made here from the story itself, and the same
bytes and commits on every run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path

import frontmatter
import pytest

from casetrail.core import demoplan
from casetrail.shell.keysource import KeySource
from conftest import PROJECT

pytestmark = pytest.mark.slow
AS_OF = demoplan.AS_OF.isoformat()


def casetrail(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASETRAIL_NOW": AS_OF, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("CASETRAIL_DEMO_SEED", None)
    return subprocess.run(
        [sys.executable, "-m", "casetrail", *args], cwd=cwd or PROJECT, env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "office"
    made = casetrail("demo", str(folder))
    assert made.returncode == 0, made.stdout + made.stderr
    assert "Traceback" not in made.stderr
    return folder


def test_the_office_is_clean_and_its_site_builds(office: Path) -> None:
    records = office / "records"
    checked = casetrail("--root", str(records), "check", "--format", "json")
    assert checked.returncode == 0, checked.stdout
    assert json.loads(checked.stdout)["summary"]["errors"] == 0
    audited = casetrail("--root", str(records), "audit", "--no-record", "--format", "json")
    assert audited.returncode == 0, audited.stdout
    summary = json.loads(audited.stdout)["summary"]
    commits = int(subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=records,
                                 capture_output=True, text=True, check=True).stdout)  # fmt: skip
    assert summary["errors"] == summary["warnings"] == 0
    assert summary["commits"] == commits - 1  # everything after the trust root, all verified
    assert (office / "site" / "index.html").is_file()  # `casetrail demo` built it with --strict
    # git itself verifies every commit against the demo people's public keys.
    allowed = office / "allowed_signers"
    allowed.write_text("".join(
        f"{k.stem.removesuffix('.ssh')}@demo.casetrail.invalid {k.read_text().split(' ')[0]} "
        f"{k.read_text().split(' ')[1]}\n" for k in sorted((office / "keys").glob("*.ssh.pub"))
    ))  # fmt: skip
    log = subprocess.run(
        ["git", "-c", "gpg.format=ssh", "-c", f"gpg.ssh.allowedSignersFile={allowed}",
         "log", "--format=%G?", "main"],
        cwd=records, capture_output=True, text=True, check=True,
        env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull},
    ).stdout  # fmt: skip
    assert set(log.split()) == {"G"}, Counter(log.split())
    merges = subprocess.run(["git", "log", "--merges", "--format=%s", "main"], cwd=records,
                            capture_output=True, text=True, check=True).stdout.splitlines()  # fmt: skip
    destruction = f"Approve destruction list {demoplan.DESTRUCTION_LIST}"
    assert len(merges) >= 30 and destruction in merges
    assert all(m.startswith("Approve the closure of ") for m in merges if m != destruction)


def _files(office: Path) -> list[dict[str, object]]:
    """Every case file's front matter, read with python-frontmatter (not casetrail's reader)."""
    return [frontmatter.load(str(p)).metadata for p in sorted((office / "records" / "cases").glob("*/*.md"))]  # fmt: skip


def _cases(office: Path) -> list[dict[str, object]]:
    """The cases that are not destroyed."""
    return [c for c in _files(office) if c["schema"] == "casetrail-case/1"]


def test_the_story_has_what_the_issue_asks_for(office: Path) -> None:
    cases = _cases(office)
    statuses = Counter(str(c["status"]) for c in cases)
    assert len(_files(office)) == demoplan.CASES + len(demoplan.ARCHIVED)
    assert statuses["closed"] >= 30 and sum(statuses.values()) - statuses["closed"] >= 5
    assert any(c.get("reopenings") for c in cases)
    assert any(c.get("attachments") for c in cases)
    assert any(c.get("disclosures") for c in cases)
    flags = [f for c in cases for f in c.get("flags", [])]  # type: ignore[attr-defined]
    assert {f["kind"] for f in flags} == {"urgent", "escalation"}
    assert any(len(c.get("priority_history", [])) > 1 for c in cases)  # type: ignore[arg-type]
    reasons = [a.get("end_reason", "") for c in cases for a in c["assignments"]]  # type: ignore[attr-defined]
    assert any("leave" in str(r) for r in reasons) or any(
        "leave" in str(a.get("reason", ""))
        for c in cases
        for a in c["assignments"]  # type: ignore[attr-defined]
    )
    # The three 2024 inquiries came due and were destroyed: tombstones, keys erased, certified.
    tombstones = [c for c in _files(office) if c["schema"] == "casetrail-tombstone/1"]
    assert len(tombstones) == len(demoplan.ARCHIVED)
    assert {str(t["id"])[:4] for t in tombstones} == {"2024"}
    assert all(t["destruction"]["key"] == "erased" for t in tombstones)  # type: ignore[index]
    certificate = office / "records" / "retention" / "certificates"
    assert (certificate / f"{demoplan.DESTRUCTION_LIST}.yaml").is_file()
    assert all(c.get("case_key") for c in cases)  # every case of the demo has its own key
    registered = sorted(str(c["registered_at"])[:10] for c in _files(office))
    assert len({r[:7] for r in registered if r >= "2026"}) >= 3  # spread over three months


def _one_business_day(start: datetime) -> datetime:
    """The policy's intake target (1 business day, 09:00-17:00 Monday to Friday; the story's
    days hold no Berlin holiday), computed here independently of casetrail's calendar code."""
    moment = start
    while moment.weekday() >= 5 or moment.time() >= time(17):
        moment = datetime.combine(moment.date() + timedelta(days=1), time(9), moment.tzinfo)
    if moment.time() < time(9):
        moment = datetime.combine(moment.date(), time(9), moment.tzinfo)
    if moment.time() == time(9):
        return moment.replace(hour=17)
    day = moment.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, moment.time(), moment.tzinfo)


def test_figures_match_counts_made_from_the_story(office: Path) -> None:
    steps = demoplan.plan()
    received = {}
    for step in steps:
        if step.message.startswith("Register"):
            args = step.commands[0].args
            received[step.case] = datetime.fromisoformat(args[args.index("--received-at") + 1])
    # The archived inquiries (numbered after the story's cases) were destroyed: the site's
    # figures are of the records the office still holds.
    assessed = {
        s.case: s.at
        for s in steps
        if s.message.startswith("Assess") and s.case is not None and s.case < demoplan.CASES
    }
    met = sum(1 for n, at in assessed.items() if at <= _one_business_day(received[n]))
    late = len(assessed) - met
    sla = " ".join((office / "site" / "sla" / "index.html").read_text().split())
    assert re.search(rf"{met} met, {late} met late, 0 breached, 0 pending", sla), (met, late)

    added = {}
    for step in steps:
        for command in step.commands:
            if command.args[:2] == ("followup", "add"):
                added[(step.case, step.message.split()[1])] = date.fromisoformat(
                    command.args[command.args.index("--due") + 1]
                )
    done = {(s.case, s.message.split()[1]) for s in steps if s.message.endswith(" done")}
    overdue_here = sum(
        1 for key, due in added.items() if key not in done and due < demoplan.AS_OF.date()
    )
    listed = casetrail("--root", str(office / "records"), "overdue", "--format", "json")
    items = json.loads(listed.stdout)["items"]
    followups = [i for i in items if i["what"].startswith("follow-up") and i["state"] == "breached"]
    assert len(followups) == overdue_here

    open_by_handler: Counter[str] = Counter()
    for case in _cases(office):
        if case["status"] != "closed":
            handler = [
                a for a in case["assignments"] if a["role"] == "handler" and "ended_at" not in a
            ]  # type: ignore[attr-defined]
            open_by_handler[handler[0]["person"]] += 1
    load = json.loads(
        casetrail("--root", str(office / "records"), "workload", "--format", "json").stdout
    )
    shown = {p["person"]: len(p["cases"]) for p in load["people"] if "handler" in p["roles"]}
    assert {p: n for p, n in shown.items() if n} == dict(open_by_handler)


def test_the_same_office_on_every_run(tmp_path: Path) -> None:
    """A smaller story, made twice in two folders: the same case files byte for byte and the
    same commits (ids included: the signatures are Ed25519, deterministic); a third run finds
    the office up to date."""
    heads, trees = [], []
    for name in ("one", "two"):
        made = casetrail("demo", str(tmp_path / name), "--cases", "12")
        assert made.returncode == 0, made.stdout + made.stderr
        records = tmp_path / name / "records"
        heads.append(subprocess.run(["git", "rev-parse", "HEAD"], cwd=records,
                                    capture_output=True, text=True, check=True).stdout)  # fmt: skip
        trees.append({p.relative_to(records).as_posix(): p.read_bytes()
                      for p in sorted((records / "cases").rglob("*")) if p.is_file()})  # fmt: skip
    assert heads[0] == heads[1]
    assert trees[0] == trees[1] and len(trees[0]) >= 15
    again = casetrail("demo", str(tmp_path / "one"), "--cases", "12")
    assert again.returncode == 0 and "up to date" in again.stdout
    (tmp_path / "two" / "demo-stamp.json").write_text("[not what we wrote")  # damaged: made again
    remade = casetrail("demo", str(tmp_path / "two"), "--cases", "12")
    assert remade.returncode == 0 and "up to date" not in remade.stdout, remade.stderr
    assert subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path / "two" / "records",
                          capture_output=True, text=True, check=True).stdout == heads[0]  # fmt: skip


def test_it_never_deletes_a_folder_it_did_not_make(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("not a demo")
    refused = casetrail("demo", str(mine))
    assert refused.returncode == 2 and "not a demo office" in refused.stderr
    assert (mine / "thesis.txt").read_text() == "not a demo"


def test_no_demo_identity_reads_a_destroyed_case_in_any_commit(office: Path) -> None:
    """The demo's destruction is real: every version of the destroyed inquiries in the whole
    history stays sealed to every demo identity, people and escrow, through the demo's store;
    while an open case's parties are readable by its escrow (so the test can fail)."""
    from casekeykit import IDENTITIES
    from casetrail.core import document, envelope
    from casetrail.shell import casekeys, cipher

    records, store = office / "records", office / "keystore"
    assert store.is_dir()
    casekeys.use_repository(records)  # its git config names the demo's store
    rings = {
        name: cipher.keyring([cipher_source(office / "keys" / f"{name}.agekey")])
        for name in IDENTITIES
    }
    tombstones = sorted(p for p in (records / "cases" / "2024").glob("*.md"))
    assert len(tombstones) == len(demoplan.ARCHIVED)
    opened = 0
    for path in tombstones:
        rel = path.relative_to(records).as_posix()
        commits = subprocess.run(["git", "log", "--all", "--format=%H", "--", rel], cwd=records,
                                 capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
        assert len(commits) >= 5
        for commit in commits:
            data = subprocess.run(["git", "show", f"{commit}:{rel}"], cwd=records,
                                  capture_output=True, check=True).stdout  # fmt: skip
            parsed, _ = document.parse(data)
            assert parsed is not None
            for section in parsed.sections:
                if not envelope.looks_armored(section.body):
                    continue
                for ring in rings.values():
                    try:
                        with_key = casekeys.with_case_key(ring, parsed.front_matter)
                    except casekeys.CaseKeyError:
                        with_key = ring
                    with pytest.raises(cipher.CipherError):
                        cipher.decrypt_section(
                            section.body.strip(), with_key, path.stem, section.title
                        )
                    opened += 1
    assert opened >= len(demoplan.ARCHIVED) * len(IDENTITIES) * 4
    alive = next(iter(sorted((records / "cases" / "2026").glob("*.md"))))
    parsed, _ = document.parse(alive.read_bytes())
    assert parsed is not None
    parties = parsed.section("Parties")
    assert parties is not None
    ring = casekeys.with_case_key(rings["escrow"], parsed.front_matter)
    assert cipher.decrypt_section(parties.body.strip(), ring, alive.stem, "Parties").text


def cipher_source(path: Path) -> KeySource:
    return KeySource(path.name, path.read_bytes())
