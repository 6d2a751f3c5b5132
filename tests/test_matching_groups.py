"""Group mentoring and peer co-mentoring over real HTTP: run, review groups with reasons, edit, pin, approve;
members then see their group on the home page and share a group space."""

from __future__ import annotations

from lti_tool.extensions import db
from lti_tool.mentoring import spaces
from lti_tool.models.mentorships import GroupMember, MentoringGroup

from .support.browser import Page
from .support.demo import people
from .test_program_support import (
    enter,
    form_action,
    form_data,
    fresh_course,
    open_page,
    participant_of,
    settings_of,
    submit,
)


def _post(browser, page: Page, target: str, /, **extra) -> Page:
    data = [(k, v) for k, v in form_data(page, target) if k not in extra] + list(extra.items())
    return Page(browser.http.post(form_action(page, target), data=data, timeout=30))


def _group_program(live, browser, *, n_students: int, **settings):
    course = fresh_course(live, browser, n_students=n_students)
    coordinator, token = enter(live, course, course.instructor)
    saved = settings_of(coordinator, token, **settings)
    assert saved.status == 200 and "saved" in saved.url, saved.text[:1500]
    return course, coordinator, token


def _groups(page: Page) -> list:
    return page.soup.select("section.match-group")


def _members(section) -> list[tuple[str, str]]:
    return [(tr.th.get_text(strip=True), tr["data-role"]) for tr in section.select("tbody tr")]


