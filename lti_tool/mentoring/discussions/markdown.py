"""Markdown for posts and ground rules: markdown-it-py (CommonMark) to HTML, then nh3 to a safe subset.

Rules:
* Allowed tags: paragraphs, line breaks, emphasis, strikethrough, inline code and code blocks, quotes,
  lists, horizontal rules and links. Anything else is removed (its text is kept; ``script`` and ``style``
  are removed with their content). Headings are flattened to text so a post cannot break the page outline.
* No attributes but ``href``/``title`` on links and ``start`` on ordered lists: no ``style``, no event
  handlers, no ``class``.
* Links: only ``http``, ``https`` and ``mailto`` (a ``javascript:`` or ``data:`` link loses its ``href``),
  and every link gets ``rel="nofollow noopener noreferrer"``.
* Images are off: ``![alt](url)`` becomes a link to the image rather than loading it, so a post cannot
  make readers' browsers fetch third-party URLs (tracking pixels); the tool's CSP would block them anyway.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener noreferrer"

_md = MarkdownIt("commonmark", {"html": True, "breaks": True}).enable("strikethrough").disable("image")


def render_markdown(text: str) -> str:
    """Sanitised HTML for ``text`` (Markdown, possibly with raw HTML that the sanitiser then filters)."""
    return nh3.clean(
        _md.render(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )
