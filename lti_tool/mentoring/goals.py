"""Goals in a mentoring space: the mentee writes them, the mentor comments, both see what is overdue.

Who may do what (on top of :mod:`lti_tool.mentoring.spaces`, which decides who enters the space at all):

| viewer | reads goals | creates, edits, changes status, ticks milestones | comments |
| --- | --- | --- | --- |
| the pair's mentee (active pairing), a peer in co-mentoring | yes | yes, their own goals | yes |
| the pair's mentor (active pairing) | yes | no | yes |
| a member of an ended pairing | yes | no | no |
| coordinator, moderated program | yes | no | no |
| coordinator, unmoderated program | counts only (``goal_counts``) | no | no |

Every change is appended to ``GoalUpdate`` (created, edited, status, milestone added/done/reopened,
comment) with who and when. Other modules read:

* :func:`goal_counts` / :func:`space_goal_counts` — per space: goals by status, overdue goals and
  milestones, and how many updates (optionally since a date) — for the dashboard and participation scoring;
* :func:`goal_updates_by_person` — "goals updated" per person.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..models.base import utcnow
from ..models.goals import GOAL_STATUSES, OPEN_STATUSES, Goal, GoalComment, GoalMilestone, GoalUpdate
from .discussions.markdown import render_markdown
from .errors import DomainError
from .meetings.fields import (
    N_,
    TEXT_MAX,
    Errors,
    InvalidInput,
    a_date,
    choice,
    markdown_text,
    plain_text,
)
from .spaces import SpaceAccess

MAX_MILESTONES = 12
COMMENT_MAX = 5000

__all__ = [
    "GOAL_STATUSES",
    "OPEN_STATUSES",
    "GoalCounts",
    "GoalData",
    "GoalNotFound",
    "GoalNotAllowed",
    "InvalidInput",
    "MilestoneData",
    "add_comment",
    "create_goal",
    "due_state",
    "get_goal",
    "goal_counts",
    "goal_updates_by_person",
    "history",
    "list_goals",
    "may_own",
    "parse_goal",
    "set_status",
    "space_goal_counts",
    "toggle_milestone",
    "update_goal",
]


class GoalNotFound(DomainError):
    """No such goal in this space (ids of other spaces and courses included)."""

    code = "goal_not_found"
    message = N_("This goal does not exist or is not yours.")


class GoalNotAllowed(DomainError):
    code = "goal_not_allowed"
    message = N_("Only the mentee writes and updates their goals; mentors comment.")


@dataclass(frozen=True)
class MilestoneData:
    title: str
    due_on: date | None
    done: bool
    id: int | None = None


@dataclass(frozen=True)
class GoalData:
    title: str
    why: str
    measure: str
    due_on: date | None
    status: str
    milestones: tuple[MilestoneData, ...] = field(default=())


# --- reading ---------------------------------------------------------------------------------------------


def due_state(due_on: date | None, today: date, *, finished: bool = False) -> tuple[str, int] | None:
    """``("overdue", days)``, ``("today", 0)``, ``("soon", days)`` (within a week) or ``None``.

    ``today`` is the reader's date in their own time zone; finished goals and milestones are never due.
    """
    if due_on is None or finished:
        return None
    days = (due_on - today).days
    if days < 0:
        return ("overdue", -days)
    if days == 0:
        return ("today", 0)
    if days <= 7:
        return ("soon", days)
    return None


def list_goals(session: Session, course_id: int, kind: str, space_id: int) -> list[Goal]:
    """The space's goals, open ones first (by due date), then done and dropped; milestones loaded."""
    goals = (
        session.execute(
            select(Goal)
            .where(Goal.course_id == course_id, Goal.space_kind == kind, Goal.space_id == space_id)
            .options(selectinload(Goal.milestones))
            .order_by(Goal.id)
        )
        .scalars()
        .all()
    )
    return sorted(goals, key=lambda g: (g.status not in OPEN_STATUSES, g.due_on or date.max, g.id))


