"""Automatic cache placement: every rule, on pure requests."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tierwise.core.caching import (
    CachePolicy,
    canonicalize,
    count_cache_points,
    place_cache_points,
)
from tierwise.errors import TooManyCachePointsError

BIG = "x" * 8000  # 2,000 estimated tokens
POINT = {"cachePoint": {"type": "default"}}


def tool(name: str, text: str = "") -> dict[str, Any]:
    return {
        "toolSpec": {
            "name": name,
            "description": text,
            "inputSchema": {"json": {"type": "object", "properties": {"q": {"type": "string"}}}},
        }
    }


def turn(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "content": [{"text": text}]}


def points(request: dict[str, Any]) -> list[tuple[str, int, int]]:
    out = []
    for i, t in enumerate((request.get("toolConfig") or {}).get("tools") or ()):
        if "cachePoint" in t:
            out.append(("tools", -1, i))
    for i, b in enumerate(request.get("system") or ()):
        if "cachePoint" in b:
            out.append(("system", -1, i))
    for m, msg in enumerate(request.get("messages") or ()):
        for i, b in enumerate(msg["content"]):
            if "cachePoint" in b:
                out.append(("messages", m, i))
    return out


def test_after_system_prompt_when_long_enough() -> None:
    request = {"system": [{"text": BIG}], "messages": [turn("user", "hi")]}
    result = place_cache_points(request, CachePolicy(min_tokens=1024))
    assert points(result.request) == [("system", -1, 1)]
    assert [p.where for p in result.placed] == ["system"]
    assert "cachePoint" not in json.dumps(request), "the input is never modified"


def test_never_below_the_minimum_prefix() -> None:
    request = {"system": [{"text": "short"}], "messages": [turn("user", "hi")]}
    result = place_cache_points(request, CachePolicy(min_tokens=1024))
    assert points(result.request) == []
    assert any("minimum" in s for s in result.skipped)
    # Haiku/Opus 4.5 need 4,096: a 2,000-token system prompt is not enough there.
    big = {"system": [{"text": BIG}], "messages": [turn("user", "hi")]}
    assert points(place_cache_points(big, CachePolicy(min_tokens=4096)).request) == []


def test_minimum_is_cumulative_per_segment() -> None:
    # tools ~2,000 tokens, then a tiny system prompt: the second point would cache a segment
    # below the minimum, so only the tools point is placed.
    request = {
        "toolConfig": {"tools": [tool("search", BIG)]},
        "system": [{"text": "be brief"}],
        "messages": [turn("user", "hi")],
    }
    result = place_cache_points(request, CachePolicy(min_tokens=1024))
    assert points(result.request) == [("tools", -1, 1)]
    assert any(s.startswith("system") for s in result.skipped)


def test_tools_system_document_and_history_in_order_capped_at_four() -> None:
    doc = {"document": {"format": "txt", "name": "ref", "source": {"bytes": b"y" * 9000}}}
    request = {
        "toolConfig": {"tools": [tool("a", BIG)]},
        "system": [{"text": BIG}],
        "messages": [
            {"role": "user", "content": [doc, {"text": BIG}]},
            turn("assistant", BIG),
            turn("user", BIG),
        ],
    }
    result = place_cache_points(request, CachePolicy(min_tokens=1024))
    assert count_cache_points(result.request) == 4
    # the last point goes to the end of the current turn: its lookback window reaches the
    # previous turn's end (two blocks back), so it reads that and writes the new turn
    assert [p.where for p in result.placed] == ["tools", "system", "document", "turn"]
    assert any("already 4" in s for s in result.skipped)


def test_callers_points_count_toward_the_cap() -> None:
    request = {
        "toolConfig": {"tools": [tool("a", BIG), POINT]},
        "system": [{"text": BIG}, POINT],
        "messages": [
            {"role": "user", "content": [{"text": BIG}, POINT]},
            turn("assistant", BIG),
            {"role": "user", "content": [{"text": BIG}, POINT]},
        ],
    }
    result = place_cache_points(request, CachePolicy(min_tokens=1024))
    assert count_cache_points(result.request) == 4
    assert result.placed == ()
    too_many = copy.deepcopy(request)
    too_many["messages"][1]["content"].append(POINT)
    with pytest.raises(TooManyCachePointsError):
        place_cache_points(too_many, CachePolicy())


def test_model_without_caching_gets_no_points_at_all() -> None:
    request = {"system": [{"text": BIG}, POINT], "messages": [turn("user", "hi")]}
    result = place_cache_points(request, CachePolicy(supports_caching=False))
    assert count_cache_points(result.request) == 0
    assert "does not support caching" in result.skipped[0]


def test_off_strips_and_manual_keeps_only_the_callers() -> None:
    request = {"system": [{"text": BIG}, POINT], "messages": [turn("user", BIG)]}
    assert count_cache_points(place_cache_points(request, CachePolicy(mode="off")).request) == 0
    manual = place_cache_points(request, CachePolicy(mode="manual")).request
    assert points(manual) == [("system", -1, 1)]


def test_point_goes_beside_a_tool_result_never_inside() -> None:
    result_block = {
        "toolResult": {"toolUseId": "t1", "content": [{"text": BIG}], "status": "success"}
    }
    request = {
        "messages": [
            turn("user", BIG),
            {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": "t1", "name": "a", "input": {}}}],
            },
            {"role": "user", "content": [result_block]},
        ]
    }
    out = place_cache_points(request, CachePolicy(min_tokens=1024)).request
    last = out["messages"][2]["content"]
    assert "toolResult" in last[0] and last[1] == POINT
    assert all("cachePoint" not in c for c in last[0]["toolResult"]["content"])


def test_configured_ttl_on_added_points_and_callers_ttl_kept() -> None:
    request = {
        "toolConfig": {"tools": [tool("a", BIG), {"cachePoint": {"type": "default", "ttl": "1h"}}]},
        "system": [{"text": BIG}],
        "messages": [turn("user", "hi")],
    }
    out = place_cache_points(request, CachePolicy(min_tokens=1024, ttl="1h")).request
    assert out["toolConfig"]["tools"][1] == {"cachePoint": {"type": "default", "ttl": "1h"}}
    assert out["system"][1] == {"cachePoint": {"type": "default", "ttl": "1h"}}
    five = place_cache_points(request, CachePolicy(min_tokens=1024, ttl="5m")).request
    assert five["system"][1] == POINT


def test_one_hour_point_never_follows_a_five_minute_one() -> None:
    request = {
        "toolConfig": {"tools": [tool("a", BIG), POINT]},
        "system": [{"text": BIG}],
        "messages": [turn("user", "hi")],
    }
    result = place_cache_points(request, CachePolicy(min_tokens=1024, ttl="1h"))
    assert points(result.request) == [("tools", -1, 1)]
    assert any("1h cache point may not follow a 5m" in s for s in result.skipped)


def test_five_minute_point_never_precedes_a_callers_one_hour_one() -> None:
    # A caller's 1h point on a long user turn after a long system prompt: a 5m point after
    # the system prompt would put a 1h point after a 5m one, which Claude refuses.
    one_hour = {"cachePoint": {"type": "default", "ttl": "1h"}}
    request = {
        "system": [{"text": BIG}],
        "messages": [{"role": "user", "content": [{"text": BIG}, one_hour, {"text": "Sum up."}]}],
    }
    result = place_cache_points(request, CachePolicy(min_tokens=1024, ttl="5m"))
    assert "cachePoint" not in json.dumps(result.request["system"])
    assert any("5m cache point may not precede a 1h" in s for s in result.skipped)
    ttls = [
        block["cachePoint"].get("ttl", "5m")
        for block in result.request["messages"][0]["content"]
        if "cachePoint" in block
    ]
    assert ttls[0] == "1h" and ttls == sorted(ttls)  # '1h' < '5m': no 1h after a 5m


def test_canonical_tool_json_is_byte_identical() -> None:
    a = {
        "toolConfig": {
            "tools": [
                {
                    "toolSpec": {
                        "name": "t",
                        "inputSchema": {
                            "json": {
                                "type": "object",
                                "properties": {"b": {"type": "string"}, "a": {"type": "integer"}},
                            }
                        },
                    }
                }
            ]
        }
    }
    b = {"toolConfig": {"tools": [{"toolSpec": {"inputSchema": {"json": {
        "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}, "type": "object"}},
        "name": "t"}}]}}  # fmt: skip
    assert json.dumps(canonicalize(a)) == json.dumps(canonicalize(b))
    placed_a = place_cache_points(a, CachePolicy()).request
    placed_b = place_cache_points(b, CachePolicy()).request
    assert json.dumps(placed_a) == json.dumps(placed_b)


def test_exact_token_counter_scales_the_estimate() -> None:
    request = {"system": [{"text": "y" * 3000}], "messages": [turn("user", "hi")]}  # ~750 est.
    assert points(place_cache_points(request, CachePolicy(min_tokens=1024)).request) == []
    counted = place_cache_points(
        request, CachePolicy(min_tokens=1024), token_counter=lambda r: 2000
    )
    assert points(counted.request) == [("system", -1, 1)]


def test_points_in_every_section_leave_the_input_untouched() -> None:
    request = {
        "toolConfig": {"tools": [tool("search", BIG)]},
        "system": [{"text": BIG}],
        "messages": [turn("user", BIG), turn("assistant", "ok"), turn("user", BIG)],
    }
    before = copy.deepcopy(request)
    out = place_cache_points(request, CachePolicy(min_tokens=1024)).request
    assert {section for section, _, _ in points(out)} == {"tools", "system", "messages"}
    assert request == before


def test_a_conversations_first_long_turn_is_marked_for_the_next_turn_to_read() -> None:
    from tierwise.core.cache_aware import learned_prefixes, prefixes

    log = "2026-11-02T12:00:00Z host-7 ERROR ledger-db timed out after 900 ms\n" * 700
    first = {"messages": [turn("user", f"Here is the log. Help me investigate.\n\n{log}")]}
    placed = place_cache_points(first, CachePolicy(min_tokens=1024))
    assert points(placed.request) == [("messages", 0, 1)]
    assert [p.where for p in placed.placed] == ["turn"]
    # the next turn's "history" point is that same prefix: what the first call wrote is read
    second = {"messages": [*first["messages"], turn("assistant", "Noted."), turn("user", BIG)]}
    then = place_cache_points(second, CachePolicy(min_tokens=1024))
    assert [p.where for p in then.placed] == ["history", "turn"]
    wrote = prefixes(placed.request, 1024)
    finds = prefixes(then.request, 1024)
    assert len(wrote) == 1 and finds[0] == wrote[0]
    # after the first call reported its write, the second call's first point is warm
    assert learned_prefixes(wrote, 0, wrote[0].tokens) == [finds[0]]


def test_a_first_turn_point_respects_the_minimum_and_the_cap() -> None:
    # a short question after a long system prompt: its segment is below the minimum
    short = {"system": [{"text": BIG}], "messages": [turn("user", "hi")]}
    result = place_cache_points(short, CachePolicy(min_tokens=1024))
    assert points(result.request) == [("system", -1, 1)]
    assert any(s.startswith("turn: segment below") for s in result.skipped)
    # a 2,000-token first turn is under a 4,096-token model minimum
    assert (
        points(
            place_cache_points(
                {"messages": [turn("user", BIG)]}, CachePolicy(min_tokens=4096)
            ).request
        )
        == []
    )
    # a document that ends the first turn gets one point, not two
    doc = {"document": {"format": "txt", "name": "ref", "source": {"bytes": b"y" * 9000}}}
    only_doc = {"messages": [{"role": "user", "content": [{"text": "read this"}, doc]}]}
    out = place_cache_points(only_doc, CachePolicy(min_tokens=1024))
    assert points(out.request) == [("messages", 0, 2)] and [p.where for p in out.placed] == [
        "document"
    ]
    # tools, system and two documents already take the four points: the turn's is skipped
    full = {
        "toolConfig": {"tools": [tool("a", BIG)]},
        "system": [{"text": BIG}],
        "messages": [{"role": "user", "content": [doc, {"text": BIG}, doc, {"text": BIG}]}],
    }
    capped = place_cache_points(full, CachePolicy(min_tokens=1024))
    assert count_cache_points(capped.request) == 4
    assert any(s == "turn: already 4 cache points" for s in capped.skipped)


def test_a_first_turn_of_raw_image_bytes_is_marked_and_hashed() -> None:
    # boto3 takes images and documents as raw bytes: the prefix behind the first turn's
    # point is hashed from a digest of them (json could not encode them: a TypeError, a 500
    # from the gateway for 20 pasted images)
    from tierwise.core.cache_aware import conversation_key, prefixes

    def images(seed: bytes) -> dict[str, Any]:
        block = {"image": {"format": "png", "source": {"bytes": seed * 2000}}}
        return {"messages": [{"role": "user", "content": [block] * 20}]}

    placed = place_cache_points(images(b"a"), CachePolicy(min_tokens=1024))
    assert [p.where for p in placed.placed] == ["turn"]
    keys = prefixes(placed.request, 1024)
    again = prefixes(place_cache_points(images(b"a"), CachePolicy(min_tokens=1024)).request, 1024)
    other = prefixes(place_cache_points(images(b"b"), CachePolicy(min_tokens=1024)).request, 1024)
    assert len(keys) == 1 and keys == again and keys[0].key != other[0].key
    chat = images(b"a")
    chat["messages"] += [turn("assistant", "ok"), turn("user", "and?")]
    assert conversation_key(chat) is not None


def test_first_turn_off_leaves_a_one_off_request_unmarked_and_still_marks_conversations() -> None:
    from tierwise.config import load_settings
    from tierwise.core.tiers import Tier

    one_off = {"messages": [turn("user", BIG)]}
    assert points(place_cache_points(one_off, CachePolicy(min_tokens=1024)).request) == [
        ("messages", 0, 1)
    ]
    off = CachePolicy(min_tokens=1024, first_turn=False)
    assert points(place_cache_points(one_off, off).request) == []
    chat = {"messages": [turn("user", BIG), turn("assistant", "ok"), turn("user", BIG)]}
    assert [p.where for p in place_cache_points(chat, off).placed] == ["history", "turn"]
    # one line of configuration reaches every tier's policy
    settings = load_settings(None, overrides={"caching.first_turn": False}).settings
    assert settings.cache_policy(Tier.SONNET).first_turn is False
    assert load_settings(None).settings.cache_policy(Tier.SONNET).first_turn is True


def test_points_left_over_mark_earlier_user_turns_most_recent_first() -> None:
    chat = {"messages": [turn("user", BIG), turn("assistant", "a"), turn("user", BIG),
                         turn("assistant", "b"), turn("user", BIG), turn("assistant", "c"),
                         turn("user", BIG), turn("assistant", "d"), turn("user", BIG)]}  # fmt: skip
    out = place_cache_points(chat, CachePolicy(min_tokens=1024))
    # history (message 6) and turn (8) first, then the two points left: messages 4 and 2
    assert [p.where for p in out.placed] == ["earlier", "earlier", "history", "turn"]
    assert points(out.request) == [("messages", m, 1) for m in (2, 4, 6, 8)]
    # no room left with a system prompt and tools: history and turn keep their points
    full = {**chat, "system": [{"text": BIG}], "toolConfig": {"tools": [tool("t", BIG)]}}
    placed = place_cache_points(full, CachePolicy(min_tokens=1024)).placed
    assert [p.where for p in placed] == ["tools", "system", "history", "turn"]
    # a point whose segment would be below the minimum is passed over for an older one:
    # after a short turn 4, turn 2 would leave 4's segment a few tokens long
    short = {"messages": [*chat["messages"][:4], turn("user", "ok"), *chat["messages"][5:]]}
    out = place_cache_points(short, CachePolicy(min_tokens=1024))
    assert [p.where for p in out.placed] == ["earlier", "earlier", "history", "turn"]
    assert points(out.request) == [("messages", m, 1) for m in (0, 4, 6, 8)]


def chat(last_user: list[dict[str, Any]], first: str = BIG * 3) -> dict[str, Any]:
    """A first long turn (~6,000 tokens), an answer, and a short follow-up of these blocks."""
    return {"messages": [turn("user", first), turn("assistant", "Noted."),
                         {"role": "user", "content": last_user}]}  # fmt: skip


def test_a_short_follow_up_on_a_long_minimum_model_marks_its_own_end() -> None:
    # Haiku 4.5 / Opus 4.5 need 4,096 tokens per segment. A 200-token follow-up cannot have
    # both its end and the previous turn's: its own end wins, because its lookback window
    # reaches the previous turn's end (two blocks back) and the next turn needs it written.
    request = chat([{"text": "ok, more output: " + "z" * 800}])
    result = place_cache_points(request, CachePolicy(min_tokens=4096))
    assert [p.where for p in result.placed] == ["turn"]
    assert points(result.request) == [("messages", 2, 1)]
    assert any(s.startswith("history") and "minimum" in s for s in result.skipped)
    # where both fit (Sonnet's 1,024 and a long enough follow-up), both are still placed
    long_enough = chat([{"text": BIG}])
    both = place_cache_points(long_enough, CachePolicy(min_tokens=1024))
    assert [p.where for p in both.placed] == ["history", "turn"]


def test_the_previous_turns_end_keeps_priority_out_of_the_lookback_window() -> None:
    # 19 blocks after the previous turn's end (1 answer + 18 follow-up blocks): it is the
    # 20th position back from the turn's end, in the window, so the turn's end is placed
    many = [{"text": f"tool output {i} " + "z" * 40} for i in range(18)]
    inside = place_cache_points(chat(many), CachePolicy(min_tokens=4096))
    assert [p.where for p in inside.placed] == ["turn"]
    # one more block puts it out of the window: only a point of its own reads it, so the
    # previous turn's end is placed and the turn's end, too close to it, is not
    more = chat([*many, {"text": "one more"}])
    outside = place_cache_points(more, CachePolicy(min_tokens=4096))
    assert [p.where for p in outside.placed] == ["history"]
    assert any(s.startswith("turn") and "minimum" in s for s in outside.skipped)