def test_group_mentoring_run_edit_pin_and_approve(live, browser):
    course, coordinator, token = _group_program(live, browser, n_students=6, structure="group", group_size="3")
    for index in (0, 1):  # two students volunteer to mentor, two places each
        student, student_token = enter(live, course, course.students[index])
        page = open_page(student, "/program/profile", student_token)
        saved = submit(student, page, "/program/profile", offer_mentor="1", capacity="2", time_zone="UTC")
        assert saved.status == 200, saved.text[:1500]
    mentors_page = open_page(coordinator, "/program/mentors", token)
    for index in (0, 1):
        row = participant_of(live, course.context_id, course.students[index])
        mentors_page = _post(coordinator, mentors_page, f"/program/mentors/{row.id}/decision", decision="approve")
        assert mentors_page.status == 200
    for index in range(2, 6):
        student, student_token = enter(live, course, course.students[index])
        assert open_page(student, "/space/", student_token).status == 200

    review = open_page(coordinator, "/matching/", token)
    assert "groups of mentees" in review.text
    ran = _post(coordinator, review, "/matching/run")
    assert ran.status == 200 and "Matching finished. Review the groups below." in ran.text, ran.text[:1500]
    assert ran.soup.find(id="run")["data-mode"] == "group"
    groups = _groups(ran)
    assert len(groups) == 2
    for section in groups:
        roles = [role for _name, role in _members(section)]
        assert roles.count("mentor") == 1 and roles.count("mentee") == 2
        assert section.find("caption") and all(th.get("scope") for th in section.select("thead th"))
        # every mentee row has a score and a reason in words
        for tr in section.select("tbody tr[data-role=mentee]"):
            cells = tr.find_all("td")
            assert cells[1].get_text(strip=True) and cells[2].get_text(strip=True)

    # Remove a mentee from the first group: they are listed as unmatched, removed by the coordinator.
    first, second = groups
    mentee_row = first.select_one("tbody tr[data-role=mentee]")
    mentee_id = mentee_row["id"].removeprefix("member-")
    run_id = ran.soup.find(id="run")["data-run"]
    removed = _post(coordinator, ran, f"/matching/runs/{run_id}/members/{mentee_id}/remove")
    assert removed.status == 200 and "Removed from the proposal." in removed.text
    unmatched = removed.soup.find(id=f"unmatched-{mentee_id}")
    assert unmatched is not None and "taken out of the proposal" in unmatched.get_text()
    # The second group is full (a mentor and two mentees): only the first group is offered to put them back.
    select = unmatched.find("select")
    offered = [o.get_text() for o in select.find_all("option")]
    assert len(offered) == 1 and offered[0].startswith(first.h3.get_text(strip=True).split("·")[0].strip())
    assert removed.soup.find(id=first["id"])["data-state"] == "pinned"
    back = _post(
        coordinator,
        removed,
        f"/matching/runs/{run_id}/members/{mentee_id}/move",
        group_id=select.find("option")["value"],
    )
    assert back.status == 200 and "The changed groups are pinned" in back.text, back.text[:1500]
    assert back.soup.find(id=f"member-{mentee_id}") is not None
    assert back.soup.find(id=f"unmatched-{mentee_id}") is None

    # Re-running keeps the pinned (edited) group exactly as it is.
    kept = sorted(_members(back.soup.find(id=first["id"])))
    rerun = _post(coordinator, back, "/matching/run")
    assert rerun.status == 200
    after = {tuple(sorted(_members(s))) for s in _groups(rerun)}
    assert tuple(kept) in after
    assert any(s["data-state"] == "pinned" for s in _groups(rerun))

    # Approve: groups with their members exist, approving twice changes nothing.
    run_id = rerun.soup.find(id="run")["data-run"]
    approved = _post(coordinator, rerun, f"/matching/runs/{run_id}/approve")
    assert approved.status == 200 and "Groups approved." in approved.text
    assert all(s["data-approved"] == "yes" for s in _groups(approved))
    again = _post(coordinator, approved, f"/matching/runs/{run_id}/approve")
    assert again.status == 200
    with live.app.app_context():
        made = db.session.query(MentoringGroup).filter_by(source_run_id=int(run_id)).all()
        roles = sorted(m.role for g in made for m in g.members)
        course_id = made[0].course_id
        group_id = made[0].id
        db.session.remove()
    assert len(made) == 2 and roles == ["mentee"] * 4 + ["mentor"] * 2

    # A mentee sees their group (with its mentor) on the home page; so does the mentor.
    mentee_sub = course.students[2]
    person, person_token = enter(live, course, mentee_sub)
    home = open_page(person, "/space/", person_token)
    card = home.soup.find(id="my-groups")
    assert card is not None, home.text[:2000]
    assert "(Mentor)" in card.get_text() and "Group" in card.get_text()
    mentor, mentor_token = enter(live, course, course.students[0])
    assert open_page(mentor, "/space/", mentor_token).soup.find(id="my-groups") is not None
    # The group's name links to its space, which B1's space pages serve for groups as for pairs.
    link = card.find("a")
    assert link is not None and "/spaces/group/" in link["href"]
    assert person.get(link["href"]).status == 200
    member_group = link["href"].split("/spaces/group/")[1].split("/")[0]
    outsider = next(s for s in course.students[2:] if s != mentee_sub)
    outsider_browser, outsider_token = enter(live, course, outsider)
    outsider_card = open_page(outsider_browser, "/space/", outsider_token).soup.find(id="my-groups")
    if member_group not in str(outsider_card):
        assert open_page(outsider_browser, f"/spaces/group/{member_group}/", outsider_token).status == 404

    # The group space: its members enter it, other people of the course do not.
    with live.app.app_context():
        space = spaces.get_space(db.session(), course_id, "group", group_id)
        assert space is not None and space.active and space.kind == "group" and space.name
        assert len(space.mentors()) == 1 and len(space.mentees()) == 2
        inside = {m.person_id for m in space.members}
        member_ids = [m.participant_id for m in db.session.query(GroupMember).filter_by(group_id=group_id).all()]
        assert len(member_ids) == 3
        assert any(s.kind == "group" for s in spaces.course_spaces(db.session(), course_id))
        some_member = next(iter(inside))
        assert [s.key for s in spaces.spaces_of(db.session(), course_id, some_member)] == [f"group-{group_id}"]
        access = spaces.access(db.session(), course_id, some_member, "group", group_id, is_coordinator=False)
        assert access.may_read and access.may_write and access.viewer_role in ("mentor", "mentee")
        db.session.remove()


