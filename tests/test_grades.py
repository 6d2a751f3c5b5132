"""Grade delivery over real HTTP against the demo LMS: outbox, worker, retries, leases, line items."""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import delete, func, select, update

from lti_tool.extensions import db
from lti_tool.grades import InvalidScore
from lti_tool.grades.ags import SCOPE, retry_after_seconds, scores_url
from lti_tool.grades.delivery import claim, deliver_pending
from lti_tool.grades.lineitems import ensure_line_item, restore_missing
from lti_tool.grades.results import record_result, score_timestamp
from lti_tool.grades.services import from_app
from lti_tool.models import (
    Course,
    GradeOutbox,
    GradeResult,
    LineItem,
    LineItemStatus,
    Membership,
    OutboxStatus,
    Person,
)
from lti_tool.sandbox.models import SandboxLineItem, SandboxResult, SandboxScore, SandboxUser

from .support.demo import people
from .test_sandbox_platform import access_token

ALL_AGS = [SCOPE + "lineitem", SCOPE + "lineitem.readonly", SCOPE + "result.readonly", SCOPE + "score"]


# --- helpers ---------------------------------------------------------------------------------------------


@dataclass
class GradedCourse:
    flavour: str
    context_id: str
    course_id: int
    platform_id: int
    student_ids: list[int]
    student_subs: list[str]
    launch_token: str


def new_sandbox_course(live, students: int) -> str:
    context_id = "grades-" + uuid.uuid4().hex[:10]
    resp = requests.post(
        live.lms_url + "/sandbox/api/courses", json={"context_id": context_id, "students": students}, timeout=60
    )
    assert resp.status_code == 201, resp.text
    return context_id


def graded_course(live, browser, *, flavour: str = "canvas", students: int = 3) -> GradedCourse:
    """A fresh demo LMS course, its instructor launched into the tool (AGS endpoints recorded), and its
    students known to the tool as participants (as a roster sync would make them)."""
    context_id = new_sandbox_course(live, students)
    instructor = people(live.app, "instructor")[0]
    page = browser.launch(flavour, instructor, context=context_id)
    assert page.status == 200, page.text[:500]
    subs = people(live.app, "student", context_id)
    with live.app.app_context():
        course = db.session.execute(select(Course).where(Course.context_id == context_id)).scalar_one()
        assert course.ags_lineitems_url
        ids = []
        for sub in subs:
            person = Person(platform_id=course.platform_id, sub=sub, name=f"Student {sub[-4:]}")
            db.session.add(person)
            db.session.flush()
            db.session.add(
                Membership(course_id=course.id, person_id=person.id, lti_roles=[], program_role="participant")
            )
            ids.append(person.id)
        db.session.commit()
        return GradedCourse(flavour, context_id, course.id, course.platform_id, ids, subs, page.token() or "")


def line_item(live, gc: GradedCourse, *, tag: str = "eval-1", maximum: float = 10, **kw) -> int:
    with live.app.app_context():
        course = db.session.get(Course, gc.course_id)
        item = ensure_line_item(
            db.session(), from_app(live.app), course, label="Evaluation", score_maximum=maximum, tag=tag, **kw
        )
        db.session.commit()
        return item.id


def record(live, line_item_id: int, person_id: int, score: float | None, **kw) -> int:
    with live.app.app_context():
        item = db.session.get(LineItem, line_item_id)
        person = db.session.get(Person, person_id)
        result = record_result(db.session(), line_item=item, person=person, score_given=score, **kw)
        db.session.commit()
        return result.id


def deliver(live, **kw):
    kw.setdefault("wait", 20)
    return deliver_pending(from_app(live.app), **kw)


def platform_item_id(live, line_item_id: int) -> int:
    with live.app.app_context():
        url = db.session.get(LineItem, line_item_id).platform_url
    return int(re.search(r"/lineitems/(\d+)", url).group(1))


def platform_scores(live, line_item_id: int) -> dict[str, float | None]:
    """What the demo LMS holds for a line item: userId → scoreGiven."""
    item_id = platform_item_id(live, line_item_id)
    with live.app.app_context():
        rows = db.session.execute(
            select(SandboxUser.sub, SandboxResult.score_given)
            .join(SandboxUser, SandboxUser.id == SandboxResult.user_id)
            .where(SandboxResult.line_item_id == item_id)
        ).all()
    return dict(rows)


