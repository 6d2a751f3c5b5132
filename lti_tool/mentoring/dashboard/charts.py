"""Chart geometry for server-rendered SVG: numbers in, coordinates out (the template draws them).

No JavaScript and no chart library: a chart is a handful of ``<rect>`` and ``<text>`` elements whose
positions are computed here, in a ``viewBox`` coordinate space the stylesheet scales to the page width.
Every chart also gets a data table in the template, so nothing is only shown as a picture.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    value_text: str
    tone: str  # a CSS modifier: "", "warn", "muted", "good"
    x: float
    y: float
    width: float
    height: float

    @property
    def center(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    top: float
    baseline: float
    left: float
    right: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]

    @property
    def empty(self) -> bool:
        return all(b.value == 0 for b in self.bars)


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10ⁿ); at least 1."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover (the loop always returns)


def _tick_text(value: float) -> str:
    return f"{value:g}" if value < 1000 else f"{value:,.0f}"


def bar_chart(
    items: Sequence[tuple[str, float, str]],
    *,
    value_format: str = "{:g}",
    width: int = 640,
    height: int = 240,
    ticks: int = 4,
) -> BarChart:
    """Vertical bars for ``(label, value, tone)`` items, with a value axis of ``ticks`` steps."""
    left, right, top, bottom = 44.0, 8.0, 20.0, 36.0
    baseline = height - bottom
    plot_h = baseline - top
    peak = nice_max(max((v for _label, v, _tone in items), default=0.0))
    slot = (width - left - right) / max(len(items), 1)
    bar_w = max(slot * 0.68, 2.0)
    bars = []
    for i, (label, value, tone) in enumerate(items):
        h = plot_h * (value / peak) if peak else 0.0
        bars.append(
            Bar(
                label=label,
                value=value,
                value_text=value_format.format(value),
                tone=tone,
                x=round(left + i * slot + (slot - bar_w) / 2, 2),
                y=round(baseline - h, 2),
                width=round(bar_w, 2),
                height=round(h, 2),
            )
        )
    tick_rows = tuple(
        Tick(y=round(baseline - plot_h * k / ticks, 2), text=_tick_text(peak * k / ticks)) for k in range(ticks + 1)
    )
    return BarChart(width, height, top, baseline, left, width - right, tuple(bars), tick_rows)
