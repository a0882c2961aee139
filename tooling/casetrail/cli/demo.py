"""`casetrail demo DIR`: a fictional records office with three months of signed history.

It plays the story of core/demoplan.py by running the real casetrail commands (in this process,
through the same entry point as the command line) and real git: every step is a commit signed
with the actor's demo SSH key and dated by the simulated clock; every closure is merged by a
supervisor with a signed merge. Nothing is written into the records except by those commands,
apart from the roster change of the records office (there is no command for it: the records
office edits schema/roster.yaml and commits, as in a real office).

The office is the same on every run: the story comes from a seed, and CASETRAIL_DEMO_SEED makes
case ids and age encryption reproducible (for the demo's public keys only; see shell/demoseed.py).
A second run finds the office up to date (a stamp of its inputs) and only checks it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from casetrail.cli.main import UserError

if TYPE_CHECKING:
    from casetrail.core.demoplan import Command, Step

PACKAGE = Path(__file__).resolve().parents[1]
PROJECT = PACKAGE.parents[1]  # the source checkout: schema/, site/, mkdocs.yml, the demo keys
DEMO_KEYS = PROJECT / "tests" / "demo-keys-DO-NOT-USE"
STAMP = "demo-stamp.json"


class DemoError(Exception):
    """A step of the story was refused: a bug in the story, reported with its command."""


@dataclass
class Office:
    folder: Path
    records: Path = field(init=False)
    keys: Path = field(init=False)
    people: dict[str, tuple[str, str]] = field(default_factory=dict)  # handle -> name, email
    ids: dict[int, str] = field(default_factory=dict)  # story case number -> case id
    commits: int = 0

    def __post_init__(self) -> None:
        self.records = self.folder / "records"
        self.keys = self.folder / "keys"

    # ---- git ----

    def git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        from casetrail.shell import git

        return git.run_with(self.records, list(args), {**self._git_env(), **(env or {})})

    def _git_env(self) -> dict[str, str]:
        return {
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_DATE": os.environ["CASETRAIL_NOW"],
            "GIT_COMMITTER_DATE": os.environ["CASETRAIL_NOW"],
        }

    def _signed(self, who: str) -> tuple[list[str], dict[str, str]]:
        """git options and environment for a commit by `who`, signed with their demo key."""
        name, email = self.people[who]
        key = self.keys / f"{who}.ssh"
        options = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}"]
        identity = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
                    "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}  # fmt: skip
        return options, identity

    def commit(self, who: str, message: str) -> None:
        options, identity = self._signed(who)
        self.git("add", "-A")
        self.git(*options, "commit", "-q", "-S", "-m", message, env=identity)
        self.commits += 1

    def merge(self, who: str, branch: str, message: str) -> None:
        options, identity = self._signed(who)
        self.git(*options, "merge", "-q", "--no-ff", "-S", "-m", message, branch, env=identity)
        self.commits += 1

    # ---- casetrail ----

    def run(self, args: list[str], stdin: str = "") -> str:
        from casetrail.cli.main import main

        out, err = io.StringIO(), io.StringIO()
        saved = sys.stdin
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(["--root", str(self.records), *args])
        finally:
            sys.stdin = saved
        if code != 0:
            raise DemoError(
                f"casetrail {' '.join(args)} (at {os.environ['CASETRAIL_NOW']}) exited {code}:\n"
                f"{err.getvalue()}{out.getvalue()}"
            )
        return out.getvalue()

    def glance(self, number: int) -> dict[str, Any]:
        """`casetrail status` of the case, as data."""
        data = json.loads(self.run(["status", self.ids[number], "--format", "json"]))
        return dict(data)

    def handler(self, number: int) -> str:
        team = self.glance(number)["team"]
        return str(team["handler"])

    def ranked(self, number: int, role: str = "handler") -> list[str]:
        """Whom `casetrail suggest` ranks for the case now: the eligible best first, then those
        over capacity (a busy office assigns them all the same); never the absent or those
        with a conflict of interest."""
        out = self.run(["suggest", self.ids[number], "--role", role, "--format", "json"])
        found = json.loads(out)["candidates"]
        busy = [c for c in found if str(c.get("excluded") or "").startswith("over capacity")]
        return [str(c["person"]) for c in [*(c for c in found if c["eligible"]), *busy]]

    def officer(self, number: int) -> str:
        return str(self.glance(number)["team"]["resolution_officer"])


@contextlib.contextmanager
def clock(moment: str) -> Iterator[None]:
    saved = os.environ.get("CASETRAIL_NOW")
    os.environ["CASETRAIL_NOW"] = moment
    try:
        yield
    finally:
        if saved is None:
            del os.environ["CASETRAIL_NOW"]
        else:
            os.environ["CASETRAIL_NOW"] = saved


# ---- playing the story ----------------------------------------------------------------------


def play(office: Office, step: Step) -> None:

    with clock(step.at.isoformat()), _acting(office, step):
        if step.kind in ("propose", "approve", "execute"):
            _destruction(office, step)
        elif step.kind == "leave":
            _leave(office, step)
        elif step.kind == "reassign":
            _reassign(office, step)
        elif step.kind == "closure":
            _closure(office, step)
        elif step.kind == "merge":
            _merge(office, step)
        else:
            ran = [_command(office, step, command) for command in step.commands]
            if any(ran):
                office.commit(_actor(office, step), _message(office, step))


@contextlib.contextmanager
def _acting(office: Office, step: Step) -> Iterator[None]:
    """Each step runs with its actor's own demo age key, as in an office: a supervisor who
    assigns a case unwraps its key with her key to give the new handler a wrapper."""
    from casetrail.shell.keysource import FILE_VARIABLE

    actor = step.actor if step.actor in office.people else ""
    values = {FILE_VARIABLE: str(office.keys / f"{actor}.agekey")} if actor else {}
    with _environment(values):
        yield


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _destruction(office: Office, step: Step) -> None:
    """The records office proposes the list on a branch, a supervisor merges it, and after the
    cooling-off period the records office executes it (casetrail commits that itself: its git
    signs with the records officer's demo key)."""
    from casetrail.core import demoplan

    branch = f"destroy/{demoplan.DESTRUCTION_LIST}"
    if step.kind == "propose":
        office.git("switch", "-q", "-c", branch)
        office.run(["destroy", "propose", "--by", step.actor])
        office.commit(step.actor, step.message)
        office.git("switch", "-q", "main")
    elif step.kind == "approve":
        office.merge(step.actor, branch, step.message)
        office.git("branch", "-q", "-d", branch)
    else:
        _, identity = office._signed(step.actor)
        signing = {"GIT_CONFIG_COUNT": "3", "GIT_CONFIG_KEY_0": "gpg.format",
                   "GIT_CONFIG_VALUE_0": "ssh", "GIT_CONFIG_KEY_1": "user.signingkey",
                   "GIT_CONFIG_VALUE_1": str(office.keys / f"{step.actor}.ssh"),
                   "GIT_CONFIG_KEY_2": "commit.gpgsign", "GIT_CONFIG_VALUE_2": "true"}  # fmt: skip
        with _environment({**office._git_env(), **identity, **signing}):
            office.run(["destroy", "execute", demoplan.DESTRUCTION_LIST, "--by", step.actor])
        office.commits += 1


def _actor(office: Office, step: Step) -> str:
    from casetrail.core import demoplan

    assert step.case is not None or step.actor not in (demoplan.HANDLER, demoplan.OFFICER)
    if step.actor == demoplan.HANDLER:
        return office.handler(step.case)  # type: ignore[arg-type]
    if step.actor == demoplan.OFFICER:
        return office.officer(step.case)  # type: ignore[arg-type]
    return step.actor


def _message(office: Office, step: Step) -> str:
    from casetrail.core import demoplan

    case_id = office.ids.get(step.case, "") if step.case is not None else ""
    return step.message.replace(demoplan.ID, case_id)


def _command(office: Office, step: Step, command: Command) -> bool:
    """Run one command of the story; False when it no longer applies (an acknowledgement the
    reassignment after a leave already made)."""
    from casetrail.core import demoplan

    number = step.case
    args = list(command.args)
    if args[0] == "new":
        out = office.run([*args, "--format", "json"])
        assert number is not None
        office.ids[number] = Path(json.loads(out)["path"]).stem
        return True
    assert number is not None
    resolved: list[str] = []
    extra: list[str] = []
    for arg in args:
        if arg == demoplan.ID:
            arg = office.ids[number]
        elif arg == demoplan.HANDLER:
            arg = office.handler(number)
        elif arg == demoplan.OFFICER and args[0] == "ack":
            arg = office.officer(number)
        elif arg == demoplan.SUGGESTED:
            arg = office.ranked(number)[0]
        elif arg == demoplan.OFFICER:  # the top officer who is not the handler just chosen
            ranked = office.ranked(number, "resolution_officer")
            arg = next(p for p in ranked if p != resolved[resolved.index("--handler") + 1])
            if arg != ranked[0]:
                extra += ["--why-not-top", f"{ranked[0]} is the case's handler"]
        elif arg == demoplan.DOCUMENT:
            arg = str(_document(office, number))
        resolved.append(arg)
    resolved += extra
    if command.key:
        who = office.handler(number) if command.key == demoplan.HANDLER else command.key
        resolved += ["-i", str(office.keys / f"{who}.agekey")]
    if args[0] == "ack" and _acknowledged(office, number, resolved[resolved.index("--by") + 1]):
        return False
    office.run(resolved, command.stdin)
    return True


def _acknowledged(office: Office, number: int, who: str) -> bool:
    from casetrail.core import document
    from casetrail.shell import repo

    rel = f"cases/{office.ids[number][:4]}/{office.ids[number]}.md"
    parsed, _ = document.parse(*repo.read_case(office.records, rel))
    assert parsed is not None
    current = [a for a in parsed.front_matter.get("assignments", []) if "ended_at" not in a]
    return any(a["person"] == who and "acknowledged_at" in a for a in current)


def _document(office: Office, number: int) -> Path:
    """A fictional letter, written outside the records (plaintext never sits in the work tree)."""
    path = office.folder / "outside" / f"letter-{number}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"Fictional letter about case {office.ids[number]}.\nNo real person.\n")
    return path


def _closure(office: Office, step: Step) -> None:
    """The records office closes on close/<id> (the supervisor's merge is a later step)."""
    from casetrail.core import demoplan

    assert step.case is not None
    case_id = office.ids[step.case]
    branch = f"close/{case_id}"
    office.git("switch", "-q", "-c", branch)
    office.run(["close", case_id, "--by", demoplan.RECORDS, "--approved-by", step.approver,
                "-i", str(office.keys / "escrow.agekey")])  # fmt: skip
    office.commit(demoplan.RECORDS, _message(office, step))
    office.git("switch", "-q", "main")


def _merge(office: Office, step: Step) -> None:
    assert step.case is not None
    branch = f"close/{office.ids[step.case]}"
    office.merge(step.approver, branch, _message(office, step))
    office.git("branch", "-q", "-d", branch)


def _leave(office: Office, step: Step) -> None:
    """The records office records an absence in the roster (an edit and a commit, as in an
    office: no command writes the roster)."""
    from casetrail.core import demoplan

    who, first, last, reason = demoplan.LEAVE
    roster = office.records / "schema" / "roster.yaml"
    lines = roster.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == f"- handle: {who}")
    at = next(i for i in range(start, len(lines)) if lines[i].strip() == "availability:")
    entry = f'      - {{from: "{first}", until: "{last}", reason: {reason}}}\n'
    lines.insert(at + 1, entry)
    roster.write_text("".join(lines))
    office.commit(demoplan.RECORDS, step.message)


