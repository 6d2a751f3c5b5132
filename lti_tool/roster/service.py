"""Roster sync: make the course's memberships match the platform's NRPS roster.

Pure domain code (no Flask, no HTTP): it reads pages of NRPS members (NRPS 2.0 §2.2: ``user_id``,
``roles``, ``status`` and, as the platform's privacy settings allow, ``name``, ``given_name``,
``family_name``, ``email``, ``picture``) from whatever iterable it is given, and

* upserts a :class:`Person` per (platform, ``user_id``) and a :class:`Membership` per (course, person), with
  the program role :func:`~lti_tool.launch.roles.program_role` derives from the roles; new memberships get
  ``source="roster"``;
* fills in what the platform sends and never overwrites a known value with a missing one (a platform that
  withholds names sends none; :attr:`Person.display_name` then shows a stable pseudonym), as the launch does;
* marks members the roster lists as ``Inactive`` (or ``Deleted``), or no longer lists at all, inactive, and
  reactivates returning ones. Nothing is deleted: threads and history stay with their people.

Scale: the course's memberships and their people are loaded into a dict once; each page costs one
``SELECT … IN`` for people not yet in the course, and bulk ``INSERT``/``UPDATE`` statements for what
changed. Each page is committed on its own, so a 5,000-member sync never holds the database's write lock for
long (SQLite has one writer) and progress can be recorded between pages. Memberships missing from the
roster are deactivated only after the whole roster was read: a sync that fails half-way deactivates nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..launch.roles import program_role, role_name
from ..models import Course, Membership, Person, utcnow

PERSON_FIELDS = ("name", "given_name", "family_name", "email", "picture")
_LIMITS = {"name": None, "given_name": None, "family_name": None, "email": 320, "picture": 1000}
IN_CHUNK = 500  # stays under SQLite's bound-parameter limit
MAX_RETRIES = 3

Member = Mapping[str, Any]
Progress = Callable[["RosterCounts"], None]


def N_(message: str) -> str:
    """Mark a user-facing message for translation; it is translated when shown, in the reader's language."""
    return message


