"""Switching for everyone, pairing history, late joiners and mentee choice, over real HTTP."""

from __future__ import annotations

from lti_tool.extensions import db
from lti_tool.models import Mentorship

from .support.browser import Page
from .support.demo import people
from .test_program_support import (
    enter,
    form_action,
    form_data,
    fresh_course,
    open_page,
    participant_of,
    settings_of,
    submit,
)


def _post(browser, page: Page, target: str, /, **extra) -> Page:
    data = [(k, v) for k, v in form_data(page, target) if k not in extra] + list(extra.items())
    return Page(browser.http.post(form_action(page, target), data=data, timeout=30))


def _active(live) -> set[tuple[int, int]]:
    with live.app.app_context():
        found = {(m.mentee_id, m.mentor_id) for m in db.session.query(Mentorship).filter_by(ended_at=None)}
        db.session.remove()
    return found


def test_teaching_assistant_mentor_asks_to_switch_and_mentee_gets_a_new_proposal(live, browser):
    """A TA (coordinator role in the LMS) designated as mentor asks to end a pairing; approving it proposes
    a new mentor for the mentee alone, and the pairing history keeps the ended pairing with the request."""
    course = fresh_course(live, browser, n_students=2)
    coordinator, token = enter(live, course, course.instructor)
    # Moodle sends "Instructor" for teaching assistants: both the TA and the instructor become mentors.
    saved = settings_of(coordinator, token, mentor_sources=["role"], mentor_lti_roles=["Instructor"])
    assert saved.status == 200, saved.text[:1500]
    ta, ta_token = enter(live, course, course.ta)
    for sub in course.students:
        student, student_token = enter(live, course, sub)
        assert open_page(student, "/space/", student_token).status == 200
    assert open_page(coordinator, "/program/mentors", token).status == 200  # applies the role designation
    ran = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    assert len(ran.soup.select("#pair-table tbody tr")) == 2, ran.text[:2000]
    ta_row = participant_of(live, course.context_id, course.ta)
    assert ta_row is not None and ta_row.role == "mentor"
    pair = next((tr for tr in ran.soup.select("#pair-table tbody tr") if tr.find("option", value=str(ta_row.id))), None)
    if pair is not None:  # the TA has room: make sure they mentor someone by giving them a mentee by hand
        fields = dict(form_data(ran, "/matching/run"))
        run_id = ran.soup.find(id="run")["data-run"]
        url = form_action(ran, "/matching/run").replace("/matching/run", f"/matching/runs/{run_id}/assign")
        data = {**fields, "pair_id": pair["id"].split("-")[1], "mentor_id": str(ta_row.id)}
        ran = Page(coordinator.http.post(url, data=data, timeout=30))
        assert "The changed pair is pinned" in ran.text, ran.text[:1500]
    _post(coordinator, ran, f"/matching/runs/{ran.soup.find(id='run')['data-run']}/approve")
    before = _active(live)
    ta_pairs = {pair for pair in before if pair[1] == ta_row.id}
    assert ta_pairs, "the TA mentors someone"

    home = open_page(ta, "/space/", ta_token)
    link = home.soup.find(id="ask-switch")
    assert link is not None, home.text[:2000]
    form_page = Page(ta.http.get(ta.tool_url + link["href"], timeout=30))
    assert form_page.status == 200, form_page.text[:500]
    sent = submit(ta, form_page, "/matching/switch", reason="I am away for a month.")
    assert sent.status == 200 and sent.soup.find(id="switch-sent"), sent.text[:1500]

    review = open_page(coordinator, "/matching/", token)
    row = review.soup.select_one("#switch-table tbody tr")
    assert "I am away for a month." in row.get_text()
    decided = _post(coordinator, review, f"/matching/switches/{row['id'].split('-')[1]}", decision="approve")
    assert "A new match for the mentee is proposed" in decided.text
    proposed = decided.soup.select("#pair-table tbody tr")
    assert len(proposed) == 1, "only the mentee of the ended pairing is proposed a match"
    ended_pair = next(iter(ta_pairs))
    after = _active(live)
    assert after == before - {ended_pair}, "nobody else moved"
    new_run = decided.soup.find(id="run")["data-run"]
    _post(coordinator, decided, f"/matching/runs/{new_run}/approve")
    (new_pair,) = _active(live) - after
    assert new_pair[0] == ended_pair[0] and new_pair[1] != ta_row.id, "the mentee got another mentor"

    history = open_page(coordinator, "/matching/history", token)
    assert history.status == 200
    rows = history.soup.select("#history-table tbody tr")
    assert len(rows) == 3  # two pairings, one ended and replaced
    ended_rows = [r for r in rows if r["data-active"] == "no"]
    assert len(ended_rows) == 1 and "I am away for a month." in ended_rows[0].get_text()
    assert "approved" in ended_rows[0].get_text()
    # Participants never see the history.
    student, student_token = enter(live, course, course.students[0])
    assert open_page(student, "/matching/history", student_token).status == 403


