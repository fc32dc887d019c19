"""Signals extracted from Converse requests: sizes, attachments, passages, code, cues."""

from __future__ import annotations

from typing import Any

import pytest

from tierwise.core.signals import CUE_CLASSES, CUE_PATTERNS, Signals, extract_signals
from tierwise.core.tokens import count_request


def user(text: str, **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"text": text}]}], **extra}


def cues(text: str) -> frozenset[str]:
    return extract_signals(user(text)).cues


def test_empty_request_gives_empty_signals() -> None:
    s = extract_signals({})
    assert s == Signals()
    assert s.to_dict() == {"input_tokens": 0}


def test_last_user_text_system_and_sizes() -> None:
    request = {
        "system": [{"text": "You are terse."}, {"cachePoint": {"type": "default"}}],
        "messages": [
            {"role": "user", "content": [{"text": "first question"}]},
            {"role": "assistant", "content": [{"text": "first answer"}]},
            {"role": "user", "content": [{"text": "second"}, {"text": "question"}]},
        ],
        "inferenceConfig": {"maxTokens": 300},
    }
    s = extract_signals(request)
    assert s.user_text == "second\nquestion"
    assert s.system_text == "You are terse."
    assert s.message_count == 3
    assert s.user_turns == 2
    assert s.max_tokens == 300
    assert s.input_tokens == count_request(request) > 0


def test_agent_loop_uses_latest_user_turn_with_text() -> None:
    request = {
        "toolConfig": {
            "tools": [
                {"toolSpec": {"name": "lookup", "inputSchema": {"json": {}}}},
                {"cachePoint": {"type": "default"}},
            ],
            "toolChoice": {"any": {}},
        },
        "messages": [
            {"role": "user", "content": [{"text": "find the order"}]},
            {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": "a", "name": "lookup", "input": {}}}],
            },
            {
                "role": "user",
                "content": [{"toolResult": {"toolUseId": "a", "content": [{"text": "found"}]}}],
            },
        ],
    }
    s = extract_signals(request)
    assert s.user_text == "find the order"
    assert s.tool_count == 1
    assert s.tool_names == ("lookup",)
    assert s.tool_results == 1
    assert s.forced_tool_choice is True


def test_images_documents_and_thinking_request() -> None:
    request = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"image": {"format": "png", "source": {"bytes": b"\x89PNG" * 100}}},
                    {"image": {"format": "png", "source": {"bytes": b"\x89PNG" * 100}}},
                    {"document": {"format": "txt", "name": "a", "source": {"text": "x"}}},
                    {"text": "What differs between these?"},
                ],
            }
        ],
        "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 2048}},
    }
    s = extract_signals(request)
    assert (s.images, s.documents) == (2, 1)
    assert s.thinking_requested is True
    assert s.to_dict()["images"] == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Passage 1: a\nPassage 2: b\nPassage 3: c\n\nQuestion?", 3),
        ("[1] alpha\n[2] beta\n[3] gamma\n[4] delta", 4),
        ("<document index='1'>a</document>\n<document index='2'>b</document>", 2),
        ("Document 1: x\nDocument 2: y\nSource 3: z", 3),
        # The same passage number mentioned twice is one passage.
        ("Passage 1: a\nPassage 1: a again", 1),
        ("1. Preheat the oven\n2. Mix the flour\n3. Bake", 0),
        ("See reference [1] in the text.", 0),
    ],
)
def test_passage_counting(text: str, expected: int) -> None:
    assert extract_signals(user(text)).passages == expected


def test_search_result_blocks_count_as_passages() -> None:
    request = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"searchResult": {"source": "a", "title": "A", "content": [{"text": "x"}]}},
                    {"searchResult": {"source": "b", "title": "B", "content": [{"text": "y"}]}},
                    {"text": "Answer from the results."},
                ],
            }
        ]
    }
    assert extract_signals(request).passages == 2


def test_fenced_code_is_counted() -> None:
    text = "Fix this:\n```python\ndef f(x):\n\n    return x + 1\n```\nand this\n```\nx = 2\n```"
    s = extract_signals(user(text))
    assert s.code_blocks == 2
    assert s.code_lines == 3  # blank lines inside fences do not count


def test_unfenced_code_counts_only_when_several_lines_look_like_code() -> None:
    pasted = "Why does this fail?\nimport os\ndef main():\n    return os.getcwd()\n"
    assert extract_signals(user(pasted)).code_lines == 3
    prose = "I want to return the jacket I bought; what is the policy?"
    assert extract_signals(user(prose)).code_lines == 0


