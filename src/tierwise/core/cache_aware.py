"""Cache-aware tier choice: what a request will really cost on each tier, given warm prefixes.

Bedrock's prompt cache is per model. A request whose long prefix (tools, system prompt,
documents, the conversation so far) is warm on Sonnet pays Sonnet's cache-read rate for it
(0.1x input); the same request moved to Haiku pays Haiku's full input rate plus a cache write,
and leaves Sonnet's cache to go cold. With the default prices, a 50k-token prefix warm on
Sonnet costs 50k x $0.30/M = $0.015, and cold on Haiku 50k x $1.25/M = $0.0625.

So among the tiers the quality policy allows, tierwise picks the one with the lowest expected
cost for this request: warm prefixes at the read rate, the cold part of each cacheable prefix
at the write rate (only past the model's cache minimum), the rest at the input rate, and the
class's expected output at the output rate (plus, where the option carries an extended
thinking budget, the expected use of that budget, also billed as output). The tiers allowed
are the routed tier and those above it, and below it only as far as the class's policy line
allows (``lowest``, e.g. Sonnet with a thinking budget for Opus-class planning work): quality
is never traded for money beyond what the policy says, and a cheaper tier the policy allows is
not passed over to stay on the preferred one unless the policy says so
(``below_preferred = "when_warmer"``: below only where more of the prompt is warm).

A write is an investment: the requests that follow on the same prefix within its TTL read it
back. Its cost is spread over the requests expected (``reuse``, see :func:`expected_reuse`):
the arrival rate the prefix has shown since its window opened, times the TTL. Counting only
the requests seen so far (as an earlier version did) under-forecasts a prefix whose window
opened moments ago, so an easy question was sent to a warm dearer tier, and a later one
wrote the cheaper tier's copy anyway: the dearer reads were paid and the write too.

Within one conversation (the same first turns), a request stays on the tier the conversation
is on unless the router moves it with confidence, or moving saves at least ``margin`` of the
cost: bouncing between tiers rewrites the cache each time.

Pure: the caller supplies which prefixes are warm (learned from Bedrock's reported usage, see
:func:`learned_prefixes`) and the prices.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from tierwise.core.caching import cache_writes, cacheable_points, point_prefixes, read_hits
from tierwise.core.output_learning import OutputEstimate
from tierwise.core.pricing import Rates, Usage, price
from tierwise.core.thinking import apply_thinking
from tierwise.core.tiers import Tier
from tierwise.core.tokens import canonical_json, count_request

__all__ = [
    "BELOW_PREFERRED",
    "LEARN_TOLERANCE",
    "TTL_SECONDS",
    "CacheChoice",
    "Prefix",
    "TierOption",
    "choose_tier",
    "conversation_key",
    "expected_cost",
    "expected_reuse",
    "learned_prefixes",
    "lookup_keys",
    "prefixes",
    "warm_read",
]

TTL_SECONDS = {"5m": 300, "1h": 3600}
# When a tier below the preferred one (allowed by the class's ``lowest``) may be picked:
# whenever it is expected cheaper, or only when more of the prompt is warm there.
BELOW_PREFERRED = ("when_cheaper", "when_warmer")


@dataclass(frozen=True, slots=True)
class Prefix:
    """The prompt in front of one cache point: its token count, TTL and content digest, and
    the (tokens, digest) of the positions a read from it checks for a warm entry (its own
    first, then back one block at a time: see :data:`~tierwise.core.caching.LOOKBACK_BLOCKS`;
    empty: only its own)."""

    tokens: int
    ttl: str
    key: str
    window: tuple[tuple[int, str], ...] = ()

    def positions(self) -> tuple[tuple[int, str], ...]:
        return self.window or ((self.tokens, self.key),)


def prefixes(request: Mapping[str, Any], min_tokens: int) -> list[Prefix]:
    """The cacheable prefixes of a request whose cache points are placed (prompt order),
    each with a digest of its canonical content (a point in the messages with the request's
    thinking settings too, see :func:`~tierwise.core.caching.message_cache_scope`) and its
    lookback window; only the points that cache (each the model's minimum past the
    previous one that does, :func:`~tierwise.core.caching.cacheable_points`), as the
    emulator's prompt cache and the planner count them."""
    return [
        Prefix(p.tokens, p.ttl or "5m", p.key, p.window)
        for p in cacheable_points(point_prefixes(request), min_tokens)
    ]


