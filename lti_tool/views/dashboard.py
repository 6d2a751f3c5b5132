"""The coordinator's dashboard: how the pairs are doing, who is at risk and why, charts, timelines, CSV.

Thin views over :mod:`lti_tool.mentoring.dashboard`: the metrics come from a fixed number of aggregate
queries for ``g.course`` (whatever its size); this module words the reasons in the reader's language,
turns figures into chart geometry and streams the CSV exports. Coordinators only; a pair of another
course (or one the coordinator may not enter) is "not found".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, g, redirect, render_template, request, stream_with_context, url_for
from flask_babel import format_date, get_locale, get_translations

from ..extensions import db
from ..launch.tool_session import TOKEN_PARAM
from ..mentoring import spaces
from ..mentoring.dashboard import (
    DEFAULT_SILENT_DAYS,
    AtRisk,
    BarChart,
    Overview,
    PairRow,
    Reason,
    bar_chart,
    course_overview,
    csv_lines,
    pair_timeline,
    settings,
)
from ..mentoring.dashboard.export import Cell
from ..mentoring.dashboard.metrics import GroupRow
from ..mentoring.matching.reasons import render_unmatched
from .access import fresh_token, require_tool_session, tool_url
from .templating import viewer_zone

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

EXPORTS = ("pairs", "at-risk", "people", "evaluations")


# A 1,000-pair dashboard words thousands of cells; Flask-Babel looks the catalog up again on every call,
# so these two fetch it once per request and are otherwise ``gettext``/``ngettext`` (same extraction names).
def _catalog():  # type: ignore[no-untyped-def]
    cached = g.get("_dashboard_catalog")
    if cached is None:
        cached = g._dashboard_catalog = get_translations()
    return cached


def _(string: str, **variables: object) -> str:
    text: str = _catalog().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: object) -> str:
    variables.setdefault("num", num)
    text: str = _catalog().ungettext(singular, plural, num)
    return text % variables


def _decimal(value: float) -> str:
    """One decimal place with the reader's decimal sign (babel's ``format_decimal`` is slow per cell)."""
    sign = g.get("_dashboard_decimal")
    if sign is None:
        from babel.numbers import get_decimal_symbol

        sign = g._dashboard_decimal = get_decimal_symbol(get_locale() or "en")
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", sign)


def pair_url(pair_id: int) -> str:
    """``tool_url("dashboard.pair", pair_id=...)`` without building the URL from scratch for every row."""
    base = g.get("_dashboard_pair_base")
    if base is None:
        token = fresh_token()
        base = g._dashboard_pair_base = (
            url_for("dashboard.pair", pair_id=0)[:-1],
            "?" + urlencode({TOKEN_PARAM: token}) if token else "",
        )
    return f"{base[0]}{pair_id}{base[1]}"


def _silent_days() -> int:
    """The course's saved silence threshold (coordinators set it on the dashboard)."""
    return settings.silent_days(db.session(), g.course.id)


def _gettext(text: str) -> str:
    return _(text)  # engine templates; English when the catalog has no translation


def reason_text(reason: Reason) -> str:
    """One at-risk reason in words, in the reader's language."""
    days = int(str(reason.params.get("days", 0)))
    if reason.code == "silent":
        return ngettext("No contact for %(num)d day", "No contact for %(num)d days", days)
    if reason.code == "no_contact":
        return ngettext(
            "No contact since they were matched %(num)d day ago",
            "No contact since they were matched %(num)d days ago",
            days,
        )
    if reason.code == "no_meeting":
        return ngettext(
            "No meeting held or planned since they were matched %(num)d day ago",
            "No meeting held or planned since they were matched %(num)d days ago",
            days,
        )
    if reason.code == "overdue_goals":
        count = int(str(reason.params.get("count", 0)))
        return ngettext("%(num)d goal is overdue", "%(num)d goals are overdue", count)
    if reason.code == "missed_evaluation":
        return _(
            "%(name)s did not complete “%(title)s”",
            name=reason.params.get("name", "?"),
            title=reason.params.get("title", ""),
        )
    if reason.code == "no_mentor":
        mentors = int(str(reason.params.get("mentors", 0)))
        if mentors == 0:
            return _("No mentor")
        return _("%(mentors)d of %(needed)d mentors", mentors=mentors, needed=int(str(reason.params.get("needed", 0))))
    if reason.code == "switch_pending":
        if days == 0:
            return _("A member asked today to change the pairing")
        return ngettext(
            "A member asked %(num)d day ago to change the pairing",
            "A member asked %(num)d days ago to change the pairing",
            days,
        )
    if reason.code == "unmatched":
        code = reason.params.get("code")
        if code:
            params = reason.params.get("params")
            why = render_unmatched(str(code), params if isinstance(params, dict) else {}, _gettext)
            return _("Not matched: %(reason)s", reason=why)
        return _("Not matched yet")
    return reason.code


