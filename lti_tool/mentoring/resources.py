"""The resource library: coordinator-managed links and Markdown pages, each for an audience. No Flask.

| viewer | sees | adds, edits, deletes |
| --- | --- | --- |
| coordinator | every item of the course | yes |
| mentor (or peer) | ``everyone`` and ``mentors`` items | no |
| mentee (or peer) | ``everyone`` and ``mentees`` items | no |
| observer, or a learner not in the program | ``everyone`` items | no |
| anyone of another course or platform | nothing: items are looked up inside the viewer's course | no |

An item the viewer may not see is "not found" (never "forbidden"), so ids reveal nothing.

The starter set (:data:`STARTER_SET`) is added to a course the first time its library is opened, in the
language of whoever opens it; ``ResourceLibrary`` remembers that, so a starter item the coordinator deletes
stays deleted. Link URLs must be absolute ``http``/``https`` URLs; pages are Markdown sanitized by
:func:`lti_tool.mentoring.discussions.markdown.render_markdown`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Membership, Participant, Program
from ..models.resources import (
    AUDIENCE_EVERYONE,
    AUDIENCE_MENTEES,
    AUDIENCE_MENTORS,
    AUDIENCES,
    RESOURCE_KINDS,
    RESOURCE_LINK,
    RESOURCE_PAGE,
    ResourceItem,
    ResourceLibrary,
)
from .discussions.markdown import render_markdown
from .errors import DomainError

TITLE_MAX = 200
URL_MAX = 2000
DESCRIPTION_MAX = 2000
BODY_MAX = 50_000
MAX_ITEMS = 500


def N_(message: str) -> str:
    return message


class ResourceNotFound(DomainError):
    code = "resource_not_found"
    message = N_("This resource does not exist or is not for you.")


class InvalidResource(DomainError):
    """Bad input: ``errors`` maps a field to ``(msgid, params)`` for the view to translate."""

    code = "invalid_resource"
    message = N_("Check the fields marked below.")

    def __init__(self, errors: dict[str, tuple[str, dict]]) -> None:
        super().__init__()
        self.errors = errors


@dataclass(frozen=True)
class ResourceViewer:
    course_id: int
    person_id: int
    is_coordinator: bool
    audiences: frozenset[str]  # which audiences' items this viewer sees


def viewer_for(session: Session, course_id: int, membership: Membership) -> ResourceViewer:
    """Who the viewer is for the library: coordinators see all; participants by their program role."""
    if membership.program_role == "coordinator":
        return ResourceViewer(course_id, membership.person_id, True, frozenset(AUDIENCES))
    role = session.execute(
        select(Participant.role)
        .join(Program, Program.id == Participant.program_id)
        .where(Program.course_id == course_id, Participant.membership_id == membership.id)
    ).scalar_one_or_none()
    audiences = {AUDIENCE_EVERYONE}
    if membership.program_role == "participant" and membership.is_active:
        if role in ("mentor", "both"):
            audiences.add(AUDIENCE_MENTORS)
        if role in ("mentee", "both"):
            audiences.add(AUDIENCE_MENTEES)
    return ResourceViewer(course_id, membership.person_id, False, frozenset(audiences))


def list_items(session: Session, viewer: ResourceViewer) -> list[ResourceItem]:
    return list(
        session.execute(
            select(ResourceItem)
            .where(ResourceItem.course_id == viewer.course_id, ResourceItem.audience.in_(viewer.audiences))
            .order_by(ResourceItem.position, ResourceItem.id)
            .limit(MAX_ITEMS)
        ).scalars()
    )


def get_item(session: Session, viewer: ResourceViewer, item_id: int) -> ResourceItem:
    item = session.execute(
        select(ResourceItem).where(ResourceItem.id == item_id, ResourceItem.course_id == viewer.course_id)
    ).scalar_one_or_none()
    if item is None or item.audience not in viewer.audiences:
        raise ResourceNotFound()
    return item


def _require_coordinator(viewer: ResourceViewer) -> None:
    if not viewer.is_coordinator:
        raise ResourceNotFound()


def is_web_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(host)
        and not any(c.isspace() or c in "<>\"'`" or ord(c) < 32 for c in value)
        and len(value) <= URL_MAX
    )


@dataclass
class ResourceInput:
    kind: str
    title: str
    audience: str
    position: str | int
    url: str = ""
    description: str = ""
    body: str = ""


def validate(data: ResourceInput) -> tuple[str, str, str, int, str, str, str]:
    errors: dict[str, tuple[str, dict]] = {}
    kind = data.kind if data.kind in RESOURCE_KINDS else ""
    if not kind:
        errors["kind"] = (N_("Choose one of the options."), {})
    title = (data.title or "").strip()
    if not title:
        errors["title"] = (N_("Give it a title."), {})
    elif len(title) > TITLE_MAX:
        errors["title"] = (N_("Keep the title under %(n)s characters."), {"n": TITLE_MAX + 1})
    audience = data.audience if data.audience in AUDIENCES else ""
    if not audience:
        errors["audience"] = (N_("Choose one of the options."), {})
    try:
        position = int(str(data.position).strip() or "0")
        if not -10_000 <= position <= 10_000:
            raise ValueError
    except ValueError:
        position = 0
        errors["position"] = (N_("Enter a whole number from %(low)s to %(high)s."), {"low": -10000, "high": 10000})
    url = (data.url or "").strip()
    description = (data.description or "").strip()
    body = data.body or ""
    if kind == RESOURCE_LINK:
        if not is_web_url(url):
            errors["url"] = (N_("Enter a web address starting with https:// (or http://)."), {})
        if len(description) > DESCRIPTION_MAX:
            errors["description"] = (N_("Keep the description under %(n)s characters."), {"n": DESCRIPTION_MAX + 1})
    elif kind == RESOURCE_PAGE:
        if not body.strip():
            errors["body"] = (N_("Write the page's text."), {})
        elif len(body) > BODY_MAX:
            errors["body"] = (N_("Keep the page under %(n)s characters."), {"n": f"{BODY_MAX + 1:,}"})
    if errors:
        raise InvalidResource(errors)
    return kind, title, audience, position, url, description, body


def save_item(
    session: Session, viewer: ResourceViewer, data: ResourceInput, item: ResourceItem | None = None
) -> ResourceItem:
    """Create (``item`` None) or update an item; coordinators only. Raises ``InvalidResource``."""
    _require_coordinator(viewer)
    kind, title, audience, position, url, description, body = validate(data)
    if item is None:
        item = ResourceItem(course_id=viewer.course_id, created_by=viewer.person_id)
        session.add(item)
    item.kind, item.title, item.audience, item.position = kind, title, audience, position
    if kind == RESOURCE_LINK:
        item.url, item.description, item.body, item.body_html = url, description, "", ""
    else:
        item.url, item.description = None, description
        item.body, item.body_html = body, render_markdown(body)
    session.flush()
    return item


def delete_item(session: Session, viewer: ResourceViewer, item_id: int) -> None:
    _require_coordinator(viewer)
    session.delete(get_item(session, viewer, item_id))
    session.flush()


# --- the starter set ---------------------------------------------------------------------------------------

ETIQUETTE = N_(
    """How we write to each other in this program, so that everyone knows what to expect.

