"""Redaction of captured text: what it must catch and what it must leave alone."""

from __future__ import annotations

import pytest

from tierwise.core.redact import Redactor, luhn_ok
from tierwise.errors import ConfigError

R = Redactor()


@pytest.mark.parametrize(
    ("text", "placeholder"),
    [
        ("mail jane.doe+billing@example.co.uk today", "[EMAIL]"),
        ("call +1 415-555-0132 after 5", "[PHONE]"),
        ("call (415) 555-0132", "[PHONE]"),
        ("card 4111 1111 1111 1111 exp 12/29", "[CARD]"),
        ("card 5500-0000-0000-0004", "[CARD]"),
        ("key AKIAIOSFODNN7EXAMPLE in the log", "[AWS_KEY]"),
        ("use sk-proj-abcdefghijklmnop1234 for openai", "[API_KEY]"),
        ("gateway key tw_9f8e7d6c5b4a39281706f5e4", "[API_KEY]"),
        ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345", "[TOKEN]"),
        ("password: hunter22-secret", "[SECRET]"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", "[JWT]"),
    ],
)
def test_default_rules_replace_personal_data_and_secrets(text: str, placeholder: str) -> None:
    out, hits = R.text(text)
    assert placeholder in out
    assert hits >= 1


@pytest.mark.parametrize(
    "text",
    [
        "Order 1234 5678 9012 3456 shipped",  # 16 digits that fail the Luhn check
        "Convert 2024-03-15 and 2025-12-01 to US format",
        "Prices: $19.99, $249.00 and $1,299.50",
        "Version 3.11.7 of Python, build 20240101",
        "The meeting is at 10:30 in room 4B",
        "ISBN 978-0-306-40615-7",
    ],
)
def test_ordinary_numbers_dates_and_prices_survive(text: str) -> None:
    out, hits = R.text(text)
    assert out == text
    assert hits == 0


def test_luhn() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")


def test_values_are_redacted_recursively_and_bytes_become_a_size_note() -> None:
    request = {
        "system": [{"text": "Reply to jane@example.com"}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"text": "My card is 4111111111111111"},
                    {"image": {"format": "png", "source": {"bytes": b"\x89PNG...."}}},
                ],
            }
        ],
    }
    clean, hits = R.value(request)
    assert hits == 2
    assert clean["system"][0]["text"] == "Reply to [EMAIL]"
    assert clean["messages"][0]["content"][0]["text"] == "My card is [CARD]"
    assert clean["messages"][0]["content"][1]["image"]["source"]["bytes"] == "[BINARY 8 bytes]"


def test_team_patterns_add_rules_and_bad_ones_are_config_errors() -> None:
    r = Redactor.from_patterns(["EMPLOYEE_ID=E\\d{6}"])
    out, hits = r.text("employee E123456 asked, mail a@b.io")
    assert out == "employee [EMPLOYEE_ID] asked, mail [EMAIL]"
    assert hits == 2
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        Redactor.from_patterns(["BROKEN=(unclosed"])


def test_defaults_can_be_turned_off() -> None:
    r = Redactor.from_patterns([], defaults=False)
    assert r.text("jane@example.com") == ("jane@example.com", 0)
