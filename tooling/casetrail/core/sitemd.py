"""Markdown for the site's generated pages: inert text from records, tables, links.

Every value read from a record goes through `esc`, so a title like `<script>` or `[x](javascript:)`
is shown as text. Links are made only here, from case ids and handles (which their schemas limit
to safe characters), never from free text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

CASES_DIR = "cases"
PEOPLE_DIR = "people"
REPORTS_DIR = "reports"
_MARKDOWN_SPECIALS = "\\`*_{}[]()#+-.!|>"  # Python-Markdown escapes, and tables' |
_HEX = frozenset("0123456789abcdef")


_INERT = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;"} | {c: f"\\{c}" for c in _MARKDOWN_SPECIALS if c != ">"}
)


def esc(value: Any) -> str:
    """A value from a record as inert Markdown text: no HTML, no markup, one line."""
    return " ".join(str(value).split()).translate(_INERT)


def code(value: Any) -> str:
    """A commit id as code; anything else escaped as text."""
    text = str(value)
    return f"`{text}`" if text and set(text) <= _HEX else esc(text)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], empty: str = "None.") -> list[str]:
    """A Markdown table; cells must already be escaped (or be links we made)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return lines if len(lines) > 2 else [empty]


def case_link(case_id: str, depth: str = "") -> str:
    """A link to a case page from a page `depth` ("", "../") below the site's root."""
    return f"[{esc(case_id)}]({depth}{CASES_DIR}/{case_id}.md)"


def case_links(case_ids: Iterable[str], depth: str = "", limit: int = 0) -> str:
    """Case links separated by commas; past `limit` (0: none) the rest are counted."""
    ids = list(case_ids)
    shown = ids[:limit] if limit else ids
    text = ", ".join(case_link(c, depth) for c in shown)
    return text + (f" and {len(ids) - len(shown)} more" if len(ids) > len(shown) else "")


def person_link(handle: str | None, depth: str = "") -> str:
    return f"[{esc(handle)}]({depth}{PEOPLE_DIR}/{handle}.md)" if handle else ""


def filtered_index(label: str, depth: str = "", **columns: str) -> str:
    """A link to the case index showing only the rows whose columns have these values (the
    site's script filters by the query; without script the whole index shows)."""
    query = "&".join(f"{_quoted(k)}={_quoted(v)}" for k, v in sorted(columns.items()))
    return f"[{label}]({depth}{CASES_DIR}/index.md?{query})"


def _quoted(text: str) -> str:
    """Percent-encoding of a query part (what urllib.parse.quote does, kept out of the core's
    imports, which ban urllib as I/O)."""
    return "".join(
        chr(b) if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "_.-~") else f"%{b:02X}"
        for b in text.encode()
    )


def words(key: str) -> str:
    return key.replace("_", " ")


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} %"


def as_of_line(as_of: datetime, head: str | None) -> str:
    where = f"commit {code(head[:12])}" if head else "a folder outside git (no commit)"
    return f"As of {esc(as_of.isoformat())}, from {where}."
