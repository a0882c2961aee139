"""Case file text in, front matter and sections out, with file-absolute line numbers.

The parser never guesses: a missing, unterminated, empty or non-mapping front matter block is a
finding, never "valid with empty metadata" (python-frontmatter's silent fallback).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from casetrail.core import yamlstrict
from casetrail.core.diagnostics import Finding, JsonPath

MAX_FILE_BYTES = 1024 * 1024
MAX_FRONT_MATTER_BYTES = 128 * 1024

ENCODING = "CT001"
LINE_ENDINGS = "CT002"
NO_FRONT_MATTER = "CT003"
UNTERMINATED = "CT004"
NOT_MAPPING = "CT009"
TOO_LARGE = "CT010"
INVISIBLE = "CT011"
CONFLICT_MARKER = "CT012"

_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_BIDI_RE = re.compile(f"[{_BIDI}]")
_INVISIBLE_RE = re.compile(f"[{_BIDI}{_ZERO_WIDTH}]")
_CONFLICT_RE = re.compile(r"^(?:<{7}(?: .*)?|={7}|>{7}(?: .*)?|\|{7}(?: .*)?)$", re.MULTILINE)
_HEADING_RE = re.compile(r"^## +(.+?)\s*$")
_FENCE_RE = re.compile(r"^(```|~~~)")


@dataclass(frozen=True, slots=True)
class Section:
    """A level-2 heading and the lines under it, up to the next level-2 heading."""

    title: str
    heading_line: int  # 1-based
    lines: tuple[str, ...]

    @property
    def body(self) -> str:
        return "\n".join(self.lines).strip("\n")

    @property
    def first_content_line(self) -> int:
        for offset, line in enumerate(self.lines, start=1):
            if line.strip():
                return self.heading_line + offset
        return self.heading_line


@dataclass(frozen=True, slots=True)
class CaseDocument:
    text: str
    front_matter: dict[str, Any]
    located: yamlstrict.Located
    yaml_first_line: int  # 1-based file line of the first YAML line
    body_first_line: int
    body: str
    sections: tuple[Section, ...]

    def position(self, at: JsonPath) -> tuple[int, int]:
        """1-based (line, col) in the file of a front matter path."""
        line, col = self.located.locate(at)
        return line + self.yaml_first_line, col + 1

    def preamble_line(self) -> int | None:
        """File line of the first non-blank text before the first section, if any."""
        for offset, line in enumerate(self.body.split("\n")):
            if _HEADING_RE.match(line):
                return None
            if line.strip():
                return self.body_first_line + offset
        return None

    def section(self, title: str) -> Section | None:
        return next((s for s in self.sections if s.title == title), None)

    @property
    def front_matter_text(self) -> str:
        """The YAML between the '---' lines, as written."""
        closing = 4 if self.body or self.text.endswith("\n") else 3  # '---' may end the file
        return self.text[4 : len(self.text) - len(self.body) - closing]

    def with_front_matter(self, yaml_text: str) -> str:
        """The whole file with new front matter and this body, byte for byte."""
        return f"---\n{yaml_text}---\n{self.body}"


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _decode(data: bytes, size: int) -> tuple[str | None, list[Finding]]:
    if size > MAX_FILE_BYTES:
        return None, [
            Finding(
                TOO_LARGE,
                f"file is {size:,} bytes; a case file may be at most {MAX_FILE_BYTES:,}",
                line=1,
                hint="move large material into an encrypted attachment",
            )
        ]
    if data.startswith(b"\xef\xbb\xbf"):
        return None, [
            Finding(
                ENCODING,
                "file starts with a UTF-8 byte order mark",
                line=1,
                hint="save the file as UTF-8 without BOM",
            )
        ]
    if b"\0" in data:
        prefix = data[: data.index(b"\0")].decode("utf-8", "replace")
        line, col = _line_col(prefix, len(prefix))
        return None, [
            Finding(
                ENCODING,
                "file contains a NUL byte",
                line=line,
                col=col,
                hint="case files are plain UTF-8 text",
            )
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        prefix = data[: error.start].decode("utf-8")  # valid up to the bad byte
        line, col = _line_col(prefix, len(prefix))
        return None, [
            Finding(
                ENCODING,
                f"invalid UTF-8 (byte 0x{data[error.start]:02x})",
                line=line,
                col=col,
                hint="save the file as UTF-8",
            )
        ]
    if "\r" in text:
        line, col = _line_col(text, text.index("\r"))
        return None, [
            Finding(
                LINE_ENDINGS,
                "file has CR or CRLF line endings",
                line=line,
                col=col,
                hint="use LF line endings (the repository's .gitattributes sets eol=lf)",
            )
        ]
    return text, []


def _invisible(text: str, first_line: int, in_front_matter: bool) -> list[Finding]:
    if text.isascii():
        return []
    pattern = _INVISIBLE_RE if in_front_matter else _BIDI_RE
    findings = []
    for match in pattern.finditer(text):
        line, col = _line_col(text, match.start())
        where = "front matter" if in_front_matter else "body"
        findings.append(
            Finding(
                INVISIBLE,
                f"invisible or bidirectional control character U+{ord(match.group()):04X} in the {where}",
                line=line + first_line - 1,
                col=col,
                hint="delete it: such characters make text read differently from what it says",
            )
        )
    return findings


def parse(data: bytes, size: int | None = None) -> tuple[CaseDocument | None, list[Finding]]:
    """Parse a case file; a document is returned only when the front matter could be read.

    `size` is the file's real size when only its head was read (oversized files)."""
    text, findings = _decode(data, len(data) if size is None else size)
    if text is None:
        return None, findings
    markers = ("<<<<<<<", "=======", ">>>>>>>", "|||||||")
    conflicts = (
        []
        if not any(m in text for m in markers)
        else [
            Finding(
                CONFLICT_MARKER,
                "unresolved merge conflict marker",
                line=_line_col(text, m.start())[0],
                hint="resolve the conflict and remove the marker lines",
            )
            for m in _CONFLICT_RE.finditer(text)
        ]
    )
    if conflicts:
        return None, conflicts
    if not text.startswith("---\n"):
        return None, [
            Finding(
                NO_FRONT_MATTER,
                "file does not start with a '---' front matter line",
                line=1,
                hint="a case file begins with '---', its YAML metadata, then '---'",
            )
        ]
    end = text.find("\n---\n", 3)
    if end == -1 and text.endswith("\n---"):
        end = len(text) - 4
    if end == -1:
        return None, [
            Finding(
                UNTERMINATED,
                "front matter is not closed by a '---' line",
                line=1,
                hint="add a line with '---' after the metadata",
            )
        ]
    yaml_text = text[4 : end + 1]
    if len(yaml_text.encode()) > MAX_FRONT_MATTER_BYTES:
        return None, [
            Finding(
                TOO_LARGE,
                f"front matter is larger than {MAX_FRONT_MATTER_BYTES:,} bytes",
                line=2,
                hint="front matter holds metadata only",
            )
        ]
    findings = _invisible(yaml_text, 2, in_front_matter=True)
    if findings:
        return None, findings
    try:
        located = yamlstrict.load(yaml_text, line_offset=1)
    except yamlstrict.StrictYamlError as error:
        return None, [
            Finding(
                error.code, error.message, line=error.line + 2, col=error.col + 1, hint=error.hint
            )
        ]
    if not isinstance(located.value, dict) or not located.value:
        empty = located.value is None or located.value == {}
        kind = "empty" if empty else f"a {_kind(located.value)}, not a mapping"
        return None, [
            Finding(
                NOT_MAPPING,
                f"front matter is {kind}",
                line=2,
                hint="front matter is a mapping of 'key: value' lines",
            )
        ]
    body_start = end + 5
    body_first_line = text.count("\n", 0, body_start) + 1
    body = text[body_start:]
    document = CaseDocument(
        text=text,
        front_matter=located.value,
        located=located,
        yaml_first_line=2,
        body_first_line=body_first_line,
        body=body,
        sections=_sections(body, body_first_line),
    )
    return document, _invisible(body, body_first_line, in_front_matter=False)


def _kind(value: Any) -> str:
    return {list: "list", str: "string", int: "number", bool: "boolean"}.get(type(value), "scalar")


def _sections(body: str, first_line: int) -> tuple[Section, ...]:
    sections: list[Section] = []
    title: str | None = None
    heading_line = 0
    lines: list[str] = []
    in_fence = False
    for offset, line in enumerate(body.split("\n")):
        if _FENCE_RE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING_RE.match(line)
        if match:
            if title is not None:
                sections.append(Section(title, heading_line, tuple(lines)))
            title, heading_line, lines = match.group(1), first_line + offset, []
        elif title is not None:
            lines.append(line)
    if title is not None:
        sections.append(Section(title, heading_line, tuple(lines)))
    return tuple(sections)
