"""Mentor designation: volunteers approved or declined, LMS roles, and CSV import (all rows or none)."""

from __future__ import annotations

from .test_program_support import (
    enter,
    form_action,
    fresh_course,
    open_page,
    participant_of,
    settings_of,
    submit,
)


def _decide(browser, page, participant_id: int, decision: str):
    from .support.browser import Page

    action = f"/program/mentors/{participant_id}/decision"
    data = [(k, v) for k, v in _fields(page, action)] + [("decision", decision)]
    return Page(browser.http.post(form_action(page, action), data=data, timeout=30))


def _fields(page, action):
    from .test_program_support import form_data

    return form_data(page, action)


def _upload(browser, token: str, content: bytes, filename: str = "mentors.csv"):
    from .support.browser import Page

    page = open_page(browser, "/program/mentors", token)
    data = _fields(page, "/program/mentors/import")
    files = {"file": (filename, content, "text/csv")}
    return Page(browser.http.post(form_action(page, "/program/mentors/import"), data=data, files=files, timeout=30))


def test_student_volunteers_and_coordinator_approves(live, browser):
    """A student offers to mentor two mentees; the offer waits for the coordinator, who approves it."""
    course = fresh_course(live, browser)
    student, student_token = enter(live, course, course.students[0])
    profile = open_page(student, "/program/profile", student_token)
    assert profile.soup.find("label", attrs={"for": "offer_mentor"})
    saved = submit(student, profile, "/program/profile", offer_mentor="1", capacity="2", time_zone="Europe/Madrid")
    assert saved.status == 200, saved.text[:2000]
    row = participant_of(live, course.context_id, course.students[0])
    assert (row.role, row.mentor_status, row.mentor_source, row.capacity) == ("mentee", "pending", "opt_in", 2)
    assert "waiting for the coordinator" in saved.text

    coordinator, token = enter(live, course, course.instructor)
    mentors = open_page(coordinator, "/program/mentors", token)
    assert mentors.status == 200
    line = mentors.soup.find(id=f"mentor-{row.id}")
    assert line["data-status"] == "pending" and "Waiting for your decision" in line.get_text()
    done = _decide(coordinator, mentors, row.id, "approve")
    assert done.status == 200 and "Decision saved." in done.text
    assert done.soup.find(id=f"mentor-{row.id}")["data-status"] == "approved"
    row = participant_of(live, course.context_id, course.students[0])
    assert (row.role, row.mentor_status) == ("mentor", "approved")
    again = open_page(student, "/program/profile", student_token)
    assert "You are a mentor in this program." in again.text


def test_coordinator_declines_a_volunteer(live, browser):
    """A declined volunteer stays a mentee and is told they can offer again."""
    course = fresh_course(live, browser)
    student, student_token = enter(live, course, course.students[1])
    submit(
        student,
        open_page(student, "/program/profile", student_token),
        "/program/profile",
        offer_mentor="1",
        capacity="1",
        time_zone="Asia/Tokyo",
    )
    row = participant_of(live, course.context_id, course.students[1])
    coordinator, token = enter(live, course, course.instructor)
    done = _decide(coordinator, open_page(coordinator, "/program/mentors", token), row.id, "decline")
    assert done.soup.find(id=f"mentor-{row.id}")["data-status"] == "declined"
    row = participant_of(live, course.context_id, course.students[1])
    assert (row.role, row.mentor_status) == ("mentee", "declined")
    assert "You can offer again" in open_page(student, "/program/profile", student_token).text


def test_volunteer_capacity_is_checked(live, browser):
    """A capacity of 0, above the program maximum or not a number is refused on the profile page."""
    course = fresh_course(live, browser)
    student, token = enter(live, course, course.students[0])
    profile = open_page(student, "/program/profile", token)
    for bad in ("0", "99", "two"):
        page = submit(student, profile, "/program/profile", offer_mentor="1", capacity=bad)
        assert page.status == 400
        assert page.soup.find(id="capacity-error").get_text(strip=True) == "Enter a whole number from 1 to 5."
        assert page.soup.find("input", id="capacity")["value"] == bad
    assert participant_of(live, course.context_id, course.students[0]).mentor_status is None


def test_teaching_assistants_become_mentors_by_role(live, browser):
    """With 'by LMS role' on, the TA (TeachingAssistant in Canvas, Instructor in Moodle) is an approved mentor."""
    course = fresh_course(live, browser)
    enter(live, course, course.ta, flavour="canvas")
    coordinator, token = enter(live, course, course.instructor, flavour="canvas")
    settings_of(coordinator, token, mentor_sources=["role", "opt_in"], mentor_lti_roles=["TeachingAssistant"])
    ta = participant_of(live, course.context_id, course.ta, flavour="canvas")
    assert (ta.role, ta.mentor_status, ta.mentor_source) == ("mentor", "approved", "role")
    assert participant_of(live, course.context_id, course.instructor, flavour="canvas") is None
    page = open_page(coordinator, "/program/mentors", token)
    assert page.soup.find(id=f"mentor-{ta.id}")["data-status"] == "approved"

    # Moodle sends Instructor for the TA: ticking Instructor designates the Moodle TA.
    enter(live, course, course.ta, flavour="moodle")
    coordinator, token = enter(live, course, course.instructor, flavour="moodle")
    settings_of(coordinator, token, mentor_sources=["role"], mentor_lti_roles=["TeachingAssistant"])
    assert participant_of(live, course.context_id, course.ta) is None
    settings_of(coordinator, token, mentor_sources=["role"], mentor_lti_roles=["Instructor"])
    assert participant_of(live, course.context_id, course.ta).mentor_status == "approved"
    # Turning the role source off again takes the designation back.
    settings_of(coordinator, token, mentor_sources=["opt_in"], mentor_lti_roles=["Instructor"])
    assert participant_of(live, course.context_id, course.ta) is None


