"""Group mentoring and peer co-mentoring runs: propose groups, let the coordinator edit them, approve them.

A program whose structure is ``group`` (and relationship hierarchical) is matched with the engine's
``form_groups``: one or two mentors (``mentors_per_group``) with up to ``group_size - mentors_per_group``
mentees (the settings page's group size counts everyone in the group). A peer
program is matched with ``match_peers``: pairs when its structure is one-to-one, triads when it is
``group``. A run stores ``ProposedGroup`` rows (``MatchRun.mode`` ``"group"`` or ``"peer"``).

The coordinator's decisions carry over to the next run: a pinned group (every edited group is pinned) is
kept as it is and its people are not matched again; someone taken out of a group is unmatched in this
proposal and free for the next run. Pairs forbidden in an earlier one-to-one proposal and pairings ended
on request are never grouped together. People already in an active group are left out of new runs; a
mentor's capacity counts the mentees of their active groups.

``propose_joins`` places people into existing groups with room instead (late joiners, someone who left
their group): a ``ProposedGroup`` with ``group_id`` set lists the group's current members as
``existing`` and the people it adds; approving it adds them to that group.

Approval turns each proposed group into a ``MentoringGroup`` with ``GroupMember`` rows; approving twice
creates nothing new, and a mentee or peer who meanwhile joined another group is not added twice.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, selectinload

from ...models import MatchRun, Participant, Program, ProposedPair
from ...models.base import utcnow
from ...models.mentorships import GroupMember, MentoringGroup, ProposedGroup
from ..matching import MatchingError, form_groups, match_peers, score_pair, score_peers
from ..matching import Participant as EngineParticipant
from .editing import REMOVED, EditRefused
from .errors import NotAllowed, NotInProgram
from .matching_input import MatchingInput, matching_input

PEER_TRIAD = 3


def is_group_program(program: Program) -> bool:
    return program.is_peer or program.structure == "group"


def run_mode(program: Program) -> str:
    return "peer" if program.is_peer else "group"


def max_members(program: Program) -> int:
    """Most mentees (group mentoring) or peers (co-mentoring) a group may hold."""
    if program.is_peer:
        return PEER_TRIAD if program.structure == "group" else 2
    return max(1, program.group_size - program.mentors_per_group)


def active_groups(session: Session, course_id: int) -> list[MentoringGroup]:
    return list(
        session.execute(
            select(MentoringGroup)
            .options(selectinload(MentoringGroup.members))
            .where(MentoringGroup.course_id == course_id, MentoringGroup.ended_at.is_(None))
            .order_by(MentoringGroup.id)
        ).scalars()
    )


def all_groups(session: Session, course_id: int) -> list[MentoringGroup]:
    return list(
        session.execute(
            select(MentoringGroup)
            .options(selectinload(MentoringGroup.members))
            .where(MentoringGroup.course_id == course_id)
            .order_by(MentoringGroup.id)
        ).scalars()
    )


# Built once (the home page's program card runs it on every visit); :participant_id is bound per call.
_GROUPS_OF = (
    select(MentoringGroup)
    .options(selectinload(MentoringGroup.members))
    .join(GroupMember, GroupMember.group_id == MentoringGroup.id)
    .where(
        GroupMember.participant_id == bindparam("participant_id"),
        GroupMember.left_at.is_(None),
        MentoringGroup.ended_at.is_(None),
    )
    .order_by(MentoringGroup.id)
)


def mentees_led(groups: Iterable[MentoringGroup]) -> Counter[int]:
    """Places each mentor uses: the mentees of the given groups they lead, per mentor's participant id."""
    return Counter(
        m.participant_id
        for g in groups
        for m in g.current_members
        if m.role == "mentor"
        for _x in [x for x in g.current_members if x.role == "mentee"]
    )


def forbidden_pairs(session: Session, course_id: int) -> set[tuple[int, int]]:
    """(mentee, mentor) pairs never to propose again: forbidden in the latest run, or switched away from."""
    from .matching_runs import latest_run, switched_pairs

    previous = latest_run(session, course_id)
    forbidden = {(p.mentee_id, p.mentor_id) for p in (previous.pairs if previous else []) if p.state == "forbidden"}
    return forbidden | {(int(a), int(b)) for a, b in switched_pairs(session, course_id)}


