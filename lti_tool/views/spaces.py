"""Mentoring spaces: a pairing's private page (members, threads, prompts) and the coordinators' overview.

Thin views over :mod:`lti_tool.mentoring.spaces` (who is in a space and what a viewer may do there),
:mod:`lti_tool.mentoring.discussions.pairs` (the space's threads, posts and moderation) and
:mod:`lti_tool.mentoring.prompts` (structured prompts). Answers:

* someone who is not in the space (another pair, another course or platform, an unknown id): 404;
* a coordinator of an unmoderated program opening private content (a thread, a post): 403; they see the
  space page with activity metadata only, and the posts someone reported (on the moderation page);
* a member of an ended pairing writing anything: 403 (the history stays readable).

Members must have accepted the current ground rules before entering (pages redirect to the rules, which
come back here; actions are refused), as in the forums.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial, wraps
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden as HttpForbidden
from werkzeug.exceptions import NotFound as HttpNotFound

from ..extensions import db
from ..mentoring import discussions as ds
from ..mentoring import prompts, spaces
from ..mentoring.discussions import forums, moderation, pairs, rules
from ..models import utcnow
from ..models.prompts import PROMPTS_FIVE_CS
from . import _posts as posts
from ._posts import ThreadPlace, form_error
from .access import require_tool_session, tool_url
from .discussions import current_rules, moderation_sentence, viewer
from .errors import render_http_error

bp = Blueprint("spaces", __name__, url_prefix="/spaces")

# The pairs overview's "typical reply time" looks at the posts of the last weeks only.
RESPONSE_WINDOW_DAYS = 60


@bp.errorhandler(spaces.SpaceNotFound)
@bp.errorhandler(ds.NotFound)
def _not_found(err: Exception):
    db.session.rollback()
    return render_http_error(HttpNotFound())


@bp.errorhandler(spaces.SpaceReadOnly)
@bp.errorhandler(ds.Forbidden)
def _forbidden(err: Exception):
    db.session.rollback()
    return render_http_error(HttpForbidden())


def _is_coordinator() -> bool:
    return g.membership.program_role == "coordinator"


def load_access(kind: str, space_id: int) -> spaces.SpaceAccess:
    """The viewer's access to a space of their course (``SpaceNotFound`` → 404 when they are not in it)."""
    return spaces.access(db.session(), g.course.id, g.person.id, kind, space_id, is_coordinator=_is_coordinator())


def in_space(view: Callable[..., Any]) -> Callable[..., Any]:
    """Load ``access`` for ``kind``/``space_id`` and gate on the ground rules (coordinators pass).

    A page (GET) sends a member who has not accepted the current rules to them (and back here after);
    an action is refused (403). Use under ``require_tool_session``.
    """

    @wraps(view)
    def wrapper(kind: str, space_id: int, **kwargs: Any) -> Any:
        access = load_access(kind, space_id)
        if not rules.has_accepted(db.session(), viewer()):
            db.session.rollback()
            if request.method == "GET":
                return redirect(tool_url("discussions.rules_page", space=access.space.key), code=303)
            abort(403)
        return view(access, **kwargs)

    return wrapper


def _days_since(when: datetime | None) -> int | None:
    return None if when is None else max(0, (utcnow() - when).days)


def _activity(access: spaces.SpaceAccess) -> pairs.SpaceActivity | None:
    key = (access.space.kind, access.space.id)
    return pairs.activity_by_space(db.session(), g.course.id, only=key).get(key)


def _space_args(access: spaces.SpaceAccess) -> dict[str, Any]:
    return {"kind": access.space.kind, "space_id": access.space.id}


def _place(access: spaces.SpaceAccess) -> ThreadPlace:
    """The space's threads: ``/spaces/<kind>/<space_id>/threads/<id>``, posts under ``…/posts/<id>/…``."""
    return ThreadPlace("spaces", _space_args(access))


# --- the coordinators' overview ----------------------------------------------------------------------------


