"""The coordinator's dashboard as pure queries: every figure for one course from a fixed number of statements.

``course_overview(session, course_id, now=..., silent_days=14)`` reads the course's program participants,
its mentorships, the pair threads' activity, the pair posts (one ordered read that yields reply times,
posts per week and per person), forum posts, meetings, goals, evaluation checkpoints and responses,
pending switch requests and the latest matching run's unmatched list — about fifteen statements, each an
aggregate (``GROUP BY``) or one read of a table, never one query per pair or per person — and returns
plain dataclasses the web layer renders, exports as CSV or charts.

Definitions (the dashboard's help text says the same in words):

* **Last contact** of a pair: its members' latest post in the pair's private threads (``Thread.space_kind
  == "pair"``, ``space_id`` = the mentorship's id; ``Thread.last_member_post_at``, so a coordinator's post
  does not hide a silent pair) or the start of its latest meeting recorded as held.
* **Silent** pair: an active pair whose last contact is ``silent_days`` or more days ago, or that has had
  no contact at all ``silent_days`` days after the pairing was approved. Otherwise it is **active**.
* **Reply time**: when a member posts after the other member, the time since the *first* post of the
  other member's unanswered run (A at 9:00, A at 10:00, B at 12:00 → 3 hours). Only the two members'
  posts count. The **median** is over every reply in the pair's (or the course's) threads.
* **Meetings** held, missed and upcoming, and **goals** by status and overdue, as the meetings' and goals'
  own count functions define them (:func:`lti_tool.mentoring.meetings.meeting_counts`,
  :func:`lti_tool.mentoring.goals.goal_counts`; a test holds the two equal), counted here by the database
  with one row per pair rather than one per occurrence or goal.
* **Evaluation completion**: per checkpoint (archived ones left out), the responses expected now (for a
  mentee-about-mentor or mentor-about-mentee checkpoint one per active pair, otherwise one per active
  participant) plus any submitted response from someone no longer expected, against those submitted; the
  **result** is the mean score of the submitted responses that have one. A checkpoint past its due date
  that a pair's member has not submitted is a **missed evaluation**.
* **Unmatched**: an active participant who would be matched as a mentee (mentees, peers, and volunteers
  whose mentor offer is not approved) with no active pairing and in no active group; the latest matching
  run says why. Group spaces count as matched here; their activity is not on the dashboard yet.
* **At risk**: a pair or person with at least one reason (see ``REASONS``); reasons are codes with
  parameters so that the view can say them in the reader's language. A group of group mentoring with
  fewer current mentors still in the course than ``mentors_per_group`` is at risk with ``no_mentor``.
* **Requests waiting**: pending requests to change a pairing (``switch_pending``, per active pair) and
  pending requests to leave an active group (``leave_pending``), counted apart.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ...models import (
    EvaluationCheckpoint,
    EvaluationResponse,
    Goal,
    MatchRun,
    Meeting,
    MeetingOccurrence,
    Membership,
    Mentorship,
    Participant,
    Person,
    Post,
    Program,
    SwitchRequest,
    Thread,
)
from ...models.base import utcnow
from ...models.dashboard import DEFAULT_SILENT_DAYS
from ...models.discussions import SPACE_GROUP, SPACE_PAIR
from ...models.goals import GOAL_STATUSES, OPEN_STATUSES
from ...models.mentorships import GroupMember, MentoringGroup
from ..goals import GoalCounts, goal_updates_by_person
from ..meetings import MeetingCounts
from .sql import epoch_seconds

MIN_SILENT_DAYS, MAX_SILENT_DAYS = 1, 365
WEEKS_SHOWN = 12
DAY = 86400.0

# Reason codes of the at-risk list (the view words them; params in brackets).
REASONS = (
    "silent",  # [days] no contact for N days
    "no_contact",  # [days] no contact at all since the pairing was approved N days ago
    "switch_pending",  # [days] a member asked to change the pairing N days ago
    "no_meeting",  # [days] no meeting held or planned since the pairing was approved N days ago
    "overdue_goals",  # [count] open goals past their due date
    "missed_evaluation",  # [title, name] a member did not submit an evaluation that is past due
    "unmatched",  # [role, code, params] not matched (the run's reason, when there is one)
    "no_mentor",  # [mentors, needed] a group with fewer mentors still in the course than the program asks for
)


def display_name(name: str | None, given: str | None, family: str | None, sub: str) -> str:
    """``Person.display_name`` from columns (the dashboard reads names without loading 2,000 entities)."""
    full = name or " ".join(p for p in (given, family) if p)
    return full or f"Participant {sub[-6:].upper()}"


def clamp_silent_days(value: object) -> int:
    """The coordinator's silence threshold, in days, within sane bounds (bad input → the default)."""
    try:
        days = int(str(value))
    except (TypeError, ValueError):
        return DEFAULT_SILENT_DAYS
    return min(max(days, MIN_SILENT_DAYS), MAX_SILENT_DAYS)


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass
class PersonRow:
    participant_id: int
    person_id: int
    name: str
    role: str  # "mentee", "mentor" or "peer" (as matching sees them)
    active: bool  # still an active member of the course
    pairs: int = 0  # active pairings (as mentee or mentor)
    groups: int = 0  # active mentoring groups they are a current member of
    pair_posts: int = 0
    forum_posts: int = 0
    last_post_at: datetime | None = None
    goal_updates: int = 0
    evaluations_submitted: int = 0
    unmatched: Reason | None = None


