"""Typed SQLAlchemy 2 models. No Flask imports here: jobs and domain services use them directly."""

from .base import Base, UTCDateTime, utcnow
from .course import Course, Membership, Person, ResourceLink
from .grades import GradeOutbox, GradeResult, LineItem, LineItemOrigin, LineItemStatus, OutboxStatus
from .jobs import Job, JobStatus
from .launch_store import LaunchValue
from .programs import Participant, Program
from .tenancy import Deployment, Platform

__all__ = [
    "Base",
    "Course",
    "Deployment",
    "GradeOutbox",
    "GradeResult",
    "Job",
    "JobStatus",
    "LaunchValue",
    "LineItem",
    "LineItemOrigin",
    "LineItemStatus",
    "Membership",
    "OutboxStatus",
    "Participant",
    "Person",
    "Platform",
    "Program",
    "ResourceLink",
    "UTCDateTime",
    "utcnow",
]
