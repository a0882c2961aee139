"""The site benchmark: generating the auditors' site of a synthetic tree, and building it.

Per tree size (synth.ensure), each round runs, in this order:

- "site pages, generate": `casetrail site --out DIR`, in a fresh process as an auditor or CI
  would run it: interpreter start, imports, site_data (which includes the audit) and the render,
  and writing the pages. A subprocess, not site_data + render in this process, so each round
  starts cold like real use and nothing the runner holds in memory is measured.
- "site build, anchor": `mkdocs build` of a plain Material project made of the same Markdown
  (the pages of that round's generate, and the project's docs folder), with the project's
  mkdocs.yml except plugins: only `search`, no casetrail. Same theme, markdown_extensions,
  extra_css/js, explicit nav, not_in_nav and strict, so the case pages stay out of the nav too.
- "site build, casetrail": the real thing, `CASETRAIL_SITE_ROOT=TREE mkdocs build -f mkdocs.yml
  -d OUT`, the plugin generating the same pages at build time.

Every run sees the same moment (CASETRAIL_NOW, synth's clock), so the pages are the same in every
round and in both builds (PYTHONHASHSEED too: see environment). After each round the two builds
must hold the same pages; pages whose HTML differs (casetrail's sources edited during the run,
so the figures are mixed) are printed and kept in the results. The pages and the anchor project
stay in build/bench/site-N/; the built sites are removed, outside the timer, before each build and
at the end. Targets (issue: case pages in an index, not the nav):

- the casetrail build costs at most 30% on top of the anchor: median ratio <= 1.3;
- the build grows linearly: the casetrail build's seconds per 1000 cases at each larger size,
  against the smallest size, <= 1.5 (for 1,000 and 10,000 cases: (t10k / t1k) / 10). Not 1.0:
  MkDocs itself is not exactly linear (the issue's own figures: 12 s for 1,000 pages, 61 s for
  5,000, 1.02), and on a shared 2-core machine a single 10,000-case round is noisy; a quadratic
  step anywhere (a page listing every case re-rendered per case, a nav walk per page) would
  still show as 5x or more. The anchor's own growth is printed alongside, for comparison.

Note: synth's trees are one unsigned commit made straight on main, so the audit the site runs
reports errors (CT801 not signed, CT810 closed without a merge) and many CT831 warnings (every
date written in 2026), 33,000 findings at 1,000 cases: the Audit page shows them in both
builds (counted by code, the first ones listed).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import synth
import yaml

BIN = Path(sys.executable).parent
CASETRAIL, MKDOCS = str(BIN / "casetrail"), str(BIN / "mkdocs")
PROJECT_CONFIG = synth.REPO / "mkdocs.yml"
AS_OF = "2026-11-20T13:00:00+01:00"  # synth.NOW: the pages do not change with the clock
GENERATE, ANCHOR, BUILD = "site pages, generate", "site build, anchor", "site build, casetrail"
BUILD_GROWTH, ANCHOR_GROWTH = "casetrail build, s per 1000 cases", "anchor build, s per 1000 cases"
RATIO_LIMIT, GROWTH_LIMIT = 1.3, 1.5
GROWTHS = ((ANCHOR, ANCHOR_GROWTH, None), (BUILD, BUILD_GROWTH, GROWTH_LIMIT))
R = TypeVar("R")


def environment(**extra: str) -> dict[str, str]:
    """The same moment, and the same hash seed: the audit's findings come out of a set, so
    without it the Audit page lists them in a different order in every process."""
    fixed = {"CASETRAIL_NOW": AS_OF, "PYTHONHASHSEED": "0", "NO_MKDOCS_2_WARNING": "1"}
    return {**os.environ, **fixed, **extra}


def call(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run a command; stop the benchmark unless it succeeds. Its output."""
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}"
            f"{done.stderr[-3000:]}"
        )
    return done.stdout + done.stderr


