"""Evaluations over real HTTP: templates, copying and versioning instruments, checkpoints, answering, scoring,
and who sees what (aggregate across three mentees, release)."""

from __future__ import annotations

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.mentoring.evaluations.templates import TEMPLATES
from lti_tool.models import EvaluationCheckpoint, EvaluationInstrumentVersion, EvaluationResponse

from .support.browser import Page
from .test_evaluations_support import (
    MENTEE_ANSWERS,
    answer,
    answer_path,
    close,
    copy_template,
    paired_course,
    schedule,
)
from .test_program_support import form_action, form_data, labelled, replace


def _responses(live, checkpoint_id: int) -> list[EvaluationResponse]:
    with live.app.app_context():
        rows = list(
            db.session.execute(
                select(EvaluationResponse).where(EvaluationResponse.checkpoint_id == checkpoint_id)
            ).scalars()
        )
        for r in rows:
            db.session.expunge(r)
        db.session.remove()
    return rows


def _edit(coordinator, instrument_id: int, **changes: str) -> Page:
    path = f"/evaluations/instruments/{instrument_id}/edit"
    page = coordinator.get(path)
    assert page.status == 200, page.text[:1500]
    data = replace(form_data(page, path), **changes)
    return Page(coordinator.browser.http.post(form_action(page, path), data=data, timeout=30))


def test_templates_are_listed_and_copied_into_the_course(live, browser):
    world = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    index = world.coordinator.get("/evaluations/")
    assert index.status == 200, index.text[:1500]
    keys = [li["data-template"] for li in index.soup.select("#template-list li")]
    assert keys == [t.key for t in TEMPLATES]
    assert {"mentee_of_mentor", "mentor_of_mentee", "self_assessment", "reflection", "survey"} <= set(keys)
    assert "Reflection: three, two, one" in index.text

    instrument_id = copy_template(world.coordinator, "reflection")
    edit = world.coordinator.get(f"/evaluations/instruments/{instrument_id}/edit")
    assert edit.status == 200
    assert labelled(edit.soup) == []
    prompts = [i["value"] for i in edit.soup.select("input[name$='-prompt']") if i.get("value")]
    assert prompts[:3] == ["First thing you gained", "Second thing you gained", "Third thing you gained"]
    assert len(prompts) == 6  # three gained, two to use, one to learn more

    # The copy is the course's own: editing it changes the copy, never the template.
    saved = _edit(world.coordinator, instrument_id, **{"title": "Our reflection", "item-0-prompt": "Most useful idea"})
    assert saved.status == 200 and "Saved." in saved.text, saved.text[:1500]
    assert "Most useful idea" in saved.text
    again = world.coordinator.get("/evaluations/")
    assert "Our reflection" in again.text and "Reflection: three, two, one" in again.text

    # Unknown templates are 404; participants may not copy (403).
    assert world.coordinator.post("/evaluations/templates/nope/copy").status == 404
    assert world.mentees[0].post("/evaluations/templates/survey/copy").status == 403


