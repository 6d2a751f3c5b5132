"""Portable SQL for the dashboard: a timestamp as epoch seconds, computed by the database.

The dashboard reads tens of thousands of post times in one query; as floats they cost nothing to read,
where parsing as many timestamps in Python would dominate the page. SQLite stores ``UTCDateTime`` as UTC
text that ``julianday`` reads; PostgreSQL takes the epoch of the ``timestamptz``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class epoch_seconds(FunctionElement[float]):  # noqa: N801 (reads like the SQL function it stands for)
    """``epoch_seconds(ts)``: the timestamp as seconds since 1970-01-01 UTC, a float (no parsing in Python)."""

    type = Float()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(epoch_seconds)
def _epoch_default(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    (value,) = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM {compiler.process(value, **kw)}))"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    (value,) = list(element.clauses)
    return f"((julianday({compiler.process(value, **kw)}) - 2440587.5) * 86400.0)"
