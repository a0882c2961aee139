"""`casetrail setup`, step 5: the commit-graph with changed-path filters, core.commitGraph and
fetch.writeCommitGraph, so path-limited history (`casetrail log CASE`) stays fast in a big
repository."""

from __future__ import annotations

import time
from pathlib import Path

from casetrail.cli.setup_common import Report, ensure_config


def _commits(count: int) -> str:
    return f"{count} commit{'' if count == 1 else 's'}"


def set_up_commit_graph(report: Report, root: Path) -> None:
    from casetrail.shell import git
    from casetrail.shell.commitgraph import graph_layers

    ensure_config(report, root, "core.commitGraph", "true")
    ensure_config(report, root, "fetch.writeCommitGraph", "true")
    head = git.resolve(root, "HEAD")
    if head is None:
        report.ok("commit-graph: no commits yet (git fetch writes it as history arrives)")
        return
    info = git.git_path(root, "objects/info")
    layers = graph_layers(info, bytes.fromhex(head))
    commits = sum(layer.commits for layer in layers)
    filtered = bool(layers) and all(layer.filters for layer in layers)
    current = any(layer.has for layer in layers)
    if filtered and (current or report.check_only):
        newer = "" if current else "; HEAD is newer (git fetch and casetrail setup add it)"
        report.ok(f"commit-graph: {_commits(commits)} with changed-path filters{newer}")
        return
    if report.check_only:
        report.lack(
            "commit-graph with changed-path filters: "
            f"{'none yet' if not layers else 'without filters'}; run casetrail setup (or "
            "git commit-graph write --reachable --changed-paths)"
        )
        return
    started = time.perf_counter()
    git.write_commit_graph(root)
    took = time.perf_counter() - started
    written = sum(layer.commits for layer in graph_layers(info, None))
    report.change(
        "wrote", f"commit-graph: {_commits(written)} with changed-path filters in {took:.1f} s"
    )