def posts_applied(live, line_item_id: int) -> tuple[int, int]:
    """(score posts the demo LMS applied, score posts it received) for a line item."""
    item_id = platform_item_id(live, line_item_id)
    with live.app.app_context():
        applied = db.session.execute(
            select(func.count()).where(SandboxScore.line_item_id == item_id, SandboxScore.applied.is_(True))
        ).scalar_one()
        received = db.session.execute(select(func.count()).where(SandboxScore.line_item_id == item_id)).scalar_one()
    return applied, received


def outbox(live, line_item_id: int) -> list[GradeOutbox]:
    with live.app.app_context():
        rows = list(
            db.session.execute(
                select(GradeOutbox).where(GradeOutbox.line_item_id == line_item_id).order_by(GradeOutbox.id)
            ).scalars()
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def set_faults(live, **faults) -> None:
    resp = requests.post(live.lms_url + "/sandbox/faults", json=faults, timeout=30)
    assert resp.status_code == 200, resp.text


def stats(live) -> dict:
    return requests.get(live.lms_url + "/sandbox/stats", timeout=30).json()["counters"]


@pytest.fixture(autouse=True)
def no_faults(live):
    """Every test starts and ends without injected faults."""
    requests.delete(live.lms_url + "/sandbox/faults", timeout=30)
    yield
    requests.delete(live.lms_url + "/sandbox/faults", timeout=30)


# --- pure helpers ----------------------------------------------------------------------------------------


def test_scores_url_keeps_the_query_string():
    """`/scores` goes into the path, before Moodle's `?type_id=`."""
    assert (
        scores_url("https://moodle.example/mod/lti/services.php/2/lineitems/5/lineitem?type_id=3")
        == "https://moodle.example/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=3"
    )
    assert scores_url("https://canvas.example/api/lti/courses/1/line_items/7/") == (
        "https://canvas.example/api/lti/courses/1/line_items/7/scores"
    )


def test_score_timestamps_carry_microseconds_and_a_utc_offset():
    """Timestamps are ISO 8601 with microseconds and +00:00, whatever the input zone."""
    moment = datetime(2026, 11, 23, 10, 49, 8, 123456, tzinfo=UTC)
    assert score_timestamp(moment) == "2026-11-23T10:49:08.123456+00:00"
    with pytest.raises(ValueError):
        score_timestamp(datetime(2026, 11, 23, 10, 49, 8))


def test_retry_after_accepts_seconds_and_http_dates():
    """Retry-After is read as delta-seconds or as an HTTP date."""
    now = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("3", now) == 3.0
    assert retry_after_seconds("Mon, 23 Nov 2026 12:00:05 GMT", now) == 5.0
    assert retry_after_seconds("garbage", now) is None
    assert retry_after_seconds(None, now) is None


# --- recording -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", ["moodle", "canvas"])
def test_recorded_result_is_delivered_with_the_exact_score(live, browser, flavour):
    """A result recorded with its outbox row arrives in the demo LMS's results API and gradebook."""
    gc = graded_course(live, browser, flavour=flavour, students=1)
    item = line_item(live, gc)
    record(live, item, gc.student_ids[0], 7.25, comment="Well argued")
    assert [r.status for r in outbox(live, item)] == ["pending"]

    deliver(live)

    [row] = outbox(live, item)
    assert row.status == "sent" and row.sent_at is not None and row.last_status_code == 200
    with live.app.app_context():
        url = db.session.get(LineItem, item).platform_url
    token = access_token(live, flavour, ALL_AGS)
    base, _, query = url.partition("?")
    results = requests.get(
        base + "/results" + ("?" + query if query else ""), headers={"Authorization": "Bearer " + token}, timeout=30
    ).json()
    assert [(r["userId"], r["resultScore"], r.get("comment")) for r in results] == [
        (gc.student_subs[0], 7.25, "Well argued")
    ]
    page = requests.get(
        live.lms_url + "/sandbox/gradebook", params={"context": gc.context_id, "flavour": flavour}, timeout=30
    )
    assert "<strong>7.25</strong>" in page.text


def test_scores_out_of_range_are_refused_and_nothing_is_written(live, browser):
    """A score above the maximum or below 0 raises a clear error and writes no result or outbox row."""
    gc = graded_course(live, browser, students=1)
    item = line_item(live, gc, tag="range")
    with pytest.raises(InvalidScore, match="above the maximum of 10"):
        record(live, item, gc.student_ids[0], 10.5)
    with pytest.raises(InvalidScore, match="negative"):
        record(live, item, gc.student_ids[0], -1)
    with live.app.app_context():
        db.session.rollback()
        assert db.session.execute(select(func.count()).where(GradeResult.line_item_id == item)).scalar_one() == 0
    assert outbox(live, item) == []


def test_newer_result_supersedes_the_undelivered_older_one(live, browser):
    """Only the latest result is sent; the older undelivered row is abandoned."""
    gc = graded_course(live, browser, students=1)
    item = line_item(live, gc, tag="supersede")
    record(live, item, gc.student_ids[0], 3)
    record(live, item, gc.student_ids[0], 8)
    assert [r.status for r in outbox(live, item)] == ["abandoned", "pending"]

    deliver(live)

    assert [r.status for r in outbox(live, item)] == ["abandoned", "sent"]
    assert platform_scores(live, item) == {gc.student_subs[0]: 8}
    assert posts_applied(live, item) == (1, 1)


def test_an_older_score_never_overwrites_a_newer_one_at_the_platform(live, browser):
    """A late delivery of an older version is ignored by the platform thanks to its timestamp."""
    gc = graded_course(live, browser, students=1)
    item = line_item(live, gc, tag="order")
    record(live, item, gc.student_ids[0], 4)
    record(live, item, gc.student_ids[0], 9)
    deliver(live)
    old, new = outbox(live, item)
    assert old.payload["timestamp"] < new.payload["timestamp"]
    with live.app.app_context():  # the older version's delivery turns up late (a stuck worker, a replay)
        db.session.execute(update(GradeOutbox).where(GradeOutbox.id == old.id).values(status="pending"))
        db.session.commit()

    deliver(live)

    assert platform_scores(live, item) == {gc.student_subs[0]: 9}
    assert posts_applied(live, item) == (1, 2)
    assert [r.status for r in outbox(live, item)] == ["sent", "sent"]


def test_results_recorded_within_one_microsecond_still_order(live, browser):
    """Each version's timestamp is strictly later than the previous one, even at the same instant."""
    gc = graded_course(live, browser, students=1)
    item = line_item(live, gc, tag="instant")
    at = datetime.now(UTC)
    record(live, item, gc.student_ids[0], 1, at=at)
    record(live, item, gc.student_ids[0], 2, at=at)
    first, second = outbox(live, item)
    assert datetime.fromisoformat(second.payload["timestamp"]) - datetime.fromisoformat(
        first.payload["timestamp"]
    ) == timedelta(microseconds=1)


# --- failures and retries --------------------------------------------------------------------------------


def test_503s_and_dropped_responses_deliver_every_score_once_as_the_latest(live, browser):
    """With 503s and responses lost after processing, every student ends with their latest score, applied once."""
    gc = graded_course(live, browser, students=12)
    item = line_item(live, gc, tag="faults")
    expected = {}
    for n, (pid, sub) in enumerate(zip(gc.student_ids, gc.student_subs, strict=True)):
        record(live, item, pid, n % 10)
        if n % 3 == 0:
            record(live, item, pid, (n + 5) % 10)  # a regrade before delivery
        expected[sub] = (n + 5) % 10 if n % 3 == 0 else n % 10
    set_faults(live, fail_rate=0.3, status=503, drop_rate=0.3, endpoints=["ags"])

    report = deliver(live, concurrency=4)

    rows = outbox(live, item)
    assert {r.status for r in rows if r.status != "abandoned"} == {"sent"}
    assert platform_scores(live, item) == expected
    applied, received = posts_applied(live, item)
    assert applied == len(expected)  # each latest score applied exactly once, duplicates ignored
    assert received >= applied and report.retried > 0


def test_429_with_retry_after_waits_before_retrying(live, browser):
    """A 429 puts the row back until Retry-After has passed, then it is delivered."""
    gc = graded_course(live, browser, students=1)
    item = line_item(live, gc, tag="429")
    record(live, item, gc.student_ids[0], 5)
    set_faults(live, fail_next=1, status=429, retry_after=1, endpoints=["ags"])
    started = time.monotonic()

    deliver(live)

    assert time.monotonic() - started >= 0.9
    [row] = outbox(live, item)
    assert row.status == "sent" and row.attempts == 2
    assert platform_scores(live, item) == {gc.student_subs[0]: 5}


def test_a_refused_connection_is_retried(live, browser):
    """A connection the platform never answers is retried later; nothing is lost meanwhile."""
    gc = graded_course(live, browser, students=1)
    item = line_item(live, gc, tag="conn")
    record(live, item, gc.student_ids[0], 6)
    with live.app.app_context():
        li = db.session.get(LineItem, item)
        real_url = li.platform_url
        li.platform_url = "http://127.0.0.1:9/lineitems/1"  # discard port: nothing listens
        db.session.commit()

    deliver(live, wait=0)

    [row] = outbox(live, item)
    assert row.status == "pending" and "No answer from the LMS" in row.last_error
    with live.app.app_context():
        db.session.get(LineItem, item).platform_url = real_url
        db.session.commit()
    deliver(live)
    assert outbox(live, item)[0].status == "sent"
    assert platform_scores(live, item) == {gc.student_subs[0]: 6}


def test_unknown_user_fails_with_the_platforms_answer(live, browser):
    """A student the platform does not know ends `failed` with the platform's message, not retried."""
    gc = graded_course(live, browser, students=1)
    item = line_item(live, gc, tag="ghost")
    with live.app.app_context():
        ghost = Person(platform_id=gc.platform_id, sub="ghost-" + uuid.uuid4().hex[:8], name="Gone Student")
        db.session.add(ghost)
        db.session.commit()
        ghost_id = ghost.id
    record(live, item, ghost_id, 5)

    deliver(live)

    [row] = outbox(live, item)
    assert row.status == "failed" and row.last_status_code == 400 and row.attempts == 1
    assert "unknown_user" in row.last_error and "not a member of this course" in row.last_error


def test_a_401_drops_the_shared_token_once_and_retries(live, browser):
    """A revoked token is replaced by one fresh token and the score still arrives."""
    gc = graded_course(live, browser, students=1)
    item = line_item(live, gc, tag="401")
    record(live, item, gc.student_ids[0], 2)
    services = from_app(live.app)
    with live.app.app_context():
        connector = services.connector(db.session(), gc.platform_id)
        scopes = sorted(set(db.session.get(Course, gc.course_id).ags_scopes))
        key = connector._scope_key(scopes)
        connector._cache_access_token(key, "revoked-token", 660)  # the token every worker holds was revoked

    deliver(live)

    assert outbox(live, item)[0].status == "sent"
    assert services.store.get(key) not in (None, "revoked-token")


# --- workers ---------------------------------------------------------------------------------------------


def test_two_workers_at_once_never_send_a_score_twice(live, browser):
    """Two workers draining the same outbox concurrently post each score exactly once."""
    gc = graded_course(live, browser, students=40)
    item = line_item(live, gc, tag="race")
    for n, pid in enumerate(gc.student_ids):
        record(live, item, pid, n % 10)
    set_faults(live, latency_ms=20, endpoints=["ags"])
    reports = []

    def work(name: str) -> None:
        reports.append(deliver(live, concurrency=4, batch=5, worker_id=name))

    workers = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)

    assert all(r.sent > 0 for r in reports)  # both took part
    assert {r.status for r in outbox(live, item)} == {"sent"}
    assert posts_applied(live, item) == (40, 40)  # no score posted twice
    assert sum(r.lost_leases for r in reports) == 0