@dataclass
class PairRow:
    id: int
    mentee: PersonRow
    mentor: PersonRow
    approved_at: datetime
    ended_at: datetime | None
    threads: int = 0
    posts: int = 0
    last_contact_at: datetime | None = None
    days_since_contact: int | None = None  # None: never in contact
    days_since_approved: int = 0
    replies: int = 0
    median_reply_seconds: float | None = None
    switch_pending_since: datetime | None = None
    meetings: MeetingCounts = field(default_factory=MeetingCounts)
    goals: GoalCounts = field(default_factory=GoalCounts)
    evaluations_expected: int = 0
    evaluations_submitted: int = 0
    missed_evaluations: list[tuple[str, str]] = field(default_factory=list)  # (checkpoint title, member name)
    reasons: list[Reason] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.ended_at is None

    @property
    def silent(self) -> bool:
        return any(r.code in ("silent", "no_contact") for r in self.reasons)

    @property
    def status(self) -> str:
        """``"ended"``, ``"silent"`` or ``"active"``."""
        if not self.active:
            return "ended"
        return "silent" if self.silent else "active"


@dataclass
class GroupRow:
    """An active mentoring group (group mentoring or peer co-mentoring) with its activity in numbers.

    Figures as for a pair (last contact, meetings, goals); reply times and evaluations about a partner are
    pair-only, so they are not computed for groups.
    """

    id: int
    name: str
    members: list[tuple[PersonRow, str]]  # (person, role in the group: mentor, mentee or peer)
    approved_at: datetime
    threads: int = 0
    posts: int = 0
    last_contact_at: datetime | None = None
    days_since_contact: int | None = None
    days_since_approved: int = 0
    meetings: MeetingCounts = field(default_factory=MeetingCounts)
    goals: GoalCounts = field(default_factory=GoalCounts)
    switch_pending_since: datetime | None = None  # groups have leave requests, not switch requests (not shown)
    missed_evaluations: list[tuple[str, str]] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)

    @property
    def silent(self) -> bool:
        return any(r.code in ("silent", "no_contact") for r in self.reasons)

    @property
    def status(self) -> str:
        return "silent" if self.silent else "active"


@dataclass(frozen=True)
class AtRisk:
    """One entry of the at-risk list: a pair, a group, or an unmatched person (the one that is set)."""

    reasons: tuple[Reason, ...]
    pair: PairRow | None = None
    person: PersonRow | None = None
    group: GroupRow | None = None

    @property
    def label(self) -> str:
        if self.pair is not None:
            return f"{self.pair.mentee.name} – {self.pair.mentor.name}"
        if self.group is not None:
            return self.group.name
        return self.person.name if self.person else "?"


@dataclass(frozen=True)
class WeekBucket:
    start: datetime  # the week runs from ``start`` (inclusive) for 7 days, the last one ending at ``now``
    posts: int


@dataclass(frozen=True)
class ContactBucket:
    key: str  # "0-6", "7-13", ..., "never"
    low: int | None
    high: int | None  # inclusive; None: open-ended
    pairs: int
    silent: bool  # every pair in the bucket is past the threshold


@dataclass
class CheckpointResult:
    """One evaluation checkpoint: completion and the mean score of the submitted responses."""

    id: int
    title: str
    audience: str
    opens_at: datetime
    due_at: datetime
    expected: int
    submitted: int
    drafts: int
    mean_score: float | None  # 0..1
    scored: int
    past_due: bool

    @property
    def fraction(self) -> float:
        return self.submitted / self.expected if self.expected else 0.0


