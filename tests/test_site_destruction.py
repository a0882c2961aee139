"""Issue 8 on the auditors' site: a real office destroys a case (per-case key, signed approval,
cooling-off period), and a real `mkdocs build --strict` shows the certificate on the
Destructions page, the tombstone in the case index and on its page, and no plaintext."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from casekeykit import SECRET, at, closed_case, keyed_office, sign_as
from casetrail.core import destruction, sitedestruction
from conftest import PROJECT
from historykit import History
from test_site_build import text_of

pytestmark = pytest.mark.slow

LIST = "DL-2029-01-08-1"
CERTIFICATE = f"retention/certificates/{LIST}.yaml"
AS_OF = "2029-01-20T10:00:00+01:00"
HOSTILE = "<script>alert(1)</script>"


@dataclass(frozen=True)
class Office:
    kit: History
    destroyed: str  # the case destroyed under LIST
    live: str  # an open case with a sealed section


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Office:
    """Built once: the steps of a destruction, as a records office takes them."""
    kit, _ = keyed_office(tmp_path_factory.mktemp("office"))
    destroyed = closed_case(kit)
    live = kit.register()
    kit.ok("section", "set", live, "Parties", stdin=SECRET.encode() + b"\n")
    kit.commit("amartin", f"Parties of {live}")
    kit.now = at("2029-01-08T10:00:00+01:00")
    kit.branch("destroy")
    kit.ok("destroy", "propose", "--by", "hlindqvist")
    kit.commit("hlindqvist", "Propose destruction")
    kit.merge("fweber", "destroy", message="Approve destruction list")
    kit.now = at("2029-01-16T10:00:00+01:00")
    sign_as(kit, "hlindqvist")
    kit.ok("destroy", "execute", LIST, "--by", "hlindqvist")
    kit.now = at(AS_OF)
    return Office(kit, destroyed, live)


def mkdocs(root: Path, out: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_AGE")}
    environment |= {
        "CASETRAIL_NOW": AS_OF,
        "CASETRAIL_SITE_ROOT": str(root),
        "NO_MKDOCS_2_WARNING": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=PROJECT, env=environment, capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def site(office: Office, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    result = mkdocs(office.kit.root, out)
    assert result.returncode == 0, result.stderr
    return out


def flat(page: Path) -> str:
    return " ".join(text_of(page).split())


def test_the_destructions_page_shows_the_certificate(office: Office, site: Path) -> None:
    issued = yaml.safe_load(office.kit.read(CERTIFICATE))  # read again with another reader
    page = flat(site / "destruction" / "index.html")
    assert "crypto-shredding" in page.lower() and "CT850" in page
    assert "1 destruction list(s) executed, 1 case(s) destroyed; 1 tombstone(s)" in page
    assert f"proposed by {issued['proposed_by']} at {issued['proposed_at']}" in page
    approved = f"approved by {issued['approved_by']} at {issued['approved_at']}, signed merge"
    assert f"{approved} {issued['approval_commit'][:12]}" in page
    assert f"cooling-off period {issued['cooling_off_days']} days" in page
    assert f"executed by {issued['executed_by']} at {issued['executed_at']}" in page
    assert f"key store log {issued['key_store_log']}" in page and "sha256" in page
    (case,) = issued["cases"]
    assert case["id"] == office.destroyed and case["key"] == "erased"
    row = f"{case['id']} {case['type']} {case['closed_at']} {case['retention_until']} erased 0"
    assert row in page
    raw = (site / "destruction" / "index.html").read_text()
    assert f'id="{LIST}"' in raw  # the anchor the tombstones link to
    assert f'href="../cases/{office.destroyed}/"' in raw
    assert '<a href="destruction/" class="md-nav__link">' in (site / "index.html").read_text()


def test_the_tombstone_is_in_the_index_and_has_its_record_page(office: Office, site: Path) -> None:
    index = flat(site / "cases" / "index.html")
    assert f"{office.destroyed} inquiry destroyed no" in index
    assert office.live in index
    page = flat(site / "cases" / office.destroyed / "index.html")
    assert "Destroyed at the end of its retention under" in page and LIST in page
    assert "status destroyed" in page and "key erased" in page
    assert "Sections" not in page and "Documents" not in page
    assert "status closed → destroyed" in page  # the timeline, from the audited history
    raw = (site / "cases" / office.destroyed / "index.html").read_text()
    assert f'href="../../destruction/#{LIST}"' in raw


def test_the_figures_count_the_destroyed_case(office: Office, site: Path) -> None:
    overview = flat(site / "index.html")
    assert "1 cases, 1 open" in overview  # live cases only: the tombstone is counted apart
    assert "1 destroyed at the end of their retention" in overview
    retention = flat(site / "retention" / "index.html")
    assert "0 closed cases" in retention and "1 cases destroyed" in retention
    destroyed = retention.split("Destroyed", 1)[1]
    assert office.destroyed in destroyed and LIST in destroyed
    audit = flat(site / "audit" / "index.html")
    assert "errors: 0, warnings: 0" in audit  # CT850 verified the destruction


def test_no_plaintext_in_any_output(site: Path) -> None:
    for path in sorted(site.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            for needle in (SECRET.encode(), b"CANARY-PER-CASE", b"BEGIN AGE"):
                assert needle not in data, (path, needle)


@pytest.fixture
def fork(office: Office, tmp_path: Path) -> Iterator[History]:
    yield office.kit.fork(tmp_path / "fork")


def pages(kit: History, out: Path) -> Path:
    kit.ok("site", "--out", str(out), "--as-of", AS_OF)
    return out


def test_unreadable_and_hostile_certificates_are_shown_not_fatal(
    office: Office, fork: History, tmp_path: Path
) -> None:
    folder = fork.root / "retention" / "certificates"
    (folder / "DL-2029-02-01-1.yaml").write_text("schema: [unclosed\n")
    wrong = fork.read(CERTIFICATE).replace(LIST, "DL-2029-02-02-1")
    (folder / "DL-2029-02-03-1.yaml").write_text(wrong)  # names another list than its file
    hostile = wrong.replace("DL-2029-02-02-1", "DL-2029-02-04-1").replace(
        "type: inquiry", f'type: "{HOSTILE}"'
    )
    (folder / "DL-2029-02-04-1.yaml").write_text(hostile)
    page = (pages(fork, tmp_path / "pages") / "destruction.md").read_text()
    unreadable = page.split("## Unreadable certificates", 1)[1]
    assert "DL\\-2029\\-02\\-01\\-1\\.yaml" in unreadable and "YAML syntax error" in unreadable
    assert (
        "DL\\-2029\\-02\\-03\\-1\\.yaml" in unreadable
        and "not the list its name says" in unreadable
    )
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "3 destruction list(s)" not in page and "2 destruction list(s) executed" in page
    assert page.count(f"](cases/{office.destroyed}.md)") == 2  # the real and the forged one


def test_a_certificate_that_is_a_link_refuses_the_build(fork: History, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(f"{SECRET}\n")
    link = fork.root / "retention" / "certificates" / "DL-2029-02-01-1.yaml"
    link.symlink_to(outside)
    refused = fork.casetrail("site", "--out", str(tmp_path / "a"), "--as-of", AS_OF)
    assert refused.code != 0 and "DL-2029-02-01-1.yaml is a symbolic link" in refused.err
    assert "not safe to publish" in refused.err and SECRET not in refused.err + refused.out
    assert not (tmp_path / "a").exists()
    link.unlink()
    certificates = fork.root / "retention" / "certificates"
    certificates.rename(tmp_path / "elsewhere")
    certificates.symlink_to(tmp_path / "elsewhere")
    refused = fork.casetrail("site", "--out", str(tmp_path / "b"), "--as-of", AS_OF)
    assert refused.code != 0 and "retention/certificates is a symbolic link" in refused.err


def test_a_tombstone_without_its_certificate_is_listed(
    office: Office, fork: History, tmp_path: Path
) -> None:
    """Its links to the list's anchor still resolve: the build is strict."""
    (fork.root / CERTIFICATE).unlink()
    result = mkdocs(fork.root, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    page = flat(tmp_path / "site" / "destruction" / "index.html")
    orphans = page.split("Tombstones no certificate here names", 1)[1]
    assert office.destroyed in orphans and "No record" not in page
    raw = (tmp_path / "site" / "destruction" / "index.html").read_text()
    assert f'id="{LIST}"' in raw


def test_an_office_without_destructions_says_so(tmp_path: Path) -> None:
    kit = History.create(tmp_path / "empty")
    out = pages(kit, tmp_path / "pages")
    assert "No record has been destroyed" in (out / "destruction.md").read_text()
    assert "**0** destroyed" in (out / "index.md").read_text()


def test_key_words() -> None:
    assert sitedestruction.key_words(destruction.KEY_ERASED) == "erased"
    assert "older versions stay readable" in sitedestruction.key_words(destruction.NO_CASE_KEY)
    assert sitedestruction.key_words("<b>") == "&lt;b&gt;"
