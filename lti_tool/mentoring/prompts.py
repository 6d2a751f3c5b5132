"""Structured or free: the prompts that guide a pair through their conversations.

A course uses one prompt set (``PromptSet.kind``):

* ``none`` — unstructured: no prompt is shown;
* ``five_cs`` — five sequential stages (Challenges, Choices, Consequences, Creative solutions,
  Conclusions); the pair marks each stage done to move on, and the last one ends with commitments to
  action, stored per person and shown on the space page (see *Commitments* below);
* ``weekly`` — the coordinator's schedule: week number, optional start date, topic and Markdown
  guidance. The current week is the first one not done whose start date has come (weeks without a date
  are always open), so a pair that falls behind catches up in order.

Progress is kept per space and set kind (:class:`~lti_tool.models.PromptProgress`). Only the space's
members mark stages done, and only while the pairing is active. Messages are English and marked with
``N_``; the web layer translates them (the Five Cs wording included).

Commitments
    Everyone who is mentored in the space writes their own commitment to action
    (:class:`~lti_tool.models.PromptCommitment`): the mentee of a pair, each mentee of a group, each member
    of a peer group (``COMMITTING_ROLES``); mentors do not. The Conclusions stage closes for the space when
    every *current* one of them has written theirs — so in a pair the mentee's commitment closes it as
    before, in a group the last one does, and someone who left the group does not hold it open (their
    leaving closes it when the others are done: :func:`close_if_all_committed`). Until it closes each of
    them can change their own text. The page shows who has written one and who has not by name; the texts
    are private content, for whoever may read the space (``SpaceAccess.may_read``). Someone who joins
    after the stage closed does not reopen it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import Mentorship, Person, PromptCommitment, PromptProgress, PromptSet, WeeklyPrompt, utcnow
from ..models.mentorships import MentoringGroup
from ..models.prompts import PROMPT_SET_KINDS, PROMPTS_FIVE_CS, PROMPTS_NONE, PROMPTS_WEEKLY
from ..models.queries import get_or_create
from .discussions.markdown import render_markdown
from .errors import DomainError
from .spaces import PAIR, Space, SpaceAccess

MAX_TOPIC_CHARS = 200
MAX_GUIDANCE_CHARS = 5_000
MAX_COMMITMENT_CHARS = 2_000
MAX_WEEKS = 104


def N_(message: str) -> str:  # noqa: N802 - the gettext "mark for extraction" convention
    return message


# Our own wording of the Five Cs (title, guidance); the last stage asks for the mentee's commitment.
FIVE_CS: tuple[tuple[str, str, str], ...] = (
    (
        "challenges",
        N_("Challenges"),
        N_(
            "Mentee: describe one challenge you are facing now — the situation, why it matters to you, what "
            "makes it hard and what you have already tried. Mentor: ask questions until you both understand it; "
            "hold back advice for now."
        ),
    ),
    (
        "choices",
        N_("Choices"),
        N_(
            "Together, list the options the mentee has — at least three, including doing nothing and the ones "
            "that seem unlikely. Do not judge them yet."
        ),
    ),
    (
        "consequences",
        N_("Consequences"),
        N_(
            "For each choice, think through what could happen: what the mentee gains and risks, who else is "
            "affected, and what it costs in time, money and energy. Which options fit the mentee's values?"
        ),
    ),
    (
        "creative",
        N_("Creative solutions"),
        N_(
            "Can options be combined, changed or tried on a small scale first? Mentor: share what worked for "
            "you or for people you know, as ideas to adapt, not instructions."
        ),
    ),
    (
        "conclusions",
        N_("Conclusions"),
        N_(
            "Mentee: decide what you will do. Write your commitment to action below — what you will do, by "
            "when, and how you will know it worked. Mentor: agree with your mentee how and when you will "
            "follow up."
        ),
    ),
)
COMMITMENT_STAGE = "conclusions"
# Who writes a commitment to action: the people being mentored (every member of a peer group).
COMMITTING_ROLES = ("mentee", "peer")


class PromptError(DomainError):
    code = "prompt_error"
    message = N_("The prompt could not be updated.")


class StageNotCurrent(PromptError):
    code = "stage_not_current"
    message = N_("This stage is not the current one any more. The page now shows where your pair is.")


class NotAllowed(PromptError):
    code = "prompt_not_allowed"
    message = N_("Only the members of an active pairing can move their prompts on.")


class CommitmentByMentee(PromptError):
    code = "commitment_by_mentee"
    message = N_("Only mentees write a commitment to action; this stage closes when each of them has written theirs.")


class CommitmentRequired(PromptError):
    code = "commitment_required"
    message = N_("Write your commitment to action: what you will do, by when, and how you will know it worked.")


class CommitmentTooLong(PromptError):
    code = "commitment_too_long"
    message = N_("The commitment is too long: at most 2,000 characters. Your text is kept; shorten it.")


class ScheduleInvalid(PromptError):
    """The prompt-set form was refused; ``problems`` lists ``(field id, message)`` pairs."""

    code = "schedule_invalid"
    message = N_("The prompts were not saved. Check the marked fields.")

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__()
        self.problems = problems


@dataclass(frozen=True)
class Stage:
    key: str
    title: str  # translatable for the Five Cs (``translate`` is True), the coordinator's text for weeks
    done: bool
    current: bool
    starts_on: date | None = None


@dataclass(frozen=True)
class Commitment:
    """A commitment to action of a current member of the space (private content: the text)."""

    person_id: int
    name: str
    text: str
    written_at: datetime  # when it was last saved


@dataclass(frozen=True)
class Committer:
    """A current member who writes a commitment, and whether they have (names only: metadata)."""

    person_id: int
    name: str
    committed: bool


@dataclass(frozen=True)
class Prompt:
    """Where a space is in the course's prompt set, for the space page."""

    set_kind: str
    key: str | None  # the current stage's key; None when every stage is done (or none is open yet)
    title: str
    guidance: str  # Five Cs: English text to translate; weekly: empty (see ``guidance_html``)
    guidance_html: str
    number: int  # 1-based position of the current stage
    total: int
    stages: list[Stage]
    translate: bool
    asks_commitment: bool
    finished: bool
    next_starts_on: date | None = None  # weekly: nothing open now, the next week starts then
    done_count: int = field(default=0)
    # Five Cs, from the Conclusions stage on: the current members' commitments (oldest first) and, per
    # member who writes one, whether they have.
    commitments: tuple[Commitment, ...] = ()
    committers: tuple[Committer, ...] = ()

    @property
    def commitments_written(self) -> int:
        return sum(1 for c in self.committers if c.committed)

    def commitment_of(self, person_id: int) -> Commitment | None:
        return next((c for c in self.commitments if c.person_id == person_id), None)

    def closes_with(self, person_id: int) -> bool:
        """Whether this person's commitment is the last one missing (saving it closes the stage)."""
        missing = [c.person_id for c in self.committers if not c.committed]
        return missing == [person_id]


