"""Reading README.md's shell blocks for tests/test_readme.py: pure functions, no I/O.

The README shows commands in fenced ```sh blocks. Each block is preceded by an HTML comment
(hidden when the README is rendered) that says where its commands run:

    <!-- readme: cwd=clone as=bkoch given=~/Downloads/letter.pdf -->
    ```sh
    casetrail show 2026-5WXFQHD --section Parties --decrypt
    casetrail show 2026-2NNQE6N --section Parties --decrypt   # refused (exit 2): closed
    ```

Options (space-separated `key=value`, shell quoting allowed):

- `cwd=project`: the project folder (a scratch one holding the Makefile, `.venv` and `build/demo`).
- `cwd=clone`: a fresh clone of the demo office (`build/demo/records`).
- `as=HANDLE` (with `cwd=clone`): that clone set up as a person of the roster: git `user.name`
  and `user.email`, their SSH key in `~/.ssh/id_ed25519`, their age key in
  `~/.config/casetrail/keys.txt`, and `casetrail setup` run.
- `session=NAME`: blocks of one session are one terminal, run in README order: the working
  directory and exported variables carry over from block to block. The first block of a session
  gives `cwd` (and `as`); later ones give neither.
- `given=PATH[,PATH...]`: files the test makes before the block (a short stand-in document);
  `~/` is the block's home.
- `needs=PROGRAM[,PROGRAM...]`: programs outside Python the block needs (the Debian package
  `age`); without them the test skips and says why.

A command is a line of the block with continuation lines (ending in a backslash) joined and the
comment stripped; blank and comment-only lines are not commands. Every command must exit 0, except
one whose comment says `refused (exit N)`: a refusal shown on purpose, which must exit N (1 or 2).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})\s*(?P<lang>[^\s`]*)\s*$")  # also indented
OPTIONS = re.compile(r"^<!--\s*readme:(?P<body>.*?)-->\s*$")
REFUSED = re.compile(r"\brefused \(exit (?P<code>\d+)\)")
EXIT_MENTION = re.compile(r"\(exit \d+\)")
KEYS = frozenset({"cwd", "as", "session", "given", "needs"})
PLACES = frozenset({"project", "clone"})
SHELL_LANGS = frozenset({"bash", "shell", "console", "zsh", "shell-session", "sh-session", "ksh"})
# A line starting with one of these in a block that is not ```sh is a command the tests would miss.
COMMAND_WORDS = frozenset({"casetrail", "git", "make", "age", "age-keygen", "mkdocs", "pytest"})


@dataclass(frozen=True)
class Command:
    line: int  # README line where the command starts (1-based)
    text: str  # what runs: continuation lines joined, comment stripped
    comment: str
    expect_exit: int  # 0, or the exit code of a refusal shown on purpose


@dataclass(frozen=True)
class Block:
    line: int  # the opening fence's line (1-based)
    options: Mapping[str, str]
    commands: tuple[Command, ...]

    @property
    def cwd(self) -> str | None:
        return self.options.get("cwd")

    @property
    def person(self) -> str | None:
        return self.options.get("as")

    @property
    def session(self) -> str | None:
        return self.options.get("session")

    def listed(self, key: str) -> tuple[str, ...]:
        value = self.options.get(key, "")
        return tuple(item for item in value.split(",") if item)


@dataclass(frozen=True)
class Unit:
    """What one test runs: a session's blocks in order, or one block on its own."""

    name: str
    blocks: tuple[Block, ...]

    @property
    def commands(self) -> tuple[Command, ...]:
        return tuple(c for b in self.blocks for c in b.commands)


@dataclass
class Readme:
    blocks: list[Block] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sh_fences: list[int] = field(default_factory=list)  # every ```sh fence's line, run or not


def split_comment(text: str) -> tuple[str, str]:
    """The command and its comment: `#` at the start of a word, outside quotes, as sh reads it."""
    quote = ""
    i = 0
    while i < len(text):
        char = text[i]
        if quote == "'":
            if char == "'":
                quote = ""
        elif quote == '"':
            if char == "\\":
                i += 1
            elif char == '"':
                quote = ""
        elif char == "\\":
            i += 1
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or text[i - 1].isspace()):
            return text[:i].rstrip(), text[i + 1 :].strip()
        i += 1
    if quote:
        raise ValueError(f"unterminated {quote} quote")
    return text.rstrip(), ""


def commands(body: Iterable[tuple[int, str]]) -> tuple[list[Command], list[str]]:
    """The commands of a block's lines (line number, text), and what is wrong with them."""
    found: list[Command] = []
    problems: list[str] = []
    start = 0
    pending: list[str] = []
    for number, raw in body:
        if not pending:
            start = number
        stripped = raw.rstrip()
        if stripped.endswith("\\") and not stripped.lstrip().startswith("#"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped.strip())
        joined = " ".join(part for part in pending if part)
        pending = []
        try:
            text, comment = split_comment(joined)
        except ValueError as error:
            problems.append(f"README.md:{start}: {error} (a quoted string cannot span lines here)")
            continue
        if not text:
            continue
        if text.startswith("$ "):
            problems.append(f"README.md:{start}: no prompts in ```sh blocks: {text}")
            continue
        if "<<" in text:
            problems.append(f"README.md:{start}: here-documents are not supported: {text}")
            continue
        expect = 0
        refused = REFUSED.search(comment)
        if refused:
            expect = int(refused["code"])
            if expect not in (1, 2):
                problems.append(f"README.md:{start}: a refusal exits 1 or 2, not {expect}: {text}")
        elif EXIT_MENTION.search(comment):
            problems.append(
                f"README.md:{start}: an exit code in a comment must read 'refused (exit N)': {text}"
            )
        found.append(Command(start, text, comment, expect))
    if pending:
        problems.append(f"README.md:{start}: the block ends inside a continued line")
    return found, problems


