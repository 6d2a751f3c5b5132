"""Deep Linking 2.0: what an instructor can place in a course, and the signed response.

Each catalogue item becomes an ``ltiResourceLink`` content item (Deep Linking 2.0 §3.1); gradable items
carry a ``lineItem`` so the platform creates the gradebook column with the link (§3.1.1), and a
``custom.mentoring_kind`` the launch reads back to know what was opened.
"""

from __future__ import annotations

from dataclasses import dataclass

from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem


@dataclass(frozen=True)
class CatalogueItem:
    kind: str
    title: str
    description: str
    gradable: bool
    score_maximum: float = 100.0


def catalogue(gettext) -> list[CatalogueItem]:
    """The items offered to an instructor; ``gettext`` translates titles in the picker's locale."""
    _ = gettext
    return [
        CatalogueItem(
            "space",
            _("Mentoring space"),
            _("The course's mentoring space: matching, pair and group threads, goals and meetings."),
            gradable=False,
        ),
        CatalogueItem(
            "participation",
            _("Mentoring participation"),
            _("A gradebook column scored from engagement: messages, meetings held, goals updated."),
            gradable=True,
        ),
        CatalogueItem(
            "evaluation-midterm",
            _("Mid-course mentoring evaluation"),
            _("Mentee and mentor evaluation forms at the middle of the course, with a gradebook column."),
            gradable=True,
        ),
        CatalogueItem(
            "reflection-final",
            _("Final reflection"),
            _("A reflection graded by the coordinator: three things gained, two to use, one to learn more."),
            gradable=True,
        ),
    ]


def content_items(items: list[CatalogueItem], launch_url: str) -> list[DeepLinkResource]:
    resources = []
    for item in items:
        resource = (
            DeepLinkResource()
            .set_url(launch_url)
            .set_title(item.title)
            .set_custom_params({"mentoring_kind": item.kind})
        )
        if item.gradable:
            resource.set_lineitem(
                LineItem()
                .set_label(item.title)
                .set_score_maximum(item.score_maximum)
                .set_resource_id(item.kind)
                .set_tag("mentoring-space")
            )
        resources.append(resource)
    return resources
