"""Issue 6's site: a real `mkdocs build --strict`, figures that match the CLI, and no leaks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from casetrail.cli.main import main
from casetrail.core import sitemd
from conftest import DEMO_KEYS, NOW, PROJECT, Records
from test_secrets import ok, set_section

pytestmark = pytest.mark.slow

CANARY = "CANARY-7f3a9c-Ingrid-Bergstrom-+49-30-5550199"
HOSTILE = "<script>alert(1)</script> | [x](javascript:1) **bold**"


def build(out: Path, root: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "CASETRAIL_NOW": NOW, "NO_MKDOCS_2_WARNING": "1", **env}
    if root is not None:
        environment["CASETRAIL_SITE_ROOT"] = str(root)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


def text_of(page: Path) -> str:
    """The article of a built page as its visible text."""
    import html
    import re

    article = page.read_text().split("<article", 1)[1].split("</article>", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", " ", article))


def outputs(folder: Path) -> dict[str, bytes]:
    # sitemap.xml.gz carries gzip's mtime of the build; sitemap.xml holds the same content.
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "sitemap.xml.gz"
    }


def test_example_site_figures_match_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build(tmp_path / "site")
    assert main(["--root", str(PROJECT), "overdue", "--format", "json"]) == 0
    items = json.loads(capsys.readouterr().out)["items"]
    breached = sum(1 for i in items if i["state"] == "breached")
    overview = " ".join(text_of(tmp_path / "site" / "index.html").split())
    assert f"{len(items)} items overdue, at risk or flagged, {breached} breached" in overview
    assert "As of 2026-11-23T10:00:00+01:00" in overview
    overdue = text_of(tmp_path / "site" / "overdue" / "index.html")
    assert all(i["case"] in overdue for i in items)
    pages = sorted((tmp_path / "site" / "cases").glob("2026-*/index.html"))
    assert len(pages) == len(list((PROJECT / "cases").glob("*/*.md")))
    shown = [text_of(p) for p in pages]
    assert any("encrypted for 5 recipients" in s for s in shown)
    for page in (tmp_path / "site").rglob("*.html"):
        content = page.read_text()
        assert "BEGIN AGE" not in content and "age-encryption.org" not in content, page
    nav = (tmp_path / "site" / "index.html").read_text().split('class="md-nav', 1)[1]
    assert "2026-0XV3PVQ/" not in nav.split("</nav>", 1)[0]  # case pages stay out of the nav
    assert "Audit" in text_of(tmp_path / "site" / "audit" / "index.html")


def test_no_plaintext_and_no_key_changes_the_build(
    records: Records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case_id = Path(records.new_case()).stem
    ok(set_section(records, monkeypatch, case_id, "Parties", f"{CANARY}\n"))
    hostile = Path(records.new_case("--title", HOSTILE)).stem if HOSTILE else ""
    keys = tmp_path / "all.agekey"
    keys.write_text("".join(p.read_text() for p in sorted(DEMO_KEYS.glob("*.agekey"))))
    with_keys = tmp_path / "with-keys"
    build(with_keys, records.root, CASETRAIL_AGE_KEY_FILE=str(keys))
    env_without = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_AGE")}
    monkeypatch.setattr(os, "environ", env_without)
    without = tmp_path / "without"
    build(without, records.root)
    built = outputs(with_keys)
    assert built == outputs(without)  # byte for byte: keys change nothing, builds repeat
    assert "search/search_index.json" in built
    for name, data in built.items():
        assert not name.endswith(".md"), name
        for needle in (CANARY.encode(), b"BEGIN AGE", b"age-encryption.org"):
            assert needle not in data, (name, needle)
    page = text_of(with_keys / "cases" / case_id / "index.html")
    assert "Parties" in page and "encrypted for" in page
    raw = (with_keys / "cases" / hostile / "index.html").read_text()
    assert "<script>alert" not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert 'href="javascript' not in raw


def test_values_from_records_are_inert_markdown() -> None:
    shown = sitemd.esc("<b>|x|</b> [a](b) `c` *d* # e\n- f")
    assert "<" not in shown and "\n" not in shown
    assert "\\|" in shown and "\\[" in shown and "\\`" in shown and "\\*" in shown


def test_site_command_writes_the_pages(records: Records, tmp_path: Path) -> None:
    case_id = Path(records.new_case()).stem
    result = ok(records.run("site", "--out", str(tmp_path / "pages"), "--as-of", "2026-11-23"))
    assert "pages written" in result.out
    written = {
        p.relative_to(tmp_path / "pages").as_posix() for p in (tmp_path / "pages").rglob("*")
    }
    assert {
        "index.md",
        "overdue.md",
        "audit.md",
        "cases/index.md",
        f"cases/{case_id}.md",
    } <= written
    audit = (tmp_path / "pages" / "audit.md").read_text()
    assert "could not be audited" in audit and "not a git repository" in audit