def test_build_a_new_instrument_with_every_item_type(live, browser):
    world = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    page = world.coordinator.get("/evaluations/instruments/new")
    assert page.status == 200 and labelled(page.soup) == []
    data = replace(
        form_data(page, "/evaluations/instruments/new"),
        title="Check-in",
        **{
            "item-0-prompt": "How useful was the last meeting?",
            "item-0-type": "likert",
            "item-0-points": "7",
            "item-0-low": "Not at all",
            "item-0-high": "Very",
            "item-0-required": "1",
            "item-1-prompt": "How often do you meet?",
            "item-1-type": "choice",
            "item-1-options": "Weekly = 2\nMonthly = 1\nRarely = 0",
            "item-1-help": "Count video calls too.",
        },
    )
    created = Page(world.coordinator.browser.http.post(form_action(page, "/evaluations/instruments/new"), data=data))
    assert created.status == 200, created.text[:1500]
    preview = created.soup.find(id="item-preview")
    assert "7 points" in preview.get_text() and "Not at all" in preview.get_text()
    assert "Weekly (2)" in preview.get_text() and "Count video calls too." in preview.get_text()
    # Adding short and long text questions to it later works the same way (two blank rows each save).
    instrument_id = int(created.url.split("/evaluations/instruments/")[1].split("?")[0])
    saved = _edit(
        world.coordinator,
        instrument_id,
        **{
            "item-2-prompt": "One word",
            "item-2-type": "short_text",
            "item-3-prompt": "Tell us",
            "item-3-type": "long_text",
        },
    )
    assert saved.status == 200 and "Tell us" in saved.text and "Short text" in saved.text
    # A forged item id (ids become HTML ids and answer keys) is replaced by a fresh one.
    forged = _edit(world.coordinator, instrument_id, **{"item-0-id": '"><script>x</script>'})
    assert forged.status == 200 and "<script>x</script>" not in forged.text
    with live.app.app_context():
        [version] = db.session.execute(
            select(EvaluationInstrumentVersion).where(EvaluationInstrumentVersion.instrument_id == instrument_id)
        ).scalars()
        ids = [i["id"] for i in version.items]
        assert len(set(ids)) == 4 and all(i.isidentifier() for i in ids), ids
        db.session.remove()

    # Refused: no title, a scale of 1 point, a choice with one option, points that are not numbers.
    bad = replace(
        form_data(page, "/evaluations/instruments/new"),
        title="",
        **{
            "item-0-prompt": "Scale",
            "item-0-points": "1",
            "item-1-prompt": "Pick",
            "item-1-type": "choice",
            "item-1-options": "Only one",
        },
    )
    refused = Page(world.coordinator.browser.http.post(form_action(page, "/evaluations/instruments/new"), data=bad))
    assert refused.status == 400
    assert refused.soup.find(id="error-summary") is not None
    assert refused.soup.find(id="item-0-points")["aria-invalid"] == "true"
    assert "Give at least two options" in refused.text and "Give the instrument a title." in refused.text
    assert refused.soup.find(id="item-1-options").get_text() == "Only one"  # what was typed is kept
    not_numbers = replace(
        form_data(page, "/evaluations/instruments/new"),
        title="X",
        **{"item-0-prompt": "Pick", "item-0-type": "choice", "item-0-options": "A = lots\nB = 1"},
    )
    refused = Page(
        world.coordinator.browser.http.post(form_action(page, "/evaluations/instruments/new"), data=not_numbers)
    )
    assert refused.status == 400 and "Write points as a number" in refused.text