def groups_of(session: Session, participant: Participant) -> list[MentoringGroup]:
    """The participant's active groups (a mentor may lead several)."""
    return list(session.execute(_GROUPS_OF, {"participant_id": participant.id}).scalars())


def _member(pid: str | int, role: str, score: float = 0.0, parts: Iterable = (), with_id: int | None = None) -> dict:
    from .matching_runs import _jsonable

    out: dict = {
        "participant_id": int(pid),
        "role": role,
        "score": round(float(score), 4),
        "reason_parts": [[p.code, _jsonable(p.params)] for p in parts],
    }
    if with_id is not None:
        out["with"] = with_id
    return out


def _group_score(members: list[dict]) -> float:
    """Sum of the mentees' scores with their mentors; for peers, of the links (each counted by both ends)."""
    total = sum(float(m["score"]) for m in members if m["role"] != "mentor")
    return round(total / 2 if any(m["role"] == "peer" for m in members) else total, 4)


def run_group_matching(session: Session, program: Program, *, created_by: int | None = None) -> MatchRun:
    """Propose groups for everyone not yet in an active group; stored as a new run (flushed, not committed)."""
    if not is_group_program(program):
        raise NotAllowed("Only group and peer programs are matched into groups.")
    data = matching_input(session, program)
    current = active_groups(session, program.course_id)
    in_group = {m.participant_id for g in current for m in g.current_members if m.role != "mentor"}
    led = mentees_led(current)
    from .matching_runs import latest_run, switched_pairs

    previous = latest_run(session, program.course_id)
    forbidden = {
        (str(p.mentee_id), str(p.mentor_id)) for p in (previous.pairs if previous else []) if p.state == "forbidden"
    }
    forbidden |= switched_pairs(session, program.course_id)
    pinned = [
        g
        for g in (previous.groups if previous is not None and previous.mode == run_mode(program) else [])
        if g.state == "pinned"
    ]
    known = {int(p.id) for p in (*data.mentees, *data.mentors, *data.peers)}
    done = {g.name for g in all_groups(session, program.course_id) if previous and g.source_run_id == previous.id}
    kept: list[ProposedGroup] = []
    for g in pinned:
        ids = g.ids()
        if g.name in done or g.group_id is not None:  # approved already, or an addition to a group
            continue
        if all(i in known for i in ids) and not any(i in in_group for i in g.ids("mentee") + g.ids("peer")):
            kept.append(g)
    for g in kept:
        for i in g.ids("mentor"):
            led[i] += len(g.ids("mentee"))
        in_group |= set(g.ids("mentee") + g.ids("peer"))
    run = MatchRun(course_id=program.course_id, mode=run_mode(program), status="proposed", created_by=created_by)
    number = len(all_groups(session, program.course_id))
    proposals: list[ProposedGroup] = [
        ProposedGroup(name="", score=g.score, members=[dict(m) for m in g.members], state="pinned") for g in kept
    ]
    try:
        if program.is_peer:
            peers = [p for p in data.peers if int(p.id) not in in_group]
            peer_ids = {p.id for p in peers}
            options = dataclasses.replace(
                data.options,
                excluded_pairs=frozenset((a, b) for a, b in forbidden if a in peer_ids and b in peer_ids),
                pinned_pairs=(),
            )
            peer_result = match_peers(
                peers, data.weights, options, group_size=PEER_TRIAD if program.structure == "group" else 2
            )
            for pg in peer_result.groups:
                members = []
                for pid in pg.member_ids:
                    links = [link for link in pg.links if pid in (link.mentee_id, link.mentor_id)]
                    best = max(links, key=lambda link: link.score)
                    other = best.mentor_id if best.mentee_id == pid else best.mentee_id
                    members.append(_member(pid, "peer", sum(link.score for link in links), best.parts, int(other)))
                proposals.append(ProposedGroup(name="", score=round(pg.score, 4), members=members))
            unmatched = peer_result.unmatched
            run.total_mentees, run.total_mentors = len(peers), 0
        else:
            mentees = [m for m in data.mentees if int(m.id) not in in_group]
            mentors = [
                dataclasses.replace(m, capacity=m.capacity - led[int(m.id)])
                for m in data.mentors
                if m.capacity - led[int(m.id)] > 0
            ]
            mentee_ids, mentor_ids = {m.id for m in mentees}, {m.id for m in mentors}
            options = dataclasses.replace(
                data.options,
                excluded_pairs=frozenset(
                    (a, b)
                    for a, b in set(data.options.excluded_pairs) | forbidden
                    if a in mentee_ids and b in mentor_ids
                ),
                pinned_pairs=(),
            )
            result = form_groups(
                mentees,
                mentors,
                data.weights,
                options,
                group_size=max_members(program),
                mentors_per_group=program.mentors_per_group,
            )
            for group in result.groups:
                members = [_member(pid, "mentor") for pid in group.mentor_ids]
                members += [_member(m.mentee_id, "mentee", m.score, m.parts) for m in group.members]
                proposals.append(ProposedGroup(name="", score=round(group.score, 4), members=members))
            unmatched = result.unmatched
            run.total_mentees, run.total_mentors = len(mentees), len(mentors)
    except MatchingError as err:
        raise NotAllowed(str(err)) from err
    for k, proposal in enumerate(proposals, start=number + 1):
        proposal.name = f"Group {k}"
    from .matching_runs import _jsonable, _no_profile

    run.unmatched = [
        {"participant_id": int(u.person_id), "role": u.role, "code": u.code, "params": _jsonable(u.params)}
        for u in unmatched
    ] + [u for u in _no_profile(data) if u["participant_id"] not in in_group]
    run.groups = proposals
    run.pairs = [
        ProposedPair(mentee_id=int(a), mentor_id=int(b), score=0.0, reason_parts=[], state="forbidden")
        for a, b in sorted(forbidden)
        if a.isdigit() and b.isdigit()
    ]
    _totals(run)
    session.add(run)
    session.flush()
    return run


