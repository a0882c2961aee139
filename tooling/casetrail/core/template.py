"""A new case file from the case type's intake template (SOP 001 §4.1: standardized forms)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from casetrail.core import envelope
from casetrail.core.config import CaseType

Encrypt = Callable[[envelope.SectionPlaintext], str]


@dataclass(frozen=True, slots=True)
class Intake:
    case_id: str
    case_type: str
    title: str
    priority: str
    channel: str
    received_at: str
    registered_at: str
    registered_by: str
    reason: str
    due: dict[str, str] | None = None  # targets computed at registration, with their calendar
    case_key: str | None = None  # the per-case key's recipient, when the policy asks for one


def _quote(text: str) -> str:
    """A YAML double-quoted scalar: always a string, whatever the text looks like."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def front_matter(intake: Intake) -> str:
    return "\n".join(
        [
            "---",
            "schema: casetrail-case/1",
            f"id: {intake.case_id}",
            f"type: {intake.case_type}",
            f"title: {_quote(intake.title)}",
            "status: new",
            f"priority: {intake.priority}",
            f"channel: {intake.channel}",
            f'received_at: "{intake.received_at}"',
            f'registered_at: "{intake.registered_at}"',
            f"registered_by: {intake.registered_by}",
            "priority_history:",
            f'  - at: "{intake.registered_at}"',
            f"    by: {intake.registered_by}",
            f"    to: {intake.priority}",
            f"    reason: {_quote(intake.reason)}",
            *_due_lines(intake.due or {}),
            *([f"case_key: {intake.case_key}"] if intake.case_key else []),
            "---",
            "",
        ]
    )


def _due_lines(due: dict[str, str]) -> list[str]:
    return ["due:", *(f"  {key}: {_quote(value)}" for key, value in due.items())] if due else []


def body(intake: Intake, case_type: CaseType, encrypt: Encrypt) -> str:
    parts = []
    for spec in case_type.sections:
        if spec.sensitive:
            plaintext = envelope.SectionPlaintext(
                intake.case_id, spec.title, 1, f"<!-- {spec.prompt} -->\n"
            )
            parts.append(f"## {spec.title}\n\n{encrypt(plaintext)}\n")
        else:
            parts.append(f"## {spec.title}\n\n<!-- {spec.prompt} -->\n")
    return "\n".join(parts)


def render(intake: Intake, case_type: CaseType, encrypt: Encrypt) -> str:
    return front_matter(intake) + body(intake, case_type, encrypt)
