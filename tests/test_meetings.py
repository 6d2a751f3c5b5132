"""Meetings over real HTTP: proposals typed in one zone and shown in each person's own, weekly series that
keep their local time across a daylight-saving change, answers, another time, cancellations, notes and
"did it happen" after the time, the reminder and count functions, and bad input that keeps what was typed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from lti_tool.extensions import db
from lti_tool.mentoring import meetings as ms
from lti_tool.models import Meeting, MeetingOccurrence, Mentorship

from .test_discussions import location
from .test_goals_support import future_day, matched_course, meeting_id_of, propose, query_of


def _times(page) -> list[str]:
    return [t["datetime"] for t in page.soup.select("ol.occurrences li time")]


def _course_id(live, space_id: int) -> int:
    with live.app.app_context():
        found = db.session.get(Mentorship, space_id).course_id
        db.session.remove()
        return found


def test_bogota_proposal_is_shown_in_tokyo_time_and_accepted(live):
    """19:00 in Bogotá (UTC−5) on 10 March is 00:00 UTC and 09:00 on 11 March in Tokyo: each side sees their
    own time, with the other's beside it; the mentor in Tokyo accepts."""
    course = matched_course(live, zones={0: "Asia/Tokyo", 1: "America/Bogota"})
    pair = course.pairs[0]
    form = pair.mentee.get(f"{pair.base}/meetings/new")
    assert form.soup.find("input", id="time_zone")["value"] == "America/Bogota"  # the proposer's own zone
    sent = propose(pair.mentee, pair, date="2027-03-10", start="19:00", end="19:45", video="generate")
    meeting_id = meeting_id_of(sent)
    mine = pair.mentee.get(f"{pair.base}/meetings/{meeting_id}")
    assert mine.soup.find(id="my-time").time["datetime"] == "2027-03-11T00:00:00+00:00"
    mine_text = mine.soup.find(id="my-time").get_text()
    assert "Mar 10, 2027" in mine_text and "7:00" in mine_text and "PM" in mine_text
    partner = mine.soup.select_one(".partner-time").get_text()
    assert "Mar 11, 2027" in partner and "9:00" in partner
    assert mine.soup.find(id="answer") is None  # the proposer does not answer their own proposal
    link = mine.soup.find(id="video-link")["href"]
    assert (
        link.startswith("https://meet.jit.si/MentoringSpace-")
        and len(link) > len("https://meet.jit.si/MentoringSpace-") + 8
    )

    theirs = pair.mentor.get(f"{pair.base}/meetings/{meeting_id}")
    when = theirs.soup.find(id="my-time").get_text()
    assert "Mar 11, 2027" in when and "9:00" in when and "45 minutes" in when
    assert "America/Bogota" in theirs.soup.find(id="proposed-zone").get_text()
    accepted = pair.mentor.submit(theirs, "#answer form", {"answer": "accept"})
    assert query_of(accepted)["done"] == "accepted"
    after = pair.mentee.get(f"{pair.base}/meetings/")
    assert after.soup.select_one(f"#upcoming #meeting-{meeting_id}") is not None
    assert after.soup.select_one("[data-count=upcoming]").get_text() == "1"


def test_weekly_series_keeps_berlin_wall_clock_time_across_dst(live):
    """A weekly 10:00 Berlin series from 15 March 2027 (clocks change on 28 March): 09:00 UTC twice, then
    08:00 UTC, and every date shows 10:00 to someone in Berlin."""
    course = matched_course(live, zones={0: "Europe/Berlin", 1: "Europe/Berlin"})
    pair = course.pairs[0]
    sent = propose(
        pair.mentor,
        pair,
        date="2027-03-15",
        start="10:00",
        end="10:30",
        time_zone="Europe/Berlin",
        frequency="weekly",
        ends="count",
        count="4",
    )
    page = pair.mentee.get(f"{pair.base}/meetings/{meeting_id_of(sent)}")
    assert _times(page) == [
        "2027-03-15T09:00:00+00:00",
        "2027-03-22T09:00:00+00:00",
        "2027-03-29T08:00:00+00:00",
        "2027-04-05T08:00:00+00:00",
    ]
    labels = [t.get_text() for t in page.soup.select("ol.occurrences li time")]
    assert all("10:00" in label for label in labels), labels
    assert "CET" in labels[0] and "CEST" in labels[2]
    # An end date instead of a count: every two weeks until 26 April → 15 Mar, 29 Mar, 12 Apr, 26 Apr.
    sent = propose(
        pair.mentor,
        pair,
        date="2027-03-15",
        start="10:00",
        end="10:30",
        time_zone="Europe/Berlin",
        frequency="biweekly",
        ends="until",
        until="2027-04-26",
    )
    page = pair.mentee.get(f"{pair.base}/meetings/{meeting_id_of(sent)}")
    assert [t[:10] for t in _times(page)] == ["2027-03-15", "2027-03-29", "2027-04-12", "2027-04-26"]