def test_late_joiners_are_offered_to_the_coordinator(live, browser):
    course = fresh_course(live, browser, n_students=3)
    coordinator, token = enter(live, course, course.instructor)
    student, student_token = enter(live, course, course.students[0])
    page = open_page(student, "/program/profile", student_token)
    assert submit(student, page, "/program/profile", offer_mentor="1", capacity="3", time_zone="UTC").status == 200
    mentor_row = participant_of(live, course.context_id, course.students[0])
    mentors = open_page(coordinator, "/program/mentors", token)
    _post(coordinator, mentors, f"/program/mentors/{mentor_row.id}/decision", decision="approve")
    for sub in course.students[1:]:
        browser_, t = enter(live, course, sub)
        open_page(browser_, "/space/", t)
    review = open_page(coordinator, "/matching/", token)
    assert review.soup.find(id="late-joiners") is None, "nothing to offer before any approval"
    ran = _post(coordinator, review, "/matching/run")
    approved = _post(coordinator, ran, f"/matching/runs/{ran.soup.find(id='run')['data-run']}/approve")
    assert approved.soup.find(id="late-joiners") is None
    before = _active(live)

    from lti_tool.sandbox.seed import create_course

    with live.app.app_context():
        create_course(db.session, course.context_id, len(course.students) + 2)  # two more students enrol
        db.session.remove()
    newcomers = sorted(set(people(live.app, "student", course.context_id)) - set(course.students))
    for sub in newcomers:
        enter(live, course, sub)
    review = open_page(coordinator, "/matching/", token)
    banner = review.soup.find(id="late-joiners")
    assert banner is not None and "2 people joined after matching" in banner.get_text()
    proposed = _post(coordinator, review, "/matching/run", scope="late")
    assert "Matches are proposed for the people who joined late." in proposed.text
    names = {tr.th.get_text(strip=True) for tr in proposed.soup.select("#pair-table tbody tr")}
    assert len(names) == 1, "the mentor has one place left: one newcomer gets it"
    late_unmatched = proposed.soup.select("#unmatched-table tbody tr")
    assert len(late_unmatched) == 1 and "full" in late_unmatched[0].get_text()
    _post(coordinator, proposed, f"/matching/runs/{proposed.soup.find(id='run')['data-run']}/approve")
    after = _active(live)
    assert before < after and len(after - before) == 1


