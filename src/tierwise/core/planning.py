"""The what-if planner: re-price logged traffic under tierwise's strategies (pure).

Given invocations (a timestamp, the model ID as called, the usage Bedrock logged or an
estimate, and the Converse-shaped request when the log kept it), :class:`Planner` prices each
one five ways and keeps only aggregates, so memory does not grow with the number of records:

* ``as_is``: the model and usage as logged (cache reads and writes included);
* ``all_sonnet``: the same usage on the Sonnet tier;
* ``routed``: the tier the current router picks, every prompt token uncached;
* ``routed_cached``: routed, plus automatic prompt caching: a prefix (tools + system, or the
  conversation before the last turn) seen before on the same tier within its TTL is a cache
  read (and refreshes the TTL), otherwise it is written once it reaches the tier's cache
  minimum; the 5-minute or 1-hour TTL and its write price come from the configuration;
* ``routed_cached_batch``: as above, but requests marked non-interactive run as batch
  (the batch discount, no cache).

Output tokens are taken as the logged ones on every tier. Prices come from
:func:`tierwise.core.pricing.price` with each strategy's model ID, so profile kinds, context
bands and batch discounts apply as they do to live calls. The prefix cache is an LRU of at
most ``max_prefixes`` entries: when it is full the least recently used prefix is forgotten
(which can only understate the caching saving).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from tierwise.core.catalog import foundation_model_id, parse_claude_id
from tierwise.core.pricing import Rates, Usage, price
from tierwise.core.tiers import Tier
from tierwise.core.tokens import canonical_json, segments

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
_TTL_SECONDS = {"5m": 300, "1h": 3600}


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


def _digest(*parts: str) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.digest()


def prefixes(request: Mapping[str, Any]) -> list[tuple[bytes, int]]:
    """Cacheable prefixes of ``request``, shortest first: (digest, estimated tokens).

    Two boundaries, where a cache point pays off across requests: after the tools and the
    system prompt, and before the last message (a conversation's history)."""
    tokens = 0
    head_tokens = 0
    for seg in segments(request):
        if seg.section != "messages":
            head_tokens += seg.tokens
        tokens += seg.tokens
    out: list[tuple[bytes, int]] = []
    tools = (request.get("toolConfig") or {}).get("tools") or ()
    system = request.get("system") or ()
    head = ""
    if tools or system:
        head = canonical_json([tools, system])
        out.append((_digest("head", head), head_tokens))
    messages: list[Any] = list(request.get("messages") or ())
    if len(messages) > 1:
        history = messages[:-1]
        last: dict[str, Any] = {"messages": [messages[-1]]}
        last_tokens = sum(s.tokens for s in segments(last))
        out.append((_digest("history", head, canonical_json(history)), tokens - last_tokens))
    return out


class Planner:
    """Streams invocations (in time order, roughly) into a :class:`PlanResult`."""

    def __init__(self, config: PlannerConfig) -> None:
        self.config = config
        self.result = PlanResult()
        self._ttl = _TTL_SECONDS[config.ttl]
        self._cache: OrderedDict[tuple[Tier, bytes], float] = OrderedDict()

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
        """``plain`` with the longest cached prefix read, or the longest eligible one
        written, on ``tier``'s cache at ``inv.ts``."""
        cfg = self.config
        if inv.request is None or not cfg.supports_caching.get(tier, False):
            return plain
        candidates = prefixes(inv.request)
        if not candidates:
            return plain
        now = inv.ts.timestamp()
        estimate = sum(s.tokens for s in segments(inv.request)) or 1
        scale = plain.input / estimate if plain.input else 1.0
        hit: tuple[bytes, int] | None = None
        for digest, tokens in reversed(candidates):
            seen = self._cache.get((tier, digest))
            if seen is not None and now - seen <= self._ttl:
                hit = (digest, tokens)
                break
        minimum = cfg.cache_min_tokens.get(tier, 1024)
        result = plain
        if hit is not None:
            read = min(plain.input, round(hit[1] * scale))
            self._touch((tier, hit[0]), now)
            self.result.cache_reads += 1
            self.result.cache_read_tokens += read
            result = Usage(input=plain.input - read, output=plain.output, cache_read=read)
            # A longer prefix than the one read is written on top (the history grows).
            longer = [c for c in candidates if c[1] > hit[1]]
            if longer and round(longer[-1][1] * scale) >= minimum:
                write = min(plain.input - read, round((longer[-1][1] - hit[1]) * scale))
                self._touch((tier, longer[-1][0]), now)
                result = self._with_write(result, write)
            return result
        eligible = [c for c in candidates if round(c[1] * scale) >= minimum]
        if not eligible:
            return plain
        digest, tokens = eligible[-1]
        write = min(plain.input, round(tokens * scale))
        self._touch((tier, digest), now)
        return self._with_write(Usage(input=plain.input, output=plain.output), write)

    def _with_write(self, usage: Usage, write: int) -> Usage:
        if write <= 0:
            return usage
        self.result.cache_writes += 1
        self.result.cache_write_tokens += write
        one_hour = self.config.ttl == "1h"
        return Usage(
            input=usage.input - write,
            output=usage.output,
            cache_read=usage.cache_read,
            cache_write_5m=0 if one_hour else write,
            cache_write_1h=write if one_hour else 0,
        )

    def _touch(self, key: tuple[Tier, bytes], now: float) -> None:
        cache = self._cache
        if key in cache:
            cache.move_to_end(key)
        cache[key] = now
        while len(cache) > self.config.max_prefixes:
            cache.popitem(last=False)
