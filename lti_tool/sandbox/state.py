"""Per-app state of the demo LMS: the once-per-process seeding flag and the tool-JWKS cache.

Nothing here is needed by another worker: seeding is idempotent in the database, and the cache holds only
public keys.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app

from ..extensions import db
from .oauth import ToolKeys
from .seed import seed_all


@dataclass
class SandboxState:
    seeded: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    keys: ToolKeys = field(default_factory=ToolKeys)
    # ``app.extensions["sandbox"].seed()``: create the demo platforms now (inside an app context).
    seed: Callable[[], None] | None = None


def state(app: Flask | None = None) -> SandboxState:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions.setdefault("sandbox", SandboxState())


def ensure_seeded(app: Flask | None = None) -> None:
    """Create the demo data and the tool-side demo platforms once per process (idempotent, race-safe).

    Needs an app context and the tables (``db.create_all()`` or the migrations).
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    current = state(app)
    if current.seeded:
        return
    with current.lock:
        if current.seeded:
            return
        seed_all(db.session(), sandbox_url=app.config["SANDBOX_URL"], public_url=app.config["PUBLIC_URL"])
        current.seeded = True


def tool_keys() -> ToolKeys:
    return state().keys
