"""The what-if planner: re-price logged traffic under tierwise's strategies (pure).

Given invocations (a timestamp, the model ID as called, the usage Bedrock logged or an
estimate, and the Converse-shaped request when the log kept it), :class:`Planner` prices each
one five ways and keeps only aggregates, so memory does not grow with the number of records:

* ``as_is``: the model and usage as logged (cache reads and writes included);
* ``all_sonnet``: the same usage on the Sonnet tier;
* ``routed``: the tier the current router picks, every prompt token uncached;
* ``routed_cached``: routed, plus automatic prompt caching: the request's cache points are
  placed as the gateway places them for the routed tier
  (:func:`~tierwise.core.caching.place_cache_points`), and what it reads and writes on that
  tier's cache follows the one model the emulator bills with and the router prices with
  (:mod:`tierwise.core.caching`: the points that cache, each the tier's minimum past the
  previous one; a read through each point's 20-block lookback window finds the longest entry
  an earlier request wrote within its TTL, and refreshes it; the points past it are written);
  the 5-minute or 1-hour TTL and its write price come from the configuration;
* ``routed_cached_batch``: as above, but requests marked non-interactive run as batch
  (the batch discount, no cache).

Output tokens are taken as the logged ones on every tier. Prices come from
:func:`tierwise.core.pricing.price` with each strategy's model ID, so profile kinds, context
bands and batch discounts apply as they do to live calls. The prefix cache is an LRU of at
most ``max_prefixes`` entries: when it is full the least recently used prefix is forgotten
(which can only understate the caching saving).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from tierwise.core.caching import (
    CachePolicy,
    PointPrefix,
    cache_writes,
    cacheable_points,
    place_cache_points,
    point_prefixes,
    read_hits,
)
from tierwise.core.catalog import foundation_model_id, parse_claude_id
from tierwise.core.pricing import Rates, Usage, price
from tierwise.core.tiers import Tier
from tierwise.core.tokens import segments
from tierwise.errors import TooManyCachePointsError

__all__ = [
    "AUTO",
    "STRATEGIES",
    "ClassRow",
    "Invocation",
    "ModelRef",
    "PlanResult",
    "Planner",
    "PlannerConfig",
    "RouteChoice",
    "normalise_model",
    "routable",
]

AUTO: Literal["auto"] = "auto"
"""The model name of a request tierwise routed (the gateway's ``model: "auto"``)."""
STRATEGIES = ("as_is", "all_sonnet", "routed", "routed_cached", "routed_cached_batch")
_ZERO = Decimal(0)
_TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


@dataclass(frozen=True, slots=True)
class RouteChoice:
    tier: Tier
    task_class: str


@dataclass(frozen=True, slots=True)
class Invocation:
    """One logged model call, normalised by a reader."""

    ts: datetime
    model_id: str
    usage: Usage
    request: Mapping[str, Any] | None = None
    usage_estimated: bool = False
    batchable: bool = False
    route: RouteChoice | None = None
    """A decision already made (a tierwise ledger row's route), used when there is no body."""
    attempt_only: bool = False
    """A billed attempt whose answer was rejected (a tierwise ledger row, then escalated):
    it counts in the as-is cost only; the request is the row that answered it."""
    ran_batch: bool = False
    """The call itself ran as batch inference (a tierwise ledger row): as is, it is priced at
    the batch discount, as it was billed."""
    redacted: bool = False
    """The body's text was redacted or cut before it was stored (a tierwise capture): the
    route recorded with it, made on the full text, is used instead of routing it again."""
    fixed_cost: Decimal = Decimal(0)
    """Billed whatever model answers (a guardrail's assessments, from a tierwise ledger
    row): added to every strategy (as is only, for a rejected attempt)."""


def routable(inv: Invocation) -> Mapping[str, Any] | None:
    """The body the current router should see: none when there is no body, or when its
    text was redacted and the decision made on the original text is known."""
    if inv.redacted and inv.route is not None:
        return None
    return inv.request


@dataclass(frozen=True, slots=True)
class ModelRef:
    """What a logged model ID is: its foundation model, tier and how it was called."""

    model_id: str
    base_id: str
    tier: Tier | None
    kind: str  # bare, geographic, global, arn, application


def normalise_model(
    model_id: str,
    *,
    tier_of: Callable[[str], Tier | None] | None = None,
    applications: Mapping[str, str] | None = None,
) -> ModelRef:
    """Resolve a logged ``modelId``: a bare ID, a ``us.``/``global.`` profile, a model or
    profile ARN, or an application inference profile ARN (through ``applications``, its
    foundation model, as GetInferenceProfile reports it). The tier is the configured one
    (``tier_of``) or else the Claude family in the ID."""
    raw = model_id.strip()
    kind = "bare"
    ident = raw
    if raw.startswith("arn:"):
        if ":application-inference-profile/" in raw:
            kind = "application"
            ident = (applications or {}).get(raw, "")
        else:
            kind = "arn"
            ident = raw.rsplit("/", 1)[-1]
    base = foundation_model_id(ident) if ident else ""
    if kind == "bare" and base != raw:
        kind = "global" if raw.startswith("global.") else "geographic"
    tier = tier_of(raw) if tier_of is not None else None
    if tier is None and ident:
        tier = tier_of(ident) if tier_of is not None else None
    if tier is None and base:
        parsed = parse_claude_id(base)
        tier = parsed.tier if parsed is not None else None
    return ModelRef(raw, base, tier, kind)


@dataclass(frozen=True)
class PlannerConfig:
    """Everything the planner needs from the settings (built by the CLI)."""

    rates: Mapping[Tier, Rates]
    tier_models: Mapping[Tier, str]
    """The configured model ID per tier: what routed traffic would call."""
    cache_min_tokens: Mapping[Tier, int]
    supports_caching: Mapping[Tier, bool]
    route: Callable[[Mapping[str, Any]], RouteChoice]
    tier_of: Callable[[str], Tier | None]
    default_tier: Tier = Tier.SONNET
    ttl: str = "5m"
    placement: CachePolicy = field(default_factory=CachePolicy)
    """How cache points are placed (``min_document_tokens``, ``first_turn``); the mode is
    ``auto`` and the minimum, TTL and caching support are the tier's and ``ttl``."""
    max_prefixes: int = 200_000
    applications: Mapping[str, str] = field(default_factory=dict)
    batch_classes: frozenset[str] = frozenset()
    """Task classes treated as non-interactive (run as batch in the last strategy)."""
    tier_name: Callable[[str], Tier | Literal["auto"] | None] | None = None
    """What a logged model *name* stands for, as the gateway resolves it: a tier (a tier
    name or an alias of one: priced at that tier's configured model), :data:`AUTO` (tierwise
    routed it: priced as is at the tier the router picks), or None (a model ID, see
    ``tier_of``)."""


@dataclass
class ClassRow:
    """Per task class: how many requests, what they cost each way, and where they went."""

    name: str
    requests: int = 0
    costs: list[Decimal] = field(default_factory=lambda: [_ZERO] * len(STRATEGIES))
    tiers: dict[str, int] = field(default_factory=dict)


@dataclass
class PlanResult:
    """Aggregates of a plan: totals and per-day costs per strategy, tier mixes, classes."""

    requests: int = 0
    estimated_usage: int = 0
    unpriced: int = 0
    """Requests whose model is in no tier, or that name no model: excluded from every
    strategy (each strategy prices the same requests), counted here."""
    no_model: int = 0
    """Of ``unpriced``, the requests that name no model at all."""
    no_body: int = 0
    batchable: int = 0
    redacted: int = 0
    """Requests whose stored text was redacted or cut (captures)."""
    recorded_routes: int = 0
    """Requests routed by the decision recorded with them (ledger rows, redacted captures)."""
    rejected_attempts: int = 0
    """Billed attempts whose answer was rejected and escalated: in the as-is cost only."""
    auto_as_is: int = 0
    """Requests that named model "auto" (tierwise routed them): as is, priced at the tier
    the router picks."""
    totals: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(STRATEGIES, _ZERO))
    daily: dict[date, list[Decimal]] = field(default_factory=dict)
    tier_mix_as_is: dict[str, int] = field(default_factory=dict)
    tier_mix_routed: dict[str, int] = field(default_factory=dict)
    classes: dict[str, ClassRow] = field(default_factory=dict)
    cache_reads: int = 0
    cache_writes: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def savings(self, strategy: str) -> Decimal:
        return self.totals["as_is"] - self.totals[strategy]

    def waterfall(self) -> list[tuple[str, Decimal]]:
        """As-is, then what routing, caching and batch each change, then the final cost."""
        t = self.totals
        return [
            ("as is", t["as_is"]),
            ("routing", t["routed"] - t["as_is"]),
            ("caching", t["routed_cached"] - t["routed"]),
            ("batch", t["routed_cached_batch"] - t["routed_cached"]),
            ("with tierwise", t["routed_cached_batch"]),
        ]

    def daily_series(self, strategy: str) -> dict[date, Decimal]:
        i = STRATEGIES.index(strategy)
        return {d: costs[i] for d, costs in sorted(self.daily.items())}

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "estimated_usage": self.estimated_usage,
            "unpriced": self.unpriced,
            "no_model": self.no_model,
            "without_body": self.no_body,
            "batchable": self.batchable,
            "redacted": self.redacted,
            "recorded_routes": self.recorded_routes,
            "rejected_attempts": self.rejected_attempts,
            "auto_as_is": self.auto_as_is,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "totals_usd": {k: str(v) for k, v in self.totals.items()},
            "savings_usd": {k: str(self.savings(k)) for k in STRATEGIES[1:]},
            "tier_mix_as_is": dict(self.tier_mix_as_is),
            "tier_mix_routed": dict(self.tier_mix_routed),
            "cache": {
                "reads": self.cache_reads,
                "writes": self.cache_writes,
                "read_tokens": self.cache_read_tokens,
                "write_tokens": self.cache_write_tokens,
            },
            "classes": [
                {
                    "class": c.name,
                    "requests": c.requests,
                    "costs_usd": {s: str(v) for s, v in zip(STRATEGIES, c.costs, strict=True)},
                    "tiers": dict(c.tiers),
                }
                for c in sorted(self.classes.values(), key=lambda c: -c.requests)
            ],
        }