def lookup_keys(points: Sequence[Prefix]) -> list[str]:
    """Every digest a read from ``points`` may find warm (their windows), once each."""
    return list(dict.fromkeys(k for p in points for _, k in p.positions()))


def warm_read(points: Sequence[Prefix], warm: Iterable[str]) -> int:
    """The tokens a request with ``points`` reads, given the ``warm`` digests: the longest
    warm position in any point's window (0: none)."""
    keys = set(warm)
    return max((t for _, t, _ in read_hits(points, keys.__contains__)), default=0)


# How far a reported cache boundary may sit from a prefix's scaled estimate and still be
# taken as that prefix: a factor of 1.5 either way. The estimate (chars / 4; documents by
# bytes / 4) is off Bedrock's tokenizer by about 10-30% depending on the content (more for
# code, non-English text, PDFs). Scaling by the call's own ratio (reported total over
# estimated total) cancels the bias the prefix shares with the rest of the prompt; what is
# left is how far the prefix's content differs from the rest, within that 30% for a prefix
# that is most of the prompt (as a cached one is). Past 1.5x, the numbers describe a
# prompt laid out differently from ours, and nothing is marked on them.
LEARN_TOLERANCE = 1.5


def _off(estimate: float, reported: int) -> float:
    """How far a scaled ``estimate`` is from a ``reported`` count: a factor, 1 or more."""
    ratio = estimate / reported
    return max(ratio, 1 / ratio)


def _nearest(
    candidates: Iterable[tuple[int, str, str]], scale: float, reported: int
) -> tuple[int, str, str] | None:
    """Of (estimated tokens, digest, ttl) ``candidates``, the one whose size times ``scale``
    is nearest ``reported`` (by ratio), if within :data:`LEARN_TOLERANCE`; the shorter on a
    tie."""
    best: tuple[float, int, str, str] | None = None
    for tokens, key, ttl in candidates:
        if tokens <= 0:
            continue
        off = _off(tokens * scale, reported)
        if off <= LEARN_TOLERANCE and (best is None or (off, tokens) < best[:2]):
            best = (off, tokens, key, ttl)
    return None if best is None else best[1:]


def _read_entry(
    before: Sequence[tuple[int, str, str]],
    own: Sequence[tuple[int, str, str]],
    read: int,
    scale: float,
    warm: Collection[str],
) -> tuple[int, str, str] | None:
    """Of the (estimated tokens, digest, ttl) positions ``before`` the end of what a call
    cached, the entry it read (``read`` tokens by Bedrock's count); ``own``: the request's
    points, ``scale``: the cached part's ratio, ``warm``: the digests warm before the call."""
    # Bedrock reads only an entry that exists, and the scaled estimate cannot tell positions
    # apart: the cached prefix's ratio (code ~1.3x) is not the new turn's (prose ~1.0x), so
    # a lookback block the call never wrote can sit nearer the read than the entry that was
    # there. The known-warm positions are the candidates; the nearest only chooses among
    # them, with no tolerance, as a document estimated by bytes can be many times off the
    # ratio the whole prompt has (an exact count is then the way to tell).
    known = [c for c in before if c[1] in warm]
    if known:
        exact = next((c for c in known if c[0] == read), None)
        return exact or min(known, key=lambda c: (_off(c[0] * scale, read), c[0]))
    # None known (another process wrote it, or the state was lost): an estimate equal to
    # Bedrock's count (the emulator's, or the read's own part counted alike) identifies any
    # position; else only one of the request's own points, within the tolerance, as no
    # window position is taken on a scaled estimate alone.
    exact = next((c for c in before if c[0] == read), None)
    if exact is not None:
        return exact
    return _nearest([c for c in own if c in before], scale, read)


