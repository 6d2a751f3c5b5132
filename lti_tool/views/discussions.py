"""Discussion pages: ground rules, course-wide forums (topics, threads, posts) and moderation.

Thin views: parse the form, call :mod:`lti_tool.mentoring.discussions`, render. Who may do what is the
table in :mod:`lti_tool.mentoring.discussions.access`; here each view adds the session guard
(``require_tool_session``) and the ground-rules gate. Domain errors become HTTP answers in one place (the
``errorhandler`` functions below): ``NotFound`` → 404 (ids of other courses included), ``Forbidden`` → 403.
A refused form comes back with status 400, the message in an ``aria-live`` region and the typed text kept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial, wraps
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.exceptions import Forbidden as HttpForbidden
from werkzeug.exceptions import NotFound as HttpNotFound
from werkzeug.wrappers import Response

from ..extensions import db
from ..mentoring import discussions as ds
from ..mentoring.discussions import forums, moderation, rules
from . import _posts as posts
from ._posts import ThreadPlace, form_error, int_arg
from .access import require_tool_session, tool_url
from .errors import render_http_error
from .templating import local_time

bp = Blueprint("discussions", __name__, url_prefix="/discussions")

# A forum thread's pages: ``/discussions/threads/<id>``, its posts under ``/discussions/posts/<id>/…``.
FORUM = ThreadPlace("discussions")


# --- helpers ---------------------------------------------------------------------------------------------


def viewer() -> ds.Viewer:
    return ds.Viewer(person_id=g.person.id, course_id=g.course.id, role=g.membership.program_role)


def accepted_rules(view: Callable[..., Any]) -> Callable[..., Any]:
    """Gate a discussion view behind the current ground rules (coordinators pass).

    A page (GET) sends the person to the rules to accept them first; an action (POST) is refused (403).
    Use under ``require_tool_session``.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not rules.has_accepted(db.session(), viewer()):
            db.session.rollback()
            if request.method == "GET":
                return redirect(tool_url("discussions.rules_page"), code=303)
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def current_rules() -> Any:
    """The course's current ground rules; the first version is our default text in the reader's language."""
    return rules.current_version(db.session(), g.course.id, _(rules.DEFAULT_GROUND_RULES))


@bp.app_template_global("discussion_time")
def discussion_time(value: datetime | None) -> Markup:
    """A ``<time>`` element in the viewer's time zone and language (see ``templating.local_time``)."""
    return local_time(value)


def moderation_sentence(moderated: bool) -> str:
    if moderated:
        return _(
            "This program is moderated: coordinators can read private pair and group threads, "
            "for example to follow up on a report or a safety concern."
        )
    return _(
        "This program is not moderated: coordinators cannot read private pair and group threads. "
        "They see only activity (how many messages, when), and the posts that someone reports to them."
    )


@bp.errorhandler(ds.NotFound)
def _not_found(err: ds.NotFound):
    db.session.rollback()
    return render_http_error(HttpNotFound())


@bp.errorhandler(ds.Forbidden)
def _forbidden(err: ds.Forbidden):
    db.session.rollback()
    return render_http_error(HttpForbidden())


# --- ground rules ----------------------------------------------------------------------------------------


def _return_space() -> tuple[str, int] | None:
    """``space=pair-12`` on the rules page: after accepting, go back to that mentoring space (the space
    page checks access again; this only names where to go)."""
    kind, _sep, number = (request.values.get("space") or "").partition("-")
    if kind in ("pair", "group") and number.isdigit() and len(number) < 12:
        return kind, int(number)
    return None


@bp.route("/rules", methods=["GET", "POST"])
@require_tool_session()
def rules_page():
    """The ground rules: participants and observers accept the current version; coordinators see who did."""
    session = db.session()
    me = viewer()
    version = current_rules()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if me.is_coordinator:
            abort(403)
        try:
            rules.accept(session, me, request.form.get("version_id", type=int) or 0)
        except ds.InvalidInput as err:
            errors = form_error(err)
            status = 400
        else:
            session.commit()
            back = _return_space()
            if back is not None:
                return redirect(tool_url("spaces.space", kind=back[0], space_id=back[1]), code=303)
            return redirect(tool_url("discussions.index", accepted=1), code=303)
    accepted = rules.has_accepted(session, me)
    table = rules.acceptances(session, me.course_id) if me.is_coordinator else []
    session.commit()
    return render_template(
        "discussions/rules.html",
        version=version,
        body_html=ds.render_markdown(version.body),
        moderation=moderation_sentence(version.moderated),
        accepted=accepted,
        acceptances=table,
        errors=errors,
        saved=request.args.get("saved") == "1",
        return_space=request.values.get("space") if _return_space() else None,
    ), status


