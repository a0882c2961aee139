"""One registry of every finding code casetrail can report, in code order."""

from __future__ import annotations

from collections.abc import Callable

from casetrail.core.diagnostics import Severity
from casetrail.core.rules.base import CaseCheck, Rule, TreeCheck

RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.code in RULES:
        raise ValueError(f"rule code {rule.code} registered twice")
    RULES[rule.code] = rule
    return rule


def documented(
    code: str, name: str, summary: str, stage: str, severity: Severity = Severity.ERROR
) -> None:
    """A code produced by the parser, the schema check or the repository shell."""
    register(Rule(code, name, summary, severity, stage))


def case_rule(
    code: str, name: str, summary: str, severity: Severity = Severity.ERROR
) -> Callable[[CaseCheck], CaseCheck]:
    def wrap(check: CaseCheck) -> CaseCheck:
        register(Rule(code, name, summary, severity, "case", check_case=check))
        return check

    return wrap


def tree_rule(
    code: str, name: str, summary: str, severity: Severity = Severity.ERROR
) -> Callable[[TreeCheck], TreeCheck]:
    def wrap(check: TreeCheck) -> TreeCheck:
        register(Rule(code, name, summary, severity, "tree", check_tree=check))
        return check

    return wrap