def test_files_referenced_from_paths_and_counts() -> None:
    paths = "Update api/views.py, api/models.py and web/app.ts to the new schema."
    assert extract_signals(user(paths)).files_referenced == 3
    stated = "Refactor this module and the six files that import it."
    assert extract_signals(user(stated)).files_referenced == 6
    assert extract_signals(user("Rename the variable.")).files_referenced == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Answer in one word: what colour is the sky?", "short"),
        ("Summarize it in one sentence.", "short"),
        ("Summarize the incident in two sentences for the status page.", "short"),
        ("Explain it in 3 lines.", "short"),
        ("Write two sentences about Lisbon, then a detailed history.", "long"),
        ("Give just the number.", "short"),
        ("Write a detailed, comprehensive guide to indexing.", "long"),
        ("Write a 2000-word essay on trade policy.", "long"),
        ("What is the capital of Peru?", "normal"),
    ],
)
def test_output_length_cues(text: str, expected: str) -> None:
    assert extract_signals(user(text)).output_length == expected


def test_output_length_cue_in_system_prompt() -> None:
    request = {"system": [{"text": "Reply in one word."}], **user("Weather in Oslo?")}
    assert extract_signals(request).output_length == "short"


@pytest.mark.parametrize(
    ("cue", "text"),
    [
        ("classification", "Classify this email by department."),
        ("classification", "What is the sentiment of this tweet?"),
        ("classification", "Is this message spam?"),
        ("closed_label_set", "Pick one of: red, green, blue."),
        ("closed_label_set", "Respond with only the label."),
        ("closed_label_set", "Categories: billing, shipping, returns"),
        ("yes_no", "Answer yes or no: is the contract signed?"),
        ("triage", "Triage the following bug report."),
        ("triage", "Route this ticket to the right queue."),
        ("extraction", "Extract the dates from this letter."),
        ("extraction", "Parse the following log line into fields."),
        ("short_form", "Suggest a headline for this article."),
        ("short_form", "Write a tweet about our launch."),
        ("format_conversion", "Convert this table to CSV."),
        ("translation", "Translate this paragraph to Spanish."),
        ("bulk", "For each row, return the country code."),
        ("rag", "Based on the passages above, when was it founded?"),
        ("support_reply", "Write a reply to this customer about the refund delay."),
        ("draft", "Draft an email to the team about the offsite."),
        ("routine_code", "Write a function that reverses a linked list."),
        ("routine_code", "Fix this error: TypeError: 'NoneType' object is not iterable"),
        ("summarization", "TL;DR of this thread please."),
        ("analysis", "Analyze this quarterly report."),
        ("proof", "Prove that the square root of 2 is irrational."),
        ("step_by_step", "Work through it step by step."),
        ("math", "Find the eigenvalues of this matrix."),
        ("reconcile", "These sources contradict each other; reconcile them."),
        ("research", "Write a literature review on sleep and memory."),
        ("refactor", "Refactor the payment service."),
        ("codebase", "Rename it across the codebase."),
        ("architecture", "Design a fault-tolerant distributed queue."),
        ("high_stakes", "Run this against the production database."),
        ("high_stakes", "This deletion cannot be undone."),
        ("high_stakes", "Execute a wire transfer of $40,000."),
    ],
)
def test_each_cue_fires(cue: str, text: str) -> None:
    assert cue in cues(text)


@pytest.mark.parametrize(
    ("cue", "text"),
    [
        # "extract a method" is refactoring vocabulary, not data extraction.
        ("extraction", "Extract a method from this long function."),
        ("classification", "What time is it in Tokyo?"),
        ("proof", "Is this waterproof jacket good for hiking?"),
        ("high_stakes", "Delete the second paragraph of my essay."),
        ("high_stakes", "Classify: billing, payment, refund."),
        ("format_conversion", "Convert the recipe for four people."),
        ("refactor", "Write a function that adds two numbers."),
        # Grade-school arithmetic is not advanced mathematics.
        ("math", "Which of these is a prime number? A) 21 B) 29"),
    ],
)
def test_near_misses_do_not_fire(cue: str, text: str) -> None:
    assert cue not in cues(text)


def test_cues_are_case_insensitive_and_read_the_system_prompt() -> None:
    assert "classification" in cues("CLASSIFY THIS")
    request = {"system": [{"text": "You classify tickets."}], **user("My card was declined.")}
    assert "classification" in extract_signals(request).cues


def test_cue_window_ignores_words_buried_in_pasted_material() -> None:
    # Instructions sit at the ends; a word deep inside a long pasted body is not the task.
    filler = "The committee met and discussed the budget at length. " * 300
    text = "Summarize the minutes below.\n\n" + filler + "prove" + filler + "\nThanks!"
    found = cues(text)
    assert "summarization" in found
    assert "proof" not in found


def test_every_classed_cue_has_a_pattern() -> None:
    assert set(CUE_CLASSES) <= set(CUE_PATTERNS)
    assert set(CUE_CLASSES.values()) == {"haiku", "sonnet", "opus"}


def test_cues_of_and_to_dict_hold_no_prompt_text() -> None:
    s = extract_signals(user("Classify this secret message about Project Falcon. Yes or no?"))
    assert s.cues_of("haiku") == ("classification", "yes_no")
    assert s.cues_of("opus") == ()
    assert "Falcon" not in repr(s.to_dict())
    assert s.to_dict()["cues"] == ["classification", "yes_no"]
