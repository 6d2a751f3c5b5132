"""Matching over real HTTP: a coordinator runs matching, reviews pairs with reasons, approves; people see it."""

from __future__ import annotations

from .support.browser import Page
from .support.demo import people
from .test_program_support import enter, form_action, form_data, fresh_course, open_page, participant_of, submit


def _post(browser, page: Page, target: str, /, **extra) -> Page:
    data = form_data(page, target) + list(extra.items())
    return Page(browser.http.post(form_action(page, target), data=data, timeout=30))


def _setup(live, browser):
    """Two students volunteer (one approved), two mentees: one fills a profile, one skips."""
    course = fresh_course(live, browser, n_students=4)
    for index in (0, 1):
        student, token = enter(live, course, course.students[index])
        page = open_page(student, "/program/profile", token)
        saved = submit(student, page, "/program/profile", offer_mentor="1", capacity="2", time_zone="Europe/Madrid")
        assert saved.status == 200, saved.text[:1500]
    mentee, mentee_token = enter(live, course, course.students[2])
    saved = submit(mentee, open_page(mentee, "/program/profile", mentee_token), "/program/profile", time_zone="UTC")
    assert saved.status == 200, saved.text[:1500]
    skipper, skipper_token = enter(live, course, course.students[3])
    skipped = _post(skipper, open_page(skipper, "/program/profile", skipper_token), "/program/profile", action="skip")
    assert skipped.status == 200, skipped.text[:1500]

    coordinator, token = enter(live, course, course.instructor)
    mentor_row = participant_of(live, course.context_id, course.students[0])
    mentors = open_page(coordinator, "/program/mentors", token)
    action = f"/program/mentors/{mentor_row.id}/decision"
    decided = _post(coordinator, mentors, action, decision="approve")
    assert decided.status == 200 and "Decision saved." in decided.text
    return course, coordinator, token, (mentee, mentee_token), (skipper, skipper_token)


def test_coordinator_runs_reviews_and_approves(live, browser):
    course, coordinator, token, (mentee, mentee_token), _skipper = _setup(live, browser)
    mentor_name_row = participant_of(live, course.context_id, course.students[0])
    assert mentor_name_row.mentor_status == "approved"

    review = open_page(coordinator, "/matching/", token)
    assert review.status == 200, review.text[:1500]
    assert review.soup.find(id="no-run") is not None
    assert review.soup.find("a", href=lambda h: h and "/matching/" in h, attrs={"aria-current": "page"})

    ran = _post(coordinator, review, "/matching/run")
    assert ran.status == 200, ran.text[:1500]
    assert "Matching finished." in ran.text
    table = ran.soup.find(id="pair-table")
    assert table is not None and table.find("caption")
    assert all(th.get("scope") for th in table.find_all("th"))
    rows = table.select("tbody tr")
    # One approved mentor with two places; three mentees (the declined-by-default volunteer is a mentee).
    assert len(rows) == 2
    assert all(r["data-approved"] == "no" for r in rows)
    assert all(r.find_all("td")[2].get_text(strip=True) for r in rows)  # every pair has a reason
    unmatched = ran.soup.find(id="unmatched-table")
    assert unmatched is not None and len(unmatched.select("tbody tr")) == 1
    assert unmatched.select_one("tbody tr td:nth-of-type(2)").get_text(strip=True)

    run_id = ran.soup.find(id="run")["data-run"]
    approved = _post(coordinator, ran, f"/matching/runs/{run_id}/approve")
    assert approved.status == 200 and "Pairs approved." in approved.text
    assert all(r["data-approved"] == "yes" for r in approved.soup.select("#pair-table tbody tr"))
    again = _post(coordinator, approved, f"/matching/runs/{run_id}/approve")  # idempotent
    assert again.status == 200 and len(again.soup.select("#pair-table tbody tr[data-approved=yes]")) == 2

    from lti_tool.extensions import db
    from lti_tool.models import Mentorship

    with live.app.app_context():
        ships = db.session.query(Mentorship).filter_by(source_run_id=int(run_id)).all()
        mentee_ids = {m.mentee_id for m in ships}
        db.session.remove()
    assert len(ships) == 2 and len(mentee_ids) == 2

    # A new run leaves matched mentees alone and the mentor has no places left.
    rerun = _post(coordinator, again, "/matching/run")
    assert rerun.status == 200 and not rerun.soup.select("#pair-table tbody tr")

    # Each matched mentee sees their mentor's name on the home page; the mentor sees their mentees.
    pairs = [(r.th.get_text(strip=True), r.find_all("td")[0].get_text(strip=True)) for r in rows]
    mentor_name = pairs[0][1]
    mentor_browser, mentor_token = enter(live, course, course.students[0])
    mentee_row = participant_of(live, course.context_id, course.students[2])
    for sub in (course.students[2], course.students[3], course.students[1]):
        row = participant_of(live, course.context_id, sub)
        person_browser, person_token = enter(live, course, sub)
        page = open_page(person_browser, "/space/", person_token)
        card = page.soup.find(id="my-match")
        assert card is not None, page.text[:1500]
        if row.id in mentee_ids:
            assert f"Your mentor: {mentor_name}" in card.get_text()
        else:
            assert "Not matched yet" in card.get_text()
    assert mentee_row is not None
    mentor_page = open_page(mentor_browser, "/space/", mentor_token)
    listed = [li.get_text(strip=True) for li in mentor_page.soup.select("#my-match li")]
    assert sorted(listed) == sorted(name for name, _m in pairs)


