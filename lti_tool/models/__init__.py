"""Typed SQLAlchemy 2 models. No Flask imports here: jobs and domain services use them directly."""

from .base import Base, UTCDateTime, utcnow
from .course import Course, Membership, Person, ResourceLink
from .jobs import Job, JobStatus
from .launch_store import LaunchValue
from .programs import Participant, Program
from .tenancy import Deployment, Platform

__all__ = [
    "Base",
    "Course",
    "Deployment",
    "Job",
    "JobStatus",
    "LaunchValue",
    "Membership",
    "Participant",
    "Person",
    "Platform",
    "Program",
    "ResourceLink",
    "UTCDateTime",
    "utcnow",
]
