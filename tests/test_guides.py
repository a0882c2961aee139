"""The hand-written guides in site/guides/ stay true to the tool and to the SOPs.

- Every `casetrail ...` command line in them (fenced code and inline code) names a subcommand
  and options that exist on the real click group.
- Every finding code (CTnnn) they mention is one `casetrail rules` lists.
- sop-steps.md has rows for every SOP, covering every numbered section of each SOP text.
- Field paths written like `closure.lessons_learned` in sop-steps.md exist in schema/.

Each checker is also run on a deliberately wrong input, so a checker that finds nothing cannot
pass silently.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click
import pytest

from casetrail.cli.main import cli
from casetrail.core.rules import RULES

PROJECT = Path(__file__).resolve().parent.parent
GUIDES = PROJECT / "site" / "guides"
SOP_STEPS = GUIDES / "sop-steps.md"
SCHEMA = PROJECT / "schema"

# The numbered sections of each SOP text (../shared/sops/ beside the repository), as
# `sop_headings` reads them. Pinned here so the check also runs where the SOP texts are not
# present (CI); where they are, test_sop_snapshot_matches_texts keeps this list honest.
SOP_HEADINGS: dict[str, tuple[str, ...]] = {
    "000": ("1", "2", "3", "4", "5", "6", "7", "8"),
    "001": (
        "1",
        "2",
        "3",
        "4",
        "4.1",
        "4.2",
        "4.3",
        "4.4",
        "4.5",
        "4.6",
        "5",
        "6",
        "7",
    ),
    "002": ("1", "2", "3", "4", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "5", "6", "7"),
    "003": ("1", "2", "3", "4", "5", "6", "7"),
    "004": ("1", "2", "3", "4", "4.1", "4.2", "4.3", "4.4", "4.5", "5", "6", "7", "8", "9"),
}

# What the Status column of sop-steps.md may say (its legend explains each).
STATUSES = {"built", "partly", "process", "planned", "gap", "no step"}


def sops_dir() -> Path | None:
    given = os.environ.get("CASETRAIL_SOPS_DIR")
    folder = Path(given) if given else PROJECT.parent / "shared" / "sops"
    return folder if folder.is_dir() and any(folder.glob("[0-9][0-9][0-9]_*.txt")) else None


def guide_files() -> list[Path]:
    return sorted(GUIDES.glob("*.md"))


# ---- (1) command lines ----

FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
# Inline code that reads like a command but is not one: the CI jobs' names, which forges.md
# asks the reader to make required status checks.
NOT_COMMANDS = {"casetrail validate", "casetrail tests"}
REDIRECTS = {"<", ">", ">>", "2>", "&>", "<<<"}
OPERATORS = {"|", "||", "&&", ";", "&", "(", ")"}


def code_lines(markdown: str) -> Iterator[str]:
    """Each line of fenced code (continuation lines joined), then each inline code span."""
    for match in FENCE.finditer(markdown):
        yield from re.sub(r"\\\n", " ", match.group(2)).splitlines()
    prose = FENCE.sub("", markdown)
    for match in INLINE.finditer(prose):
        span = " ".join(match.group(2).split())
        if span not in NOT_COMMANDS:
            yield span


def is_casetrail(token: str) -> bool:
    return token == "casetrail" or token.endswith("/bin/casetrail")


def commands_in(line: str) -> Iterator[list[str]]:
    """The arguments of every casetrail command in one shell line (pipes and && split it)."""
    if "casetrail" not in line:
        return
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    tokens = list(lexer)
    segment: list[str] = []
    for token in [*tokens, ";"]:
        if token in OPERATORS or set(token) <= set("|&;()"):
            while segment and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", segment[0]):
                segment.pop(0)  # VAR=value before the command
            if segment and is_casetrail(segment[0]):
                yield segment[1:]
            segment = []
        else:
            segment.append(token)


def _options(command: click.Command) -> dict[str, click.Option]:
    found: dict[str, click.Option] = {}
    for param in command.params:
        if isinstance(param, click.Option):
            for name in (*param.opts, *param.secondary_opts):
                found[name] = param
    return found


def command_problems(args: list[str]) -> list[str]:
    """What is wrong with `casetrail ARGS`: an unknown subcommand or option ([] when fine)."""
    command: click.Command = cli
    context = click.Context(cli, info_name="casetrail")
    path = ["casetrail"]
    problems: list[str] = []
    index = 0
    while index < len(args):
        raw = args[index]
        index += 1
        if raw in REDIRECTS:
            index += 1  # and its file
            continue
        token = raw.strip("[]")
        if not token or token == "...":
            continue
        if token == "--":
            break
        if token.startswith("-") and token != "-":
            name = token.split("=", 1)[0]
            option = _options(command).get(name)
            if option is None and name not in ("-h", "--help"):
                problems.append(f"`{' '.join(path)}` has no option {name}")
            elif option is not None and not (option.is_flag or option.count or "=" in token):
                index += option.nargs  # skip its value
            continue
        if isinstance(command, click.Group):
            sub = command.get_command(context, token)
            if sub is None:
                problems.append(f"`{' '.join(path)}` has no subcommand {token!r}")
                break
            command = sub
            context = click.Context(sub, info_name=token, parent=context)
            path.append(token)
    return problems


def guide_commands() -> list[tuple[str, str, list[str]]]:
    found = []
    for path in guide_files():
        for line in code_lines(path.read_text(encoding="utf-8")):
            try:
                for args in commands_in(line):
                    found.append((path.name, line, args))
            except ValueError as error:  # unbalanced quotes: the line is broken as shell too
                found.append((path.name, line, [f"<unparsable: {error}>"]))
    return found


def test_guides_exist() -> None:
    names = {p.name for p in guide_files()}
    assert {
        "staff.md",
        "supervisors.md",
        "records-office.md",
        "auditors.md",
        "sop-steps.md",
    } <= names


def test_every_guide_command_exists() -> None:
    commands = guide_commands()
    assert len(commands) > 50, "the guides should show the commands they describe"
    problems = [
        f"{name}: {line!r}: {problem}"
        for name, line, args in commands
        for problem in (
            [args[0]] if args and args[0].startswith("<unparsable") else command_problems(args)
        )
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("casetrail asign 2026-7KQ4XMP", "has no subcommand 'asign'"),
        ("casetrail check --nope", "`casetrail check` has no option --nope"),
        ("casetrail followup finish 2026-7KQ4XMP F1", "has no subcommand 'finish'"),
        ('printf x | casetrail section set C "Notes" --by me', "has no option --by"),
        ("CASETRAIL_NOW=2026-11-23 casetrail overdue --for bkoch", "has no option --for"),
        ("casetrail close C --approved-by", ""),  # a missing value is not this test's business
        ("casetrail followup done C F2 --outcome '-5 days' --dry-run", ""),
        ("casetrail show C --attachment a.pdf.age --decrypt -i - > ~/letter.pdf", ""),
        ("casetrail --root ../records audit --permissions --format=json", ""),
        (".venv/bin/casetrail suggest C [--role resolution_officer]", ""),
    ],
)
def test_command_checker_catches_mistakes(line: str, expected: str) -> None:
    problems = [p for args in commands_in(line) for p in command_problems(args)]
    if expected:
        assert any(expected in p for p in problems), problems
    else:
        assert problems == []


def test_commands_are_found_in_fences_and_inline_code() -> None:
    markdown = (
        "Run `casetrail rules` or `casetrail validate` (a CI job's name).\n\n"
        "```sh\ncasetrail check \\\n  --strict   # every case\n"
        "git merge --no-ff -S close/2026-7KQ4XMP\n```\n\n"
        "- a list item\n\n    ```sh\n    casetrail chek\n    ```\n"
    )
    found = [args for line in code_lines(markdown) for args in commands_in(line)]
    assert found == [["check", "--strict"], ["chek"], ["rules"]]


# ---- (2) finding codes ----

CODE = re.compile(r"\bCT\d{3}\b")


def test_every_code_in_the_guides_exists() -> None:
    mentioned = {
        (path.name, code)
        for path in guide_files()
        for code in CODE.findall(path.read_text(encoding="utf-8"))
    }
    assert len({code for _, code in mentioned}) > 20
    unknown = sorted(f"{name}: {code}" for name, code in mentioned if code not in RULES)
    assert not unknown, "codes not listed by `casetrail rules`: " + ", ".join(unknown)


def test_code_list_is_the_rules_list() -> None:
    assert "CT321" in RULES and "CT811" in RULES  # a check rule and an audit rule
    assert "CT999" not in RULES


# ---- (3) every SOP section has a row ----

NUMBERED = re.compile(r"^(?:#{1,6} *)?(\d+(?:\.\d+)*)\.? +(\S.*)$")


def sop_headings(text: str) -> tuple[str, ...]:
    """The numbered sections of an SOP text, however it writes them.

    A line at the left margin (Markdown `#` allowed) numbered like `4.1` and a space is a
    section of the current or the next top-level section (a table row `1.0<TAB>2024-06-28` is
    not). A line numbered `N.` is the next top-level section when N follows the last one; a
    bold step (`1. **Case Assessment:**`) is a subsection of the current section (SOP 002 and
    004 number the steps of their §4 so); other numbered lines are list items in a section.
    """
    found: list[str] = []
    top = 0
    for line in text.splitlines():
        match = NUMBERED.match(line)
        if match is None:
            continue
        number, title = match.groups()
        if "." in number:
            if int(number.split(".")[0]) in (top, top + 1):
                found.append(number)
                top = int(number.split(".")[0])
        elif title.startswith("**") and top:
            found.append(f"{top}.{number}")
        elif int(number) == top + 1:
            top = int(number)
            found.append(number)
    return tuple(found)


def step_rows(markdown: str) -> Iterator[list[str]]:
    """The cells of each table row whose first cell names an SOP."""
    for line in markdown.splitlines():
        if line.startswith("|") and not re.fullmatch(r"\|[\s:|-]+\|?", line):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if re.match(r"SOP \d{3}\b", cells[0]):
                yield cells


def covered(markdown: str) -> dict[str, set[str]]:
    """SOP number -> the section numbers its rows name (`SOP 001 §4.5.1` names 4.5.1)."""
    sections: dict[str, set[str]] = {}
    for cells in step_rows(markdown):
        sop = cells[0][4:7]
        sections.setdefault(sop, set())
        for number in re.findall(r"§(\d+(?:\.\d+)*)", cells[0]):
            sections[sop].add(number)
    return sections


def missing_sections(
    markdown: str, headings: Mapping[str, tuple[str, ...]]
) -> list[tuple[str, str]]:
    rows = covered(markdown)
    missing = []
    for sop, numbers in headings.items():
        named = rows.get(sop, set())
        if not named:
            missing.append((sop, "(no row at all)"))
        for number in numbers:
            if not any(n == number or n.startswith(number + ".") for n in named):
                missing.append((sop, number))
    return missing


def test_sop_snapshot_matches_texts() -> None:
    folder = sops_dir()
    if folder is None:
        pytest.skip("the SOP texts (../shared/sops or $CASETRAIL_SOPS_DIR) are not here")
    parsed = {
        path.name[:3]: sop_headings(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("[0-9][0-9][0-9]_*.txt"))
    }
    assert parsed == SOP_HEADINGS, "the SOPs changed: update SOP_HEADINGS and sop-steps.md"


def test_every_sop_section_has_a_row() -> None:
    missing = missing_sections(SOP_STEPS.read_text(encoding="utf-8"), SOP_HEADINGS)
    assert not missing, "sop-steps.md has no row for: " + ", ".join(
        f"SOP {sop} §{number}" for sop, number in missing
    )


def test_every_step_row_has_a_known_status() -> None:
    rows = list(step_rows(SOP_STEPS.read_text(encoding="utf-8")))
    assert len(rows) > 80
    bad = [
        f"{cells[0]}: {cells[-1]!r}"
        for cells in rows
        if len(cells) != 4 or cells[-1].strip("*") not in STATUSES
    ]
    allowed = ", ".join(sorted(STATUSES))
    assert not bad, f"rows need 4 cells and a status from {allowed}:\n" + "\n".join(bad)


def test_section_checker_catches_a_missing_row() -> None:
    table = "| SOP 002 §4.1 | a | b | built |\n| SOP 002 §4.3.1 | a | b | gap |\n"
    headings = {"002": ("4", "4.1", "4.2", "4.3"), "004": ("1",)}
    assert missing_sections(table, headings) == [
        ("002", "4.2"),
        ("004", "(no row at all)"),
        ("004", "1"),
    ]
    text = "1. Purpose\n## 2. Scope\n3. Roles\n4. Procedure\n1. **Secure**\n - x\n2. **Data**\n"
    text += "5. Checklist\n1. Collect data\n - 3. Flag\n6. Review\n1.0\t2024-06-28\tJane\n"
    assert sop_headings(text) == ("1", "2", "3", "4", "4.1", "4.2", "5", "6")


# ---- (4) field paths in sop-steps.md ----

FIELD = re.compile(r"^[a-z_]+(?:\[\])?(?:\.[a-z0-9_]+(?:\[\])?)+$")
FILE_SUFFIXES = {"md", "yml", "yaml", "json", "j2", "txt", "toml", "lock", "py", "age", "sh"}


def load_schemas() -> list[dict[str, Any]]:
    return [
        json.loads((SCHEMA / name).read_text(encoding="utf-8"))
        for name in ("case.schema.json", "policy.schema.json", "roster.schema.json")
    ]


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def _children(
    schema: Mapping[str, Any], node: Mapping[str, Any], key: str
) -> list[Mapping[str, Any]]:
    node = _resolve(schema, node)
    found: list[Mapping[str, Any]] = []
    if key in node.get("properties", {}):
        found.append(node["properties"][key])
    found += [v for p, v in node.get("patternProperties", {}).items() if re.search(p, key)]
    if not found and isinstance(node.get("additionalProperties"), dict):
        found.append(node["additionalProperties"])
    for combined in ("allOf", "anyOf", "oneOf"):
        for option in node.get(combined, []):
            found += _children(schema, option, key)
    return found


def field_exists(path: str, schemas: list[dict[str, Any]]) -> bool:
    """`closure.checklist[].done_by` exists in one of the schemas ([] steps into a list)."""
    parts = path.split(".")
    for schema in schemas:
        if parts[0].removesuffix("[]") not in schema.get("properties", {}):
            continue
        nodes: list[Mapping[str, Any]] = [schema]
        for part in parts:
            key, into_list = part.removesuffix("[]"), part.endswith("[]")
            nodes = [child for node in nodes for child in _children(schema, node, key)]
            if into_list:
                nodes = [_resolve(schema, n).get("items") for n in nodes]
                nodes = [n for n in nodes if n is not None]
        if nodes:
            return True
    return False


def field_paths(markdown: str) -> set[str]:
    spans = {" ".join(m.group(2).split()) for m in INLINE.finditer(FENCE.sub("", markdown))}
    return {
        span for span in spans if FIELD.match(span) and span.rsplit(".", 1)[-1] not in FILE_SUFFIXES
    }


def test_field_paths_in_sop_steps_exist() -> None:
    schemas = load_schemas()
    paths = field_paths(SOP_STEPS.read_text(encoding="utf-8"))
    assert len(paths) > 20, "sop-steps.md names fields as dotted paths"
    unknown = sorted(p for p in paths if not field_exists(p, schemas))
    assert not unknown, "not in schema/: " + ", ".join(unknown)


def test_field_checker_catches_a_typo() -> None:
    schemas = load_schemas()
    assert field_exists("closure.lessons_learned", schemas)
    assert field_exists("assignments[].acknowledged_at", schemas)
    assert field_exists("priorities.high.resolution", schemas)
    assert field_exists("case_types.complaint.retention", schemas)
    assert field_exists("people[].availability", schemas)
    assert not field_exists("closure.lesson_learned", schemas)
    assert not field_exists("assignments[].acknowledged", schemas)
    assert not field_exists("priorities.urgent.resolution", schemas)
    assert field_paths("`closure.outcome`, `mkdocs.yml`, `casetrail check`") == {"closure.outcome"}