def duration_text(seconds: float | None) -> str:
    """A reply time for people: minutes under an hour, hours under two days, then days."""
    if seconds is None:
        return "—"
    minutes = seconds / 60
    if minutes < 60:
        return ngettext("%(num)d minute", "%(num)d minutes", max(int(round(minutes)), 0))
    hours = minutes / 60
    if hours < 48:
        value = _decimal(hours)
        return ngettext("%(value)s hour", "%(value)s hours", 1 if value == "1" else 2, value=value)
    value = _decimal(hours / 24)
    return ngettext("%(value)s day", "%(value)s days", 1 if value == "1" else 2, value=value)


def pair_name(pair: PairRow) -> str:
    return _("%(mentee)s with %(mentor)s", mentee=pair.mentee.name, mentor=pair.mentor.name)


def status_text(pair: PairRow | GroupRow) -> str:
    return {"active": _("Active"), "silent": _("Silent"), "ended": _("Ended")}[pair.status]


def person_role_text(role: str) -> str:
    return {"peer": _("Peer"), "mentor": _("Mentor"), "mentee": _("Mentee")}.get(role, role)


def audience_text(audience: str) -> str:
    return {
        "mentees_about_mentor": _("Mentees about their mentor"),
        "mentors_about_mentee": _("Mentors about each mentee"),
        "self_assessment": _("Self-assessment"),
        "reflection": _("Reflection"),
        "survey": _("Program survey"),
    }.get(audience, audience)


def percent_text(fraction: float | None) -> str:
    return "—" if fraction is None else f"{round(fraction * 100):d}%"


def _evaluation_chart(overview: Overview) -> tuple[BarChart, str] | None:
    if not overview.checkpoints:
        return None
    items = [
        (
            c.title if len(c.title) <= 18 else c.title[:17] + "…",
            round(c.fraction * 100, 1),
            "good" if c.expected and c.submitted >= c.expected else "warn" if c.past_due else "",
        )
        for c in overview.checkpoints
    ]
    chart = bar_chart(items, value_format="{:.0f}%", integer=False)
    desc = _(
        "Share of expected evaluations submitted, per checkpoint: %(values)s.",
        values="; ".join(
            f"{c.title}: {percent_text(c.fraction)} ({c.submitted}/{c.expected})" for c in overview.checkpoints
        ),
    )
    return chart, desc


def _week_chart(overview: Overview) -> tuple[BarChart, str]:
    zone = viewer_zone()
    items = [(format_date(w.start.astimezone(zone), "d MMM"), float(w.posts), "") for w in overview.weeks]
    chart = bar_chart(items)
    desc = _(
        "Posts in pair threads per week, oldest week first: %(values)s.",
        values="; ".join(f"{label}: {int(value)}" for label, value, _t in items),
    )
    return chart, desc


def _contact_label(key: str) -> str:
    """A band of days since last contact, as the chart's axis says it (the chart's title names the unit)."""
    if key == "never":
        return _("Never")
    return key.replace("-", "–")


def _contact_chart(overview: Overview) -> tuple[BarChart, str]:
    items = [
        (_contact_label(b.key), float(b.pairs), "warn" if b.silent else "muted" if b.key == "never" else "")
        for b in overview.contact_buckets
    ]
    chart = bar_chart(items)
    desc = _(
        "Active pairs by days since their last contact (silent after %(days)d days): %(values)s.",
        days=overview.silent_days,
        values="; ".join(f"{label}: {int(value)}" for label, value, _t in items),
    )
    return chart, desc


