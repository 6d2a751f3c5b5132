"""Line items on the platform: found before created, recreated when the platform lost them.

AGS 2.0 §3.2: a tool finds its own line items by ``resourceId`` and ``tag`` in the course's line items
container, which a platform may page (``Link: rel="next"``). Creating before looking would add a duplicate
column to the gradebook every time the tool's database is restored or a second instance starts, so
:func:`ensure_line_item` always reads every page first. A line item deleted on the platform (a 404 when
posting a score) is marked missing by the worker; its results stay in the tool and are delivered again
once :func:`restore_missing` has recreated it on the next coordinator action.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Course, LineItem, LineItemOrigin, LineItemStatus, ResourceLink
from ..models.queries import get_or_create
from .ags import SCOPE_LINEITEM, AgsClient, PlatformAnswer, TokenRefused, ags_scopes
from .errors import GradeError, LineItemUnavailable, PlatformUnavailable
from .results import requeue_line_item
from .services import GradeServices

log = logging.getLogger(__name__)


def link_key(resource_link: ResourceLink) -> str:
    return f"link:{resource_link.id}"


def item_key(resource_id: str | None, tag: str | None) -> str:
    return f"res:{resource_id or ''}|tag:{tag or ''}"


def line_item_for_link(
    session: Session, resource_link: ResourceLink, *, label: str | None = None, score_maximum: float | None = None
) -> LineItem | None:
    """The platform's own line item for a placement (the launch's AGS ``lineitem`` claim), or None."""
    if not resource_link.lineitem_url:
        return None
    item = get_or_create(
        session,
        lambda: session.execute(
            select(LineItem).where(
                LineItem.course_id == resource_link.course_id, LineItem.key == link_key(resource_link)
            )
        ).scalar_one_or_none(),
        lambda: LineItem(
            course_id=resource_link.course_id,
            resource_link_id=resource_link.id,
            key=link_key(resource_link),
            platform_url=resource_link.lineitem_url,
            label=(label or resource_link.title or "Mentoring Space")[:400],
            score_maximum=float(score_maximum or resource_link.score_maximum or 100),
            created_by=LineItemOrigin.PLATFORM.value,
            status=LineItemStatus.ACTIVE.value,
        ),
    )
    if item.status == LineItemStatus.ACTIVE.value and item.platform_url != resource_link.lineitem_url:
        item.platform_url = resource_link.lineitem_url
    session.flush()
    return item


def _matches(found: dict[str, Any], resource_id: str | None, tag: str | None, link_id: str | None) -> bool:
    if link_id is not None and found.get("resourceLinkId") != link_id:
        return False
    return found.get("resourceId") == resource_id and found.get("tag") == tag


def _client(session: Session, services: GradeServices, course: Course) -> AgsClient:
    if not course.ags_lineitems_url:
        raise LineItemUnavailable(
            "The LMS has not offered its gradebook (AGS line items) to this course yet: open the tool from the "
            "course once as an instructor."
        )
    if SCOPE_LINEITEM not in ags_scopes(course.ags_scopes):
        raise LineItemUnavailable("The LMS does not allow this tool to create gradebook columns in this course.")
    return services.client(session, course.platform_id, course.ags_scopes)


def _platform_call(what: str, call: Any) -> Any:
    try:
        return call()
    except (PlatformAnswer, TokenRefused) as err:
        log.warning("AGS %s failed: %s", what, err)
        raise PlatformUnavailable(f"The LMS refused to {what}: {err}") from err
    except (requests.RequestException, ValueError) as err:
        log.warning("AGS %s failed: %s", what, err)
        raise PlatformUnavailable(f"The LMS could not {what}: {err}") from err


def ensure_line_item(
    session: Session,
    services: GradeServices,
    course: Course,
    *,
    label: str,
    score_maximum: float,
    resource_id: str | None = None,
    tag: str | None = None,
    resource_link: ResourceLink | None = None,
) -> LineItem:
    """The course's line item with this ``resourceId``/``tag``: ours, else the platform's, else a new one.

    Flushes; the caller commits. Raises :class:`LineItemUnavailable` when the course has no line items
    service, :class:`PlatformUnavailable` when the platform fails to answer.
    """
    if not resource_id and not tag:
        raise GradeError("A line item needs a resourceId or a tag to be found again.")
    if not score_maximum or score_maximum <= 0:
        raise GradeError("A line item's maximum score must be above 0.")
    key = item_key(resource_id, tag)
    local = session.execute(
        select(LineItem).where(LineItem.course_id == course.id, LineItem.key == key)
    ).scalar_one_or_none()
    if local is not None and local.platform_url and local.status == LineItemStatus.ACTIVE.value:
        return local

    client = _client(session, services, course)
    lineitems_url = course.ags_lineitems_url or ""
    link_id = resource_link.resource_link_id if resource_link is not None else None
    found = _platform_call(
        "list the gradebook columns",
        lambda: next(
            (
                item
                for item in client.line_items(lineitems_url, resource_id=resource_id or "", tag=tag or "")
                if _matches(item, resource_id, tag, link_id)
            ),
            None,
        ),
    )
    if found is None:
        body: dict[str, Any] = {"label": label, "scoreMaximum": score_maximum}
        if resource_id:
            body["resourceId"] = resource_id
        if tag:
            body["tag"] = tag
        if link_id:
            body["resourceLinkId"] = link_id
        found = _platform_call("create a gradebook column", lambda: client.create_line_item(lineitems_url, body))

    item = local or get_or_create(
        session,
        lambda: session.execute(
            select(LineItem).where(LineItem.course_id == course.id, LineItem.key == key)
        ).scalar_one_or_none(),
        lambda: LineItem(
            course_id=course.id,
            key=key,
            label=label[:400],
            score_maximum=float(score_maximum),
            created_by=LineItemOrigin.TOOL.value,
        ),
    )
    _attach(session, item, found, resource_link)
    return item


def _attach(session: Session, item: LineItem, found: dict[str, Any], resource_link: ResourceLink | None) -> None:
    """Point a local line item at a platform line item and release the results held while it was missing."""
    was_missing = item.status == LineItemStatus.MISSING.value
    item.platform_url = found["id"]
    item.label = str(found.get("label") or item.label)[:400]
    if isinstance(found.get("scoreMaximum"), int | float) and found["scoreMaximum"] > 0:
        item.score_maximum = float(found["scoreMaximum"])
    item.resource_id = found.get("resourceId") if isinstance(found.get("resourceId"), str) else item.resource_id
    item.tag = found.get("tag") if isinstance(found.get("tag"), str) else item.tag
    if resource_link is not None:
        item.resource_link_id = resource_link.id
    item.status = LineItemStatus.ACTIVE.value
    session.flush()
    if was_missing:
        # The new column is empty: every person's latest result goes to it, delivered or not before.
        requeue_line_item(session, item)


def restore_missing(session: Session, services: GradeServices, course: Course) -> int:
    """Recreate the course's line items the platform deleted; their undelivered results go out again.

    Returns how many were recreated. Flushes; the caller commits.
    """
    missing = session.execute(
        select(LineItem).where(LineItem.course_id == course.id, LineItem.status == LineItemStatus.MISSING.value)
    ).scalars()
    restored = 0
    for item in list(missing):
        client = _client(session, services, course)
        link = item.resource_link
        body: dict[str, Any] = {"label": item.label, "scoreMaximum": item.score_maximum}
        if item.resource_id:
            body["resourceId"] = item.resource_id
        if item.tag:
            body["tag"] = item.tag
        if link is not None:
            body["resourceLinkId"] = link.resource_link_id
        lineitems_url = course.ags_lineitems_url or ""
        created = _platform_call("recreate a gradebook column", lambda: client.create_line_item(lineitems_url, body))  # noqa: B023
        item.created_by = LineItemOrigin.TOOL.value
        _attach(session, item, created, link)
        restored += 1
    return restored


def update_on_platform(
    session: Session, services: GradeServices, course: Course, item: LineItem, *, label: str, score_maximum: float
) -> None:
    """Rename a gradebook column or change its maximum on the platform (AGS 2.0 §3.2.6: GET, then PUT the
    whole line item with the new label and ``scoreMaximum``). Flushes; the caller commits.

    A column the platform deleted (or never had) is left alone: it is recreated with the new values.
    Raises :class:`PlatformUnavailable` when the platform refuses or fails to answer.
    """
    if item.status != LineItemStatus.ACTIVE.value or not item.platform_url:
        item.label = label[:400]
        item.score_maximum = float(score_maximum)
        session.flush()
        return
    if item.label == label[:400] and item.score_maximum == float(score_maximum):
        return
    client = _client(session, services, course)
    url = item.platform_url
    current = _platform_call("read the gradebook column", lambda: client.get_line_item(url))
    body = {**current, "label": label[:400], "scoreMaximum": float(score_maximum)}
    _platform_call("change the gradebook column", lambda: client.update_line_item(url, body))
    item.label = label[:400]
    item.score_maximum = float(score_maximum)
    session.flush()


def delete_on_platform(session: Session, services: GradeServices, course: Course, item: LineItem) -> None:
    """Delete a gradebook column the tool created, on the platform and here. Flushes; the caller commits.

    Raises :class:`PlatformUnavailable` when the platform refuses or fails to answer (nothing is deleted).
    """
    if item.platform_url and item.status == LineItemStatus.ACTIVE.value:
        client = _client(session, services, course)
        url = item.platform_url
        _platform_call("delete the gradebook column", lambda: client.delete_line_item(url))
    session.delete(item)
    session.flush()