def get_goal(session: Session, access: SpaceAccess, goal_id: int) -> Goal:
    """The goal if it belongs to this space (and course) and the viewer may read it; else ``GoalNotFound``."""
    space = access.space
    goal = session.execute(
        select(Goal)
        .where(
            Goal.id == goal_id,
            Goal.course_id == space.course_id,
            Goal.space_kind == space.kind,
            Goal.space_id == space.id,
        )
        .options(selectinload(Goal.milestones), selectinload(Goal.comments))
    ).scalar_one_or_none()
    if goal is None or not access.may_read:
        raise GoalNotFound()
    return goal


def history(session: Session, goal: Goal) -> list[GoalUpdate]:
    return list(
        session.execute(select(GoalUpdate).where(GoalUpdate.goal_id == goal.id).order_by(GoalUpdate.id.desc()))
        .scalars()
        .all()
    )


# --- parsing ---------------------------------------------------------------------------------------------


def parse_goal(form: Any, *, rows: int) -> GoalData:
    """Check a goal form (``title``, ``why``, ``measure``, ``due_on``, ``status`` and milestone rows
    ``m<i>_title``/``m<i>_due``/``m<i>_done``/``m<i>_id`` for ``i < rows``); raise ``InvalidInput``."""
    errors: Errors = {}
    title = plain_text(errors, "title", form.get("title"))
    why = markdown_text(errors, "why", form.get("why"))
    measure = markdown_text(errors, "measure", form.get("measure"))
    due_on = a_date(errors, "due_on", form.get("due_on"))
    status = choice(errors, "status", form.get("status") or "not_started", GOAL_STATUSES)
    milestones: list[MilestoneData] = []
    for i in range(min(rows, MAX_MILESTONES)):
        raw_title, raw_due = form.get(f"m{i}_title", ""), form.get(f"m{i}_due", "")
        if not str(raw_title).strip() and not str(raw_due).strip():
            continue
        m_title = plain_text(errors, f"m{i}_title", raw_title)
        m_due = a_date(errors, f"m{i}_due", raw_due)
        raw_id = str(form.get(f"m{i}_id", "")).strip()
        milestones.append(
            MilestoneData(m_title, m_due, form.get(f"m{i}_done") == "1", int(raw_id) if raw_id.isdigit() else None)
        )
    if errors:
        raise InvalidInput(errors)
    return GoalData(title, why, measure, due_on, status, tuple(milestones))


# --- writing ---------------------------------------------------------------------------------------------


OWNER_ROLES = ("mentee", "peer")


def _require_owner(access: SpaceAccess, goal: Goal | None = None) -> None:
    """Mentees (and peers in co-mentoring) write goals; a goal is changed only by the one who owns it."""
    access.require_write()
    if access.viewer_role not in OWNER_ROLES:
        raise GoalNotAllowed()
    if goal is not None and goal.owner_id != access.viewer_person_id:
        raise GoalNotAllowed()


def may_own(access: SpaceAccess, goal: Goal | None = None) -> bool:
    """Whether the viewer may create goals here (``goal`` None) or change ``goal``."""
    try:
        _require_owner(access, goal)
    except DomainError:
        return False
    return True


def _log(session: Session, goal: Goal, person_id: int, kind: str, **values: Any) -> GoalUpdate:
    entry = GoalUpdate(
        goal_id=goal.id,
        course_id=goal.course_id,
        space_kind=goal.space_kind,
        space_id=goal.space_id,
        person_id=person_id,
        kind=kind,
        created_at=utcnow(),
        **values,
    )
    session.add(entry)
    goal.updated_at = entry.created_at
    return entry


def create_goal(session: Session, access: SpaceAccess, data: GoalData) -> Goal:
    """The mentee adds a goal to their space (logged as ``created``)."""
    _require_owner(access)
    space = access.space
    now = utcnow()
    goal = Goal(
        course_id=space.course_id,
        space_kind=space.kind,
        space_id=space.id,
        owner_id=access.viewer_person_id,
        title=data.title,
        why=data.why,
        measure=data.measure,
        due_on=data.due_on,
        status=data.status,
        created_at=now,
        updated_at=now,
    )
    for position, m in enumerate(data.milestones):
        goal.milestones.append(
            GoalMilestone(
                position=position, title=m.title, due_on=m.due_on, done=m.done, done_at=now if m.done else None
            )
        )
    session.add(goal)
    session.flush()
    _log(session, goal, access.viewer_person_id, "created", new_status=goal.status, detail=goal.title[:200])
    session.flush()
    return goal


