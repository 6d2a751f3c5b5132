"""Commitments to action at the end of the Five Cs in a group space, over real HTTP.

Each mentee of a group writes their own commitment; the page names who has and who has not; the stage
closes for the group when the last current mentee has written one, and someone who left the group does
not hold it open. Until then each mentee can change their own. (The pair's flow is in test_space_pages.)
"""

from __future__ import annotations

from dataclasses import dataclass

from .support.demo import people
from .test_discussions import Actor, accept_rules, location, path_of
from .test_space_support import make_group, pair_course

STAGES_BEFORE = ("Choices", "Consequences", "Creative solutions", "Conclusions")


@dataclass
class Group:
    id: int
    base: str
    coordinator: Actor
    mentor: Actor
    mentees: list[Actor]
    outsider: Actor
    context_id: str = ""
    mentee_subs: tuple[str, ...] = ()


def group_at_conclusions(live, mentees: int = 3) -> Group:
    """A course on the Five Cs with one group (a mentor and ``mentees`` mentees) at the Conclusions stage."""
    course = pair_course(live, pairs=0, extra_students=mentees + 2)
    subs = people(live.app, "student", course.context_id)
    roles = {subs[0]: "mentor"} | {sub: "mentee" for sub in subs[1 : mentees + 1]}
    group_id = make_group(live, course.context_id, roles, name="Career circle")
    members = [course.extra[f"student{i}"] for i in range(mentees + 2)]
    for who in members:
        accept_rules(who)
    group = Group(
        group_id,
        f"/spaces/group/{group_id}",
        course.coordinator,
        members[0],
        members[1 : mentees + 1],
        members[-1],
        course.context_id,
        tuple(subs[1 : mentees + 1]),
    )
    settings = course.coordinator.get("/spaces/prompts")
    assert location(course.coordinator.submit(settings, "form.prompt-settings", {"kind": "five_cs"}))
    for expected_next in STAGES_BEFORE:
        assert location(group.mentor.submit(group.mentor.get(f"{group.base}/"), "form.prompt-done"))
        page = group.mentees[0].get(f"{group.base}/")
        assert expected_next in page.soup.find(id="current-stage").get_text()
    return group


def status(page) -> dict[str, str]:
    """Who has written a commitment, as the page lists it: ``{name: "written" | "not yet"}``."""
    box = page.soup.find(id="commitment-status")
    assert box is not None, page.text[:3000]
    return {
        li.select_one(".member-name").get_text(strip=True): li.select_one(".badge").get_text(strip=True)
        for li in box.select("li")
    }


def name_of(page) -> str:
    """The viewer's own name on the space page's member list."""
    for li in page.soup.select("#members li"):
        if "(you)" in li.get_text():
            return li.select_one(".member-name").get_text(strip=True)
    raise AssertionError("the viewer is not listed")


def commit(who: Actor, group: Group, text: str):
    return who.post(f"{group.base}/prompts/done", {"key": "conclusions", "commitment": text})


def shown(page) -> dict[str, str]:
    """The commitments the page shows: ``{author's name: text}``."""
    box = page.soup.find(id="commitment-shown")
    if box is None:
        return {}
    return {
        fig.figcaption.get_text(" ", strip=True).split(" · ")[0].replace(" (you)", ""): fig.blockquote.get_text()
        for fig in box.select("figure.commitment-of")
    }


