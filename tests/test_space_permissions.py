"""Who may do what in a mentoring space, as a matrix: every page and action of the space, its private
threads and its prompts, for every kind of visitor (issue 3, item 9).

Visitors (columns):

* ``coord_mod`` — the coordinator of a *moderated* course, acting on a pair of that course;
* ``coord_unmod`` — the coordinator of an *unmoderated* course (course A), acting on pair A;
* ``mentor`` / ``mentee`` — pair A's own members;
* ``other_pair`` — the mentee of pair B in course A;
* ``ended`` — the mentee of pair C in course A, whose pairing has ended (read-only history);
* ``other_course`` — a mentor of a pair in another course on the same platform;
* ``other_platform`` — course A's instructor launching from another platform (Canvas, same context id):
  a separate course where they coordinate.

Expected answers: ``ok`` (200 for a page, 303 after an action), 403 or 404. Private text (``SECRET``, in
the posts and thread titles of pair A and the moderated pair) must never appear in a refused answer, on
any page of a visitor outside the pair, or on any page an unmoderated coordinator opens.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from lti_tool.extensions import db
from lti_tool.mentoring import prompts, spaces
from lti_tool.models import Mentorship

from .support.demo import forge_token, people
from .test_discussions import Actor, actor, location
from .test_space_support import Pair, end_pair, last_post_id, pair_course, pair_reply, start_pair_thread

SECRET = "Private-pair-5d2e"
REPORTED = "Reported-post-8a1f"  # a post a member reported: its coordinator may see it, moderated or not

OK = "ok"
ROLES = ("coord_mod", "coord_unmod", "mentor", "mentee", "other_pair", "ended", "other_course", "other_platform")

# action: (method, path template, form data)
ACTIONS = {
    "space_page": ("GET", "/spaces/pair/{space}/", None),
    "pairs_overview": ("GET", "/spaces/", None),
    "prompt_settings": ("GET", "/spaces/prompts", None),
    "save_prompts": ("POST", "/spaces/prompts", {"kind": "five_cs"}),
    "new_thread_form": ("GET", "/spaces/pair/{space}/threads/new", None),
    "new_thread": ("POST", "/spaces/pair/{space}/threads/new", {"title": "Matrix", "body": "A matrix thread"}),
    "read_thread": ("GET", "/spaces/pair/{space}/threads/{thread}", None),
    "reply": ("POST", "/spaces/pair/{space}/threads/{thread}/reply", {"body": "A matrix reply"}),
    "edit_form_own": ("GET", "/spaces/pair/{space}/posts/{own_edit}/edit", None),
    "edit_own": ("POST", "/spaces/pair/{space}/posts/{own_edit}/edit", {"body": "Edited by its author"}),
    "delete_own": ("POST", "/spaces/pair/{space}/posts/{own_delete}/delete", {}),
    "edit_other": ("POST", "/spaces/pair/{space}/posts/{other_post}/edit", {"body": "Edited by someone else"}),
    "delete_other": ("POST", "/spaces/pair/{space}/posts/{other_post}/delete", {}),
    "history_other": ("GET", "/spaces/pair/{space}/posts/{other_post}/history", None),
    "report_form": ("GET", "/spaces/pair/{space}/posts/{other_post}/report", None),
    "report": ("POST", "/spaces/pair/{space}/posts/{other_post}/report", {"reason": "Matrix report"}),
    "hide_form": ("GET", "/spaces/pair/{space}/posts/{hide_post}/hide", None),
    "hide": ("POST", "/spaces/pair/{space}/posts/{hide_post}/hide", {"hidden": "1", "reason": "Matrix hide"}),
    "hide_reported": ("POST", "/spaces/pair/{space}/posts/{reported_post}/hide", {"hidden": "1", "reason": "Agreed"}),
    "lock": ("POST", "/spaces/pair/{space}/threads/{lock_thread}/lock", {"locked": "1", "reason": "Matrix lock"}),
    "prompt_done": ("POST", "/spaces/pair/{space}/prompts/done", {"key": "{stage}"}),
}

# Expected answer per action, in the order of ROLES; None: the visitor has no post of their own to try.
MATRIX = {
    #                 coord_mod coord_unmod mentor mentee other_pair ended other_course other_platform
    "space_page": (OK, OK, OK, OK, 404, OK, 404, 404),
    "pairs_overview": (OK, OK, 403, 403, 403, 403, 403, OK),
    "prompt_settings": (OK, OK, 403, 403, 403, 403, 403, OK),
    "save_prompts": (OK, OK, 403, 403, 403, 403, 403, OK),
    "new_thread_form": (OK, 403, OK, OK, 404, 403, 404, 404),
    "new_thread": (OK, 403, OK, OK, 404, 403, 404, 404),
    "read_thread": (OK, 403, OK, OK, 404, OK, 404, 404),
    "reply": (OK, 403, OK, OK, 404, 403, 404, 404),
    "edit_form_own": (OK, None, OK, OK, None, 403, None, None),
    "edit_own": (OK, None, OK, OK, None, 403, None, None),
    "delete_own": (OK, None, OK, OK, None, 403, None, None),
    "edit_other": (403, 403, 403, 403, 404, 403, 404, 404),
    "delete_other": (403, 403, 403, 403, 404, 403, 404, 404),
    "history_other": (OK, 403, 403, 403, 404, 403, 404, 404),
    "report_form": (403, 403, OK, OK, 404, OK, 404, 404),
    "report": (403, 403, OK, OK, 404, OK, 404, 404),
    "hide_form": (OK, 403, 403, 403, 403, 403, 403, 404),
    "hide": (OK, 403, 403, 403, 403, 403, 403, 404),
    "hide_reported": (OK, OK, 403, 403, 403, 403, 403, 404),
    "lock": (OK, 403, 403, 403, 403, 403, 403, 404),
    "prompt_done": (403, 403, OK, OK, 404, 403, 404, 404),
}


@dataclass
class Target:
    """The ids one visitor's requests point at (their own pair's, or pair A's for outsiders)."""

    space: int
    thread: int
    lock_thread: int
    other_post: int
    hide_post: int
    reported_post: int
    own: list[int]


