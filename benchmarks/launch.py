"""Full LTI 1.3 launches per second: Mentoring Space against a stock pylti1p3 tool, in the same run.

    .venv/bin/python benchmarks/launch.py [--n 200] [--concurrency 20] [--workers 2] [--threads 4] [--rounds 2]

Both tools are served by gunicorn (gthread, ``--workers`` × ``--threads``) on free ports of 127.0.0.1.
Mentoring Space runs with its database (a temporary SQLite file, or ``DATABASE_URL`` when set) and its
built-in demo LMS; the baseline is ``benchmarks/stock_pylti1p3_app.py`` (pylti1p3's Flask adapters, a
``ToolConfDict``, cookie-session storage, no database) registered with the SAME demo platform (the demo
Moodle's issuer, client id and JWKS URL) and its own tool key.

One launch, for either tool, is what a browser does after the LMS page posts the login initiation:

    POST /lti/login        → 302 to the platform's auth endpoint (state, nonce)     [timed]
    the platform signs an id_token for that nonce                                  [not timed, same for both]
    POST /lti/launch       → 303 to the tool's first page                           [timed]
    GET  first page        → 200 with the user's name                               [timed]

The demo LMS's auth endpoint only answers redirect URIs registered for its tool, so the id_tokens of both
tools are made the same way, in this process, with the demo platform's Python API
(``build_launch_claims`` once per user, then a fresh nonce, ``iat``/``exp`` and ``sign_jwt`` per launch)
and its signing key (``platform_private_key``); both tools fetch the platform's JWKS from the demo LMS.
Latency is the time of the three tool requests; launches/s is launches over the phase's wall time.
Each phase runs in ``--rounds`` rounds with the tools in turn (A B C | B C A …), so load drift on a shared host
weighs on all alike.

A third row, "stock + checks", is the same stock tool doing, in the plainest way, the two things issue 2 asks
of every launch that pylti1p3 leaves to the tool: each nonce used at most once in a store shared by all
workers, and the course membership upserted on each launch and checked on each page (on the same kind of
database as Mentoring Space's). It is not a target; it shows how much of the gap is those checks.

Targets (PASS/FAIL, exit status 1 on a FAIL): Mentoring Space's throughput ≥ the stock tool's (ratio ≥ 1.0)
sequentially and with ``--concurrency`` clients, and its p95 < 250 ms with ``--concurrency`` clients.
"""

from __future__ import annotations

import argparse
import itertools
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from markupsafe import escape
from servers import Server, free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FLAVOUR = "moodle"
CONTEXT_ID = "course-101"
P95_TARGET_MS = 250.0


# --- servers ---------------------------------------------------------------------------------------------


def gunicorn(name: str, app_spec: str, port: int, env: dict[str, str], log_path: Path, args, cwd: Path) -> Server:
    cmd = [
        str(BIN / "gunicorn"),
        "--worker-class", "gthread",
        "--workers", str(args.workers),
        "--threads", str(args.threads),
        "--bind", f"127.0.0.1:{port}",
        "--log-level", "warning",
        app_spec,
    ]  # fmt: skip
    log = open(log_path, "w")  # noqa: SIM115 - handed to the child, closed with it
    process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Server(name, f"http://127.0.0.1:{port}", process, log_path)


# --- the demo platform, in this process ------------------------------------------------------------------


@dataclass
class Person:
    sub: str
    name: str
    claims: dict  # build_launch_claims' result for this person; nonce, iat and exp are set per launch


@dataclass
class Platform:
    """Signs id_tokens as the demo Moodle would, with its real key and claims."""

    issuer: str
    client_id: str
    deployment_id: str
    auth_login_url: str
    auth_token_url: str
    jwks_url: str
    private_pem: str
    kid: str
    people: dict[str, list[Person]] = field(default_factory=dict)  # per tool launch URL

    def __post_init__(self) -> None:
        # Parsed once: loading a PEM checks the RSA key (~30 ms), far more than signing with it (~0.3 ms),
        # and this client shares the machine's two cores with the servers it measures.
        self._key = serialization.load_pem_private_key(self.private_pem.encode(), password=None)

    def id_token(self, person: Person, nonce: str) -> str:
        from lti_tool.sandbox.platform import ID_TOKEN_LIFETIME, sign_jwt

        now = int(time.time())
        claims = {**person.claims, "nonce": nonce, "iat": now, "exp": now + ID_TOKEN_LIFETIME}
        return sign_jwt(claims, self._key, self.kid)


