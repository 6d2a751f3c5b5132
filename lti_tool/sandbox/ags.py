"""Assignment and Grade Services 2.0 (platform side): line items, scores and results.

A tool sees and changes only its own line items (those it created, by AGS or deep linking). Scores follow
AGS 2.0 §3.4: ``userId``, ``activityProgress``, ``gradingProgress`` and ``timestamp`` are required, and
``scoreMaximum`` must accompany ``scoreGiven``. The spec says a platform MUST NOT update a result whose
recorded timestamp is later than the incoming one and MAY when they are equal; the demo ignores equal
timestamps too, so a retried score is idempotent. Ignored scores still get a 200, as the spec expects,
with ``X-Sandbox-Score-Status: ignored-stale`` so tests can tell.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import utcnow
from . import urls
from .directory import resource_link
from .errors import NotFound, SandboxError
from .models import (
    SandboxCourse,
    SandboxEnrolment,
    SandboxLineItem,
    SandboxResult,
    SandboxScore,
    SandboxTool,
    SandboxUser,
)
from .nrps import Page, next_link, paging

LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"

ACTIVITY_PROGRESS = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING_PROGRESS = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_timestamp(value: Any, name: str) -> datetime:
    """An ISO 8601 date-time with a UTC offset (sub-second precision kept to the microsecond)."""
    if not isinstance(value, str) or not value:
        raise SandboxError(f"'{name}' must be an ISO 8601 date-time string.")
    try:
        parsed = datetime.fromisoformat(_LONG_FRACTION.sub(r"\1", value.strip()))
    except ValueError as err:
        raise SandboxError(f"'{name}' is not an ISO 8601 date-time: {value!r}.") from err
    if parsed.tzinfo is None:
        raise SandboxError(f"'{name}' must include a UTC offset (e.g. 2026-05-01T12:00:00.123Z).")
    return parsed


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _number(value: Any, name: str, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SandboxError(f"'{name}' must be a number.")
    if value < 0 or (positive and value == 0):
        raise SandboxError(f"'{name}' must be {'greater than 0' if positive else 'at least 0'}.")
    return float(value)


def _optional_str(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise SandboxError(f"'{name}' must be a string.")
    return value


def lineitem_json(item: SandboxLineItem, sandbox_url: str) -> dict[str, Any]:
    """A line item as AGS 2.0 §3.2 represents it."""
    body: dict[str, Any] = {
        "id": urls.lineitem(sandbox_url, item.flavour, item.course.context_id, item.id, item.tool_id),
        "label": item.label,
        "scoreMaximum": item.score_maximum,
    }
    if item.resource_id is not None:
        body["resourceId"] = item.resource_id
    if item.tag is not None:
        body["tag"] = item.tag
    if item.resource_link is not None:
        body["resourceLinkId"] = item.resource_link.link_id
    if item.start_at:
        body["startDateTime"] = _iso(item.start_at)
    if item.end_at:
        body["endDateTime"] = _iso(item.end_at)
    return body


def _apply_lineitem(
    session: Session,
    item: SandboxLineItem,
    data: dict[str, Any],
    *,
    flavour: str,
    course: SandboxCourse,
    tool: SandboxTool,
) -> None:
    label = data.get("label")
    if not isinstance(label, str) or not label.strip():
        raise SandboxError("'label' is required and must be a non-empty string.")
    if "scoreMaximum" not in data:
        raise SandboxError("'scoreMaximum' is required.")
    item.label = label.strip()[:400]
    item.score_maximum = _number(data["scoreMaximum"], "scoreMaximum", positive=True)
    item.resource_id = _optional_str(data, "resourceId")
    item.tag = _optional_str(data, "tag")
    link_id = _optional_str(data, "resourceLinkId")
    if link_id:
        link = resource_link(session, flavour, course, link_id)
        if link.tool_id != tool.id:
            raise SandboxError("'resourceLinkId' names a placement of another tool.")
        item.resource_link_id = link.id
    else:
        item.resource_link_id = None
    item.start_at = parse_timestamp(data["startDateTime"], "startDateTime") if data.get("startDateTime") else None
    item.end_at = parse_timestamp(data["endDateTime"], "endDateTime") if data.get("endDateTime") else None


def create_lineitem(
    session: Session, data: dict[str, Any], *, flavour: str, course: SandboxCourse, tool: SandboxTool
) -> SandboxLineItem:
    """Create a line item (AGS 2.0 §3.2.5 POST to the line items URL). Flushes; the caller commits."""
    item = SandboxLineItem(flavour=flavour, course_id=course.id, tool_id=tool.id)
    _apply_lineitem(session, item, data, flavour=flavour, course=course, tool=tool)
    session.add(item)
    session.flush()
    return item


def update_lineitem(
    session: Session, item: SandboxLineItem, data: dict[str, Any], *, course: SandboxCourse, tool: SandboxTool
) -> SandboxLineItem:
    """Replace a line item's fields (AGS 2.0 §3.2.6 PUT)."""
    _apply_lineitem(session, item, data, flavour=item.flavour, course=course, tool=tool)
    session.flush()
    return item