class Planner:
    """Streams invocations (in time order, roughly) into a :class:`PlanResult`."""

    def __init__(self, config: PlannerConfig) -> None:
        self.config = config
        self.result = PlanResult()
        # (tier, prefix digest) -> (expiry, TTL in seconds), least recently used first
        self._cache: OrderedDict[tuple[Tier, str], tuple[float, float]] = OrderedDict()

    def add_all(self, invocations: Iterable[Invocation]) -> PlanResult:
        for inv in invocations:
            self.add(inv)
        return self.result

    def add(self, inv: Invocation, choice: RouteChoice | None = None) -> None:
        """Price one invocation; ``choice`` is its route when it was routed elsewhere
        (``config.route`` routes its request otherwise)."""
        cfg = self.config
        r = self.result
        if inv.attempt_only:
            self._add_attempt(inv)
            return
        r.requests += 1
        r.estimated_usage += inv.usage_estimated
        r.first = inv.ts if r.first is None or inv.ts < r.first else r.first
        r.last = inv.ts if r.last is None or inv.ts > r.last else r.last
        named = cfg.tier_name(inv.model_id) if cfg.tier_name is not None else None
        as_is_tier: Tier | None
        if named is None:
            ref = normalise_model(inv.model_id, tier_of=cfg.tier_of, applications=cfg.applications)
            as_is_tier, as_is_model = ref.tier, ref.model_id
        elif isinstance(named, Tier):
            as_is_tier, as_is_model = named, cfg.tier_models[named]
        else:
            as_is_tier, as_is_model = None, ""
        if as_is_tier is None and named != AUTO:
            # Not priced as is, so not priced any other way either: a $0 baseline against
            # full-price strategies showed routing as a loss (a "-194.8% saved").
            r.unpriced += 1
            r.no_model += not inv.model_id.strip()
            return
        r.redacted += inv.redacted
        body = routable(inv)
        if choice is None and body is not None:
            choice = cfg.route(body)
        if choice is None and inv.route is not None:
            choice = inv.route
            r.recorded_routes += 1
        if choice is None:
            r.no_body += 1
            choice = RouteChoice(as_is_tier or cfg.default_tier, "unknown (no request body)")
        if named == AUTO or as_is_tier is None:
            r.auto_as_is += 1
            as_is_tier, as_is_model = choice.tier, cfg.tier_models[choice.tier]
        usage = inv.usage
        plain = Usage(input=usage.prompt_total, output=usage.output)
        costs = [_ZERO] * len(STRATEGIES)
        costs[0] = price(
            usage, cfg.rates[as_is_tier], model_id=as_is_model, batch=inv.ran_batch
        ).total
        sonnet = Tier.SONNET
        costs[1] = price(usage, cfg.rates[sonnet], model_id=cfg.tier_models[sonnet]).total
        tier = choice.tier
        rates = cfg.rates[tier]
        model = cfg.tier_models[tier]
        costs[2] = price(plain, rates, model_id=model).total
        cached = self._cached_usage(inv, tier, plain)
        costs[3] = price(cached, rates, model_id=model).total
        # Batch jobs carry no guardrail, so `tierwise batch` runs a guarded request on
        # demand: it is not batchable (its guardrail charge is the only fixed cost read).
        guarded = inv.fixed_cost > 0 or "guardrailConfig" in (inv.request or {})
        if not guarded and (inv.batchable or choice.task_class in cfg.batch_classes):
            r.batchable += 1
            costs[4] = price(plain, rates, model_id=model, batch=True).total
        else:
            costs[4] = costs[3]
        costs = [cost + inv.fixed_cost for cost in costs]
        for name, cost in zip(STRATEGIES, costs, strict=True):
            r.totals[name] += cost
        day = inv.ts.date()
        daily = r.daily.setdefault(day, [_ZERO] * len(STRATEGIES))
        for i, cost in enumerate(costs):
            daily[i] += cost
        as_is_name = as_is_tier.value
        r.tier_mix_as_is[as_is_name] = r.tier_mix_as_is.get(as_is_name, 0) + 1
        r.tier_mix_routed[tier.value] = r.tier_mix_routed.get(tier.value, 0) + 1
        row = r.classes.get(choice.task_class)
        if row is None:
            row = r.classes[choice.task_class] = ClassRow(choice.task_class)
        row.requests += 1
        row.tiers[tier.value] = row.tiers.get(tier.value, 0) + 1
        for i, cost in enumerate(costs):
            row.costs[i] += cost

    def _add_attempt(self, inv: Invocation) -> None:
        """A rejected attempt: its price as billed, in the as-is cost of its day and class;
        the other strategies count the request once, by the row that answered it."""
        cfg = self.config
        r = self.result
        r.rejected_attempts += 1
        r.first = inv.ts if r.first is None or inv.ts < r.first else r.first
        r.last = inv.ts if r.last is None or inv.ts > r.last else r.last
        ref = normalise_model(inv.model_id, tier_of=cfg.tier_of, applications=cfg.applications)
        if ref.tier is None:
            return
        cost = (
            price(inv.usage, cfg.rates[ref.tier], model_id=ref.model_id, batch=inv.ran_batch).total
            + inv.fixed_cost
        )
        r.totals["as_is"] += cost
        r.daily.setdefault(inv.ts.date(), [_ZERO] * len(STRATEGIES))[0] += cost
        name = inv.route.task_class if inv.route is not None else "unknown (no request body)"
        row = r.classes.get(name)
        if row is None:
            row = r.classes[name] = ClassRow(name)
        row.costs[0] += cost

    def _cached_usage(self, inv: Invocation, tier: Tier, plain: Usage) -> Usage:
        """``plain`` with what ``inv``'s request, its cache points placed for ``tier``, reads
        and writes on ``tier``'s cache at ``inv.ts`` (the shared model of
        :mod:`tierwise.core.caching`). Token counts are the estimator's, scaled to the logged
        prompt total."""
        cfg = self.config
        if inv.request is None or not cfg.supports_caching.get(tier, False):
            return plain
        minimum = cfg.cache_min_tokens.get(tier, 1024)
        ttl: Literal["5m", "1h"] = "1h" if cfg.ttl == "1h" else "5m"
        policy = replace(
            cfg.placement, mode="auto", min_tokens=minimum, supports_caching=True, ttl=ttl
        )
        estimate = sum(s.tokens for s in segments(inv.request)) or 1
        scale = plain.input / estimate if plain.input else 1.0
        counter = (lambda _: plain.input) if plain.input else None
        try:
            placed = place_cache_points(inv.request, policy, token_counter=counter).request
        except TooManyCachePointsError:  # more than Bedrock allows: the call failed upstream
            return plain
        points = [_scaled(p, scale) for p in point_prefixes(placed, seed=tier.value)]
        eligible = cacheable_points(points, minimum)
        if not eligible:
            return plain
        now = inv.ts.timestamp()
        cache = self._cache

        def warm(key: str) -> bool:
            entry = cache.get((tier, key))
            return entry is not None and entry[0] > now

        read = 0
        for point, tokens, key in read_hits(eligible, warm):
            self._touch((tier, key), now, _TTL_SECONDS.get(point.ttl, 300.0))
            read = max(read, tokens)
        read = min(read, plain.input)
        write_5m = write_1h = 0
        for point, tokens in cache_writes(eligible, read):
            self._touch((tier, point.key), now, _TTL_SECONDS.get(point.ttl, 300.0))
            if point.ttl == "1h":
                write_1h += tokens
            else:
                write_5m += tokens
        write_1h = min(write_1h, plain.input - read)
        write_5m = min(write_5m, plain.input - read - write_1h)
        r = self.result
        if read:
            r.cache_reads += 1
            r.cache_read_tokens += read
        if write_5m + write_1h:
            r.cache_writes += 1
            r.cache_write_tokens += write_5m + write_1h
        return Usage(
            input=plain.input - read - write_5m - write_1h,
            output=plain.output,
            cache_read=read,
            cache_write_5m=write_5m,
            cache_write_1h=write_1h,
        )

    def _touch(self, key: tuple[Tier, str], now: float, ttl_s: float) -> None:
        """Write or refresh an entry: its TTL starts over (a 1-hour entry read by a 5-minute
        point keeps its hour, as in the emulator)."""
        cache = self._cache
        old = cache.pop(key, None)
        if old is not None and old[0] > now:
            ttl_s = max(ttl_s, old[1])
        cache[key] = (now + ttl_s, ttl_s)
        while len(cache) > self.config.max_prefixes:
            cache.popitem(last=False)


def _scaled(point: PointPrefix, scale: float) -> PointPrefix:
    """``point`` with its token counts (and its window's) scaled to the logged prompt."""
    if scale == 1.0:
        return point
    window = tuple((round(t * scale), k) for t, k in point.window)
    return PointPrefix(round(point.tokens * scale), point.ttl, point.key, window)