def prepare_database(env: dict[str, str], public_url: str, sandbox_url: str, tool_targets: list[str]) -> Platform:
    """Migrate the schema, seed the demo LMS and the tool's registrations, and build each person's claims."""
    os.environ.update(env)  # lti_tool.config reads the environment when it is imported
    from flask_migrate import upgrade

    from lti_tool import create_app
    from lti_tool.config import Config
    from lti_tool.extensions import db
    from lti_tool.sandbox import ensure_seeded, urls
    from lti_tool.sandbox.flavours import FLAVOURS
    from lti_tool.sandbox.platform import build_launch_claims, platform_private_key
    from lti_tool.sandbox.seed import DEMO_USERS

    app = create_app(Config, PUBLIC_URL=public_url, SANDBOX_URL=sandbox_url, SANDBOX_ENABLED=True)
    with app.app_context():
        upgrade(revision="heads")  # the migrations, as `flask db upgrade` in production
        ensure_seeded(app)  # what `flask sandbox seed` and the first demo LMS request do
        fl = FLAVOURS[FLAVOUR]
        private_pem, kid = platform_private_key(db.session)
        platform = Platform(
            issuer=urls.issuer(sandbox_url, FLAVOUR),
            client_id=fl.client_id,
            deployment_id=fl.deployment_id,
            auth_login_url=urls.auth(sandbox_url, FLAVOUR),
            auth_token_url=urls.token(sandbox_url, FLAVOUR),
            jwks_url=urls.jwks(sandbox_url),
            private_pem=private_pem,
            kid=kid,
        )
        enrolled = [u for u in DEMO_USERS if u.role and u.active]
        for target in tool_targets:
            platform.people[target] = [
                Person(
                    u.sub,
                    u.name,
                    build_launch_claims(
                        db.session,
                        flavour=FLAVOUR,
                        user_sub=u.sub,
                        context_id=CONTEXT_ID,
                        nonce="-",
                        target_link_uri=target,
                        sandbox_url=sandbox_url,
                    ),
                )
                for u in enrolled
            ]
        db.session.commit()
        db.engine.dispose()
    return platform


def write_stock_key(folder: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = folder / "stock-private.pem"
    public = folder / "stock-public.pem"
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private, public


# --- one launch ------------------------------------------------------------------------------------------


@dataclass
class Tool:
    name: str
    url: str
    platform: Platform
    first_page: str  # path prefix the launch must land on

    @property
    def launch_url(self) -> str:
        return self.url + "/lti/launch"

    @property
    def people(self) -> list[Person]:
        return self.platform.people[self.launch_url]


class LaunchFailed(Exception):
    pass


def launch_once(http: requests.Session, tool: Tool, person: Person) -> tuple[float, float, float]:
    """One full launch in a fresh cookie jar (a new browser session).

    Returns the seconds the tool took for the login, the launch and the first page."""
    http.cookies.clear()
    p = tool.platform
    t0 = time.perf_counter()
    login = http.post(
        tool.url + "/lti/login",
        data={
            "iss": p.issuer,
            "login_hint": person.sub,
            "target_link_uri": tool.launch_url,
            "client_id": p.client_id,
            "lti_deployment_id": p.deployment_id,
            "lti_message_hint": "bench",
        },
        allow_redirects=False,
        timeout=30,
    )
    t1 = time.perf_counter()
    if login.status_code != 302:
        raise LaunchFailed(f"{tool.name} login: HTTP {login.status_code} {login.text[:300]}")
    auth = parse_qs(urlsplit(login.headers["Location"]).query)
    if auth.get("redirect_uri") != [tool.launch_url]:
        raise LaunchFailed(f"{tool.name} login: unexpected redirect_uri {auth.get('redirect_uri')}")
    id_token = p.id_token(person, auth["nonce"][0])
    t2 = time.perf_counter()
    launched = http.post(
        tool.launch_url, data={"id_token": id_token, "state": auth["state"][0]}, allow_redirects=False, timeout=30
    )
    if launched.status_code not in (302, 303):
        raise LaunchFailed(f"{tool.name} launch: HTTP {launched.status_code} {launched.text[:300]}")
    t3 = time.perf_counter()
    page_url = urljoin(tool.url, launched.headers["Location"])
    page = http.get(page_url, timeout=30)
    t4 = time.perf_counter()
    if page.status_code != 200 or not urlsplit(page_url).path.startswith(tool.first_page):
        raise LaunchFailed(f"{tool.name} first page {page_url}: HTTP {page.status_code} {page.text[:300]}")
    if str(escape(person.name)) not in page.text:
        raise LaunchFailed(f"{tool.name} first page does not name {person.name}")
    return t1 - t0, t3 - t2, t4 - t3


# --- phases ----------------------------------------------------------------------------------------------


@dataclass
class Result:
    tool: str
    phase: str
    steps: list[tuple[float, float, float]]  # login, launch, first page
    wall: float
    errors: list[str]

    @property
    def latencies(self) -> list[float]:
        return [sum(s) for s in self.steps]

    def step_p50_ms(self, i: int) -> float:
        return statistics.median(s[i] for s in self.steps) * 1000 if self.steps else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.latencies) * 1000 if self.latencies else float("nan")

    def __add__(self, other: Result) -> Result:
        """Two rounds of the same tool and phase as one row: all their launches over their summed wall time."""
        return Result(
            self.tool, self.phase, self.steps + other.steps, self.wall + other.wall, self.errors + other.errors
        )


