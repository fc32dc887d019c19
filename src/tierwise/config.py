"""Settings: tiers, model IDs, prices, retries, ledger; loaded in layers with provenance.

Layers, lowest first: the built-in ``defaults.toml``, the config file (``--config PATH``,
else ``$TIERWISE_CONFIG``, else ``./tierwise.toml`` when present), ``TIERWISE_*``
environment variables (``__`` separates nesting: ``TIERWISE_TIERS__HAIKU__MODEL_ID``), and
explicit overrides (CLI flags). Every leaf remembers which layer set it, for
``tierwise config show``.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from tierwise.cache_state import KEY_PREFIX
from tierwise.core.caching import CachePolicy
from tierwise.core.catalog import foundation_model_id
from tierwise.core.credits import CreditPool
from tierwise.core.names import ModelNames
from tierwise.core.preflight import check_fits
from tierwise.core.pricing import Band, ProfileKind, Rates, ServiceTier
from tierwise.core.regions import is_model_identifier
from tierwise.core.rules import RoutingPolicy
from tierwise.core.taxonomy import ClassRule
from tierwise.core.tiers import Tier
from tierwise.errors import ConfigError, InvalidRequestError

__all__ = [
    "NON_SETTING_ENV",
    "BandPrices",
    "BatchSettings",
    "CacheStateSettings",
    "CachingSettings",
    "CaptureSettings",
    "ClassSettings",
    "CreditPoolSettings",
    "EscalationSettings",
    "GatewaySettings",
    "GuardrailRef",
    "GuardrailSettings",
    "LedgerSettings",
    "LoadedSettings",
    "ModelSettings",
    "Prices",
    "RetrySettings",
    "RoutingSettings",
    "Settings",
    "TierSettings",
    "as_environment",
    "load_settings",
    "update_config_file",
]

ENV_PREFIX = "TIERWISE_"
CONFIG_ENV = "TIERWISE_CONFIG"
# TIERWISE_* variables that are not settings (where the config lives, test and CI switches).
NON_SETTING_ENV = frozenset(
    {
        CONFIG_ENV,
        "TIERWISE_CI",
        "TIERWISE_DEBUG",
        "TIERWISE_EVAL_DATA",
        "TIERWISE_TEST_PG",
        "TIERWISE_TEST_ARTIFACTS",
    }
)
DEFAULT_CONFIG_NAME = "tierwise.toml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BandPrices(_Model):
    """``[[tiers.X.prices.bands]]``: rates for a request whose whole prompt (input, cache
    reads and cache writes) is above ``above_prompt_tokens``; every token of it is priced
    at these rates (Anthropic's long-context pricing)."""

    above_prompt_tokens: int = Field(gt=0)
    input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)
    cache_write_5m: Decimal = Field(ge=0)
    cache_write_1h: Decimal = Field(ge=0)
    cache_read: Decimal = Field(ge=0)

    def band(self) -> Band:
        return Band(
            above_prompt_tokens=self.above_prompt_tokens,
            input=self.input,
            output=self.output,
            cache_write_5m=self.cache_write_5m,
            cache_write_1h=self.cache_write_1h,
            cache_read=self.cache_read,
        )


class Prices(_Model):
    """A price sheet entry for one model: US dollars per 1M tokens at the global profile
    on the default service tier, plus long-context bands and multipliers by profile kind
    (``profiles``) and service tier (``service_tiers``); an unlisted kind or tier is 1x."""

    input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)
    cache_write_5m: Decimal = Field(ge=0)
    cache_write_1h: Decimal = Field(ge=0)
    cache_read: Decimal = Field(ge=0)
    batch_discount: Decimal = Field(default=Decimal("0.5"), gt=0, le=1)
    bands: tuple[BandPrices, ...] = ()
    profiles: dict[ProfileKind, Decimal] = {}
    service_tiers: dict[ServiceTier, Decimal] = {}

    @field_validator("bands")
    @classmethod
    def _distinct_bands(cls, value: tuple[BandPrices, ...]) -> tuple[BandPrices, ...]:
        thresholds = [b.above_prompt_tokens for b in value]
        if len(set(thresholds)) != len(thresholds):
            raise ValueError("two bands share one above_prompt_tokens threshold")
        return tuple(sorted(value, key=lambda b: b.above_prompt_tokens))

    @field_validator("profiles", "service_tiers")
    @classmethod
    def _positive_factors(cls, value: dict[Any, Decimal]) -> dict[Any, Decimal]:
        for key, factor in value.items():
            if not factor > 0:
                raise ValueError(f"multiplier for {key.value!r} must be above 0, got {factor}")
        return value

    def rates(self) -> Rates:
        return Rates(
            input=self.input,
            output=self.output,
            cache_write_5m=self.cache_write_5m,
            cache_write_1h=self.cache_write_1h,
            cache_read=self.cache_read,
            batch_discount=self.batch_discount,
            bands=tuple(b.band() for b in self.bands),
            profiles=dict(self.profiles),
            service_tiers=dict(self.service_tiers),
        )


class ModelSettings(_Model):
    """``[models."<foundation model ID>"]``: what one Claude model can do and costs, so a
    tier switched to it (``tierwise models --write``) takes its prices and limits too."""

    name: str = ""
    context_window: int = Field(default=200_000, gt=0)
    max_output_tokens: int = Field(default=64_000, gt=0)
    # Takes the context-1m-2025-08-07 beta, whose window is long_context_window (when set;
    # else context_window): a prompt over the window is refused before any call.
    long_context_beta: bool = False
    long_context_window: int | None = Field(default=None, gt=0)
    # Thinking modes: "enabled" (a budget_tokens) and/or "adaptive".
    thinking: tuple[Literal["enabled", "adaptive"], ...] = ("enabled",)
    cache_min_tokens: int = Field(default=1024, ge=0)
    prices: Prices


