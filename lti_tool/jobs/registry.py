"""Job functions registered by name, so a queue entry names a job kind and never pickles a function.

A job function receives a :class:`~lti_tool.jobs.context.JobContext` and the job's parameters (plain JSON
values), calls domain services with ``ctx.session`` and reports progress with ``ctx.progress``. It returns
a JSON-able ``dict`` (stored as the job's result) or ``None``. It never sees a Flask request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

JobFunction = Callable[..., "dict[str, Any] | None"]


@dataclass(frozen=True)
class JobSpec:
    kind: str
    function: JobFunction
    # One queued-or-running job of this kind per course: a second enqueue returns the first job.
    unique_per_course: bool = False


_REGISTRY: dict[str, JobSpec] = {}


def job(kind: str, *, unique_per_course: bool = False) -> Callable[[JobFunction], JobFunction]:
    """Register ``function`` as the job ``kind`` (``"roster.sync"``)."""

    def decorator(function: JobFunction) -> JobFunction:
        existing = _REGISTRY.get(kind)
        if existing is not None and existing.function is not function:
            raise ValueError(f"job kind {kind!r} is already registered by {existing.function!r}")
        _REGISTRY[kind] = JobSpec(kind, function, unique_per_course)
        return function

    return decorator


def spec(kind: str) -> JobSpec | None:
    return _REGISTRY.get(kind)


def dedupe_key(kind: str, course_id: int | None) -> str | None:
    found = _REGISTRY.get(kind)
    if found is None or not found.unique_per_course or course_id is None:
        return None
    return f"{kind}:course:{course_id}"


def registered() -> list[str]:
    return sorted(_REGISTRY)
