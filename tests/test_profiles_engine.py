"""Stored profiles become the matching engine's participants; the mentor CSV parser (pure functions)."""

from __future__ import annotations

from datetime import date

import pytest

from lti_tool.mentoring.matching import Slot, match, overlap_minutes, weekly_utc_intervals
from lti_tool.mentoring.programs import (
    CsvImportError,
    ProgramSettings,
    engine_options,
    engine_participant,
    engine_weights,
    parse_mentor_csv,
)
from lti_tool.models import Participant, Program

WINTER = date(2025, 1, 6)
SUMMER = date(2025, 7, 7)


def _program(**values) -> Program:
    program = Program(default_capacity=3, max_capacity=5, relationship_model="hierarchical", weights={}, **values)
    return program


def _participant(program: Program, id: int, **values) -> Participant:
    defaults = dict(
        role="mentee",
        goals=[],
        interests=[],
        expertise=[],
        languages=[],
        availability=[],
        preferences=[],
        time_zone=None,
        about=None,
        mentor_status=None,
        capacity=None,
    )
    defaults.update(values)
    row = Participant(id=id, program=program, **defaults)
    return row


def test_profile_converts_to_engine_participant():
    """Tags, languages, zone, slots and preferences carry over; ids and preferences become strings."""
    program = _program()
    row = _participant(
        program,
        7,
        goals=["Career planning"],
        interests=["Chess"],
        languages=["es", "en"],
        time_zone="America/Mexico_City",
        availability=[[0, 1080, 1170], [5, 540, 1440]],
        preferences=[12, 9],
        about="Hello",
    )
    person = engine_participant(row)
    assert person.id == "7"
    assert person.goals == frozenset({"Career planning"}) and person.languages == frozenset({"es", "en"})
    assert person.time_zone == "America/Mexico_City"
    slots: tuple[Slot, ...] = tuple(person.availability)
    assert slots == ((0, 1080, 1170), (5, 540, 1440))
    assert person.preferences == ("12", "9")
    assert person.capacity == 1 and person.about == "Hello"


def test_availability_is_compared_in_utc():
    """Local evening slots map onto the UTC week through the engine, following daylight saving time."""
    program = _program()
    madrid = engine_participant(
        _participant(program, 1, time_zone="Europe/Madrid", availability=[[0, 18 * 60, 20 * 60]])
    )
    # 18:00-20:00 Monday in Madrid is 17:00-19:00 UTC in winter, 16:00-18:00 UTC in summer.
    assert weekly_utc_intervals(madrid, WINTER) == ((17 * 60, 19 * 60),)
    assert weekly_utc_intervals(madrid, SUMMER) == ((16 * 60, 18 * 60),)
    # Sunday 23:00-24:00 in New York wraps past the end of the UTC week in winter: Monday 04:00-05:00 UTC.
    new_york = engine_participant(
        _participant(program, 2, time_zone="America/New_York", availability=[[6, 1380, 1440]])
    )
    assert weekly_utc_intervals(new_york, WINTER) == ((4 * 60, 5 * 60),)
    london = engine_participant(
        _participant(program, 3, time_zone="Europe/London", availability=[[0, 17 * 60, 18 * 60]])
    )
    assert overlap_minutes(weekly_utc_intervals(madrid, WINTER), weekly_utc_intervals(london, WINTER)) == 60


def test_missing_zone_uses_the_given_default():
    """A profile without a time zone (skipped) uses the default the caller passes (the LMS zone or UTC)."""
    row = _participant(_program(), 4)
    assert engine_participant(row).time_zone == "UTC"
    assert engine_participant(row, default_time_zone="Asia/Tokyo").time_zone == "Asia/Tokyo"


def test_mentor_capacity():
    """Approved mentors bring their capacity, or the program default when they set none."""
    program = _program()
    mentor = _participant(program, 5, role="mentor", mentor_status="approved", capacity=4)
    assert engine_participant(mentor).capacity == 4
    mentor.capacity = None
    assert engine_participant(mentor).capacity == 3
    pending = _participant(program, 6, role="mentee", mentor_status="pending", capacity=2)
    assert engine_participant(pending).capacity == 1, "a pending volunteer is matched as a mentee"


def test_program_settings_drive_a_matching_run():
    """The program's weights and constraints feed the engine: a shared language is required when set."""
    program = _program(require_shared_language=True, min_overlap_hours=0.0)
    program.weights = {"goal_expertise": 10.0}
    assert engine_weights(program).goal_expertise == 10.0
    assert engine_weights(program).shared_language == 2.0, "unset weights keep the engine defaults"
    mentee = engine_participant(_participant(program, 1, goals=["Python"], languages=["fr"]))
    expert = engine_participant(
        _participant(program, 2, role="mentor", mentor_status="approved", expertise=["Python"], languages=["de"])
    )
    speaker = engine_participant(_participant(program, 3, role="mentor", mentor_status="approved", languages=["fr"]))
    result = match([mentee], [expert, speaker], "optimal", engine_weights(program), engine_options(program))
    assert [(p.mentee_id, p.mentor_id) for p in result.pairs] == [("1", "3")]


def test_default_settings_match_the_engine_defaults():
    """A new program's weights are the engine's defaults."""
    settings = ProgramSettings()
    assert settings.weights["goal_expertise"] == 3.0 and settings.weights["mentee_choice"] == 4.0


def test_csv_parser_accepts_bom_semicolons_and_tabs():
    """UTF-8 with a BOM, comma, semicolon or tab separators, header names in any case; blank lines skipped."""
    for sep in (",", ";", "\t"):
        data = f"\ufeffE-mail{sep}Capacity\r\na@x.example{sep}2\r\n\r\nb@x.example{sep}\r\n".encode()
        rows = parse_mentor_csv(data, max_capacity=5)
        assert [(r.line, r.email, r.capacity) for r in rows] == [(2, "a@x.example", 2), (4, "b@x.example", None)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"email,capacity\na@x.example,0\n", [(2, "capacity_too_small")]),
        (b"email,capacity\na@x.example,-3\n", [(2, "capacity_too_small")]),
        (b"email,capacity\na@x.example,2.5\n", [(2, "capacity_not_a_number")]),
        (b"email,capacity\na@x.example,9\n", [(2, "capacity_too_large")]),
        (b"email,capacity\n,2\nA@x.example,1\na@X.example,1\n", [(2, "missing_identifier"), (4, "duplicate")]),
        (b"name\nAda\n", [(1, "no_identifier_column")]),
        (b"email\n", [(0, "empty")]),
        (b"\xff\xfeemail\n", [(0, "not_utf8")]),
    ],
)
def test_csv_parser_reports_problems_by_line(data, expected):
    """Every problem is reported with its line number (1 = header, 0 = the whole file)."""
    with pytest.raises(CsvImportError) as err:
        parse_mentor_csv(data, max_capacity=5)
    assert [(p.line, p.code) for p in err.value.problems] == expected
