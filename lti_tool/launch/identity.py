"""Keep people, courses and memberships in step with each launch.

A person is upserted per (platform, sub), a course per (platform, context id), the membership's LTI roles
and program role are replaced by the launch's. Two first launches racing each other (a class opening the
tool at once) are handled by retrying the select after a unique-constraint conflict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Course, Deployment, Membership, Person, Platform, ResourceLink, utcnow
from . import claims as c
from .roles import program_role

T = TypeVar("T")


@dataclass(frozen=True)
class LaunchIdentity:
    person: Person
    course: Course
    membership: Membership
    resource_link: ResourceLink | None


def _get_or_create(session: Session, find: Callable[[], T | None], create: Callable[[], T]) -> T:
    found = find()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            obj = create()
            session.add(obj)
            session.flush()
        return obj
    except IntegrityError:
        found = find()
        if found is None:
            raise
        return found


def sync_launch(session: Session, platform: Platform, body: dict[str, Any]) -> LaunchIdentity:
    """Upsert the person, course, membership and resource link a validated launch names."""
    now = utcnow()
    sub = body["sub"]
    context = body[c.CONTEXT]
    deployment = session.execute(
        select(Deployment).where(
            Deployment.platform_id == platform.id, Deployment.deployment_id == body[c.DEPLOYMENT_ID]
        )
    ).scalar_one_or_none()

    person = _get_or_create(
        session,
        lambda: session.execute(
            select(Person).where(Person.platform_id == platform.id, Person.sub == sub)
        ).scalar_one_or_none(),
        lambda: Person(platform_id=platform.id, sub=sub),
    )
    # Platforms may withhold names or email (privacy settings): only overwrite what was sent.
    for field in ("name", "given_name", "family_name", "email", "picture"):
        if body.get(field):
            setattr(person, field, body[field])
    presentation = body.get(c.LAUNCH_PRESENTATION) or {}
    locale = presentation.get("locale") or body.get("locale")
    if isinstance(locale, str) and locale:
        person.locale = locale[:35]
    person.last_launch_at = now

    course = _get_or_create(
        session,
        lambda: session.execute(
            select(Course).where(Course.platform_id == platform.id, Course.context_id == context["id"])
        ).scalar_one_or_none(),
        lambda: Course(platform_id=platform.id, context_id=context["id"]),
    )
    course.title = context.get("title") or course.title
    course.label = context.get("label") or course.label
    if deployment is not None:
        course.deployment_id = deployment.id
    nrps = body.get(c.NRPS) or {}
    if isinstance(nrps.get("context_memberships_url"), str):
        course.nrps_url = nrps["context_memberships_url"]
    ags = body.get(c.AGS_ENDPOINT) or {}
    if isinstance(ags.get("lineitems"), str):
        course.ags_lineitems_url = ags["lineitems"]
    if isinstance(ags.get("scope"), list):
        course.ags_scopes = [s for s in ags["scope"] if isinstance(s, str)]

    roles = list(body.get(c.ROLES) or [])
    membership = _get_or_create(
        session,
        lambda: session.execute(
            select(Membership).where(Membership.course_id == course.id, Membership.person_id == person.id)
        ).scalar_one_or_none(),
        lambda: Membership(
            course_id=course.id, person_id=person.id, lti_roles=roles, program_role=program_role(roles).value
        ),
    )
    membership.lti_roles = roles
    membership.program_role = program_role(roles).value
    membership.is_active = True
    membership.source = "launch"

    resource_link = None
    link = body.get(c.RESOURCE_LINK)
    if isinstance(link, dict) and isinstance(link.get("id"), str):
        resource_link = _get_or_create(
            session,
            lambda: session.execute(
                select(ResourceLink).where(
                    ResourceLink.course_id == course.id, ResourceLink.resource_link_id == link["id"]
                )
            ).scalar_one_or_none(),
            lambda: ResourceLink(course_id=course.id, resource_link_id=link["id"]),
        )
        resource_link.title = link.get("title") or resource_link.title
        custom = body.get(c.CUSTOM)
        if isinstance(custom, dict):
            resource_link.custom = custom
            kind = custom.get("mentoring_kind")
            if isinstance(kind, str) and kind:
                resource_link.kind = kind[:40]
        if isinstance(ags.get("lineitem"), str):
            resource_link.lineitem_url = ags["lineitem"]
    session.flush()
    return LaunchIdentity(person=person, course=course, membership=membership, resource_link=resource_link)
