"""Coordinators set up the course's program on the settings page, over real HTTP through the demo LMS."""

from __future__ import annotations

import requests

from .test_program_support import enter, fresh_course, labelled, open_page, program_of, settings_of, submit


def test_program_is_created_with_defaults_on_first_visit(live, browser):
    """The first coordinator visit creates the course's program with defaults and an accessible form."""
    course = fresh_course(live, browser)
    coordinator, token = enter(live, course, course.instructor)
    page = open_page(coordinator, "/program/settings", token)
    assert page.status == 200
    soup = page.soup
    assert soup.find("h1").get_text(strip=True) == "Program settings"
    assert labelled(soup) == [], "every control has a visible label"
    legends = {legend.get_text(strip=True) for legend in soup.find_all("legend")}
    assert {"Who meets whom", "Kind of mentoring", "How pairs are formed", "Compatibility weights"} <= legends
    assert soup.find("input", attrs={"name": "csrf_token"})
    assert soup.find("input", id="structure-one_to_one").has_attr("checked")
    assert soup.find("input", id="weight_goal_expertise")["value"] == "3"
    assert not soup.find("script", src=False), "no inline scripts"
    assert not soup.find(attrs={"style": True}), "no inline styles"
    program = program_of(live, course.context_id)
    assert program.structure == "one_to_one" and program.matching_mode == "optimal"
    assert program.profile_required is False and program.mentor_sources == ["opt_in"]


def test_coordinator_saves_settings(live, browser):
    """Saved settings are stored, shown again, and map onto the matching engine's weights and options."""
    from lti_tool.mentoring.programs import engine_options, engine_weights

    course = fresh_course(live, browser)
    coordinator, token = enter(live, course, course.instructor)
    page = settings_of(
        coordinator,
        token,
        structure="group",
        group_size="5",
        mentors_per_group="2",
        relationship_model="hierarchical",
        matching_mode="stable",
        mentor_sources=["opt_in", "csv"],
        default_capacity="3",
        max_capacity="6",
        profile_required="required",
        require_shared_language="1",
        min_overlap_hours="1.5",
        weight_goal_expertise="5",
        weight_shared_language="0",
        goal_tags="Career planning\nResearch skills, Public speaking",
        interest_tags="Chess",
        expertise_tags="Data science\nCareer planning",
    )
    assert page.status == 200, page.text[:1500]
    assert "saved=1" in page.url
    assert page.soup.find(attrs={"role": "status"}).get_text(strip=True) == "Settings saved."
    assert page.soup.find("input", id="structure-group").has_attr("checked")
    assert page.soup.find("input", id="group_size")["value"] == "5"
    program = program_of(live, course.context_id)
    assert (program.structure, program.group_size, program.mentors_per_group) == ("group", 5, 2)
    assert program.matching_mode == "stable" and program.profile_required is True
    assert program.mentor_sources == ["opt_in", "csv"]
    assert program.goal_tags == ["Career planning", "Research skills", "Public speaking"]
    weights, options = engine_weights(program), engine_options(program)
    assert weights.goal_expertise == 5 and weights.shared_language == 0 and weights.shared_interest == 1
    assert options.require_shared_language is True and options.min_overlap_hours == 1.5


def test_bad_values_are_refused_with_the_input_kept(live, browser):
    """Bad input re-renders with HTTP 400, the user's values kept and an error tied to each field; nothing saved."""
    course = fresh_course(live, browser)
    coordinator, token = enter(live, course, course.instructor)
    page = settings_of(
        coordinator,
        token,
        group_size="lots",
        weight_shared_interest="-2",
        default_capacity="9",
        max_capacity="4",
        goal_tags="Kept text",
    )
    assert page.status == 400
    soup = page.soup
    field = soup.find("input", id="group_size")
    assert field["value"] == "lots", "the user's value is kept"
    assert field["aria-invalid"] == "true"
    assert "group_size-error" in field["aria-describedby"].split()
    assert soup.find(id="group_size-error").get_text(strip=True) == "Enter a whole number from 2 to 20."
    assert soup.find(id="weight_shared_interest-error").get_text(strip=True) == "Enter a number from 0 to 100."
    assert "cannot be above the maximum" in soup.find(id="default_capacity-error").get_text()
    assert soup.find("textarea", id="goal_tags").get_text() == "Kept text"
    summary = soup.find(class_="error-summary")
    assert summary["role"] == "alert" and summary.find("a", href="#group_size-error")
    program = program_of(live, course.context_id)
    assert program.group_size == 4 and program.goal_tags == [], "nothing was saved"


def test_unknown_choice_is_refused(live, browser):
    """A matching mode or LMS role that is not offered is refused with a message on its fieldset."""
    course = fresh_course(live, browser)
    coordinator, token = enter(live, course, course.instructor)
    page = settings_of(coordinator, token, matching_mode="random", mentor_sources=["role"], mentor_lti_roles=[])
    assert page.status == 400
    fieldset = page.soup.find(id="matching_mode-error").find_parent("fieldset")
    assert "matching_mode-error" in fieldset["aria-describedby"]
    assert page.soup.find(id="mentor_lti_roles-error")
    assert program_of(live, course.context_id).matching_mode == "optimal"


def test_settings_need_the_csrf_token(live, browser):
    """A settings POST with a valid session but without the CSRF token is refused (400) and changes nothing."""
    course = fresh_course(live, browser)
    coordinator, token = enter(live, course, course.instructor)
    open_page(coordinator, "/program/settings", token)
    resp = requests.post(
        live.tool_url + "/program/settings",
        data={"ts": token, "structure": "group", "group_size": "3"},
        timeout=10,
    )
    assert resp.status_code == 400
    assert program_of(live, course.context_id).structure == "one_to_one"


def test_settings_page_is_translated(live, browser):
    """The settings page follows the launch locale (Spanish for Mateo, the TA) in its <html lang>."""
    course = fresh_course(live, browser)
    ta, token = enter(live, course, course.ta)
    page = open_page(ta, "/program/settings", token)
    assert page.status == 200
    assert page.soup.find("html")["lang"] == "es"


def test_peer_program_makes_everyone_mentor_and_mentee(live, browser):
    """Switching to peer co-mentoring gives every participant the role 'both'; switching back restores mentees."""
    from .test_program_support import participant_of

    course = fresh_course(live, browser)
    enter(live, course, course.students[0])
    coordinator, token = enter(live, course, course.instructor)
    settings_of(coordinator, token, relationship_model="peer")
    assert participant_of(live, course.context_id, course.students[0]).role == "both"
    settings_of(coordinator, token, relationship_model="hierarchical")
    assert participant_of(live, course.context_id, course.students[0]).role == "mentee"


def test_form_round_trip_keeps_every_value(live, browser):
    """Saving the settings form unchanged stores the same settings (the form shows exactly what is stored)."""
    course = fresh_course(live, browser)
    coordinator, token = enter(live, course, course.instructor)
    before = program_of(live, course.context_id)
    page = open_page(coordinator, "/program/settings", token)
    assert submit(coordinator, page, "/program/settings").status == 200
    after = program_of(live, course.context_id)
    keys = ("structure", "group_size", "mentor_sources", "mentor_lti_roles", "weights", "min_overlap_hours")
    assert {k: getattr(before, k) for k in keys if k != "weights"} == {
        k: getattr(after, k) for k in keys if k != "weights"
    }
    assert after.weights.get("goal_expertise") == 3.0