def _totals(run: MatchRun) -> None:
    run.total_pairs = len(run.groups)
    run.total_score = round(sum(g.score for g in run.groups), 4)


# --- Edits ---------------------------------------------------------------------------------------------


class GroupEditor:
    def __init__(self, session: Session, program: Program, run: MatchRun, data: MatchingInput | None = None):
        if not run.is_group_run:
            raise NotAllowed("This run proposed pairs, not groups.")
        self.session, self.program, self.run = session, program, run
        self.data = data or matching_input(session, program)
        self.people: dict[int, EngineParticipant] = {
            int(p.id): p for p in (*self.data.mentees, *self.data.mentors, *self.data.peers)
        }
        current = active_groups(session, program.course_id)
        self.in_group = {m.participant_id for g in current for m in g.current_members if m.role != "mentor"}
        self.led = mentees_led(current)
        self.forbidden = {(p.mentee_id, p.mentor_id) for p in run.pairs if p.state == "forbidden"}
        self.forbidden |= {(int(a), int(b)) for a, b in self.data.options.excluded_pairs}
        self.approved_ids = approved_proposals(session, run)
        self._loads: Counter[int] | None = None

    def group(self, group_id: int) -> ProposedGroup:
        found = next((g for g in self.run.groups if g.id == group_id), None)
        if found is None:
            raise NotInProgram("That group is not part of this matching run.")
        if found.id in self.approved_ids:
            raise EditRefused("approved")
        return found

    def group_of(self, participant_id: int) -> ProposedGroup | None:
        return next((g for g in self.run.groups if participant_id in g.new_ids()), None)

    def mentor_load(self, mentor_id: int) -> int:
        """Mentees a mentor leads in active groups plus those this proposal gives them (counted once)."""
        if self._loads is None:
            self._loads = Counter()
            for g in self.run.groups:
                added = len(g.new_ids())
                for m in g.ids("mentor"):
                    self._loads[m] += added
        return self.led[mentor_id] + self._loads[mentor_id]

    def _is_forbidden(self, a: int, b: int) -> bool:
        return (a, b) in self.forbidden or (b, a) in self.forbidden

    def fit(self, participant_id: int, group: ProposedGroup) -> tuple[dict, tuple[str, ...]]:
        """The member entry ``participant_id`` would have in ``group``, and the soft rules it breaks.

        Raises ``EditRefused`` for the hard ones: a full group, a mentor without places, a forbidden pair.
        """
        person = self.people.get(participant_id)
        if person is None or participant_id in self.in_group:
            raise EditRefused("not_a_mentee")
        w, o = self.data.weights, self.data.options
        others = [i for i in group.ids("mentee") + group.ids("peer") if i != participant_id]
        if len(others) >= max_members(self.program):
            raise EditRefused("group_full")
        if self.program.is_peer:
            if any(self._is_forbidden(participant_id, i) for i in others):
                raise EditRefused("forbidden")
            scores = [score_peers(person, self.people[i], w, o) for i in others if i in self.people]
            soft = tuple(sorted({v for s in scores for v in s.violations if v not in ("self", "excluded")}))
            if not scores:
                return _member(participant_id, "peer"), soft
            best = max(scores, key=lambda s: s.score)
            other = best.mentor_id if best.mentee_id == person.id else best.mentee_id
            return _member(participant_id, "peer", sum(s.score for s in scores), best.parts, int(other)), soft
        mentors = group.ids("mentor")
        if any(self._is_forbidden(participant_id, m) for m in mentors):
            raise EditRefused("forbidden")
        for m in mentors:
            mentor = self.people.get(m)
            if mentor is None or self.mentor_load(m) >= mentor.capacity:
                raise EditRefused("mentor_full")
        scores = [score_pair(person, self.people[m], w, o) for m in mentors if m in self.people]
        soft = tuple(sorted({v for s in scores for v in s.violations if v not in ("self", "excluded")}))
        if not scores:
            return _member(participant_id, "mentee"), soft
        top = max(scores, key=lambda s: s.score)
        return _member(participant_id, "mentee", top.score, top.parts), soft

    def options_for(self, participant_id: int) -> list[tuple[ProposedGroup, dict, tuple[str, ...]]]:
        """Groups this person could join, with the resulting score, reasons and soft rules broken."""
        current = self.group_of(participant_id)
        out = []
        for g in self.run.groups:
            if g is current or g.id in self.approved_ids:
                continue
            try:
                entry, soft = self.fit(participant_id, g)
            except EditRefused:
                continue
            out.append((g, entry, soft))
        return sorted(out, key=lambda t: (bool(t[2]), -float(t[1]["score"])))

    def _leave(self, participant_id: int) -> ProposedGroup | None:
        group = self.group_of(participant_id)
        if group is None:
            return None
        if group.id in self.approved_ids:
            raise EditRefused("approved")
        group.members = [m for m in group.members if int(m["participant_id"]) != participant_id]
        if self.program.is_peer:
            group.members = [self._rescored_peer(m, group) for m in group.members]
        group.score, group.state = _group_score(group.members), "pinned"
        return group

    def _rescored_peer(self, entry: dict, group: ProposedGroup) -> dict:
        if entry.get("existing"):
            return entry
        pid = int(entry["participant_id"])
        others = [i for i in group.ids("peer") if i != pid]
        person = self.people.get(pid)
        scores = [
            score_peers(person, self.people[i], self.data.weights, self.data.options)
            for i in others
            if person and i in self.people
        ]
        if not scores:
            return _member(pid, "peer")
        best = max(scores, key=lambda s: s.score)
        other = best.mentor_id if best.mentee_id == str(pid) else best.mentee_id
        return _member(pid, "peer", sum(s.score for s in scores), best.parts, int(other))

    def move(self, participant_id: int, group_id: int, *, confirm: bool) -> ProposedGroup:
        target = self.group(group_id)
        if target is self.group_of(participant_id):
            return target
        entry, soft = self.fit(participant_id, target)
        if soft and not confirm:
            raise EditRefused("needs_confirmation", soft)
        self._leave(participant_id)
        target.members = [*target.members, entry]
        if self.program.is_peer:
            target.members = [self._rescored_peer(m, target) for m in target.members]
        target.score, target.state = _group_score(target.members), "pinned"
        self.run.unmatched = [u for u in self.run.unmatched if int(u["participant_id"]) != participant_id]
        self._drop_empty()
        self._loads = None
        _totals(self.run)
        self.session.flush()
        return target

    def remove(self, participant_id: int, *, forbid: bool = False) -> None:
        """Take someone out of their proposed group; ``forbid``: never group them with its mentors (or, for
        peers, its other members) again (forbidden pairs that later runs respect)."""
        before = self.group_of(participant_id)
        others = [] if before is None else before.ids("peer" if self.program.is_peer else "mentor")
        group = self._leave(participant_id)
        if group is None:
            raise NotInProgram("That person is in no proposed group.")
        if forbid:
            known = {(p.mentee_id, p.mentor_id) for p in self.run.pairs}
            for other in others:
                if other != participant_id and (participant_id, other) not in known:
                    self.run.pairs.append(
                        ProposedPair(
                            mentee_id=participant_id, mentor_id=other, score=0.0, reason_parts=[], state="forbidden"
                        )
                    )
        role = "peer" if self.program.is_peer else "mentee"
        self.run.unmatched = [
            *[u for u in self.run.unmatched if int(u["participant_id"]) != participant_id],
            {"participant_id": participant_id, "role": role, "code": REMOVED, "params": {}},
        ]
        self._drop_empty()
        self._loads = None
        _totals(self.run)
        self.session.flush()

    def _drop_empty(self) -> None:
        for g in list(self.run.groups):
            if not g.new_ids():
                for mentor in [] if g.group_id else g.ids("mentor"):
                    self.run.unmatched = [
                        *self.run.unmatched,
                        {"participant_id": mentor, "role": "mentor", "code": "not_needed", "params": {}},
                    ]
                self.run.groups.remove(g)


