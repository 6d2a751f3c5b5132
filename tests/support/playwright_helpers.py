"""Real-browser helpers: Debian's Chromium driven by Playwright, third-party cookies blocked, axe-core checks.

The browser tests open the demo LMS at ``http://localhost:PORT`` and the tool runs in its iframe at
``http://127.0.0.1:PORT``: two sites, so the iframe is third-party and Chromium applies its third-party
cookie rules to it. Playwright's browser contexts are off-the-record profiles, which block third-party
cookies by default; ``--test-third-party-cookie-phaseout`` asks for the same in the regular profile too.
Neither is taken on trust: :func:`assert_third_party_cookies_blocked` proves it inside each test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, Playwright, expect

# CI shares two cores with a database and two servers: assertions wait as long as actions do.
expect.set_options(timeout=15_000)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Block third-party cookies as Chrome does once the phase-out applies (and incognito always does).
    "--test-third-party-cookie-phaseout",
]

# axe-core impacts that fail a test; "minor" and "moderate" ones are printed but do not fail.
FAILING_IMPACTS = ("serious", "critical")


def require_browser_deps() -> None:
    """Fail (never skip) with the command that installs what is missing."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"Debian's Chromium at {CHROMIUM}")
    if not AXE_JS.exists():
        missing.append(f"axe-core at {AXE_JS.relative_to(PROJECT_ROOT)}")
    if missing:
        pytest.fail(
            "The browser tests need " + " and ".join(missing) + ". Run `make test`, which installs them "
            "(scripts/browser-deps.sh); never `playwright install`.",
            pytrace=False,
        )


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def new_context(browser: Browser) -> BrowserContext:
    """A fresh off-the-record context (its own cookie jar) with a desktop-sized viewport and English UI."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    return context


# --- third-party cookies ---------------------------------------------------------------------------------

_PROBE = "ms_cookie_probe"
_SET_AND_READ = """name => {
    document.cookie = name + "=1; Path=/; SameSite=None; Secure";
    return document.cookie.split("; ").some(c => c.startsWith(name + "="));
}"""


def assert_third_party_cookies_blocked(context: BrowserContext, lms_page: Page, tool_frame: Frame) -> None:
    """Prove the iframe really runs without cookies, rather than assuming the browser flags worked.

    The control: the LMS page (first party) can set a ``SameSite=None; Secure`` cookie, so cookies work in
    this browser. The check: the same cookie set from inside the tool iframe does not stick, and the
    browser stored no cookie at all for the tool's host (the tool's OIDC state cookie was refused too).
    """
    tool_host = _host(tool_frame.url)
    assert lms_page.evaluate(_SET_AND_READ, _PROBE), "control failed: the LMS page (first party) cannot set cookies"
    assert not tool_frame.evaluate(_SET_AND_READ, _PROBE), (
        "third-party cookies are NOT blocked: a cookie set inside the tool iframe persisted"
    )
    stored = [c for c in context.cookies() if c["domain"].lstrip(".") == tool_host]
    assert stored == [], f"the browser stored cookies for the tool's host {tool_host}: {stored}"


def _host(url: str) -> str:
    match = re.match(r"^[a-z]+://([^/:]+)", url)
    assert match, url
    return match.group(1)


# --- accessibility ---------------------------------------------------------------------------------------

_AXE_RUN = """async () => {
    const result = await axe.run(document, {iframes: false, resultTypes: ["violations"]});
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary, html: n.html})),
    }));
}"""


def axe_violations(target: Page | Frame) -> list[dict[str, Any]]:
    """Run axe-core in a page or frame; the script is evaluated over CDP, so the tool's CSP does not block it.

    ``iframes: false``: each document is checked on its own (the LMS page checks the iframe element, its
    title included; the tool frame is checked separately).
    """
    if not target.evaluate("typeof window.axe === 'object'"):
        target.evaluate(AXE_JS.read_text() + "\n;undefined")
    return target.evaluate(_AXE_RUN)


def format_violations(violations: list[dict[str, Any]], label: str) -> str:
    lines = [f"axe-core found {len(violations)} accessibility violation(s) on {label}:"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"      at {json.dumps(node['target'])}: {node['html'][:160]}")
            for detail in (node.get("summary") or "").splitlines()[1:3]:
                lines.append(f"         {detail.strip()}")
        if len(v["nodes"]) > 5:
            lines.append(f"      … and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def assert_accessible(target: Page | Frame, label: str) -> None:
    """Fail on any serious or critical axe-core violation; print the lesser ones."""
    violations = axe_violations(target)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    others = [v for v in violations if v["impact"] not in FAILING_IMPACTS]
    if others:
        print(format_violations(others, label + " (minor/moderate, not failing)"))
    assert not failing, format_violations(failing, label)


# --- artifacts -------------------------------------------------------------------------------------------


_TWO_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG of the LMS page, the tool iframe included, under ``test-artifacts/`` (git-ignored).

    Playwright's ``full_page`` capture resizes the viewport and shoots at once; the cross-site tool iframe
    paints in its own renderer process and is then caught blank or half laid out. So the viewport is made
    as tall as the page first, every frame is given two animation frames to paint, and only then the shot
    is taken.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size or {"width": 1280, "height": 900}
    height = page.evaluate("Math.ceil(document.documentElement.scrollHeight)")
    page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
    try:
        for frame in page.frames:
            frame.evaluate(_TWO_FRAMES)
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
    return path