def test_rows_of_a_crashed_worker_are_reclaimed_after_the_lease(live, browser):
    """Rows leased by a worker that died stay untouched until the lease expires, then another worker sends them."""
    gc = graded_course(live, browser, students=3)
    item = line_item(live, gc, tag="crash")
    for pid in gc.student_ids:
        record(live, item, pid, 4)
    services = from_app(live.app)
    crashed = claim(services.session_factory, "dead-worker", batch=100, lease_seconds=1.0)
    assert {c.line_item_id for c in crashed} == {item}  # leased, then the worker "dies"

    deliver(live, wait=0)
    assert {r.status for r in outbox(live, item)} == {"in_flight"}  # lease still valid: not taken

    time.sleep(1.1)
    deliver(live, wait=0)
    rows = outbox(live, item)
    assert {r.status for r in rows} == {"sent"} and {r.attempts for r in rows} == {2}
    assert posts_applied(live, item) == (3, 3)


def test_one_token_request_per_token_lifetime(live, browser):
    """Delivering many scores with many threads asks the platform for one access token."""
    gc = graded_course(live, browser, students=30)
    item = line_item(live, gc, tag="tokens")
    for pid in gc.student_ids:
        record(live, item, pid, 1)
    services = from_app(live.app)
    with live.app.app_context():
        connector = services.connector(db.session(), gc.platform_id)
        connector.forget_access_token(sorted(set(db.session.get(Course, gc.course_id).ags_scopes)))
    before = stats(live).get("tokens_issued", 0)

    report = deliver(live, concurrency=8, batch=10)

    assert stats(live).get("tokens_issued", 0) - before == 1
    assert report.token_requests == 1
    assert {r.status for r in outbox(live, item)} == {"sent"}