def _reassign(office: Office, step: Step) -> None:
    """Every open case of the person going on leave gets a new handler, with the reason; the
    new handler acknowledges."""
    from casetrail.core import demoplan

    who = demoplan.LEAVE[0]
    for number, case_id in sorted(office.ids.items()):
        facts = office.glance(number)
        if (
            facts["status"] not in ("assigned", "in_progress")
            or facts["team"].get("handler") != who
        ):
            continue
        supervisor = demoplan.SUPERVISOR[facts["type"]]
        # Whoever suggest ranks first apart from the person leaving, even outside their
        # expertise (in this roster only one handler knows issues): the reason says why.
        officer = facts["team"].get("resolution_officer")
        ranked = [p for p in office.ranked(number) if p != officer]
        new = next(p for p in ranked if p != who)
        why = ["--why-not-top", f"{who} goes on leave"] if new != ranked[0] else []
        office.run(["assign", case_id, "--by", supervisor, "--approved-by", supervisor,
                    "--handler", new, "--reason", f"{who} is on leave from {demoplan.LEAVE[1]}",
                    "--rationale", "free capacity and the right expertise", *why,
                    "-i", str(office.keys / f"{supervisor}.agekey")])  # fmt: skip
        office.commit(supervisor, f"Reassign {case_id} to {new}: {who} on leave")
        office.run(["ack", case_id, "--by", new])
        office.commit(new, f"{new} acknowledges {case_id}")