def get_lineitem(
    session: Session, item_id: int, *, flavour: str, course: SandboxCourse, tool: SandboxTool
) -> SandboxLineItem:
    """The line item, if it belongs to this course, this LMS and this tool; 404 otherwise."""
    item = session.get(SandboxLineItem, item_id)
    if item is None or item.flavour != flavour or item.course_id != course.id or item.tool_id != tool.id:
        raise NotFound(f"Line item {item_id} does not exist in {course.context_id} for this tool.")
    return item


def list_lineitems(
    session: Session,
    args: dict[str, str],
    *,
    flavour: str,
    course: SandboxCourse,
    tool: SandboxTool,
    sandbox_url: str,
) -> Page:
    """The tool's line items in a course, filtered by ``resource_link_id``, ``resource_id`` and ``tag``
    (AGS 2.0 §3.2.4), paged with ``limit`` and a ``rel="next"`` link."""
    limit, page = paging(args)
    query = select(SandboxLineItem).where(
        SandboxLineItem.flavour == flavour, SandboxLineItem.course_id == course.id, SandboxLineItem.tool_id == tool.id
    )
    if args.get("resource_link_id"):
        link = resource_link(session, flavour, course, args["resource_link_id"])
        query = query.where(SandboxLineItem.resource_link_id == link.id)
    if args.get("resource_id"):
        query = query.where(SandboxLineItem.resource_id == args["resource_id"])
    if args.get("tag"):
        query = query.where(SandboxLineItem.tag == args["tag"])
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    items = session.execute(query.order_by(SandboxLineItem.id).limit(limit).offset((page - 1) * limit)).scalars()
    base = urls.lineitems(sandbox_url, flavour, course.context_id).split("?")[0]
    more = page * limit < total
    body = [lineitem_json(i, sandbox_url) for i in items]
    return Page(body=body, next_url=next_link(base, args, page) if more else None)


def post_score(session: Session, item: SandboxLineItem, data: dict[str, Any]) -> bool:
    """Record a score (AGS 2.0 §3.4). Returns False when it was ignored as not newer than the stored one.

    The comparison happens in one conditional UPDATE (``WHERE timestamp < :new``), so concurrent posts
    for the same user cannot overwrite a newer score whatever their arrival order.
    """
    user_id = data.get("userId")
    if not isinstance(user_id, str) or not user_id:
        raise SandboxError("'userId' is required.")
    activity = data.get("activityProgress")
    if activity not in ACTIVITY_PROGRESS:
        raise SandboxError("'activityProgress' must be one of " + ", ".join(sorted(ACTIVITY_PROGRESS)) + ".")
    grading = data.get("gradingProgress")
    if grading not in GRADING_PROGRESS:
        raise SandboxError("'gradingProgress' must be one of " + ", ".join(sorted(GRADING_PROGRESS)) + ".")
    if "timestamp" not in data:
        raise SandboxError("'timestamp' is required (AGS 2.0 §3.4.7).")
    timestamp = parse_timestamp(data["timestamp"], "timestamp")
    score_given = score_maximum = None
    if data.get("scoreGiven") is not None:
        score_given = _number(data["scoreGiven"], "scoreGiven", positive=False)
        if data.get("scoreMaximum") is None:
            raise SandboxError("'scoreMaximum' is required when 'scoreGiven' is present.")
        score_maximum = _number(data["scoreMaximum"], "scoreMaximum", positive=True)
    comment = _optional_str(data, "comment")

    user = session.execute(
        select(SandboxUser)
        .join(SandboxEnrolment, SandboxEnrolment.user_id == SandboxUser.id)
        .where(SandboxUser.sub == user_id, SandboxEnrolment.course_id == item.course_id)
    ).scalar_one_or_none()
    if user is None:
        raise SandboxError(
            f"userId '{user_id}' is not a member of this course: the LMS does not know this student here.",
            error="unknown_user",
        )
    values = {
        "score_given": score_given,
        "score_maximum": score_maximum,
        "comment": comment,
        "activity_progress": activity,
        "grading_progress": grading,
        "timestamp": timestamp,
        "updated_at": utcnow(),
    }
    applied = _upsert(session, item.id, user.id, values)
    if applied is None:  # neither SQLite nor PostgreSQL: update if newer, else insert
        applied = _conditional_update(session, item.id, user.id, values)
        if not applied and not _exists(session, item.id, user.id):
            try:
                with session.begin_nested():
                    session.add(SandboxResult(line_item_id=item.id, user_id=user.id, **values))
                    session.flush()
                applied = True
            except IntegrityError:
                applied = _conditional_update(session, item.id, user.id, values)
    session.add(SandboxScore(line_item_id=item.id, user_id=user.id, payload=data, timestamp=timestamp, applied=applied))
    return applied


