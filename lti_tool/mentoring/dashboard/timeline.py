"""One pair's story in time order, for the coordinator: pairing, posts, meetings, goal updates, evaluations
submitted and switch requests.

What a coordinator reads follows :mod:`lti_tool.mentoring.spaces`: with ``SpaceAccess.may_read`` (a
moderated program) a post event carries its thread's title and the post's sanitised HTML, a meeting its
title and a goal update its goal's title; without it (unmoderated) only the metadata — who posted, when, in
which of the pair's threads (numbered, not named), that a meeting was held or missed, that a goal changed
(and to which status). Deleted and hidden posts never show their text here. Evaluation events name the
checkpoint (a course-level title), never the answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import (
    EvaluationCheckpoint,
    EvaluationResponse,
    Goal,
    GoalUpdate,
    Meeting,
    MeetingOccurrence,
    Participant,
    Person,
    Post,
    SwitchRequest,
    Thread,
)
from ...models.discussions import SPACE_PAIR
from ..spaces import SpaceAccess
from .metrics import display_name

POST_LIMIT = 1000


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    """approved, ended, post, meeting_proposed, meeting_held, meeting_missed, goal, evaluation,
    switch_requested, switch_approved, switch_declined"""
    actor: str | None = None
    params: dict[str, object] = field(default_factory=dict)
    content_html: str | None = None  # sanitised HTML, only when the viewer may read private content


@dataclass(frozen=True)
class Timeline:
    events: list[Event]
    may_read: bool
    posts_shown: int
    posts_total: int


def pair_timeline(session: Session, access: SpaceAccess, *, post_limit: int = POST_LIMIT) -> Timeline:
    """The pair's (or group's) events, oldest first (the latest ``post_limit`` posts; a fixed number of
    queries)."""
    space = access.space
    names = {m.person_id: m.name for m in space.members}
    events: list[Event] = [Event(space.started_at, "approved", params={"space": space.kind})]
    if space.ended_at is not None:
        events.append(Event(space.ended_at, "ended", params={"space": space.kind}))

    thread_rows = session.execute(
        select(Thread.id, Thread.title, Thread.post_count)
        .where(Thread.course_id == space.course_id, Thread.space_kind == space.kind, Thread.space_id == space.id)
        .order_by(Thread.id)
    ).all()
    numbers = {tid: i for i, (tid, _title, _count) in enumerate(thread_rows, start=1)}
    titles = {tid: title for tid, title, _count in thread_rows}
    total = sum(int(count or 0) for _tid, _title, count in thread_rows)
    post_rows: list[Any] = []
    if numbers:
        columns: list[Any] = [Post.id, Post.thread_id, Post.author_id, Post.created_at, Post.deleted_at, Post.hidden_at]
        if access.may_read:
            columns.append(Post.body_html)
        post_rows = list(
            session.execute(
                select(*columns)
                .where(Post.thread_id.in_(list(numbers)))
                .order_by(Post.created_at.desc(), Post.id.desc())
                .limit(post_limit)
            ).all()
        )
    others = {row.author_id for row in post_rows if row.author_id is not None and row.author_id not in names}
    if others:
        for pid, name, given, family, sub in session.execute(
            select(Person.id, Person.name, Person.given_name, Person.family_name, Person.sub).where(
                Person.id.in_(others)
            )
        ).all():
            names[pid] = display_name(name, given, family, sub)
    for row in post_rows:
        params: dict[str, object] = {"thread": numbers[row.thread_id]}
        content = None
        state = "deleted" if row.deleted_at else "hidden" if row.hidden_at else ""
        if access.may_read:
            params["title"] = titles[row.thread_id]
            if not state:
                content = row.body_html
        if state:
            params["state"] = state
        events.append(Event(row.created_at, "post", names.get(row.author_id), params, content))

    if space.kind == SPACE_PAIR:  # switch requests belong to pairings (groups have leave requests)
        requester = {m.participant_id: m.name for m in space.members}
        for created, decided, status, by in session.execute(
            select(SwitchRequest.created_at, SwitchRequest.decided_at, SwitchRequest.status, Participant.id)
            .join(Participant, Participant.id == SwitchRequest.requested_by)
            .where(SwitchRequest.mentorship_id == space.id)
        ).all():
            events.append(Event(created, "switch_requested", requester.get(by)))
            if decided is not None and status in ("approved", "declined"):
                events.append(Event(decided, f"switch_{status}"))

    _meeting_events(session, access, names, events)
    _goal_events(session, access, names, events)
    _evaluation_events(session, access, names, events)

    order = {"approved": 0, "switch_requested": 1, "post": 2, "switch_approved": 3, "switch_declined": 3, "ended": 4}
    events.sort(key=lambda e: (e.at, order.get(e.kind, 2)))
    return Timeline(events=events, may_read=access.may_read, posts_shown=len(post_rows), posts_total=total)


def _meeting_events(session: Session, access: SpaceAccess, names: dict[int, str], events: list[Event]) -> None:
    """Proposals (when made) and occurrences recorded as held or missed (at their start)."""
    space = access.space
    where = (Meeting.course_id == space.course_id, Meeting.space_kind == space.kind, Meeting.space_id == space.id)
    for meeting_id, title, proposed_by, created_at, status in session.execute(
        select(Meeting.id, Meeting.title, Meeting.proposed_by, Meeting.created_at, Meeting.status).where(*where)
    ).all():
        params: dict[str, object] = {"status": status, "meeting": meeting_id}
        if access.may_read:
            params["title"] = title
        events.append(Event(created_at, "meeting_proposed", names.get(proposed_by) if proposed_by else None, params))
    for title, starts_at, outcome, notes_by in session.execute(
        select(Meeting.title, MeetingOccurrence.starts_at, MeetingOccurrence.outcome, MeetingOccurrence.notes_by)
        .join(MeetingOccurrence, MeetingOccurrence.meeting_id == Meeting.id)
        .where(*where, MeetingOccurrence.outcome.is_not(None))
    ).all():
        params = {"title": title} if access.may_read else {}
        actor = names.get(notes_by) if notes_by else None
        events.append(Event(starts_at, "meeting_held" if outcome == "held" else "meeting_missed", actor, params))


def _goal_events(session: Session, access: SpaceAccess, names: dict[int, str], events: list[Event]) -> None:
    space = access.space
    for kind, person_id, new_status, created_at, title in session.execute(
        select(GoalUpdate.kind, GoalUpdate.person_id, GoalUpdate.new_status, GoalUpdate.created_at, Goal.title)
        .join(Goal, Goal.id == GoalUpdate.goal_id)
        .where(
            GoalUpdate.course_id == space.course_id,
            GoalUpdate.space_kind == space.kind,
            GoalUpdate.space_id == space.id,
        )
    ).all():
        params: dict[str, object] = {"change": kind}
        if new_status:
            params["status"] = new_status
        if access.may_read:
            params["title"] = title
        events.append(Event(created_at, "goal", names.get(person_id) if person_id else None, params))


def _evaluation_events(session: Session, access: SpaceAccess, names: dict[int, str], events: list[Event]) -> None:
    """Evaluations the pair's members submitted during the pairing (about each other, or about nobody)."""
    space = access.space
    members = list(space.person_ids)
    for title, respondent, submitted_at in session.execute(
        select(EvaluationCheckpoint.title, EvaluationResponse.respondent_person_id, EvaluationResponse.submitted_at)
        .join(EvaluationCheckpoint, EvaluationCheckpoint.id == EvaluationResponse.checkpoint_id)
        .where(
            EvaluationCheckpoint.course_id == space.course_id,
            EvaluationResponse.status == "submitted",
            EvaluationResponse.respondent_person_id.in_(members),
            EvaluationResponse.subject_person_id.is_(None) | EvaluationResponse.subject_person_id.in_(members),
            EvaluationResponse.submitted_at >= space.started_at,
        )
    ).all():
        if submitted_at is not None:
            events.append(Event(submitted_at, "evaluation", names.get(respondent), {"title": title}))