@dataclass
class World:
    actors: dict[str, Actor]
    targets: dict[str, Target]


def _seed_pair(live, pair: Pair, *, label: str) -> dict[str, int]:
    """Threads and posts in a pair: a secret thread, own posts of both members, a post to hide, a reported
    post and a thread to lock."""
    thread = start_pair_thread(pair.mentor, pair, f"{SECRET} {label} title", f"{SECRET} mentor's first post")
    mentor_post = last_post_id(live, thread)
    assert location(pair_reply(pair.mentee, pair, thread, f"{SECRET} mentee's post"))
    mentee_post = last_post_id(live, thread)
    own: dict[str, list[int]] = {"mentor": [], "mentee": []}
    for role, who in (("mentor", pair.mentor), ("mentee", pair.mentee)):
        for _ in range(2):
            assert location(pair_reply(who, pair, thread, f"{SECRET} {role}'s own post"))
            own[role].append(last_post_id(live, thread))
    assert location(pair_reply(pair.mentor, pair, thread, f"{SECRET} post to hide"))
    hide_post = last_post_id(live, thread)
    assert location(pair_reply(pair.mentor, pair, thread, f"{REPORTED} reported post"))
    reported_post = last_post_id(live, thread)
    report = pair.mentee.post(f"{pair.base}/posts/{reported_post}/report", {"reason": "Matrix setup"})
    assert location(report)
    lock_thread = start_pair_thread(pair.mentor, pair, f"{SECRET} thread to lock", f"{SECRET} lock me")
    return {
        "space": pair.space_id,
        "thread": thread,
        "lock_thread": lock_thread,
        "mentor_post": mentor_post,
        "mentee_post": mentee_post,
        "hide_post": hide_post,
        "reported_post": reported_post,
        "mentor_own": own["mentor"],  # type: ignore[dict-item]
        "mentee_own": own["mentee"],  # type: ignore[dict-item]
    }


def _target(ids: dict, role: str, own: list[int] | None = None) -> Target:
    return Target(
        space=ids["space"],
        thread=ids["thread"],
        lock_thread=ids["lock_thread"],
        other_post=ids["mentee_post"] if role == "mentor" else ids["mentor_post"],
        hide_post=ids["hide_post"],
        reported_post=ids["reported_post"],
        own=own if own is not None else [0, 0],
    )


