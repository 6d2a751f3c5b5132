"""A group whose mentor left, over real HTTP: the coordinator sees it flagged on the matching page and the
dashboard, picks a replacement with places left (score and reason shown), its members are told and the new
mentor enters the group space; refused choices change nothing; only the course's coordinators may do it."""

from __future__ import annotations

from lti_tool.extensions import db
from lti_tool.models import Membership, Participant
from lti_tool.models.mentorships import GroupMember, MentoringGroup
from lti_tool.models.notifications import NotificationOutbox

from .support.browser import Page
from .test_matching_groups import _group_program, _post
from .test_program_support import enter, form_action, form_data, fresh_course, open_page, participant_of, submit


def _current(live, group_id: int) -> list[tuple[int, str]]:
    with live.app.app_context():
        rows = sorted(
            (m.participant_id, m.role)
            for m in db.session.query(GroupMember).filter_by(group_id=group_id, left_at=None).all()
        )
        db.session.remove()
    return rows


def _setup(live, browser):
    """Two mentors (two places each) lead two groups of two mentees; a third mentor is approved afterwards."""
    course, coordinator, token = _group_program(live, browser, n_students=7, structure="group", group_size="3")

    def volunteer(index: int) -> int:
        student, student_token = enter(live, course, course.students[index])
        page = open_page(student, "/program/profile", student_token)
        assert submit(student, page, "/program/profile", offer_mentor="1", capacity="2", time_zone="UTC").status == 200
        return participant_of(live, course.context_id, course.students[index]).id

    ids = {i: volunteer(i) for i in (0, 1)}
    mentors_page = open_page(coordinator, "/program/mentors", token)
    for index in (0, 1):
        mentors_page = _post(coordinator, mentors_page, f"/program/mentors/{ids[index]}/decision", decision="approve")
    for index in range(3, 7):
        student, student_token = enter(live, course, course.students[index])
        assert open_page(student, "/space/", student_token).status == 200
    ran = _post(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    run_id = ran.soup.find(id="run")["data-run"]
    assert "Groups approved." in _post(coordinator, ran, f"/matching/runs/{run_id}/approve").text
    ids[2] = volunteer(2)  # offers to mentor after the groups were formed (a pending volunteer is a mentee)
    mentors_page = open_page(coordinator, "/program/mentors", token)
    _post(coordinator, mentors_page, f"/program/mentors/{ids[2]}/decision", decision="approve")
    with live.app.app_context():
        groups = {
            g.id: {m.participant_id: m.role for m in g.current_members}
            for g in db.session.query(MentoringGroup).filter_by(source_run_id=int(run_id))
        }
        db.session.remove()
    (group_id,) = [gid for gid, members in groups.items() if ids[0] in members]
    (other_id,) = [gid for gid in groups if gid != group_id]
    return course, coordinator, token, ids, groups, group_id, other_id


def _choose(browser, page: Page, group_id: int, mentor_id: int) -> Page:
    target = f"/matching/groups/{group_id}/mentor"
    data = [(k, v) for k, v in form_data(page, target) if k != "mentor_id"] + [("mentor_id", str(mentor_id))]
    return Page(browser.http.post(form_action(page, target), data=data, timeout=30))


def test_mentor_leaves_group_flagged_and_replaced(live, browser):
    """The mentor's leave request approved: the group is flagged (matching page, dashboard); the coordinator
    adds a mentor with places left, shown with score and reason; members are told; the new mentor enters."""
    course, coordinator, token, ids, groups, group_id, other_id = _setup(live, browser)
    mentor, mentor_token = enter(live, course, course.students[0])
    form_page = open_page(mentor, "/matching/switch", mentor_token)
    sent = submit(mentor, form_page, "/matching/switch", reason="I can no longer lead this group.")
    assert sent.status == 200 and sent.soup.find(id="switch-sent"), sent.text[:1500]

    # The dashboard counts the waiting request to leave a group, and says which kind it is.
    dashboard = open_page(coordinator, "/dashboard/", token)
    stat = dashboard.soup.find(id="stat-switch")
    assert stat["data-groups"] == "1" and stat["data-pairs"] == "0"
    assert stat.find(class_="stat-value").get_text(strip=True) == "1"
    assert "1 to leave a group" in stat.get_text()

    review = open_page(coordinator, "/matching/", token)
    assert review.soup.find(id="groups-without-mentor") is None
    row = review.soup.select_one("#switch-table tbody tr")
    decided = _post(coordinator, review, f"/matching/switches/{row['id'].split('-')[1]}", decision="approve")
    assert decided.status == 200
    flagged = decided.soup.find(id=f"short-group-{group_id}")
    assert flagged is not None and "no mentor" in flagged.get_text(), decided.text[:3000]
    assert decided.soup.find(id=f"short-group-{other_id}") is None

    dashboard = open_page(coordinator, "/dashboard/", token)
    risk = dashboard.soup.find(id=f"risk-group-{group_id}")
    assert risk is not None and risk.find("li", attrs={"data-reason": "no_mentor"}).get_text(strip=True) == "No mentor"
    assert risk.find(id=f"risk-choose-mentor-{group_id}") is not None
    assert dashboard.soup.find(id="stat-switch")["data-groups"] == "0"

    # The choice: approved mentors with places left (the full one and the leaver are not offered).
    link = decided.soup.find(id=f"choose-mentor-{group_id}")
    form = Page(coordinator.http.get(coordinator.tool_url + link["href"], timeout=30))
    assert form.status == 200, form.text[:1500]
    fieldset = form.soup.find("fieldset", id="mentor-choice")
    assert fieldset is not None and fieldset.find("legend").get_text(strip=True), form.soup.find(id="group-mentor")
    radios = fieldset.find_all("input", type="radio")
    assert [r["value"] for r in radios] == [str(ids[2])]
    label = form.soup.find("label", attrs={"for": radios[0]["id"]}).get_text()
    assert "score" in label and "2 places left" in label
    assert form.soup.find(id=f"mentor-{ids[2]}-reason").get_text(strip=True)

    added = _choose(coordinator, form, group_id, ids[2])
    assert added.status == 200 and "The mentor was added to the group." in added.text, added.text[:1500]
    assert added.soup.find(id="groups-without-mentor") is None
    mentees = sorted(pid for pid, role in groups[group_id].items() if role == "mentee")
    assert _current(live, group_id) == sorted([*[(m, "mentee") for m in mentees], (ids[2], "mentor")])
    with live.app.app_context():
        course_id = db.session.get(MentoringGroup, group_id).course_id
        told = (
            db.session.query(NotificationOutbox)
            .filter(NotificationOutbox.course_id == course_id, NotificationOutbox.kind == "group_changed")
            .count()
        )
        db.session.remove()
    assert told == 3, "both mentees and the new mentor are told"
    risk = open_page(coordinator, "/dashboard/", token).soup.find(id=f"risk-group-{group_id}")
    assert risk is None or risk.find("li", attrs={"data-reason": "no_mentor"}) is None

    # The new mentor sees the group on their home page and enters its space at once.
    new_mentor, new_token = enter(live, course, course.students[2])
    card = open_page(new_mentor, "/space/", new_token).soup.find(id="my-groups")
    assert card is not None and card.find("a") is not None
    assert f"/spaces/group/{group_id}/" in card.find("a")["href"]
    assert new_mentor.get(card.find("a")["href"]).status == 200


def test_refused_replacements_change_nothing(live, browser):
    """A full mentor, a non-mentor, the mentor who left, someone of another course or already in the group is
    refused with a message; the group stays as it was. A mentor dropped from the roster flags the group."""
    course, coordinator, token, ids, groups, group_id, other_id = _setup(live, browser)
    mentor, mentor_token = enter(live, course, course.students[0])
    submit(mentor, open_page(mentor, "/matching/switch", mentor_token), "/matching/switch", reason="Leaving.")
    review = open_page(coordinator, "/matching/", token)
    row = review.soup.select_one("#switch-table tbody tr")
    _post(coordinator, review, f"/matching/switches/{row['id'].split('-')[1]}", decision="approve")
    before = _current(live, group_id)
    form = open_page(coordinator, f"/matching/groups/{group_id}/mentor", token)
    other_course = fresh_course(live, browser, n_students=1)
    enter(live, other_course, other_course.students[0])
    stranger = participant_of(live, other_course.context_id, other_course.students[0]).id
    mentee_here = next(pid for pid, role in groups[group_id].items() if role == "mentee")
    mentee_there = next(pid for pid, role in groups[other_id].items() if role == "mentee")
    for chosen, message in (
        (ids[1], "That mentor has no place left."),
        (ids[0], "left this group earlier"),
        (mentee_there, "not an approved mentor"),
        (stranger, "not an approved mentor"),
        (mentee_here, "already in this group"),
    ):
        refused = _choose(coordinator, form, group_id, chosen)
        assert refused.status == 400, (chosen, refused.status)
        assert message in refused.soup.find(id="group-mentor-error").get_text(), (chosen, refused.text[:1500])
        assert _current(live, group_id) == before
    added = _choose(coordinator, form, group_id, ids[2])
    assert added.status == 200
    again = _choose(coordinator, form, group_id, ids[2])
    assert again.status == 400 and "already in this group" in again.text

    # The other group's mentor is dropped from the course roster (as roster sync leaves it): flagged too.
    with live.app.app_context():
        membership_id = db.session.get(Participant, ids[1]).membership_id
        db.session.get(Membership, membership_id).is_active = False
        db.session.commit()
        db.session.remove()
    review = open_page(coordinator, "/matching/", token)
    assert "no mentor" in review.soup.find(id=f"short-group-{other_id}").get_text()
    risk = open_page(coordinator, "/dashboard/", token).soup.find(id=f"risk-group-{other_id}")
    assert risk is not None and risk.find("li", attrs={"data-reason": "no_mentor"}) is not None


def test_only_the_courses_coordinators_add_a_mentor(live, browser):
    """A student gets 403, another course's coordinator 404 (their course has no such group), and a post
    without the CSRF token 400; nothing changes."""
    course, coordinator, token, ids, groups, group_id, _other = _setup(live, browser)
    before = _current(live, group_id)
    form = open_page(coordinator, f"/matching/groups/{group_id}/mentor", token)
    fields = dict(form_data(form, f"/matching/groups/{group_id}/mentor"))
    url = form_action(form, f"/matching/groups/{group_id}/mentor")

    student, student_token = enter(live, course, course.students[4])
    assert open_page(student, f"/matching/groups/{group_id}/mentor", student_token).status == 403
    own = dict(form_data(open_page(student, "/matching/switch", student_token), "/matching/switch"))
    posted = student.http.post(
        url.split("?")[0],
        data={"ts": own["ts"], "csrf_token": own["csrf_token"], "mentor_id": str(ids[2])},
        timeout=30,
    )
    assert posted.status_code == 403

    other_course = fresh_course(live, browser, n_students=1)
    other, other_token = enter(live, other_course, other_course.instructor)
    assert open_page(other, f"/matching/groups/{group_id}/mentor", other_token).status == 404
    other_fields = dict(form_data(open_page(other, "/matching/", other_token), "/matching/run"))
    posted = other.http.post(
        url.split("?")[0],
        data={"ts": other_fields["ts"], "csrf_token": other_fields["csrf_token"], "mentor_id": str(ids[2])},
        timeout=30,
    )
    assert posted.status_code == 404

    no_csrf = coordinator.http.post(
        url, data={"ts": fields["ts"], "mentor_id": str(ids[2])}, timeout=30, allow_redirects=False
    )
    assert no_csrf.status_code == 400
    assert _current(live, group_id) == before
