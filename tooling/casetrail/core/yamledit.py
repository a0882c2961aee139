"""Round-trip edits of case front matter: change the values asked for, keep every other byte.

Invariant 2 of DESIGN.md. ruamel.yaml's round-trip mode keeps key order, comments and quoting;
this module adds what it lacks for case files:

- a resolver that types scalars the way the strict reader (yamlstrict) does, so timestamps,
  dates, `no` or `1.10` stay strings and are written back exactly as they were;
- the file's own indentation, detected from the text, so untouched lines are reproduced;
- one style for new values (plain for simple words, double quotes otherwise, block
  collections), so an edit reads back with the types it was given;
- comment and blank lines, which ruamel stores on the last value before them, stay in front of
  the entry they precede when entries are appended, replaced or deleted;
- a safety net: the result must read back through yamlstrict as exactly the intended data.

Text that ruamel cannot reproduce byte for byte is refused rather than reformatted. Pure: text
in, text out; ruamel is imported on first use so `casetrail check` never loads it.
"""

from __future__ import annotations

import copy
import functools
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from casetrail.core import yamlstrict

KeyPath = tuple[str | int, ...]


class EditError(Exception):
    """The edit cannot be done safely; the message is one clear line."""


@dataclass(frozen=True, slots=True)
class Set:
    """Set the value at path; missing mappings on the way are created, new keys go last."""

    path: KeyPath
    value: Any


@dataclass(frozen=True, slots=True)
class Append:
    """Append value to the list at path; a missing key becomes a new list."""

    path: KeyPath
    value: Any


@dataclass(frozen=True, slots=True)
class Delete:
    """Remove the key (or list position) at path; deleting something absent is an error."""

    path: KeyPath


Op = Set | Append | Delete

_INTERNAL = "internal: the edited front matter does not read back as intended"


def apply(yaml_text: str, ops: Sequence[Op]) -> str:
    """Apply ops to front matter text (the lines between the --- fences) and return new text.

    Only the lines of changed values move; every other line, comment, key order and quoting
    style stays byte-identical. Raises EditError when that cannot be guaranteed."""
    for op in ops:
        _check_op(op)
    expected = _strict(yaml_text, "the front matter is not valid strict YAML")
    yaml = _yaml(yaml_text)
    tree = _load(yaml, yaml_text)
    _require_roundtrip(_dump(yaml, tree), yaml_text)
    editor = _RoundTrip(yaml_text)
    for op in ops:
        _perform(expected, op, _PLAIN)  # first, so a bad path is reported on plain data
        _perform(tree, op, editor)
    result = _dump(yaml, tree)
    if _strict(result, _INTERNAL) != expected:
        raise EditError(_INTERNAL)
    return result


def roundtrips(yaml_text: str) -> bool:
    """True if loading and dumping with no change gives identical text."""
    from ruamel.yaml.error import YAMLError

    try:
        yaml = _yaml(yaml_text)
        return bool(_dump(yaml, _load(yaml, yaml_text)) == yaml_text)
    except (YAMLError, EditError):
        return False


# --- ruamel set-up ----------------------------------------------------------------------------

# yamlstrict's integers, except "-0": ruamel would write it back as "0", so it stays text here.
_INT = re.compile(r"(?:0|-?[1-9][0-9]{0,17})\Z")
_DEFAULT_INDENT = (2, 4, 2)  # mapping, sequence, offset: the layout of cases/2026/*.md
# A line that opens a block: `key:` (maybe after `- ` and with a comment); the key's column is
# the length of the first two groups.
_OPENER = re.compile(r"((?: *- +)*)( *)(?:\"[^\"]*\"|'[^']*'|[^\s#\"'-][^#]*?) *: *(?:#.*)?\Z")
_ITEM = re.compile(r"( *)(- +)\S")


class _Classes(NamedTuple):
    resolver: Any
    emitter: Any
    gap_comment: Any


