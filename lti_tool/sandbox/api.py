"""Machine-to-machine endpoints of the demo LMS: JWKS, OpenID configuration, token, NRPS, AGS,
dynamic registration, plus the test controls (faults, stats, key rotation, big courses).

All answer JSON; errors are ``{"error", "error_description"}`` with a 4xx status. They are exempt from
CSRF (tools call them with bearer tokens or signed JWTs, never with cookies); the test controls accept only
``application/json`` bodies, which a cross-site HTML form cannot send.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, g, request
from flask.typing import ResponseReturnValue

from ..extensions import csrf
from . import ags, faults, nrps, oauth, urls
from .blueprint import bp, dbs, public_url, sandbox_url
from .directory import course_by_context
from .errors import NotFound, SandboxError, UnsupportedMediaType
from .flavours import get_flavour
from .models import PRIVACY_LEVELS, SandboxTool
from .platform import (
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_NRPS,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    platform_jwks,
    rotate_platform_key,
)
from .registration import openid_configuration, register_tool
from .seed import create_course
from .state import tool_keys

log = logging.getLogger(__name__)

READ_LINEITEMS = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)


def json_response(
    body: Any, status: int = 200, mimetype: str = "application/json", headers: dict | None = None
) -> Response:
    response = current_app.response_class(json.dumps(body), status=status, mimetype=mimetype)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def json_error(err: SandboxError) -> Response:
    return json_response({"error": err.error, "error_description": err.description}, err.status, headers=err.headers)


def api(kind: str | None = None) -> Callable:
    """Wrap a JSON endpoint: injected faults (for ``kind`` token/nrps/ags), counters, one commit, JSON errors."""

    def decorator(view: Callable[..., ResponseReturnValue]) -> Callable[..., Response]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            decision = faults.decide(dbs(), kind) if kind else faults.FaultDecision()
            if decision.latency_ms:
                time.sleep(decision.latency_ms / 1000)
            if decision.fail_status:
                faults.count(dbs(), "faults_injected")
                dbs().commit()
                err = SandboxError(
                    "Injected fault (sandbox fault injection).",
                    error="temporarily_unavailable",
                    status=decision.fail_status,
                )
                if decision.retry_after is not None:
                    err.headers["Retry-After"] = str(decision.retry_after)
                return json_error(err)
            try:
                g.sandbox_counters = [kind + "_requests"] if kind else []
                response = current_app.make_response(view(*args, **kwargs))
                faults.count_all(dbs(), g.sandbox_counters)
                dbs().commit()
            except SandboxError as err:
                dbs().rollback()
                if kind:
                    faults.count(dbs(), kind + "_requests")
                    faults.count(dbs(), kind + "_errors")
                    dbs().commit()
                log.info("demo LMS %s refused: %s %s", request.path, err.error, err.description)
                return json_error(err)
            if decision.drop and response.status_code < 400:
                faults.count(dbs(), "responses_dropped")
                dbs().commit()
                return json_error(
                    SandboxError(
                        "The response was dropped after the request was processed (sandbox fault injection).",
                        error="bad_gateway",
                        status=502,
                    )
                )
            return response

        return wrapper

    return decorator


def _json_body(*media_types: str) -> dict[str, Any]:
    if request.mimetype not in {*media_types, "application/json"}:
        raise UnsupportedMediaType(f"Send the body as {media_types[0] if media_types else 'application/json'}.")
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise SandboxError("The body must be a JSON object.")
    return data


def _args() -> dict[str, str]:
    return {k: v for k, v in request.args.items()}


def _bearer(flavour: str, any_of: tuple[str, ...]) -> SandboxTool:
    tool, _ = oauth.authenticate(dbs(), request.headers.get("Authorization"), flavour=flavour, any_of=any_of)
    type_id = request.args.get("type_id")
    if type_id is not None and type_id != str(tool.id):
        raise SandboxError("type_id does not match the tool the access token was issued to.")
    return tool


def _paged(page: nrps.Page, mimetype: str) -> Response:
    headers = {"Link": f'<{page.next_url}>; rel="next"'} if page.next_url else {}
    return json_response(page.body, mimetype=mimetype, headers=headers)


# --- keys and discovery ---------------------------------------------------------------------------------


@bp.get("/jwks")
@api()
def jwks():
    """The platform's public keys (RS256, with kid)."""
    return json_response(platform_jwks(dbs()), headers={"Cache-Control": "public, max-age=60"})


