"""Synthetic records repositories for the benchmark: a busy office's heavy, valid case files.

Everything but the age ciphertext comes from one seeded random.Random, so two trees generated
with the same size and seed hold the same front matter and plaintext. A tree is a real git
repository (one commit, fixed identity and dates) with a copy of schema/, and is reused while its
stamp (size, seed, generator source, schema digest) still matches.

    python tests/bench/synth.py --count 200 --verify
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "schema"
BUILD = REPO / "build" / "bench"
VENV_BIN = Path(sys.executable).parent
SEED = 20261123
ZONE = ZoneInfo("Europe/Berlin")
NOW = int(datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp())
FIRST = int(datetime(2024, 1, 8, 8, 0, tzinfo=UTC).timestamp())
MIN, HOUR, DAY = 60, 3600, 86400
AMPERSAND_SHARE = 0.1  # cases with one '&' in a summary ("terms & conditions"): realistic text
GIT_DATE = "2026-11-20T12:00:00+00:00"

INTAKE, SUPERVISORS, RECORDS = ["amartin"], ["fweber", "gharris"], ["hlindqvist"]
HANDLERS, OFFICERS = ["bkoch", "cnguyen", "dokafor"], ["dokafor", "esilva"]
EVERYONE = sorted({*INTAKE, *SUPERVISORS, *RECORDS, *HANDLERS, *OFFICERS, "ipatel"})
TYPES = {"complaint": 0.45, "inquiry": 0.25, "incident": 0.15, "issue": 0.15}
RETENTION = {
    "complaint": (6, "destroy"),
    "inquiry": (2, "destroy"),
    "incident": (10, "archive"),
    "issue": (3, "archive"),
}
CHANNELS = ["email", "phone", "letter", "web_form", "in_person", "referral"]
ROLES = [
    "complainant",
    "client",
    "reporter",
    "affected_party",
    "third_party",
    "legal_representative",
    "partner_agency",
]
KINDS = ["evidence", "correspondence", "form", "report", "note"]
OUTCOMES = ["resolved", "partly_resolved", "not_upheld", "withdrawn", "referred"]
SUBJECTS = [
    "billing dispute",
    "delayed response",
    "staff conduct",
    "service outage",
    "access request",
    "records correction",
    "data access",
    "waiting time",
    "missed appointment",
    "Überweisung not received",
    "accessibility of premises",
    "repair not carried out",
    "information about fees",
    "noise at night",
    "safety concern on site",
    "lost documents",
    "website form error",
    "change of address process",
    "refund request",
    "unclear letter wording",
]
VERBS = [
    "reviewed",
    "discussed",
    "checked",
    "confirmed",
    "clarified",
    "documented",
    "followed up on",
    "escalated",
    "summarised",
    "requested details on",
    "agreed on",
]
OBJECTS = [
    "the timeline",
    "the supporting documents",
    "next steps",
    "the complaint scope",
    "the service record",
    "the agreed remedy",
    "the policy wording",
    "the case history",
    "open questions",
    "the partner agency's reply",
    "the proposed resolution",
    "the interim measures",
    "the Straßenbau schedule",
    "payment records",
]
_FILLER = (
    "the of and to in is was for on that with as by at from this be are have not after "
    "meeting letter call request office service record review team visit week agreed "
    "noted reported explained asked received sent documents timeline outcome"
)
WORDS = _FILLER.split()


def _when(t: int) -> str:
    return datetime.fromtimestamp(t, ZONE).isoformat()


def _day(t: int) -> str:
    return datetime.fromtimestamp(t, ZONE).date().isoformat()


class Case:
    """One case's front matter, built along a plausible timeline."""

    def __init__(self, rng: random.Random, case_id: str, received: int, status: str) -> None:
        self.rng, self.id, self.status = rng, case_id, status
        self.received = received

    def text(self, *parts: list[str]) -> str:
        picked = [self.rng.choice(p) for p in parts]
        return " ".join(picked).capitalize()

    def sentence(self) -> str:
        return f"{self.text(VERBS, OBJECTS)} with the {self.rng.choice(ROLES).replace('_', ' ')}"

    def times(self, count: int, start: int, end: int) -> list[int]:
        return sorted(self.rng.randint(start, max(start, end)) for _ in range(count))

    def build(self, case_type: str) -> dict[str, Any]:
        rng, rank = self.rng, ["new", "assigned", "in_progress", "closure_requested", "closed"]
        level = rank.index(self.status)
        received = self.received
        registered = received + rng.randint(10 * MIN, 6 * HOUR)
        by = rng.choice(INTAKE * 4 + SUPERVISORS)
        first = rng.choice(["high", "medium", "medium", "low"])
        data: dict[str, Any] = {
            "schema": "casetrail-case/1",
            "id": self.id,
            "type": case_type,
            "title": self.text(SUBJECTS, ["", "(follow-up)", "again"]),
            "status": self.status,
            "priority": first,
            "complexity": rng.choice(["low", "standard", "standard", "high"]),
            "channel": rng.choice(CHANNELS),
            "received_at": _when(received),
            "registered_at": _when(registered),
            "registered_by": by,
        }
        data["title"] = data["title"].strip()
        assessed = registered + rng.randint(5 * MIN, 2 * HOUR)
        verified = assessed + rng.randint(10 * MIN, 4 * HOUR)
        data["intake"] = {
            "assessed_at": _when(assessed),
            "assessed_by": rng.choice(INTAKE),
            "verified_at": _when(verified),
            "verified_by": rng.choice(SUPERVISORS),
            "notes": self.sentence(),
        }
        history = [{"at": _when(registered), "by": by, "to": first, "reason": "set at intake"}]
        data["priority_history"] = history
        span = {0: 1, 1: 2, 2: rng.randint(3, 40), 3: rng.randint(5, 45), 4: rng.randint(5, 60)}
        work_start = verified + rng.randint(HOUR, 2 * DAY)
        work_end = work_start + span[level] * DAY
        if level < 3:
            work_end = max(work_start + HOUR, min(work_end, NOW))
        data["due"] = {
            name: _when(received + days * DAY)
            for name, days in (
                ("intake", 1),
                ("selection", 3),
                ("assignment", 4),
                ("notification", 5),
                ("acknowledgement", 5),
                ("resolution", 12),
            )
        }
        if level < 4:
            data["due"]["next_review"] = _when(work_end + 7 * DAY)
        data["due"]["calendar"] = "office-v1 (Europe/Berlin, DE-BE holidays)"
        team: list[str] = []
        if level >= 1:
            team = self.assignments(data, verified, work_start, level)
        if level >= 2 and rng.random() < 0.35:
            at = self.times(1, work_start, work_end)[0]
            to = rng.choice([p for p in ("high", "medium", "low") if p != first])
            history.append(
                {
                    "at": _when(at),
                    "by": rng.choice(SUPERVISORS),
                    "from": first,
                    "to": to,
                    "reason": "reassessed: " + self.sentence(),
                }
            )
            data["priority"] = to
        closing = level >= 3
        actors = team or INTAKE
        data["followups"] = [
            self.followup(i + 1, t, work_end, actors, closing)
            for i, t in enumerate(self.times(rng.randint(1, 5), work_start, work_end))
        ]
        refs = [f"S{i + 1}" for i in range(rng.randint(1, 4))]
        data["communications"] = [
            {
                "at": _when(t),
                "by": rng.choice(actors),
                "stakeholder": rng.choice(refs),
                "channel": rng.choice(CHANNELS),
                "direction": rng.choice(["incoming", "outgoing"]),
                "summary": self.sentence(),
            }
            for t in self.times(rng.randint(2, 9), registered, work_end)
        ]
        if level >= 2 and rng.random() < 0.25:
            data["disclosures"] = [
                {
                    "at": _when(t),
                    "by": rng.choice(team),
                    "recipient": "partner agency (housing)",
                    "basis": rng.choice(["consent", "legal_obligation"]),
                    "reference": "consent form on file",
                    "summary": self.sentence(),
                }
                for t in self.times(1, work_start, work_end)
            ]
        reviews = range(work_start + 7 * DAY, work_end, 7 * DAY)
        data["reviews"] = [
            {
                "at": _when(t),
                "by": rng.choice([*actors, *SUPERVISORS]),
                "summary": "weekly review: " + self.sentence(),
            }
            for t in list(reviews)[:8]
        ] or [{"at": _when(work_start), "by": rng.choice(SUPERVISORS), "summary": "first review"}]
        data["flags"] = [
            self.flag(t, work_end, actors, closing)
            for t in self.times(rng.choice([0, 0, 1, 2]), work_start, work_end)
        ]
        data["stakeholders"] = [self.stakeholder(ref, work_end, closing) for ref in refs]
        if level >= 1 and rng.random() < 0.1:
            others = [p for p in HANDLERS + OFFICERS if p not in team]
            data["conflicts"] = [
                {
                    "person": rng.choice(others),
                    "declared_at": _when(verified + rng.randint(MIN, HOUR)),
                    "declared_by": rng.choice(SUPERVISORS),
                    "reason": "declared a personal connection to a party",
                }
            ]
        if closing:
            self.closure(data, team, work_end, case_type)
        elif level == 2 and rng.random() < 0.05:
            data["reopenings"] = [
                {
                    "at": _when(work_start + HOUR),
                    "by": rng.choice(SUPERVISORS),
                    "reason": "new information from the complainant",
                }
            ]
        attached = self.times(rng.choice([0, 1, 1, 2, 3]), received - 30 * DAY, work_end)
        data["attachments"] = [self.attachment(t, actors) for t in attached]
        if rng.random() < AMPERSAND_SHARE:
            data["intake"]["notes"] += " (terms & conditions)"
        return {k: v for k, v in data.items() if v != []}

    def assignments(self, data: dict[str, Any], verified: int, start: int, level: int) -> list[str]:
        rng, entries = self.rng, []
        at = verified + rng.randint(30 * MIN, DAY)
        handlers = rng.sample(HANDLERS, 2)
        if rng.random() < 0.2:  # reassigned once: the first assignment ends and is kept
            ended = at + rng.randint(HOUR, 2 * DAY)
            entries.append(
                {
                    **self.assignment("handler", handlers[1], at, level),
                    "ended_at": _when(ended),
                    "end_reason": "workload rebalanced",
                }
            )
            at = ended + rng.randint(MIN, HOUR)
        entries.append(self.assignment("handler", handlers[0], at, level))
        team = [handlers[0]]
        if rng.random() < 0.5:
            officer = rng.choice([p for p in OFFICERS if p != handlers[0]])
            entries.append(self.assignment("resolution_officer", officer, at + HOUR, level))
            team.append(officer)
        data["assignments"] = entries
        return team

    def assignment(self, role: str, person: str, at: int, level: int) -> dict[str, Any]:
        rng = self.rng
        criteria = {
            "expertise": f"{person} handles {data_word(rng)} cases regularly",
            "workload": f"{rng.randint(1, 9)} open cases, below capacity",
            "availability": "available this week",
            "complexity": "standard complexity",
            "conflict_of_interest": "none declared",
        }
        entry = {
            "role": role,
            "person": person,
            "assigned_at": _when(at),
            "assigned_by": rng.choice(SUPERVISORS + INTAKE),
            "approved_by": rng.choice(SUPERVISORS),
            "criteria": criteria,
            "rationale": "best match on expertise and workload",
            "notified_at": _when(at + rng.randint(5 * MIN, 2 * HOUR)),
        }
        if level >= 2:
            entry["acknowledged_at"] = _when(at + rng.randint(3 * HOUR, 20 * HOUR))
        return entry

    def followup(self, n: int, at: int, end: int, actors: list[str], done: bool) -> dict[str, Any]:
        entry = {
            "id": f"F{n}",
            "title": self.sentence(),
            "owner": self.rng.choice(actors),
            "created_at": _when(at),
            "created_by": self.rng.choice(actors),
            "due": _day(at + self.rng.randint(1, 10) * DAY),
        }
        if done or self.rng.random() < 0.5:
            entry |= {
                "done_at": _when(self.rng.randint(at, max(at, end))),
                "done_by": entry["owner"],
                "outcome": self.sentence(),
            }
        return entry

    def flag(self, at: int, end: int, actors: list[str], resolved: bool) -> dict[str, Any]:
        entry = {
            "kind": self.rng.choice(["urgent", "escalation"]),
            "raised_at": _when(at),
            "raised_by": self.rng.choice(actors),
            "to": self.rng.choice(SUPERVISORS),
            "reason": self.sentence(),
        }
        if resolved or self.rng.random() < 0.5:
            entry |= {
                "resolved_at": _when(self.rng.randint(at, max(at, end))),
                "resolved_by": entry["to"],
                "resolution": self.sentence(),
            }
        return entry

    def stakeholder(self, ref: str, end: int, closing: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {"ref": ref, "role": self.rng.choice(ROLES)}
        if closing:
            entry |= {"notified_of_closure_at": _when(end), "agreement": "agreed"}
        elif self.rng.random() < 0.3:
            entry["agreement"] = "pending"
        return entry

    def closure(self, data: dict[str, Any], team: list[str], end: int, case_type: str) -> None:
        rng = self.rng
        requested = end + rng.randint(HOUR, DAY)
        closure: dict[str, Any] = {
            "requested_at": _when(requested),
            "requested_by": team[0],
            "outcome": rng.choice(OUTCOMES),
            "outcome_summary": self.sentence(),
            "lessons_learned": self.sentence(),
        }
        ticks = [
            ("actions_documented", end, rng.choice(team)),
            ("integrity_verified", end + MIN, rng.choice(team)),
        ]
        if self.status == "closed":
            closed = requested + rng.randint(HOUR, 3 * DAY)
            ticks += [
                ("approvals_obtained", closed - 3 * MIN, rng.choice(SUPERVISORS)),
                ("retention_scheduled", closed - 2 * MIN, RECORDS[0]),
                ("access_revoked", closed - MIN, RECORDS[0]),
            ]
            closure |= {"closed_at": _when(closed), "closed_by": rng.choice(SUPERVISORS)}
            years, disposition = RETENTION[case_type]
            until = _years_later(datetime.fromtimestamp(closed, ZONE).date(), years)
            data["retention"] = {
                "until": until.isoformat(),
                "disposition": disposition,
                "rule": f"{case_type}: {years} years after closure",
                "legal_hold": rng.random() < 0.02,
            }
        closure["checklist"] = [{"item": i, "done_at": _when(t), "done_by": p} for i, t, p in ticks]
        data["closure"] = closure

    def attachment(self, at: int, actors: list[str]) -> dict[str, Any]:
        kind, day = self.rng.choice(KINDS), _day(at)
        # size and sha256 are filled in by render(), which writes the encrypted file
        return {
            "name": f"{day}-{kind}-{self.rng.randint(1, 99)}.pdf.age",
            "date": day,
            "kind": kind,
            "size": 0,
            "sha256": "",
            "added_by": self.rng.choice(actors),
        }


def data_word(rng: random.Random) -> str:
    return rng.choice(["complaint", "inquiry", "incident", "issue"])


_PLAIN = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9][A-Za-z0-9_./-]*\Z")
_DATE_LIKE = re.compile(r"\d{4}-\d\d-\d\d")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and not _DATE_LIKE.match(text):
        return text  # handles, keys, enums, IDs: plain, as casetrail's templates write them
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def emit(value: dict[str, Any], indent: str = "", out: list[str] | None = None) -> list[str]:
    """Block-style YAML, the way casetrail's own commands write front matter."""
    out = [] if out is None else out
    for key, item in value.items():
        if isinstance(item, dict):
            out.append(f"{indent}{key}:")
            emit(item, indent + "  ", out)
        elif isinstance(item, list):
            out.append(f"{indent}{key}:")
            for entry in item:
                lines = emit(entry, indent + "    ", [])
                out.append(f"{indent}  - " + lines[0].lstrip())
                out.extend(lines[1:])
        else:
            out.append(f"{indent}{key}: {_scalar(item)}")
    return out


