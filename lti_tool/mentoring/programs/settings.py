"""A course's program settings: created with defaults on first use, updated by the coordinator.

``engine_weights`` and ``engine_options`` turn the stored settings into the matching engine's ``Weights``
and ``MatchOptions``, so a matching run uses exactly what the coordinator saw on the settings page.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import Program
from ..matching import MatchOptions, Weights

# The weights a coordinator may tune, in the order the settings page shows them (``Weights`` field names).
WEIGHT_FIELDS = (
    "goal_expertise",
    "interest_expertise",
    "shared_interest",
    "shared_language",
    "overlap_per_hour",
    "mentee_choice",
    "mentor_choice",
)
# LTI context roles (short names, see lti_tool.launch.roles) that may make someone a mentor automatically.
MENTOR_LTI_ROLES = ("TeachingAssistant", "Instructor", "Mentor")
MAX_TAGS = 60
MAX_TAG_LENGTH = 60


def default_weights() -> dict[str, float]:
    defaults = Weights()
    return {name: float(getattr(defaults, name)) for name in WEIGHT_FIELDS}


@dataclass(frozen=True)
class ProgramSettings:
    """Everything the settings page edits; the view validates the form and builds one of these."""

    structure: str = "one_to_one"
    group_size: int = 4
    mentors_per_group: int = 1
    relationship_model: str = "hierarchical"
    matching_mode: str = "optimal"
    mentor_sources: tuple[str, ...] = ("opt_in",)
    mentor_lti_roles: tuple[str, ...] = ("TeachingAssistant",)
    default_capacity: int = 2
    max_capacity: int = 5
    profile_required: bool = False
    require_shared_language: bool = False
    min_overlap_hours: float = 0.0
    weights: dict[str, float] = field(default_factory=default_weights)
    goal_tags: tuple[str, ...] = ()
    interest_tags: tuple[str, ...] = ()
    expertise_tags: tuple[str, ...] = ()

    @classmethod
    def of(cls, program: Program) -> ProgramSettings:
        """The settings stored on ``program`` (missing weights take the engine's defaults)."""
        weights = default_weights()
        weights.update({k: float(v) for k, v in (program.weights or {}).items() if k in WEIGHT_FIELDS})
        values = {f.name: getattr(program, f.name) for f in fields(cls) if f.name != "weights"}
        for name in ("mentor_sources", "mentor_lti_roles", "goal_tags", "interest_tags", "expertise_tags"):
            values[name] = tuple(values[name] or ())
        return cls(weights=weights, **values)


def get_program(session: Session, course_id: int) -> Program | None:
    return session.execute(select(Program).where(Program.course_id == course_id)).scalar_one_or_none()


def get_or_create_program(session: Session, course_id: int) -> Program:
    """The course's program, created with default settings the first time anyone opens the space.

    Two first visits at once may both try to create it; the unique course id lets one win and the other
    read the winner's row.
    """
    program = get_program(session, course_id)
    if program is not None:
        return program
    defaults = ProgramSettings()
    program = Program(course_id=course_id)
    _apply(program, defaults)
    try:
        with session.begin_nested():
            session.add(program)
            session.flush()
    except IntegrityError:
        found = get_program(session, course_id)
        if found is None:  # pragma: no cover - the conflicting row vanished again
            raise
        return found
    return program


def _apply(program: Program, settings: ProgramSettings) -> None:
    for f in fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, dict):
            value = dict(value)
        setattr(program, f.name, value)


def update_settings(session: Session, program: Program, settings: ProgramSettings) -> Program:
    """Store new settings; check them against the engine first, then apply role-based mentor designation."""
    _weights(settings.weights)  # raises InvalidOptionError on a value the engine would refuse
    MatchOptions(require_shared_language=settings.require_shared_language, min_overlap_hours=settings.min_overlap_hours)
    if settings.structure == "group" and settings.relationship_model != "peer" and settings.mentors_per_group > 2:
        from .errors import NotAllowed

        raise NotAllowed("Group matching forms groups with one or two mentors.")
    was_peer = program.is_peer
    _apply(program, settings)
    session.flush()
    from .participants import designate_role_mentors, remap_roles

    if program.is_peer != was_peer:
        remap_roles(session, program)
    designate_role_mentors(session, program)
    return program


def _weights(values: dict[str, float]) -> Weights:
    given: dict[str, Any] = dict(values)
    return Weights(**given)


def engine_weights(program: Program) -> Weights:
    """The engine's ``Weights`` for this program."""
    return _weights(ProgramSettings.of(program).weights)


def engine_options(program: Program, **extra: object) -> MatchOptions:
    """The engine's hard rules for this program (``extra``: excluded or pinned pairs, week_of, ...)."""
    return MatchOptions(
        require_shared_language=bool(program.require_shared_language),
        min_overlap_hours=float(program.min_overlap_hours or 0.0),
        **extra,  # type: ignore[arg-type]
    )
