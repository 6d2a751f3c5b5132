"""Ground rules: a versioned agreement per course that participants accept before entering discussions.

The coordinator edits the Markdown text and the ``moderated`` switch; either change makes a new version,
and everyone who is not a coordinator is asked to accept again. The first version is created from
``DEFAULT_GROUND_RULES`` the first time anyone needs it. The sentence about moderation is not part of the
stored text: the page generates it from the version's ``moderated`` snapshot, so it always matches the
setting participants agreed to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import (
    DiscussionSettings,
    GroundRulesAcceptance,
    GroundRulesVersion,
    Membership,
    Person,
    utcnow,
)
from ...models.queries import get_or_create
from .access import Viewer
from .errors import Forbidden, InvalidInput

MAX_RULES_CHARS = 20_000


def N_(message: str) -> str:  # noqa: N802 - the gettext "mark for extraction" convention
    """Mark a message for translation without translating it here (the web layer calls gettext)."""
    return message


DEFAULT_GROUND_RULES = N_("""\
These ground rules keep our mentoring space safe and useful. Please read them before you take part.

**Confidentiality**

- What is said in a mentoring pair or group stays in that pair or group. Do not share it, copy it or take
  screenshots without the other person's permission.
- There are limits: if something you read suggests that someone may be at risk of harm, or breaks the
  law or the institution's policies, it will be passed on to the coordinator or the institution's support
  services. Safety comes before confidentiality.
- Posts in the course-wide forums can be read by everyone in this course.

**Etiquette**

- Be respectful, constructive and patient. Criticise ideas, not people.
- No harassment, discrimination or offensive language. Anyone may report a post to the coordinators.
- Keep to the topic; start a new thread for a new subject.

**Response times**

- Reply to your mentor, mentee or group within 3 working days. If you will be away, say so.
- Coordinators look at reported posts within 2 working days.

**Boundaries**

- Mentoring is about learning and development. It is not counselling, therapy or a replacement for
  professional advice; the coordinator can point you to the right service.
- Keep contact within this space or the channels your program agreed on, and respect each other's time.
- Either side may end a mentoring relationship by telling the coordinator.
""")


@dataclass(frozen=True)
class AcceptanceRow:
    person_id: int
    name: str
    role: str
    version: int | None
    accepted_at: datetime | None


def settings(session: Session, course_id: int) -> DiscussionSettings:
    """The course's discussion settings row (created with defaults on first use)."""
    return get_or_create(
        session,
        lambda: session.execute(
            select(DiscussionSettings).where(DiscussionSettings.course_id == course_id)
        ).scalar_one_or_none(),
        lambda: DiscussionSettings(course_id=course_id, moderated=False),
    )


def current_version(session: Session, course_id: int, default_body: str = DEFAULT_GROUND_RULES) -> GroundRulesVersion:
    """The newest version of the course's ground rules; version 1 is ``default_body`` (the web layer passes
    ``DEFAULT_GROUND_RULES`` translated into the language of whoever opens the discussions first)."""
    found = _latest(session, course_id)
    if found is not None:
        return found
    moderated = settings(session, course_id).moderated
    return get_or_create(
        session,
        lambda: _latest(session, course_id),
        lambda: GroundRulesVersion(course_id=course_id, version=1, body=default_body, moderated=moderated),
    )


