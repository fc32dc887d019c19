"""The errors tierwise raises, and nothing else (but :class:`Api`, the APIs whose terms a
hint may be worded in).

Every error is a :class:`TierwiseError`; callers never see a botocore, sqlite or pydantic
exception. Library errors are translated at exactly one boundary per adapter
(``tierwise.bedrock.errors`` for AWS). Each error carries a ``hint``: what to do about it.

::

    TierwiseError
    ├── ConfigError                 bad or missing configuration (names the key)
    ├── InvalidRequestError         the request itself is wrong (400-class)
    │   ├── BedrockWouldRefuseError what Bedrock refuses, refused before the call
    │   └── TooManyCachePointsError more than 4 cachePoint blocks in one request
    ├── UpstreamError               Bedrock failed or refused
    │   ├── ThrottledError          429 ThrottlingException / ServiceQuotaExceeded
    │   ├── ModelNotAvailableError  unknown model, needs an inference profile, not ready
    │   │   └── UnknownModelError   no tier, alias or model ID: refused before the call
    │   ├── AccessDeniedError       credentials or IAM permissions
    │   ├── UnavailableError        503 / 500 / timeouts / connection errors
    │   ├── ModelOutputError        the model errored or its stream broke
    │   ├── DeadlineExceededError   the call's total_timeout_s passed (504)
    │   │   └── AttemptCutError     ... and closed a Bedrock call still in flight
    │   └── ExhaustedError          every retry, profile and fallback was tried
    ├── AccessError                 the gateway refused the caller
    │   ├── AuthenticationError     missing, unknown or revoked API key
    │   ├── PermissionDeniedError   a valid key without the right (admin, metrics)
    │   ├── BudgetExceededError     the key's budget is spent
    │   └── RateLimitedError        the key's requests-per-minute limit
    ├── AnswerRejectedError         the answer failed validation at every allowed attempt
    ├── LedgerError                 the ledger could not be read or written
    │   └── LedgerUnavailableError  its database is unreachable (503, retry shortly)
    └── EmulatorError               the built-in emulator could not start
"""

from __future__ import annotations

from enum import Enum
from typing import Any, ClassVar

__all__ = [
    "AccessDeniedError",
    "AccessError",
    "AnswerRejectedError",
    "Api",
    "AttemptCutError",
    "AuthenticationError",
    "BedrockWouldRefuseError",
    "BudgetExceededError",
    "ClientClosedError",
    "ConfigError",
    "ContextWindowError",
    "DeadlineExceededError",
    "EmulatorError",
    "ExhaustedError",
    "InvalidRequestError",
    "LedgerError",
    "LedgerUnavailableError",
    "ModelAccessDeniedError",
    "ModelNotAvailableError",
    "ModelOutputError",
    "ParameterValidationError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ThrottledError",
    "TierwiseError",
    "TooManyCachePointsError",
    "UnavailableError",
    "UnknownModelError",
    "UpstreamError",
]


class TierwiseError(Exception):
    """Base of every error tierwise raises.

    ``message`` says what went wrong, ``hint`` what to do about it. ``request_id`` is set
    when the failure came after calls were made: their ledger rows carry that id.
    ``billed`` is True when one of those calls was billed (an answer, or part of one):
    sending the same request again pays for it again. ``spent`` is then what those calls
    were (the ``tierwise`` section so far: ``attempts`` with their usage and cost,
    ``costUsd``), for the access log and callers who account for failures too.
    """

    default_hint = ""
    request_id: str | None = None
    billed: bool = False
    spent: dict[str, Any] | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        super().__init__(message)

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message

    def hint_in(self, api: Api) -> str:
        """``hint`` in the terms of a caller of ``api``: the same for every caller unless
        what to do depends on the door (where models are listed, how to ask for a beta)."""
        return self.hint

    def in_api(self, api: Api) -> str:
        """The error's text for a caller of ``api``."""
        hint = self.hint_in(api)
        return f"{self.message} ({hint})" if hint else self.message


class ConfigError(TierwiseError):
    default_hint = "fix the value in tierwise.toml, the TIERWISE_* variable or the CLI flag"