# --- line items ------------------------------------------------------------------------------------------


def test_line_item_discovery_follows_paging_and_never_duplicates(live, browser):
    """An existing platform line item on a later page is found again instead of creating a duplicate."""
    gc = graded_course(live, browser, students=1)
    token = access_token(live, gc.flavour, ALL_AGS)
    url = f"{live.lms_url}/sandbox/{gc.flavour}/ags/{gc.context_id}/lineitems"
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/vnd.ims.lis.v2.lineitem+json"}
    for tag in ("a", "b", "c", "d", None):
        body = {"label": f"Eval {tag}", "scoreMaximum": 20, "resourceId": "eval-7"}
        if tag:
            body["tag"] = tag
        assert requests.post(url, json=body, headers=headers, timeout=30).status_code == 201
    with live.app.app_context():  # the platform pages its container two items at a time
        course = db.session.get(Course, gc.course_id)
        course.ags_lineitems_url = course.ags_lineitems_url + "?limit=2"
        db.session.commit()
    before = stats(live).get("lineitems_created", 0)

    first = line_item(live, gc, tag=None, resource_id="eval-7", maximum=20)
    with live.app.app_context():  # the tool forgets it (a restored backup): found again on the platform
        found_url = db.session.get(LineItem, first).platform_url
        db.session.execute(delete(LineItem).where(LineItem.id == first))
        db.session.commit()
    again = line_item(live, gc, tag=None, resource_id="eval-7", maximum=20)

    assert stats(live).get("lineitems_created", 0) == before
    with live.app.app_context():
        assert db.session.get(LineItem, again).platform_url == found_url
        sandbox_item = db.session.get(SandboxLineItem, platform_item_id(live, again))
        assert (sandbox_item.resource_id, sandbox_item.tag) == ("eval-7", None)
    line_item(live, gc, tag="new-one", maximum=5)
    assert stats(live).get("lineitems_created", 0) == before + 1