def test_peer_triads_run_and_approve(live, browser):
    course, coordinator, token = _group_program(
        live, browser, n_students=6, structure="group", relationship_model="peer"
    )
    for sub in course.students:
        student, student_token = enter(live, course, sub)
        assert open_page(student, "/space/", student_token).status == 200
    review = open_page(coordinator, "/matching/", token)
    assert "learners who mentor each other" in review.text
    ran = _post(coordinator, review, "/matching/run")
    assert ran.status == 200 and ran.soup.find(id="run")["data-mode"] == "peer", ran.text[:1500]
    groups = _groups(ran)
    assert sorted(len(_members(s)) for s in groups) == [3, 3]
    assert all(role == "peer" for s in groups for _n, role in _members(s))
    assert all("with " in tr.find_all("td")[2].get_text() for s in groups for tr in s.select("tbody tr"))
    run_id = ran.soup.find(id="run")["data-run"]

    # Take one peer out for good: the next run never groups them with their two former peers.
    first = groups[0]
    rows = first.select("tbody tr")
    leaver, former = rows[0]["id"].removeprefix("member-"), {tr.th.get_text(strip=True) for tr in rows[1:]}
    removed = _post(coordinator, ran, f"/matching/runs/{run_id}/members/{leaver}/remove", forbid="1")
    assert "Removed from the proposal." in removed.text
    assert removed.soup.find(id=f"unmatched-{leaver}") is not None
    assert removed.soup.find(id=f"unmatched-{leaver}").find("select") is None or all(
        "Group 1" not in o.get_text() for o in removed.soup.find(id=f"unmatched-{leaver}").find_all("option")
    )
    ran = _post(coordinator, removed, "/matching/run")
    mine = next(s for s in _groups(ran) if s.find(id=f"member-{leaver}"))
    assert not former & {name for name, _role in _members(mine)}, "never with the peers they were taken from"
    run_id = ran.soup.find(id="run")["data-run"]
    approved = _post(coordinator, ran, f"/matching/runs/{run_id}/approve")
    assert approved.status == 200 and "Groups approved." in approved.text

    student, student_token = enter(live, course, course.students[0])
    card = open_page(student, "/space/", student_token).soup.find(id="my-groups")
    # The edited group (now a pair) was pinned; the other four form two pairs: everyone is in a group of peers.
    assert card is not None and card.get_text().count("(Peer)") >= 1

    # A peer group's space lists its members as peers; nobody outside it may enter.
    with live.app.app_context():
        made = db.session.query(MentoringGroup).filter_by(source_run_id=int(run_id)).first()
        space = spaces.get_space(db.session(), made.course_id, "group", made.id)
        assert space is not None and len(space.peers()) == len(space.members) >= 2 and not space.mentors()
        outsider = [
            s for s in spaces.course_spaces(db.session(), made.course_id) if s.id != made.id and s.kind == "group"
        ][0].members[0]
        try:
            spaces.access(db.session(), made.course_id, outsider.person_id, "group", made.id, is_coordinator=False)
        except spaces.SpaceNotFound:
            pass
        else:  # pragma: no cover
            raise AssertionError("a member of another group entered this group's space")
        db.session.remove()

    # A new run leaves people in groups alone (nobody left to place).
    rerun = _post(coordinator, approved, "/matching/run")
    assert rerun.status == 200 and not _groups(rerun)


