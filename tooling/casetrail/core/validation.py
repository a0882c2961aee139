"""JSON Schema validation with a fast path and a precise path.

Valid records are the common case, so a compiled validator (fastjsonschema's generated code)
answers "valid?" first; only an invalid record pays for jsonschema, which lists every error with
its path so each finding can point at a line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from types import CodeType
from typing import Any

from casetrail.core.diagnostics import Finding, JsonPath, format_path
from casetrail.core.formats import FORMATS

SCHEMA_ERROR = "CT100"

FastCheck = Callable[[Any], bool]


class FastFail(Exception):
    """Stands in for fastjsonschema's exception inside the generated code."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args)


_IMPORT_LINE = re.compile(r"^from fastjsonschema import .*$", re.MULTILINE)


def generate_fast_code(schema: dict[str, Any]) -> str:
    """Python source of a validator for `schema` (cacheable text)."""
    import fastjsonschema

    # detailed_exceptions=False would be smaller but fails in compile_to_code (2.22.3).
    # Without $id the entry point is named plain `validate`. Local $refs are inlined: the
    # generated code builds an error-name string with str.format(**locals()) on every call
    # of a referenced definition, valid or not, which cost a fifth of a whole-tree check.
    anonymous = {k: v for k, v in schema.items() if k != "$id"}
    code: str = fastjsonschema.compile_to_code(inline_refs(anonymous), formats=FORMATS)
    return _IMPORT_LINE.sub("JsonSchemaValueException = JsonSchemaValuesException = FastFail", code)


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with every local '#/$defs/NAME' reference replaced by its definition."""
    definitions = schema.get("$defs", {})

    def walk(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [walk(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            if name in seen or name not in definitions:
                return node  # recursive or unknown: leave it to the generator
            merged = {**definitions[name], **{k: v for k, v in node.items() if k != "$ref"}}
            return walk(merged, (*seen, name))
        return {key: walk(value, seen) for key, value in node.items()}

    inlined = walk({k: v for k, v in schema.items() if k != "$defs"}, ())
    assert isinstance(inlined, dict)
    return inlined


def fast_check_from_code(code: str | CodeType) -> FastCheck:
    """A validator from generated source or its compiled code object."""
    namespace: dict[str, Any] = {"FastFail": FastFail}
    exec(code, namespace)  # our own generated code, from our own schema
    validate = namespace["validate"]

    def check(data: Any) -> bool:
        try:
            validate(data)
        except FastFail:
            return False
        return True

    return check


def precise_findings(schema: dict[str, Any], data: Any) -> Iterator[Finding]:
    """Every schema error as a finding with its JSON path."""
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    for name, pattern in FORMATS.items():
        checker.checks(name)(_matcher(pattern))
    strict = jsonschema.validators.extend(
        jsonschema.Draft202012Validator, {"pattern": _ecma_pattern}
    )
    validator = strict(schema, format_checker=checker)
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        yield _finding(error)


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    """JSON Schema patterns are ECMA regexes, where $ ends the string; in Python it also
    matches before a final newline, so "amartin\n" would pass as a handle."""
    import jsonschema

    if not isinstance(instance, str):
        return
    python = (
        pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern
    )
    if not re.search(python, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _matcher(pattern: str) -> Callable[[object], bool]:
    compiled = re.compile(pattern)
    return lambda value: not isinstance(value, str) or bool(compiled.match(value))


def _short(value: Any) -> str:
    """A value as YAML would spell it: null, true, 12, 'text'."""
    text = (
        {None: "null", True: "true", False: "false"}.get(value, repr(value))
        if (value is None or isinstance(value, bool))
        else repr(value)
    )
    return text if len(text) <= 60 else text[:57] + "..."


def _finding(error: Any) -> Finding:
    at: JsonPath = tuple(error.absolute_path)
    where = format_path(at)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    hint = str(schema.get("description", ""))
    if kind == "required":
        missing = re.search(r"'([^']+)' is a required property", error.message)
        name = missing.group(1) if missing else error.message
        message = (
            f"{where}: missing required field '{name}'"
            if at
            else f"missing required field '{name}'"
        )
    elif kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(schema.get("properties", {})))
        at = (*at, extra[0]) if extra else at
        message = f"unknown field '{format_path(at)}'"
        hint = "check the spelling; the schema lists every allowed field"
    elif kind == "enum":
        allowed = ", ".join(str(v) for v in schema.get("enum", []))
        message = f"{where}: {_short(error.instance)} is not one of: {allowed}"
    elif kind == "format":
        expected = "YYYY-MM-DD" if schema.get("format") == "date" else "YYYY-MM-DDTHH:MM[:SS]+HH:MM"
        message = (
            f"{where}: {_short(error.instance)} is not a valid {schema.get('format')} ({expected})"
        )
    elif kind == "pattern":
        message = f"{where}: {_short(error.instance)} is not in the expected format"
    elif kind == "type":
        message = f"{where}: expected {schema.get('type')}, found {_short(error.instance)}"
        if isinstance(error.instance, int | bool) and schema.get("type") == "string":
            hint = "quote the value: YAML reads unquoted numbers and true/false as such"
    else:
        message = f"{where}: {error.message}"
    return Finding(SCHEMA_ERROR, message, at=at, hint=hint)


def unexplained() -> Finding:
    return Finding(
        SCHEMA_ERROR,
        "front matter does not match the schema (the precise validator found no detail)",
        at=(),
        hint="this is a casetrail bug; please report it with the file's front matter",
    )
