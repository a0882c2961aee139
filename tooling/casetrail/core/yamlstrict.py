"""A strict YAML reader: no type guessing, no anchors, aliases or tags, no duplicate keys.

libyaml (PyYAML's C parser) composes the node tree; we resolve scalars ourselves with a small,
predictable rule instead of YAML 1.1's guessing: only `true`/`false`, `null`/`~`/empty and plain
decimal integers get a type, every other scalar stays a string (`no`, `1.10`, `012`,
`2026-11-02`). The schema decides what a string must look like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from casetrail.core.diagnostics import JsonPath

MAX_DEPTH = 32

_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})\Z")
_NULLS = frozenset({"", "~", "null"})


class StrictYamlError(Exception):
    """Refused input; line and col are 0-based within the YAML text."""

    def __init__(self, code: str, message: str, line: int, col: int, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.col = col
        self.hint = hint


# Codes the reader can raise; the rule registry documents them.
SYNTAX = "CT005"
FORBIDDEN = "CT006"
DUPLICATE_KEY = "CT007"
BAD_KEY = "CT008"
TOO_DEEP = "CT010"


@dataclass(frozen=True, slots=True)
class Located:
    """A loaded value with the node tree kept to point findings at lines."""

    value: Any
    root: Any

    def locate(self, at: JsonPath) -> tuple[int, int]:
        """0-based (line, col) of the deepest node on `at` (mapping entries: the key)."""
        node = self.root
        mark = node.start_mark
        for part in at:
            if isinstance(part, int):
                if type(node).__name__ != "SequenceNode" or not 0 <= part < len(node.value):
                    break
                node = node.value[part]
                mark = node.start_mark
            else:
                if type(node).__name__ != "MappingNode":
                    break
                for key, value in node.value:
                    if key.value == part:
                        mark, node = key.start_mark, value
                        break
                else:
                    break
        return mark.line, mark.column


_COMPOSER: Any = None


def _composer(text: str) -> Any:
    """libyaml's C composer with resolution switched off (the class is made once)."""
    global _COMPOSER
    if _COMPOSER is None:
        from yaml import _yaml  # lazy: keeps `casetrail --help` fast

        class Composer(_yaml.CParser):
            # libyaml asks the resolver for a tag per node; we resolve after composing.
            def resolve(self, kind: object, value: object, implicit: object) -> str:
                return ""

            def descend_resolver(self, *args: object) -> None:
                return None

            def ascend_resolver(self, *args: object) -> None:
                return None

        _COMPOSER = Composer
    return _COMPOSER(text)


def _too_deep_at(text: str, max_depth: int) -> int | None:
    """Index of the bracket that opens level max_depth + 1 (a conservative scan), or None."""
    depth = 0
    for index, char in enumerate(text):
        if char in "[{":
            depth += 1
            if depth > max_depth:
                return index
        elif char in "]}":
            depth = max(0, depth - 1)
    return None


def _event_error(event: Any, message: str, hint: str) -> StrictYamlError:
    mark = event.start_mark
    return StrictYamlError(
        FORBIDDEN, message, mark.line if mark else 0, mark.column if mark else 0, hint
    )


def _check_events(text: str) -> None:
    """Anchors and explicit tags (even the bare '!') leave no trace in the node tree that
    libyaml hands back, so look for them in the event stream when the text could hold one."""
    from yaml import _yaml

    parser = _yaml.CParser(text)
    try:
        while (event := parser.get_event()) is not None:
            tag = getattr(event, "tag", None)
            if tag:
                raise _event_error(
                    event,
                    f"YAML tag '{tag}' is not allowed",
                    "remove the tag; casetrail reads plain values only",
                )
            anchor = getattr(event, "anchor", None)
            if anchor:
                raise _event_error(
                    event,
                    f"YAML anchor '&{anchor}' is not allowed",
                    "write each value out in full; anchors and aliases hide what a record says",
                )
            if type(event).__name__ == "StreamEndEvent":
                break
    finally:
        parser.dispose()


def load(text: str, max_depth: int = MAX_DEPTH, line_offset: int = 0) -> Located:
    """Parse one YAML document strictly, or raise StrictYamlError.

    `line_offset` is where the text starts in its file, for line numbers inside messages."""
    from yaml import MarkedYAMLError

    if text.count("[") + text.count("{") > max_depth:
        index = _too_deep_at(text, max_depth)
        if index is not None:
            line = text.count("\n", 0, index)
            col = index - (text.rfind("\n", 0, index) + 1)
            raise StrictYamlError(
                TOO_DEEP, f"YAML nested deeper than {max_depth} levels", line, col
            )
    composer = _composer(text)
    try:
        root = composer.get_single_node()
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line, mark.column) if mark else (0, 0)
        problem = error.problem or error.context or "invalid YAML"
        raise StrictYamlError(SYNTAX, f"YAML syntax error: {problem}", line, col) from None
    finally:
        composer.dispose()
    if "&" in text or "!" in text:
        _check_events(text)
    if root is None:
        return Located(None, None)
    return Located(_Builder(max_depth, line_offset).build(root, 0), root)


class _Builder:
    """Turns nodes into plain values, refusing bad keys and excess depth on the way.

    Anchors, aliases and tags were refused from the event stream before building (an alias
    needs an anchor, and every tag is spelled with '!'), so the tree here is a plain tree."""

    def __init__(self, max_depth: int, line_offset: int) -> None:
        from yaml import MappingNode, ScalarNode

        self.max_depth = max_depth
        self.line_offset = line_offset
        self.scalar, self.mapping = ScalarNode, MappingNode

    def build(self, node: Any, depth: int) -> Any:
        if depth > self.max_depth:
            raise self._error(TOO_DEEP, f"YAML nested deeper than {self.max_depth} levels", node)
        kind = node.__class__
        if kind is self.scalar:
            return _scalar(node)
        if kind is self.mapping:
            return self._mapping(node, depth + 1)
        return [self.build(item, depth + 1) for item in node.value]

    def _mapping(self, node: Any, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if key_node.__class__ is self.scalar else None
            if not isinstance(key, str):
                shown = key_node.value if key_node.__class__ is self.scalar else "(a collection)"
                raise self._error(
                    BAD_KEY,
                    f"mapping key {shown!r} is not a string",
                    key_node,
                    f"quote it: '{shown}'" if key_node.__class__ is self.scalar else "",
                )
            if key in out:
                raise self._error(
                    DUPLICATE_KEY,
                    f"duplicate key '{key}' (first defined on line "
                    f"{lines[key] + 1 + self.line_offset})",
                    key_node,
                    "keep one of the two entries",
                )
            lines[key] = key_node.start_mark.line
            out[key] = self.build(value_node, depth)
        return out

    @staticmethod
    def _error(code: str, message: str, node: Any, hint: str = "") -> StrictYamlError:
        return StrictYamlError(code, message, node.start_mark.line, node.start_mark.column, hint)


def _scalar(node: Any) -> Any:
    value: str = node.value
    if node.style:  # quoted or block scalars are always strings
        return value
    if value in _NULLS:
        return None
    if value == "true":
        return True
    if value == "false":
        return False
    if _INT.match(value):
        return int(value)
    return value
