"""The coordinator's dashboard over real HTTP: metrics of a known scenario, CSV export, permissions, query count."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select, update

from lti_tool.extensions import db

from .support.browser import Page
from .test_dashboard_support import Scenario, paired_course, set_approved_at, write_posts
from .test_program_support import enter, form_data, open_page, submit


def _scenario(live, browser) -> tuple[Scenario, datetime]:
    """Two pairs of one mentor and a mentee left unmatched.

    Pair A (approved 30 days ago) wrote 20 days ago: mentee 0:00, mentee 1:00, mentor 3:00, mentee 5:00 —
    replies of 3 h and 2 h, median 2.5 h; silent for 19 days. Pair B (approved today): mentor two days
    ago, mentee one day ago — one reply of 24 h; active.
    """
    scenario = paired_course(live, browser, mentors=1, mentees=3, capacity=2)
    assert len(scenario.pairs) == 2 and len(scenario.unmatched_subs) == 1
    now = datetime.now(UTC)
    a, b = scenario.pairs
    set_approved_at(live, a, now - timedelta(days=30))
    start = now - timedelta(days=20)
    write_posts(
        live,
        scenario.course_id,
        a,
        [
            ("mentee", start),
            ("mentee", start + timedelta(hours=1)),
            ("mentor", start + timedelta(hours=3)),
            ("mentee", start + timedelta(hours=5)),
        ],
    )
    write_posts(live, scenario.course_id, b, [("mentor", now - timedelta(days=2)), ("mentee", now - timedelta(days=1))])
    return scenario, now


def _dashboard(scenario: Scenario, **params: str) -> Page:
    query = "".join(f"&{k}={v}" for k, v in params.items())
    page = scenario.coordinator.get(f"/dashboard/?ts={scenario.token}{query}")
    assert page.status == 200, page.text[:2000]
    return page


def _stat(page: Page, stat_id: str) -> str:
    return page.soup.select_one(f"#{stat_id} .stat-value").get_text(strip=True)


def _csv(scenario: Scenario, name: str, **params: str) -> tuple[list[list[str]], object]:
    query = "".join(f"&{k}={v}" for k, v in params.items())
    response = scenario.coordinator.http.get(
        f"{scenario.coordinator.tool_url}/dashboard/export/{name}.csv?ts={scenario.token}{query}", timeout=30
    )
    assert response.status_code == 200, response.text[:1000]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark, for spreadsheet apps"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")))), response


def test_known_scenario_metrics_at_risk_and_median_reply(live, browser):
    """A silent pair is at risk for the right reason; median reply times are exact; the unmatched mentee is
    listed with the matching run's reason; the active pair is not at risk."""
    scenario, _now = _scenario(live, browser)
    a, b = scenario.pairs
    page = _dashboard(scenario)
    soup = page.soup

    assert _stat(page, "stat-pairs") == "2"
    assert "1 active · 1 silent" in soup.select_one("#stat-pairs").get_text(" ", strip=True)
    assert _stat(page, "stat-unmatched") == "1"
    assert _stat(page, "stat-switch") == "0"
    # Course median over the replies 3 h, 2 h and 24 h.
    assert _stat(page, "stat-reply") == "3 hours"

    row_a = soup.find(id=f"pair-{a.id}")
    row_b = soup.find(id=f"pair-{b.id}")
    assert row_a["data-status"] == "silent" and row_b["data-status"] == "active"
    assert row_a.select_one("td[data-days]")["data-days"] == "19"
    assert row_a.select_one("td[data-seconds]")["data-seconds"] == "9000"  # median of 3 h and 2 h
    assert row_b.select_one("td[data-seconds]")["data-seconds"] == "86400"
    assert row_a.select_one("td[data-seconds]").get_text(strip=True) == "2.5 hours"

    risk = soup.find(id=f"risk-pair-{a.id}")
    assert risk is not None, soup.find(id="at-risk").get_text(" ", strip=True)
    assert [li.get_text(strip=True) for li in risk.select("li[data-reason]")] == [
        "No contact for 19 days",
        "No meeting held or planned since they were matched 30 days ago",
    ]
    assert soup.find(id=f"risk-pair-{b.id}") is None
    people = soup.select("#risk-table tr[data-person]")
    assert len(people) == 1
    assert "Not matched: every compatible mentor is already full" in people[0].get_text(" ", strip=True)

    # The coordinators' threshold, saved for the course: at 25 days pair A is no longer silent (but still
    # has never met); at 31 days it is not at risk at all; at 1 day pair B is silent too.
    def threshold(value: str) -> Page:
        return submit(scenario.coordinator, _dashboard(scenario), "/dashboard/threshold", silent_days=value)

    relaxed = threshold("25")
    assert relaxed.status == 200 and relaxed.soup.find(id="dashboard-notice"), relaxed.text[:1000]
    assert [li["data-reason"] for li in relaxed.soup.select(f"#risk-pair-{a.id} li")] == ["no_meeting"]
    assert relaxed.soup.find(id=f"pair-{a.id}")["data-status"] == "active"
    assert relaxed.soup.select_one("#silent_days")["value"] == "25"
    assert threshold("31").soup.find(id=f"risk-pair-{a.id}") is None
    strict = threshold("1")
    reasons = strict.soup.select(f"#risk-pair-{b.id} li[data-reason]")
    assert [li.get_text(strip=True) for li in reasons] == ["No contact for 1 day"]
    for bad in ("nonsense", "0", "366"):
        refused = threshold(bad)
        assert refused.status == 400
        assert refused.soup.select_one("#silent_days")["value"] == bad, "what was typed is kept"
        error = refused.soup.select_one("#silent_days-error").get_text(strip=True)
        assert error == "Enter a whole number of days from 1 to 365."
    assert _dashboard(scenario).soup.select_one("#silent_days")["value"] == "1", "refused input changes nothing"

    # Charts: an SVG picture with a text alternative and the numbers in a table.
    for chart_id in ("chart-weeks", "chart-contact"):
        figure = soup.find(id=chart_id)
        svg = figure.find("svg")
        assert svg["role"] == "img" and svg.find("title") and svg.find("desc").get_text(strip=True)
        assert figure.find("figcaption") and figure.find("table")
    contact_rows = {
        tr.th.get_text(strip=True): tr.td.get_text(strip=True) for tr in soup.select("#chart-contact tbody tr")
    }
    assert contact_rows["0–6"] == "1" and contact_rows["14–20"] == "1"
    assert sum(int(tr.td.get_text(strip=True)) for tr in soup.select("#chart-weeks tbody tr")) == 6
    assert 'style="' not in page.text, "no inline styles (CSP)"


