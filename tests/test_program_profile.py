"""Participant profiles on first entry: tags, languages, time zone, weekly availability, skipping."""

from __future__ import annotations

from .test_program_support import (
    enter,
    fresh_course,
    labelled,
    open_page,
    participant_of,
    settings_of,
    submit,
)

TAGS = {"goal_tags": "Career planning\nResearch skills", "interest_tags": "Chess\nHiking", "expertise_tags": "Python"}


def test_student_fills_in_profile(live, browser):
    """A student picks tags and languages, a time zone and two availability slots; all are stored as entered."""
    course = fresh_course(live, browser)
    coordinator, token = enter(live, course, course.instructor)
    settings_of(coordinator, token, **TAGS)
    student, student_token = enter(live, course, course.students[0])
    home = open_page(student, "/space/", student_token)
    assert home.soup.find(id="program-status"), "the home page shows the profile status"
    assert "Not filled in yet" in home.soup.find(id="program-status").get_text()
    page = open_page(student, "/program/profile", student_token)
    assert page.status == 200
    soup = page.soup
    assert labelled(soup) == []
    legends = [legend.get_text(strip=True) for legend in soup.find_all("legend")]
    assert "Your goals" in legends and "Time slot 1" in legends
    assert soup.find("select", id="time_zone").has_attr("data-detect-time-zone")
    assert soup.find("script", src=lambda s: s and s.endswith("/static/js/time-zone.js"))
    assert not soup.find("script", src=False) and not soup.find(attrs={"style": True})
    assert soup.find("label", attrs={"for": "languages-1"}), "languages offered with their names"
    saved = submit(
        student,
        page,
        "/program/profile",
        goals=["Career planning"],
        interests=["Chess", "Hiking"],
        languages=["es", "en"],
        about="I want to plan a research career.",
        time_zone="America/Mexico_City",
        slot0_day="0",
        slot0_start="18:00",
        slot0_end="19:30",
        slot1_day="5",
        slot1_start="09:00",
        slot1_end="24:00",
    )
    assert saved.status == 200, saved.text[:2000]
    assert saved.soup.find(attrs={"role": "status"}).get_text(strip=True) == "Profile saved."
    assert saved.soup.find("input", id="slot0_start")["value"] == "18:00"
    assert saved.soup.find("option", value="America/Mexico_City").has_attr("selected")
    row = participant_of(live, course.context_id, course.students[0])
    assert row.goals == ["Career planning"] and row.interests == ["Chess", "Hiking"]
    assert row.languages == ["en", "es"] or sorted(row.languages) == ["en", "es"]
    assert row.time_zone == "America/Mexico_City"
    assert row.availability == [[0, 1080, 1170], [5, 540, 1440]]
    assert row.has_profile and row.about == "I want to plan a research career."
    assert "Complete" in open_page(student, "/space/", student_token).soup.find(id="program-status").get_text()


def test_language_names_follow_the_reader(live, browser):
    """Language choices are named in the reader's language (Babel display names)."""
    course = fresh_course(live, browser)
    student, token = enter(live, course, course.students[0])
    from babel import Locale

    soup = open_page(student, "/program/profile", token).soup
    label = soup.find("input", attrs={"name": "languages", "value": "de"}).find_next("label").get_text()
    assert label == Locale.parse(soup.find("html")["lang"]).languages["de"]
    ta, ta_token = enter(live, course, course.ta)  # Mateo's LMS speaks Spanish
    settings_of(ta, ta_token, mentor_sources=["role"], mentor_lti_roles=["Instructor"])
    spanish = open_page(ta, "/program/profile", ta_token).soup
    label = spanish.find("input", attrs={"name": "languages", "value": "de"}).find_next("label").get_text()
    assert label == "alemán"


def test_unknown_time_zone_is_refused(live, browser):
    """A time zone that is not an IANA name is refused with a message on the field; the rest is kept."""
    course = fresh_course(live, browser)
    student, token = enter(live, course, course.students[0])
    page = open_page(student, "/program/profile", token)
    refused = submit(student, page, "/program/profile", time_zone="Mars/Olympus_Mons", about="Keep me")
    assert refused.status == 400
    error = refused.soup.find(id="time_zone-error").get_text(strip=True)
    assert "“Mars/Olympus_Mons” is not a time zone we know" in error
    select = refused.soup.find("select", id="time_zone")
    assert "time_zone-error" in select["aria-describedby"] and select["aria-invalid"] == "true"
    assert refused.soup.find("option", value="Mars/Olympus_Mons").has_attr("selected"), "the value is kept"
    assert refused.soup.find("textarea", id="about").get_text() == "Keep me"
    assert not participant_of(live, course.context_id, course.students[0]).has_profile


