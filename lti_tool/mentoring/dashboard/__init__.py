"""The coordinator's dashboard: metrics as pure queries, chart geometry, CSV export and pair timelines.

No Flask here: :mod:`lti_tool.views.dashboard` calls these with ``db.session`` and the course of the tool
session, translates reason codes and renders. See :mod:`.metrics` for what each figure means.
"""

from __future__ import annotations

from .charts import BarChart, bar_chart
from .export import csv_lines, safe_cell
from .metrics import (
    DEFAULT_SILENT_DAYS,
    AtRisk,
    Overview,
    PairRow,
    PersonRow,
    Reason,
    clamp_silent_days,
    course_overview,
)
from .timeline import Event, Timeline, pair_timeline

__all__ = [
    "DEFAULT_SILENT_DAYS",
    "AtRisk",
    "BarChart",
    "Event",
    "Overview",
    "PairRow",
    "PersonRow",
    "Reason",
    "Timeline",
    "bar_chart",
    "clamp_silent_days",
    "course_overview",
    "csv_lines",
    "pair_timeline",
    "safe_cell",
]
