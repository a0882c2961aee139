"""On-disk caches under .cache/casetrail/ (git-ignored): compiled validators and check results.

Results are keyed by path and git blob id, never by modification time, and the whole file is
dropped when the tool version or anything in schema/ changes. JSON, not pickle: a cache file is
data, and loading it must never run code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import sys
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

from casetrail import __version__
from casetrail.core import configload
from casetrail.core.diagnostics import Diagnostic
from casetrail.core.engine import Config, FileResult
from casetrail.core.rules.base import CaseSummary
from casetrail.core.validation import fast_check_from_code, generate_fast_code
from casetrail.shell.repo import atomic_write

CACHE_DIR = Path(".cache") / "casetrail"
_RESULTS = "check-results.json"
FORMAT = 2  # of a cached result; 2: summaries carry attachments and their stanzas


def _dir(root: Path) -> Path:
    return root / CACHE_DIR


def fast_factory(root: Path) -> Callable[[str, dict[str, Any]], Callable[[Any], bool]]:
    """Compiled validators, generated once per schema and stored as marshalled bytecode."""

    def factory(name: str, schema: dict[str, Any]) -> Callable[[Any], bool]:
        text = json.dumps(schema, sort_keys=True)
        seed = f"{__version__}\0{sys.version}\0{text}".encode() + _code_stamp()
        key = hashlib.sha256(seed).hexdigest()[:24]
        path = _dir(root) / f"validator-{key}.marshal"
        try:
            code = marshal.loads(path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            code = compile(generate_fast_code(schema), name, "exec")
            with contextlib.suppress(OSError):  # read-only checkouts validate, only slower
                atomic_write(path, marshal.dumps(code))
        return fast_check_from_code(code)

    return factory


def load_config(root: Path, files: dict[str, bytes | None]) -> Config:
    """The office's config; validated once per content of schema/, then read back as JSON."""
    factory = fast_factory(root)
    path = _dir(root) / f"config-{fingerprint(files)[:24]}.json"
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        data = configload.validated(files, factory)
        with contextlib.suppress(OSError):
            atomic_write(path, json.dumps(data).encode())
    return configload.build(data, factory)


def _code_stamp() -> bytes:
    """Size and mtime of every module of casetrail: a changed rule invalidates cached results
    even before the version number moves (editable installs, development)."""
    package = Path(__file__).resolve().parent.parent
    stamps = sorted(
        f"{p.relative_to(package)}:{s.st_size}:{s.st_mtime_ns}"
        for p in package.rglob("*.py")
        for s in (p.stat(),)
    )
    return "\n".join(stamps).encode()


def fingerprint(config_files: dict[str, bytes | None]) -> str:
    digest = hashlib.sha256(f"{__version__}\0{FORMAT}\0".encode() + _code_stamp())
    for name in sorted(config_files):
        digest.update(name.encode() + b"\0" + (config_files[name] or b"") + b"\0")
    return digest.hexdigest()


_SUMMARY_NAMES = tuple(f.name for f in fields(CaseSummary))
_SUMMARY_FIELDS = len(_SUMMARY_NAMES)


def _row(summary: CaseSummary) -> tuple[object, ...]:
    """dataclasses.astuple without its deep copy: the fields are strings, numbers and tuples
    of them, which JSON writes as they are (a tenth of the cost for 10,000 summaries)."""
    return tuple(getattr(summary, name) for name in _SUMMARY_NAMES)


def _summary(raw: list[Any] | None) -> CaseSummary | None:
    """A CaseSummary back from its row as JSON stored it (tuples became lists)."""
    if raw is None:
        return None
    if len(raw) != _SUMMARY_FIELDS:
        raise ValueError("cached summary of another shape")
    path, case_id, status, case_type, priority, deadlines, attachments, stanzas = raw
    return CaseSummary(
        path,
        case_id,
        status,
        case_type,
        priority,
        tuple(map(tuple, deadlines)),
        tuple(map(tuple, attachments)),
        tuple(map(tuple, stanzas)),
    )