def test_mentee_choice_suggestions_picks_and_capacity(live, browser):
    course = fresh_course(live, browser, n_students=5)
    coordinator, token = enter(live, course, course.instructor)
    saved = settings_of(
        coordinator, token, matching_mode="mentee_choice", goal_tags="research methods\ncareer planning"
    )
    assert saved.status == 200, saved.text[:1500]
    for index, goals in ((0, ["research methods"]), (1, ["career planning"])):
        student, student_token = enter(live, course, course.students[index])
        page = open_page(student, "/program/profile", student_token)
        done = submit(student, page, "/program/profile", offer_mentor="1", capacity="1", time_zone="UTC")
        assert done.status == 200, done.text[:1500]
    mentors = open_page(coordinator, "/program/mentors", token)
    ids = {}
    for index in (0, 1):
        ids[index] = participant_of(live, course.context_id, course.students[index]).id
        mentors = _post(coordinator, mentors, f"/program/mentors/{ids[index]}/decision", decision="approve")

    # A mentee sees "Choose your mentor" on the home card and, once the profile is saved, suggestions.
    mentee, mentee_token = enter(live, course, course.students[2])
    home = open_page(mentee, "/space/", mentee_token)
    assert home.soup.find(id="choose-mentor") is not None
    page = open_page(mentee, "/program/profile", mentee_token)
    assert page.soup.find(id="mentor-choice") is not None and "Choose your mentor" in page.text
    page = submit(mentee, page, "/program/profile", time_zone="UTC")
    suggestions = page.soup.select("#suggestions li")
    assert len(suggestions) == 2, page.text[:3000]
    assert all("1 place left" in li.get_text() for li in suggestions)
    assert all(li.find(class_="muted").get_text(strip=True) for li in suggestions)  # a reason for each
    # The two mentees both pick the first mentor first; a third picks nobody.
    for sub in (course.students[2], course.students[3]):
        b, t = enter(live, course, sub)
        p = open_page(b, "/program/profile", t)
        saved = submit(b, p, "/program/profile", time_zone="UTC", pref0=str(ids[0]), pref1=str(ids[1]))
        assert saved.status == 200, saved.text[:1500]
    nobody, nobody_token = enter(live, course, course.students[4])
    open_page(nobody, "/space/", nobody_token)

    ran = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    pairs = {
        tr.th.get_text(strip=True): tr.find_all("td")[0].get_text(strip=True)
        for tr in ran.soup.select("#pair-table tbody tr")
    }
    assert len(pairs) == 2 and len(set(pairs.values())) == 2, "capacity 1 each: the second picker gets their 2nd choice"
    reasons = " ".join(tr.find_all("td")[2].get_text() for tr in ran.soup.select("#pair-table tbody tr"))
    assert "1st choice" in reasons and "2nd choice" in reasons
    unmatched = ran.soup.select("#unmatched-table tbody tr")
    assert any("did not pick any mentor" in tr.get_text() for tr in unmatched)


def test_required_profiles_leave_people_without_one_unmatched_with_the_reason(live, browser):
    course = fresh_course(live, browser, n_students=3)
    coordinator, token = enter(live, course, course.instructor)
    assert settings_of(coordinator, token, profile_required="required").status == 200
    student, student_token = enter(live, course, course.students[0])
    page = open_page(student, "/program/profile", student_token)
    assert submit(student, page, "/program/profile", offer_mentor="1", capacity="2", time_zone="UTC").status == 200
    mentor_row = participant_of(live, course.context_id, course.students[0])
    _post(
        coordinator,
        open_page(coordinator, "/program/mentors", token),
        f"/program/mentors/{mentor_row.id}/decision",
        decision="approve",
    )
    with_profile, t1 = enter(live, course, course.students[1])
    assert (
        submit(
            with_profile, open_page(with_profile, "/program/profile", t1), "/program/profile", time_zone="UTC"
        ).status
        == 200
    )
    without, t2 = enter(live, course, course.students[2])  # lands on the profile page and leaves it
    assert open_page(without, "/space/", t2).url.split("?")[0].endswith("/program/profile")
    ran = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    assert len(ran.soup.select("#pair-table tbody tr")) == 1
    missing = participant_of(live, course.context_id, course.students[2])
    row = ran.soup.find(id=f"unmatched-{missing.id}")
    assert row is not None and "has not filled in their profile yet" in row.get_text()


