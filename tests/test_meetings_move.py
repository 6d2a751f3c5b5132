"""Moving one date of a meeting over real HTTP: the new time typed in the mover's zone and shown to each
person in theirs with "moved from", the others told (a notice on the space page and a mail), the calendar's
override event, reminders for the new time, who may move, and bad input refused with what was typed kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import requests
from dateutil.rrule import rrulestr
from icalendar import Calendar
from sqlalchemy import select, update

from lti_tool.extensions import db
from lti_tool.models import Meeting, MeetingOccurrence, NotificationOutbox, Person

from .test_discussions import accept_rules, actor, location, new_course
from .test_goals_support import future_day, matched_course, meeting_id_of, propose, query_of
from .test_space_support import end_pair

BERLIN = ZoneInfo("Europe/Berlin")


def _occurrences(live, meeting_id: int) -> list[MeetingOccurrence]:
    with live.app.app_context():
        rows = list(
            db.session.execute(
                select(MeetingOccurrence)
                .where(MeetingOccurrence.meeting_id == meeting_id)
                .order_by(MeetingOccurrence.position)
            ).scalars()
        )
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
    return rows


def _meeting(live, meeting_id: int) -> Meeting:
    with live.app.app_context():
        found = db.session.get(Meeting, meeting_id)
        db.session.expunge(found)
        db.session.remove()
    return found


def _mails(live, course_id: int) -> list[NotificationOutbox]:
    with live.app.app_context():
        rows = list(
            db.session.execute(
                select(NotificationOutbox)
                .where(NotificationOutbox.course_id == course_id, NotificationOutbox.kind == "meeting_moved")
                .order_by(NotificationOutbox.id)
            ).scalars()
        )
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
    return rows


def _render_mail(live, outbox_id: int):
    from lti_tool.notifications import delivery

    with live.app.test_request_context():
        row = db.session.get(NotificationOutbox, outbox_id)
        mail = delivery.render(db.session(), row, db.session.get(Person, row.person_id), live.app.config)
        db.session.remove()
    return mail


def _person(live, sub: str) -> tuple[int, str]:
    """The person's id and the name the tool shows for them."""
    with live.app.app_context():
        found = db.session.execute(select(Person).where(Person.sub == sub)).scalar_one()
        out = found.id, found.display_name
        db.session.remove()
    return out


def _accepted_series(pair, **values: str) -> int:
    meeting_id = meeting_id_of(propose(pair.mentor, pair, frequency="weekly", ends="count", **values))
    location(pair.mentee.post(f"{pair.base}/meetings/{meeting_id}/respond", {"answer": "accept"}))
    return meeting_id


def _move(who, pair, meeting_id: int, occurrence_id: int, **typed: str):
    """POST the move form of one date (``date``, ``start``, ``note``) as the page names its fields."""
    fields = {f"{name}-{occurrence_id}": value for name, value in typed.items()}
    return who.post(f"{pair.base}/meetings/{meeting_id}/occurrences/{occurrence_id}/move", fields)


def _moved_notices(who, pair) -> dict[int, str]:
    """The "moved a date" notices on the space page: occurrence id → text."""
    page = who.get(f"{pair.base}/")
    assert page.status == 200, page.text[:800]
    return {int(p["id"].split("-")[1]): " ".join(p.get_text().split()) for p in page.soup.select(".date-moved")}


