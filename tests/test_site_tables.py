"""The site's tables in a real browser: sortable headers, the Filter box and filters from the URL.

Debian's headless Chromium opens the built site from 127.0.0.1: on the cases index it sorts by
status (by mouse and by keyboard), types into the Filter box, and opens `cases/?status=closed`,
the link an overview figure uses, and follows each figure's link from the overview to check the
filtered cases index shows as many cases as the figure says. A small page written next to the built site pins the sort's
kinds (numbers, timestamps, durations, empty cells last, stable) and record text staying inert.
No console error, no request leaving 127.0.0.1; screenshots go to build/screenshots/. It skips
with a clear message where the browser or Playwright is absent.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import pytest

import sitebrowser
from sitebrowser import SCREENSHOTS, browser_page, build_site, serve

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

NO_BROWSER = sitebrowser.why_no_browser()
pytestmark = pytest.mark.skipif(NO_BROWSER is not None, reason=NO_BROWSER or "")


COUNT = re.compile(r"^(\d+) of (\d+) rows?$")

# Columns written so that plain text order is wrong for each: numbers, instants with offsets,
# durations as the overdue page writes them. Names repeat to show the sort is stable, and one
# holds markup that must stay text. Served next to the built site, so it loads the same script.
FIXTURE = "table-fixture.html"
FIXTURE_HEADERS = ("name", "count", "at", "late by", "share")
FIXTURE_ROWS = [
    ("alpha", "12", "2026-11-23T10:00:00+01:00", "1 d 2 h", "84.5 %"),
    ("beta", "9", "2026-11-23T09:30:00+00:00", "5 h", "9.5 %"),
    ("alpha", "100", "2026-11-02T10:00:00+01:00", "45 min", "100.0 %"),
    ("<img src=x onerror=alert(1)>", "", "2026-11-23T08:45:00Z", "", "84.25 %"),
    ("beta", "-3", "", "2 d", ""),
    ("alpha", "2.5", "2026-10-30T23:00:00-02:00", "1 d", "0 %"),
]
# Each click on a header, and the rows' order after it (numbers into FIXTURE_ROWS). Every sort
# starts from the order the one before left: equal names keep it (a stable sort).
FIXTURE_CLICKS = [
    ("count", "ascending", [4, 5, 1, 0, 2, 3]),
    ("count", "descending", [2, 0, 1, 5, 4, 3]),  # the empty cell stays last
    ("at", "ascending", [5, 2, 3, 0, 1, 4]),  # instants, whatever their offsets
    ("late by", "ascending", [2, 1, 5, 0, 4, 3]),
    ("name", "ascending", [3, 2, 5, 0, 1, 4]),
    ("share", "ascending", [5, 1, 3, 0, 2, 4]),
]


def write_fixture(root: Path) -> None:
    from html import escape

    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>\n"
        for row in FIXTURE_ROWS
    )
    (root / FIXTURE).write_text(
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>tables</title>\n'
        '<link rel="stylesheet" href="assets/casetrail.css"></head>\n'
        '<body><article class="md-content__inner md-typeset">\n'
        "<table><thead><tr>"
        + "".join(f"<th>{name}</th>" for name in FIXTURE_HEADERS)
        + f"</tr></thead>\n<tbody>\n{rows}</tbody></table>\n"
        '</article><script src="assets/casetrail.js"></script></body></html>\n',
        encoding="utf-8",
    )


def open_page(page: Page, url: str) -> None:
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: {response}"


def first_table(page: Page) -> Locator:
    table = page.locator("article table").first
    table.wait_for(state="attached")
    return table


def headers(table: Locator) -> list[str]:
    return [text.strip() for text in table.locator("thead th").all_inner_texts()]


def column(table: Locator, name: str) -> list[str]:
    """The shown rows' cells of one column, top to bottom."""
    index = headers(table).index(name)
    return table.evaluate(
        """(table, index) => Array.from(table.tBodies[0].rows)
            .filter((row) => !row.hidden)
            .map((row) => row.cells[index].textContent.trim())""",
        index,
    )


