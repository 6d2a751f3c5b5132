"""Demo data: people, the "Mentoring 101" course, the demo tool on every flavour, and the tool-side
registrations (``Platform`` + ``Deployment``) that let the tool accept launches from the demo LMS.

Everything is idempotent and safe when several workers seed at once: rows are looked up by natural keys
with unique constraints, and a conflicting insert falls back to the row another worker created.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Deployment, Platform
from . import urls
from .flavours import FLAVOURS
from .models import SandboxCourse, SandboxEnrolment, SandboxTool, SandboxUser
from .platform import ALL_SCOPES, default_placement, ensure_platform_key, get_or_create

DEFAULT_CONTEXT_ID = "course-101"
DEFAULT_COURSE_TITLE = "Mentoring 101"
DEFAULT_COURSE_LABEL = "MENT101"
EMAIL_DOMAIN = "university.example"


def stable_sub(key: str) -> str:
    """A stable, opaque subject identifier (a UUID, as Canvas and Blackboard send)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://sandbox.mentoring-space.example/users/{key}"))


@dataclass(frozen=True)
class DemoUser:
    username: str
    given_name: str
    family_name: str
    name: str
    locale: str
    role: str | None  # instructor, ta, student; None = not enrolled (site administrator)
    active: bool = True
    site_admin: bool = False

    @property
    def sub(self) -> str:
        return stable_sub(self.username)

    @property
    def email(self) -> str:
        return f"{self.username}@{EMAIL_DOMAIN}"


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("aokafor", "Ada", "Okafor", "Dr. Ada Okafor", "en-GB", "instructor"),
    DemoUser("mfernandez", "Mateo", "Fernández", "Mateo Fernández", "es", "ta"),
    DemoUser("atanaka", "Aiko", "Tanaka", "Aiko Tanaka", "ja", "student"),
    DemoUser("lobrien", "Liam", "O'Brien", "Liam O'Brien", "en", "student"),
    DemoUser("praghunathan", "Priya", "Raghunathan", "Priya Raghunathan", "en-IN", "student"),
    DemoUser("kmensah", "Kwame", "Mensah", "Kwame Mensah", "en", "student"),
    DemoUser("sgutierrez", "Sofía", "Gutiérrez", "Sofía Gutiérrez", "es-MX", "student"),
    DemoUser("lschafer", "Lukas", "Schäfer", "Lukas Schäfer", "de", "student"),
    DemoUser("adubois", "Amélie", "Dubois", "Amélie Dubois", "fr", "student"),
    DemoUser("jpereira", "João", "Pereira", "João Pereira", "pt-BR", "student"),
    # Family name first, as written in Chinese and Vietnamese.
    DemoUser("wzhang", "Wei", "Zhang", "Zhang Wei", "zh-CN", "student"),
    DemoUser("falsayed", "Fatima", "Al-Sayed", "Fatima Al-Sayed", "ar", "student"),
    DemoUser("lnguyen", "Lan", "Nguyễn", "Nguyễn Thị Lan", "vi", "student"),
    DemoUser("okowalczyk", "Olga", "Kowalczyk", "Olga Kowalczyk", "pl", "student"),
    # Dropped the course: NRPS lists her as Inactive and the LMS refuses her launches.
    DemoUser("eyilmaz", "Emre", "Yılmaz", "Emre Yılmaz", "tr", "student", active=False),
    # Not enrolled; Moodle lets site administrators open any activity.
    DemoUser("mreyes", "Morgan", "Reyes", "Morgan Reyes", "en", None, site_admin=True),
)

INSTRUCTOR_SUB = DEMO_USERS[0].sub
TA_SUB = DEMO_USERS[1].sub
STUDENT_SUBS = tuple(u.sub for u in DEMO_USERS if u.role == "student" and u.active)
INACTIVE_STUDENT_SUB = next(u.sub for u in DEMO_USERS if not u.active)
ADMIN_SUB = next(u.sub for u in DEMO_USERS if u.site_admin)