@bp.route("/")
@require_tool_session("coordinator")
def overview():
    """Every pairing of the course with activity metadata only: messages, last activity, days silent."""
    session = db.session()
    all_spaces = spaces.course_spaces(session, g.course.id, active_only=False)
    activity = pairs.activity_by_space(session, g.course.id)
    replies = pairs.response_times_by_space(
        session,
        g.course.id,
        {(s.kind, s.id): s.person_ids for s in all_spaces},
        since=utcnow() - timedelta(days=RESPONSE_WINDOW_DAYS),
    )
    moderated = spaces.is_moderated(session, g.course.id)
    prompt_set = prompts.prompt_set_kind(session, g.course.id)
    progress = prompts.progress_by_space(session, g.course.id)
    committed = prompts.commitments_by_space(session, g.course.id) if prompt_set == PROMPTS_FIVE_CS else None
    reports = moderation.open_report_count(session, viewer())
    rows = []
    for space in sorted(all_spaces, key=lambda s: (not s.active, s.kind != spaces.PAIR, s.id)):
        act = activity.get((space.kind, space.id))
        last = act.last_member_post_at if act else None  # members' posts only: a coordinator's is not a turn
        rows.append(
            {
                "space": space,
                "activity": act,
                "silent_days": _days_since(last or space.started_at) if space.active else None,
                "waiting_on": _waiting_on(space, act),
                "progress": progress.get((space.kind, space.id)),
                "commitments": _commitment_count(space, progress, committed),
                "reply_time": replies.get((space.kind, space.id)),
            }
        )
    sort = request.args.get("sort", "")
    if sort == "silent":
        # Longest silence first (active pairs only have a count; ended ones go last).
        rows.sort(key=lambda r: _silence_order(r["silent_days"]))
    session.commit()
    return render_template(
        "spaces/overview.html",
        sort=sort,
        rows=rows,
        moderated=moderated,
        prompt_set=prompt_set,
        open_reports=reports,
        moderation=moderation_sentence(moderated),
        window_days=RESPONSE_WINDOW_DAYS,
    )


def _commitment_count(
    space: spaces.Space,
    progress: dict[tuple[str, int], tuple[int, int]],
    committed: dict[tuple[str, int], set[int]] | None,
) -> tuple[int, int] | None:
    """(written, expected) commitments to action of a space whose current stage is the Five Cs' last
    (``committed`` is None for another prompt set); None otherwise. Counts only: no names, no text."""
    done, total = progress.get((space.kind, space.id), (0, 0))
    if committed is None or total == 0 or done != total - 1:  # stages are done in order: the last is current
        return None
    written = committed.get((space.kind, space.id), set())
    expected = prompts.committers_of(space)
    return (sum(1 for person_id in expected if person_id in written), len(expected))


def _silence_order(days: object) -> tuple[bool, int]:
    return (not isinstance(days, int), -days if isinstance(days, int) else 0)


def _waiting_on(space: spaces.Space, act: pairs.SpaceActivity | None) -> str | None:
    """Whose turn it is (metadata only): the members other than the author of the latest member post
    (coordinators' posts are skipped; nobody's turn before a member writes)."""
    if act is None or act.last_member_author_id is None:
        return None
    others = [m.name for m in space.members if m.person_id != act.last_member_author_id]
    return ", ".join(others) or None


# --- a space -----------------------------------------------------------------------------------------------


@bp.route("/<kind>/<int:space_id>/")
@require_tool_session()
@in_space
def space(access: spaces.SpaceAccess):
    """The space's hub: members, the confidentiality line, the current prompt and the private threads."""
    return _render_space(access, notice=request.args.get("notice", ""))


def _render_space(access: spaces.SpaceAccess, *, status: int = 200, **extra: Any):
    session = db.session()
    threads = pairs.space_threads(session, access) if access.may_read else []
    act = _activity(access)
    reported = pairs.reported_posts(session, access)
    prompt = prompts.current_prompt(session, access.space)
    version = current_rules()
    session.commit()
    return render_template(
        "spaces/space.html",
        access=access,
        space=access.space,
        threads=threads,
        activity=act,
        silent_days=_days_since((act.last_member_post_at if act else None) or access.space.started_at),
        reported=reported,
        prompt=prompt,
        confidentiality=moderation_sentence(version.moderated),
        can_moderate=pairs.may_moderate(access),
        args=_space_args(access),
        **extra,
    ), status


