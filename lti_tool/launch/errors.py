"""Why a login or launch was refused, in words an LMS administrator can act on.

Every refusal is a 4xx: 400 for a malformed request, 401 when the token cannot be trusted, 403 when a
trusted platform is not allowed to launch here. Messages are marked for translation by the view layer.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for extraction; the error page translates it in the user's locale."""
    return message


class LaunchError(Exception):
    status = 400
    code = "launch_error"
    message = N_("The launch could not be completed.")
    hint = N_("Open the tool again from your course. If it keeps failing, give this page to your LMS administrator.")

    def __init__(self, message: str | None = None, *, hint: str | None = None, detail: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.hint = hint or self.hint
        self.detail = detail


class BadLaunchRequest(LaunchError):
    code = "bad_request"
    message = N_("The LMS sent an incomplete LTI request.")


class UnknownPlatform(LaunchError):
    status = 403
    code = "unknown_platform"
    message = N_("This LMS is not registered with Mentoring Space.")
    hint = N_(
        "An administrator must register the tool first: use dynamic registration (paste the tool's "
        "registration URL into the LMS) or `flask platforms add`. Check that the issuer and client ID match."
    )


class DisabledPlatform(UnknownPlatform):
    code = "platform_disabled"
    message = N_("This LMS registration has been disabled in Mentoring Space.")
    hint = N_("Ask the Mentoring Space administrator to enable it again (`flask platforms enable`).")


class UnknownDeployment(LaunchError):
    status = 403
    code = "unknown_deployment"
    message = N_("This deployment of the tool is not registered.")
    hint = N_("Add the deployment ID shown in the LMS with `flask platforms add-deployment`.")


class InvalidState(LaunchError):
    status = 401
    code = "invalid_state"
    message = N_("The login state is missing, expired or was already used.")
    hint = N_("Open the tool again from your course; each launch link works once and for a few minutes.")


class InvalidToken(LaunchError):
    status = 401
    code = "invalid_token"
    message = N_("The LMS sent a launch token that could not be trusted.")


class ReplayedToken(InvalidToken):
    code = "replayed_token"
    message = N_("This launch token was already used.")
    hint = N_("Open the tool again from your course: a launch cannot be replayed (for example with the Back button).")


class InvalidClaims(LaunchError):
    status = 400
    code = "invalid_claims"
    message = N_("The launch token is missing information the LTI 1.3 specification requires.")


class ForbiddenTarget(LaunchError):
    status = 400
    code = "forbidden_target"
    message = N_("The launch asked to open an address outside Mentoring Space.")
    hint = N_("Check the tool's Target link URI in the LMS: it must be an address on this tool's own host.")


class RegistrationError(LaunchError):
    status = 400
    code = "registration_error"
    message = N_("Dynamic registration could not be completed.")
