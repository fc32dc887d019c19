"""is_mapping: isinstance(value, Mapping) without the ABC check for dicts and None, and the
request walks of every call (preflight, sampling, the OpenAI door, signals) without it."""

from __future__ import annotations

import abc
from collections import OrderedDict, UserDict
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import pytest

from tierwise.core.mappings import is_mapping


class _Own(Mapping[str, int]):
    def __getitem__(self, key: str) -> int:
        return 1

    def __iter__(self) -> Iterator[str]:
        return iter(["a"])

    def __len__(self) -> int:
        return 1


def test_is_mapping_is_isinstance_mapping() -> None:
    values: list[Any] = [
        {}, {"a": 1}, None, OrderedDict(a=1), MappingProxyType({"a": 1}), UserDict(a=1), _Own(),
        [], (), "text", b"bytes", 0, 1.5, True, {1, 2}, object(),
    ]  # fmt: skip
    for value in values:
        assert is_mapping(value) is isinstance(value, Mapping), repr(value)


def test_a_plain_call_asks_no_abc_whether_a_value_is_a_mapping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A chat completion's body converted, checked and prepared as the gateway does: each
    isinstance(value, Mapping) ran ABCMeta.__instancecheck__ (~2.4 k instructions; ~40 a
    call, most of them on None)."""
    from tierwise.core.convert.openai import from_chat_completions
    from tierwise.core.preflight import check_request
    from tierwise.core.sampling import settle_adaptive_thinking, settle_long_context
    from tierwise.core.signals import extract_signals

    body = {
        "model": "auto",
        "messages": [
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "What is the capital of France?"},
        ],
        "max_tokens": 60,
    }
    converted = from_chat_completions(body)  # warm: imports, memos
    asked: list[str] = []
    original = abc.ABCMeta.__instancecheck__

    def counted(cls: Any, instance: Any) -> bool:
        if cls is Mapping:
            asked.append(type(instance).__name__)
        return original(cls, instance)

    monkeypatch.setattr(abc.ABCMeta, "__instancecheck__", counted)
    converted = from_chat_completions(body)
    request = dict(converted.request)
    check_request(request)
    profiles = ["global.anthropic.claude-sonnet-4-5-20250929-v1:0"]
    settle_adaptive_thinking(request, profiles, lambda _: True)
    settle_long_context(request, profiles, lambda _: True)
    extract_signals(request)
    assert asked == []