def set_group_state(session: Session, run: MatchRun, group_id: int, state: str) -> ProposedGroup:
    if state not in ("proposed", "pinned"):
        raise NotAllowed(f"Unknown group decision {state!r}.")
    group = next((g for g in run.groups if g.id == group_id), None)
    if group is None:
        raise NotInProgram("That group is not part of this matching run.")
    group.state = state
    session.flush()
    return group


def approve_group_run(session: Session, run: MatchRun) -> list[MentoringGroup]:
    """Create a ``MentoringGroup`` per proposed new group, add the people proposed for existing groups.

    Idempotent; returns the groups created or joined. A learner who meanwhile is in another active group is
    not added twice; an addition to a group that has ended is skipped.
    """
    existing = all_groups(session, run.course_id)
    by_id = {g.id: g for g in existing}
    done = approved_proposals(session, run, existing)
    busy = {m.participant_id for g in existing if g.ended_at is None for m in g.current_members if m.role != "mentor"}
    changed = []
    for proposal in run.groups:
        if proposal.id in done:
            continue
        learners = proposal.new_ids()
        if proposal.group_id is not None:
            group = by_id.get(proposal.group_id)
            if group is None or group.ended_at is not None:
                continue
            rows = {m.participant_id: m for m in group.members}
            for entry in proposal.members:
                pid = int(entry["participant_id"])
                if entry.get("existing") or entry["role"] == "mentor" or pid in busy:
                    continue
                if pid in rows:  # back in a group they had left
                    rows[pid].left_at, rows[pid].joined_at = None, utcnow()
                else:
                    group.members.append(GroupMember(participant_id=pid, role=entry["role"]))
                busy.add(pid)
            changed.append(group)
            continue
        if not learners or any(i in busy for i in learners):
            continue
        group = MentoringGroup(course_id=run.course_id, name=proposal.name, source_run_id=run.id)
        group.members = [GroupMember(participant_id=int(m["participant_id"]), role=m["role"]) for m in proposal.members]
        session.add(group)
        changed.append(group)
        busy |= set(learners)
    if run.status != "approved":
        run.status, run.approved_at = "approved", utcnow()
    session.flush()
    return changed


