"""Discussion pages at size: the first page of a 5,000-post thread (in a forum and in a mentoring pair's
private space) and of a 500-thread forum topic.

    .venv/bin/python benchmarks/threads.py [--posts 5000] [--threads 500] [--repeat 30]

The app is built as in production (``create_app``, the project's migrations) on a temporary SQLite file,
or on ``DATABASE_URL`` when it is set (give it an empty database of its own). The script creates a course,
a coordinator and a participant who accepted the ground rules, then bulk-inserts a thread of ``--posts``
posts, a topic of ``--threads`` threads (three posts each), and a small 10-post thread for comparison; and
the same in a private pair space (the participant and their mentor): a ``--posts``-post pair thread and
a 10-post one, plus the pair's space page, which lists both.

Each page is requested through the whole Flask stack in-process (``app.test_client()``: session guard,
ground-rules gate, services, templates, security headers), as the participant, ``--repeat`` times after
one warm-up request. *Server time* is the wall time of that WSGI call; *queries* are the SQL statements
the request ran, counted with a SQLAlchemy ``before_cursor_execute`` event.

Targets (PASS/FAIL, exit status 1 on a FAIL): the first page of the big thread and of the big topic
(forum or pair) render in under 50 ms (median) with no more queries than the same page of the 10-post
thread or topic plus two — that is, the number of queries does not grow with the size of the thread or topic.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 50.0
QUERY_SLACK = 2


def build_app(tmp: Path):
    from flask_migrate import upgrade

    from lti_tool import create_app
    from lti_tool.config import TestConfig

    uri = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'threads.sqlite'}"
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


def seed(app, n_posts: int, n_threads: int) -> dict[str, object]:
    """Course, people, accepted rules, and the big and small threads and topics (bulk inserts)."""
    from sqlalchemy import insert, update

    from lti_tool.extensions import db
    from lti_tool.mentoring.discussions import Viewer, render_markdown, rules
    from lti_tool.models import (
        Course,
        ForumTopic,
        Membership,
        Mentorship,
        Participant,
        Person,
        Platform,
        Post,
        Program,
        Thread,
    )

    with app.app_context():
        session = db.session()
        platform = Platform(
            name="Bench LMS",
            issuer="https://lms.bench.example",
            client_id="bench",
            auth_login_url="https://lms.bench.example/auth",
            auth_token_url="https://lms.bench.example/token",
            jwks_url="https://lms.bench.example/jwks",
        )
        session.add(platform)
        session.flush()
        course = Course(platform_id=platform.id, context_id="bench-threads", title="Threads benchmark")
        session.add(course)
        session.flush()
        people, memberships = [], []
        for i, role in enumerate(("coordinator", "participant", "participant")):
            person = Person(
                platform_id=platform.id, sub=f"bench-{i}", name=f"Bench Person {i}", timezone="Europe/Berlin"
            )
            session.add(person)
            session.flush()
            membership = Membership(course_id=course.id, person_id=person.id, program_role=role, lti_roles=[])
            session.add(membership)
            people.append(person)
            memberships.append(membership)
        session.flush()
        # The participant (mentee) and the other participant (their mentor) are an approved pair.
        program = Program(course_id=course.id)
        session.add(program)
        session.flush()
        mentee = Participant(program_id=program.id, membership_id=memberships[1].id, role="mentee")
        mentor = Participant(
            program_id=program.id, membership_id=memberships[2].id, role="mentor", mentor_status="approved"
        )
        session.add_all([mentee, mentor])
        session.flush()
        pairing = Mentorship(course_id=course.id, mentee_id=mentee.id, mentor_id=mentor.id)
        session.add(pairing)
        session.flush()
        reader, writer_a, writer_b = people[1], people[1], people[2]
        viewer = Viewer(person_id=reader.id, course_id=course.id, role="participant")
        rules.accept(session, viewer, rules.current_version(session, course.id).id)

        def topic(title: str) -> ForumTopic:
            row = ForumTopic(course_id=course.id, title=title, description="", position=0, is_locked=False)
            session.add(row)
            session.flush()
            return row

        start = datetime.now(UTC) - timedelta(days=30)
        body = "A reply with **some** Markdown and [a link](https://example.org/page).\n\n- one\n- two"
        html = render_markdown(body)

        def thread(topic_row: ForumTopic | None, title: str, posts: int, offset: int) -> int:
            """A forum thread in ``topic_row``, or the pair's private thread when it is None."""
            where = (
                {"space_kind": "forum", "topic_id": topic_row.id}
                if topic_row is not None
                else {"space_kind": "pair", "space_id": pairing.id}
            )
            row = Thread(course_id=course.id, title=title, author_id=writer_b.id, **where)
            session.add(row)
            session.flush()
            authors = (writer_a.id, writer_b.id)
            session.execute(
                insert(Post),
                [
                    {
                        "thread_id": row.id,
                        "author_id": authors[i % 2],
                        "body": body,
                        "body_html": html,
                        "created_at": start + timedelta(seconds=offset + i),
                        "revision_count": 0,
                    }
                    for i in range(posts)
                ],
            )
            last = session.execute(db.select(db.func.max(Post.id)).where(Post.thread_id == row.id)).scalar_one()
            last_at, last_author = start + timedelta(seconds=offset + posts), authors[(posts - 1) % 2]
            counters = {"last_post_id": last, "last_post_at": last_at, "last_author_id": last_author}
            if topic_row is None:  # the pair's members wrote every post: turn taking follows the same one
                counters |= {
                    "last_member_post_id": last,
                    "last_member_post_at": last_at,
                    "last_member_author_id": last_author,
                }
            session.execute(update(Thread).where(Thread.id == row.id).values(post_count=posts, **counters))
            return row.id

        big_topic = topic("Big topic")
        big_thread = thread(big_topic, "The long thread", n_posts, 0)
        for i in range(n_threads - 1):
            thread(big_topic, f"Thread {i}", 3, 10 * i)
        session.execute(update(ForumTopic).where(ForumTopic.id == big_topic.id).values(thread_count=n_threads))
        small_topic = topic("Small topic")
        small_thread = thread(small_topic, "A short thread", 10, 0)
        for i in range(9):
            thread(small_topic, f"Small thread {i}", 3, 10 * i)
        session.execute(update(ForumTopic).where(ForumTopic.id == small_topic.id).values(thread_count=10))
        big_pair_thread = thread(None, "Our long conversation", n_posts, 0)
        small_pair_thread = thread(None, "A short pair thread", 10, 5)
        session.commit()

        from lti_tool.views.access import signer

        token = signer(app).dumps(
            signer(app).new(person_id=reader.id, course_id=course.id, platform_id=platform.id, role="participant")
        )
        db.session.remove()
    return {
        "token": token,
        "big_thread": big_thread,
        "small_thread": small_thread,
        "big_topic": big_topic.id,
        "small_topic": small_topic.id,
        "pair": pairing.id,
        "big_pair_thread": big_pair_thread,
        "small_pair_thread": small_pair_thread,
    }


