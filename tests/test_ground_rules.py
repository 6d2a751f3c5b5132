"""Ground rules over real HTTP: the default agreement, the acceptance gate, versions and re-acceptance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import GroundRulesAcceptance, GroundRulesVersion

from .support.demo import people
from .test_discussions import accept_rules, actor, create_topic, location, new_course, path_of


def test_default_rules_cover_what_participants_need_to_know(live):
    """The first version is our default: confidentiality and its safety limit, etiquette, response times,
    boundaries, and a sentence from the moderation setting about who reads private threads."""
    context = new_course(live, 1)
    student = actor(live, people(live.app, "student", context)[0], context=context)
    page = student.get("/discussions/rules")
    assert page.status == 200
    text = page.soup.select_one(".rules-text").get_text(" ")
    for phrase in ("Confidentiality", "stays in that pair", "Safety comes before confidentiality", "Etiquette"):
        assert phrase in text
    assert "within 3 working days" in text and "Boundaries" in text
    assert "not moderated: coordinators cannot read private pair and group threads" in text
    assert page.soup.select_one("form.accept-rules button").get_text(strip=True) == "I accept these ground rules"
    assert page.soup.find("h1").get_text() == "Ground rules"


def test_participants_accept_before_entering_and_again_after_a_new_version(live):
    """Discussions send a participant to the rules until they accept; acceptance is recorded with person,
    version and UTC time; a new version (text or moderation changed) asks again; the coordinator sees who
    accepted which version."""
    context = new_course(live, 2)
    coordinator = actor(live, people(live.app, "instructor", context)[0], context=context)
    topic_id = create_topic(coordinator, "Welcome")
    student_sub, other_sub = people(live.app, "student", context)[:2]
    student = actor(live, student_sub, context=context)
    other = actor(live, other_sub, context=context)

    for path in ("/discussions/", f"/discussions/topics/{topic_id}", f"/discussions/topics/{topic_id}/threads/new"):
        gated = student.get(path)
        assert gated.status == 303, (path, gated.status)
        assert path_of(location(gated))[0] == "/discussions/rules"
        assert "Welcome" not in gated.text
    refused = student.post(f"/discussions/topics/{topic_id}/threads/new", {"title": "x", "body": "y"})
    assert refused.status == 403, "an action without accepted rules is refused"

    before = datetime.now(UTC) - timedelta(seconds=2)
    accept_rules(student)
    index = student.get("/discussions/")
    assert index.status == 200 and "Welcome" in index.text
    with live.app.app_context():
        row = db.session.execute(
            select(GroundRulesAcceptance, GroundRulesVersion)
            .join(GroundRulesVersion, GroundRulesVersion.id == GroundRulesAcceptance.version_id)
            .where(GroundRulesVersion.course_id == GroundRulesAcceptance.course_id)
            .order_by(GroundRulesAcceptance.id.desc())
        ).first()
        acceptance, version = row
        assert version.version == 1
        assert acceptance.accepted_at.tzinfo is not None and acceptance.accepted_at >= before
        db.session.remove()

    table = coordinator.get("/discussions/rules")
    assert table.status == 200
    rows = {tr.find("th").get_text(strip=True): tr for tr in table.soup.select("table tbody tr")}
    assert len(rows) == 2, "both students who opened the tool are listed, accepted or not"
    accepted_cells = [tr.find_all("td")[1].get_text(" ", strip=True) for tr in rows.values()]
    assert sorted(accepted_cells) == ["1", "not yet"]

    # The coordinator edits the text and turns moderation on: version 2, everyone asked again.
    edit = coordinator.get("/discussions/rules/edit")
    assert edit.status == 200
    body = edit.soup.find("textarea", id="body").get_text() + "\n**Extra rule:** be kind."
    saved = coordinator.submit(edit, "main form", {"body": body, "moderated": "1"})
    assert path_of(location(saved))[0] == "/discussions/rules"
    again = student.get("/discussions/")
    assert again.status == 303, "a new version asks for acceptance again"
    rules_page = student.get("/discussions/rules")
    assert "Version 2" in rules_page.text and "Extra rule:" in rules_page.text
    assert "This program is moderated: coordinators can read private pair and group threads" in rules_page.text

    # A stale acceptance (the page of version 1) is refused; the current one works.
    with live.app.app_context():
        v1 = (
            db.session.execute(
                select(GroundRulesVersion.id)
                .where(GroundRulesVersion.version == 1)
                .order_by(GroundRulesVersion.id.desc())
            )
            .scalars()
            .first()
        )
        db.session.remove()
    stale = student.post("/discussions/rules", {"version_id": str(v1)})
    assert stale.status == 400 and "were updated while you were reading" in stale.text
    accept_rules(student)
    assert student.get("/discussions/").status == 200
    table = coordinator.get("/discussions/rules")
    cells = sorted(tr.find_all("td")[1].get_text(" ", strip=True) for tr in table.soup.select("table tbody tr"))
    assert cells == ["2", "not yet"]

    # Saving without a change makes no new version.
    edit = coordinator.get("/discussions/rules/edit")
    coordinator.submit(edit, "main form")
    assert "Version 2" in coordinator.get("/discussions/rules").text

    assert other.get("/discussions/").status == 303


def test_coordinator_rules_edit_refuses_empty_and_oversized_text(live):
    """An empty or too long agreement is refused with 400, the message in an alert and the text kept."""
    context = new_course(live, 0)
    coordinator = actor(live, people(live.app, "instructor", context)[0], context=context)
    edit = coordinator.get("/discussions/rules/edit")
    empty = coordinator.submit(edit, "main form", {"body": "   "})
    assert empty.status == 400 and "cannot be empty" in empty.soup.select_one("[role=alert]").get_text()
    long_text = "x" * 20_001
    too_long = coordinator.submit(edit, "main form", {"body": long_text})
    assert too_long.status == 400 and too_long.soup.find("textarea", id="body").get_text() == long_text
    assert coordinator.get("/discussions/").status == 200, "coordinators never need to accept"


def test_two_coordinators_saving_at_once_do_not_clash(live, monkeypatch):
    """When another coordinator saved a version in the meantime, saving is refused with a clear code
    (the page says to check the text and save again) instead of failing."""
    from lti_tool.mentoring.discussions import InvalidInput, Viewer, rules
    from lti_tool.views.access import signer

    context = new_course(live, 0)
    coordinator = actor(live, people(live.app, "instructor", context)[0], context=context)
    assert coordinator.get("/discussions/rules").status == 200
    session_info = signer(live.app).loads(coordinator.token)
    viewer = Viewer(session_info.person_id, session_info.course_id, "coordinator")
    with live.app.app_context():
        stale = rules.current_version(db.session(), viewer.course_id)
        db.session.expunge(stale)
        rules.update(db.session(), viewer, "Saved first by someone else", False)
        db.session.commit()
        monkeypatch.setattr(rules, "current_version", lambda *args, **kwargs: stale)
        try:
            rules.update(db.session(), viewer, "Saved second", False)
        except InvalidInput as err:
            assert (err.field, err.code) == ("body", "outdated")
        else:
            raise AssertionError("the second save must be refused")
        finally:
            db.session.rollback()
            db.session.remove()
    monkeypatch.undo()
    assert "Saved first by someone else" in coordinator.get("/discussions/rules").text
