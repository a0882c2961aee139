"""The index of all cases: each file read once, parsed only when its blob id is new to the
cache, uncached files spread over all cores."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable
from pathlib import Path

from casetrail.core import engine
from casetrail.core.engine import Config, FileResult
from casetrail.shell import cache, repo

PARALLEL_THRESHOLD = 200  # below this, starting processes costs more than it saves
_worker_config: Config | None = None


def load_config(root: Path) -> tuple[Config, dict[str, bytes | None]]:
    files = repo.read_config(root)
    return cache.load_config(root, files), files


def _init_worker(root: str) -> None:
    global _worker_config
    gc.enable()  # a forked worker inherits the parent's switched-off collector
    _worker_config, _ = load_config(Path(root))


def _check_chunk(chunk: list[tuple[str, bytes]]) -> list[FileResult]:
    assert _worker_config is not None
    return [engine.check_file(path, data, _worker_config) for path, data in chunk]


def _chunks(items: list[tuple[str, bytes]], count: int) -> list[list[tuple[str, bytes]]]:
    size = max(1, min(250, len(items) // (count * 4) or 1))
    return [items[i : i + size] for i in range(0, len(items), size)]


def check_files(
    root: Path,
    paths: Iterable[str],
    config: Config,
    results_cache: cache.ResultCache,
    jobs: int | None = None,
) -> tuple[list[FileResult], dict[str, str]]:
    """Each file's result, and its git blob id ("" for an oversized file not read whole)."""
    results: dict[str, FileResult] = {}
    todo: list[tuple[str, bytes]] = []
    blobs: dict[str, str] = {}
    for path in paths:
        data, size = repo.read_case(root, path)
        if size != len(data):  # oversized: report it now, never cache a head as the file
            results[path] = engine.check_file(path, data, config, size)
            blobs[path] = ""
            continue
        blobs[path] = repo.blob_id(data)
        cached = results_cache.get(path, blobs[path])
        if cached is not None:
            results[path] = cached
        else:
            todo.append((path, data))
    jobs = jobs or os.cpu_count() or 1
    if jobs > 1 and len(todo) >= PARALLEL_THRESHOLD:
        from concurrent.futures import ProcessPoolExecutor  # lazy: 15 ms of imports

        with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(str(root),)) as pool:
            fresh = [r for chunk in pool.map(_check_chunk, _chunks(todo, jobs)) for r in chunk]
    else:
        fresh = [engine.check_file(path, data, config) for path, data in todo]
    for result in fresh:
        results[result.path] = result
        results_cache.put(blobs[result.path], result)
    return [results[path] for path in blobs], blobs
