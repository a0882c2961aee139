"""Policy and roster from bytes: strict YAML, their own schemas, then cross-references."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from casetrail.core import yamlstrict
from casetrail.core.config import CASE_TEAM, Policy, Roster
from casetrail.core.diagnostics import Diagnostic, Finding, Severity
from casetrail.core.engine import Config, locate
from casetrail.core.validation import precise_findings

POLICY = "schema/policy.yaml"
ROSTER = "schema/roster.yaml"
CASE_SCHEMA = "schema/case.schema.json"
POLICY_SCHEMA = "schema/policy.schema.json"
ROSTER_SCHEMA = "schema/roster.schema.json"
SCHEMA_FILES = (CASE_SCHEMA, POLICY_SCHEMA, ROSTER_SCHEMA)
CONFIG_FILES = (POLICY, ROSTER, *SCHEMA_FILES)

INVALID = "CT601"
REFERENCE = "CT602"

FastFactory = Callable[[str, dict[str, Any]], Callable[[Any], bool]]


class ConfigError(Exception):
    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} configuration problem(s)")
        self.diagnostics = diagnostics


def _error(path: str, message: str, line: int = 1, col: int = 1, hint: str = "") -> Diagnostic:
    return Diagnostic(path, line, col, INVALID, message, Severity.ERROR, hint)


def _json(path: str, data: bytes | None) -> dict[str, Any]:
    if data is None:
        raise ConfigError(
            [
                _error(
                    path,
                    "file is missing",
                    hint="every records repository "
                    "carries its schema/ folder; copy it from casetrail's",
                )
            ]
        )
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise ConfigError([_error(path, f"not valid JSON: {error}")]) from None
    if not isinstance(value, dict):
        raise ConfigError([_error(path, "a JSON Schema must be an object")])
    return value


def _yaml(
    path: str, data: bytes | None, schema: dict[str, Any], fast: Callable[[Any], bool]
) -> dict[str, Any]:
    if data is None:
        raise ConfigError([_error(path, "file is missing")])
    try:
        located = yamlstrict.load(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError([_error(path, "file is not UTF-8")]) from None
    except yamlstrict.StrictYamlError as error:
        raise ConfigError(
            [
                Diagnostic(
                    path,
                    error.line + 1,
                    error.col + 1,
                    error.code,
                    error.message,
                    Severity.ERROR,
                    error.hint,
                )
            ]
        ) from None
    value = located.value
    if not isinstance(value, dict):
        raise ConfigError([_error(path, "must be a mapping of 'key: value' lines")])
    if not fast(value):
        diagnostics = []
        for finding in precise_findings(schema, value):
            line, col = located.locate(finding.at or ())
            diagnostics.append(
                Diagnostic(
                    path, line + 1, col + 1, INVALID, finding.message, Severity.ERROR, finding.hint
                )
            )
        raise ConfigError(diagnostics)
    return value


def validated(files: dict[str, bytes | None], fast_factory: FastFactory) -> dict[str, Any]:
    """The schemas, policy and roster as plain data after every check; or ConfigError."""
    schemas = {path: _json(path, files.get(path)) for path in SCHEMA_FILES}
    policy_raw = _yaml(
        POLICY,
        files.get(POLICY),
        schemas[POLICY_SCHEMA],
        fast_factory(POLICY_SCHEMA, schemas[POLICY_SCHEMA]),
    )
    roster_raw = _yaml(
        ROSTER,
        files.get(ROSTER),
        schemas[ROSTER_SCHEMA],
        fast_factory(ROSTER_SCHEMA, schemas[ROSTER_SCHEMA]),
    )
    policy, roster = Policy.from_mapping(policy_raw), Roster.from_mapping(roster_raw)
    problems = [locate(path, f, None) for path, f in cross_references(policy, roster)]
    if any(d.severity is Severity.ERROR for d in problems):
        raise ConfigError(problems)
    return {"policy": policy_raw, "roster": roster_raw, "case_schema": schemas[CASE_SCHEMA]}


def build(data: dict[str, Any], fast_factory: FastFactory) -> Config:
    """A Config from what `validated` returned (possibly read back from a cache)."""
    schema = data["case_schema"]
    return Config(
        Policy.from_mapping(data["policy"]),
        Roster.from_mapping(data["roster"]),
        schema,
        fast_factory(CASE_SCHEMA, schema),
    )


def load(files: dict[str, bytes | None], fast_factory: FastFactory) -> Config:
    """A Config, or ConfigError with every problem found."""
    return build(validated(files, fast_factory), fast_factory)


def cross_references(policy: Policy, roster: Roster) -> Iterator[tuple[str, Finding]]:
    zone = policy.raw["calendar"]["timezone"]
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        yield (
            POLICY,
            Finding(
                REFERENCE,
                f"calendar.timezone {zone!r} is not a known time zone",
                hint="use an IANA name such as Europe/Berlin",
            ),
        )
    handles = Counter(p["handle"] for p in roster.raw["people"])
    emails = Counter(p["email"].lower() for p in roster.raw["people"])
    for handle, count in handles.items():
        if count > 1:
            yield ROSTER, Finding(REFERENCE, f"handle '{handle}' is used by {count} people")
    for email, count in emails.items():
        if count > 1:
            yield (
                ROSTER,
                Finding(
                    REFERENCE,
                    f"e-mail '{email}' is used by {count} people",
                    hint="the e-mail maps a git identity to one person",
                ),
            )
    held = {role for person in roster.people.values() for role in person.roles}
    for item in policy.checklist:
        missing = [r for r in item.responsible if r != CASE_TEAM and r not in held]
        if len(missing) == len(item.responsible):
            yield (
                POLICY,
                Finding(
                    REFERENCE,
                    f"checklist item {item.item}: nobody in the roster "
                    f"holds {' or '.join(missing)}",
                    severity=Severity.WARNING,
                ),
            )
    for person in roster.people.values():
        unknown = person.expertise - set(policy.case_types)
        if unknown:
            yield (
                ROSTER,
                Finding(
                    REFERENCE,
                    f"{person.handle}: expertise {', '.join(sorted(unknown))} is not a case type",
                    severity=Severity.WARNING,
                ),
            )
        for absence in person.availability:
            if absence.end < absence.start:
                yield ROSTER, Finding(REFERENCE, f"{person.handle}: absence ends before it starts")
    if not roster.raw["escrow"]:
        yield (
            ROSTER,
            Finding(
                REFERENCE,
                "no escrow key: records would be lost with their team",
                severity=Severity.WARNING,
            ),
        )