_GIVEN = (
    "Amara",
    "Bao",
    "Carmen",
    "Dmitri",
    "Elif",
    "Farid",
    "Giulia",
    "Hana",
    "Igor",
    "Jamal",
    "Keiko",
    "Lucía",
    "Mohammed",
    "Nadia",
    "Oluwaseun",
    "Pablo",
    "Qi",
    "Rania",
    "Siddharth",
    "Tomás",
    "Ulla",
    "Vikram",
    "Wanjiru",
    "Ximena",
    "Yusuf",
    "Zanele",
)
_FAMILY = (
    "Abdullah",
    "Bianchi",
    "Chen",
    "Dlamini",
    "Eriksen",
    "Fofana",
    "García",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kim",
    "López",
    "Müller",
    "Nakamura",
    "Okeke",
    "Petrov",
    "Quispe",
    "Rossi",
    "Singh",
    "Takahashi",
    "Usman",
    "Varga",
    "Wiśniewska",
    "Xu",
    "Yamamoto",
    "Zapata",
)
_LOCALES = ("en", "es", "fr", "de", "pt-BR", "ja", "ar", "hi", "sw", "tr", "pl", "vi", "zh-CN")


def _user_row(demo: DemoUser) -> SandboxUser:
    return SandboxUser(
        sub=demo.sub,
        username=demo.username,
        given_name=demo.given_name,
        family_name=demo.family_name,
        name=demo.name,
        email=demo.email,
        locale=demo.locale,
        sourcedid=f"SIS-{demo.username.upper()}",
        is_site_admin=demo.site_admin,
    )


def _ensure_user(session: Session, demo: DemoUser) -> SandboxUser:
    return get_or_create(
        session,
        lambda: session.execute(select(SandboxUser).where(SandboxUser.sub == demo.sub)).scalar_one_or_none(),
        lambda: _user_row(demo),
    )


def _ensure_course(session: Session, context_id: str, title: str, label: str, privacy: str) -> SandboxCourse:
    return get_or_create(
        session,
        lambda: session.execute(
            select(SandboxCourse).where(SandboxCourse.context_id == context_id)
        ).scalar_one_or_none(),
        lambda: SandboxCourse(context_id=context_id, title=title, label=label, privacy=privacy),
    )


def _ensure_enrolment(session: Session, course: SandboxCourse, user: SandboxUser, role: str, active: bool) -> None:
    get_or_create(
        session,
        lambda: session.execute(
            select(SandboxEnrolment).where(SandboxEnrolment.course_id == course.id, SandboxEnrolment.user_id == user.id)
        ).scalar_one_or_none(),
        lambda: SandboxEnrolment(course_id=course.id, user_id=user.id, role=role, active=active),
    )


def _ensure_demo_tool(session: Session, flavour: str, client_id: str, deployment_id: str) -> SandboxTool:
    return get_or_create(
        session,
        lambda: session.execute(select(SandboxTool).where(SandboxTool.client_id == client_id)).scalar_one_or_none(),
        lambda: SandboxTool(
            flavour=flavour,
            client_id=client_id,
            deployment_id=deployment_id,
            name="Mentoring Space",
            seeded=True,
            scopes=list(ALL_SCOPES),
            custom={"lms_user": "$User.username", "course_title": "$Context.title"},
        ),
    )


def demo_clients() -> list[tuple[str, str, str]]:
    """(flavour, client_id, deployment_id) of every seeded registration of the demo tool."""
    clients = []
    for fl in FLAVOURS.values():
        clients.append((fl.code, fl.client_id, fl.deployment_id))
        for n, extra in enumerate(fl.extra_client_ids, start=2):
            clients.append((fl.code, extra, f"demo-{fl.code}-{n}"))
    return clients


def seed_sandbox(session: Session) -> SandboxCourse:
    """Platform-side demo data: signing key, people, Mentoring 101, the demo tool and its placements."""
    ensure_platform_key(session)
    users = {demo.username: _ensure_user(session, demo) for demo in DEMO_USERS}
    course = _ensure_course(session, DEFAULT_CONTEXT_ID, DEFAULT_COURSE_TITLE, DEFAULT_COURSE_LABEL, "public")
    for demo in DEMO_USERS:
        if demo.role:
            _ensure_enrolment(session, course, users[demo.username], demo.role, demo.active)
    for flavour, client_id, deployment_id in demo_clients():
        tool = _ensure_demo_tool(session, flavour, client_id, deployment_id)
        default_placement(session, flavour, course, tool)
    session.commit()
    return course