def test_switch_request_puts_the_pair_at_risk(live, browser):
    """A pending request to change a pairing shows on the dashboard and in the at-risk list, with its reason."""
    scenario = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    (pair,) = scenario.pairs
    mentee, mentee_token = enter(live, scenario.course, pair.mentee_sub)
    form = open_page(mentee, "/matching/switch", mentee_token)
    assert form.status == 200, form.text[:1000]

    sent = submit(mentee, form, "/matching/switch", reason="We never find a time.")
    assert sent.status == 200
    page = _dashboard(scenario)
    assert _stat(page, "stat-switch") == "1"
    reasons = [li.get_text(strip=True) for li in page.soup.select(f"#risk-pair-{pair.id} li[data-reason]")]
    assert reasons == ["A member asked today to change the pairing"]
    assert "We never find a time." not in page.text, "the reason stays on the matching page"


def test_csv_exports_and_formula_injection(live, browser):
    """Pairs, at-risk and people CSVs hold the dashboard's figures; a name that looks like a formula is text."""
    scenario, _now = _scenario(live, browser)
    a, b = scenario.pairs
    evil = '=HYPERLINK("http://evil.example","click")'
    from lti_tool.sandbox.models import SandboxUser

    with live.app.app_context():
        db.session.execute(update(SandboxUser).where(SandboxUser.sub == a.mentee_sub).values(name=evil))
        db.session.execute(update(SandboxUser).where(SandboxUser.sub == b.mentee_sub).values(name="+1 Plus Person"))
        db.session.commit()
        db.session.remove()
    for sub in (a.mentee_sub, b.mentee_sub):
        enter(live, scenario.course, sub)  # the next launch brings the LMS's name

    rows, _response = _csv(scenario, "pairs")
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Pair id", "Mentee", "Mentor", "Status"]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert set(by_id) == {str(a.id), str(b.id)}
    assert by_id[str(a.id)]["Mentee"] == "'" + evil
    assert by_id[str(b.id)]["Mentee"] == "'+1 Plus Person"
    assert by_id[str(a.id)]["Status"] == "Silent" and by_id[str(b.id)]["Status"] == "Active"
    assert by_id[str(a.id)]["Median reply time (hours)"] == "2.5"
    assert by_id[str(b.id)]["Median reply time (hours)"] == "24.0"
    assert by_id[str(a.id)]["Posts"] == "4" and by_id[str(a.id)]["Days since contact"] == "19"
    assert by_id[str(a.id)]["At risk because"] == (
        "No contact for 19 days; No meeting held or planned since they were matched 30 days ago"
    )

    risk, _r = _csv(scenario, "at-risk")
    assert risk[0] == ["Kind", "Pair or group id", "Mentee, group or person", "Mentor", "At risk because"]
    assert [r[0] for r in risk[1:]] == ["Pair", "Person"]
    assert risk[1][1] == str(a.id) and risk[1][2] == "'" + evil

    people, _r = _csv(scenario, "people")
    per_name = {row[0]: row for row in people[1:]}
    assert per_name["'" + evil][4] == "3", "three posts in pair threads"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in people for cell in row)

    page = _dashboard(scenario)
    assert evil in page.text.replace("&#34;", '"').replace("&quot;", '"'), "names are shown escaped on the page"
    assert page.soup.find("a", href=lambda h: h and "/dashboard/export/pairs.csv" in h)

    unknown = scenario.coordinator.http.get(
        f"{scenario.coordinator.tool_url}/dashboard/export/secrets.csv?ts={scenario.token}", timeout=30
    )
    assert unknown.status_code == 404