def shown_rows(table: Locator) -> list[tuple[str, ...]]:
    rows = table.evaluate(
        """(table) => Array.from(table.tBodies[0].rows)
            .filter((row) => !row.hidden)
            .map((row) => Array.from(row.cells, (cell) => cell.textContent.trim()))"""
    )
    return [tuple(row) for row in rows]


def sort_button(table: Locator, name: str) -> Locator:
    return table.locator("thead th").nth(headers(table).index(name)).get_by_role("button")


def aria_sort(table: Locator) -> dict[str, str]:
    sorted_by: dict[str, str] = {}
    for th in table.locator("thead th").all():
        state = th.get_attribute("aria-sort")
        if state is not None:
            sorted_by[th.inner_text().strip()] = state
    return sorted_by


def filter_count(page: Page) -> tuple[int, int]:
    text = page.locator(".casetrail-filter-count").first.inner_text().strip()
    match = COUNT.match(text)
    assert match, f"the Filter box's count reads {text!r}, not 'N of M rows'"
    return int(match[1]), int(match[2])


def check_sorting(page: Page, table: Locator) -> None:
    cases, statuses = column(table, "case"), column(table, "status")
    assert len(set(statuses)) > 1, f"the example cases have one status only: {statuses}"
    assert sorted(statuses) != statuses, "the cases index is already in status order"
    assert not aria_sort(table)

    sort_button(table, "status").click()
    assert aria_sort(table) == {"status": "ascending"}
    assert column(table, "status") == sorted(statuses)
    by_status = list(zip(column(table, "status"), column(table, "case"), strict=True))
    assert by_status == sorted(zip(statuses, cases, strict=True)), (
        "the sort is not stable: cases of one status left their order (by case id)"
    )

    sort_button(table, "status").click()
    assert aria_sort(table) == {"status": "descending"}
    assert column(table, "status") == sorted(statuses, reverse=True)
    page.screenshot(path=SCREENSHOTS / "tables-sorted.png")

    # The keyboard: a header's button takes the focus, Enter sorts by it.
    sort_button(table, "priority").focus()
    page.keyboard.press("Enter")
    assert aria_sort(table) == {"priority": "ascending"}
    assert column(table, "priority") == sorted(column(table, "priority"))
    assert sorted(column(table, "case")) == sorted(cases), "sorting lost or duplicated rows"


def check_filter_box(page: Page, table: Locator) -> None:
    box = page.get_by_label("Filter", exact=True)
    assert box.is_visible()
    texts = [row.lower() for row in table.locator("tbody tr").all_inner_texts()]
    total = len(texts)
    assert filter_count(page) == (total, total)

    handler = column(table, "handler")
    word = next(name for name in handler if name)
    box.fill(word.upper())  # case-insensitive
    expected = sum(word.lower() in " ".join(text.split()) for text in texts)
    assert 0 < expected < total, f"{word!r} does not narrow the table"
    assert filter_count(page) == (expected, total)
    assert table.locator("tbody tr:visible").count() == expected
    page.screenshot(path=SCREENSHOTS / "tables-filtered.png")

    box.fill("no case says this")
    assert filter_count(page) == (0, total)
    # On paper the Filter box is gone; a line says what it hid.
    page.emulate_media(media="print")
    assert not box.is_visible()
    printed = page.locator(".casetrail-filter-print")
    assert printed.is_visible() and f"0 of {total} rows" in printed.inner_text()
    page.emulate_media(media="screen")
    assert box.is_visible() and not printed.is_visible()
    box.press("Escape")
    assert box.input_value() == ""
    assert filter_count(page) == (total, total)


