"""Three-way merges without I/O: lines of text, and a case file with sealed sections.

`merge_lines` is a classic diff3 merge of lines: where base, ours and theirs agree nothing
happens; between those regions the side that changed wins, and if both changed differently the
merge fails. It merges *decrypted* section text, which must never reach a file, so the merge
runs in memory (git merge-file works on files).

`merge_case` merges a case file in two layers. Each sealed section (a level-2 heading whose
body is exactly one armored age block) is replaced by a placeholder line, and the rest (front
matter and plain sections, never secret) is merged as text by the caller's `merge_text` (git
merge-file). A block changed on one side only is taken from that side; a block changed on both
sides goes to the caller's `resolve`, which returns a merged block (it decrypts, merges and
re-encrypts, if it can) or the reason why it cannot, and then both armored blocks are left
between conflict markers that name the section. The output only ever holds text and blocks
that were in the inputs, and blocks `resolve` produced.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from casetrail.core import document, envelope

OURS, THEIRS, BASE = "ours", "theirs", "base"
# (base, ours, theirs) -> (merged bytes, number of conflicts); the labels are OURS/BASE/THEIRS.
MergeText = Callable[[bytes, bytes, bytes], tuple[bytes, int]]


# --- lines ---------------------------------------------------------------------------------


def _sync_regions(
    base: list[str], ours: list[str], theirs: list[str]
) -> list[tuple[int, int, int, int, int, int]]:
    """Regions where all three agree: (base start, base end, ours start, ours end, theirs
    start, theirs end), ending with an empty region at the ends of all three."""
    a_blocks = difflib.SequenceMatcher(None, base, ours, autojunk=False).get_matching_blocks()
    b_blocks = difflib.SequenceMatcher(None, base, theirs, autojunk=False).get_matching_blocks()
    regions = []
    ia = ib = 0
    while ia < len(a_blocks) and ib < len(b_blocks):
        a_base, a_at, a_len = a_blocks[ia]
        b_base, b_at, b_len = b_blocks[ib]
        start, end = max(a_base, b_base), min(a_base + a_len, b_base + b_len)
        if start < end:
            a_start, b_start = a_at + start - a_base, b_at + start - b_base
            regions.append(
                (start, end, a_start, a_start + end - start, b_start, b_start + end - start)
            )
        if a_base + a_len < b_base + b_len:
            ia += 1
        else:
            ib += 1
    regions.append((len(base), len(base), len(ours), len(ours), len(theirs), len(theirs)))
    return regions


def merge_lines(base: str, ours: str, theirs: str) -> str | None:
    """The three-way merge of three texts by lines, or None if both sides changed the same
    place differently (two insertions at one place included)."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    o, a, b = (text.splitlines(keepends=True) for text in (base, ours, theirs))
    merged: list[str] = []
    iz = ia = ib = 0
    for z_start, z_end, a_start, a_end, b_start, b_end in _sync_regions(o, a, b):
        mine, yours, was = a[ia:a_start], b[ib:b_start], o[iz:z_start]
        if mine == yours or yours == was:
            merged += mine
        elif mine == was:
            merged += yours
        else:
            return None
        merged += o[z_start:z_end]
        iz, ia, ib = z_end, a_end, b_end
    return "".join(merged)


# --- sealed sections -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sealed:
    """A sealed section's armored block: its lines first..last (0-based, inclusive) of the
    file's text split on newlines."""

    title: str
    first: int
    last: int
    block: str


def sealed_blocks(parsed: document.CaseDocument) -> list[Sealed] | None:
    """The sections whose body is exactly one armored age block, in file order; None if two
    such sections share a title (then they cannot be told apart)."""
    found: list[Sealed] = []
    for section in parsed.sections:
        filled = [i for i, line in enumerate(section.lines) if line.strip()]
        if not filled:
            continue
        begin, end = filled[0], filled[-1]
        if section.lines[begin] != envelope.BEGIN or section.lines[end] != envelope.END:
            continue
        if envelope.BEGIN in section.lines[begin + 1 : end]:
            continue  # two blocks in one section: not a sealed section (check reports it)
        first = section.heading_line + begin  # heading_line is 1-based; lines start below it
        block = "\n".join(section.lines[begin : end + 1])
        found.append(Sealed(section.title, first, section.heading_line + end, block))
    titles = [s.title for s in found]
    return None if len(set(titles)) != len(titles) else found


def render(text: str, blocks: list[Sealed], shown: Callable[[Sealed], str]) -> str:
    """`text` with each sealed block's lines replaced by `shown(block)` (textconv)."""
    lines = text.split("\n")
    for sealed in reversed(blocks):
        lines[sealed.first : sealed.last + 1] = shown(sealed).split("\n")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Unresolved:
    """Why a section changed on both sides could not be merged (never quotes its text)."""

    reason: str


# (title, base block or None, ours block, theirs block, the merged front matter if it merged
# cleanly) -> the merged block, or why there is none
Resolve = Callable[[str, str | None, str, str, Mapping[str, Any] | None], str | Unresolved]


@dataclass(frozen=True, slots=True)
class CaseMerge:
    data: bytes
    conflicts: int  # conflict regions left in `text`
    notes: tuple[str, ...]  # one line per sealed section merged or left in conflict