def test_a_line_item_deleted_on_the_platform_is_recreated_and_results_resent(live, browser):
    """A 404 on scores marks the line item missing; recreating it sends every latest result again."""
    gc = graded_course(live, browser, students=2)
    item = line_item(live, gc, tag="deleted")
    record(live, item, gc.student_ids[0], 3)
    record(live, item, gc.student_ids[1], 4)
    deliver(live)
    with live.app.app_context():
        url = db.session.get(LineItem, item).platform_url
    token = access_token(live, gc.flavour, ALL_AGS)
    assert requests.delete(url, headers={"Authorization": "Bearer " + token}, timeout=30).status_code == 204
    record(live, item, gc.student_ids[0], 9)

    deliver(live)

    with live.app.app_context():
        li = db.session.get(LineItem, item)
        assert li.status == LineItemStatus.MISSING.value
        assert db.session.execute(
            select(GradeResult.score_given).where(GradeResult.line_item_id == item).order_by(GradeResult.id)
        ).scalars().all() == [9, 4]
        restored = restore_missing(db.session(), from_app(live.app), db.session.get(Course, gc.course_id))
        db.session.commit()
        assert restored == 1 and li.status == LineItemStatus.ACTIVE.value and li.platform_url
    deliver(live)

    assert platform_scores(live, item) == {gc.student_subs[0]: 9, gc.student_subs[1]: 4}
    latest = [r for r in outbox(live, item) if r.status != OutboxStatus.ABANDONED.value][-2:]
    assert {r.status for r in latest} == {"sent"}


