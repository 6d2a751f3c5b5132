"""Every URL the demo LMS publishes, built from ``SANDBOX_URL`` (never from the request's host)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from .flavours import FLAVOURS, issuer_url


def _type_id(flavour: str, tool_id: int | None) -> str:
    """Moodle appends ``?type_id=<tool type>`` to its service URLs; tools must keep the query string."""
    if FLAVOURS[flavour].moodle_urls and tool_id is not None:
        return "?" + urlencode({"type_id": tool_id})
    return ""


def issuer(sandbox_url: str, flavour: str) -> str:
    return issuer_url(sandbox_url, flavour)


def auth(sandbox_url: str, flavour: str) -> str:
    return issuer_url(sandbox_url, flavour) + "/auth"


def token(sandbox_url: str, flavour: str) -> str:
    return issuer_url(sandbox_url, flavour) + "/token"


def jwks(sandbox_url: str) -> str:
    return sandbox_url + "/sandbox/jwks"


def openid_configuration(sandbox_url: str, flavour: str) -> str:
    return issuer_url(sandbox_url, flavour) + "/.well-known/openid-configuration"


def registration_endpoint(sandbox_url: str, flavour: str) -> str:
    return issuer_url(sandbox_url, flavour) + "/register"


def deep_link_return(sandbox_url: str, flavour: str) -> str:
    return issuer_url(sandbox_url, flavour) + "/deep-link-return"


def course_page(sandbox_url: str, flavour: str, context_id: str) -> str:
    return sandbox_url + "/sandbox/?" + urlencode({"flavour": flavour, "context": context_id})


def nrps(sandbox_url: str, flavour: str, context_id: str, tool_id: int | None = None) -> str:
    return f"{issuer_url(sandbox_url, flavour)}/nrps/{quote(context_id, safe='')}" + _type_id(flavour, tool_id)


def lineitems(sandbox_url: str, flavour: str, context_id: str, tool_id: int | None = None) -> str:
    base = f"{issuer_url(sandbox_url, flavour)}/ags/{quote(context_id, safe='')}/lineitems"
    return base + _type_id(flavour, tool_id)


def lineitem(sandbox_url: str, flavour: str, context_id: str, item_id: int, tool_id: int | None = None) -> str:
    base = f"{issuer_url(sandbox_url, flavour)}/ags/{quote(context_id, safe='')}/lineitems/{item_id}"
    if FLAVOURS[flavour].moodle_urls:
        base += "/lineitem"
    return base + _type_id(flavour, tool_id)


def result(sandbox_url: str, flavour: str, context_id: str, item_id: int, user_sub: str) -> str:
    base = f"{issuer_url(sandbox_url, flavour)}/ags/{quote(context_id, safe='')}/lineitems/{item_id}"
    return base + "/results?" + urlencode({"user_id": user_sub})


def picture(sandbox_url: str) -> str:
    return sandbox_url + "/sandbox/static/avatar.svg"
