"""End to end, as real people do it, over real HTTP against the demo LMS.

A coordinator launches a fresh demo course, syncs its roster from the LMS (NRPS, "Sync now"), designates
mentors by CSV (people the roster sync brought in, who have never opened the tool), students fill in
their profiles, the coordinator runs matching, reviews the reasons and approves, and a mentee then sees
their mentor on the home page. The same for a group program: a member sees their group.
"""

from __future__ import annotations

from lti_tool.extensions import db
from lti_tool.mentoring.programs import matching_runs
from lti_tool.models import Participant

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
from .test_roster import click_sync, wait_for_job

GOALS = "research methods\ncareer planning\nacademic writing"


def _post(browser, page: Page, target: str, /, **extra) -> Page:
    data = [(k, v) for k, v in form_data(page, target) if k not in extra] + list(extra.items())
    return Page(browser.http.post(form_action(page, target), data=data, timeout=30))


def _start_program(live, browser, n_students: int, **settings):
    """Launch, sync the roster with "Sync now", set the program up, import two mentors by CSV."""
    course = fresh_course(live, browser, n_students=n_students)
    coordinator, token = enter(live, course, course.instructor)
    people = open_page(coordinator, "/space/people", token)
    assert people.status == 200
    job = wait_for_job(coordinator, click_sync(coordinator, token), token)
    assert job["status"] == "succeeded", job
    synced = open_page(coordinator, "/space/people", token)
    assert "Last synced" in synced.text
    saved = settings_of(
        coordinator,
        token,
        mentor_sources=["opt_in", "csv"],
        goal_tags=GOALS,
        expertise_tags=GOALS,
        **settings,
    )
    assert saved.status == 200 and "saved" in saved.url, saved.text[:2000]

    # The two mentors have never opened the tool: the roster sync is what lets the CSV name them.
    assert participant_of(live, course.context_id, course.students[0]) is None
    page = open_page(coordinator, "/program/mentors", token)
    content = f"email,capacity\r\n{course.student_email(0)},2\r\n{course.student_email(1)},2\r\n".encode()
    files = {"file": ("mentors.csv", content, "text/csv")}
    data = form_data(page, "/program/mentors/import")
    imported = Page(
        coordinator.http.post(form_action(page, "/program/mentors/import"), data=data, files=files, timeout=30)
    )
    assert imported.status == 200 and "Imported 2 mentors." in imported.text, imported.text[:2000]
    return course, coordinator, token


def _fill_profile(live, course, index: int, **values) -> None:
    student, token = enter(live, course, course.students[index])
    page = open_page(student, "/program/profile", token)
    saved = submit(student, page, "/program/profile", time_zone="Europe/Madrid", languages=["en", "es"], **values)
    assert saved.status == 200 and "Profile saved." in saved.text, saved.text[:2000]


