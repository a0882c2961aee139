"""The in-place keyset update that bulk `rekey` uses agrees with the round-trip YAML editor."""

from __future__ import annotations

from pathlib import Path

from casetrail.core import document, sealed, yamledit
from casetrail.shell import bulkwrite

ENTRY = """  - name: 2026-11-20-evidence-1.pdf.age
    date: "2026-11-20"
    kind: evidence
    size: 10
    sha256: {sha}
    added_by: bkoch
{keyset}"""
SHA = "a" * 64


def case(*keysets: str | None) -> document.CaseDocument:
    entries = "".join(
        ENTRY.format(sha=SHA, keyset=f'    keyset: "{k}"\n' if k else "").replace(
            "evidence-1", f"evidence-{n}"
        )
        for n, k in enumerate(keysets, start=1)
    )
    text = f"---\nid: 2026-0000000\nattachments:\n{entries}# a comment\n---\n## Summary\n\ntext\n"
    parsed, findings = document.parse(text.encode())
    assert parsed is not None, findings
    return parsed


def test_in_place_update_is_what_the_yaml_editor_writes() -> None:
    parsed = case("0" * 16, "1" * 16)
    fast = sealed.replace_keysets(parsed, {1: "f" * 16})
    slow = parsed.with_front_matter(
        yamledit.apply(
            parsed.front_matter_text, [yamledit.Set(("attachments", 1, "keyset"), "f" * 16)]
        )
    )
    assert fast is not None
    fast_doc, slow_doc = document.parse(fast.encode())[0], document.parse(slow.encode())[0]
    assert fast_doc is not None and slow_doc is not None
    assert fast_doc.front_matter == slow_doc.front_matter
    # Only the one value changed, in the quoting it had (the editor writes new values plain).
    changed = [
        (a, b) for a, b in zip(parsed.text.split("\n"), fast.split("\n"), strict=True) if a != b
    ]
    assert changed == [(f'    keyset: "{"1" * 16}"', f'    keyset: "{"f" * 16}"')]


def test_an_entry_without_a_keyset_is_left_to_the_yaml_editor() -> None:
    assert sealed.replace_keysets(case("0" * 16, None), {1: "f" * 16}) is None


def test_bulk_replace_writes_every_file_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    targets = [tmp_path / f"{n}.md" for n in range(5)]
    for path in targets[:3]:
        path.write_bytes(b"old")
    targets[0].chmod(0o600)
    bulkwrite.replace_all([(path, f"new {n}".encode()) for n, path in enumerate(targets)])
    assert [p.read_bytes() for p in targets] == [f"new {n}".encode() for n in range(5)]
    assert targets[0].stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in targets)