@bp.get("/<flavour>/jwks")
@api()
def flavour_jwks(flavour: str):
    get_flavour(flavour)
    return json_response(platform_jwks(dbs()), headers={"Cache-Control": "public, max-age=60"})


@bp.get("/<flavour>/.well-known/openid-configuration")
@api()
def openid_config(flavour: str):
    """Dynamic Registration 1.0 §3.4."""
    return json_response(openid_configuration(get_flavour(flavour).code, sandbox_url()))


# --- OAuth2 token ---------------------------------------------------------------------------------------


@bp.post("/<flavour>/token")
@csrf.exempt
@api("token")
def token(flavour: str):
    """Client-credentials grant with a JWT client assertion (1EdTech Security Framework §4.1)."""
    get_flavour(flavour)
    body = oauth.issue_token(
        dbs(),
        {k: v for k, v in request.form.items()},
        flavour=flavour,
        token_url=urls.token(sandbox_url(), flavour),
        public_url=public_url(),
        keys=tool_keys(),
    )
    faults.count(dbs(), "tokens_issued")
    return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


# --- NRPS -----------------------------------------------------------------------------------------------


@bp.get("/<flavour>/nrps/<context_id>")
@csrf.exempt
@api("nrps")
def memberships(flavour: str, context_id: str):
    """NRPS 2.0 membership container, paged with ``limit`` and ``Link: rel="next"``."""
    get_flavour(flavour)
    tool = _bearer(flavour, (SCOPE_NRPS,))
    page = nrps.memberships(
        dbs(), flavour=flavour, context_id=context_id, args=_args(), sandbox_url=sandbox_url(), tool_id=tool.id
    )
    return _paged(page, nrps.MEDIA_TYPE)


# --- AGS ------------------------------------------------------------------------------------------------


@bp.route("/<flavour>/ags/<context_id>/lineitems", methods=["GET", "POST"])
@csrf.exempt
@api("ags")
def lineitems(flavour: str, context_id: str):
    """AGS 2.0 §3.2: list (GET, paged and filtered) or create (POST) line items."""
    get_flavour(flavour)
    if request.method == "POST":
        tool = _bearer(flavour, (SCOPE_LINEITEM,))
        course = course_by_context(dbs(), context_id)
        item = ags.create_lineitem(dbs(), _json_body(ags.LINEITEM), flavour=flavour, course=course, tool=tool)
        faults.count(dbs(), "lineitems_created")
        return json_response(ags.lineitem_json(item, sandbox_url()), 201, ags.LINEITEM)
    tool = _bearer(flavour, READ_LINEITEMS)
    course = course_by_context(dbs(), context_id)
    page = ags.list_lineitems(dbs(), _args(), flavour=flavour, course=course, tool=tool, sandbox_url=sandbox_url())
    return _paged(page, ags.LINEITEM_CONTAINER)


def _lineitem(flavour: str, context_id: str, item_id: int, any_of: tuple[str, ...]):
    get_flavour(flavour)
    tool = _bearer(flavour, any_of)
    course = course_by_context(dbs(), context_id)
    return ags.get_lineitem(dbs(), item_id, flavour=flavour, course=course, tool=tool), course, tool


@bp.route("/<flavour>/ags/<context_id>/lineitems/<int:item_id>", methods=["GET", "PUT", "DELETE"])
@bp.route("/<flavour>/ags/<context_id>/lineitems/<int:item_id>/lineitem", methods=["GET", "PUT", "DELETE"])
@csrf.exempt
@api("ags")
def lineitem(flavour: str, context_id: str, item_id: int):
    """AGS 2.0 §3.2: read, replace or delete one line item (Moodle's URLs end in ``/lineitem``)."""
    if request.method == "GET":
        item, _, _ = _lineitem(flavour, context_id, item_id, READ_LINEITEMS)
        return json_response(ags.lineitem_json(item, sandbox_url()), mimetype=ags.LINEITEM)
    item, course, tool = _lineitem(flavour, context_id, item_id, (SCOPE_LINEITEM,))
    if request.method == "DELETE":
        dbs().delete(item)
        return Response(status=204)
    ags.update_lineitem(dbs(), item, _json_body(ags.LINEITEM), course=course, tool=tool)
    return json_response(ags.lineitem_json(item, sandbox_url()), mimetype=ags.LINEITEM)