@bp.route("/<kind>/<int:space_id>/threads/new", methods=["GET", "POST"])
@require_tool_session()
@in_space
def new_thread(access: spaces.SpaceAccess):
    """Start a private thread (optionally from the current prompt: its title and guidance prefilled)."""
    session = db.session()
    pairs.require_write(access)
    values = {"title": "", "body": ""}
    errors: dict[str, str] = {}
    prompt = None
    if request.method == "POST":
        values = {"title": request.form.get("title", ""), "body": request.form.get("body", "")}
        try:
            thread = pairs.start_thread(session, access, title=values["title"], body=values["body"])
        except ds.InvalidInput as err:
            session.rollback()
            errors = form_error(err)
        else:
            session.commit()
            return redirect(tool_url("spaces.thread", thread_id=thread.id, **_space_args(access)), code=303)
    elif request.args.get("prompt"):
        prompt = prompts.current_prompt(session, access.space)
        if prompt is not None and prompt.key == request.args.get("prompt"):
            values = {"title": prompt.title, "body": ""}
        session.commit()
    return render_template(
        "spaces/thread_form.html",
        access=access,
        space=access.space,
        prompt=prompt,
        values=values,
        errors=errors,
        limit=forums.MAX_POST_CHARS,
        args=_space_args(access),
    ), (400 if errors else 200)


def _render_thread(access: spaces.SpaceAccess, thread: Any, *, values=None, errors=None, status: int = 200):
    page = pairs.thread_posts(db.session(), access, thread, **posts.page_window(status))
    return posts.render_thread(
        "spaces/thread.html",
        _place(access),
        thread,
        page,
        pairs.viewer_for(access),
        values=values,
        errors=errors,
        status=status,
        access=access,
        space=access.space,
        topic=None,
        can_reply=access.may_write and (access.is_coordinator or not thread.is_locked),
        can_moderate=pairs.may_moderate(access),
        can_write=access.may_write,
        can_report=pairs.may_report(access),
        can_hide=pairs.may_moderate(access),
        member_ids=access.space.person_ids,
    )


@bp.route("/<kind>/<int:space_id>/threads/<int:thread_id>")
@require_tool_session()
@in_space
def thread(access: spaces.SpaceAccess, thread_id: int):
    """A page of a private thread (``after``/``before`` a post id, or ``last=1``); marks the posts read."""
    return _render_thread(access, pairs.get_thread(db.session(), access, thread_id))


@bp.route("/<kind>/<int:space_id>/threads/<int:thread_id>/reply", methods=["POST"])
@require_tool_session()
@in_space
def reply(access: spaces.SpaceAccess, thread_id: int):
    session = db.session()
    found = pairs.get_thread(session, access, thread_id)
    return posts.reply(
        _place(access), found, partial(pairs.reply, session, access, found), partial(_render_thread, access, found)
    )


@bp.route("/<kind>/<int:space_id>/threads/<int:thread_id>/lock", methods=["POST"])
@require_tool_session("coordinator")
@in_space
def lock_thread(access: spaces.SpaceAccess, thread_id: int):
    """Coordinators of a moderated program lock a pair thread or unlock it (logged)."""
    session = db.session()
    if not pairs.may_moderate(access):
        raise ds.Forbidden()
    found = pairs.get_thread(session, access, thread_id)
    return posts.lock(
        _place(access),
        found,
        partial(pairs.set_locked, session, access, found),
        partial(_render_thread, access, found),
    )


def _load_post(access: spaces.SpaceAccess, post_id: int):
    session = db.session()
    post, found = pairs.get_post(session, access, post_id)
    return session, post, found


@bp.route("/<kind>/<int:space_id>/posts/<int:post_id>/edit", methods=["GET", "POST"])
@require_tool_session()
@in_space
def edit_post(access: spaces.SpaceAccess, post_id: int):
    """The author edits their own post; the earlier text is kept in the post's history."""
    session, post, found = _load_post(access, post_id)
    pairs.require_write(access)
    if post.author_id != access.viewer_person_id or post.is_deleted or post.is_hidden:
        raise ds.Forbidden()
    return posts.edit_page(_place(access), post, found, partial(pairs.edit_post, session, access, post, found))


@bp.route("/<kind>/<int:space_id>/posts/<int:post_id>/delete", methods=["POST"])
@require_tool_session()
@in_space
def delete_post(access: spaces.SpaceAccess, post_id: int):
    session, post, found = _load_post(access, post_id)
    pairs.delete_post(session, access, post, found)
    session.commit()
    return posts.to_post(_place(access), post, found)


@bp.route("/<kind>/<int:space_id>/posts/<int:post_id>/history")
@require_tool_session()
@in_space
def post_history(access: spaces.SpaceAccess, post_id: int):
    """Earlier versions of a post: moderating coordinators, and the author of a post that is not deleted."""
    session, post, found = _load_post(access, post_id)
    return posts.history_page(_place(access), post, found, pairs.history(session, access, post))