def _ensure_tool_platform(
    session: Session, flavour: str, client_id: str, deployment_id: str, sandbox_url: str
) -> Platform:
    fl = FLAVOURS[flavour]
    issuer = urls.issuer(sandbox_url, flavour)
    suffix = "" if client_id == fl.client_id else f" ({client_id})"
    platform = get_or_create(
        session,
        lambda: session.execute(
            select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
        ).scalar_one_or_none(),
        lambda: Platform(
            name=fl.platform_name + suffix,
            issuer=issuer,
            client_id=client_id,
            auth_login_url=urls.auth(sandbox_url, flavour),
            auth_token_url=urls.token(sandbox_url, flavour),
            jwks_url=urls.jwks(sandbox_url),
            product_family=fl.code,
            registered_via="sandbox",
        ),
    )
    get_or_create(
        session,
        lambda: session.execute(
            select(Deployment).where(Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id)
        ).scalar_one_or_none(),
        lambda: Deployment(platform_id=platform.id, deployment_id=deployment_id, name="Demo LMS deployment"),
    )
    return platform


def seed_tool_platforms(session: Session, *, sandbox_url: str, public_url: str) -> list[Platform]:
    """Tool-side registrations of the demo LMS: one ``Platform`` per client id, with its ``Deployment``."""
    platforms = [
        _ensure_tool_platform(session, flavour, client_id, deployment_id, sandbox_url)
        for flavour, client_id, deployment_id in demo_clients()
    ]
    session.commit()
    return platforms


def seed_all(session: Session, *, sandbox_url: str, public_url: str) -> None:
    """Both sides of the demo; safe to call again and from several workers at once."""
    seed_sandbox(session)
    seed_tool_platforms(session, sandbox_url=sandbox_url, public_url=public_url)


def _select_in(session: Session, column, key_column, values: list[str]) -> list:
    """``SELECT column WHERE key_column IN values``, in chunks that stay under SQLite's variable limit."""
    found: list = []
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        found.extend(session.execute(select(column).where(key_column.in_(chunk))).scalars())
    return found


def create_course(
    session: Session,
    context_id: str,
    n_students: int,
    *,
    title: str | None = None,
    label: str | None = None,
    privacy: str = "public",
    with_staff: bool = True,
) -> SandboxCourse:
    """A course with ``n_students`` generated students (bulk inserted) for tests and benchmarks.

    Dr. Ada Okafor teaches it and Mateo Fernández assists when ``with_staff``. Students get stable subs
    derived from the context id, so running it twice adds nobody. Commits.
    """
    course = _ensure_course(session, context_id, title or f"Course {context_id}", label or context_id[:100], privacy)
    if with_staff:
        for demo in DEMO_USERS[:2]:
            _ensure_enrolment(session, course, _ensure_user(session, demo), demo.role or "student", True)
    keys = [f"{context_id}/student-{i:05d}" for i in range(1, n_students + 1)]
    subs = {stable_sub(k): i for i, k in enumerate(keys)}
    existing = set(_select_in(session, SandboxUser.sub, SandboxUser.sub, list(subs)))
    rows = []
    for sub, i in subs.items():
        if sub in existing:
            continue
        given, family = _GIVEN[i % len(_GIVEN)], _FAMILY[(i // len(_GIVEN) + i) % len(_FAMILY)]
        username = f"{context_id}-s{i + 1:05d}"[:100]
        rows.append(
            {
                "sub": sub,
                "username": username,
                "given_name": given,
                "family_name": family,
                "name": f"{given} {family}",
                "email": f"{username}@{EMAIL_DOMAIN}",
                "locale": _LOCALES[i % len(_LOCALES)],
                "sourcedid": f"SIS-{username.upper()}",
                "is_site_admin": False,
            }
        )
    try:
        for start in range(0, len(rows), 1000):
            session.execute(insert(SandboxUser), rows[start : start + 1000])
        session.commit()
    except IntegrityError:
        session.rollback()  # another worker created them; enrol whatever exists
    user_ids = _select_in(session, SandboxUser.id, SandboxUser.sub, list(subs))
    enrolled = set(
        session.execute(select(SandboxEnrolment.user_id).where(SandboxEnrolment.course_id == course.id)).scalars()
    )
    new = [
        {"course_id": course.id, "user_id": uid, "role": "student", "active": True}
        for uid in user_ids
        if uid not in enrolled
    ]
    try:
        for start in range(0, len(new), 1000):
            session.execute(insert(SandboxEnrolment), new[start : start + 1000])
        session.commit()
    except IntegrityError:
        session.rollback()
    return course