def update_goal(session: Session, access: SpaceAccess, goal: Goal, data: GoalData) -> Goal:
    """The mentee edits a goal; each kind of change gets its own log entry (nothing logged if nothing changed)."""
    _require_owner(access, goal)
    me = access.viewer_person_id
    now = utcnow()
    if (goal.title, goal.why, goal.measure, goal.due_on) != (data.title, data.why, data.measure, data.due_on):
        goal.title, goal.why, goal.measure, goal.due_on = data.title, data.why, data.measure, data.due_on
        _log(session, goal, me, "edited", detail=goal.title[:200])
    if goal.status != data.status:
        _log(session, goal, me, "status", old_status=goal.status, new_status=data.status)
        goal.status = data.status
    existing = {m.id: m for m in goal.milestones}
    kept: list[GoalMilestone] = []
    for position, m in enumerate(data.milestones):
        row = existing.pop(m.id, None) if m.id is not None else None
        if row is None:
            row = GoalMilestone(position=position, title=m.title, due_on=m.due_on, done=False)
            goal.milestones.append(row)
            _log(session, goal, me, "milestone_added", detail=m.title[:200])
        else:
            if (row.title, row.due_on, row.position) != (m.title, m.due_on, position):
                if (row.title, row.due_on) != (m.title, m.due_on):
                    _log(session, goal, me, "edited", detail=m.title[:200])
                row.title, row.due_on, row.position = m.title, m.due_on, position
        if m.done != row.done:
            row.done, row.done_at = m.done, now if m.done else None
            _log(session, goal, me, "milestone_done" if m.done else "milestone_reopened", detail=m.title[:200])
        kept.append(row)
    for removed in existing.values():
        goal.milestones.remove(removed)
        _log(session, goal, me, "edited", detail=removed.title[:200])
    session.flush()
    return goal


def set_status(session: Session, access: SpaceAccess, goal: Goal, status: str) -> Goal:
    """The mentee moves a goal to another status (logged with the old and new status)."""
    _require_owner(access, goal)
    errors: Errors = {}
    choice(errors, "status", status, GOAL_STATUSES)
    if errors:
        raise InvalidInput(errors)
    if goal.status != status:
        _log(session, goal, access.viewer_person_id, "status", old_status=goal.status, new_status=status)
        goal.status = status
        session.flush()
    return goal


def toggle_milestone(session: Session, access: SpaceAccess, goal: Goal, milestone_id: int, done: bool) -> GoalMilestone:
    """The mentee ticks a milestone off (or reopens it)."""
    _require_owner(access, goal)
    row = next((m for m in goal.milestones if m.id == milestone_id), None)
    if row is None:
        raise GoalNotFound()
    if row.done != done:
        row.done, row.done_at = done, utcnow() if done else None
        _log(
            session, goal, access.viewer_person_id, "milestone_done" if done else "milestone_reopened", detail=row.title
        )
        session.flush()
    return row


def add_comment(session: Session, access: SpaceAccess, goal: Goal, body: str) -> GoalComment:
    """A member of the pair (usually the mentor) comments; Markdown is rendered and sanitised once, here."""
    access.require_write()
    if not access.is_member:
        raise GoalNotAllowed()
    errors: Errors = {}
    text = markdown_text(errors, "body", body, limit=COMMENT_MAX, required=True)
    if errors:
        raise InvalidInput(errors)
    comment = GoalComment(
        goal_id=goal.id, author_id=access.viewer_person_id, body=text, body_html=render_markdown(text)
    )
    goal.comments.append(comment)
    _log(session, goal, access.viewer_person_id, "comment")
    session.flush()
    return comment


