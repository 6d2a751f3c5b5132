"""Grade delivery: 1,000 scores through our outbox worker beside a naive sender, on the same demo LMS.

    .venv/bin/python benchmarks/grades.py [--n 1000] [--concurrency 32] [--repeat 3] [--workers 4] [--threads 8]

The demo LMS (with the tool, one Flask app) is served by gunicorn (gthread, ``--workers`` × ``--threads``)
on a free port, with 20 ms of latency injected into every token and AGS request. Its database is a
temporary SQLite file, or ``DATABASE_URL`` when set. A course of ``--n`` students is created on both sides
(the demo LMS's bulk course API, and the matching people in the tool), then three runs, each on its own
line item:

1. **ours**: ``record_result`` for every student (result + outbox row, one transaction), then
   ``deliver_pending`` (leases, one shared access token, a thread pool of ``--concurrency``).
2. **naive**: the same scores sent one after the other, each with a fresh access token (a signed client
   assertion and a token request per score), as a tool without a token cache or a queue does.
3. **ours, 20% faults**: as 1, with 20% of token and AGS requests failing with 503 (fast test backoff).

A fourth, reference row posts the same scores from as many threads with a token in hand and no database
work on the tool's side: the demo LMS's own ceiling on this machine (it runs Flask and SQLite writes per
score, about 6 ms of CPU each), which bounds every sender. Runs 1 and 4 are repeated (``--repeat``, 3)
and the best time is shown with the median, as ``timeit`` does: the machine may be shared.

After each run the demo LMS's stored results are compared with what was sent. Targets (PASS/FAIL, exit
status 1 on a FAIL): ours under 5 s for 1,000 scores, exactly one token request for the run (one token
lifetime), every score delivered with the latest value under faults.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests
from servers import Server, free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FLAVOUR = "canvas"
LATENCY_MS = 20
FAULT_RATE = 0.2
TIME_TARGET_S = 5.0
AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
ALL_AGS = [AGS + "lineitem", AGS + "lineitem.readonly", AGS + "result.readonly", AGS + "score"]


def start_server(port: int, env: dict[str, str], tmp: Path, args) -> Server:
    public_url, sandbox_url = env["PUBLIC_URL"], env["SANDBOX_URL"]
    cmd = [
        str(BIN / "gunicorn"),
        "--worker-class", "gthread",
        "--workers", str(args.workers),
        "--threads", str(args.threads),
        "--bind", f"127.0.0.1:{port}",
        "--log-level", "warning",
        f"lti_tool:create_app(PUBLIC_URL={public_url!r}, SANDBOX_URL={sandbox_url!r})",
    ]  # fmt: skip
    log_path = tmp / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 - handed to the child, closed with it
    return Server(
        "the demo LMS and Mentoring Space",
        public_url,
        subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT),
        log_path,
    )


@dataclass
class Row:
    name: str
    scores: int
    delivered: int
    seconds: float
    token_requests: int
    score_posts: int
    note: str = ""


class Bench:
    """Both sides of the demo in this process: the tool's database and services, the demo LMS's tables."""

    def __init__(self, app, sandbox_url: str, n: int) -> None:
        from sqlalchemy import insert, select

        from lti_tool.extensions import db
        from lti_tool.models import Course, Person, Platform
        from lti_tool.sandbox import urls
        from lti_tool.sandbox.flavours import FLAVOURS
        from lti_tool.sandbox.models import SandboxEnrolment, SandboxUser
        from lti_tool.sandbox.seed import create_course

        self.app = app
        self.sandbox_url = sandbox_url
        self.context_id = "bench-grades-" + uuid.uuid4().hex[:8]
        with app.app_context():
            sandbox_course = create_course(db.session, self.context_id, n, with_staff=False)
            subs = list(
                db.session.execute(
                    select(SandboxUser.sub)
                    .join(SandboxEnrolment, SandboxEnrolment.user_id == SandboxUser.id)
                    .where(SandboxEnrolment.course_id == sandbox_course.id)
                    .order_by(SandboxEnrolment.id)
                ).scalars()
            )
            platform = db.session.execute(
                select(Platform).where(
                    Platform.issuer == urls.issuer(sandbox_url, FLAVOUR),
                    Platform.client_id == FLAVOURS[FLAVOUR].client_id,
                )
            ).scalar_one()
            course = Course(
                platform_id=platform.id,
                deployment_id=platform.deployments[0].id,
                context_id=self.context_id,
                title="Grades benchmark",
                ags_lineitems_url=urls.lineitems(sandbox_url, FLAVOUR, self.context_id),
                ags_scopes=ALL_AGS,
            )
            db.session.add(course)
            db.session.execute(insert(Person), [{"platform_id": platform.id, "sub": s} for s in subs])
            db.session.commit()
            self.course_id = course.id
            self.platform_id = platform.id
            self.person_ids = list(
                db.session.execute(
                    select(Person.id).where(Person.platform_id == platform.id, Person.sub.in_(subs))
                ).scalars()
            )
            self.token_url = platform.auth_token_url
            self.client_id = platform.client_id
        self.n = len(self.person_ids)

    def services(self):
        from lti_tool.grades.services import from_app

        return from_app(self.app)

    def line_item(self, tag: str):
        from lti_tool.extensions import db
        from lti_tool.grades.lineitems import ensure_line_item
        from lti_tool.models import Course

        with self.app.app_context():
            course = db.session.get(Course, self.course_id)
            item = ensure_line_item(
                db.session(), self.services(), course, label=f"Benchmark {tag}", score_maximum=100, tag=tag
            )
            db.session.commit()
            return item.id, item.platform_url

    def record_all(self, line_item_id: int) -> dict[int, float]:
        """A result per student, each with its outbox row, in one transaction. Returns person → score."""
        from lti_tool.extensions import db
        from lti_tool.grades.results import record_result
        from lti_tool.models import LineItem, Person

        expected = {}
        with self.app.app_context():
            item = db.session.get(LineItem, line_item_id)
            people = db.session.execute(db.select(Person).where(Person.id.in_(self.person_ids))).scalars()
            for n, person in enumerate(people):
                score = float(n % 101)
                record_result(db.session(), line_item=item, person=person, score_given=score)
                expected[person.sub] = score
            db.session.commit()
        return expected

    def forget_token(self) -> None:
        from lti_tool.extensions import db

        with self.app.app_context():
            services = self.services()
            connector = services.connector(db.session(), self.platform_id)
            connector.forget_access_token(sorted(ALL_AGS))

    def platform_results(self, platform_url: str) -> dict[str, float | None]:
        import re

        from sqlalchemy import select

        from lti_tool.extensions import db
        from lti_tool.sandbox.models import SandboxResult, SandboxUser

        item_id = int(re.search(r"/lineitems/(\d+)", platform_url).group(1))
        with self.app.app_context():
            rows = db.session.execute(
                select(SandboxUser.sub, SandboxResult.score_given)
                .join(SandboxUser, SandboxUser.id == SandboxResult.user_id)
                .where(SandboxResult.line_item_id == item_id)
            ).all()
        return dict(rows)

    def naive(self, platform_url: str, expected: dict[str, float]) -> int:
        """One token request per score, one score after the other."""
        import jwt

        from lti_tool.grades.ags import SCORE_MEDIA_TYPE, scores_url
        from lti_tool.grades.results import score_timestamp
        from lti_tool.launch.keys import KeyRing
        from lti_tool.models import utcnow

        key = KeyRing(self.app.config["KEYS_DIR"]).active()
        http = requests.Session()
        tokens = 0
        for sub, score in expected.items():
            now = int(time.time())
            claims = {
                "iss": self.client_id,
                "sub": self.client_id,
                "aud": self.token_url,
                "iat": now,
                "exp": now + 60,
                "jti": uuid.uuid4().hex,
            }
            assertion = jwt.encode(claims, key.signing_key(), algorithm="RS256", headers={"kid": key.kid})
            answer = http.post(
                self.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    "client_assertion": assertion,
                    "scope": " ".join(ALL_AGS),
                },
                timeout=30,
            )
            answer.raise_for_status()
            tokens += 1
            body = {
                "userId": sub,
                "scoreGiven": score,
                "scoreMaximum": 100,
                "activityProgress": "Completed",
                "gradingProgress": "FullyGraded",
                "timestamp": score_timestamp(utcnow()),
            }
            posted = http.post(
                scores_url(platform_url),
                data=json.dumps(body),
                headers={"Authorization": "Bearer " + answer.json()["access_token"], "Content-Type": SCORE_MEDIA_TYPE},
                timeout=30,
            )
            posted.raise_for_status()
        return tokens


def set_faults(lms: str, **faults) -> None:
    requests.post(lms + "/sandbox/faults", json=faults, timeout=30).raise_for_status()


def counters(lms: str) -> dict[str, int]:
    return requests.get(lms + "/sandbox/stats", timeout=30).json()["counters"]


def reset_counters(lms: str) -> None:
    requests.post(lms + "/sandbox/stats/reset", json={}, timeout=30).raise_for_status()


def delivered(results: dict[str, float | None], expected: dict[str, float]) -> int:
    return sum(1 for sub, score in expected.items() if results.get(sub) == score)


def best_of(runs: list[Row]) -> Row:
    """The fastest of repeated runs (as timeit reports), noting the median: a shared machine is noisy."""
    if len(runs) == 1:
        return runs[0]
    ordered = sorted(runs, key=lambda r: r.seconds)
    best, median = ordered[0], ordered[len(ordered) // 2].seconds
    spread = f"best of {len(runs)} (median {median:.2f} s; all delivered: {all(r.delivered == r.scores for r in runs)})"
    best.note = (best.note + "; " if best.note else "") + spread
    best.delivered = min(r.delivered for r in runs)
    best.token_requests = max(r.token_requests for r in runs)
    return best


def run_ours(bench: Bench, lms: str, tag: str, args, note: str, **faults) -> Row:
    from lti_tool.grades.delivery import deliver_pending

    item_id, url = bench.line_item(tag)
    expected = bench.record_all(item_id)
    bench.forget_token()
    set_faults(lms, latency_ms=LATENCY_MS, endpoints=["token", "ags"], **faults)
    reset_counters(lms)
    started = time.perf_counter()
    report = deliver_pending(bench.services(), concurrency=args.concurrency, batch=args.batch, wait=60)
    seconds = time.perf_counter() - started
    stats = counters(lms)
    set_faults(lms)
    return Row(
        f"ours ({args.concurrency} threads)" + (", 20% faults" if faults else ""),
        len(expected),
        delivered(bench.platform_results(url), expected),
        seconds,
        report.token_requests,
        stats.get("score_posts", 0),
        note.format(retried=report.retried, faults=stats.get("faults_injected", 0)),
    )


def run_ceiling(bench: Bench, lms: str, args, tag: str) -> Row:
    """The demo LMS's own ceiling: the same posts from the same number of threads, with a token already in
    hand and no database work on the tool's side (no outbox, no leases, no write-back)."""
    from concurrent.futures import ThreadPoolExecutor

    from lti_tool.extensions import db
    from lti_tool.grades.ags import SCORE_MEDIA_TYPE, scores_url
    from lti_tool.grades.results import score_timestamp
    from lti_tool.models import utcnow

    _, url = bench.line_item(tag)
    expected = {sub: float(n % 101) for n, sub in enumerate(bench_subs(bench))}
    with bench.app.app_context():
        token = bench.services().connector(db.session(), bench.platform_id).get_access_token(sorted(ALL_AGS))
    set_faults(lms, latency_ms=LATENCY_MS, endpoints=["token", "ags"])
    reset_counters(lms)
    sessions: dict[int, requests.Session] = {}

    def post(item: tuple[str, float]) -> int:
        import threading

        http = sessions.setdefault(threading.get_ident(), requests.Session())
        body = {
            "userId": item[0],
            "scoreGiven": item[1],
            "scoreMaximum": 100,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "timestamp": score_timestamp(utcnow()),
        }
        headers = {"Authorization": "Bearer " + token, "Content-Type": SCORE_MEDIA_TYPE}
        return http.post(scores_url(url), data=json.dumps(body), headers=headers, timeout=30).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        list(pool.map(post, expected.items()))
    seconds = time.perf_counter() - started
    stats = counters(lms)
    set_faults(lms)
    return Row(
        "(demo LMS ceiling: bare posts)",
        len(expected),
        delivered(bench.platform_results(url), expected),
        seconds,
        0,
        stats.get("score_posts", 0),
        "reference only: token in hand, no outbox",
    )