def test_group_member_leaves_for_another_group_and_late_joiner_joins_one(live, browser):
    """A mentee asks to change group; approving it takes them out and proposes another group with room,
    nobody else moves. Someone who enrols later is proposed into an existing group with room."""
    tags = "research methods\ncareer planning"
    course, coordinator, token = _group_program(
        live, browser, n_students=6, structure="group", group_size="4", goal_tags=tags, expertise_tags=tags
    )
    for index, expertise in ((0, "research methods"), (1, "career planning")):
        student, student_token = enter(live, course, course.students[index])
        page = open_page(student, "/program/profile", student_token)
        saved = submit(
            student, page, "/program/profile", offer_mentor="1", capacity="3", time_zone="UTC", expertise=[expertise]
        )
        assert saved.status == 200, saved.text[:1500]
    mentors_page = open_page(coordinator, "/program/mentors", token)
    ids = {}
    for index in (0, 1):
        ids[index] = participant_of(live, course.context_id, course.students[index]).id
        mentors_page = _post(coordinator, mentors_page, f"/program/mentors/{ids[index]}/decision", decision="approve")
    for index, goal in (
        (2, "research methods"),
        (3, "research methods"),
        (4, "career planning"),
        (5, "career planning"),
    ):
        student, student_token = enter(live, course, course.students[index])
        page = open_page(student, "/program/profile", student_token)
        assert submit(student, page, "/program/profile", time_zone="UTC", goals=[goal]).status == 200
    ran = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    run_id = ran.soup.find(id="run")["data-run"]
    _post(coordinator, ran, f"/matching/runs/{run_id}/approve")
    with live.app.app_context():
        groups = {
            g.id: sorted(m.participant_id for m in g.current_members)
            for g in db.session.query(MentoringGroup).filter_by(source_run_id=int(run_id))
        }
        db.session.remove()
    mover = participant_of(live, course.context_id, course.students[2]).id
    (old_group,) = [gid for gid, members in groups.items() if mover in members]
    (new_group,) = [gid for gid in groups if gid != old_group]
    assert ids[0] in groups[old_group] and ids[1] in groups[new_group]

    # The mentee asks to change group from the home card; only the coordinator reads the reason.
    student, student_token = enter(live, course, course.students[2])
    home = open_page(student, "/space/", student_token)
    link = home.soup.find(id="ask-group-switch")
    assert link is not None, home.text[:2000]
    form_page = Page(student.http.get(student.tool_url + link["href"], timeout=30))
    sent = submit(student, form_page, "/matching/switch", reason="I would rather work on my career plans.")
    assert sent.status == 200 and sent.soup.find(id="switch-sent"), sent.text[:1500]

    review = open_page(coordinator, "/matching/", token)
    row = review.soup.select_one("#switch-table tbody tr")
    assert "I would rather work on my career plans." in row.get_text() and "Leave Group" in row.get_text()
    decided = _post(coordinator, review, f"/matching/switches/{row['id'].split('-')[1]}", decision="approve")
    assert "They have left the group." in decided.text, decided.text[:2000]
    (proposal,) = _groups(decided)
    assert "adds people to this existing group" in proposal.get_text()
    new_rows = [tr for tr in proposal.select("tbody tr") if "already in the group" not in tr.get_text()]
    assert [tr["id"] for tr in new_rows] == [f"member-{mover}"]
    approved = _post(coordinator, decided, f"/matching/runs/{decided.soup.find(id='run')['data-run']}/approve")
    assert "Groups approved." in approved.text
    with live.app.app_context():
        now = {
            g.id: sorted(m.participant_id for m in g.current_members)
            for g in db.session.query(MentoringGroup).filter(MentoringGroup.id.in_(list(groups)))
        }
        db.session.remove()
    assert now[old_group] == sorted(set(groups[old_group]) - {mover})
    assert now[new_group] == sorted({*groups[new_group], mover}), "only the mover moved"
    history = open_page(coordinator, "/matching/history", token)
    assert "asked to leave (approved): I would rather work on my career plans." in history.text

    # A late joiner: offered on the review page, proposed into the group with room, nobody else moves.
    from lti_tool.sandbox.seed import create_course

    with live.app.app_context():
        create_course(db.session, course.context_id, len(course.students) + 1)
        db.session.remove()
    (newcomer,) = sorted(set(people(live.app, "student", course.context_id)) - set(course.students))
    enter(live, course, newcomer)
    review = open_page(coordinator, "/matching/", token)
    assert "1 person joined after matching" in review.soup.find(id="late-joiners").get_text()
    proposed = _post(coordinator, review, "/matching/run", scope="late")
    (proposal,) = _groups(proposed)
    assert proposal["id"] and "adds people to this existing group" in proposal.get_text()
    _post(coordinator, proposed, f"/matching/runs/{proposed.soup.find(id='run')['data-run']}/approve")
    joined = participant_of(live, course.context_id, newcomer).id
    with live.app.app_context():
        after = {
            g.id: sorted(m.participant_id for m in g.current_members)
            for g in db.session.query(MentoringGroup).filter(MentoringGroup.id.in_(list(groups)))
        }
        db.session.remove()
    assert after[old_group] == sorted({*now[old_group], joined}), "the group with room takes the newcomer"
    assert after[new_group] == now[new_group]
    # The coordinator ends a group from the history: its members are free for the next run.
    history = open_page(coordinator, "/matching/history", token)
    ended = _post(coordinator, history, f"/matching/history/groups/{old_group}/end")
    assert "The group has ended." in ended.text, ended.text[:1500]
    member, member_token = enter(live, course, course.students[3])
    assert open_page(member, "/space/", member_token).soup.find(id=f"my-group-{old_group}") is None
    # Its space stays readable, read-only, to its members; someone who left it earlier no longer enters it.
    with live.app.app_context():
        from lti_tool.models import Membership, Participant

        def person_of(pid: int) -> int:
            return (
                db.session.query(Membership.person_id)
                .join(Participant, Participant.membership_id == Membership.id)
                .filter(Participant.id == pid)
                .scalar()
            )

        course_id = db.session.get(MentoringGroup, old_group).course_id
        stayer = person_of(participant_of(live, course.context_id, course.students[3]).id)
        access = spaces.access(db.session(), course_id, stayer, "group", old_group, is_coordinator=False)
        assert access.may_read and not access.may_write and not access.space.active
        try:
            spaces.access(db.session(), course_id, person_of(mover), "group", old_group, is_coordinator=False)
        except spaces.SpaceNotFound:
            pass
        else:  # pragma: no cover
            raise AssertionError("someone who left the group entered its space")
        assert f"group-{old_group}" in [s.key for s in spaces.spaces_of(db.session(), course_id, stayer)]
        db.session.remove()
    rerun = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    placed = {tr["id"] for s in _groups(rerun) for tr in s.select("tbody tr[data-role=mentee]")}
    assert f"member-{participant_of(live, course.context_id, course.students[3]).id}" in placed


