"""The site benchmark's harness (tests/bench/sitebench.py) end to end, on a small tree.

One round on 30 synthetic cases: `casetrail site`, the anchor project (a plain Material project
of the same Markdown, no casetrail plugin) and both `mkdocs build`s. The two builds must hold the
same pages, byte for byte, or the anchor would not measure the same site.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from casetrail.cli.site import MANIFEST

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "tests" / "bench"))

import sitebench  # noqa: E402  (tests/bench is not a package)
import synth  # noqa: E402

pytestmark = pytest.mark.slow


class Row(NamedTuple):  # the fields of run.py's Row, in its order
    size: int
    measure: str
    median: float
    runs: list[float]
    ratio: float | None = None
    versus: str = ""
    target: str = ""
    passed: bool | None = None


def test_one_round_builds_the_same_case_pages_with_and_without_casetrail(tmp_path: Path) -> None:
    tree = synth.ensure(30, base=tmp_path)
    work = tmp_path / "work"
    runs, info = sitebench.measure(tree, work, 1, keep=True)
    assert {name: len(values) for name, values in runs.items()} == {
        sitebench.GENERATE: 1,
        sitebench.ANCHOR: 1,
        sitebench.BUILD: 1,
    }
    written = [p for p in (work / "pages").rglob("*") if p.is_file() and p.name != MANIFEST]
    assert info["pages"] == len(written) > 30
    assert info["case_pages"] == 30 and info["html_pages"] > info["pages"]  # and the guides
    assert info["differing_pages"] == []  # the same HTML, byte for byte, in both builds
    assert info["audit_findings"]  # one unsigned commit: the audit has findings to show
    anchor = yaml.safe_load((work / "anchor" / "mkdocs.yml").read_text())
    assert sitebench.plugin_names(anchor) == ["search"]  # no casetrail plugin
    project = yaml.safe_load(sitebench.PROJECT_CONFIG.read_text())
    for key in ("theme", "markdown_extensions", "nav", "not_in_nav", "strict"):
        assert anchor.get(key) == project.get(key), key
    sites = work / "sites"
    assert sitebench.html_pages(sites / "casetrail") == sitebench.html_pages(sites / "anchor")
    built = sitebench.case_pages(sites / "casetrail")
    assert len(built) == 30
    nav = (sites / "anchor" / "index.html").read_text().split('class="md-nav', 1)[1]
    assert "/cases/2" not in nav.split("</nav>", 1)[0]  # case pages stay out of the nav


def test_rows_give_the_ratio_to_the_anchor_and_the_growth(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seconds = {100: (1.0, 10.0, 12.0), 1000: (5.0, 100.0, 150.0)}

    def measure(tree: Path, work: Path, repeat: int) -> tuple[dict[str, list[float]], Any]:
        size = int(tree.name)
        values = dict(
            zip((sitebench.GENERATE, sitebench.ANCHOR, sitebench.BUILD), seconds[size], strict=True)
        )
        return {name: [value] * repeat for name, value in values.items()}, {"size": size}

    monkeypatch.setattr(sitebench, "measure", measure)
    monkeypatch.setattr(synth, "ensure", lambda size: tmp_path / str(size))
    rows, infos = sitebench.bench_site([100, 1000], [3, 1], Row)
    assert infos == {100: {"size": 100}, 1000: {"size": 1000}}
    found = {(r.size, r.measure): r for r in rows}
    assert found[100, sitebench.BUILD].ratio == pytest.approx(1.2)
    assert found[100, sitebench.BUILD].passed is True
    assert found[1000, sitebench.BUILD].passed is False  # 1.5x the anchor
    assert found[1000, sitebench.GENERATE].ratio == pytest.approx(0.05)
    growth = found[1000, sitebench.BUILD_GROWTH]
    assert growth.median == pytest.approx(150.0) and growth.ratio == pytest.approx(1.25)
    assert growth.passed is True and found[1000, sitebench.ANCHOR_GROWTH].passed is None
    assert (100, sitebench.BUILD_GROWTH) not in found
