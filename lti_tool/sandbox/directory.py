"""Read helpers for the demo LMS's people, courses, tools and placements (no Flask, no writes)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import NotFound, SandboxError
from .flavours import FLAVOURS
from .models import SandboxCourse, SandboxEnrolment, SandboxResourceLink, SandboxTool, SandboxUser


def user_by_sub(session: Session, sub: str) -> SandboxUser:
    user = session.execute(select(SandboxUser).where(SandboxUser.sub == sub)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"The demo LMS has no user '{sub}'.")
    return user


def course_by_context(session: Session, context_id: str) -> SandboxCourse:
    course = session.execute(select(SandboxCourse).where(SandboxCourse.context_id == context_id)).scalar_one_or_none()
    if course is None:
        raise NotFound(f"The demo LMS has no course '{context_id}'.")
    return course


def enrolment(session: Session, course: SandboxCourse, user: SandboxUser) -> SandboxEnrolment | None:
    return session.execute(
        select(SandboxEnrolment).where(SandboxEnrolment.course_id == course.id, SandboxEnrolment.user_id == user.id)
    ).scalar_one_or_none()


def tool_by_client_id(session: Session, flavour: str, client_id: str | None) -> SandboxTool:
    """The tool registered with ``flavour`` under ``client_id`` (the primary demo tool when None)."""
    wanted = client_id or FLAVOURS[flavour].client_id
    tool = session.execute(
        select(SandboxTool).where(SandboxTool.flavour == flavour, SandboxTool.client_id == wanted)
    ).scalar_one_or_none()
    if tool is None:
        raise SandboxError(f"No tool is registered with the demo {flavour} under client id '{wanted}'.")
    return tool


def tools(session: Session, flavour: str) -> list[SandboxTool]:
    return list(
        session.execute(select(SandboxTool).where(SandboxTool.flavour == flavour).order_by(SandboxTool.id)).scalars()
    )


def resource_link(session: Session, flavour: str, course: SandboxCourse, link_id: str) -> SandboxResourceLink:
    link = session.execute(
        select(SandboxResourceLink).where(
            SandboxResourceLink.link_id == link_id,
            SandboxResourceLink.flavour == flavour,
            SandboxResourceLink.course_id == course.id,
        )
    ).scalar_one_or_none()
    if link is None:
        raise NotFound(f"The course '{course.context_id}' has no placement '{link_id}' in the demo {flavour}.")
    return link


def placements(session: Session, flavour: str, course: SandboxCourse) -> list[SandboxResourceLink]:
    return list(
        session.execute(
            select(SandboxResourceLink)
            .where(SandboxResourceLink.flavour == flavour, SandboxResourceLink.course_id == course.id)
            .order_by(SandboxResourceLink.is_default.desc(), SandboxResourceLink.id)
        ).scalars()
    )


def roster(session: Session, course: SandboxCourse) -> list[tuple[SandboxEnrolment, SandboxUser]]:
    """Everyone enrolled: instructors, then teaching assistants, then students, each in enrolment order."""
    order = {"instructor": 0, "ta": 1, "student": 2}
    rows = session.execute(
        select(SandboxEnrolment, SandboxUser)
        .join(SandboxUser, SandboxUser.id == SandboxEnrolment.user_id)
        .where(SandboxEnrolment.course_id == course.id)
        .order_by(SandboxEnrolment.id)
    ).all()
    return sorted(((e, u) for e, u in rows), key=lambda pair: (order.get(pair[0].role, 3), pair[0].id))
