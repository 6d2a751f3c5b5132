"""Names and Role Provisioning Services 2.0 (platform side): the course roster, paged.

NRPS 2.0 §2.2: the membership container holds ``id``, ``context`` and ``members``; §2.4: a platform that
pages the result MUST link the next page with an RFC 8288 ``Link: <…>; rel="next"`` header. Names and
emails follow the course's privacy level, as in the launch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import urls
from .directory import course_by_context
from .errors import SandboxError
from .flavours import FLAVOURS, MEMBERSHIP
from .models import SandboxEnrolment, SandboxUser

MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page:
    body: Any  # a JSON object (NRPS) or array (AGS containers)
    next_url: str | None


def paging(args: dict[str, str], default: int = DEFAULT_LIMIT) -> tuple[int, int]:
    """(limit, page) from query parameters; both positive integers."""
    try:
        limit = int(args.get("limit") or default)
        page = int(args.get("page") or 1)
    except ValueError as err:
        raise SandboxError("limit and page must be integers.") from err
    if limit < 1 or page < 1:
        raise SandboxError("limit and page must be positive.")
    return min(limit, MAX_LIMIT), page


def next_link(base_url: str, args: dict[str, str], page: int) -> str:
    """The URL of page ``page + 1`` keeping every other query parameter (``limit``, filters, ``type_id``)."""
    query = {k: v for k, v in args.items() if k != "page"}
    query["page"] = str(page + 1)
    return base_url + "?" + urlencode(query)


def memberships(
    session: Session, *, flavour: str, context_id: str, args: dict[str, str], sandbox_url: str, tool_id: int
) -> Page:
    """One page of the course's members, instructors first (NRPS 2.0 §2.2, §2.3 ``role`` filter)."""
    fl = FLAVOURS[flavour]
    course = course_by_context(session, context_id)
    limit, page = paging(args)
    role_filter = args.get("role")
    query = (
        select(SandboxEnrolment, SandboxUser)
        .join(SandboxUser, SandboxUser.id == SandboxEnrolment.user_id)
        .where(SandboxEnrolment.course_id == course.id)
    )
    if role_filter:
        short = role_filter.rsplit("#", 1)[-1]
        wanted = {"Instructor": ("instructor", "ta"), "Learner": ("student",), "TeachingAssistant": ("ta",)}
        query = query.where(SandboxEnrolment.role.in_(wanted.get(short, ())))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(SandboxEnrolment.id).limit(limit).offset((page - 1) * limit)).all()
    members = []
    for enrolment, user in rows:
        member: dict[str, Any] = {
            "status": "Active" if enrolment.active else "Inactive",
            "user_id": user.sub,
            "roles": [r for r in fl.roles(enrolment.role) if r.startswith(MEMBERSHIP) or "/membership/" in r],
        }
        if course.shares_names:
            member.update(
                name=user.name,
                given_name=user.given_name,
                family_name=user.family_name,
                picture=urls.picture(sandbox_url),
            )
        if course.shares_emails:
            member["email"] = user.email
        if course.privacy != "anonymous":
            member["lis_person_sourcedid"] = user.sourcedid
        members.append(member)
    base = urls.nrps(sandbox_url, flavour, context_id).split("?")[0]
    body = {
        "id": urls.nrps(sandbox_url, flavour, context_id, tool_id),
        "context": {"id": course.context_id, "label": course.label, "title": course.title},
        "members": members,
    }
    more = page * limit < total
    return Page(body=body, next_url=next_link(base, args, page) if more else None)