def test_move_one_date_of_a_berlin_series_seen_from_bogota(live):
    """The mentor in Berlin moves the second date of a weekly 10:00 series to the next day at 11:00 (his
    time): stored in UTC with its length and original start, only that date moves, the mentee in Bogotá sees
    both times in hers ("moved from"), a notice on the space page and a mail; reminders follow the new time.
    A second move (by the mentee) keeps the true original; moving it back there clears "moved from"."""
    course = matched_course(live, zones={0: "Europe/Berlin", 1: "America/Bogota"})
    pair = course.pairs[0]
    meeting_id = _accepted_series(
        pair, date="2027-03-15", start="10:00", end="10:30", time_zone="Europe/Berlin", count="4"
    )
    before_meeting = _meeting(live, meeting_id)
    before = _occurrences(live, meeting_id)
    second = before[1]
    mentee_id, mentee_name = _person(live, pair.mentee_sub)
    mentor_id, mentor_name = _person(live, pair.mentor_sub)

    page = pair.mentor.get(f"{pair.base}/meetings/{meeting_id}")
    form = page.soup.select_one(f"#occurrence-{second.id} form.move")
    assert form is not None and form.find_parent("details").summary.get_text() == "Move this date"
    assert not form.find_parent("details").has_attr("open")
    assert form.find("input", id=f"date-{second.id}")["value"] == "2027-03-22"  # in the mover's zone
    assert form.find("input", id=f"start-{second.id}")["value"] == "10:00"
    assert form.find("input", attrs={"name": "csrf_token"})["value"]
    assert "Europe/Berlin" in form.legend.get_text() and "Mar 22, 2027" in form.legend.get_text()
    assert form.find("label", attrs={"for": f"note-{second.id}"}) is not None
    moved = pair.mentor.submit(
        page,
        f"#occurrence-{second.id} form.move",
        {f"date-{second.id}": "2027-03-23", f"start-{second.id}": "11:00", f"note-{second.id}": "Dentist at 10"},
    )
    assert query_of(moved)["done"] == "moved" and location(moved).endswith(f"#occurrence-{second.id}")
    done = pair.mentor.get(location(moved).split(live.tool_url, 1)[-1].split("#")[0])
    assert "The other people in this space are told" in done.soup.select_one(".notice-region").get_text()

    after = _occurrences(live, meeting_id)
    assert after[1].starts_at == datetime(2027, 3, 23, 10, 0, tzinfo=UTC)  # 11:00 CET
    assert after[1].ends_at - after[1].starts_at == timedelta(minutes=30)
    assert after[1].original_starts_at == datetime(2027, 3, 22, 9, 0, tzinfo=UTC)
    assert after[1].moved_by == mentor_id and after[1].move_note == "Dentist at 10"
    for was, now in zip(before[::2] + before[3:], after[::2] + after[3:], strict=True):  # the rest stays
        assert (now.starts_at, now.ends_at, now.original_starts_at) == (was.starts_at, was.ends_at, None)
    meeting = _meeting(live, meeting_id)
    assert meeting.sequence == before_meeting.sequence + 1 and meeting.starts_at == before_meeting.starts_at

    # The mentee, in Bogotá: the new and the original time in her zone, on that date only.
    theirs = pair.mentee.get(f"{pair.base}/meetings/{meeting_id}")
    row = theirs.soup.find(id=f"occurrence-{second.id}")
    assert row["data-status"] == "scheduled" and row.time["datetime"] == "2027-03-23T10:00:00+00:00"
    assert "5:00" in row.time.get_text()  # 10:00 UTC in Bogotá
    was = row.select_one(".moved-from")
    assert " ".join(was.get_text().split()).startswith("· moved from Mar 22, 2027")
    assert was.time["datetime"] == "2027-03-22T09:00:00+00:00" and "4:00" in was.time.get_text()
    assert theirs.soup.select(".moved-from") == [was]
    # ... told on the space page (the mover is not told about his own move)
    notices = _moved_notices(pair.mentee, pair)
    assert list(notices) == [second.id]
    assert notices[second.id].startswith(f"{mentor_name} moved a date of “First meeting” to Mar 23, 2027")
    assert "(it was Mar 22, 2027, 4:00:00" in notices[second.id]
    assert notices[second.id].endswith("Note about the move: Dentist at 10 See the meeting")
    assert "Note about the move: Dentist at 10" in row.select_one(".move-note").get_text()
    assert _moved_notices(pair.mentor, pair) == {}
    # ... and by mail, with both times in her zone and the note.
    mails = _mails(live, meeting.course_id)
    assert [m.person_id for m in mails] == [mentee_id]
    params = mails[0].context["params"]
    assert params["note"] == "Dentist at 10" and params["old"]["__datetime__"].startswith("2027-03-22T09:00")
    assert params["new"]["__datetime__"].startswith("2027-03-23T10:00")
    mail = _render_mail(live, mails[0].id)
    assert mail.subject == "Meeting moved: First meeting"
    assert f"{mentor_name} moved “First meeting” from Mar 22, 2027, 4:00:00" in mail.text
    assert "to Mar 23, 2027, 5:00:00" in mail.text and "Their note: Dentist at 10" in mail.text

    # Reminders follow the date: nothing around the old time, the moved date around the new one.
    from lti_tool.mentoring.meetings import upcoming_meetings

    def upcoming(start: datetime) -> list[tuple[int, datetime]]:
        with live.app.app_context():
            found = upcoming_meetings(db.session(), starting_between=(start, start + timedelta(hours=3)))
            db.session.remove()
        return [(u.occurrence_id, u.starts_at) for u in found if u.meeting_id == meeting_id]

    assert upcoming(datetime(2027, 3, 22, 8, 0, tzinfo=UTC)) == []
    assert upcoming(datetime(2027, 3, 23, 9, 0, tzinfo=UTC)) == [(second.id, after[1].starts_at)]

    # The mentee moves it again (typed in her zone): the original stays the series' date.
    location(_move(pair.mentee, pair, meeting_id, second.id, date="2027-03-24", start="06:00"))
    again = _occurrences(live, meeting_id)[1]
    assert again.starts_at == datetime(2027, 3, 24, 11, 0, tzinfo=UTC)  # 06:00 in Bogotá
    assert again.original_starts_at == datetime(2027, 3, 22, 9, 0, tzinfo=UTC) and again.moved_by == mentee_id
    assert again.move_note is None  # the mentor's note was about his move
    assert list(_moved_notices(pair.mentor, pair)) == [second.id] and _moved_notices(pair.mentee, pair) == {}
    assert f"{mentee_name} moved a date" in _moved_notices(pair.mentor, pair)[second.id]
    mine = pair.mentor.get(f"{pair.base}/meetings/{meeting_id}").soup.find(id=f"occurrence-{second.id}")
    assert "12:00" in mine.time.get_text() and mine.select_one(".moved-from time")["datetime"].startswith(
        "2027-03-22T09:00"
    )
    mails = _mails(live, meeting.course_id)
    assert [m.person_id for m in mails] == [mentee_id, mentor_id]
    assert mails[1].context["params"]["old"]["__datetime__"].startswith("2027-03-23T10:00")  # the time before

    # Back to its place in the series: no "moved from", no notice, and the mentee is told once more.
    location(_move(pair.mentor, pair, meeting_id, second.id, date="2027-03-22", start="10:00"))
    back = _occurrences(live, meeting_id)[1]
    assert (back.starts_at, back.original_starts_at) == (datetime(2027, 3, 22, 9, 0, tzinfo=UTC), None)
    assert pair.mentee.get(f"{pair.base}/meetings/{meeting_id}").soup.select(".moved-from") == []
    assert _moved_notices(pair.mentee, pair) == {} and _moved_notices(pair.mentor, pair) == {}
    mails = _mails(live, meeting.course_id)
    assert [m.person_id for m in mails] == [mentee_id, mentor_id, mentee_id]
    assert "Their note" not in _render_mail(live, mails[2].id).text