class TierSettings(_Model):
    model_id: str = Field(min_length=1, pattern=r"^[a-zA-Z0-9_.\-/:]+$")
    alternates: tuple[str, ...] = ()
    prices: Prices
    cache_min_tokens: int = Field(default=1024, ge=0)
    supports_caching: bool = True
    supports_thinking: bool = True
    # Bedrock's native structured output (outputConfig.textFormat); see [structured_output].
    supports_structured_output: bool = False

    @field_validator("model_id", "alternates")
    @classmethod
    def _bedrock_ids(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        # Each call of the tier goes to these: one Bedrock cannot take ("haiku-4.5") would
        # fail every request routed there, after a round trip and an error row each.
        for model_id in (value,) if isinstance(value, str) else value:
            if not is_model_identifier(model_id):
                raise ValueError(
                    f"{model_id!r} is not a Bedrock model ID: use a model or inference profile "
                    "ID (provider.model, e.g. global.anthropic.claude-haiku-4-5-20251001-v1:0) "
                    "or an ARN; `tierwise models` lists them"
                )
        return value


class RetrySettings(_Model):
    max_attempts: int = Field(default=4, ge=1, le=20)
    base_delay_s: float = Field(default=0.2, ge=0)
    max_delay_s: float = Field(default=5.0, ge=0)
    total_timeout_s: float = Field(default=60.0, gt=0)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    read_timeout_s: float = Field(default=300.0, gt=0)
    stream_idle_timeout_s: float = Field(default=60.0, gt=0)
    # "botocore": botocore's own urllib3 client (the default: a well-worn path to real
    # Bedrock). "lean": Converse/ConverseStream/CountTokens bytes go through tierwise's lean
    # HTTP/1.1 client (botocore still signs, parses and raises), ~0.6 ms less CPU per call.
    http_client: Literal["botocore", "lean"] = "botocore"
    # tierwise replaces parts of botocore's per-call pipeline (signing, parsing, validation,
    # serialisation, event dispatch, request templates) with checked equivalents that fall
    # back to botocore's own where they cannot show they match. They lean on botocore's
    # internals; false runs botocore's pipeline untouched (slower), the way out if a new
    # botocore release and these paths ever disagree.
    botocore_fast_paths: bool = True


class EscalationSettings(_Model):
    """``[escalation]``: the quality cascade and the error-fallback policy."""

    enabled: bool = False
    max_tier: Tier = Tier.OPUS
    max_attempts: int = Field(default=3, ge=1, le=6)
    cheap_first: bool = False
    self_verify_threshold: float = Field(default=0.7, ge=0, le=1)
    on_error: Literal["never", "allow-upgrade", "allow-any"] = "allow-upgrade"
    cooldown_s: float = Field(default=30.0, ge=0)


class CachingSettings(_Model):
    """``[caching]``: automatic prompt-cache placement."""

    mode: Literal["auto", "off", "manual"] = "auto"
    ttl: Literal["5m", "1h"] = "5m"
    min_document_tokens: int = Field(default=1024, ge=0)
    first_turn: bool = True


class StructuredOutputSettings(_Model):
    """``[structured_output]``: how a JSON schema reaches the model (tierwise.core.structured).

    ``tool``: a forced tool carrying the schema (every Claude model, any schema). ``native``:
    Bedrock's ``outputConfig`` on tiers with ``supports_structured_output``, else the tool.
    ``auto``: native only where the tier supports it and the schema is in Bedrock's subset.
    """

    mode: Literal["tool", "native", "auto"] = "tool"


def _is_alias_target(target: str) -> bool:
    # What a request may name itself: a target of another shape ("haiku-4-5") would make
    # every request for the alias a refusal naming the target, not the alias sent.
    name = target.strip()
    if name.lower() in (*(t.value for t in Tier), "auto"):
        return True
    return is_model_identifier(name)


def _check_alias_targets(table: dict[str, str]) -> dict[str, str]:
    for name, target in table.items():
        if not name.strip() or not _is_alias_target(target):
            raise ValueError(
                f"{name!r} = {target!r}: a target is a tier name (haiku, sonnet, opus), auto "
                "or a Bedrock model ID"
            )
    return table


class ModelNameSettings(_Model):
    """``[model_names]``: other APIs' model names a request may use (tierwise.core.names)."""

    anthropic: bool = True  # Anthropic API names -> their family's tier
    openai: bool = False  # opt in: OpenAI model names -> the tiers in openai_names
    anthropic_names: dict[str, str] = {}
    openai_names: dict[str, str] = {}

    _targets = field_validator("anthropic_names", "openai_names")(_check_alias_targets)


class GatewaySettings(_Model):
    """``[gateway]``: the HTTP gateway (``tierwise serve``)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    auth: bool = True
    max_body_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    max_images: int = Field(default=20, ge=0)
    allow_remote_images: bool = False
    threads: int = Field(default=64, ge=1, le=1024)
    freeze_gc: bool = True
    # gc.set_threshold while serving: (young allocations, young collections per middle one,
    # middle collections per full one). See defaults.toml.
    gc_thresholds: tuple[
        Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]
    ] = (700, 3, 3000)
    metrics_token: SecretStr = SecretStr("")  # shown masked by `tierwise config show`
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = "text"
    access_log: bool = True
    # Origins a browser may call from ("*": any); empty: no CORS headers.
    cors_origins: tuple[str, ...] = ()

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if origin != "*" and not re.fullmatch(r"https?://[^/\s]+", origin):
                raise ValueError(
                    f"{origin!r} is not an origin: use scheme://host[:port] with no path "
                    '(e.g. "https://app.example.com"), or "*"'
                )
        return value


class CreditPoolSettings(_Model):
    """One ``[[credits]]`` entry: an AWS credit pool."""

    name: str = Field(min_length=1)
    amount: Decimal = Field(gt=0)
    start: date
    expires: date
    covers: str = ""

    @model_validator(mode="after")
    def _expires_after_start(self) -> CreditPoolSettings:
        if self.expires < self.start:
            raise ValueError(
                f"pool {self.name!r} expires ({self.expires}) before it starts ({self.start})"
            )
        return self

    def pool(self) -> CreditPool:
        return CreditPool(self.name, self.amount, self.start, self.expires, self.covers)


class BatchSettings(_Model):
    """``[batch]``: Bedrock batch inference (S3 locations, IAM role, job options)."""

    bucket: str = "tierwise-batch"
    prefix: str = "tierwise"
    role_arn: str = "arn:aws:iam::123456789012:role/tierwise-batch"
    timeout_hours: int = Field(default=24, ge=24, le=168)
    min_records: int = Field(default=100, ge=1)
    small_groups: Literal["on-demand", "wait"] = "on-demand"
    tags: dict[str, str] = {}
    s3_endpoint_url: str = ""


class BudgetSettings(_Model):
    """``[budgets]``: how key budgets reserve each attempt's worst case."""

    default_max_tokens: int = Field(default=4096, ge=1)
    reservation_ttl_s: float = Field(default=3600.0, gt=0)
    usage_grace_s: float = Field(default=2.0, ge=0, le=60)


class EmulatorSettings(_Model):
    """``[emulator]``: the built-in emulator's timing (``tierwise emulator``)."""

    # Time to first token and tokens per second, per tier: "ttft_ms=400,tps=80" or
    # "haiku:ttft_ms=250,tps=150;ttft_ms=400,tps=80"; ",jitter=0.2" varies each answer's time
    # by that coefficient of variation (tierwise.emulator.pacing).
    pacing: str = ""


class EvaluationSettings(_Model):
    """``[evaluation]``: how ``tierwise evaluate`` sends its replays and judge calls."""

    # Replays go through Bedrock batch (at the batch price) when at least this many requests
    # are evaluated, so each tier's job reaches it; fewer run on demand. 0 = never batch.
    batch_min_records: int = Field(default=100, ge=0)
    poll_max_s: float = Field(default=60.0, gt=0)  # longest wait between job status polls


class CaptureSettings(_Model):
    """``[capture]``: opt-in storage of sampled requests and answers for ``tierwise evaluate``.

    Off unless ``sample_rate`` > 0 (or a key's policy sets ``capture_rate``). Redaction of
    personal data and secrets is on by default; ``redact_patterns`` adds ``NAME=regex`` rules.
    """

    sample_rate: float = Field(default=0.0, ge=0, le=1)
    retention_days: int = Field(default=30, ge=1)
    max_bytes: int = Field(default=64 * 1024, ge=1024)
    redact: bool = True
    redact_patterns: tuple[str, ...] = ()

    @field_validator("redact_patterns")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from tierwise.core.redact import Redactor

        try:
            Redactor.from_patterns(value)
        except ConfigError as exc:
            raise ValueError(exc.message) from None
        return value


class CacheStateSettings(_Model):
    """``[cache_state]``: cache-aware routing and where warm-prefix state lives."""

    enabled: bool = True
    url: str = ""  # "" = in-process; "redis://host:6379/0" shares it across replicas
    # Every Redis key starts with this: deployments that must not share warm state (staging
    # and production, two teams) can share one Redis by giving each its own prefix.
    key_prefix: str = KEY_PREFIX
    margin: float = Field(default=0.2, ge=0, le=1)
    confidence: float = Field(default=0.6, ge=0, le=1)
    output_tokens: int = Field(default=400, ge=1)
    short_output_tokens: int = Field(default=100, ge=1)
    max_reuse: int = Field(default=20, ge=0)
    thinking_use: float = Field(default=1.0, ge=0, le=1)
    # How many answers the configured output_tokens / short_output_tokens / thinking_use
    # weigh as, against the answers seen per (class, tier); and how many answers the
    # learned means follow (older ones are scaled down past it).
    output_prior_weight: float = Field(default=3.0, ge=0)
    # False: the configured values only, nothing learned (static pricing).
    output_learning: bool = True
    output_window: int = Field(default=200, ge=1)
    # While a tier's thinking use rests on fewer than this many thinking answers, price it
    # optimistically (what was seen, none before any) so a thinking option the policy allows
    # gets tried and measured; 0 = never (the prior prices it until answers are seen).
    explore_answers: int = Field(default=10, ge=0)
    # A conversation whose last turn was sent with a thinking budget may keep it on its tier
    # (its history is cached under it): offered as an option beside the plain one.
    sticky_thinking: bool = True
    move_margin: float = Field(default=0.1, ge=0, le=1)
    # When a tier below the routed one (a class line's ``lowest``) may serve a request:
    # "when_cheaper" (whenever expected cheaper) or "when_warmer" (only where more of the
    # prompt is warm there).
    below_preferred: Literal["when_cheaper", "when_warmer"] = "when_cheaper"

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError('must be "" (in-process) or a redis:// URL')
        return value

    @field_validator("key_prefix")
    @classmethod
    def _key_prefix(cls, value: str) -> str:
        if not value or len(value) > 200 or any(c.isspace() for c in value):
            raise ValueError("must be 1-200 characters without spaces, e.g. tierwise:staging")
        return value

    @model_validator(mode="after")
    def _exploration_ends(self) -> CacheStateSettings:
        # The learned counts stop at output_window: a threshold above it is never reached,
        # so thinking would be priced optimistically forever.
        if self.explore_answers > self.output_window:
            raise ValueError(
                f"explore_answers ({self.explore_answers}) must not exceed output_window "
                f"({self.output_window}): the counts stop there, so exploring would never end"
            )
        return self


_GUARDRAIL_ID = (
    r"^(|[a-z0-9]+|arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+)$"
)


class GuardrailRef(_Model):
    """A Bedrock guardrail to apply: its ID (or ARN), version and trace setting."""

    id: str = Field(pattern=_GUARDRAIL_ID)
    version: str = Field(default="DRAFT", pattern=r"^([1-9][0-9]{0,7}|DRAFT)$")
    trace: Literal["enabled", "disabled", "enabled_full"] = "disabled"

    def config(self) -> dict[str, str]:
        """The Converse ``guardrailConfig`` for this guardrail."""
        return {"guardrailIdentifier": self.id, "guardrailVersion": self.version,
                "trace": self.trace}  # fmt: skip


GuardrailPolicy = Literal[
    "content", "topic", "sensitive_information", "sensitive_information_free", "word",
    "contextual_grounding", "automated_reasoning",
]  # fmt: skip


class GuardrailPrices(_Model):
    """``[guardrails.prices]``: US dollars per 1,000 text units per policy type, and the
    policies assumed when Bedrock's response carries no trace to count units from."""

    content: Decimal = Field(default=Decimal("0.15"), ge=0)
    topic: Decimal = Field(default=Decimal("0.15"), ge=0)
    sensitive_information: Decimal = Field(default=Decimal("0.10"), ge=0)
    sensitive_information_free: Decimal = Field(default=Decimal(0), ge=0)
    word: Decimal = Field(default=Decimal(0), ge=0)
    contextual_grounding: Decimal = Field(default=Decimal("0.10"), ge=0)
    automated_reasoning: Decimal = Field(default=Decimal("0.17"), ge=0)
    # US dollars per image unit (contentPolicyImageUnits): no price is sourced, so None
    # leaves images unpriced (flagged on the row) and a key with a budget is refused
    # guarded requests with images, whose worst case cannot be held.
    image: Decimal | None = Field(default=None, ge=0)
    estimate_policies: tuple[GuardrailPolicy, ...] = ("content", "topic", "sensitive_information")

    def per_thousand(self) -> dict[str, Decimal]:
        return {name: getattr(self, name) for name in get_args(GuardrailPolicy)}


class GuardrailSettings(_Model):
    """``[guardrails]``: a default guardrail for requests that name none, and per API key
    (``[guardrails.keys.<key id>]``); a request's own ``guardrailConfig`` always wins."""

    id: str = Field(default="", pattern=_GUARDRAIL_ID)
    version: str = Field(default="DRAFT", pattern=r"^([1-9][0-9]{0,7}|DRAFT)$")
    trace: Literal["enabled", "disabled", "enabled_full"] = "disabled"
    keys: dict[str, GuardrailRef] = {}
    prices: GuardrailPrices = GuardrailPrices()

    def config_for(self, api_key_id: str | None) -> dict[str, str] | None:
        """The ``guardrailConfig`` for a request from ``api_key_id`` that named none."""
        if api_key_id is not None and api_key_id in self.keys:
            ref = self.keys[api_key_id]
            return ref.config() if ref.id else None
        if not self.id:
            return None
        return GuardrailRef(id=self.id, version=self.version, trace=self.trace).config()


class LedgerSettings(_Model):
    url: str = ""
    # While the database is unreachable: "refuse" new requests (503), "spool" them (their
    # rows go to the spool and are charged on replay; a key's budget is enforced
    # best-effort in each process, which does not see other gateways' spend), or "auto":
    # refuse requests whose key has a budget, spool keyless ones and keys without a
    # budget. Calls already made are always spooled: a delivered response never loses its
    # row.
    on_outage: Literal["auto", "refuse", "spool"] = "auto"
    spool_path: str = ""

    def resolved_spool_path(self, url: str | None = None) -> Path:
        """The spool file: ``spool_path``, else one per ledger URL (a SQLite ledger's sits
        beside it) so every process on this machine using that ledger shares it."""
        if self.spool_path:
            return Path(self.spool_path).expanduser()
        url = url or self.resolved_url()
        if url.startswith("sqlite:///") and not url.endswith(":memory:"):
            return Path(url[len("sqlite:///") :] + ".spool").expanduser()
        import hashlib

        import platformdirs

        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        return Path(platformdirs.user_data_dir("tierwise")) / f"ledger-spool-{digest}.jsonl"

    def resolved_url(self) -> str:
        """The ledger URL; empty means a SQLite file in the user data directory."""
        if self.url:
            return self.url
        import platformdirs

        path = Path(platformdirs.user_data_dir("tierwise")) / "ledger.db"
        return f"sqlite:///{path}"


class ClassSettings(_Model):
    """``[routing.classes.<name>]``: a task class's default tier and thinking budget, and
    the tiers the difficulty stage may not move it below or above."""

    tier: Tier
    thinking_budget: int = Field(default=0, ge=0)  # 0 = none; else at least 1024
    min_tier: Tier | None = None
    max_tier: Tier | None = None
    # The cheapest way cache-aware routing may serve the class (see ClassRule.lowest).
    lowest: str | None = None

    @field_validator("thinking_budget")
    @classmethod
    def _budget(cls, value: int) -> int:
        if 0 < value < 1024:
            raise ValueError("must be 0 (no thinking) or at least 1024 (Bedrock's minimum)")
        return value

    def rule(self) -> ClassRule:
        return ClassRule(
            self.tier, self.thinking_budget or None, self.min_tier, self.max_tier, self.lowest
        )


class RoutingSettings(_Model):
    """``[routing]``: thresholds, thinking band and rule weights (see ``defaults.toml``)."""

    version: str = Field(default="rules-v1", min_length=1)
    model_path: str = ""
    class_model_path: str = ""
    prior: float = Field(default=0.5, gt=0, lt=1)
    learned_center: float = Field(default=0.25, gt=0, lt=1)
    learned_weight: float = Field(default=1.0, ge=0)
    haiku_threshold: float = Field(default=0.35, gt=0, lt=1)
    sonnet_thinking_threshold: float = Field(default=0.65, gt=0, lt=1)
    opus_threshold: float = Field(default=0.75, gt=0, lt=1)
    thinking_band: bool = True
    thinking_min_budget: int = Field(default=1024, ge=1024)
    thinking_max_budget: int = Field(default=8192, ge=1024)
    high_stakes_floor: Literal["opus", "sonnet_thinking"] = "opus"
    many_passages: int = Field(default=5, ge=0)
    large_code_lines: int = Field(default=300, ge=1)
    refactor_min_files: int = Field(default=3, ge=1)
    refactor_min_code_lines: int = Field(default=150, ge=1)
    big_input_tokens: int = Field(default=20_000, ge=1)
    deep_conversation_messages: int = Field(default=10, ge=1)
    many_tools: int = Field(default=10, ge=1)
    short_output_tokens: int = Field(default=64, ge=1)
    long_output_tokens: int = Field(default=8192, ge=1)
    scorer_max_chars: int = Field(default=4000, ge=100)
    scorer_context_chars: int = Field(default=500, ge=0)
    scorer_material_chars: int = Field(default=1000, ge=0)
    size_needs_difficulty_cue: bool = True
    class_min_confidence: float = Field(default=0.35, ge=0, lt=1)
    class_crossing_guard: float = Field(default=0.15, gt=0, le=1)
    weights: dict[str, float] = {}
    classes: dict[str, ClassSettings] = {}
    # "shadow": requests keep the model they asked for ("auto" gets default_tier) and the
    # router's decision is recorded beside them, for `tierwise spend --shadow`.
    mode: Literal["route", "shadow"] = "route"

    @model_validator(mode="after")
    def _consistent(self) -> RoutingSettings:
        try:
            self.policy()
        except ConfigError as exc:
            hint = getattr(exc, "hint", "")
            raise ValueError(f"{exc.message} ({hint})" if hint else exc.message) from None
        return self

    def policy(self, thinking_tiers: frozenset[Tier] | None = None) -> RoutingPolicy:
        """The core policy; ``thinking_tiers`` are the tiers whose ``supports_thinking`` is on."""
        data = self.model_dump(exclude={"model_path", "class_model_path", "classes", "mode"})
        tiers = frozenset(Tier) if thinking_tiers is None else frozenset(thinking_tiers)
        classes = {name: c.rule() for name, c in self.classes.items()}
        return RoutingPolicy(**data, classes=classes, thinking_tiers=tiers)


class Settings(_Model):
    region: str = Field(default="us-east-1", pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    endpoint_url: str = ""
    default_tier: Tier = Tier.SONNET
    price_sheet: str = ""
    retry: RetrySettings = RetrySettings()
    ledger: LedgerSettings = LedgerSettings()
    budgets: BudgetSettings = BudgetSettings()
    routing: RoutingSettings = RoutingSettings()
    escalation: EscalationSettings = EscalationSettings()
    caching: CachingSettings = CachingSettings()
    gateway: GatewaySettings = GatewaySettings()
    credits: tuple[CreditPoolSettings, ...] = ()
    batch: BatchSettings = BatchSettings()
    structured_output: StructuredOutputSettings = StructuredOutputSettings()
    model_names: ModelNameSettings = ModelNameSettings()
    # A team's own names: "claude-sonnet-4-5-20250929" = "sonnet", "fast" = "haiku", or a
    # model ID. Targets are tier names, auto or Bedrock model IDs (never another alias).
    aliases: dict[str, str] = {}
    capture: CaptureSettings = CaptureSettings()
    evaluation: EvaluationSettings = EvaluationSettings()
    cache_state: CacheStateSettings = CacheStateSettings()
    guardrails: GuardrailSettings = GuardrailSettings()
    emulator: EmulatorSettings = EmulatorSettings()
    credit_warning_days: int = Field(default=30, ge=0)
    tiers: dict[Tier, TierSettings]
    price_sheets: dict[str, dict[Tier, Prices]] = {}
    models: dict[str, ModelSettings] = {}

    @field_validator("tiers")
    @classmethod
    def _all_tiers(cls, value: dict[Tier, TierSettings]) -> dict[Tier, TierSettings]:
        missing = [t.value for t in Tier.ordered() if t not in value]
        if missing:
            raise ValueError(f"missing tier(s): {', '.join(missing)}; all of haiku, sonnet, opus")
        return value

    _alias_targets = field_validator("aliases")(_check_alias_targets)

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://, or be empty for AWS")
        return value.rstrip("/")

    def model_post_init(self, __context: Any) -> None:
        if self.price_sheet and self.price_sheet not in self.price_sheets:
            names = ", ".join(sorted(self.price_sheets)) or "none defined"
            raise ValueError(f"price_sheet {self.price_sheet!r} is not defined; known: {names}")
        self._check_profile_regions()

    def _check_profile_regions(self) -> None:
        """A tier whose model ID Bedrock in ``region`` refuses ("The provided model
        identifier is invalid.", core/regions.py) fails every call: refused here. An ARN of
        another Region is refused as a tier's alternate too; a geographic alternate outside
        the Region's geography is only dead weight (the defaults' ``us.`` alternates under
        an EU ``region``), so it is left to fail over past."""
        from tierwise.core.regions import region_problem

        for tier, ts in self.tiers.items():
            for key, model_id in (
                ("model_id", ts.model_id),
                *(("alternates", a) for a in ts.alternates),
            ):
                problem = region_problem(model_id, self.region)
                if problem is None or (key == "alternates" and not model_id.startswith("arn:")):
                    continue
                raise ValueError(
                    f"tiers.{tier.value}.{key} {model_id!r}: Bedrock in {self.region} (`region`) "
                    f"refuses it: {problem}; use a global. profile, one of {self.region}'s "
                    "geography, or an ARN in that Region, or change `region`"
                )

    def other_families(self) -> list[str]:
        """A warning for each tier model that is not Claude (``amazon.nova-...``,
        ``meta.llama...``). tierwise writes Claude's requests (thinking, betas, cache points)
        and prices a tier's calls at its Claude prices unless ``[models]`` describes the
        model, so a request routed or failed over to it may be refused or mispriced. An ID
        that names no model (an application inference profile's ARN) is not judged."""
        out = []
        for tier, ts in self.tiers.items():
            for key, model_id in (
                ("model_id", ts.model_id),
                *(("alternates", a) for a in ts.alternates),
            ):
                family, dot, _ = foundation_model_id(model_id).partition(".")
                if not dot or family == "anthropic":
                    continue
                where = "that fail over to it" if key == "alternates" else "to this tier"
                priced = (
                    ""
                    if foundation_model_id(model_id) in self.models
                    else f", and are priced at the {tier.value} tier's Claude prices"
                )
                out.append(
                    f"tiers.{tier.value}.{key} {model_id!r} is not a Claude model ({family}): "
                    f"requests {where} carry Claude's fields (thinking, anthropic_beta, cache "
                    f"points), which it may refuse{priced}; name a Claude profile there "
                    "instead (`tierwise models` lists them)"
                )
        return out

    def tier(self, tier: Tier) -> TierSettings:
        return self.tiers[tier]

    def refusal(
        self, model_id: str, request: Mapping[str, Any], tokens: int, *, margin: float = 1.0
    ) -> InvalidRequestError | None:
        """The refusal of ``request`` of ``tokens`` prompt tokens by the model behind
        ``model_id`` (:func:`~tierwise.core.preflight.check_fits`: its context window times
        ``margin``, its output limit), or None; None too for a model ``[models]`` does not
        describe (Bedrock decides)."""
        model = self.models.get(foundation_model_id(model_id))
        if model is None:
            return None
        try:
            check_fits(
                request,
                model=model.name or model_id,
                context_window=model.context_window,
                long_context_window=model.long_context_window,
                output_limit=model.max_output_tokens,
                tokens=tokens,
                margin=margin,
            )
        except InvalidRequestError as refused:
            return refused
        return None

    def unfit(self, model_id: str, request: Mapping[str, Any], tokens: int) -> str | None:
        """Why the model behind ``model_id`` cannot take ``request`` of ``tokens`` prompt
        tokens (:meth:`refusal`), or None."""
        refused = self.refusal(model_id, request, tokens)
        return None if refused is None else refused.message

    def tier_unfit(self, tier: Tier, request: Mapping[str, Any], tokens: int) -> str | None:
        """Why no profile of ``tier`` can take ``request`` (its primary's reason), or None
        when one can: a tier's alternates may be other models, with other limits, and the
        call goes to those that fit (:meth:`fitting_profiles`)."""
        ts = self.tiers[tier]
        why = self.unfit(ts.model_id, request, tokens)
        if why is None or any(self.unfit(a, request, tokens) is None for a in ts.alternates):
            return None
        return why

    def fitting_profiles(
        self, profiles: tuple[str, ...], request: Mapping[str, Any], tokens: int, margin: float
    ) -> tuple[str, ...]:
        """``profiles`` without those whose model would refuse ``request`` (a failover to
        one ends in Bedrock's 400), in order; the first profile's refusal when none can
        take it."""
        refusals = [self.refusal(p, request, tokens, margin=margin) for p in profiles]
        kept = tuple(p for p, refused in zip(profiles, refusals, strict=True) if refused is None)
        first = next((refused for refused in refusals if refused is not None), None)
        if not kept and first is not None:
            raise first
        return kept

    def cache_policy(self, tier: Tier) -> CachePolicy:
        """Cache placement for ``tier``'s model: its minimum prefix and caching support."""
        ts = self.tiers[tier]
        return CachePolicy(
            mode=self.caching.mode,
            min_tokens=ts.cache_min_tokens,
            supports_caching=ts.supports_caching,
            ttl=self.caching.ttl,
            min_document_tokens=self.caching.min_document_tokens,
            first_turn=self.caching.first_turn,
        )

    def routing_policy(self) -> RoutingPolicy:
        """The core routing policy, with thinking limited to tiers that support it."""
        return self.routing.policy(
            frozenset(t for t in Tier.ordered() if self.tiers[t].supports_thinking)
        )

    def rates(self, tier: Tier) -> Rates:
        """Prices for ``tier``: the selected price sheet's, else the tier's own. Kept per
        tier with the ``Prices`` they were built from (every priced call, hold and
        cache-aware option reads them, and building them costs more than pricing); a copy
        of these settings whose prices were replaced builds its own."""
        prices = self._prices(tier)
        kept = self._rates_memo.get(tier)
        if kept is None or kept[0] is not prices:
            kept = self._rates_memo[tier] = (prices, prices.rates())
        return kept[1]

    def _prices(self, tier: Tier) -> Prices:
        if self.price_sheet:
            sheet = self.price_sheets[self.price_sheet]
            if tier in sheet:
                return sheet[tier]
        return self.tiers[tier].prices

    @cached_property
    def _rates_memo(self) -> dict[Tier, tuple[Prices, Rates]]:
        return {}

    def all_rates(self) -> dict[Tier, Rates]:
        return {t: self.rates(t) for t in Tier.ordered()}

    def tier_of_model(self, model_id: str) -> Tier | None:
        """The tier whose primary or alternate profile is ``model_id``, or else whose model
        it is under another geography or as an ARN (``eu.`` for ``global.``): the same
        model, so the same tier, cap and prices."""
        for tier, ts in self.tiers.items():
            if model_id == ts.model_id or model_id in ts.alternates:
                return tier
        base = foundation_model_id(model_id)
        for tier, ts in self.tiers.items():
            if any(foundation_model_id(m) == base for m in (ts.model_id, *ts.alternates)):
                return tier
        return None

    @cached_property
    def names(self) -> ModelNames:
        """The model names requests may use besides tiers and IDs (aliases, other APIs')."""
        m = self.model_names
        return ModelNames(self.aliases, m.anthropic_names, m.openai_names, m.anthropic, m.openai)

    def resolve_model(self, model: str) -> str:
        """``model`` with an alias replaced by its target (a tier name, auto or a model ID)."""
        return self.names.resolve(model) or model

    def tier_named(self, model: str) -> Tier | None:
        """The tier a request's ``model`` stands for: a tier name in any case, an alias of
        one, or a model in a tier (see :meth:`tier_of_model`); None for anything else,
        ``auto`` included."""
        name = self.resolve_model(model).strip()
        try:
            return Tier(name.lower())
        except ValueError:
            return self.tier_of_model(name)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        """A copy with dotted-key overrides applied (validated again)."""
        data = self.model_dump(mode="json")
        for key, value in overrides.items():
            _set_path(data, key.split("."), value)
        return _validate(data, {}, {})


@dataclass(frozen=True)
class LoadedSettings:
    """Settings plus where each leaf value came from."""

    settings: Settings
    sources: dict[str, str] = field(default_factory=dict)
    config_path: Path | None = None

    def source_of(self, key: str) -> str:
        return self.sources.get(key, "default")


def _defaults() -> dict[str, Any]:
    text = resources.files("tierwise").joinpath("defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


def _set_path(data: dict[str, Any], path: list[str], value: Any) -> None:
    node = data
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[path[-1]] = value


def _merge(
    base: dict[str, Any],
    layer: Mapping[str, Any],
    source: str,
    sources: dict[str, str],
    prefix: str = "",
) -> None:
    for key, value in layer.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value, source, sources, dotted + ".")
        else:
            base[key] = dict(value) if isinstance(value, Mapping) else value
            for leaf in _leaves(value, dotted):
                sources[leaf] = source


def _leaves(value: Any, dotted: str) -> list[str]:
    if isinstance(value, Mapping):
        out: list[str] = []
        for k, v in value.items():
            out.extend(_leaves(v, f"{dotted}.{k}"))
        return out
    return [dotted]


def _env_layer(environ: Mapping[str, str]) -> dict[str, tuple[list[str], Any, str]]:
    out: dict[str, tuple[list[str], Any, str]] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name in NON_SETTING_ENV:
            continue
        path = [p.lower() for p in name[len(ENV_PREFIX) :].split("__") if p]
        if not path:
            continue
        value: Any = raw
        if raw.strip().startswith(("[", "{")):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                value = raw
        out[".".join(path)] = (path, value, f"env:{name}")
    return out


def as_environment(overrides: Mapping[str, Any]) -> dict[str, str]:
    """Dotted overrides (``{"ledger.url": ...}``) as the ``TIERWISE_*`` variables that set
    them, for a child process such as a gateway worker (the inverse of the env layer)."""
    out: dict[str, str] = {}
    for dotted, value in overrides.items():
        if value is None:
            continue
        name = ENV_PREFIX + "__".join(part.upper() for part in dotted.split("."))
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, (Mapping, list, tuple)):
            out[name] = json.dumps(value)
        else:
            out[name] = str(value)
    return out


_KNOWN_TOP = frozenset(Settings.model_fields)
_log = logging.getLogger("tierwise.config")
_WARNED: set[str] = set()


def _validate(
    data: dict[str, Any], sources: Mapping[str, str], flags: Mapping[str, str]
) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "(root)"
        # An unknown table's own key, or a table a validator checks as a whole, is not a
        # leaf: its leaves say where it was written, the user's own (file, variable, flag)
        # before the defaults' (a misspelt [routing.classes.mathh] said "set by default").
        under = [o for k, o in sources.items() if k.startswith(key + ".")]
        origin = sources.get(key) or next(
            (o for o in under if o != "default"), under[0] if under else None
        )
        where = f" (set by {origin})" if origin else ""
        flag = flags.get(key) if origin == "cli" else None
        msg = err["msg"]
        if err["type"] == "value_error":
            # The validator's own words, without pydantic's "Value error, " before them.
            msg = str(err.get("ctx", {}).get("error", msg))
        if err["type"] == "extra_forbidden":
            msg = "unknown key" + _did_you_mean(err["loc"])
        if flag:  # an option the user typed, not a config key
            raise ConfigError(f"Invalid value for {flag}: {msg}", hint=f"correct {flag}") from None
        hint = _fix_hint(key, origin)
        raise ConfigError(f"config key `{key}`{where}: {msg}", hint=hint) from None
    except ValueError as exc:  # model_post_init
        raise ConfigError(f"config: {exc}") from None


def _did_you_mean(loc: Sequence[int | str]) -> str:
    """``; did you mean `tiers`?`` for a misspelt key, from the keys its table takes."""
    model: type[BaseModel] = Settings
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        inner = field.annotation if field is not None else None
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return ""  # a table of tables (tiers.<tier>) or a value: no suggestion
        model = inner
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f"; did you mean `{'.'.join([*map(str, loc[:-1]), close[0]])}`?" if close else ""


def _fix_hint(key: str, origin: str | None) -> str | None:
    """Where to fix ``key``, from where its value came (None: the generic hint)."""
    if origin is not None and origin.startswith("file:"):
        return f"fix `{key}` in {origin.removeprefix('file:')}"
    if origin is not None and origin.startswith("env:"):
        return f"fix or unset {origin.removeprefix('env:')}"
    return None


def find_config_path(explicit: str | Path | None, environ: Mapping[str, str]) -> Path | None:
    if explicit:
        path = Path(explicit)
        if not _readable_config(path):
            raise ConfigError(f"config file {path} {_not_a_file(path)}", hint="check --config PATH")
        return path
    env_path = environ.get(CONFIG_ENV)
    if env_path:
        path = Path(env_path)
        if not _readable_config(path):
            raise ConfigError(
                f"config file {path} (from {CONFIG_ENV}) {_not_a_file(path)}",
                hint=f"fix or unset {CONFIG_ENV}",
            )
        return path
    local = Path.cwd() / DEFAULT_CONFIG_NAME
    return local if local.is_file() else None


def _readable_config(path: Path) -> bool:
    """A regular file, or the null device: ``TIERWISE_CONFIG=/dev/null`` is the usual way to
    say "no config file" (and the only one that also skips ./tierwise.toml); it reads as
    empty every time. Pipes and other devices are refused: settings are read more than once
    (``tierwise serve`` reads them again in the app), and a pipe gives its text only once."""
    return path.exists() and (path.is_file() or os.path.samefile(path, os.devnull))


def _not_a_file(path: Path) -> str:
    if path.is_dir():
        return "is a directory, not a TOML file"
    if path.is_fifo():
        return "is a named pipe, not a regular file (settings may be read more than once)"
    if path.is_socket():
        return "is a socket, not a regular file"
    if path.is_char_device() or path.is_block_device():
        return "is a device, not a regular file"
    if path.exists():
        return "is not a regular file"
    return "does not exist"


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML: {exc}",
            hint=f"fix the TOML syntax of {path} at that line",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None


def load_settings(
    config_path: str | Path | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, str] | None = None,
) -> LoadedSettings:
    """Resolve settings from defaults, file, environment and ``overrides`` (dotted keys).
    ``flags`` names the command-line option that set an override (``{"gateway.port":
    "--port"}``): a bad value is reported as that option's, the words the user typed."""
    env = os.environ if environ is None else environ
    sources: dict[str, str] = {}
    data = _defaults()
    for leaf in _leaves(data, "")[:]:
        sources[leaf.lstrip(".")] = "default"
    path = find_config_path(config_path, env)
    if path is not None:
        _merge(data, read_config_file(path), f"file:{path}", sources)
    for dotted, (parts, value, origin) in sorted(_env_layer(env).items()):
        if parts[0] not in _KNOWN_TOP:
            raise ConfigError(
                f"environment variable {origin[4:]}: unknown key `{dotted}`",
                hint=f"known top-level keys: {', '.join(sorted(_KNOWN_TOP))}",
            )
        _set_path(data, parts, value)
        sources[dotted] = origin
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        _set_path(data, dotted.split("."), value)
        sources[dotted] = "cli"
    settings = _validate(data, sources, flags or {})
    for warning in settings.other_families():
        if warning not in _WARNED:  # settings load more than once a process (serve, workers)
            _WARNED.add(warning)
            _log.warning("config: %s", warning)
    return LoadedSettings(settings, sources, path)


def update_config_file(path: Path, values: Mapping[str, Any]) -> None:
    """Set dotted keys in a TOML config file, keeping its comments and layout.

    The result is validated before it is written, so a bad value never reaches disk.
    """
    import tomlkit

    doc = tomlkit.parse(path.read_text("utf-8")) if path.is_file() else tomlkit.document()
    for dotted, value in values.items():
        node: Any = doc
        parts = dotted.split(".")
        for part in parts[:-1]:
            if part not in node:
                node[part] = tomlkit.table()
            node = node[part]
        node[parts[-1]] = value
    text = tomlkit.dumps(doc)
    data = _defaults()
    _merge(data, tomllib.loads(text), f"file:{path}", {})
    _validate(data, {}, {})
    path.write_text(text, "utf-8")
