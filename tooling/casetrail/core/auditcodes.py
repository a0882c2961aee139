"""The codes `casetrail audit` reports and the shape of its findings: a light module (no
cryptography, no git) so that `casetrail rules` and the pre-commit path can list the codes
without loading the audit."""

from __future__ import annotations

from dataclasses import dataclass, field

from casetrail.core.diagnostics import Severity

# code: (name, summary, severity); `casetrail rules` lists them too.
CODES: dict[str, tuple[str, str, Severity]] = {
    "CT801": ("unsigned-commit", "commit not signed", Severity.ERROR),
    "CT802": ("bad-signature", "signature does not verify", Severity.ERROR),
    "CT803": (
        "unknown-signing-key",
        "signing key not in the roster of the parent commit",
        Severity.ERROR,
    ),
    "CT804": ("signer-not-committer", "signer is not the committer", Severity.ERROR),
    "CT805": ("key-outside-validity", "key used outside its validity dates", Severity.ERROR),
    "CT806": ("revoked-key", "key revoked", Severity.ERROR),
    "CT807": ("commit-before-parent", "commit dated before its parent", Severity.WARNING),
    "CT808": ("roster-unreadable", "roster of the parent commit unreadable", Severity.ERROR),
    "CT809": (
        "schema-change-not-honoured",
        "roster or policy changed on main by someone other than the records office",
        Severity.ERROR,
    ),
    "CT810": ("closed-without-merge", "case closed on main without a merge", Severity.ERROR),
    "CT811": (
        "closure-not-by-supervisor",
        "closure merged by someone who is not a supervisor",
        Severity.ERROR,
    ),
    "CT812": ("closure-by-own-team", "closure merged by the case's own team", Severity.ERROR),
    "CT813": (
        "closure-changed-before-merge",
        "case changed between its closure and the merge",
        Severity.ERROR,
    ),
    "CT815": (
        "assignment-not-by-approver",
        "assignment not merged by its approver",
        Severity.ERROR,
    ),
    "CT820": ("closed-case-changed", "closed case changed afterwards", Severity.ERROR),
    "CT850": (
        "destruction-not-approved",
        "case destroyed without an approved, cooled-off destruction list",
        Severity.ERROR,
    ),
    "CT851": (
        "tombstone-changed",
        "a destroyed case's tombstone, or a certificate of destruction, changed",
        Severity.ERROR,
    ),
    "CT852": (
        "case-key-changed",
        "a case's per-case key changed or was removed",
        Severity.ERROR,
    ),
    "CT830": ("entry-after-commit", "entry dated after the commit that wrote it", Severity.ERROR),
    "CT831": (
        "entry-long-before-commit",
        "entry much older than the commit that wrote it",
        Severity.WARNING,
    ),
    "CT840": ("history-rewritten", "history rewritten since the last audit", Severity.ERROR),
    "CT842": ("trust-root-moved", "trust root changed after it was set", Severity.ERROR),
    "CT841": ("trust-root-missing", "trust root not in this history", Severity.ERROR),
}

# The usual way out of a finding, where one message fits every case.
HINTS = {
    "CT801": "sign every commit: run `casetrail setup` in your clone",
    "CT802": "the commit or its signature was altered after signing",
    "CT803": "a key must be in schema/roster.yaml before the commit it signs",
    "CT804": "commit as yourself: git config user.email must be your roster email",
    "CT805": "keys are honoured only between valid_from and valid_until",
    "CT806": "a revoked key signs nothing, whatever date the commit claims",
    "CT808": "fix schema/roster.yaml so casetrail check passes",
}


@dataclass(frozen=True, slots=True, order=True)
class AuditFinding:
    commit: str
    code: str
    message: str
    path: str = ""
    severity: Severity = field(default=Severity.ERROR, compare=False)
    hint: str = field(default="", compare=False)

    def to_json(self) -> dict[str, object]:
        return {
            "commit": self.commit,
            "code": self.code,
            "severity": self.severity.value,
            "path": self.path or None,
            "message": self.message,
            "hint": self.hint,
        }


def finding(commit: str, code: str, message: str, path: str = "", hint: str = "") -> AuditFinding:
    """A finding with its code's severity, and its code's usual hint unless given one."""
    return AuditFinding(commit, code, message, path, CODES[code][2], hint or HINTS.get(code, ""))
