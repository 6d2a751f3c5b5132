"""Email settings: each person's preferences, the course's nudge and reminder settings, unsubscribe links.

* ``/notifications/preferences`` (anyone in the course): which kinds of mail, digest frequency.
* ``/notifications/course`` (coordinators): silence days before a nudge, reminder lead time, and the log of
  the latest mails (sent, failed, or skipped and why).
* ``/notifications/unsubscribe/<token>``: works without a tool session (it is opened from a mail). GET
  shows a confirmation form; its POST (CSRF-protected) turns off one kind or every mail of the course.
  ``…/one-click`` is RFC 8058's one-click POST for mail clients (the signed token is the credential).
  A token that does not verify is a 400.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..extensions import csrf, db
from ..models import Course, Person
from ..models.notifications import DIGEST_FREQUENCIES
from ..notifications import outbox
from ..notifications.tokens import InvalidToken, UnsubscribeToken, read_token
from .access import require_tool_session, tool_url

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def kind_choices() -> list[tuple[str, str]]:
    """The kinds a person can switch on or off (the digest has its own frequency choice)."""
    return [(kind, _(label)) for kind, label in outbox.KINDS.items() if kind != outbox.KIND_DIGEST]


def frequency_choices() -> list[tuple[str, str]]:
    return [("off", _("Never")), ("daily", _("Once a day")), ("weekly", _("Once a week"))]


@bp.route("/preferences", methods=["GET", "POST"])
@require_tool_session()
def preferences():
    """Choose which emails to get from this course and how often the message digest comes."""
    session = db.session()
    pref = outbox.preference(session, g.person.id, g.course.id)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "digest_frequency": pref.digest_frequency if not pref.unsubscribed_all else "off",
        "kinds": [k for k in outbox.KINDS if outbox.wants(pref, k)],
    }
    if request.method == "POST":
        values = {"digest_frequency": request.form.get("digest_frequency", ""), "kinds": request.form.getlist("kinds")}
        if values["digest_frequency"] not in DIGEST_FREQUENCIES:
            errors["digest_frequency"] = _("Choose one of the options.")
        if set(values["kinds"]) - set(outbox.KINDS):
            errors["kinds"] = _("Choose from the options shown.")
        if not errors:
            outbox.save_preference(
                session,
                g.person.id,
                g.course.id,
                digest_frequency=values["digest_frequency"],
                enabled_kinds=set(values["kinds"]),
            )
            session.commit()
            return redirect(tool_url("notifications.preferences", saved=1), code=303)
        session.rollback()
    session.commit()
    return render_template(
        "notifications/preferences.html",
        values=values,
        errors=errors,
        kinds=kind_choices(),
        frequencies=frequency_choices(),
        email=g.person.email,
        unsubscribed_all=pref.unsubscribed_all,
        saved=request.args.get("saved") == "1",
    ), (400 if errors else 200)


def _bounded(errors: dict[str, str], name: str, raw: str, high: int) -> int:
    try:
        number = int(raw.strip())
    except ValueError:
        number = -1
    if not 0 <= number <= high:
        errors[name] = _("Enter a whole number from %(low)s to %(high)s.", low=0, high=high)
    return number


def skip_reason_label(reason: str | None) -> str:
    return _(outbox.SKIP_REASONS[reason]) if reason in outbox.SKIP_REASONS else (reason or "")


@bp.route("/course", methods=["GET", "POST"])
@require_tool_session("coordinator")
def course_settings():
    """Coordinators: days of silence before a pair is nudged (0: never), hours of notice before meetings,
    and the latest mails of the course with their state."""
    session = db.session()
    current = outbox.course_settings(session, g.course.id)
    values = {"silence_days": str(current.silence_days), "reminder_hours": str(current.reminder_hours)}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        silence = _bounded(errors, "silence_days", values["silence_days"], outbox.MAX_SILENCE_DAYS)
        hours = _bounded(errors, "reminder_hours", values["reminder_hours"], outbox.MAX_REMINDER_HOURS)
        if not errors:
            outbox.save_course_settings(session, g.course.id, silence_days=silence, reminder_hours=hours)
            session.commit()
            return redirect(tool_url("notifications.course_settings", saved=1), code=303)
        session.rollback()
    rows = outbox.recent(session, g.course.id)
    names = {p.id: p.display_name for p in _people(session, {r.person_id for r in rows})}
    session.commit()
    return render_template(
        "notifications/course.html",
        values=values,
        errors=errors,
        rows=rows,
        names=names,
        kind_label=lambda k: _(outbox.KINDS.get(k, k)),
        status_label=status_label,
        skip_reason_label=skip_reason_label,
        saved=request.args.get("saved") == "1",
    ), (400 if errors else 200)


def status_label(status: str) -> str:
    return {
        "queued": _("Waiting to be sent"),
        "sending": _("Being sent"),
        "sent": _("Sent"),
        "failed": _("Failed"),
        "skipped": _("Not sent"),
    }.get(status, status)


def _people(session: Any, ids: set[int]) -> list[Person]:
    if not ids:
        return []
    return list(session.execute(db.select(Person).where(Person.id.in_(ids))).scalars())


# --- unsubscribe (no tool session: opened from a mail) -----------------------------------------------------


def _token(token: str) -> UnsubscribeToken:
    try:
        found = read_token(str(current_app.secret_key or ""), token)
    except InvalidToken:
        abort(400)
    return found


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """Confirm, then turn off one kind of mail (or all mail) of one course for the person the link names."""
    found = _token(token)
    session = db.session()
    course = session.get(Course, found.course_id)
    person = session.get(Person, found.person_id)
    if course is None or person is None:
        abort(404)
    done = False
    if request.method == "POST":
        scope = request.form.get("scope", "kind")
        if scope not in {"kind", "all"}:
            abort(400)
        kind = None if (scope == "all" or found.is_all) else found.kind
        outbox.unsubscribe(session, found.person_id, found.course_id, kind)
        session.commit()
        done = True
    session.commit()
    return render_template(
        "notifications/unsubscribe.html",
        found=found,
        token=token,
        course_name=course.title or course.label or course.context_id,
        kind_label=_(outbox.KINDS[found.kind]) if not found.is_all else "",
        done=done,
        scope=request.form.get("scope", "kind") if done else None,
    )


@bp.route("/unsubscribe/<token>/one-click", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe_one_click(token: str):
    """RFC 8058: a mail client POSTs ``List-Unsubscribe=One-Click``; the signed token is the credential.
    A GET (a client without one-click support) goes to the confirmation page."""
    found = _token(token)
    if request.method == "GET":
        return redirect(url_for("notifications.unsubscribe", token=token), code=303)
    if request.form.get("List-Unsubscribe") != "One-Click":
        abort(400)
    session = db.session()
    if session.get(Person, found.person_id) is None:
        abort(404)
    outbox.unsubscribe(session, found.person_id, found.course_id, None if found.is_all else found.kind)
    session.commit()
    return current_app.response_class(_("You are unsubscribed."), mimetype="text/plain")
