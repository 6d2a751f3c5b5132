"""Instruments: their items, checking them, scoring answers, and editing without breaking responses.

Item shape (JSON in ``EvaluationInstrumentVersion.items``)::

    {"id": "q1", "type": "likert" | "choice" | "short_text" | "long_text",
     "prompt": str, "help": str, "required": bool,
     # likert:  "points": 2..11, "anchors": {"low": str, "high": str}
     # choice:  "options": [{"label": str, "points": float | None}, ...]  (one answer)
    }

Answers (``EvaluationResponse.answers``) map an item id to: the chosen point ``1..points`` for a Likert
item, the chosen option's index for a choice, a string for text items. Scoring: each answered Likert
item scores ``(value - 1) / (points - 1)``; each answered choice item whose options carry points scores
``points / max points``; ``score_fraction`` is the mean of those, or ``None`` when nothing is scorable.

Versioning: a version that has any response (draft or submitted) is never changed. ``save_instrument``
then creates the next version; responses keep their version, and checkpoints that have no responses yet
move to the new version (checkpoints with responses stay on the version their responses answered).

Archiving: an instrument a course no longer uses is archived rather than deleted (``archive_instrument``):
it leaves the instrument pickers, so no new checkpoint schedules it, and keeps its versions, its
checkpoints and every response; ``restore_instrument`` brings it back. Nothing is ever deleted here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import EvaluationCheckpoint, EvaluationInstrument, EvaluationInstrumentVersion, EvaluationResponse
from .errors import N_, InvalidInstrument, NotFound
from .templates import BY_KEY

ITEM_TYPES = ("likert", "choice", "short_text", "long_text")
SCORABLE = ("likert", "choice")
MIN_POINTS, MAX_POINTS = 2, 11
MAX_ITEMS = 60
MAX_OPTIONS = 20
MAX_TITLE = 200
MAX_PROMPT = 500
MAX_HELP = 500
MAX_LABEL = 120
MAX_SHORT_TEXT = 300
MAX_LONG_TEXT = 5000

Message = tuple[str, dict[str, Any]]  # an English message (N_) and its parameters; the view translates


def _msg(text: str, **params: Any) -> Message:
    return (text, params)


# ---------------------------------------------------------------------------------------------- items


def check_items(title: str, items: list[dict[str, Any]]) -> dict[str, Message]:
    """Problems with an instrument's title and items, keyed ``title`` or ``item-<index>-<field>``."""
    errors: dict[str, Message] = {}
    if not title.strip():
        errors["title"] = _msg(N_("Give the instrument a title."))
    elif len(title) > MAX_TITLE:
        errors["title"] = _msg(N_("Keep the title under %(n)s characters."), n=MAX_TITLE + 1)
    if not items:
        errors["items"] = _msg(N_("Add at least one question."))
    elif len(items) > MAX_ITEMS:
        errors["items"] = _msg(N_("An instrument has at most %(n)s questions."), n=MAX_ITEMS)
    seen: set[str] = set()
    for index, item in enumerate(items):
        key = f"item-{index}"
        if item.get("type") not in ITEM_TYPES:
            errors[f"{key}-type"] = _msg(N_("Choose a kind of question."))
            continue
        prompt = str(item.get("prompt", "")).strip()
        if not prompt:
            errors[f"{key}-prompt"] = _msg(N_("Write the question."))
        elif len(prompt) > MAX_PROMPT:
            errors[f"{key}-prompt"] = _msg(N_("Keep the question under %(n)s characters."), n=MAX_PROMPT + 1)
        if len(str(item.get("help", ""))) > MAX_HELP:
            errors[f"{key}-help"] = _msg(N_("Keep the help text under %(n)s characters."), n=MAX_HELP + 1)
        if item.get("id") in seen:
            errors[f"{key}-prompt"] = _msg(N_("Two questions have the same identifier."))
        seen.add(str(item.get("id")))
        if item["type"] == "likert":
            points = item.get("points")
            if not isinstance(points, int) or not MIN_POINTS <= points <= MAX_POINTS:
                errors[f"{key}-points"] = _msg(
                    N_("A scale has from %(low)s to %(high)s points."), low=MIN_POINTS, high=MAX_POINTS
                )
            anchors = item.get("anchors") or {}
            if any(len(str(v)) > MAX_LABEL for v in anchors.values()):
                errors[f"{key}-anchors"] = _msg(N_("Keep each label under %(n)s characters."), n=MAX_LABEL + 1)
        elif item["type"] == "choice":
            options = item.get("options") or []
            if len(options) < 2:
                errors[f"{key}-options"] = _msg(N_("Give at least two options, one per line."))
            elif len(options) > MAX_OPTIONS:
                errors[f"{key}-options"] = _msg(N_("Give at most %(n)s options."), n=MAX_OPTIONS)
            elif any(not str(o.get("label", "")).strip() or len(str(o["label"])) > MAX_LABEL for o in options):
                errors[f"{key}-options"] = _msg(
                    N_("Each option needs a label under %(n)s characters."), n=MAX_LABEL + 1
                )
            elif any(
                o.get("points") is not None
                and not (
                    isinstance(o["points"], int | float) and math.isfinite(o["points"]) and 0 <= o["points"] <= 1000
                )
                for o in options
            ):
                errors[f"{key}-options"] = _msg(N_("Points are numbers from 0 to 1000."))
    return errors


