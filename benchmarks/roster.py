"""Roster sync of a 5,000-member course: Mentoring Space's bulk sync against a naive per-member baseline.

    .venv/bin/python benchmarks/roster.py [--students 5000] [--page-size 100] [--skip-naive]

The tool and its demo LMS are served by a real threaded HTTP server (werkzeug, as in the test suite) on a
free port of 127.0.0.1, with a temporary SQLite database (or ``DATABASE_URL``: give it an empty database
of its own; it is migrated with the project's migrations). The script creates a course of ``--students``
generated students on the demo LMS (``POST /sandbox/api/courses``; with the instructor and the TA that is
students + 2 members), launches it as the instructor from the demo Moodle and from the demo Canvas (two
platforms, so that each run starts with nobody known), and then syncs the roster over NRPS, ``--page-size``
members per page, following ``Link: rel="next"``:

* **Mentoring Space** — the ``roster.sync`` job exactly as the People page runs it (``run_in_context``:
  claim, progress writes, ``sync_roster``'s bulk loads and bulk writes, one commit per page);
* **re-sync** — the same again with nothing changed (what a nightly sync costs);
* **naive baseline** — the same NRPS pages, then per member a ``SELECT`` of the person, an ``INSERT`` if
  new, a ``SELECT`` of the membership, an ``INSERT`` or ``UPDATE``, and a commit: the obvious loop.

Time is wall time from the first NRPS request to the last commit; members/s is members over that time.
Target (PASS/FAIL, exit status 1 on a FAIL): Mentoring Space syncs the course in under 5 seconds.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urljoin

import requests
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 5.0
CONTEXT_ID = "bench-roster"


def follow_forms(http: requests.Session, response: requests.Response, limit: int = 6) -> requests.Response:
    """Submit the auto-submitting forms of the OIDC hand-offs, as a browser would."""
    for _ in range(limit):
        form = BeautifulSoup(response.text, "html.parser").find("form", id="autosubmit")
        if form is None:
            return response
        fields = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
        response = http.post(urljoin(response.url, form.get("action") or response.url), data=fields, timeout=30)
    return response


def launch(lms_url: str, flavour: str, user: str) -> None:
    http = requests.Session()
    start = f"{lms_url}/sandbox/{flavour}/start?user={user}&context={CONTEXT_ID}"
    page = follow_forms(http, http.get(start, timeout=30))
    if page.status_code != 200 or "/space/" not in page.url:
        raise SystemExit(f"launch from {flavour} failed: {page.status_code} {page.url}\n{page.text[:500]}")


def course_of(app, flavour: str):
    from sqlalchemy import select

    from lti_tool.extensions import db
    from lti_tool.models import Course, Platform
    from lti_tool.sandbox.flavours import FLAVOURS

    with app.app_context():
        course = db.session.execute(
            select(Course)
            .join(Platform, Platform.id == Course.platform_id)
            .where(Course.context_id == CONTEXT_ID, Platform.client_id == FLAVOURS[flavour].client_id)
        ).scalar_one()
        db.session.expunge(course)
        return course


def count_members(app, course_id: int) -> int:
    from sqlalchemy import func, select

    from lti_tool.extensions import db
    from lti_tool.models import Membership

    with app.app_context():
        return db.session.execute(
            select(func.count()).select_from(Membership).where(Membership.course_id == course_id)
        ).scalar_one()


def run_job(app, course_id: int) -> tuple[float, dict]:
    """The roster.sync job as the People page runs it, in this thread."""
    from lti_tool.extensions import db
    from lti_tool.jobs import create_only, run_in_context
    from lti_tool.models import Job
    from lti_tool.roster.tasks import KIND

    with app.app_context():
        job_id = create_only(KIND, course_id).id
        started = time.perf_counter()
        status = run_in_context(job_id)
        elapsed = time.perf_counter() - started
        job = db.session.get(Job, job_id)
        if status != "succeeded" or job is None:
            raise SystemExit(f"the sync failed: {job.error if job else status}")
        result = dict(job.result or {})
        db.session.remove()
    return elapsed, result


def run_naive(app, course_id: int, page_size: int) -> tuple[float, int]:
    """Per member: SELECT person, INSERT if new, SELECT membership, INSERT or UPDATE, commit."""
    from sqlalchemy import select

    from lti_tool.extensions import db
    from lti_tool.launch.roles import program_role
    from lti_tool.models import Course, Membership, Person
    from lti_tool.roster.nrps import nrps_pages
    from lti_tool.roster.tasks import connector_for

    with app.app_context():
        session = db.session()
        course = session.get(Course, course_id)
        assert course is not None and course.nrps_url
        connector = connector_for(session, course)
        session.commit()
        started = time.perf_counter()
        members = 0
        for page in nrps_pages(connector, course.nrps_url, page_size):
            for member in page:
                sub = member["user_id"]
                person = session.execute(
                    select(Person).where(Person.platform_id == course.platform_id, Person.sub == sub)
                ).scalar_one_or_none()
                if person is None:
                    person = Person(platform_id=course.platform_id, sub=sub)
                    session.add(person)
                for field in ("name", "given_name", "family_name", "email", "picture"):
                    if member.get(field):
                        setattr(person, field, member[field])
                session.flush()
                roles = member.get("roles") or []
                membership = session.execute(
                    select(Membership).where(Membership.course_id == course.id, Membership.person_id == person.id)
                ).scalar_one_or_none()
                if membership is None:
                    membership = Membership(course_id=course.id, person_id=person.id, source="roster")
                    session.add(membership)
                membership.lti_roles = roles
                membership.program_role = program_role(roles).value
                membership.is_active = member.get("status", "Active") == "Active"
                session.commit()
                members += 1
        elapsed = time.perf_counter() - started
        db.session.remove()
    return elapsed, members


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--skip-naive", action="store_true", help="Leave out the (slow) naive baseline.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from lti_tool import create_app
    from lti_tool.config import Config
    from lti_tool.extensions import db
    from lti_tool.sandbox.seed import INSTRUCTOR_SUB

    tmp = Path(tempfile.mkdtemp(prefix="ms-roster-bench-"))
    database_url = Config.SQLALCHEMY_DATABASE_URI if os.environ.get("DATABASE_URL") else None
    database_url = database_url or f"sqlite:///{tmp / 'bench.sqlite'}"
    probe = make_server("127.0.0.1", 0, lambda e, s: [])
    port = probe.server_port
    probe.server_close()
    app = create_app(
        Config,
        SQLALCHEMY_DATABASE_URI=database_url,
        KEYS_DIR=str(tmp / "keys"),
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        SANDBOX_URL=f"http://localhost:{port}",
        SANDBOX_ENABLED=True,
        ROSTER_PAGE_SIZE=args.page_size,
        ROSTER_SYNC_ON_LAUNCH=False,
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with app.app_context():
        upgrade(revision="heads")
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    lms_url = f"http://localhost:{port}"
    try:
        requests.get(lms_url + "/sandbox/", timeout=30).raise_for_status()
        created = requests.post(
            lms_url + "/sandbox/api/courses",
            json={"context_id": CONTEXT_ID, "students": args.students},
            timeout=300,
        )
        created.raise_for_status()
        launch(lms_url, "moodle", INSTRUCTOR_SUB)
        launch(lms_url, "canvas", INSTRUCTOR_SUB)
        ours, baseline = course_of(app, "moodle"), course_of(app, "canvas")
        expected = args.students + 2

        print(f"Roster sync: {expected:,} members, {args.page_size} per page, demo LMS over HTTP (threaded server)")
        print(f"Database: {database_url.split('@')[-1]}")
        elapsed, result = run_job(app, ours.id)
        assert count_members(app, ours.id) == expected and result["members"] == expected, result
        pages = result["pages"]
        rows = [("Mentoring Space (roster.sync job)", elapsed, expected)]
        again, result2 = run_job(app, ours.id)
        assert result2["added"] == 0 and result2["updated"] == 0, result2
        rows.append(("Mentoring Space, re-sync, nothing changed", again, expected))
        if not args.skip_naive:
            naive, members = run_naive(app, baseline.id, args.page_size)
            assert count_members(app, baseline.id) == expected == members
            rows.append(("naive: SELECT+INSERT, commit per member", naive, members))

        print(f"{'':44} {'seconds':>9} {'members/s':>10}")
        for label, seconds, members in rows:
            print(f"  {label:42} {seconds:9.2f} {members / seconds:10.0f}")
        print(f"  ({pages} NRPS pages)")
        if not args.skip_naive:
            print(f"  speed-up over the naive loop: {rows[-1][1] / elapsed:.1f}×")
        ok = elapsed < TARGET_SECONDS
        print(
            f"{'PASS' if ok else 'FAIL'}  sync of {expected:,} members in < {TARGET_SECONDS:.0f} s "
            f"(took {elapsed:.2f} s)"
        )
        return 0 if ok else 1
    finally:
        server.shutdown()
        thread.join(5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