def test_one_to_one_program_end_to_end(live, browser):
    course, coordinator, token = _start_program(live, browser, n_students=5)
    # The roster knows all five students; the three who have not opened the space yet are pointed out.
    notice = open_page(coordinator, "/matching/", token).soup.find(id="not-yet-in-program")
    assert notice is not None and notice.get_text().startswith("3 students in the course roster")
    # Mentors describe their expertise; mentees their goals (one skips nothing, one has other goals).
    _fill_profile(live, course, 0, expertise=["research methods", "academic writing"], capacity="2")
    _fill_profile(live, course, 1, expertise=["career planning"], capacity="2")
    _fill_profile(live, course, 2, goals=["research methods"])
    _fill_profile(live, course, 3, goals=["career planning"])
    _fill_profile(live, course, 4, goals=["academic writing", "research methods"])

    review = open_page(coordinator, "/matching/", token)
    assert review.soup.find(id="not-yet-in-program") is None
    ran = _post(coordinator, review, "/matching/run")
    assert ran.status == 200 and "Matching finished." in ran.text, ran.text[:2000]
    rows = ran.soup.select("#pair-table tbody tr")
    assert len(rows) == 3
    assert all(tr.td.get_text(strip=True) == "Mentor" for tr in ran.soup.select("#unmatched-table tbody tr"))
    by_mentee = {tr.th.get_text(strip=True): tr for tr in rows}
    reasons = " | ".join(tr.find_all("td")[2].get_text(" ", strip=True) for tr in rows)
    assert "shares goals: research methods" in reasons and "both speak" in reasons
    run_id = ran.soup.find(id="run")["data-run"]
    approved = _post(coordinator, ran, f"/matching/runs/{run_id}/approve")
    assert "Pairs approved." in approved.text
    assert all(tr["data-approved"] == "yes" for tr in approved.soup.select("#pair-table tbody tr"))

    # The career-planning mentee sees the career-planning mentor, by name, on their home page.
    mentee, mentee_token = enter(live, course, course.students[3])
    home = open_page(mentee, "/space/", mentee_token)
    mine = home.soup.find(id="my-match").get_text(" ", strip=True)
    mentor_name = next(
        tr.find_all("td")[0].get_text(strip=True)
        for name, tr in by_mentee.items()
        if "career planning" in tr.find_all("td")[2].get_text()
    )
    assert f"Your mentor: {mentor_name}" in mine
    mentor, mentor_token = enter(live, course, course.students[1])
    mentees = [li.get_text(strip=True) for li in open_page(mentor, "/space/", mentor_token).soup.select("#my-match li")]
    assert len(mentees) >= 1
    # The coordinator's history lists the three pairings as active.
    history = open_page(coordinator, "/matching/history", token)
    assert [tr["data-active"] for tr in history.soup.select("#history-table tbody tr")] == ["yes"] * 3


def test_group_program_end_to_end(live, browser):
    course, coordinator, token = _start_program(live, browser, n_students=6, structure="group", group_size="3")
    _fill_profile(live, course, 0, expertise=["research methods"], capacity="2")
    _fill_profile(live, course, 1, expertise=["career planning"], capacity="2")
    for index, goal in (
        (2, "research methods"),
        (3, "research methods"),
        (4, "career planning"),
        (5, "career planning"),
    ):
        _fill_profile(live, course, index, goals=[goal])
    ran = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    groups = ran.soup.select("section.match-group")
    assert len(groups) == 2, ran.text[:2000]
    assert all("shares goals" in g.get_text() for g in groups)
    run_id = ran.soup.find(id="run")["data-run"]
    approved = _post(coordinator, ran, f"/matching/runs/{run_id}/approve")
    assert "Groups approved." in approved.text

    member, member_token = enter(live, course, course.students[2])
    card = open_page(member, "/space/", member_token).soup.find(id="my-groups")
    assert card is not None
    listed = card.get_text(" ", strip=True)
    assert "(Mentor)" in listed and "(Mentee)" in listed
    space = member.get(card.find("a")["href"])
    assert space.status == 200


def _include(browser, token: str) -> Page:
    """Press "Include them in matching now" on the review page; returns the review page it leads back to."""
    review = open_page(browser, "/matching/", token)
    button = review.soup.find(id="include-roster-button")
    assert button is not None and button.get_text(strip=True) == "Include them in matching now", review.text[:2000]
    return _post(browser, review, "/matching/include")