def prompt_set_kind(session: Session, course_id: int) -> str:
    kind = session.execute(select(PromptSet.kind).where(PromptSet.course_id == course_id)).scalar_one_or_none()
    return kind or PROMPTS_NONE


def five_cs() -> list[dict[str, str]]:
    """The Five Cs stages (English, for the view to translate)."""
    return [{"key": key, "title": title, "guidance": guidance} for key, title, guidance in FIVE_CS]


def _progress(session: Session, space: Space, set_kind: str) -> dict[str, PromptProgress]:
    rows = session.execute(
        select(PromptProgress).where(
            PromptProgress.course_id == space.course_id,
            PromptProgress.space_kind == space.kind,
            PromptProgress.space_id == space.id,
            PromptProgress.set_kind == set_kind,
        )
    ).scalars()
    return {row.stage_key: row for row in rows}


def weeks(session: Session, course_id: int) -> list[WeeklyPrompt]:
    return list(
        session.execute(
            select(WeeklyPrompt).where(WeeklyPrompt.course_id == course_id).order_by(WeeklyPrompt.week)
        ).scalars()
    )


def committers_of(space: Space) -> list[int]:
    """The person ids of the space's current members who write a commitment to action."""
    return [m.person_id for m in space.members if m.role in COMMITTING_ROLES]


def _commitments(session: Session, space: Space) -> list[Commitment]:
    """The commitments of the space's current members, oldest first (one query, with the names)."""
    rows = session.execute(
        select(PromptCommitment, Person)
        .join(Person, Person.id == PromptCommitment.person_id)
        .where(
            PromptCommitment.course_id == space.course_id,
            PromptCommitment.space_kind == space.kind,
            PromptCommitment.space_id == space.id,
        )
        .order_by(PromptCommitment.created_at, PromptCommitment.id)
    ).all()
    current = space.person_ids
    return [
        Commitment(person.id, person.display_name, row.text, row.updated_at)
        for row, person in rows
        if person.id in current
    ]


