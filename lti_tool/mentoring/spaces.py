"""Mentoring spaces: the private place a pairing (or a group) shares, and who may enter it.

A *space* is what private threads, goals and meetings hang off: one approved ``Mentorship`` (kind
``"pair"``, id = the mentorship's id) or one approved ``MentoringGroup`` of group mentoring or peer
co-mentoring (kind ``"group"``, id = the group's id). Every other module asks this one "who is in this
space and what may this person do here", so the rule lives in one place:

| viewer | enters the space | reads private content | writes |
| --- | --- | --- | --- |
| the pair's mentee or mentor (active pairing) | yes | yes | yes |
| the pair's mentee or mentor (ended pairing) | yes | yes (history is kept) | no |
| a current member of a group (active group) | yes | yes | yes |
| a member of an ended group | yes | yes (history is kept) | no |
| someone who left a group (others stay) | no: "not found" | no | no |
| coordinator, program moderated | yes | yes | yes (as moderator) |
| coordinator, program unmoderated | yes | no: activity metadata only | no |
| anyone else (other pair, observer, other course or platform) | no: "not found" | no | no |

Spaces are always looked up inside the viewer's course, so an id of another course is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, bindparam, case, cast, literal_column, null, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from ..database import request_cache
from ..models import DiscussionSettings, Membership, Mentorship, Participant, Person
from ..models.mentorships import GroupMember, MentoringGroup
from .errors import DomainError

PAIR = "pair"
GROUP = "group"
KINDS = (PAIR, GROUP)


class SpaceNotFound(DomainError):
    """Unknown space, another course's space, or a space the viewer is not part of (never says which)."""

    code = "space_not_found"
    message = "This mentoring space does not exist or is not yours."


class SpaceReadOnly(DomainError):
    code = "space_read_only"
    message = "This pairing has ended: its history stays readable, but nothing new can be added."


@dataclass(frozen=True)
class Member:
    person_id: int
    participant_id: int
    name: str
    role: str
    """``"mentor"`` or ``"mentee"``; in a peer co-mentoring group every member is ``"peer"`` (they mentor
    each other). ``Space.mentors()``/``mentees()`` never list peers; ``Space.peers()`` does."""


@dataclass(frozen=True)
class Space:
    kind: str
    id: int
    course_id: int
    members: tuple[Member, ...]
    active: bool
    started_at: datetime
    ended_at: datetime | None
    title: str | None = None

    @property
    def key(self) -> str:
        """Stable string id, e.g. ``"pair-12"``, for URLs, iCal UIDs and logs."""
        return f"{self.kind}-{self.id}"

    @property
    def person_ids(self) -> frozenset[int]:
        return frozenset(m.person_id for m in self.members)

    def mentees(self) -> list[Member]:
        return [m for m in self.members if m.role == "mentee"]

    def mentors(self) -> list[Member]:
        return [m for m in self.members if m.role == "mentor"]

    def peers(self) -> list[Member]:
        return [m for m in self.members if m.role == "peer"]

    @property
    def name(self) -> str | None:
        """A group's name ("Group 3"); ``None`` for a pair."""
        return self.title

    def member(self, person_id: int) -> Member | None:
        return next((m for m in self.members if m.person_id == person_id), None)


@dataclass(frozen=True)
class SpaceAccess:
    """What one viewer may do in one space (see the module table)."""

    space: Space
    viewer_person_id: int
    is_member: bool
    is_coordinator: bool
    moderated: bool

    @property
    def may_read(self) -> bool:
        """Read private content: threads' posts, goals' text, meeting notes."""
        return self.is_member or (self.is_coordinator and self.moderated)

    @property
    def may_write(self) -> bool:
        if self.is_member:
            return self.space.active
        return self.is_coordinator and self.moderated and self.space.active

    @property
    def viewer_role(self) -> str:
        """``"mentor"``, ``"mentee"``, ``"peer"`` (in a peer group) or ``"coordinator"``."""
        member = self.space.member(self.viewer_person_id)
        return member.role if member else "coordinator"

    def require_write(self) -> None:
        if not self.may_write:
            raise SpaceReadOnly() if self.is_member else SpaceNotFound()