def test_availability_must_end_after_it_starts(live, browser):
    """A slot that ends before it starts, or has no day, is refused for that row."""
    course = fresh_course(live, browser)
    student, token = enter(live, course, course.students[0])
    page = open_page(student, "/program/profile", token)
    refused = submit(
        student,
        page,
        "/program/profile",
        time_zone="Europe/Berlin",
        slot0_day="2",
        slot0_start="20:00",
        slot0_end="19:00",
        slot1_day="",
        slot1_start="08:00",
        slot1_end="09:00",
    )
    assert refused.status == 400
    assert refused.soup.find(id="slot0-error").get_text(strip=True) == "The slot must end after it starts."
    assert refused.soup.find(id="slot1-error").get_text(strip=True) == "Choose a day for this time slot."
    fieldset = refused.soup.find(id="slot0-error").find_parent("fieldset")
    assert fieldset["aria-describedby"] == "slot0-error"
    assert refused.soup.find("input", id="slot0_start")["value"] == "20:00"


def test_tags_off_the_list_are_refused(live, browser):
    """A goal that is not on the coordinator's list is refused (people cannot invent unmatched spellings)."""
    course = fresh_course(live, browser)
    coordinator, token = enter(live, course, course.instructor)
    settings_of(coordinator, token, **TAGS)
    student, student_token = enter(live, course, course.students[0])
    page = open_page(student, "/program/profile", student_token)
    refused = submit(student, page, "/program/profile", time_zone="UTC", goals=["World domination"])
    assert refused.status == 400 and refused.soup.find(id="goals-error")


def test_skippable_profile(live, browser):
    """When profiles are skippable, 'Skip for now' leads home, and the home page says it was skipped."""
    course = fresh_course(live, browser)
    student, token = enter(live, course, course.students[0])
    page = open_page(student, "/program/profile", token)
    skip = page.soup.find("button", attrs={"value": "skip"})
    assert skip and skip.get_text(strip=True) == "Skip for now"
    home = submit(student, page, "/program/profile", action="skip")
    assert home.status == 200 and home.soup.find(id="space-title")
    assert "Skipped for now" in home.soup.find(id="program-status").get_text()
    assert participant_of(live, course.context_id, course.students[0]).profile_skipped_at is not None


def test_required_profile_comes_first(live, browser):
    """When profiles are required, opening the space leads to the profile page until it is filled in."""
    course = fresh_course(live, browser)
    coordinator, token = enter(live, course, course.instructor)
    settings_of(coordinator, token, profile_required="required")
    assert open_page(coordinator, "/space/", token).soup.find(id="space-title"), "coordinators are not redirected"
    student, student_token = enter(live, course, course.students[1])
    landing = open_page(student, "/space/", student_token)
    assert landing.url.split("?")[0].endswith("/program/profile")
    assert landing.soup.find(id="profile-title")
    assert not landing.soup.find("button", attrs={"value": "skip"}), "no skip button"
    refused = submit(student, landing, "/program/profile", action="skip")
    assert refused.status == 400
    submit(student, landing, "/program/profile", time_zone="Africa/Nairobi")
    assert open_page(student, "/space/", student_token).soup.find(id="space-title")


def test_ranked_mentor_preferences(live, browser):
    """Once mentors are approved, a mentee may rank them; a mentor chosen twice is refused."""
    course = fresh_course(live, browser)
    for sub in course.students[:2]:
        enter(live, course, sub)
    coordinator, token = enter(live, course, course.instructor)
    settings_of(coordinator, token, mentor_sources=["csv", "opt_in"])
    from .test_program_mentors import _upload

    content = f"user_id,capacity\n{course.students[0]},2\n{course.students[1]},1\n".encode()
    assert _upload(coordinator, token, content).status == 200
    mentor_a = participant_of(live, course.context_id, course.students[0])
    mentor_b = participant_of(live, course.context_id, course.students[1])
    mentee, mentee_token = enter(live, course, course.students[2])
    page = open_page(mentee, "/program/profile", mentee_token)
    options = [o["value"] for o in page.soup.find("select", id="pref0").find_all("option")]
    assert options[1:] == sorted([str(mentor_a.id), str(mentor_b.id)], key=options[1:].index)
    assert set(options[1:]) == {str(mentor_a.id), str(mentor_b.id)}
    twice = submit(mentee, page, "/program/profile", time_zone="UTC", pref0=str(mentor_b.id), pref1=str(mentor_b.id))
    assert twice.status == 400 and twice.soup.find(id="pref1-error")
    foreign = submit(mentee, page, "/program/profile", time_zone="UTC", pref0="999999")
    assert foreign.status == 400 and foreign.soup.find(id="pref0-error")
    ok = submit(mentee, page, "/program/profile", time_zone="UTC", pref0=str(mentor_b.id), pref1=str(mentor_a.id))
    assert ok.status == 200
    assert participant_of(live, course.context_id, course.students[2]).preferences == [mentor_b.id, mentor_a.id]