def _latest(session: Session, course_id: int) -> GroundRulesVersion | None:
    return session.execute(
        select(GroundRulesVersion)
        .where(GroundRulesVersion.course_id == course_id)
        .order_by(GroundRulesVersion.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def has_accepted(session: Session, viewer: Viewer) -> bool:
    """Coordinators never need to; everyone else must have accepted the current version (one query)."""
    if viewer.is_coordinator:
        return True
    latest = (
        select(GroundRulesVersion.id)
        .where(GroundRulesVersion.course_id == viewer.course_id)
        .order_by(GroundRulesVersion.version.desc())
        .limit(1)
        .scalar_subquery()
    )
    found = session.execute(
        select(GroundRulesAcceptance.id).where(
            GroundRulesAcceptance.person_id == viewer.person_id,
            GroundRulesAcceptance.course_id == viewer.course_id,
            GroundRulesAcceptance.version_id == latest,
        )
    ).first()
    return found is not None


def accept(session: Session, viewer: Viewer, version_id: int) -> GroundRulesAcceptance:
    """Record that the viewer accepted ``version_id``, which must be the current version of their course.

    Accepting an older version (the page was open while the coordinator saved a new one) is refused with
    ``InvalidInput("version", "outdated")`` so the person reads the new text first. Accepting twice is fine.
    """
    version = _latest(session, viewer.course_id)
    if version is None or version.id != version_id:
        raise InvalidInput("version", "outdated")
    existing = session.execute(
        select(GroundRulesAcceptance).where(
            GroundRulesAcceptance.version_id == version.id, GroundRulesAcceptance.person_id == viewer.person_id
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    row = GroundRulesAcceptance(
        course_id=viewer.course_id, version_id=version.id, person_id=viewer.person_id, accepted_at=utcnow()
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # a double click: the other request recorded it
        return session.execute(
            select(GroundRulesAcceptance).where(
                GroundRulesAcceptance.version_id == version.id, GroundRulesAcceptance.person_id == viewer.person_id
            )
        ).scalar_one()
    return row


def update(session: Session, viewer: Viewer, body: str, moderated: bool) -> GroundRulesVersion:
    """Save the coordinator's text and moderation switch; a change makes a new version (re-acceptance).

    Returns the current version (unchanged when nothing changed).
    """
    if not viewer.is_coordinator:
        raise Forbidden()
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput("body", "empty")
    if len(body) > MAX_RULES_CHARS:
        raise InvalidInput("body", "too_long", MAX_RULES_CHARS)
    current = current_version(session, viewer.course_id)
    row = settings(session, viewer.course_id)
    row.moderated = moderated
    if current.body.strip() == body and current.moderated == moderated:
        return current
    version = GroundRulesVersion(
        course_id=viewer.course_id,
        version=current.version + 1,
        body=body + "\n",
        moderated=moderated,
        created_by=viewer.person_id,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(version)
            session.flush()
    except IntegrityError as err:
        # Another coordinator saved a version at the same moment: theirs wins; this one re-reads and retries.
        raise InvalidInput("body", "outdated") from err
    return version


def versions(session: Session, course_id: int) -> list[GroundRulesVersion]:
    return list(
        session.execute(
            select(GroundRulesVersion)
            .where(GroundRulesVersion.course_id == course_id)
            .order_by(GroundRulesVersion.version.desc())
        ).scalars()
    )


def acceptances(session: Session, course_id: int) -> list[AcceptanceRow]:
    """Every active non-coordinator member with the newest version they accepted and when (None: never)."""
    newest = (
        select(
            GroundRulesAcceptance.person_id.label("person_id"),
            func.max(GroundRulesVersion.version).label("version"),
        )
        .join(GroundRulesVersion, GroundRulesVersion.id == GroundRulesAcceptance.version_id)
        .where(GroundRulesAcceptance.course_id == course_id)
        .group_by(GroundRulesAcceptance.person_id)
        .subquery()
    )
    rows = session.execute(
        select(Person, Membership.program_role, newest.c.version, GroundRulesAcceptance.accepted_at)
        .join(Membership, Membership.person_id == Person.id)
        .outerjoin(newest, newest.c.person_id == Person.id)
        .outerjoin(
            GroundRulesVersion,
            (GroundRulesVersion.course_id == course_id) & (GroundRulesVersion.version == newest.c.version),
        )
        .outerjoin(
            GroundRulesAcceptance,
            (GroundRulesAcceptance.version_id == GroundRulesVersion.id)
            & (GroundRulesAcceptance.person_id == Person.id),
        )
        .where(
            Membership.course_id == course_id,
            Membership.is_active.is_(True),
            Membership.program_role != "coordinator",
        )
        .order_by(Person.family_name, Person.name, Person.id)
    ).all()
    return [AcceptanceRow(p.id, p.display_name, role, version, at) for p, role, version, at in rows]