def test_the_platforms_own_line_item_from_the_launch_claim_receives_scores(live, browser):
    """A placement whose launch names a line item (AGS lineitem claim) gets results without creating one."""
    from lti_tool.grades.lineitems import line_item_for_link
    from lti_tool.models import LineItemOrigin, ResourceLink

    gc = graded_course(live, browser, students=1)
    with live.app.app_context():
        link = db.session.execute(select(ResourceLink).where(ResourceLink.course_id == gc.course_id)).scalar_one()
        link_id = link.resource_link_id
    token = access_token(live, gc.flavour, ALL_AGS)
    created = requests.post(
        f"{live.lms_url}/sandbox/{gc.flavour}/ags/{gc.context_id}/lineitems",
        json={"label": "Activity grade", "scoreMaximum": 50, "resourceLinkId": link_id},
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/vnd.ims.lis.v2.lineitem+json"},
        timeout=30,
    ).json()
    instructor = people(live.app, "instructor")[0]
    assert browser.launch(gc.flavour, instructor, context=gc.context_id, link=link_id).status == 200

    with live.app.app_context():
        link = db.session.get(ResourceLink, link.id)
        assert link.lineitem_url == created["id"]
        item = line_item_for_link(db.session(), link, score_maximum=50)
        db.session.commit()
        assert (item.created_by, item.platform_url) == (LineItemOrigin.PLATFORM.value, created["id"])
        item_id = item.id
    record(live, item_id, gc.student_ids[0], 42)
    deliver(live)
    assert platform_scores(live, item_id) == {gc.student_subs[0]: 42}


def test_cli_delivers_and_counts_the_outbox(live, browser):
    """`flask grades deliver` sends what is due and `flask grades status` counts rows by state."""
    gc = graded_course(live, browser, students=1)
    item = line_item(live, gc, tag="cli")
    record(live, item, gc.student_ids[0], 3)
    runner = live.app.test_cli_runner()

    delivered = runner.invoke(args=["grades", "deliver", "--wait", "5"])

    assert delivered.exit_code == 0, delivered.output
    assert "sent 1" in delivered.output
    assert outbox(live, item)[0].status == "sent"
    counted = runner.invoke(args=["grades", "status"])
    assert counted.exit_code == 0 and "sent" in counted.output


