"""iCalendar over real HTTP: the .ics download and the subscription feed, parsed back with ``icalendar``.

The feed is fetched without any tool session (as calendar apps do) through a secret link that is stored
hashed and can be reset; it lists only the person's own meetings, in courses where they are active.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import requests
from dateutil.rrule import rrulestr
from icalendar import Calendar
from sqlalchemy import select, update

from lti_tool.extensions import db
from lti_tool.models import CalendarFeed, MeetingOccurrence, Membership, Person

from .test_discussions import location
from .test_goals_support import future_day, matched_course, meeting_id_of, propose


def _events(body: bytes) -> dict[str, object]:
    cal = Calendar.from_ical(body)
    assert cal["VERSION"] == "2.0" and cal["PRODID"]
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def _feed_url(who) -> str:
    page = who.get("/calendar/")
    assert page.status == 200, page.text[:1000]
    return page.soup.find("input", id="feed-url")["value"]


def test_download_has_series_with_rrule_exdate_status_and_tzid(live):
    """A Berlin weekly series with one cancelled date and a single proposal, downloaded by the mentee: stable
    UIDs, RRULE with COUNT, EXDATE for the cancelled date, TZID times, TENTATIVE / CONFIRMED / CANCELLED."""
    course = matched_course(live, zones={0: "Europe/Berlin", 1: "America/Bogota"})
    pair = course.pairs[0]
    series = meeting_id_of(
        propose(
            pair.mentor,
            pair,
            title="Weekly check-in",
            date="2027-03-15",
            start="10:00",
            end="10:30",
            time_zone="Europe/Berlin",
            frequency="weekly",
            ends="count",
            count="4",
            video="link",
            video_url="https://example.org/room/42",
            agenda="Bring *questions*",
        )
    )
    single = meeting_id_of(propose(pair.mentee, pair, title="Portfolio review", date=future_day(50)))
    location(pair.mentee.post(f"{pair.base}/meetings/{series}/respond", {"answer": "accept"}))
    with live.app.app_context():
        third = db.session.execute(
            select(MeetingOccurrence.id).where(MeetingOccurrence.meeting_id == series, MeetingOccurrence.position == 2)
        ).scalar_one()
        db.session.remove()
    location(pair.mentee.post(f"{pair.base}/meetings/{series}/cancel", {"occurrence": str(third)}))

    response = pair.mentee.get("/calendar/meetings.ics")
    assert response.status == 200
    assert response.response.headers["Content-Type"].startswith("text/calendar")
    events = _events(response.response.content)
    host = urlsplit(live.tool_url).hostname
    weekly = events[f"meeting-{series}@{host}"]
    assert str(weekly["STATUS"]) == "CONFIRMED"
    start = weekly.decoded("DTSTART")
    assert start == datetime(2027, 3, 15, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert weekly["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert weekly.decoded("DTEND") - start == timedelta(minutes=30)
    rule = weekly["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"] and rule["COUNT"] == [4]
    excluded = weekly["EXDATE"]
    dates = [d.dt for d in (excluded if isinstance(excluded, list) else [excluded])[0].dts]
    assert dates == [datetime(2027, 3, 29, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))]  # after DST, still 10:00
    # A calendar expanding RRULE minus EXDATE gets exactly the dates still on: 10:00 Berlin across the change.
    expanded = list(rrulestr(weekly["RRULE"].to_ical().decode(), dtstart=start))
    assert [d for d in expanded if d not in dates] == [
        datetime(2027, 3, day, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")) for day in (15, 22)
    ] + [datetime(2027, 4, 5, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))]
    assert str(weekly["LOCATION"]) == "https://example.org/room/42"
    assert "Bring *questions*" in str(weekly["DESCRIPTION"])
    assert pair.mentor_sub not in str(weekly["SUMMARY"]) and "Weekly check-in" in str(weekly["SUMMARY"])
    assert int(weekly["SEQUENCE"]) >= 2  # accepted, then a date cancelled
    proposal = events[f"meeting-{single}@{host}"]
    assert str(proposal["STATUS"]) == "TENTATIVE" and "RRULE" not in proposal
    cal = Calendar.from_ical(response.response.content)
    assert "Europe/Berlin" in [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")]

    # The same UIDs on the next download; cancelling the proposal turns it CANCELLED with a higher SEQUENCE.
    location(pair.mentee.post(f"{pair.base}/meetings/{single}/cancel", {}))
    again = _events(pair.mentor.get("/calendar/meetings.ics").response.content)
    assert set(again) == set(events)
    assert str(again[f"meeting-{single}@{host}"]["STATUS"]) == "CANCELLED"
    assert int(again[f"meeting-{single}@{host}"]["SEQUENCE"]) > int(proposal["SEQUENCE"])


def test_feed_works_without_a_session_is_hashed_and_resettable(live):
    """The feed answers a plain GET with ``text/calendar``; the database holds only a hash of its token; a
    reset stops the old link; another pair's meetings never appear; leaving the course empties the feed."""
    course = matched_course(live, pairs=2)
    a, b = course.pairs
    mine = meeting_id_of(propose(a.mentee, a, title="Our meeting"))
    theirs = meeting_id_of(propose(b.mentee, b, title="Their meeting"))
    url = _feed_url(a.mentor)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert url == _feed_url(a.mentor)  # the same link every visit
    anonymous = requests.get(url, timeout=30)
    assert anonymous.status_code == 200 and anonymous.headers["Content-Type"].startswith("text/calendar")
    uids = set(_events(anonymous.content))
    host = urlsplit(live.tool_url).hostname
    assert f"meeting-{mine}@{host}" in uids and f"meeting-{theirs}@{host}" not in uids
    assert "Their meeting" not in anonymous.text
    with live.app.app_context():
        stored = db.session.execute(select(CalendarFeed.token_hash)).scalars().all()
        db.session.remove()
    assert token not in stored and hashlib.sha256(token.encode()).hexdigest() in stored

    page = a.mentor.get("/calendar/")
    assert "last fetched this link on" in page.soup.find(id="feed-fetched").get_text()
    done = a.mentor.submit(page, "form[action*='/calendar/feed/reset']")
    assert location(done)
    assert requests.get(url, timeout=30).status_code == 404
    new_url = _feed_url(a.mentor)
    assert new_url != url and requests.get(new_url, timeout=30).status_code == 200
    assert requests.get(url.rsplit("/", 1)[0] + "/not-a-token.ics", timeout=30).status_code == 404

    # The mentor leaves the course (roster sync marks the membership inactive): the feed lists nothing.
    with live.app.app_context():
        person_id = db.session.execute(select(Person.id).where(Person.sub == a.mentor_sub)).scalar_one()
        db.session.execute(update(Membership).where(Membership.person_id == person_id).values(is_active=False))
        db.session.commit()
        db.session.remove()
    left = requests.get(new_url, timeout=30)
    assert left.status_code == 200 and _events(left.content) == {}