def test_the_calendar_shows_moved_dates_as_overrides(live):
    """In the .ics, a moved date of a series is an override VEVENT (same UID, RECURRENCE-ID = the start the
    RRULE gives it, DTSTART/DTEND the new time in the meeting's zone); a moved first date leaves the series'
    DTSTART alone; a moved date cancelled later is an EXDATE at its original start; a moved single meeting
    simply has its new DTSTART. Expanding the calendar gives exactly the dates in the database."""
    course = matched_course(live, zones={0: "Europe/Berlin", 1: "America/Bogota"})
    pair = course.pairs[0]
    series = _accepted_series(
        pair,
        title="Weekly check-in",
        date="2027-03-15",
        start="10:00",
        end="10:30",
        time_zone="Europe/Berlin",
        count="4",
    )
    first, second, third, _fourth = (o.id for o in _occurrences(live, series)[:4])
    location(_move(pair.mentor, pair, series, first, date="2027-03-16", start="10:00"))
    location(_move(pair.mentee, pair, series, second, date="2027-03-23", start="05:00"))  # Bogotá: 11:00 Berlin
    location(_move(pair.mentor, pair, series, third, date="2027-03-30", start="12:00"))
    location(pair.mentee.post(f"{pair.base}/meetings/{series}/cancel", {"occurrence": str(third)}))
    single = meeting_id_of(propose(pair.mentor, pair, title="Portfolio review", date=future_day(50)))
    location(pair.mentee.post(f"{pair.base}/meetings/{single}/respond", {"answer": "accept"}))
    only = _occurrences(live, single)[0]
    location(_move(pair.mentor, pair, single, only.id, date=future_day(52), start="08:15"))

    body = pair.mentee.get("/calendar/meetings.ics").response.content
    anonymous = requests.get(  # the subscription feed says the same
        pair.mentee.get("/calendar/").soup.find("input", id="feed-url")["value"], timeout=30
    )
    for ics in (body, anonymous.content):
        events = Calendar.from_ical(ics).walk("VEVENT")
        host = urlsplit(live.tool_url).hostname
        uid = f"meeting-{series}@{host}"
        mine = [e for e in events if str(e["UID"]) == uid]
        master = next(e for e in mine if "RECURRENCE-ID" not in e)
        overrides = {e.decoded("RECURRENCE-ID"): e for e in mine if "RECURRENCE-ID" in e}
        start = master.decoded("DTSTART")
        assert start == datetime(2027, 3, 15, 10, 0, tzinfo=BERLIN) and master["RRULE"]["COUNT"] == [4]
        assert sorted(overrides) == [
            datetime(2027, 3, 15, 10, 0, tzinfo=BERLIN),
            datetime(2027, 3, 22, 10, 0, tzinfo=BERLIN),
        ]
        for event in overrides.values():
            assert event["RECURRENCE-ID"].params["TZID"] == event["DTSTART"].params["TZID"] == "Europe/Berlin"
            assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=30)
            assert int(event["SEQUENCE"]) == int(master["SEQUENCE"]) and str(event["STATUS"]) == "CONFIRMED"
        assert overrides[datetime(2027, 3, 15, 10, 0, tzinfo=BERLIN)].decoded("DTSTART") == datetime(
            2027, 3, 16, 10, 0, tzinfo=BERLIN
        )
        assert overrides[datetime(2027, 3, 22, 10, 0, tzinfo=BERLIN)].decoded("DTSTART") == datetime(
            2027, 3, 23, 11, 0, tzinfo=BERLIN
        )
        exdate = master["EXDATE"]
        excluded = [d.dt for each in (exdate if isinstance(exdate, list) else [exdate]) for d in each.dts]
        assert excluded == [datetime(2027, 3, 29, 10, 0, tzinfo=BERLIN)]  # where the RRULE puts it, not 30th
        # What a calendar shows: the RRULE's dates minus EXDATEs, overrides in place of their instances.
        shown = sorted(
            overrides[d].decoded("DTSTART") if d in overrides else d
            for d in rrulestr(master["RRULE"].to_ical().decode(), dtstart=start)
            if d not in excluded
        )
        stored = [o.starts_at for o in _occurrences(live, series) if o.status == "scheduled"]
        assert shown == stored
        moved_single = [e for e in events if str(e["UID"]) == f"meeting-{single}@{host}"]
        assert len(moved_single) == 1 and "RRULE" not in moved_single[0] and "RECURRENCE-ID" not in moved_single[0]
        assert moved_single[0].decoded("DTSTART") == _occurrences(live, single)[0].starts_at