@bp.route("/")
@require_tool_session("coordinator")
def index():
    """Figures, charts and the at-risk list for the whole course; the pairs with their metrics, a page at a time.

    The at-risk list and the pairs table show ``PAGE_SIZE`` rows per page (``risk`` and ``page`` in the query
    string), so the page stays readable and quick in a course of thousands; the CSV exports hold every row.
    """
    notice = _("The silence threshold is saved for this course.") if request.args.get("done") == "threshold" else None
    return _render_index(notice=notice)


@bp.route("/threshold", methods=["POST"])
@require_tool_session("coordinator")
def save_threshold():
    """Save the course's silence threshold (shared by its coordinators); bad input keeps what was typed."""
    typed = request.form.get("silent_days", "")
    try:
        settings.save_silent_days(db.session(), g.course.id, typed, person_id=g.person.id)
    except settings.InvalidThreshold as err:
        db.session.rollback()
        return _render_index(error=_(err.message), typed=typed), 400
    db.session.commit()
    return redirect(tool_url("dashboard.index", done="threshold", _anchor="threshold-form"))


def _render_index(*, notice: str | None = None, error: str | None = None, typed: str | None = None) -> str:
    silent_days = _silent_days()
    overview = course_overview(db.session(), g.course.id, silent_days=silent_days, participation=False)
    week_chart, week_desc = _week_chart(overview)
    contact_chart, contact_desc = _contact_chart(overview)
    evaluation_chart = _evaluation_chart(overview)
    db.session.commit()
    pairs = sorted(
        overview.active_pairs,
        key=lambda p: (
            -(p.days_since_contact if p.days_since_contact is not None else p.days_since_approved + 10_000),
            p.mentee.name.casefold(),
        ),
    )
    state = {"page": _page_number("page"), "risk": _page_number("risk")}
    return render_template(
        "dashboard/index.html",
        overview=overview,
        counts=overview.counts,
        pairs_page=Paged.of(pairs, "page", "pairs", state),
        risk_page=Paged.of(overview.at_risk, "risk", "at-risk", state),
        week_chart=week_chart,
        week_desc=week_desc,
        contact_chart=contact_chart,
        contact_desc=contact_desc,
        evaluation_chart=evaluation_chart,
        audience_text=audience_text,
        percent_text=percent_text,
        reason_text=reason_text,
        duration_text=duration_text,
        pair_url=pair_url,
        pair_name=pair_name,
        status_text=status_text,
        person_role_text=person_role_text,
        exports=EXPORTS,
        default_silent_days=DEFAULT_SILENT_DAYS,
        notice=notice,
        threshold_error=error,
        threshold_typed=typed,
    )


PAGE_SIZE = 50


def _page_number(name: str) -> int:
    try:
        return max(int(request.args.get(name, "1")), 1)
    except ValueError:
        return 1