def _years_later(day: date, years: int) -> date:
    """The policy's retention end: the same day `years` later (29 February: the 28th)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _status(rng: random.Random, received: int) -> str:
    if NOW - received > 90 * DAY:
        return rng.choices(
            ["closed", "in_progress", "closure_requested", "assigned"], [85, 9, 4, 2]
        )[0]
    statuses = ["new", "assigned", "in_progress", "closure_requested", "closed"]
    return rng.choices(statuses, [15, 15, 45, 10, 15])[0]


def render(
    rng: random.Random, case_id: str, received: int, encrypt: Encrypt
) -> tuple[str, dict[str, bytes]]:
    """The case file, and its documents (name -> encrypted bytes) of 200 B to 2 KB each."""
    from casetrail.core import envelope

    case_type = rng.choices(list(TYPES), list(TYPES.values()))[0]
    case = Case(rng, case_id, received, _status(rng, received))
    data = case.build(case_type)
    documents: dict[str, bytes] = {}
    for entry in data.get("attachments", []):
        while entry["name"] in documents:  # a name twice in one case: number it again
            entry["name"] = f"{entry['date']}-{entry['kind']}-{rng.randint(100, 999)}.pdf.age"
        content = rng.randbytes(rng.randint(200, 2_000))
        entry["size"], entry["sha256"] = len(content), hashlib.sha256(content).hexdigest()
        entry["keyset"], documents[entry["name"]] = encrypt.document(content, data)
    parts = ["---", *emit(data), "---", ""]
    for title, sensitive in SECTIONS[case_type]:
        if sensitive:
            text = "\n\n".join(
                _paragraph(rng, rng.randint(20, 90)) for _ in range(rng.randint(1, 4))
            )
            plain = envelope.SectionPlaintext(case_id, title, rng.randint(1, 4), text + "\n")
            parts.append(f"## {title}\n\n{encrypt.section(plain, data)}\n")
        elif title == "Outcome" and data["status"] not in ("closed", "closure_requested"):
            parts.append(f"## {title}\n\n<!-- To be written at closure. -->\n")
        else:
            parts.append(f"## {title}\n\n{_paragraph(rng, rng.randint(15, 60))}\n")
    return "\n".join(parts), documents


@dataclass(frozen=True)
class Encrypt:
    section: Callable[[Any, dict[str, Any]], str]
    document: Callable[[bytes, dict[str, Any]], tuple[str, bytes]]  # -> (keyset, ciphertext)


SECTIONS = {
    "complaint": [
        ("Summary", False),
        ("Parties", True),
        ("Account", True),
        ("Progress notes", True),
        ("Outcome", False),
    ],
    "inquiry": [
        ("Summary", False),
        ("Parties", True),
        ("Progress notes", True),
        ("Outcome", False),
    ],
    "incident": [
        ("Summary", False),
        ("Parties", True),
        ("Incident report", True),
        ("Progress notes", True),
        ("Outcome", False),
    ],
    "issue": [("Summary", False), ("Parties", True), ("Progress notes", True), ("Outcome", False)],
}


def _encryptor() -> Encrypt:
    """Sections and documents encrypted to the recipients casetrail itself would choose."""
    from dataclasses import replace

    from casetrail.core import configload, recipients, validation
    from casetrail.core.case import Case as CaseView
    from casetrail.shell import cipher, repo

    def factory(name: str, schema: dict[str, Any]) -> Callable[[Any], bool]:
        return validation.fast_check_from_code(validation.generate_fast_code(schema))

    config = configload.load(repo.read_config(REPO), factory)

    def section(plain: Any, data: dict[str, Any]) -> str:
        wanted = recipients.for_section(CaseView(data), plain.section, config.policy, config.roster)
        return cipher.encrypt_section(replace(plain, keyset=wanted.fingerprint), wanted.keys)

    def document(content: bytes, data: dict[str, Any]) -> tuple[str, bytes]:
        wanted = recipients.for_section(CaseView(data), None, config.policy, config.roster)
        return wanted.fingerprint, cipher.encrypt_file(content, wanted.keys)

    return Encrypt(section, document)


def stamp_of(count: int, seed: int) -> dict[str, Any]:
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(p for p in SCHEMA.rglob("*") if p.is_file()):
        digest.update(path.relative_to(SCHEMA).as_posix().encode() + b"\0" + path.read_bytes())
    return {"count": count, "seed": seed, "source": digest.hexdigest()}


def git(tree: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@casetrail.invalid",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@casetrail.invalid",
        "GIT_AUTHOR_DATE": GIT_DATE,
        "GIT_COMMITTER_DATE": GIT_DATE,
    }
    config = [
        "-c",
        "init.defaultBranch=main",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "core.hooksPath=/dev/null",
        "-c",
        "user.name=Bench",
        "-c",
        "user.email=bench@casetrail.invalid",
    ]
    subprocess.run(["git", *config, *args], cwd=tree, env=env, check=True, capture_output=True)


def generate(tree: Path, count: int, seed: int = SEED) -> None:
    rng, encrypt = random.Random(seed), _encryptor()
    from casetrail.core import ids

    shutil.rmtree(tree, ignore_errors=True)
    shutil.copytree(SCHEMA, tree / "schema")
    (tree / ".gitignore").write_text(".cache/\n")
    seen: set[str] = set()
    for received in sorted(rng.randint(FIRST, NOW - HOUR) for _ in range(count)):
        year = datetime.fromtimestamp(received, ZONE).year
        case_id = ids.make(year, rng.randbytes(6))
        while case_id in seen:
            case_id = ids.make(year, rng.randbytes(6))
        seen.add(case_id)
        path = tree / "cases" / case_id[:4] / f"{case_id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        text, documents = render(rng, case_id, received, encrypt)
        path.write_text(text, encoding="utf-8")
        for name, content in documents.items():
            (path.with_suffix("") / name).parent.mkdir(exist_ok=True)
            (path.with_suffix("") / name).write_bytes(content)
    git(tree, "init", "-q")
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", f"synthetic records: {count} cases, seed {seed}")


def ensure(count: int, seed: int = SEED, base: Path = BUILD) -> Path:
    """The tree for (count, seed), generated unless its stamp shows it is already there."""
    tree, stamp = base / f"tree-{count}-{seed}", base / f"tree-{count}-{seed}.stamp.json"
    wanted = stamp_of(count, seed)
    if stamp.exists() and json.loads(stamp.read_text()) == wanted and (tree / ".git").exists():
        return tree
    stamp.unlink(missing_ok=True)
    print(f"generating {count} cases in {tree} ...", file=sys.stderr, flush=True)
    generate(tree, count, seed)
    stamp.write_text(json.dumps(wanted, indent=2) + "\n")
    return tree


def verify(tree: Path) -> dict[str, int]:
    """`casetrail check` on the whole tree, nothing cached: its summary counts (no errors)."""
    shutil.rmtree(tree / ".cache", ignore_errors=True)
    run = subprocess.run(
        [str(VENV_BIN / "casetrail"), "--root", str(tree), "check", "--format", "json"],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    summary: dict[str, int] = json.loads(run.stdout)["summary"]
    if run.returncode != 0 or summary["errors"]:  # warnings are reported, not fatal
        raise SystemExit(f"synthetic tree {tree} does not pass:\n{run.stdout[:4000]}")
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--verify", action="store_true", help="check the tree has no findings")
    args = parser.parse_args()
    generated = ensure(args.count, args.seed)
    print(generated)
    if args.verify:
        print(verify(generated))