def test_whole_roster_is_matched_before_anyone_opens_the_space(live, browser):
    """Students who never launched are included by the coordinator, matched without a profile, and see their
    mentor when they first open the space (in the participant row made for them, not a second one)."""
    course, coordinator, token = _start_program(live, browser, n_students=5)
    _fill_profile(live, course, 0, expertise=["research methods"], capacity="2")
    _fill_profile(live, course, 2, goals=["research methods"])
    # Student 1 is a CSV mentor who never launched; students 3 and 4 have never launched at all.
    review = open_page(coordinator, "/matching/", token)
    assert review.soup.find(id="not-yet-in-program").get_text().startswith("2 students in the course roster")
    note = review.soup.find(id="include-roster-note").get_text(" ", strip=True)
    assert "no profile yet" in note and "stay unmatched" not in note
    assert participant_of(live, course.context_id, course.students[3]) is None

    included = _include(coordinator, token)
    assert included.status == 200, included.text[:2000]
    assert "2 people from the course roster are now included in matching." in included.text
    assert included.soup.find(id="matching-notice")["role"] == "status"
    assert included.soup.find(id="not-yet-in-program") is None
    assert included.soup.find(id="include-roster-button") is None
    rows = {sub: participant_of(live, course.context_id, sub) for sub in course.students[3:]}
    assert all(r is not None and r.role == "mentee" and not r.has_profile for r in rows.values())

    ran = _post(coordinator, included, "/matching/run")
    assert "Matching finished." in ran.text, ran.text[:2000]
    pairs = ran.soup.select("#pair-table tbody tr")
    assert len(pairs) == 3  # two mentors with two places each, three mentees: nobody is left out
    assert ran.soup.find(id="unmatched-table") is None or not ran.soup.select("#unmatched-table tbody tr")
    marked = [tr.th.get_text(" ", strip=True) for tr in pairs if tr.th.find(class_="no-profile")]
    assert len(marked) == 2 and all("(no profile yet)" in name for name in marked)
    run_id = ran.soup.find(id="run")["data-run"]
    approved = _post(coordinator, ran, f"/matching/runs/{run_id}/approve")
    assert "Pairs approved." in approved.text
    mentor_of = {
        tr.th.find(string=True, recursive=False).strip(): tr.find_all("td")[0].get_text(strip=True)
        for tr in approved.soup.select("#pair-table tbody tr")
    }

    # Student 3 opens the space for the first time: same participant row, and their mentor is there.
    newcomer, newcomer_token = enter(live, course, course.students[3])
    home = open_page(newcomer, "/space/", newcomer_token)
    row = participant_of(live, course.context_id, course.students[3])
    assert row.id == rows[course.students[3]].id
    with live.app.app_context():
        newcomer_name = matching_runs.names(db.session, {row.id})[row.id]
        assert db.session.query(Participant).filter_by(membership_id=row.membership_id).count() == 1
        db.session.remove()
    mine = home.soup.find(id="my-match").get_text(" ", strip=True)
    assert f"Your mentor: {mentor_of[newcomer_name]}" in mine, mine
    # Including again (a second click, say from another tab) adds nobody.
    page = open_page(coordinator, "/matching/", token)
    again = Page(
        coordinator.http.post(
            form_action(page, "/matching/run").replace("/matching/run", "/matching/include"),
            data=form_data(page, "/matching/run"),
            timeout=30,
        )
    )
    assert "Everyone in the course roster is already included in matching." in again.text
    assert participant_of(live, course.context_id, course.students[3]).id == row.id


def test_required_profiles_wait_for_the_included_people(live, browser):
    """In a program requiring profiles the page says included people are matched only once they fill one in,
    and the run lists them as not matched for that reason."""
    course, coordinator, token = _start_program(live, browser, n_students=4, profile_required="required")
    _fill_profile(live, course, 0, expertise=["research methods"], capacity="2")
    review = open_page(coordinator, "/matching/", token)
    note = review.soup.find(id="include-roster-note").get_text(" ", strip=True)
    assert "requires a profile" in note and "matched only once they have" in note
    included = _include(coordinator, token)
    assert "2 people from the course roster are now included in matching." in included.text
    ran = _post(coordinator, included, "/matching/run")
    assert not ran.soup.select("#pair-table tbody tr")
    reasons = {
        tr.th.get_text(strip=True): tr.find_all("td")[1].get_text(strip=True)
        for tr in ran.soup.select("#unmatched-table tbody tr")
        if tr.find_all("td")[0].get_text(strip=True) == "Mentee"
    }
    assert len(reasons) == 2 and set(reasons.values()) == {
        "has not filled in their profile yet, which the program requires"
    }
    mentee_rows = [tr for tr in ran.soup.select("#unmatched-table tbody tr") if "Mentee" in tr.td.get_text()]
    assert not any(tr.find(class_="no-profile") for tr in mentee_rows)  # their reason already says it