@bp.route("/rules/edit", methods=["GET", "POST"])
@require_tool_session("coordinator")
def edit_rules():
    """Coordinators edit the agreement and the moderation switch; a change asks everyone to accept again."""
    session = db.session()
    me = viewer()
    version = current_rules()
    values: dict[str, Any] = {"body": version.body, "moderated": version.moderated}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {"body": request.form.get("body", ""), "moderated": request.form.get("moderated") == "1"}
        try:
            rules.update(session, me, str(values["body"]), bool(values["moderated"]))
        except ds.InvalidInput as err:
            session.rollback()
            errors = form_error(err)
        else:
            session.commit()
            return redirect(tool_url("discussions.rules_page", saved=1), code=303)
    session.commit()
    return render_template(
        "discussions/rules_edit.html",
        values=values,
        errors=errors,
        version=version,
        limit=rules.MAX_RULES_CHARS,
        moderated_sentence=moderation_sentence(True),
        unmoderated_sentence=moderation_sentence(False),
    ), (400 if errors else 200)


# --- topics ----------------------------------------------------------------------------------------------


@bp.route("/")
@require_tool_session()
@accepted_rules
def index():
    """The course's forum topics, with unread threads per topic."""
    session = db.session()
    me = viewer()
    topics = forums.list_topics(session, me)
    reports = moderation.open_report_count(session, me) if me.is_coordinator else 0
    session.commit()
    return render_template(
        "discussions/index.html", topics=topics, open_reports=reports, accepted=request.args.get("accepted") == "1"
    )


def _topic_values(form: Any) -> dict[str, Any]:
    return {
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "position": form.get("position", "0"),
        "locked": form.get("locked") == "1",
    }


def _save_topic(topic: Any = None) -> Response | tuple[str, int]:
    session = db.session()
    values = _topic_values(request.form)
    errors: dict[str, str] = {}
    try:
        position = int(str(values["position"]).strip() or "0")
        if not -10_000 <= position <= 10_000:
            raise ValueError
    except ValueError:
        errors["position"] = _("Enter a whole number from -10000 to 10000.")
        position = 0
    if not errors:
        try:
            saved = forums.save_topic(
                session,
                viewer(),
                title=values["title"],
                description=values["description"],
                position=position,
                locked=values["locked"],
                topic=topic,
            )
        except ds.InvalidInput as err:
            errors = form_error(err)
        else:
            session.commit()
            return redirect(tool_url("discussions.topic", topic_id=saved.id), code=303)
    session.rollback()
    return render_template("discussions/topic_form.html", topic=topic, values=values, errors=errors), 400


@bp.route("/topics/new", methods=["GET", "POST"])
@require_tool_session("coordinator")
def new_topic():
    """Coordinators create a forum topic (title, description, order, open or locked)."""
    if request.method == "POST":
        return _save_topic()
    values = {"title": "", "description": "", "position": "0", "locked": False}
    return render_template("discussions/topic_form.html", topic=None, values=values, errors={})


@bp.route("/topics/<int:topic_id>/edit", methods=["GET", "POST"])
@require_tool_session("coordinator")
def edit_topic(topic_id: int):
    topic = forums.get_topic(db.session(), viewer(), topic_id)
    if request.method == "POST":
        return _save_topic(topic)
    values = {
        "title": topic.title,
        "description": topic.description,
        "position": str(topic.position),
        "locked": topic.is_locked,
    }
    return render_template("discussions/topic_form.html", topic=topic, values=values, errors={})


@bp.route("/topics/<int:topic_id>")
@require_tool_session()
@accepted_rules
def topic(topic_id: int):
    """A topic's threads, latest activity first, keyset-paginated (``older`` = a thread id)."""
    session = db.session()
    me = viewer()
    found = forums.get_topic(session, me, topic_id)
    page = forums.topic_threads(session, me, found, older_than=int_arg("older"))
    session.commit()
    return render_template("discussions/topic.html", topic=found, page=page)


# --- threads and posts -----------------------------------------------------------------------------------


@bp.route("/topics/<int:topic_id>/threads/new", methods=["GET", "POST"])
@require_tool_session()
@accepted_rules
def new_thread(topic_id: int):
    """Start a thread (title and first post) in an open topic."""
    session = db.session()
    me = viewer()
    found = forums.get_topic(session, me, topic_id)
    values = {"title": "", "body": ""}
    errors: dict[str, str] = {}
    if not me.may_write:
        abort(403)
    if request.method == "POST":
        values = {"title": request.form.get("title", ""), "body": request.form.get("body", "")}
        try:
            thread = forums.start_thread(session, me, found, title=values["title"], body=values["body"])
        except ds.InvalidInput as err:
            session.rollback()
            errors = form_error(err)
        else:
            session.commit()
            return redirect(tool_url("discussions.thread", thread_id=thread.id), code=303)
    elif found.is_locked and not me.is_coordinator:
        abort(403)
    return render_template(
        "discussions/thread_form.html", topic=found, values=values, errors=errors, limit=forums.MAX_POST_CHARS
    ), (400 if errors else 200)