@functools.cache
def _classes() -> _Classes:
    """The ruamel subclasses this module needs, made on first use."""
    from ruamel.yaml.emitter import Emitter
    from ruamel.yaml.resolver import BaseResolver
    from ruamel.yaml.tokens import CommentToken

    class StrictResolver(BaseResolver):
        """Types only what yamlstrict types; everything else is a string."""

        def __init__(self, version: Any = None, loader: Any = None) -> None:
            super().__init__(loader)

        @property
        def processing_version(self) -> Any:
            return (1, 2)  # ruamel's int constructor compares against it

    # `null` and `~` stay text in the tree so they are written back as spelled (ruamel writes
    # a null as nothing); only the empty scalar is null here. yamlstrict types all three.
    StrictResolver.add_implicit_resolver_base("tag:yaml.org,2002:null", re.compile(r"\Z"), [""])
    StrictResolver.add_implicit_resolver_base(
        "tag:yaml.org,2002:bool", re.compile(r"(?:true|false)\Z"), ["t", "f"]
    )
    StrictResolver.add_implicit_resolver_base("tag:yaml.org,2002:int", _INT, list("-0123456789"))

    class GapComment(CommentToken):  # no __slots__, so it can carry `gap`
        gap = 1

    class GapEmitter(Emitter):
        def write_comment(self, comment: Any, pre: bool = False) -> None:
            # ruamel keeps an end-of-line comment's column and squeezes it to one space when a
            # longer value runs past it; `x: longer  # note` keeps the two spaces it had.
            if isinstance(comment, GapComment) and not pre:
                mark = comment.start_mark
                mark.column = max(mark.column, self.column + comment.gap)
            super().write_comment(comment, pre)

    return _Classes(StrictResolver, GapEmitter, GapComment)