def test_a_slow_platform_does_not_let_the_lease_lapse(live, browser):
    """A worker renews its lease while rows wait in its pool, so a second worker never takes them over."""
    from dataclasses import replace

    from lti_tool.grades.services import DeliverySettings

    gc = graded_course(live, browser, students=3)
    item = line_item(live, gc, tag="slow")
    for pid in gc.student_ids:
        record(live, item, pid, 7)
    base = from_app(live.app)
    slow = replace(base, settings=replace(base.settings, lease_seconds=0.6, concurrency=1))
    assert isinstance(slow.settings, DeliverySettings)
    set_faults(live, latency_ms=500, endpoints=["ags"])  # three posts one at a time: 1.5 s in all
    reports = []
    first = threading.Thread(target=lambda: reports.append(deliver_pending(slow, concurrency=1, wait=0)))
    first.start()
    # Time from the first worker's claim, not from its start (a busy machine may take a while to start it).
    deadline = time.monotonic() + 20
    while not all(row.leased_by for row in outbox(live, item)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert all(row.leased_by for row in outbox(live, item)), "the first worker never claimed the rows"
    time.sleep(1.0)  # past the first lease (0.6 s), before the third post is done: only a renewal keeps it
    second = deliver(live, wait=0)
    first.join(30)

    assert second.claimed == 0
    assert reports[0].sent == 3 and reports[0].lost_leases == 0
    assert posts_applied(live, item) == (3, 3)


def test_a_course_without_the_line_items_service_cannot_get_a_column(live, browser):
    """Without the AGS line items URL from a launch, ensure_line_item explains what to do."""
    from lti_tool.grades import LineItemUnavailable

    gc = graded_course(live, browser, students=1)
    with live.app.app_context():
        course = db.session.get(Course, gc.course_id)
        course.ags_lineitems_url = None
        with pytest.raises(LineItemUnavailable, match="open the tool from the course"):
            ensure_line_item(db.session(), from_app(live.app), course, label="X", score_maximum=1, tag="none")
        db.session.rollback()


def test_a_worker_dying_mid_batch_under_faults_still_delivers_each_latest_score_once(live, browser):
    """A worker posts half its batch (some answers dropped on the way back) and dies before recording
    anything; under 429 + Retry-After, then 503s and regrades, the next workers finish: every student ends
    with their latest score, and the platform applied each score version exactly once."""
    from lti_tool.grades.ags import ThreadSessions
    from lti_tool.grades.delivery import _Sender
    from lti_tool.grades.services import USER_AGENT

    gc = graded_course(live, browser, students=10)
    item = line_item(live, gc, tag="mid-batch")
    expected = {}
    for n, (pid, sub) in enumerate(zip(gc.student_ids, gc.student_subs, strict=True)):
        record(live, item, pid, n % 10)
        if n % 3 == 0:
            record(live, item, pid, (n + 4) % 10)  # regraded before anything was sent
        expected[sub] = (n + 4) % 10 if n % 3 == 0 else n % 10

    services = from_app(live.app)
    dying = claim(services.session_factory, "dying-worker", batch=100, lease_seconds=1.0)
    assert len(dying) == 10
    set_faults(live, drop_rate=0.5, endpoints=["ags"])
    sender = _Sender(services, ThreadSessions(10, USER_AGENT))
    with services.session_factory() as session:
        sender.prepare(session, {gc.platform_id})
    for claimed in dying[:5]:
        sender.send(claimed)  # posted; the worker dies before writing any outcome back
    assert {r.status for r in outbox(live, item) if r.status != "abandoned"} == {"in_flight"}

    set_faults(live, fail_next=3, status=429, retry_after=1, drop_rate=0.2, endpoints=["ags"])
    time.sleep(1.1)  # the dead worker's lease runs out
    deliver(live, concurrency=4)
    assert platform_scores(live, item) == expected
    assert posts_applied(live, item)[0] == 10

    set_faults(live, fail_rate=0.3, status=503, drop_rate=0.2, endpoints=["ags"])
    for pid, sub in list(zip(gc.student_ids, gc.student_subs, strict=True))[:3]:
        record(live, item, pid, 9.5)
        expected[sub] = 9.5
    deliver(live, concurrency=4)

    rows = outbox(live, item)
    assert {r.status for r in rows if r.status != "abandoned"} == {"sent"}
    assert platform_scores(live, item) == expected
    applied, received = posts_applied(live, item)
    assert applied == 13 and received > applied  # 10 first scores + 3 regrades, each applied once


def test_results_recorded_in_bulk_keep_the_same_guarantees(live, browser):
    """record_results: one bad score writes nothing; new and existing results get their outbox rows, older
    undelivered rows are abandoned, timestamps only move forward; the platform ends with the latest scores."""
    from lti_tool.grades.results import ResultEntry, record_results

    gc = graded_course(live, browser, students=3)
    item = line_item(live, gc, tag="bulk")
    first = record(live, item, gc.student_ids[0], 1)
    with live.app.app_context():
        before = db.session.get(GradeResult, first).timestamp
        li = db.session.get(LineItem, item)
        entries = [ResultEntry(pid, sub, 4.5, 10) for pid, sub in zip(gc.student_ids, gc.student_subs, strict=True)]
        with pytest.raises(InvalidScore):
            record_results(db.session(), li, [*entries[:2], ResultEntry(gc.student_ids[2], gc.student_subs[2], 11, 10)])
        db.session.rollback()
        assert db.session.execute(select(func.count()).select_from(GradeResult)
                                  .where(GradeResult.line_item_id == item)).scalar_one() == 1  # fmt: skip
        li = db.session.get(LineItem, item)
        assert record_results(db.session(), li, entries, at=before - timedelta(seconds=5)) == 3
        db.session.commit()
        rows = db.session.execute(select(GradeResult).where(GradeResult.line_item_id == item)).scalars().all()
        versions = {r.person_id: (r.version, r.timestamp) for r in rows}
        db.session.remove()
    assert versions[gc.student_ids[0]][0] == 2 and versions[gc.student_ids[0]][1] > before
    assert {v for v, _ in versions.values()} == {1, 2}
    assert [r.status for r in outbox(live, item)] == ["abandoned", "pending", "pending", "pending"]
    deliver(live)
    assert platform_scores(live, item) == dict.fromkeys(gc.student_subs, 4.5)