def generate(tree: Path, out: Path) -> int:
    """`casetrail site --out OUT` on the tree; how many pages it wrote."""
    shutil.rmtree(out, ignore_errors=True)
    said = call([CASETRAIL, "--root", str(tree), "site", "--out", str(out)], tree, environment())
    written = re.search(r"(\d+) pages written", said)
    assert written is not None, f"casetrail site said: {said[-500:]}"
    return int(written.group(1))


def plugin_names(config: dict[str, Any]) -> list[str]:
    entries = config.get("plugins") or []
    return [entry if isinstance(entry, str) else next(iter(entry)) for entry in entries]


def anchor_config(project_config: Path = PROJECT_CONFIG) -> dict[str, Any]:
    """The project's mkdocs.yml for a plain Material build: docs in docs/, plugins only search."""
    config: dict[str, Any] = yaml.safe_load(project_config.read_text(encoding="utf-8"))
    entries = config.get("plugins") or []
    config["plugins"] = [
        e for e, n in zip(entries, plugin_names(config), strict=True) if n == "search"
    ]
    config["docs_dir"], config["site_dir"] = "docs", "site"
    assert plugin_names(config) == ["search"], config["plugins"]
    return config


def write_anchor(pages: Path, project: Path, project_config: Path = PROJECT_CONFIG) -> Path:
    """A plain Material project holding the project's docs folder and the generated pages; its
    mkdocs.yml."""
    source = yaml.safe_load(project_config.read_text(encoding="utf-8"))
    docs = project_config.parent / str(source.get("docs_dir", "docs"))
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(docs, project / "docs")
    shutil.copytree(pages, project / "docs", dirs_exist_ok=True)
    config = project / "mkdocs.yml"
    config.write_text(yaml.safe_dump(anchor_config(project_config), sort_keys=False))
    return config


def build(config: Path, out: Path, root: Path | None = None) -> None:
    """`mkdocs build` of CONFIG into OUT (strict when the config says so); with ROOT, the casetrail
    plugin builds that records repository's site."""
    shutil.rmtree(out, ignore_errors=True)
    env = environment()
    env.pop("CASETRAIL_SITE_ROOT", None)  # the anchor never builds another repository
    if root is not None:
        env["CASETRAIL_SITE_ROOT"] = str(root)
    call([MKDOCS, "build", "-q", "-f", str(config), "-d", str(out)], config.parent, env)


def html_pages(site: Path, pattern: str = "**/*.html") -> set[str]:
    """The built pages (by default all of them), as paths under the site folder."""
    return {p.relative_to(site).as_posix() for p in site.glob(pattern)}


def case_pages(site: Path) -> set[str]:
    return html_pages(site, "cases/*/index.html")


def compare(anchor: Path, built: Path) -> set[str]:
    """The pages whose HTML is not the same in both builds; stops the benchmark if the builds
    do not hold the same pages."""
    anchored, pages = html_pages(anchor), html_pages(built)
    if anchored != pages:
        raise SystemExit(f"the builds differ in pages: {sorted(anchored ^ pages)[:10]}")
    return {p for p in pages if (anchor / p).read_bytes() != (built / p).read_bytes()}


