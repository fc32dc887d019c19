"""Automatic prompt-cache placement: ``cachePoint`` blocks after stable, reused prefixes.

Bedrock caches the prompt prefix in front of a ``cachePoint`` (prompt order: tools, system,
messages). A point pays off when the same prefix comes back within the TTL, and is wasted
(or refused) otherwise, so placement follows rules, each tested:

* at most 4 points per request, the caller's own included (more is an error upstream);
* each cached segment must reach the model's minimum (the minimum is cumulative: the k-th
  point needs at least k x minimum tokens in front of it), by :mod:`tierwise.core.tokens`;
* none at all for a model configured without caching (Bedrock rejects such requests), so
  the caller's own points are removed there too;
* a point goes beside a tool result, never inside its content;
* the points tierwise adds carry the configured TTL; the caller's keep theirs; a 1-hour point
  never follows a 5-minute one (longer TTLs must come first), so no 1-hour point is added
  after a caller's 5-minute one and no 5-minute point before a caller's 1-hour one;
* ``auto`` places, in priority order: after the tool definitions, after the system prompt,
  after large documents in the first user turn, in multi-turn chats at the end of the
  previous user turn (what the last call cached), and at the end of the current turn (for the
  next call; from the first turn on, as Anthropic documents for multi-turn conversations, so
  a conversation's second turn reads its first; ``[caching] first_turn = false`` waits
  for the second turn, for one-off traffic). A one-off request whose own turn reaches
  the minimum pays the write for nothing (0.25x input extra on that segment); a follow-up
  reads it instead of writing it (1.15x saved), so it pays once more than about one such
  request in five is followed up;
* points left over go to the ends of earlier user turns, most recent first, so a turn
  after one served by another model or thinking setting reads back what its own model
  cached (extra points add no write: a call writes from its longest hit to its last point);
* a read looks back from each point over at most :data:`LOOKBACK_BLOCKS` block positions
  (the point's own first) for an entry an earlier call wrote at its own point. So where the
  previous turn's end lies within the current turn's window, the current turn's end comes
  first: its one point reads the previous turn's entry and writes the new turn for the next
  call. Before, the previous turn's end ("history") came first, and on a model whose
  minimum is longer than a short follow-up (Haiku and Opus 4.5: 4,096 tokens) the turn's
  own end was refused: no call ever wrote it, so the next turn's history point was cold and
  every other turn wrote two turns' worth of history and paid the latest one as input.
  Where the previous turn's end is out of the window (an exchange of 20 blocks or more), it
  keeps priority: only its own point can read it.

:func:`canonicalize` sorts the keys of tool schemas so a logically equal prefix is
byte-identical from call to call.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from tierwise.core.tokens import canonical_json, segments
from tierwise.errors import TooManyCachePointsError

__all__ = [
    "LOOKBACK_BLOCKS",
    "MAX_CACHE_POINTS",
    "THINKING_SCOPE",
    "CachePlacement",
    "CachePolicy",
    "PlacementResult",
    "PointPrefix",
    "SharedPlacement",
    "cache_writes",
    "cacheable_points",
    "canonicalize",
    "count_cache_points",
    "message_cache_scope",
    "place_cache_points",
    "point_prefixes",
    "read_hits",
]

MAX_CACHE_POINTS = 4
# How far a cache read looks back from a cache point for an entry an earlier request wrote.
# Anthropic, "How automatic prefix checking works"
# (https://platform.claude.com/docs/en/build-with-claude/prompt-caching): "Cache writes happen
# only at your breakpoint" (one entry: the prefix ending at that block); a read checks the
# point's own prefix, then "walks backward one block at a time"; "The lookback window is 20
# blocks. The system checks at most 20 positions per breakpoint, counting the breakpoint
# itself as the first." Bedrock's prompt-caching guide, "Simplified cache management" for
# Claude (https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html): Bedrock
# "automatically checks for cache hits on prefixes up to approximately 20 content blocks
# before that marker". Not known for Bedrock: Anthropic adds that "on the Claude API" a run
# of consecutive toolUse blocks counts as one position, and so does a run of toolResult
# blocks; Bedrock's guide says nothing of it, so tierwise counts every content block (tool
# definitions and system blocks included; cache points are not blocks), which can only find
# fewer hits than Bedrock, never more.
LOOKBACK_BLOCKS = 20
Mode = Literal["auto", "off", "manual"]
# Section name under which a prefix digest takes in the thinking settings (see
# message_cache_scope).
THINKING_SCOPE = "thinking"


def message_cache_scope(request: Mapping[str, Any]) -> str:
    """What a cache point in the messages depends on besides the content in front of it: the
    extended-thinking settings ("" when thinking is off).

    Anthropic: "Changes to thinking parameters (enabled/disabled or budget allocation)
    invalidate message cache breakpoints"; system prompts and tools stay cached. So a
    conversation cached without thinking reads none of its history on a turn sent with a
    thinking budget (it writes it again), and the turn after, sent without, misses the
    thinking turn's entries too.
    """
    fields = request.get("additionalModelRequestFields")
    thinking = fields.get("thinking") if isinstance(fields, Mapping) else None
    if not isinstance(thinking, Mapping) or thinking.get("type") in (None, "disabled"):
        return ""
    return canonical_json(thinking)


@dataclass(frozen=True, slots=True)
class PointPrefix:
    """One cache point of a request: the tokens in front of it, its TTL, the digest of its
    prefix (the entry it writes), and ``window``: the (tokens, digest) of the positions its
    read checks for an entry an earlier request wrote, its own first, then back one content
    block at a time (at most ``LOOKBACK_BLOCKS``)."""

    tokens: int
    ttl: str
    key: str
    window: tuple[tuple[int, str], ...]

    def positions(self) -> tuple[tuple[int, str], ...]:
        return self.window


class _Point(Protocol):
    @property
    def tokens(self) -> int: ...

    @property
    def ttl(self) -> str: ...


class _Reader(_Point, Protocol):
    def positions(self) -> tuple[tuple[int, str], ...]: ...


P = TypeVar("P", bound=_Point)
R = TypeVar("R", bound=_Reader)


# The one model of what a call reads and writes, given its cache points (from
# point_prefixes, in prompt order). The emulator bills with it, the router prices options with
# it, and the planner re-prices logged traffic with it: three callers, one rule.
#
# The minimum counts per cache point, from the previous point that caches. Bedrock's
# prompt-caching guide, "How it works" (https://docs.aws.amazon.com/bedrock/latest/userguide/
# prompt-caching.html; the passage as read in its ja_jp and ko_kr editions, the English one
# not being in the search index in full): cache checkpoints have a minimum number of tokens;
# a checkpoint can be created only if the total prompt prefix meets it; Claude 3.7 Sonnet
# needs at least 1,024 tokens per cache checkpoint, "that is", the first checkpoint can be
# defined after 1,024 tokens and the second after 2,048; a checkpoint added before the
# minimum is met leaves the call successful and the prefix uncached. Its model table gives
# the minimum "per checkpoint" (../shared/design/bedrock-facts.md section 4: "The minimum is
# cumulative"). A whole-prefix reading (every point needs only its total prefix at the
# minimum) would allow a second checkpoint after 1,025 tokens, which the guide's example
# rules out. Anthropic's prompt-caching page gives a "minimum cacheable prompt length" per
# model ("Shorter prompts cannot be cached, even if marked with cache_control") and says
# nothing of a second breakpoint. Not documented: whether a refused point counts as "the
# previous" one; tierwise measures from the previous point that caches (a refused point
# caches nothing), and placement keeps every point it adds the minimum away from every other
# point, which satisfies either reading.


def cacheable_points(points: Iterable[P], min_tokens: int) -> list[P]:
    """The points that cache: each at least ``min_tokens`` past the previous one that does
    (the first: from the start of the prompt). A point with nothing in front of it since the
    previous one caches no new prefix."""
    out: list[P] = []
    previous = 0
    for point in points:
        if point.tokens - previous < max(min_tokens, 1):
            continue
        out.append(point)
        previous = point.tokens
    return out


def read_hits(points: Iterable[R], has: Callable[[str], bool]) -> list[tuple[R, int, str]]:
    """For each of the (cacheable) ``points``, the nearest position in its lookback window
    holding an entry (``has``), which is the longest prefix that point can read: (point,
    tokens, digest). A call reads the longest of them (0 tokens: no hit)."""
    out: list[tuple[R, int, str]] = []
    for point in points:
        found = next(((t, k) for t, k in point.positions() if has(k)), None)
        if found is not None:
            out.append((point, *found))
    return out


def cache_writes(points: Iterable[P], read: int) -> list[tuple[P, int]]:
    """The (cacheable) ``points`` a call that read ``read`` tokens writes an entry at, each
    with the tokens it bills as written: from the longest prefix read, or the previous point
    written, up to it. The rest of the prompt is uncached input."""
    out: list[tuple[P, int]] = []
    previous = read
    for point in points:
        if point.tokens <= read:
            continue
        out.append((point, point.tokens - previous))
        previous = point.tokens
    return out


def point_prefixes(
    request: Mapping[str, Any], seed: str = "", lookback: int = LOOKBACK_BLOCKS
) -> list[PointPrefix]:
    """Every cache point of ``request`` in prompt order (tools, system, messages), each with
    its prefix digest and lookback window (see :class:`PointPrefix`). The digest covers the
    canonical content in front of the point (``seed`` first: the emulator keys it by model);
    message positions take in the thinking settings too (see :func:`message_cache_scope`).
    The emulator's prompt cache and the router's warm-prefix estimate both use it, so they
    agree on what a read can find."""
    digest = hashlib.sha256(seed.encode("utf-8"))
    positions: list[tuple[int, str]] = []  # (tokens, digest) at the end of every block
    out: list[PointPrefix] = []
    total = 0
    segs = segments(request)

    def feed(section: str, item: Any) -> None:
        digest.update(f"\x00{section}\x00".encode())
        digest.update(canonical_json(item).encode("utf-8"))

    def block(section: str, item: Any) -> None:
        nonlocal total
        total += next(segs).tokens
        feed(section, item)
        positions.append((total, digest.copy().hexdigest()))

    def point() -> None:
        ttl = next(segs).ttl or "5m"
        key = digest.copy().hexdigest()
        before = positions[-lookback:]
        if before and before[-1][1] == key:  # the block the point follows is its own position
            before = before[:-1]
        earlier = before[-(lookback - 1) :] if lookback > 1 else []
        window = ((total, key), *reversed(earlier))
        out.append(PointPrefix(total, ttl, key, window))

    for tool in (request.get("toolConfig") or {}).get("tools") or ():
        if "cachePoint" in tool:
            point()
        else:
            block("tool", tool)
    for item in request.get("system") or ():
        if "cachePoint" in item:
            point()
        else:
            block("system", item)
    scope = message_cache_scope(request)
    if scope:
        feed(THINKING_SCOPE, scope)  # message entries are per thinking setting; system, tools not
    for message in request.get("messages") or ():
        total += next(segs).tokens  # the message's framing
        feed("role", message.get("role"))
        for item in message.get("content") or ():
            if "cachePoint" in item:
                point()
            else:
                block("block", item)
    return out


@dataclass(frozen=True, slots=True)
class CachePolicy:
    mode: Mode = "auto"
    min_tokens: int = 1024
    supports_caching: bool = True
    ttl: Literal["5m", "1h"] = "5m"
    min_document_tokens: int = 1024
    max_points: int = MAX_CACHE_POINTS
    # Mark a conversation's first turn for its second to read. One-off long requests (a
    # document summarised once, offline extraction) pay the write for nothing: off for them.
    first_turn: bool = True


@dataclass(frozen=True, slots=True)
class CachePlacement:
    where: str  # "tools", "system", "document", "history", "turn", "earlier"
    prefix_tokens: int
    ttl: str


@dataclass(frozen=True, slots=True)
class PlacementResult:
    request: dict[str, Any]
    placed: tuple[CachePlacement, ...]
    skipped: tuple[str, ...]


# What placement reads of a request and all it writes: the points go into these sections,
# and every count it weighs comes from them (tokens.segments); the rest is copied as is.
PLACED_SECTIONS = ("toolConfig", "system", "messages")
_ABSENT = object()


def _sections(request: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(request.get(key, _ABSENT) for key in PLACED_SECTIONS)


@dataclass(frozen=True, slots=True, eq=False)
class SharedPlacement:
    """A placement's sections, for a later request that carries the very section objects
    it was placed from: the cache router places the chosen tier's points while choosing,
    and the request as sent (sampling settled, thinking applied: other fields) takes them
    instead of being placed again. Identity, not equality: settling sampling and thinking
    copy only the top level, so the sections are the same objects, and checking that costs
    nothing where comparing distinct equal ones walks every block."""

    policy: CachePolicy
    source: tuple[Any, ...]
    placed: tuple[Any, ...]

    @classmethod
    def of(
        cls, source: Mapping[str, Any], placed: Mapping[str, Any], policy: CachePolicy
    ) -> SharedPlacement:
        """What ``place_cache_points(source, policy)`` placed, as ``placed`` (that result,
        or a request made from it that kept its sections) carries it."""
        return cls(policy, _sections(source), _sections(placed))

    def apply(self, request: Mapping[str, Any], policy: CachePolicy) -> dict[str, Any] | None:
        """``place_cache_points(request, policy).request`` when ``request`` carries this
        placement's source sections under the same policy, else None (place it)."""
        if policy != self.policy:
            return None
        for source, given in zip(self.source, _sections(request), strict=True):
            if source is not given:
                return None
        out = dict(request)
        for key, value in zip(PLACED_SECTIONS, self.placed, strict=True):
            if value is not _ABSENT:
                out[key] = value
        return out