def parse_options(body: str, line: int) -> tuple[dict[str, str], list[str]]:
    problems: list[str] = []
    options: dict[str, str] = {}
    try:
        words = shlex.split(body)
    except ValueError as error:
        return options, [f"README.md:{line}: readme options: {error}"]
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not value:
            problems.append(f"README.md:{line}: readme option {word!r} is not key=value")
        elif key not in KEYS:
            problems.append(f"README.md:{line}: unknown readme option {key!r}")
        elif key in options:
            problems.append(f"README.md:{line}: readme option {key!r} given twice")
        else:
            options[key] = value
    if "cwd" in options and options["cwd"] not in PLACES:
        problems.append(f"README.md:{line}: cwd must be one of {sorted(PLACES)}")
    if "as" in options and options.get("cwd") != "clone":
        problems.append(f"README.md:{line}: as= needs cwd=clone (a clone set up as that person)")
    return options, problems


def parse(text: str) -> Readme:
    """Every fenced block of the README: the ```sh ones with their options and commands, and
    every way the README breaks the convention."""
    readme = Readme()
    lines = text.splitlines()
    i = 0
    pending_options: tuple[int, str] | None = None
    while i < len(lines):
        line = lines[i]
        options_match = OPTIONS.match(line.strip())
        if options_match:
            if pending_options is not None:
                readme.problems.append(
                    f"README.md:{pending_options[0]}: readme options not followed by a ```sh block"
                )
            pending_options = (i + 1, options_match["body"])
            i += 1
            continue
        fence = FENCE.match(line)
        if not fence:
            if line.strip() and pending_options is not None:
                readme.problems.append(
                    f"README.md:{pending_options[0]}: readme options not followed by a ```sh block"
                )
                pending_options = None
            i += 1
            continue
        opener, lang, start = fence["fence"], fence["lang"], i + 1
        closing = re.compile(rf"^\s*{re.escape(opener[0])}{{{len(opener)},}}\s*$")
        body: list[tuple[int, str]] = []
        i += 1
        while i < len(lines) and not closing.match(lines[i]):
            body.append((i + 1, lines[i]))
            i += 1
        if i == len(lines):
            readme.problems.append(f"README.md:{start}: the fence is never closed")
        i += 1  # past the closing fence
        if lang == "sh":
            readme.sh_fences.append(start)
            if pending_options is None:
                readme.problems.append(
                    f"README.md:{start}: a ```sh block needs a '<!-- readme: ... -->' line before "
                    "it saying where it runs (see tests/readmekit.py)"
                )
                continue
            options, problems = parse_options(pending_options[1], pending_options[0])
            found, more = commands(body)
            readme.problems.extend(problems + more)
            if not found:
                readme.problems.append(f"README.md:{start}: a ```sh block without a command")
            readme.blocks.append(Block(start, options, tuple(found)))
        else:
            if pending_options is not None:
                readme.problems.append(
                    f"README.md:{pending_options[0]}: readme options before a ```{lang} block"
                )
            if lang.lower() in SHELL_LANGS:
                readme.problems.append(
                    f"README.md:{start}: a ```{lang} block: write commands in ```sh blocks, which "
                    "tests/test_readme.py runs"
                )
            for number, content in body:
                first = content.split(maxsplit=1)[0] if content.strip() else ""
                if first in COMMAND_WORDS or first.startswith(".venv/"):
                    readme.problems.append(
                        f"README.md:{number}: a command in a ```{lang or '(plain)'} block, where "
                        f"tests/test_readme.py does not run it: {content.strip()}"
                    )
        pending_options = None
    if pending_options is not None:
        readme.problems.append(
            f"README.md:{pending_options[0]}: readme options not followed by a ```sh block"
        )
    readme.problems.extend(session_problems(readme.blocks))
    return readme


def session_problems(blocks: Iterable[Block]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for block in blocks:
        name = block.session
        if name is None or name not in seen:
            if block.cwd is None:
                problems.append(f"README.md:{block.line}: the block needs cwd=project or cwd=clone")
            if name is not None:
                seen.add(name)
        elif block.cwd is not None or block.person is not None:
            problems.append(
                f"README.md:{block.line}: session {name!r} continues here: cwd= and as= belong "
                "to its first block"
            )
    return problems


def units(blocks: Iterable[Block]) -> list[Unit]:
    """Sessions in the order of their first block, each other block on its own."""
    order: list[str] = []
    grouped: dict[str, list[Block]] = {}
    for block in blocks:
        key = f"session-{block.session}" if block.session else f"block-line-{block.line}"
        if key not in grouped:
            order.append(key)
            grouped[key] = []
        grouped[key].append(block)
    return [Unit(key, tuple(grouped[key])) for key in order]