@dataclass
class Overview:
    course_id: int
    now: datetime
    silent_days: int
    pairs: list[PairRow]
    people: list[PersonRow]
    at_risk: list[AtRisk]
    weeks: list[WeekBucket]
    contact_buckets: list[ContactBucket]
    median_reply_seconds: float | None
    replies: int
    last_run_at: datetime | None
    checkpoints: list[CheckpointResult] = field(default_factory=list)
    groups: list[GroupRow] = field(default_factory=list)  # active mentoring groups
    leave_pending: int = 0  # pending requests to leave an active group

    @property
    def active_pairs(self) -> list[PairRow]:
        return [p for p in self.pairs if p.active]

    @property
    def counts(self) -> dict[str, int]:
        active = self.active_pairs
        return {
            "pairs": len(active),
            "pairs_ended": len(self.pairs) - len(active),
            "pairs_active": sum(1 for p in active if not p.silent),
            "pairs_silent": sum(1 for p in active if p.silent),
            "people": sum(1 for p in self.people if p.active),
            "matched": sum(1 for p in self.people if p.active and (p.pairs or p.groups)),
            "groups": len(self.groups),
            "groups_silent": sum(1 for g in self.groups if g.silent),
            "unmatched": sum(1 for p in self.people if p.unmatched is not None),
            "mentors_free": sum(
                1 for p in self.people if p.active and p.role == "mentor" and not p.pairs and not p.groups
            ),
            "switch_pending": sum(1 for p in active if p.switch_pending_since is not None),
            "leave_pending": self.leave_pending,
            "at_risk": len(self.at_risk),
            "posts": sum(p.posts for p in self.pairs),
            "meetings_held": sum(p.meetings.held for p in self.pairs),
            "meetings_missed": sum(p.meetings.missed for p in self.pairs),
            "meetings_upcoming": sum(p.meetings.upcoming for p in active),
            "pairs_met": sum(1 for p in active if p.meetings.held),
            "goals": sum(p.goals.total for p in active),
            "goals_open": sum(p.goals.open for p in active),
            "goals_on_track": sum(p.goals.on_track for p in active),
            "goals_at_risk": sum(p.goals.at_risk for p in active),
            "goals_overdue": sum(p.goals.overdue for p in active),
            "goals_done": sum(p.goals.done for p in active),
            "evaluations_expected": sum(c.expected for c in self.checkpoints),
            "evaluations_submitted": sum(c.submitted for c in self.checkpoints),
        }


# --- queries (each one statement) -----------------------------------------------------------------------
#
# Tens of thousands of rows are read for a course of 2,000, so these queries return plain numbers and text
# (timestamps as epoch seconds, ``epoch_seconds``; no column type that needs converting) and ``_rows``
# takes them straight from the driver's cursor: building an SQLAlchemy ``Row`` per row costs more than the
# query itself. The statement still goes through the engine (its events, logging and statement count).


def _rows(session: Session, statement: Any) -> list[tuple[Any, ...]]:
    result = session.connection().execute(statement)
    try:
        return list(result.cursor.fetchall())  # type: ignore[attr-defined]
    finally:
        result.close()


def _at(seconds: float | None) -> datetime | None:
    """Epoch seconds from the database (a float; a Decimal on PostgreSQL) as an aware UTC datetime."""
    return datetime.fromtimestamp(round(float(seconds), 6), UTC) if seconds is not None else None


