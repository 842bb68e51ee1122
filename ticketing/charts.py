"""Charts drawn on the server as inline SVG: no chart library, nothing to download.

Every chart is a small, accessible <svg role="img"> with a <title>; the numbers it draws
are in a table on the same page. Axes count whole tickets (ticks are integers), and month
labels use the interface language ("Mei 2026"). SVG presentation attributes (fill, x, y)
are not inline styles, so the pages keep to a strict Content-Security-Policy.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from markupsafe import Markup, escape

# Colour per series (state order of the dashboards; then raised/verified for the trend).
PALETTE = ("#e0a100", "#2f6fc0", "#c0392b", "#2e8b57", "#7f8c8d", "#8e44ad")
WIDTH = 640
FONT = 12


@dataclass(frozen=True)
class Series:
    """One named series of whole-ticket values."""

    name: str
    values: Sequence[int]
    colour: str


@functools.lru_cache(maxsize=2048)
def month_label(month: str, locale: str, *, short: bool = False) -> str:
    """'2026-05' -> 'Mei 2026' (or 'Mei' when short) in the locale.

    Remembered per (month, locale, short): Babel's format_date looks the locale and the
    pattern up on every call, and a dashboard names each month of its trend twice.
    """
    try:
        year, number = (int(p) for p in month.split("-", 1))
        day = date(year, number, 1)
    except ValueError:
        return month
    return format_date(day, "MMM" if short else "MMMM y", locale=locale)


def nice_ticks(maximum: int, count: int = 5) -> list[int]:
    """Whole-number ticks from 0 covering ``maximum`` (never '0,5 tiket')."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = max(1, int(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)))
    top = math.ceil(maximum / step) * step
    return list(range(0, top + 1, step))


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = FONT,
          cls: str = "") -> str:  # fmt: skip
    extra = f' class="{cls}"' if cls else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{extra}>'
            f"{escape(text)}</text>")  # fmt: skip


def _svg(height: float, title: str, body: list[str], cls: str) -> Markup:
    # Every text piece was escaped by _text/escape; the rest are numbers and fixed colours.
    return Markup(  # noqa: S704
        f'<svg class="chart-svg {cls}" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _legend(series: Sequence[Series], y: float) -> tuple[list[str], float]:
    parts, x = [], 0.0
    for s in series:
        width = 18 + len(s.name) * 6.6
        if x + width > WIDTH:
            x, y = 0.0, y + 18
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{s.colour}"/>'
        )
        parts.append(_text(x + 16, y, s.name))
        x += width + 12
    return parts, y + 14


def hbars(labels: Sequence[str], series: Sequence[Series], title: str) -> Markup:
    """Horizontal (stacked) bars, one row per label: readable on a phone, any row count."""
    label_w = min(220.0, max([60.0, *(len(lbl) * 6.4 for lbl in labels)]))
    plot_x, plot_w, row_h = label_w + 8, WIDTH - label_w - 40, 20
    legend, top = _legend(series, 14) if len(series) > 1 else ([], 6.0)
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    ticks = nice_ticks(max(totals, default=0))
    scale = plot_w / ticks[-1]
    body = list(legend)
    axis_y = top + 16
    for tick in ticks:
        x = plot_x + tick * scale
        body.append(f'<line x1="{x:.1f}" y1="{axis_y:.1f}" x2="{x:.1f}" '
                    f'y2="{axis_y + 4 + row_h * len(labels):.1f}" stroke="#ddd"/>')  # fmt: skip
        body.append(_text(x, axis_y - 4, str(tick), anchor="middle", size=11))
    names = [str(escape(s.name)) for s in series]  # escaped once, not per bar
    for i, label in enumerate(labels):
        y = axis_y + 4 + i * row_h
        short = label if len(label) <= 34 else label[:33] + "…"
        body.append(_text(label_w, y + 14, short, anchor="end"))
        x = plot_x
        escaped = escape(label)
        for s, name in zip(series, names, strict=True):
            value = s.values[i]
            if value:
                w = value * scale
                body.append(
                    f'<rect x="{x:.1f}" y="{y + 3:.1f}" width="{w:.1f}" height="{row_h - 6}" '
                    f'fill="{s.colour}"><title>{escaped}: {name} {value}'
                    "</title></rect>"
                )
                x += w
        body.append(_text(x + 4, y + 14, str(totals[i]), size=11, cls="chart-total"))
    height = axis_y + 8 + row_h * max(len(labels), 1)
    if not labels:
        body.append(_text(plot_x, axis_y + 16, "-"))
    return _svg(height, title, body, "chart-hbars")


def columns(labels: Sequence[str], series: Sequence[Series], title: str) -> Markup:
    """Grouped vertical columns per label (months): whole-ticket axis on the left."""
    plot_x, plot_h = 36.0, 150.0
    legend, top = _legend(series, 14)
    ticks = nice_ticks(max((v for s in series for v in s.values), default=0))
    scale = plot_h / ticks[-1]
    base_y = top + 8 + plot_h
    body = list(legend)
    for tick in ticks:
        y = base_y - tick * scale
        body.append(
            f'<line x1="{plot_x:.1f}" y1="{y:.1f}" x2="{WIDTH:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        body.append(_text(plot_x - 4, y + 4, str(tick), anchor="end", size=11))
    slot = (WIDTH - plot_x) / max(len(labels), 1)
    bar_w = max(2.0, (slot - 6) / max(len(series), 1))
    every = max(1, math.ceil(len(labels) / 12))
    names = [str(escape(s.name)) for s in series]
    for i, label in enumerate(labels):
        x0 = plot_x + i * slot + 3
        escaped = escape(label)
        for j, (s, name) in enumerate(zip(series, names, strict=True)):
            value = s.values[i]
            h = value * scale
            body.append(
                f'<rect x="{x0 + j * bar_w:.1f}" y="{base_y - h:.1f}" '
                f'width="{bar_w - 1:.1f}" height="{h:.1f}" fill="{s.colour}"><title>'
                f"{escaped}: {name} {value}</title></rect>"
            )
        if i % every == 0:
            body.append(_text(x0 + slot / 2 - 3, base_y + 14, label, anchor="middle", size=11))
    return _svg(base_y + 22, title, body, "chart-columns")
