"""One commit's signature verdict: who signed it, and whether the roster let them.

A verdict depends only on the commit object, the roster in its first parent and its
effective time, all immutable once the commit exists, so a verdict is computed once and kept
(shell/auditstore). VERSION changes whenever these rules change, which retires old verdicts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from casetrail.core import signers, sshsig

VERSION = 2

UNSIGNED = "CT801"
BAD = "CT802"
UNREADABLE_ROSTER = "CT808"

# How each verdict reads in a timeline.
STATUS = {
    None: "good",
    UNSIGNED: "unsigned",
    BAD: "bad signature",
    "CT803": "key not in roster",
    "CT804": "signer is not the committer",
    "CT805": "key not valid then",
    "CT806": "key revoked",
    UNREADABLE_ROSTER: "roster unreadable",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    code: str | None  # None: signed by someone the roster authorised
    signer: str | None  # the roster handle owning the key, when the key is known
    fingerprint: str | None
    message: str

    @property
    def good(self) -> bool:
        return self.code is None

    @property
    def status(self) -> str:
        return STATUS.get(self.code, self.code or "good")

    def to_row(self) -> tuple[str | None, str | None, str | None, str]:
        return (self.code, self.signer, self.fingerprint, self.message)


def judge(
    raw: bytes,
    committer_email: str,
    roster: Mapping[str, Any] | None,
    when: datetime,
    timezone: str,
    git_verifies: Callable[[str], bool] | None = None,
) -> Verdict:
    """The verdict on one commit object `raw` (the body `git cat-file commit` prints), against
    the roster of its first parent, at its effective time `when`. A key type this process
    cannot check (security keys) is checked by `git_verifies(public key)` (git and
    ssh-keygen), for the cryptography only: the roster's rules are applied here as for all."""
    try:
        payload, armored = sshsig.split_commit(raw)
    except sshsig.SignatureError as error:
        return Verdict(BAD, None, None, f"commit object unreadable: {error}")
    if armored is None:
        return Verdict(UNSIGNED, None, None, "not signed")
    try:
        signature = sshsig.parse(armored)
    except sshsig.SignatureError as error:
        return Verdict(BAD, None, None, f"not an SSH signature git can check: {error}")
    fingerprint = sshsig.fingerprint(signature.public_key)
    try:
        valid = sshsig.verify(signature, payload)
    except sshsig.UnsupportedKey:
        if git_verifies is None:
            return Verdict(BAD, None, fingerprint, "key type not supported here")
        valid = git_verifies(signature.public_key)
    if not valid:
        return Verdict(BAD, None, fingerprint, f"signature by {fingerprint} does not verify")
    if roster is None:
        return Verdict(
            UNREADABLE_ROSTER, None, fingerprint, "the roster in the parent commit is unreadable"
        )
    keys = signers.signing_keys(roster)
    found = signers.authorise(keys, signature.public_key, when, committer_email, timezone)
    holder = found.key.handle if found.key is not None else None
    if found.code is not None:
        return Verdict(found.code, holder, fingerprint, found.problem or found.code)
    return Verdict(None, found.person, fingerprint, f"good signature by {found.person}")