def test_answer_with_required_items_drafts_scoring_and_escaping(live, browser):
    world = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    mentee, mentor = world.mentees[0], world.mentors[0]
    instrument_id = copy_template(world.coordinator, "mentee_of_mentor")
    checkpoint_id = schedule(world.coordinator, instrument_id, "mentees_about_mentor")

    home = mentee.get("/space/")
    card = home.soup.find(id="your-evaluations")
    assert card is not None and "Mid-course" in card.get_text() and mentor.name in card.get_text()
    assert card.find("li")["data-status"] == "open"

    form = mentee.get(answer_path(checkpoint_id, mentor.person_id))
    assert form.status == 200 and labelled(form.soup) == []
    assert form.soup.find(id="answer-q1").find("legend") is not None  # scale: a fieldset with a legend

    # Missing required items: refused with a message per item, the answers given are kept (and saved as a draft).
    partial = answer(mentee, checkpoint_id, mentor.person_id, {"q1": "4", "q7": "<script>alert(1)</script> **hi**"})
    assert partial.status == 400
    assert partial.soup.find(id="answer-q2-error").get_text(strip=True) == "This question needs an answer."
    assert partial.soup.find(id="answer-q1-4").has_attr("checked")
    assert partial.soup.find(id="answer-q7").get_text() == "<script>alert(1)</script> **hi**"
    assert "<script>alert(1)</script>" not in partial.text  # escaped in the page
    [draft] = _responses(live, checkpoint_id)
    assert draft.status == "draft" and draft.answers["q1"] == 4

    # A point outside the scale is refused even for a draft; the earlier answer stays.
    outside = answer(mentee, checkpoint_id, mentor.person_id, {"q1": "9", "q2": "3"}, action="save")
    assert outside.status == 400 and "Choose a point on the scale from 1 to 5." in outside.text
    [draft] = _responses(live, checkpoint_id)
    assert draft.answers["q1"] == 4 and draft.answers["q2"] == 3
    bad_option = answer(mentee, checkpoint_id, mentor.person_id, {"q6": "7"}, action="save")
    assert bad_option.status == 400 and "Choose one of the options." in bad_option.text

    saved = answer(mentee, checkpoint_id, mentor.person_id, {"q1": "4", "q2": "3"}, action="save")
    assert saved.status == 200 and "Draft saved." in saved.text
    assert saved.soup.find(id="answer-q2-3").has_attr("checked")
    assert mentee.get("/space/").soup.select_one("#your-evaluations li")["data-status"] == "draft"

    answers = dict(MENTEE_ANSWERS, q7="<script>alert(1)</script> <b>bold</b>")
    done = answer(mentee, checkpoint_id, mentor.person_id, answers)
    assert done.status == 200 and "Your answers are submitted." in done.text, done.text[:1500]
    assert "<script>alert(1)</script>" not in done.text and "&lt;script&gt;" in done.text
    [response] = _responses(live, checkpoint_id)
    assert response.status == "submitted" and response.submitted_at is not None
    # Likert (v-1)/(points-1): 1, .75, .5, 1, .75; the choice "Every week" = 3 of 3 → 1; mean = 5/6.
    assert abs(response.score_fraction - (1 + 0.75 + 0.5 + 1 + 0.75 + 1) / 6) < 1e-9
    assert mentee.get("/space/").soup.select_one("#your-evaluations li")["data-status"] == "submitted"

    # Submitted answers are final.
    resent = [(f"answer-{k}", v) for k, v in MENTEE_ANSWERS.items()] + [("action", "submit")]
    forced = mentee.post(answer_path(checkpoint_id, mentor.person_id), resent)
    assert forced.status == 409 and "cannot be changed" in forced.text

    # The coordinator sees the response and its score; the mentee sees their own answers.
    results = world.coordinator.get(f"/evaluations/checkpoints/{checkpoint_id}")
    assert results.status == 200 and results.soup.find(id="submitted-count").get_text(strip=True) == "1 of 1"
    written = results.soup.find(id="written-answers")
    assert "<script>alert(1)</script> <b>bold</b>" in written.get_text() and "<b>bold</b>" not in str(written)
    mine = mentee.get(f"/evaluations/responses/{response.id}")
    assert mine.status == 200 and "Good talks" not in mine.text and "&lt;b&gt;bold&lt;/b&gt;" in mine.text


def test_reflection_has_no_score_and_self_assessment_is_for_everyone(live, browser):
    world = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    reflection = schedule(world.coordinator, copy_template(world.coordinator, "reflection"), "reflection", "End")
    for person in (world.mentees[0], world.mentors[0]):
        tasks = person.get("/evaluations/")
        assert tasks.status == 200 and tasks.soup.select(f"#task-table tr[data-checkpoint='{reflection}']")
    texts = {k: f"answer {k}" for k in ("gained_1", "gained_2", "gained_3", "use_1", "use_2", "learn_1")}
    done = answer(world.mentees[0], reflection, None, texts)
    assert done.status == 200 and "submitted" in done.text
    [response] = _responses(live, reflection)
    assert response.score_fraction is None and response.subject_person_id is None
    # Nobody is "about" anybody in a reflection: another path is 404.
    assert world.mentees[0].get(answer_path(reflection, world.mentors[0].person_id)).status == 404