def test_students_get_403_on_matching(live, browser):
    course, coordinator, token, (mentee, mentee_token), _skipper = _setup(live, browser)
    ran = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    run_id = ran.soup.find(id="run")["data-run"]
    csrf = form_data(ran, "/matching/run")

    assert open_page(mentee, "/matching/", mentee_token).status == 403
    home = open_page(mentee, "/space/", mentee_token)
    assert home.status == 200 and "/matching/" not in home.text
    student_fields = [(k, v) for k, v in csrf if k != "ts"] + [("ts", mentee_token)]
    base = form_action(ran, "/matching/run").rsplit("/matching/", 1)[0]
    for path in ("/matching/run", f"/matching/runs/{run_id}/approve"):
        response = mentee.http.post(f"{base}{path}?ts={mentee_token}", data=student_fields, timeout=30)
        assert response.status_code in (400, 403)
    # With the student's own CSRF token, the refusal is the role check itself.
    own = open_page(mentee, "/program/profile", mentee_token)
    own_fields = [(k, v) for k, v in form_data(own, "/program/profile") if k in ("csrf_token", "ts")]
    for path in ("/matching/run", f"/matching/runs/{run_id}/approve"):
        response = mentee.http.post(f"{base}{path}", data=own_fields, timeout=30)
        assert response.status_code == 403, response.text[:500]

    from lti_tool.extensions import db
    from lti_tool.models import Mentorship

    with live.app.app_context():
        assert db.session.query(Mentorship).filter_by(source_run_id=int(run_id)).count() == 0
        db.session.remove()

    # Without a CSRF token the coordinator's own POST is refused too.
    refused = coordinator.http.post(
        form_action(ran, f"/matching/runs/{run_id}/approve"), data=[("ts", token)], timeout=30
    )
    assert refused.status_code == 400


def _pair_rows(page: Page) -> dict[str, tuple[str, str, str]]:
    """Row id -> (mentee, mentor, state) of the review page's pair table."""
    rows = {}
    for row in page.soup.select("#pair-table tbody tr"):
        cells = row.find_all("td")
        rows[row["id"]] = (row.th.get_text(strip=True), cells[0].get_text(strip=True), cells[3]["data-state"])
    return rows