def test_only_this_courses_coordinators_see_the_dashboard(live, browser):
    """Participants get 403 everywhere; a pair of another course or platform is 404; an unmoderated
    course's timeline shows when the pair wrote, never what."""
    scenario = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    (pair,) = scenario.pairs
    set_approved_at(live, pair, datetime.now(UTC) - timedelta(days=1))
    write_posts(
        live,
        scenario.course_id,
        pair,
        [("mentee", datetime.now(UTC) - timedelta(hours=3)), ("mentor", datetime.now(UTC) - timedelta(hours=1))],
    )
    base = scenario.coordinator.tool_url
    paths = ("/dashboard/", f"/dashboard/pairs/{pair.id}", "/dashboard/export/pairs.csv")
    for sub in (pair.mentee_sub, pair.mentor_sub):
        student, token = enter(live, scenario.course, sub)
        for path in paths:
            assert student.http.get(f"{base}{path}?ts={token}", timeout=30).status_code == 403, (sub, path)
        home = open_page(student, "/space/", token)
        assert "/dashboard/" not in home.text
        own = [(k, v) for k, v in form_data(open_page(student, "/program/profile", token), "/program/profile")]
        own = [(k, v) for k, v in own if k in ("csrf_token", "ts")] + [("silent_days", "2")]
        assert student.http.post(f"{base}/dashboard/threshold", data=own, timeout=30).status_code == 403
    for path in paths:
        assert scenario.coordinator.http.get(f"{base}{path}", timeout=30).status_code == 401

    # The TA coordinates too; the home page and the navigation link to the dashboard.
    ta, ta_token = enter(live, scenario.course, scenario.course.ta)
    home = open_page(ta, "/space/", ta_token)
    assert home.soup.find(id="dashboard-link") and home.soup.select_one("nav a[href*='/dashboard/']")
    assert open_page(ta, f"/dashboard/pairs/{pair.id}", ta_token).status == 200

    # Another course's coordinator, on the same platform and on another platform: not found.
    other = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    assert other.coordinator.get(f"/dashboard/pairs/{pair.id}?ts={other.token}").status == 404
    canvas, canvas_token = enter(live, scenario.course, scenario.course.instructor, flavour="canvas")
    assert open_page(canvas, "/dashboard/", canvas_token).status == 200
    assert open_page(canvas, f"/dashboard/pairs/{pair.id}", canvas_token).status == 404
    assert f"pair-{pair.id}" not in open_page(canvas, "/dashboard/", canvas_token).text
    assert open_page(scenario.coordinator, "/dashboard/pairs/999999", scenario.token).status == 404

    timeline = open_page(scenario.coordinator, f"/dashboard/pairs/{pair.id}", scenario.token)
    assert timeline.status == 200
    kinds = [li["data-kind"] for li in timeline.soup.select("#timeline li")]
    assert kinds == ["approved", "post", "post"]
    text = timeline.soup.find(id="timeline").get_text(" ", strip=True)
    assert "Posted in private thread 1" in text
    assert "Post 0 by mentee" not in timeline.text and "Our plan" not in timeline.text
    assert "not moderated" in timeline.soup.find(id="privacy-note").get_text()
    assert timeline.soup.select("#timeline time[datetime]")
    space = Page(
        scenario.coordinator.http.get(scenario.coordinator.tool_url + timeline.soup.find(id="space-link")["href"])
    )
    assert space.status == 200 and "Our plan" not in space.text, "the pair's space, metadata only"


