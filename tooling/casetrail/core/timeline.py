"""What changed between two versions of one case file, in words, for `casetrail log CASE`.

`describe(old, new)` reads both versions with the same parser as `check` and says what each
lifecycle step did ("status new -> assigned", "follow-up F2 done by bkoch", "section "Parties"
re-encrypted (encrypted for 5 recipients)"); whatever has no phrase of its own is still named by
its path ("due.resolution A -> B", "title changed"), so nothing is skipped silently.

It needs no key and shows no secret: an encrypted section is compared as armored text and shown
only as "encrypted for N recipients"; a plain section is only ever "edited", never quoted. Front
matter values appear only where they are short tokens (handles, dates, statuses, IDs) or the
reasons the procedure records for a decision (a priority change, a reassignment, a reopening).
Any input, however broken, gives phrases and never an exception.
"""

from __future__ import annotations

import difflib
import enum
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from casetrail.core import document, envelope, merge3
from casetrail.core.case import CHRONOLOGICAL, PERSON_FIELDS

Path = tuple[str | int, ...]

REASON_LIMIT = 200  # characters of a recorded reason shown in a phrase
TITLE_LIMIT = 80  # characters of a section title
RETURNED = "closure request returned to work: "  # the review `return-closure` writes


class _Missing(enum.Enum):
    MISSING = enum.auto()


MISSING = _Missing.MISSING

# Phrases come out grouped by what they are about, in this order; keys of the front matter not
# named here follow in alphabetical order, then the body.
ORDER = (
    "status",
    "priority",
    "intake",
    "assignments",
    "conflicts",
    "stakeholders",
    "followups",
    "communications",
    "disclosures",
    "reviews",
    "flags",
    "closure",
    "reopenings",
    "retention",
    "attachments",
    "schema",
    "id",
    "type",
    "title",
    "complexity",
    "channel",
    "received_at",
    "registered_at",
    "registered_by",
    "due",
)

# How an entry of a list is recognised in both versions: a follow-up by its ID, a party by its
# reference, a document by its name, a checklist item by its item; a dated log entry by its
# time and who wrote it (CHRONOLOGICAL, PERSON_FIELDS), an assignment also by its role.
IDENTITY: dict[str, tuple[str, ...]] = {
    "followups": ("id",),
    "stakeholders": ("ref",),
    "attachments": ("name",),
    "checklist": ("item",),
    "assignments": ("role", "person", "assigned_at"),
    **{
        group: (CHRONOLOGICAL[group], PERSON_FIELDS[group][0])
        for group in (
            *("priority_history", "communications", "disclosures", "reviews"),
            *("flags", "conflicts", "reopenings"),
        )
    },
}
LISTS = (
    "priority_history",
    "assignments",
    "followups",
    "communications",
    "disclosures",
    "reviews",
    "flags",
    "stakeholders",
    "conflicts",
    "reopenings",
    "attachments",
)

_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+/-]{0,63}\Z")


def describe(old: str | bytes | None, new: str | bytes | None) -> list[str]:
    """What changed from `old` to `new` (whole case file texts; None: the file did not exist, or
    was deleted), as short phrases in a stable order; [] when nothing changed."""
    try:
        return _describe(old, new)
    except Exception as error:  # a safety net: the code below is written not to raise
        return [f"change not described (internal error {type(error).__name__})"]


def _describe(old: str | bytes | None, new: str | bytes | None) -> list[str]:
    before, after = _bytes(old), _bytes(new)
    if before == after:
        return []
    if after is None:
        return ["deleted"]
    new_doc, new_why = _read(after)
    if before is None:
        if new_doc is None:
            return ["created", f"file not readable as a case: {new_why}"]
        return [f"created: {_overview(new_doc.front_matter)}"]
    if new_doc is None:
        return [f"file not readable as a case: {new_why}"]
    old_doc, _ = _read(before)
    if old_doc is None:
        return [f"readable as a case again: {_overview(new_doc.front_matter)}"]
    phrases = front_matter_changes(old_doc.front_matter, new_doc.front_matter)
    if old_doc.front_matter_text != new_doc.front_matter_text and _same(
        old_doc.front_matter, new_doc.front_matter
    ):
        phrases.append("front matter formatting changed (same values)")
    body = _body(old_doc, new_doc)
    if not body and old_doc.body != new_doc.body:
        body = ["body formatting changed"]
    return phrases + [_clean(p) for p in body]


