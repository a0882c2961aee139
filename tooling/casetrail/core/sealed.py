"""A case body's encrypted sections: read them through a decrypt function, write back only what
changed. Pure: the cipher is passed in, so this module never sees a key.

Re-sealing keeps a block byte-for-byte unless its text changed (new revision) or the recipient
set it was written for differs from the policy's (same revision, new ciphertext), so a diff shows
only what really changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from casetrail.core import envelope
from casetrail.core.document import CaseDocument, Section, parse
from casetrail.core.recipients import RecipientSet

Decrypt = Callable[[str, str], envelope.SectionPlaintext]  # (armored block, section title)
Encrypt = Callable[[envelope.SectionPlaintext, RecipientSet], str]


@dataclass(frozen=True, slots=True)
class Outcome:
    body: str
    changed: tuple[str, ...]  # sections whose text changed (new revision)
    rekeyed: tuple[str, ...]  # sections re-encrypted for a new recipient set only


def same_text(old: str, new: str) -> bool:
    """Equal up to trailing newlines (an editor may add or drop the last one)."""
    return old.rstrip("\n") == new.rstrip("\n")


def sensitive_sections(document: CaseDocument, titles: frozenset[str]) -> list[Section]:
    """The document's sensitive sections that hold an armored block, in file order."""
    return [s for s in document.sections if s.title in titles and envelope.looks_armored(s.body)]


def open_sections(
    document: CaseDocument, titles: frozenset[str], decrypt: Decrypt
) -> dict[str, envelope.SectionPlaintext]:
    return {s.title: decrypt(s.body, s.title) for s in sensitive_sections(document, titles)}


def _with_block(body: str, document: CaseDocument, section: Section, block: str) -> str:
    """`body` with the armored lines of `section` replaced by `block`; blank lines around kept."""
    lines = body.split("\n")
    offset = section.heading_line - document.body_first_line + 1
    start = offset + section.lines.index(envelope.BEGIN)
    end = offset + section.lines.index(envelope.END)
    return "\n".join([*lines[:start], *block.split("\n"), *lines[end + 1 :]])


def reseal(
    document: CaseDocument,
    current: Mapping[str, envelope.SectionPlaintext],
    texts: Mapping[str, str],
    sets: Mapping[str, RecipientSet],
    encrypt: Encrypt,
) -> Outcome:
    """The body with each section in `current` re-encrypted where its text (from `texts`, if
    given) or its recipient set (from `sets`) changed. Line numbers stay valid while editing
    bottom-up, so sections are rewritten from the last to the first."""
    body = document.body
    changed: list[str] = []
    rekeyed: list[str] = []
    for section in reversed(document.sections):
        old = current.get(section.title)
        if old is None:
            continue
        wanted = sets[section.title]
        text = texts.get(section.title, old.text)
        if not same_text(old.text, text):
            value = replace(old, text=text, revision=old.revision + 1, keyset=wanted.fingerprint)
            changed.append(section.title)
        elif old.keyset != wanted.fingerprint:
            value = replace(old, keyset=wanted.fingerprint)
            rekeyed.append(section.title)
        else:
            continue
        body = _with_block(body, document, section, encrypt(value, wanted))
    return Outcome(body, tuple(reversed(changed)), tuple(reversed(rekeyed)))


_KEYSET_LINE = re.compile(r'^(\s*(?:- )?keyset: *)("?)([0-9a-f]{16})\2(\s*)$')


def replace_keysets(document: CaseDocument, keysets: Mapping[int, str]) -> str | None:
    """The file with new `keyset` values of existing attachment entries, changed in place on
    their own lines (a round-trip YAML edit costs ~80 ms a case; a bulk `rekey` cannot pay
    that). None when an entry has no keyset yet or its line is not the plain shape: the caller
    then uses the general editor. The result is re-read and compared before it is used."""
    lines = document.text.split("\n")
    for index, keyset in keysets.items():
        entries = document.front_matter.get("attachments")
        if not isinstance(entries, list) or "keyset" not in entries[index]:
            return None
        line, _ = document.position(("attachments", index, "keyset"))
        match = _KEYSET_LINE.match(lines[line - 1])
        if match is None:
            return None
        head, quote, _, tail = match.groups()
        lines[line - 1] = f"{head}{quote}{keyset}{quote}{tail}"
    text = "\n".join(lines)
    changed, _ = parse(text.encode())
    expected = {**document.front_matter}
    expected["attachments"] = [
        {**entry, "keyset": keysets[i]} if i in keysets else entry
        for i, entry in enumerate(document.front_matter["attachments"])
    ]
    if changed is None or changed.front_matter != expected:
        return None
    return text
