"""Codes reported before any rule runs: reading, YAML, schema, repository layout, config."""

from casetrail.core.diagnostics import Severity
from casetrail.core.rules.registry import documented

documented("CT001", "encoding", "File is not plain UTF-8 (BOM, invalid bytes or NUL).", "parser")
documented("CT002", "line-endings", "File uses CR or CRLF line endings instead of LF.", "parser")
documented(
    "CT003", "no-front-matter", "File does not start with a '---' front matter block.", "parser"
)
documented("CT004", "unterminated-front-matter", "Front matter is not closed by '---'.", "parser")
documented("CT005", "yaml-syntax", "Front matter is not valid YAML.", "parser")
documented("CT006", "yaml-forbidden", "YAML anchors, aliases and tags are not allowed.", "parser")
documented("CT007", "duplicate-key", "A key appears twice in one mapping.", "parser")
documented("CT008", "non-string-key", "A mapping key is not a plain string.", "parser")
documented(
    "CT009", "front-matter-not-mapping", "Front matter is empty, a list or a scalar.", "parser"
)
documented(
    "CT010", "too-large", "File or front matter exceeds the size or nesting limits.", "parser"
)
documented(
    "CT011",
    "invisible-character",
    "Bidirectional or zero-width control character in the record.",
    "parser",
)
documented("CT012", "conflict-marker", "Unresolved merge conflict marker.", "parser")
documented(
    "CT013",
    "not-a-regular-file",
    "Something under cases/ is a symlink, or not a file or folder.",
    "repository",
)
documented(
    "CT014",
    "stray-file",
    "A file under cases/ that is not a case file.",
    "repository",
    Severity.WARNING,
)
documented("CT100", "schema", "Front matter does not match schema/case.schema.json.", "schema")
documented(
    "CT601", "config-invalid", "A file in schema/ is missing, unreadable or invalid.", "config"
)
documented(
    "CT602",
    "config-reference",
    "The policy and roster disagree (duplicate handles, roles nobody holds, unknown types).",
    "config",
)
