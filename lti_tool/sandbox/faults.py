"""Fault injection and request counters for tests and benchmarks.

Faults apply to the service endpoints a tool calls in the background (``token``, ``nrps``, ``ags``): added
latency, a failure rate or the next N requests failing with a chosen status (429, 500, 503…) and
``Retry-After``, and "dropped" responses: the request is processed (a score is recorded) but the tool
gets a 502, as when a proxy loses the answer — the case that makes timestamps on scores matter.
Settings and counters are rows in the database, so every worker process sees the same ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .errors import SandboxError
from .models import (
    SandboxAccessToken,
    SandboxCounter,
    SandboxFault,
    SandboxLineItem,
    SandboxResourceLink,
    SandboxResult,
    SandboxScore,
    SandboxTool,
)

ENDPOINTS = ("token", "nrps", "ags")
FAULT_FIELDS = ("latency_ms", "fail_rate", "fail_next", "status", "retry_after", "drop_rate", "endpoints")


@dataclass(frozen=True)
class FaultDecision:
    latency_ms: int = 0
    fail_status: int | None = None
    retry_after: int | None = None
    drop: bool = False


def _row(session: Session) -> SandboxFault | None:
    return session.get(SandboxFault, 1)


def fault_settings(session: Session) -> dict[str, Any]:
    row = _row(session)
    if row is None:
        return {
            "latency_ms": 0,
            "fail_rate": 0.0,
            "fail_next": 0,
            "status": 503,
            "retry_after": None,
            "drop_rate": 0.0,
            "endpoints": list(ENDPOINTS),
        }
    return {
        "latency_ms": row.latency_ms,
        "fail_rate": row.fail_rate,
        "fail_next": row.fail_next,
        "status": row.status,
        "retry_after": row.retry_after,
        "drop_rate": row.drop_rate,
        "endpoints": list(row.endpoints or ENDPOINTS),
    }


def _number(data: dict[str, Any], name: str, kind: type, low: float, high: float, default: Any) -> Any:
    value = data.get(name, default)
    if value is None and default is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise SandboxError(f"'{name}' must be a number between {low} and {high}.")
    return kind(value)


def set_faults(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """Replace the fault settings (fields left out get their defaults). Commits."""
    unknown = set(data) - set(FAULT_FIELDS)
    if unknown:
        raise SandboxError("Unknown fault settings: " + ", ".join(sorted(unknown)) + ".")
    endpoints = data.get("endpoints", list(ENDPOINTS))
    if not isinstance(endpoints, list) or not set(endpoints) <= set(ENDPOINTS):
        raise SandboxError("'endpoints' must be a list drawn from: " + ", ".join(ENDPOINTS) + ".")
    values = {
        "latency_ms": _number(data, "latency_ms", int, 0, 60_000, 0),
        "fail_rate": _number(data, "fail_rate", float, 0, 1, 0.0),
        "fail_next": _number(data, "fail_next", int, 0, 1_000_000, 0),
        "status": _number(data, "status", int, 400, 599, 503),
        "retry_after": _number(data, "retry_after", int, 0, 3600, None),
        "drop_rate": _number(data, "drop_rate", float, 0, 1, 0.0),
        "endpoints": endpoints,
    }
    row = _row(session)
    if row is None:
        row = SandboxFault(id=1)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    try:
        session.commit()
    except IntegrityError:  # another worker created the row first
        session.rollback()
        session.execute(update(SandboxFault).where(SandboxFault.id == 1).values(**values))
        session.commit()
    return fault_settings(session)


def decide(session: Session, endpoint: str) -> FaultDecision:
    """What to do to this request. ``fail_next`` is decremented atomically, so N means exactly N failures
    across all workers. Commits when it consumes one."""
    row = _row(session)
    if row is None or endpoint not in (row.endpoints or ENDPOINTS):
        return FaultDecision()
    fail = False
    if row.fail_next > 0:
        taken = session.execute(
            update(SandboxFault)
            .where(SandboxFault.id == 1, SandboxFault.fail_next > 0)
            .values(fail_next=SandboxFault.fail_next - 1)
        )
        session.commit()
        fail = bool(getattr(taken, "rowcount", 0))
    if not fail and row.fail_rate > 0:
        fail = random.random() < row.fail_rate
    return FaultDecision(
        latency_ms=row.latency_ms,
        fail_status=row.status if fail else None,
        retry_after=row.retry_after,
        drop=not fail and row.drop_rate > 0 and random.random() < row.drop_rate,
    )


def count_all(session: Session, names: list[str]) -> None:
    """Add 1 to each named counter in one UPDATE (does not commit).

    A score post bumps three counters; one statement instead of three keeps the write lock, which SQLite
    holds for the whole database until COMMIT, as short as the benchmark's 32 concurrent posts need.
    """
    wanted: dict[str, int] = {}
    for name in names:
        wanted[name] = wanted.get(name, 0) + 1
    if not wanted:
        return
    done = session.execute(
        update(SandboxCounter)
        .where(SandboxCounter.name.in_(wanted))
        .values(value=SandboxCounter.value + case(wanted, value=SandboxCounter.name, else_=0))
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) == len(wanted):
        return
    known = set(session.execute(select(SandboxCounter.name).where(SandboxCounter.name.in_(wanted))).scalars())
    for name in wanted.keys() - known:  # first use of a counter: create it (the UPDATE above skipped it)
        count(session, name, wanted[name])


def count(session: Session, name: str, n: int = 1) -> None:
    """Add ``n`` to a counter (an atomic UPDATE; the row is created on first use). Does not commit."""
    done = session.execute(
        update(SandboxCounter).where(SandboxCounter.name == name).values(value=SandboxCounter.value + n)
    )
    if getattr(done, "rowcount", 0):
        return
    try:
        with session.begin_nested():
            session.add(SandboxCounter(name=name, value=n))
            session.flush()
    except IntegrityError:
        session.execute(
            update(SandboxCounter).where(SandboxCounter.name == name).values(value=SandboxCounter.value + n)
        )


def stats(session: Session) -> dict[str, Any]:
    """Counters since the last reset, plus row counts of what the LMS holds."""
    counters = {name: value for name, value in session.execute(select(SandboxCounter.name, SandboxCounter.value))}
    totals = {
        "tools": SandboxTool,
        "placements": SandboxResourceLink,
        "line_items": SandboxLineItem,
        "results": SandboxResult,
        "scores_received": SandboxScore,
        "access_tokens": SandboxAccessToken,
    }
    return {
        "counters": counters,
        "totals": {
            name: session.execute(select(func.count()).select_from(model)).scalar_one()
            for name, model in totals.items()
        },
        "faults": fault_settings(session),
    }


def reset_stats(session: Session) -> None:
    session.execute(delete(SandboxCounter))
    session.commit()
