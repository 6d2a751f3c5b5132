"""The roster sync as a job: build the NRPS client from the course's registration, run the domain
service, report progress. Also what views and the launch call: start a sync, the first sync of a course,
and the sync status the People page shows.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..extensions import db
from ..grades.connector import SharedTokenServiceConnector
from ..jobs import JobContext, JobFailure, enqueue, fail_if_abandoned, job
from ..launch.services import USER_AGENT, keyring, launch_store
from ..launch.tool_config import DatabaseToolConf
from ..models import Course, Job, JobStatus, Membership
from .nrps import TimeoutSession, nrps_pages
from .service import N_, RosterCounts, RosterError, sync_roster

log = logging.getLogger(__name__)

KIND = "roster.sync"

MSG_NO_COURSE = N_("This course no longer exists in Mentoring Space.")
MSG_PLATFORM_DISABLED = N_("The LMS registration of this course is disabled, so its roster cannot be read.")
MSG_NO_NRPS = N_(
    "The LMS has not given Mentoring Space a roster link (Names and Roles service) for this course. "
    "Open Mentoring Space from the course once more; if this persists, allow the Names and Roles service "
    "for the tool in the LMS."
)
MSG_READING = N_("Reading the roster: %(members)s members so far (page %(pages)s)…")
MSG_SYNCED = N_("Roster synced: %(active)s active members, %(left)s who left the course, %(added)s new.")


def connector_for(session: Session, course: Course) -> SharedTokenServiceConnector:
    """pylti1p3's service connector for the course's registration, sharing access tokens via the store."""
    registration = DatabaseToolConf(session, keyring()).registration_for(course.platform)
    http = TimeoutSession(float(current_app.config.get("ROSTER_HTTP_TIMEOUT", 30)), USER_AGENT)
    return SharedTokenServiceConnector(registration, launch_store(), http)


@job(KIND, unique_per_course=True)
def sync_course_roster(ctx: JobContext) -> dict[str, Any]:
    """Job ``roster.sync``: read the course's NRPS roster and apply it (see :mod:`lti_tool.roster.service`)."""
    course = ctx.session.execute(
        select(Course).options(joinedload(Course.platform)).where(Course.id == ctx.course_id)
    ).scalar_one_or_none()
    if course is None:
        raise JobFailure(MSG_NO_COURSE)
    if not course.platform.is_active:
        raise JobFailure(MSG_PLATFORM_DISABLED)
    if not course.nrps_url:
        raise JobFailure(MSG_NO_NRPS, detail=f"course {course.id} has no nrps_url")
    connector = connector_for(ctx.session, course)
    page_size = int(ctx.config.get("ROSTER_PAGE_SIZE", 100))
    started = time.monotonic()

    def progress(counts: RosterCounts) -> None:
        ctx.progress(counts.members, None, MSG_READING, members=counts.members, pages=counts.pages)

    try:
        counts = sync_roster(ctx.session, course, nrps_pages(connector, course.nrps_url, page_size), progress)
    except RosterError as err:
        raise JobFailure(err.message, detail=err.detail, **err.params) from err
    seconds = round(time.monotonic() - started, 3)
    ctx.progress(counts.members, counts.members)
    left = counts.inactive + counts.missing
    ctx.finish_message(MSG_SYNCED, active=counts.active, left=left, added=counts.added)
    log.info("roster of course %s synced in %.2fs: %s", course.id, seconds, counts.as_dict())
    return {**counts.as_dict(), "left": left, "seconds": seconds}


def request_sync(course: Course, created_by: int | None = None) -> Job:
    """Start a roster sync of ``course`` (or return the one already queued or running). Commits."""
    return enqueue(KIND, course.id, created_by=created_by)


def sync_if_never_synced(course: Course, membership: Membership) -> Job | None:
    """After a coordinator's launch: the first roster sync of a course that never had one.

    Costs one indexed query per coordinator launch; students' launches cost nothing. A failure here is
    logged and never spoils the launch.
    """
    if membership.program_role != "coordinator" or not course.nrps_url:
        return None
    if not current_app.config.get("ROSTER_SYNC_ON_LAUNCH", True):
        return None
    try:
        attempted = db.session.execute(
            select(Job.id).where(Job.course_id == course.id, Job.kind == KIND).limit(1)
        ).first()
        if attempted is not None:
            return None
        return request_sync(course, created_by=membership.person_id)
    except Exception:
        log.exception("could not start the first roster sync of course %s", course.id)
        db.session.rollback()
        return None


@dataclass(frozen=True)
class SyncStatus:
    """What the People page says about the roster: the sync in progress (or the last one, if it failed),
    and the last successful one."""

    current: Job | None
    last_success: Job | None

    @property
    def running(self) -> bool:
        return self.current is not None and self.current.is_active


def sync_status(session: Session, course_id: int) -> SyncStatus:
    latest = session.execute(
        select(Job).where(Job.course_id == course_id, Job.kind == KIND).order_by(Job.id.desc()).limit(1)
    ).scalar_one_or_none()
    if latest is not None:
        latest = fail_if_abandoned(session, latest)
    success = (
        latest
        if latest is not None and latest.status == JobStatus.SUCCEEDED.value
        else session.execute(
            select(Job)
            .where(Job.course_id == course_id, Job.kind == KIND, Job.status == JobStatus.SUCCEEDED.value)
            .order_by(Job.id.desc())
            .limit(1)
        ).scalar_one_or_none()
    )
    current = latest if latest is not None and latest is not success else None
    return SyncStatus(current=current, last_success=success)
