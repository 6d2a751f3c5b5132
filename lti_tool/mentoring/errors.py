"""The root of every domain error: a stable ``code`` for the web layer and an English ``message``."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"
    message = "The request could not be carried out."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