def warm_up(bench: Bench, lms: str, args) -> None:
    """Every server thread serves a few score posts first (imports, connections, the tool's JWKS cached)."""
    from lti_tool.grades.delivery import deliver_pending

    item_id, _ = bench.line_item("bench-warm-up")
    bench.record_all(item_id)
    deliver_pending(bench.services(), concurrency=args.concurrency, batch=args.batch, wait=60)


def run_naive(bench: Bench, lms: str) -> Row:
    item_id, url = bench.line_item("bench-naive")
    expected = {sub: float(n % 101) for n, sub in enumerate(bench_subs(bench))}
    set_faults(lms, latency_ms=LATENCY_MS, endpoints=["token", "ags"])
    reset_counters(lms)
    started = time.perf_counter()
    tokens = bench.naive(url, expected)
    seconds = time.perf_counter() - started
    stats = counters(lms)
    set_faults(lms)
    return Row(
        "naive (sequential, token per score)",
        len(expected),
        delivered(bench.platform_results(url), expected),
        seconds,
        tokens,
        stats.get("score_posts", 0),
    )


def bench_subs(bench: Bench) -> list[str]:
    from lti_tool.extensions import db
    from lti_tool.models import Person

    with bench.app.app_context():
        return list(db.session.execute(db.select(Person.sub).where(Person.id.in_(bench.person_ids))).scalars())


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'run':<36} {'scores':>6} {'delivered':>9} {'time (s)':>9} {'scores/s':>9} {'tokens':>7} {'posts':>6}  note"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.name:<36} {r.scores:>6} {r.delivered:>9} {r.seconds:>9.2f} {r.scores / r.seconds:>9.0f} "
            f"{r.token_requests:>7} {r.score_posts:>6}  {r.note}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="scores per run (default 1000)")
    parser.add_argument("--concurrency", type=int, default=32, help="our worker's threads (default 32)")
    parser.add_argument("--batch", type=int, default=500, help="rows leased per claim (default 500)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours and of the ceiling; best shown (3)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker (default 8)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ms-grades-bench-"))
    port = free_port()
    public_url, sandbox_url = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KEYS_DIR": str(tmp / "keys"),
        "SECRET_KEY": secrets.token_urlsafe(32),
        "PUBLIC_URL": public_url,
        "SANDBOX_URL": sandbox_url,
        "SANDBOX_ENABLED": "1",
        "GRADES_BACKOFF_BASE": "0.05",  # retries within the run; production waits seconds
        "GRADES_BACKOFF_MAX": "1",
    }
    os.environ.update(env)  # lti_tool.config reads the environment when it is imported
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from lti_tool import create_app
    from lti_tool.config import Config
    from lti_tool.extensions import db
    from lti_tool.sandbox import ensure_seeded

    app = create_app(Config, PUBLIC_URL=public_url, SANDBOX_URL=sandbox_url, SANDBOX_ENABLED=True)
    with app.app_context():
        upgrade(revision="heads")
        ensure_seeded(app)
        db.session.commit()
    server = start_server(port, env, tmp, args)
    try:
        server.wait_ready()
        store = "Redis" if os.environ.get("REDIS_URL") else "the database"
        print(
            f"database: {database_url.split('@')[-1]}   token store: {store}   demo LMS: gunicorn {args.workers} "
            f"workers x {args.threads} threads   injected latency: {LATENCY_MS} ms per token/AGS request   "
            f"cores: {os.cpu_count()}   load average: {os.getloadavg()[0]:.2f}"
        )
        bench = Bench(app, sandbox_url, args.n)
        print(f"{bench.n} students in {bench.context_id}; warming up the server's workers…\n")
        warm_up(bench, sandbox_url, args)
        rows = [
            best_of(
                [
                    run_ours(bench, lms=sandbox_url, tag=f"bench-ours-{i}", args=args, note="")
                    for i in range(args.repeat)
                ]
            ),
            run_naive(bench, sandbox_url),
            run_ours(
                bench,
                lms=sandbox_url,
                tag="bench-faults",
                args=args,
                note="{faults} faults injected, {retried} retries",
                fail_rate=FAULT_RATE,
                status=503,
            ),
            best_of([run_ceiling(bench, sandbox_url, args, f"bench-ceiling-{i}") for i in range(args.repeat)]),
        ]
        print_table(rows)
        ours, _, faulty, _ = rows
        checks = [
            (
                ours.seconds < TIME_TARGET_S and ours.delivered == ours.scores == args.n,
                f"ours delivers {args.n} scores in < {TIME_TARGET_S:.0f} s ({ours.seconds:.2f} s)",
            ),
            (ours.token_requests == 1, f"one token request per token lifetime ({ours.token_requests})"),
            (
                faulty.delivered == faulty.scores == args.n,
                f"every score delivered with {FAULT_RATE:.0%} faults ({faulty.delivered}/{faulty.scores})",
            ),
        ]
        print()
        for ok, text in checks:
            print(("PASS " if ok else "FAIL ") + text)
        return 0 if all(ok for ok, _ in checks) else 1
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
