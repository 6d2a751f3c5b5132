"""Typed SQLAlchemy 2 models. No Flask imports here: jobs and domain services use them directly."""

from .base import Base, UTCDateTime, utcnow
from .course import Course, Membership, Person, ResourceLink
from .launch_store import LaunchValue
from .tenancy import Deployment, Platform

__all__ = [
    "Base",
    "Course",
    "Deployment",
    "LaunchValue",
    "Membership",
    "Person",
    "Platform",
    "ResourceLink",
    "UTCDateTime",
    "utcnow",
]
