"""The built-in demo LMS: a real LTI 1.3 platform emulator (Moodle, Canvas and Blackboard flavours).

It signs real RS256 id_tokens, serves real OIDC, token, NRPS, AGS, deep linking and dynamic registration
endpoints, and is served by the tool's own Flask app on a different host name (``SANDBOX_URL``, by
default ``PUBLIC_URL`` with ``127.0.0.1`` replaced by ``localhost``), so the tool iframe is third-party in
the browser as in a real LMS. Enabled with ``SANDBOX_ENABLED``; never in production.

``init_app(app)`` registers the ``sandbox`` blueprint at ``/sandbox``, the ``flask sandbox`` commands, and
the seeding function that creates the demo data and the tool-side ``Platform``/``Deployment`` rows on the
first sandbox request (``app.extensions["sandbox"]``; :func:`ensure_seeded`).
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db
from .state import ensure_seeded, state

__all__ = ["default_sandbox_url", "ensure_seeded", "init_app"]

sandbox_cli = AppGroup("sandbox", help="The built-in demo LMS (platform emulator).")


def default_sandbox_url(public_url: str) -> str:
    """``PUBLIC_URL`` with host 127.0.0.1 replaced by localhost: same server, a different site."""
    return public_url.rstrip("/").replace("://127.0.0.1", "://localhost", 1)


@sandbox_cli.command("seed")
def seed_command() -> None:
    """Create the demo LMS data and register its platforms with the tool (idempotent)."""
    ensure_seeded()
    click.echo("Demo LMS ready at " + _app_url("/sandbox/"))


@sandbox_cli.command("rotate-key")
def rotate_key_command() -> None:
    """Rotate the demo LMS's signing key (the old key stays in its JWKS)."""
    from .platform import rotate_platform_key

    ensure_seeded()
    click.echo("New platform signing key: " + rotate_platform_key(db.session()))


@sandbox_cli.command("create-course")
@click.argument("context_id")
@click.option("--students", default=100, show_default=True, help="Number of generated students.")
@click.option("--privacy", type=click.Choice(["public", "name_only", "email_only", "anonymous"]), default="public")
def create_course_command(context_id: str, students: int, privacy: str) -> None:
    """Create a course with many students, for benchmarks."""
    from .seed import create_course

    ensure_seeded()
    course = create_course(db.session(), context_id, students, privacy=privacy)
    click.echo(
        f"Course {course.context_id} has {students} generated students: " + _app_url(f"/sandbox/?context={context_id}")
    )


def _app_url(path: str) -> str:
    from flask import current_app

    return current_app.config["SANDBOX_URL"] + path


def init_app(app: Flask) -> None:
    """Register the demo LMS on ``app`` (called by the app factory when ``SANDBOX_ENABLED``)."""
    if not app.config.get("SANDBOX_URL"):
        app.config["SANDBOX_URL"] = default_sandbox_url(app.config["PUBLIC_URL"])
    app.config["SANDBOX_URL"] = app.config["SANDBOX_URL"].rstrip("/")
    from . import api, views  # noqa: F401  (routes register themselves on the blueprint)
    from .blueprint import bp

    app.register_blueprint(bp)
    app.cli.add_command(sandbox_cli)
    state(app).seed = lambda: ensure_seeded(app)