class RosterError(Exception):
    """The roster could not be read or applied. ``message`` is a user-facing gettext msgid."""

    def __init__(self, message: str, *, detail: str | None = None, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params
        self.detail = detail


@dataclass
class RosterCounts:
    members: int = 0  # distinct people the roster listed
    active: int = 0
    inactive: int = 0  # listed as Inactive/Deleted
    added: int = 0  # new memberships
    people_added: int = 0
    updated: int = 0  # memberships whose roles or status changed
    reactivated: int = 0
    deactivated: int = 0  # inactive now: listed as inactive, or missing from the roster
    missing: int = 0  # members of the course the roster no longer lists (site administrators aside)
    skipped: int = 0  # entries without a user_id
    pages: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class _Known:
    """A person known to this sync, and their membership in the course if they have one."""

    person_id: int
    person: dict[str, str | None]
    membership_id: int | None = None
    lti_roles: list[str] = field(default_factory=list)
    program_role: str | None = None
    is_active: bool = False


def _is_active(member: Member) -> bool:
    # NRPS 2.0 §2.2: status is Active when absent; Inactive and Deleted (membership differences) are not.
    status = member.get("status") or "Active"
    return isinstance(status, str) and status.strip().lower() == "active"


def _roles(member: Member) -> list[str]:
    roles = member.get("roles")
    return [r for r in roles if isinstance(r, str)] if isinstance(roles, list) else []


def _text(member: Member, name: str) -> str | None:
    value = member.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    limit = _LIMITS[name]
    return value[:limit] if limit else value


def _outside_roster(lti_roles: Sequence[str]) -> bool:
    """A membership with no context role (a site administrator opening the course from the LMS) never
    appears in NRPS, so its absence from the roster says nothing: it is not deactivated."""
    return bool(lti_roles) and not any(role_name(r)[0] == "context" for r in lti_roles)


class _Sync:
    def __init__(self, session: Session, course: Course, progress: Progress | None) -> None:
        self.session = session
        self.course_id = course.id
        self.platform_id = course.platform_id
        self.progress = progress
        self.counts = RosterCounts()
        self.known: dict[str, _Known] = {}
        self.seen: set[str] = set()

    # --- loading ---------------------------------------------------------------------------------------

    def load_course(self) -> None:
        """Every membership of the course with its person, once, into ``known``."""
        rows = self.session.execute(
            select(
                Person.id,
                Person.sub,
                *(getattr(Person, f) for f in PERSON_FIELDS),
                Membership.id,
                Membership.lti_roles,
                Membership.program_role,
                Membership.is_active,
            )
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.course_id == self.course_id)
        ).all()
        for row in rows:
            self.known[row[1]] = self._known_from(row)
        self.session.commit()  # end the read transaction

    @staticmethod
    def _known_from(row: Sequence[Any]) -> _Known:
        n = len(PERSON_FIELDS)
        return _Known(
            person_id=row[0],
            person=dict(zip(PERSON_FIELDS, row[2 : 2 + n], strict=True)),
            membership_id=row[2 + n],
            lti_roles=list(row[3 + n] or []),
            program_role=row[4 + n],
            is_active=bool(row[5 + n]),
        )

    def load_people(self, subs: list[str]) -> None:
        """People of the platform not yet known (in other courses, or created by a launch meanwhile)."""
        for start in range(0, len(subs), IN_CHUNK):
            chunk = subs[start : start + IN_CHUNK]
            rows = self.session.execute(
                select(
                    Person.id,
                    Person.sub,
                    *(getattr(Person, f) for f in PERSON_FIELDS),
                    Membership.id,
                    Membership.lti_roles,
                    Membership.program_role,
                    Membership.is_active,
                )
                .outerjoin(Membership, (Membership.person_id == Person.id) & (Membership.course_id == self.course_id))
                .where(Person.platform_id == self.platform_id, Person.sub.in_(chunk))
            ).all()
            for row in rows:
                self.known[row[1]] = self._known_from(row)

    # --- applying a page ---------------------------------------------------------------------------------

    def apply_page(self, members: Iterable[Member]) -> None:
        page: dict[str, Member] = {}
        for member in members:
            sub = member.get("user_id") if isinstance(member, Mapping) else None
            if not isinstance(sub, str) or not sub:
                self.counts.skipped += 1
                continue
            page[sub[:255]] = member  # a person listed twice: the later entry wins
        for attempt in range(MAX_RETRIES):
            before = replace(self.counts)
            try:
                self._apply(page)
                self.session.commit()
                break
            except IntegrityError:
                # A launch created one of these people or memberships in the meantime: forget what this
                # attempt wrote (it was rolled back), reload the page's people from the database and redo.
                self.session.rollback()
                if attempt == MAX_RETRIES - 1:
                    raise
                self.counts = before
                for sub in page:
                    self.known.pop(sub, None)
                self.load_people(list(page))
        for sub, member in page.items():
            if sub not in self.seen:
                self.seen.add(sub)
                self.counts.members += 1
                if _is_active(member):
                    self.counts.active += 1
                else:
                    self.counts.inactive += 1
        self.counts.pages += 1
        if self.progress is not None:
            self.progress(self.counts)

    def _apply(self, page: dict[str, Member]) -> None:
        unknown = [sub for sub in page if sub not in self.known]
        if unknown:
            self.load_people(unknown)
        now = utcnow()
        new_people: list[dict[str, Any]] = []
        person_updates: list[tuple[str, dict[str, Any]]] = []
        for sub, member in page.items():
            sent = {f: _text(member, f) for f in PERSON_FIELDS}
            known = self.known.get(sub)
            if known is None:
                new_people.append({"platform_id": self.platform_id, "sub": sub, **sent})
                continue
            # Fill in what was sent; keep what the platform now withholds.
            merged = {f: sent[f] if sent[f] is not None else known.person[f] for f in PERSON_FIELDS}
            if merged != known.person:
                person_updates.append((sub, {"id": known.person_id, **merged}))
        if new_people:
            # RETURNING the natural key, so the rows need not come back in order (SQLite batches them then).
            created = self.session.execute(insert(Person).returning(Person.id, Person.sub), new_people).all()
            rows_by_sub = {row["sub"]: row for row in new_people}
            for person_id, sub in created:
                self.known[sub] = _Known(person_id=person_id, person={f: rows_by_sub[sub][f] for f in PERSON_FIELDS})
            self.counts.people_added += len(created)
        if person_updates:
            self.session.execute(update(Person), [row for _, row in person_updates])

        new_memberships: list[tuple[str, dict[str, Any]]] = []
        membership_updates: list[tuple[str, dict[str, Any]]] = []
        for sub, member in page.items():
            known = self.known[sub]
            roles = _roles(member)
            role = program_role(roles).value
            active = _is_active(member)
            if known.membership_id is None:
                new_memberships.append(
                    (
                        sub,
                        {
                            "course_id": self.course_id,
                            "person_id": known.person_id,
                            "lti_roles": roles,
                            "program_role": role,
                            "is_active": active,
                            "source": "roster",
                            "updated_at": now,
                        },
                    )
                )
                continue
            if (known.lti_roles, known.program_role, known.is_active) != (roles, role, active):
                membership_updates.append(
                    (
                        sub,
                        {
                            "id": known.membership_id,
                            "lti_roles": roles,
                            "program_role": role,
                            "is_active": active,
                            "updated_at": now,
                        },
                    )
                )
                if active and not known.is_active and sub not in self.seen:
                    self.counts.reactivated += 1
                if not active and known.is_active and sub not in self.seen:
                    self.counts.deactivated += 1
                if sub not in self.seen:
                    self.counts.updated += 1
        if new_memberships:
            created_ids = self.session.execute(
                insert(Membership).returning(Membership.id, Membership.person_id),
                [row for _, row in new_memberships],
            ).all()
            by_person = {row["person_id"]: (sub, row) for sub, row in new_memberships}
            for membership_id, person_id in created_ids:
                sub, row = by_person[person_id]
                self._remember(sub, membership_id, row)
            self.counts.added += len(created_ids)
        if membership_updates:
            self.session.execute(update(Membership), [row for _, row in membership_updates])
            for sub, row in membership_updates:
                self._remember(sub, row["id"], row)
        for sub, row in person_updates:
            self.known[sub].person = {f: row[f] for f in PERSON_FIELDS}

    def _remember(self, sub: str, membership_id: int | None, row: Mapping[str, Any]) -> None:
        known = self.known[sub]
        known.membership_id = membership_id
        known.lti_roles = list(row["lti_roles"])
        known.program_role = row["program_role"]
        known.is_active = bool(row["is_active"])

    # --- the end -----------------------------------------------------------------------------------------

    def deactivate_missing(self) -> None:
        """Members of the course the complete roster no longer lists become inactive (never deleted)."""
        now = utcnow()
        missing = [
            known
            for sub, known in self.known.items()
            if sub not in self.seen and known.membership_id is not None and not _outside_roster(known.lti_roles)
        ]
        gone = [{"id": k.membership_id, "is_active": False, "updated_at": now} for k in missing if k.is_active]
        for start in range(0, len(gone), 1000):
            self.session.execute(update(Membership), gone[start : start + 1000])
        self.session.commit()
        for known in missing:
            known.is_active = False
        self.counts.missing = len(missing)
        self.counts.deactivated += len(gone)


def sync_roster(
    session: Session,
    course: Course,
    fetch_pages: Iterable[Iterable[Member]],
    progress: Progress | None = None,
) -> RosterCounts:
    """Apply the NRPS roster ``fetch_pages`` yields (one list of members per page) to ``course``.

    Commits after each page and at the end (see the module docstring). ``progress`` is called with the
    running counts after each page. Raises whatever ``fetch_pages`` raises; the pages applied before stay
    applied, and nobody is deactivated.
    """
    sync = _Sync(session, course, progress)
    sync.load_course()
    for page in fetch_pages:
        sync.apply_page(page)
    sync.deactivate_missing()
    return sync.counts
