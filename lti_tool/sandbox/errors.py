"""Errors of the demo LMS, each with an HTTP status and an OAuth-style error code.

Service endpoints (token, AGS, NRPS, registration) answer them as JSON ``{"error", "error_description"}``;
pages render them. One root class, mapped to a response in one place (:mod:`lti_tool.sandbox.views`).
"""

from __future__ import annotations


class SandboxError(Exception):
    status = 400
    error = "invalid_request"
    description = "The request to the demo LMS is not valid."

    def __init__(self, description: str | None = None, *, error: str | None = None, status: int | None = None):
        super().__init__(description or self.description)
        self.description = description or self.description
        if error:
            self.error = error
        if status:
            self.status = status
        self.headers: dict[str, str] = {}


class NotFound(SandboxError):
    status = 404
    error = "not_found"
    description = "Not found in the demo LMS."


class Unauthorized(SandboxError):
    """A missing or invalid bearer token (RFC 6750 §3.1)."""

    status = 401
    error = "invalid_token"
    description = "A valid bearer access token is required."

    def __init__(self, description: str | None = None, *, error: str | None = None, status: int | None = None):
        super().__init__(description, error=error, status=status)
        self.headers["WWW-Authenticate"] = f'Bearer error="{self.error}"'


class InsufficientScope(SandboxError):
    """The token lacks the scope this endpoint needs (RFC 6750 §3.1)."""

    status = 403
    error = "insufficient_scope"
    description = "The access token does not grant the scope this endpoint requires."


class OAuthError(SandboxError):
    """A token request refused per RFC 6749 §5.2 (``invalid_client`` is a 401)."""


class UnsupportedMediaType(SandboxError):
    status = 415
    error = "unsupported_media_type"


class AuthRequestError(SandboxError):
    """An OIDC authentication request refused (OIDC Core §3.1.2.6).

    When ``redirect_uri`` is trusted the error goes back to the tool with ``state``; otherwise the demo LMS
    shows it on a page, as OIDC requires for an untrusted redirect URI.
    """

    def __init__(
        self,
        description: str,
        *,
        error: str = "invalid_request",
        redirect_uri: str | None = None,
        state: str | None = None,
        status: int = 400,
    ):
        super().__init__(description, error=error, status=status)
        self.redirect_uri = redirect_uri
        self.state = state


class ToolPending(SandboxError):
    """Moodle keeps a dynamically registered tool pending until a site administrator activates it."""

    status = 403
    error = "tool_pending"
    description = (
        "This tool was registered but is still pending: a site administrator must activate it on the "
        "LTI tools page before it can be launched."
    )