def test_bad_moves_are_refused_with_what_was_typed(live):
    """Empty, unparsable, past, too distant, same-time and overlapping times and HTML in the note get a
    message on their field, the typed values stay in the open form, nothing changes and nobody is told; a
    cancelled or past date gets the reason (409); a proposal not accepted yet cannot have a date moved (403)."""
    course = matched_course(live, zones={0: "UTC", 1: "UTC"})
    pair = course.pairs[0]
    first_day = future_day(30)
    meeting_id = _accepted_series(pair, date=first_day, start="09:00", end="10:00", time_zone="UTC", count="3")
    occurrences = _occurrences(live, meeting_id)
    oid = occurrences[1].id
    path = f"{pair.base}/meetings/{meeting_id}/occurrences/{oid}/move"
    third_day = occurrences[2].starts_at.date().isoformat()
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    far = (datetime.now(UTC) + timedelta(days=3 * 365)).date().isoformat()
    sequence = _meeting(live, meeting_id).sequence
    cases = [
        ({"date": "", "start": "", "note": "Sorry!"}, {"date": "Enter a date.", "start": "time such as"}),
        ({"date": "2027-13-45", "start": "25:00", "note": "Sorry!"}, {"date": "such as", "start": "time such as"}),
        ({"date": yesterday, "start": "09:00"}, {"date": "already passed"}),
        ({"date": far, "start": "09:00"}, {"date": "within the next two years"}),
        ({"date": occurrences[1].starts_at.date().isoformat(), "start": "09:00"}, {"date": "already at that time"}),
        ({"date": third_day, "start": "08:30"}, {"date": "between the previous and the next"}),
        ({"date": first_day, "start": "09:30"}, {"date": "between the previous and the next"}),
        ({"date": third_day, "start": "12:00"}, {"date": "between the previous and the next"}),  # past the next
        ({"date": third_day, "start": "07:00", "note": "<b>late</b>"}, {"note": "plain text"}),
        ({"date": third_day, "start": "07:00", "note": "x" * 501}, {"note": "under 501 characters"}),
    ]
    for typed, expected in cases:
        page = pair.mentee.post(path, {f"{k}-{oid}": v for k, v in typed.items()})
        assert page.status == 400, (typed, page.status)
        errors = {p["id"].removesuffix("-error"): p.get_text() for p in page.soup.select(".field-error")}
        assert set(errors) == {f"{k}-{oid}" for k in expected}, (typed, errors)
        for field, text in expected.items():
            assert text in errors[f"{field}-{oid}"], (typed, errors)
            assert f"{field}-{oid}-error" in page.soup.find(id=f"{field}-{oid}")["aria-describedby"].split()
        for field, value in typed.items():
            assert page.soup.find("input", id=f"{field}-{oid}")["value"] == value, (typed, field)
        assert page.soup.find(id=f"occurrence-{oid}").find("details").has_attr("open")
        summary = page.soup.select_one(f"#occurrence-{oid} #form-errors")
        assert summary is not None and summary.find_parent(attrs={"role": "alert"}) is not None
        assert "<b>late</b>" not in page.text
    assert [(o.starts_at, o.original_starts_at) for o in _occurrences(live, meeting_id)] == [
        (o.starts_at, None) for o in occurrences
    ]
    assert _meeting(live, meeting_id).sequence == sequence
    assert _mails(live, _meeting(live, meeting_id).course_id) == []
    # A time between the neighbours that does not overlap them is fine.
    location(pair.mentee.post(path, {f"date-{oid}": third_day, f"start-{oid}": "07:00"}))

    # A cancelled date, and a date whose time has passed: the reason, not the form.
    location(pair.mentor.post(f"{pair.base}/meetings/{meeting_id}/cancel", {"occurrence": str(occurrences[2].id)}))
    cancelled = _move(pair.mentee, pair, meeting_id, occurrences[2].id, date=future_day(100), start="09:00")
    assert cancelled.status == 409 and "can no longer be moved" in cancelled.soup.find(id="problem").get_text()
    assert cancelled.soup.select(f"#occurrence-{occurrences[2].id} form.move") == []
    when = datetime.now(UTC) - timedelta(hours=3)
    with live.app.app_context():
        db.session.execute(
            update(MeetingOccurrence)
            .where(MeetingOccurrence.id == occurrences[0].id)
            .values(starts_at=when, ends_at=when + timedelta(hours=1))
        )
        db.session.commit()
        db.session.remove()
    held = _move(pair.mentor, pair, meeting_id, occurrences[0].id, date=future_day(1), start="09:00")
    assert held.status == 409 and "can no longer be moved" in held.text
    assert _occurrences(live, meeting_id)[0].starts_at == when
    # Another meeting's date through this meeting's URL: not found.
    other = meeting_id_of(propose(pair.mentor, pair, date=future_day(70), time_zone="UTC"))
    other_occurrence = _occurrences(live, other)[0].id
    assert _move(pair.mentor, pair, meeting_id, other_occurrence, date=future_day(71), start="09:00").status == 404
    assert _move(pair.mentor, pair, meeting_id, oid + 100_000, date=future_day(71), start="09:00").status == 404

    # A proposal nobody answered yet has no "Move this date" and refuses a move.
    page = pair.mentee.get(f"{pair.base}/meetings/{other}")
    assert page.soup.select("form.move") == []
    assert _move(pair.mentor, pair, other, other_occurrence, date=future_day(41), start="09:00").status == 403
    assert _occurrences(live, other)[0].original_starts_at is None


