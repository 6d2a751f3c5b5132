"""LTI endpoints: OIDC login, launch, deep linking response, dynamic registration, JWKS.

The launch view is a template method: validate, sync identities, then dispatch per message type. Every
refusal renders one error page with a 4xx status and creates no tool session.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..extensions import csrf, db
from ..grades.activities import activity_for_link
from ..models import Platform
from ..roster.tasks import sync_if_never_synced
from ..views.access import require_tool_session, signer, tool_url
from ..views.security import content_security_policy, forget_platform_origins, platform_origins
from . import claims as c
from .deep_linking import catalogue, content_items
from .errors import LaunchError
from .identity import sync_launch
from .login import STATE_COOKIE_PREFIX, begin_login
from .message_launch import RestoredLaunch
from .registration import register_with_platform
from .services import http_session, keyring, launch_settings, launch_store, launch_validator, tool_conf

log = logging.getLogger(__name__)

bp = Blueprint("lti", __name__)


@bp.errorhandler(LaunchError)
def launch_refused(err: LaunchError):
    log.info("LTI request refused (%s): %s %s", err.code, err.message, err.detail or "")
    db.session.rollback()
    return render_template("launch/error.html", error=err), err.status


@bp.route("/lti/login", methods=["GET", "POST"])
@csrf.exempt
def login():
    params = request.values.to_dict()
    target = begin_login(params, tool_conf(), launch_settings())
    response = redirect(target.url, code=302)
    secure = request.is_secure
    response.set_cookie(
        STATE_COOKIE_PREFIX + target.state,
        target.state,
        max_age=current_app.config["LOGIN_STATE_TTL"],
        httponly=True,
        secure=secure,
        samesite="None" if secure else "Lax",
        partitioned=secure,
    )
    return response


@bp.route("/lti/launch", methods=["POST"])
@csrf.exempt
def launch():
    validated = launch_validator().validate(request.form, request.cookies)
    identity = sync_launch(db.session(), validated.platform, validated.deployment, validated.body)
    # A graded placement (deep linking) names its gradebook column: map it to its activity on first launch.
    activity = activity_for_link(db.session(), identity.resource_link)
    db.session.commit()
    sync_if_never_synced(identity.course, identity.membership)
    presentation = validated.body.get(c.LAUNCH_PRESENTATION) or {}
    tool = signer().new(
        person_id=identity.person.id,
        course_id=identity.course.id,
        platform_id=validated.platform.id,
        role=identity.membership.program_role,
        launch_id=validated.launch_id,
        locale=presentation.get("locale") or validated.body.get("locale"),
        resource_link_id=identity.resource_link.id if identity.resource_link else None,
    )
    g.tool_session = tool
    if validated.message_type == c.DEEP_LINKING_REQUEST:
        if identity.membership.program_role != "coordinator":
            abort(403, description="deep_linking_requires_instructor")
        return redirect(tool_url("lti.deep_link_picker"), code=303)
    if activity is not None and identity.membership.program_role == "coordinator":
        # A coordinator opening a graded placement lands on its activity (to pick its checkpoint and rule).
        return redirect(tool_url("activities.show", activity_id=activity.id), code=303)
    return redirect(tool_url("space.home"), code=303)


@bp.route("/lti/deep-link", methods=["GET"])
@require_tool_session("coordinator")
def deep_link_picker():
    launch_data = _launch_data()
    settings = launch_data["body"].get(c.DEEP_LINKING_SETTINGS) or {}
    return render_template(
        "launch/deep_link.html",
        items=catalogue(_),
        accept_multiple=settings.get("accept_multiple", True) is not False,
        platform_name=(launch_data["body"].get(c.TOOL_PLATFORM) or {}).get("name"),
    )


@bp.route("/lti/deep-link", methods=["POST"])
@require_tool_session("coordinator")
def deep_link_respond():
    launch_data = _launch_data()
    body = launch_data["body"]
    settings = body.get(c.DEEP_LINKING_SETTINGS) or {}
    chosen = request.form.getlist("items")
    items = [item for item in catalogue(_) if item.kind in chosen]
    if not items:
        return (
            render_template(
                "launch/deep_link.html",
                items=catalogue(_),
                accept_multiple=settings.get("accept_multiple", True) is not False,
                error=_("Choose at least one item to add to the course."),
                platform_name=(body.get(c.TOOL_PLATFORM) or {}).get("name"),
            ),
            400,
        )
    if settings.get("accept_multiple") is False:
        items = items[:1]
    platform = db.session.get(Platform, launch_data["platform_id"])
    if platform is None:
        abort(403)
    registration = tool_conf().registration_for(platform)
    deep_link = RestoredLaunch(registration, body).get_deep_link()
    jwt_val = deep_link.get_response_jwt(content_items(items, current_app.config["PUBLIC_URL"] + "/lti/launch"))
    # Single use: the deep linking request cannot be answered twice from this session.
    launch_store().delete(g.tool_session.launch_id)
    return render_template(
        "launch/autosubmit.html",
        action=settings["deep_link_return_url"],
        fields={"JWT": jwt_val},
        message=_("Returning to your course…"),
    )


def _launch_data() -> dict:
    launch_id = g.tool_session.launch_id
    data = launch_store().get(launch_id) if launch_id else None
    if not data or c.DEEP_LINKING_SETTINGS not in data["body"]:
        raise LaunchError(
            _("This deep linking request has expired or was already answered."),
            hint=_("Start again from the LMS's “add activity” dialog."),
        )
    if data["platform_id"] != g.tool_session.platform_id:
        abort(403)
    return data


@bp.route("/.well-known/jwks.json")
def jwks():
    response = jsonify(keyring().jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/lti/register")
def register():
    """Dynamic registration initiation (an admin pasted our registration URL into the LMS)."""
    result = register_with_platform(
        db.session(),
        http_session(),
        openid_configuration_url=request.args.get("openid_configuration", ""),
        registration_token=request.args.get("registration_token"),
        public_url=current_app.config["PUBLIC_URL"],
    )
    db.session.commit()
    forget_platform_origins(current_app)
    return render_template("launch/registered.html", result=result)


@bp.after_app_request
def allow_registering_platform_to_frame(response):
    """The registration page opens inside the LMS that is registering us (Canvas frames it), before that
    LMS is a registered platform: allow that one origin to frame it."""
    if request.endpoint == "lti.register":
        origin = _origin_of(request.args.get("openid_configuration", ""))
        if origin:
            response.headers["Content-Security-Policy"] = content_security_policy(
                platform_origins(current_app) + [origin]
            )
    return response


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in {"http", "https"} and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


@bp.route("/lti/registration-help")
def registration_help():
    """A page an admin can open to find the URLs to paste into an LMS."""
    base = current_app.config["PUBLIC_URL"]
    return render_template(
        "launch/registration_help.html",
        urls={
            "registration": base + url_for("lti.register"),
            "login": base + url_for("lti.login"),
            "launch": base + url_for("lti.launch"),
            "jwks": base + url_for("lti.jwks"),
        },
    )