def test_each_mentee_commits_and_the_last_one_closes_the_stage(live):
    """Three mentees: the first commitment leaves Conclusions open (names: who has, who has not), a mentee
    changes their own while it is open, the mentor cannot write one, the third closes it for everyone."""
    group = group_at_conclusions(live)
    first, second, third = group.mentees
    names = [name_of(m.get(f"{group.base}/")) for m in group.mentees]

    mentor_page = group.mentor.get(f"{group.base}/")
    assert mentor_page.soup.find("textarea", id="commitment") is None
    assert "Each mentee writes their own commitment" in mentor_page.soup.find(id="prompt").get_text()
    assert status(mentor_page) == dict.fromkeys(names, "not yet")
    refused = commit(group.mentor, group, "I will follow up")
    assert refused.status == 400 and "Only mentees write" in refused.soup.find(id="prompt-error").get_text()

    page = first.get(f"{group.base}/")
    assert page.soup.select_one("form.prompt-done button").get_text(strip=True) == "Save my commitment"
    done = commit(first, group, "I will <b>ask</b> two alumni for a chat")
    assert path_of(location(done))[1]["notice"] == "commitment_saved"
    for who in (first, second, group.mentor):
        page = who.get(f"{group.base}/")
        assert "Conclusions" in page.soup.find(id="current-stage").get_text()
        assert page.soup.find(id="prompts-finished") is None
        assert status(page) == {names[0]: "written", names[1]: "not yet", names[2]: "not yet"}
        assert "1 of 3 commitments written" in page.soup.find(id="commitment-status").get_text()
        assert shown(page) == {names[0]: "I will <b>ask</b> two alumni for a chat"}  # text, not markup
        assert page.soup.select_one("#commitment-shown b") is None
    saved = first.get(f"{group.base}/", notice="commitment_saved")
    assert saved.soup.find(id="commitment-saved") is not None
    assert saved.soup.find("textarea", id="commitment").get_text() == "I will <b>ask</b> two alumni for a chat"
    assert saved.soup.select_one("form.prompt-done button").get_text(strip=True) == "Change my commitment"

    # The first mentee changes theirs; still one commitment each.
    assert location(commit(first, group, "I will ask three alumni for a chat by Friday"))
    assert location(commit(second, group, "I will update my CV"))
    page = third.get(f"{group.base}/")
    assert shown(page) == {names[0]: "I will ask three alumni for a chat by Friday", names[1]: "I will update my CV"}
    assert page.soup.select_one("form.prompt-done button").get_text(strip=True) == "Save my commitment and finish"

    overview = group.coordinator.get("/spaces/")
    row = overview.soup.select_one(f"tr[data-space='group-{group.id}']")
    assert "4 of 5" in row.select_one(".prompts-done").get_text()
    assert row.select_one(".commitment-count").get_text(strip=True) == "2 of 3 commitments written"
    coordinator_page = group.coordinator.get(f"{group.base}/")  # unmoderated: names, no texts
    assert status(coordinator_page)[names[2]] == "not yet"
    assert coordinator_page.soup.find(id="commitment-shown") is None
    assert "update my CV" not in coordinator_page.text
    assert group.outsider.get(f"{group.base}/").status == 404
    assert commit(group.outsider, group, "Not my group").status == 404

    done = commit(third, group, "I will apply to one internship")
    assert path_of(location(done))[1]["notice"] == "stage_done"
    for who in (first, second, third, group.mentor):
        page = who.get(f"{group.base}/")
        assert page.soup.find(id="prompts-finished") is not None
        assert page.soup.find(id="commitment-status") is None
        assert set(shown(page)) == set(names)
    late = commit(first, group, "Changed my mind")
    assert late.status == 400 and "not the current one" in late.text
    overview = group.coordinator.get("/spaces/")
    row = overview.soup.select_one(f"tr[data-space='group-{group.id}']")
    assert "5 of 5" in row.select_one(".prompts-done").get_text() and row.select_one(".commitment-count") is None


def _leave(group: Group, who: Actor) -> None:
    """``who`` asks to leave the group and the coordinator approves it (the matching page's flow)."""
    asked = who.post("/matching/switch", {"target": f"group-{group.id}", "reason": "Other commitments this term"})
    assert asked.status in (302, 303), asked.text[:1500]
    review = group.coordinator.get("/matching/")
    row = review.soup.select_one("#switch-table tbody tr")
    assert row is not None, review.text[:2000]
    decided = group.coordinator.post(f"/matching/switches/{row['id'].split('-')[1]}", {"decision": "approve"})
    assert decided.status in (302, 303), decided.text[:1500]


def test_a_mentee_who_leaves_does_not_hold_the_stage_open(live):
    """Two mentees have committed; the third leaves the group: Conclusions closes for the others."""
    group = group_at_conclusions(live)
    first, second, third = group.mentees
    assert location(commit(first, group, "I will practise interviews"))
    assert location(commit(second, group, "I will visit the careers fair"))
    assert group.mentor.get(f"{group.base}/").soup.find(id="prompts-finished") is None
    _leave(group, third)
    assert third.get(f"{group.base}/").status == 404
    for who in (first, second, group.mentor):
        page = who.get(f"{group.base}/")
        assert page.soup.find(id="prompts-finished") is not None
        assert set(shown(page).values()) == {"I will practise interviews", "I will visit the careers fair"}


def test_after_a_mentee_left_the_remaining_ones_close_the_stage(live):
    """A mentee leaves before writing: only the two who stay are listed, and the second of them closes it."""
    group = group_at_conclusions(live)
    first, second, third = group.mentees
    stay = [name_of(m.get(f"{group.base}/")) for m in (first, second)]
    assert location(commit(first, group, "I will shadow a nurse for a day"))
    _leave(group, third)
    page = second.get(f"{group.base}/")
    assert status(page) == {stay[0]: "written", stay[1]: "not yet"}
    assert page.soup.select_one("form.prompt-done button").get_text(strip=True) == "Save my commitment and finish"
    assert path_of(location(commit(second, group, "I will ask for a placement")))[1]["notice"] == "stage_done"
    assert first.get(f"{group.base}/").soup.find(id="prompts-finished") is not None