class _Group:
    def __init__(self, group_id: int) -> None:
        self.base = f"/spaces/group/{group_id}"


def test_a_group_member_moves_a_single_meeting_and_the_others_are_told(live):
    """In a group of three, a peer who did not propose moves the only date of a meeting: its new time is the
    meeting's time (meeting page, list of meetings), and the other two peers each get a notice and a mail."""
    from .support.demo import people
    from .test_space_support import make_group

    context = new_course(live, 3)
    subs = people(live.app, "student", context)
    peers = [actor(live, sub, context=context) for sub in subs]
    for who in peers:
        accept_rules(who)
    space = _Group(make_group(live, context, {sub: "peer" for sub in subs}))
    day = future_day(20)
    meeting_id = meeting_id_of(propose(peers[0], space, date=day, start="09:00", end="09:45", time_zone="UTC"))
    location(peers[1].post(f"{space.base}/meetings/{meeting_id}/respond", {"answer": "accept"}))
    only = _occurrences(live, meeting_id)[0]
    new_day = future_day(22)
    note = 'Exam that day & room "B" > 20 people'
    location(_move(peers[2], space, meeting_id, only.id, date=new_day, start="09:00", note=note))
    new_start = datetime.fromisoformat(f"{new_day}T09:00").replace(tzinfo=UTC)
    meeting = _meeting(live, meeting_id)
    assert meeting.starts_at == new_start  # a single meeting's time is its date's
    moved = _occurrences(live, meeting_id)[0]
    assert (moved.starts_at, moved.ends_at) == (new_start, new_start + timedelta(minutes=45))
    assert moved.original_starts_at == datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=UTC)
    page = peers[0].get(f"{space.base}/meetings/{meeting_id}")
    assert page.soup.find(id="my-time").time["datetime"] == new_start.isoformat()
    assert page.soup.select_one(".moved-from time")["datetime"] == moved.original_starts_at.isoformat()
    row = peers[1].get(f"{space.base}/meetings/").soup.find(id=f"meeting-{meeting_id}")
    assert row.time["datetime"] == new_start.isoformat()
    assert row.select_one(".moved-from time")["datetime"] == moved.original_starts_at.isoformat()

    mover_name = _person(live, subs[2])[1]
    for who in peers[:2]:
        notices = _moved_notices(who, space)
        assert list(notices) == [only.id] and notices[only.id].startswith(f"{mover_name} moved a date")
        assert f"Note about the move: {note}" in notices[only.id]  # shown as text
    assert _moved_notices(peers[2], space) == {}
    mails = _mails(live, meeting.course_id)
    assert sorted(m.person_id for m in mails) == sorted(_person(live, s)[0] for s in subs[:2])
    assert {m.context["params"]["note"] for m in mails} == {note}
    mail = _render_mail(live, mails[0].id)
    assert mail.subject == "Meeting moved: First meeting"
    assert f"{mover_name} moved “First meeting” from" in mail.text and f"Their note: {note}" in mail.text
    assert "Open Mentoring Space from your course to see the meeting." in mail.text
    assert "Exam that day &amp; room" in mail.html and "&gt; 20 people" in mail.html  # escaped in HTML