class InvalidRequestError(TierwiseError):
    """``param`` names the offending request field when one is to blame (OpenAI's error
    body reports it)."""

    default_hint = "correct the request; retrying it unchanged will fail the same way"

    def __init__(self, message: str, *, hint: str | None = None, param: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.param = param


class ParameterValidationError(InvalidRequestError):
    """botocore refused the request's parameters on this machine (a field of the wrong type,
    an unknown one): it never reached Bedrock, so it was not billed and leaves no ledger
    row, like the other refusals made before a call."""


class BedrockWouldRefuseError(InvalidRequestError):
    """A request Bedrock refuses with a ``ValidationException`` (over the model's context
    window, a ``maxTokens`` above its output limit, a blank text block, tool history without
    tools, an image over Bedrock's limits, ...), refused before any call or ledger row.

    The Python clients raise it as the ``botocore.exceptions.ClientError`` Bedrock's answer
    would have been (code ``ValidationException``, HTTP 400, the operation called), so error
    handling written for boto3 catches it as it caught Bedrock's; it stays this class."""


class Api(Enum):
    """The API a caller speaks, for wording what to do in its own terms."""

    CONVERSE = "converse"  # the Python clients, the CLI, batch
    ANTHROPIC = "anthropic"  # the gateway's Messages door
    OPENAI = "openai"  # the gateway's Chat Completions and Responses doors


# Where the models served are listed, in the caller's terms: the CLI's command for the
# Converse callers (Python client, CLI, batch), the endpoint for the gateway's doors.
_MODELS_ENDPOINT = "GET /v1/models"
_MODELS_LISTED: dict[Api, str] = {
    Api.CONVERSE: "`tierwise models` lists them",
    Api.ANTHROPIC: f"{_MODELS_ENDPOINT} lists them",
    Api.OPENAI: f"{_MODELS_ENDPOINT} lists them",
}


class ContextWindowError(BedrockWouldRefuseError):
    """A prompt over the model's context window. ``long_context`` is the larger window the
    model takes with Anthropic's 1M-context beta when the prompt fits that one, else None.
    How to ask for the beta depends on the API the caller speaks, so :meth:`in_api` words
    the hint for it; ``hint`` is the Converse caller's (Python client, CLI, batch)."""

    # The Converse caller's words; the gateway's doors word it their own way (in_api).
    _ASK_BETA: ClassVar[dict[Api, str]] = {
        Api.CONVERSE: "with additionalModelRequestFields.anthropic_beta",
        Api.ANTHROPIC: "with the anthropic-beta header",
    }

    def __init__(
        self, message: str, *, base_hint: str, model: str, long_context: int | None, beta: str
    ) -> None:
        self.base_hint = base_hint
        self.model = model
        self.long_context = long_context
        self.beta = beta
        super().__init__(message, hint=self.hint_in(Api.CONVERSE), param="messages")

    def hint_in(self, api: Api) -> str:
        # A model with a larger window: where they are listed depends on the caller.
        base = f"{self.base_hint} ({_MODELS_LISTED[api]})"
        if self.long_context is None:
            return base
        takes = f"{self.model} takes {self.long_context:,} with the {self.beta} beta"
        ask = self._ASK_BETA.get(api)
        if ask is None:
            # The OpenAI APIs have no field for an Anthropic beta: only Anthropic's API asks.
            return (
                f"{base}; {takes}, which only the Anthropic Messages API asks for "
                "(POST /v1/messages on this gateway); the OpenAI APIs cannot"
            )
        return f"{base}; {takes} ({ask})"


class TooManyCachePointsError(InvalidRequestError):
    default_hint = "Bedrock allows at most 4 cachePoint blocks per request; remove some"


class UpstreamError(TierwiseError):
    """Bedrock failed. ``code`` is the AWS error code, ``status`` the HTTP status.

    ``capacity`` is True when the failure means "this tier has no capacity now" (throttled,
    unavailable, not ready) rather than "this request fails": the call engine may then fall
    back to another tier. The Bedrock adapter sets it; nothing above it reads AWS codes.
    """

    default_hint = "check the Bedrock service health and your request"
    default_capacity = False

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        code: str | None = None,
        status: int | None = None,
        model_id: str | None = None,
        retry_after: float | None = None,
        capacity: bool | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.status = status
        self.model_id = model_id
        self.retry_after = retry_after
        self.capacity = self.default_capacity if capacity is None else capacity


class ThrottledError(UpstreamError):
    default_capacity = True
    default_hint = (
        "slow down, raise the Bedrock quota, or configure alternate profiles for this tier"
    )


_CHECK_MODEL_ID: dict[Api, str] = {
    Api.CONVERSE: "check the model ID with `tierwise models`",
    Api.ANTHROPIC: f"check the model name: {_MODELS_ENDPOINT} lists the models served",
    Api.OPENAI: f"check the model name: {_MODELS_ENDPOINT} lists the models served",
}
_NEEDS_PROFILE_ID = (
    "; newer Claude models need an inference profile ID such as "
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
)


class ModelNotAvailableError(UpstreamError):
    """The model asked for is not served. Its default hint says where the models served are
    listed, which depends on the caller: :meth:`in_api` words it for the gateway's doors;
    ``hint`` is the Converse caller's (Python client, CLI, batch)."""

    default_hint = _CHECK_MODEL_ID[Api.CONVERSE] + _NEEDS_PROFILE_ID

    def hint_in(self, api: Api) -> str:
        if self.hint != self.default_hint:  # a hint of its own says what to change
            return self.hint
        return _CHECK_MODEL_ID[api] + _NEEDS_PROFILE_ID


class UnknownModelError(ModelNotAvailableError):
    """A model name that is no tier, alias or Bedrock model ID. Where the names served are
    listed depends on the caller, so :meth:`in_api` words the hint for it; ``hint`` is the
    Converse caller's (Python client, CLI, batch)."""

    def __init__(self, message: str, *, base_hint: str = "", model_id: str | None = None) -> None:
        self.base_hint = base_hint
        super().__init__(message, hint=self.hint_in(Api.CONVERSE), model_id=model_id)

    def hint_in(self, api: Api) -> str:
        return f"{self.base_hint}; {_MODELS_LISTED[api]}"


class AccessDeniedError(UpstreamError):
    default_hint = (
        "check AWS credentials (environment, profile, SSO, role or AWS_BEARER_TOKEN_BEDROCK) "
        "and that model access is enabled in the Bedrock console"
    )


class ModelAccessDeniedError(AccessDeniedError):
    """IAM or Bedrock's model access refuses this model for these credentials. Unlike an
    expired or unknown token, sending the request again changes nothing until someone
    changes a policy, so callers should not retry it."""


class UnavailableError(UpstreamError):
    default_capacity = True
    default_hint = "Bedrock is unavailable; retry later or fail over to another region"


class ModelOutputError(UpstreamError):
    default_hint = "the model failed while answering; retry the request"


class DeadlineExceededError(UpstreamError):
    """The call's wall-clock deadline passed (retries, failovers, escalations and the
    attempt in flight all count). An attempt cut off is still ledgered when it ends."""

    default_hint = "raise [retry] total_timeout_s or the request's x-tierwise-timeout-s"


class AttemptCutError(DeadlineExceededError):
    """The deadline closed the connection of a Bedrock call still in flight, before its
    answer (and usage) arrived: Bedrock may have billed it, so its ledger row is estimated."""


class ExhaustedError(UpstreamError):
    """Every attempt failed. ``attempts`` lists what was tried, in order; ``last`` is the
    last attempt's own error (a ThrottledError, a ModelAccessDeniedError, ...)."""

    default_hint = "every retry and fallback failed; see `attempts` and retry later"

    def __init__(
        self,
        message: str,
        *,
        attempts: list[str],
        hint: str | None = None,
        code: str | None = None,
        status: int | None = None,
        model_id: str | None = None,
        retry_after: float | None = None,
        capacity: bool | None = None,
        last: UpstreamError | None = None,
    ) -> None:
        super().__init__(
            message,
            hint=hint,
            code=code,
            status=status,
            model_id=model_id,
            retry_after=retry_after,
            capacity=capacity,
        )
        self.attempts = attempts
        # The typed error of the last attempt, so callers decide by its class rather than by
        # an AWS error code (only the Bedrock adapter reads those).
        self.last = last

    def hint_in(self, api: Api) -> str:
        # The last attempt's hint, carried over: in that error's terms for the caller.
        if self.last is not None and self.hint == self.last.hint:
            return self.last.hint_in(api)
        return self.hint


class AnswerRejectedError(TierwiseError):
    """The answer failed a validator (a JSON schema, a refusal check, ...) at every attempt
    the cascade was allowed to make. ``response`` is the last answer with its ``tierwise``
    section (attempts, total cost), for callers who want to look at it anyway."""

    default_hint = "the answer was rejected; tierwise escalates when policy allows"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.response: dict[str, Any] | None = None


class AccessError(TierwiseError):
    """The gateway refused the caller (not the request's content)."""


class AuthenticationError(AccessError):
    default_hint = "send a valid key as `Authorization: Bearer <key>` or `x-api-key: <key>`"


class PermissionDeniedError(AccessError):
    """The key is valid but lacks the right for this endpoint (403, not 401: the caller
    is known, so sending the same key again will not help)."""

    # Said after "... needs an admin key": how to get one, not "use an admin key" again.
    default_hint = "`tierwise keys create --admin` makes one"


class BudgetExceededError(AccessError):
    default_hint = "raise the key's budget (`tierwise keys create --budget-usd`) or use another key"
    #: Seconds until waiting may help (reservations in flight settle, or a periodic budget
    #: starts again); None when only a bigger budget will.
    retry_after: float | None = None


class RateLimitedError(AccessError):
    default_hint = (
        "wait the retry-after seconds before sending more, or use a key with a higher --rpm "
        "(`tierwise keys create --rpm N`)"
    )

    def __init__(self, message: str, *, retry_after: float, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class LedgerError(TierwiseError):
    default_hint = "check the ledger location (`tierwise config show`) and its permissions"


class LedgerUnavailableError(LedgerError):
    """The ledger's database cannot be reached (down, restarting, network). Calls already
    answered are spooled to a local file and replayed when it returns; new requests that
    need it (keys, budgets) are refused with 503 and retry-after."""

    default_hint = "the ledger database is unreachable; retry shortly"
    retry_after: float = 2.0


class ClientClosedError(TierwiseError):
    """A call on a client after its ``close()``/``aclose()``: refused before Bedrock, as
    its ledger is closed (the call was made and billed, then its row failed to write)."""

    default_hint = (
        "make a new client, or keep this one open while you use it (a `with` or `async with` "
        "block closes it at the end of the block)"
    )


class EmulatorError(TierwiseError):
    default_hint = "choose another port with --port"
