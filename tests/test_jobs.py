"""The job runner: background threads, progress, failures, deduplication, abandoned jobs, RQ and the CLIs."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import uuid

import pytest
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.jobs import JobContext, JobFailure, enqueue, fail_if_abandoned, job
from lti_tool.models import Course, Job, Platform

from .support.demo import ensure_seeded

GATES: dict[str, threading.Event] = {}


@job("test.echo")
def _echo(ctx: JobContext, value: str) -> dict:
    ctx.progress(1, 2, "Halfway through %(value)s", value=value)
    ctx.finish_message("Echoed %(value)s", value=value)
    return {"value": value, "thread": threading.current_thread().name}


@job("test.crash")
def _crash(ctx: JobContext) -> None:
    raise RuntimeError("kaboom: internal detail")


@job("test.refuse")
def _refuse(ctx: JobContext, what: str) -> None:
    raise JobFailure("Cannot do %(what)s.", detail="the why, for support", what=what)


@job("test.gated", unique_per_course=True)
def _gated(ctx: JobContext, gate: str) -> dict:
    if not GATES[gate].wait(30):
        raise RuntimeError("gate never opened")
    return {"gate": gate}


@pytest.fixture(autouse=True)
def _seeded(browser):
    ensure_seeded(browser)


@pytest.fixture
def course_id(app) -> int:
    """A fresh course of one of the demo platforms."""
    with app.app_context():
        platform_id = db.session.execute(select(Platform.id).limit(1)).scalar_one()
        course = Course(platform_id=platform_id, context_id="jobs-" + uuid.uuid4().hex[:8])
        db.session.add(course)
        db.session.commit()
        return course.id


def wait(app, job_id: int, timeout: float = 20.0) -> Job:
    """Poll the job row until it has finished (or fail after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            row = db.session.get(Job, job_id)
            assert row is not None
            if not row.is_active:
                db.session.expunge(row)
                return row
        assert time.monotonic() < deadline, f"job {job_id} still {row.status} after {timeout}s"
        time.sleep(0.02)


def test_job_runs_in_a_pool_thread_and_records_progress_and_result(app):
    """enqueue commits the row and returns at once; the job runs in a job thread, never the caller's."""
    with app.app_context():
        queued = enqueue("test.echo", value="hello")
        assert queued.id and queued.status in {"queued", "running", "succeeded"}
    done = wait(app, queued.id)
    assert done.status == "succeeded"
    assert done.result["value"] == "hello"
    assert done.result["thread"].startswith("mentoring-job")
    assert done.result["thread"] != threading.current_thread().name
    assert done.message_key == "Echoed %(value)s" and done.message_params == {"value": "hello"}
    assert done.progress_done == 2 and done.progress_total == 2, "a finished job shows complete progress"
    assert done.started_at and done.finished_at and done.finished_at >= done.started_at


def test_crash_marks_the_job_failed_with_a_generic_message_and_keeps_the_detail(app):
    """An unexpected exception fails the job: a clear message for the user, the exception for support."""
    with app.app_context():
        job_id = enqueue("test.crash").id
    done = wait(app, job_id)
    assert done.status == "failed"
    assert "unexpected error" in done.message_key
    assert "kaboom: internal detail" in done.error and "Traceback" in done.error
    assert "kaboom" not in done.message_key


def test_job_failure_message_is_shown_with_its_parameters(app):
    """A JobFailure's own message (a msgid with parameters) is what the user reads."""
    from lti_tool.jobs.status import as_json

    with app.app_context():
        job_id = enqueue("test.refuse", what="the impossible").id
    done = wait(app, job_id)
    assert done.status == "failed"
    with app.test_request_context("/"):
        body = as_json(done)
    assert body["message"] == "Cannot do the impossible."
    assert "the why" not in str(body), "the detail stays on the server"
    assert "the why, for support" in done.error


def test_unique_jobs_are_deduplicated_per_course(app, course_id):
    """Two enqueues of a unique kind for one course while it runs give the same job; after it ends, a new one."""
    gate = uuid.uuid4().hex
    GATES[gate] = threading.Event()
    try:
        with app.app_context():
            first = enqueue("test.gated", course_id, gate=gate)
            second = enqueue("test.gated", course_id, gate=gate)
        assert second.id == first.id
    finally:
        GATES[gate].set()
    assert wait(app, first.id).status == "succeeded"
    with app.app_context():
        third = enqueue("test.gated", course_id, gate=gate)
    assert third.id != first.id
    assert wait(app, third.id).status == "succeeded"


def test_racing_enqueues_start_one_job(app, course_id):
    """Ten threads enqueueing the same unique job at once all get one job id."""
    gate = uuid.uuid4().hex
    GATES[gate] = threading.Event()
    ids: list[int] = []
    errors: list[BaseException] = []

    def click() -> None:
        try:
            with app.app_context():
                ids.append(enqueue("test.gated", course_id, gate=gate).id)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=click) for _ in range(10)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        GATES[gate].set()
    assert errors == []
    assert len(ids) == 10 and len(set(ids)) == 1
    assert wait(app, ids[0]).status == "succeeded"