def test_co_mentored_groups_and_peer_pairs(live, browser):
    """Groups with two mentors each; and a peer program of pairs (structure one-to-one)."""
    course, coordinator, token = _group_program(
        live, browser, n_students=8, structure="group", group_size="4", mentors_per_group="2"
    )
    for index in range(4):
        student, student_token = enter(live, course, course.students[index])
        page = open_page(student, "/program/profile", student_token)
        saved = submit(student, page, "/program/profile", offer_mentor="1", capacity="2", time_zone="UTC")
        assert saved.status == 200, saved.text[:1500]
    mentors_page = open_page(coordinator, "/program/mentors", token)
    for index in range(4):
        row = participant_of(live, course.context_id, course.students[index])
        mentors_page = _post(coordinator, mentors_page, f"/program/mentors/{row.id}/decision", decision="approve")
    for index in range(4, 8):
        student, student_token = enter(live, course, course.students[index])
        open_page(student, "/space/", student_token)
    ran = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    groups = _groups(ran)
    assert len(groups) == 2, ran.text[:2000]
    for section in groups:
        roles = sorted(role for _n, role in _members(section))
        assert roles == ["mentee", "mentee", "mentor", "mentor"]
    run_id = ran.soup.find(id="run")["data-run"]
    assert "Groups approved." in _post(coordinator, ran, f"/matching/runs/{run_id}/approve").text
    mentee, mentee_token = enter(live, course, course.students[4])
    card = open_page(mentee, "/space/", mentee_token).soup.find(id="my-groups")
    assert card.get_text().count("(Mentor)") == 2

    peers, peer_coordinator, peer_token = _group_program(live, browser, n_students=4, relationship_model="peer")
    for sub in peers.students:
        student, student_token = enter(live, peers, sub)
        open_page(student, "/space/", student_token)
    ran = _post(peer_coordinator, open_page(peer_coordinator, "/matching/", peer_token), "/matching/run")
    assert sorted(len(_members(s)) for s in _groups(ran)) == [2, 2], ran.text[:2000]