@dataclass(frozen=True)
class Paged:
    """One page of a list, with links to the neighbouring pages (other query parameters kept)."""

    items: list[Any]
    number: int
    pages: int
    total: int
    first: int  # 1-based position of the first item shown
    param: str
    anchor: str
    state: dict[str, int]

    @classmethod
    def of(cls, rows: Sequence[Any], param: str, anchor: str, state: dict[str, int]) -> Paged:
        pages = max((len(rows) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        number = min(state[param], pages)
        start = (number - 1) * PAGE_SIZE
        return cls(list(rows[start : start + PAGE_SIZE]), number, pages, len(rows), start + 1, param, anchor, state)

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1

    def url(self, number: int) -> str:
        values = {**self.state, self.param: number}
        return tool_url("dashboard.index", _anchor=self.anchor, **values)


@bp.route("/pairs/<int:pair_id>")
@require_tool_session("coordinator")
def pair(pair_id: int):
    """One pair's timeline: pairing, posts (text only in a moderated program), meetings, goals, evaluations,
    switch requests."""
    return _timeline(spaces.PAIR, pair_id)


@bp.route("/groups/<int:group_id>")
@require_tool_session("coordinator")
def group(group_id: int):
    """One mentoring group's timeline, as a pair's."""
    return _timeline(spaces.GROUP, group_id)


def _timeline(kind: str, space_id: int) -> str:
    session = db.session()
    try:
        access = spaces.access(session, g.course.id, g.person.id, kind, space_id, is_coordinator=True)
    except spaces.SpaceNotFound:
        abort(404)
    timeline = pair_timeline(session, access)
    db.session.commit()
    return render_template("dashboard/pair.html", space=access.space, timeline=timeline, event_text=event_text)


def goal_status_text(status: str) -> str:
    return {
        "not_started": _("not started"),
        "on_track": _("on track"),
        "at_risk": _("at risk"),
        "done": _("done"),
        "dropped": _("dropped"),
    }.get(status, status)


def event_text(kind: str, params: dict[str, object]) -> str:
    if kind == "approved":
        return _("Group approved") if params.get("space") == "group" else _("Pairing approved")
    if kind == "ended":
        return _("Group ended") if params.get("space") == "group" else _("Pairing ended")
    if kind == "switch_requested":
        return _("Asked to change the pairing")
    if kind == "switch_approved":
        return _("Change request approved")
    if kind == "switch_declined":
        return _("Change request declined")
    if kind == "meeting_proposed":
        if "title" in params:
            return _("Proposed a meeting: “%(title)s”", title=params["title"])
        return _("Proposed a meeting")
    if kind in ("meeting_held", "meeting_missed"):
        held = kind == "meeting_held"
        if "title" in params:
            if held:
                return _("Meeting held: “%(title)s”", title=params["title"])
            return _("Meeting missed: “%(title)s”", title=params["title"])
        return _("Meeting held") if held else _("Meeting missed")
    if kind == "goal":
        change = {
            "created": _("Goal set"),
            "edited": _("Goal edited"),
            "status": _("Goal status changed"),
            "milestone_added": _("Milestone added"),
            "milestone_done": _("Milestone done"),
            "milestone_reopened": _("Milestone reopened"),
            "comment": _("Comment on a goal"),
        }.get(str(params.get("change")), _("Goal updated"))
        if "title" in params:
            change = _("%(change)s: “%(title)s”", change=change, title=params["title"])
        status = params.get("status")
        if status:
            change = _("%(change)s · now %(status)s", change=change, status=goal_status_text(str(status)))
        return change
    if kind == "evaluation":
        return _("Submitted the evaluation “%(title)s”", title=params.get("title", ""))
    if kind == "post":
        state = params.get("state")
        if "title" in params:
            text = _("Posted in “%(title)s”", title=params["title"])
        else:
            text = _("Posted in private thread %(num)s", num=params.get("thread"))
        if state == "deleted":
            text += " " + _("(deleted)")
        elif state == "hidden":
            text += " " + _("(hidden by a moderator)")
        return text
    return kind


# --- CSV export -----------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def _hours(seconds: float | None) -> float | str:
    return round(seconds / 3600, 2) if seconds is not None else ""


def _pairs_csv(overview: Overview) -> tuple[list[str], Iterable[Sequence[Cell]]]:
    header = [
        _("Pair id"),
        _("Mentee"),
        _("Mentor"),
        _("Status"),
        _("Approved (UTC)"),
        _("Ended (UTC)"),
        _("Threads"),
        _("Posts"),
        _("Last contact (UTC)"),
        _("Days since contact"),
        _("Replies"),
        _("Median reply time (hours)"),
        _("Meetings held"),
        _("Meetings missed"),
        _("Meetings upcoming"),
        _("Goals"),
        _("Goals on track"),
        _("Goals at risk"),
        _("Goals overdue"),
        _("Goals done"),
        _("Evaluations expected"),
        _("Evaluations submitted"),
        _("Change requested (UTC)"),
        _("At risk because"),
    ]
    rows = (
        [
            p.id,
            p.mentee.name,
            p.mentor.name,
            status_text(p),
            _iso(p.approved_at),
            _iso(p.ended_at),
            p.threads,
            p.posts,
            _iso(p.last_contact_at),
            p.days_since_contact if p.days_since_contact is not None else "",
            p.replies,
            _hours(p.median_reply_seconds),
            p.meetings.held,
            p.meetings.missed,
            p.meetings.upcoming,
            p.goals.total,
            p.goals.on_track,
            p.goals.at_risk,
            p.goals.overdue,
            p.goals.done,
            p.evaluations_expected,
            p.evaluations_submitted,
            _iso(p.switch_pending_since),
            "; ".join(reason_text(r) for r in p.reasons),
        ]
        for p in overview.pairs
    )
    return header, rows


def _at_risk_csv(overview: Overview) -> tuple[list[str], Iterable[Sequence[Cell]]]:
    header = [_("Kind"), _("Pair or group id"), _("Mentee, group or person"), _("Mentor"), _("At risk because")]

    def row(entry: AtRisk) -> list[Cell]:
        reasons = "; ".join(reason_text(r) for r in entry.reasons)
        if entry.pair is not None:
            return [_("Pair"), entry.pair.id, entry.pair.mentee.name, entry.pair.mentor.name, reasons]
        if entry.group is not None:
            names = ", ".join(person.name for person, _role in entry.group.members)
            return [_("Group"), entry.group.id, f"{entry.group.name}: {names}", "", reasons]
        person = entry.person
        return [_("Person"), "", person.name if person else "", "", reasons]

    return header, (row(e) for e in overview.at_risk)


def _people_csv(overview: Overview) -> tuple[list[str], Iterable[Sequence[Cell]]]:
    header = [
        _("Name"),
        _("Role"),
        _("In the course"),
        _("Active pairings"),
        _("Posts in pair threads"),
        _("Posts in forums"),
        _("Last post (UTC)"),
        _("Goal updates"),
        _("Evaluations submitted"),
        _("Not matched because"),
    ]
    rows: Iterable[Sequence[Cell]] = (
        [
            p.name,
            person_role_text(p.role),
            _("yes") if p.active else _("no"),
            p.pairs,
            p.pair_posts,
            p.forum_posts,
            _iso(p.last_post_at),
            p.goal_updates,
            p.evaluations_submitted,
            reason_text(p.unmatched) if p.unmatched else "",
        ]
        for p in sorted(overview.people, key=lambda p: p.name.casefold())
    )
    return header, rows


def _evaluations_csv(overview: Overview) -> tuple[list[str], Iterable[Sequence[Cell]]]:
    header = [
        _("Checkpoint"),
        _("Who answers"),
        _("Opens (UTC)"),
        _("Due (UTC)"),
        _("Expected"),
        _("Submitted"),
        _("Drafts"),
        _("Completion (%)"),
        _("Mean score (%)"),
    ]
    rows = (
        [
            c.title,
            audience_text(c.audience),
            _iso(c.opens_at),
            _iso(c.due_at),
            c.expected,
            c.submitted,
            c.drafts,
            round(c.fraction * 100, 1),
            round(c.mean_score * 100, 1) if c.mean_score is not None else "",
        ]
        for c in overview.checkpoints
    )
    return header, rows


@bp.route("/export/<name>.csv")
@require_tool_session("coordinator")
def export(name: str) -> Response:
    """Stream one CSV (pairs, at-risk list, or per-person participation), UTF-8 with BOM, formula-safe."""
    builders = {
        "pairs": _pairs_csv,
        "at-risk": _at_risk_csv,
        "people": _people_csv,
        "evaluations": _evaluations_csv,
    }
    if name not in builders:
        abort(404)
    overview = course_overview(db.session(), g.course.id, silent_days=_silent_days(), participation=name == "people")
    db.session.commit()
    header, rows = builders[name](overview)
    filename = f"mentoring-{name}-{g.course.id}-{overview.now:%Y%m%d}.csv"

    def generate() -> Iterator[str]:
        yield from csv_lines(header, rows)

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