# ---- the office: folder, keys, first commits, stamp -------------------------------------------


def _inputs_digest(seed: int, cases: int) -> str:
    """What the office is made from: when none of it changed, the office is up to date."""
    digest = hashlib.sha256(f"{seed}:{cases}".encode())
    sources = sorted(PACKAGE.rglob("*.py")) + sorted((PROJECT / "schema").rglob("*"))
    for path in [*sources, PROJECT / "mkdocs.yml", *sorted((PROJECT / "site").rglob("*"))]:
        if path.is_file():
            digest.update(path.relative_to(PROJECT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _stamped(stamp: Path) -> object:
    """The inputs the office in the folder was made from (None if unknown or unreadable)."""
    try:
        recorded = json.loads(stamp.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return recorded.get("inputs") if isinstance(recorded, dict) else None


def _prepare(folder: Path) -> None:
    """An empty folder, or one this command made before (never someone else's files)."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise UserError(f"{folder} is not a folder this command can make an office in")
    if folder.exists() and any(folder.iterdir()):
        if not (folder / STAMP).is_file():
            raise UserError(
                f"{folder} exists and is not a demo office this command made; give a new folder"
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)


def _found(office: Office) -> None:
    """The records repository with the project's schema/, site/ and mkdocs.yml, the demo keys
    beside it, and its first two signed commits: the introduction (the trust root) and the
    policy naming it."""
    from casetrail.core import demoplan
    from casetrail.shell import index

    records = office.records
    records.mkdir()
    shutil.copytree(PROJECT / "schema", records / "schema")
    shutil.copytree(PROJECT / "site", records / "site")
    shutil.copy2(PROJECT / "mkdocs.yml", records / "mkdocs.yml")
    (records / "cases").mkdir()
    (records / "cases" / ".gitkeep").write_text("")
    (records / ".gitignore").write_text(".cache/\nbuild/\n")
    # What `casetrail setup` would add, committed once so that every clone diffs and merges
    # case files through casetrail.
    from casetrail.cli import gitdrivers

    note = "# casetrail setup: case files diff and merge through casetrail (see its README)"
    (records / ".gitattributes").write_text(
        "\n".join([note, *gitdrivers.missing_attributes("")]) + "\n"
    )
    # The records office keeps the per-case keys in a store outside the repository (in an
    # office: a folder on a shared drive); every case of the demo gets its own key.
    store = office.folder / "keystore"
    store.mkdir()
    policy = records / "schema" / "policy.yaml"
    policy.write_text(policy.read_text().replace("per_case_keys: false", "per_case_keys: true", 1))
    roster = records / "schema" / "roster.yaml"  # the demo office opened earlier than 2026
    roster.write_text(roster.read_text().replace("2026-01-05", demoplan.OPENED.date().isoformat()))
    office.keys.mkdir()
    for key in sorted(DEMO_KEYS.iterdir()):
        if key.suffix in (".agekey", ".ssh", ".pub"):
            shutil.copyfile(key, office.keys / key.name)
            (office.keys / key.name).chmod(0o600)
    config, _ = index.load_config(records)
    office.people = {h: (p.name, p.email) for h, p in config.roster.people.items()}
    with clock(demoplan.OPENED.isoformat()):
        office.git("init", "-q", "-b", "main")
        office.git("config", "casetrail.keyStore", "../keystore")  # moves with the office
        office.commit(demoplan.RECORDS, "Open the records repository: schema, roster, site")
        root = office.git("rev-parse", "HEAD").strip()
        policy = records / "schema" / "policy.yaml"
        policy.write_text(policy.read_text().replace("trust_root: null", f"trust_root: {root}", 1))
        office.commit(demoplan.RECORDS, "Policy: the first commit is the trust root")


@click.command()
@click.argument(
    "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("build/demo")
)
@click.option("--seed", type=int, default=None, help="Another story (default: the demo's own).")
@click.option("--force", is_flag=True, help="Make the office again even if it is up to date.")
@click.option("--cases", type=click.IntRange(12, 500), default=None, hidden=True)  # tests
@click.pass_context
def demo(ctx: click.Context, folder: Path, seed: int | None, force: bool, cases: int | None) -> int:
    """Make a fictional records office in FOLDER/records: about sixty cases over three months,
    every step a real casetrail command and a signed commit; then check and audit it.

    The same on every run; a second run finds it up to date. Uses the project's schema/ and the
    demo keys of tests/demo-keys-DO-NOT-USE (public on purpose: never for real records)."""
    from casetrail.core import demoplan
    from casetrail.shell import demoseed, repo
    from casetrail.shell.git import GitError

    if not (PROJECT / "schema").is_dir() or not DEMO_KEYS.is_dir():
        raise UserError("casetrail demo runs from a source checkout (schema/ and the demo keys)")
    if shutil.which("ssh-keygen") is None:
        raise UserError(
            "the demo signs every commit as git does, with ssh-keygen: install OpenSSH's client "
            "(Debian: apt-get install openssh-client)"
        )
    chosen = demoplan.SEED if seed is None else seed
    count = demoplan.CASES if cases is None else cases
    wanted = _inputs_digest(chosen, count)
    folder = folder.resolve()  # git runs inside the records: key paths must be absolute
    stamp = folder / STAMP
    if not force and _stamped(stamp) == wanted and (folder / "records" / ".git").is_dir():
        click.echo(f"The demo office in {folder / 'records'} is up to date.")
        return _verify(folder)
    _prepare(folder)
    # Marked as ours at once, so a run that stops half way can be made again.
    repo.atomic_write(stamp, json.dumps({"inputs": None, "state": "being made"}).encode() + b"\n")
    office = Office(folder)
    previous = os.environ.get(demoseed.SEED_VARIABLE)
    os.environ[demoseed.SEED_VARIABLE] = str(chosen)
    try:
        _found(office)
        steps = demoplan.plan(chosen, count)
        with click.progressbar(steps, label="Three months of office life", file=sys.stderr) as bar:
            for step in bar:
                play(office, step)
    except (DemoError, GitError) as error:
        raise UserError(f"the demo story failed (a bug in casetrail): {error}") from None
    finally:
        if previous is None:
            os.environ.pop(demoseed.SEED_VARIABLE, None)
        else:
            os.environ[demoseed.SEED_VARIABLE] = previous
    repo.atomic_write(
        stamp, json.dumps({"inputs": wanted, "commits": office.commits}).encode() + b"\n"
    )
    click.echo(f"{len(office.ids)} cases and {office.commits} signed commits in {office.records}")
    return _verify(folder)


def _verify(folder: Path) -> int:
    """`casetrail check`, `casetrail audit` and the site, as of the story's Monday morning."""
    from casetrail.cli.main import main
    from casetrail.core import demoplan

    records = folder / "records"
    with clock(demoplan.AS_OF.isoformat()):
        checked = main(["--root", str(records), "check"])
        audited = main(["--root", str(records), "audit", "--no-record"])
        built = _site(records, folder / "site")
    if max(checked, audited, built):
        return max(checked, audited, built)
    click.echo(
        f"\nThe demo office is in {records}/ (a git repository: try `git log --show-signature`)."
        f"\nIts site is in {folder / 'site'}/: open {folder / 'site' / 'index.html'}, or serve it"
        f" with\n  CASETRAIL_NOW={demoplan.AS_OF.isoformat()} CASETRAIL_SITE_ROOT={records}"
        " .venv/bin/mkdocs serve\n(`make serve` does that)."
    )
    return 0


def _site(records: Path, out: Path) -> int:
    """`mkdocs build --strict` of the office with its own mkdocs.yml, in this process."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    elsewhere = os.environ.pop("CASETRAIL_SITE_ROOT", None)  # this office's site, not another's
    try:
        build(load_config(str(records / "mkdocs.yml"), site_dir=str(out.resolve()), strict=True))
    except MkDocsException as error:
        click.echo(f"casetrail: the demo's site did not build: {error}", err=True)
        return 1
    finally:
        if elsewhere is not None:
            os.environ["CASETRAIL_SITE_ROOT"] = elsewhere
    return 0