def check_query_filter(page: Page, base: str, closed: int, total: int) -> None:
    for query in ("?status=closed", "?Status=CLOSED&no_such_column=x"):
        open_page(page, f"{base}cases/{query}")
        table = first_table(page)
        assert column(table, "status") == ["closed"] * closed, query
        assert filter_count(page) == (closed, total), query
        note = page.locator(".casetrail-query-note")
        assert note.count() == 1, f"{query}: no notice of the filter"
        text = " ".join(note.inner_text().split())
        assert "status" in text and "closed" in text.lower(), text
        assert "no_such_column" not in text, f"{query}: an unknown key was applied"
        clear = note.get_by_role("link", name="Show all rows")
        assert urlsplit(clear.get_attribute("href") or "").query == ""
    page.screenshot(path=SCREENSHOTS / "tables-query.png")

    clear.click()
    page.wait_for_load_state("load")
    assert urlsplit(page.url).query == "" and urlsplit(page.url).path.endswith("/cases/")
    assert len(column(first_table(page), "status")) == total
    assert page.locator(".casetrail-query-note").count() == 0


def check_overview_figures(page: Page, base: str) -> None:
    """Each figure on the overview that links into the cases index shows that many cases."""
    open_page(page, base)
    figures = [
        (urljoin(page.url, link.get_attribute("href") or ""), link.inner_text().strip())
        for link in page.locator("article a[href*='cases/?']").all()
    ]
    figures = [(url, int(text)) for url, text in figures if text.isdigit()]
    assert figures, "no figure on the overview links into the cases index (cases/?column=value)"
    for url, figure in figures:
        open_page(page, url)
        shown = len(shown_rows(first_table(page)))
        assert shown == figure, f"the overview says {figure}, {url} shows {shown} cases"
        note = page.locator(".casetrail-query-note")
        assert note.count() == 1, f"{url}: no notice of the filter"
        assert f"{figure} of " in note.inner_text(), note.inner_text()


def check_fixture(page: Page, base: str) -> None:
    open_page(page, base + FIXTURE)
    table = first_table(page)
    for name, direction, order in FIXTURE_CLICKS:
        sort_button(table, name).click()
        assert aria_sort(table) == {name: direction}
        assert shown_rows(table) == [FIXTURE_ROWS[row] for row in order], f"{name} {direction}"
    assert page.locator(".casetrail-filter").count() == 0, "a Filter box on a 6-row table"
    assert page.locator("article img").count() == 0, "record text became markup"

    # Spaces as + or %20 in the query, a header's space as _, one key twice for either value.
    open_page(page, f"{base}{FIXTURE}?late_by=1+d%202+h&name=beta&name=ALPHA&count=12")
    table = first_table(page)
    assert column(table, "name") == ["alpha"]
    note = " ".join(page.locator(".casetrail-query-note").inner_text().split())
    assert "late by is \u201c1 d 2 h\u201d" in note, note
    assert "name is \u201cbeta\u201d or \u201cALPHA\u201d" in note, note
    assert "1 of 6 rows" in note, note
    open_page(page, f"{base}{FIXTURE}?late+by=5+h")
    assert column(first_table(page), "name") == ["beta"]
    assert page.locator("article img").count() == 0


def test_site_tables_sort_and_filter(tmp_path: Path) -> None:
    site = build_site(tmp_path / "site")
    write_fixture(site)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    with serve(site) as (base, served), browser_page(base) as (page, watch):
        open_page(page, base + "cases/")
        table = first_table(page)
        statuses = column(table, "status")
        missing = {"case", "status", "priority", "handler"} - set(headers(table))
        assert not missing, f"the cases index lacks the column(s) {sorted(missing)}"
        assert "closed" in statuses and set(statuses) - {"closed"}, (
            f"the example cases should include closed and open ones: {sorted(set(statuses))}"
        )
        check_sorting(page, table)
        check_filter_box(page, table)
        check_query_filter(page, base, statuses.count("closed"), len(statuses))
        check_fixture(page, base)
        check_overview_figures(page, base)

        # Pages with small tables, long ones and none at all load without an error.
        for path in ("", "overdue/", "audit/", "guides/forges/", "404.html"):
            open_page(page, base + path)
            page.locator("h1").first.wait_for(state="attached")

    assert not watch.left_localhost, f"requests left 127.0.0.1: {watch.left_localhost}"
    assert not watch.errors, "console errors:\n" + "\n".join(watch.errors)
    not_found = [line for line in served if line.startswith("404")]
    assert not not_found, f"the site asked for files it lacks: {not_found}"
