"""Keep people, courses and memberships in step with each launch.

A person is upserted per (platform, sub), a course per (platform, context id), the membership's LTI roles
and program role are replaced by the launch's. Two first launches racing each other (a class opening the
tool at once) are handled by retrying the select after a unique-constraint conflict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from ..models import Course, Membership, Person, ResourceLink, utcnow
from ..models.queries import get_or_create
from . import claims as c
from .roles import program_role

T = TypeVar("T")


class HasId(Protocol):
    """A platform or deployment as the launch knows it (a row or a cached snapshot)."""

    @property
    def id(self) -> int: ...


@dataclass(frozen=True)
class LaunchIdentity:
    person: Person
    course: Course
    membership: Membership
    resource_link: ResourceLink | None


def _get_or_create(
    session: Session, find: Callable[[], T | None], create: Callable[[], T], known: T | None = None
) -> T:
    """``known`` is the row the one-query lookup for a returning person already found."""
    return known if known is not None else get_or_create(session, find, create)


# A returning person's last launch time is refreshed at most this often (saves a write per launch).
LAST_LAUNCH_RESOLUTION = timedelta(minutes=5)


def _assign(obj: object, field: str, value: object) -> None:
    """Set only what changed, so a returning launch with nothing new writes nothing."""
    if getattr(obj, field) != value:
        setattr(obj, field, value)


# Person, course, membership and resource link in one query, built once (bound parameters :platform_id,
# :sub, :context_id, :link_id). A launch without a resource link binds NULL, which matches no link.
_RETURNING = (
    select(Person, Course, Membership, ResourceLink)
    .select_from(Person)
    .join(Course, and_(Course.platform_id == Person.platform_id, Course.context_id == bindparam("context_id")))
    .outerjoin(Membership, and_(Membership.course_id == Course.id, Membership.person_id == Person.id))
    .outerjoin(
        ResourceLink,
        and_(ResourceLink.course_id == Course.id, ResourceLink.resource_link_id == bindparam("link_id")),
    )
    .where(Person.platform_id == bindparam("platform_id"), Person.sub == bindparam("sub"))
)


def _returning(
    session: Session, platform: HasId, sub: str, context_id: str, link_id: str | None
) -> tuple[Person | None, Course | None, Membership | None, ResourceLink | None]:
    """Person, course, membership and resource link in one query: a returning user's launch needs no more."""
    row = session.execute(
        _RETURNING, {"platform_id": platform.id, "sub": sub, "context_id": context_id, "link_id": link_id}
    ).first()
    if row is None:
        return None, None, None, None
    return row[0], row[1], row[2], row[3]


def sync_launch(session: Session, platform: HasId, deployment: HasId, body: dict[str, Any]) -> LaunchIdentity:
    """Upsert the person, course, membership and resource link a validated launch names."""
    now = utcnow()
    sub = body["sub"]
    context = body[c.CONTEXT]
    link = body.get(c.RESOURCE_LINK)
    link_id = link.get("id") if isinstance(link, dict) and isinstance(link.get("id"), str) else None
    known = _returning(session, platform, sub, context["id"], link_id)

    person = _get_or_create(
        session,
        lambda: session.execute(
            select(Person).where(Person.platform_id == platform.id, Person.sub == sub)
        ).scalar_one_or_none(),
        lambda: Person(platform_id=platform.id, sub=sub),
        known[0],
    )
    # Platforms may withhold names or email (privacy settings): only overwrite what was sent.
    for field in ("name", "given_name", "family_name", "email", "picture"):
        if body.get(field):
            _assign(person, field, body[field])
    presentation = body.get(c.LAUNCH_PRESENTATION) or {}
    locale = presentation.get("locale") or body.get("locale")
    if isinstance(locale, str) and locale:
        _assign(person, "locale", locale[:35])
    if person.last_launch_at is None or now - person.last_launch_at >= LAST_LAUNCH_RESOLUTION:
        person.last_launch_at = now

    course = _get_or_create(
        session,
        lambda: session.execute(
            select(Course).where(Course.platform_id == platform.id, Course.context_id == context["id"])
        ).scalar_one_or_none(),
        lambda: Course(platform_id=platform.id, context_id=context["id"]),
        known[1],
    )
    _assign(course, "title", context.get("title") or course.title)
    _assign(course, "label", context.get("label") or course.label)
    _assign(course, "deployment_id", deployment.id)
    nrps = body.get(c.NRPS) or {}
    if isinstance(nrps.get("context_memberships_url"), str):
        _assign(course, "nrps_url", nrps["context_memberships_url"])
    ags = body.get(c.AGS_ENDPOINT) or {}
    if isinstance(ags.get("lineitems"), str):
        _assign(course, "ags_lineitems_url", ags["lineitems"])
    if isinstance(ags.get("scope"), list):
        _assign(course, "ags_scopes", [s for s in ags["scope"] if isinstance(s, str)])

    roles = list(body.get(c.ROLES) or [])
    membership = _get_or_create(
        session,
        lambda: session.execute(
            select(Membership).where(Membership.course_id == course.id, Membership.person_id == person.id)
        ).scalar_one_or_none(),
        lambda: Membership(
            course_id=course.id, person_id=person.id, lti_roles=roles, program_role=program_role(roles).value
        ),
        known[2],
    )
    _assign(membership, "lti_roles", roles)
    _assign(membership, "program_role", program_role(roles).value)
    _assign(membership, "is_active", True)

    resource_link = None
    if link_id is not None:
        resource_link = _get_or_create(
            session,
            lambda: session.execute(
                select(ResourceLink).where(
                    ResourceLink.course_id == course.id, ResourceLink.resource_link_id == link_id
                )
            ).scalar_one_or_none(),
            lambda: ResourceLink(course_id=course.id, resource_link_id=link_id),
            known[3],
        )
        _assign(resource_link, "title", link.get("title") or resource_link.title)  # type: ignore[union-attr]
        custom = body.get(c.CUSTOM)
        if isinstance(custom, dict):
            # Custom parameters may carry per-user substitutions: keep the placement's own ones once.
            if resource_link.custom is None:
                resource_link.custom = custom
            kind = custom.get("mentoring_kind")
            if isinstance(kind, str) and kind:
                _assign(resource_link, "kind", kind[:40])
        if isinstance(ags.get("lineitem"), str):
            _assign(resource_link, "lineitem_url", ags["lineitem"])
    session.flush()
    return LaunchIdentity(person=person, course=course, membership=membership, resource_link=resource_link)
