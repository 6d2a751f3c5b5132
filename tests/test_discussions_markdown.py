"""The post renderer: Markdown in, a small safe HTML subset out, whatever the input."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from lti_tool.mentoring.discussions.markdown import ALLOWED_TAGS, render_markdown

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="https://ok.example" onclick="alert(1)" style="color:red" target="_top">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '<p style="position:fixed">x</p>',
    '<form action="https://evil.example"><input name=a></form>',
    "<object data=x></object><embed src=x>",
    '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
    "![tracker](https://evil.example/pixel.gif)",
    "<!-- <script>alert(1)</script> -->",
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
]


def _elements(html: str):
    return BeautifulSoup(html, "html.parser").find_all(True)


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_are_neutralised(attack):
    """No script, style, frame, form or image survives; no event handler, style or javascript:/data: URL."""
    html = render_markdown(f"Before {attack} after")
    for el in _elements(html):
        assert el.name in ALLOWED_TAGS, el
        for name, value in el.attrs.items():
            assert not name.startswith("on") and name not in ("style", "target", "src"), el
            if name == "href":
                assert value.split(":", 1)[0].lower() in ("http", "https", "mailto"), el
    assert "alert(1)</script>" not in html


def test_links_and_emphasis_render():
    """Bold, italics, lists, code and http/https/mailto links render; links get rel=nofollow noopener."""
    html = render_markdown("**b** *i* `c`\n\n- one\n- two\n\n[web](https://example.org) <mailto:a@example.org>")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("strong").get_text() == "b" and soup.find("em").get_text() == "i"
    assert soup.find("code").get_text() == "c" and len(soup.find_all("li")) == 2
    links = soup.find_all("a")
    assert [a["href"] for a in links] == ["https://example.org", "mailto:a@example.org"]
    assert all(a["rel"] == ["nofollow", "noopener", "noreferrer"] for a in links)


def test_images_become_links():
    """Images are off: the reader's browser fetches nothing; the image's address stays reachable as a link."""
    html = render_markdown("![diagram](https://example.org/d.png)")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("img") is None
    assert soup.find("a")["href"] == "https://example.org/d.png"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>\"'=/:;&#()[]!* \nabcjsvrtpohnlmeiSCRIPTxX0123")), max_size=200))
def test_any_input_yields_only_allowed_markup(text):
    """Whatever is typed, the output holds only allowed tags and attributes."""
    for el in _elements(render_markdown(text)):
        assert el.name in ALLOWED_TAGS
        assert set(el.attrs) <= {"href", "title", "rel", "start"}
