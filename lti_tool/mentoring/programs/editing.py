"""Coordinators' edits of a one-to-one proposal: assign a mentee to another mentor, add or remove a pair.

Every edit is checked before anything changes. Hard rules refuse (``EditRefused`` with a ``code``): the
mentor has no place left, the mentee is already paired, the pair is forbidden or ended on request, or
it is one person twice. The program's language and availability rules are *soft* here: the coordinator
knows the people, so an edit that breaks them needs an explicit confirmation (``needs_confirmation``).
An edited pair is pinned, so the next run keeps it; a removed pair leaves its mentee unmatched in this
proposal (the next run may match them again).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ...models import MatchRun, Program, ProposedPair
from ..matching import PairScore, score_pair
from ..matching import Participant as EngineParticipant
from .errors import NotInProgram, ProgramError
from .matching_input import MatchingInput, matching_input

HARD = ("self", "excluded")
SOFT = ("no_shared_language", "no_availability_overlap")
REMOVED = "removed_by_coordinator"


class EditRefused(ProgramError):
    """An edit the rules do not allow, or one that needs the coordinator's confirmation first.

    ``code``: ``mentor_full``, ``already_paired``, ``forbidden``, ``self``, ``not_a_mentor``,
    ``not_a_mentee``, ``approved`` (the pair is already a mentorship) or ``needs_confirmation`` (then
    ``violations`` names the soft rules broken).
    """

    code = "edit_refused"
    message = "This change to the proposal is not allowed."

    def __init__(self, code: str, violations: tuple[str, ...] = ()):
        super().__init__(f"{self.message} ({code}{': ' + ', '.join(violations) if violations else ''})")
        self.code = code
        self.violations = violations


@dataclass
class Candidate:
    """A mentor the coordinator could give a mentee: the resulting score and reasons, and what it breaks."""

    mentor_id: int
    places_left: int
    score: PairScore
    soft: tuple[str, ...] = field(default_factory=tuple)


class ProposalEditor:
    """The engine's view of one run's people, to score, check and apply edits."""

    def __init__(self, session: Session, program: Program, run: MatchRun, data: MatchingInput | None = None):
        from .matching_runs import active_mentorships, switched_pairs

        self.session, self.program, self.run = session, program, run
        self.data = data or matching_input(session, program)
        self.mentees: dict[int, EngineParticipant] = {int(m.id): m for m in self.data.mentees}
        self.mentors: dict[int, EngineParticipant] = {int(m.id): m for m in self.data.mentors}
        current = active_mentorships(session, program.course_id)
        self.approved = {(m.mentee_id, m.mentor_id) for m in current}
        self.mentored = {m.mentee_id for m in current}
        self.used = Counter(m.mentor_id for m in current)
        forbidden = {(p.mentee_id, p.mentor_id) for p in run.pairs if p.state == "forbidden"}
        forbidden |= {(int(a), int(b)) for a, b in switched_pairs(session, program.course_id)}
        forbidden |= {(int(a), int(b)) for a, b in self.data.options.excluded_pairs}
        self.forbidden = forbidden
        self._load: Counter[int] | None = None

    def _live_pairs(self) -> list[ProposedPair]:
        return [p for p in self.run.pairs if p.state != "forbidden" and (p.mentee_id, p.mentor_id) not in self.approved]

    def places_left(self, mentor_id: int, *, ignoring: ProposedPair | None = None) -> int:
        mentor = self.mentors.get(mentor_id)
        if mentor is None:
            return 0
        taken = self.used[mentor_id] + sum(
            1 for p in self._live_pairs() if p.mentor_id == mentor_id and p is not ignoring
        )
        return mentor.capacity - taken

    def score(self, mentee_id: int, mentor_id: int) -> PairScore:
        return score_pair(self.mentees[mentee_id], self.mentors[mentor_id], self.data.weights, self.data.options)

    def candidates(self, mentee_id: int, *, pair: ProposedPair | None = None) -> list[Candidate]:
        """Mentors with a place left for this mentee (the current one excepted), best score first."""
        if mentee_id not in self.mentees:
            return []
        if self._load is None:  # the review page asks for every pair: count the places once
            self._load = Counter(p.mentor_id for p in self._live_pairs())
        load = self._load
        out = []
        for mentor_id, mentor in self.mentors.items():
            if pair is not None and mentor_id == pair.mentor_id:
                continue
            left = mentor.capacity - self.used[mentor_id] - load[mentor_id]
            if left <= 0 or (mentee_id, mentor_id) in self.forbidden or mentor_id == mentee_id:
                continue
            scored = self.score(mentee_id, mentor_id)
            out.append(Candidate(mentor_id, left, scored, tuple(v for v in scored.violations if v in SOFT)))
        return sorted(out, key=lambda c: (bool(c.soft), -c.score.score, c.mentor_id))

    def check(self, mentee_id: int, mentor_id: int, *, pair: ProposedPair | None, confirm: bool) -> PairScore:
        if mentee_id not in self.mentees:
            raise EditRefused("not_a_mentee")
        if mentor_id not in self.mentors:
            raise EditRefused("not_a_mentor")
        if mentee_id == mentor_id:
            raise EditRefused("self")
        if (mentee_id, mentor_id) in self.forbidden:
            raise EditRefused("forbidden")
        if mentee_id in self.mentored:
            raise EditRefused("already_paired")
        others = [p for p in self._live_pairs() if p.mentee_id == mentee_id and p is not pair]
        if others:
            raise EditRefused("already_paired")
        if self.places_left(mentor_id, ignoring=pair) <= 0:
            raise EditRefused("mentor_full")
        scored = self.score(mentee_id, mentor_id)
        hard = [v for v in scored.violations if v in HARD]
        if hard:
            raise EditRefused("forbidden" if "excluded" in hard else hard[0])
        soft = tuple(v for v in scored.violations if v in SOFT)
        if soft and not confirm:
            raise EditRefused("needs_confirmation", soft)
        return scored


def _pair_of(run: MatchRun, pair_id: int) -> ProposedPair:
    pair = next((p for p in run.pairs if p.id == pair_id), None)
    if pair is None:
        raise NotInProgram("That pair is not part of this matching run.")
    return pair


def _drop_unmatched(run: MatchRun, participant_ids: set[int]) -> None:
    run.unmatched = [u for u in run.unmatched if int(u["participant_id"]) not in participant_ids]


def _add_unmatched(run: MatchRun, participant_id: int, role: str, code: str) -> None:
    _drop_unmatched(run, {participant_id})
    run.unmatched = [*run.unmatched, {"participant_id": participant_id, "role": role, "code": code, "params": {}}]


def _refresh_totals(run: MatchRun) -> None:
    live = [p for p in run.pairs if p.state != "forbidden"]
    run.total_pairs = len(live)
    run.total_score = round(sum(p.score for p in live), 4)


def _parts(scored: PairScore) -> list:
    from .matching_runs import _jsonable

    return [[part.code, _jsonable(part.params)] for part in scored.parts]


def assign(
    session: Session,
    program: Program,
    run: MatchRun,
    mentee_id: int,
    mentor_id: int,
    *,
    pair_id: int | None = None,
    confirm: bool = False,
) -> ProposedPair:
    """Give ``mentee_id`` the mentor ``mentor_id``: change pair ``pair_id``, or add a pair (then pinned)."""
    if run.is_group_run:
        raise EditRefused("not_a_mentee")
    editor = ProposalEditor(session, program, run)
    pair = _pair_of(run, pair_id) if pair_id is not None else None
    if pair is not None:
        if pair.state == "forbidden" or (pair.mentee_id, pair.mentor_id) in editor.approved:
            raise EditRefused("approved")
        mentee_id = pair.mentee_id
    scored = editor.check(mentee_id, mentor_id, pair=pair, confirm=confirm)
    if pair is None:
        pair = ProposedPair(mentee_id=mentee_id, mentor_id=mentor_id)
        run.pairs.append(pair)
    old_mentor = pair.mentor_id
    pair.mentor_id, pair.score, pair.reason_parts, pair.state = (
        mentor_id,
        round(scored.score, 4),
        _parts(scored),
        "pinned",
    )
    _drop_unmatched(run, {mentee_id, mentor_id})
    if old_mentor is not None and old_mentor != mentor_id and editor.places_left(old_mentor) > 0:  # noqa: SIM102
        if not any(p.mentor_id == old_mentor for p in editor._live_pairs()):
            _add_unmatched(run, old_mentor, "mentor", "not_needed")
    _refresh_totals(run)
    session.flush()
    return pair


def remove(session: Session, program: Program, run: MatchRun, pair_id: int) -> None:
    """Take a proposed pair out of the proposal; its mentee is listed as unmatched (removed by you)."""
    editor = ProposalEditor(session, program, run)
    pair = _pair_of(run, pair_id)
    if pair.state == "forbidden" or (pair.mentee_id, pair.mentor_id) in editor.approved:
        raise EditRefused("approved")
    run.pairs.remove(pair)
    _add_unmatched(run, pair.mentee_id, "mentee", REMOVED)
    _refresh_totals(run)
    session.flush()