def test_who_may_move_a_date(live):
    """The coordinator of a moderated program may move a date (both members are told, by the coordinator's
    name); after the pairing ends nobody may (403); a move without the form's CSRF token is refused (400).
    (Other pairs, other courses and coordinators of unmoderated programs: the permission matrix.)"""
    course = matched_course(live, moderated=True)
    pair = course.pairs[0]
    meeting_id = _accepted_series(pair, date=future_day(30), start="09:00", end="10:00", time_zone="UTC", count="2")
    first = _occurrences(live, meeting_id)[0]
    page = course.coordinator.get(f"{pair.base}/meetings/{meeting_id}")
    assert page.soup.select_one(f"#occurrence-{first.id} form.move") is not None
    assert page.soup.select("form[action$='/cancel']") == []  # moving, not cancelling
    location(_move(course.coordinator, pair, meeting_id, first.id, date=future_day(31), start="09:00"))
    coordinator_id = _occurrences(live, meeting_id)[0].moved_by
    with live.app.app_context():
        coordinator = db.session.get(Person, coordinator_id)
        coordinator_name, coordinator_sub = coordinator.display_name, coordinator.sub
        db.session.remove()
    assert coordinator_sub not in (pair.mentor_sub, pair.mentee_sub)
    for who in (pair.mentee, pair.mentor):
        assert list(notices := _moved_notices(who, pair)) == [first.id]
        assert notices[first.id].startswith(f"{coordinator_name} moved a date")
    mails = _mails(live, _meeting(live, meeting_id).course_id)
    assert sorted(m.person_id for m in mails) == sorted(
        _person(live, sub)[0] for sub in (pair.mentor_sub, pair.mentee_sub)
    )

    # No CSRF token: refused, nothing moved.
    second = _occurrences(live, meeting_id)[1]
    forged = requests.post(
        f"{live.tool_url}{pair.base}/meetings/{meeting_id}/occurrences/{second.id}/move",
        data={"ts": pair.mentee.token, f"date-{second.id}": future_day(40), f"start-{second.id}": "09:00"},
        timeout=30,
        allow_redirects=False,
    )
    assert forged.status_code == 400
    assert _occurrences(live, meeting_id)[1].starts_at == second.starts_at

    # An ended pairing keeps its history readable and takes no moves.
    end_pair(live, pair.space_id)
    page = pair.mentee.get(f"{pair.base}/meetings/{meeting_id}")
    assert page.status == 200 and page.soup.select("form.move") == []
    assert _move(pair.mentee, pair, meeting_id, second.id, date=future_day(40), start="09:00").status == 403
    # (a coordinator writes only in an active space: as for every other write, the ended one is "not found")
    assert _move(course.coordinator, pair, meeting_id, second.id, date=future_day(40), start="09:00").status == 404
    assert _occurrences(live, meeting_id)[1].starts_at == second.starts_at
