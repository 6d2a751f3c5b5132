"""Mentoring Space: an LTI 1.3 tool for mentoring programs inside an LMS course."""

from __future__ import annotations

import logging

from flask import Flask, g, request

from .config import Config
from .extensions import babel, csrf, db, migrate


def create_app(config_class: type[Config] = Config, **overrides: object) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    _configure(app, config_class, overrides)
    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    _prepare_keys(app)
    return app


def _configure(app: Flask, config_class: type[Config], overrides: dict) -> None:
    app.config.from_object(config_class)
    app.config.update(overrides)
    config_class.finalize(app.config)
    from .database import engine_options, prepare_sqlite_folder

    prepare_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    )
    app.config["MAX_CONTENT_LENGTH"] = app.config.get("MAX_CONTENT_LENGTH") or 2 * 1024 * 1024
    logging.basicConfig(level=logging.INFO if not app.config.get("TESTING") else logging.WARNING)


def _select_locale() -> str | None:
    tool = g.get("tool_session")
    languages = Config.LANGUAGES
    if tool is not None and tool.locale:
        wanted = tool.locale.replace("_", "-").split("-")[0].lower()
        if wanted in languages:
            return wanted
    return request.accept_languages.best_match(languages) if request else None


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(__import__("pathlib").Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    from .views import access, errors, navigation, security, templating

    access.init_app(app)
    navigation.init_app(app)
    templating.init_app(app)
    security.init_app(app)
    errors.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from .launch.views import bp as lti_bp
    from .views.activities import bp as activities_bp
    from .views.calendar import bp as calendar_bp
    from .views.dashboard import bp as dashboard_bp
    from .views.discussions import bp as discussions_bp
    from .views.evaluations import bp as evaluations_bp
    from .views.goals import bp as goals_bp
    from .views.grades import bp as grades_bp
    from .views.home import bp as home_bp
    from .views.matching import bp as matching_bp
    from .views.meetings import bp as meetings_bp
    from .views.notifications import bp as notifications_bp
    from .views.program import bp as program_bp
    from .views.resources import bp as resources_bp
    from .views.roster import bp as roster_bp
    from .views.space import bp as space_bp
    from .views.spaces import bp as spaces_bp

    app.register_blueprint(home_bp)
    app.register_blueprint(lti_bp)
    app.register_blueprint(space_bp)
    app.register_blueprint(discussions_bp)
    app.register_blueprint(spaces_bp)
    app.register_blueprint(goals_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(grades_bp)
    app.register_blueprint(activities_bp)
    app.register_blueprint(roster_bp)
    app.register_blueprint(program_bp)
    app.register_blueprint(matching_bp)
    app.register_blueprint(evaluations_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(resources_bp)
    app.register_blueprint(dashboard_bp)
    if app.config["SANDBOX_ENABLED"]:
        from .sandbox import init_app as init_sandbox

        init_sandbox(app)


def _register_cli(app: Flask) -> None:
    from .cli import init_app as init_cli

    init_cli(app)
    from .grades.cli import init_app as init_grades_cli

    init_grades_cli(app)
    from .jobs.cli import jobs_cli
    from .roster.cli import roster_cli

    app.cli.add_command(jobs_cli)
    app.cli.add_command(roster_cli)
    from .notifications.app import init_app as init_notifications

    init_notifications(app)


def _prepare_keys(app: Flask) -> None:
    from .launch.keys import ensure_key

    ensure_key(app.config["KEYS_DIR"])