def learned_prefixes(
    points: Sequence[Prefix],
    read: int,
    written: int,
    scale: float = 1.0,
    warm: Collection[str] = frozenset(),
) -> list[Prefix]:
    """The prefixes a call left warm, from what Bedrock reported it read and wrote, each
    with its token count in Bedrock's terms (scaled from the estimate to the reported
    boundaries).

    Bedrock reports ``read`` as the prefix up to the longest entry found and ``written`` as
    the tokens from there to the last point that caches; ``points`` carry our estimate of
    each prefix, which Bedrock's tokenizer does not match, so a boundary is matched, not
    compared: ``scale`` is the call's reported prompt over the estimated prompt (see
    :data:`LEARN_TOLERANCE`). The end of what was cached (``read + written``) is the point
    nearest it once scaled (with no write, the entry read). The entry read, with a write
    too, is one that existed: of the positions before the end that were ``warm`` before the
    call (digests; a read through a point's lookback window may find the previous turn's
    end, a position with no point of this request), the one of exactly ``read`` estimated
    tokens, else the nearest by the cached part's own ratio (see :func:`_read_entry`). Every
    cacheable prefix up to the end is warm, and the entry read (a hit refreshes its TTL).
    Nothing is assumed when the call reported no cache activity or its numbers match no
    prefix: read 0 is no read, written 0 no write."""
    read, written = max(read, 0), max(written, 0)
    reach = read + written
    if reach <= 0 or not points or scale <= 0:
        return []
    own = [(p.tokens, p.key, p.ttl) for p in points]
    every = [(t, k, p.ttl) for p in points for t, k in p.positions()]
    # With a write, Bedrock wrote at every point past the read: the end is a point's own
    # position. With none, the end is the entry read: no point past it caches, so it is the
    # last point's own position, unless Bedrock's count left that point short of the
    # minimum; only then another window position (one block apart, they are too close for
    # the scaled estimate to tell apart).
    end = _nearest(own, scale, reach)
    if not written and end is None:
        end = _nearest(every, scale, reach)
    if end is None:
        return []
    end_tokens = end[0]
    hit: tuple[int, str, str] | None = None
    if read and not written:
        hit = end
    elif read:
        before = [c for c in every if c[0] < end_tokens]
        hit = _read_entry(before, own, read, reach / end_tokens, warm)
        if hit is None:
            return []

    def real(tokens: int) -> int:
        # Piecewise linear through (0, 0), (hit, read) and (end, read + written): exact at
        # the boundaries Bedrock reported, scaled in between.
        if hit is None:
            return round(tokens * reach / end_tokens)
        if tokens <= hit[0]:
            return round(tokens * read / hit[0])
        return round(read + (tokens - hit[0]) * written / (end_tokens - hit[0]))

    out = [replace(p, tokens=real(p.tokens)) for p in points if p.tokens <= end_tokens]
    if hit is not None and all(p.key != hit[1] for p in out):
        out = sorted([*out, Prefix(read, hit[2], hit[1])], key=lambda p: p.tokens)
    return out


def conversation_key(request: Mapping[str, Any]) -> str | None:
    """What identifies a conversation: its system prompt and first user turn. None for a
    single-turn request (nothing to stick to)."""
    messages: Sequence[Mapping[str, Any]] = request.get("messages") or ()
    if len(messages) < 2:
        return None
    first = messages[0]
    content = [b for b in first.get("content") or () if "cachePoint" not in b]
    system = [b for b in request.get("system") or () if "cachePoint" not in b]
    material = canonical_json({"system": system, "first": content})
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def expected_reuse(count: int, age_s: float, ttl_s: float, cap: float) -> float:
    """How many more requests are expected on a prefix within its TTL: the ``count`` seen
    since its window opened ``age_s`` seconds ago, as a rate, times ``ttl_s``; at most
    ``cap``. A window open for a whole TTL forecasts ``count``; one opened moments ago, with
    requests already in it, forecasts many (up to ``cap``). Nothing seen forecasts 0."""
    if count <= 0 or cap <= 0:
        return 0.0
    return min(float(cap), count * ttl_s / max(age_s, ttl_s / cap))


