from __future__ import annotations

import pytest

from casetrail.core import document

GOOD = b"---\nid: x\nstatus: new\n---\n## Summary\n\ntext\n\n## Parties\n\nmore\n"


def codes(data: bytes) -> list[str]:
    return [f.code for f in document.parse(data)[1]]


def test_parses_front_matter_and_sections_with_file_lines() -> None:
    parsed, findings = document.parse(GOOD)
    assert findings == []
    assert parsed is not None
    assert parsed.front_matter == {"id": "x", "status": "new"}
    assert [(s.title, s.heading_line) for s in parsed.sections] == [("Summary", 5), ("Parties", 9)]
    assert parsed.position(("status",)) == (3, 1)
    assert parsed.sections[1].first_content_line == 11


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\xef\xbb\xbf" + GOOD, "CT001"),
        (GOOD.replace(b"text", b"te\x00xt"), "CT001"),
        (GOOD.replace(b"text", b"te\xffxt"), "CT001"),
        (GOOD.replace(b"\n", b"\r\n"), "CT002"),
        (b"id: x\n", "CT003"),
        (b"", "CT003"),
        (b"---\nid: x\n", "CT004"),
        (b"---\n- a\n- b\n---\n", "CT009"),
        (b"---\njust a string\n---\n", "CT009"),
        (b"---\n\n---\n", "CT009"),
        ("---\nid: x\u202e\n---\n".encode(), "CT011"),
        ("---\nid: 2026\u200bABC\n---\n".encode(), "CT011"),
        (b"---\nid: x\n---\n<<<<<<< HEAD\na\n=======\nb\n>>>>>>> other\n", "CT012"),
        (b"---\n" + b"a: b\n" * 40000 + b"---\n", "CT010"),
        (b"x" * (document.MAX_FILE_BYTES + 1), "CT010"),
    ],
)
def test_bad_input_is_a_finding(data: bytes, code: str) -> None:
    parsed, findings = document.parse(data)
    assert parsed is None
    assert [f.code for f in findings][:1] == [code]


def test_bidi_in_body_is_reported_with_its_line() -> None:
    data = GOOD.replace(b"more", "mo\u202ere".encode())
    parsed, findings = document.parse(data)
    assert parsed is not None
    assert [(f.code, f.line) for f in findings] == [("CT011", 11)]


def test_headings_inside_code_fences_are_not_sections() -> None:
    parsed, _ = document.parse(b"---\na: 1\n---\n## One\n```\n## Not\n```\n## Two\n")
    assert parsed is not None
    assert [s.title for s in parsed.sections] == ["One", "Two"]


def test_python_frontmatter_agrees_on_a_valid_file() -> None:
    """python-frontmatter is our independent oracle for well-formed files."""
    import frontmatter

    post = frontmatter.loads(GOOD.decode())
    parsed, _ = document.parse(GOOD)
    assert parsed is not None
    assert dict(post.metadata) == parsed.front_matter
    assert post.content.strip() == parsed.body.strip()