def test_editing_an_answered_instrument_creates_a_version_and_keeps_responses(live, browser):
    world = paired_course(live, browser, mentors=1, mentees=2, capacity=2)
    instrument_id = copy_template(world.coordinator, "mentee_of_mentor")
    first = schedule(world.coordinator, instrument_id, "mentees_about_mentor", "Mid-course")
    later = schedule(world.coordinator, instrument_id, "mentees_about_mentor", "End")
    mentor = world.mentors[0]
    one, two = world.mentees
    assert answer(one, first, mentor.person_id, MENTEE_ANSWERS).status == 200
    answer(two, first, mentor.person_id, {"q1": "2"}, action="save")  # a draft counts as a response too

    edit = world.coordinator.get(f"/evaluations/instruments/{instrument_id}/edit")
    warning = edit.soup.find(id="version-warning")
    assert warning is not None and "Saving creates version 2" in warning.get_text()
    saved = _edit(
        world.coordinator, instrument_id, **{"item-0-prompt": "My mentor is easy to reach.", "item-0-points": "7"}
    )
    assert saved.status == 200, saved.text[:1500]
    notice = saved.soup.find(id="versioned-notice").get_text()
    assert "Saved as version 2" in notice and "keep pointing at version 1" in notice and "(1 moved)" in notice

    with live.app.app_context():
        versions = {
            v.number: v
            for v in db.session.execute(
                select(EvaluationInstrumentVersion).where(EvaluationInstrumentVersion.instrument_id == instrument_id)
            ).scalars()
        }
        cps = {c.id: c.instrument_version_id for c in db.session.execute(select(EvaluationCheckpoint)).scalars()}
        assert versions[1].items[0]["prompt"] == "My mentor makes time for our conversations."
        assert versions[1].items[0]["points"] == 5
        assert versions[2].items[0]["points"] == 7
        assert cps[first] == versions[1].id  # answered: stays
        assert cps[later] == versions[2].id  # not answered yet: follows the edit
        db.session.remove()
    responses = _responses(live, first)
    assert {r.instrument_version_id for r in responses} == {versions[1].id}
    submitted = next(r for r in responses if r.status == "submitted")
    view = world.coordinator.get(f"/evaluations/responses/{submitted.id}")
    assert "My mentor makes time for our conversations." in view.text and "version 1" in view.text
    # The draft finishes on the version it started with (5 points, not 7).
    draft_form = two.get(answer_path(first, mentor.person_id))
    assert draft_form.soup.find(id="answer-q1-5") is not None and draft_form.soup.find(id="answer-q1-6") is None
    # The later checkpoint asks the new question on 7 points.
    later_form = one.get(answer_path(later, mentor.person_id))
    assert "My mentor is easy to reach." in later_form.text and later_form.soup.find(id="answer-q1-7") is not None


def _about_me(person, checkpoint_id: int) -> Page:
    return person.get(f"/evaluations/checkpoints/{checkpoint_id}/about-me")


def test_mentor_sees_nothing_with_two_mentees(live, browser):
    world = paired_course(live, browser, mentors=1, mentees=2, capacity=2)
    mentor = world.mentors[0]
    checkpoint = schedule(
        world.coordinator, copy_template(world.coordinator, "mentee_of_mentor"), "mentees_about_mentor"
    )
    for mentee in world.mentees:
        assert answer(mentee, checkpoint, mentor.person_id, MENTEE_ANSWERS).status == 200
    close(world.coordinator, checkpoint)
    page = _about_me(mentor, checkpoint)
    assert page.status == 200
    assert "Fewer than 3 mentees answered by the due date" in page.soup.find(id="too-few").get_text()
    assert page.soup.find(id="too-few") is not None and page.soup.find(id="aggregate-table") is None
    assert "Good talks" not in page.text
    ids = [r.id for r in _responses(live, checkpoint)]
    assert all(mentor.get(f"/evaluations/responses/{rid}").status == 404 for rid in ids)


