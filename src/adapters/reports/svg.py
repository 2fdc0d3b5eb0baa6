"""Charts as inline SVG text: grouped bars and a time-axis of periods.

Drawn here rather than with a charting library's offline bundle: a bundle is hundreds
of kilobytes of script in every file, while these charts are a few kilobytes of
markup that any browser (or a printout) renders without running anything. Every mark
has a ``<title>``, so hovering shows its exact value; every chart has ``role="img"``
and an ``aria-label`` that says what it shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

PALETTE = (
    "#4269d0",
    "#efb118",
    "#ff725c",
    "#6cc5b0",
    "#3ca951",
    "#ff8ab7",
    "#a463f2",
    "#97bbf5",
    "#9c6b4e",
    "#9498a0",
)
WIDTH, HEIGHT = 760, 320
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 36, 70


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    percent: bool = False,
) -> str:
    """Grouped bars: one group per label, one bar per series, a legend, a y axis."""
    names = list(series)
    peak = max((v for values in series.values() for v in values), default=0.0) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(group_w * 0.8 / max(len(names), 1), 1.0)
    marks: list[str] = []
    for g, label in enumerate(labels):
        x0 = LEFT + g * group_w + group_w * 0.1
        for s, name in enumerate(names):
            value = series[name][g]
            h = plot_h * value / peak
            shown = f"{value:.1%}" if percent else f"{value:,.2f}".rstrip("0").rstrip(".")
            marks.append(
                f'<rect class="mark" x="{x0 + s * bar_w:.1f}" y="{TOP + plot_h - h:.1f}" '
                f'width="{bar_w * 0.92:.1f}" height="{h:.1f}" fill="{colour(s)}">'
                f"<title>{escape(label)} · {escape(name)}: {shown}</title></rect>"
            )
        marks.append(
            f'<text x="{x0 + group_w * 0.4:.1f}" y="{TOP + plot_h + 14}" font-size="11" '
            f'text-anchor="end" transform="rotate(-30 {x0 + group_w * 0.4:.1f} '
            f'{TOP + plot_h + 14})">{escape(label)}</text>'
        )
    legend, legend_h = _legend(names, TOP + plot_h + 52)
    return _frame(title, marks + _y_axis(peak, plot_h, percent) + legend, HEIGHT + legend_h)


@dataclass(frozen=True)
class Span:
    """One bar on a time axis: ``lane`` (a row), from ``start`` to ``end`` (None: now)."""

    lane: str
    start: datetime
    end: datetime | None
    label: str
    detail: str


def time_chart(title: str, spans: Sequence[Span], until: datetime) -> str:
    """Periods on a shared time axis, one row per lane, each lane its colour."""
    lanes = list(dict.fromkeys(span.lane for span in spans))
    if not spans:
        return _frame(title, ['<text x="20" y="60">nothing to draw</text>'], height=100)
    first = min(span.start for span in spans)
    last = max([until, *(span.end for span in spans if span.end)])
    total = max((last - first).total_seconds(), 1.0)
    row_h, left = 30, 120
    height = TOP + len(lanes) * row_h + 40
    plot_w = WIDTH - left - RIGHT

    def x(at: datetime) -> float:
        return left + plot_w * (at - first).total_seconds() / total

    marks: list[str] = []
    for i, lane in enumerate(lanes):
        y = TOP + i * row_h
        marks.append(
            f'<text x="{left - 8}" y="{y + 19}" font-size="12" text-anchor="end">'
            f"{escape(lane)}</text>"
        )
    for span in spans:
        i = lanes.index(span.lane)
        x0, x1 = x(span.start), x(span.end or until)
        marks.append(
            f'<rect class="mark" x="{x0:.1f}" y="{TOP + i * row_h + 4}" '
            f'width="{max(x1 - x0, 2):.1f}" height="{row_h - 8}" rx="3" fill="{colour(i)}">'
            f"<title>{escape(span.label)}: {escape(span.detail)}</title></rect>"
        )
    axis_y = TOP + len(lanes) * row_h + 4
    marks.append(
        f'<line x1="{left}" y1="{axis_y}" x2="{WIDTH - RIGHT}" y2="{axis_y}" stroke="#888"/>'
    )
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        at = first + (last - first) * fraction
        tx = left + plot_w * fraction
        marks.append(
            f'<text x="{tx:.1f}" y="{axis_y + 16}" font-size="11" '
            f'text-anchor="middle">{at:%Y-%m-%d}</text>'
        )
    return _frame(title, marks, height=height)


def _y_axis(peak: float, plot_h: float, percent: bool) -> list[str]:
    marks = [f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#888"/>']
    for fraction in (0.0, 0.5, 1.0):
        value = peak * fraction
        y = TOP + plot_h * (1 - fraction)
        text = f"{value:.0%}" if percent else f"{value:,.0f}"
        marks.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{text}</text>'
        )
        marks.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#eee"/>'
        )
    return marks


def _legend(names: Sequence[str], top: float) -> tuple[list[str], int]:
    """Legend entries five to a row from ``top``; returns the marks and the height added
    beyond the first row."""
    marks, per_row = [], 5
    for i, name in enumerate(names):
        x = LEFT + (i % per_row) * 136
        y = top + (i // per_row) * 18
        marks.append(
            f'<rect x="{x}" y="{y:.1f}" width="12" height="12" fill="{colour(i)}"/>'
            f'<text x="{x + 16}" y="{y + 10:.1f}" font-size="12">{escape(name[:18])}</text>'
        )
    rows = max((len(names) + per_row - 1) // per_row, 1)
    return marks, (rows - 1) * 18


def _frame(title: str, marks: list[str], height: int = HEIGHT) -> str:
    return (
        f'<svg class="chart" role="img" '
        f'aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}"><text x="{LEFT}" y="20" font-size="14" font-weight="bold">'
        f"{escape(title)}</text>{''.join(marks)}</svg>"
    )
