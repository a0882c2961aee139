"""Issue 6's site: a real `mkdocs build --strict`, figures that match the CLI, and no leaks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import frontmatter
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
    """Every output file, the gzipped sitemap included (dated by the figures' moment)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def refused(root: Path, out: Path, **env: str) -> str:
    """A build that must fail: its error output (and no site)."""
    environment = {**os.environ, "CASETRAIL_NOW": NOW, "NO_MKDOCS_2_WARNING": "1", **env}
    environment["CASETRAIL_SITE_ROOT"] = str(root)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=PROJECT, env=environment, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0, "the build should have been refused"
    assert "Traceback" not in result.stderr
    return result.stderr


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
    cli = lambda *args: json.loads(cli_json(capsys, *args))  # noqa: E731
    people = text_of(tmp_path / "site" / "people" / "index.html")
    for row in cli("workload", "--as-of", NOW)["people"]:
        cells = f"{row['person']} {row['points']} {row['capacity']}"
        assert cells in " ".join(people.split()), cells
    month = cli("report", "--period", "2026-11", "--as-of", NOW)
    page = " ".join(text_of(tmp_path / "site" / "reports" / "2026-11" / "index.html").split())
    for row in month["activities"].values():
        assert f"{row['label']} {row['count']} " in page, row["label"]
    for name, row in month["sla"]["targets"].items():
        if name != "review":
            counts = " ".join(str(row[k]) for k in ("met", "met_late", "breached", "pending"))
            assert f"{name} {counts}" in page, name
    assert_to_date_is_the_sum_of_months(tmp_path / "site", cli)
    assert_retention_matches_the_records(tmp_path / "site")
    nav = (tmp_path / "site" / "index.html").read_text().split('class="md-nav', 1)[1]
    assert "2026-0XV3PVQ/" not in nav.split("</nav>", 1)[0]  # case pages stay out of the nav
    assert "Audit" in text_of(tmp_path / "site" / "audit" / "index.html")


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(["--root", str(PROJECT), *args, "--format", "json"]) == 0
    return capsys.readouterr().out


def assert_to_date_is_the_sum_of_months(site: Path, cli: Any) -> None:
    """The overview's compliance to date equals the sum of `casetrail report` over every month
    (each target falls in the month it is due; the example cases start in August 2026)."""
    totals: dict[str, list[int]] = {}
    for month in ("2026-07", "2026-08", "2026-09", "2026-10", "2026-11"):
        report = cli("report", "--period", month, "--as-of", NOW)
        for name, row in report["sla"]["targets"].items():
            counts = totals.setdefault(name, [0, 0, 0])
            for i, key in enumerate(("met", "met_late", "breached")):
                counts[i] += row[key]
    overview = " ".join(text_of(site / "index.html").split())
    for name, (met, late, breached) in totals.items():
        if name != "review" and met + late + breached:
            share = f"{100 * met / (met + late + breached):.1f} %"
            assert f"{name} {met} {late} {breached} " in overview and share in overview, name


def assert_retention_matches_the_records(site: Path) -> None:
    """Counted again from the files with python-frontmatter, not with casetrail's reader."""
    closed = [
        post.metadata
        for path in sorted((PROJECT / "cases").glob("*/*.md"))
        if (post := frontmatter.load(str(path))).metadata.get("status") == "closed"
    ]
    held = sum(1 for m in closed if m["retention"].get("legal_hold") is True)
    due = sum(1 for m in closed if str(m["retention"]["until"]) <= NOW[:10])
    page = " ".join(text_of(site / "retention" / "index.html").split())
    assert f"{len(closed)} closed cases: {due} whose retention period has ended" in page
    assert f"{held} on legal hold" in page
    for m in closed:
        assert m["id"] in page and str(m["retention"]["until"]) in page


def test_unsafe_inputs_are_refused(records: Records, tmp_path: Path) -> None:
    """A stray plaintext file, a link out of the tree or a plaintext attachment stops the build
    before anything is written; the message names the file."""
    case_id = Path(records.new_case()).stem
    year = case_id[:4]
    stray = records.root / "cases" / year / "notes.txt"
    stray.write_text(f"{CANARY}\n")
    assert "notes.txt" in refused(records.root, tmp_path / "a") and not (tmp_path / "a").exists()
    stray.unlink()
    outside = tmp_path / "outside.md"
    outside.write_text(f"{CANARY}\n")
    link = records.root / "cases" / year / "2026-LINKED0.md"
    link.symlink_to(outside)
    assert "symbolic link" in refused(records.root, tmp_path / "b")
    link.unlink()
    folder = records.root / "cases" / year / case_id
    folder.mkdir()
    (folder / "2026-11-23-scan.pdf.age").write_text(f"{CANARY}\n")  # named as encrypted, is not
    assert "not an age-encrypted file" in refused(records.root, tmp_path / "c")
    (folder / "2026-11-23-scan.pdf.age").unlink()
    folder.rmdir()
    build(tmp_path / "d", records.root)  # clean again: it builds


def test_a_link_in_the_docs_folder_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECT / "site", project / "site")
    shutil.copy(PROJECT / "mkdocs.yml", project / "mkdocs.yml")
    secret = tmp_path / "secret.txt"
    secret.write_text(CANARY)
    (project / "site" / "leak.txt").symlink_to(secret)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "out")],
        cwd=project, capture_output=True, text=True, check=False,
        env={**os.environ, "CASETRAIL_SITE_ROOT": str(PROJECT), "CASETRAIL_NOW": NOW},
    )  # fmt: skip
    assert result.returncode != 0 and "leak.txt is or lies under a symbolic link" in result.stderr
    assert not (tmp_path / "out" / "leak.txt").exists()


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


def test_site_command_removes_only_the_pages_it_wrote_before(
    records: Records, tmp_path: Path
) -> None:
    out = tmp_path / "pages"
    case_id = Path(records.new_case()).stem
    ok(records.run("site", "--out", str(out), "--as-of", "2026-11-23"))
    (out / "mine.md").write_text("# kept: not written by casetrail\n")
    page = out / "cases" / f"{case_id}.md"
    assert page.is_file()
    (records.root / "cases" / case_id[:4] / f"{case_id}.md").unlink()  # the case leaves
    ok(records.run("site", "--out", str(out), "--as-of", "2026-11-23"))
    assert not page.exists() and (out / "mine.md").is_file()