@dataclass(frozen=True, slots=True)
class TierOption:
    """One tier's expected cost for a request, and how much of it was warm. A
    ``thinking_budget`` means the option is that tier with extended thinking."""

    tier: Tier
    cost: Decimal
    warm_tokens: int
    write_tokens: int
    input_tokens: int
    thinking_budget: int | None = None
    # The output priced: answer tokens and expected thinking, and where the answer's
    # expectation came from (learned from answers or the configured prior).
    output_tokens: int = 0
    thinking_tokens: int = 0
    expected: OutputEstimate | None = None

    @property
    def label(self) -> str:
        if self.thinking_budget:
            return f"{self.tier.value} with a {self.thinking_budget:,}-token thinking budget"
        return self.tier.value

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tier": self.tier.value,
            "cost_usd": str(self.cost.quantize(Decimal("0.000001"))),
            "warm_tokens": self.warm_tokens,
            "write_tokens": self.write_tokens,
        }
        if self.thinking_budget:
            out["thinking_budget"] = self.thinking_budget
        if self.output_tokens:
            out["output_tokens"] = self.output_tokens
        if self.thinking_tokens:
            out["thinking_tokens"] = self.thinking_tokens
        if self.expected is not None:
            out["expected"] = self.expected.to_dict()
        return out

    def expectation(self) -> str:
        """The output this option was priced with, and whether it was learned."""
        if self.expected is None:
            thinking = f" + {self.thinking_tokens:,} thinking" if self.thinking_tokens else ""
            return f"{self.tier.value} {self.output_tokens:,} output tokens{thinking}"
        return f"{self.tier.value} {self.expected.describe(self.thinking_budget)}"


def expected_cost(  # noqa: PLR0917 - the inputs of one price, in reading order
    tier: Tier,
    points: Sequence[Prefix],
    warm: Iterable[str],
    total_input: int,
    output_tokens: int,
    rates: Rates,
    reuse: float = 0,
) -> TierOption:
    """The expected cost of a request on ``tier``: the longest warm prefix read, the rest of
    the cacheable prefixes written (at each point's TTL rate), the remainder as input.

    ``reuse`` is how many more requests are expected to share this prefix within its TTL
    (from how often it was seen lately). A write is an investment those requests read back,
    so its cost is spread over them: the cold cost and the warm cost are averaged with
    weights 1 and ``reuse``. A one-off prefix (reuse 0) pays its write in full."""
    read = warm_read(points, warm)
    write_5m = write_1h = 0
    previous = read
    for p, tokens in cache_writes(points, read):
        if p.ttl == "1h":
            write_1h += tokens
        else:
            write_5m += tokens
        previous = p.tokens
    plain = max(total_input - previous, 0)
    usage = Usage(
        input=plain,
        output=output_tokens,
        cache_read=read,
        cache_write_5m=write_5m,
        cache_write_1h=write_1h,
    )
    cost = price(usage, rates).total
    if reuse > 0 and write_5m + write_1h:
        warm_usage = Usage(input=plain, output=output_tokens, cache_read=previous)
        weight = Decimal(str(round(reuse, 6)))
        cost = (cost + weight * price(warm_usage, rates).total) / (1 + weight)
    return TierOption(tier, cost, read, write_5m + write_1h, plain)