def _yaml(text: str) -> Any:
    from ruamel.yaml import YAML

    classes = _classes()
    yaml = YAML(typ="rt", pure=True)
    yaml.Resolver = classes.resolver
    yaml.Emitter = classes.emitter
    yaml.preserve_quotes = True
    yaml.width = 1 << 30  # nothing is ever folded
    yaml.allow_unicode = True
    mapping, sequence, offset = _indentation(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _load(yaml: Any, text: str) -> Any:
    from ruamel.yaml.error import YAMLError

    try:
        return yaml.load(text)
    except YAMLError as error:
        shown = " ".join(str(error).split())
        raise EditError(f"the front matter cannot be read for editing: {shown}") from None


def _dump(yaml: Any, tree: Any) -> str:
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def _indentation(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as ruamel means them, from the first block showing each."""
    mapping = sequence = offset = None
    opener: int | None = None  # the key's column when the previous line opens a block
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        item = _ITEM.match(line)
        # a block under the key: deeper, or a sequence written at the key's own column
        if opener is not None and (indent > opener or (indent == opener and item)):
            if item and sequence is None:
                offset = len(item.group(1)) - opener
                sequence = offset + len(item.group(2))
            elif not item and mapping is None:
                mapping = indent - opener
        key = _OPENER.match(line)
        opener = len(key.group(1)) + len(key.group(2)) if key else None
        if mapping is not None and sequence is not None:
            break
    default_mapping, default_sequence, default_offset = _DEFAULT_INDENT
    if sequence is None or offset is None:
        sequence, offset = default_sequence, default_offset
    return mapping or default_mapping, sequence, offset


def _require_roundtrip(dumped: str, text: str) -> None:
    if dumped == text:
        return
    old, new = text.splitlines(), dumped.splitlines()
    number = next(
        (n for n, (a, b) in enumerate(zip(old, new, strict=False), start=1) if a != b),
        min(len(old), len(new)) + 1,
    )
    raise EditError(
        f"the front matter cannot be edited without reformatting it (line {number} would "
        "change); edit it by hand"
    )


def _strict(text: str, problem: str) -> dict[str, Any]:
    try:
        value = yamlstrict.load(text).value
    except yamlstrict.StrictYamlError as error:
        raise EditError(f"{problem}: line {error.line + 1}: {error.message}") from None
    if not isinstance(value, dict):
        raise EditError(f"{problem}: it is not a mapping")
    return value


# --- checking what is asked -------------------------------------------------------------------

_STRICT_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})\Z")


def _show(path: KeyPath) -> str:
    """assignments[0].acknowledged_at"""
    shown = ""
    for part in path:
        shown += f"[{part}]" if isinstance(part, int) else (f".{part}" if shown else part)
    return shown or "the front matter"


def _verb(op: Op) -> str:
    return {Set: "set", Append: "append to", Delete: "delete"}[type(op)]


def _check_op(op: Op) -> None:
    if not op.path:
        raise EditError(f"cannot {_verb(op)} the whole front matter: give a path")
    for part in op.path:
        if isinstance(part, bool) or not isinstance(part, str | int):
            raise EditError(
                f"cannot {_verb(op)} {op.path!r}: path parts are str keys or int positions"
            )
    if not isinstance(op, Delete):
        _check_value(op.value, op.path)


def _check_value(value: Any, path: KeyPath) -> None:
    """Only values that the strict reader reads back as themselves."""
    if len(path) > yamlstrict.MAX_DEPTH:
        raise EditError(f"{_show(path[:3])}...: nested deeper than casetrail reads")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not _STRICT_INT.match(str(value)):
            raise EditError(f"{_show(path)}: {value} has more digits than casetrail reads")
    elif isinstance(value, str):
        if any("\ud800" <= char <= "\udfff" for char in value):
            raise EditError(f"{_show(path)}: the text holds an unpaired surrogate character")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EditError(f"{_show(path)}: mapping key {key!r} is not a string")
            _check_value(key, path)
            _check_value(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(item, (*path, index))
    else:
        raise EditError(f"{_show(path)}: cannot write a {type(value).__name__} value")


# --- performing an op -------------------------------------------------------------------------

_Owner = tuple[Any, Any] | None  # (collection, key) that holds a collection; None for the root


class _Plain:
    """Ops on plain dicts and lists: the data the edited text must read back as."""

    def make(self, value: Any) -> Any:
        return copy.deepcopy(value)

    def replace(self, owner: _Owner, node: Any, key: Any, value: Any) -> None:
        node[key] = self.make(value)

    def add(self, owner: _Owner, node: Any, key: Any, value: Any) -> None:
        if isinstance(node, list):
            node.append(self.make(value))
        else:
            node[key] = self.make(value)

    def remove(self, owner: _Owner, node: Any, key: Any) -> None:
        del node[key]


_PLAIN = _Plain()


def _perform(root: dict[str, Any], op: Op, editor: _Plain) -> None:
    node, owner, key, below = _walk(root, op)
    if isinstance(op, Delete):
        if below or not _has(node, key):
            raise _absent(op, node, key)
        if node is root and len(root) == 1:
            raise EditError(f"cannot delete {_show(op.path)}: the front matter would be empty")
        editor.remove(owner, node, key)
    elif below:  # `key` is the first missing one: the rest of the path becomes new mappings
        value = [op.value] if isinstance(op, Append) else op.value
        editor.add(owner, node, key, _nest(below, value, op))
    elif isinstance(op, Append) and _has(node, key):
        target = node[key]
        if not isinstance(target, list):
            raise EditError(f"cannot append to {_show(op.path)}: it is {_kind(target)}")
        editor.add((node, key), target, len(target), op.value)
    elif isinstance(node, dict) and key not in node:
        editor.add(owner, node, key, [op.value] if isinstance(op, Append) else op.value)
    elif _has(node, key):
        editor.replace(owner, node, key, op.value)
    else:
        raise _absent(op, node, key)


def _walk(root: dict[str, Any], op: Op) -> tuple[Any, _Owner, str | int, KeyPath]:
    """The collection holding the last existing path part, its owner, that part, and the path
    below it when a mapping key on the way is missing (else empty)."""
    node: Any = root
    owner: _Owner = None
    for depth, part in enumerate(op.path):
        _check_step(node, part, op.path[:depth], op)
        if depth == len(op.path) - 1:
            break
        if not _has(node, part):
            if isinstance(node, list):
                raise _absent(op, node, part)
            return node, owner, part, op.path[depth + 1 :]
        owner, node = (node, part), node[part]
    return node, owner, op.path[-1], ()


def _check_step(node: Any, part: str | int, upto: KeyPath, op: Op) -> None:
    """node, reached by upto, can be indexed by part."""
    where = _show(upto)
    if isinstance(node, dict) and not isinstance(part, str):
        raise EditError(f"cannot {_verb(op)} {_show(op.path)}: {where} is a mapping, not a list")
    if isinstance(node, list) and not isinstance(part, int):
        raise EditError(f"cannot {_verb(op)} {_show(op.path)}: {where} is a list, not a mapping")
    if not isinstance(node, dict | list):
        raise EditError(f"cannot {_verb(op)} {_show(op.path)}: {where} is {_kind(node)}")


def _absent(op: Op, node: Any, part: str | int) -> EditError:
    if isinstance(node, list):
        return EditError(
            f"cannot {_verb(op)} {_show(op.path)}: the list has {len(node)} entries, "
            f"no position {part}"
        )
    return EditError(f"cannot {_verb(op)} {_show(op.path)}: there is no key {part!r}")


def _has(node: Any, key: str | int) -> bool:
    if isinstance(node, dict):
        return key in node
    return isinstance(key, int) and -len(node) <= key < len(node)


def _nest(below: KeyPath, value: Any, op: Op) -> Any:
    for part in reversed(below):
        if isinstance(part, int):
            raise EditError(
                f"cannot {_verb(op)} {_show(op.path)}: position {part} of a list that does "
                "not exist"
            )
        value = {part: value}
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool | int):
        return f"a number ({value})" if type(value) is int else f"a boolean ({value})"
    if isinstance(value, str):
        return "text, not a list or mapping"
    return "a list" if isinstance(value, list) else "a mapping"


# --- the round-trip tree ----------------------------------------------------------------------

_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
# Words YAML 1.1 readers (and people) take for booleans or null; written quoted when new.
_SPECIAL = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n"})

# Where the lines after an entry are kept: (ca.items of a collection, key, position), or None.
_Slot = tuple[dict[Any, Any], Any, int] | None


class _RoundTrip(_Plain):
    """Ops on ruamel's tree that keep comment and blank lines where they were.

    ruamel keeps the lines after a value (its end-of-line comment, then blank and comment
    lines up to the next entry) on the last scalar before them. Appending after that value,
    replacing or deleting it would carry those lines along, so they are taken off before the
    change and put back on whatever is last afterwards."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def make(self, value: Any) -> Any:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq
        from ruamel.yaml.scalarstring import DoubleQuotedScalarString, PlainScalarString

        if value is None:
            return PlainScalarString("null")  # `key: null`, not ruamel's bare `key:`
        if isinstance(value, str):
            simple = _SIMPLE.match(value) and value.lower() not in _SPECIAL
            # A ScalarString either way: given a str, ruamel copies the old value's quoting.
            return PlainScalarString(value) if simple else DoubleQuotedScalarString(value)
        if isinstance(value, dict):
            mapping = CommentedMap((self.make(k), self.make(v)) for k, v in value.items())
            mapping.fa.set_block_style()
            return mapping
        if isinstance(value, list):
            sequence = CommentedSeq(self.make(v) for v in value)
            sequence.fa.set_block_style()
            return sequence
        return value

    def replace(self, owner: _Owner, node: Any, key: Any, value: Any) -> None:
        new = self.make(value)
        if not _is_collection(node[key]) and not _is_collection(new):
            node[key] = new  # same slot, so the comments after it stay
            self._keep_gap(_entry_slot(node, key))
            return
        rest = _take_rest(_entry_slot(node, key))
        _block_for(node, new)
        node[key] = new
        _put_rest(_entry_slot(node, key), rest)

    def add(self, owner: _Owner, node: Any, key: Any, value: Any) -> None:
        new = self.make(value)
        rest = _take_rest(_container_slot(owner, node))
        if len(node) == 0:
            node.fa.set_block_style()  # `[]` or `{}` gets its first entry as a block
        _block_for(node, new)
        if isinstance(node, list):
            node.append(new)
        else:
            node[self.make(key)] = new
        _put_rest(_container_slot(owner, node), rest)

    def remove(self, owner: _Owner, node: Any, key: Any) -> None:
        keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node)))
        index = keys.index(key if isinstance(node, dict) else key % len(node))
        rest = _take_rest(_entry_slot(node, key))
        del node[key]
        if len(node) == 0:
            node.fa.set_flow_style()  # written `{}` or `[]`; the lines after go on the owner
        if not rest:
            return
        if index > 0:
            _put_rest(_entry_slot(node, keys[index - 1]), rest)
        elif len(node) > 0:
            _put_before_first(owner, node, rest)
        else:
            _put_rest(_container_slot(owner, node), rest)

    def _keep_gap(self, slot: _Slot) -> None:
        """Mark an end-of-line comment with the spaces it had before it (see _classes)."""
        token = _token(slot)
        gap_comment = _classes().gap_comment
        if slot is None or token is None or isinstance(token, gap_comment):
            return
        line = getattr(token.start_mark, "line", -1)
        if not token.value.startswith("#") or not 0 <= line < len(self.lines):
            return
        column = token.start_mark.column
        before = self.lines[line][:column]
        items, key, position = slot
        items[key][position] = gap = _comment(token.value, column, gap_comment)
        gap.gap = max(1, len(before) - len(before.rstrip()))


