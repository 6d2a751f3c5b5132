"""Scoring and answer checking as properties (no server needed): what any instrument and any answers give."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lti_tool.mentoring.evaluations.instruments import check_answers, check_items, score_fraction
from lti_tool.mentoring.evaluations.templates import TEMPLATES

likert = st.builds(
    lambda i, points, required: {
        "id": f"l{i}",
        "type": "likert",
        "prompt": "Scale",
        "help": "",
        "required": required,
        "points": points,
        "anchors": {"low": "Low", "high": "High"},
    },
    st.integers(0, 5),
    st.integers(2, 11),
    st.booleans(),
)
choice = st.builds(
    lambda i, points, required: {
        "id": f"c{i}",
        "type": "choice",
        "prompt": "Pick",
        "help": "",
        "required": required,
        "options": [{"label": f"Option {n}", "points": p} for n, p in enumerate(points)],
    },
    st.integers(0, 5),
    st.lists(st.one_of(st.none(), st.integers(0, 10), st.floats(0, 10)), min_size=2, max_size=6),
    st.booleans(),
)
text = st.builds(
    lambda i, long, required: {
        "id": f"t{i}",
        "type": "long_text" if long else "short_text",
        "prompt": "Say",
        "help": "",
        "required": required,
    },
    st.integers(0, 5),
    st.booleans(),
    st.booleans(),
)
instruments = st.lists(st.one_of(likert, choice, text), min_size=1, max_size=8, unique_by=lambda i: i["id"])


@given(instruments, st.data())
def test_any_answers_score_in_the_unit_interval_or_none(items, data):
    raw = {}
    for item in items:
        raw[f"answer-{item['id']}"] = data.draw(
            st.one_of(st.text(max_size=12), st.integers(-3, 14).map(str), st.just("")), label=item["id"]
        )
    answers, errors = check_answers(items, raw, final=False)
    for item in items:  # whatever was accepted is inside the scale or the options
        value = answers.get(item["id"])
        if value is None:
            continue
        if item["type"] == "likert":
            assert 1 <= value <= item["points"]
        elif item["type"] == "choice":
            assert 0 <= value < len(item["options"])
        else:
            assert isinstance(value, str) and value.strip()
        assert item["id"] not in errors
    score = score_fraction(items, answers)
    scorable = [
        i
        for i in items
        if i["id"] in answers
        and (i["type"] == "likert" or (i["type"] == "choice" and any(o["points"] is not None for o in i["options"])))
    ]
    assert (score is None) == (not scorable)
    if score is not None:
        assert 0.0 <= score <= 1.0


@given(instruments)
def test_required_items_are_refused_only_on_submission(items):
    _answers, draft_errors = check_answers(items, {}, final=False)
    _answers, final_errors = check_answers(items, {}, final=True)
    assert draft_errors == {}
    assert set(final_errors) == {i["id"] for i in items if i["required"]}


def test_templates_are_valid_instruments_and_full_marks_score_one():
    for template in TEMPLATES:
        items = [dict(i) for i in template.items]
        assert check_items(template.title, items) == {}, template.key
        best = {}
        for item in items:
            if item["type"] == "likert":
                best[f"answer-{item['id']}"] = str(item["points"])
            elif item["type"] == "choice":
                points = [o["points"] or 0 for o in item["options"]]
                best[f"answer-{item['id']}"] = str(points.index(max(points)))
            else:
                best[f"answer-{item['id']}"] = "An answer"
        answers, errors = check_answers(items, best, final=True)
        assert errors == {}, template.key
        expected = None if template.key == "reflection" else 1.0
        assert score_fraction(items, answers) == expected, template.key
