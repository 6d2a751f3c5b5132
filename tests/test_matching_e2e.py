"""End to end, as real people do it, over real HTTP against the demo LMS.

A coordinator launches a fresh demo course, syncs its roster from the LMS (NRPS, "Sync now"), designates
mentors by CSV (people the roster sync brought in, who have never opened the tool), students fill in
their profiles, the coordinator runs matching, reviews the reasons and approves, and a mentee then sees
their mentor on the home page. The same for a group program: a member sees their group.
"""

from __future__ import annotations

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
