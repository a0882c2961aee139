"""Helpers for the real browser test of the site: find Debian's Chromium, build the site, serve it.

Only the browser comes from the machine (Debian's `chromium` package, never a downloaded one);
Playwright is the client library that drives it. The site is served from 127.0.0.1 only.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Page

PROJECT = Path(__file__).resolve().parent.parent
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = PROJECT / "build" / "screenshots"


def chromium_binary() -> str | None:
    """Debian's Chromium: /usr/bin/chromium, else `chromium` on PATH; None when absent."""
    if DEBIAN_CHROMIUM.is_file() and os.access(DEBIAN_CHROMIUM, os.X_OK):
        return str(DEBIAN_CHROMIUM)
    return shutil.which("chromium")


def why_no_browser() -> str | None:
    """The reason the browser test cannot run here, or None when it can."""
    if chromium_binary() is None:
        return (
            "real browser test skipped: Debian's chromium is not installed "
            "(/usr/bin/chromium or `chromium` on PATH; `apt-get install chromium chromium-driver`, "
            "as .ci/run does)"
        )
    if importlib.util.find_spec("playwright") is None:
        return (
            "real browser test skipped: the playwright client library is not importable "
            "(it is pinned in requirements.lock; run `make test` to install it)"
        )
    return None


def build_site(dest: Path) -> Path:
    """Build casetrail's site with `mkdocs build --strict` into `dest`."""
    _mkdocs_build(PROJECT, dest)
    return dest


def _mkdocs_build(project: Path, dest: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(dest)],
        cwd=project,
        env=os.environ.copy(),  # CASETRAIL_NOW and the test's HOME come from conftest
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"mkdocs build --strict failed in {project}:\n{done.stdout}{done.stderr}"
        )


@dataclass(frozen=True)
class SitePages:
    """Paths (relative URLs) of the pages the browser test opens; None when the site lacks one."""

    overview: str
    case: str | None
    case_id: str | None
    overdue: str | None
    audit: str | None


def find_pages(root: Path) -> SitePages:
    """Locate the overview, one case page, the overdue page and the audit page in the output."""

    def url(path: Path) -> str:
        rel = path.relative_to(root).as_posix()
        return rel[: -len("index.html")] if rel.endswith("index.html") else rel

    def first(*candidates: str) -> str | None:
        for candidate in candidates:
            if (root / candidate).is_file():
                return url(root / candidate)
        return None

    case_pages = sorted(
        path
        for path in (root / "cases").rglob("*.html")
        if path.relative_to(root / "cases").as_posix() not in ("index.html",)
    )
    case = case_pages[0] if case_pages else None
    case_id = None
    if case is not None:
        case_id = case.parent.name if case.name == "index.html" else case.stem
    return SitePages(
        overview="",
        case=url(case) if case is not None else None,
        case_id=case_id,
        overdue=first("overdue/index.html", "overdue.html"),
        audit=first("audit/index.html", "audit.html"),
    )


class _QuietHandler(SimpleHTTPRequestHandler):
    served: list[str]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.served.append(f"{code} {self.path}")


@contextmanager
def serve(root: Path) -> Iterator[tuple[str, list[str]]]:
    """Serve `root` on 127.0.0.1 at a free port; yields the base URL and the log of served paths."""
    served: list[str] = []
    handler = type("Handler", (_QuietHandler,), {"served": served})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# No name resolves except the local server's address, so even a request that escaped the router
# could not reach the network.
CHROMIUM_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--no-first-run"]


@dataclass
class Watch:
    """What the browser did that it must not: requests off 127.0.0.1, console errors."""

    left_localhost: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@contextmanager
def browser_page(base: str) -> Iterator[tuple[Page, Watch]]:
    """A headless Chromium page that may reach only `base`, recording errors and escapes."""
    from playwright.sync_api import ConsoleMessage, Error, Request, Route, sync_playwright

    origin = urlsplit(base).netloc
    watch = Watch()

    def is_local(url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("data", "blob") or (
            parts.scheme == "http" and parts.netloc == origin
        )

    def route(route: Route, request: Request) -> None:
        if is_local(request.url):
            route.continue_()
            return
        if request.url not in watch.left_localhost:
            watch.left_localhost.append(request.url)
        route.abort("blockedbyclient")

    def on_request(request: Request) -> None:
        if not is_local(request.url) and request.url not in watch.left_localhost:
            watch.left_localhost.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watch.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def on_page_error(error: Error) -> None:
        watch.errors.append(f"page error: {error}")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_binary(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(10_000)
            context.route("**/*", route)
            context.on("request", on_request)
            page = context.new_page()
            page.on("console", on_console)
            page.on("pageerror", on_page_error)
            page.on("dialog", lambda dialog: watch.errors.append(f"dialog: {dialog.message}"))
            yield page, watch
        finally:
            browser.close()
