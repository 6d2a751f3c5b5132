"""Who may do what in the discussions, as a matrix: every page and action for every kind of visitor.

Visitors: the course's coordinator, a participant who accepted the current ground rules, one who has not
(accepted version 1, posted, then the coordinator published version 2), an observer (LTI ``Mentor`` role)
who accepted, a participant of ANOTHER course who accepted that course's rules, and the same instructor
launching from ANOTHER platform (Canvas, same context id: a separate course where they coordinate).
Forged tokens (valid signature, pointing at a course or platform the person is not in) are refused too.

Expected answers: ``ok`` (200 for a page, 303 after an action), ``rules`` (303 to the ground rules),
403 or 404. A refused request never shows the course's content; ids of another course's topics, threads
and posts are 404.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import Membership, Post

from .support.browser import LmsBrowser
from .support.demo import ensure_seeded, forge_token, people
from .test_discussions import (
    Actor,
    accept_rules,
    actor,
    create_topic,
    location,
    new_course,
    path_of,
    reply,
    start_thread,
)

ROLE_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"
SECRET = "Confidential-A-7f3e"  # in course A's thread; must never appear on a refused page
RULES_MARK = "Course-A-only rule"


def observer_launch(live, sub: str, context: str) -> Actor:
    """A real login, then an id_token signed by the demo LMS for ``context`` whose only role is Mentor."""
    from lti_tool.sandbox.platform import build_launch_claims, platform_private_key, sign_jwt

    http = LmsBrowser(live.tool_url, live.lms_url)
    ensure_seeded(http)
    auth = http.login_only("moodle", sub, context)
    with live.app.app_context():
        claims = build_launch_claims(
            db.session,
            flavour="moodle",
            user_sub=sub,
            context_id=context,
            nonce=auth["nonce"],
            target_link_uri=live.tool_url + "/lti/launch",
            client_id=auth["client_id"],
            sandbox_url=live.lms_url,
        )
        pem, kid = platform_private_key(db.session)
        db.session.remove()
    claims[ROLE_CLAIM] = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"]
    page = http.follow_forms(http.post_launch(sign_jwt(claims, pem, kid), auth["state"]))
    assert page.status == 200, page.text[:1500]
    observer = Actor(live, http, page.token())
    with live.app.app_context():
        from lti_tool.views.access import signer

        session = signer(live.app).loads(observer.token)
        role = db.session.execute(
            select(Membership.program_role).where(
                Membership.person_id == session.person_id, Membership.course_id == session.course_id
            )
        ).scalar_one()
        db.session.remove()
    assert role == "observer"
    return observer


@dataclass
class World:
    actors: dict[str, Actor]
    topic: int
    thread: int
    lock_thread: int
    author_post: int
    hide_post: int
    own_posts: dict[str, list[int]]  # role → [post to edit, post to delete]


def _last_post_id(live, thread_id: int) -> int:
    with live.app.app_context():
        found = db.session.execute(
            select(Post.id).where(Post.thread_id == thread_id).order_by(Post.id.desc()).limit(1)
        ).scalar_one()
        db.session.remove()
        return found


@pytest.fixture(scope="module")
def world(live) -> World:
    context = new_course(live, 5)
    instructor = people(live.app, "instructor", context)[0]
    students = people(live.app, "student", context)
    coordinator = actor(live, instructor, context=context)
    author, accepted, lagging, observer_sub = students[0], students[1], students[2], students[3]
    author, accepted, lagging = (actor(live, s, context=context) for s in (author, accepted, lagging))
    observer = observer_launch(live, observer_sub, context)

    topic = create_topic(coordinator, "Course A topic")
    for who in (author, lagging):
        accept_rules(who)
    thread = start_thread(author, topic, "Course A thread", f"{SECRET} first post")
    author_post = _last_post_id(live, thread)
    own: dict[str, list[int]] = {"lagging": []}
    for _ in range(2):
        assert location(reply(lagging, thread, "Lagging participant's post"))
        own["lagging"].append(_last_post_id(live, thread))
    assert location(reply(author, thread, f"{SECRET} post to hide"))
    hide_post = _last_post_id(live, thread)
    lock_thread = start_thread(author, topic, "Thread to lock", f"{SECRET} lock me")

    # Version 2 of the rules: the lagging participant has not accepted it.
    edit = coordinator.get("/discussions/rules/edit")
    body = edit.soup.find("textarea", id="body").get_text() + f"\n{RULES_MARK}\n"
    assert location(coordinator.submit(edit, "main form", {"body": body}))
    for who in (author, accepted, observer):
        accept_rules(who)
    for role, who in (("coordinator", coordinator), ("accepted", accepted)):
        own[role] = []
        for _ in range(2):
            assert location(reply(who, thread, f"{role} own post"))
            own[role].append(_last_post_id(live, thread))
    assert location(author.post(f"/discussions/posts/{author_post}/report", {"reason": f"{SECRET} report reason"}))

    # Another course on the same platform: a participant who accepted that course's rules.
    other_context = new_course(live, 1)
    other_coordinator = actor(live, people(live.app, "instructor", other_context)[0], context=other_context)
    create_topic(other_coordinator, "Course B topic")
    other_course = actor(live, people(live.app, "student", other_context)[0], context=other_context)
    accept_rules(other_course)
    # The same instructor from another platform (Canvas), same context id: a different course.
    other_platform = actor(live, instructor, flavour="canvas", context=context)

    actors = {
        "coordinator": coordinator,
        "accepted": accepted,
        "lagging": lagging,
        "observer": observer,
        "other_course": other_course,
        "other_platform": other_platform,
    }
    return World(actors, topic, thread, lock_thread, author_post, hide_post, own)


OK = "ok"
RULES = "rules"

# action: (method, path template, form data)
ACTIONS = {
    "list_topics": ("GET", "/discussions/", None),
    "read_topic": ("GET", "/discussions/topics/{topic}", None),
    "read_thread": ("GET", "/discussions/threads/{thread}", None),
    "new_thread": ("POST", "/discussions/topics/{topic}/threads/new", {"title": "Matrix", "body": "A new thread"}),
    "reply": ("POST", "/discussions/threads/{thread}/reply", {"body": "A matrix reply"}),
    "edit_own": ("POST", "/discussions/posts/{own_edit}/edit", {"body": "Edited by its author"}),
    "delete_own": ("POST", "/discussions/posts/{own_delete}/delete", {}),
    "edit_other": ("POST", "/discussions/posts/{author_post}/edit", {"body": "Edited by someone else"}),
    "delete_other": ("POST", "/discussions/posts/{author_post}/delete", {}),
    "history_other": ("GET", "/discussions/posts/{author_post}/history", None),
    "report": ("POST", "/discussions/posts/{author_post}/report", {"reason": "Matrix report"}),
    "hide": ("POST", "/discussions/posts/{hide_post}/hide", {"reason": "Matrix hide"}),
    "lock": ("POST", "/discussions/threads/{lock_thread}/lock", {"locked": "1", "reason": "Matrix lock"}),
    "edit_rules": ("GET", "/discussions/rules/edit", None),
    "see_reports": ("GET", "/discussions/moderation", None),
}

ROLES = ("coordinator", "accepted", "lagging", "observer", "other_course", "other_platform")
# Expected answer per action, in the order of ROLES; None: the visitor has no post of their own to try.
MATRIX = {
    "list_topics": (OK, OK, RULES, OK, OK, OK),
    "read_topic": (OK, OK, RULES, OK, 404, 404),
    "read_thread": (OK, OK, RULES, OK, 404, 404),
    "new_thread": (OK, OK, 403, 403, 404, 404),
    "reply": (OK, OK, 403, 403, 404, 404),
    "edit_own": (OK, OK, 403, None, None, None),
    "delete_own": (OK, OK, 403, None, None, None),
    "edit_other": (403, 403, 403, 403, 404, 404),
    "delete_other": (403, 403, 403, 403, 404, 404),
    "history_other": (OK, 403, RULES, 403, 404, 404),
    "report": (403, OK, 403, 403, 404, 404),
    "hide": (OK, 403, 403, 403, 403, 404),
    "lock": (OK, 403, 403, 403, 403, 404),
    # Pages without ids: another course's coordinator sees their own course's page (checked for no leak).
    "edit_rules": (OK, 403, 403, 403, 403, OK),
    "see_reports": (OK, 403, 403, 403, 403, OK),
}

CASES = [
    pytest.param(action, role, expected, id=f"{action}-{role}")
    for action, row in MATRIX.items()
    for role, expected in zip(ROLES, row, strict=True)
    if expected is not None
]


@pytest.mark.parametrize(("action", "role", "expected"), CASES)
def test_permission_matrix(world, action, role, expected):
    """Each visitor gets exactly what the design allows for each page and action, and no data otherwise."""
    who = world.actors[role]
    method, template, data = ACTIONS[action]
    own = world.own_posts.get(role, [0, 0])
    path = template.format(
        topic=world.topic,
        thread=world.thread,
        lock_thread=world.lock_thread,
        author_post=world.author_post,
        hide_post=world.hide_post,
        own_edit=own[0],
        own_delete=own[1],
    )
    page = who.get(path) if method == "GET" else who.post(path, data)
    if expected == OK:
        assert page.status == (200 if method == "GET" else 303), (page.status, page.text[:800])
    elif expected == RULES:
        assert page.status == 303 and path_of(location(page))[0] == "/discussions/rules"
    else:
        assert page.status == expected, (page.status, page.text[:800])
    if expected != OK or role in ("other_course", "other_platform"):
        for leak in (SECRET, "Course A topic", "Course A thread", RULES_MARK):
            assert leak not in page.text, f"{leak!r} leaked to {role} on {action}"


def test_forged_sessions_for_another_course_or_platform_are_refused(live, world):
    """A correctly signed token naming a course or platform the person is not a member of gets 403 on every
    discussion page and action, before anything is read."""
    accepted = world.actors["accepted"]
    from lti_tool.views.access import signer

    with live.app.app_context():
        real = signer(live.app).loads(accepted.token)
        other = signer(live.app).loads(world.actors["other_course"].token)
    forged = {
        "another course": forge_token(live.app, accepted.token, course_id=other.course_id),
        "another platform": forge_token(live.app, accepted.token, platform_id=real.platform_id + 1),
        "coordinator claim": forge_token(live.app, accepted.token, role="coordinator"),
    }
    for label, token in forged.items():
        visitor = Actor(live, accepted.http, token)
        for action, (method, template, data) in ACTIONS.items():
            path = template.format(
                topic=world.topic,
                thread=world.thread,
                lock_thread=world.lock_thread,
                author_post=world.author_post,
                hide_post=world.hide_post,
                own_edit=world.own_posts["accepted"][0],
                own_delete=world.own_posts["accepted"][0],
            )
            if label == "coordinator claim":
                if action not in ("hide", "lock", "edit_rules", "see_reports"):
                    continue
            elif method == "POST" and action != "reply":
                continue  # one action is enough to show the guard runs first; pages are all checked
            page = visitor.get(path) if method == "GET" else visitor.post(path, data)
            assert page.status == 403, (label, action, page.status)
            assert SECRET not in page.text and "Course A thread" not in page.text


def test_guessed_ids_of_another_course_are_not_found(live, world):
    """A coordinator of another course walking the id space around course A's ids gets 404 for every one."""
    visitor = world.actors["other_platform"]
    for offset in (-1, 0, 1):
        for path in (
            f"/discussions/topics/{world.topic + offset}",
            f"/discussions/threads/{world.thread + offset}",
            f"/discussions/posts/{world.author_post + offset}/history",
        ):
            page = visitor.get(path)
            assert page.status == 404, (path, page.status)
            assert SECRET not in page.text
