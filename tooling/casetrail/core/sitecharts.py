"""Static SVG charts for the site, made at build time: no script, no font or library from the net.

Pure and deterministic: the same series give the same bytes (numbers are rounded to one
decimal). Every chart has a <title> and a <desc> for screen readers, and the page shows the
figures behind it as a table, so a reader can check each point against the cases.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 28, 56
# Colour-blind safe (Okabe-Ito), and each line also has its own dash pattern.
COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 4")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[float | None, ...]  # one per label; None: nothing to show that period


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _scale(values: Sequence[float | None], fixed: float | None) -> float:
    """The top of the axis: `fixed`, else the first of 5, 10, 20, 50, 100, 200... above them."""
    if fixed is not None:
        return fixed
    highest = max((v for v in values if v is not None), default=0.0)
    top, factors = 5.0, itertools.cycle((2.0, 2.0, 2.5))
    while top < highest:
        top *= next(factors)
    return top


def _frame(title: str, desc: str, top: float, unit: str, labels: Sequence[str]) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" font-family="sans-serif" font-size="11">',
        f"<title>{html.escape(title)}</title>",
        f"<desc>{html.escape(desc)}</desc>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        out.append(
            f'<line x1="{LEFT}" y1="{_n(y)}" x2="{WIDTH - RIGHT}" y2="{_n(y)}" stroke="#dddddd"/>'
        )
        out.append(
            f'<text x="{LEFT - 6}" y="{_n(y + 4)}" text-anchor="end">{_n(value)}{unit}</text>'
        )
    every = max(1, -(-len(labels) // 12))  # at most 12 labels on the axis
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            x = LEFT + plot_w * (i + 0.5) / max(len(labels), 1)
            out.append(
                f'<text x="{_n(x)}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                f"{html.escape(label)}</text>"
            )
    return out


def _legend(series: Sequence[Series], kind: str) -> list[str]:
    out = []
    x = LEFT
    for i, s in enumerate(series):
        colour, dash = COLOURS[i % len(COLOURS)], DASHES[i % len(DASHES)]
        y = HEIGHT - 14
        if kind == "line":
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<line x1="{x}" y1="{y - 4}" x2="{x + 22}" y2="{y - 4}" stroke="{colour}" '
                f'stroke-width="2"{dashed}/>'
            )
        else:
            out.append(f'<rect x="{x + 6}" y="{y - 10}" width="12" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 28}" y="{y}">{html.escape(s.name)}</text>')
        x += 36 + 7 * len(s.name)
    return out


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    top: float | None = None,
) -> str:
    """Lines over periods; a gap where a value is None (nothing measured then)."""
    top = _scale([v for s in series for v in s.values], top)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    desc = f"{len(series)} series over {len(labels)} periods, {labels[0] if labels else ''}"
    desc += f" to {labels[-1]}" if labels else ""
    out = _frame(title, desc, top, unit, labels)
    for i, s in enumerate(series):
        colour, dash = COLOURS[i % len(COLOURS)], DASHES[i % len(DASHES)]
        runs: list[list[str]] = [[]]
        for j, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            x = LEFT + plot_w * (j + 0.5) / max(len(labels), 1)
            y = TOP + plot_h - plot_h * min(value, top) / top
            runs[-1].append(f"{_n(x)},{_n(y)}")
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        for run in (r for r in runs if r):
            if len(run) == 1:
                cx, cy = run[0].split(",")
                out.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{colour}"/>')
            else:
                out.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"{dashed}/>'
                )
    out += _legend(series, "line")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series], unit: str = "") -> str:
    """Bars side by side for each period."""
    top = _scale([v for s in series for v in s.values], None)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    desc = f"{len(series)} series over {len(labels)} periods"
    out = _frame(title, desc, top, unit, labels)
    slot = plot_w / max(len(labels), 1)
    width = slot * 0.8 / max(len(series), 1)
    for i, s in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        for j, value in enumerate(s.values):
            if not value:
                continue
            height = plot_h * min(value, top) / top
            x = LEFT + slot * j + slot * 0.1 + width * i
            out.append(
                f'<rect x="{_n(x)}" y="{_n(TOP + plot_h - height)}" width="{_n(width)}" '
                f'height="{_n(height)}" fill="{colour}"><title>{html.escape(s.name)} '
                f"{html.escape(labels[j])}: {_n(value)}</title></rect>"
            )
    out += _legend(series, "bar")
    out.append("</svg>")
    return "\n".join(out) + "\n"