def front_matter_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The phrases for two front matters alone (already parsed), in the same order."""
    try:
        return [_clean(p) for p in _FrontMatter(old, new).run()]
    except Exception as error:  # a safety net: the code below is written not to raise
        return [f"change not described (internal error {type(error).__name__})"]


# ---- reading -------------------------------------------------------------------------------


def _bytes(value: str | bytes | None) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return b"\xff"  # a lone surrogate: not UTF-8, and the parser says so


@functools.lru_cache(maxsize=8)  # a timeline reads each version twice: as new, then as old
def _read(data: bytes) -> tuple[document.CaseDocument | None, str]:
    parsed, findings = document.parse(data)
    if parsed is not None:
        return parsed, ""
    if not findings:
        return None, "unknown reason"
    first = findings[0]
    where = f" (line {first.line})" if first.line else ""
    return None, _shorten(first.message, REASON_LIMIT) + where


def _overview(data: dict[str, Any]) -> str:
    return (
        f"{_word(data.get('type'))}, priority {_word(data.get('priority'))}, "
        f"status {_word(data.get('status'))}"
    )


# ---- values in words -----------------------------------------------------------------------


def _token(value: Any) -> str | None:
    """A value short and plain enough to show (a handle, date, status, ID, number)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, str) and _TOKEN.match(value):
        return value
    return None


def _word(value: Any) -> str:
    """A value in a phrase; "?" where it is missing or not a plain token."""
    return "?" if value is None else _token(value) or "?"


def _words(value: Any) -> str:
    """An enum value in words: legal_obligation -> legal obligation."""
    return _word(value).replace("_", " ")


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _reason(value: Any) -> str:
    """A recorded reason, on one line and cut to a readable length."""
    if isinstance(value, str) and value.strip():
        return _shorten(value, REASON_LIMIT)
    return _token(value) or "(no reason recorded)"


def _clean(text: str) -> str:
    """No control or invisible character reaches a terminal (a hand-written value can hold one)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def _freeze(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (true is not 1)."""
    return a is b or _freeze(a) == _freeze(b)


def _path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def generic(path: Path, old: Any, new: Any) -> list[str]:
    """A change with no phrase of its own, named by its path: "due.resolution A -> B",
    "title changed", "intake.notes added"."""
    if _same(old, new):
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            phrase
            for key in _keys(old, new)
            for phrase in generic((*path, key), old.get(key, MISSING), new.get(key, MISSING))
        ]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            p
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for p in generic((*path, i), a, b)
        ]
    where = _path(path)
    if old is MISSING:
        shown = _token(new)
        return [f"{where} set to {shown}" if shown is not None else f"{where} added"]
    if new is MISSING:
        return [f"{where} removed"]
    a, b = _token(old), _token(new)
    if a is not None and b is not None:
        return [f"{where} {a} -> {b}"]
    if isinstance(old, list) and isinstance(new, list):
        return [f"{where} changed ({len(old)} -> {len(new)} entries)"]
    return [f"{where} changed"]