@dataclass(frozen=True)
class CacheChoice:
    """The tier picked, every allowed tier's expected cost, and why."""

    tier: Tier
    preferred: Tier
    options: tuple[TierOption, ...]
    reason: str
    sticky: bool = False
    # The option picked and the preferred tier's own option (a tier may have two options:
    # its own and, in a conversation cached with thinking, that thinking); None: the tier's
    # first option.
    picked: TierOption | None = None
    routed: TierOption | None = None

    def _of(self, tier: Tier, option: TierOption | None) -> TierOption:
        return option or next(o for o in self.options if o.tier is tier)

    @property
    def thinking_budget(self) -> int | None:
        """The thinking budget the chosen option carries (None: as routed)."""
        return self._of(self.tier, self.picked).thinking_budget

    @property
    def saving(self) -> Decimal:
        """Expected cost on the preferred tier minus on the chosen one (>= 0 unless the
        conversation's stickiness kept a dearer option)."""
        return self._of(self.preferred, self.routed).cost - self._of(self.tier, self.picked).cost

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier.value,
            "preferred": self.preferred.value,
            "options": [o.to_dict() for o in self.options],
            "saving_usd": str(self.saving.quantize(Decimal("0.000001"))),
            "sticky": self.sticky,
            "reason": self.reason,
        }


def _fmt(cost: Decimal) -> str:
    return f"${cost:.4f}" if cost < 1 else f"${cost:.2f}"