def test_coordinator_pins_and_forbids_pairs(live, browser):
    """A forbidden pair is never proposed again nor approved; a pinned pair is kept by the next run."""
    course, coordinator, token, _mentee, _skipper = _setup(live, browser)
    ran = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    run_id = ran.soup.find(id="run")["data-run"]
    first = _pair_rows(ran)
    assert len(first) == 2 and all(state == "proposed" for *_x, state in first.values())
    (pin_id, pinned), (forbid_id, forbidden) = sorted(first.items())

    decided = _post(coordinator, ran, f"/matching/runs/{run_id}/pairs/{pin_id.split('-')[1]}", state="pinned")
    assert decided.status == 200 and "Saved." in decided.text
    decided = _post(coordinator, decided, f"/matching/runs/{run_id}/pairs/{forbid_id.split('-')[1]}", state="forbidden")
    states = {pair[:2]: pair[2] for pair in _pair_rows(decided).values()}
    assert states == {pinned[:2]: "pinned", forbidden[:2]: "forbidden"}

    rerun = _post(coordinator, decided, "/matching/run")
    again = {pair[:2]: pair[2] for pair in _pair_rows(rerun).values()}
    assert again[pinned[:2]] == "pinned", "the pinned pair is kept"
    assert again[forbidden[:2]] == "forbidden", "the forbidden pair is listed as forbidden, not proposed"
    assert list(again.values()).count("forbidden") == 1

    new_run = rerun.soup.find(id="run")["data-run"]
    assert new_run != run_id
    _post(coordinator, rerun, f"/matching/runs/{new_run}/approve")
    from lti_tool.extensions import db
    from lti_tool.models import Mentorship

    with live.app.app_context():
        ships = db.session.query(Mentorship).filter_by(source_run_id=int(new_run)).all()
        db.session.remove()
    assert len(ships) == len([s for s in again.values() if s != "forbidden"]), "forbidden pairs are not approved"


def test_pair_decisions_are_checked(live, browser):
    """An unknown decision is a 400 and a pair of another run or course a 404; nothing changes."""
    _course, coordinator, token, _mentee, _skipper = _setup(live, browser)
    ran = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    run_id = ran.soup.find(id="run")["data-run"]
    pair_id = next(iter(_pair_rows(ran))).split("-")[1]
    fields = form_data(ran, "/matching/run")
    base = form_action(ran, "/matching/run").rsplit("/matching/", 1)[0]
    bad = coordinator.http.post(f"{base}/matching/runs/{run_id}/pairs/{pair_id}", data=fields + [("state", "x")])
    assert bad.status_code == 400
    missing = coordinator.http.post(f"{base}/matching/runs/{run_id}/pairs/999999", data=fields + [("state", "pinned")])
    assert missing.status_code == 404
    other_run = coordinator.http.post(
        f"{base}/matching/runs/999999/pairs/{pair_id}", data=fields + [("state", "pinned")]
    )
    assert other_run.status_code == 404
    assert all(state == "proposed" for *_x, state in _pair_rows(open_page(coordinator, "/matching/", token)).values())