def is_moderated(session: Session, course_id: int) -> bool:
    return bool(
        session.execute(
            select(DiscussionSettings.moderated).where(DiscussionSettings.course_id == course_id)
        ).scalar_one_or_none()
    )


_MENTEE, _MENTOR = aliased(Participant), aliased(Participant)
_MENTEE_M, _MENTOR_M = aliased(Membership), aliased(Membership)
_MENTEE_P, _MENTOR_P = aliased(Person), aliased(Person)
# Built once: aliasing six entities and joining them cost several milliseconds per call (the home page's
# cards call this three times), far more than running the query.
_PAIRS = (
    select(Mentorship, _MENTEE_P, _MENTOR_P)
    .join(_MENTEE, _MENTEE.id == Mentorship.mentee_id)
    .join(_MENTEE_M, _MENTEE_M.id == _MENTEE.membership_id)
    .join(_MENTEE_P, _MENTEE_P.id == _MENTEE_M.person_id)
    .join(_MENTOR, _MENTOR.id == Mentorship.mentor_id)
    .join(_MENTOR_M, _MENTOR_M.id == _MENTOR.membership_id)
    .join(_MENTOR_P, _MENTOR_P.id == _MENTOR_M.person_id)
    .order_by(Mentorship.id)
)


_COURSE_PAIRS = _PAIRS.where(Mentorship.course_id == bindparam("course_id"))
_COURSE_GROUPS = (
    select(MentoringGroup).where(MentoringGroup.course_id == bindparam("course_id")).order_by(MentoringGroup.id)
)


def _pair_rows(session: Session, course_id: int, *where: object) -> list[tuple[Mentorship, int, str, int, str]]:
    query = _COURSE_PAIRS.where(*where) if where else _COURSE_PAIRS  # type: ignore[arg-type]
    rows = session.execute(query, {"course_id": course_id}).all()
    return [(ms, mee.id, mee.display_name, mor.id, mor.display_name) for ms, mee, mor in rows]


def _pair_space(row: tuple[Mentorship, int, str, int, str]) -> Space:
    ms, mentee_person, mentee_name, mentor_person, mentor_name = row
    return Space(
        kind=PAIR,
        id=ms.id,
        course_id=ms.course_id,
        members=(
            Member(mentor_person, ms.mentor_id, mentor_name, "mentor"),
            Member(mentee_person, ms.mentee_id, mentee_name, "mentee"),
        ),
        active=ms.ended_at is None,
        started_at=ms.approved_at,
        ended_at=ms.ended_at,
    )