def _is_collection(value: Any) -> bool:
    return isinstance(value, dict | list)


def _is_block(value: Any) -> bool:
    return _is_collection(value) and len(value) > 0 and not value.fa.flow_style()


def _block_for(node: Any, new: Any) -> None:
    """A block collection cannot sit inside a flow one."""
    if _is_collection(new) and len(new) > 0 and node.fa.flow_style():
        node.fa.set_block_style()


def _entry_slot(node: Any, key: Any) -> _Slot:
    """Where the lines after entry `key` of node are kept."""
    value = node[key]
    if _is_block(value):
        return _last_slot(value)
    items: dict[Any, Any] = node.ca.items  # a CommentedSeq or CommentedMap
    if isinstance(node, list):
        return items, key % len(node), 0
    return items, key, 2


def _last_slot(node: Any) -> _Slot:
    last = list(node.keys())[-1] if isinstance(node, dict) else len(node) - 1
    return _entry_slot(node, last)


def _container_slot(owner: _Owner, node: Any) -> _Slot:
    """Where the lines after the whole collection are kept."""
    if _is_block(node):
        return _last_slot(node)
    return None if owner is None else _entry_slot(*owner)


def _token(slot: _Slot) -> Any:
    if slot is None:
        return None
    items, key, position = slot
    entry = items.get(key)
    return entry[position] if entry and len(entry) > position else None


