"""The audit rules over history (DESIGN invariant 6): pure functions from commits, verdicts,
rosters and case versions to findings. The shell gathers the inputs in one pass of git."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from casetrail.core import auditdestruction, casefacts, destruction, document, history, signers
from casetrail.core.auditcodes import AuditFinding, finding
from casetrail.core.history import Change, Commit
from casetrail.core.verdicts import Verdict

CASE_PATH = re.compile(r"^cases/\d{4}/[^/]+\.md$")
CLOCK_SKEW = timedelta(minutes=10)
CLOSED = "closed"
DESTROYED = destruction.DESTROYED


@dataclass(frozen=True)
class History:
    """Everything the rules read, gathered by the shell."""

    commits: Sequence[Commit]  # the audited commits, parents before children
    head: str
    verdicts: Mapping[str, Verdict]  # by commit id
    parent_roster: Callable[[str], Mapping[str, Any] | None]  # roster at a commit's 1st parent
    facts: Callable[[str | None], casefacts.Facts]  # of a case version, by blob id or rev:path
    content: Callable[[str | None], bytes | None]  # a case version whole, read on demand
    zone: tzinfo
    backdate_days: int = 14
    assignment_by_merge: bool = False  # policy audit.assignment_approval: merge
    refused: Mapping[str, str] = field(default_factory=dict)  # schema/ changes not honoured
    cooling_off_days: int = destruction.DEFAULT_COOLING_OFF_DAYS  # policy destruction.*


def settings(policy: Mapping[str, Any]) -> tuple[int, bool, int]:
    """The policy's settings the audit reads: backdate warning days, assignments approved by
    merge, and the destruction cooling-off period."""
    given = policy.get("audit")
    given = given if isinstance(given, dict) else {}
    days = given.get("backdate_warning_days")
    days = days if isinstance(days, int) and days > 0 else 14
    by_merge = given.get("assignment_approval") == "merge"
    return days, by_merge, destruction.cooling_off_days(policy)


def trust_root_history(
    values: Sequence[tuple[str, object]],
) -> tuple[str | None, list[AuditFinding]]:
    """The trust root in force, from the policy's `trust_root` along main's line (oldest
    first, one entry per commit that changed the policy): the first one ever named. Any later
    change is a finding: moving it forward would exempt the commits it skips."""
    original: str | None = None
    moved = []
    for commit, value in values:
        named = value if isinstance(value, str) and value else None
        if original is None:
            original = named
        elif named != original:
            moved.append(
                finding(
                    commit,
                    "CT842",
                    f"trust_root changed from {original[:12]} to "
                    f"{named[:12] if named else 'nothing'}; the first one stays in force",
                    "schema/policy.yaml",
                    "the trust root is set once, when signing starts",
                )
            )
    return original, moved


def is_case(path: str | None) -> bool:
    return bool(path and CASE_PATH.match(path))


def audit(data: History) -> list[AuditFinding]:
    order = {c.id: i for i, c in enumerate(data.commits)}
    found = [*signature_findings(data), *dated_entries(data), *case_transitions(data, order)]
    # dict.fromkeys drops repeats and keeps the order the rules found them in (a set's order
    # changes from run to run), so the same history always gives the same report.
    unique = dict.fromkeys(found)
    return sorted(unique, key=lambda f: (order.get(f.commit, -1), f.path, f.code))


# --- signatures ----------------------------------------------------------------------------


def signature_findings(data: History) -> Iterator[AuditFinding]:
    times = {c.id: c.committer_time for c in data.commits}
    for commit in data.commits:
        verdict = data.verdicts.get(commit.id)
        if verdict is not None and verdict.code is not None:
            who = f" ({commit.committer_name} <{commit.committer_email}>)"
            yield finding(commit.id, verdict.code, verdict.message + who)
        latest = max((times[p] for p in commit.parents if p in times), default=None)
        if latest is not None and commit.committer_time < latest:
            yield finding(
                commit.id,
                "CT807",
                f"committed {commit.committer_time.isoformat()}, before its parent "
                f"({latest.isoformat()}); its keys are judged at the parent's time",
            )


# --- dates in the files --------------------------------------------------------------------


def dated_entries(data: History) -> Iterator[AuditFinding]:
    """Entries a commit added, dated after it (an error) or long before it (a warning). What
    a merge brings in was written, and is judged, on its branch: a merge answers only for
    entries in none of its parents (an evil merge)."""
    for commit in data.commits:
        when = commit.committer_time
        today = when.astimezone(data.zone).date()
        for change in commit.changes:
            if not is_case(change.new_path) or change.new_blob is None:
                continue
            if data.facts(change.new_blob).status == DESTROYED:
                continue  # a tombstone copies dates recorded elsewhere; CT850 judges it
            added = (
                data.facts(change.new_blob).event_counts()
                - data.facts(change.old_blob).event_counts()
            )
            for parent in commit.parents[1:]:
                added -= data.facts(merged_name(parent, change.path)).event_counts()
            for key, value in sorted(added):
                yield from _dated(commit, change.path, key, value, when, today, data)


def merged_name(parent: str, path: str) -> str:
    """How the shell names the version of `path` in a merge's other parent."""
    return f"{parent}:{path}"