def test_bad_meeting_input_is_refused_and_kept(live):
    """Unknown zone, a time in the past, an end before the start, a javascript: link, HTML in the title and a
    too-long series each get a message on their field; the form keeps everything typed."""
    course = matched_course(live)
    pair = course.pairs[0]
    typed = {
        "title": "<b onmouseover=alert(1)>Chat</b>",
        "date": "2027-05-01",
        "start": "15:00",
        "end": "14:00",
        "time_zone": "Mars/Olympus_Mons",
        "frequency": "weekly",
        "ends": "count",
        "count": "80",
        "video": "link",
        "video_url": "javascript:alert(1)",
        "agenda": "Talk about *goals*",
    }
    page = propose(pair.mentee, pair, **typed)
    assert page.status == 400
    errors = {p["id"].removesuffix("-error"): p.get_text() for p in page.soup.select(".field-error")}
    assert "plain text" in errors["title"]
    assert "not a time zone we know" in errors["time_zone"] and "Mars/Olympus_Mons" in errors["time_zone"]
    assert "end after it starts" in errors["end"]
    assert "from 2 to 52" in errors["count"]
    assert "https://" in errors["video_url"]
    for name in ("title", "date", "start", "end", "time_zone", "count", "video_url"):
        assert page.soup.find("input", id=name)["value"] == typed[name], name
    assert page.soup.find("textarea", id="agenda").get_text() == typed["agenda"]
    assert page.soup.find("input", id="frequency-weekly").has_attr("checked")
    assert "<b onmouseover" not in page.text

    past = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    page = propose(pair.mentee, pair, date=past, start="10:00", end="11:00", time_zone="UTC")
    assert page.status == 400 and "already passed" in page.soup.find(id="date-error").get_text()
    page = propose(
        pair.mentee,
        pair,
        date=future_day(),
        start="25:00",
        end="11:00",
        time_zone="UTC",
        video="link",
        video_url="https://exa mple.org",
    )
    assert page.status == 400
    assert "time such as" in page.soup.find(id="start-error").get_text()
    assert "https://" in page.soup.find(id="video_url-error").get_text()
    page = propose(pair.mentee, pair, frequency="weekly", ends="until", until="2020-01-01", time_zone="UTC")
    assert page.status == 400 and "on or after" in page.soup.find(id="until-error").get_text()
    with live.app.app_context():
        assert db.session.execute(select(Meeting).where(Meeting.space_id == pair.space_id)).first() is None
        db.session.remove()


def test_another_time_declines_the_first_proposal(live):
    """The mentee answers the mentor's proposal with another time: the first is declined, the new one waits
    for the mentor, who accepts it; the proposer cannot answer their own."""
    course = matched_course(live)
    pair = course.pairs[0]
    first = meeting_id_of(propose(pair.mentor, pair, title="Kick-off", agenda="- intro\n- goals"))
    assert pair.mentor.post(f"{pair.base}/meetings/{first}/respond", {"answer": "accept"}).status == 403
    form = pair.mentee.get(f"{pair.base}/meetings/new", replaces=str(first))
    assert form.status == 200 and form.soup.find("input", id="title")["value"] == "Kick-off"
    second = meeting_id_of(
        pair.mentee.submit(form, "form.meeting-form", {"date": future_day(31), "start": "17:00", "end": "18:00"})
    )
    old = pair.mentor.get(f"{pair.base}/meetings/{first}")
    assert old.soup.find(id="meeting-status").get_text().startswith("Declined")
    assert old.soup.find(id="answer") is None
    new = pair.mentor.get(f"{pair.base}/meetings/{second}")
    assert "Another time for “Kick-off”" in new.text
    assert new.soup.select_one("#agenda li") is not None
    location(pair.mentor.submit(new, "#answer form", {"answer": "accept"}))
    # A declined proposal cannot be accepted afterwards.
    assert pair.mentee.post(f"{pair.base}/meetings/{first}/respond", {"answer": "accept"}).status == 403


