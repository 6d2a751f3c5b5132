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
    show_label: bool = True  # crowded charts label every other bar (the data table has them all)

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


def axis(peak: float, ticks: int = 4, *, integer: bool = True) -> tuple[float, float]:
    """A round axis for values up to ``peak``: ``(top, step)`` with about ``ticks`` steps of 1, 2, 2.5 or 5
    × 10ⁿ (whole steps only when ``integer``: counts never get a 1.25 gridline)."""
    peak = max(peak, 1.0)
    raw = peak / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = 10 * power
    for factor in (1, 2, 2.5, 5, 10):
        candidate = factor * power
        if integer and (candidate < 1 or candidate != int(candidate)):
            continue
        if candidate >= raw:
            step = candidate
            break
    if integer:
        step = max(float(math.ceil(step)), 1.0)
    return math.ceil(peak / step - 1e-9) * step, step


def _tick_text(value: float) -> str:
    return f"{value:g}" if value < 1000 else f"{value:,.0f}"


def bar_chart(
    items: Sequence[tuple[str, float, str]],
    *,
    value_format: str = "{:g}",
    width: int = 520,
    height: int = 230,
    ticks: int = 4,
    integer: bool = True,
) -> BarChart:
    """Vertical bars for ``(label, value, tone)`` items, with a value axis of about ``ticks`` round steps."""
    left, right, top, bottom = 44.0, 8.0, 20.0, 36.0
    baseline = height - bottom
    plot_h = baseline - top
    peak, step = axis(max((v for _label, v, _tone in items), default=0.0), ticks, integer=integer)
    slot = (width - left - right) / max(len(items), 1)
    bar_w = max(slot * 0.68, 2.0)
    every = 1 if slot >= 44 else 2
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
                show_label=(len(items) - 1 - i) % every == 0,
            )
        )
    steps = round(peak / step)
    tick_rows = tuple(
        Tick(y=round(baseline - plot_h * k / steps, 2), text=_tick_text(step * k)) for k in range(steps + 1)
    )
    return BarChart(width, height, top, baseline, left, width - right, tuple(bars), tick_rows)
