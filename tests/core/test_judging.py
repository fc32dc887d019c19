"""Judging a cheaper answer against a reference: closed checks, the judge's two orders."""

from __future__ import annotations

import pytest

from tierwise.core.judging import (
    JUDGE_ID,
    closed_check,
    combine,
    is_closed,
    judge_request,
    parse_judge_prompt,
    parse_judge_reply,
)


def text(value: str) -> list[dict[str, object]]:
    return [{"text": value}]


@pytest.mark.parametrize(
    ("candidate", "reference", "passed", "method"),
    [
        ("Billing.", "billing", True, "exact"),
        ("technical", "billing", False, "exact"),
        ("$1,299.50", "1299.5", True, "number"),
        ("42", "41", False, "number"),
        ('{"b": 2, "a": 1}', '{"a": 1, "b": 2}', True, "json"),
        ('```json\n{"a": 1}\n```', '{"a": 1}', True, "json"),
        ('{"a": 2}', '{"a": 1}', False, "json"),
        ("not json", '{"a": 1}', False, "json"),
    ],
)
def test_closed_checks(candidate: str, reference: str, passed: bool, method: str) -> None:
    check = closed_check(text(candidate), text(reference))
    assert check.passed is passed
    assert check.method == method


def test_tool_calls_must_match_name_and_input() -> None:
    ref = [{"toolUse": {"toolUseId": "a", "name": "lookup", "input": {"q": "x"}}}]
    same = [{"toolUse": {"toolUseId": "b", "name": "lookup", "input": {"q": "x"}}}]
    other = [{"toolUse": {"toolUseId": "c", "name": "lookup", "input": {"q": "y"}}}]
    assert closed_check(same, ref).passed
    assert not closed_check(other, ref).passed
    assert not closed_check(text("I would look it up"), ref).passed


def test_schema_validity_is_checked() -> None:
    schema = {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}}
    assert closed_check(text('{"a": 3}'), text("anything"), schema=schema).passed
    bad = closed_check(text('{"a": "x"}'), text("anything"), schema=schema)
    assert not bad.passed and bad.method == "json_schema"


def test_closed_versus_open_references() -> None:
    assert is_closed(text("billing"))
    assert is_closed(text('{"a": 1}'))
    assert not is_closed(text("A long answer.\nWith several lines of prose."))
    assert not is_closed(text("word " * 100))


def test_judge_request_round_trips_and_only_our_rubric_is_recognised() -> None:
    req = judge_request("What is TCP?", "first answer", "second answer")
    system = req["system"][0]["text"]
    prompt = req["messages"][0]["content"][0]["text"]
    assert JUDGE_ID in system
    assert parse_judge_prompt(system, prompt) == ("What is TCP?", "first answer", "second answer")
    assert parse_judge_prompt("You are helpful.", prompt) is None


@pytest.mark.parametrize(
    ("reply", "winner"),
    [
        ('{"winner": "A", "reason": "x"}', "A"),
        ('Sure. {"winner": "b"}', "B"),
        ('{"winner": "Tie"}', "tie"),
        ("A is better", None),
        ('{"winner": "C"}', None),
    ],
)
def test_parse_judge_reply(reply: str, winner: str | None) -> None:
    assert parse_judge_reply(reply) == winner


def test_both_orders_cancel_position_bias_and_ties_pass() -> None:
    # reference_first: A = reference, B = candidate; candidate_first: A = candidate.
    assert combine("B", "A").passed  # candidate better both ways
    assert combine("tie", "tie").passed
    assert not combine("A", "B").passed  # reference better both ways
    assert not combine("A", "tie").passed  # worse once, tie once
    flipped = combine("A", "A")  # whoever is first wins: a position effect, a tie
    assert flipped.passed and "flipped" in flipped.reason
    assert not combine(None, None).passed
