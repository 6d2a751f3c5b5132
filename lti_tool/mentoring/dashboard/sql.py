"""Portable SQL for the dashboard: seconds between two timestamps, computed by the database.

Aggregating reply times and weekly activity in SQL keeps the dashboard at a fixed number of queries and
returns plain numbers (no timestamps to parse row by row). SQLite stores ``UTCDateTime`` as UTC text that
``julianday`` reads; PostgreSQL subtracts ``timestamptz`` values and takes the epoch of the interval.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class seconds_between(FunctionElement[float]):  # noqa: N801 (reads like the SQL function it stands for)
    """``seconds_between(later, earlier)``: ``later - earlier`` in seconds, as a float."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between)
def _default(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})))"


@compiles(seconds_between, "sqlite")
def _sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"((julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)})) * 86400.0)"