def _upsert(session: Session, item_id: int, user_id: int, values: dict[str, Any]) -> bool | None:
    """Insert the result, or update it only if this score is newer, in one statement (SQLite, PostgreSQL).

    ``None`` on another database: the caller then updates conditionally and inserts. One statement keeps
    the write lock short, which is what limits how many scores per second the demo LMS takes.
    """
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return None
    make = sqlite_insert if dialect == "sqlite" else pg_insert
    insert: Any = make(SandboxResult).values(line_item_id=item_id, user_id=user_id, **values)
    statement = insert.on_conflict_do_update(
        index_elements=[SandboxResult.line_item_id, SandboxResult.user_id],
        set_={name: insert.excluded[name] for name in values},
        where=SandboxResult.timestamp < insert.excluded.timestamp,
    )
    # A row comes back when the score was inserted or applied, none when the WHERE kept a newer one
    # (RETURNING, not rowcount: drivers disagree on rowcount for upserts).
    return session.execute(statement.returning(SandboxResult.id)).first() is not None


def _conditional_update(session: Session, item_id: int, user_id: int, values: dict[str, Any]) -> bool:
    done = session.execute(
        update(SandboxResult)
        .where(
            SandboxResult.line_item_id == item_id,
            SandboxResult.user_id == user_id,
            SandboxResult.timestamp < values["timestamp"],
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0))


def _exists(session: Session, item_id: int, user_id: int) -> bool:
    return (
        session.execute(
            select(SandboxResult.id).where(SandboxResult.line_item_id == item_id, SandboxResult.user_id == user_id)
        ).first()
        is not None
    )


def results(session: Session, item: SandboxLineItem, args: dict[str, str], *, sandbox_url: str) -> Page:
    """Results of a line item (AGS 2.0 §3.3), optionally for one ``user_id``, paged.

    Scores are reported scaled to the line item's ``scoreMaximum``, as Moodle does.
    """
    limit, page = paging(args)
    query = (
        select(SandboxResult, SandboxUser)
        .join(SandboxUser, SandboxUser.id == SandboxResult.user_id)
        .where(SandboxResult.line_item_id == item.id)
    )
    if args.get("user_id"):
        query = query.where(SandboxUser.sub == args["user_id"])
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(SandboxResult.id).limit(limit).offset((page - 1) * limit)).all()
    context_id = item.course.context_id
    lineitem_url = urls.lineitem(sandbox_url, item.flavour, context_id, item.id, item.tool_id)
    body = []
    for result, user in rows:
        entry: dict[str, Any] = {
            "id": urls.result(sandbox_url, item.flavour, context_id, item.id, user.sub),
            "scoreOf": lineitem_url,
            "userId": user.sub,
            "resultMaximum": item.score_maximum,
        }
        if result.score_given is not None and result.score_maximum:
            entry["resultScore"] = round(result.score_given / result.score_maximum * item.score_maximum, 6)
        if result.comment:
            entry["comment"] = result.comment
        body.append(entry)
    base = lineitem_url.split("?")[0] + "/results"
    more = page * limit < total
    return Page(body=body, next_url=next_link(base, args, page) if more else None)
