"""Turn taking in a mentoring space over real HTTP: only the members' own posts are turns.

A coordinator of a moderated program may write in a pair's or group's threads. Their post is unread news
for the members, marked as a coordinator's, but it is nobody's turn because of it: "waiting for your
reply", the Pairs overview's last activity, days silent, whose turn and typical reply time, the dashboard's
last contact and the silence nudges all follow the latest post by a member.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select, update

from lti_tool.extensions import db
from lti_tool.models import Mentorship, Person, Post, Thread, utcnow

from .support.demo import people
from .test_discussions import accept_rules, location, path_of
from .test_space_support import make_group, pair_course, pair_reply, start_pair_thread


def _row(page, thread_id: int):
    row = page.soup.select_one(f"tr[data-thread-id='{thread_id}']")
    assert row is not None, page.text[:2000]
    return row


def _unread(row) -> str:
    return row.select_one(".unread-count").get_text(strip=True)


def _name(live, sub: str) -> str:
    with live.app.app_context():
        person = db.session.execute(select(Person).where(Person.sub == sub)).scalar_one()
        name = person.display_name
        db.session.remove()
    return name


def _backdate_space(live, space_id: int, *, days: int, approved_days: int) -> None:
    """Move every post of the pair (and its threads' counters) ``days`` into the past, its approval further."""
    with live.app.app_context():
        thread_ids = list(
            db.session.execute(
                select(Thread.id).where(Thread.space_kind == "pair", Thread.space_id == space_id)
            ).scalars()
        )
        then = utcnow() - timedelta(days=days)
        db.session.execute(update(Post).where(Post.thread_id.in_(thread_ids)).values(created_at=then))
        db.session.execute(
            update(Thread)
            .where(Thread.id.in_(thread_ids))
            .values(last_post_at=then, last_member_post_at=then, created_at=then)
        )
        db.session.execute(
            update(Mentorship)
            .where(Mentorship.id == space_id)
            .values(approved_at=utcnow() - timedelta(days=approved_days))
        )
        db.session.commit()
        db.session.remove()


def _pairs_csv_row(coordinator, space_id: int) -> dict[str, str]:
    response = coordinator.get("/dashboard/export/pairs.csv")
    assert response.status == 200, response.text[:1000]
    rows = list(csv.reader(io.StringIO(response.response.content.decode("utf-8-sig"))))
    header = rows[0]
    found = [dict(zip(header, r, strict=True)) for r in rows[1:] if r and r[0] == str(space_id)]
    assert len(found) == 1, rows
    return found[0]


def test_a_coordinators_post_is_unread_news_not_a_turn(live):
    """The mentee writes, a coordinator replies: the mentee is not "waiting" (one unread post, marked as the
    coordinator's), the mentor still owes the mentee a reply; the mentor's reply then flips the turn."""
    course = pair_course(live, moderated=True)
    pair = course.pairs[0]
    thread_id = start_pair_thread(pair.mentee, pair, "My challenge", "How do I start networking?")
    assert location(pair_reply(course.coordinator, pair, thread_id, "Coordinator here: a tip, try the alumni list."))

    mentee_row = _row(pair.mentee.get(f"{pair.base}/"), thread_id)
    assert mentee_row.select_one(".waiting") is None
    assert _unread(mentee_row) == "1 new"
    assert mentee_row.select_one(".moderator-post") is not None
    mentor_row = _row(pair.mentor.get(f"{pair.base}/"), thread_id)
    assert mentor_row.select_one(".waiting") is not None  # the mentee's question still awaits the mentor
    assert _unread(mentor_row) == "2 new"
    thread = pair.mentee.get(f"{pair.base}/threads/{thread_id}")
    last = thread.soup.select("article.post")[-1]
    assert last.select_one(".moderator-post").get_text(strip=True) == "coordinator"
    assert last.select_one(".badge.new") is not None
    overview = course.coordinator.get("/spaces/")
    row = overview.soup.select_one(f"tr[data-space='pair-{pair.space_id}']")
    assert row.select_one(".waiting-on").get_text(strip=True) == _name(live, pair.mentor_sub)
    assert row.select_one(".post-count").get_text(strip=True) == "2"

    # A member's post is still a turn: the mentor answers, now the mentee owes a reply.
    assert location(pair_reply(pair.mentor, pair, thread_id, "Start with one coffee chat a week."))
    assert _row(pair.mentor.get(f"{pair.base}/"), thread_id).select_one(".waiting") is None
    mentee_row = _row(pair.mentee.get(f"{pair.base}/"), thread_id)
    assert mentee_row.select_one(".waiting") is not None
    assert mentee_row.select_one(".moderator-post") is None  # the latest post is the mentor's
    overview = course.coordinator.get("/spaces/")
    row = overview.soup.select_one(f"tr[data-space='pair-{pair.space_id}']")
    assert row.select_one(".waiting-on").get_text(strip=True) == _name(live, pair.mentee_sub)


def test_a_thread_a_coordinator_starts_waits_for_nobody(live):
    """A coordinator's question in a new thread: both members see it as new and from a coordinator, and
    neither is "waiting for your reply"; the overview says it is nobody's turn and the pair is still silent."""
    course = pair_course(live, moderated=True)
    pair = course.pairs[0]
    form = course.coordinator.get(f"{pair.base}/threads/new")
    done = course.coordinator.submit(form, "form.thread-form", {"title": "Check-in", "body": "How is it going?"})
    thread_id = int(path_of(location(done))[0].rstrip("/").rsplit("/", 1)[1])
    for member in (pair.mentee, pair.mentor):
        row = _row(member.get(f"{pair.base}/"), thread_id)
        assert row.select_one(".waiting") is None
        assert _unread(row) == "1 new"
        assert row.select_one(".moderator-post") is not None
        home = member.get("/space/")
        assert home.soup.select_one("#spaces-card .unread-count").get_text(strip=True) == "1 new"
    overview = course.coordinator.get("/spaces/")
    row = overview.soup.select_one(f"tr[data-space='pair-{pair.space_id}']")
    assert row.select_one(".waiting-on").get_text(strip=True) == "—"
    assert "none yet" in row.select_one(".last-activity").get_text()
    assert row.select_one(".post-count").get_text(strip=True) == "1"


def test_a_coordinators_post_does_not_end_a_silence(live):
    """A pair silent for 20 days stays silent when a coordinator writes: days silent, whose turn, typical reply
    time, the dashboard's last contact and status, and the nudges' reference time are unchanged."""
    from lti_tool.mentoring.discussions.pairs import last_activity_by_space

    course = pair_course(live, moderated=True)
    pair = course.pairs[0]
    thread_id = start_pair_thread(pair.mentee, pair, "Before the break", "See you after the exams")
    assert location(pair_reply(pair.mentor, pair, thread_id, "Good luck!"))
    _backdate_space(live, pair.space_id, days=20, approved_days=30)

    def overview_row():
        page = course.coordinator.get("/spaces/")
        row = page.soup.select_one(f"tr[data-space='pair-{pair.space_id}']")
        return {
            cell: row.select_one(f".{cell}").get_text(strip=True)
            for cell in ("silent-days", "waiting-on", "reply-time", "last-activity")
        } | {"posts": row.select_one(".post-count").get_text(strip=True)}

    before = overview_row()
    dashboard_before = _pairs_csv_row(course.coordinator, pair.space_id)
    assert before["silent-days"] == "20" and before["waiting-on"] == _name(live, pair.mentee_sub)
    assert dashboard_before["Days since contact"] == "20" and dashboard_before["Status"] == "Silent"

    assert location(pair_reply(course.coordinator, pair, thread_id, "Coordinator: is everything all right?"))
    after = overview_row()
    assert after == before | {"posts": "3"}
    dashboard_after = _pairs_csv_row(course.coordinator, pair.space_id)
    assert dashboard_after["Posts"] == "3"
    assert {k: v for k, v in dashboard_after.items() if k != "Posts"} == {
        k: v for k, v in dashboard_before.items() if k != "Posts"
    }
    coordinator_view = course.coordinator.get(f"{pair.base}/")
    assert coordinator_view.status == 200
    with live.app.app_context():
        course_id = db.session.execute(select(Mentorship.course_id).where(Mentorship.id == pair.space_id)).scalar_one()
        last = last_activity_by_space(db.session(), course_id)[("pair", pair.space_id)]
        db.session.remove()
    assert (utcnow() - last).days == 20

    # The mentee's own post ends the silence.
    assert location(pair_reply(pair.mentee, pair, thread_id, "Back now!"))
    assert overview_row()["silent-days"] == "0"
    assert _pairs_csv_row(course.coordinator, pair.space_id)["Days since contact"] == "0"


def test_in_a_group_a_coordinators_post_leaves_the_turn_with_the_members(live):
    """Group space: a mentee writes, a coordinator replies; the writer is not "waiting", the other members are."""
    course = pair_course(live, pairs=0, extra_students=3, moderated=True)
    subs = people(live.app, "student", course.context_id)
    mentor, first, second = (course.extra[f"student{i}"] for i in range(3))
    group_id = make_group(
        live, course.context_id, {subs[0]: "mentor", subs[1]: "mentee", subs[2]: "mentee"}, name="Circle"
    )
    for who in (mentor, first, second):
        accept_rules(who)
    base = f"/spaces/group/{group_id}"
    form = first.get(f"{base}/threads/new")
    thread_path = path_of(location(first.submit(form, "form.thread-form", {"title": "Plans", "body": "Ideas?"})))[0]
    thread_id = int(thread_path.rstrip("/").rsplit("/", 1)[1])
    reply = course.coordinator.post(f"{thread_path}/reply", {"body": "Coordinator: remember the deadline."})
    assert location(reply)
    writer = _row(first.get(f"{base}/"), thread_id)
    assert writer.select_one(".waiting") is None and _unread(writer) == "1 new"
    assert writer.select_one(".moderator-post") is not None
    for other in (mentor, second):
        row = _row(other.get(f"{base}/"), thread_id)
        assert row.select_one(".waiting") is not None and _unread(row) == "2 new"