def test_unknown_kind_is_refused_at_enqueue(app):
    """Enqueueing a kind nobody registered is a programming error, raised at once."""
    with app.app_context(), pytest.raises(ValueError, match="unknown job kind"):
        enqueue("test.nobody")


def test_stale_queued_job_is_failed_on_the_next_look(app, course_id):
    """A queued job nobody picked up for JOBS_QUEUED_STALE_MINUTES is failed when someone looks at it."""
    from datetime import timedelta

    from lti_tool.models import utcnow

    with app.app_context():
        old = utcnow() - timedelta(minutes=app.config["JOBS_QUEUED_STALE_MINUTES"] + 1)
        row = Job(course_id=course_id, kind="test.echo", status="queued", params={}, created_at=old)
        fresh = Job(course_id=course_id, kind="test.echo", status="running", params={}, created_at=old)
        fresh.started_at = fresh.heartbeat_at = utcnow()
        db.session.add_all([row, fresh])
        db.session.commit()
        assert fail_if_abandoned(db.session(), row).status == "failed"
        assert "abandoned" in row.message_key
        assert fail_if_abandoned(db.session(), fresh).status == "running", "a job with a recent heartbeat lives"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway redis-server (skipped where none is installed), or the suite's REDIS_URL."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    client.close()
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def rq_mode(app, redis_url, monkeypatch):
    """The production dispatch: JOBS_INLINE off and a Redis URL (for the jobs queue only)."""
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    monkeypatch.setitem(app.config, "JOBS_QUEUE", "test-" + uuid.uuid4().hex[:6])
    app.extensions.pop("jobs_redis", None)
    yield app
    connection = app.extensions.pop("jobs_redis", None)
    if connection is not None:
        connection.close()


def test_production_dispatch_puts_the_job_on_rq_and_a_worker_runs_it(rq_mode):
    """With Redis and JOBS_INLINE off, enqueue hands the job to RQ; a worker process runs it to success."""
    app = rq_mode
    from lti_tool.jobs.queue import rq_queue

    with app.app_context():
        job_id = enqueue("test.echo", value="via rq").id
        queue = rq_queue(app)
        assert queue.count == 1, "the job waits on the Redis queue, not in a thread"
        assert db.session.get(Job, job_id).status == "queued"
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    done = wait(app, job_id)
    assert done.status == "succeeded" and done.result["value"] == "via rq"
    with app.app_context():
        assert rq_queue(app).count == 0


def test_jobs_worker_needs_redis(app, monkeypatch):
    """`flask jobs worker` explains that jobs run in-process when REDIS_URL is not set."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output


def test_roster_sync_cli_syncs_a_course(live, browser):
    """`flask roster sync COURSE_ID` runs the sync in the foreground and reports the job's outcome."""
    import requests

    from lti_tool.sandbox.seed import INSTRUCTOR_SUB
    from lti_tool.views.access import signer

    resp = requests.post(
        live.lms_url + "/sandbox/api/courses", json={"context_id": "jobs-cli", "students": 4}, timeout=30
    )
    assert resp.status_code == 201
    page = browser.launch("moodle", INSTRUCTOR_SUB, "jobs-cli")
    course = signer(live.app).loads(page.token()).course_id
    runner = live.app.test_cli_runner()
    result = runner.invoke(args=["roster", "sync", str(course)])
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output and "6 active members" in result.output
    listed = runner.invoke(args=["jobs", "list", "--course", str(course)])
    assert "roster.sync" in listed.output and "succeeded" in listed.output
    missing = runner.invoke(args=["roster", "sync", "999999"])
    assert missing.exit_code != 0 and "No course" in missing.output