def _sorted(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def canonicalize(request: Mapping[str, Any]) -> dict[str, Any]:
    """``request`` with tool specs' keys sorted recursively (tool order is the caller's)."""
    out = dict(request)
    config = request.get("toolConfig")
    if config and config.get("tools"):
        tools = [
            {"toolSpec": _sorted(t["toolSpec"])} if "toolSpec" in t else t for t in config["tools"]
        ]
        out["toolConfig"] = {**config, "tools": tools}
    return out


def _is_point(block: Mapping[str, Any]) -> bool:
    return "cachePoint" in block


def count_cache_points(request: Mapping[str, Any]) -> int:
    return sum(1 for s in segments(request) if s.cache_point)


def _strip(request: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(request))
    if out.get("system"):
        out["system"] = [b for b in out["system"] if not _is_point(b)]
    if out.get("toolConfig"):
        out["toolConfig"]["tools"] = [t for t in out["toolConfig"]["tools"] if not _is_point(t)]
    for message in out.get("messages") or ():
        message["content"] = [b for b in message.get("content") or () if not _is_point(b)]
    return out


# A slot is "after block i of a section": ("tools", -1, i), ("system", -1, i), or
# ("messages", m, i) for message m.
Slot = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class _Candidate:
    where: str
    slot: Slot


def _candidates(request: Mapping[str, Any], policy: CachePolicy) -> list[_Candidate]:
    out: list[_Candidate] = []
    tools = (request.get("toolConfig") or {}).get("tools") or []
    if tools:
        out.append(_Candidate("tools", ("tools", -1, len(tools) - 1)))
    system = request.get("system") or []
    if system:
        out.append(_Candidate("system", ("system", -1, len(system) - 1)))
    messages = request.get("messages") or []
    first_user = next((i for i, m in enumerate(messages) if m.get("role") == "user"), None)
    if first_user is not None:
        from tierwise.core.tokens import count_block

        for i, block in enumerate(messages[first_user].get("content") or ()):
            if "document" in block and count_block(block) >= policy.min_document_tokens:
                out.append(_Candidate("document", ("messages", first_user, i)))
    ends: list[_Candidate] = []
    if len(messages) >= 3:
        prev = len(messages) - 3
        ends.append(
            _Candidate("history", ("messages", prev, len(messages[prev].get("content") or ()) - 1))
        )
    if len(messages) >= 3 or (messages and policy.first_turn):
        # The end of the current turn, from a conversation's first turn on: the next call
        # carries this prompt plus one exchange, and its read finds what this call wrote
        # here. (A first turn without it left its next turn nothing warm: a 12k-token pasted
        # log was written by the second call, read by the third.)
        last = len(messages) - 1
        ends.append(
            _Candidate("turn", ("messages", last, len(messages[last].get("content") or ()) - 1))
        )
    if len(ends) == 2 and _blocks(messages[-2]) + _blocks(messages[-1]) < LOOKBACK_BLOCKS:
        # The previous turn's end is in the window the turn's own point reads back over: that
        # point alone reads it and writes the new turn, so it comes first (see the module doc).
        ends.reverse()
    out.extend(ends)
    # Then, in the points left, the ends of earlier user turns (most recent first): what the
    # calls before the last one cached. When the last turn went to another model or ran with
    # other thinking settings, the "history" point is cold here, and without these the turn
    # wrote the whole conversation again; with them it reads back what its own model last
    # cached and writes from there. They cost nothing when unused: a call writes from the
    # longest prefix it read to its last point, whatever points lie between.
    for m in range(len(messages) - 4, -1, -1):
        if messages[m].get("role") == "user":
            end = len(messages[m].get("content") or ()) - 1
            out.append(_Candidate("earlier", ("messages", m, end)))
    seen: set[Slot] = set()
    unique = []
    for cand in out:  # a document that ends the first turn is also the turn's end
        if cand.slot not in seen:
            seen.add(cand.slot)
            unique.append(cand)
    return unique


def _blocks(message: Mapping[str, Any]) -> int:
    """Content blocks of ``message`` (lookback positions: cache points are not blocks)."""
    return sum(1 for b in message.get("content") or () if not _is_point(b))


def _layout(request: Mapping[str, Any]) -> tuple[dict[Slot, int], list[tuple[int, str]]]:
    """Prefix tokens at the end of every block, and the existing points (prefix, ttl)."""
    ends: dict[Slot, int] = {}
    points: list[tuple[int, str]] = []
    total = 0
    for seg in segments(request):
        if seg.cache_point:
            points.append((total, seg.ttl))
            continue
        total += seg.tokens
        if seg.block_index >= 0:
            ends[(seg.section, seg.message_index, seg.block_index)] = total
    return ends, points


def _insert(request: dict[str, Any], slot: Slot, point: dict[str, Any]) -> None:
    """Insert ``point`` after ``slot``, copying only the containers on the way to it: the
    blocks themselves stay shared with the caller's request, which is never modified (a
    deep copy of every request cost more than placing the points)."""
    section, message, index = slot
    if section == "tools":
        config = request["toolConfig"] = dict(request["toolConfig"])
        blocks = config["tools"] = list(config["tools"])
    elif section == "system":
        blocks = request["system"] = list(request["system"])
    else:
        messages = request["messages"] = list(request["messages"])
        target = messages[message] = dict(messages[message])
        blocks = target["content"] = list(target["content"])
    blocks.insert(index + 1, point)


def _point_after(request: Mapping[str, Any], slot: Slot) -> bool:
    section, message, index = slot
    if section == "tools":
        blocks = request["toolConfig"]["tools"]
    elif section == "system":
        blocks = request["system"]
    else:
        blocks = request["messages"][message]["content"]
    return index + 1 < len(blocks) and _is_point(blocks[index + 1])


def place_cache_points(
    request: Mapping[str, Any],
    policy: CachePolicy,
    *,
    token_counter: Callable[[Mapping[str, Any]], int] | None = None,
) -> PlacementResult:
    """A new request with cache points per ``policy``; the input is never modified (blocks
    the placement does not touch are shared with it, not copied).

    ``token_counter`` may give an exact total (e.g. Bedrock's CountTokens); the block-level
    estimate is scaled to it so the minimum-prefix rule uses the better number.
    """
    existing = count_cache_points(request)
    if policy.mode == "off" or not policy.supports_caching:
        why = "caching is off" if policy.mode == "off" else "this model does not support caching"
        note = f"{why}: removed {existing} cache point(s)" if existing else why
        return PlacementResult(_strip(request), (), (note,))
    if existing > policy.max_points:
        raise TooManyCachePointsError(
            f"the request has {existing} cache points; Bedrock allows at most {policy.max_points}"
        )
    out = canonicalize(request)
    if policy.mode == "manual":
        return PlacementResult(
            copy.deepcopy(out), (), ("manual mode: only the caller's cache points",)
        )

    ends, points = _layout(out)
    scale = 1.0
    if token_counter is not None and ends:
        estimated = max(ends.values())
        if estimated:
            scale = token_counter(out) / estimated
    placed: list[CachePlacement] = []
    skipped: list[str] = []
    chosen: list[tuple[Slot, _Candidate, int]] = []
    taken = [p for p, _ in points]
    for cand in _candidates(out, policy):
        if cand.slot not in ends:
            continue
        prefix = int(ends[cand.slot] * scale)
        if _point_after(out, cand.slot):
            skipped.append(f"{cand.where}: the caller already has a cache point there")
            continue
        if existing + len(chosen) >= policy.max_points:
            skipped.append(f"{cand.where}: already {policy.max_points} cache points")
            continue
        all_points = sorted([*taken, prefix])
        rank = all_points.index(prefix)
        before = all_points[rank - 1] if rank > 0 else 0
        after = all_points[rank + 1] if rank + 1 < len(all_points) else None
        if prefix - before < policy.min_tokens or (
            after is not None and after - prefix < policy.min_tokens
        ):
            skipped.append(
                f"{cand.where}: segment below the model's {policy.min_tokens}-token minimum"
            )
            continue
        if policy.ttl == "1h" and any(p < prefix and ttl == "5m" for p, ttl in points):
            skipped.append(f"{cand.where}: a 1h cache point may not follow a 5m one")
            continue
        # The caller's 1-hour point already caches this prefix too (caching is cumulative);
        # a 5-minute point in front of it is refused upstream.
        if policy.ttl == "5m" and any(p > prefix and ttl == "1h" for p, ttl in points):
            skipped.append(f"{cand.where}: a 5m cache point may not precede a 1h one")
            continue
        taken.append(prefix)
        chosen.append((cand.slot, cand, prefix))
    # Insert from the back so earlier slots keep their indexes.
    for slot, _, _ in sorted(chosen, key=lambda c: _order(c[0]), reverse=True):
        body: dict[str, Any] = {"type": "default"}
        if policy.ttl == "1h":
            body["ttl"] = "1h"
        _insert(out, slot, {"cachePoint": body})
    for _, cand, prefix in sorted(chosen, key=lambda c: c[2]):
        placed.append(CachePlacement(cand.where, prefix, policy.ttl))
    return PlacementResult(out, tuple(placed), tuple(skipped))


_SECTION_ORDER = {"tools": 0, "system": 1, "messages": 2}


def _order(slot: Slot) -> tuple[int, int, int]:
    return (_SECTION_ORDER[slot[0]], slot[1], slot[2])