def _keys(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [*new, *(k for k in old if k not in new)]


def _newly(old: Any, new: Any, key: str) -> bool:
    """`key` is set in `new` and was not set (to the same value) in `old`."""
    return key in new and (not isinstance(old, dict) or not _same(old.get(key, MISSING), new[key]))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# ---- lists of entries ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pair:
    """One entry in the old and the new version (MISSING where it is not in that version)."""

    group: str
    old: Any
    new: Any
    old_index: int | None
    new_index: int | None

    @property
    def added(self) -> bool:
        return self.old is MISSING

    @property
    def removed(self) -> bool:
        return self.new is MISSING

    @property
    def index(self) -> int:
        return self.new_index if self.new_index is not None else self.old_index or 0

    @property
    def entry(self) -> dict[str, Any]:
        """The newer version of the entry, if it is a mapping."""
        return _dict(self.old if self.removed else self.new)

    @property
    def path(self) -> Path:
        return (
            ("closure", "checklist", self.index)
            if self.group == "checklist"
            else (self.group, self.index)
        )

    @property
    def odd(self) -> str | None:
        """The phrase for an added or removed entry that is not a mapping."""
        if self.added and not isinstance(self.new, dict):
            return f"{_path(self.path)} added"
        if self.removed and not isinstance(self.old, dict):
            return f"{_path(self.path)} removed"
        return None

    def newly(self, key: str) -> bool:
        return not self.removed and isinstance(self.new, dict) and _newly(self.old, self.new, key)

    def rest(self, explained: set[str]) -> list[str]:
        """Generic phrases for what changed in a kept entry besides `explained`."""
        if self.added or self.removed:
            return []
        path = self.path
        if not isinstance(self.old, dict) or not isinstance(self.new, dict):
            return generic(path, self.old, self.new)
        return [
            phrase
            for key in _keys(self.old, self.new)
            if key not in explained
            for phrase in generic(
                (*path, key), self.old.get(key, MISSING), self.new.get(key, MISSING)
            )
        ]


def _identity(group: str, entry: Any) -> str:
    fields = IDENTITY.get(group, ())
    if not isinstance(entry, dict) or not any(f in entry for f in fields):
        return _freeze(entry)
    return _freeze([entry.get(f) for f in fields])


def align(group: str, old: list[Any], new: list[Any]) -> list[Pair]:
    """Entries of two versions of a list, matched by identity; where a run of entries was
    replaced by as many others, they are matched in order (an identifying field was edited)."""
    keys_old = [_identity(group, e) for e in old]
    keys_new = [_identity(group, e) for e in new]
    matcher = difflib.SequenceMatcher(None, keys_old, keys_new, autojunk=False)
    pairs: list[Pair] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            pairs += [
                Pair(group, old[i], new[j], i, j)
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
        else:
            pairs += [Pair(group, old[i], MISSING, i, None) for i in range(i1, i2)]
            pairs += [Pair(group, MISSING, new[j], None, j) for j in range(j1, j2)]
    return pairs


def _label(pair: Pair) -> str:
    """How an entry is named when it is removed."""
    e = pair.entry
    group = pair.group
    named = {
        "followups": ("follow-up", "id"),
        "stakeholders": ("stakeholder", "ref"),
        "attachments": ("document", "name"),
        "conflicts": ("conflict of interest for", "person"),
    }
    if group in named:
        word, key = named[group]
        if e.get(key) is not None and _token(e[key]) is not None:
            return f"{word} {_word(e[key])}"
    if group == "assignments" and e.get("person") is not None:
        return f"{_words(e.get('role'))} assignment of {_word(e['person'])}"
    if group == "flags":
        return f"flag {pair.index + 1}"
    words = {
        "priority_history": "priority assessment",
        "communications": "communication",
        "disclosures": "disclosure",
        "reviews": "review",
        "reopenings": "reopening",
    }
    when = _token(e.get(CHRONOLOGICAL.get(group, "")))
    if group in words and when is not None and when != "null":
        return f"{words[group]} of {when}"
    return _path((group, pair.index))


# ---- the front matter ----------------------------------------------------------------------


class _FrontMatter:
    """Phrases for one pair of front matters; `run` gives them in ORDER."""

    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old, self.new = old, new
        self.out: dict[str, list[str]] = {}
        self.claimed: set[tuple[str, int]] = set()  # (group, new index) said by another phrase
        self.closure_said = False  # the closure's removal is part of a reopening or a return
        self.pairs: dict[str, list[Pair]] = {}
        for group in LISTS:
            a, b = old.get(group, []), new.get(group, [])
            if isinstance(a, list) and isinstance(b, list):
                self.pairs[group] = align(group, a, b)

    def say(self, bucket: str, *phrases: str) -> None:
        self.out.setdefault(bucket, []).extend(phrases)

    def run(self) -> list[str]:
        self.reopenings_and_returns()
        self.status()
        self.priority()
        self.intake()
        self.assignments()
        self.closure()
        self.retention()
        special = {"status", "priority", "priority_history", "intake", "assignments"}
        special |= {"closure", "retention"}
        for key in _keys(self.old, self.new):
            if key in special:
                continue
            if key in self.pairs:
                self.entries(key)
            else:
                self.say(key, *generic((key,), *self.changed_pair(key)))
        rank = {key: i for i, key in enumerate(ORDER)}
        buckets = sorted(self.out, key=lambda k: (rank.get(k, len(ORDER)), k))
        return [phrase for bucket in buckets for phrase in self.out[bucket]]

    def changed(self, key: str) -> tuple[Any, Any] | None:
        old, new = self.old.get(key, MISSING), self.new.get(key, MISSING)
        return None if _same(old, new) else (old, new)

    # -- steps that span several fields

    def reopenings_and_returns(self) -> None:
        """A reopening undoes the closure and retention (kept inside its entry); a returned
        closure request removes the request (kept as a review)."""
        closure_gone = "closure" in self.old and "closure" not in self.new
        if any(p.added for p in self.pairs.get("reopenings", [])):
            self.closure_said = closure_gone
            return
        if not closure_gone or self.old.get("status") != "closure_requested":
            return
        for pair in self.pairs.get("reviews", []):
            summary = pair.entry.get("summary")
            if pair.added and isinstance(summary, str) and summary.startswith(RETURNED):
                reason = _reason(summary[len(RETURNED) :])
                self.say("closure", f"closure returned by {_word(pair.entry.get('by'))}: {reason}")
                self.claimed.add(("reviews", pair.index))
                self.closure_said = True
                return

    # -- single fields

    def status(self) -> None:
        change = self.changed("status")
        if change:
            self.say("status", *generic(("status",), *change))

    def priority(self) -> None:
        pairs = self.pairs.get("priority_history")
        if pairs is None:
            self.say(
                "priority", *generic(("priority_history",), *self.changed_pair("priority_history"))
            )
            pairs = []
        added = {p.index: p for p in pairs if p.added}
        change = self.changed("priority")
        if change:
            old, new = change
            if old is MISSING or new is MISSING:
                phrase = generic(("priority",), old, new)[0]
            else:
                phrase = f"priority {_word(old)} -> {_word(new)}"
            entry = next((p for p in reversed(added.values()) if p.entry.get("to") == new), None)
            if entry is not None:
                phrase += f": {_reason(entry.entry.get('reason'))}"
                del added[entry.index]
            self.say("priority", phrase)
        for pair in pairs:
            e = pair.entry
            if pair.odd:
                self.say("priority", pair.odd)
            elif pair.added:
                if pair.index in added:
                    self.say(
                        "priority",
                        f"priority assessment by {_word(e.get('by'))}: {_word(e.get('to'))}, "
                        f"{_reason(e.get('reason'))}",
                    )
            elif pair.removed:
                self.say("priority", f"{_label(pair)} removed")
            else:
                self.say("priority", *pair.rest(set()))

    def changed_pair(self, key: str) -> tuple[Any, Any]:
        return self.old.get(key, MISSING), self.new.get(key, MISSING)

    def intake(self) -> None:
        old, new = self.changed_pair("intake")
        if _same(old, new):
            return
        if not isinstance(new, dict) or not isinstance(old, dict | _Missing):
            self.say("intake", *generic(("intake",), old, new))
            return
        explained: set[str] = set()
        if _newly(old, new, "assessed_at"):
            notes = " (with notes)" if _newly(old, new, "notes") else ""
            self.say("intake", f"assessed by {_word(new.get('assessed_by'))}{notes}")
            explained |= {"assessed_at", "assessed_by", "notes"}
        if _newly(old, new, "verified_at"):
            self.say("intake", f"intake verified by {_word(new.get('verified_by'))}")
            explained |= {"verified_at", "verified_by"}
        before = _dict(old)
        for key in _keys(before, new):
            if key not in explained:
                self.say(
                    "intake",
                    *generic(("intake", key), before.get(key, MISSING), new.get(key, MISSING)),
                )

    def assignments(self) -> None:
        pairs = self.pairs.get("assignments")
        if pairs is None:
            self.say("assignments", *generic(("assignments",), *self.changed_pair("assignments")))
            return
        # A new assignment in a role whose earlier one ended in the same change replaces it.
        ended = [p for p in pairs if not p.added and p.newly("ended_at")]
        replaced: dict[int, Pair] = {}
        for pair in pairs:
            if pair.added:
                role = pair.entry.get("role")
                earlier = next((p for p in ended if p.entry.get("role") == role), None)
                if earlier is not None:
                    ended.remove(earlier)
                    replaced[pair.index] = earlier
        said_end = {p.index for p in replaced.values()}
        for pair in pairs:
            e = pair.entry
            role, person = _words(e.get("role")), _word(e.get("person"))
            if pair.odd:
                self.say("assignments", pair.odd)
                continue
            if pair.removed:
                self.say("assignments", f"{_label(pair)} removed")
                continue
            if pair.added:
                by = f"assigned by {_word(e.get('assigned_by'))}"
                approved = f"approved by {_word(e.get('approved_by'))}"
                earlier = replaced.get(pair.index)
                if earlier is not None:
                    why = earlier.entry.get("end_reason")
                    reason = f": {_reason(why)}" if why is not None else ""
                    self.say(
                        "assignments",
                        f"{role} {_word(earlier.entry.get('person'))} -> {person} "
                        f"(reassigned{reason}), {by}, {approved}",
                    )
                else:
                    self.say("assignments", f"{role} {person} {by}, {approved}")
                if "acknowledged_at" in e:
                    self.say("assignments", self._ack(e))
                if "ended_at" in e:
                    self.say("assignments", f"{role} {person} assignment ended")
                continue
            explained: set[str] = set()
            if pair.newly("acknowledged_at"):
                self.say("assignments", self._ack(e))
                explained |= {"acknowledged_at", "notified_at"}
            elif pair.newly("notified_at"):
                self.say("assignments", f"{role} {person} notified")
                explained.add("notified_at")
            if pair.newly("ended_at"):
                if pair.index not in said_end:
                    why = e.get("end_reason")
                    reason = f": {_reason(why)}" if why is not None else ""
                    self.say("assignments", f"{role} {person} assignment ended{reason}")
                explained |= {"ended_at", "end_reason"}
            self.say("assignments", *pair.rest(explained))

    @staticmethod
    def _ack(e: dict[str, Any]) -> str:
        role = "" if e.get("role") == "handler" else f" as {_words(e.get('role'))}"
        return f"acknowledged by {_word(e.get('person'))}{role}"

    def entries(self, group: str) -> None:
        """The other lists: each entry added, removed or changed."""
        for pair in self.pairs[group]:
            if (group, pair.index) in self.claimed and pair.added:
                continue
            if pair.odd:
                self.say(group, pair.odd)
                continue
            if pair.removed:
                self.say(group, f"{_label(pair)} removed")
                continue
            e = pair.entry
            explained: set[str] = set()
            phrases = ENTRY_PHRASES[group](pair, e, explained)
            self.say(group, *phrases, *pair.rest(explained))

    def closure(self) -> None:
        old, new = self.changed_pair("closure")
        if _same(old, new):
            return
        if new is MISSING and isinstance(old, dict):
            if not self.closure_said:
                self.say("closure", "closure record removed")
            return
        if not isinstance(new, dict) or not isinstance(old, dict | _Missing):
            self.say("closure", *generic(("closure",), old, new))
            return
        before = _dict(old)
        explained: set[str] = {"checklist"}
        if _newly(before, new, "requested_at"):
            outcome = f" ({_words(new['outcome'])})" if "outcome" in new else ""
            self.say("closure", f"closure requested by {_word(new.get('requested_by'))}{outcome}")
            explained |= {"requested_at", "requested_by", "outcome", "outcome_summary"}
            explained |= {"lessons_learned"}
        if _newly(before, new, "closed_at"):
            self.say("closure", f"closed by {_word(new.get('closed_by'))}")
            explained |= {"closed_at", "closed_by"}
        self._checklist(before.get("checklist", MISSING), new.get("checklist", MISSING))
        for key in _keys(before, new):
            if key not in explained:
                self.say(
                    "closure",
                    *generic(("closure", key), before.get(key, MISSING), new.get(key, MISSING)),
                )

    def _checklist(self, old: Any, new: Any) -> None:
        if not isinstance(old, list | _Missing) or not isinstance(new, list | _Missing):
            self.say("closure", *generic(("closure", "checklist"), old, new))
            return
        pairs = align("checklist", [] if old is MISSING else old, [] if new is MISSING else new)
        ticked = [
            f"{_word(p.entry.get('item'))} by {_word(p.entry.get('done_by'))}"
            for p in pairs
            if p.added and not p.odd
        ]
        if ticked:
            self.say("closure", "checklist: " + ", ".join(ticked))
        for pair in pairs:
            if pair.odd:
                self.say("closure", pair.odd)
            elif pair.removed:
                self.say("closure", f"checklist item {_word(pair.entry.get('item'))} removed")
            else:
                self.say("closure", *pair.rest(set()))

    def retention(self) -> None:
        old, new = self.changed_pair("retention")
        if _same(old, new):
            return
        if new is MISSING:
            if not self.closure_said:
                self.say("retention", "retention removed")
            return
        if not isinstance(new, dict) or not isinstance(old, dict | _Missing):
            self.say("retention", *generic(("retention",), old, new))
            return
        hold = " (legal hold)" if new.get("legal_hold") is True else ""
        if old is MISSING:
            self.say(
                "retention",
                f"retention until {_word(new.get('until'))}, then "
                f"{_word(new.get('disposition'))}{hold}",
            )
            return
        explained = {"legal_hold"}
        if old.get("legal_hold") is True and new.get("legal_hold") is not True:
            self.say("retention", "legal hold lifted")
        elif old.get("legal_hold") is not True and new.get("legal_hold") is True:
            self.say("retention", "legal hold set")
        elif not _same(old.get("legal_hold", MISSING), new.get("legal_hold", MISSING)):
            explained.discard("legal_hold")
        for key, word in (("until", "until"), ("disposition", "disposition")):
            a, b = old.get(key, MISSING), new.get(key, MISSING)
            if not _same(a, b) and a is not MISSING and b is not MISSING:
                self.say("retention", f"retention {word} {_word(a)} -> {_word(b)}")
                explained.add(key)
        if isinstance(old.get("rule"), str) and isinstance(new.get("rule"), str):
            if old["rule"] != new["rule"]:
                self.say("retention", "retention rule changed")
            explained.add("rule")
        for key in _keys(old, new):
            if key not in explained:
                self.say(
                    "retention",
                    *generic(("retention", key), old.get(key, MISSING), new.get(key, MISSING)),
                )


# ---- one phrase per kind of entry (added, or changed by a later step) ---------------------

EntryPhrases = Callable[[Pair, dict[str, Any], set[str]], list[str]]


def _followup(pair: Pair, e: dict[str, Any], explained: set[str]) -> list[str]:
    task = _word(e.get("id"))
    out = []
    if pair.added:
        out.append(
            f"follow-up {task} added (owner {_word(e.get('owner'))}, due {_word(e.get('due'))})"
        )
    if pair.newly("done_at"):
        out.append(f"follow-up {task} done by {_word(e.get('done_by'))}")
        explained |= {"done_at", "done_by", "outcome"}
    elif not pair.added and "done_at" in _dict(pair.old) and "done_at" not in e:
        out.append(f"follow-up {task} marked not done")
        explained |= {"done_at", "done_by", "outcome"}
    return out


def _communication(pair: Pair, e: dict[str, Any], explained: set[str]) -> list[str]:
    if not pair.added:
        return []
    how = ", ".join(_words(e[k]) for k in ("channel", "direction") if k in e)
    return [
        f"communication with {_word(e.get('stakeholder'))} logged by {_word(e.get('by'))} ({how})"
    ]


def _disclosure(pair: Pair, e: dict[str, Any], explained: set[str]) -> list[str]:
    if not pair.added:
        return []
    return [f"disclosure recorded by {_word(e.get('by'))} ({_words(e.get('basis'))})"]


def _review(pair: Pair, e: dict[str, Any], explained: set[str]) -> list[str]:
    return [f"review by {_word(e.get('by'))}"] if pair.added else []


def _flag(pair: Pair, e: dict[str, Any], explained: set[str]) -> list[str]:
    number = pair.index + 1
    out = []
    if pair.added:
        to = f" to {_word(e['to'])}" if "to" in e else ""
        out.append(
            f"{_word(e.get('kind'))} flag {number} raised by {_word(e.get('raised_by'))}{to}"
        )
    if pair.newly("resolved_at"):
        out.append(f"flag {number} resolved by {_word(e.get('resolved_by'))}")
        explained |= {"resolved_at", "resolved_by", "resolution"}
    return out


def _stakeholder(pair: Pair, e: dict[str, Any], explained: set[str]) -> list[str]:
    ref = _word(e.get("ref"))
    old = _dict(pair.old)
    parts = []
    if pair.newly("notified_of_closure_at"):
        parts.append("notified of closure")
    elif not pair.added and "notified_of_closure_at" in old and "notified_of_closure_at" not in e:
        parts.append("closure notice withdrawn")
    a, b = old.get("agreement", MISSING), e.get("agreement", MISSING)
    if not _same(a, b):
        if b is MISSING:
            parts.append("agreement removed")
        elif a is MISSING:
            parts.append(f"agreement {_words(b)}")
        else:
            parts.append(f"agreement {_words(a)} -> {_words(b)}")
    explained |= {"notified_of_closure_at", "agreement"}
    if pair.added:
        extra = f"; {', '.join(parts)}" if parts else ""
        return [f"stakeholder {ref} added ({_words(e.get('role'))}){extra}"]
    return [f"stakeholder {ref}: {', '.join(parts)}"] if parts else []


def _conflict(pair: Pair, e: dict[str, Any], explained: set[str]) -> list[str]:
    if not pair.added:
        return []
    return [
        f"conflict of interest declared for {_word(e.get('person'))} "
        f"by {_word(e.get('declared_by'))}"
    ]


def _reopening(pair: Pair, e: dict[str, Any], explained: set[str]) -> list[str]:
    if not pair.added:
        return []
    return [f"reopened by {_word(e.get('by'))}: {_reason(e.get('reason'))}"]


def _attachment(pair: Pair, e: dict[str, Any], explained: set[str]) -> list[str]:
    name = _word(e.get("name"))
    if pair.added:
        return [
            f"document {name} attached ({_words(e.get('kind'))}, by {_word(e.get('added_by'))})"
        ]
    old = _dict(pair.old)
    out = []
    if not _same(old.get("sha256", MISSING), e.get("sha256", MISSING)):
        out.append(f"document {name} replaced by another file")
        explained |= {"sha256", "size"}
    elif not _same(old.get("keyset", MISSING), e.get("keyset", MISSING)):
        out.append(f"document {name} re-encrypted")
        explained.add("keyset")
    return out


ENTRY_PHRASES: dict[str, EntryPhrases] = {
    "followups": _followup,
    "communications": _communication,
    "disclosures": _disclosure,
    "reviews": _review,
    "flags": _flag,
    "stakeholders": _stakeholder,
    "conflicts": _conflict,
    "reopenings": _reopening,
    "attachments": _attachment,
}


# ---- the body ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Part:
    """A section as far as it can be told without a key: sealed (one armored block) or plain."""

    title: str
    sealed: bool
    text: str  # the armored block, or the plain section's text; compared, never shown


def _parts(parsed: document.CaseDocument) -> dict[str, _Part]:
    """Sections by title; a repeated title gets its number: `Notes (2)`."""
    blocks = merge3.sealed_blocks(parsed)
    out: dict[str, _Part] = {}
    for section in parsed.sections:
        sealed = _sealed_block(section, blocks)
        title = _shorten(section.title, TITLE_LIMIT)
        key, number = title, 1
        while key in out:
            number += 1
            key = f"{title} ({number})"
        text = sealed if sealed is not None else section.body
        out[key] = _Part(key, sealed is not None, text)
    return out


def _sealed_block(section: document.Section, blocks: list[merge3.Sealed] | None) -> str | None:
    if blocks is None:  # two sealed sections share a title: tell them apart by position
        return section.body if envelope.looks_armored(section.body) else None
    # Sealed.first is 0-based: the section's own lines are heading_line .. heading_line + n - 1.
    end = section.heading_line + len(section.lines)
    return next((b.block for b in blocks if section.heading_line <= b.first < end), None)


def _readers(block: str) -> tuple[str, int | None]:
    try:
        parsed = envelope.parse_armor(block)
    except envelope.EnvelopeError as error:
        return f"not a valid age block: {error}", None
    return parsed.readers, parsed.recipients


def _preamble(parsed: document.CaseDocument) -> str:
    if not parsed.sections:
        return parsed.body
    lines = parsed.body.split("\n")
    return "\n".join(lines[: parsed.sections[0].heading_line - parsed.body_first_line])


def _body(old: document.CaseDocument, new: document.CaseDocument) -> list[str]:
    if old.body == new.body:
        return []
    before, after = _parts(old), _parts(new)
    out: list[str] = []
    if _preamble(old).strip() != _preamble(new).strip():
        out.append("text before the first section edited")
    for key, part in after.items():
        was = before.get(key)
        quoted = f'"{key}"'
        if was is None:
            kind = f" ({_readers(part.text)[0]})" if part.sealed else ""
            out.append(f"section {quoted} added{kind}")
        elif was.text == part.text and was.sealed == part.sealed:
            continue
        elif part.sealed and was.sealed:
            readers, count = _readers(part.text)
            _, before_count = _readers(was.text)
            if count is not None and before_count is not None and count != before_count:
                readers += f", was {before_count}"
            out.append(f"section {quoted} re-encrypted ({readers})")
        elif part.sealed:
            out.append(f"section {quoted} now encrypted ({_readers(part.text)[0]})")
        elif was.sealed:
            out.append(f"section {quoted} no longer encrypted")
        else:
            out.append(f"section {quoted} edited")
    out += [f'section "{key}" removed' for key in before if key not in after]
    kept_before = [k for k in before if k in after]
    kept_after = [k for k in after if k in before]
    if kept_before != kept_after:
        out.append("sections reordered")
    return out
