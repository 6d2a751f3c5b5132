"""The navigation bar on every page, rendered once per role, language and current page.

The bar is the same for everyone with the same role and language on the same page except for the
tool-session token in its links, so this process keeps it rendered with a placeholder and puts each page's
token in its place (a page has fifteen links; building them cost more than the rest of a small page).
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from markupsafe import Markup, escape

from .access import fresh_token_query, path_for
from .templating import current_locale

_TOKEN_PLACEHOLDER = "ts=__tool_session__"
_CACHE_SIZE = 2048


def _link(endpoint: str) -> str:
    return path_for(endpoint, {}) + "?" + _TOKEN_PLACEHOLDER


def site_nav() -> Markup:
    """The ``<nav>`` of this page, or nothing outside a course (public pages, errors before the guard)."""
    membership = g.get("membership")
    if membership is None:
        return Markup("")
    role, endpoint = membership.program_role, request.endpoint or ""
    key = (request.script_root, role, current_locale(), endpoint)
    cache: dict[tuple[str, ...], str] = current_app.extensions.setdefault("site_nav", {})
    html = cache.get(key)
    if html is None:
        template = current_app.jinja_env.get_template("_nav.html")
        html = template.render(role=role, endpoint=endpoint, link=_link)
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        cache[key] = html
    query = fresh_token_query()
    if query is None:  # no tool session on this page: plain links, as tool_url gives then
        return Markup(html.replace("?" + _TOKEN_PLACEHOLDER, ""))  # noqa: S704
    # The token is escaped as every other link's is; the rest was escaped when the bar was rendered.
    return Markup(html.replace(_TOKEN_PLACEHOLDER, str(escape(query))))  # noqa: S704


def init_app(app: Flask) -> None:
    app.jinja_env.globals["site_nav"] = site_nav
