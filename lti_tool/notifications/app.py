"""Wire notifications into the app: the job kind, the ``flask notifications`` commands, the in-process timer."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import tasks  # noqa: F401  (registers the notifications.tick job kind)
    from .cli import init_app as init_cli
    from .scheduler import init_app as init_scheduler

    init_cli(app)
    init_scheduler(app)