@bp.route("/<kind>/<int:space_id>/posts/<int:post_id>/report", methods=["GET", "POST"])
@require_tool_session()
@in_space
def report_post(access: spaces.SpaceAccess, post_id: int):
    """A member reports a post to the coordinators, who then see it even in an unmoderated program."""
    session, post, found = _load_post(access, post_id)
    if not pairs.may_report(access):
        raise ds.Forbidden()
    return posts.report_page(_place(access), post, found, partial(pairs.report, session, access, post))


@bp.route("/<kind>/<int:space_id>/posts/<int:post_id>/hide", methods=["GET", "POST"])
@require_tool_session("coordinator")
@in_space
def hide_post(access: spaces.SpaceAccess, post_id: int):
    """Coordinators hide a post (any post when moderated, a reported one otherwise), or show it again."""
    session = db.session()
    post, found = pairs.get_post_to_hide(session, access, post_id)
    # A coordinator of an unmoderated program hides a reported post from the moderation page, not the thread.
    away = None if access.may_read else tool_url("discussions.moderation_page")
    return posts.hide_page(_place(access), post, found, partial(pairs.set_hidden, session, access, post), away=away)


# --- prompts -----------------------------------------------------------------------------------------------


@bp.route("/<kind>/<int:space_id>/prompts/done", methods=["POST"])
@require_tool_session()
@in_space
def prompt_done(access: spaces.SpaceAccess):
    """The pair marks the current stage (or week) done; at the Conclusions stage a mentee saves (or changes)
    their own commitment to action, and the stage closes once every mentee of the space has one."""
    session = db.session()
    try:
        done = prompts.complete_stage(
            session,
            access,
            key=request.form.get("key", ""),
            commitment=request.form.get("commitment", ""),
        )
    except prompts.NotAllowed:
        raise ds.Forbidden() from None
    except prompts.PromptError as err:
        session.rollback()
        return _prompt_refused(access, err)
    session.commit()
    notice = "stage_done" if done is not None else "commitment_saved"
    return redirect(tool_url("spaces.space", notice=notice, _anchor="prompt", **_space_args(access)), code=303)


def _prompt_refused(access: spaces.SpaceAccess, err: prompts.PromptError):
    """The space page again, with the refusal next to the prompt and the commitment as typed."""
    return _render_space(
        access, status=400, notice="", prompt_error=_(err.message), commitment=request.form.get("commitment", "")
    )


@bp.route("/prompts", methods=["GET", "POST"])
@require_tool_session("coordinator")
def prompt_settings():
    """Coordinators choose the course's prompt set (none, the Five Cs, a weekly schedule) and write the
    weekly schedule."""
    session = db.session()
    errors: dict[str, str] = {}
    if request.method == "POST":
        kind = request.form.get("kind", "")
        weeks = prompts.parse_schedule_form(request.form)
        try:
            prompts.save_prompt_set(session, g.course.id, kind=kind, weeks=weeks, updated_by=g.person.id)
        except prompts.ScheduleInvalid as err:
            session.rollback()
            errors = {f"{field}": _(message) for field, message in err.problems}
            return render_template(
                "spaces/prompts.html",
                kind=kind,
                weeks=weeks + [prompts.blank_week(len(weeks))],
                errors=errors,
                five_cs=prompts.five_cs(),
            ), 400
        session.commit()
        return redirect(tool_url("spaces.prompt_settings", saved=1), code=303)
    kind = prompts.prompt_set_kind(session, g.course.id)
    weeks = prompts.schedule_form_rows(session, g.course.id)
    session.commit()
    return render_template(
        "spaces/prompts.html",
        kind=kind,
        weeks=weeks + [prompts.blank_week(len(weeks))],
        errors=errors,
        five_cs=prompts.five_cs(),
        saved=request.args.get("saved") == "1",
    )


@bp.app_template_global("my_spaces")
def my_spaces() -> list[tuple[spaces.Space, int]]:
    """The viewer's mentoring spaces in this course, active first, each with the number of posts they have
    not read yet (for the home page's card)."""
    if getattr(g, "membership", None) is None or g.membership.program_role == "coordinator":
        return []
    session = db.session()
    mine = spaces.spaces_of(session, g.course.id, g.person.id)
    if not mine:
        return []
    unread = pairs.unread_by_space(session, g.course.id, g.person.id, [(s.kind, s.id) for s in mine])
    return [(space, unread.get((space.kind, space.id), 0)) for space in mine]