def _group_spaces(session: Session, course_id: int, *where: object, person_id: int | None = None) -> list[Space]:
    """Group spaces with their current members (people who left a group are no longer in its space)."""
    query = _COURSE_GROUPS.where(*where) if where else _COURSE_GROUPS  # type: ignore[arg-type]
    params = {"course_id": course_id} if person_id is None else {"course_id": course_id, "person_id": person_id}
    groups = list(session.execute(query, params).scalars())
    if not groups:
        return []
    rows = session.execute(
        select(GroupMember, Person)
        .join(Participant, Participant.id == GroupMember.participant_id)
        .join(Membership, Membership.id == Participant.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(GroupMember.group_id.in_([g.id for g in groups]), GroupMember.left_at.is_(None))
        .order_by(GroupMember.id)
    ).all()
    order = {"mentor": 0, "mentee": 1, "peer": 1}
    members: dict[int, list[Member]] = {}
    for gm, person in rows:
        members.setdefault(gm.group_id, []).append(Member(person.id, gm.participant_id, person.display_name, gm.role))
    return [
        Space(
            kind=GROUP,
            id=g.id,
            course_id=g.course_id,
            members=tuple(sorted(members.get(g.id, []), key=lambda m: (order.get(m.role, 2), m.name.casefold()))),
            active=g.ended_at is None,
            started_at=g.created_at,
            ended_at=g.ended_at,
            title=g.name,
        )
        for g in groups
    ]


def get_space(session: Session, course_id: int, kind: str, space_id: int) -> Space | None:
    """The space, looked up inside ``course_id`` only."""
    if kind == PAIR:
        rows = _pair_rows(session, course_id, Mentorship.id == space_id)
        return _pair_space(rows[0]) if rows else None
    if kind == GROUP:
        found = _group_spaces(session, course_id, MentoringGroup.id == space_id)
        return found[0] if found else None
    return None


def _load_spaces(session: Session, course_id: int, active_only: bool) -> list[Space]:
    where = [Mentorship.ended_at.is_(None)] if active_only else []
    group_where = [MentoringGroup.ended_at.is_(None)] if active_only else []
    return [_pair_space(row) for row in _pair_rows(session, course_id, *where)] + _group_spaces(
        session, course_id, *group_where
    )


def course_spaces(session: Session, course_id: int, *, active_only: bool = True) -> list[Space]:
    """Every space of the course, pairs then groups (for coordinators' overviews, nudges and dashboards).

    Read once per web request: the home page's evaluations, spaces and meetings cards all start from here.
    ``request_cache`` is emptied by any write and is off outside requests; within a request the active
    spaces are the loaded ones whose ``active`` is set (``ended_at`` is None, as the query's filter).
    """
    cache = request_cache(session)
    if cache is None:
        return _load_spaces(session, course_id, active_only)
    key = ("course_spaces", course_id)
    if key not in cache:
        cache[key] = _load_spaces(session, course_id, False)
    return [s for s in cache[key] if s.active or not active_only]


# A person's spaces with their current members, as plain rows of one query (pairs and groups together):
# the home page reads them on every launch, and entity loading cost more than the query itself.
_OWN_PARTICIPANTS = (
    select(Participant.id)
    .join(Membership, Membership.id == Participant.membership_id)
    .where(Membership.person_id == bindparam("person_id"), Membership.course_id == bindparam("course_id"))
)
_PAIR_MEMBER = aliased(Participant)
_PAIR_MEMBER_M = aliased(Membership)
_PAIR_MEMBER_P = aliased(Person)
_PERSON_PAIR_MEMBERS = (
    select(
        literal_column(f"'{PAIR}'", String).label("kind"),
        Mentorship.id,
        Mentorship.approved_at,
        Mentorship.ended_at,
        cast(null(), String).label("title"),
        _PAIR_MEMBER_P.id,
        _PAIR_MEMBER.id,
        _PAIR_MEMBER_P.name,
        _PAIR_MEMBER_P.given_name,
        _PAIR_MEMBER_P.family_name,
        _PAIR_MEMBER_P.sub,
        case((_PAIR_MEMBER.id == Mentorship.mentor_id, "mentor"), else_="mentee"),
        literal_column("0", Integer).label("member_order"),
    )
    .join(_PAIR_MEMBER, or_(_PAIR_MEMBER.id == Mentorship.mentor_id, _PAIR_MEMBER.id == Mentorship.mentee_id))
    .join(_PAIR_MEMBER_M, _PAIR_MEMBER_M.id == _PAIR_MEMBER.membership_id)
    .join(_PAIR_MEMBER_P, _PAIR_MEMBER_P.id == _PAIR_MEMBER_M.person_id)
    .where(
        Mentorship.course_id == bindparam("course_id"),
        or_(Mentorship.mentor_id.in_(_OWN_PARTICIPANTS), Mentorship.mentee_id.in_(_OWN_PARTICIPANTS)),
    )
)
_PERSON_GROUP_IDS = (
    select(GroupMember.group_id)
    .join(Participant, Participant.id == GroupMember.participant_id)
    .join(Membership, Membership.id == Participant.membership_id)
    .where(Membership.person_id == bindparam("person_id"), GroupMember.left_at.is_(None))
)
_PERSON_GROUP = MentoringGroup.id.in_(_PERSON_GROUP_IDS)
_PERSON_GROUP_MEMBERS = (
    select(
        literal_column(f"'{GROUP}'", String),
        MentoringGroup.id,
        MentoringGroup.created_at,
        MentoringGroup.ended_at,
        MentoringGroup.name,
        Person.id,
        GroupMember.participant_id,
        Person.name,
        Person.given_name,
        Person.family_name,
        Person.sub,
        GroupMember.role,
        GroupMember.id,
    )
    .join(GroupMember, (GroupMember.group_id == MentoringGroup.id) & GroupMember.left_at.is_(None))
    .join(Participant, Participant.id == GroupMember.participant_id)
    .join(Membership, Membership.id == Participant.membership_id)
    .join(Person, Person.id == Membership.person_id)
    .where(MentoringGroup.course_id == bindparam("course_id"), _PERSON_GROUP)
)
_PERSON_SPACE_MEMBERS = union_all(_PERSON_PAIR_MEMBERS, _PERSON_GROUP_MEMBERS)
_MEMBER_ORDER = {"mentor": 0, "mentee": 1, "peer": 1}


def _load_spaces_of(session: Session, course_id: int, person_id: int) -> list[Space]:
    """Only this person's pairs and groups: a home page in a course of thousands reads a handful of rows."""
    rows = session.execute(_PERSON_SPACE_MEMBERS, {"course_id": course_id, "person_id": person_id}).all()
    heads: dict[tuple[str, int], tuple] = {}
    members: dict[tuple[str, int], list[tuple[int, Member]]] = {}
    for kind, space_id, started, ended, title, pid, participant_id, name, given, family, sub, role, order in rows:
        key = (kind, space_id)
        heads.setdefault(key, (started, ended, title))
        display = Person.display_name_of(name, given, family, sub)
        members.setdefault(key, []).append((order, Member(pid, participant_id, display, role)))
    spaces = []
    for (kind, space_id), (started, ended, title) in sorted(heads.items(), key=lambda item: item[0]):
        if kind == PAIR:  # the mentor, then the mentee
            found = tuple(m for _, m in sorted(members[(kind, space_id)], key=lambda om: om[1].role != "mentor"))
        else:  # mentors first, then by name (ties in the order people joined)
            ordered = sorted(members[(kind, space_id)], key=lambda om: om[0])
            found = tuple(
                m for _, m in sorted(ordered, key=lambda om: (_MEMBER_ORDER.get(om[1].role, 2), om[1].name.casefold()))
            )
        spaces.append(
            Space(
                kind=kind,
                id=space_id,
                course_id=course_id,
                members=found,
                active=ended is None,
                started_at=started,
                ended_at=ended,
                title=title,
            )
        )
    # Pairs before groups, each by id: the order of the two queries this replaces.
    return sorted(spaces, key=lambda s: (s.kind != PAIR, s.id))


def spaces_of(session: Session, course_id: int, person_id: int, *, active_only: bool = False) -> list[Space]:
    """The spaces a person belongs to in the course, active ones first, newest first.

    Read from the database for this person only, once per web request (see ``course_spaces``).
    """
    cache = request_cache(session)
    key = ("spaces_of", course_id, person_id)
    if cache is not None and ("course_spaces", course_id) in cache:
        found = [s for s in cache[("course_spaces", course_id)] if person_id in s.person_ids]
    elif cache is not None and key in cache:
        found = cache[key]
    else:
        found = _load_spaces_of(session, course_id, person_id)
        if cache is not None:
            cache[key] = found
    spaces = [s for s in found if s.active or not active_only]
    return sorted(spaces, key=lambda s: (not s.active, -s.started_at.timestamp()))


def access(
    session: Session, course_id: int, person_id: int, kind: str, space_id: int, *, is_coordinator: bool
) -> SpaceAccess:
    """Load a space for a viewer, or raise ``SpaceNotFound`` when they may not enter it at all."""
    if kind not in KINDS:
        raise SpaceNotFound()
    space = get_space(session, course_id, kind, space_id)
    if space is None:
        raise SpaceNotFound()
    is_member = person_id in space.person_ids
    if not is_member and not is_coordinator:
        raise SpaceNotFound()
    return SpaceAccess(
        space=space,
        viewer_person_id=person_id,
        is_member=is_member,
        is_coordinator=is_coordinator and not is_member,
        moderated=is_moderated(session, course_id),
    )
