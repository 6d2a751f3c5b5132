"""Tables of the demo LMS (platform side). Every table name starts with ``sandbox_``.

They share the tool's metadata (and so its migrations and ``db.create_all``) but no foreign key crosses
into the tool's tables: the demo LMS talks to the tool only over HTTP, as a real LMS would. State that
every worker process must see (signing keys, issued tokens, used ``jti`` values, fault settings, counters)
lives here too, never in process memory.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..models import Base, UTCDateTime, utcnow

PRIVACY_LEVELS = ("public", "name_only", "email_only", "anonymous")
TOOL_ACTIVE = "active"
TOOL_PENDING = "pending"


class SandboxKey(Base):
    """A platform signing key. ``active_slot`` is 1 for the one signing key and NULL for retired keys.

    The unique constraint on ``active_slot`` makes two workers generating the first key at once safe:
    one insert wins, the other re-reads.
    """

    __tablename__ = "sandbox_key"

    kid: Mapped[str] = mapped_column(String(100), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    active_slot: Mapped[int | None] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SandboxUser(Base):
    __tablename__ = "sandbox_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    sub: Mapped[str] = mapped_column(String(255), unique=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(400))
    email: Mapped[str] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(35), default="en")
    sourcedid: Mapped[str] = mapped_column(String(100))
    is_site_admin: Mapped[bool] = mapped_column(Boolean, default=False)


class SandboxCourse(Base):
    __tablename__ = "sandbox_course"

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(400))
    label: Mapped[str] = mapped_column(String(100))
    # What the platform shares about people (Canvas's privacy levels): public, name_only, email_only, anonymous.
    privacy: Mapped[str] = mapped_column(String(20), default="public")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def shares_names(self) -> bool:
        return self.privacy in {"public", "name_only"}

    @property
    def shares_emails(self) -> bool:
        return self.privacy in {"public", "email_only"}


class SandboxEnrolment(Base):
    __tablename__ = "sandbox_enrolment"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("sandbox_course.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("sandbox_user.id", ondelete="CASCADE"), index=True)
    # instructor, ta or student; each flavour turns it into its own LTI role URIs.
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    course: Mapped[SandboxCourse] = relationship()
    user: Mapped[SandboxUser] = relationship()


class SandboxTool(Base):
    """A tool registered with one flavour: seeded (the demo tool) or by dynamic registration.

    The URL columns are NULL for seeded tools: their URLs follow the tool's ``PUBLIC_URL`` of the moment,
    so the demo keeps working when the server moves to another port.
    """

    __tablename__ = "sandbox_tool"

    id: Mapped[int] = mapped_column(primary_key=True)
    flavour: Mapped[str] = mapped_column(String(20), index=True)
    client_id: Mapped[str] = mapped_column(String(255), unique=True)
    deployment_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=TOOL_ACTIVE)
    seeded: Mapped[bool] = mapped_column(Boolean, default=False)
    initiate_login_uri: Mapped[str | None] = mapped_column(String(1000))
    redirect_uris: Mapped[list | None] = mapped_column(JSON)
    jwks_uri: Mapped[str | None] = mapped_column(String(1000))
    target_link_uri: Mapped[str | None] = mapped_column(String(1000))
    deep_link_uri: Mapped[str | None] = mapped_column(String(1000))
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    custom: Mapped[dict | None] = mapped_column(JSON)
    registration: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def login_url(self, public_url: str) -> str:
        return self.initiate_login_uri or public_url + "/lti/login"

    def launch_url(self, public_url: str) -> str:
        return self.target_link_uri or public_url + "/lti/launch"

    def deep_linking_url(self, public_url: str) -> str:
        return self.deep_link_uri or self.launch_url(public_url)

    def redirect_list(self, public_url: str) -> list[str]:
        return list(self.redirect_uris or [public_url + "/lti/launch"])

    def jwks_url(self, public_url: str) -> str:
        return self.jwks_uri or public_url + "/.well-known/jwks.json"

    def host(self, public_url: str) -> str:
        return urlsplit(self.launch_url(public_url)).netloc.lower()

    @property
    def is_active(self) -> bool:
        return self.status == TOOL_ACTIVE


class SandboxResourceLink(Base):
    """A placement of a tool in a course (an activity), seeded or created by deep linking."""

    __tablename__ = "sandbox_resource_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[str] = mapped_column(String(255), unique=True)
    flavour: Mapped[str] = mapped_column(String(20))
    course_id: Mapped[int] = mapped_column(ForeignKey("sandbox_course.id", ondelete="CASCADE"), index=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("sandbox_tool.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(400))
    text: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(1000))
    custom: Mapped[dict | None] = mapped_column(JSON)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[SandboxCourse] = relationship()
    tool: Mapped[SandboxTool] = relationship()


class SandboxLineItem(Base):
    __tablename__ = "sandbox_line_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    flavour: Mapped[str] = mapped_column(String(20))
    course_id: Mapped[int] = mapped_column(ForeignKey("sandbox_course.id", ondelete="CASCADE"), index=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("sandbox_tool.id", ondelete="CASCADE"), index=True)
    resource_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("sandbox_resource_link.id", ondelete="SET NULL"), index=True
    )
    label: Mapped[str] = mapped_column(String(400))
    score_maximum: Mapped[float] = mapped_column(Float)
    resource_id: Mapped[str | None] = mapped_column(String(255))
    tag: Mapped[str | None] = mapped_column(String(255))
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[SandboxCourse] = relationship()
    tool: Mapped[SandboxTool] = relationship()
    resource_link: Mapped[SandboxResourceLink | None] = relationship()


class SandboxResult(Base):
    """The latest accepted score of one user on one line item (AGS 2.0 result)."""

    __tablename__ = "sandbox_result"
    __table_args__ = (UniqueConstraint("line_item_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("sandbox_line_item.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("sandbox_user.id", ondelete="CASCADE"), index=True)
    score_given: Mapped[float | None] = mapped_column(Float)
    score_maximum: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    activity_progress: Mapped[str] = mapped_column(String(20))
    grading_progress: Mapped[str] = mapped_column(String(20))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[SandboxUser] = relationship()


class SandboxScore(Base):
    """Every score POST received, applied or ignored as stale: the audit trail tests and benchmarks read."""

    __tablename__ = "sandbox_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("sandbox_line_item.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("sandbox_user.id", ondelete="CASCADE"))
    payload: Mapped[dict] = mapped_column(JSON)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    applied: Mapped[bool] = mapped_column(Boolean)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SandboxAccessToken(Base):
    """An OAuth2 access token issued at the token endpoint; only its SHA-256 is stored."""

    __tablename__ = "sandbox_access_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("sandbox_tool.id", ondelete="CASCADE"), index=True)
    scopes: Mapped[list] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tool: Mapped[SandboxTool] = relationship()


class SandboxUsedValue(Base):
    """Single-use values: client-assertion ``jti`` and deep linking response ``nonce`` (replay protection)."""

    __tablename__ = "sandbox_used_value"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SandboxRegistrationToken(Base):
    """A dynamic registration token (Dynamic Registration 1.0 §3.3); only its SHA-256 is stored."""

    __tablename__ = "sandbox_registration_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    flavour: Mapped[str] = mapped_column(String(20))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SandboxFault(Base):
    """Fault injection for the token, NRPS and AGS endpoints (one row, id 1), seen by every worker."""

    __tablename__ = "sandbox_fault"

    id: Mapped[int] = mapped_column(primary_key=True)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    fail_rate: Mapped[float] = mapped_column(Float, default=0.0)
    fail_next: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[int] = mapped_column(Integer, default=503)
    retry_after: Mapped[int | None] = mapped_column(Integer)
    drop_rate: Mapped[float] = mapped_column(Float, default=0.0)
    endpoints: Mapped[list] = mapped_column(JSON, default=list)


class SandboxCounter(Base):
    __tablename__ = "sandbox_counter"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class SandboxMail(Base):
    """An email the tool "sent" in the demo; the mailbox page shows them."""

    __tablename__ = "sandbox_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column("to_address", String(320), index=True)
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