@pytest.fixture(scope="module")
def world(live) -> World:
    # Course A (unmoderated): pair A, pair B, and pair C which ends after it talked.
    course_a = pair_course(live, pairs=3)
    pair_a, pair_b, pair_c = course_a.pairs
    prompts_page = course_a.coordinator.get("/spaces/prompts")
    assert location(course_a.coordinator.submit(prompts_page, "form.prompt-settings", {"kind": "five_cs"}))
    ids_a = _seed_pair(live, pair_a, label="A")
    ids_c = _seed_pair(live, pair_c, label="C")
    end_pair(live, pair_c.space_id)
    # A moderated course: its coordinator posts in the pair's thread too (their own posts).
    course_m = pair_course(live, moderated=True)
    ids_m = _seed_pair(live, course_m.pairs[0], label="M")
    coordinator_m = course_m.coordinator
    own_m = []
    for _ in range(2):
        assert location(pair_reply(coordinator_m, course_m.pairs[0], ids_m["thread"], f"{SECRET} moderator's post"))
        own_m.append(last_post_id(live, ids_m["thread"]))
    # Another course with a pair of its own; the same instructor from another platform.
    course_b = pair_course(live)
    instructor = people(live.app, "instructor", course_a.context_id)[0]
    other_platform = actor(live, instructor, flavour="canvas", context=course_a.context_id)

    actors = {
        "coord_mod": coordinator_m,
        "coord_unmod": course_a.coordinator,
        "mentor": pair_a.mentor,
        "mentee": pair_a.mentee,
        "other_pair": pair_b.mentee,
        "ended": pair_c.mentee,
        "other_course": course_b.pairs[0].mentor,
        "other_platform": other_platform,
    }
    targets = {
        "coord_mod": _target(ids_m, "coord_mod", own_m),
        "coord_unmod": _target(ids_a, "coord_unmod"),
        "mentor": _target(ids_a, "mentor", ids_a["mentor_own"]),
        "mentee": _target(ids_a, "mentee", ids_a["mentee_own"]),
        "other_pair": _target(ids_a, "other_pair"),
        "ended": _target(ids_c, "ended", ids_c["mentee_own"]),
        "other_course": _target(ids_a, "other_course"),
        "other_platform": _target(ids_a, "other_platform"),
    }
    return World(actors, targets)


CASES = [
    pytest.param(action, role, expected, id=f"{action}-{role}")
    for action, row in MATRIX.items()
    for role, expected in zip(ROLES, row, strict=True)
    if expected is not None
]


def _current_stage(live, space_id: int) -> str:
    """The pair's current Five Cs stage (so that each allowed "done" request names the current one)."""
    with live.app.app_context():
        ship = db.session.get(Mentorship, space_id)
        assert ship is not None
        space = spaces.get_space(db.session, ship.course_id, spaces.PAIR, space_id)
        assert space is not None
        prompt = prompts.current_prompt(db.session, space)
        db.session.remove()
    return (prompt.key if prompt is not None else None) or "challenges"


def _request(live, who: Actor, target: Target, action: str):
    method, template, data = ACTIONS[action]
    path = template.format(
        space=target.space,
        thread=target.thread,
        lock_thread=target.lock_thread,
        other_post=target.other_post,
        hide_post=target.hide_post,
        reported_post=target.reported_post,
        own_edit=target.own[0],
        own_delete=target.own[1],
    )
    if data is not None and data.get("key") == "{stage}":
        data = {"key": _current_stage(live, target.space)}
    return path, (who.get(path) if method == "GET" else who.post(path, data))


@pytest.mark.parametrize(("action", "role", "expected"), CASES)
def test_permission_matrix(live, world, action, role, expected):
    """Each visitor gets exactly what the design allows for each page and action, and no private text
    otherwise."""
    who = world.actors[role]
    path, page = _request(live, who, world.targets[role], action)
    if expected == OK:
        assert page.status == (200 if ACTIONS[action][0] == "GET" else 303), (path, page.status, page.text[:800])
    else:
        assert page.status == expected, (path, page.status, page.text[:800])
    if expected != OK or role in ("coord_unmod", "other_pair", "other_course", "other_platform"):
        assert SECRET not in page.text, f"private text leaked to {role} on {action}"
    if expected != OK:
        assert REPORTED not in page.text


def test_unmoderated_coordinator_sees_the_reported_post_and_nothing_else(world):
    """The unmoderated coordinator's moderation page shows the reported post and its report, and no other
    text of the pair; the pairs overview shows counts only."""
    coordinator = world.actors["coord_unmod"]
    moderation = coordinator.get("/discussions/moderation")
    assert moderation.status == 200
    assert "Matrix setup" in moderation.text or "Agreed" in moderation.text
    # Posts the matrix's members reported are shown; nothing else of the pair: no title, no other post.
    for private in (f"{SECRET} A title", f"{SECRET} C title", "thread to lock", "own post", "post to hide"):
        assert private not in moderation.text, private
    overview = coordinator.get("/spaces/")
    assert overview.status == 200 and SECRET not in overview.text and REPORTED not in overview.text
    row = overview.soup.select_one(f"tr[data-space='pair-{world.targets['mentor'].space}']")
    assert int(row.select_one(".post-count").get_text(strip=True)) >= 8


