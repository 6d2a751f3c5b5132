"""Pages of the demo LMS: course page, launch hand-offs, deep linking return, tools, gradebook, mailbox.

Views are thin: parse the request, call the platform functions, render. A :class:`SandboxError` raised by
a page becomes one error page with its status. Every page is served on ``SANDBOX_URL``'s host, a different
site from the tool, so the tool iframe is third-party as in a real LMS.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import csrf
from . import oidc, urls
from .blueprint import bp, dbs, public_url, sandbox_url
from .deep_linking import apply_response, verify_response
from .directory import course_by_context, placements, roster, tools
from .errors import AuthRequestError, SandboxError, ToolPending
from .faults import count
from .flavours import DEFAULT_FLAVOUR, FLAVOURS, get_flavour
from .models import (
    PRIVACY_LEVELS,
    SandboxCourse,
    SandboxEnrolment,
    SandboxKey,
    SandboxLineItem,
    SandboxMail,
    SandboxResult,
    SandboxUser,
)
from .platform import DEEP_LINKING_REQUEST, RESOURCE_LINK_REQUEST, default_placement, rotate_platform_key
from .registration import activate_tool, issue_registration_token, registration_start_url
from .seed import DEFAULT_CONTEXT_ID
from .state import ensure_seeded, tool_keys

log = logging.getLogger(__name__)

ENTRY_PAGES = {"sandbox.course", "sandbox.tools_page", "sandbox.gradebook", "sandbox.mailbox"}
# Pages shown inside the tool iframe: their errors render without the LMS chrome.
FRAME_PAGES = {"sandbox.start", "sandbox.auth", "sandbox.deep_link_return", "sandbox.deep_link_start"}


@bp.before_request
def prepare() -> Any:
    """Seed the demo on the first sandbox request, and keep the LMS on its own site (``SANDBOX_URL``)."""
    ensure_seeded()
    if request.endpoint in ENTRY_PAGES and request.method == "GET":
        wanted = urlsplit(sandbox_url()).netloc.lower()
        tool_host = urlsplit(public_url()).netloc.lower()
        if request.host.lower() == tool_host and wanted != tool_host:
            return redirect(sandbox_url() + request.full_path.rstrip("?"), code=302)
    return None


@bp.errorhandler(SandboxError)
def sandbox_error(err: SandboxError):
    dbs().rollback()
    log.info("demo LMS refused %s: %s", request.path, err.description)
    title = _("Pending tool") if isinstance(err, ToolPending) else _("The demo LMS could not do that")
    page = render_template(
        "sandbox/error.html",
        title=title,
        message=err.description,
        status=err.status,
        in_frame=request.endpoint in FRAME_PAGES,
    )
    return page, err.status


@bp.context_processor
def sandbox_globals() -> dict[str, Any]:
    locale = get_locale()
    return {"flavours": FLAVOURS, "sandbox_lang": str(locale.language) if locale else "en"}


def _flavour_arg() -> str:
    code = request.args.get("flavour") or DEFAULT_FLAVOUR
    return get_flavour(code).code


@bp.get("/")
def course():
    """The course page: placements, participants with "Open as …" buttons, and the tool iframe."""
    flavour = _flavour_arg()
    course = course_by_context(dbs(), request.args.get("context") or DEFAULT_CONTEXT_ID)
    installed = tools(dbs(), flavour)
    for tool in installed:
        if tool.is_active:
            # An installed tool appears in every course's menu, as with a course navigation placement.
            default_placement(dbs(), flavour, course, tool)
    dbs().commit()
    people = roster(dbs(), course)
    admins = dbs().execute(select(SandboxUser).where(SandboxUser.is_site_admin.is_(True))).scalars().all()
    courses = dbs().execute(select(SandboxCourse).order_by(SandboxCourse.id).limit(50)).scalars().all()
    instructor = next((u for e, u in people if e.role == "instructor"), None)
    return render_template(
        "sandbox/course.html",
        flavour=FLAVOURS[flavour],
        course=course,
        courses=courses,
        people=people,
        admins=admins,
        instructor=instructor,
        placements=placements(dbs(), flavour, course),
        tools=installed,
        privacy_levels=PRIVACY_LEVELS,
        issuer=urls.issuer(sandbox_url(), flavour),
    )


@bp.get("/frame")
def frame_placeholder():
    """What the tool iframe shows before anyone opens the tool."""
    return render_template("sandbox/frame.html")


@bp.get("/<flavour>/start")
def start(flavour: str):
    """Third-party initiated login (LTI 1.3 Core §5.1.1), posted from inside the tool iframe."""
    get_flavour(flavour)
    user = request.args.get("user") or ""
    if not user:
        raise SandboxError(_("Choose a person to open the tool as."))
    message = DEEP_LINKING_REQUEST if request.args.get("message") == "deep_link" else RESOURCE_LINK_REQUEST
    initiation = oidc.login_initiation(
        dbs(),
        flavour=flavour,
        user_sub=user,
        context_id=request.args.get("context") or DEFAULT_CONTEXT_ID,
        link_id=request.args.get("link") or None,
        message_type=message,
        client_id=request.args.get("client") or None,
        secret=current_app.secret_key or "",
        sandbox_url=sandbox_url(),
        public_url=public_url(),
    )
    return render_template(
        "sandbox/autosubmit.html",
        action=initiation.action,
        fields=initiation.fields,
        message=_("Opening the tool…"),
    )


@bp.get("/<flavour>/deep-link-start")
def deep_link_start(flavour: str):
    """Start a deep linking request ("Add activity") as an instructor."""
    get_flavour(flavour)
    return redirect(
        url_for(
            "sandbox.start",
            flavour=flavour,
            user=request.args.get("user", ""),
            context=request.args.get("context") or DEFAULT_CONTEXT_ID,
            client=request.args.get("client") or None,
            message="deep_link",
        )
    )


@bp.route("/<flavour>/auth", methods=["GET", "POST"])
@csrf.exempt
def auth(flavour: str):
    """OIDC authorization endpoint: answers with an auto-submitting form_post of id_token and state."""
    get_flavour(flavour)
    params = {k: v for k, v in request.values.items()}
    try:
        answer = oidc.authorize(
            dbs(),
            params,
            flavour=flavour,
            secret=current_app.secret_key or "",
            sandbox_url=sandbox_url(),
            public_url=public_url(),
        )
    except AuthRequestError as err:
        dbs().rollback()
        if err.redirect_uri is None:
            page = render_template(
                "sandbox/error.html",
                title=_("The launch was refused"),
                message=err.description,
                status=400,
                in_frame=True,
            )
            return page, 400
        log.info("OIDC authentication request refused: %s", err.description)
        return render_template(
            "sandbox/autosubmit.html",
            action=err.redirect_uri,
            fields=oidc.error_fields(err),
            message=_("Returning to the tool…"),
        )
    count(dbs(), "launches")
    dbs().commit()
    return render_template(
        "sandbox/autosubmit.html", action=answer.redirect_uri, fields=answer.fields, message=_("Opening the tool…")
    )


@bp.post("/<flavour>/deep-link-return")
@csrf.exempt
def deep_link_return(flavour: str):
    """Receive an LtiDeepLinkingResponse and show what was added to the course."""
    get_flavour(flavour)
    token = request.form.get("JWT") or ""
    if not token:
        raise SandboxError(_("The tool sent no deep linking response (JWT)."))
    tool, claims, echoed = verify_response(
        dbs(), token, flavour=flavour, sandbox_url=sandbox_url(), public_url=public_url(), keys=tool_keys()
    )
    outcome = apply_response(dbs(), tool, claims, echoed, public_url=public_url())
    count(dbs(), "deep_link_returns")
    dbs().commit()
    return render_template(
        "sandbox/deep_link_done.html",
        outcome=outcome,
        flavour=FLAVOURS[flavour],
        course_url=urls.course_page(sandbox_url(), flavour, outcome.course.context_id),
    )


@bp.get("/<flavour>/tools")
def tools_page(flavour: str):
    """Site administration → LTI tools: registered tools, activation, "Add tool by URL"."""
    fl = get_flavour(flavour)
    return _render_tools(fl.code)


def _render_tools(flavour: str, *, dialog_url: str | None = None, error: str | None = None, status: int = 200):
    keys = dbs().execute(select(SandboxKey).order_by(SandboxKey.created_at.desc())).scalars().all()
    return (
        render_template(
            "sandbox/tools.html",
            flavour=FLAVOURS[flavour],
            tools=tools(dbs(), flavour),
            keys=keys,
            dialog_url=dialog_url,
            error=error,
            default_registration_url=public_url() + "/lti/register",
            openid_configuration=urls.openid_configuration(sandbox_url(), flavour),
            issuer=urls.issuer(sandbox_url(), flavour),
        ),
        status,
    )


@bp.post("/<flavour>/tools/add")
def tools_add(flavour: str):
    """Open the tool's registration URL in a dialog with a fresh registration token (Dynamic Registration §3.3)."""
    get_flavour(flavour)
    url = (request.form.get("registration_url") or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return _render_tools(flavour, error=_("Enter the tool's registration URL (http or https)."), status=400)
    token = issue_registration_token(dbs(), flavour)
    dbs().commit()
    return _render_tools(flavour, dialog_url=registration_start_url(url, flavour, sandbox_url(), token))


@bp.post("/<flavour>/tools/<int:tool_id>/activate")
def tools_activate(flavour: str, tool_id: int):
    get_flavour(flavour)
    activate_tool(dbs(), flavour, tool_id)
    dbs().commit()
    return redirect(url_for("sandbox.tools_page", flavour=flavour), code=303)


@bp.post("/keys/rotate")
def keys_rotate():
    """Rotate the platform signing key; the old key stays in the JWKS."""
    rotate_platform_key(dbs())
    flavour = request.form.get("flavour") or DEFAULT_FLAVOUR
    return redirect(url_for("sandbox.tools_page", flavour=get_flavour(flavour).code), code=303)


@bp.post("/courses/<context_id>/privacy")
def course_privacy(context_id: str):
    """Change what the LMS shares about people in a course (names, emails) — to exercise pseudonyms."""
    course = course_by_context(dbs(), context_id)
    privacy = request.form.get("privacy") or ""
    if privacy not in PRIVACY_LEVELS:
        raise SandboxError(_("Unknown privacy level."))
    course.privacy = privacy
    dbs().commit()
    flavour = get_flavour(request.form.get("flavour") or DEFAULT_FLAVOUR).code
    return redirect(url_for("sandbox.course", flavour=flavour, context=context_id), code=303)


@bp.get("/gradebook")
def gradebook():
    """Gradebook: a column per line item, a row per student, the latest score in each cell."""
    flavour = request.args.get("flavour") or ""
    if flavour:
        get_flavour(flavour)
    course = course_by_context(dbs(), request.args.get("context") or DEFAULT_CONTEXT_ID)
    query = select(SandboxLineItem).where(SandboxLineItem.course_id == course.id)
    if flavour:
        query = query.where(SandboxLineItem.flavour == flavour)
    columns = dbs().execute(query.order_by(SandboxLineItem.flavour, SandboxLineItem.id)).scalars().all()
    students = (
        dbs()
        .execute(
            select(SandboxUser, SandboxEnrolment)
            .join(SandboxEnrolment, SandboxEnrolment.user_id == SandboxUser.id)
            .where(SandboxEnrolment.course_id == course.id, SandboxEnrolment.role == "student")
            .order_by(SandboxEnrolment.id)
            .limit(500)
        )
        .all()
    )
    results = (
        dbs()
        .execute(select(SandboxResult).where(SandboxResult.line_item_id.in_([c.id for c in columns] or [0])))
        .scalars()
    )
    cells = {(r.line_item_id, r.user_id): r for r in results}
    return render_template(
        "sandbox/gradebook.html",
        course=course,
        columns=columns,
        students=students,
        cells=cells,
        selected=flavour,
    )


@bp.get("/mailbox")
def mailbox():
    """Emails the tool "sent" in the demo (newest first), optionally only those to one address (``?to=``)."""
    to = (request.args.get("to") or "").strip()[:320]
    query = select(SandboxMail)
    if to:
        query = query.where(SandboxMail.to == to)
    mails = dbs().execute(query.order_by(SandboxMail.id.desc()).limit(200)).scalars().all()
    return render_template("sandbox/mailbox.html", mails=mails, to=to)


@bp.get("/mailbox/<int:mail_id>")
def mail_html(mail_id: int):
    """The HTML body of one email, shown in a sandboxed frame of the mailbox page."""
    mail = dbs().get(SandboxMail, mail_id)
    if mail is None or not mail.body_html:
        abort(404)
    response = current_app.response_class(mail.body_html, mimetype="text/html")
    # The tool's HTML is shown inert: no scripts, no forms, no navigation.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
    )
    return response
