"""The resource library pages (``/resources/``): participants read what is for them; coordinators curate.

Thin views over :mod:`lti_tool.mentoring.resources`, which decides who sees what. An item of another
course, or one for another audience, is a 404. A refused form comes back (400) with the typed values kept.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound as HttpNotFound

from ..extensions import db
from ..mentoring import resources as rs
from ..models.resources import AUDIENCES, RESOURCE_KINDS, RESOURCE_PAGE
from .access import require_tool_session, tool_url
from .errors import render_http_error

bp = Blueprint("resources", __name__, url_prefix="/resources")


def viewer() -> rs.ResourceViewer:
    return rs.viewer_for(db.session(), g.course.id, g.membership)


@bp.errorhandler(rs.ResourceNotFound)
def _not_found(err: rs.ResourceNotFound):
    db.session.rollback()
    return render_http_error(HttpNotFound())


def audience_label(audience: str) -> str:
    return {"everyone": _("Everyone"), "mentors": _("Mentors"), "mentees": _("Mentees")}.get(audience, audience)


def kind_label(kind: str) -> str:
    return {"link": _("Link"), "page": _("Page")}.get(kind, kind)


def _render_form(item: Any, values: dict[str, Any], errors: dict[str, str], status: int = 200):
    return render_template(
        "resources/form.html",
        item=item,
        values=values,
        errors=errors,
        audiences=[(a, audience_label(a)) for a in AUDIENCES],
        kinds=[(k, kind_label(k)) for k in RESOURCE_KINDS],
        body_limit=rs.BODY_MAX,
    ), status


def _values(form: Any) -> dict[str, Any]:
    return {k: form.get(k, "") for k in ("kind", "title", "url", "description", "body", "audience", "position")}


def _save(item: Any = None):
    session = db.session()
    values = _values(request.form)
    try:
        saved = rs.save_item(session, viewer(), rs.ResourceInput(**values), item)
    except rs.InvalidResource as err:
        session.rollback()
        errors = {field: _(msgid, **params) for field, (msgid, params) in err.errors.items()}
        return _render_form(item, values, errors, 400)
    session.commit()
    if saved.kind == RESOURCE_PAGE:
        return redirect(tool_url("resources.page", item_id=saved.id, saved=1), code=303)
    return redirect(tool_url("resources.index", saved=1), code=303)


@bp.get("/")
@require_tool_session()
def index():
    """The library: the items for the viewer's audience, in the coordinator's order."""
    session = db.session()
    rs.ensure_starter_set(session, g.course.id, _)
    me = viewer()
    items = rs.list_items(session, me)
    session.commit()
    return render_template(
        "resources/index.html",
        items=items,
        is_coordinator=me.is_coordinator,
        audience_label=audience_label,
        saved=request.args.get("saved") == "1",
        deleted=request.args.get("deleted") == "1",
    )


@bp.get("/<int:item_id>")
@require_tool_session()
def page(item_id: int):
    """One Markdown page (a link item's page is its description and the link)."""
    session = db.session()
    me = viewer()
    item = rs.get_item(session, me, item_id)
    session.commit()
    return render_template(
        "resources/page.html",
        item=item,
        is_coordinator=me.is_coordinator,
        audience_label=audience_label,
        saved=request.args.get("saved") == "1",
    )


@bp.route("/new", methods=["GET", "POST"])
@require_tool_session("coordinator")
def new():
    """Coordinators add a link or a page (``?kind=link|page`` preselects the kind)."""
    if request.method == "POST":
        return _save()
    kind = request.args.get("kind") if request.args.get("kind") in RESOURCE_KINDS else "link"
    values = {
        "kind": kind,
        "title": "",
        "url": "",
        "description": "",
        "body": "",
        "audience": "everyone",
        "position": "100",
    }
    return _render_form(None, values, {})


@bp.route("/<int:item_id>/edit", methods=["GET", "POST"])
@require_tool_session("coordinator")
def edit(item_id: int):
    item = rs.get_item(db.session(), viewer(), item_id)
    if request.method == "POST":
        return _save(item)
    values = {
        "kind": item.kind,
        "title": item.title,
        "url": item.url or "",
        "description": item.description,
        "body": item.body,
        "audience": item.audience,
        "position": str(item.position),
    }
    return _render_form(item, values, {})


@bp.post("/<int:item_id>/delete")
@require_tool_session("coordinator")
def delete(item_id: int):
    session = db.session()
    if request.form.get("confirm") != "1":
        abort(400)
    rs.delete_item(session, viewer(), item_id)
    session.commit()
    return redirect(tool_url("resources.index", deleted=1), code=303)