def current_prompt(session: Session, space: Space, *, today: date | None = None) -> Prompt | None:
    """The space's current stage or week (``None`` for an unstructured course or an empty schedule)."""
    kind = prompt_set_kind(session, space.course_id)
    if kind == PROMPTS_FIVE_CS:
        done = _progress(session, space, kind)
        if not all(key in done for key, _t, _g in FIVE_CS[:-1]):
            return _five_cs_prompt(done)  # before Conclusions: no commitment to read
        commitments = _commitments(session, space)
        written = {c.person_id for c in commitments}
        committers = [
            Committer(m.person_id, m.name, m.person_id in written) for m in space.members if m.role in COMMITTING_ROLES
        ]
        return _five_cs_prompt(done, commitments, committers)
    if kind == PROMPTS_WEEKLY:
        return _weekly_prompt(
            weeks(session, space.course_id), _progress(session, space, kind), today or utcnow().date()
        )
    return None


def _five_cs_prompt(
    done: dict[str, PromptProgress],
    commitments: list[Commitment] | tuple[Commitment, ...] = (),
    committers: list[Committer] | tuple[Committer, ...] = (),
) -> Prompt:
    current = next((i for i, (key, _t, _g) in enumerate(FIVE_CS) if key not in done), None)
    stages = [Stage(key, title, key in done, i == current) for i, (key, title, _g) in enumerate(FIVE_CS)]
    common = {
        "set_kind": PROMPTS_FIVE_CS,
        "total": len(FIVE_CS),
        "stages": stages,
        "translate": True,
        "done_count": len(done),
        "commitments": tuple(commitments),
        "committers": tuple(committers),
    }
    if current is None:
        return Prompt(
            key=None,
            title="",
            guidance="",
            guidance_html="",
            number=len(FIVE_CS),
            asks_commitment=False,
            finished=True,
            **common,  # type: ignore[arg-type]
        )
    key, title, guidance = FIVE_CS[current]
    return Prompt(
        key=key, title=title, guidance=guidance, guidance_html="", number=current + 1,
        asks_commitment=key == COMMITMENT_STAGE, finished=False, **common,  # type: ignore[arg-type]
    )  # fmt: skip


def _weekly_prompt(schedule: list[WeeklyPrompt], done: dict[str, PromptProgress], today: date) -> Prompt | None:
    if not schedule:
        return None
    keys = [f"week-{w.week}" for w in schedule]
    open_now = [
        i for i, w in enumerate(schedule) if keys[i] not in done and (w.starts_on is None or w.starts_on <= today)
    ]
    current = open_now[0] if open_now else None
    stages = [Stage(keys[i], w.topic, keys[i] in done, i == current, w.starts_on) for i, w in enumerate(schedule)]
    remaining = [i for i, _w in enumerate(schedule) if keys[i] not in done]
    common = {
        "set_kind": PROMPTS_WEEKLY,
        "total": len(schedule),
        "stages": stages,
        "translate": False,
        "asks_commitment": False,
        "done_count": sum(1 for k in keys if k in done),
    }
    if current is None:
        upcoming = schedule[remaining[0]].starts_on if remaining else None
        return Prompt(
            key=None, title="", guidance="", guidance_html="", number=len(schedule) - len(remaining),
            finished=not remaining, next_starts_on=upcoming, **common,  # type: ignore[arg-type]
        )  # fmt: skip
    week = schedule[current]
    return Prompt(
        key=keys[current], title=week.topic, guidance="", guidance_html=week.guidance_html, number=current + 1,
        finished=False, **common,  # type: ignore[arg-type]
    )  # fmt: skip


def complete_stage(session: Session, access: SpaceAccess, *, key: str, commitment: str = "") -> PromptProgress | None:
    """A member marks the current stage done (``key`` must still be current: a stale form is refused).

    At the Conclusions stage a mentee (a peer in a peer group) saves their own commitment to action
    instead, or changes it; the stage closes when every current mentee has written one. Returns the
    stage's progress row when the stage is now done, ``None`` when it stays open for the others."""
    if not access.is_member or not access.may_write:
        raise NotAllowed()
    prompt = current_prompt(session, access.space)
    if prompt is None or prompt.key is None or prompt.key != key:
        raise StageNotCurrent()
    space = access.space
    if prompt.asks_commitment:
        if access.viewer_role not in COMMITTING_ROLES:
            raise CommitmentByMentee()
        text = (commitment or "").replace("\r\n", "\n").strip()
        if not text:
            raise CommitmentRequired()
        if len(text) > MAX_COMMITMENT_CHARS:
            raise CommitmentTooLong()
        _lock_space(session, space)
        if COMMITMENT_STAGE in _progress(session, space, PROMPTS_FIVE_CS):
            raise StageNotCurrent()  # closed by someone else meanwhile
        _save_commitment(session, space, access.viewer_person_id, text)
        return close_if_all_committed(session, space, closed_by=access.viewer_person_id, locked=True)
    return _mark_done(session, space, prompt.set_kind, key, access.viewer_person_id)


