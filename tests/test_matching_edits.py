"""Coordinators edit a one-to-one proposal by hand over real HTTP: another mentor for a mentee, remove a pair,
add a pair for someone unmatched; places and hard rules are checked, soft rules need an explicit "I know",
and the edits survive a re-run as pins."""

from __future__ import annotations

from lti_tool.extensions import db
from lti_tool.models import Mentorship

from .support.browser import Page
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


def _raw_post(browser, page: Page, path: str, **fields) -> Page:
    """Post ``fields`` to ``path`` with the page's CSRF token and tool session (as a crafted form would)."""
    base = dict(form_data(page, "/matching/run"))
    url = form_action(page, "/matching/run").replace("/matching/run", path)
    data = {"csrf_token": base["csrf_token"], "ts": base["ts"], **fields}
    return Page(browser.http.post(url, data=data, timeout=30))


def _pairs(page: Page) -> dict[str, tuple[str, str, str]]:
    """mentee name -> (mentor name, state, row id)."""
    out = {}
    for tr in page.soup.select("#pair-table tbody tr"):
        cells = tr.find_all("td")
        out[tr.th.get_text(strip=True)] = (cells[0].get_text(strip=True), cells[3]["data-state"], tr["id"])
    return out


def _setup(live, browser):
    course = fresh_course(live, browser, n_students=6)
    coordinator, token = enter(live, course, course.instructor)
    assert settings_of(coordinator, token, require_shared_language="1").status == 200
    for index, capacity in ((0, "1"), (1, "2")):
        student, student_token = enter(live, course, course.students[index])
        page = open_page(student, "/program/profile", student_token)
        saved = submit(
            student, page, "/program/profile", offer_mentor="1", capacity=capacity, time_zone="UTC", languages=["en"]
        )
        assert saved.status == 200, saved.text[:1500]
    mentors = open_page(coordinator, "/program/mentors", token)
    for index in (0, 1):
        row = participant_of(live, course.context_id, course.students[index])
        mentors = _post(coordinator, mentors, f"/program/mentors/{row.id}/decision", decision="approve")
    for index, language in ((2, "en"), (3, "en"), (4, "en"), (5, "es")):
        student, student_token = enter(live, course, course.students[index])
        page = open_page(student, "/program/profile", student_token)
        saved = submit(student, page, "/program/profile", time_zone="UTC", languages=[language])
        assert saved.status == 200, saved.text[:1500]
    ids = {sub: participant_of(live, course.context_id, sub).id for sub in course.students}
    return course, coordinator, token, ids