def test_mentor_sees_aggregate_with_three_and_individual_after_release(live, browser):
    world = paired_course(live, browser, mentors=1, mentees=4, capacity=4)
    mentor = world.mentors[0]
    assert len(world.pairs[mentor.person_id]) == 4
    checkpoint = schedule(
        world.coordinator, copy_template(world.coordinator, "mentee_of_mentor"), "mentees_about_mentor"
    )
    on_time, late = world.mentees[:3], world.mentees[3]
    for index, mentee in enumerate(on_time):
        answers = dict(MENTEE_ANSWERS, q1=str(index + 3), q7=f"Secret note {index}")
        assert answer(mentee, checkpoint, mentor.person_id, answers).status == 200
    with live.app.app_context():  # the functions the dashboard and the grades use
        from lti_tool.mentoring.evaluations import completion_by_checkpoint, responses_for_checkpoint

        [completion] = completion_by_checkpoint(db.session(), world.course_id)
        assert (completion.checkpoint_id, completion.expected, completion.submitted) == (checkpoint, 4, 3)
        assert len(responses_for_checkpoint(db.session(), checkpoint)) == 3
        db.session.remove()
    early = _about_me(mentor, checkpoint)  # before the due date: nothing yet, even with three
    assert early.soup.find(id="aggregate-table") is None and "after the due date" in early.text
    close(world.coordinator, checkpoint)
    page = _about_me(mentor, checkpoint)
    table = page.soup.find(id="aggregate-table")
    assert table is not None, page.text[:1500]
    row = table.find("tr", attrs={"data-item": "q1"})
    assert row.find("td", class_="mean").get_text(strip=True) == "4.00 / 5"  # 3, 4, 5
    counts = [int(c.get_text()) for c in row.select(".dist-count")]
    assert counts == [0, 0, 1, 1, 1]
    assert "Secret note" not in page.text  # free text is never aggregated
    assert page.soup.find(id="individual") is None
    names = [m.name for m in world.mentees]
    assert not any(name in page.text for name in names)
    # A late answer does not move the aggregate (its difference would be that one answer).
    late_answers = dict(MENTEE_ANSWERS, q1="1", q7="Secret note 3")
    assert answer(late, checkpoint, mentor.person_id, late_answers).status == 200
    after = _about_me(mentor, checkpoint).soup.find(id="aggregate-table")
    assert after.find("tr", attrs={"data-item": "q1"}).find("td", class_="mean").get_text(strip=True) == "4.00 / 5"
    assert "3 responses" in after.find("caption").get_text()
    ids = [r.id for r in _responses(live, checkpoint)]
    assert all(mentor.get(f"/evaluations/responses/{rid}").status == 404 for rid in ids)

    released = world.coordinator.post(f"/evaluations/checkpoints/{checkpoint}/release", {"released": "1"})
    assert released.status == 200 and "Released" in released.text
    page = _about_me(mentor, checkpoint)
    assert page.soup.find(id="individual") is not None
    assert all(f"Secret note {i}" in page.text for i in range(4))  # released: every response, late ones too
    assert mentor.get(f"/evaluations/responses/{ids[0]}").status == 200

    world.coordinator.post(f"/evaluations/checkpoints/{checkpoint}/release", {"released": "0"})
    assert "Secret note" not in _about_me(mentor, checkpoint).text
    assert mentor.get(f"/evaluations/responses/{ids[0]}").status == 404


def test_mentors_evaluation_of_mentee_is_visible_to_the_mentee_only_when_released(live, browser):
    world = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    mentor, mentee = world.mentors[0], world.mentees[0]
    checkpoint = schedule(
        world.coordinator, copy_template(world.coordinator, "mentor_of_mentee"), "mentors_about_mentee"
    )
    tasks = mentor.get("/evaluations/")
    assert mentee.name in tasks.soup.find(id="task-table").get_text()
    answers = {"q1": "4", "q2": "4", "q3": "5", "q4": "3", "q5": "Mentor private view", "q6": ""}
    assert answer(mentor, checkpoint, mentee.person_id, answers).status == 200
    [response] = _responses(live, checkpoint)
    assert mentee.get(f"/evaluations/responses/{response.id}").status == 404
    hidden = _about_me(mentee, checkpoint)
    assert hidden.soup.find(id="not-released") is not None and "Mentor private view" not in hidden.text
    world.coordinator.post(f"/evaluations/checkpoints/{checkpoint}/release", {"released": "1"})
    shown = _about_me(mentee, checkpoint)
    assert "Mentor private view" in shown.text
    assert mentee.get(f"/evaluations/responses/{response.id}").status == 200
    # The mentee is not the one who answers here.
    assert mentee.get(answer_path(checkpoint, mentor.person_id)).status == 404