# --- counts for dashboards, scoring and the coordinator's metadata view -------------------------------


@dataclass(frozen=True)
class GoalCounts:
    """One space's goals in numbers. ``overdue``: open goals past their due date; ``overdue_milestones``:
    open milestones past theirs (of open goals); ``updates``: ``GoalUpdate`` rows (since the given date)."""

    total: int = 0
    not_started: int = 0
    on_track: int = 0
    at_risk: int = 0
    done: int = 0
    dropped: int = 0
    overdue: int = 0
    overdue_milestones: int = 0
    updates: int = 0
    last_update_at: datetime | None = None

    @property
    def open(self) -> int:
        return self.not_started + self.on_track + self.at_risk


def goal_counts(
    session: Session, course_id: int, *, today: date | None = None, since: datetime | None = None
) -> dict[tuple[str, int], GoalCounts]:
    """Counts per space of the course, keyed by ``(space_kind, space_id)`` (spaces without goals absent).

    ``today`` (default: today's UTC date) decides what is overdue; ``since`` limits ``updates`` (and
    ``last_update_at``) to log entries at or after it. Three queries whatever the number of spaces.
    """
    today = today or utcnow().date()
    by_space: dict[tuple[str, int], dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    goals = session.execute(
        select(Goal.id, Goal.space_kind, Goal.space_id, Goal.status, Goal.due_on).where(Goal.course_id == course_id)
    ).all()
    open_goals: dict[int, tuple[str, int]] = {}
    for goal_id, kind, space_id, status, due_on in goals:
        counts = by_space[(kind, space_id)]
        counts["total"] += 1
        counts[status] += 1
        if status in OPEN_STATUSES:
            open_goals[goal_id] = (kind, space_id)
            if due_on is not None and due_on < today:
                counts["overdue"] += 1
    if open_goals:
        late = session.execute(
            select(GoalMilestone.goal_id).where(
                GoalMilestone.goal_id.in_(open_goals),
                GoalMilestone.done.is_(False),
                GoalMilestone.due_on < today,
            )
        ).scalars()
        for goal_id in late:
            by_space[open_goals[goal_id]]["overdue_milestones"] += 1
    where = [GoalUpdate.course_id == course_id]
    if since is not None:
        where.append(GoalUpdate.created_at >= since)
    for kind, space_id, n, last in session.execute(
        select(GoalUpdate.space_kind, GoalUpdate.space_id, func.count(), func.max(GoalUpdate.created_at))
        .where(*where)
        .group_by(GoalUpdate.space_kind, GoalUpdate.space_id)
    ).all():
        by_space[(kind, space_id)]["updates"] = n
        by_space[(kind, space_id)]["last_update_at"] = _aware(last)
    fields = set(GoalCounts.__dataclass_fields__)
    return {key: GoalCounts(**{k: v for k, v in values.items() if k in fields}) for key, values in by_space.items()}


def space_goal_counts(
    session: Session,
    course_id: int,
    kind: str,
    space_id: int,
    *,
    today: date | None = None,
    since: datetime | None = None,
) -> GoalCounts:
    """:func:`goal_counts` for one space (all zeros when it has no goals)."""
    return goal_counts(session, course_id, today=today, since=since).get((kind, space_id), GoalCounts())


def goal_updates_by_person(
    session: Session, course_id: int, *, since: datetime | None = None, until: datetime | None = None
) -> dict[int, int]:
    """How many goal updates (every ``GoalUpdate`` kind) each person made in the course, in ``[since, until)``."""
    where = [GoalUpdate.course_id == course_id, GoalUpdate.person_id.is_not(None)]
    if since is not None:
        where.append(GoalUpdate.created_at >= since)
    if until is not None:
        where.append(GoalUpdate.created_at < until)
    rows = session.execute(select(GoalUpdate.person_id, func.count()).where(*where).group_by(GoalUpdate.person_id))
    return {int(person): int(n) for person, n in rows.all() if person is not None}


def _aware(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


TEXT_LIMIT = TEXT_MAX
