"""The text `casetrail edit` puts in front of an editor, and reading it back. Pure.

The view is the case file with each encrypted block replaced by its plaintext between marker
lines, under a short notice (and, after an invalid save, the findings). Marker lines, not
headings, delimit the plaintext, so a note may hold any text, headings included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

NOTICE_START = "<!-- casetrail edit"
NOTICE_END = "-->"
_BEGIN = "<!-- casetrail:begin encrypted section: {} -->"
_END = "<!-- casetrail:end encrypted section: {} -->"
_MARKER = re.compile(r"^<!-- casetrail:(begin|end) encrypted section: (.+) -->$")


class ViewError(ValueError):
    """The saved view cannot be read back; the message says which marker is wrong."""


@dataclass(frozen=True, slots=True)
class Saved:
    text: str  # the case file with each region replaced by the section's current block
    texts: dict[str, str]  # section title -> plaintext as saved


def notice(case_id: str, findings: Iterable[str] = ()) -> str:
    lines = [
        f"{NOTICE_START} of case {case_id}: text between the 'casetrail:begin' and",
        "'casetrail:end' lines is encrypted when you save; keep those lines as they are.",
        "To abandon the edit, quit without saving. This notice is removed on save.",
    ]
    found = list(findings)
    if found:
        lines += ["", "The last save was not written; fix these and save again:", *found]
    return "\n".join(lines).replace("-->", "- ->") + f"\n{NOTICE_END}\n"


def render(text: str, blocks: Mapping[str, str], plaintexts: Mapping[str, str], header: str) -> str:
    """`text` (a case file) with each section's armored block swapped for its plaintext."""
    for title, block in blocks.items():
        plain = plaintexts[title]
        if any(_MARKER.match(line) for line in plain.split("\n")):
            raise ViewError(
                f"section '{title}' holds a casetrail marker line; edit it with "
                "'casetrail section set' instead"
            )
        region = f"{_BEGIN.format(title)}\n{plain.rstrip(chr(10))}\n{_END.format(title)}"
        text = text.replace(block, region, 1)
    return header + text


def strip_notice(view: str) -> str:
    if view.startswith(NOTICE_START):
        end = view.find(f"\n{NOTICE_END}\n")
        if end != -1:
            return view[end + len(NOTICE_END) + 2 :]
    return view


def read_back(view: str, blocks: Mapping[str, str]) -> Saved:
    """The saved view as a case file holding the *original* blocks (re-sealing then encrypts
    the changed ones) and the plaintext of each region."""
    out: list[str] = []
    texts: dict[str, str] = {}
    open_title: str | None = None
    region: list[str] = []
    for number, line in enumerate(strip_notice(view).split("\n"), start=1):
        match = _MARKER.match(line)
        if match is None:
            (region if open_title is not None else out).append(line)
            continue
        kind, title = match.groups()
        if kind == "begin":
            if open_title is not None:
                raise ViewError(f"line {number}: section '{title}' begins inside '{open_title}'")
            if title not in blocks:
                raise ViewError(f"line {number}: no encrypted section '{title}' in this case")
            if title in texts:
                raise ViewError(f"line {number}: section '{title}' appears twice")
            open_title, region = title, []
        else:
            if open_title != title:
                raise ViewError(f"line {number}: an end marker for '{title}' without its begin")
            texts[title] = "\n".join(region) + "\n"
            out.extend(blocks[title].split("\n"))
            open_title = None
    if open_title is not None:
        raise ViewError(f"the end marker of section '{open_title}' is missing")
    return Saved("\n".join(out), texts)
