"""Regrading an activity after its settings change, and participation comments in each student's language,
over real HTTP with the demo LMS's gradebook showing what the tool sent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from lti_tool.extensions import db
from lti_tool.grades.activities import regrade_evaluation
from lti_tool.models import GradableActivity, GradeOutbox, GradeResult, Membership, Person, utcnow

from .support.browser import Page
from .test_activities import create_participation, gradebook_cell, student_name, wait_for_job
from .test_discussions import location
from .test_evaluations_support import Actor, answer, copy_template, paired_course, schedule
from .test_grades import deliver
from .test_program_support import form_action, form_data, replace


def post_form(who: Actor, path: str, *, on: str | None = None, **values: str) -> Page:
    """Fill the form posting to ``path`` on the page at ``on`` (default ``path``) and post it, without
    following the redirect."""
    page = who.get(on or path)
    assert page.status == 200, page.text[:1000]
    data = replace(form_data(page, path), **values)
    return Page(who.browser.http.post(form_action(page, path), data=data, timeout=30, allow_redirects=False))


def job_of(page: Page) -> int | None:
    target = location(page)
    return int(target.split("job=")[1].split("&")[0].split("#")[0]) if "job=" in target else None


def results(live, activity_id: int) -> dict[int, GradeResult]:
    with live.app.app_context():
        item = db.session.get(GradableActivity, activity_id).line_item_id
        rows = db.session.execute(select(GradeResult).where(GradeResult.line_item_id == item)).scalars().all()
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
    return {r.person_id: r for r in rows}


def outbox_rows(live, activity_id: int) -> int:
    with live.app.app_context():
        item = db.session.get(GradableActivity, activity_id).line_item_id
        n = db.session.execute(
            select(func.count()).select_from(GradeOutbox).where(GradeOutbox.line_item_id == item)
        ).scalar_one()
        db.session.remove()
    return int(n)


def sync_cells(page: Page) -> dict[str, str]:
    """Student name → the "In the LMS" cell of the activity's results table."""
    return {
        tr.find("th").get_text(strip=True): tr.select_one("td.sync").get_text(" ", strip=True)
        for tr in page.soup.select("#submissions tbody tr")
    }


