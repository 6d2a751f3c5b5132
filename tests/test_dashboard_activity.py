"""Meetings, goals and evaluations on the coordinator's dashboard, from the real services, over HTTP."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select, update

from lti_tool.extensions import db
from lti_tool.models import MeetingOccurrence

from .test_dashboard_support import Pair, Scenario, paired_course, sandbox_name, set_approved_at
from .test_program_support import open_page


def _access(session, scenario: Scenario, pair: Pair, who: str):
    from lti_tool.mentoring import spaces

    person = pair.mentee_person if who == "mentee" else pair.mentor_person
    return spaces.access(session, scenario.course_id, person, spaces.PAIR, pair.id, is_coordinator=False)


def hold_meeting(live, scenario: Scenario, pair: Pair, *, days_ago: int, title: str = "First chat") -> None:
    """The mentor proposes a meeting, the mentee accepts; once its time has passed the mentor records it held."""
    from lti_tool.mentoring import meetings

    with live.app.app_context():
        session = db.session()
        proposal = meetings.Proposal(
            title=title,
            agenda="",
            video_url="",
            time_zone="UTC",
            first_date=(datetime.now(UTC) + timedelta(days=1)).date(),
            start=time(10, 0),
            duration_minutes=30,
            frequency="once",
            count=1,
        )
        meeting = meetings.propose(session, _access(session, scenario, pair, "mentor"), proposal)
        meetings.respond(session, _access(session, scenario, pair, "mentee"), meeting, accept=True)
        occurrence = meeting.occurrences[0]
        when = datetime.now(UTC) - timedelta(days=days_ago)
        session.execute(
            update(MeetingOccurrence)
            .where(MeetingOccurrence.id == occurrence.id)
            .values(starts_at=when, ends_at=when + timedelta(minutes=30))
        )
        session.expire_all()
        meeting = meetings.get_meeting(session, _access(session, scenario, pair, "mentor"), meeting.id)
        meetings.record(
            session, _access(session, scenario, pair, "mentor"), meeting, occurrence.id, outcome="held", notes="Good"
        )
        session.commit()
        db.session.remove()


def set_goal(live, scenario: Scenario, pair: Pair, *, title: str, due_in_days: int, status: str = "on_track") -> None:
    from lti_tool.mentoring import goals

    with live.app.app_context():
        session = db.session()
        data = goals.GoalData(
            title=title,
            why="",
            measure="",
            due_on=(datetime.now(UTC) + timedelta(days=due_in_days)).date(),
            status=status,
        )
        goals.create_goal(session, _access(session, scenario, pair, "mentee"), data)
        session.commit()
        db.session.remove()


def test_meetings_and_goals_on_the_dashboard_and_timeline(live, browser):
    """A held meeting is contact and counts; an overdue goal is an at-risk reason; a pair that never met
    nor wrote is at risk for both; the timeline lists the meeting and goal without their titles (unmoderated)."""
    scenario = paired_course(live, browser, mentors=1, mentees=2, capacity=2)
    a, b = scenario.pairs
    for pair in (a, b):
        set_approved_at(live, pair, datetime.now(UTC) - timedelta(days=20))
    hold_meeting(live, scenario, a, days_ago=3)
    set_goal(live, scenario, a, title="Finish the portfolio draft", due_in_days=-5)
    set_goal(live, scenario, a, title="Practice the interview", due_in_days=10)

    page = open_page(scenario.coordinator, "/dashboard/", scenario.token)
    assert page.status == 200, page.text[:2000]
    soup = page.soup
    row_a = soup.find(id=f"pair-{a.id}")
    assert row_a["data-status"] == "active", "the meeting three days ago is contact"
    assert row_a.select_one("td[data-days]")["data-days"] == "3"
    assert row_a.select_one("td[data-meetings]")["data-meetings"] == "1"
    assert row_a.select_one("td[data-overdue]")["data-overdue"] == "1"
    reasons_a = [li.get_text(strip=True) for li in soup.select(f"#risk-pair-{a.id} li[data-reason]")]
    assert reasons_a == ["1 goal is overdue"]
    reasons_b = [li.get_text(strip=True) for li in soup.select(f"#risk-pair-{b.id} li[data-reason]")]
    assert reasons_b == [
        "No contact since they were matched 20 days ago",
        "No meeting held or planned since they were matched 20 days ago",
    ]
    # The pair with two reasons comes first.
    assert [tr["data-pair"] for tr in soup.select("#risk-table tr[data-pair]")] == [str(b.id), str(a.id)]
    assert soup.select_one("#stat-meetings .stat-value").get_text(strip=True) == "1"
    assert "1 of 2 pairs have met" in soup.select_one("#stat-meetings").get_text(" ", strip=True)
    assert soup.select_one("#stat-goals .stat-value").get_text(strip=True) == "2"
    assert "1 overdue" in soup.select_one("#stat-goals").get_text(" ", strip=True)

    timeline = open_page(scenario.coordinator, f"/dashboard/pairs/{a.id}", scenario.token)
    kinds = [li["data-kind"] for li in timeline.soup.select("#timeline li")]
    assert kinds[0] == "approved"
    assert kinds.count("goal") == 2 and "meeting_proposed" in kinds and "meeting_held" in kinds
    text = timeline.soup.find(id="timeline").get_text(" ", strip=True)
    assert "Meeting held" in text and "Goal set" in text
    assert "Finish the portfolio draft" not in text and "First chat" not in text, "titles are private content"
    times = [li.select_one("time")["datetime"] for li in timeline.soup.select("#timeline li")]
    assert times == sorted(times), "in time order"

    response = scenario.coordinator.http.get(
        f"{scenario.coordinator.tool_url}/dashboard/export/pairs.csv?ts={scenario.token}", timeout=30
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_id = {row["Pair id"]: row for row in rows}
    assert by_id[str(a.id)]["Meetings held"] == "1"
    assert by_id[str(a.id)]["Goals"] == "2" and by_id[str(a.id)]["Goals overdue"] == "1"
    assert by_id[str(b.id)]["Meetings held"] == "0"

    # The dashboard's one-row-per-pair aggregates agree with the meetings' and goals' own count functions.
    from lti_tool.mentoring.dashboard.metrics import _goals, _meetings
    from lti_tool.mentoring.goals import goal_counts
    from lti_tool.mentoring.meetings import meeting_counts

    with live.app.app_context():
        session = db.session()
        now = datetime.now(UTC)
        theirs_m = meeting_counts(session, scenario.course_id, now=now)
        ours_m = _meetings(session, scenario.course_id, now)
        theirs_g = goal_counts(session, scenario.course_id, today=now.date())
        ours_g = _goals(session, scenario.course_id, now.date())
        held = session.execute(select(MeetingOccurrence.outcome)).scalars().all()
        db.session.remove()
    assert "held" in held
    assert set(ours_m) == {("pair", a.id)} == set(theirs_m) and set(ours_g) == {("pair", a.id)} == set(theirs_g)
    mine, other = ours_m[("pair", a.id)], theirs_m[("pair", a.id)]
    assert (mine.held, mine.missed, mine.upcoming, mine.awaiting_outcome, mine.cancelled, mine.proposals) == (
        other.held,
        other.missed,
        other.upcoming,
        other.awaiting_outcome,
        other.cancelled,
        other.proposals,
    )
    assert abs((mine.last_held_at - other.last_held_at).total_seconds()) < 0.001
    goals_mine, goals_other = ours_g[("pair", a.id)], theirs_g[("pair", a.id)]
    for name in ("total", "not_started", "on_track", "at_risk", "done", "dropped", "overdue"):
        assert getattr(goals_mine, name) == getattr(goals_other, name), name


def test_evaluation_completion_results_and_missed_evaluations(live, browser):
    """Completion and mean score per checkpoint match the evaluations' own completion count; a mentee who let
    a checkpoint about their mentor pass its due date puts the pair at risk, by name; the timeline shows who
    submitted what (checkpoint titles, no answers)."""
    from lti_tool.mentoring.evaluations import checkpoints, instruments, responses

    scenario = paired_course(live, browser, mentors=1, mentees=2, capacity=2)
    a, b = scenario.pairs
    now = datetime.now(UTC)
    item = {"id": "q1", "type": "likert", "prompt": "How useful?", "help": "", "required": True, "points": 5}
    item["anchors"] = {"1": "Not at all", "5": "Very"}
    with live.app.app_context():
        session = db.session()
        instrument = instruments.create_instrument(session, scenario.course_id, "Check-in", "", [item])
        mid = checkpoints.create_checkpoint(
            session,
            scenario.course_id,
            instrument_id=instrument.id,
            title="Mid-course",
            audience="mentees_about_mentor",
            opens_at=now - timedelta(days=10),
            due_at=now - timedelta(days=2),
        )
        selfcheck = checkpoints.create_checkpoint(
            session,
            scenario.course_id,
            instrument_id=instrument.id,
            title="Self-assessment",
            audience="self_assessment",
            opens_at=now - timedelta(days=1),
            due_at=now + timedelta(days=7),
        )
        responses.save(session, mid, a.mentee_person, a.mentor_person, {"answer-q1": "4"}, final=True)
        responses.save(session, selfcheck, a.mentor_person, None, {"answer-q1": "5"}, final=True)
        responses.save(session, selfcheck, a.mentee_person, None, {"answer-q1": "3"}, final=True)
        responses.save(session, selfcheck, b.mentee_person, None, {"answer-q1": "2"}, final=False)  # a draft
        session.commit()
        mid_id, self_id = mid.id, selfcheck.id
        theirs = {c.checkpoint_id: c for c in checkpoints.completion_by_checkpoint(session, scenario.course_id)}
        db.session.remove()
    mentee_b = sandbox_name(live, b.mentee_sub)

    page = open_page(scenario.coordinator, "/dashboard/", scenario.token)
    assert page.status == 200, page.text[:2000]
    soup = page.soup
    mid_row, self_row = soup.find(id=f"checkpoint-{mid_id}"), soup.find(id=f"checkpoint-{self_id}")
    assert (mid_row["data-expected"], mid_row["data-submitted"]) == ("2", "1")
    assert (self_row["data-expected"], self_row["data-submitted"]) == ("3", "2")
    for row, checkpoint_id in ((mid_row, mid_id), (self_row, self_id)):
        assert int(row["data-expected"]) == theirs[checkpoint_id].expected
        assert int(row["data-submitted"]) == theirs[checkpoint_id].submitted
    assert mid_row.select_one("td[data-mean]")["data-mean"] == "0.7500"  # one answer of 4 on 1..5
    assert self_row.select_one("td[data-mean]")["data-mean"] == "0.7500"  # (1.0 + 0.5) / 2
    assert "1 draft" in self_row.get_text(" ", strip=True)
    assert soup.select_one("#stat-evaluations .stat-value").get_text(strip=True) == "60%"
    assert soup.find(id="chart-evaluations").find("svg")["role"] == "img"

    reasons_b = [li.get_text(strip=True) for li in soup.select(f"#risk-pair-{b.id} li[data-reason]")]
    assert reasons_b == [f"{mentee_b} did not complete “Mid-course”"]
    assert soup.find(id=f"risk-pair-{a.id}") is None
    assert soup.select_one(f"#pair-{a.id} td[data-evaluations]")["data-evaluations"] == "3/3"
    assert soup.select_one(f"#pair-{b.id} td[data-evaluations]")["data-evaluations"] == "1/3"

    timeline = open_page(scenario.coordinator, f"/dashboard/pairs/{a.id}", scenario.token)
    events = [li.get_text(" ", strip=True) for li in timeline.soup.select("#timeline li[data-kind=evaluation]")]
    assert len(events) == 3
    assert sum("Submitted the evaluation “Self-assessment”" in e for e in events) == 2
    assert "How useful" not in timeline.text

    response = scenario.coordinator.http.get(
        f"{scenario.coordinator.tool_url}/dashboard/export/evaluations.csv?ts={scenario.token}", timeout=30
    )
    rows = {r["Checkpoint"]: r for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert rows["Mid-course"]["Completion (%)"] == "50.0" and rows["Mid-course"]["Mean score (%)"] == "75.0"
    assert rows["Self-assessment"]["Who answers"] == "Self-assessment" and rows["Self-assessment"]["Drafts"] == "1"


def scenario_page(browser, href: str):
    from .support.browser import Page

    return Page(browser.http.get(browser.tool_url + href, timeout=30))


def test_people_in_mentoring_groups_count_as_matched(live, browser):
    """In a peer co-mentoring program, everyone placed in an approved group is matched (not at risk), and the
    groups are counted."""
    from .test_program_support import enter, fresh_course, settings_of

    course = fresh_course(live, browser, n_students=6)
    coordinator, token = enter(live, course, course.instructor)
    saved = settings_of(coordinator, token, structure="group", relationship_model="peer")
    assert saved.status == 200 and "saved" in saved.url, saved.text[:1500]
    for sub in course.students:
        student, student_token = enter(live, course, sub)
        assert open_page(student, "/space/", student_token).status == 200
    before = open_page(coordinator, "/dashboard/", token)
    assert before.soup.select_one("#stat-unmatched .stat-value").get_text(strip=True) == "6"

    from .test_dashboard_support import post_form

    ran = post_form(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    assert ran.status == 200, ran.text[:1500]
    approved = post_form(coordinator, ran, f"/matching/runs/{ran.soup.find(id='run')['data-run']}/approve")
    assert approved.status == 200 and "Groups approved." in approved.text

    after = open_page(coordinator, "/dashboard/", token)
    assert after.soup.select_one("#stat-unmatched .stat-value").get_text(strip=True) == "0"
    assert after.soup.select_one("#stat-groups").get_text(strip=True) == "2 mentoring groups"
    assert not after.soup.select("#risk-table tr[data-person]")
    rows = after.soup.select("#groups-table tbody tr")
    assert len(rows) == 2 and all(row["data-status"] == "active" for row in rows)
    assert sum(row.get_text(" ").count("(Peer)") for row in rows) == 6

    # Three weeks later one group has still never written nor met: it is silent and at risk.
    from sqlalchemy import update as sql_update

    from lti_tool.models.mentorships import MentoringGroup

    quiet = int(rows[0]["id"].removeprefix("group-"))
    with live.app.app_context():
        db.session.execute(
            sql_update(MentoringGroup)
            .where(MentoringGroup.id == quiet)
            .values(created_at=datetime.now(UTC) - timedelta(days=21))
        )
        db.session.commit()
        db.session.remove()
    later = open_page(coordinator, "/dashboard/", token)
    assert later.soup.find(id=f"group-{quiet}")["data-status"] == "silent"
    link = later.soup.select_one(f"#risk-group-{quiet} a")["href"]
    assert f"/dashboard/groups/{quiet}" in link
    timeline = scenario_page(coordinator, link)
    assert timeline.status == 200 and [li["data-kind"] for li in timeline.soup.select("#timeline li")] == ["approved"]
    assert timeline.soup.select("dl.pair-facts dt")[0].get_text(strip=True) == "Peer"
    assert "Group approved" in timeline.soup.find(id="timeline").get_text()
    space = scenario_page(coordinator, timeline.soup.find(id="space-link")["href"])
    assert space.status == 200, "the coordinator may open the group's space"
    from .test_program_support import enter as launch

    member, member_token = launch(live, course, course.students[0])
    assert open_page(member, f"/dashboard/groups/{quiet}", member_token).status == 403
    reasons = [li.get_text(strip=True) for li in later.soup.select(f"#risk-group-{quiet} li[data-reason]")]
    assert reasons == [
        "No contact since they were matched 21 days ago",
        "No meeting held or planned since they were matched 21 days ago",
    ]
