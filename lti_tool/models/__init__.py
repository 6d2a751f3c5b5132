"""Typed SQLAlchemy 2 models. No Flask imports here: jobs and domain services use them directly."""

from .activities import ActivityKind, ActivitySource, GradableActivity, ScoringRule
from .base import Base, UTCDateTime, utcnow
from .course import Course, Membership, Person, ResourceLink
from .dashboard import DashboardSettings
from .discussions import (
    DiscussionSettings,
    ForumTopic,
    GroundRulesAcceptance,
    GroundRulesVersion,
    ModerationLog,
    Post,
    PostReport,
    PostRevision,
    Thread,
    ThreadReadMarker,
)
from .evaluations import (
    EvaluationCheckpoint,
    EvaluationInstrument,
    EvaluationInstrumentVersion,
    EvaluationResponse,
)
from .goals import Goal, GoalComment, GoalMilestone, GoalUpdate
from .grades import GradeOutbox, GradeResult, LineItem, LineItemOrigin, LineItemStatus, OutboxStatus
from .jobs import Job, JobStatus
from .launch_store import LaunchValue
from .meetings import CalendarFeed, Meeting, MeetingOccurrence
from .mentorships import MatchRun, Mentorship, ProposedPair, SwitchRequest
from .notifications import NotificationOutbox, NotificationPreference, NotificationSettings
from .programs import Participant, Program
from .prompts import PromptCommitment, PromptProgress, PromptSet, WeeklyPrompt
from .resources import ResourceItem, ResourceLibrary
from .tenancy import Deployment, Platform

__all__ = [
    "ActivityKind",
    "ActivitySource",
    "GradableActivity",
    "ScoringRule",
    "Base",
    "CalendarFeed",
    "Goal",
    "GoalComment",
    "GoalMilestone",
    "GoalUpdate",
    "Meeting",
    "MeetingOccurrence",
    "Course",
    "DashboardSettings",
    "Deployment",
    "DiscussionSettings",
    "EvaluationCheckpoint",
    "EvaluationInstrument",
    "EvaluationInstrumentVersion",
    "EvaluationResponse",
    "ForumTopic",
    "GradeOutbox",
    "GradeResult",
    "GroundRulesAcceptance",
    "GroundRulesVersion",
    "Job",
    "JobStatus",
    "LaunchValue",
    "LineItem",
    "LineItemOrigin",
    "LineItemStatus",
    "MatchRun",
    "Membership",
    "Mentorship",
    "SwitchRequest",
    "ModerationLog",
    "OutboxStatus",
    "Participant",
    "Person",
    "Platform",
    "Post",
    "PostReport",
    "PostRevision",
    "NotificationOutbox",
    "NotificationPreference",
    "NotificationSettings",
    "Program",
    "PromptCommitment",
    "PromptProgress",
    "PromptSet",
    "ProposedPair",
    "ResourceItem",
    "ResourceLibrary",
    "ResourceLink",
    "Thread",
    "ThreadReadMarker",
    "UTCDateTime",
    "WeeklyPrompt",
    "utcnow",
]