def test_changing_the_rule_regrades_computed_scores_keeps_overrides_and_the_lms_gets_the_new_ones(live, browser):
    """Completion → instrument score regrades every computed result in a job (progress on the page), keeps the
    coordinator's override, marks the changed scores pending until delivered and the demo gradebook shows
    the new scores; saving the same settings regrades nothing, and a new maximum regrades again."""
    world = paired_course(live, browser, mentors=1, mentees=2, capacity=2)
    coordinator, mentor = world.coordinator, world.mentors[0]
    first, second = world.mentees
    instrument = copy_template(coordinator, "self_assessment")
    checkpoint = schedule(coordinator, instrument, "self_assessment", "Self-check")
    created = post_form(
        coordinator,
        "/activities/new",
        title="Self-check grade",
        kind="evaluation",
        rule="completion",
        score_maximum="10",
        checkpoint_id=str(checkpoint),
    )
    activity = int(location(created).split("/activities/")[1].split("?")[0])
    # Likert 1..5: all 4 → 75 %, all 3 → 50 %, all 2 → 25 %.
    for who, point in ((first, "4"), (second, "3"), (mentor, "2")):
        done = answer(who, checkpoint, None, {f"q{i}": point for i in range(1, 5)})
        assert done.status == 200 and "submitted" in done.url, done.text[:1500]
    deliver(live)
    context = world.course.context_id
    for who in (first, second, mentor):
        assert gradebook_cell(live, context, "Self-check grade", who.name).startswith("10.0 / 10.0")

    # The coordinator overrides the second mentee's completion score.
    graded = post_form(
        coordinator,
        f"/activities/{activity}/grade/{second.person_id}",
        on=f"/activities/{activity}",
        score="7",
        comment="Talked",
    )
    assert graded.status == 303
    deliver(live)
    assert gradebook_cell(live, context, "Self-check grade", second.name).startswith("7.0 / 10.0")
    assert results(live, activity)[second.person_id].is_override is True
    page = coordinator.get(f"/activities/{activity}")
    rows = {tr.find("th").get_text(strip=True): tr.get_text(" ", strip=True) for tr in page.soup.select("tbody tr")}
    assert "Given by a coordinator" in rows[second.name] and "Given by a coordinator" not in rows[first.name]

    # A student may not change the activity (nothing is regraded).
    assert first.post(f"/activities/{activity}/edit", {"rule": "instrument_score"}).status == 403
    before = outbox_rows(live, activity)
    saved = post_form(coordinator, f"/activities/{activity}/edit", rule="instrument_score")
    job_id = job_of(saved)
    assert job_id is not None and "notice=regrade" in location(saved) and "#regrade" in location(saved)
    job = wait_for_job(live, job_id)
    assert job.status == "succeeded", (job.status, job.error)
    assert (job.result["regraded"], job.result["overrides"], job.result["unchanged"], job.result["left"]) == (
        2,
        1,
        0,
        0,
    )
    shown = coordinator.get(f"/activities/{activity}", job=str(job_id))
    status = shown.soup.select_one("#regrade-status").get_text(" ", strip=True)
    assert "Scores changed and sent to the LMS: 2; already right: 0; given by a coordinator and kept" in status
    notice = coordinator.get(f"/activities/{activity}", notice="regrade").soup.select_one("p.notice")
    assert "The results already recorded are being regraded" in notice.get_text()
    cells = sync_cells(shown)
    assert cells[first.name] == "Pending" and cells[mentor.name] == "Pending", cells
    assert "Sent" in cells[second.name], cells  # the override was not sent again
    assert outbox_rows(live, activity) == before + 2

    deliver(live)
    assert gradebook_cell(live, context, "Self-check grade", first.name).startswith("7.5 / 10.0")
    assert gradebook_cell(live, context, "Self-check grade", mentor.name).startswith("2.5 / 10.0")
    kept = gradebook_cell(live, context, "Self-check grade", second.name)
    assert kept.startswith("7.0 / 10.0") and "Talked" in kept, kept
    cells = sync_cells(coordinator.get(f"/activities/{activity}"))
    assert all("Sent" in cell for cell in cells.values()), cells

    # Idempotent: the same settings start no regrade, and a regrade run anyway records and sends nothing.
    versions = {pid: r.version for pid, r in results(live, activity).items()}
    same = post_form(coordinator, f"/activities/{activity}/edit", rule="instrument_score")
    assert "notice=saved" in location(same) and job_of(same) is None
    with live.app.app_context():
        report = regrade_evaluation(db.session(), db.session.get(GradableActivity, activity))
        db.session.commit()
        db.session.remove()
    assert (report.regraded, report.unchanged, report.overrides) == (0, 2, 1)
    assert {pid: r.version for pid, r in results(live, activity).items()} == versions
    assert outbox_rows(live, activity) == before + 2

    # A new maximum regrades the computed scores again; the override stays as the coordinator gave it.
    doubled = post_form(coordinator, f"/activities/{activity}/edit", score_maximum="20")
    job = wait_for_job(live, job_of(doubled))
    assert job.status == "succeeded" and job.result["regraded"] == 2 and job.result["overrides"] == 1
    deliver(live)
    assert gradebook_cell(live, context, "Self-check grade", first.name).startswith("15.0 / 20.0")
    assert gradebook_cell(live, context, "Self-check grade", mentor.name).startswith("5.0 / 20.0")
    assert gradebook_cell(live, context, "Self-check grade", second.name).startswith("7.0 / 10.0")


def test_switching_to_manual_keeps_scores_for_the_coordinator_and_a_later_submission_keeps_an_override(live, browser):
    """Instrument score → graded by hand: each computed score goes back to the LMS as waiting for a grade
    (the score kept for the coordinator to see); an override given earlier is untouched; switching back to
    completion after a coordinator's grade keeps that grade."""
    world = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    coordinator, mentor, mentee = world.coordinator, world.mentors[0], world.mentees[0]
    instrument = copy_template(coordinator, "self_assessment")
    checkpoint = schedule(coordinator, instrument, "self_assessment", "Reflection check")
    created = post_form(
        coordinator,
        "/activities/new",
        title="Reflection check grade",
        kind="evaluation",
        rule="instrument_score",
        score_maximum="10",
        checkpoint_id=str(checkpoint),
    )
    activity = int(location(created).split("/activities/")[1].split("?")[0])
    for who, point in ((mentee, "4"), (mentor, "2")):
        assert answer(who, checkpoint, None, {f"q{i}": point for i in range(1, 5)}).status == 200
    assert (
        post_form(
            coordinator, f"/activities/{activity}/grade/{mentor.person_id}", on=f"/activities/{activity}", score="9"
        ).status
        == 303
    )

    manual = post_form(coordinator, f"/activities/{activity}/edit", rule="manual")
    job = wait_for_job(live, job_of(manual))
    assert job.status == "succeeded" and (job.result["regraded"], job.result["overrides"]) == (1, 1)
    deliver(live)
    context = world.course.context_id
    waiting = gradebook_cell(live, context, "Reflection check grade", mentee.name)
    assert waiting.startswith("7.5 / 10.0") and "PendingManual" in waiting, waiting
    assert gradebook_cell(live, context, "Reflection check grade", mentor.name).startswith("9.0 / 10.0")
    listing = coordinator.get("/activities/")
    assert "1 waits for your grade" in listing.text

    assert (
        post_form(
            coordinator, f"/activities/{activity}/grade/{mentee.person_id}", on=f"/activities/{activity}", score="8"
        ).status
        == 303
    )
    back = post_form(coordinator, f"/activities/{activity}/edit", rule="completion")
    job = wait_for_job(live, job_of(back))
    assert job.status == "succeeded" and (job.result["regraded"], job.result["overrides"]) == (0, 2)
    deliver(live)
    assert gradebook_cell(live, context, "Reflection check grade", mentee.name).startswith("8.0 / 10.0")
    assert gradebook_cell(live, context, "Reflection check grade", mentor.name).startswith("9.0 / 10.0")


