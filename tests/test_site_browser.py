"""The real browser test: Debian's headless Chromium opens the built site from 127.0.0.1.

It opens the overview, a case page, the overdue page and the audit page, checks each renders with
no console error and no request leaving 127.0.0.1, uses the search box, and saves screenshots in
build/screenshots/. It skips with a clear message where the browser or Playwright is absent.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest

import sitebrowser
from sitebrowser import SCREENSHOTS, browser_page, build_site, find_pages, serve

NO_BROWSER = sitebrowser.why_no_browser()
pytestmark = pytest.mark.skipif(NO_BROWSER is not None, reason=NO_BROWSER or "")


def test_site_renders_in_a_real_browser_offline(tmp_path: Path) -> None:
    from playwright.sync_api import Error

    started = time.monotonic()
    site = build_site(tmp_path / "site")
    built = time.monotonic()
    pages = find_pages(site)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    with serve(site) as (base, served), browser_page(base) as (page, watch):
        opened: dict[str, str] = {}
        wanted = {
            "overview": pages.overview,
            "case": pages.case,
            "overdue": pages.overdue,
            "audit": pages.audit,
            "sla": "sla/",
            "workload": "people/",
            "person": "people/bkoch/",
            "closures": "closures/",
            "retention": "retention/",
            "reports": "reports/",
            "report": "reports/2026-11/",
            "sop-steps": "guides/sop-steps/",
        }
        for name, path in wanted.items():
            if path is None:
                continue
            response = page.goto(base + path, wait_until="load")
            assert response is not None and response.ok, f"{name} page {path}: {response}"
            heading = page.locator("article h1, .md-content h1, h1").first
            heading.wait_for(state="visible", timeout=5000)
            assert heading.inner_text().strip(), f"{name} page {path} has an empty heading"
            # Whole page unless it is very long (the audit findings): then what a reader sees.
            height = page.evaluate("document.documentElement.scrollHeight")
            page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=height <= 6000)
            opened[name] = path
        missing = [name for name, path in wanted.items() if path is None]
        assert not missing, f"the built site lacks the {', '.join(missing)} page(s)"
        # The charts are images made at build time: each must load and have a size.
        page.goto(base, wait_until="load")
        for chart in page.locator("article img[src$='.svg']").all():
            width = chart.evaluate("img => img.complete ? img.naturalWidth : 0")
            assert width > 0, f"chart {chart.get_attribute('src')} did not load"

        # The search box: type a case id (or a word) into Material's search, wait for results.
        query = pages.case_id or "audit"
        page.goto(base, wait_until="load")
        search = page.locator("input.md-search__input")
        search.click()  # at desktop width the box is in the header; clicking opens it
        search.press_sequentially(query)  # Material reacts to key presses, not to fill()
        results = page.locator("li.md-search-result__item")
        results.first.wait_for(state="visible", timeout=10_000)
        if pages.case_id is not None:
            # Results update as each key is typed: wait for those of the whole query (if
            # they never come, the assertion below says what the results were).
            with contextlib.suppress(Error):
                page.wait_for_function(
                    "id => { const a = document.querySelector('.md-search-result__item a');"
                    " return a !== null && a.getAttribute('href').includes(id); }",
                    arg=pages.case_id,
                    timeout=10_000,
                )
        hrefs = [
            link.get_attribute("href") or ""
            for link in page.locator(".md-search-result__item a").all()
        ]
        page.screenshot(path=SCREENSHOTS / "search.png")
        if pages.case_id is not None:
            assert hrefs and pages.case_id in hrefs[0], (
                f"searching {query!r} did not put its case page first; results: {hrefs}"
            )

    assert not watch.left_localhost, f"requests left 127.0.0.1: {watch.left_localhost}"
    assert not watch.errors, "console errors:\n" + "\n".join(watch.errors)
    not_found = [line for line in served if line.startswith("404")]
    assert not not_found, f"the site asked for files it lacks: {not_found}"
    took = time.monotonic() - started
    print(f"site build {built - started:.1f} s, browser {took - (built - started):.1f} s")
