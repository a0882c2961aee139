"""Every command in README.md runs as written, so the README cannot drift from the tool.

tests/readmekit.py extracts every fenced ```sh block with the `<!-- readme: ... -->` line before it
(where the block runs: the project folder or a clone of the demo office, as which person, which
blocks form one terminal session; see its docstring). Each command runs in bash exactly as the
README shows it (continuation lines joined, the comment stripped), in order within its block, with:

- a scratch project folder: the Makefile, `requirements.lock`, `pyproject.toml` and `.venv` of this
  checkout (links), and `build/demo` made by the README's own `make demo`, starting from a copy of
  this checkout's `build/demo` when that is a finished, untouched office (a few seconds), else from
  nothing (about a minute). The office is deterministic, so the README's case ids are its ids;
- `HOME` a fresh folder per test, `PATH` with `.venv/bin` first (and `PYTHONPATH` this checkout's
  `tooling/`, which is what the virtualenv's editable install points at anyway), `CASETRAIL_NOW`
  the demo office's Monday morning, no git, casetrail or editor settings from outside;
- `EDITOR` a scripted editor (`casetrail edit` cannot wait for a person): it adds a line to the
  case's Progress notes and saves;
- a clone of the demo office for `cwd=clone`, set up as the person of `as=`.

Every command must exit 0, or the exit code its `refused (exit N)` comment names, never with a
traceback. The few lines that cannot run inside a test are listed in NOT_RUN with the reason and
a command that checks them another way; EXPECT adds what some commands must print. A ```sh block
the convention does not cover, a command hidden in another kind of block, or a case id the demo
office does not have fails the module.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import readmekit
from readmekit import Block, Command, Unit

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent.parent
README = PROJECT / "README.md"
VENV_BIN = PROJECT / ".venv" / "bin"
NOW = "2026-11-23T10:00:00+01:00"  # the demo office's Monday morning
LINKED = ("Makefile", "requirements.lock", "pyproject.toml", ".venv")
CASE_ID = re.compile(r"\b(?:19|20)\d\d-[0-9A-HJKMNP-TV-Z]{7}\b")
GIVEN_TEXT = b"%PDF-1.4\n% a stand-in document made by tests/test_readme.py\n"
EDITOR_NOTE = "2026-11-23: called the complainant back (the README test's editor)."


@dataclass(frozen=True)
class Substitute:
    reason: str  # why the line cannot run inside a test
    command: str  # what runs instead, in the same place
    expect: tuple[str, ...]  # what its output must contain


# Lines of the README that never run here, each checked another way.
NOT_RUN: dict[str, Substitute] = {
    "make test": Substitute(
        "runs the whole suite, this test included, for minutes",
        "make -n test",
        ("ruff check", "mypy", "pytest"),
    ),
    "make serve": Substitute(
        "serves the site until interrupted (and takes a port)",
        "make -n serve",
        ("casetrail demo build/demo", "CASETRAIL_SITE_ROOT=build/demo/records", "mkdocs serve"),
    ),
}

# What some commands must print (stdout and stderr together), beyond exiting as they should:
# (the command as run, its expected exit code) -> text its output holds.
EXPECT: dict[tuple[str, int], tuple[str, ...]] = {
    ("make demo", 0): ("The demo office is in",),
    ('casetrail setup --signing-key "$DEMO/keys/amartin.ssh" --key-store "$DEMO/keystore"', 0): (
        "user.signingkey",
        "key store",
    ),
    ('casetrail verify "$CASE"', 2): ("four eyes",),
    ('casetrail verify "$CASE"', 0): ("intake verified by fweber",),
    ('casetrail show "$CASE"', 0): ("[encrypted for 1 recipient]",),
    ('casetrail show "$CASE" --section Parties --decrypt', 0): ("Jane Roe",),
    ("git log --show-signature -1", 0): (
        'Good "git" signature for amartin@demo.casetrail.invalid',
    ),
    ("git log -p main..origin/intake/$CASE", 0): (
        "; decrypted: revision 2,",
        "Jane Roe",
        EDITOR_NOTE,
    ),
    ("env -u CASETRAIL_AGE_KEY_FILE git log -p main..origin/intake/$CASE", 0): ("; no key here]",),
    ('git merge --no-ff -S "intake/$CASE" -m "Merge intake/$CASE"', 0): ("Merge made",),
    ("casetrail audit --permissions", 0): (" 0 errors", "Who can decrypt"),
    ('casetrail log "$CASE"', 0): ("good, signed by amartin", "good, signed by fweber"),
    ("casetrail destroy status", 0): ("DL-2026-11-09-1  executed",),
    ("casetrail show 2024-9G8A5JG", 0): ("schema: casetrail-tombstone/1", "key: erased"),
    ("CASETRAIL_KEY_STORE=$DEMO/keystore casetrail keys status", 0): (
        "2024-9G8A5JG  destroyed, key erased",
    ),
    ("casetrail show 2026-5Y84VCV --section Parties --decrypt", 2): (
        "no decryption key was found",
    ),
    ("casetrail show 2026-5WXFQHD", 0): ("[encrypted for 1 recipient]",),
    ("casetrail show 2026-5WXFQHD --section Parties --decrypt", 0): ("S1: ",),
    (
        "awk '/^## Parties/{f=1;next} f&&/BEGIN AGE/{p=1} p{print} /END AGE/{if(p)exit}' "
        "cases/2026/2026-5WXFQHD.md | age -d -i ~/case.key",
        0,
    ): ("casetrail-section/1\ncase: 2026-5WXFQHD\nsection: Parties\n",),
    ("casetrail show 2026-2NNQE6N --section Parties --decrypt", 2): ("the reader was removed",),
    ("casetrail rekey --all --dry-run", 0): ("0 failed",),
}


def read_readme() -> readmekit.Readme:
    return readmekit.parse(README.read_text(encoding="utf-8"))


PARSED = read_readme()
UNITS = readmekit.units(PARSED.blocks)


# ---- the environment -------------------------------------------------------------------------


def environment(home: Path, editor: Path) -> dict[str, str]:
    """The outside environment without anything that would change what the commands do."""
    dropped_prefixes = ("GIT_", "CASETRAIL_", "XDG_", "SSH_", "PYTEST_", "MAKE")
    dropped = {"VISUAL", "EDITOR", "MFLAGS", "VIRTUAL_ENV", "PYTHONPATH", "PAGER", "LESS", "BASH_ENV", "ENV", "CDPATH", "NO_MKDOCS_2_WARNING"}  # fmt: skip
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(dropped_prefixes) and key not in dropped
    }
    env.update(
        HOME=str(home),
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        PYTHONPATH=str(PROJECT / "tooling"),  # this checkout's casetrail, as the virtualenv's is
        CASETRAIL_NOW=NOW,
        GIT_CONFIG_NOSYSTEM="1",
        EDITOR=f"{shlex.quote(sys.executable)} {shlex.quote(str(editor))}",
        LC_ALL="C.UTF-8",
    )
    return env


EDITOR_SCRIPT = f'''"""The README test's editor: adds a line to Progress notes, as a person would."""
import sys

