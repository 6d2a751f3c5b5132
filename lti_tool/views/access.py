"""Who is asking: the cookieless tool session, and guards that check course and role on every view.

The Flask session interface below reads the tool-session token from the request instead of a cookie when
one is present, so Flask-WTF's CSRF protection works inside an iframe whose cookies the browser blocks:
the CSRF secret is derived from the signed session id, and the token itself is never sent automatically by
the browser the way a cookie is.
"""

from __future__ import annotations

from functools import wraps
from typing import Any
from urllib.parse import urlencode

from flask import Flask, abort, current_app, g, request, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from markupsafe import Markup, escape
from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager

from ..database import enable_request_cache
from ..extensions import db, install_template_gettext
from ..launch.tool_session import (
    TOKEN_HEADER,
    TOKEN_PARAM,
    InvalidToolSession,
    ToolSession,
    ToolSessionSigner,
)
from ..models import Course, Membership, Person


class CookielessSession(SecureCookieSession):
    """Session data for a request that carried a tool-session token: never written to a cookie."""


class ToolAwareSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request_: Any) -> SecureCookieSession | None:  # type: ignore[override]
        token = _token_from(request_)
        if token:
            try:
                tool = signer(app).loads(token)
            except InvalidToolSession as err:
                g.tool_session_error = err.reason
            else:
                g.tool_session = tool
                return CookielessSession({"csrf_token": tool.csrf_seed(str(app.secret_key or ""))})
        return super().open_session(app, request_)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:  # type: ignore[override]
        if isinstance(session, CookielessSession):
            return
        super().save_session(app, session, response)


def _token_from(request_: Any) -> str | None:
    token = request_.args.get(TOKEN_PARAM) or request_.headers.get(TOKEN_HEADER)
    if (
        not token
        and request_.method == "POST"
        and request_.mimetype
        in {
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        }
    ):
        token = request_.form.get(TOKEN_PARAM)
    return token or None


def signer(app: Flask | None = None) -> ToolSessionSigner:
    app = app or current_app
    cached = app.extensions.get("tool_session_signer")
    if cached is None:
        cached = ToolSessionSigner(str(app.secret_key or ""), app.config["TOOL_SESSION_MAX_AGE"])
        app.extensions["tool_session_signer"] = cached
    return cached


def current_tool_session() -> ToolSession | None:
    return g.get("tool_session")


def _fresh_token_and_query() -> tuple[str, str] | None:
    """This page's token and its ``ts=…`` query, made once per request (a page has a dozen links)."""
    state = g._get_current_object()  # type: ignore[attr-defined]  # one context lookup, not one per attribute
    made = state.__dict__.get("fresh_token_and_query")
    if made is None:
        tool = state.__dict__.get("tool_session")
        if tool is None:
            return None
        token = signer().dumps(tool)
        made = state.fresh_token_and_query = (token, urlencode({TOKEN_PARAM: token}))
    return made


def fresh_token_query() -> str | None:
    """``ts=…``: this page's token as a query string (see ``fresh_token``)."""
    made = _fresh_token_and_query()
    return made[1] if made else None


def fresh_token() -> str | None:
    """The token to put in this page's links and forms (same session, new timestamp)."""
    made = _fresh_token_and_query()
    return made[0] if made else None


_URL_CACHE_SIZE = 4096


def path_for(endpoint: str, values: dict[str, Any]) -> str:
    """``url_for(endpoint, **values)`` remembered per process: a page builds a dozen links, and the same ones on
    every page. Only absolute endpoints with plain values are remembered (a relative ``.endpoint`` depends on
    the request's blueprint, ``_external`` and friends on more than the path); the key holds the script
    root, which is all else a relative URL depends on."""
    if endpoint.startswith(".") or any(k.startswith("_") for k in values):
        return url_for(endpoint, **values)
    try:
        key = (request.script_root, endpoint, *sorted(values.items()))
        cache = current_app.extensions.setdefault("tool_url_paths", {})
        found = cache.get(key)
    except TypeError:  # an unhashable value: build it every time
        return url_for(endpoint, **values)
    if found is None:
        found = url_for(endpoint, **values)
        if len(cache) >= _URL_CACHE_SIZE:
            cache.clear()
        cache[key] = found
    return found


def tool_url(endpoint: str, **values: Any) -> str:
    """``url_for`` with this page's tool-session token as the last query parameter (encoded once per page)."""
    made = _fresh_token_and_query()
    if made is None:
        return url_for(endpoint, **values)
    if "_anchor" in values:
        values[TOKEN_PARAM] = made[0]
        return url_for(endpoint, **values)
    url = path_for(endpoint, values)
    return url + ("&" if "?" in url else "?") + made[1]


def tool_session_field() -> Markup:
    token = fresh_token() or ""
    # The token is escaped; the markup around it is a constant.
    return Markup(f'<input type="hidden" name="{TOKEN_PARAM}" value="{escape(token)}">')  # noqa: S704


# One query loads membership, course, its platform and the person; built once, run with bound parameters.
_GUARD = (
    select(Membership)
    .join(Membership.course)
    .join(Course.platform)
    .join(Membership.person)
    .options(
        contains_eager(Membership.course).contains_eager(Course.platform),
        contains_eager(Membership.person),
    )
    .where(
        Membership.course_id == bindparam("course_id"),
        Membership.person_id == bindparam("person_id"),
        Course.platform_id == bindparam("platform_id"),
        Person.platform_id == bindparam("platform_id"),
    )
)


def require_tool_session(*roles: str):
    """Guard a view: a valid tool session whose person is still an active member of its course.

    Loads ``g.person``, ``g.course`` and ``g.membership``. Aborts 401 when the session is missing or
    expired (the page tells the user to open the tool again from the course), 403 when the membership or
    role does not allow the view. Every query a guarded view makes is then scoped by ``g.course``.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            tool = current_tool_session()
            if tool is None:
                abort(401, description=g.get("tool_session_error") or "missing")
            membership = db.session.execute(
                _GUARD,
                {"course_id": tool.course_id, "person_id": tool.person_id, "platform_id": tool.platform_id},
            ).scalar_one_or_none()
            if membership is None or not membership.is_active or not membership.course.platform.is_active:
                abort(403)
            if roles and membership.program_role not in roles:
                abort(403)
            g.membership = membership
            g.course = membership.course
            g.person = membership.person
            enable_request_cache(db.session())
            return view(*args, **kwargs)

        return wrapper

    return decorator


def init_app(app: Flask) -> None:
    app.session_interface = ToolAwareSessionInterface()
    app.jinja_env.globals.update(tool_url=tool_url, tool_session_field=tool_session_field)
    # Every page's links and strings: templates' gettext reads the translations once per render.
    install_template_gettext(app)