def run_phase(tool: Tool, phase: str, n: int, clients: int) -> Result:
    """``n`` launches spread over ``clients`` threads, each with its own ``requests.Session``."""
    people = tool.people
    counter = itertools.count()
    lock = threading.Lock()
    steps: list[tuple[float, float, float]] = []
    errors: list[str] = []

    def client() -> None:
        with requests.Session() as http:
            while True:
                with lock:
                    i = next(counter)
                if i >= n:
                    return
                try:
                    timing = launch_once(http, tool, people[i % len(people)])
                except (LaunchFailed, requests.RequestException) as err:
                    with lock:
                        errors.append(str(err))
                    continue
                with lock:
                    steps.append(timing)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Result(tool.name, phase, steps, time.perf_counter() - start, errors)


def print_table(results: list[Result]) -> None:
    print(
        f"\n{'phase':<12}{'tool':<17}{'launches/s':>11}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'mean ms':>8}"
        f"{'ok':>5}{'err':>5}   p50 ms login / launch / page"
    )
    for r in results:
        steps = " / ".join(f"{r.step_p50_ms(i):.1f}" for i in range(3))
        print(
            f"{r.phase:<12}{r.tool:<17}{r.rate:>11.1f}{r.pct(0.5):>8.1f}{r.pct(0.95):>8.1f}{r.pct(0.99):>8.1f}"
            f"{r.mean_ms:>8.1f}{len(r.steps):>5}{len(r.errors):>5}   {steps}"
        )
    for r in results:
        for err in sorted(set(r.errors))[:3]:
            print(f"  ! {r.tool} {r.phase}: {err}")


def verdicts(ours: dict[str, Result], stock: dict[str, Result], concurrency: int) -> list[tuple[bool, str]]:
    checks = []
    for phase in ours:
        ratio = ours[phase].rate / stock[phase].rate if stock[phase].rate else float("inf")
        checks.append(
            (
                ratio >= 1.0 and not ours[phase].errors,
                f"{phase}: Mentoring Space / stock throughput = {ratio:.2f} (target >= 1.00)",
            )
        )
    p95 = ours["concurrent"].pct(0.95)
    checks.append(
        (
            p95 < P95_TARGET_MS,
            f"concurrent ({concurrency} clients): Mentoring Space p95 = {p95:.0f} ms (target < {P95_TARGET_MS:.0f} ms)",
        )
    )
    return checks


# --- in process (--cpu) ------------------------------------------------------------------------------------


def cpu_launch(client, tool: Tool, person: Person) -> tuple[float, float, float]:
    """One launch through Flask's test client; the process CPU seconds of login, launch and first page."""
    p = tool.platform
    base = {"base_url": tool.url}
    t0 = time.process_time()
    login = client.post(
        "/lti/login",
        data={
            "iss": p.issuer,
            "login_hint": person.sub,
            "target_link_uri": tool.launch_url,
            "client_id": p.client_id,
            "lti_deployment_id": p.deployment_id,
            "lti_message_hint": "bench",
        },
        **base,
    )
    t1 = time.process_time()
    if login.status_code != 302:
        raise LaunchFailed(f"{tool.name} login: HTTP {login.status_code}")
    auth = parse_qs(urlsplit(login.headers["Location"]).query)
    id_token = p.id_token(person, auth["nonce"][0])
    t2 = time.process_time()
    launched = client.post("/lti/launch", data={"id_token": id_token, "state": auth["state"][0]}, **base)
    t3 = time.process_time()
    if launched.status_code not in (302, 303):
        raise LaunchFailed(f"{tool.name} launch: HTTP {launched.status_code}")
    page = client.get(urljoin(tool.url + "/", launched.headers["Location"]), **base)
    t4 = time.process_time()
    if page.status_code != 200 or str(escape(person.name)) not in page.get_data(as_text=True):
        raise LaunchFailed(f"{tool.name} first page: HTTP {page.status_code}")
    return t1 - t0, t3 - t2, t4 - t3


