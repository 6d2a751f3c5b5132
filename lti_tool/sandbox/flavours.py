"""The three LMS flavours the demo platform imitates, and how each shapes a launch.

Each flavour is its own LTI platform (issuer ``SANDBOX_URL/sandbox/<code>``), so one running demo exercises
multi-tenancy. The differences below are the ones real LMSs show and tools trip over:

Moodle (4.x, ``mod/lti``)
  ``aud`` is a string and there is no ``azp``. Roles are context roles only: editing teachers get
  ``membership#Instructor`` (Moodle sends Instructor or Learner, never TeachingAssistant; a non-editing
  teacher with ``mod/lti:manage`` is an Instructor), and site administrators get ``system/person#Administrator``
  and ``institution/person#Administrator`` with ``Learner`` removed (``lti_get_ims_role``). Locale is Moodle's
  language code (``en``, ``pt_br``). Extra claims: ``…/claim/ext`` {user_username, lms: "moodle-2"} and
  ``…/claim/lis``. Service URLs carry ``?type_id=``, and a line item's URL ends in ``/lineitem``.
  Dynamically registered tools stay pending until an administrator activates them.
Canvas
  ``aud`` is a string, with ``azp``. Roles combine institution, context and system roles
  (``institution/person#Student`` + ``membership#Learner`` + ``system/person#User``). Extra claims:
  ``…/claim/lis``, ``https://www.instructure.com/placement``, ``…/claim/lti11_legacy_user_id``. Locale ``en``.
  Canvas offers the LTI client-side postMessage storage (``lti_storage_target`` at login). One issuer holds
  many client ids (one developer key per institution), so the demo registers two.
Blackboard Learn
  ``aud`` is a list, with ``azp``. Roles mix full URIs with short forms (``Instructor``, ``Learner``) and
  institution roles (``institution/person#Faculty``). ``product_family_code`` is ``BlackboardLearn``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"
TA_SUBROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"

INSTRUCTOR = MEMBERSHIP + "Instructor"
LEARNER = MEMBERSHIP + "Learner"


@dataclass(frozen=True)
class Flavour:
    code: str
    name: str
    platform_name: str
    product_family_code: str
    version: str
    aud_as_list: bool
    sends_azp: bool
    # Canvas answers the LTI client-side postMessage storage messages; the login initiation says where.
    storage_target: str | None = None
    # Moodle keeps dynamically registered tools pending until an administrator activates them.
    registration_pending: bool = False
    # Moodle adds ``?type_id=<tool>`` to its service URLs and ``/lineitem`` to a line item's URL.
    moodle_urls: bool = False
    extra_client_ids: tuple[str, ...] = field(default=())

    @property
    def client_id(self) -> str:
        """The demo tool's primary client id on this platform."""
        return f"mentoring-demo-{self.code}"

    @property
    def deployment_id(self) -> str:
        return f"demo-{self.code}-1"

    def roles(self, course_role: str | None, *, site_admin: bool = False) -> list[str]:
        """LTI roles for a course role (instructor, ta, student) as this LMS sends them."""
        if self.code == "moodle":
            roles = [INSTRUCTOR] if course_role in {"instructor", "ta"} else [LEARNER]
            if site_admin:
                roles = [r for r in roles if r != LEARNER] or [INSTRUCTOR]
                roles += [SYSTEM + "Administrator", INSTITUTION + "Administrator"]
            return roles
        if self.code == "canvas":
            by_role = {
                "instructor": [INSTITUTION + "Instructor", INSTRUCTOR, SYSTEM + "User"],
                "ta": [INSTITUTION + "Instructor", INSTRUCTOR, TA_SUBROLE, SYSTEM + "User"],
                "student": [INSTITUTION + "Student", LEARNER, SYSTEM + "User"],
            }
            roles = list(by_role.get(course_role or "", [SYSTEM + "User"]))
            if site_admin:
                roles += [INSTITUTION + "Administrator", SYSTEM + "SysAdmin"]
            return roles
        by_role = {
            "instructor": ["Instructor", INSTRUCTOR, INSTITUTION + "Faculty", SYSTEM + "User"],
            "ta": ["Instructor", INSTRUCTOR, TA_SUBROLE, INSTITUTION + "Staff", SYSTEM + "User"],
            "student": ["Learner", LEARNER, INSTITUTION + "Student", SYSTEM + "User"],
        }
        roles = list(by_role.get(course_role or "", [SYSTEM + "User"]))
        if site_admin:
            roles += [SYSTEM + "Administrator", INSTITUTION + "Administrator"]
        return roles

    def locale(self, bcp47: str) -> str:
        """The user's locale as this LMS writes it (Moodle: ``pt_br``; others: ``pt-BR``)."""
        if self.code == "moodle":
            return bcp47.replace("-", "_").lower()
        return bcp47


FLAVOURS: dict[str, Flavour] = {
    "moodle": Flavour(
        code="moodle",
        name="Moodle",
        platform_name="Demo Moodle",
        product_family_code="moodle",
        version="2024100700",
        aud_as_list=False,
        sends_azp=False,
        registration_pending=True,
        moodle_urls=True,
    ),
    "canvas": Flavour(
        code="canvas",
        name="Canvas",
        platform_name="Demo Canvas",
        product_family_code="canvas",
        version="cloud",
        aud_as_list=False,
        sends_azp=True,
        storage_target="_parent",
        extra_client_ids=("mentoring-demo-canvas-2",),
    ),
    "blackboard": Flavour(
        code="blackboard",
        name="Blackboard Learn",
        platform_name="Demo Blackboard",
        product_family_code="BlackboardLearn",
        version="3900.96.0",
        aud_as_list=True,
        sends_azp=True,
    ),
}

DEFAULT_FLAVOUR = "moodle"


def issuer_url(sandbox_url: str, flavour: str) -> str:
    return f"{sandbox_url}/sandbox/{flavour}"


def get_flavour(code: str) -> Flavour:
    from .errors import NotFound

    try:
        return FLAVOURS[code]
    except KeyError:
        raise NotFound(f"There is no demo LMS flavour '{code}'; use one of {', '.join(FLAVOURS)}.") from None