def test_cancel_one_date_then_the_series_then_record_what_happened(live):
    """Either member cancels one date or the series; after a meeting's time, notes (sanitised) and "did it
    happen" are recorded and counted; before its time they are refused."""
    course = matched_course(live)
    pair = course.pairs[0]
    meeting_id = meeting_id_of(propose(pair.mentee, pair, frequency="weekly", ends="count", count="3"))
    location(pair.mentor.post(f"{pair.base}/meetings/{meeting_id}/respond", {"answer": "accept"}))
    with live.app.app_context():
        occurrences = [
            o.id
            for o in db.session.execute(
                select(MeetingOccurrence)
                .where(MeetingOccurrence.meeting_id == meeting_id)
                .order_by(MeetingOccurrence.position)
            ).scalars()
        ]
        db.session.remove()
    # Notes before the meeting: refused with the reason.
    early = pair.mentee.post(
        f"{pair.base}/meetings/{meeting_id}/occurrences/{occurrences[0]}/record",
        {f"outcome-{occurrences[0]}": "held", f"notes-{occurrences[0]}": "too early"},
    )
    assert early.status == 409 and "once the meeting has started" in early.soup.find(id="problem").get_text()
    # The mentor cancels the second date.
    done = pair.mentor.post(f"{pair.base}/meetings/{meeting_id}/cancel", {"occurrence": str(occurrences[1])})
    assert query_of(done)["done"] == "cancelled_one"
    page = pair.mentee.get(f"{pair.base}/meetings/{meeting_id}")
    assert [li["data-status"] for li in page.soup.select("ol.occurrences li")] == [
        "scheduled",
        "cancelled",
        "scheduled",
    ]
    # The first date's time passes (moved to yesterday); the mentee records it.
    yesterday = datetime.now(UTC) - timedelta(days=1)
    with live.app.app_context():
        db.session.execute(
            update(MeetingOccurrence)
            .where(MeetingOccurrence.id == occurrences[0])
            .values(starts_at=yesterday, ends_at=yesterday + timedelta(hours=1))
        )
        db.session.commit()
        db.session.remove()
    page = pair.mentee.get(f"{pair.base}/meetings/{meeting_id}")
    form = page.soup.select_one(f"#occurrence-{occurrences[0]} form.record")
    assert form is not None
    bad = pair.mentee.post(
        f"{pair.base}/meetings/{meeting_id}/occurrences/{occurrences[0]}/record", {f"notes-{occurrences[0]}": "We met"}
    )
    assert bad.status == 400 and "Choose one of the options" in bad.text
    assert bad.soup.find("textarea", id=f"notes-{occurrences[0]}").get_text() == "We met"
    saved = pair.mentee.post(
        f"{pair.base}/meetings/{meeting_id}/occurrences/{occurrences[0]}/record",
        {
            f"outcome-{occurrences[0]}": "held",
            f"notes-{occurrences[0]}": "Agreed on **three** steps <img src=x onerror=alert(1)>",
        },
    )
    assert query_of(saved)["done"] == "recorded"
    page = pair.mentor.get(f"{pair.base}/meetings/{meeting_id}")
    first = page.soup.find(id=f"occurrence-{occurrences[0]}")
    assert first["data-outcome"] == "held" and first.select_one(".notes strong").get_text() == "three"
    assert "onerror" not in str(first.select_one(".notes")) and first.select_one(".notes img") is None
    # The mentee cancels the rest of the series: the held meeting keeps its notes.
    location(pair.mentee.post(f"{pair.base}/meetings/{meeting_id}/cancel", {}))
    page = pair.mentor.get(f"{pair.base}/meetings/{meeting_id}")
    assert page.soup.find(id="meeting-status").get_text().startswith("Cancelled")
    assert [li["data-status"] for li in page.soup.select("ol.occurrences li")] == [
        "scheduled",
        "cancelled",
        "cancelled",
    ]
    with live.app.app_context():
        counts = ms.space_meeting_counts(db.session(), _course_id(live, pair.space_id), "pair", pair.space_id)
        db.session.remove()
    assert (counts.held, counts.missed, counts.upcoming, counts.cancelled) == (1, 0, 0, 2)
    assert counts.last_held_at is not None


def test_upcoming_meetings_for_reminders(live):
    """``upcoming_meetings`` lists accepted, not cancelled dates in the window with both members; proposals,
    cancelled dates and ended pairings are left out."""
    course = matched_course(live, pairs=2)
    a, b = course.pairs
    day = future_day(40)
    accepted = meeting_id_of(
        propose(
            a.mentee,
            a,
            date=day,
            start="09:00",
            end="10:00",
            time_zone="UTC",
            frequency="weekly",
            ends="count",
            count="2",
        )
    )
    location(a.mentor.post(f"{a.base}/meetings/{accepted}/respond", {"answer": "accept"}))
    meeting_id_of(propose(b.mentee, b, date=day, start="09:30", end="10:00", time_zone="UTC"))  # never answered
    begin = datetime.fromisoformat(day).replace(tzinfo=UTC)
    with live.app.app_context():
        found = ms.upcoming_meetings(db.session(), starting_between=(begin, begin + timedelta(days=1)))
        db.session.remove()
    mine = [u for u in found if u.meeting_id == accepted]
    assert len(mine) == 1 and not [u for u in found if u.space_id == b.space_id]
    reminder = mine[0]
    assert reminder.starts_at == begin + timedelta(hours=9) and reminder.title == "First meeting"
    assert len(reminder.person_ids) == 2
    with live.app.app_context():
        db.session.execute(update(Mentorship).where(Mentorship.id == a.space_id).values(ended_at=datetime.now(UTC)))
        db.session.commit()
        found = ms.upcoming_meetings(db.session(), starting_between=(begin, begin + timedelta(days=1)))
        db.session.remove()
    assert not [u for u in found if u.meeting_id == accepted]