def _people(session: Session, course_id: int) -> dict[int, PersonRow]:
    rows = _rows(
        session,
        select(
            Participant.id,
            Participant.role,
            Participant.mentor_status,
            Membership.is_active,
            Person.id,
            Person.name,
            Person.given_name,
            Person.family_name,
            Person.sub,
        )
        .join(Program, Program.id == Participant.program_id)
        .join(Membership, Membership.id == Participant.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(Program.course_id == course_id)
        .order_by(Participant.id),
    )
    people: dict[int, PersonRow] = {}
    for pid, role, status, is_active, person_id, name, given, family, sub in rows:
        seen_as = "peer" if role == "both" else "mentor" if role == "mentor" and status == "approved" else "mentee"
        people[pid] = PersonRow(pid, person_id, display_name(name, given, family, sub), seen_as, bool(is_active))
    return people


def _mentorships(session: Session, course_id: int) -> list[tuple[int, int, int, datetime, datetime | None]]:
    rows = _rows(
        session,
        select(
            Mentorship.id,
            Mentorship.mentee_id,
            Mentorship.mentor_id,
            epoch_seconds(Mentorship.approved_at),
            epoch_seconds(Mentorship.ended_at),
        )
        .where(Mentorship.course_id == course_id)
        .order_by(Mentorship.id),
    )
    return [
        (ms_id, mentee, mentor, _at(approved) or utcnow(), _at(ended))
        for ms_id, mentee, mentor, approved, ended in rows
    ]


Key = tuple[str, int]  # (space kind, space id): ("pair", mentorship id) or ("group", group id)
SPACES = (SPACE_PAIR, SPACE_GROUP)


def _thread_activity(session: Session, course_id: int) -> dict[Key, tuple[int, int, datetime | None]]:
    """Per pair or group: (threads, posts, the members' last post time), from the threads' own counters
    (posts counts every post; the time is the latest member post's, coordinators' posts are no contact)."""
    rows = _rows(
        session,
        select(
            Thread.space_kind,
            Thread.space_id,
            func.count(Thread.id),
            func.sum(Thread.post_count),
            func.max(epoch_seconds(Thread.last_member_post_at)),
        )
        .where(Thread.course_id == course_id, Thread.space_kind.in_(SPACES))
        .group_by(Thread.space_kind, Thread.space_id),
    )
    return {
        (kind, int(space_id)): (int(threads or 0), int(posts or 0), _at(last))
        for kind, space_id, threads, posts, last in rows
        if space_id is not None
    }


@dataclass
class PostScan:
    """What one pass over the course's pair posts yields (see :func:`_scan_pair_posts`)."""

    gaps: dict[int, list[float]]  # pair id -> reply times in seconds
    weeks: list[int]  # posts per week, index 0 = the week ending now
    by_person: dict[int, tuple[int, float]]  # person id -> (posts in pair threads, latest post as epoch seconds)


def _scan_pair_posts(
    session: Session, course_id: int, members: dict[int, tuple[int, int]], now: datetime, *, per_person: bool = True
) -> PostScan:
    """Reply times, posts per week and per person from one ordered read of the pair posts.

    The database returns plain numbers (thread, author, epoch seconds), so 30,000 posts cost one indexed
    scan and a Python loop; ``members`` maps each pair to its two members' person ids (only their posts
    count as replies: a moderator's post does not break or start a run).
    """
    # Posts are numbered as they are written, so id order is time order within a thread. Ordering by the
    # thread index's own columns (course, kind, pair, thread) and then the post index (thread, id) lets
    # the database stream the rows in that order without sorting tens of thousands of them.
    rows = _rows(
        session,
        select(Thread.space_id, Post.thread_id, Post.author_id, epoch_seconds(Post.created_at))
        .join(Thread, Thread.id == Post.thread_id)
        .where(Thread.course_id == course_id, Thread.space_kind == SPACE_PAIR)
        .order_by(Thread.space_id, Thread.id, Post.id),
    )
    gaps: dict[int, list[float]] = defaultdict(list)
    weeks = [0] * WEEKS_SHOWN
    counts: dict[int, int] = {}
    latest: dict[int, float] = {}
    now_s, week_s = now.timestamp(), 7 * DAY
    horizon = WEEKS_SHOWN * week_s
    # The hot loop of the dashboard: locals only, one dict lookup per pair rather than per post.
    count_of, latest_of, members_of = counts.get, latest.get, members.get
    thread: int | None = None
    pair: tuple[int, int] | None = None
    replies: list[float] = []
    prev_author: int | None = None
    run_start = 0.0
    for space_id, thread_id, author, seconds in rows:
        if seconds is None:
            continue
        at = seconds if type(seconds) is float else float(seconds)
        age = now_s - at
        if 0 <= age < horizon:
            weeks[int(age // week_s)] += 1
        if author is None:
            continue
        if per_person:
            counts[author] = count_of(author, 0) + 1
            if at > latest_of(author, 0.0):
                latest[author] = at
        if thread_id != thread:
            thread, pair, prev_author = thread_id, members_of(space_id), None
            replies = gaps[space_id]
        if pair is None or (author != pair[0] and author != pair[1]):
            continue
        if author != prev_author:
            if prev_author is not None:
                replies.append(at - run_start if at > run_start else 0.0)
            prev_author, run_start = author, at
    by_person = {author: (n, latest[author]) for author, n in counts.items()}
    return PostScan(gaps, weeks, by_person)


def _forum_posts_by_person(session: Session, course_id: int) -> dict[int, tuple[int, datetime | None]]:
    """Per person id: posts in the course's forums and the latest one (one GROUP BY)."""
    rows = _rows(
        session,
        select(Post.author_id, func.count(Post.id), func.max(epoch_seconds(Post.created_at)))
        .join(Thread, Thread.id == Post.thread_id)
        .where(Thread.course_id == course_id, Thread.space_kind != SPACE_PAIR, Post.author_id.is_not(None))
        .group_by(Post.author_id),
    )
    return {int(author): (int(count), _at(last)) for author, count, last in rows if author is not None}


def _groups(session: Session, course_id: int) -> list[tuple[int, str, float, int, str]]:
    """Current members of the course's active groups: (group, name, started as epoch seconds, participant, role)."""
    return _rows(
        session,
        select(
            MentoringGroup.id,
            MentoringGroup.name,
            epoch_seconds(MentoringGroup.created_at),
            GroupMember.participant_id,
            GroupMember.role,
        )
        .join(GroupMember, GroupMember.group_id == MentoringGroup.id)
        .where(MentoringGroup.course_id == course_id, MentoringGroup.ended_at.is_(None), GroupMember.left_at.is_(None))
        .order_by(MentoringGroup.id, GroupMember.id),
    )


def _mentors_needed(session: Session, course_id: int) -> int:
    """Mentors each group of the course's program should have (0: peer or one-to-one, groups have none)."""
    row = session.execute(
        select(Program.structure, Program.relationship_model, Program.mentors_per_group).where(
            Program.course_id == course_id
        )
    ).first()
    if row is None or row[0] != "group" or row[1] == "peer":
        return 0
    return max(1, int(row[2] or 1))


def _pending_leaves(session: Session, course_id: int) -> int:
    """Pending requests to leave one of the course's active groups."""
    return int(
        session.execute(
            select(func.count(SwitchRequest.id))
            .join(MentoringGroup, MentoringGroup.id == SwitchRequest.group_id)
            .where(
                MentoringGroup.course_id == course_id,
                MentoringGroup.ended_at.is_(None),
                SwitchRequest.status == "pending",
            )
        ).scalar_one()
    )


def _pending_switches(session: Session, course_id: int) -> dict[int, datetime]:
    rows = _rows(
        session,
        select(SwitchRequest.mentorship_id, func.min(epoch_seconds(SwitchRequest.created_at)))
        .join(Mentorship, Mentorship.id == SwitchRequest.mentorship_id)
        .where(Mentorship.course_id == course_id, SwitchRequest.status == "pending")
        .group_by(SwitchRequest.mentorship_id),
    )
    return {int(ms): at for ms, at in ((ms, _at(at)) for ms, at in rows) if at is not None}


def _meetings(session: Session, course_id: int, now: datetime) -> dict[Key, MeetingCounts]:
    """Per pair or group, the figures of :class:`lti_tool.mentoring.meetings.MeetingCounts`, counted by the database.

    Same definitions as :func:`lti_tool.mentoring.meetings.meeting_counts` (a test holds them equal), in a
    ``GROUP BY`` that returns one row per space instead of one per occurrence.
    """
    occurrence = MeetingOccurrence
    scheduled = and_(Meeting.status == "accepted", occurrence.status == "scheduled", occurrence.outcome.is_(None))
    rows = _rows(
        session,
        select(
            Meeting.space_kind,
            Meeting.space_id,
            func.sum(case((occurrence.outcome == "held", 1), else_=0)),
            func.sum(case((occurrence.outcome == "missed", 1), else_=0)),
            func.sum(case((and_(scheduled, occurrence.starts_at > now), 1), else_=0)),
            func.sum(case((and_(scheduled, occurrence.starts_at <= now), 1), else_=0)),
            func.sum(case((occurrence.status == "cancelled", 1), else_=0)),
            func.sum(case((and_(Meeting.status == "proposed", occurrence.position == 0), 1), else_=0)),
            func.max(case((occurrence.outcome == "held", epoch_seconds(occurrence.starts_at)), else_=None)),
        )
        .join(occurrence, occurrence.meeting_id == Meeting.id)
        .where(Meeting.course_id == course_id, Meeting.space_kind.in_(SPACES))
        .group_by(Meeting.space_kind, Meeting.space_id),
    )
    return {
        (kind, int(space_id)): MeetingCounts(
            held=int(held or 0),
            missed=int(missed or 0),
            upcoming=int(upcoming or 0),
            awaiting_outcome=int(awaiting or 0),
            cancelled=int(cancelled or 0),
            proposals=int(proposals or 0),
            last_held_at=_at(last_held),
        )
        for kind, space_id, held, missed, upcoming, awaiting, cancelled, proposals, last_held in rows
    }


def _goals(session: Session, course_id: int, today: date) -> dict[Key, GoalCounts]:
    """Per pair or group, goals by status and open goals past their due date (as :func:`lti_tool.mentoring.goals.
    goal_counts` counts them; milestones and the update log are left to the pair's own page)."""
    open_goal = Goal.status.in_(OPEN_STATUSES)
    rows = _rows(
        session,
        select(
            Goal.space_kind,
            Goal.space_id,
            func.count(Goal.id),
            *(func.sum(case((Goal.status == status, 1), else_=0)) for status in GOAL_STATUSES),
            func.sum(case((and_(open_goal, Goal.due_on < today), 1), else_=0)),
        )
        .where(Goal.course_id == course_id, Goal.space_kind.in_(SPACES))
        .group_by(Goal.space_kind, Goal.space_id),
    )
    out: dict[Key, GoalCounts] = {}
    for kind, space_id, total, *by_status, overdue in rows:
        counts: dict[str, Any] = {status: int(n or 0) for status, n in zip(GOAL_STATUSES, by_status, strict=True)}
        out[(kind, int(space_id))] = GoalCounts(total=int(total or 0), overdue=int(overdue or 0), **counts)
    return out


def _latest_unmatched(session: Session, course_id: int) -> tuple[datetime | None, dict[int, Reason]]:
    row = session.execute(
        select(MatchRun.created_at, MatchRun.unmatched)
        .where(MatchRun.course_id == course_id)
        .order_by(MatchRun.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None, {}
    created, unmatched = row
    reasons: dict[int, Reason] = {}
    for entry in unmatched or []:
        try:
            reasons[int(entry["participant_id"])] = Reason(str(entry["code"]), dict(entry.get("params") or {}))
        except (KeyError, TypeError, ValueError):
            continue
    return created, reasons


PAIR_AUDIENCES = {
    # audience: (who answers, about whom)
    "mentees_about_mentor": ("mentee", "mentor"),
    "mentors_about_mentee": ("mentor", "mentee"),
}


def _checkpoints(session: Session, course_id: int) -> list[tuple[int, str, str, datetime, datetime]]:
    return [
        (int(cid), title, audience, opens_at, due_at)
        for cid, title, audience, opens_at, due_at in session.execute(
            select(
                EvaluationCheckpoint.id,
                EvaluationCheckpoint.title,
                EvaluationCheckpoint.audience,
                EvaluationCheckpoint.opens_at,
                EvaluationCheckpoint.due_at,
            )
            .where(EvaluationCheckpoint.course_id == course_id, EvaluationCheckpoint.archived_at.is_(None))
            .order_by(EvaluationCheckpoint.due_at, EvaluationCheckpoint.id)
        ).all()
    ]


def _responses(session: Session, course_id: int) -> list[tuple[int, int, int | None, str, float | None]]:
    """Every response of the course's checkpoints: (checkpoint, respondent, subject, status, score)."""
    return [
        (int(cid), int(respondent), subject, status, float(score) if score is not None else None)
        for cid, respondent, subject, status, score in _rows(
            session,
            select(
                EvaluationResponse.checkpoint_id,
                EvaluationResponse.respondent_person_id,
                EvaluationResponse.subject_person_id,
                EvaluationResponse.status,
                EvaluationResponse.score_fraction,
            )
            .join(EvaluationCheckpoint, EvaluationCheckpoint.id == EvaluationResponse.checkpoint_id)
            .where(EvaluationCheckpoint.course_id == course_id),
        )
    ]


def _evaluations(
    checkpoints: list[tuple[int, str, str, datetime, datetime]],
    responses: list[tuple[int, int, int | None, str, float | None]],
    pairs: list[PairRow],
    people: Iterable[PersonRow],
    now: datetime,
) -> list[CheckpointResult]:
    """Completion and mean score per checkpoint; each active pair's expected, submitted and missed ones."""
    submitted: dict[int, dict[tuple[int, int | None], float | None]] = defaultdict(dict)
    drafts: dict[int, int] = defaultdict(int)
    by_person: dict[int, int] = defaultdict(int)
    for cid, respondent, subject, status, score in responses:
        if status == "submitted":
            submitted[cid][(respondent, subject)] = score
            by_person[respondent] += 1
        else:
            drafts[cid] += 1
    present = [p for p in people if p.active]
    for person in present:
        person.evaluations_submitted = by_person.get(person.person_id, 0)
    active = [p for p in pairs if p.active]
    results = []
    for cid, title, audience, opens_at, due_at in checkpoints:
        done = submitted.get(cid, {})
        past_due = due_at < now
        if audience in PAIR_AUDIENCES:
            answers, about = PAIR_AUDIENCES[audience]
            expected_here = [
                ((getattr(p, answers).person_id, getattr(p, about).person_id), p, getattr(p, answers)) for p in active
            ]
        else:
            expected_here = [((m.person_id, None), p, m) for p in active for m in (p.mentee, p.mentor)]
        for key, pair, member in expected_here:
            pair.evaluations_expected += 1
            if key in done:
                pair.evaluations_submitted += 1
            elif past_due:
                pair.missed_evaluations.append((title, member.name))
        if audience in PAIR_AUDIENCES:
            expected = {key for key, _pair, _member in expected_here}
        else:
            expected = {(p.person_id, None) for p in present}
        scores = [v for v in done.values() if v is not None]
        results.append(
            CheckpointResult(
                id=cid,
                title=title,
                audience=audience,
                opens_at=opens_at,
                due_at=due_at,
                expected=len(expected | set(done)),
                submitted=len(done),
                drafts=drafts.get(cid, 0),
                mean_score=sum(scores) / len(scores) if scores else None,
                scored=len(scores),
                past_due=past_due,
            )
        )
    return results


# --- assembly -------------------------------------------------------------------------------------------


def _days(seconds: float) -> int:
    return max(int(seconds // DAY), 0)


def median(values: Iterable[float]) -> float | None:
    data = list(values)
    return float(statistics.median(data)) if data else None


def contact_buckets(pairs: Iterable[PairRow], silent_days: int) -> list[ContactBucket]:
    """Active pairs by days since last contact: weekly bands up to four weeks, then "28+" and "never"."""
    bands: list[tuple[str, int | None, int | None]] = [
        ("0-6", 0, 6),
        ("7-13", 7, 13),
        ("14-20", 14, 20),
        ("21-27", 21, 27),
        ("28+", 28, None),
        ("never", None, None),
    ]
    counts = dict.fromkeys((key for key, _lo, _hi in bands), 0)
    for pair in pairs:
        if not pair.active:
            continue
        days = pair.days_since_contact
        if days is None:
            counts["never"] += 1
            continue
        for key, low, high in bands:
            if low is not None and days >= low and (high is None or days <= high):
                counts[key] += 1
                break
    return [
        ContactBucket(key, low, high, counts[key], silent=low is not None and low >= silent_days)
        for key, low, high in bands
    ]


def course_overview(
    session: Session,
    course_id: int,
    *,
    now: datetime | None = None,
    silent_days: int = DEFAULT_SILENT_DAYS,
    participation: bool = True,
) -> Overview:
    """Every dashboard figure of one course (a fixed number of queries, whatever the course's size).

    ``participation=False`` leaves out what only the per-person export shows (posts and goal updates per
    person), two queries and a share of the post scan fewer.
    """
    now = now or utcnow()
    silent_days = clamp_silent_days(silent_days)
    people = _people(session, course_id)
    ships = _mentorships(session, course_id)
    activity = _thread_activity(session, course_id)
    members = {
        ms_id: (people[mentee_id].person_id, people[mentor_id].person_id)
        for ms_id, mentee_id, mentor_id, _a, _e in ships
        if mentee_id in people and mentor_id in people
    }
    scan = _scan_pair_posts(session, course_id, members, now, per_person=participation)
    replies = scan.gaps
    forum_posts = _forum_posts_by_person(session, course_id) if participation else {}
    group_rows = _groups(session, course_id)
    switches = _pending_switches(session, course_id)
    leaves = _pending_leaves(session, course_id)
    mentors_needed = _mentors_needed(session, course_id) if group_rows else 0
    last_run_at, unmatched_reasons = _latest_unmatched(session, course_id)
    weeks = [
        WeekBucket(start=now - timedelta(weeks=ago + 1), posts=scan.weeks[ago])
        for ago in range(WEEKS_SHOWN - 1, -1, -1)
    ]
    meetings = _meetings(session, course_id, now)
    goals = _goals(session, course_id, now.date())
    goal_updates = goal_updates_by_person(session, course_id) if participation else {}
    checkpoints = _checkpoints(session, course_id)
    responses = _responses(session, course_id) if checkpoints else []

    pairs: list[PairRow] = []
    for ms_id, mentee_id, mentor_id, approved_at, ended_at in ships:
        mentee, mentor = people.get(mentee_id), people.get(mentor_id)
        if mentee is None or mentor is None:
            continue  # a participant row removed under the pairing; nothing sensible to show
        threads, posts, last = activity.get((SPACE_PAIR, ms_id), (0, 0, None))
        met = meetings.get((SPACE_PAIR, ms_id), MeetingCounts())
        held_at = met.last_held_at
        if held_at is not None and held_at <= now and (last is None or held_at > last):
            last = held_at
        gaps = replies.get(ms_id, [])
        pair = PairRow(
            id=ms_id,
            mentee=mentee,
            mentor=mentor,
            approved_at=approved_at,
            ended_at=ended_at,
            threads=threads,
            posts=posts,
            last_contact_at=last,
            days_since_contact=_days((now - last).total_seconds()) if last else None,
            days_since_approved=_days((now - approved_at).total_seconds()),
            replies=len(gaps),
            median_reply_seconds=median(gaps),
            switch_pending_since=switches.get(ms_id) if ended_at is None else None,
            meetings=met,
            goals=goals.get((SPACE_PAIR, ms_id), GoalCounts()),
        )
        if pair.active:
            mentee.pairs += 1
            mentor.pairs += 1
        pairs.append(pair)
    results = _evaluations(checkpoints, responses, pairs, people.values(), now)
    for pair in pairs:
        if pair.active:
            pair.reasons = pair_reasons(pair, now, silent_days)

    groups: dict[int, GroupRow] = {}
    for group_id, name, started, participant_id, role in group_rows:
        group = groups.get(group_id)
        if group is None:
            approved_at = _at(started) or now
            threads, posts, last = activity.get((SPACE_GROUP, group_id), (0, 0, None))
            met = meetings.get((SPACE_GROUP, group_id), MeetingCounts())
            if met.last_held_at is not None and met.last_held_at <= now and (last is None or met.last_held_at > last):
                last = met.last_held_at
            group = groups[group_id] = GroupRow(
                id=group_id,
                name=name,
                members=[],
                approved_at=approved_at,
                threads=threads,
                posts=posts,
                last_contact_at=last,
                days_since_contact=_days((now - last).total_seconds()) if last else None,
                days_since_approved=_days((now - approved_at).total_seconds()),
                meetings=met,
                goals=goals.get((SPACE_GROUP, group_id), GoalCounts()),
            )
        person = people.get(participant_id)
        if person is not None:
            group.members.append((person, role))
            person.groups += 1
    for group in groups.values():
        group.reasons = pair_reasons(group, now, silent_days)
        mentors = sum(1 for person, role in group.members if role == "mentor" and person.active)
        if mentors < mentors_needed:
            group.reasons.insert(0, Reason("no_mentor", {"mentors": mentors, "needed": mentors_needed}))

    for person in people.values():
        pair_posts, pair_last = scan.by_person.get(person.person_id, (0, None))
        forum_count, forum_last = forum_posts.get(person.person_id, (0, None))
        last_post = _at(pair_last)
        if forum_last is not None and (last_post is None or forum_last > last_post):
            last_post = forum_last
        person.pair_posts, person.forum_posts, person.last_post_at = pair_posts, forum_count, last_post
        person.goal_updates = goal_updates.get(person.person_id, 0)
        if person.active and person.role in ("mentee", "peer") and not person.pairs and not person.groups:
            reason = unmatched_reasons.get(person.participant_id)
            params: dict[str, object] = {"role": person.role}
            if reason is not None:
                params.update(code=reason.code, params=reason.params)
            person.unmatched = Reason("unmatched", params)

    at_risk = [AtRisk(tuple(p.reasons), pair=p) for p in pairs if p.active and p.reasons]
    at_risk += [AtRisk(tuple(g.reasons), group=g) for g in groups.values() if g.reasons]
    at_risk.sort(key=_risk_order)
    at_risk += [
        AtRisk((p.unmatched,), person=p)
        for p in sorted(people.values(), key=lambda p: p.name.casefold())
        if p.unmatched
    ]
    all_gaps = [g for gaps in replies.values() for g in gaps]
    return Overview(
        course_id=course_id,
        now=now,
        silent_days=silent_days,
        pairs=pairs,
        people=list(people.values()),
        at_risk=at_risk,
        weeks=weeks,
        contact_buckets=contact_buckets(pairs, silent_days),
        median_reply_seconds=median(all_gaps),
        replies=len(all_gaps),
        last_run_at=last_run_at,
        checkpoints=results,
        groups=list(groups.values()),
        leave_pending=leaves,
    )


def pair_reasons(pair: PairRow | GroupRow, now: datetime, silent_days: int) -> list[Reason]:
    """Why an active pair (or group) is at risk (empty: it is not)."""
    reasons: list[Reason] = []
    if pair.days_since_contact is None:
        if pair.days_since_approved >= silent_days:
            reasons.append(Reason("no_contact", {"days": pair.days_since_approved}))
    elif pair.days_since_contact >= silent_days:
        reasons.append(Reason("silent", {"days": pair.days_since_contact}))
    if pair.meetings.held == 0 and pair.meetings.upcoming == 0 and pair.days_since_approved >= silent_days:
        reasons.append(Reason("no_meeting", {"days": pair.days_since_approved}))
    if pair.goals.overdue:
        reasons.append(Reason("overdue_goals", {"count": pair.goals.overdue}))
    for title, name in pair.missed_evaluations:
        reasons.append(Reason("missed_evaluation", {"title": title, "name": name}))
    if pair.switch_pending_since is not None:
        reasons.append(Reason("switch_pending", {"days": _days((now - pair.switch_pending_since).total_seconds())}))
    return reasons


def _risk_order(entry: AtRisk) -> tuple[int, int, str]:
    space = entry.pair or entry.group
    assert space is not None
    silence = space.days_since_contact if space.days_since_contact is not None else space.days_since_approved
    return (-len(entry.reasons), -silence, entry.label.casefold())
