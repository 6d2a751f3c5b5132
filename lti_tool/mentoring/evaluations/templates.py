"""Built-in instrument templates, worded by this project (no items from published, copyrighted scales).

Each template is a title, a description and a list of items in the shape ``instruments.py`` documents.
Coordinators never edit a template: copying one (``instruments.copy_template``) creates a course
instrument in the coordinator's language, which they then edit freely. Strings are marked with ``N_`` so
they are extracted for translation; the copy translates them with the gettext the caller passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import N_

AGREE = {"low": N_("Strongly disagree"), "high": N_("Strongly agree")}
OFTEN = {"low": N_("Never"), "high": N_("Always")}


def likert(
    item_id: str, prompt: str, help: str = "", anchors: dict[str, str] = AGREE, points: int = 5
) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "likert",
        "prompt": prompt,
        "help": help,
        "required": True,
        "points": points,
        "anchors": dict(anchors),
    }


def text(item_id: str, prompt: str, help: str = "", *, long: bool = True, required: bool = False) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "long_text" if long else "short_text",
        "prompt": prompt,
        "help": help,
        "required": required,
    }


def choice(item_id: str, prompt: str, options: list[tuple[str, float | None]], help: str = "") -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "choice",
        "prompt": prompt,
        "help": help,
        "required": True,
        "options": [{"label": label, "points": points} for label, points in options],
    }


@dataclass(frozen=True)
class Template:
    key: str
    kind: str
    audience: str  # the checkpoint audience it is written for
    title: str
    description: str
    items: tuple[dict[str, Any], ...]


TEMPLATES: tuple[Template, ...] = (
    Template(
        "mentee_of_mentor",
        "mentee_of_mentor",
        "mentees_about_mentor",
        N_("Mentee's evaluation of the mentoring received"),
        N_(
            "Mentees tell how the mentoring has worked for them so far. Mentors see these answers only "
            "combined with other mentees' answers, unless the coordinator releases them."
        ),
        (
            likert("q1", N_("My mentor makes time for our conversations.")),
            likert("q2", N_("My mentor listens to what I want to get out of the mentoring.")),
            likert("q3", N_("My mentor helps me set goals I can reach.")),
            likert("q4", N_("The advice I get is useful for my studies or my plans.")),
            likert("q5", N_("I feel comfortable raising problems with my mentor.")),
            choice(
                "q6",
                N_("How often have you been in touch with your mentor?"),
                [
                    (N_("Every week"), 3),
                    (N_("Every two weeks"), 2),
                    (N_("About once a month"), 1),
                    (N_("Less often"), 0),
                ],
            ),
            text("q7", N_("What has helped you most so far?")),
            text("q8", N_("What could make the mentoring more useful for you?")),
        ),
    ),
    Template(
        "mentor_of_mentee",
        "mentor_of_mentee",
        "mentors_about_mentee",
        N_("Mentor's evaluation of the mentee's engagement and progress"),
        N_(
            "Mentors describe each mentee's engagement and progress. The mentee sees it only when the "
            "coordinator releases it."
        ),
        (
            likert("q1", N_("My mentee comes to our conversations prepared."), anchors=OFTEN),
            likert("q2", N_("My mentee follows up on what we agree."), anchors=OFTEN),
            likert("q3", N_("My mentee is making progress towards their goals.")),
            likert("q4", N_("My mentee takes the initiative to ask for help or feedback.")),
            text("q5", N_("Where has your mentee grown the most?")),
            text("q6", N_("What should your mentee focus on next?")),
        ),
    ),
    Template(
        "self_assessment",
        "self_assessment",
        "self_assessment",
        N_("Self-assessment"),
        N_("Take stock of where you are. Only you and the coordinator see your answers."),
        (
            likert("q1", N_("I know what I want to achieve in this program.")),
            likert("q2", N_("I have made progress on my goals since the last checkpoint.")),
            likert("q3", N_("I contribute actively to my mentoring conversations.")),
            likert("q4", N_("I use what I learn in the mentoring in my course work.")),
            text("q5", N_("What are you most proud of so far?")),
            text("q6", N_("What will you do differently before the next checkpoint?")),
        ),
    ),
    Template(
        "reflection",
        "reflection",
        "reflection",
        N_("Reflection: three, two, one"),
        N_("Three things you gained, two you will use right away, and one you want to learn more about."),
        (
            text("gained_1", N_("First thing you gained"), required=True, long=False),
            text("gained_2", N_("Second thing you gained"), required=True, long=False),
            text("gained_3", N_("Third thing you gained"), required=True, long=False),
            text("use_1", N_("First thing you will use right away"), required=True, long=False),
            text("use_2", N_("Second thing you will use right away"), required=True, long=False),
            text(
                "learn_1",
                N_("One thing you want to learn more about"),
                N_("Say why, and how you could go about it."),
                required=True,
            ),
        ),
    ),
    Template(
        "survey",
        "survey",
        "survey",
        N_("Program survey"),
        N_("Help us improve the mentoring program. Answers are read by the coordinators."),
        (
            likert("q1", N_("The program's goals were clear to me.")),
            likert("q2", N_("The matching brought me together with a suitable partner.")),
            likert("q3", N_("The tools in the mentoring space made it easy to keep in touch.")),
            likert("q4", N_("I would recommend the program to other students.")),
            choice(
                "q5",
                N_("Would you take part again?"),
                [
                    (N_("Yes, as a mentee"), None),
                    (N_("Yes, as a mentor"), None),
                    (N_("Not sure"), None),
                    (N_("No"), None),
                ],
            ),
            text("q6", N_("What should we keep, change or add next time?")),
        ),
    ),
)

BY_KEY = {t.key: t for t in TEMPLATES}
