"""Short-lived values for the LTI handshake (state, nonces, launch data) when Redis is not configured.

Shared by every worker process through the database, never process memory. Expired rows are ignored on
read and swept on write.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class LaunchValue(Base):
    __tablename__ = "launch_value"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