def _verdict(value: str) -> tuple[tuple[str, ...], str]:
    """A stored header verdict: "!problem", or stanza counts like "X25519*6 ssh-ed25519*1"."""
    if value.startswith("!"):
        return (), value[1:]
    types: list[str] = []
    for part in value.split(" ") if value else ():
        kind, _, count = part.rpartition("*")
        types += [kind] * int(count)
    return tuple(types), ""


class ResultCache:
    """Results of whole-tree runs. A run on a few files (pre-commit) passes enabled=False:
    parsing one file costs less than loading the results of ten thousand."""

    def __init__(self, root: Path, fingerprint: str, enabled: bool = True) -> None:
        self.path = _dir(root) / _RESULTS
        self.fingerprint = fingerprint
        self.entries: dict[str, Any] = {}
        self.enabled = enabled
        self.dirty = False
        self.hits = 0
        self.headers_used: set[str] = set()
        self._verdicts: dict[str, tuple[tuple[str, ...], str]] = {}
        if not enabled:
            return
        try:
            data = json.loads(self.path.read_bytes())
            if data.get("fingerprint") == fingerprint:
                self.entries = data["entries"]
        except (OSError, ValueError, KeyError, AttributeError):
            pass

    def get(self, path: str, blob: str) -> FileResult | None:
        entry = self.entries.get(f"{path}\0{blob}")
        if entry is None:
            return None
        try:
            summary = _summary(entry["summary"])
            diagnostics = tuple(Diagnostic.from_json(d) for d in entry["diagnostics"])
        except (TypeError, ValueError, KeyError, IndexError):
            return None  # not what this version writes: parse the file again
        self.hits += 1
        return FileResult(path, diagnostics, summary, entry["lines"])

    def put(self, blob: str, result: FileResult) -> None:
        summary = result.summary
        self.entries[f"{result.path}\0{blob}"] = {
            "summary": _row(summary) if summary else None,
            "lines": result.lines,
            "diagnostics": [d.to_json() for d in result.diagnostics],
        }
        self.dirty = True

    def get_header(self, key: str) -> tuple[tuple[str, ...], str] | None:
        """What an attachment's header said (sorted stanza types, problem), keyed by content:
        its git blob id, or a digest of the header bytes. Never by modification time."""
        value = self.entries.get(f"header\0{key}")
        if value.__class__ is not str:
            return None
        self.headers_used.add(key)
        verdict = self._verdicts.get(value)
        if verdict is None:  # most attachments share a handful of verdicts: parse each once
            verdict = self._verdicts[value] = _verdict(value)
        return verdict

    def put_header(self, key: str, stanza_types: tuple[str, ...], problem: str) -> None:
        counts: dict[str, int] = {}
        for kind in stanza_types:
            counts[kind] = counts.get(kind, 0) + 1
        value = " ".join(f"{kind}*{counts[kind]}" for kind in sorted(counts))
        self.entries[f"header\0{key}"] = f"!{problem}" if problem else value
        self.headers_used.add(key)
        self.dirty = True

    def get_status(self, blob: str) -> str | None:
        value = self.entries.get(f"status\0{blob}")
        return value if isinstance(value, str) else None

    def put_status(self, blob: str, status: str) -> None:
        self.entries[f"status\0{blob}"] = status
        self.dirty = True

    def save(self, live: set[str] | None) -> None:
        """Write back; after a whole-tree run keep only entries of files that still exist (and
        the attachment headers this run looked up)."""
        if not self.dirty or not self.enabled:
            return
        kept = {
            k: v
            for k, v in self.entries.items()
            if live is None
            or k.startswith("status\0")
            or k.partition("\0")[0] in live
            or (k.startswith("header\0") and k[7:] in self.headers_used)
        }
        payload = json.dumps(
            {"fingerprint": self.fingerprint, "entries": kept}, separators=(",", ":")
        )
        with contextlib.suppress(OSError):
            atomic_write(self.path, payload.encode())
