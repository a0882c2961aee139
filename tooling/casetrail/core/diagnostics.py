"""Findings are data: rules yield them, reporters render them, nobody prints from a rule."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

# A JSON path into the front matter: keys and list indexes, e.g. ("followups", 1, "due").
JsonPath = tuple[str | int, ...]


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule says, before the engine knows the file and the line."""

    code: str
    message: str
    at: JsonPath | None = None  # where in the front matter, resolved to a line later
    line: int | None = None  # an explicit 1-based file line (body findings)
    col: int = 1
    hint: str = ""
    severity: Severity | None = None  # None: the rule's default


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    """A finding located in a file: the shape every reporter renders."""

    path: str
    line: int
    col: int
    code: str
    message: str
    severity: Severity = field(default=Severity.ERROR, compare=False)
    hint: str = field(default="", compare=False)

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Diagnostic:
        return cls(
            path=str(data["path"]),
            line=int(str(data["line"])),
            col=int(str(data["col"])),
            code=str(data["code"]),
            message=str(data["message"]),
            severity=Severity(str(data["severity"])),
            hint=str(data.get("hint", "")),
        )


def format_path(at: JsonPath) -> str:
    """`followups[1].due`: how a JSON path reads in a message."""
    out = ""
    for part in at:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(front matter)"