def test_checkpoint_dates_in_the_coordinators_zone_and_checked(live, browser):
    world = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    instrument_id = copy_template(world.coordinator, "survey")
    page = world.coordinator.get("/evaluations/checkpoints/new")
    assert labelled(page.soup) == []
    data = replace(
        form_data(page, "/evaluations/checkpoints/new"),
        title="End",
        instrument_id=str(instrument_id),
        audience="survey",
        opens_at="2030-05-10T09:00",
        due_at="2030-05-01T09:00",
        reminder_hours_before="-3",
    )
    refused = Page(world.coordinator.browser.http.post(form_action(page, "/evaluations/checkpoints/new"), data=data))
    assert refused.status == 400
    assert "The due date must come after the opening date." in refused.text
    assert "Enter a whole number of hours" in refused.text
    assert refused.soup.find(id="title")["value"] == "End"
    assert refused.soup.find(id="audience-survey").has_attr("checked")
    data = replace(data, due_at="2030-05-20T17:30", reminder_hours_before="24")
    saved = Page(world.coordinator.browser.http.post(form_action(page, "/evaluations/checkpoints/new"), data=data))
    assert saved.status == 200, saved.text[:1500]
    checkpoint_id = int(saved.url.split("/evaluations/checkpoints/")[1].split("?")[0])
    with live.app.app_context():
        stored = db.session.get(EvaluationCheckpoint, checkpoint_id)
        assert stored.due_at.isoformat() == "2030-05-20T17:30:00+00:00"  # the demo coordinator's zone is UTC
        db.session.remove()
    # Not open yet: participants see when it opens, and cannot answer.
    mentee = world.mentees[0]
    form = mentee.get(answer_path(checkpoint_id))
    assert form.status == 200 and form.soup.find(id="not-open") is not None and form.soup.find(id="answer-form") is None
    early = mentee.post(answer_path(checkpoint_id), [("answer-q1", "3"), ("action", "save")])
    assert early.status == 409
    assert mentee.get("/space/").soup.select_one("#your-evaluations li")["data-status"] == "upcoming"


def test_reminders_go_to_those_who_have_not_answered(live, browser):
    from datetime import timedelta

    from lti_tool.mentoring.evaluations.reminders import queue_evaluation_reminders
    from lti_tool.models import NotificationOutbox

    world = paired_course(live, browser, mentors=1, mentees=2, capacity=2)
    mentor = world.mentors[0]
    done_mentee, late_mentee = world.mentees
    instrument = copy_template(world.coordinator, "mentee_of_mentor")
    checkpoint = schedule(
        world.coordinator, instrument, "mentees_about_mentor", "Due soon", due=timedelta(hours=20), reminder_hours=24
    )
    later = schedule(world.coordinator, instrument, "mentees_about_mentor", "Due later", due=timedelta(days=9))
    assert answer(done_mentee, checkpoint, mentor.person_id, MENTEE_ANSWERS).status == 200

    def reminders() -> list[tuple[int, str]]:
        with live.app.app_context():
            rows = db.session.execute(
                select(NotificationOutbox.person_id, NotificationOutbox.idempotency_key).where(
                    NotificationOutbox.course_id == world.course_id, NotificationOutbox.kind == "evaluation_reminder"
                )
            ).all()
            db.session.remove()
        return [tuple(r) for r in rows]

    with live.app.app_context():
        queued = queue_evaluation_reminders(db.session())
        db.session.commit()
        again = queue_evaluation_reminders(db.session())  # the next tick: nothing new
        db.session.commit()
        db.session.remove()
    assert queued == 1 and again == 0
    [(person, key)] = reminders()
    assert person == late_mentee.person_id and f":checkpoint-{checkpoint}-{mentor.person_id}-" in key
    assert not any(f":checkpoint-{later}-" in k for _p, k in reminders())  # not due for days
    page = world.coordinator.get(f"/evaluations/checkpoints/{checkpoint}")
    assert "The automatic reminder went out" in page.soup.find(id="reminder-plan").get_text()
    with live.app.test_request_context():  # the mail as the mentee will read it
        from lti_tool.models import Person
        from lti_tool.notifications.delivery import render

        row = db.session.execute(
            select(NotificationOutbox).where(NotificationOutbox.idempotency_key == key)
        ).scalar_one()
        mail = render(db.session(), row, db.session.get(Person, late_mentee.person_id), live.app.config)
        assert mail.subject.startswith("Evaluation due ") and mail.subject.endswith(": Due soon")
        assert f"Please fill in “Due soon” ({mentor.name}) by " in mail.text
        db.session.remove()

    # The coordinator reminds the missing people of the later checkpoint at once; once a day.
    now = world.coordinator.post(f"/evaluations/checkpoints/{later}/remind")
    assert now.status == 200 and now.soup.find(id="reminded-notice").get_text(strip=True) == "Reminders queued: 2."
    twice = world.coordinator.post(f"/evaluations/checkpoints/{later}/remind")
    assert twice.soup.find(id="reminded-notice").get_text(strip=True) == "Reminders queued: 0."
    assert {p for p, k in reminders() if f":checkpoint-{later}-" in k} == {m.person_id for m in world.mentees}
    assert world.mentees[0].post(f"/evaluations/checkpoints/{later}/remind").status == 403