def test_reassign_remove_and_add_pairs(live, browser):
    course, coordinator, token, ids = _setup(live, browser)
    ran = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    assert ran.status == 200, ran.text[:1500]
    pairs = _pairs(ran)
    assert len(pairs) == 3  # three English-speaking mentees fill the three places
    spanish = ran.soup.find(id=f"unmatched-{ids[course.students[5]]}")
    assert spanish is not None and "speaks any of their languages" in spanish.get_text()
    assert spanish.find("select") is None, "no mentor has a place left to offer"
    run_id = ran.soup.find(id="run")["data-run"]
    mentor0, mentor1 = ids[course.students[0]], ids[course.students[1]]
    names = {row.th.get_text(strip=True): row["id"] for row in ran.soup.select("#pair-table tbody tr")}
    by_mentor: dict[str, list[str]] = {}
    for mentee, (mentor, _state, row_id) in pairs.items():
        by_mentor.setdefault(mentor, []).append(row_id.removeprefix("pair-"))
    (single_pair,) = next(v for v in by_mentor.values() if len(v) == 1)
    double = next(v for v in by_mentor.values() if len(v) == 2)

    # A full mentor is refused, with a clear message; nothing changes.
    full = _raw_post(coordinator, ran, f"/matching/runs/{run_id}/assign", pair_id=single_pair, mentor_id=str(mentor1))
    assert full.status == 200 and "That mentor has no place left." in full.soup.find(id="matching-error").get_text()
    assert _pairs(full) == pairs
    # A mentee's own id as their mentor, or a stranger's id, is refused too.
    stranger = _raw_post(coordinator, ran, f"/matching/runs/{run_id}/assign", pair_id=single_pair, mentor_id="999999")
    assert "not an approved mentor" in stranger.soup.find(id="matching-error").get_text()

    # Remove one of the fuller mentor's pairs: its mentee is listed as taken out, with mentors to choose.
    removed = _post(coordinator, full, f"/matching/runs/{run_id}/pairs/{double[0]}/remove")
    assert "Removed from the proposal." in removed.text and len(_pairs(removed)) == 2
    freed = [tr for tr in removed.soup.select("#unmatched-table tbody tr") if "taken out" in tr.get_text()]
    assert len(freed) == 1 and freed[0].find("select") is not None

    # Move the single pair's mentee to the mentor with a free place: the select shows score and places.
    row = removed.soup.find(id=f"pair-{single_pair}")
    select = row.find("select", attrs={"name": "mentor_id"})
    options = {o["value"]: o.get_text() for o in select.find_all("option")}
    assert (
        list(options) == [str(mentor1)] and "score" in options[str(mentor1)] and "1 place left" in options[str(mentor1)]
    )
    assert row.find(class_="candidate-reasons").get_text(strip=True)
    moved = _raw_post(
        coordinator, removed, f"/matching/runs/{run_id}/assign", pair_id=single_pair, mentor_id=select.option["value"]
    )
    assert "The changed pair is pinned" in moved.text, moved.text[:1500]
    moved_row = moved.soup.find(id=f"pair-{single_pair}")
    assert moved_row.find_all("td")[3]["data-state"] == "pinned"

    # The Spanish speaker can now get the freed mentor, but only with an explicit "I know" (no shared language).
    spanish = moved.soup.find(id=f"unmatched-{ids[course.students[5]]}")
    option = spanish.find("option", value=str(mentor0))
    assert option is not None and "breaks a rule" in option.get_text()
    spanish_id = str(ids[course.students[5]])
    refused = _raw_post(
        coordinator, moved, f"/matching/runs/{run_id}/assign", mentee_id=spanish_id, mentor_id=str(mentor0)
    )
    error = refused.soup.find(id="matching-error")
    assert error is not None and "share no language" in error.get_text() and "I know" in error.get_text()
    added = _raw_post(
        coordinator,
        refused,
        f"/matching/runs/{run_id}/assign",
        mentee_id=spanish_id,
        mentor_id=str(mentor0),
        confirm="1",
    )
    assert "The changed pair is pinned" in added.text
    after = _pairs(added)
    assert len(after) == 3 and sum(1 for _m, state, _r in after.values() if state == "pinned") == 2

    # A re-run keeps both edits (pins), even the one that breaks the language rule.
    rerun = _post(coordinator, added, "/matching/run")
    assert rerun.status == 200, rerun.text[:1500]
    kept = {(mentee, mentor) for mentee, (mentor, state, _r) in _pairs(rerun).items() if state == "pinned"}
    assert kept == {(mentee, mentor) for mentee, (mentor, state, _r) in after.items() if state == "pinned"}
    run_id = rerun.soup.find(id="run")["data-run"]
    _post(coordinator, rerun, f"/matching/runs/{run_id}/approve")
    with live.app.app_context():
        ship = db.session.query(Mentorship).filter_by(mentee_id=ids[course.students[5]], ended_at=None).one()
        assert ship.mentor_id == mentor0
        db.session.remove()
    assert names  # the first proposal named every mentee


def test_edit_endpoints_are_for_this_course_s_coordinators_only(live, browser):
    course, coordinator, token, ids = _setup(live, browser)
    ran = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    run_id = ran.soup.find(id="run")["data-run"]
    pair_id = ran.soup.select_one("#pair-table tbody tr")["id"].removeprefix("pair-")
    paths = [
        f"/matching/runs/{run_id}/assign",
        f"/matching/runs/{run_id}/pairs/{pair_id}/remove",
        f"/matching/runs/{run_id}/groups/1",
        f"/matching/runs/{run_id}/members/{ids[course.students[2]]}/move",
        f"/matching/runs/{run_id}/members/{ids[course.students[2]]}/remove",
        "/matching/history/pairs/1/end",
        "/matching/history/groups/1/end",
    ]
    base = form_action(ran, "/matching/run").split("/matching/run")[0]
    # A student, with their own valid session and CSRF token, is refused by the role check.
    student, student_token = enter(live, course, course.students[2])
    own = open_page(student, "/program/profile", student_token)
    fields = {k: v for k, v in form_data(own, "/program/profile") if k in ("csrf_token", "ts")}
    for path in paths:
        got = student.http.post(base + path, data={**fields, "mentor_id": "1", "group_id": "1", "pair_id": pair_id})
        assert got.status_code == 403, (path, got.status_code)
    assert open_page(student, "/matching/history", student_token).status == 403

    # The coordinator of another course does not find this course's run or pairs.
    other = fresh_course(live, browser, n_students=1)
    other_coordinator, other_token = enter(live, other, other.instructor)
    page = open_page(other_coordinator, "/matching/", other_token)
    theirs = {k: v for k, v in form_data(page, "/matching/run")}
    for path in paths[:2]:
        got = other_coordinator.http.post(base + path, data={**theirs, "mentor_id": "1", "pair_id": pair_id})
        assert got.status_code == 404, (path, got.status_code)
    assert len(_pairs(open_page(coordinator, "/matching/", token))) == 3, "nothing changed"
