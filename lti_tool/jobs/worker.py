"""The RQ side: the function a worker calls, and ``flask jobs worker``.

RQ's default worker forks a child per job; the child inherits the app built by ``flask jobs worker`` and
drops the database connections it inherited (they belong to the parent) before running the job.
"""

from __future__ import annotations

from flask import Flask

from ..extensions import db
from .runner import run_job

_app: Flask | None = None


def set_app(app: Flask) -> None:
    global _app
    _app = app


def perform(job_id: int) -> None:
    """Entry point named in the queue (``lti_tool.jobs.worker.perform``)."""
    app = _app
    if app is None:  # a plain `rq worker` started without our CLI
        from .. import create_app

        app = create_app()
        set_app(app)
    with app.app_context():
        db.engine.dispose(close=False)
    run_job(app, job_id)