def approved_proposals(session: Session, run: MatchRun, groups: list[MentoringGroup] | None = None) -> set[int]:
    """Ids of the run's proposals that are approved: new groups created from it, additions made."""
    groups = all_groups(session, run.course_id) if groups is None else groups
    created = {g.name for g in groups if g.source_run_id == run.id}
    current = {g.id: {m.participant_id for m in g.current_members} for g in groups}
    out = set()
    for proposal in run.groups:
        if proposal.group_id is None:
            if proposal.name in created:
                out.add(proposal.id)
        elif proposal.new_ids() and set(proposal.new_ids()) <= current.get(proposal.group_id, set()):
            out.add(proposal.id)
    return out


def propose_joins(
    session: Session,
    program: Program,
    participant_ids: Iterable[int],
    *,
    created_by: int | None = None,
    exclude: dict[int, set[int]] | None = None,
) -> MatchRun:
    """Propose an existing group with room for each of these people (late joiners, someone who switched).

    Nobody else moves: each person is added to the active group they fit best (a mentor with places left
    and a group under its size; for peers, a pair or triad under its size) that the program's rules allow;
    ``exclude`` maps a person to groups not to propose (the one they just left). Those who fit no group
    are listed unmatched (``no_group_left``); running matching then forms new groups for them.
    """
    if not is_group_program(program):
        raise NotAllowed("Only group and peer programs add people to groups.")
    exclude = exclude or {}
    data = matching_input(session, program)
    people: dict[int, EngineParticipant] = {int(p.id): p for p in (*data.mentees, *data.mentors, *data.peers)}
    current = active_groups(session, program.course_id)
    in_group = {m.participant_id for g in current for m in g.current_members if m.role != "mentor"}
    led = mentees_led(current)
    forbidden = forbidden_pairs(session, program.course_id)
    w, o = data.weights, data.options
    limit = max_members(program)
    added: dict[int, list[dict]] = {}
    unmatched: list[dict] = []
    for pid in sorted(set(participant_ids)):
        person = people.get(pid)
        if person is None or pid in in_group:
            continue
        best: tuple[float, MentoringGroup, dict] | None = None
        for g in current:
            if g.id in exclude.get(pid, set()):
                continue
            learners = [m.participant_id for m in g.current_members if m.role != "mentor"]
            learners += [int(e["participant_id"]) for e in added.get(g.id, [])]
            mentors = [m.participant_id for m in g.current_members if m.role == "mentor"]
            if len(learners) >= limit or any(
                (pid, x) in forbidden or (x, pid) in forbidden for x in learners + mentors
            ):
                continue
            if program.is_peer:
                scores = [score_peers(person, people[x], w, o) for x in learners if x in people]
                if not scores or any(s.violations for s in scores):
                    continue
                top = max(scores, key=lambda s: s.score)
                other = top.mentor_id if top.mentee_id == person.id else top.mentee_id
                entry = _member(pid, "peer", sum(s.score for s in scores), top.parts, int(other))
            else:
                if not mentors or any(m not in people or led[m] >= people[m].capacity for m in mentors):
                    continue
                scores = [score_pair(person, people[m], w, o) for m in mentors]
                if any(s.violations for s in scores):
                    continue
                top = max(scores, key=lambda s: s.score)
                entry = _member(pid, "mentee", top.score, top.parts)
            if best is None or float(entry["score"]) > best[0]:
                best = (float(entry["score"]), g, entry)
        if best is None:
            unmatched.append(
                {
                    "participant_id": pid,
                    "role": "peer" if program.is_peer else "mentee",
                    "code": "no_group_left",
                    "params": {},
                }
            )
            continue
        _score, group, entry = best
        added.setdefault(group.id, []).append(entry)
        for m in group.current_members:
            if m.role == "mentor":
                led[m.participant_id] += 1
    run = MatchRun(course_id=program.course_id, mode=run_mode(program), status="proposed", created_by=created_by)
    by_id = {g.id: g for g in current}
    proposals = []
    for group_id, entries in added.items():
        group = by_id[group_id]
        members = [
            {"participant_id": m.participant_id, "role": m.role, "score": 0.0, "reason_parts": [], "existing": True}
            for m in sorted(group.current_members, key=lambda m: (m.role != "mentor", m.id))
        ] + entries
        proposals.append(
            ProposedGroup(
                name=group.name, group_id=group.id, score=_group_score(entries), members=members, state="proposed"
            )
        )
    run.groups = proposals
    run.unmatched = unmatched
    run.total_mentees = len(set(participant_ids))
    run.pairs = [
        ProposedPair(mentee_id=a, mentor_id=b, score=0.0, reason_parts=[], state="forbidden")
        for a, b in sorted(forbidden)
    ]
    _totals(run)
    session.add(run)
    session.flush()
    return run


def approved_group_names(session: Session, run: MatchRun) -> set[str]:
    return {g.name for g in all_groups(session, run.course_id) if g.source_run_id == run.id}