def _mark_done(session: Session, space: Space, set_kind: str, key: str, person_id: int | None) -> PromptProgress:
    return get_or_create(
        session,
        lambda: _progress(session, space, set_kind).get(key),
        lambda: PromptProgress(
            course_id=space.course_id,
            space_kind=space.kind,
            space_id=space.id,
            set_kind=set_kind,
            stage_key=key,
            completed_at=utcnow(),
            completed_by=person_id,
        ),
    )


def _lock_space(session: Session, space: Space) -> None:
    """Serialise commitments within one space: lock its pairing's or group's row until the transaction
    ends (PostgreSQL; SQLite has one writer at a time anyway), so the last two mentees saving at the same
    moment cannot each miss the other's commitment and leave the stage open."""
    model = Mentorship if space.kind == PAIR else MentoringGroup
    session.execute(select(model.id).where(model.id == space.id, model.course_id == space.course_id).with_for_update())


def _save_commitment(session: Session, space: Space, person_id: int, text: str) -> PromptCommitment:
    scope = (
        PromptCommitment.course_id == space.course_id,
        PromptCommitment.space_kind == space.kind,
        PromptCommitment.space_id == space.id,
        PromptCommitment.person_id == person_id,
    )
    now = utcnow()
    row = get_or_create(
        session,
        lambda: session.execute(select(PromptCommitment).where(*scope)).scalar_one_or_none(),
        lambda: PromptCommitment(
            course_id=space.course_id,
            space_kind=space.kind,
            space_id=space.id,
            person_id=person_id,
            text=text,
            created_at=now,
            updated_at=now,
        ),
    )
    if row.text != text:
        row.text, row.updated_at = text, now
    session.flush()
    return row


def close_if_all_committed(
    session: Session, space: Space, *, closed_by: int | None = None, locked: bool = False
) -> PromptProgress | None:
    """Close the Conclusions stage of ``space`` (loaded with its current members) when it is the current
    stage of the Five Cs and every current member who commits has written a commitment. Called when a
    commitment is saved and when someone leaves a group. Returns the stage's row when it is done."""
    if prompt_set_kind(session, space.course_id) != PROMPTS_FIVE_CS:
        return None
    if not locked:
        _lock_space(session, space)
    done = _progress(session, space, PROMPTS_FIVE_CS)
    if COMMITMENT_STAGE in done:
        return done[COMMITMENT_STAGE]
    if not all(key in done for key, _t, _g in FIVE_CS[:-1]):
        return None
    expected = set(committers_of(space))
    written = {c.person_id for c in _commitments(session, space)}
    if not expected or not expected <= written:
        return None
    return _mark_done(session, space, PROMPTS_FIVE_CS, COMMITMENT_STAGE, closed_by)


def commitments_by_space(session: Session, course_id: int) -> dict[tuple[str, int], set[int]]:
    """For the coordinators' overview: who has written a commitment, per space (person ids; no text)."""
    rows = session.execute(
        select(PromptCommitment.space_kind, PromptCommitment.space_id, PromptCommitment.person_id).where(
            PromptCommitment.course_id == course_id
        )
    ).all()
    found: dict[tuple[str, int], set[int]] = {}
    for kind, space_id, person_id in rows:
        found.setdefault((kind, space_id), set()).add(person_id)
    return found


def progress_by_space(session: Session, course_id: int) -> dict[tuple[str, int], tuple[int, int]]:
    """For the coordinators' overview: ``{(kind, id): (stages done, stages in the set)}`` for the current
    set (empty when the course is unstructured)."""
    kind = prompt_set_kind(session, course_id)
    if kind == PROMPTS_NONE:
        return {}
    if kind == PROMPTS_FIVE_CS:
        valid = {key for key, _t, _g in FIVE_CS}
    else:
        valid = {f"week-{w.week}" for w in weeks(session, course_id)}
    rows = session.execute(
        select(PromptProgress.space_kind, PromptProgress.space_id, PromptProgress.stage_key).where(
            PromptProgress.course_id == course_id, PromptProgress.set_kind == kind
        )
    ).all()
    counts: dict[tuple[str, int], int] = {}
    for space_kind, space_id, stage in rows:
        if stage in valid:
            counts[(space_kind, space_id)] = counts.get((space_kind, space_id), 0) + 1
    return {key: (n, len(valid)) for key, n in counts.items()}


# --- the coordinator's form ----------------------------------------------------------------------------------