def _include_chosen(browser, page: Page, member_ids: list[str]) -> Page:
    """Tick ``member_ids`` under "Or choose whom to include" and press "Include the chosen students"."""
    form = page.soup.find("form", id="include-chosen-form")
    assert form is not None, page.text[:2000]
    fields = [(i["name"], i.get("value", "")) for i in form.find_all("input", type="hidden")]
    data = fields + [("member", mid) for mid in member_ids]
    return Page(browser.http.post(form_action(page, "/matching/include"), data=data, timeout=30))


def _choices(page: Page) -> dict[str, str]:
    """The roster-only students offered one by one: name → membership id (the checkbox value)."""
    fieldset = page.soup.find("form", id="include-chosen-form").fieldset
    assert fieldset.legend.get_text(strip=True) == "Students to include in matching"
    return {
        box.find_next_sibling("label").get_text(strip=True): box["value"]
        for box in fieldset.find_all("input", type="checkbox", attrs={"name": "member"})
    }


def _name(live, sub: str) -> str:
    from lti_tool.models import Person

    with live.app.app_context():
        name = db.session.execute(db.select(Person).where(Person.sub == sub)).scalar_one().display_name
        db.session.remove()
    return name


def test_coordinator_includes_chosen_students_and_a_leaver_is_refused(live, browser):
    """The coordinator ticks some roster-only students; someone who left the course since the page was shown
    is refused by name and nobody is included; choosing nobody is refused too; the chosen ones are included,
    the others stay listed, and the chosen ones are matched with a "no profile yet" note."""
    from .test_roster import _enrolment

    course, coordinator, token = _start_program(live, browser, n_students=6)
    _fill_profile(live, course, 0, expertise=["research methods"], capacity="2")
    review = open_page(coordinator, "/matching/", token)
    names = {i: _name(live, course.students[i]) for i in range(2, 6)}
    offered = _choices(review)
    assert set(offered) == set(names.values())
    assert review.soup.find(id="include-some").name == "details"

    # Student 5 leaves the course in the LMS; the next roster sync marks them inactive.
    _enrolment(live.app, course.context_id, course.students[5], remove=True)
    assert wait_for_job(coordinator, click_sync(coordinator, token), token)["status"] == "succeeded"
    refused = _include_chosen(coordinator, review, [offered[names[2]], offered[names[5]]])
    assert refused.status == 400
    assert "Nobody was included" in refused.soup.find(id="matching-error").get_text()
    problems = [li.get_text(strip=True) for li in refused.soup.select("#include-problems li")]
    assert problems == [f"{names[5]} has left the course and cannot be included."]
    assert participant_of(live, course.context_id, course.students[2]) is None
    assert refused.soup.find(id=f"include-member-{offered[names[2]]}").has_attr("checked")  # their choice kept
    assert names[5] not in _choices(refused)

    nothing = _include_chosen(coordinator, refused, [])
    assert nothing.status == 400 and "Choose at least one person to include." in nothing.text

    included = _include_chosen(coordinator, nothing, [offered[names[2]], offered[names[3]]])
    assert included.status == 200, included.text[:2000]
    notice = included.soup.find(id="matching-notice")
    assert notice["role"] == "status"
    assert notice.get_text(strip=True) == "2 people from the course roster are now included in matching."
    assert included.soup.find(id="not-yet-in-program").get_text().startswith("1 student in the course roster")
    assert list(_choices(included)) == [names[4]]
    for index in (2, 3):
        row = participant_of(live, course.context_id, course.students[index])
        assert row is not None and row.role == "mentee" and not row.has_profile
    assert participant_of(live, course.context_id, course.students[4]) is None

    # The same choice sent again (a second tab) includes nobody twice.
    again = _include_chosen(coordinator, review, [offered[names[2]]])
    assert again.soup.find(id="matching-notice").get_text(strip=True) == (
        "The people you chose are already included in matching."
    )

    ran = _post(coordinator, again, "/matching/run")
    marked = {
        tr.th.find(string=True, recursive=False).strip()
        for tr in ran.soup.select("#pair-table tbody tr, #unmatched-table tbody tr")
        if tr.th.find(class_="no-profile")
    }
    assert marked == {names[2], names[3], _name(live, course.students[1])}  # student 1: a CSV mentor who never came