def test_mentee_asks_to_switch_and_is_rematched_without_moving_others(live, browser):
    """A mentee's switch request (reason seen only by the coordinator) ends the pairing once approved; the
    next run re-matches that mentee with another mentor and leaves every other pairing as it was."""
    course, coordinator, token, (mentee, mentee_token), (skipper, _st) = _setup(live, browser)
    second = participant_of(live, course.context_id, course.students[1])
    mentors = open_page(coordinator, "/program/mentors", token)
    assert _post(coordinator, mentors, f"/program/mentors/{second.id}/decision", decision="approve").status == 200

    ran = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    _post(coordinator, ran, f"/matching/runs/{ran.soup.find(id='run')['data-run']}/approve")
    from lti_tool.extensions import db
    from lti_tool.models import Mentorship

    mentee_row = participant_of(live, course.context_id, course.students[2])
    with live.app.app_context():
        before = {(m.mentee_id, m.mentor_id) for m in db.session.query(Mentorship).filter_by(ended_at=None)}
        db.session.remove()
    old_mentor = next(b for a, b in before if a == mentee_row.id)

    home = open_page(mentee, "/space/", mentee_token)
    form_page = Page(mentee.http.get(mentee.tool_url + home.soup.find(id="ask-switch")["href"], timeout=30))
    empty = submit(mentee, form_page, "/matching/switch", reason="  ")
    assert empty.status == 400 and empty.soup.find(id="switch-error")
    sent = submit(mentee, form_page, "/matching/switch", reason="Our schedules never overlap.")
    assert sent.status == 200 and sent.soup.find(id="switch-sent")
    again = submit(mentee, form_page, "/matching/switch", reason="Again")
    assert again.status == 400, "one open request per pairing"
    assert open_page(skipper, "/matching/", _st).status == 403, "participants never see the reasons"

    review = open_page(coordinator, "/matching/", token)
    row = review.soup.select_one("#switch-table tbody tr")
    assert "Our schedules never overlap." in row.get_text()
    request_id = row["id"].split("-")[1]
    ended = _post(coordinator, review, f"/matching/switches/{request_id}", decision="approve")
    assert ended.status == 200 and not ended.soup.select("#switch-table tbody tr")
    assert "Not matched yet" in open_page(mentee, "/space/", mentee_token).soup.find(id="my-match").get_text()

    rerun = _post(coordinator, ended, "/matching/run")
    rows = rerun.soup.select("#pair-table tbody tr")
    assert len(rows) == 1, rerun.text[:2000]
    _post(coordinator, rerun, f"/matching/runs/{rerun.soup.find(id='run')['data-run']}/approve")
    with live.app.app_context():
        after = {(m.mentee_id, m.mentor_id) for m in db.session.query(Mentorship).filter_by(ended_at=None)}
        db.session.remove()
    assert before - after == {(mentee_row.id, old_mentor)}, "only the switched pairing changed"
    (new_pair,) = after - before
    assert new_pair[0] == mentee_row.id and new_pair[1] != old_mentor


def test_late_joiner_is_matched_incrementally(live, browser):
    """Someone who joins after the pairs were approved is offered a match by the next run; nobody else moves."""
    course, coordinator, token, _mentee, _skipper = _setup(live, browser)
    second = participant_of(live, course.context_id, course.students[1])
    mentors = open_page(coordinator, "/program/mentors", token)
    assert _post(coordinator, mentors, f"/program/mentors/{second.id}/decision", decision="approve").status == 200
    ran = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    _post(coordinator, ran, f"/matching/runs/{ran.soup.find(id='run')['data-run']}/approve")

    from lti_tool.extensions import db
    from lti_tool.models import Mentorship
    from lti_tool.sandbox.seed import create_course

    with live.app.app_context():
        before = {(m.mentee_id, m.mentor_id) for m in db.session.query(Mentorship).filter_by(ended_at=None)}
        create_course(db.session, course.context_id, len(course.students) + 1)  # one more student enrols
        db.session.remove()
    newcomer = sorted(set(people(live.app, "student", course.context_id)) - set(course.students))
    assert len(newcomer) == 1
    enter(live, course, newcomer[0])  # their first launch makes them a participant
    newcomer_row = participant_of(live, course.context_id, newcomer[0])

    rerun = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    rows = rerun.soup.select("#pair-table tbody tr")
    assert len(rows) == 1, "only the newcomer is proposed"
    _post(coordinator, rerun, f"/matching/runs/{rerun.soup.find(id='run')['data-run']}/approve")
    with live.app.app_context():
        after = {(m.mentee_id, m.mentor_id) for m in db.session.query(Mentorship).filter_by(ended_at=None)}
        db.session.remove()
    assert before < after
    ((mentee_id, _mentor),) = after - before
    assert mentee_id == newcomer_row.id
