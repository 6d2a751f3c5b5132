"""Goals over real HTTP: the mentee writes goals with milestones, the mentor comments, both see what is
overdue in their own time zone, every change lands in the goal's history, and bad input keeps the text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from lti_tool.extensions import db
from lti_tool.mentoring import goals as gs

from .test_discussions import location
from .test_goals_support import matched_course, new_goal


def test_mentee_writes_a_goal_mentor_comments_and_history_counts(live):
    """Goal with milestones → the mentor sees it with overdue highlights → comments (sanitised) → the mentee
    changes the status and ticks a milestone → each change is in the history and in ``goal_counts``."""
    course = matched_course(live)
    pair = course.pairs[0]
    today = datetime.now(UTC).date()
    goal_id = new_goal(
        pair.mentee,
        pair,
        title="Run a 10 km race",
        due_on=(today - timedelta(days=3)).isoformat(),
        m0_title="Run 5 km",
        m0_due=(today - timedelta(days=10)).isoformat(),
        m1_title="Run 8 km",
        m1_due=(today + timedelta(days=20)).isoformat(),
    )
    page = pair.mentor.get(f"{pair.base}/goals/")
    assert page.status == 200, page.text[:1000]
    card = page.soup.find(id=f"goal-{goal_id}")
    assert "Run a 10 km race" in card.get_text()
    assert card.select_one(".due-overdue") is not None
    assert "Overdue by" in card.get_text() and "Run 5 km" in card.get_text()
    assert page.soup.select_one("[data-count=overdue]").get_text() == "1"
    assert page.soup.select_one("[data-count=overdue_milestones]").get_text() == "1"
    # The mentor may not write goals, only comment.
    assert pair.mentor.get(f"{pair.base}/goals/new").status == 403
    assert pair.mentor.post(f"{pair.base}/goals/{goal_id}/status", {"status": "done"}).status == 403
    detail = pair.mentor.get(f"{pair.base}/goals/{goal_id}")
    commented = pair.mentor.submit(
        detail, f"form[action*='/goals/{goal_id}/comments']", {"body": "**Great** start <script>alert(1)</script>"}
    )
    location(commented)
    shown = pair.mentee.get(f"{pair.base}/goals/{goal_id}")
    comment = shown.soup.select_one("#comments article.comment")
    assert comment.find("strong").get_text() == "Great"
    assert "<script" not in str(comment) and "alert(1)" not in shown.text
    # The mentee moves the goal on and ticks the first milestone off.
    location(pair.mentee.post(f"{pair.base}/goals/{goal_id}/status", {"status": "at_risk"}))
    milestone = shown.soup.select("#milestones li")[0]["id"].split("-")[1]
    location(pair.mentee.post(f"{pair.base}/goals/{goal_id}/milestones/{milestone}", {"done": "1"}))
    after = pair.mentor.get(f"{pair.base}/goals/{goal_id}")
    assert after.soup.find(id="goal-status").get_text() == "At risk"
    kinds = [li["data-kind"] for li in after.soup.select("#goal-history li")]
    assert kinds == ["milestone_done", "status", "comment", "created"]
    assert "changed the status from Not started to At risk" in after.text
    with live.app.app_context():
        course_id = _course_id(pair.space_id)
        counts = gs.space_goal_counts(db.session(), course_id, "pair", pair.space_id)
        by_person = gs.goal_updates_by_person(db.session(), course_id)
        db.session.remove()
    assert (counts.total, counts.at_risk, counts.overdue, counts.overdue_milestones, counts.updates) == (1, 1, 1, 0, 4)
    assert sorted(by_person.values()) == [1, 3]


def _course_id(space_id: int) -> int:
    from lti_tool.models import Mentorship

    return db.session.get(Mentorship, space_id).course_id


def test_editing_milestones_logs_each_change(live):
    """Adding, completing and removing milestones in the edit form each leave a history entry."""
    course = matched_course(live)
    pair = course.pairs[0]
    goal_id = new_goal(pair.mentee, pair, m0_title="Draft an outline")
    form = pair.mentee.get(f"{pair.base}/goals/{goal_id}/edit")
    assert form.soup.find("input", attrs={"name": "m0_id"}) is not None
    done = pair.mentee.submit(
        form, "form.goal-form", {"m0_done": "1", "m1_title": "Rehearse twice", "status": "on_track"}
    )
    location(done)
    page = pair.mentee.get(f"{pair.base}/goals/{goal_id}")
    kinds = sorted(li["data-kind"] for li in page.soup.select("#goal-history li"))
    assert kinds == ["created", "milestone_added", "milestone_done", "status"]
    assert [li.get_text(" ", strip=True).split(" · ")[0] for li in page.soup.select("#milestones li")][1].startswith(
        "Rehearse twice"
    )


def test_bad_goal_input_keeps_what_was_typed(live):
    """HTML in a title, a malformed date and an empty milestone title with a date are refused with messages
    tied to the fields; everything typed comes back."""
    course = matched_course(live)
    pair = course.pairs[0]
    form = pair.mentee.get(f"{pair.base}/goals/new")
    page = pair.mentee.submit(
        form,
        "form.goal-form",
        {
            "title": "<script>alert('x')</script> Learn SQL",
            "why": "Because *data*",
            "due_on": "31/02/2027",
            "m0_title": "",
            "m0_due": "2027-01-10",
        },
    )
    assert page.status == 400
    summary = page.soup.select_one("[role=alert]").get_text()
    assert "plain text" in summary and "date such as" in summary and "cannot be empty" in summary
    assert page.soup.find("input", id="title")["value"] == "<script>alert('x')</script> Learn SQL"
    assert page.soup.find("input", id="title")["aria-invalid"] == "true"
    assert page.soup.find("textarea", id="why").get_text() == "Because *data*"
    assert page.soup.find("input", id="due_on")["value"] == "31/02/2027"
    assert page.soup.find("input", id="m0_due")["value"] == "2027-01-10"
    assert "<script>alert" not in page.text  # escaped, never live markup


def test_due_today_is_judged_in_each_viewers_time_zone(live):
    """A goal due on today's date in Kiritimati (UTC+14) is "due today" for a mentee there, and still ahead
    for a mentor in Pago Pago (UTC−11), whose calendar is a day or two behind."""
    course = matched_course(live, zones={0: "Pacific/Pago_Pago", 1: "Pacific/Kiritimati"})
    pair = course.pairs[0]
    kiritimati_today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    goal_id = new_goal(pair.mentee, pair, due_on=kiritimati_today.isoformat())
    mentee_view = pair.mentee.get(f"{pair.base}/goals/{goal_id}")
    mentor_view = pair.mentor.get(f"{pair.base}/goals/{goal_id}")
    assert mentee_view.soup.select_one(".goal-summary .due").get_text() == "Due today"
    assert mentor_view.soup.select_one(".goal-summary .due").get_text() in ("Due in 1 day", "Due in 2 days")


def test_space_page_and_home_show_goals_and_the_next_meeting(live):
    """The pair's space page has a goals section (open goals, what is overdue) and a meetings section (the next
    accepted date, proposals waiting for the viewer); the home page shows the next meeting. The coordinator of
    this unmoderated course sees the counts only."""
    from .test_goals_support import meeting_id_of, propose

    course = matched_course(live)
    pair = course.pairs[0]
    yesterday = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    new_goal(pair.mentee, pair, title="Finish the portfolio", due_on=yesterday)
    accepted = meeting_id_of(propose(pair.mentee, pair, title="Weekly chat"))
    location(pair.mentor.post(f"{pair.base}/meetings/{accepted}/respond", {"answer": "accept"}))
    waiting = meeting_id_of(propose(pair.mentee, pair, title="Mock interview"))
    page = pair.mentor.get(f"{pair.base}/")
    assert page.status == 200, page.text[:1000]
    goals = page.soup.find(id="goals")
    assert "Finish the portfolio" in goals.get_text() and goals.select_one(".due-overdue") is not None
    meetings = page.soup.find(id="meetings")
    assert "Weekly chat" in meetings.find(id="next-meeting").get_text()
    assert meetings.select_one(f".waiting-answer a[href*='/meetings/{waiting}']") is not None
    home = pair.mentee.get("/space/")
    assert "Weekly chat" in home.soup.find(id="next-meeting-card").get_text()
    coordinator = course.coordinator.get(f"{pair.base}/")
    assert coordinator.status == 200
    assert "1 goal: 0 on track, 0 at risk, 0 done, 1 overdue." in coordinator.soup.find(id="goals").get_text()
    assert "Finish the portfolio" not in coordinator.text and "Weekly chat" not in coordinator.text


def test_peer_group_members_own_their_goals_and_share_meetings(live):
    """In a co-mentoring group each peer writes and changes only their own goals (the others comment), and a
    group meeting's reminder lists every current member."""
    from lti_tool.mentoring import meetings as ms

    from .support.demo import people
    from .test_discussions import accept_rules, actor, new_course
    from .test_goals_support import meeting_id_of, propose
    from .test_space_support import make_group

    context = new_course(live, 3)
    subs = people(live.app, "student", context)
    peers = [actor(live, sub, context=context) for sub in subs]
    for who in peers:
        accept_rules(who)
    group_id = make_group(live, context, {sub: "peer" for sub in subs})
    space = _Group(group_id)
    base = space.base
    goal = new_goal(peers[0], space, title="Learn Rust")
    mine = new_goal(peers[1], space, title="Learn Go")
    assert peers[1].get(f"{base}/goals/{goal}/edit").status == 403
    assert peers[1].post(f"{base}/goals/{goal}/status", {"status": "done"}).status == 403
    location(peers[1].post(f"{base}/goals/{goal}/comments", {"body": "Happy to pair on it"}))
    location(peers[1].post(f"{base}/goals/{mine}/status", {"status": "on_track"}))
    page = peers[2].get(f"{base}/goals/")
    assert "Learn Rust" in page.text and "Learn Go" in page.text
    meeting = meeting_id_of(propose(peers[0], space, time_zone="UTC", start="09:00", end="10:00"))
    location(peers[2].post(f"{base}/meetings/{meeting}/respond", {"answer": "accept"}))
    with live.app.app_context():
        from lti_tool.models import Meeting

        starts = db.session.get(Meeting, meeting).starts_at
        found = ms.upcoming_meetings(db.session(), starting_between=(starts, starts + timedelta(minutes=1)))
        db.session.remove()
    assert [len(u.person_ids) for u in found if u.meeting_id == meeting] == [3]


class _Group:
    """A group space for the pair helpers (``new_goal`` and ``propose`` only use ``base``)."""

    def __init__(self, group_id: int):
        self.base = f"/spaces/group/{group_id}"