def _take_rest(slot: _Slot) -> str:
    """Take the lines after the end-of-line part off the comment kept in slot."""
    token = _token(slot)
    if token is None:
        return ""
    value = str(token.value)
    # "# eol\n<rest>" or "\n<rest>" (the line break that ends the entry's line, then the rest)
    end = value.find("\n") + 1 if value.startswith("#") else int(value.startswith("\n"))
    if end <= 0 or end == len(value):
        return ""
    # A token of just "\n" writes the line break, like no token; it may also be shared with a
    # flow collection, so it is shortened rather than removed.
    token.value = value[:end]
    return value[end:]


def _put_rest(slot: _Slot, rest: str) -> None:
    if not rest or slot is None:
        return
    token = _token(slot)
    if token is not None:
        token.value = token.value + rest
        return
    items, key, position = slot
    items.setdefault(key, [None, None, None, None])[position] = _comment("\n" + rest, 0)


def _put_before_first(owner: _Owner, node: Any, rest: str) -> None:
    """Lines that followed a deleted first entry go before the new first entry."""
    if owner is None:  # the root keeps them in its own comment
        if node.ca.comment is None:
            node.ca.comment = [None, []]
        node.ca.comment[1] = [*(node.ca.comment[1] or []), _comment(rest, 0)]
        return
    parent, key = owner
    entry = parent.ca.items.setdefault(key, [None, None, None, None])
    entry[3] = [*(entry[3] or []), _comment(rest, 0)]


def _comment(text: str, column: int, kind: Any = None) -> Any:
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    return (kind or CommentToken)(text, CommentMark(column))
