"""Thread and post pages shared by the course forums (:mod:`.discussions`) and the private threads of a
mentoring space (:mod:`.spaces`).

The two blueprints decide who may do what (forum roles there, space access here) and load the thread or
post; the helpers below take what is already authorised, with a :class:`ThreadPlace` naming where the
thread's pages live, and do the form handling, the redirects and the rendering that both share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..extensions import db
from ..mentoring import discussions as ds
from ..mentoring.discussions import forums, moderation
from ..models import Post, Thread
from .access import tool_url

PageResult = tuple[str, int]
# ``save(**fields)``: the domain call of a form, bound to the authorised viewer, thread or post.
Save = Callable[..., Any]
# ``refused(errors=…, status=400, …)``: the thread page again, with the refused form.
Refused = Callable[..., PageResult]


def _input_message(err: ds.InvalidInput) -> str:
    """What a refused discussion form says (posts, topics, ground rules), next to the field."""
    if err.code == "empty":
        return _("This field cannot be empty.")
    if err.code == "too_long":
        return _(
            "This is too long: at most %(limit)s characters. Your text is kept below; shorten it and send it again.",
            limit=f"{err.limit:,}",
        )
    if err.code == "outdated" and err.field == "body":
        return _("Someone else saved the ground rules at the same time. Check the current text and save again.")
    if err.code == "outdated":
        return _("The ground rules were updated while you were reading. Read the new version and accept it.")
    if err.code == "gone":
        return _("This post was deleted.")
    return _("This was not accepted.")


def form_error(err: ds.InvalidInput) -> dict[str, str]:
    return {err.field: _input_message(err)}


def int_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and value >= 0 else None


@dataclass(frozen=True)
class ThreadPlace:
    """Where a thread's pages live: the blueprint (``discussions`` or ``spaces``) and the URL arguments
    its endpoints take besides the thread or post id (a space's ``kind`` and ``space_id``)."""

    blueprint: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def url(self, endpoint: str, **values: Any) -> str:
        return tool_url(f"{self.blueprint}.{endpoint}", **values, **self.args)

    def post_url(self, post: Post, thread: Thread, *, anchor: bool = False, **values: Any) -> str:
        """The thread page that starts with ``post`` (scrolled to it with ``anchor``)."""
        if anchor:
            values["_anchor"] = f"post-{post.id}"
        return self.url("thread", thread_id=thread.id, after=post.id - 1, **values)


# --- a thread page ---------------------------------------------------------------------------------------


def page_window(status: int) -> dict[str, Any]:
    """The page of posts the query asks for (``after``/``before`` a post id, or ``last=1``); only a page
    shown normally (200, not a refused form) marks its posts read."""
    return {
        "after": int_arg("after"),
        "before": int_arg("before"),
        "last": request.args.get("last") == "1",
        "mark": status == 200,
    }


def render_thread(
    template: str,
    place: ThreadPlace,
    thread: Thread,
    page: forums.PostPage,
    me: ds.Viewer,
    *,
    values: dict[str, str] | None,
    errors: dict[str, str] | None,
    status: int,
    **context: Any,
) -> PageResult:
    """A page of ``thread`` with the open reports of its posts; ``context`` says what the viewer may do
    there (``can_reply``, ``can_moderate``, and for the posts ``can_write``/``can_report``/``can_hide``)."""
    session = db.session()
    reported = moderation.open_reports_by_post(session, me, [view.post.id for view in page.posts])
    session.commit()
    return render_template(
        template,
        place=place,
        thread=thread,
        page=page,
        me=me,
        reported=reported,
        values=values or {"body": ""},
        errors=errors or {},
        limit=forums.MAX_POST_CHARS,
        **context,
    ), status


def reply(place: ThreadPlace, thread: Thread, save: Save, refused: Refused) -> Response | PageResult:
    """Send the reply in the form with ``save(body=…)`` and go to it on the thread's last page; a refused
    reply comes back as ``refused(values=…, errors=…, status=400)``."""
    body = request.form.get("body", "")
    try:
        post = save(body=body)
    except ds.InvalidInput as err:
        db.session.rollback()
        return refused(values={"body": body}, errors=form_error(err), status=400)
    db.session.commit()
    return redirect(place.url("thread", thread_id=thread.id, last=1, _anchor=f"post-{post.id}"), code=303)


def lock(place: ThreadPlace, thread: Thread, save: Save, refused: Refused) -> Response | PageResult:
    """Lock or unlock the thread as the form says, with ``save(locked=…, reason=…)`` (a moderation log
    entry); a refusal comes back as ``refused(errors=…, status=400)``."""
    try:
        save(locked=request.form.get("locked") == "1", reason=request.form.get("reason", ""))
    except ds.InvalidInput as err:
        db.session.rollback()
        return refused(errors=form_error(err), status=400)
    db.session.commit()
    return redirect(place.url("thread", thread_id=thread.id), code=303)


# --- a post's own pages ------------------------------------------------------------------------------------


def _form_page(
    template: str,
    action_href: str,
    post: Post,
    thread: Thread,
    *,
    values: dict[str, str],
    save: Save,
    done: str,
    back_href: str,
    **context: Any,
) -> Response | PageResult:
    """One form about a post: on POST the fields named in ``values`` go to ``save(**fields)``, then the
    viewer goes to ``done`` (303); a refused form comes back with status 400 and the typed text."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in values}
        try:
            save(**values)
        except ds.InvalidInput as err:
            db.session.rollback()
            errors = form_error(err)
        else:
            db.session.commit()
            return redirect(done, code=303)
    return render_template(
        template,
        post=post,
        thread=thread,
        values=values,
        errors=errors,
        action_href=action_href,
        back_href=back_href,
        **context,
    ), (400 if errors else 200)


def edit_page(place: ThreadPlace, post: Post, thread: Thread, save: Save) -> Response | PageResult:
    """The author's form to edit ``post``; ``save(body=…)`` stores the new text (the old one goes to the
    post's history)."""
    return _form_page(
        "discussions/post_edit.html",
        place.url("edit_post", post_id=post.id),
        post,
        thread,
        values={"body": post.body},
        save=save,
        done=place.post_url(post, thread, anchor=True),
        back_href=place.post_url(post, thread),
        limit=forums.MAX_POST_CHARS,
    )


def report_page(place: ThreadPlace, post: Post, thread: Thread, save: Save) -> Response | PageResult:
    """The form to report ``post`` to the coordinators; ``save(reason=…)`` files the report."""
    return _form_page(
        "discussions/report.html",
        place.url("report_post", post_id=post.id),
        post,
        thread,
        values={"reason": ""},
        save=save,
        done=place.post_url(post, thread, reported=1),
        back_href=place.post_url(post, thread),
    )


def hide_page(
    place: ThreadPlace, post: Post, thread: Thread, save: Save, *, away: str | None = None
) -> Response | PageResult:
    """The coordinator's form to hide ``post``, or to show it again (``hidden=0``, the button on the thread):
    ``save(hidden=…, reason=…)``. ``away``: where to go instead of the thread, for a coordinator who may
    not read it."""
    hidden = request.form.get("hidden", "1") == "1"
    return _form_page(
        "discussions/hide.html",
        place.url("hide_post", post_id=post.id),
        post,
        thread,
        values={"reason": ""},
        save=lambda reason: save(hidden=hidden, reason=reason),
        done=away or place.post_url(post, thread, anchor=True),
        back_href=away or place.post_url(post, thread),
    )


def history_page(place: ThreadPlace, post: Post, thread: Thread, revisions: list[forums.RevisionView]) -> str:
    """Earlier versions of ``post`` (the caller checked who may read them and loaded ``revisions``)."""
    session = db.session()
    author = forums.author_of(session, post.author_id)
    session.commit()
    return render_template(
        "discussions/post_history.html",
        post=post,
        thread=thread,
        revisions=revisions,
        author=author,
        back_href=place.post_url(post, thread),
    )


def to_post(place: ThreadPlace, post: Post, thread: Thread) -> Response:
    """Back to the thread page that shows ``post``."""
    return redirect(place.post_url(post, thread, anchor=True), code=303)