def choose_tier(
    preferred: Tier,
    allowed: Sequence[Tier],
    request: Mapping[str, Any],
    *,
    prepared: Callable[[Tier], Mapping[str, Any]],
    min_tokens: Callable[[Tier], int],
    warm: Callable[[Tier, Sequence[Prefix]], Iterable[str]],
    rates: Callable[[Tier], Rates],
    output_tokens: int,
    current: Tier | None = None,
    confident: bool = True,
    margin: float = 0.2,
    reuse: float = 0,
    demand: Mapping[Tier, float] | None = None,
    thinking: Mapping[Tier, int] | None = None,
    thinking_use: float = 1.0,
    move_margin: float = 0.0,
    below_preferred: str = "when_cheaper",
    expected: Mapping[Tier, OutputEstimate] | None = None,
    current_thinking: int | None = None,
    prepared_thinking: Callable[[Tier, int], Mapping[str, Any]] | None = None,
    total: int | None = None,
    points_of: Callable[[Mapping[str, Any], int], Sequence[Prefix]] = prefixes,
) -> CacheChoice:
    """Pick among ``allowed`` (which the caller bounds by the quality policy; ``preferred``
    is always an option) the cheapest expected tier.

    ``prepared(tier)`` is the request as it would be sent there (cache points placed for
    that model); ``warm(tier, prefixes)`` the keys of those prefixes warm on that tier's
    model. ``thinking`` gives the extended-thinking budget a tier's option carries; its
    expected use (``thinking_use`` of the budget) is priced as output. ``current`` is the
    tier the conversation is on, if any: the request stays there (when allowed) unless the
    router moved it down with ``confident`` evidence, or the move saves ``margin`` of the
    cost (a conversation below ``preferred``, where the class's ``lowest`` allows it, moves
    up only for the saving: the class's own policy allows where it is).
    A tier below ``preferred`` (allowed by the class's ``lowest``) is picked when it is
    expected cheaper (``below_preferred="when_cheaper"``, the issue's rule: never pay more to
    stay on the preferred tier unless the policy says so), or, with ``"when_warmer"``, only
    when more of the prompt is warm there than on ``preferred`` (the policy keeps the
    preferred tier while nothing warm pays for leaving it). ``reuse`` (see
    :func:`expected_cost`) lets a popular prefix be written on the cheaper tier once instead
    of read on a dearer one forever. Only the
    requests that will be served on a tier read its copy back: ``demand`` is the share of
    traffic routed to each tier, and a tier's write is spread over ``reuse`` times its share
    (all of ``reuse`` without it). The costs rest on forecasts (of readers, output and
    thinking), so the routed tier is left only for a saving of at least ``move_margin`` of
    its expected cost: a near-tie does not flip on forecast noise. ``expected`` gives a
    tier's own expected answer tokens and thinking use (learned per class and tier, see
    :mod:`tierwise.core.output_learning`) in place of ``output_tokens`` and ``thinking_use``;
    the reason then says what output the options compared were priced with.

    ``current_thinking`` is the thinking budget the conversation's last turn was sent with
    on ``current``. Its history is cached under that budget only (thinking settings key
    message cache points), so where this turn's own option on ``current`` carries no budget
    or a smaller one, that tier is also offered with the conversation's budget (sent as
    ``prepared_thinking(tier, budget)`` gives it; without that callback, only where the
    turn's own option has no budget, by adding the budget to ``prepared(tier)``): the same
    tier with more reasoning, which the quality policy allows wherever it allows the tier,
    priced like any option (reading the history warm, its expected thinking as output). It
    competes on cost, and stickiness keeps it unless a move saves ``margin``.

    ``total``: ``count_request(request)`` when the caller has it. ``points_of``: the
    :func:`prefixes` of a request as sent, which a caller that computed some already (for
    its reuse forecast) may give back instead of having them computed again.
    """
    if total is None:
        total = count_request(request)
    budgets = thinking or {}
    options: list[TierOption] = []
    tiers = sorted({preferred, *allowed}, key=lambda t: t.rank)
    specs: list[tuple[Tier, int | None]] = [(t, budgets.get(t) or None) for t in tiers]
    own_budget = budgets.get(current) or 0 if current is not None else 0
    if (
        current in tiers
        and current_thinking
        and current_thinking > own_budget
        and (prepared_thinking is not None or not own_budget)
    ):
        specs.append((current, current_thinking))
        specs.sort(key=lambda spec: (spec[0].rank, spec[1] or 0))
    for tier, budget in specs:
        if budget and budget != budgets.get(tier):  # the conversation's thinking
            sent = (
                prepared_thinking(tier, budget)
                if prepared_thinking is not None
                else apply_thinking(prepared(tier), budget)
            )
        else:
            sent = prepared(tier)
        points = points_of(sent, min_tokens(tier))
        guess = (expected or {}).get(tier)
        answer = output_tokens if guess is None else guess.answer_tokens
        use = thinking_use if guess is None else guess.thinking_use
        thought = round(budget * use) if budget else 0
        readers = reuse if demand is None else reuse * demand.get(tier, 0.0)
        option = expected_cost(
            tier, points, warm(tier, points), total, answer + thought, rates(tier), readers
        )
        options.append(
            replace(
                option,
                thinking_budget=budget,
                output_tokens=answer,
                thinking_tokens=thought,
                expected=guess,
            )
        )
    # Each tier's own option (the budget this turn gives it); the conversation's thinking
    # option, if any, is the other one on its tier.
    by = {
        o.tier: o for o in reversed(options) if o.thinking_budget == (budgets.get(o.tier) or None)
    }
    pref = by[preferred]
    kept = next(
        (o for o in options if o.tier is current and o.thinking_budget == current_thinking),
        None,
    )
    conversation_thinking = kept if kept is not None and kept is not by.get(kept.tier) else None
    # Below the preferred tier only where the policy allows it (``allowed``); with
    # "when_warmer", only for a warm prefix: more of the prompt warm than on the preferred one.
    if below_preferred not in BELOW_PREFERRED:
        raise ValueError(f"below_preferred must be one of {', '.join(BELOW_PREFERRED)}")
    eligible = [
        o
        for o in options
        if o.tier.rank >= preferred.rank or below_preferred == "when_cheaper" or _warmer(o, pref)
    ]
    best = min(eligible, key=lambda o: (o.cost, o is not pref, o.tier.rank, o.thinking_budget or 0))
    cheapest = best
    near = pref.cost - best.cost < Decimal(str(move_margin)) * pref.cost
    if best is not pref and near:
        reason = (
            f"{pref.label}: {best.label} would save {_fmt(pref.cost - best.cost)} "
            f"({_pct(pref.cost - best.cost, pref.cost)}), under the {move_margin:.0%} margin "
            f"for leaving the routed tier"
        )
        best = pref
    elif best is pref:
        reason = f"{pref.label}: cheapest allowed ({_fmt(pref.cost)} expected)"
    elif best.tier is preferred:
        # the routed tier, with the thinking its conversation's history is cached under
        reason = (
            f"{best.label}: {pref.label} allowed, but the conversation's history is cached "
            f"with this thinking budget ({best.warm_tokens:,} tokens warm vs "
            f"{pref.warm_tokens:,}): {_fmt(best.cost)} vs {_fmt(pref.cost)}"
        )
    else:
        warm_note = (
            f"{best.warm_tokens:,}-token prefix warm on {best.tier.value}"
            if best.warm_tokens
            else f"a write on {best.tier.value} that the requests expected after it read"
        )
        if best.tier.rank > preferred.rank:
            reason = (
                f"{best.label}: {pref.label} allowed, but {warm_note}: "
                f"{_fmt(best.cost)} vs {_fmt(pref.cost)}"
            )
        elif not _warmer(best, pref):
            # Nothing more warm below: it is the cheaper way the class's policy allows.
            state = (
                f"{pref.warm_tokens:,} tokens warm on both"
                if pref.warm_tokens
                else "nothing warm on either"
            )
            reason = (
                f"{best.label}: the class's policy allows it in place of {pref.label}, and it "
                f"is expected cheaper ({state}): {_fmt(best.cost)} vs {_fmt(pref.cost)}"
            )
        else:
            reason = (
                f"{best.label}: the class's policy allows it in place of {pref.label}, and "
                f"{warm_note}: {_fmt(best.cost)} vs {_fmt(pref.cost)}"
            )
    if best is conversation_thinking and best.tier is not preferred:
        reason += " (the conversation's history is cached with this thinking budget)"
    if expected is not None:
        reason += _expectations(best, pref, cheapest) + _exploring(best)
    choice = CacheChoice(best.tier, preferred, tuple(options), reason, picked=best, routed=pref)
    if current is None:
        return choice
    stay = kept or by.get(current)
    if stay is None or stay is best or stay not in eligible:
        return choice  # not allowed now (below what quality needs, or above a cap)
    saving = stay.cost - best.cost
    if confident and current.rank > preferred.rank:
        return choice  # the router moved this turn down, with confidence: follow it
    # A conversation below the preferred tier is there because the class's policy allows it
    # (``lowest``): the router's confidence in the class does not move it out of what that
    # class allows, so only the saving can.
    if stay.cost > 0 and saving / stay.cost >= Decimal(str(margin)):
        return choice
    allows = (
        f"; the class's policy allows it in place of {pref.label}"
        if current.rank < preferred.rank
        else ""
    )
    where = stay.label if stay is conversation_thinking else current.value
    reason = (
        f"{stay.label}: the conversation is on {where}{allows}; moving to "
        f"{best.label} would save {_fmt(saving)} ({_pct(saving, stay.cost)}), under the "
        f"{margin:.0%} margin"
    )
    if expected is not None:
        reason += _expectations(stay, best) + _exploring(stay)
    return CacheChoice(
        current, preferred, tuple(options), reason, sticky=True, picked=stay, routed=pref
    )


def _expectations(*compared: TierOption) -> str:
    """What output the compared options were priced with, learned or the prior."""
    seen: list[TierOption] = []
    for option in compared:
        if option not in seen:
            seen.append(option)
    return "; expected output: " + ", ".join(o.expectation() for o in seen)


def _exploring(option: TierOption) -> str:
    """Says so when the option picked was priced with an optimistic thinking use (see
    :mod:`tierwise.core.output_learning`, "Exploration"), and what that does not change."""
    guess = option.expected
    if guess is None or not guess.exploring or not option.thinking_budget:
        return ""
    return (
        f"; exploring {option.label}: its thinking use is priced optimistically until "
        f"{guess.exploring_below:,} thinking answers on {option.tier.value} are seen "
        f"(explore_answers), so that it is measured; its budget hold still reserves the whole "
        f"budget and the maximum output"
    )


def _warmer(option: TierOption, preferred: TierOption) -> bool:
    return option.warm_tokens > preferred.warm_tokens


def _pct(part: Decimal, whole: Decimal) -> str:
    return f"{float(part / whole):.0%}" if whole else "0%"
