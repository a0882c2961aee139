"""What git's commit-graph files hold, read from .git/objects/info without running git.

It stays a file reader rather than a pure function over bytes: a commit-graph of a big history
is many megabytes, and the answer needs only its header, chunk table, fanout and a binary search
of the OID lookup, a few kilobytes read by seeking.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GraphLayer:
    commits: int
    filters: bool  # changed-path (Bloom) filters
    has: bool  # holds the commit asked about


def graph_layer(path: Path, commit: bytes | None) -> GraphLayer | None:
    """What one commit-graph file holds (git's format: header, chunk table, OID fanout and
    lookup); None if it is not one. Reads a few bytes, whatever the size of the file."""
    try:
        with path.open("rb") as handle:
            header = handle.read(8)
            if len(header) < 8 or header[:4] != b"CGPH" or header[4] != 1:
                return None
            width = {1: 20, 2: 32}.get(header[5])
            table = handle.read(12 * (header[6] + 1))
            chunks = {
                table[i : i + 4]: int.from_bytes(table[i + 4 : i + 12], "big")
                for i in range(0, len(table) - 12, 12)
            }
            if width is None or b"OIDF" not in chunks or b"OIDL" not in chunks:
                return None
            handle.seek(chunks[b"OIDF"])
            fanout = struct.unpack(">256I", handle.read(1024))
            found = False
            if commit is not None and len(commit) == width:
                low = fanout[commit[0] - 1] if commit[0] else 0
                high = fanout[commit[0]]
                while low < high and not found:
                    middle = (low + high) // 2
                    handle.seek(chunks[b"OIDL"] + middle * width)
                    oid = handle.read(width)
                    found = oid == commit
                    low, high = (middle + 1, high) if oid < commit else (low, middle)
    except (OSError, struct.error):
        return None
    return GraphLayer(fanout[255], b"BIDX" in chunks and b"BDAT" in chunks, found)


def graph_layers(info: Path, commit: bytes | None) -> list[GraphLayer]:
    """The layers of the commit-graph in objects/info: one file (git reads it first, when
    there is one), else a split chain."""
    single = graph_layer(info / "commit-graph", commit)
    if single is not None:
        return [single]
    try:
        chain = (info / "commit-graphs" / "commit-graph-chain").read_text("ascii", "replace")
    except OSError:
        chain = ""
    layers = [
        graph_layer(info / "commit-graphs" / f"graph-{line.strip()}.graph", commit)
        for line in chain.splitlines()
        if line.strip()
    ]
    return [layer for layer in layers if layer is not None]