def test_submitting_records_the_grade_in_the_same_transaction(live):
    """A checkpoint graded by instrument score: submitting the form leaves a result and a grade outbox row
    with the scaled score (written with the response, before any delivery)."""
    from lti_tool.models import GradeOutbox, GradeResult, Person

    from .test_activities import activity_of_link, launch_link, place
    from .test_evaluations_support import Actor
    from .test_program_support import open_page, submit

    placed = place(live, ["evaluation-midterm"])
    course, link_id = placed.course, placed.links["evaluation-midterm"]
    browser, token = launch_link(live, course, course.instructor, link_id)
    coordinator = Actor(course.instructor, browser, token)
    checkpoint = schedule(coordinator, copy_template(coordinator, "self_assessment"), "self_assessment", "Self check")
    activity = activity_of_link(live, course.context_id, link_id)
    page = open_page(browser, f"/activities/{activity.id}/edit", token)
    saved = submit(
        browser,
        page,
        f"/activities/{activity.id}/edit",
        rule="instrument_score",
        checkpoint_id=str(checkpoint),
        score_maximum="10",
    )
    assert saved.status == 200, saved.text[:1500]

    student_browser, student_token = launch_link(live, course, course.students[0], link_id)
    student = Actor(course.students[0], student_browser, student_token)
    done = answer(student, checkpoint, None, {"q1": "5", "q2": "5", "q3": "3", "q4": "3"})
    assert done.status == 200 and "submitted" in done.text
    with live.app.app_context():
        person_id = db.session.execute(select(Person.id).where(Person.sub == course.students[0])).scalars().first()
        [response] = db.session.execute(
            select(EvaluationResponse).where(EvaluationResponse.checkpoint_id == checkpoint)
        ).scalars()
        assert response.score_fraction == 0.75
        mine = (GradeResult.line_item_id == activity.line_item_id, GradeResult.person_id == person_id)
        result = db.session.execute(select(GradeResult).where(*mine)).scalar_one()
        assert (result.score_given, result.score_maximum) == (7.5, 10)
        rows = db.session.execute(select(GradeOutbox).where(GradeOutbox.result_id == result.id)).scalars().all()
        assert len(rows) == 1 and rows[0].payload["scoreGiven"] == 7.5
        db.session.remove()


def test_dates_entered_in_the_coordinators_zone_are_shown_in_each_viewers_zone(live, browser):
    from lti_tool.models import Person

    world = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    with live.app.app_context():  # the coordinator's LMS says they are in Bogotá (UTC-5, no DST)
        db.session.get(Person, world.coordinator.person_id).timezone = "America/Bogota"
        db.session.commit()
        db.session.remove()
    mentee = world.mentees[0]
    profile = mentee.get("/program/profile")
    from .test_program_support import submit

    assert submit(mentee.browser, profile, "/program/profile", time_zone="Asia/Tokyo").status == 200
    instrument = copy_template(world.coordinator, "survey")
    page = world.coordinator.get("/evaluations/checkpoints/new")
    assert "America/Bogota" in page.soup.find(id="due_at-hint").get_text()
    data = replace(
        form_data(page, "/evaluations/checkpoints/new"),
        title="End",
        instrument_id=str(instrument),
        audience="survey",
        opens_at="2030-06-01T09:00",
        due_at="2030-06-15T21:30",
    )
    saved = Page(world.coordinator.browser.http.post(form_action(page, "/evaluations/checkpoints/new"), data=data))
    assert saved.status == 200, saved.text[:1500]
    checkpoint_id = int(saved.url.split("/evaluations/checkpoints/")[1].split("?")[0])
    with live.app.app_context():
        stored = db.session.get(EvaluationCheckpoint, checkpoint_id)
        assert stored.due_at.isoformat() == "2030-06-16T02:30:00+00:00"
        db.session.remove()
    edit = world.coordinator.get(f"/evaluations/checkpoints/{checkpoint_id}/edit")
    assert edit.soup.find(id="due_at")["value"] == "2030-06-15T21:30"  # back in the coordinator's zone
    due = mentee.get("/evaluations/").soup.select_one("#task-table time")
    assert due["datetime"] == "2030-06-16T02:30:00+00:00" and "11:30" in due.get_text() and "JST" in due.get_text()