def test_participation_comment_is_sent_in_each_students_language(live):
    """A student whose LMS speaks Spanish gets the participation comment in Spanish, an English-speaking one
    in English, and one whose language the tool does not speak gets the course's (its coordinators')."""
    from lti_tool.sandbox.models import SandboxUser

    from .support.demo import people
    from .test_discussions import actor
    from .test_space_support import pair_course, pair_reply, start_pair_thread

    course = pair_course(live, pairs=1, extra_students=1)
    pair = course.pairs[0]
    [extra_sub] = [
        sub for sub in people(live.app, "student", course.context_id) if sub not in (pair.mentor_sub, pair.mentee_sub)
    ]
    with live.app.app_context():
        db.session.execute(update(SandboxUser).where(SandboxUser.sub == pair.mentee_sub).values(locale="es-MX"))
        db.session.execute(update(SandboxUser).where(SandboxUser.sub == extra_sub).values(locale="ja"))
        db.session.commit()
        db.session.remove()
    actor(live, pair.mentee_sub, context=course.context_id)  # the next launch carries the new locale
    actor(live, extra_sub, context=course.context_id)
    with live.app.app_context():
        locale = db.session.execute(select(Person.locale).where(Person.sub == pair.mentee_sub)).scalar()
        assert locale.lower().replace("_", "-") == "es-mx"  # as Moodle writes it
        # This course's coordinators work in German: another coordinator, the last to launch, in de-DE.
        course_id = (
            db.session.execute(
                select(Membership.course_id)
                .join(Person, Person.id == Membership.person_id)
                .where(Person.sub == pair.mentee_sub)
                .order_by(Membership.id.desc())
            )
            .scalars()
            .first()
        )
        mentee_person = db.session.execute(select(Person).where(Person.sub == pair.mentee_sub)).scalars().first()
        colleague = Person(
            platform_id=mentee_person.platform_id,
            sub="coordinator-de-" + course.context_id,
            name="Koordinatorin",
            locale="de-DE",
            last_launch_at=utcnow() + timedelta(days=1),
        )
        db.session.add(colleague)
        db.session.flush()
        db.session.add(
            Membership(course_id=course_id, person_id=colleague.id, lti_roles=[], program_role="coordinator")
        )
        db.session.commit()
        db.session.remove()

    thread = start_pair_thread(pair.mentor, pair, "Hola", "First message")
    assert pair_reply(pair.mentee, pair, thread, "Gracias").status == 303
    activity_id = create_participation(course.coordinator, "Participation (languages)", target_posts="2")
    started = course.coordinator.post(f"/activities/{activity_id}/recompute")
    job = wait_for_job(live, int(location(started).split("job=")[1].split("&")[0].split("#")[0]))
    assert job.status == "succeeded", (job.status, job.error)
    deliver(live)

    column = "Participation (languages)"
    spanish = gradebook_cell(live, course.context_id, column, student_name(live, pair.mentee_sub))
    assert "Participación en la mentoría: 1 mensaje, 0 reuniones realizadas, 0 actualizaciones de objetivos." in (
        spanish
    ), spanish
    english = gradebook_cell(live, course.context_id, column, student_name(live, pair.mentor_sub))
    assert "Mentoring participation: 1 message, 0 meetings held, 0 goal updates." in english, english
    german = gradebook_cell(live, course.context_id, column, student_name(live, extra_sub))
    assert "Beteiligung am Mentoring: 0 Nachrichten" in german, german
    # The coordinator's own page shows what was sent.
    page = course.coordinator.get(f"/activities/{activity_id}")
    assert "Participación en la mentoría" in page.text

    # A new target recomputes at once (the scores already sent followed the old one): a job, on its own.
    edit = course.coordinator.get(f"/activities/{activity_id}/edit")
    saved = course.coordinator.submit(edit, "main form.stacked", {"target_posts": "1"})
    assert "notice=recompute-settings" in location(saved) and "job=" in location(saved)
    job = wait_for_job(live, int(location(saved).split("job=")[1].split("&")[0].split("#")[0]))
    assert job.status == "succeeded" and job.result["changed"] == 2, (job.status, job.result)
    deliver(live)
    spanish = gradebook_cell(live, course.context_id, column, student_name(live, pair.mentee_sub))
    assert spanish.startswith("10.0 / 10.0") and "1 mensaje," in spanish, spanish
