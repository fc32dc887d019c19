"""Converse request pieces the routing tests build requests from (shared by tests/core and
tests/router, which route agent requests with tools)."""

from __future__ import annotations

from typing import Any


def tool_config(*specs: tuple[str, str]) -> dict[str, Any]:
    """A ``toolConfig`` offering tools given as (name, description)."""
    return {
        "tools": [
            {"toolSpec": {"name": n, "description": d, "inputSchema": {"json": {"type": "object"}}}}
            for n, d in specs
        ]
    }


def user_turn(text: str) -> dict[str, Any]:
    """One user message with one text block."""
    return {"role": "user", "content": [{"text": text}]}


def user_request(text: str, system: str = "", **extra: Any) -> dict[str, Any]:
    """A request of one user turn (``extra``: its other fields), with ``system`` as its
    system prompt when given (a string: a list passed here, as a request's own ``system``
    is written, would nest a list in a text block, which the signals then skip unread)."""
    if not isinstance(system, str):
        raise TypeError(f"system must be the prompt's text, not {type(system).__name__}")
    request: dict[str, Any] = {"messages": [user_turn(text)], **extra}
    if system:
        request["system"] = [{"text": system}]
    return request