def test_questions_are_reordered_and_removed_in_one_save(live, browser):
    world = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    instrument = copy_template(world.coordinator, "self_assessment")
    saved = _edit(
        world.coordinator,
        instrument,
        **{"item-0-position": "9", "item-1-remove": "1", "item-2-required": None, "item-4-position": "0"},
    )
    assert saved.status == 200, saved.text[:1500]
    with live.app.app_context():
        [version] = db.session.execute(
            select(EvaluationInstrumentVersion).where(EvaluationInstrumentVersion.instrument_id == instrument)
        ).scalars()
        assert version.number == 1  # nobody answered: edited in place
        ids = [i["id"] for i in version.items]
        assert ids == ["q5", "q3", "q4", "q6", "q1"]
        assert next(i for i in version.items if i["id"] == "q3")["required"] is False
        db.session.remove()


def test_an_ended_pairing_keeps_the_draft_and_the_answer(live, browser):
    """The mentee asks to switch and the coordinator ends the pairing: the evaluation already started stays
    the mentee's (named after the former mentor) and can still be submitted; a new one cannot be started."""
    from .test_program_support import form_action, form_data

    world = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    mentee, mentor = world.mentees[0], world.mentors[0]
    instrument = copy_template(world.coordinator, "mentee_of_mentor")
    started = schedule(world.coordinator, instrument, "mentees_about_mentor", "Mid-course")
    untouched = schedule(world.coordinator, instrument, "mentees_about_mentor", "End")
    assert answer(mentee, started, mentor.person_id, {"q1": "3"}, action="save").status == 200

    home = mentee.get("/space/")
    switch = Page(mentee.browser.http.get(mentee.browser.tool_url + home.soup.find(id="ask-switch")["href"]))
    data = replace(form_data(switch, "/matching/switch"), reason="Our schedules never overlap.")
    assert Page(mentee.browser.http.post(form_action(switch, "/matching/switch"), data=data)).status == 200
    review = world.coordinator.get("/matching/")
    request_id = review.soup.select_one("#switch-table tbody tr")["id"].split("-")[1]
    target = f"/matching/switches/{request_id}"
    decided = replace(form_data(review, target), decision="approve")
    assert Page(world.coordinator.browser.http.post(form_action(review, target), data=decided)).status == 200

    rows = mentee.get("/evaluations/").soup.select("#task-table tbody tr")
    assert [(r["data-checkpoint"], r["data-status"]) for r in rows] == [(str(started), "draft")]
    assert mentor.name in rows[0].get_text()
    assert mentee.get(answer_path(untouched, mentor.person_id)).status == 404
    done = answer(mentee, started, mentor.person_id, MENTEE_ANSWERS)
    assert done.status == 200 and "Your answers are submitted." in done.text


def test_a_double_click_makes_one_response(live, browser):
    """Several saves of a first draft at once (a double click, two tabs) leave one response, no error."""
    from concurrent.futures import ThreadPoolExecutor

    from .test_program_support import form_action, form_data

    world = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    mentee = world.mentees[0]
    checkpoint = schedule(world.coordinator, copy_template(world.coordinator, "self_assessment"), "self_assessment")
    path = answer_path(checkpoint)
    page = mentee.get(path)
    data = [(k, v) for k, v in form_data(page, path) if not k.startswith("answer-")]
    data += [("answer-q1", "4"), ("action", "save")]

    def post(_n: int) -> int:
        return mentee.browser.http.post(form_action(page, path), data=data, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(post, range(4)))
    assert statuses == [200] * 4
    [response] = _responses(live, checkpoint)
    assert response.answers == {"q1": 4} and response.subject_person_id is None
