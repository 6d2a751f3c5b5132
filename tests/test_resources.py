"""The resource library over real HTTP: the starter set, audiences, coordinator-only editing, bad input."""

from __future__ import annotations

from datetime import timedelta

from lti_tool.models import utcnow

from .support.browser import Page
from .test_notifications_support import make_pair
from .test_program_support import enter, form_action, form_data, labelled, open_page, replace, submit


def _items(page: Page) -> dict[str, dict]:
    return {
        li.select_one(".resource-title").get_text(" ", strip=True).replace(" (opens in a new tab)", ""): {
            "id": int(li["data-id"]),
            "audience": li["data-audience"],
            "kind": li["data-kind"],
        }
        for li in page.soup.select("#resources li.resource")
    }


def _post(browser, page: Page, target: str, /, **values) -> Page:
    data = replace(form_data(page, target), **values)
    return Page(browser.http.post(form_action(page, target), data=data, timeout=30))


def test_starter_set_is_added_once_and_stays_deleted(live, browser):
    """First use adds the three starter pages; the coordinator deletes one and it never comes back."""
    pair = make_pair(live, browser, started=utcnow() - timedelta(days=1))
    coordinator, token = enter(live, pair.course, pair.course.instructor)
    page = open_page(coordinator, "/resources/", token)
    assert page.status == 200, page.text[:1000]
    items = _items(page)
    assert set(items) == {"E-mentoring etiquette", "Running your first meeting", "Asking good questions"}
    assert items["Asking good questions"]["audience"] == "mentors"
    etiquette = open_page(coordinator, f"/resources/{items['E-mentoring etiquette']['id']}", token)
    body = etiquette.soup.find(id="resource-body")
    assert body is not None and "Response times" in body.get_text() and "Confidentiality" in body.get_text()
    meeting = open_page(coordinator, f"/resources/{items['Running your first meeting']['id']}", token)
    assert "Agenda template" in meeting.soup.find(id="resource-body").get_text()
    assert meeting.soup.select("#resource-body ol li")  # the agenda is a real list

    edit = open_page(coordinator, f"/resources/{items['Running your first meeting']['id']}/edit", token)
    assert edit.status == 200 and labelled(edit.soup) == []
    edited = submit(
        coordinator, edit, f"/resources/{items['Running your first meeting']['id']}/edit", title="Your first meeting"
    )
    assert edited.status == 200 and edited.soup.find(id="resource-title").get_text() == "Your first meeting"
    assert "Agenda template" in edited.soup.find(id="resource-body").get_text()

    deleted = _post(coordinator, page, f"/resources/{items['Asking good questions']['id']}/delete")
    assert deleted.status == 200 and deleted.soup.find(id="deleted") is not None
    again = open_page(coordinator, "/resources/", token)
    assert set(_items(again)) == {"E-mentoring etiquette", "Your first meeting"}


def test_audiences_decide_who_sees_an_item(live, browser):
    """A mentors-only item is listed for the mentor, not for the mentee (its page is 404 for them)."""
    pair = make_pair(live, browser, started=utcnow() - timedelta(days=1))
    coordinator, token = enter(live, pair.course, pair.course.instructor)
    form = open_page(coordinator, "/resources/new", token)
    assert form.status == 200 and labelled(form.soup) == []
    saved = submit(
        coordinator,
        form,
        "/resources/new",
        kind="page",
        title="Mentor briefing",
        body="Only **mentors** read this.",
        audience="mentors",
        position="1",
    )
    assert saved.status == 200 and saved.soup.find(id="saved") is not None
    link_form = open_page(coordinator, "/resources/new", token)
    submit(
        coordinator,
        link_form,
        "/resources/new",
        kind="link",
        title="Study skills centre",
        url="https://example.edu/study-skills",
        description="Workshops every week.",
        audience="mentees",
        position="2",
    )
    items = _items(open_page(coordinator, "/resources/", token))
    briefing, skills = items["Mentor briefing"]["id"], items["Study skills centre"]["id"]

    mentor, mentor_token = enter(live, pair.course, pair.mentor_sub)
    mentor_items = _items(open_page(mentor, "/resources/", mentor_token))
    assert "Mentor briefing" in mentor_items and "Asking good questions" in mentor_items
    assert "Study skills centre" not in mentor_items
    assert open_page(mentor, f"/resources/{briefing}", mentor_token).status == 200
    assert open_page(mentor, f"/resources/{skills}", mentor_token).status == 404

    mentee, mentee_token = enter(live, pair.course, pair.mentee_sub)
    page = open_page(mentee, "/resources/", mentee_token)
    mentee_items = _items(page)
    assert "Mentor briefing" not in mentee_items and "Asking good questions" not in mentee_items
    assert "E-mentoring etiquette" in mentee_items
    link = page.soup.find("a", href="https://example.edu/study-skills")
    assert link is not None and "noopener" in link["rel"]
    assert open_page(mentee, f"/resources/{briefing}", mentee_token).status == 404
    # Participants cannot add, edit or delete.
    assert open_page(mentee, "/resources/new", mentee_token).status == 403
    assert open_page(mentee, f"/resources/{skills}/edit", mentee_token).status == 403
    refused = mentee.http.post(
        f"{live.tool_url}/resources/{skills}/delete", data={"ts": mentee_token, "confirm": "1"}, timeout=30
    )
    assert refused.status_code in (400, 403)
    assert "Study skills centre" in _items(open_page(coordinator, "/resources/", token))


