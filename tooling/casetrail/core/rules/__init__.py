"""Every rule, registered on import. `RULES` maps stable codes to rules."""

from casetrail.core.rules import (  # noqa: F401  (imported to register)
    attachments,
    chronology,
    deadlines,
    files,
    history,
    identity,
    parsing,
    people,
    policy_refs,
    privacy,
    sections,
    status,
    tombstones,
)
from casetrail.core.rules.registry import RULES

__all__ = ["RULES"]