path = sys.argv[1]
with open(path, encoding="utf-8") as handle:
    text = handle.read()
end = "<!-- casetrail:end encrypted section: Progress notes -->"
if end not in text:
    sys.exit("README test editor: this case has no Progress notes section")
with open(path, "w", encoding="utf-8") as handle:
    handle.write(text.replace(end, {EDITOR_NOTE!r} + "\\n" + end, 1))
'''


@dataclass
class Done:
    code: int
    out: str
    err: str


class Terminal:
    """One shell session: each command runs in a new bash, starting where the last one ended,
    with the variables it exported."""

    def __init__(self, cwd: Path, env: dict[str, str], state: Path) -> None:
        self.cwd = cwd
        self.env = env
        self.state = state
        state.mkdir(parents=True, exist_ok=True)

    def run(self, text: str, timeout: float = 300) -> Done:
        where, names = self.state / "cwd", self.state / "env"
        for path in (where, names):
            path.unlink(missing_ok=True)
        script = (
            f"cd -- {shlex.quote(str(self.cwd))} || exit 97\n"
            f"{text}\n"
            "__readme_status=$?\n"
            f"pwd > {shlex.quote(str(where))}\n"
            f"env -0 > {shlex.quote(str(names))}\n"
            "exit $__readme_status\n"
        )
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-o", "pipefail", "-c", script],
            env=self.env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
        if where.is_file():
            self.cwd = Path(where.read_text().strip())
        if names.is_file():
            pairs = (item.partition("=") for item in names.read_text().split("\0") if item)
            self.env = {
                key: value for key, _, value in pairs if key not in {"_", "SHLVL", "PWD", "OLDPWD"}
            }
        return Done(done.returncode, done.stdout, done.stderr)


def git(*args: str, cwd: Path, env: dict[str, str]) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    ).stdout


# ---- the scratch project with the demo office --------------------------------------------------


def finished_office(folder: Path, env: dict[str, str]) -> bool:
    """This checkout's build/demo, if `casetrail demo` finished it and nobody changed it since
    (make demo may still find it out of date and make it again)."""
    stamp, records = folder / "demo-stamp.json", folder / "records"
    if not stamp.is_file() or not (records / ".git").is_dir():
        return False
    try:
        made = json.loads(stamp.read_text())
        count = int(git("rev-list", "--count", "HEAD", cwd=records, env=env))
        dirty = git("status", "--porcelain", "--untracked-files=all", cwd=records, env=env)
    except (ValueError, subprocess.CalledProcessError):
        return False
    return bool(made.get("inputs")) and made.get("commits") == count and not dirty


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("readme")
    (root / "editor.py").write_text(EDITOR_SCRIPT)
    return root


@pytest.fixture(scope="module")
def project(scratch: Path) -> Path:
    """A project folder whose build/demo holds the demo office, made by `make demo`."""
    folder = scratch / "project"
    folder.mkdir()
    for name in LINKED:
        (folder / name).symlink_to(PROJECT / name)
    home = scratch / "project-home"
    home.mkdir()
    env = environment(home, scratch / "editor.py")
    # make here must never reinstall into the shared virtualenv (pip -e would point it here).
    fresh = subprocess.run(["make", "-q", ".venv/.installed"], cwd=folder, env=env, check=False)
    if fresh.returncode != 0:
        pytest.fail("the virtualenv is out of date: run `make test` (or `make demo`) first")
    if finished_office(PROJECT / "build" / "demo", env):
        try:
            shutil.copytree(PROJECT / "build" / "demo", folder / "build" / "demo", symlinks=True)
        except (OSError, shutil.Error):  # someone is making it again right now: make our own
            shutil.rmtree(folder / "build", ignore_errors=True)
    made = Terminal(folder, env, scratch / "project-state").run("make demo", timeout=900)
    assert made.code == 0 and "Traceback" not in made.err, made.out[-3000:] + made.err[-3000:]
    return folder


def clone(project: Path, where: Path, person: str | None, env: dict[str, str]) -> Path:
    """A fresh clone of the demo office; with a person, set up as they would set up theirs."""
    office = project / "build" / "demo"
    git("clone", "-q", str(office / "records"), str(where), cwd=where.parent, env=env)
    if person is None:
        return where
    roster = yaml.safe_load((where / "schema" / "roster.yaml").read_text())
    entry = next((p for p in roster["people"] if p["handle"] == person), None)
    assert entry is not None, f"as={person}: not a person of the demo office's roster"
    home = Path(env["HOME"])
    ssh = home / ".ssh"
    ssh.mkdir(mode=0o700, exist_ok=True)
    shutil.copyfile(office / "keys" / f"{person}.ssh", ssh / "id_ed25519")
    shutil.copyfile(office / "keys" / f"{person}.ssh.pub", ssh / "id_ed25519.pub")
    (ssh / "id_ed25519").chmod(0o600)
    keys = home / ".config" / "casetrail" / "keys.txt"
    keys.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(office / "keys" / f"{person}.agekey", keys)
    keys.chmod(0o600)
    git("config", "user.name", entry["name"], cwd=where, env=env)
    git("config", "user.email", entry["email"], cwd=where, env=env)
    setup = subprocess.run(
        ["casetrail", "setup", "--key-store", str(office / "keystore")],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    return where


def make_given(block: Block, terminal: Terminal) -> None:
    for name in block.listed("given"):
        path = (
            Path(terminal.env["HOME"]) / name[2:] if name.startswith("~/") else terminal.cwd / name
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(GIVEN_TEXT)


def check(command: Command, done: Done, shown: str) -> None:
    transcript = (
        f"README.md:{command.line}: {shown}\nexit {done.code}\n"
        f"--- stdout\n{done.out[-4000:]}\n--- stderr\n{done.err[-4000:]}"
    )
    assert "Traceback" not in done.out + done.err, transcript
    assert done.code == command.expect_exit, transcript
    for needle in EXPECT.get((command.text, command.expect_exit), ()):
        assert needle in done.out + done.err, f"expected {needle!r} in the output\n{transcript}"


# ---- the tests -------------------------------------------------------------------------------


def test_the_readme_keeps_the_convention() -> None:
    """Every ```sh block says where it runs, no command hides in another kind of block, and the
    lists of this module name only lines the README has."""
    assert PARSED.problems == []
    assert [b.line for b in PARSED.blocks] == PARSED.sh_fences
    covered = [b.line for unit in UNITS for b in unit.blocks]
    assert sorted(covered) == PARSED.sh_fences, "every ```sh block is run by exactly one test"
    texts = {c.text for b in PARSED.blocks for c in b.commands}
    assert set(NOT_RUN) <= texts, set(NOT_RUN) - texts
    shown = {(c.text, c.expect_exit) for b in PARSED.blocks for c in b.commands}
    assert set(EXPECT) <= shown, set(EXPECT) - shown
    assert "make demo" in texts and "make test" in texts  # the two commands lead the README


def test_the_convention_checker_finds_what_it_should() -> None:
    """Each rule of readmekit on a wrong input, so an empty problem list means something."""
    wrong = "\n".join([
        "```sh", "casetrail check", "```",  # no options line
        "<!-- readme: cwd=desk -->", "```sh", "casetrail check", "```",  # unknown place
        "<!-- readme: cwd=project as=bkoch -->", "```sh", "make demo", "```",  # as= without clone
        "<!-- readme: cwd=clone colour=red -->", "```sh", "git status", "```",  # unknown key
        "```bash", "casetrail audit", "```",  # another shell language
        "```", "git log --oneline", "```",  # a command in a plain block
        "<!-- readme: cwd=clone -->", "```sh", "casetrail show X   # refused (exit 3)", "```",
        "<!-- readme: cwd=clone -->", "```sh", "casetrail show X   # fails (exit 1)", "```",
        "<!-- readme: cwd=clone -->", "```sh", "cat <<EOF", "```",  # here-document
        "<!-- readme: cwd=clone -->", "```sh", "$ casetrail check", "```",  # a prompt
        "<!-- readme: session=s -->", "```sh", "true", "```",  # a session without a cwd
        "<!-- readme: session=t cwd=clone -->", "```sh", "true", "```",
        "<!-- readme: session=t cwd=clone -->", "```sh", "true", "```",  # cwd again
        "<!-- readme: cwd=clone -->", "```sh", "# only a comment", "```",
        "<!-- readme: cwd=clone -->", "Some prose.",  # options before no block
        "<!-- readme: cwd=clone -->", "```sh", "echo 'unterminated", "```",
        "- a list item:", "", "  ```sh", "  git status", "  ```",  # indented, still needs options
    ])  # fmt: skip
    parsed = readmekit.parse(wrong)
    problems = "\n".join(parsed.problems)
    assert len(parsed.sh_fences) == 14, parsed.sh_fences  # every ```sh fence is seen
    for fragment in (
        "needs a '<!-- readme",
        "cwd must be one of",
        "as= needs cwd=clone",
        "unknown readme option 'colour'",
        "a ```bash block",
        "a command in a ```(plain) block",
        "a refusal exits 1 or 2, not 3",
        "must read 'refused (exit N)'",
        "here-documents",
        "no prompts",
        "the block needs cwd=",
        "session 't' continues here",
        "without a command",
        "not followed by a ```sh block",
        "unterminated",
    ):
        assert fragment in problems, fragment


def test_commands_are_read_as_sh_reads_them() -> None:
    parsed = readmekit.parse(
        "<!-- readme: cwd=clone -->\n```sh\n"
        'casetrail new --title "Case #3 isn\'t late"   # a comment\n'
        "printf 'a\\n' \\\n  | casetrail section set X Parties   # refused (exit 2): why\n"
        "   # a comment line\n"
        "echo $# ok\n```\n"
    )
    assert parsed.problems == []
    (block,) = parsed.blocks
    assert [(c.line, c.text, c.expect_exit) for c in block.commands] == [
        (3, 'casetrail new --title "Case #3 isn\'t late"', 0),
        (4, "printf 'a\\n' | casetrail section set X Parties", 2),
        (7, "echo $# ok", 0),
    ]


def test_case_ids_in_the_readme_are_the_demo_office_s(project: Path) -> None:
    office = project / "build" / "demo" / "records" / "cases"
    mentioned = set(CASE_ID.findall(README.read_text(encoding="utf-8")))
    assert mentioned, "the README names real cases of the demo office"
    missing = sorted(i for i in mentioned if not (office / i[:4] / f"{i}.md").is_file())
    assert missing == [], f"not cases of the demo office: {missing}"


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_readme_commands_run_as_written(
    unit: Unit, project: Path, scratch: Path, tmp_path: Path
) -> None:
    first = unit.blocks[0]
    for block in unit.blocks:
        for program in block.listed("needs"):
            if shutil.which(program) is None:
                pytest.skip(
                    f"README.md:{block.line} needs {program!r}, which is not installed "
                    "(.ci/run installs the Debian package)"
                )
    home = tmp_path / "home"
    home.mkdir()
    env = environment(home, scratch / "editor.py")
    if first.cwd == "project":
        start = project
    else:
        start = clone(project, tmp_path / "clone", first.person, env)
    terminal = Terminal(start, env, tmp_path / "state")
    for block in unit.blocks:
        make_given(block, terminal)
        for command in block.commands:
            substitute = NOT_RUN.get(command.text)
            if substitute is not None:
                done = terminal.run(substitute.command)
                shown = f"{command.text}  (not run: {substitute.reason}; ran {substitute.command})"
                check(Command(command.line, substitute.command, "", 0), done, shown)
                for needle in substitute.expect:
                    assert needle in done.out, f"{shown}: expected {needle!r}\n{done.out}"
                continue
            done = terminal.run(command.text, timeout=900 if command.text == "make demo" else 300)
            check(command, done, command.text)
