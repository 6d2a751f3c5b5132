"""Background jobs: long work never blocks a request, and shows its progress.

``enqueue(kind, course_id, **params)`` commits a ``job`` row and hands it to a runner (a thread pool in the
embedded setup, RQ workers in production; see :mod:`lti_tool.jobs.queue`). Job functions are registered
by name with :func:`job` and call domain services with the session the context gives them; the row holds
status, progress and a translatable message that ``GET /jobs/<id>`` returns to the page polling it.
"""

from __future__ import annotations

from .context import N_, JobContext, JobFailure
from .queue import create_only, enqueue
from .registry import job
from .runner import fail_if_abandoned, run_in_context, run_job

__all__ = [
    "N_",
    "JobContext",
    "JobFailure",
    "create_only",
    "enqueue",
    "fail_if_abandoned",
    "job",
    "run_in_context",
    "run_job",
]