def blank_week(index: int) -> dict[str, str]:
    return {"index": str(index), "week": "", "date": "", "topic": "", "guidance": ""}


def schedule_form_rows(session: Session, course_id: int) -> list[dict[str, str]]:
    """The saved schedule as form rows (strings, as a browser sends them)."""
    return [
        {
            "index": str(i),
            "week": str(w.week),
            "date": w.starts_on.isoformat() if w.starts_on else "",
            "topic": w.topic,
            "guidance": w.guidance,
        }
        for i, w in enumerate(weeks(session, course_id))
    ]


def parse_schedule_form(form: Mapping[str, str]) -> list[dict[str, str]]:
    """Rows ``week-N``/``date-N``/``topic-N``/``guidance-N`` of the form, minus removed and empty ones,
    renumbered from 0 (what the user typed is kept as typed)."""
    indices = sorted({int(name.split("-", 1)[1]) for name in form if name.startswith("topic-") and name[6:].isdigit()})[
        : MAX_WEEKS + 1
    ]
    rows: list[dict[str, str]] = []
    for i in indices:
        if form.get(f"remove-{i}") == "1":
            continue
        row = {name: (form.get(f"{name}-{i}") or "") for name in ("week", "date", "topic", "guidance")}
        if not any(value.strip() for value in row.values()):
            continue
        rows.append({"index": str(len(rows)), **row})
    return rows


def save_prompt_set(
    session: Session, course_id: int, *, kind: str, weeks: list[dict[str, str]], updated_by: int | None
) -> PromptSet:
    """Save the course's choice and its weekly schedule (the schedule is kept whatever the choice, so a
    coordinator can prepare it before switching). ``ScheduleInvalid`` lists every problem at once."""
    problems: list[tuple[str, str]] = []
    if kind not in PROMPT_SET_KINDS:
        problems.append(("kind", N_("Choose one of the options.")))
    parsed: list[tuple[int, date | None, str, str]] = []
    seen: set[int] = set()
    if len(weeks) > MAX_WEEKS:
        problems.append(("weeks", N_("At most 104 weeks.")))
    for row in weeks[:MAX_WEEKS]:
        i = row["index"]
        number: int | None = None
        try:
            number = int(row["week"].strip())
            if not 1 <= number <= MAX_WEEKS:
                raise ValueError
        except ValueError:
            problems.append((f"week-{i}", N_("Enter a week number from 1 to 104.")))
        if number is not None:
            if number in seen:
                problems.append((f"week-{i}", N_("Each week number can be used once.")))
            seen.add(number)
        starts_on = None
        if row["date"].strip():
            try:
                starts_on = date.fromisoformat(row["date"].strip())
            except ValueError:
                problems.append((f"date-{i}", N_("Enter a date as YYYY-MM-DD, or leave it empty.")))
        topic = " ".join(row["topic"].split())
        if not topic:
            problems.append((f"topic-{i}", N_("Every week needs a topic.")))
        elif len(topic) > MAX_TOPIC_CHARS:
            problems.append((f"topic-{i}", N_("The topic is too long: at most 200 characters.")))
        guidance = row["guidance"].replace("\r\n", "\n").strip()
        if len(guidance) > MAX_GUIDANCE_CHARS:
            problems.append((f"guidance-{i}", N_("The guidance is too long: at most 5,000 characters.")))
        if number is not None:
            parsed.append((number, starts_on, topic, guidance))
    if kind == PROMPTS_WEEKLY and not weeks:
        problems.append(("weeks", N_("A weekly schedule needs at least one week.")))
    if problems:
        raise ScheduleInvalid(problems)
    prompt_set = get_or_create(
        session,
        lambda: session.execute(select(PromptSet).where(PromptSet.course_id == course_id)).scalar_one_or_none(),
        lambda: PromptSet(course_id=course_id, kind=kind),
    )
    prompt_set.kind, prompt_set.updated_by, prompt_set.updated_at = kind, updated_by, utcnow()
    session.execute(delete(WeeklyPrompt).where(WeeklyPrompt.course_id == course_id))
    session.flush()
    for number, starts_on, topic, guidance in sorted(parsed):
        session.add(
            WeeklyPrompt(
                course_id=course_id,
                week=number,
                starts_on=starts_on,
                topic=topic,
                guidance=guidance,
                guidance_html=render_markdown(guidance) if guidance else "",
            )
        )
    session.flush()
    return prompt_set


def week_count(session: Session, course_id: int) -> int:
    return session.execute(
        select(func.count()).select_from(WeeklyPrompt).where(WeeklyPrompt.course_id == course_id)
    ).scalar_one()