**Response times**

- Reply within two working days, even if only to say "I have read this and will answer properly on Friday".
- If you will be away for more than a week, tell your partner before you go.
- Nobody is expected to answer in the evening or at the weekend.

**Tone**

- Write as you would speak in a friendly meeting: plain words, full sentences, no sarcasm.
- Text loses tone of voice. When a message feels sharp, ask what was meant before reacting.
- Disagree with ideas, never with the person. Mentees decide about their own goals.

**Confidentiality**

- What your partner shares with you stays between the two of you, unless they agree otherwise.
- Do not forward, screenshot or quote private messages elsewhere.
- The ground rules say whether coordinators can read pair threads in this program; read them once.

**Boundaries**

- Keep to studies, work and the goals you agreed on. Personal topics are fine when both are comfortable.
- Use this space rather than private channels, so the program can help if something goes wrong.
- No requests for money, favours, grades or personal contact details.

**If something goes wrong**

- A misunderstanding: say so early and kindly; most problems are solved by one honest message.
- Silence for a long time: send a short check-in; if nothing comes back, tell the coordinator.
- Anything that makes you uncomfortable or unsafe: press "Report" on the post, or contact the coordinator.
- Nobody will blame you for asking for help."""
)

FIRST_MEETING = N_(
    """A first meeting of 30 to 45 minutes is enough.