def _render_thread(thread: Any, topic: Any, *, values=None, errors=None, status: int = 200):
    me = viewer()
    page = forums.thread_posts(db.session(), me, thread, **posts.page_window(status))
    return posts.render_thread(
        "discussions/thread.html",
        FORUM,
        thread,
        page,
        me,
        values=values,
        errors=errors,
        status=status,
        topic=topic,
        can_reply=me.may_write and (me.is_coordinator or not (thread.is_locked or topic.is_locked)),
        can_moderate=me.is_coordinator,
        can_write=me.may_write,
        can_report=me.may_report,
        can_hide=me.is_coordinator,
    )


@bp.route("/threads/<int:thread_id>")
@require_tool_session()
@accepted_rules
def thread(thread_id: int):
    """A page of a thread's posts (``after``/``before`` a post id, or ``last=1``); marks them read."""
    session = db.session()
    found = forums.get_thread(session, viewer(), thread_id)
    return _render_thread(found, forums.thread_topic(session, found))


@bp.route("/threads/<int:thread_id>/reply", methods=["POST"])
@require_tool_session()
@accepted_rules
def reply(thread_id: int):
    session = db.session()
    me = viewer()
    found = forums.get_thread(session, me, thread_id)
    topic = forums.thread_topic(session, found)
    return posts.reply(
        FORUM, found, partial(forums.reply, session, me, found, topic), partial(_render_thread, found, topic)
    )


def _load_post(post_id: int):
    session = db.session()
    me = viewer()
    post, found = forums.get_post(session, me, post_id)
    return session, me, post, found, forums.thread_topic(session, found)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@require_tool_session()
@accepted_rules
def edit_post(post_id: int):
    """The author edits their own post; the earlier text is kept in the post's history."""
    session, me, post, found, topic = _load_post(post_id)
    if not me.may_write or post.author_id != me.person_id or post.is_deleted or post.is_hidden:
        raise ds.Forbidden()
    return posts.edit_page(FORUM, post, found, partial(forums.edit_post, session, me, post, found, topic))


@bp.route("/posts/<int:post_id>/delete", methods=["POST"])
@require_tool_session()
@accepted_rules
def delete_post(post_id: int):
    session, me, post, found, topic = _load_post(post_id)
    forums.delete_post(session, me, post, found, topic)
    session.commit()
    return posts.to_post(FORUM, post, found)


@bp.route("/posts/<int:post_id>/history")
@require_tool_session()
@accepted_rules
def post_history(post_id: int):
    """Earlier versions of a post: coordinators, and the author of a post that is not deleted."""
    session, me, post, found, _topic = _load_post(post_id)
    return posts.history_page(FORUM, post, found, forums.history(session, me, post))


# --- moderation ------------------------------------------------------------------------------------------


@bp.route("/posts/<int:post_id>/report", methods=["GET", "POST"])
@require_tool_session()
@accepted_rules
def report_post(post_id: int):
    """A participant reports a post to the coordinators, with a reason."""
    session, me, post, found, _topic = _load_post(post_id)
    if not me.may_report:
        raise ds.Forbidden()
    return posts.report_page(FORUM, post, found, partial(moderation.report, session, me, post))


@bp.route("/posts/<int:post_id>/hide", methods=["GET", "POST"])
@require_tool_session("coordinator")
def hide_post(post_id: int):
    """Coordinators hide a post from participants (with a reason), or show it again."""
    session, me, post, found, _topic = _load_post(post_id)
    return posts.hide_page(FORUM, post, found, partial(moderation.set_hidden, session, me, post))


@bp.route("/threads/<int:thread_id>/lock", methods=["POST"])
@require_tool_session("coordinator")
def lock_thread(thread_id: int):
    """Coordinators lock a thread (participants can no longer reply) or unlock it."""
    session = db.session()
    me = viewer()
    found = forums.get_thread(session, me, thread_id)
    return posts.lock(
        FORUM,
        found,
        partial(moderation.set_locked, session, me, found),
        lambda **page: _render_thread(found, forums.thread_topic(session, found), **page),
    )


@bp.route("/moderation")
@require_tool_session("coordinator")
def moderation_page():
    """Coordinators see open reports (with the reported post) and the moderation log."""
    session = db.session()
    me = viewer()
    reports = moderation.open_reports(session, me)
    log = moderation.log_entries(session, me)
    moderated = rules.settings(session, me.course_id).moderated
    session.commit()
    return render_template("discussions/moderation.html", reports=reports, log=log, moderated=moderated)


@bp.route("/reports/<int:report_id>/resolve", methods=["POST"])
@require_tool_session("coordinator")
def resolve_report(report_id: int):
    moderation.resolve_report(db.session(), viewer(), report_id, reason=request.form.get("reason", ""))
    db.session.commit()
    return redirect(tool_url("discussions.moderation_page"), code=303)