class QueryCounter:
    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args, **kwargs) -> None:
        self.count += 1


def measure(app, counter: QueryCounter, url: str, repeat: int) -> tuple[float, float, int]:
    client = app.test_client()
    first = client.get(url)
    assert first.status_code == 200, (url, first.status_code, first.get_data(as_text=True)[:500])
    times, queries = [], []
    for _ in range(repeat):
        counter.count = 0
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        queries.append(counter.count)
        assert response.status_code == 200
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], max(queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    tmp = Path(tempfile.mkdtemp(prefix="ms-threads-"))
    try:
        app = build_app(tmp)
        started = time.perf_counter()
        ids = seed(app, args.posts, args.threads)
        seconds = time.perf_counter() - started
        print(f"seeded a {args.posts:,}-post thread and a {args.threads:,}-thread topic in {seconds:.1f}s")
        from lti_tool.extensions import db

        with app.app_context():
            counter = QueryCounter(db.engine)
            token = ids["token"]
            rows = [
                ("thread, 10 posts (first page)", f"/discussions/threads/{ids['small_thread']}?ts={token}", None),
                (
                    f"thread, {args.posts:,} posts (first page)",
                    f"/discussions/threads/{ids['big_thread']}?ts={token}",
                    "thread",
                ),
                (
                    f"thread, {args.posts:,} posts (last page)",
                    f"/discussions/threads/{ids['big_thread']}?last=1&ts={token}",
                    None,
                ),
                ("topic, 10 threads (first page)", f"/discussions/topics/{ids['small_topic']}?ts={token}", None),
                (
                    f"topic, {args.threads:,} threads (first page)",
                    f"/discussions/topics/{ids['big_topic']}?ts={token}",
                    "topic",
                ),
                (
                    "pair thread, 10 posts (first page)",
                    f"/spaces/pair/{ids['pair']}/threads/{ids['small_pair_thread']}?ts={token}",
                    None,
                ),
                (
                    f"pair thread, {args.posts:,} posts (first page)",
                    f"/spaces/pair/{ids['pair']}/threads/{ids['big_pair_thread']}?ts={token}",
                    "pair",
                ),
                ("pair space page (both threads)", f"/spaces/pair/{ids['pair']}/?ts={token}", None),
            ]
            results = {}
            print(f"\n{'page':<40} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
            print("-" * 70)
            for label, url, _kind in rows:
                median, p95, queries = measure(app, counter, url, args.repeat)
                results[label] = (median, queries)
                print(f"{label:<40} {median:>10.1f} {p95:>8.1f} {queries:>8}")
            db.session.remove()
            db.engine.dispose()

        print()
        ok = True
        checks = [
            (f"thread, {args.posts:,} posts (first page)", "thread, 10 posts (first page)"),
            (f"topic, {args.threads:,} threads (first page)", "topic, 10 threads (first page)"),
            (f"pair thread, {args.posts:,} posts (first page)", "pair thread, 10 posts (first page)"),
        ]
        for big, small in checks:
            median, queries = results[big]
            limit = results[small][1] + QUERY_SLACK
            passed = median < TARGET_MS and queries <= limit
            ok = ok and passed
            print(
                f"{'PASS' if passed else 'FAIL'}  {big}: {median:.1f} ms (target < {TARGET_MS:.0f} ms), "
                f"{queries} queries (small page: {results[small][1]}, limit {limit})"
            )
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
