"""`casetrail keys status` as a pure function: for each case, where its per-case key is and who
can unwrap it, compared with who the policy says may read the case now."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from casetrail.core.keystore import CaseKeyStatus

OK = "ok"
TO_SYNC = "wrappers differ from the policy"
MISSING = "no key in the store"
MISMATCH = "the store's key is not the case's"
DESTROYED = "destroyed, key erased"
NOT_SHREDDED = "destroyed, but its key is still in the store"
ORPHAN = "key with no case file"
INTERRUPTED = "interrupted change in the store"
BEING_DESTROYED = "destruction interrupted"
PROBLEMS = frozenset({MISSING, MISMATCH, NOT_SHREDDED, INTERRUPTED, BEING_DESTROYED, TO_SYNC})


@dataclass(frozen=True, slots=True)
class KeyedCase:
    """A case file that names a per-case key, and who should hold a wrapper of it (reader ->
    that reader's age recipient in the roster now)."""

    id: str
    recipient: str
    wanted: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Row:
    case: str
    state: str
    readers: tuple[str, ...] = ()  # who holds a wrapper now
    missing: tuple[str, ...] = ()  # should hold one and does not
    extra: tuple[str, ...] = ()  # holds one and should not (revoke with `keys sync`)
    note: str = ""

    @property
    def problem(self) -> bool:
        return self.state in PROBLEMS

    def to_json(self) -> dict[str, object]:
        return {
            "case": self.case,
            "state": self.state,
            "readers": list(self.readers),
            "missing": list(self.missing),
            "extra": list(self.extra),
            "note": self.note,
        }


def rows(
    keyed: Sequence[KeyedCase],
    destroyed: Iterable[str],
    store: Sequence[CaseKeyStatus],
    interrupted: Mapping[str, str] | None = None,
    wrapped: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Row]:
    """One row per case the repository or the store knows; `interrupted` maps a case to the
    destruction list whose execution stopped half-way; `wrapped` gives, per case, the recipient
    each wrapper was made for (a reader whose key changed since is `missing` a valid one)."""
    held = {s.case_id: s for s in store if s.state == "ready"}
    stuck = {s.case_id: s.state for s in store if s.state != "ready"}
    halted = dict(interrupted or {})
    out: list[Row] = []
    seen: set[str] = set()
    for case in keyed:
        seen.add(case.id)
        entry = held.get(case.id)
        if case.id in halted:
            out.append(
                Row(
                    case.id,
                    BEING_DESTROYED,
                    note=f"run `casetrail destroy execute {halted[case.id]}`",
                )
            )
        elif entry is None or entry.recipient is None:
            note = stuck.get(case.id, "")
            out.append(Row(case.id, INTERRUPTED if note else MISSING, note=note))
        elif entry.recipient != case.recipient:
            out.append(Row(case.id, MISMATCH, entry.readers))
        else:
            made_for = (wrapped or {}).get(case.id, {})
            stale = {
                r
                for r in entry.readers
                if made_for.get(r, case.wanted.get(r)) != case.wanted.get(r)
            }
            missing = tuple(sorted(set(case.wanted) - (set(entry.readers) - stale)))
            extra = tuple(sorted(set(entry.readers) - set(case.wanted)))
            state = TO_SYNC if missing or extra else OK
            note = "run `casetrail keys sync`" if state == TO_SYNC else ""
            out.append(Row(case.id, state, entry.readers, missing, extra, note))
    for case_id in sorted(set(destroyed)):
        seen.add(case_id)
        entry = held.get(case_id)
        if case_id in halted:  # a tombstone written but not yet committed
            note = f"run `casetrail destroy execute {halted[case_id]}`"
            out.append(Row(case_id, BEING_DESTROYED, note=note))
        elif entry is not None and entry.recipient is not None:
            out.append(Row(case_id, NOT_SHREDDED, entry.readers, note="erase it"))
        else:
            out.append(Row(case_id, DESTROYED))
    for case_id in sorted(set(held) | set(stuck)):
        if case_id in seen:
            continue
        if case_id in stuck:
            out.append(Row(case_id, INTERRUPTED, note=stuck[case_id]))
        else:
            out.append(Row(case_id, ORPHAN, held[case_id].readers))
    return sorted(out, key=lambda r: r.case)
