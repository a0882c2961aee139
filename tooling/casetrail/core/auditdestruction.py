"""The audit of destructions (issue 8): a closed case may become a tombstone on main only as a
closure does, with four eyes. Pure: the audit's History in, findings out.

A tombstone reaching main's line is accepted when:

- the commit that wrote it (on main, or on the branch a merge brought in) has a good signature
  of a records officer (by the roster that commit was judged by);
- the destruction list it names is in that commit's tree, lists the case, and reached main's line
  through a merge with a good signature of a supervisor who did not propose it; the tombstone
  names that merge and that supervisor;
- it was written no sooner than the policy's cooling-off period after that merge;
- the case was closed, its retention ended with `destroy`, and no legal hold held it;
- the commit carries the list's certificate, naming the case.

A tombstone is final: any later change to it, or its removal, is CT851.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

from casetrail.core import destruction, document, signers
from casetrail.core.auditcodes import AuditFinding, finding
from casetrail.core.formats import parse_date
from casetrail.core.history import Change, Commit

HINT = (
    "destroy through `casetrail destroy propose`, a supervisor's signed merge of the list, and "
    "`casetrail destroy execute` by a records officer after the cooling-off period"
)


def _front(data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    parsed, _ = document.parse(data)
    return dict(parsed.front_matter) if parsed is not None else None


def _signer(data: Any, commit: Commit) -> str | None:
    verdict = data.verdicts.get(commit.id)
    return verdict.signer if verdict is not None and verdict.good else None


def destruction_findings(
    data: Any,
    commit: Commit,
    change: Change,
    writer: Commit,
    line: Sequence[Commit],
    cooling_off_days: int,
) -> Iterator[AuditFinding]:
    """Findings for a case that became a tombstone in `commit` (written in `writer`)."""
    path = change.path
    problems = list(_problems(data, commit, change, writer, line, cooling_off_days))
    for problem in problems:
        yield finding(commit.id, "CT850", problem, path, HINT)


def _problems(
    data: Any,
    commit: Commit,
    change: Change,
    writer: Commit,
    line: Sequence[Commit],
    cooling_off_days: int,
) -> Iterator[str]:
    new = _front(data.content(change.new_blob)) or {}
    try:
        tomb = destruction.parse_tombstone(new, "the tombstone")
    except destruction.DestructionError as error:
        yield str(error)
        return
    record = tomb.record
    signer = _signer(data, writer)
    if signer is None:
        yield f"the tombstone was written in {writer.short}, which has no verified signature"
    elif "records_officer" not in signers.roles(data.parent_roster(writer.id), signer):
        yield f"the tombstone was written by {signer}, who is not a records officer"
    before = _front(data.content(change.old_blob)) or {}
    yield from _retention(before, writer)
    list_rel = destruction.list_path(record.list_id)
    listed = _read_list(data, f"{writer.id}:{list_rel}", list_rel)
    if isinstance(listed, str):
        yield listed
        return
    if tomb.id not in listed.case_ids:
        yield f"{record.list_id} does not list {tomb.id}"
    approval = _approval(line, list_rel, commit)
    if approval is None:
        yield f"{record.list_id} never reached main's line through a merge before {commit.short}"
        return
    approver = _signer(data, approval)
    if not approval.is_merge or approver is None:
        yield f"{record.list_id} reached main in {approval.short} without a signed merge"
    elif "supervisor" not in signers.roles(data.parent_roster(approval.id), approver):
        yield f"{record.list_id} was merged by {approver}, who is not a supervisor"
    elif approver == listed.proposed_by:
        yield f"{record.list_id} was proposed and approved by the same person ({approver})"
    if approver is not None and (record.approved_by, record.approval_commit) != (
        approver,
        approval.id,
    ):
        yield (
            f"the tombstone names approval {record.approval_commit[:12]} by {record.approved_by}; "
            f"the list was merged in {approval.short} by {approver}"
        )
    ends = approval.committer_time + timedelta(days=cooling_off_days)
    if writer.committer_time < ends:
        yield (
            f"executed {writer.committer_time.isoformat()}, before the {cooling_off_days}-day "
            f"cooling-off period after the approval ended ({ends.isoformat()})"
        )
    certificate = data.content(f"{commit.id}:{destruction.certificate_path(record.list_id)}")
    if certificate is None:
        yield f"no certificate {destruction.certificate_path(record.list_id)} in {commit.short}"
    else:
        try:
            issued = destruction.parse_certificate(certificate.decode("utf-8", "replace"), "cert")
        except destruction.DestructionError as error:
            yield f"the certificate does not read: {error}"
        else:
            if tomb.id not in {c.id for c in issued.cases}:
                yield f"the certificate of {record.list_id} does not name {tomb.id}"


def _retention(before: Mapping[str, Any], writer: Commit) -> Iterator[str]:
    if before.get("status") != "closed":
        yield f"the case was {before.get('status') or 'not a case'}, not closed"
        return
    kept = before.get("retention")
    if not isinstance(kept, dict) or "until" not in kept:
        yield "the case had no retention scheduled"
        return
    if kept.get("legal_hold") is True:
        yield "the case was under legal hold"
    if kept.get("disposition") != "destroy":
        yield f"the case's disposition was {kept.get('disposition')}, not destroy"
    try:
        until = parse_date(str(kept["until"]))
    except ValueError:
        yield "the case's retention date does not read"
        return
    if writer.committer_time.date() < until:
        yield f"destroyed before its retention ended ({until})"


def _read_list(data: Any, name: str, rel: str) -> destruction.DestructionList | str:
    text = data.content(name)
    if text is None:
        return f"the destruction list {rel} is not in the commit that wrote the tombstone"
    try:
        return destruction.parse_list(text.decode("utf-8", "replace"), rel)
    except destruction.DestructionError as error:
        return str(error)


def _approval(line: Sequence[Commit], rel: str, before: Commit) -> Commit | None:
    """The commit on main's line, before `before`, that first brought the list."""
    for commit in line:
        if commit.id == before.id:
            return None
        if any(c.new_path == rel and c.old_path is None for c in commit.changes):
            return commit
    return None


def tombstone_changed(commit: Commit, change: Change) -> AuditFinding:
    what = "removed" if change.new_blob is None else "changed"
    return finding(
        commit.id,
        "CT851",
        f"a destroyed case's tombstone was {what}",
        change.path,
        "a tombstone is final: it is the register of a destroyed record",
    )