def _split(text: str, token: str) -> tuple[str, dict[str, str]] | None:
    """(skeleton, blocks by title): the text with each sealed block replaced by
    `token` + title; None if the file cannot be read as a case."""
    if text == "":
        return "", {}
    parsed, _ = document.parse(text.encode("utf-8"))
    if parsed is None:
        return None
    blocks = sealed_blocks(parsed)
    if blocks is None:
        return None
    return render(text, blocks, lambda s: f"{token}{s.title}"), {s.title: s.block for s in blocks}


def _token(*texts: str) -> str:
    """A placeholder prefix that cannot occur in any input: it contains their digest."""
    digest = hashlib.sha256("\0".join(texts).encode("utf-8")).hexdigest()[:32]
    return f"casetrail-sealed-section {digest} "


def front_matter_of(text: str) -> dict[str, Any] | None:
    """The front matter of a merged text, if that part merged cleanly and reads strictly."""
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 3)
    if end == -1:
        return None
    parsed, _ = document.parse(text[: end + 5].encode("utf-8"))
    return None if parsed is None else parsed.front_matter


def conflict_block(title: str, ours: str, theirs: str, reason: str) -> str:
    """Both armored blocks between conflict markers that say what to do (`check`: CT012)."""
    reason = " ".join(reason.split())
    return "\n".join(
        [
            f"<<<<<<< {OURS}: encrypted section '{title}' was changed on both sides ({reason})",
            ours,
            "=======",
            theirs,
            f">>>>>>> {THEIRS}: someone with a key keeps one block, deletes the other and "
            "these marker lines, and re-applies the other side's change with casetrail edit",
        ]
    )


def _hunks(lines: list[str], token: str) -> Iterator[tuple[int, str]]:
    """Conflict hunks that are exactly one section's block changed on both sides, ours
    against theirs: (index of the '<<<<<<<' line, the section's title)."""
    for i in range(len(lines) - 4):
        window = lines[i : i + 5]
        if (
            window[0] == f"<<<<<<< {OURS}"
            and window[2] == "======="
            and window[4] == f">>>>>>> {THEIRS}"
            and window[1].startswith(token)
            and window[3].startswith(token)
        ):
            title_a, _, side_a = window[1][len(token) :].rpartition(" @")
            title_b, _, side_b = window[3][len(token) :].rpartition(" @")
            if title_a == title_b and (side_a, side_b) == (OURS, THEIRS):
                yield i, title_a


def _decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def merge_case(
    base: bytes, ours: bytes, theirs: bytes, merge_text: MergeText, resolve: Resolve
) -> CaseMerge:
    """Merge three versions of a case file (see the module's description)."""
    texts = [_decode(data) for data in (base, ours, theirs)]
    token = _token(*(t or "" for t in texts))
    split = [None if t is None else _split(t, token) for t in texts]
    if None in split:  # not readable as a case: an ordinary text merge of the ciphertext
        merged, conflicts = merge_text(base, ours, theirs)
        return CaseMerge(merged, conflicts, ())
    (sk_o, o), (sk_a, a), (sk_b, b) = (s for s in split if s is not None)
    blocks = {BASE: o, OURS: a, THEIRS: b}

    def marked(skeleton: str, side: Callable[[str], str]) -> bytes:
        """Placeholders naming the version of each block: base's, ours' or theirs' own."""
        lines = skeleton.split("\n")
        for i, line in enumerate(lines):
            if line.startswith(token):
                lines[i] = f"{line} @{side(line[len(token) :])}"
        return "\n".join(lines).encode("utf-8")

    def ours_side(title: str) -> str:
        return BASE if a[title] == o.get(title) else OURS

    def theirs_side(title: str) -> str:
        if b[title] == o.get(title):
            return BASE
        return OURS if b[title] == a.get(title) else THEIRS

    merged, _ = merge_text(
        marked(sk_o, lambda _: BASE), marked(sk_a, ours_side), marked(sk_b, theirs_side)
    )
    lines = merged.decode("utf-8", "surrogateescape").split("\n")
    front_matter = front_matter_of("\n".join(lines))
    notes: list[str] = []
    resolved: set[str] = set()
    for at, title in reversed(list(_hunks(lines, token))):
        mine, yours = a[title], b[title]
        result = resolve(title, o.get(title), mine, yours, front_matter)
        notes.append(_note(title, result))
        resolved.add(title)
        if isinstance(result, Unresolved):
            lines[at : at + 5] = conflict_block(title, mine, yours, result.reason).split("\n")
        else:
            lines[at : at + 5] = [result]
    notes.reverse()
    out = []
    for line in lines:
        if not line.startswith(token):
            out.append(line)
            continue
        title, _, name = line[len(token) :].rpartition(" @")
        out.append(blocks[name][title])
        if name != BASE and title not in resolved and _changed_on_both(title, o, a, b):
            resolved.add(title)
            notes.append(
                f"section '{title}' was changed on both sides next to other conflicting "
                "changes; left as a conflict of the two encrypted blocks"
            )
    text = "\n".join(out)
    conflicts = sum(1 for line in out if line.startswith("<<<<<<<"))
    return CaseMerge(text.encode("utf-8", "surrogateescape"), conflicts, tuple(notes))


def _changed_on_both(title: str, o: dict[str, str], a: dict[str, str], b: dict[str, str]) -> bool:
    mine, yours, was = a.get(title), b.get(title), o.get(title)
    return mine != was and yours != was and mine != yours


def _note(title: str, result: str | Unresolved) -> str:
    if isinstance(result, Unresolved):
        return f"section '{title}' was changed on both sides; left as a conflict: {result.reason}"
    return f"section '{title}' was changed on both sides; merged with a key here, re-encrypted"
