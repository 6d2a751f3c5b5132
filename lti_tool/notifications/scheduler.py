"""The embedded default's clock: every ``NOTIFY_TICK_SECONDS`` the web process enqueues a tick job.

Production runs ``flask notifications run`` from cron (or a systemd timer) instead and leaves
``NOTIFY_TICK_SECONDS`` at 0. The timer starts with the first request (not for CLI commands), is a daemon
thread, and only enqueues: the tick itself runs in the job pool, never in the request or timer thread.
Ticks are idempotent, so a timer in each of several processes is harmless, only wasteful.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

log = logging.getLogger(__name__)


def start_timer(app: Flask) -> None:
    seconds = float(app.config.get("NOTIFY_TICK_SECONDS") or 0)
    if seconds <= 0 or app.extensions.get("notifications_timer"):
        return
    stop = threading.Event()

    def loop() -> None:
        from ..extensions import db
        from .tasks import request_tick

        while not stop.wait(seconds):
            with app.app_context():
                try:
                    request_tick()
                except Exception:  # keep the clock going; the job row records failures
                    log.exception("could not enqueue a notifications tick")
                finally:
                    db.session.remove()

    thread = threading.Thread(target=loop, name="notifications-timer", daemon=True)
    app.extensions["notifications_timer"] = stop
    thread.start()


def init_app(app: Flask) -> None:
    started = threading.Lock()

    @app.before_request
    def _start_notifications_timer() -> None:
        if app.extensions.get("notifications_timer") is None and started.acquire(blocking=False):
            start_timer(app)