Its aim is to get to know each other and agree on how you will work together, not to solve everything.

**Before**

- Agree on a time in the Meetings page; check that it shows the right time in your own time zone.
- Test the video link and your microphone a few minutes early.
- Mentee: write down two or three things you hope to get from the program. Mentor: read your mentee's profile.

**During**

- Introduce yourselves: studies or work, what brought you here, one thing you enjoy outside of it.
- Talk about expectations: how often you will meet, how quickly you reply, what is off limits.
- Pick one first goal and a small next step the mentee will take before you meet again.
- Agree on the date of the next meeting before you hang up.

**After**

- Mark whether the meeting happened and add a few notes: what you agreed, and who does what.
- Mentee: add the goal on the Goals page with a due date.
- Send a short thank-you message in your pair thread; it sets a good tone for what follows.

**Agenda template**

1. Introductions (10 minutes)
2. What each of us hopes for from the program (10 minutes)
3. How we will work together: meetings, replies, boundaries (5 minutes)
4. A first goal and the next step (10 minutes)
5. Date of the next meeting (5 minutes)"""
)

GOOD_QUESTIONS = N_(
    """Good questions help your mentee think for themselves; advice is most useful once they have.

**Open before closed**

- Ask "what", "how" and "what else" rather than questions that take a yes or no.
- "What would a good outcome look like for you?" opens more than "Do you want to pass the exam?".

**Understand before you suggest**

- "What have you tried so far?" and "What got in the way?" come before any advice.
- Repeat back what you heard in your own words and ask whether you got it right.

**Help them choose**

- "What options do you see?" then "What would happen if you chose that one?"
- "What is the smallest step you could take this week?"

**Avoid**

- Several questions at once, or questions that contain the answer ("Don't you think you should…?").
- "Why didn't you…?", which sounds like blame; "What made that difficult?" asks the same without it.

**End with a commitment**

- "What will you do before we next talk, and how will we both know it is done?\""""
)

# (starter key, title msgid, audience, body msgid)
STARTER_SET: tuple[tuple[str, str, str, str], ...] = (
    ("etiquette", N_("E-mentoring etiquette"), AUDIENCE_EVERYONE, ETIQUETTE),
    ("first-meeting", N_("Running your first meeting"), AUDIENCE_EVERYONE, FIRST_MEETING),
    ("good-questions", N_("Asking good questions"), AUDIENCE_MENTORS, GOOD_QUESTIONS),
)


def ensure_starter_set(session: Session, course_id: int, translate: Callable[[str], str]) -> bool:
    """Add the starter set to the course the first time its library is opened; True if it was added now.

    ``translate`` turns a msgid into the opener's language. Safe against two first visits at once.
    """
    exists = session.execute(
        select(ResourceLibrary.id).where(ResourceLibrary.course_id == course_id)
    ).scalar_one_or_none()
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ResourceLibrary(course_id=course_id))
            session.flush()
            for position, (key, title, audience, body) in enumerate(STARTER_SET, start=1):
                text = translate(body)
                session.add(
                    ResourceItem(
                        course_id=course_id,
                        kind=RESOURCE_PAGE,
                        title=translate(title),
                        audience=audience,
                        position=position * 10,
                        body=text,
                        body_html=render_markdown(text),
                        description="",
                        starter_key=key,
                    )
                )
            session.flush()
    except IntegrityError:
        return False
    return True


__all__ = [
    "AUDIENCE_EVERYONE",
    "AUDIENCE_MENTEES",
    "AUDIENCE_MENTORS",
    "STARTER_SET",
    "InvalidResource",
    "ResourceInput",
    "ResourceNotFound",
    "ResourceViewer",
    "delete_item",
    "ensure_starter_set",
    "get_item",
    "list_items",
    "save_item",
    "viewer_for",
]