def test_timeline_of_a_moderated_course_shows_the_posts(live, browser):
    """Once the program is moderated (ground rules say so), the coordinator reads the pair's posts."""
    from .test_discussions import Actor

    scenario = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    (pair,) = scenario.pairs
    coordinator = Actor(live, scenario.coordinator, scenario.token)
    edit = coordinator.get("/discussions/rules/edit")
    assert edit.status == 200, edit.text[:1000]
    body = edit.soup.find("textarea", id="body").get_text()
    saved = coordinator.submit(edit, "main form", {"body": body, "moderated": "1"})
    assert saved.status in (302, 303)
    write_posts(live, scenario.course_id, pair, [("mentee", datetime.now(UTC) - timedelta(minutes=5))])
    from .test_dashboard_activity import hold_meeting, set_goal

    hold_meeting(live, scenario, pair, days_ago=1, title="Kick-off call")
    set_goal(live, scenario, pair, title="Finish the portfolio draft", due_in_days=20)
    timeline = open_page(scenario.coordinator, f"/dashboard/pairs/{pair.id}", scenario.token)
    assert "Post 0 by mentee" in timeline.soup.select_one(".timeline-content").get_text()
    text = timeline.soup.find(id="timeline").get_text(" ", strip=True)
    assert "Posted in “Our plan”" in text
    assert "Meeting held: “Kick-off call”" in text and "Goal set: “Finish the portfolio draft”" in text
    assert "is moderated" in timeline.soup.find(id="privacy-note").get_text()


def test_query_count_does_not_grow_with_the_number_of_pairs(live, browser):
    """The dashboard (and an export) runs the same number of SQL statements for 1 pair and for 4 pairs."""
    small = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    big = paired_course(live, browser, mentors=2, mentees=4, capacity=2)
    assert len(small.pairs) == 1 and len(big.pairs) == 4
    now = datetime.now(UTC)
    for scenario in (small, big):
        for pair in scenario.pairs:
            write_posts(
                live,
                scenario.course_id,
                pair,
                [("mentee", now - timedelta(hours=5)), ("mentor", now - timedelta(hours=2))],
            )

    with live.app.app_context():
        engine = db.engine

    def count(scenario: Scenario, path: str) -> int:
        statements: list[str] = []

        def listener(conn, cursor, statement, *args) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", listener)
        try:
            response = scenario.coordinator.http.get(f"{scenario.coordinator.tool_url}{path}?ts={scenario.token}")
            assert response.status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    for path in ("/dashboard/", "/dashboard/export/pairs.csv", "/dashboard/export/people.csv"):
        count(small, path)  # warm caches (platform registrations, program rows)
        small_count, big_count = count(small, path), count(big, path)
        assert small_count == big_count, (path, small_count, big_count)
        assert big_count <= 20, (path, big_count)

    with live.app.app_context():
        from lti_tool.models import Mentorship

        assert db.session.execute(select(Mentorship.id).where(Mentorship.course_id == big.course_id)).all()
        db.session.remove()


def test_pages_of_fifty():
    """Long lists come 50 rows a page; a page number past the end shows the last page."""
    from lti_tool.views.dashboard import PAGE_SIZE, Paged

    rows = list(range(123))
    first = Paged.of(rows, "page", "pairs", {"page": 1, "risk": 1})
    assert PAGE_SIZE == 50 and first.items == rows[:50] and first.pages == 3 and (first.first, first.last) == (1, 50)
    last = Paged.of(rows, "page", "pairs", {"page": 9, "risk": 1})
    assert last.number == 3 and last.items == rows[100:] and (last.first, last.last, last.total) == (101, 123, 123)
    empty = Paged.of([], "risk", "at-risk", {"page": 1, "risk": 1})
    assert empty.pages == 1 and empty.items == [] and empty.total == 0


def test_csv_cells_and_chart_axes():
    """Formula-like text gets an apostrophe, numbers stay numbers; chart axes use whole, round steps."""
    from lti_tool.mentoring.dashboard import csv_lines, safe_cell
    from lti_tool.mentoring.dashboard.charts import axis, bar_chart

    assert [safe_cell(v) for v in ("=1+1", "+x", "-y", "@z", "\tq", "plain", -3, 2.5, None)] == [
        "'=1+1",
        "'+x",
        "'-y",
        "'@z",
        "'\tq",
        "plain",
        -3,
        2.5,
        "",
    ]
    lines = list(csv_lines(["a", "=b"], [["=cmd|' /C calc'!A0", 1]]))
    assert lines[0] == "\ufeffa,'=b\r\n" and lines[1] == "'=cmd|' /C calc'!A0,1\r\n"
    assert axis(0) == (1.0, 1.0) and axis(4) == (4.0, 1.0) and axis(5) == (6.0, 2.0) and axis(37) == (40.0, 10.0)
    chart = bar_chart([("a", 0.0, ""), ("b", 3.0, "warn")])
    assert [t.text for t in chart.ticks] == ["0", "1", "2", "3"]
    assert chart.bars[0].height == 0 and chart.bars[1].y == chart.top