def test_coordinator_ends_a_pairing_from_the_history(live, browser):
    course = fresh_course(live, browser, n_students=4)
    coordinator, token = enter(live, course, course.instructor)
    mentors = []
    for index in (0, 1):
        student, student_token = enter(live, course, course.students[index])
        page = open_page(student, "/program/profile", student_token)
        assert submit(student, page, "/program/profile", offer_mentor="1", capacity="2", time_zone="UTC").status == 200
        mentors.append(participant_of(live, course.context_id, course.students[index]).id)
    page = open_page(coordinator, "/program/mentors", token)
    for pid in mentors:
        page = _post(coordinator, page, f"/program/mentors/{pid}/decision", decision="approve")
    for sub in course.students[2:]:
        b, t = enter(live, course, sub)
        open_page(b, "/space/", t)
    ran = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    _post(coordinator, ran, f"/matching/runs/{ran.soup.find(id='run')['data-run']}/approve")
    before = _active(live)
    history = open_page(coordinator, "/matching/history", token)
    first = history.soup.select_one("#history-table tbody tr")
    ship_id = first["id"].removeprefix("ship-")
    with live.app.app_context():
        ship = db.session.get(Mentorship, int(ship_id))
        ended_pair = (ship.mentee_id, ship.mentor_id)
        db.session.remove()

    # Students cannot end pairings; an unknown id is not found.
    student, student_token = enter(live, course, course.students[2])
    fields = dict(form_data(history, f"/matching/history/pairs/{ship_id}/end"))
    url = form_action(history, f"/matching/history/pairs/{ship_id}/end")
    as_student = student.http.post(url.split("?")[0], data={**fields, "ts": student_token})
    assert as_student.status_code in (400, 403)
    assert coordinator.http.post(url.replace(f"/pairs/{ship_id}/", "/pairs/999999/"), data=fields).status_code == 404

    ended = _post(coordinator, history, f"/matching/history/pairs/{ship_id}/end")
    assert "The pairing has ended." in ended.text, ended.text[:1500]
    states = [tr.find_all("td")[3]["data-state"] for tr in ended.soup.select("#pair-table tbody tr")]
    # A new mentor for that mentee only; the ended pair is listed as forbidden, so no run proposes it again.
    assert sorted(states) == ["forbidden", "proposed"], states
    _post(coordinator, ended, f"/matching/runs/{ended.soup.find(id='run')['data-run']}/approve")
    after = _active(live)
    (new_pair,) = after - before
    assert before - after == {ended_pair} and new_pair[0] == ended_pair[0] and new_pair[1] != ended_pair[1]
    listed = open_page(coordinator, "/matching/history", token).soup.find(id=f"ship-{ship_id}")
    assert listed["data-active"] == "no"


def test_mentor_of_several_chooses_which_pairing_to_change(live, browser):
    course = fresh_course(live, browser, n_students=3)
    coordinator, token = enter(live, course, course.instructor)
    mentor, mentor_token = enter(live, course, course.students[0])
    page = open_page(mentor, "/program/profile", mentor_token)
    assert submit(mentor, page, "/program/profile", offer_mentor="1", capacity="2", time_zone="UTC").status == 200
    mentor_id = participant_of(live, course.context_id, course.students[0]).id
    _post(
        coordinator,
        open_page(coordinator, "/program/mentors", token),
        f"/program/mentors/{mentor_id}/decision",
        decision="approve",
    )
    for sub in course.students[1:]:
        b, t = enter(live, course, sub)
        open_page(b, "/space/", t)
    ran = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    _post(coordinator, ran, f"/matching/runs/{ran.soup.find(id='run')['data-run']}/approve")
    second = participant_of(live, course.context_id, course.students[2])
    with live.app.app_context():
        ship = db.session.query(Mentorship).filter_by(mentee_id=second.id, ended_at=None).one()
        ship_id = ship.id
        db.session.remove()

    home = open_page(mentor, "/space/", mentor_token)
    form_page = Page(mentor.http.get(mentor.tool_url + home.soup.find(id="ask-switch")["href"], timeout=30))
    options = {o["value"]: o.get_text() for o in form_page.soup.select("#switch-target option")}
    assert len(options) == 2 and f"pair-{ship_id}" in options
    sent = submit(mentor, form_page, "/matching/switch", target=f"pair-{ship_id}", reason="We never manage to meet.")
    assert sent.status == 200 and sent.soup.find(id="switch-sent")
    bogus = submit(mentor, form_page, "/matching/switch", target="pair-999999", reason="x")
    assert bogus.status == 400 and "Choose the pairing" in bogus.soup.find(id="switch-error").get_text()
    with live.app.app_context():
        from lti_tool.models import SwitchRequest

        (request,) = db.session.query(SwitchRequest).filter_by(requested_by=mentor_id).all()
        assert request.mentorship_id == ship_id
        db.session.remove()
    # A mentee with one pairing is not asked to choose.
    mentee, mentee_token = enter(live, course, course.students[1])
    home = open_page(mentee, "/space/", mentee_token)
    form_page = Page(mentee.http.get(mentee.tool_url + home.soup.find(id="ask-switch")["href"], timeout=30))
    assert form_page.soup.find(id="switch-target") is None and form_page.soup.find(id="switch-about")
