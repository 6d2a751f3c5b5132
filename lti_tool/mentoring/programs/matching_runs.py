"""Matching runs and their approval: run the engine over a program, store the proposal, approve it.

Pure service over a SQLAlchemy session (no Flask). ``run_matching`` reads ``matching_input``, leaves out
mentees who already have an active mentorship (and the places their mentors already give), calls
``lti_tool.mentoring.matching.match`` and stores a ``MatchRun`` with its ``ProposedPair`` rows.
``approve_run`` turns a run's pairs into ``Mentorship`` rows; pairs already approved are kept, so
approving twice changes nothing. Only one-to-one mentor programs are matched here (peer and group
programs come later; ``NotAllowed``).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from typing import cast

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ...models import MatchRun, Membership, Mentorship, Participant, Person, Program, ProposedPair, SwitchRequest
from ...models.base import utcnow
from ...models.mentorships import MentoringGroup
from .. import prompts, spaces
from ..matching import Assignment, MatchingError, Mode, match
from .errors import NotAllowed, NotInProgram
from .matching_input import MatchingInput, matching_input


def _jsonable(value: object) -> object:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(_jsonable(v) for v in value)  # type: ignore[type-var]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def active_mentorships(session: Session, course_id: int) -> list[Mentorship]:
    return list(
        session.execute(
            select(Mentorship)
            .where(Mentorship.course_id == course_id, Mentorship.ended_at.is_(None))
            .order_by(Mentorship.id)
        ).scalars()
    )


def _no_profile(data: MatchingInput, only: set[int] | None = None) -> list[dict]:
    """Unmatched entries for the people a program requiring profiles leaves out until they fill one in."""
    return [
        {"participant_id": pid, "role": role, "code": "no_profile", "params": {}}
        for pid, role in data.without_profile
        if only is None or pid in only
    ]


def run_matching(
    session: Session,
    program: Program,
    *,
    created_by: int | None = None,
    only: set[int] | None = None,
    forbid: set[tuple[int, int]] | None = None,
) -> MatchRun:
    """Run the program's matching mode and store the proposal as a new ``MatchRun`` (flushed, not committed).

    ``only`` (participant ids) proposes mentors for just these mentees (a late joiner, someone whose pairing
    ended): every approved pairing and every other person stays as they are; pinned pairs are kept.
    """
    if program.is_peer or program.structure != "one_to_one":
        raise NotAllowed("Only one-to-one mentor programs can be matched here.")
    data = matching_input(session, program)
    current = active_mentorships(session, program.course_id)
    taken = {str(m.mentee_id) for m in current}
    used = Counter(str(m.mentor_id) for m in current)
    mentees = [m for m in data.mentees if m.id not in taken and (only is None or int(m.id) in only)]
    mentors = [
        dataclasses.replace(m, capacity=m.capacity - used[m.id]) for m in data.mentors if m.capacity - used[m.id] > 0
    ]
    mentor_ids = {m.id for m in mentors}
    mentee_ids = {m.id for m in mentees}
    picks = {k: tuple(p for p in v if p in mentor_ids) for k, v in data.picks.items() if k not in taken}
    # The coordinator's decisions on the previous proposal carry over: pinned pairs stay, forbidden never return.
    previous = latest_run(session, program.course_id)
    decided = [(str(p.mentee_id), str(p.mentor_id), p.state) for p in (previous.pairs if previous else [])]
    forbidden = {(a, b) for a, b, state in decided if state == "forbidden"}
    forbidden |= {(str(a), str(b)) for a, b in forbid or ()}  # e.g. a pairing the coordinator just ended
    ended_on_request = switched_pairs(session, program.course_id)
    # Pinned pairs (and the coordinator's edits, which are pinned) are kept as they are, outside the engine:
    # an edit may knowingly break a soft rule, which the engine would refuse to pin.
    previous_pairs = {(p.mentee_id, p.mentor_id): p for p in (previous.pairs if previous else [])}
    pinned: list[tuple[str, str]] = []
    room = {m.id: m.capacity for m in mentors}
    everyone = {m.id for m in data.mentees}
    # A pin that was approved already (even if that pairing has ended since) is done with.
    approved_before = {
        (str(a), str(b))
        for a, b in session.execute(
            select(Mentorship.mentee_id, Mentorship.mentor_id).where(Mentorship.course_id == program.course_id)
        ).all()
    }
    for a, b, state in decided:
        if (
            state == "pinned"
            and a not in taken
            and room.get(b, 0) > 0
            and a in everyone
            and (a, b) not in approved_before | ended_on_request
        ):
            pinned.append((a, b))
            room[b] -= 1
            mentee_ids.discard(a)
    pinned_set = set(pinned)
    mentees = [m for m in mentees if m.id in mentee_ids]
    mentors = [dataclasses.replace(m, capacity=room[m.id]) for m in mentors if room[m.id] > 0]
    mentor_ids = {m.id for m in mentors}
    picks = {k: tuple(p for p in v if p in mentor_ids) for k, v in picks.items() if k in mentee_ids}
    options = dataclasses.replace(
        data.options,
        # The engine refuses ids it was not given: only exclude pairs of people in this run.
        excluded_pairs=frozenset(
            (a, b)
            for a, b in set(data.options.excluded_pairs) | forbidden | ended_on_request
            if a in mentee_ids and b in mentor_ids
        ),
        pinned_pairs=(),
    )
    mode = cast(Mode, program.matching_mode)
    try:
        assignment: Assignment = match(mentees, mentors, mode, data.weights, options, picks=picks)
    except MatchingError as err:
        raise NotAllowed(str(err)) from err
    kept = [previous_pairs[(int(a), int(b))] for a, b in pinned]
    run = MatchRun(
        course_id=program.course_id,
        mode=program.matching_mode,
        status="proposed",
        created_by=created_by,
        total_mentees=len(mentees) + len(kept),
        total_mentors=len({m.id for m in data.mentors if m.capacity - used[m.id] > 0}),
        total_pairs=len(assignment.pairs) + len(kept),
        total_score=round(assignment.total_score + sum(p.score for p in kept), 4),
        unmatched=[
            {"participant_id": int(u.person_id), "role": u.role, "code": u.code, "params": _jsonable(u.params)}
            for u in assignment.unmatched
        ]
        + _no_profile(data, only),
    )
    run.pairs = (
        [
            ProposedPair(
                mentee_id=p.mentee_id, mentor_id=p.mentor_id, score=p.score, reason_parts=p.reason_parts, state="pinned"
            )
            for p in kept
        ]
        + [
            ProposedPair(
                mentee_id=int(p.mentee_id),
                mentor_id=int(p.mentor_id),
                score=round(p.score, 4),
                reason_parts=[[part.code, _jsonable(part.params)] for part in p.parts],
                state="pinned" if (p.mentee_id, p.mentor_id) in pinned_set else "proposed",
            )
            for p in assignment.pairs
        ]
        + [
            ProposedPair(mentee_id=int(a), mentor_id=int(b), score=0.0, reason_parts=[], state="forbidden")
            for a, b in sorted(forbidden)
        ]
    )
    session.add(run)
    session.flush()
    return run


PAIR_STATES = ("proposed", "pinned", "forbidden")


def set_pair_state(session: Session, run: MatchRun, pair_id: int, state: str) -> ProposedPair:
    """Pin a proposed pair (the next run keeps it) or forbid it (no run proposes it again), or undo that."""
    if state not in PAIR_STATES:
        raise NotAllowed(f"Unknown pair decision {state!r}.")
    pair = next((p for p in run.pairs if p.id == pair_id), None)
    if pair is None:
        raise NotInProgram("That pair is not part of this matching run.")
    pair.state = state
    session.flush()
    return pair


def latest_run(session: Session, course_id: int) -> MatchRun | None:
    return session.execute(
        select(MatchRun).where(MatchRun.course_id == course_id).order_by(MatchRun.id.desc()).limit(1)
    ).scalar_one_or_none()


def get_run(session: Session, course_id: int, run_id: int) -> MatchRun | None:
    """A run of this course only (``None`` for another course's id)."""
    return session.execute(
        select(MatchRun).where(MatchRun.id == run_id, MatchRun.course_id == course_id)
    ).scalar_one_or_none()


def approve_run(session: Session, run: MatchRun) -> list[Mentorship]:
    """Turn the run's pairs (all but forbidden ones) into mentorships; returns the ones created.

    Idempotent: a pair already approved (an active mentorship of the same two people) is kept as it is,
    and a mentee who meanwhile has an active mentor is not given a second one.
    """
    current = active_mentorships(session, run.course_id)
    existing = {(m.mentee_id, m.mentor_id) for m in current}
    mentored = {m.mentee_id for m in current}
    created: list[Mentorship] = []
    for pair in run.pairs:
        if pair.state == "forbidden" or (pair.mentee_id, pair.mentor_id) in existing or pair.mentee_id in mentored:
            continue
        mentorship = Mentorship(
            course_id=run.course_id, mentee_id=pair.mentee_id, mentor_id=pair.mentor_id, source_run_id=run.id
        )
        session.add(mentorship)
        created.append(mentorship)
        mentored.add(pair.mentee_id)
    if run.status != "approved":
        run.status, run.approved_at = "approved", utcnow()
    session.flush()
    return created


# Built once (the home page's program card runs these on every visit); values are bound per call.
_NAMES = (
    select(Participant.id, Person)
    .join(Membership, Membership.id == Participant.membership_id)
    .join(Person, Person.id == Membership.person_id)
    .where(Participant.id.in_(bindparam("ids", expanding=True)))
)
_MENTORS_OF = select(Mentorship.mentor_id).where(
    Mentorship.mentee_id == bindparam("participant_id"), Mentorship.ended_at.is_(None)
)
_MENTEES_OF = select(Mentorship.mentee_id).where(
    Mentorship.mentor_id == bindparam("participant_id"), Mentorship.ended_at.is_(None)
)


def names(session: Session, participant_ids: set[int]) -> dict[int, str]:
    """Display names of participants, by ``Participant.id``."""
    if not participant_ids:
        return {}
    rows = session.execute(_NAMES, {"ids": list(participant_ids)}).all()
    return {pid: person.display_name for pid, person in rows}


def mentors_of(session: Session, participant: Participant) -> list[str]:
    """Names of the participant's active mentors."""
    ids = session.execute(_MENTORS_OF, {"participant_id": participant.id}).scalars()
    found = names(session, set(ids))
    return sorted(found.values(), key=str.casefold)


def mentees_of(session: Session, participant: Participant) -> list[str]:
    """Names of the participant's active mentees."""
    ids = session.execute(_MENTEES_OF, {"participant_id": participant.id}).scalars()
    found = names(session, set(ids))
    return sorted(found.values(), key=str.casefold)


REASON_MAX = 2000


def N_(message: str) -> str:
    """Mark a message for translation; the view translates it in the reader's language."""
    return message


def active_mentorship_of(session: Session, participant: Participant) -> Mentorship | None:
    """The participant's current pairing, as mentee or as mentor (the first, for a mentor of several)."""
    return session.execute(
        select(Mentorship)
        .where(
            Mentorship.ended_at.is_(None),
            (Mentorship.mentee_id == participant.id) | (Mentorship.mentor_id == participant.id),
        )
        .order_by(Mentorship.id)
        .limit(1)
    ).scalar_one_or_none()


def switch_targets(session: Session, participant: Participant) -> list[tuple[str, Mentorship | MentoringGroup]]:
    """What the participant may ask to change: ``("pair-<id>", mentorship)`` and ``("group-<id>", group)``."""
    from .groups import groups_of

    ships = session.execute(
        select(Mentorship)
        .where(
            Mentorship.ended_at.is_(None),
            (Mentorship.mentee_id == participant.id) | (Mentorship.mentor_id == participant.id),
        )
        .order_by(Mentorship.id)
    ).scalars()
    targets: list[tuple[str, Mentorship | MentoringGroup]] = [(f"pair-{m.id}", m) for m in ships]
    return targets + [(f"group-{g.id}", g) for g in groups_of(session, participant)]


def request_switch(session: Session, participant: Participant, reason: str, target: str | None = None) -> SwitchRequest:
    """Ask the coordinator to end or change one of the participant's pairings or groups (``target`` as in
    ``switch_targets``; the first one when not given); one open request per pairing."""
    reason = (reason or "").strip()
    if not reason:
        raise NotAllowed(N_("Say briefly why you would like a change; only the coordinator reads it."))
    if len(reason) > REASON_MAX:
        raise NotAllowed(N_("Keep the reason under 2,000 characters."))
    targets = dict(switch_targets(session, participant))
    if not targets:
        raise NotAllowed(N_("You have no pairing to change."))
    chosen = targets.get(target) if target else next(iter(targets.values()))
    if chosen is None:
        raise NotAllowed(N_("Choose the pairing you would like to change."))
    mentorship = chosen if isinstance(chosen, Mentorship) else None
    group = chosen if isinstance(chosen, MentoringGroup) else None
    query = select(SwitchRequest).where(SwitchRequest.status == "pending")
    if mentorship is not None:
        query = query.where(SwitchRequest.mentorship_id == mentorship.id)
    elif group is not None:
        query = query.where(SwitchRequest.group_id == group.id, SwitchRequest.requested_by == participant.id)
    pending = session.execute(query).scalar_one_or_none()
    if pending is not None:
        raise NotAllowed(N_("A request to change this pairing is already waiting for the coordinator."))
    request = SwitchRequest(
        mentorship_id=mentorship.id if mentorship is not None else None,
        group_id=group.id if group is not None else None,
        requested_by=participant.id,
        reason=reason,
    )
    session.add(request)
    session.flush()
    return request


def _in_course(course_id: int):
    """Switch requests of this course: about one of its pairings or one of its groups."""
    return (
        select(SwitchRequest)
        .outerjoin(Mentorship, Mentorship.id == SwitchRequest.mentorship_id)
        .outerjoin(MentoringGroup, MentoringGroup.id == SwitchRequest.group_id)
        .where((Mentorship.course_id == course_id) | (MentoringGroup.course_id == course_id))
    )


def pending_switches(session: Session, course_id: int) -> list[SwitchRequest]:
    return list(
        session.execute(
            _in_course(course_id).where(SwitchRequest.status == "pending").order_by(SwitchRequest.created_at)
        ).scalars()
    )


def decide_switch(
    session: Session, course_id: int, request_id: int, *, approve: bool, decided_by: int | None
) -> SwitchRequest:
    """Approve (the pairing ends; the next run may re-match the people, never with each other) or decline.

    For a group, approval takes the requester out of the group (``left_at``); the group goes on, and if
    the others have all written their commitment to action, the Five Cs' last stage closes for them.
    """
    request = session.execute(_in_course(course_id).where(SwitchRequest.id == request_id)).scalar_one_or_none()
    if request is None:
        raise NotInProgram("No such request in this course.")
    if request.status != "pending":
        raise NotAllowed(N_("This request was already decided."))
    request.status = "approved" if approve else "declined"
    request.decided_at = utcnow()
    request.decided_by = decided_by
    if approve and request.mentorship is not None and request.mentorship.ended_at is None:
        request.mentorship.ended_at = request.decided_at
    if approve and request.group is not None:
        for member in request.group.members:
            if member.participant_id == request.requested_by and member.left_at is None:
                member.left_at = request.decided_at
        session.flush()
        _after_leaving(session, course_id, request.group.id)
    session.flush()
    return request


def _after_leaving(session: Session, course_id: int, group_id: int) -> None:
    """Someone left the group: they no longer hold its Five Cs' Conclusions stage open."""
    space = spaces.get_space(session, course_id, spaces.GROUP, group_id)
    if space is not None and space.active:
        prompts.close_if_all_committed(session, space)


def end_pairing(session: Session, course_id: int, mentorship_id: int) -> Mentorship:
    """The coordinator ends an active pairing of this course (history kept; ``NotInProgram`` otherwise)."""
    found = session.execute(
        select(Mentorship).where(
            Mentorship.id == mentorship_id, Mentorship.course_id == course_id, Mentorship.ended_at.is_(None)
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotInProgram("No such active pairing in this course.")
    found.ended_at = utcnow()
    session.flush()
    return found


def end_group(session: Session, course_id: int, group_id: int) -> MentoringGroup:
    """The coordinator ends an active group (its space stays readable to its members, read-only)."""
    found = session.execute(
        select(MentoringGroup).where(
            MentoringGroup.id == group_id, MentoringGroup.course_id == course_id, MentoringGroup.ended_at.is_(None)
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotInProgram("No such active group in this course.")
    found.ended_at = utcnow()
    session.flush()
    return found


def late_joiners(session: Session, program: Program) -> list[int]:
    """Participants who joined after the last approved run and are still unmatched (ids, oldest first).

    For one-to-one programs: mentees without an active mentor; for group and peer programs: mentees or
    peers in no active group. Empty until a run has been approved.
    """
    from .groups import active_groups, is_group_program

    approved = session.execute(
        select(MatchRun)
        .where(MatchRun.course_id == program.course_id, MatchRun.status == "approved")
        .order_by(MatchRun.approved_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if approved is None or approved.approved_at is None:
        return []
    rows = session.execute(
        select(Participant)
        .join(Membership, Membership.id == Participant.membership_id)
        .where(
            Participant.program_id == program.id,
            Membership.is_active.is_(True),
            Participant.created_at > approved.approved_at,
            Participant.role.in_(("both",) if program.is_peer else ("mentee",)),
        )
        .order_by(Participant.created_at, Participant.id)
    ).scalars()
    if is_group_program(program):
        placed = {m.participant_id for g in active_groups(session, program.course_id) for m in g.current_members}
    else:
        placed = {m.mentee_id for m in active_mentorships(session, program.course_id)}
    return [p.id for p in rows if p.id not in placed]


def not_yet_in_program(session: Session, program: Program) -> int:
    """Active learners of the course roster who have not opened the space yet (so have no participant row).

    Matching only knows people who took part at least once; they join as late joiners once they do.
    """
    from sqlalchemy import func

    taken = select(Participant.membership_id).where(Participant.program_id == program.id)
    return int(
        session.execute(
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.course_id == program.course_id,
                Membership.is_active.is_(True),
                Membership.program_role == "participant",
                Membership.id.not_in(taken),
            )
        ).scalar_one()
    )


def pairing_history(session: Session, course_id: int) -> list[Mentorship]:
    """Every mentorship of the course, active and ended, newest first (with their switch requests)."""
    return list(
        session.execute(
            select(Mentorship)
            .where(Mentorship.course_id == course_id)
            .order_by(Mentorship.approved_at.desc(), Mentorship.id.desc())
        ).scalars()
    )


def switch_requests(session: Session, course_id: int) -> list[SwitchRequest]:
    return list(session.execute(_in_course(course_id).order_by(SwitchRequest.created_at)).scalars())


def switched_pairs(session: Session, course_id: int) -> set[tuple[str, str]]:
    """Pairs ended on request: matching never proposes them again."""
    rows = session.execute(
        select(Mentorship.mentee_id, Mentorship.mentor_id)
        .join(SwitchRequest, SwitchRequest.mentorship_id == Mentorship.id)
        .where(Mentorship.course_id == course_id, SwitchRequest.status == "approved")
    ).all()
    return {(str(a), str(b)) for a, b in rows}
