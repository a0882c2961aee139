"""The audit of destructions (issue 8): a closed case may become a tombstone on main only as a
closure does, with four eyes. Pure: the audit's History in, findings out.

A tombstone reaching main's line is accepted when:

- the commit that wrote it (on main, or on the branch a merge brought in) has a good signature
  of a records officer (by the roster that commit was judged by), who is the executor the
  tombstone names;
- the destruction list it names reached main's line through a merge with a good signature of a
  supervisor who did not propose it; the list was written on the merged branch, signed by the
  records officer it names as proposer, and the merge brought it unchanged; the tombstone
  names that merge, that supervisor and the merge's time;
- the commit that wrote it holds the list exactly as approved, and the list names the case;
- it was written no sooner than the policy's cooling-off period after that merge (which was
  made no sooner than anything it merged, whatever date it claims);
- the case was closed, its retention ended with `destroy`, and no legal hold held it;
- the commit carries the list's certificate, naming the case.

A list already on main before the first audited commit (in the trust root's tree, or at the
base of an audited range such as a pull request's) is trusted as that base is: its approval is
outside this audit, and the cooling-off period is counted from the approval the tombstone
records. An audit of the whole history judges the approval itself (unless the list is older
than the trust root, which nothing before it is judged against).

A tombstone is final: any later change to it, or its removal, is CT851.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from casetrail.core import destruction, document, history, signers
from casetrail.core.auditcodes import AuditFinding, finding
from casetrail.core.formats import parse_date, parse_datetime
from casetrail.core.history import Change, Commit

HINT = (
    "destroy through `casetrail destroy propose`, a supervisor's signed merge of the list, and "
    "`casetrail destroy execute` by a records officer after the cooling-off period"
)


@dataclass
class MainLine:
    """Main's first-parent line and what the rules look up along it, gathered once per audit
    by the caller (audit.case_transitions)."""

    data: Any  # audit.History
    by_id: Mapping[str, Commit]
    line: Sequence[Commit]  # oldest first
    on_line: set[str]
    order: Mapping[str, int]
    _times: dict[str, datetime] | None = field(default=None, repr=False)

    def made_at(self, commit: Commit) -> datetime:
        """When a commit was made at the earliest: no sooner than any of its parents (a date
        claimed before them is a backdating, CT807)."""
        if self._times is None:
            self._times = history.effective_times(self.data.commits)
        return self._times.get(commit.id, commit.committer_time)

    def made_by(self, commit: Commit, writer: Commit) -> datetime | None:
        """The latest a commit can have been made: no later than any commit after it on main's
        line (for a commit on a merged branch, the merge `commit` bounds it too); None when
        nothing follows it."""
        at = next((i for i, c in enumerate(self.line) if c.id == commit.id), None)
        if at is None:
            return None
        after = self.line[at + 1 :] if writer.id == commit.id else self.line[at:]
        return min((c.committer_time for c in after), default=None)

    def base(self) -> str | None:
        """The commit main's audited line starts from (the trust root, or a range's base)."""
        first = self.line[0] if self.line else None
        return first.parents[0] if first is not None and first.parents else None


def _front(data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    parsed, _ = document.parse(data)
    return dict(parsed.front_matter) if parsed is not None else None


def _signer(data: Any, commit: Commit) -> str | None:
    verdict = data.verdicts.get(commit.id)
    return verdict.signer if verdict is not None and verdict.good else None


def _holds(data: Any, commit: Commit, who: str, role: str) -> bool:
    return role in signers.roles(data.parent_roster(commit.id), who)


def destruction_findings(
    main: MainLine, commit: Commit, change: Change, writer: Commit
) -> Iterator[AuditFinding]:
    """Findings for a case that became a tombstone in `commit` (written in `writer`)."""
    for problem in _problems(main, commit, change, writer):
        yield finding(commit.id, "CT850", problem, change.path, HINT)


def _problems(main: MainLine, commit: Commit, change: Change, writer: Commit) -> Iterator[str]:
    data = main.data
    new = _front(data.content(change.new_blob)) or {}
    try:
        tomb = destruction.parse_tombstone(new, "the tombstone")
    except destruction.DestructionError as error:
        yield str(error)
        return
    record = tomb.record
    yield from _executor(data, writer, record)
    yield from _retention(_front(data.content(change.old_blob)) or {}, writer)
    rel = destruction.list_path(record.list_id)
    approval = _approval(main.line, rel, commit)
    if approval is not None:
        approved_name = f"{approval.id}:{rel}"
        yield from _approval_problems(main, approval, record)
        approved_at = main.made_at(approval)
        where = f"approved in {approval.short}"
    else:
        base = main.base()
        if base is None or data.content(f"{base}:{rel}") is None:
            yield f"{record.list_id} never reached main's line through a merge before {commit.short}"
            return
        # Approved before the audited commits: trusted as the base is.
        approved_name = f"{base}:{rel}"
        approved_at = parse_datetime(record.approved_at)
        where = f"on main at {base[:12]}, where this audit starts"
    listed = _read_list(data, approved_name, rel)
    if isinstance(listed, str):
        yield listed
        return
    if approval is not None:
        yield from _proposer(main, approval, rel, listed)
    written = data.content(f"{writer.id}:{rel}")
    if written is None:
        yield f"the destruction list {rel} is not in the commit that wrote the tombstone"
    elif written != data.content(approved_name):
        yield f"{rel} in {writer.short} is not the list {where}"
    if tomb.id not in listed.case_ids:
        yield f"{record.list_id} does not list {tomb.id}"
    days = data.cooling_off_days
    ends = approved_at + timedelta(days=days)
    if writer.committer_time < ends:
        yield (
            f"executed {writer.committer_time.isoformat()}, before the {days}-day "
            f"cooling-off period after the approval ended ({ends.isoformat()})"
        )
    else:
        later = main.made_by(commit, writer)
        if later is not None and later < writer.committer_time and later < ends:
            # A clock run forward: the execution claims a date the commits after it deny.
            yield (
                f"executed {writer.committer_time.isoformat()} by its date, but main's later "
                f"commits were made by {later.isoformat()}, before the {days}-day cooling-off "
                f"period after the approval ended ({ends.isoformat()})"
            )
    yield from _certificate(data, commit, record, tomb.id)


def _executor(data: Any, writer: Commit, record: destruction.Record) -> Iterator[str]:
    signer = _signer(data, writer)
    if signer is None:
        yield f"the tombstone was written in {writer.short}, which has no verified signature"
    elif not _holds(data, writer, signer, "records_officer"):
        yield (
            f"the tombstone was written in {writer.short} by {signer}, who is not a records officer"
        )
    elif signer != record.executed_by:
        yield (
            f"the tombstone names {record.executed_by} as executor, but {writer.short} is "
            f"signed by {signer}"
        )


def main_line(data: Any) -> MainLine:
    """Main's line of an audit's history (audit.History), for the rules below."""
    by_id = {c.id: c for c in data.commits}
    line = history.first_parent_line(by_id, data.head)
    order = {c.id: i for i, c in enumerate(data.commits)}
    return MainLine(data, by_id, line, {c.id for c in line}, order)


def approval_check(
    main: MainLine, approval: Commit, listed: destruction.DestructionList
) -> list[str]:
    """Why the commit that brought a list to main is not its approval (empty: it is): a signed
    merge by a supervisor, of the list as its records officer proposer wrote it on the branch.
    `casetrail destroy execute` asks this before destroying anything."""
    data = main.data
    problems = []
    approver = _signer(data, approval)
    if not approval.is_merge or approver is None:
        problems.append(f"{listed.id} reached main in {approval.short} without a signed merge")
    elif not _holds(data, approval, approver, "supervisor"):
        problems.append(f"{listed.id} was merged by {approver}, who is not a supervisor")
    rel = destruction.list_path(listed.id)
    return problems + list(_proposer(main, approval, rel, listed))


def _approval_problems(
    main: MainLine, approval: Commit, record: destruction.Record
) -> Iterator[str]:
    """What is wrong with the commit that brought the list to main, as an approval."""
    data = main.data
    list_id = record.list_id
    approver = _signer(data, approval)
    if not approval.is_merge or approver is None:
        yield f"{list_id} reached main in {approval.short} without a signed merge"
    elif not _holds(data, approval, approver, "supervisor"):
        yield f"{list_id} was merged by {approver}, who is not a supervisor"
    when = parse_datetime(record.approved_at)  # well formed: parse_tombstone checked
    named = (record.approved_by, record.approval_commit, when)
    if approver is not None and named != (approver, approval.id, approval.committer_time):
        yield (
            f"the tombstone names approval {record.approval_commit[:12]} by {record.approved_by} "
            f"at {record.approved_at}; the list was merged in {approval.short} by {approver} "
            f"at {approval.committer_time.isoformat()}"
        )


def _proposer(
    main: MainLine, approval: Commit, rel: str, listed: destruction.DestructionList
) -> Iterator[str]:
    """The approved list was written on the merged branch by the records officer it names as
    its proposer, and the merge brought it as written: the approver is someone else."""
    data = main.data
    approver = _signer(data, approval)
    if approver is not None and approver == listed.proposed_by:
        yield f"{listed.id} was proposed and approved by the same person ({approver})"
    if not approval.is_merge:
        return  # reported as no approval
    branch = history.branch_commits(main.by_id, approval, main.on_line, main.order)
    writes = [
        (main.by_id[cid], step)
        for cid in branch
        for step in main.by_id[cid].changes
        if step.new_path == rel
    ]
    if not writes:
        yield f"{listed.id} was written in the merge {approval.short} itself, not on its branch"
        return
    for written, _ in writes:
        signer = _signer(data, written)
        if signer is None:
            yield f"{listed.id} was written in {written.short}, which has no verified signature"
        elif signer != listed.proposed_by:
            yield (
                f"{listed.id} was written by {signer} in {written.short}, but names "
                f"{listed.proposed_by} as its proposer"
            )
        elif not _holds(data, written, signer, "records_officer"):
            yield f"{listed.id} was proposed by {signer}, who is not a records officer"
    merged = next((c.new_blob for c in approval.changes if c.new_path == rel), None)
    if merged != writes[-1][1].new_blob:
        yield (
            f"the merge {approval.short} changed the list proposed on its branch "
            f"({writes[-1][0].short})"
        )


def _certificate(
    data: Any, commit: Commit, record: destruction.Record, case_id: str
) -> Iterator[str]:
    rel = destruction.certificate_path(record.list_id)
    certificate = data.content(f"{commit.id}:{rel}")
    if certificate is None:
        yield f"no certificate {rel} in {commit.short}"
        return
    try:
        issued = destruction.parse_certificate(certificate.decode("utf-8", "replace"), rel)
    except destruction.DestructionError as error:
        yield f"the certificate does not read: {error}"
        return
    if case_id not in {c.id for c in issued.cases}:
        yield f"the certificate of {record.list_id} does not name {case_id}"


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
        return f"the destruction list {rel} is not in {name.partition(':')[0][:12]}"
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


def tombstone_changed(commit: Commit, change: Change, kept: bool) -> AuditFinding:
    """A later change to a tombstone; `kept` is False when it left the records (deleted, or
    moved out of cases/)."""
    if change.new_blob is None:
        what = "removed"
    elif not kept:
        what = f"moved out of the records (to {change.new_path})"
    else:
        what = "changed"
    return finding(
        commit.id,
        "CT851",
        f"a destroyed case's tombstone was {what}",
        change.path,
        "a tombstone is final: it is the register of a destroyed record",
    )


def is_certificate(path: str | None) -> bool:
    return bool(path and path.startswith(f"{destruction.CERTIFICATES_DIR}/"))


def certificate_changed(commit: Commit, change: Change) -> AuditFinding:
    """A certificate of destruction is as final as the tombstones it certifies."""
    what = "removed" if change.new_blob is None or change.new_path != change.old_path else "changed"
    return finding(
        commit.id,
        "CT851",
        f"a certificate of destruction was {what}",
        change.old_path or change.path,
        "a certificate is final: it records a destruction that cannot be undone",
    )
