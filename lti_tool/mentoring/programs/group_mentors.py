"""A group left without its mentor: flag it, offer replacement mentors, add the one the coordinator picks.

A group of group mentoring (not peer co-mentoring) should have ``mentors_per_group`` mentors. It has fewer
when a mentor left it (a request to leave, approved) or was dropped from the course roster (their
membership is no longer active); ``groups_short_of_mentors`` lists those groups.

``replacement_candidates`` lists the approved mentors who could take the group: not in it already, with
places left for its mentees (a mentor's capacity counts the mentees of their active groups), who did not
leave this group before (the mentor who asked to leave is not offered back), and no pair
with one of its mentees that is forbidden or ended on request. Each comes with the score the engine's
``form_groups`` would give the group (the sum of its mentees' scores with that mentor) and the reason of
the best of those links. ``add_mentor`` checks the same rules, adds the mentor to the group (who can enter
its space at once: access follows ``GroupMember``) and queues a mail to each current member.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Membership, Participant, Program
from ...models.base import utcnow
from ...models.mentorships import GroupMember, MentoringGroup
from ...notifications import N_, notify
from ...notifications.outbox import KIND_GROUP_CHANGED
from ..matching import ReasonPart, score_pair
from .editing import HARD, SOFT, EditRefused
from .errors import NotAllowed, NotInProgram
from .groups import active_groups, forbidden_pairs, mentees_led
from .matching_input import matching_input

SUBJECT = N_("A new mentor in %(group)s")
BODY = N_("The coordinator added %(name)s to %(group)s as a mentor.")
ACTION = N_("Open Mentoring Space from your course to see the group.")


def mentors_needed(program: Program) -> int:
    """How many mentors each group should have (0 when the program's groups have no mentors)."""
    if program.is_peer or program.structure != "group":
        return 0
    return max(1, program.mentors_per_group)


@dataclass(frozen=True)
class ShortGroup:
    """An active group with fewer mentors (still in the course) than the program asks for."""

    group: MentoringGroup
    mentors: int
    needed: int


@dataclass(frozen=True)
class MentorCandidate:
    """An approved mentor who could join the group, with the score and reason the engine gives it."""

    mentor_id: int
    places_left: int
    score: float
    parts: tuple[ReasonPart, ...]
    best_with: int | None  # the mentee whose link gives the reason
    soft: tuple[str, ...] = ()


def _active_ids(session: Session, program: Program) -> set[int]:
    return set(
        session.execute(
            select(Participant.id)
            .join(Membership, Membership.id == Participant.membership_id)
            .where(Participant.program_id == program.id, Membership.is_active.is_(True))
        ).scalars()
    )


def groups_short_of_mentors(session: Session, program: Program) -> list[ShortGroup]:
    """The course's active groups with fewer mentors than ``mentors_per_group``, oldest group first."""
    needed = mentors_needed(program)
    if not needed:
        return []
    active = _active_ids(session, program)
    out = []
    for group in active_groups(session, program.course_id):
        members = group.current_members
        if not members:
            continue
        mentors = sum(1 for m in members if m.role == "mentor" and m.participant_id in active)
        if mentors < needed:
            out.append(ShortGroup(group, mentors, needed))
    return out


class _Replacement:
    """The engine's view of one group and the course's mentors, to list and check replacements."""

    def __init__(self, session: Session, program: Program, group_id: int):
        groups = active_groups(session, program.course_id)
        group = next((g for g in groups if g.id == group_id), None)
        if group is None:
            raise NotInProgram("No such active group in this course.")
        if not mentors_needed(program):
            raise NotAllowed("Only group mentoring programs give groups mentors.")
        self.session, self.program, self.group = session, program, group
        self.data = matching_input(session, program)
        self.mentors = {int(m.id): m for m in self.data.mentors}
        mentees = {int(m.id): m for m in self.data.mentees}
        self.members = {m.participant_id for m in group.current_members}
        self.left = {m.participant_id for m in group.members if m.left_at is not None}
        self.mentees = [mentees[m.participant_id] for m in group.current_members if m.participant_id in mentees]
        self.places_needed = max(1, sum(1 for m in group.current_members if m.role == "mentee"))
        self.led = mentees_led(groups)
        self.forbidden = forbidden_pairs(session, program.course_id) | {
            (int(a), int(b)) for a, b in self.data.options.excluded_pairs
        }

    def places_left(self, mentor_id: int) -> int:
        mentor = self.mentors.get(mentor_id)
        return 0 if mentor is None else mentor.capacity - self.led[mentor_id]

    def check(self, mentor_id: int) -> MentorCandidate:
        """The candidate entry for ``mentor_id``; ``EditRefused`` when the rules do not allow it."""
        if mentor_id in self.members:
            raise EditRefused("already_in_group")
        if mentor_id in self.left:
            raise EditRefused("left_group")
        mentor = self.mentors.get(mentor_id)
        if mentor is None:
            raise EditRefused("not_a_mentor")
        left = self.places_left(mentor_id)
        if left < self.places_needed:
            raise EditRefused("mentor_full")
        if any((int(m.id), mentor_id) in self.forbidden for m in self.mentees):
            raise EditRefused("forbidden")
        w, o = self.data.weights, self.data.options
        scores = [(int(m.id), score_pair(m, mentor, w, o)) for m in self.mentees]
        if any(v in HARD for _i, s in scores for v in s.violations):
            raise EditRefused("forbidden")
        soft = tuple(sorted({v for _i, s in scores for v in s.violations if v in SOFT}))
        if not scores:
            return MentorCandidate(mentor_id, left, 0.0, (), None, soft)
        best_with, best = max(scores, key=lambda t: t[1].score)
        total = round(sum(s.score for _i, s in scores), 4)
        return MentorCandidate(mentor_id, left, total, tuple(best.parts), best_with, soft)

    def candidates(self) -> list[MentorCandidate]:
        out = []
        for mentor_id in self.mentors:
            try:
                out.append(self.check(mentor_id))
            except EditRefused:
                continue
        return sorted(out, key=lambda c: (bool(c.soft), -c.score, c.mentor_id))


def replacement_candidates(session: Session, program: Program, group_id: int) -> tuple[MentoringGroup, list]:
    """The active group ``group_id`` of the program's course and the mentors who could join it, best first.

    ``NotInProgram`` for a group of another course or one that has ended; ``NotAllowed`` for peer programs.
    """
    found = _Replacement(session, program, group_id)
    return found.group, found.candidates()


def add_mentor(
    session: Session, program: Program, group_id: int, mentor_id: int, *, confirm: bool = False
) -> MentoringGroup:
    """Add ``mentor_id`` to the group as a mentor and tell its members (flushed, not committed).

    Raises ``EditRefused`` (``already_in_group``, ``left_group``, ``not_a_mentor``, ``mentor_full``, ``forbidden``,
    ``needs_confirmation`` for a soft rule broken without ``confirm``) and changes nothing then.
    """
    found = _Replacement(session, program, group_id)
    candidate = found.check(mentor_id)
    if candidate.soft and not confirm:
        raise EditRefused("needs_confirmation", candidate.soft)
    group = found.group
    row = next((m for m in group.members if m.participant_id == mentor_id), None)
    if row is None:
        row = GroupMember(participant_id=mentor_id, role="mentor", joined_at=utcnow())
        group.members.append(row)
    else:  # a former member comes back, now as a mentor
        row.role, row.left_at, row.joined_at = "mentor", None, utcnow()
    session.flush()
    _tell_members(session, group, mentor_id, row)
    return group


def _tell_members(session: Session, group: MentoringGroup, mentor_id: int, row: GroupMember) -> int:
    """Queue one mail per current member of the group (the new mentor too); returns how many were queued."""
    from .matching_runs import names

    current = [m.participant_id for m in group.current_members]
    people = dict(
        session.execute(
            select(Participant.id, Membership.person_id)
            .join(Membership, Membership.id == Participant.membership_id)
            .where(Participant.id.in_(current), Membership.is_active.is_(True))
        ).all()
    )
    params = {"name": names(session, {mentor_id}).get(mentor_id, ""), "group": group.name}
    queued = 0
    for participant_id in current:
        person_id = people.get(participant_id)
        if person_id is None:
            continue
        queued += (
            notify(
                session,
                course_id=group.course_id,
                person_id=person_id,
                kind=KIND_GROUP_CHANGED,
                key=f"group-{group.id}:mentor-{mentor_id}:{row.id}:{int(row.joined_at.timestamp())}",
                subject=SUBJECT,
                body=BODY,
                params=params,
                action=ACTION,
            )
            is not None
        )
    return queued