def test_other_courses_and_platforms_see_nothing(live, browser):
    """An item id of one course is 404 from another course of the same platform and from another platform."""
    pair = make_pair(live, browser, started=utcnow() - timedelta(days=1))
    coordinator, token = enter(live, pair.course, pair.course.instructor)
    items = _items(open_page(coordinator, "/resources/", token))
    item_id = items["E-mentoring etiquette"]["id"]

    other = make_pair(live, browser, started=utcnow() - timedelta(days=1))
    other_coordinator, other_token = enter(live, other.course, other.course.instructor)
    assert open_page(other_coordinator, f"/resources/{item_id}", other_token).status == 404
    assert open_page(other_coordinator, f"/resources/{item_id}/edit", other_token).status == 404
    gone = other_coordinator.http.post(
        f"{live.tool_url}/resources/{item_id}/delete", data={"ts": other_token, "confirm": "1"}, timeout=30
    )
    assert gone.status_code in (400, 404)
    # The same course opened from another LMS (platform) is another course.
    canvas, canvas_token = enter(live, pair.course, pair.course.instructor, flavour="canvas")
    assert open_page(canvas, f"/resources/{item_id}", canvas_token).status == 404
    assert item_id in {i["id"] for i in _items(open_page(coordinator, "/resources/", token)).values()}


def test_bad_input_is_refused_and_kept(live, browser):
    """A javascript: URL is refused with the typed values kept; script in Markdown is sanitized away."""
    pair = make_pair(live, browser, started=utcnow() - timedelta(days=1))
    coordinator, token = enter(live, pair.course, pair.course.instructor)
    form = open_page(coordinator, "/resources/new", token)
    bad = submit(
        coordinator,
        form,
        "/resources/new",
        kind="link",
        title="Click me",
        url="javascript:alert(1)",
        description="Harmless",
        audience="everyone",
        position="5",
    )
    assert bad.status == 400
    assert bad.soup.find(id="url-error") is not None
    assert bad.soup.find(id="url")["value"] == "javascript:alert(1)"
    assert bad.soup.find(id="title")["value"] == "Click me"
    empty = submit(coordinator, form, "/resources/new", kind="page", title="", body="", audience="nobody", position="x")
    assert empty.status == 400
    for field in ("title-error", "body-error", "audience-error", "position-error"):
        assert empty.soup.find(id=field) is not None, field

    page_form = open_page(coordinator, "/resources/new", token)
    saved = submit(
        coordinator,
        page_form,
        "/resources/new",
        kind="page",
        title="Tricky",
        body='Hello <script>alert(1)</script><img src=x onerror="alert(2)"> [bad](javascript:alert(3)) [ok](https://example.org)',
        audience="everyone",
        position="7",
    )
    assert saved.status == 200
    body = saved.soup.find(id="resource-body")
    html = str(body)
    assert "<script" not in html and "onerror" not in html and "<img" not in html
    assert not [a for a in body.find_all("a") if not a.get("href", "").startswith("https://")]
    assert body.find("a", href="https://example.org") is not None
    assert "Hello" in body.get_text()
