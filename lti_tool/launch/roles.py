"""Map LTI roles to the program roles of a mentoring space.

LTI 1.3 (Core §A.2) defines context roles (``…/membership#Instructor``), institution roles
(``…/institution/person#Faculty``) and system roles (``…/system/person#Administrator``), plus sub-roles
(``…/membership/Instructor#TeachingAssistant``). Platforms still send short forms: Blackboard and older
Moodle send ``Instructor`` or ``Learner`` alone, some send the LTI 1.1 ``urn:lti:role:ims/lis/…`` URNs.
Only context roles decide the role inside a course; an institution Administrator (Moodle sends it for site
admins) is a coordinator too, because that person can configure the course anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class ProgramRole(StrEnum):
    COORDINATOR = "coordinator"
    PARTICIPANT = "participant"
    OBSERVER = "observer"


_CONTEXT_NS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
_CONTEXT_SUB_NS = "http://purl.imsglobal.org/vocab/lis/v2/membership/"
_INSTITUTION_NS = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
_SYSTEM_NS = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"
_LTI11_NS = ("urn:lti:role:ims/lis/", "urn:lti:instrole:ims/lis/", "urn:lti:sysrole:ims/lis/")

COORDINATOR_ROLES = {"Instructor", "TeachingAssistant", "ContentDeveloper", "Administrator", "Manager"}
PARTICIPANT_ROLES = {"Learner", "Student"}
OBSERVER_ROLES = {"Mentor", "Observer", "Guest", "Member", "Alumni", "Prospective"}


def role_name(role: str) -> tuple[str, str]:
    """Split a role into (scope, short name); scope is context, institution, system or unknown."""
    role = role.strip()
    if role.startswith(_CONTEXT_NS):
        return "context", role[len(_CONTEXT_NS) :]
    if role.startswith(_CONTEXT_SUB_NS):
        # …/membership/Instructor#TeachingAssistant → the sub-role names the function
        return "context", role.rsplit("#", 1)[-1]
    if role.startswith(_INSTITUTION_NS):
        return "institution", role[len(_INSTITUTION_NS) :]
    if role.startswith(_SYSTEM_NS):
        return "system", role[len(_SYSTEM_NS) :]
    for prefix in _LTI11_NS:
        if role.startswith(prefix):
            tail = role[len(prefix) :]
            scope = "context" if prefix == "urn:lti:role:ims/lis/" else "institution"
            return scope, tail.split("/")[-1]
    if "#" not in role and "/" not in role and ":" not in role:
        # A bare short name ("Instructor") is a context role (LTI 1.3 Core §A.2.3.1 allows it).
        return "context", role
    return "unknown", role.rsplit("#", 1)[-1]


def program_role(roles: Iterable[str]) -> ProgramRole:
    """The strongest program role any of ``roles`` grants; observer when nothing is recognised."""
    names = [role_name(r) for r in roles if isinstance(r, str)]
    context = {name for scope, name in names if scope == "context"}
    institution = {name for scope, name in names if scope in {"institution", "system"}}
    if context & COORDINATOR_ROLES or "Administrator" in institution:
        return ProgramRole.COORDINATOR
    if context & PARTICIPANT_ROLES:
        return ProgramRole.PARTICIPANT
    if not context and institution & {"Student", "Learner"}:
        # Some platforms omit context roles on a course launch for students; treat as participant.
        return ProgramRole.PARTICIPANT
    return ProgramRole.OBSERVER
