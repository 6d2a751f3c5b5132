"""Structured prompts without HTTP: which stage or week is current, and how the schedule form is read."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lti_tool.mentoring import prompts
from lti_tool.models import PromptProgress, WeeklyPrompt

TODAY = date(2026, 3, 10)
TODAY_AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def week(number: int, starts_on: date | None = None, topic: str | None = None) -> WeeklyPrompt:
    return WeeklyPrompt(week=number, starts_on=starts_on, topic=topic or f"Topic {number}", guidance_html="")


def done(*keys: str) -> dict[str, PromptProgress]:
    return {key: PromptProgress(stage_key=key) for key in keys}


def test_five_cs_move_on_in_order_and_finish_with_the_commitment():
    """Each stage becomes current after the one before; the last asks for the commitment; then it is done."""
    first = prompts._five_cs_prompt({})
    assert (first.key, first.number, first.total, first.asks_commitment) == ("challenges", 1, 5, False)
    last = prompts._five_cs_prompt(done("challenges", "choices", "consequences", "creative"))
    assert last.key == "conclusions" and last.asks_commitment
    finished = prompts._five_cs_prompt(done(*(key for key, _t, _g in prompts.FIVE_CS)))
    assert finished.finished and finished.key is None and finished.done_count == 5


def test_conclusions_say_who_has_committed_and_whose_commitment_closes_them():
    """At Conclusions the prompt counts the written commitments and knows whose one is the last missing."""
    committers = [
        prompts.Committer(1, "Ana", True),
        prompts.Committer(2, "Ben", False),
        prompts.Committer(3, "Caro", True),
    ]
    written = [
        prompts.Commitment(1, "Ana", "I will call", TODAY_AT),
        prompts.Commitment(3, "Caro", "I will go", TODAY_AT),
    ]
    last = prompts._five_cs_prompt(done("challenges", "choices", "consequences", "creative"), written, committers)
    assert last.asks_commitment and last.commitments_written == 2
    assert last.closes_with(2) and not last.closes_with(1)
    assert last.commitment_of(3) == written[1] and last.commitment_of(2) is None
    nobody_yet = prompts._five_cs_prompt(done("challenges", "choices", "consequences", "creative"), [], committers[1:2])
    assert nobody_yet.closes_with(2)


def test_weekly_schedule_opens_weeks_by_date_and_catches_up_in_order():
    """Weeks without a date are open; dated weeks open on their day; the first open week not done is current."""
    schedule = [week(1), week(2, date(2026, 3, 2)), week(3, date(2026, 3, 9)), week(4, date(2026, 3, 16))]
    assert prompts._weekly_prompt(schedule, {}, TODAY).key == "week-1"
    assert prompts._weekly_prompt(schedule, done("week-1"), TODAY).key == "week-2"
    assert prompts._weekly_prompt(schedule, done("week-1", "week-2"), TODAY).key == "week-3"
    waiting = prompts._weekly_prompt(schedule, done("week-1", "week-2", "week-3"), TODAY)
    assert waiting.key is None and not waiting.finished and waiting.next_starts_on == date(2026, 3, 16)
    over = prompts._weekly_prompt(schedule, done("week-1", "week-2", "week-3", "week-4"), TODAY)
    assert over.finished
    assert prompts._weekly_prompt([], {}, TODAY) is None


def test_schedule_form_rows_skip_removed_and_empty_rows_and_keep_the_text():
    """Removed and blank rows are dropped; the rest are renumbered and keep exactly what was typed."""
    form = {
        "week-0": "1", "date-0": "", "topic-0": " Intro ", "guidance-0": "Say **hi**",
        "week-1": "2", "date-1": "", "topic-1": "Gone", "guidance-1": "", "remove-1": "1",
        "week-7": "", "date-7": "", "topic-7": "", "guidance-7": "",
        "week-9": "x", "date-9": "soon", "topic-9": "Kept as typed", "guidance-9": "",
    }  # fmt: skip
    rows = prompts.parse_schedule_form(form)
    assert [r["index"] for r in rows] == ["0", "1"]
    assert rows[0]["topic"] == " Intro " and rows[1]["week"] == "x" and rows[1]["date"] == "soon"


@pytest.mark.parametrize(
    ("row", "field", "fragment"),
    [
        ({"week": "0"}, "week-0", "1 to 104"),
        ({"week": "abc"}, "week-0", "1 to 104"),
        ({"date": "2026-02-30"}, "date-0", "YYYY-MM-DD"),
        ({"topic": "   "}, "topic-0", "needs a topic"),
        ({"topic": "t" * 201}, "topic-0", "200 characters"),
        ({"guidance": "g" * 5001}, "guidance-0", "5,000 characters"),
    ],
)
def test_schedule_problems_name_the_field(row, field, fragment):
    """Every refused value is reported on its own field, before anything is written."""
    values = {"index": "0", "week": "1", "date": "", "topic": "Intro", "guidance": "", **row}
    with pytest.raises(prompts.ScheduleInvalid) as refused:
        prompts.save_prompt_set(None, 1, kind="weekly", weeks=[values], updated_by=None)  # type: ignore[arg-type]
    assert any(name == field and fragment in message for name, message in refused.value.problems)


def test_unknown_kind_and_empty_weekly_schedule_are_refused():
    """The kind must be one of the three, and a weekly schedule needs a week."""
    with pytest.raises(prompts.ScheduleInvalid) as refused:
        prompts.save_prompt_set(None, 1, kind="monthly", weeks=[], updated_by=None)  # type: ignore[arg-type]
    assert [name for name, _m in refused.value.problems] == ["kind"]
    with pytest.raises(prompts.ScheduleInvalid) as refused:
        prompts.save_prompt_set(None, 1, kind="weekly", weeks=[], updated_by=None)  # type: ignore[arg-type]
    assert [name for name, _m in refused.value.problems] == ["weeks"]
