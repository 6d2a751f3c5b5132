"""Deep linking: an instructor places Mentoring Space items; the response is signed with the tool's JWKS."""

import jwt
import pytest
from sqlalchemy import select

from lti_tool.extensions import db

from .support.browser import LmsBrowser, Page
from .support.demo import ensure_seeded, people

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


def _picker(live, browser, flavour="moodle"):
    ensure_seeded(browser)
    page = browser.launch(flavour, people(live.app, "instructor")[0], message="deep_link")
    assert page.status == 200, page.text[:1500]
    assert "Add Mentoring Space to your course" in page.text
    return page


def _submit(browser, page: Page, items: list[str]) -> Page:
    form = page.soup.find("form", attrs={"method": "post"})
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input", attrs={"type": "hidden"})}
    fields["items"] = items
    return Page(browser.http.post(browser.tool_url + form["action"], data=fields, timeout=30))


def test_instructor_adds_items_and_platform_verifies_response(live, browser):
    """The signed LtiDeepLinkingResponse verifies with our JWKS, carries line items for graded items,
    and the demo LMS creates the placements."""
    picker = _picker(live, browser)
    answer = _submit(browser, picker, ["space", "participation"])
    action, fields = answer.autosubmit_form()
    assert action.startswith(live.lms_url + "/sandbox/moodle/")
    token = fields["JWT"]

    jwks = jwt.PyJWKClient(live.tool_url + "/.well-known/jwks.json")
    key = jwks.get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=live.lms_url + "/sandbox/moodle",
        issuer="mentoring-demo-moodle",
    )
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == "demo-moodle-1"
    items = claims[DL + "content_items"]
    assert [i["type"] for i in items] == ["ltiResourceLink", "ltiResourceLink"]
    space, participation = items
    assert "lineItem" not in space
    assert participation["lineItem"]["scoreMaximum"] == 100.0
    assert participation["custom"] == {"mentoring_kind": "participation"}
    assert all(i["url"] == live.tool_url + "/lti/launch" for i in items)

    done = browser.follow_forms(answer)
    assert done.status == 200, done.text[:1500]
    assert "Mentoring participation" in done.text

    from lti_tool.sandbox.models import SandboxResourceLink

    with live.app.app_context():
        titles = db.session.execute(select(SandboxResourceLink.title)).scalars().all()
    assert "Mentoring participation" in titles


def test_deep_linking_response_cannot_be_sent_twice(live, browser):
    """The deep linking request is answered once; a second submit gets a clear 400 page."""
    picker = _picker(live, browser)
    assert _submit(browser, picker, ["space"]).autosubmit_form()
    again = _submit(browser, picker, ["space"])
    assert again.status == 400 and "expired or was already answered" in again.text


def test_nothing_chosen_is_a_clear_error(live, browser):
    """Submitting without choosing an item shows the picker again with a message."""
    picker = _picker(live, browser)
    resp = _submit(browser, picker, [])
    assert resp.status == 400 and "Choose at least one item" in resp.text


def test_student_cannot_deep_link(live, browser):
    """A deep linking request from a learner is refused and gets no picker."""
    ensure_seeded(browser)
    page = browser.launch("moodle", people(live.app, "student")[0], message="deep_link")
    assert page.status == 403
    assert "Add Mentoring Space" not in page.text


@pytest.mark.parametrize("flavour", ["moodle", "canvas", "blackboard"])
def test_graded_placements_become_one_activity_each_on_first_launch(live, browser, flavour):
    """Each graded item carries a lineItem (resourceId = its kind, the tool's tag); the first launch of a
    graded placement (here by a student) creates its activity on the launch's own column, later launches
    reuse it (a coordinator lands on it), and the ungraded space placement creates none."""
    from lti_tool.models import GradableActivity, LineItem, ResourceLink

    from .test_activities import launch_link, place

    placed = place(live, ["space", "participation", "reflection-final"], n_students=1, flavour=flavour)
    course = placed.course
    for kind in ("space", "participation", "reflection-final"):
        launch_link(live, course, course.students[0], placed.links[kind], flavour)
    landed = LmsBrowser(live.tool_url, live.lms_url).launch(
        flavour, course.instructor, course.context_id, link=placed.links["participation"]
    )
    # The coordinator opening a graded placement lands on its activity, ready to set it up.
    assert landed.status == 200 and "/activities/" in landed.url and "Recompute and send" in landed.text
    with live.app.app_context():
        rows = db.session.execute(
            select(GradableActivity, ResourceLink, LineItem)
            .join(ResourceLink, ResourceLink.id == GradableActivity.resource_link_id)
            .join(LineItem, LineItem.id == GradableActivity.line_item_id)
            .where(ResourceLink.resource_link_id.in_(list(placed.links.values())))
        ).all()
        found = {link.kind: (a.kind, a.rule, item.platform_url == link.lineitem_url) for a, link, item in rows}
        db.session.remove()
    assert found == {
        "participation": ("participation", "participation", True),
        "reflection-final": ("evaluation", "manual", True),
    }

    from lti_tool.sandbox.models import SandboxLineItem

    with live.app.app_context():
        columns = db.session.execute(
            select(SandboxLineItem.resource_id, SandboxLineItem.tag).where(
                SandboxLineItem.resource_id.in_(["participation", "reflection-final"])
            )
        ).all()
        db.session.remove()
    assert {("participation", "mentoring-space"), ("reflection-final", "mentoring-space")} <= set(columns)
