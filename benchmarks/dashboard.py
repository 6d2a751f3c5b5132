"""The coordinator's dashboard at size: a 2,000-student course beside a 20-student one.

    .venv/bin/python benchmarks/dashboard.py [--students 2000] [--posts-per-pair 30] [--repeat 7]

The app is built as in production (``create_app``, the project's migrations) on a temporary SQLite file,
or on ``DATABASE_URL`` when it is set (give it an empty database of its own). Two courses are seeded with
bulk inserts, each with half its students mentors and half mentees, every mentee paired (``--students``
2,000 → 1,000 pairs) and everything the dashboard reads:

* pair threads with ``--posts-per-pair`` posts each (30 → 30,000 posts), spread over the last twelve
  weeks, the two members alternating in runs; a few forum posts per person;
* three meetings per pair (two held, one upcoming), two goals per pair (one overdue in every fifth pair)
  with their update log, a pending switch request in every fiftieth pair, a tenth of the pairs silent;
* two evaluation checkpoints (mentees about their mentor, past due, 80 % submitted; a self-assessment
  still open, 30 % submitted), and a matching run that left a few mentees unmatched.

``GET /dashboard/`` is requested through the whole Flask stack in-process (``app.test_client()``: session
guard, metrics, templates, security headers) as the course's coordinator, once to warm up and then
``--repeat`` times. *Server time* is the wall time of that WSGI call (median and slowest); *cpu* the
process CPU time it used (median; SQLite runs in the process, so this is the request's whole work and,
unlike wall time, does not grow when other programs share the machine); *queries* the SQL statements it
ran (a SQLAlchemy ``before_cursor_execute`` counter). The pairs CSV export is measured the same way.

Targets (PASS/FAIL, exit status 1 on a FAIL): the big course's dashboard in under 300 ms (median), and
the same number of queries for both courses (the count does not grow with the course).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 300.0


def build_app(tmp: Path):
    from flask_migrate import upgrade

    from lti_tool import create_app
    from lti_tool.config import TestConfig

    uri = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'dashboard.sqlite'}"
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=uri,
        KEYS_DIR=str(tmp / "keys"),
        SANDBOX_ENABLED=False,
        WTF_CSRF_ENABLED=False,
    )
    with app.app_context():
        upgrade(revision="heads")
    return app


def _ids(session, model, **where) -> list[int]:
    from sqlalchemy import select

    query = select(model.id)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return list(session.execute(query.order_by(model.id)).scalars())


def seed_course(app, platform_id: int, label: str, n_students: int, posts_per_pair: int, rng: random.Random) -> str:
    """One course with everything the dashboard reads; returns the coordinator's tool-session token."""
    from sqlalchemy import insert, select

    from lti_tool.extensions import db
    from lti_tool.mentoring.discussions import render_markdown
    from lti_tool.models import (
        Course,
        EvaluationCheckpoint,
        EvaluationInstrument,
        EvaluationInstrumentVersion,
        EvaluationResponse,
        ForumTopic,
        Goal,
        GoalUpdate,
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
    from lti_tool.views.access import signer

    now = datetime.now(UTC)
    with app.app_context():
        session = db.session()
        course = Course(platform_id=platform_id, context_id=f"bench-{label}", title=f"Dashboard benchmark {label}")
        session.add(course)
        session.flush()
        cid = course.id
        coordinator = Person(platform_id=platform_id, sub=f"{label}-coordinator", name="Dr. Bench", timezone="UTC")
        session.add(coordinator)
        session.flush()
        session.add(Membership(course_id=cid, person_id=coordinator.id, program_role="coordinator", lti_roles=[]))
        program = Program(course_id=cid)
        session.add(program)
        session.flush()

        session.execute(
            insert(Person),
            [
                {"platform_id": platform_id, "sub": f"{label}-s{i}", "name": f"Student {label} {i}", "timezone": "UTC"}
                for i in range(n_students)
            ],
        )
        people = list(
            session.execute(
                select(Person.id).where(Person.platform_id == platform_id, Person.sub.like(f"{label}-s%"))
            ).scalars()
        )
        session.execute(
            insert(Membership),
            [{"course_id": cid, "person_id": p, "program_role": "participant", "lti_roles": []} for p in people],
        )
        memberships = dict(
            session.execute(select(Membership.person_id, Membership.id).where(Membership.course_id == cid)).all()
        )
        half = n_students // 2
        session.execute(
            insert(Participant),
            [
                {
                    "program_id": program.id,
                    "membership_id": memberships[p],
                    "role": "mentor" if i < half else "mentee",
                    "mentor_status": "approved" if i < half else None,
                    "capacity": 1 if i < half else None,
                    "time_zone": "UTC",
                }
                for i, p in enumerate(people)
            ],
        )
        parts = dict(
            session.execute(
                select(Membership.person_id, Participant.id).join(
                    Participant, Participant.membership_id == Membership.id
                )
            ).all()
        )
        mentors = [(parts[p], p) for p in people[:half]]
        mentees = [(parts[p], p) for p in people[half:]]
        unmatched = mentees[-max(n_students // 200, 1) :]  # 1 % of the mentees are left unmatched
        paired = list(zip(mentees[: len(mentees) - len(unmatched)], mentors, strict=False))
        run = MatchRun(
            course_id=cid,
            mode="optimal",
            status="approved",
            approved_at=now - timedelta(days=84),
            total_mentees=len(mentees),
            total_mentors=len(mentors),
            total_pairs=len(paired),
            unmatched=[
                {"participant_id": pid, "role": "mentee", "code": "no_capacity_left", "params": {}}
                for pid, _p in unmatched
            ],
        )
        session.add(run)
        session.flush()
        approved = now - timedelta(days=84)
        session.execute(
            insert(Mentorship),
            [
                {"course_id": cid, "mentee_id": me, "mentor_id": mo, "approved_at": approved, "source_run_id": run.id}
                for (me, _pe), (mo, _po) in paired
            ],
        )
        ships = _ids(session, Mentorship, course_id=cid)
        members = {ms: (pe, po) for ms, ((_me, pe), (_mo, po)) in zip(ships, paired, strict=True)}

        # Pair threads and posts: two threads per pair, runs of one to three posts by the same member.
        body = "How did the **interview** go? Here is [the checklist](https://example.org/list)."
        html = render_markdown(body)
        session.execute(
            insert(Thread),
            [
                {
                    "course_id": cid,
                    "space_kind": "pair",
                    "space_id": ms,
                    "title": f"Thread {k}",
                    "author_id": members[ms][k % 2],
                    "created_at": approved,
                }
                for ms in ships
                for k in range(2)
            ],
        )
        threads = list(
            session.execute(select(Thread.id, Thread.space_id).where(Thread.course_id == cid).order_by(Thread.id)).all()
        )
        post_rows, thread_last = [], {}
        for tid, ms in threads:
            silent = ms % 10 == 0
            newest = now - timedelta(days=rng.randint(20, 40) if silent else rng.randint(0, 9))
            count = posts_per_pair // 2
            at = newest - timedelta(hours=count * 30)
            author = rng.randint(0, 1)
            for _k in range(count):
                at += timedelta(hours=rng.randint(2, 50))
                if rng.random() < 0.6:
                    author = 1 - author
                post_rows.append(
                    {
                        "thread_id": tid,
                        "author_id": members[ms][author],
                        "body": body,
                        "body_html": html,
                        "created_at": min(at, now),
                        "revision_count": 0,
                    }
                )
                thread_last[tid] = (min(at, now), members[ms][author])
        for start in range(0, len(post_rows), 5000):
            session.execute(insert(Post), post_rows[start : start + 5000])
        from sqlalchemy import func, update

        counts = dict(
            session.execute(
                select(Post.thread_id, func.count())
                .join(Thread, Thread.id == Post.thread_id)
                .where(Thread.course_id == cid)
                .group_by(Post.thread_id)
            ).all()
        )
        for tid, (last_at, last_author) in thread_last.items():
            session.execute(
                update(Thread)
                .where(Thread.id == tid)
                .values(
                    post_count=counts.get(tid, 0),
                    last_post_at=last_at,
                    last_author_id=last_author,
                    last_member_post_at=last_at,  # the pair's members wrote every post
                    last_member_author_id=last_author,
                )
            )
        # A forum with a few posts per person.
        topic = ForumTopic(course_id=cid, title="Introductions", description="", position=0)
        session.add(topic)
        session.flush()
        forum = Thread(course_id=cid, topic_id=topic.id, title="Hello", space_kind="forum", created_at=approved)
        session.add(forum)
        session.flush()
        session.execute(
            insert(Post),
            [
                {"thread_id": forum.id, "author_id": p, "body": "Hi!", "body_html": "<p>Hi!</p>", "revision_count": 0}
                for p in people[: n_students // 2]
            ],
        )

        # Meetings: two held, one upcoming per pair.
        meeting_rows = []
        for ms in ships:
            for k in range(3):
                starts = now + timedelta(days=7) if k == 2 else now - timedelta(days=14 * (k + 1))
                meeting_rows.append(
                    {
                        "course_id": cid,
                        "space_kind": "pair",
                        "space_id": ms,
                        "proposed_by": members[ms][1],
                        "title": f"Meeting {k}",
                        "starts_at": starts,
                        "duration_minutes": 30,
                        "time_zone": "UTC",
                        "status": "accepted",
                    }
                )
        session.execute(insert(Meeting), meeting_rows)
        meetings = list(
            session.execute(
                select(Meeting.id, Meeting.starts_at).where(Meeting.course_id == cid).order_by(Meeting.id)
            ).all()
        )
        session.execute(
            insert(MeetingOccurrence),
            [
                {
                    "meeting_id": mid,
                    "position": 0,
                    "starts_at": starts,
                    "ends_at": starts + timedelta(minutes=30),
                    "outcome": "held" if starts < now else None,
                }
                for mid, starts in meetings
            ],
        )

        # Goals: two per pair, one overdue in every fifth pair; three log entries per goal.
        session.execute(
            insert(Goal),
            [
                {
                    "course_id": cid,
                    "space_kind": "pair",
                    "space_id": ms,
                    "owner_id": members[ms][0],
                    "title": f"Goal {k}",
                    "due_on": (now + timedelta(days=-3 if (ms % 5 == 0 and k == 0) else 30)).date(),
                    "status": "on_track" if k == 0 else "not_started",
                }
                for ms in ships
                for k in range(2)
            ],
        )
        goals = list(session.execute(select(Goal.id, Goal.space_id, Goal.owner_id).where(Goal.course_id == cid)).all())
        session.execute(
            insert(GoalUpdate),
            [
                {
                    "goal_id": gid,
                    "course_id": cid,
                    "space_kind": "pair",
                    "space_id": ms,
                    "person_id": owner,
                    "kind": kind,
                    "created_at": now - timedelta(days=30 - 10 * k),
                }
                for gid, ms, owner in goals
                for k, kind in enumerate(("created", "status", "milestone_added"))
            ],
        )

        # Switch requests in every fiftieth pair.
        session.execute(
            insert(SwitchRequest),
            [
                {"mentorship_id": ms, "requested_by": paired[i][0][0], "reason": "Schedules", "status": "pending"}
                for i, ms in enumerate(ships)
                if i % 50 == 0
            ],
        )

        # Evaluations: a past-due checkpoint about the mentor (80 % done), an open self-assessment (30 %).
        instrument = EvaluationInstrument(course_id=cid, kind="mentee_of_mentor")
        session.add(instrument)
        session.flush()
        version = EvaluationInstrumentVersion(instrument_id=instrument.id, number=1, title="Mid-course", items=[])
        session.add(version)
        session.flush()
        mid = EvaluationCheckpoint(
            course_id=cid,
            instrument_version_id=version.id,
            title="Mid-course check-in",
            audience="mentees_about_mentor",
            opens_at=now - timedelta(days=30),
            due_at=now - timedelta(days=10),
        )
        end = EvaluationCheckpoint(
            course_id=cid,
            instrument_version_id=version.id,
            title="Self-assessment",
            audience="self_assessment",
            opens_at=now - timedelta(days=5),
            due_at=now + timedelta(days=20),
        )
        session.add_all([mid, end])
        session.flush()
        responses = [
            {
                "checkpoint_id": mid.id,
                "instrument_version_id": version.id,
                "respondent_person_id": members[ms][0],
                "subject_person_id": members[ms][1],
                "status": "submitted",
                "answers": {},
                "score_fraction": rng.random(),
                "submitted_at": now - timedelta(days=12),
            }
            for i, ms in enumerate(ships)
            if i % 5 != 0
        ] + [
            {
                "checkpoint_id": end.id,
                "instrument_version_id": version.id,
                "respondent_person_id": p,
                "subject_person_id": None,
                "status": "submitted",
                "answers": {},
                "score_fraction": rng.random(),
                "submitted_at": now - timedelta(days=1),
            }
            for i, p in enumerate(people)
            if i % 10 < 3
        ]
        session.execute(insert(EvaluationResponse), responses)
        session.commit()
        token = signer(app).dumps(
            signer(app).new(person_id=coordinator.id, course_id=cid, platform_id=platform_id, role="coordinator")
        )
        db.session.remove()
    return token


class QueryCounter:
    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args, **kwargs) -> None:
        self.count += 1


def measure(app, counter: QueryCounter, url: str, repeat: int) -> tuple[float, float, float, int, int]:
    """Median and slowest server time (ms), median CPU time (ms), the most queries of one request, and size."""
    client = app.test_client()
    first = client.get(url)
    assert first.status_code == 200, (url, first.status_code, first.get_data(as_text=True)[:500])
    times, cpu, queries, size = [], [], [], 0
    for _ in range(repeat):
        counter.count = 0
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        body = response.get_data()  # a streamed response is produced here
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        queries.append(counter.count)
        size = len(body)
        assert response.status_code == 200
    return statistics.median(times), max(times), statistics.median(cpu), max(queries), size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--small", type=int, default=20, help="students in the small course")
    parser.add_argument("--posts-per-pair", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    tmp = Path(tempfile.mkdtemp(prefix="ms-dashboard-"))
    try:
        app = build_app(tmp)
        from lti_tool.extensions import db
        from lti_tool.models import Platform

        with app.app_context():
            platform = Platform(
                name="Bench LMS",
                issuer="https://lms.bench.example",
                client_id="bench",
                auth_login_url="https://lms.bench.example/auth",
                auth_token_url="https://lms.bench.example/token",
                jwks_url="https://lms.bench.example/jwks",
            )
            db.session.add(platform)
            db.session.commit()
            platform_id = platform.id
            db.session.remove()
        rng = random.Random(7)
        started = time.perf_counter()
        small = seed_course(app, platform_id, "small", args.small, args.posts_per_pair, rng)
        big = seed_course(app, platform_id, "big", args.students, args.posts_per_pair, rng)
        print(
            f"seeded a {args.small}-student and a {args.students:,}-student course "
            f"({args.students // 2 - max(args.students // 200, 1):,} pairs, "
            f"~{(args.students // 2) * (args.posts_per_pair // 2) * 2:,} posts) in {time.perf_counter() - started:.1f}s"
        )
        with app.app_context():
            counter = QueryCounter(db.engine)
            rows = [
                (f"dashboard, {args.small} students", f"/dashboard/?ts={small}"),
                (f"dashboard, {args.students:,} students", f"/dashboard/?ts={big}"),
                (f"pairs CSV, {args.small} students", f"/dashboard/export/pairs.csv?ts={small}"),
                (f"pairs CSV, {args.students:,} students", f"/dashboard/export/pairs.csv?ts={big}"),
            ]
            results = {}
            print(f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
            print(f"{'request':<30} {'median ms':>10} {'max ms':>8} {'cpu ms':>8} {'queries':>8} {'bytes':>10}")
            print("-" * 79)
            for label, url in rows:
                median, slowest, cpu, queries, size = measure(app, counter, url, args.repeat)
                results[label] = (median, queries)
                print(f"{label:<30} {median:>10.1f} {slowest:>8.1f} {cpu:>8.1f} {queries:>8} {size:>10,}")
            db.session.remove()
            db.engine.dispose()

        print()
        big_label, small_label = f"dashboard, {args.students:,} students", f"dashboard, {args.small} students"
        median, queries = results[big_label]
        small_queries = results[small_label][1]
        fast = median < TARGET_MS
        bounded = queries == small_queries
        print(f"{'PASS' if fast else 'FAIL'}  {big_label}: {median:.1f} ms server time (target < {TARGET_MS:.0f} ms)")
        print(
            f"{'PASS' if bounded else 'FAIL'}  queries: {queries} for {args.students:,} students, "
            f"{small_queries} for {args.small} (the count must not grow with the course)"
        )
        return 0 if fast and bounded else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