def _dated(
    commit: Commit,
    path: str,
    key: str,
    value: str,
    when: datetime,
    today: date,
    data: History,
) -> Iterator[AuditFinding]:
    moment = casefacts.moment(value, data.zone)
    if moment is None:
        return
    if isinstance(moment, datetime):
        late, early = moment > when + CLOCK_SKEW, moment < when - timedelta(data.backdate_days)
    else:
        late, early = moment > today, moment < today - timedelta(data.backdate_days)
    early = early and key != "date"  # a document's own date may be long before it was filed
    if late:
        yield finding(
            commit.id,
            "CT830",
            f"{key} {value} is after the commit that wrote it ({when.isoformat()})",
            path,
            "record events when they happen; a date in the future was not witnessed",
        )
    elif early:
        yield finding(
            commit.id,
            "CT831",
            f"{key} {value} was written {(when.date() - _day(moment)).days} days later, "
            f"on {when.date().isoformat()}",
            path,
        )


def _day(moment: datetime | date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


# --- closures and closed cases on main -----------------------------------------------------


def case_transitions(data: History, order: Mapping[str, int]) -> Iterator[AuditFinding]:
    by_id = {c.id: c for c in data.commits}
    line = history.first_parent_line(by_id, data.head)
    on_line = {c.id for c in line}
    main = auditdestruction.MainLine(data, by_id, line, on_line, order)  # audit's own order
    for commit in line:
        if commit.id in data.refused:
            yield finding(
                commit.id,
                "CT809",
                f"schema/ {data.refused[commit.id]}; later commits are judged without it",
                "schema/",
                "a records officer changes the roster and policy (or merges the change)",
            )
        for change in commit.changes:
            if (
                auditdestruction.is_certificate(change.old_path)
                and change.old_blob != change.new_blob
            ):
                yield auditdestruction.certificate_changed(commit, change)
            if not (is_case(change.new_path) or is_case(change.old_path)):
                continue
            # A case is in the records only at a case path: a file parked elsewhere and moved
            # back arrives as new, so it cannot dodge the closure rules.
            old = change.old_blob if is_case(change.old_path) else None
            new = change.new_blob if is_case(change.new_path) else None
            before, after = data.facts(old).status, data.facts(new).status
            was_key, key = data.facts(old).key, data.facts(new).key
            if was_key is not None and new is not None and after != DESTROYED and key != was_key:
                yield finding(
                    commit.id,
                    "CT852",
                    f"case_key changed from {was_key[:16]}... to "
                    f"{key[:16] + '...' if key else 'nothing'}",
                    change.path,
                    "a case keeps the key it was registered with: its ciphertext in history is "
                    "sealed to it, and the key store holds it",
                )
            if data.assignment_by_merge:
                yield from _assignments(data, commit, change)
            if before == DESTROYED:
                if new != old:
                    yield auditdestruction.tombstone_changed(commit, change, new is not None)
            elif after == DESTROYED:
                writer = _writer(data, commit, change, by_id, on_line, order)
                yield from auditdestruction.destruction_findings(main, commit, change, writer)
            elif after == CLOSED and before != CLOSED:
                yield from _closure(data, commit, change, by_id, on_line, order)
            elif before == CLOSED and (new is None or change.old_blob != change.new_blob):
                problem = _closed_change(data, commit, data.content(old), data.content(new), change)
                if problem:
                    yield finding(
                        commit.id,
                        "CT820",
                        f"closed case changed: {problem}",
                        change.path,
                        "a closed case changes only through `casetrail reopen` (a supervisor) "
                        "or the records office's retention actions",
                    )


def _writer(
    data: History,
    commit: Commit,
    change: Change,
    by_id: Mapping[str, Commit],
    on_line: set[str],
    order: Mapping[str, int],
) -> Commit:
    """The commit that wrote a tombstone: `commit` itself, or for a merge the branch commit
    that turned the case into it."""
    if not commit.is_merge:
        return commit
    for branch_commit, step in reversed(_touching(by_id, commit, change.path, on_line, order)):
        if data.facts(step.new_blob).status == DESTROYED:
            return branch_commit
    return commit


def _closure(
    data: History,
    merge: Commit,
    change: Change,
    by_id: Mapping[str, Commit],
    on_line: set[str],
    order: Mapping[str, int],
) -> Iterator[AuditFinding]:
    path = change.path
    if not merge.is_merge:
        yield finding(
            merge.id,
            "CT810",
            "the case reached main closed without a merge (a commit made straight on main, "
            "or a fast-forward): no supervisor approved it by merging",
            path,
            "close on a branch (close/<id>) and let a supervisor merge it with a signed merge",
        )
        return
    touching = _touching(by_id, merge, path, on_line, order)
    verdict = data.verdicts.get(merge.id)
    roster = data.parent_roster(merge.id)
    signer = verdict.signer if verdict is not None and verdict.good else None
    if signer is None:
        yield finding(merge.id, "CT811", "the closure merge has no verified signature", path)
    elif "supervisor" not in signers.roles(roster, signer):
        yield finding(
            merge.id,
            "CT811",
            f"the closure was merged by {signer}, who is not a supervisor",
            path,
            "only a supervisor approves a closure, by merging it",
        )
    else:
        versions = [change.old_blob, change.new_blob]
        versions += [b for _, s in touching for b in (s.old_blob, s.new_blob)]
        if any(signer in data.facts(version).team for version in versions):
            yield finding(
                merge.id,
                "CT812",
                f"the closure was merged by {signer}, who is on the case's own team",
                path,
                "another supervisor must approve the closure",
            )
    yield from _unchanged_since_closing(data, merge, change, touching)


def _touching(
    by_id: Mapping[str, Commit],
    merge: Commit,
    path: str,
    on_line: set[str],
    order: Mapping[str, int],
) -> list[tuple[Commit, Change]]:
    """The changes to `path` on the branch a merge brought in, in order."""
    touching = []
    for cid in history.branch_commits(by_id, merge, on_line, order):
        for step in by_id[cid].changes:
            if step.new_path == path or step.old_path == path:
                touching.append((by_id[cid], step))
    return touching


_ASSIGNED = re.compile(rb"\bassigned_at:")


def _assignments(data: History, commit: Commit, change: Change) -> Iterator[AuditFinding]:
    """With `audit.assignment_approval: merge`, an assignment reaches main only through a merge
    signed by the supervisor it names as approver (SOP 003: the lead proposes, a supervisor
    approves)."""
    old, new = data.content(change.old_blob), data.content(change.new_blob)
    if new is None or len(_ASSIGNED.findall(new)) <= len(_ASSIGNED.findall(old or b"")):
        return
    before = _parsed(old) or {}
    known = {_freeze(e) for e in before.get("assignments", []) or []}
    verdict = data.verdicts.get(commit.id)
    signer = verdict.signer if verdict is not None and verdict.good else None
    for entry in (_parsed(new) or {}).get("assignments", []) or []:
        if not isinstance(entry, dict) or _freeze(entry) in known or "approved_by" not in entry:
            continue
        approver = str(entry["approved_by"])
        if not commit.is_merge or signer != approver:
            how = f"merged by {signer}" if commit.is_merge else "committed straight on main"
            yield finding(
                commit.id,
                "CT815",
                f"{entry.get('role')} {entry.get('person')} approved by {approver} was {how}",
                change.path,
                "the approving supervisor merges the assignment's pull request, signed",
            )


def _freeze(entry: Any) -> str:
    return repr(sorted(entry.items())) if isinstance(entry, dict) else repr(entry)


def _unchanged_since_closing(
    data: History, merge: Commit, change: Change, touching: list[tuple[Commit, Change]]
) -> Iterator[AuditFinding]:
    path = change.path
    closing = next(
        (
            (c, s)
            for c, s in touching
            if data.facts(s.new_blob).status == CLOSED and data.facts(s.old_blob).status != CLOSED
        ),
        None,
    )
    if closing is None:
        yield finding(merge.id, "CT813", "the case was closed in the merge itself", path)
        return
    after = [c for c, _ in touching[touching.index(closing) + 1 :]]
    for later in after:
        yield finding(
            merge.id,
            "CT813",
            f"the case changed in {later.short} after it was closed in {closing[0].short}",
            path,
            "the supervisor approves exactly the closed record: close again after changes",
        )
    if not after and closing[1].new_blob != change.new_blob:
        yield finding(
            merge.id,
            "CT813",
            f"the merge changed the case closed in {closing[0].short}",
            path,
        )


def _parsed(data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    parsed, _ = document.parse(data)
    return dict(parsed.front_matter) if parsed is not None else None


_ARMOR = re.compile(r"-----BEGIN AGE ENCRYPTED FILE-----.*?-----END AGE ENCRYPTED FILE-----", re.S)


def _closed_change(
    data: History, commit: Commit, old: bytes | None, new: bytes | None, change: Change
) -> str | None:
    """Why a change to a closed case is not allowed, or None if it is a reopening signed by a
    supervisor, a retention change signed by a records officer, or a re-encryption (rekey)
    that leaves the record as it was."""
    if new is None:
        if change.new_path is not None:
            return f"moved out of the records, to {change.new_path}"
        return "the file was deleted"
    before, after = _parsed(old), _parsed(new)
    if before is None or after is None:
        return "a version does not read as a case"
    verdict = data.verdicts.get(commit.id)
    signer = verdict.signer if verdict is not None and verdict.good else None
    held = signers.roles(data.parent_roster(commit.id), signer) if signer else frozenset()
    if after.get("status") != CLOSED:
        if len(after.get("reopenings", []) or []) <= len(before.get("reopenings", []) or []):
            return f"status became {after.get('status')} without a reopening"
        return None if "supervisor" in held else f"reopened, but not by a supervisor ({signer})"
    if _comparable(before, keep_retention=False) != _comparable(after, keep_retention=False):
        keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        return "changed " + ", ".join(keys)
    if _ARMOR.sub("", _body(old)) != _ARMOR.sub("", _body(new)):
        return "its text changed"
    if before.get("retention") != after.get("retention") and "records_officer" not in held:
        return f"retention changed, but not by a records officer ({signer})"
    return None


def _comparable(front: Mapping[str, Any], keep_retention: bool = True) -> dict[str, Any]:
    """The front matter without what rekey may change (and retention, unless kept)."""
    kept = {k: v for k, v in front.items() if keep_retention or k != "retention"}
    documents = kept.get("attachments")
    if isinstance(documents, list):
        kept["attachments"] = [
            {k: v for k, v in d.items() if k != "keyset"} if isinstance(d, dict) else d
            for d in documents
        ]
    return kept


def _body(data: bytes | None) -> str:
    """The text after the front matter."""
    return casefacts.body(data or b"").decode("utf-8", "replace")
