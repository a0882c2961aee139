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
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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


@dataclass(frozen=True)
class BuiltSite:
    root: Path
    stand_in: bool  # True: a small Material project made here, not casetrail's own site


def build_site(dest: Path, work: Path) -> BuiltSite:
    """Build casetrail's site with `mkdocs build --strict`, or a stand-in when mkdocs.yml is absent."""
    if (PROJECT / "mkdocs.yml").is_file():
        _mkdocs_build(PROJECT, dest)
        return BuiltSite(dest, stand_in=False)
    project = work / "stand-in"
    _write_stand_in(project)
    _mkdocs_build(project, dest)
    return BuiltSite(dest, stand_in=True)


def _mkdocs_build(project: Path, dest: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(dest)],
        cwd=project,
        env=os.environ.copy(),  # CASETRAIL_NOW and the test's HOME come from conftest
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"mkdocs build --strict failed in {project}:\n{done.stdout}{done.stderr}"
        )


STAND_IN_CASES = ("2026-STANDN1", "2026-STANDN2")
_STAND_IN_NOTE = (
    '!!! warning "Stand-in"\n'
    "    casetrail's mkdocs.yml does not exist yet: this page belongs to a small stand-in\n"
    "    MkDocs Material project that proves the browser harness, not casetrail's site.\n"
)


def _write_stand_in(project: Path) -> None:
    """A small MkDocs Material project shaped like the auditors' site, with no network use."""
    docs = project / "docs"
    (docs / "cases").mkdir(parents=True, exist_ok=True)
    (project / "mkdocs.yml").write_text(
        "site_name: casetrail STAND-IN site (mkdocs.yml absent)\n"
        "use_directory_urls: true\n"
        "theme:\n"
        "  name: material\n"
        "  font: false\n"  # no Google Fonts: nothing leaves the machine
        "plugins:\n"
        "  - search\n"
        "markdown_extensions:\n"
        "  - admonition\n"
        "nav:\n"
        "  - Overview: index.md\n"
        "  - Overdue and at risk: overdue.md\n"
        "  - Cases: cases/index.md\n"
        "  - Audit: audit.md\n"
        "not_in_nav: |\n"
        "  /cases/2026-*.md\n",
        encoding="utf-8",
    )
    pages = {
        "index.md": "# Overview\n\nOpen cases: 2.\n",
        "overdue.md": "# Overdue and at risk\n\n| Case | Target | Late |\n|---|---|---|\n"
        f"| [{STAND_IN_CASES[0]}](cases/{STAND_IN_CASES[0]}.md) | resolution | 3 days |\n",
        "audit.md": "# Audit\n\nCommits verified: 12. Violations: none.\n",
        "cases/index.md": "# Cases\n\n"
        + "".join(f"- [{case}]({case}.md)\n" for case in STAND_IN_CASES),
    }
    for number, case in enumerate(STAND_IN_CASES, 1):
        pages[f"cases/{case}.md"] = (
            f"# {case}\n\nA complaint about a noisy neighbour, number {number}.\n\n"
            "Stakeholders: complainant, case worker. Retention: 5 years.\n"
        )
    for name, text in pages.items():
        (docs / name).write_text(f"{text}\n{_STAND_IN_NOTE}", encoding="utf-8")


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