def test_forged_sessions_for_another_course_or_platform_are_refused(live, world):
    """A correctly signed token naming a course or platform the member is not in gets 403 on every space page
    and action, before anything is read; a forged coordinator role gets 403 on coordinator actions."""
    from lti_tool.views.access import signer

    mentee = world.actors["mentee"]
    with live.app.app_context():
        real = signer(live.app).loads(mentee.token)
        other = signer(live.app).loads(world.actors["other_course"].token)
    forged = {
        "another course": forge_token(live.app, mentee.token, course_id=other.course_id),
        "another platform": forge_token(live.app, mentee.token, platform_id=real.platform_id + 1),
        "coordinator claim": forge_token(live.app, mentee.token, role="coordinator"),
    }
    target = world.targets["mentee"]
    for label, token in forged.items():
        visitor = Actor(live, mentee.http, token)
        for action in ACTIONS:
            if label == "coordinator claim" and action not in (
                "pairs_overview",
                "prompt_settings",
                "save_prompts",
                "hide",
                "hide_reported",
                "lock",
            ):
                continue
            path, page = _request(live, visitor, target, action)
            assert page.status == 403, (label, action, page.status)
            assert SECRET not in page.text and REPORTED not in page.text


def test_guessed_ids_around_a_pair_are_not_found(world):
    """Members of pair B and a coordinator of another course walking the ids around pair A get 404, never
    data; a member of pair A naming pair B's space with pair A's thread id also gets 404."""
    a = world.targets["mentor"]
    for role in ("other_pair", "other_platform", "other_course"):
        visitor = world.actors[role]
        for offset in (0, 1):
            for path in (
                f"/spaces/pair/{a.space + offset}/threads/{a.thread}",
                f"/spaces/pair/{a.space}/threads/{a.thread + offset}",
                f"/spaces/pair/{a.space}/posts/{a.other_post + offset}/history",
                f"/spaces/group/{a.space + offset}/",
            ):
                page = visitor.get(path)
                if role == "other_pair" and path.startswith(f"/spaces/pair/{a.space + 1}/"):
                    continue  # pair B is the next id: that is their own space (thread ids of A stay 404 below)
                assert page.status == 404, (role, path, page.status)
                assert SECRET not in page.text
    other_pair = world.actors["other_pair"]
    page = other_pair.get(f"/spaces/pair/{a.space + 1}/threads/{a.thread}")
    assert page.status == 404 and SECRET not in page.text
    assert world.actors["mentor"].get(f"/spaces/pair/{a.space}/threads/{a.thread}").status == 200
    assert world.actors["mentor"].get("/spaces/pair/0/").status == 404
    assert world.actors["mentor"].get(f"/spaces/forum/{a.space}/").status == 404


def test_forum_routes_never_open_pair_threads_or_posts(world):
    """The forum pages and actions refuse the ids of private threads and posts (404) for everyone, members
    and coordinators included, so nothing private is reachable around the space's own checks."""
    a = world.targets["mentor"]
    for role in ("mentor", "mentee", "coord_unmod", "other_pair"):
        who = world.actors[role]
        for method, path, data in (
            ("GET", f"/discussions/threads/{a.thread}", None),
            ("POST", f"/discussions/threads/{a.thread}/reply", {"body": "via the forum"}),
            ("GET", f"/discussions/posts/{a.other_post}/history", None),
            ("POST", f"/discussions/posts/{a.other_post}/edit", {"body": "via the forum"}),
            ("POST", f"/discussions/posts/{a.other_post}/report", {"reason": "via the forum"}),
            ("POST", f"/discussions/posts/{a.hide_post}/hide", {"hidden": "1", "reason": "via the forum"}),
            ("POST", f"/discussions/threads/{a.lock_thread}/lock", {"locked": "1"}),
        ):
            page = who.get(path) if method == "GET" else who.post(path, data)
            coordinator_only = path.endswith(("/hide", "/lock"))
            # Coordinator-only actions refuse others by role first (403); every lookup is a 404.
            expected = 403 if coordinator_only and not role.startswith("coord") else 404
            assert page.status == expected, (role, path, page.status)
            assert SECRET not in page.text