def parse_options(text: str) -> list[dict[str, Any]] | None:
    """Options written one per line, ``Label`` or ``Label = points``; ``None`` when points are not numbers."""
    options: list[dict[str, Any]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        label, points = line, None
        if "=" in line:
            label, _sep, raw = line.rpartition("=")
            label = label.strip()
            try:
                points = float(raw.strip().replace(",", "."))
            except ValueError:
                return None
            if not math.isfinite(points):
                return None
            if points.is_integer():
                points = int(points)
        options.append({"label": label, "points": points})
    return options


def format_options(options: list[dict[str, Any]]) -> str:
    lines = []
    for o in options:
        points = o.get("points")
        lines.append(o["label"] if points is None else f"{o['label']} = {points}")
    return "\n".join(lines)


def is_scorable(item: Mapping[str, Any]) -> bool:
    if item.get("type") == "likert":
        return True
    if item.get("type") == "choice":
        return any(o.get("points") is not None for o in item.get("options") or [])
    return False


def item_fraction(item: Mapping[str, Any], value: Any) -> float | None:
    """The answer's score in [0, 1], or ``None`` for an unscorable item or a missing answer."""
    if value is None or value == "":
        return None
    if item["type"] == "likert":
        points = int(item["points"])
        return (int(value) - 1) / (points - 1)
    if item["type"] == "choice" and is_scorable(item):
        options = item["options"]
        top = max(float(o.get("points") or 0) for o in options)
        earned = float(options[int(value)].get("points") or 0)
        return earned / top if top > 0 else 0.0
    return None


def score_fraction(items: list[dict[str, Any]], answers: Mapping[str, Any]) -> float | None:
    """Mean score of the answered scorable items, in [0, 1]; ``None`` when nothing is scorable."""
    parts = [f for item in items if (f := item_fraction(item, answers.get(item["id"]))) is not None]
    if not parts:
        return None
    return min(1.0, max(0.0, sum(parts) / len(parts)))


def check_answers(
    items: list[dict[str, Any]], raw: Mapping[str, str], *, final: bool
) -> tuple[dict[str, Any], dict[str, Message]]:
    """Turn submitted form values (``answer-<item id>``) into answers, with a message per refused item.

    Out-of-range values are always refused; required items only when ``final`` (a draft may be partial).
    """
    answers: dict[str, Any] = {}
    errors: dict[str, Message] = {}
    for item in items:
        key = item["id"]
        value = str(raw.get(f"answer-{key}", "")).strip()
        if item["type"] in ("short_text", "long_text"):
            limit = MAX_SHORT_TEXT if item["type"] == "short_text" else MAX_LONG_TEXT
            value = str(raw.get(f"answer-{key}", "")).replace("\r\n", "\n").strip()
            if len(value) > limit:
                errors[key] = _msg(N_("Keep this answer under %(n)s characters."), n=limit + 1)
            if value:
                answers[key] = value
        elif value:
            try:
                number = int(value)
            except ValueError:
                number = -1
            if item["type"] == "likert":
                if not 1 <= number <= int(item["points"]):
                    errors[key] = _msg(N_("Choose a point on the scale from 1 to %(high)s."), high=int(item["points"]))
                else:
                    answers[key] = number
            else:
                if not 0 <= number < len(item["options"]):
                    errors[key] = _msg(N_("Choose one of the options."))
                else:
                    answers[key] = number
        if final and item.get("required") and key not in answers and key not in errors:
            errors[key] = _msg(N_("This question needs an answer."))
    return answers, errors


# ------------------------------------------------------------------------------------------ instruments


@dataclass(frozen=True)
class SaveResult:
    version: EvaluationInstrumentVersion
    new_version: bool  # True when the previous version had responses and was kept as it was
    kept_version_number: int | None  # the version the existing responses keep pointing at
    kept_responses: int
    moved_checkpoints: int


def instruments(session: Session, course_id: int, *, include_archived: bool = False) -> list[EvaluationInstrument]:
    query = select(EvaluationInstrument).where(EvaluationInstrument.course_id == course_id)
    if not include_archived:
        query = query.where(EvaluationInstrument.archived.is_(False))
    return list(session.execute(query.order_by(EvaluationInstrument.id)).scalars())


def get_instrument(session: Session, course_id: int, instrument_id: int) -> EvaluationInstrument:
    found = session.execute(
        select(EvaluationInstrument).where(
            EvaluationInstrument.id == instrument_id, EvaluationInstrument.course_id == course_id
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found


def latest_version(session: Session, instrument_id: int) -> EvaluationInstrumentVersion:
    return session.execute(
        select(EvaluationInstrumentVersion)
        .where(EvaluationInstrumentVersion.instrument_id == instrument_id)
        .order_by(EvaluationInstrumentVersion.number.desc())
        .limit(1)
    ).scalar_one()


@dataclass(frozen=True)
class InstrumentUsage:
    """What depends on an instrument: its checkpoints (archived ones apart) and responses to any version."""

    checkpoints: int
    archived_checkpoints: int
    responses: int


def usage(session: Session, instrument: EvaluationInstrument) -> InstrumentUsage:
    versions = select(EvaluationInstrumentVersion.id).where(EvaluationInstrumentVersion.instrument_id == instrument.id)
    scheduled = session.execute(
        select(EvaluationCheckpoint.archived_at).where(EvaluationCheckpoint.instrument_version_id.in_(versions))
    ).scalars()
    archived = active = 0
    for archived_at in scheduled:
        if archived_at is None:
            active += 1
        else:
            archived += 1
    responses = session.execute(
        select(func.count(EvaluationResponse.id)).where(EvaluationResponse.instrument_version_id.in_(versions))
    ).scalar_one()
    return InstrumentUsage(active, archived, int(responses))


def archive_instrument(session: Session, instrument: EvaluationInstrument) -> InstrumentUsage:
    """Retire an instrument: hidden from the pickers of new checkpoints; versions, checkpoints and responses
    stay as they are (a checkpoint already scheduled with it can still be answered). Flushes."""
    instrument.archived = True
    session.flush()
    return usage(session, instrument)


def restore_instrument(session: Session, instrument: EvaluationInstrument) -> None:
    """Bring an archived instrument back to the pickers. Flushes."""
    instrument.archived = False
    session.flush()


def get_version(session: Session, course_id: int, version_id: int) -> EvaluationInstrumentVersion:
    found = session.execute(
        select(EvaluationInstrumentVersion)
        .join(EvaluationInstrument, EvaluationInstrument.id == EvaluationInstrumentVersion.instrument_id)
        .where(EvaluationInstrumentVersion.id == version_id, EvaluationInstrument.course_id == course_id)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found


def response_count(session: Session, version_id: int) -> int:
    return int(
        session.execute(
            select(func.count(EvaluationResponse.id)).where(EvaluationResponse.instrument_version_id == version_id)
        ).scalar_one()
    )


def create_instrument(
    session: Session,
    course_id: int,
    title: str,
    description: str,
    items: list[dict[str, Any]],
    *,
    kind: str = "custom",
    template_key: str | None = None,
    created_by: int | None = None,
) -> EvaluationInstrument:
    errors = check_items(title, items)
    if errors:
        raise InvalidInstrument(errors)
    instrument = EvaluationInstrument(course_id=course_id, kind=kind, template_key=template_key, created_by=created_by)
    session.add(instrument)
    session.flush()
    session.add(
        EvaluationInstrumentVersion(
            instrument_id=instrument.id,
            number=1,
            title=title.strip(),
            description=description.strip(),
            items=items,
            created_by=created_by,
        )
    )
    session.flush()
    return instrument


def copy_template(
    session: Session,
    course_id: int,
    key: str,
    *,
    created_by: int | None = None,
    gettext: Callable[[str], str] = lambda s: s,
) -> EvaluationInstrument:
    """A course instrument from a built-in template, its wording in the coordinator's language."""
    template = BY_KEY.get(key)
    if template is None:
        raise NotFound()
    items = []
    for item in template.items:
        copy = dict(item)
        copy["prompt"] = gettext(item["prompt"])
        copy["help"] = gettext(item["help"]) if item.get("help") else ""
        if "anchors" in item:
            copy["anchors"] = {k: gettext(v) for k, v in item["anchors"].items()}
        if "options" in item:
            copy["options"] = [{"label": gettext(o["label"]), "points": o["points"]} for o in item["options"]]
        items.append(copy)
    return create_instrument(
        session,
        course_id,
        gettext(template.title),
        gettext(template.description),
        items,
        kind=template.kind,
        template_key=template.key,
        created_by=created_by,
    )


def copy_instrument(
    session: Session, course_id: int, instrument: EvaluationInstrument, *, title: str, created_by: int | None = None
) -> EvaluationInstrument:
    """A new instrument with the latest version's questions (for a variant; the original is untouched)."""
    version = latest_version(session, instrument.id)
    return create_instrument(
        session,
        course_id,
        title,
        version.description,
        [dict(i) for i in version.items],
        kind=instrument.kind,
        template_key=instrument.template_key,
        created_by=created_by,
    )


def new_item_id(items: list[dict[str, Any]]) -> str:
    taken = {str(i.get("id")) for i in items}
    n = len(items) + 1
    while f"q{n}" in taken:
        n += 1
    return f"q{n}"


def save_instrument(
    session: Session,
    instrument: EvaluationInstrument,
    title: str,
    description: str,
    items: list[dict[str, Any]],
    *,
    saved_by: int | None = None,
) -> SaveResult:
    """Save an edit: in place while the latest version has no responses, else as a new version."""
    errors = check_items(title, items)
    if errors:
        raise InvalidInstrument(errors)
    current = latest_version(session, instrument.id)
    answered = response_count(session, current.id)
    if not answered:
        current.title, current.description, current.items = title.strip(), description.strip(), items
        session.flush()
        return SaveResult(current, False, None, 0, 0)
    version = EvaluationInstrumentVersion(
        instrument_id=instrument.id,
        number=current.number + 1,
        title=title.strip(),
        description=description.strip(),
        items=items,
        created_by=saved_by,
    )
    session.add(version)
    session.flush()
    # Checkpoints still without any response follow the edit; the others keep the answered version.
    moved = 0
    for checkpoint in session.execute(
        select(EvaluationCheckpoint).where(EvaluationCheckpoint.instrument_version_id == current.id)
    ).scalars():
        has_responses = session.execute(
            select(EvaluationResponse.id).where(EvaluationResponse.checkpoint_id == checkpoint.id).limit(1)
        ).first()
        if has_responses is None:
            checkpoint.instrument_version_id = version.id
            moved += 1
    session.flush()
    return SaveResult(version, True, current.number, answered, moved)