def clock(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def breakdown(tree: Path) -> dict[str, float]:
    """One in-process run of what the plugin does before MkDocs: site_data, then render."""
    from casetrail.cli.common import office_moment_at
    from casetrail.core import sitepages
    from casetrail.shell.sitegather import site_data

    start = time.perf_counter()
    data = site_data(tree, office_moment_at(AS_OF, tree))
    middle = time.perf_counter()
    sitepages.render(data)
    return {"site_data": middle - start, "render": time.perf_counter() - middle}


def measure(
    tree: Path, work: Path, repeat: int, project_config: Path = PROJECT_CONFIG, keep: bool = False
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """REPEAT rounds of generate, anchor build and casetrail build on TREE, in WORK: the pages in
    WORK/pages, the anchor project in WORK/anchor, the built sites in WORK/sites/{anchor,casetrail}
    (removed at the end unless KEEP)."""
    pages, sites = work / "pages", work / "sites"
    count = generate(tree, pages)  # warms the page cache (and git's) before the first round
    runs: dict[str, list[float]] = {GENERATE: [], ANCHOR: [], BUILD: []}
    differing: set[str] = set()
    try:
        for index in range(repeat):
            runs[GENERATE].append(clock(lambda: generate(tree, pages)))
            anchor = write_anchor(pages, work / "anchor", project_config)  # this round's pages
            runs[ANCHOR].append(clock(partial(build, anchor, sites / "anchor")))
            runs[BUILD].append(clock(lambda: build(project_config, sites / "casetrail", tree)))
            figures = ", ".join(f"{name} {values[-1]:.1f} s" for name, values in runs.items())
            print(f"  round {index + 1}/{repeat}: {figures}", flush=True)
            differing |= compare(sites / "anchor", sites / "casetrail")
        if differing:  # casetrail's sources changed between generate and build: mixed figures
            print(f"  WARNING: {len(differing)} pages differ: {sorted(differing)[:5]}", flush=True)
        built = html_pages(sites / "casetrail")
        audit = (pages / "audit.md").read_text(encoding="utf-8")
        findings = re.search(r"errors: (\d+), warnings: (\d+)", audit)
        info: dict[str, Any] = {
            "tree": str(tree),
            "pages": count,
            "html_pages": len(built),
            "case_pages": len(case_pages(sites / "casetrail")),
            "page_bytes": sum(p.stat().st_size for p in pages.rglob("*") if p.is_file()),
            "audit_md_bytes": len(audit.encode()),
            "audit_findings": findings.group(0) if findings else "",
            "html_bytes": sum(p.stat().st_size for p in (sites / "casetrail").rglob("*.html")),
            "differing_pages": sorted(differing),
            "in_process": breakdown(tree),
            "repeat": repeat,
        }
    finally:
        if not keep:
            shutil.rmtree(sites, ignore_errors=True)
    return runs, info


def bench_site(
    sizes: list[int], repeats: list[int], row: Callable[..., R]
) -> tuple[list[R], dict[int, dict[str, Any]]]:
    """The site rows for each size, made with ROW (run.py's Row: size, measure, median, runs,
    ratio, versus, target, passed), and what was built, by size."""
    rows: list[R] = []
    infos: dict[int, dict[str, Any]] = {}
    per_1000: dict[int, dict[str, list[float]]] = {}
    for size, repeat in zip(sizes, repeats, strict=True):
        print(f"site, {size} cases, {repeat} round(s):", flush=True)
        runs, infos[size] = measure(synth.ensure(size), synth.BUILD / f"site-{size}", repeat)
        print(f"  {infos[size]}", flush=True)
        medians = {name: statistics.median(values) for name, values in runs.items()}
        base = medians[ANCHOR]
        ratio = medians[BUILD] / base
        target, passed = f"<= {RATIO_LIMIT}x", ratio <= RATIO_LIMIT
        rows += [
            row(
                size, GENERATE, medians[GENERATE], runs[GENERATE], medians[GENERATE] / base, ANCHOR
            ),
            row(size, ANCHOR, base, runs[ANCHOR]),
            row(size, BUILD, medians[BUILD], runs[BUILD], ratio, ANCHOR, target, passed),
        ]
        per_1000[size] = {
            name: [value * 1000 / size for value in runs[name]] for name in (ANCHOR, BUILD)
        }
    smallest = min(sizes, default=0)
    for size in sizes:
        if size == smallest:
            continue
        versus = f"same at {smallest} cases"
        for name, label, limit in GROWTHS:
            values = per_1000[size][name]
            median = statistics.median(values)
            growth = median / statistics.median(per_1000[smallest][name])
            target, passed = (f"<= {limit}x", growth <= limit) if limit else ("", None)
            rows.append(row(size, label, median, values, growth, versus, target, passed))
    return rows, infos