def test_csv_import_designates_mentors(live, browser):
    """A CSV (UTF-8 with BOM, semicolons) naming people by e-mail or user id makes them approved mentors."""
    course = fresh_course(live, browser)
    for sub in course.students[:3]:
        enter(live, course, sub)
    coordinator, token = enter(live, course, course.instructor)
    settings_of(coordinator, token, mentor_sources=["csv"])
    content = (
        f"\ufeffEmail;User ID;Capacity\r\n{course.student_email(0).upper()};;3\r\n;{course.students[1]};\r\n\r\n"
    ).encode()
    page = _upload(coordinator, token, content)
    assert page.status == 200, page.text[:2000]
    assert "Imported 2 mentors." in page.text
    first = participant_of(live, course.context_id, course.students[0])
    second = participant_of(live, course.context_id, course.students[1])
    assert (first.role, first.mentor_status, first.mentor_source, first.capacity) == ("mentor", "approved", "csv", 3)
    assert (second.mentor_status, second.capacity) == ("approved", 2), "no capacity: the program default"
    assert participant_of(live, course.context_id, course.students[2]).mentor_status is None


def test_csv_import_is_all_or_nothing(live, browser):
    """One bad row refuses the whole file: every problem is listed by line and nobody becomes a mentor."""
    course = fresh_course(live, browser)
    enter(live, course, course.students[0])
    coordinator, token = enter(live, course, course.instructor)
    settings_of(coordinator, token, mentor_sources=["csv"])
    content = (
        "email,capacity\n"
        f"{course.student_email(0)},2\n"
        "stranger@elsewhere.example,1\n"
        f"{course.student_email(1)},0\n"
        f"{course.student_email(2)},-1\n"
        f"{course.student_email(3)},lots\n"
        f"{course.student_email(0)},1\n"
    ).encode()
    page = _upload(coordinator, token, content)
    assert page.status == 400
    problems = [li.get_text(" ", strip=True) for li in page.soup.select("#csv-problems li")]
    assert problems == [
        "Line 4: The capacity “0” must be 1 or more.",
        "Line 5: The capacity “-1” must be 1 or more.",
        "Line 6: The capacity “lots” is not a whole number.",
        f"Line 7: “{course.student_email(0)}” is listed twice.",
    ]
    assert page.soup.find(id="csv-error")["role"] == "alert"
    assert "csv-error" in page.soup.find("input", id="file")["aria-describedby"]
    # With the format right, an unknown person still refuses the whole file.
    content = f"email,capacity\n{course.student_email(0)},2\nstranger@elsewhere.example,1\n".encode()
    page = _upload(coordinator, token, content)
    assert page.status == 400
    problems = [li.get_text(" ", strip=True) for li in page.soup.select("#csv-problems li")]
    assert problems == ["Line 3: Nobody in this course has the e-mail address or user id “stranger@elsewhere.example”."]
    assert participant_of(live, course.context_id, course.students[0]).mentor_status is None, "nothing changed"


def test_csv_file_problems(live, browser):
    """A file that is not UTF-8, has no identifier column, is empty or too large is refused with a clear message."""
    course = fresh_course(live, browser)
    coordinator, token = enter(live, course, course.instructor)
    page = _upload(coordinator, token, b"email\nx@y.example\n")
    assert page.status == 400 and "Turn on “By CSV import”" in page.text
    settings_of(coordinator, token, mentor_sources=["csv"])
    cases = [
        (b"name,capacity\nAda,2\n", "needs an “email” or a “user_id” column"),
        ("email\nmüller@example.org\n".encode("latin-1"), "not UTF-8"),
        (b"", "no rows to import"),
        (b"email\n" + b"a@b.example\n" * 30000, "larger than 256 KB"),
    ]
    for content, message in cases:
        page = _upload(coordinator, token, content)
        assert page.status == 400
        assert message in page.text, message


def test_csv_template_download(live, browser):
    """Coordinators download an empty CSV with the columns the import reads; students cannot."""
    course = fresh_course(live, browser)
    coordinator, token = enter(live, course, course.instructor)
    page = open_page(coordinator, "/program/mentors", token)
    resp = coordinator.http.get(page.link("Download a CSV template"), timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    assert resp.text.splitlines()[0] == "email,user_id,capacity"
    assert "attachment" in resp.headers["Content-Disposition"]
    student, student_token = enter(live, course, course.students[0])
    assert open_page(student, "/program/mentors/template.csv", student_token).status == 403