@bp.post("/<flavour>/ags/<context_id>/lineitems/<int:item_id>/scores")
@bp.post("/<flavour>/ags/<context_id>/lineitems/<int:item_id>/lineitem/scores")
@csrf.exempt
@api("ags")
def scores(flavour: str, context_id: str, item_id: int):
    """AGS 2.0 §3.4: post a score; a score not newer than the stored one is ignored (still 200)."""
    item, _, _ = _lineitem(flavour, context_id, item_id, (SCOPE_SCORE,))
    data = _json_body(ags.SCORE)
    applied = ags.post_score(dbs(), item, data)
    # Counted with the request's other counters, in one statement just before the commit.
    g.sandbox_counters += ["score_posts", "scores_recorded" if applied else "scores_ignored"]
    result_url = urls.result(sandbox_url(), flavour, context_id, item.id, data["userId"])
    return json_response(
        {"resultUrl": result_url}, headers={"X-Sandbox-Score-Status": "recorded" if applied else "ignored-stale"}
    )


@bp.get("/<flavour>/ags/<context_id>/lineitems/<int:item_id>/results")
@bp.get("/<flavour>/ags/<context_id>/lineitems/<int:item_id>/lineitem/results")
@csrf.exempt
@api("ags")
def results(flavour: str, context_id: str, item_id: int):
    """AGS 2.0 §3.3: the results of a line item, paged."""
    item, _, _ = _lineitem(flavour, context_id, item_id, (SCOPE_RESULT_READONLY,))
    return _paged(ags.results(dbs(), item, _args(), sandbox_url=sandbox_url()), ags.RESULT_CONTAINER)


# --- dynamic registration -------------------------------------------------------------------------------


@bp.post("/<flavour>/register")
@csrf.exempt
@api()
def register(flavour: str):
    """Dynamic Registration 1.0 §3.5: register a tool with the registration token this LMS issued."""
    fl = get_flavour(flavour)
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("Send the client registration as application/json.")
    tool, answer = register_tool(
        dbs(),
        request.get_json(force=True, silent=True),
        flavour=fl.code,
        authorization=request.headers.get("Authorization"),
    )
    faults.count(dbs(), "registrations")
    log.info("demo %s registered tool %s (%s)", fl.code, tool.client_id, tool.status)
    return json_response(answer)


# --- test controls --------------------------------------------------------------------------------------


def _require_sandbox() -> None:
    if not current_app.config.get("SANDBOX_ENABLED"):
        raise NotFound()


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
@csrf.exempt
@api()
def fault_settings():
    """Read, replace (JSON) or clear the injected faults for the token, NRPS and AGS endpoints."""
    _require_sandbox()
    if request.method == "POST":
        return json_response(faults.set_faults(dbs(), _json_body()))
    if request.method == "DELETE":
        return json_response(faults.set_faults(dbs(), {}))
    return json_response(faults.fault_settings(dbs()))


@bp.get("/stats")
@api()
def stats():
    """Counters (token requests, score posts, faults…) and totals, for benchmarks."""
    return json_response(faults.stats(dbs()))


@bp.post("/stats/reset")
@csrf.exempt
@api()
def stats_reset():
    _require_sandbox()
    _json_body()
    faults.reset_stats(dbs())
    return json_response(faults.stats(dbs()))


@bp.post("/api/keys/rotate")
@csrf.exempt
@api()
def api_rotate_key():
    """Rotate the platform signing key (the old key stays published). Body: ``{}``."""
    _require_sandbox()
    _json_body()
    kid = rotate_platform_key(dbs())
    return json_response({"kid": kid, "jwks": platform_jwks(dbs())})


@bp.post("/api/courses")
@csrf.exempt
@api()
def api_create_course():
    """Create (or complete) a big course: ``{"context_id", "students", "title"?, "privacy"?}``."""
    _require_sandbox()
    data = _json_body()
    context_id, students = data.get("context_id"), data.get("students", 0)
    if not isinstance(context_id, str) or not context_id.strip() or len(context_id) > 255:
        raise SandboxError("context_id must be a non-empty string (at most 255 characters).")
    if isinstance(students, bool) or not isinstance(students, int) or not 0 <= students <= 100_000:
        raise SandboxError("students must be an integer between 0 and 100000.")
    privacy = data.get("privacy", "public")
    if privacy not in PRIVACY_LEVELS:
        raise SandboxError("privacy must be one of " + ", ".join(PRIVACY_LEVELS) + ".")
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise SandboxError("title must be a string.")
    course = create_course(dbs(), context_id.strip(), students, title=title, privacy=privacy)
    return json_response({"context_id": course.context_id, "title": course.title, "privacy": course.privacy}, 201)
