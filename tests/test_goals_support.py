"""Helpers shared by the goal, meeting and calendar tests (no tests of their own).

Pairs are made by the matching domain service, as a coordinator's run and approval make them: mentors
volunteer (``opt_in``), the coordinator approves them (``decide``), a run proposes pairs (``run_matching``)
and approving it creates the ``Mentorship`` rows (``approve_run``). Everyone then accepts the ground rules
over HTTP. Time zones are set on the participants' profiles (what each person's pages show times in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.mentoring import programs
from lti_tool.mentoring.programs import matching_runs
from lti_tool.models import Mentorship, Participant, Program

from .support.browser import Page
from .support.demo import people
from .test_discussions import Actor, accept_rules, actor, location, new_course
from .test_program_support import participant_of
from .test_space_support import set_moderated


@dataclass
class Pair:
    space_id: int
    mentor: Actor
    mentee: Actor
    mentor_sub: str
    mentee_sub: str

    @property
    def base(self) -> str:
        return f"/spaces/pair/{self.space_id}"


@dataclass
class PairCourse:
    context_id: str
    coordinator: Actor
    pairs: list[Pair]
    extra: dict[str, Actor] = field(default_factory=dict)


def matched_course(
    live,
    *,
    pairs: int = 1,
    moderated: bool = False,
    zones: dict[int, str] | None = None,
    extra_students: int = 0,
) -> PairCourse:
    """A new demo LMS course with ``pairs`` pairings made by the matching service.

    Students ``2k`` volunteer to mentor (capacity 1) and are approved; students ``2k+1`` are mentees. ``zones``
    maps a student index to the time zone on their profile. Every pair member accepts the ground rules
    (after the coordinator set the moderation switch).
    """
    context = new_course(live, 2 * pairs + extra_students)
    students = people(live.app, "student", context)
    coordinator = actor(live, people(live.app, "instructor", context)[0], context=context)
    if moderated:
        set_moderated(coordinator, True)
    actors = {sub: actor(live, sub, context=context) for sub in students[: 2 * pairs]}
    rows = {sub: participant_of(live, context, sub) for sub in students[: 2 * pairs]}
    with live.app.app_context():
        session = db.session()
        program = session.get(Program, rows[students[0]].program_id)
        for index, sub in enumerate(students[: 2 * pairs]):
            row = session.get(Participant, rows[sub].id)
            if zones and index in zones:
                row.time_zone = zones[index]
            if index % 2 == 0:
                programs.opt_in(session, program, row, 1)
                programs.decide(session, program, row.id, approve=True)
        run = matching_runs.run_matching(session, program)
        matching_runs.approve_run(session, run)
        session.commit()
        ships = session.execute(select(Mentorship).where(Mentorship.course_id == program.course_id)).scalars().all()
        by_participant = {r.id: sub for sub, r in rows.items()}
        made_ids = [(s.id, by_participant[s.mentor_id], by_participant[s.mentee_id]) for s in ships]
        db.session.remove()
    assert len(made_ids) == pairs, made_ids
    made = []
    for space_id, mentor_sub, mentee_sub in sorted(made_ids):
        for sub in (mentor_sub, mentee_sub):
            accept_rules(actors[sub])
        made.append(Pair(space_id, actors[mentor_sub], actors[mentee_sub], mentor_sub, mentee_sub))
    extra = {f"student{i}": actor(live, sub, context=context) for i, sub in enumerate(students[2 * pairs :])}
    for who in extra.values():
        accept_rules(who)
    return PairCourse(context, coordinator, made, extra)


def future_day(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


def new_goal(who: Actor, pair: Pair, **values: str) -> int:
    """The mentee writes a goal through the form; returns its id."""
    form = who.get(f"{pair.base}/goals/new")
    assert form.status == 200, form.text[:1000]
    fields = {"title": "Give a conference talk", "why": "To share my work", "measure": "A talk accepted", **values}
    done = who.submit(form, "form.goal-form", fields)
    return int(urlsplit(location(done)).path.rstrip("/").rsplit("/", 1)[1])


def propose(who: Actor, pair: Pair, **values: str) -> Page:
    """Submit the meeting form with ``values`` over its defaults (not following the redirect)."""
    form = who.get(f"{pair.base}/meetings/new")
    assert form.status == 200, form.text[:1000]
    fields = {"title": "First meeting", "date": future_day(), "start": "10:00", "end": "11:00", **values}
    return who.submit(form, "form.meeting-form", fields)


def meeting_id_of(page: Page) -> int:
    return int(urlsplit(location(page)).path.rstrip("/").rsplit("/", 1)[1])


def query_of(page: Page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location(page)).query).items()}
