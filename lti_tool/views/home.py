"""The tool's public front page: what it is and how an LMS administrator registers it."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    if current_app.config["SANDBOX_ENABLED"]:
        return render_template("home.html", sandbox_url=current_app.config.get("SANDBOX_URL"))
    return redirect(url_for("lti.registration_help"))


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}