def run_cpu(tools: dict[str, tuple[Tool, object]], n: int, rounds: int) -> None:
    """Both apps in this process, one launch at a time, in alternating rounds: CPU per step, load-insensitive
    enough to compare the two tools on a busy machine (the gunicorn phases are not)."""
    totals: dict[str, list[tuple[float, float, float]]] = {key: [] for key in tools}
    for tool, app in tools.values():
        for person in tool.people:  # warm-up: returning users, JWKS cached
            cpu_launch(app.test_client(), tool, person)  # type: ignore[attr-defined]
    for r in range(rounds):
        for key in rotated(list(tools), r):
            tool, app = tools[key]
            for i in range(max(1, n // rounds)):
                totals[key].append(cpu_launch(app.test_client(), tool, tool.people[i % len(tool.people)]))  # type: ignore[attr-defined]
    print(f"\nin process, one launch at a time: CPU ms per launch (median of {len(totals['ours'])})")
    print(f"{'tool':<17}{'total':>8}   login / launch / page")
    medians = {}
    for key, steps in totals.items():
        med = [statistics.median(s[i] for s in steps) * 1000 for i in range(3)]
        medians[key] = sum(med)
        print(f"{tools[key][0].name:<17}{sum(med):>8.2f}   " + " / ".join(f"{m:.2f}" for m in med))
    print(f"stock / Mentoring Space CPU per launch = {medians['stock'] / medians['ours']:.2f}")
    if "checked" in medians:
        print(f"(stock + checks) / Mentoring Space CPU per launch = {medians['checked'] / medians['ours']:.2f}")


def rotated(keys: list[str], r: int) -> list[str]:
    """The tools' order in round ``r``: each tool goes first in turn."""
    shift = r % len(keys)
    return keys[shift:] + keys[:shift]


def drop_stock_checks(url: str) -> None:
    """The baseline's two tables, out of a shared database (a SQLite file goes with the temporary folder)."""
    from sqlalchemy import create_engine
    from stock_pylti1p3_app import checks_metadata

    engine = create_engine(url)
    checks_metadata.drop_all(engine)
    engine.dispose()


# --- main ------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="launches per phase and tool (default 200)")
    parser.add_argument("--concurrency", type=int, default=20, help="clients in the concurrent phase (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per tool (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (default 4)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternating rounds per phase, ours and stock in turn (default 2)"
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="instead of the gunicorn phases: both apps in this process, CPU per launch step (load-insensitive)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, database)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="ms-bench-"))
    port, stock_port, checked_port = free_port(), free_port(), free_port()
    public_url, sandbox_url = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
    stock_url, checked_url = f"http://127.0.0.1:{stock_port}", f"http://127.0.0.1:{checked_port}"
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
    checks_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'stock-checks.sqlite'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KEYS_DIR": str(tmp / "keys"),
        "SECRET_KEY": secrets.token_urlsafe(32),
        "PUBLIC_URL": public_url,
        "SANDBOX_URL": sandbox_url,
        "SANDBOX_ENABLED": "1",
    }
    servers: list[Server] = []
    try:
        store = "Redis" if os.environ.get("REDIS_URL") else "the database"
        print(
            f"database: {database_url.split('@')[-1]}   launch store: {store}   "
            + (
                "in process (--cpu)"
                if args.cpu
                else f"gunicorn: {args.workers} workers x {args.threads} threads (gthread)"
            )
            + f"   cores: {os.cpu_count()}   load average: {os.getloadavg()[0]:.2f}"
        )
        platform = prepare_database(
            env,
            public_url,
            sandbox_url,
            [public_url + "/lti/launch", stock_url + "/lti/launch", checked_url + "/lti/launch"],
        )
        private_key, public_key = write_stock_key(tmp)
        stock_env = {
            **env,
            "STOCK_ISSUER": platform.issuer,
            "STOCK_CLIENT_ID": platform.client_id,
            "STOCK_DEPLOYMENT_ID": platform.deployment_id,
            "STOCK_AUTH_LOGIN_URL": platform.auth_login_url,
            "STOCK_AUTH_TOKEN_URL": platform.auth_token_url,
            "STOCK_JWKS_URL": platform.jwks_url,
            "STOCK_PRIVATE_KEY_FILE": str(private_key),
            "STOCK_PUBLIC_KEY_FILE": str(public_key),
        }
        checked_env = {**stock_env, "STOCK_CHECKS_DATABASE_URL": checks_url}
        if args.cpu:
            os.environ.update(stock_env)
            import stock_pylti1p3_app
            from werkzeug.serving import make_server

            from lti_tool import create_app

            ours_app = create_app(PUBLIC_URL=public_url, SANDBOX_URL=sandbox_url)
            stock_app = stock_pylti1p3_app.create_app()
            os.environ.update(checked_env)
            checked_app = stock_pylti1p3_app.create_app()
            # The demo LMS (its JWKS) must answer over HTTP for both tools' first launch.
            lms = make_server("127.0.0.1", port, ours_app, threaded=True)
            threading.Thread(target=lms.serve_forever, daemon=True).start()
            try:
                run_cpu(
                    {
                        "ours": (Tool("Mentoring Space", public_url, platform, "/space/"), ours_app),
                        "stock": (Tool("stock pylti1p3", stock_url, platform, "/page"), stock_app),
                        "checked": (Tool("stock + checks", checked_url, platform, "/page"), checked_app),
                    },
                    args.n,
                    args.rounds,
                )
            finally:
                lms.shutdown()
            return 0
        app_spec = f"lti_tool:create_app(PUBLIC_URL={public_url!r}, SANDBOX_URL={sandbox_url!r})"
        servers.append(gunicorn("Mentoring Space", app_spec, port, env, tmp / "mentoring.log", args, ROOT))
        servers.append(
            gunicorn(
                "stock pylti1p3",
                "stock_pylti1p3_app:create_app()",
                stock_port,
                stock_env,
                tmp / "stock.log",
                args,
                ROOT / "benchmarks",
            )
        )
        servers.append(
            gunicorn(
                "stock + checks",
                "stock_pylti1p3_app:create_app()",
                checked_port,
                checked_env,
                tmp / "checked.log",
                args,
                ROOT / "benchmarks",
            )
        )
        for server in servers:
            server.wait_ready()
        ours = Tool("Mentoring Space", public_url, platform, "/space/")
        stock = Tool("stock pylti1p3", stock_url, platform, "/page")
        checked = Tool("stock + checks", checked_url, platform, "/page")
        tools = {"ours": ours, "stock": stock, "checked": checked}

        # Warm-up: every person once per tool, one at a time (the measured launches are returning users, and
        # the platform JWKS gets cached before any concurrency), then every server thread busy for a while.
        # Cold and concurrent, all of Mentoring Space's threads could wait on a JWKS fetch that only the same
        # server can answer: the demo LMS lives in the tool's own app, as no real LMS does.
        for tool in tools.values():
            warm = run_phase(tool, "warm-up", len(tool.people), 1)
            if not warm.errors:
                warm = run_phase(tool, "warm-up", args.concurrency * 2, args.concurrency)
            if warm.errors:
                print_table([warm])
                for server in servers:
                    print(f"--- {server.name} log ---\n{server.log_tail()}")
                return 2

        # Each phase runs in --rounds rounds, the tools taking turns to go first (A B C | B C A | …), so that a
        # machine whose load drifts during the run (other processes on a shared host) weighs on all tools alike.
        results: dict[str, dict[str, Result]] = {key: {} for key in tools}
        round_ratios: dict[str, list[float]] = {}
        per_round = max(1, args.n // args.rounds)
        for phase, clients in (("sequential", 1), ("concurrent", args.concurrency)):
            for r in range(args.rounds):
                this_round = {key: run_phase(tools[key], phase, per_round, clients) for key in rotated(list(tools), r)}
                for key, result in this_round.items():
                    results[key][phase] = results[key][phase] + result if phase in results[key] else result
                if this_round["stock"].rate:
                    round_ratios.setdefault(phase, []).append(this_round["ours"].rate / this_round["stock"].rate)
        print(
            f"\n{per_round * args.rounds} launches per row in {args.rounds} alternating rounds: login -> launch -> "
            f"first page; concurrent = {args.concurrency} clients"
        )
        print_table([results[k][phase] for phase in ("sequential", "concurrent") for k in tools])
        for phase, ratios in round_ratios.items():
            print(f"  {phase} throughput ratio per round: " + " ".join(f"{x:.2f}" for x in ratios))
        for phase in ("sequential", "concurrent"):
            checked_rate = results["checked"][phase].rate
            ratio = results["ours"][phase].rate / checked_rate if checked_rate else float("inf")
            print(f"  {phase}: Mentoring Space / (stock + checks) throughput = {ratio:.2f} (for comparison)")
        print()
        checks = verdicts(results["ours"], results["stock"], args.concurrency)
        for ok, text in checks:
            print(("PASS  " if ok else "FAIL  ") + text)
        return 0 if all(ok for ok, _ in checks) else 1
    finally:
        for server in servers:
            server.stop()
        if os.environ.get("DATABASE_URL"):
            drop_stock_checks(checks_url)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
