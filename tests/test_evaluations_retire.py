"""Retiring evaluation forms and checkpoints over real HTTP: archive, restore, and delete only what nothing
depends on, with the responses and the grades already in the demo LMS's gradebook kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.models import (
    EvaluationCheckpoint,
    EvaluationInstrument,
    EvaluationInstrumentVersion,
    EvaluationResponse,
    GradableActivity,
    GradeResult,
)

from .support.browser import LmsBrowser, Page
from .test_activities import gradebook_cell
from .test_evaluations_support import (
    Actor,
    PairedCourse,
    actor,
    answer,
    copy_template,
    local_input,
    paired_course,
    schedule,
)
from .test_grades import deliver
from .test_program_support import enter, form_action, form_data, fresh_course, replace

SELF_CHECK = {f"q{i}": "4" for i in range(1, 5)}


def count(live, model, *where) -> int:
    with live.app.app_context():
        found = db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
        db.session.remove()
    return int(found)


def checkpoint_row(live, checkpoint_id: int) -> EvaluationCheckpoint | None:
    with live.app.app_context():
        row = db.session.get(EvaluationCheckpoint, checkpoint_id)
        if row is not None:
            db.session.expunge(row)
        db.session.remove()
    return row


def schedule_form(coordinator: Actor, instrument_id: int, title: str) -> Page:
    """Post the new-checkpoint form with ``instrument_id`` (whatever the picker offers)."""
    now = datetime.now(UTC)
    page = coordinator.get("/evaluations/checkpoints/new")
    data = replace(
        form_data(page, "/evaluations/checkpoints/new"),
        title=title,
        instrument_id=str(instrument_id),
        audience="self_assessment",
        opens_at=local_input(now - timedelta(days=1)),
        due_at=local_input(now + timedelta(days=7)),
    )
    return Page(coordinator.browser.http.post(form_action(page, "/evaluations/checkpoints/new"), data=data))


def picker(page: Page, select_id: str) -> set[str]:
    return {o["value"] for o in page.soup.select(f"select#{select_id} option") if o.get("value")}


def create_activity(coordinator: Actor, checkpoint_id: int, title: str, rule: str = "completion") -> int:
    page = coordinator.get("/activities/new")
    data = replace(
        form_data(page, "/activities/new"),
        title=title,
        kind="evaluation",
        rule=rule,
        score_maximum="10",
        checkpoint_id=str(checkpoint_id),
    )
    done = Page(coordinator.browser.http.post(form_action(page, "/activities/new"), data=data, timeout=30))
    assert done.status == 200 and "Activity created" in done.text, done.text[:1500]
    return int(done.url.split("/activities/")[1].split("?")[0])


@pytest.fixture
def world(live, browser) -> PairedCourse:
    return paired_course(live, browser, mentors=1, mentees=1, capacity=1)


def test_an_archived_instrument_leaves_the_pickers_keeps_everything_and_can_be_restored(live, world):
    """Archiving a form hides it from new checkpoints (offered nowhere, refused if posted anyway); its
    checkpoint keeps taking answers, its versions and responses stay; restoring offers it again."""
    coordinator, mentee, mentor = world.coordinator, world.mentees[0], world.mentors[0]
    instrument = copy_template(coordinator, "self_assessment")
    checkpoint = schedule(coordinator, instrument, "self_assessment", "Week 2 self-check")
    assert answer(mentee, checkpoint, None, SELF_CHECK).status == 200

    page = coordinator.get(f"/evaluations/instruments/{instrument}")
    assert page.soup.title.get_text().endswith(" · Mentoring Space"), page.soup.title  # the section is in the body
    assert page.soup.select_one("main #retire #instrument-usage") is not None
    usage = page.soup.select_one("#instrument-usage").get_text(" ", strip=True)
    assert "Checkpoints scheduled with it: 1" in usage and "Responses to any version: 1 (kept)" in usage, usage

    archived = coordinator.post(f"/evaluations/instruments/{instrument}/archive")
    assert archived.status == 200 and "instrument-archived" in archived.url
    assert archived.soup.select_one("#archived-state") is not None
    assert archived.soup.select_one("#restore-instrument") is not None
    assert "Schedule as a checkpoint" not in archived.text
    index = coordinator.get("/evaluations/")
    listed = {li["data-instrument"] for li in index.soup.select("#instrument-list li")}
    shelved = {li["data-instrument"] for li in index.soup.select("#archived-instruments li")}
    assert str(instrument) not in listed and str(instrument) in shelved
    assert str(instrument) not in picker(coordinator.get("/evaluations/checkpoints/new"), "instrument_id")
    refused = schedule_form(coordinator, instrument, "Should not exist")
    assert refused.status == 400
    assert "This instrument is archived: restore it before scheduling it." in refused.soup.get_text()
    assert count(live, EvaluationCheckpoint, EvaluationCheckpoint.title == "Should not exist") == 0

    # The checkpoint already scheduled with it keeps working; nothing of the instrument was deleted.
    assert answer(mentor, checkpoint, None, SELF_CHECK).status == 200
    assert count(live, EvaluationResponse, EvaluationResponse.checkpoint_id == checkpoint) == 2
    assert count(live, EvaluationInstrumentVersion, EvaluationInstrumentVersion.instrument_id == instrument) == 1

    restored = coordinator.post(f"/evaluations/instruments/{instrument}/restore")
    assert restored.status == 200 and "instrument-restored" in restored.url
    assert str(instrument) in picker(coordinator.get("/evaluations/checkpoints/new"), "instrument_id")
    again = schedule_form(coordinator, instrument, "Week 4 self-check")
    assert again.status == 200 and "/evaluations/checkpoints/" in again.url, again.text[:1500]
    with live.app.app_context():
        assert db.session.get(EvaluationInstrument, instrument).archived is False
        db.session.remove()


def test_a_graded_checkpoint_is_archived_not_deleted_and_its_grades_stay_in_the_lms(live, world):
    """A checkpoint with responses and a graded activity cannot be deleted (the page says why, a forced
    delete is refused with 409 and deletes nothing); archiving it closes it to participants while the
    responses, the results and the scores in the demo gradebook stay; restoring opens it again."""
    coordinator, mentee, mentor = world.coordinator, world.mentees[0], world.mentors[0]
    instrument = copy_template(coordinator, "self_assessment")
    checkpoint = schedule(coordinator, instrument, "self_assessment", "Mid-course self-check")
    activity = create_activity(coordinator, checkpoint, "Self-check completion")
    assert answer(mentee, checkpoint, None, SELF_CHECK | {"q5": "Kept words"}).status == 200
    assert answer(mentor, checkpoint, None, {"q1": "2"}, action="save").status == 200  # a draft
    deliver(live)
    context = world.course.context_id
    assert gradebook_cell(live, context, "Self-check completion", mentee.name).startswith("10.0 / 10.0")

    page = coordinator.get(f"/evaluations/checkpoints/{checkpoint}")
    assert page.soup.title.get_text() == "Mid-course self-check · Mentoring Space", page.soup.title
    assert page.soup.select_one("main #retire") is not None
    assert page.soup.select_one("#delete-checkpoint") is None  # not offered
    rule = page.soup.select_one("#retire-rule").get_text(" ", strip=True)
    assert "cannot be deleted" in rule
    dependents = page.soup.select_one("#checkpoint-dependents").get_text(" ", strip=True)
    assert "Submitted responses: 1" in dependents and "Drafts not yet submitted: 1" in dependents
    assert "Self-check completion" in dependents and "holds 1 result." in dependents, dependents
    assert "nothing is deleted in the LMS" in page.text

    path = f"/evaluations/checkpoints/{checkpoint}/answer"
    open_tab = mentor.get(path)  # the mentor's form, still open in a tab while the coordinator archives
    stale = [(k, v) for k, v in form_data(open_tab, path) if not k.startswith("answer-")]
    stale += [(f"answer-{k}", v) for k, v in SELF_CHECK.items()] + [("action", "submit")]

    forced = coordinator.post(f"/evaluations/checkpoints/{checkpoint}/delete")
    assert forced.status == 409
    assert "This checkpoint was not deleted" in forced.soup.select_one("#delete-refused").get_text()
    assert checkpoint_row(live, checkpoint) is not None
    assert count(live, EvaluationResponse, EvaluationResponse.checkpoint_id == checkpoint) == 2

    archived = coordinator.post(f"/evaluations/checkpoints/{checkpoint}/archive")
    assert archived.status == 200 and "checkpoint-archived" in archived.url
    assert archived.soup.select_one("#archived-state") is not None
    assert archived.soup.select_one("#restore-checkpoint") is not None
    assert "Remind those who have not answered now" not in archived.text
    row = checkpoint_row(live, checkpoint)
    assert row is not None and row.archived_at is not None
    index = coordinator.get("/evaluations/")
    assert index.soup.select_one(f"#checkpoint-table tr[data-checkpoint='{checkpoint}']") is None
    assert index.soup.select_one(f"#archived-checkpoints li[data-checkpoint='{checkpoint}']") is not None

    # Participants: gone from their list, closed to answers, the draft kept.
    assert "Mid-course self-check" not in mentor.get("/evaluations/").text
    closed = mentor.get(f"/evaluations/checkpoints/{checkpoint}/answer")
    assert closed.status == 200 and closed.soup.select_one("#archived-notice") is not None
    assert closed.soup.select_one("#answer-form") is None
    refused = Page(mentor.browser.http.post(form_action(open_tab, path), data=stale, timeout=30))
    assert refused.status == 409 and "archived this evaluation" in refused.text
    with live.app.app_context():
        draft = db.session.execute(
            select(EvaluationResponse).where(
                EvaluationResponse.checkpoint_id == checkpoint,
                EvaluationResponse.respondent_person_id == mentor.person_id,
            )
        ).scalar_one()
        assert draft.status == "draft" and draft.answers == {"q1": 2}
        kept = db.session.execute(
            select(EvaluationResponse).where(
                EvaluationResponse.checkpoint_id == checkpoint,
                EvaluationResponse.respondent_person_id == mentee.person_id,
            )
        ).scalar_one()
        assert kept.status == "submitted" and kept.answers["q5"] == "Kept words"
        graded = db.session.get(GradableActivity, activity)
        assert graded.checkpoint_id == checkpoint
        assert (
            db.session.execute(
                select(func.count()).select_from(GradeResult).where(GradeResult.line_item_id == graded.line_item_id)
            ).scalar_one()
            == 1
        )
        db.session.remove()
    deliver(live)
    assert gradebook_cell(live, context, "Self-check completion", mentee.name).startswith("10.0 / 10.0")

    # The activity still names it (marked archived) and keeps it on its form; new activities are not offered it.
    shown = coordinator.get(f"/activities/{activity}")
    assert "archived: no new answers" in shown.text
    edit = coordinator.get(f"/activities/{activity}/edit")
    option = edit.soup.select_one(f"select#checkpoint_id option[value='{checkpoint}']")
    assert option is not None and option.has_attr("selected") and "(archived)" in option.get_text()
    assert str(checkpoint) not in picker(coordinator.get("/activities/new"), "checkpoint_id")

    restored = coordinator.post(f"/evaluations/checkpoints/{checkpoint}/restore")
    assert restored.status == 200 and "checkpoint-restored" in restored.url
    assert "Mid-course self-check" in mentor.get("/evaluations/").text
    submitted = answer(mentor, checkpoint, None, SELF_CHECK)
    assert submitted.status == 200 and "submitted" in submitted.url, submitted.text[:1500]
    deliver(live)
    assert gradebook_cell(live, context, "Self-check completion", mentor.name).startswith("10.0 / 10.0")


def test_a_checkpoint_nothing_depends_on_is_deleted_and_one_with_a_draft_or_an_activity_is_not(live, world):
    """Delete is offered and works when nobody answered and no activity grades the checkpoint; a draft alone,
    or an activity alone (even without results), makes it an archive-only checkpoint."""
    coordinator, mentee = world.coordinator, world.mentees[0]
    instrument = copy_template(coordinator, "self_assessment")
    unused = schedule(coordinator, instrument, "self_assessment", "Scheduled by mistake")
    drafted = schedule(coordinator, instrument, "self_assessment", "Started once")
    graded = schedule(coordinator, instrument, "self_assessment", "Graded, not answered")
    assert answer(mentee, drafted, None, {"q1": "3"}, action="save").status == 200
    create_activity(coordinator, graded, "Graded but empty")

    page = coordinator.get(f"/evaluations/checkpoints/{unused}")
    assert "Nobody has answered it" in page.soup.select_one("#retire-rule").get_text()
    deleted = coordinator.post(f"/evaluations/checkpoints/{unused}/delete")
    assert deleted.status == 200 and deleted.url.split("?")[0].endswith("/evaluations/")
    assert "Checkpoint deleted." in deleted.text
    assert checkpoint_row(live, unused) is None
    assert coordinator.get(f"/evaluations/checkpoints/{unused}").status == 404

    for checkpoint, reason in ((drafted, "Drafts not yet submitted: 1"), (graded, "Graded but empty")):
        page = coordinator.get(f"/evaluations/checkpoints/{checkpoint}")
        assert page.soup.select_one("#delete-checkpoint") is None
        assert reason in page.soup.select_one("#checkpoint-dependents").get_text(" ", strip=True)
        assert coordinator.post(f"/evaluations/checkpoints/{checkpoint}/delete").status == 409
        assert checkpoint_row(live, checkpoint) is not None
    assert count(live, EvaluationResponse, EvaluationResponse.checkpoint_id == drafted) == 1


def test_only_the_courses_coordinator_archives_restores_or_deletes(live, world):
    """Participants get 403; the coordinator of another course, or the same instructor from another platform,
    gets 404 for this course's ids; a post without the CSRF token is refused (400). Nothing changes."""
    coordinator, mentee = world.coordinator, world.mentees[0]
    instrument = copy_template(coordinator, "self_assessment")
    checkpoint = schedule(coordinator, instrument, "self_assessment", "Permission check")
    other = fresh_course(live, LmsBrowser(live.tool_url, live.lms_url), n_students=1)
    outsider = actor(live, other, other.instructor)
    canvas_browser, canvas_token = enter(live, world.course, world.course.instructor, flavour="canvas")
    other_platform = Actor(world.course.instructor, canvas_browser, canvas_token)
    actions = [
        f"/evaluations/instruments/{instrument}/archive",
        f"/evaluations/instruments/{instrument}/restore",
        f"/evaluations/checkpoints/{checkpoint}/archive",
        f"/evaluations/checkpoints/{checkpoint}/restore",
        f"/evaluations/checkpoints/{checkpoint}/delete",
    ]
    for path in actions:
        assert mentee.post(path).status == 403, path
        assert outsider.post(path).status == 404, path
        assert other_platform.post(path).status == 404, path
        assert coordinator.raw_post(path, [("ts", coordinator.token)]).status == 400, path  # no CSRF token
    assert checkpoint_row(live, checkpoint).archived_at is None
    with live.app.app_context():
        assert db.session.get(EvaluationInstrument, instrument).archived is False
        db.session.remove()
    # The coordinator may do each of them (delete last: nothing depends on this checkpoint).
    for path in actions:
        assert coordinator.post(path).status == 200, path
    assert checkpoint_row(live, checkpoint) is None
