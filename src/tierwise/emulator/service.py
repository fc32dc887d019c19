"""What the emulator answers, independent of HTTP: runtime and control-plane operations.

The HTTP layer (``server``) parses requests into calls on :class:`Service` and writes the
:class:`Reply` back; everything stateful (prompt cache, fault plan, call statistics) lives on
the one ``Service`` an :class:`~tierwise.emulator.Emulator` owns.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tierwise.config import Settings
from tierwise.core.tokens import count_request
from tierwise.emulator import anthropic_body
from tierwise.emulator.apierror import ApiError, error_headers, validation
from tierwise.emulator.batch import BatchJobs, InvocationType
from tierwise.emulator.cache import CacheUsage, PromptCache
from tierwise.emulator.catalog import Catalog, Target
from tierwise.emulator.engine import Answer, answer, request_digest
from tierwise.emulator.eventstream import CONTENT_TYPE, event_frame, exception_frame
from tierwise.emulator.faults import FaultPlan, Faults, fault_error, stream_error
from tierwise.emulator.guardrails import GuardrailRegistry, GuardrailSpec, Verdict, input_texts
from tierwise.emulator.pacing import Pace
from tierwise.emulator.quirks import Quirks
from tierwise.emulator.shapes import ShapeRules
from tierwise.emulator.skills import Skills
from tierwise.emulator.streaming import converse_events
from tierwise.emulator.validation import check_request, count_cache_points

__all__ = ["INVOCATIONS", "Controls", "Reply", "Service"]

INVOCATIONS = ("converse", "converse-stream", "invoke", "invoke-with-response-stream")
# The service model's operation behind each runtime door (an Invoke body is a blob payload:
# Bedrock checks it against the model provider's schema instead, see anthropic_body).
_SHAPED = {
    "converse": "Converse",
    "converse-stream": "ConverseStream",
    "count-tokens": "CountTokens",
    "invoke": "InvokeModel",
    "invoke-with-response-stream": "InvokeModelWithResponseStream",
}
RUNTIME_OPERATIONS = (*INVOCATIONS, "count-tokens")
# The IAM action each invocation needs (Converse is authorised as InvokeModel).
_ACTIONS = {
    "converse": "bedrock:InvokeModel",
    "invoke": "bedrock:InvokeModel",
    "converse-stream": "bedrock:InvokeModelWithResponseStream",
    "invoke-with-response-stream": "bedrock:InvokeModelWithResponseStream",
}
_JSON = "application/json"
_INTERVENED = "guardrail_intervened"


@dataclass(frozen=True, slots=True)
class Controls:
    """Per-request test controls (from ``x-tierwise-emulator-*`` headers)."""

    fault: str | None = None
    latency_ms: int | None = None
    cut_stream_after: int | None = None
    stream_error: str | None = None  # the exception a cut stream ends with
    # InvokeModel's X-Amzn-Bedrock-Service-Tier request header (Converse has a body field).
    service_tier: str | None = None
    pace: Pace | None = None


@dataclass
class Reply:
    """An HTTP answer: a JSON body, or eventstream ``frames`` sent chunked after ``delay_s``
    (the time to first token), ``gap_s`` apart (the pacing of the output)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    frames: list[bytes] | None = None
    delay_s: float = 0.0
    gap_s: float = 0.0
    # (frames sent first, seconds): the stream stops mid-answer for that long.
    stall: tuple[int, float] | None = None


def json_reply(value: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
    return Reply(
        status, json.dumps(value).encode("utf-8"), {"Content-Type": _JSON, **(headers or {})}
    )


def error_reply(error: ApiError) -> Reply:
    return Reply(error.status, error.body(), {"Content-Type": _JSON, **error_headers(error.code)})


def _usage(total_input: int, answer_: Answer, cache: CacheUsage, cached: bool) -> dict[str, Any]:
    uncached = total_input - cache.read - cache.write
    usage: dict[str, Any] = {
        "inputTokens": uncached,
        "outputTokens": answer_.output_tokens,
        "totalTokens": uncached + answer_.output_tokens + cache.read + cache.write,
    }
    if cached:
        usage["cacheReadInputTokens"] = cache.read
        usage["cacheWriteInputTokens"] = cache.write
        if cache.details:
            usage["cacheDetails"] = [{"ttl": t, "inputTokens": n} for t, n in cache.details]
    return usage


class Service:
    """The emulator's behaviour; thread-safe."""

    def __init__(self, settings: Settings, faults: Faults, clock: Callable[[], float]) -> None:
        self.catalog = Catalog(settings)
        self.plan = FaultPlan(faults)
        self.cache = PromptCache(clock)
        self.quirks = Quirks()
        self.skills = Skills()
        self.guardrails = GuardrailRegistry()
        self.shapes = ShapeRules.installed()
        self.settings = settings
        # Put/Get/DeleteModelInvocationLoggingConfiguration: kept, not acted on (the
        # emulator writes no invocation logs).
        self.logging_config: dict[str, Any] | None = None
        from tierwise.emulator.s3 import LocalS3  # s3 builds on this module's Reply

        # Batch data stays here unless [batch] s3_endpoint_url names an S3 to use.
        self.s3 = LocalS3([settings.batch.bucket])
        self.batch = BatchJobs(self.batch_answer, self._s3_client, settings.region)
        self._lock = threading.Lock()
        self._stats: dict[str, Any] = {}
        self.reset_stats()

    # -- statistics ---------------------------------------------------------------------------

    def reset_stats(self) -> None:
        with self._lock:
            self._stats = {
                "calls": {}, "succeeded": {}, "failed": {}, "operations": {}, "total": 0,
                "hangups": 0,
            }  # fmt: skip

    def note_hangup(self) -> None:
        """A client closed a stream's connection before the stream ended."""
        with self._lock:
            self._stats["hangups"] += 1

    def _count(self, bucket: str, key: str) -> None:
        with self._lock:
            counts = self._stats[bucket]
            counts[key] = counts.get(key, 0) + 1

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._stats)

    # -- runtime ------------------------------------------------------------------------------

    def runtime(self, operation: str, identifier: str, raw: bytes, controls: Controls) -> Reply:
        """One bedrock-runtime call; errors become Bedrock error replies."""
        started = time.monotonic()
        invocation = operation in INVOCATIONS
        if invocation:
            self._count("calls", identifier)
            self._count("operations", operation)
            with self._lock:
                self._stats["total"] += 1
        try:
            # The service model's checks (the model ID's pattern and length included) come
            # before the model is looked up, as on Bedrock.
            body = _parse_json(raw)
            self.shapes.check(_SHAPED[operation], body, {"modelId": identifier})
            if operation == "count-tokens":
                target = self.catalog.resolve_for_counting(identifier)
            else:
                target = self.catalog.resolve(identifier, _ACTIONS[operation])
            fault = controls.fault
            if fault is None and invocation:
                fault = self.plan.next_fault(identifier)
            if fault is not None:
                raise fault_error(fault)
            if operation == "count-tokens":
                return self._count_tokens(target, body)
            reply = self._invoke(operation, target, body, controls, started)
        except ApiError as error:
            if invocation:
                self._count("failed", identifier)
            return error_reply(error)
        except Exception as exc:  # a bug here must reach the client as Bedrock would say it
            if invocation:
                self._count("failed", identifier)
            return error_reply(
                ApiError(
                    "InternalServerException", f"internal emulator error: {type(exc).__name__}"
                )
            )
        if invocation:
            self._count("succeeded", identifier)
        return reply

    def _count_tokens(self, target: Target, body: Any) -> Reply:
        source = body.get("input") if isinstance(body, Mapping) else None
        if not isinstance(source, Mapping) or len(source) != 1:
            raise validation("input must contain exactly one of converse or invokeModel.")
        if "converse" in source:
            request = dict(source["converse"] or {})
        elif "invokeModel" in source:
            encoded = (source["invokeModel"] or {}).get("body", "")
            try:
                inner = json.loads(base64.b64decode(encoded, validate=True))
            except (binascii.Error, ValueError):
                raise validation("input.invokeModel.body is not valid JSON.") from None
            request = anthropic_body.to_converse(inner)
        else:
            raise validation("input must contain exactly one of converse or invokeModel.")
        check_request(request, target.model, converse="converse" in source)
        return json_reply({"inputTokens": count_request(request)})

    def _invoke(
        self, operation: str, target: Target, body: Any, controls: Controls, started: float
    ) -> Reply:
        anthropic = operation.startswith("invoke")
        request = anthropic_body.to_converse(body) if anthropic else body
        if not isinstance(request, Mapping):
            raise validation("The request body must be a JSON object.")
        checked = check_request(request, target.model, converse=not anthropic)
        guard = None
        if not anthropic and "guardrailConfig" in request:
            guard = self.guardrails.resolve(
                request["guardrailConfig"], stream=operation == "converse-stream"
            )
        texts = input_texts(request) if guard else []
        blocked = guard[0].matches("\n".join(texts)) if guard else []
        verdict: Verdict | None = None
        if guard and blocked:
            # Blocked on input: the model never runs, so no model tokens are billed.
            verdict = Verdict(*guard, tuple(blocked), input_chars=sum(map(len, texts)))
            result = Answer(({"text": guard[0].blocked_input_message},), _INTERVENED, None, 0)
            usage: dict[str, Any] = {"inputTokens": 0, "outputTokens": 0, "totalTokens": 0}
        else:
            cache = (
                self.cache.apply(target.invoked_id, request, target.model.cache_min_tokens)
                if target.model.supports_caching
                else CacheUsage()
            )
            result = answer(request, checked, target.model)
            result = self.quirks.apply(target.invoked_id, request, request_digest(request), result)
            result = self.skills.apply(target.model.name, request, result)
            usage = _usage(count_request(request), result, cache, count_cache_points(request) > 0)
            if guard:
                verdict, result = _guard_output(guard[0], guard[1], texts, result)
        trace = verdict.trace_dict() if verdict else None
        added = controls.latency_ms
        delay_ms: float = self.plan.faults.latency_ms if added is None else added
        pace = controls.pace or self.plan.faults.pacing.for_model(target.model.model_id)
        # One factor for the whole answer: a slow call is slow to start and to generate.
        scale = self.plan.pace_factor(pace)
        generation_s = pace.generation_s(result.output_tokens) * scale
        streamed = operation in ("converse-stream", "invoke-with-response-stream")
        delay_ms += pace.ttft_ms * scale + (0 if streamed else generation_s * 1000)
        latency = max(1, int((time.monotonic() - started) * 1000 + delay_ms))
        delay = delay_ms / 1000
        model_id = target.model.model_id
        fields = _response_fields(checked.response_paths, result)
        if anthropic:
            tier = {"type": controls.service_tier} if controls.service_tier else None
            served = _served_tier({"serviceTier": tier} if tier else {})
        else:
            served = _served_tier(request)
        if operation == "converse":
            response: dict[str, Any] = {
                "output": {"message": {"role": "assistant", "content": list(result.content)}},
                "stopReason": result.stop_reason,
                "usage": usage,
                "metrics": {"latencyMs": latency},
            }
            if fields:
                response["additionalModelResponseFields"] = fields
            if served is not None:
                response["serviceTier"] = served
            if trace is not None:
                response["trace"] = trace
            return _delayed(json_reply(response), delay)
        if operation == "invoke":
            headers = _invoke_headers(usage, latency)
            if served is not None:
                headers["X-Amzn-Bedrock-Service-Tier"] = served["type"]
            reply = json_reply(
                anthropic_body.anthropic_response(request, result, usage, model_id),
                headers=headers,
            )
            return _delayed(reply, delay)
        if operation == "converse-stream":
            events = converse_events(result, usage, latency, fields, served, trace=trace)
            frames = [event_frame(t, p) for t, p in events]
        else:
            frames = [
                event_frame(
                    "chunk",
                    {
                        "bytes": base64.b64encode(
                            json.dumps(event, separators=(",", ":")).encode("utf-8")
                        ).decode()
                    },
                )
                for event in anthropic_body.anthropic_events(
                    request, result, usage, model_id, latency
                )
            ]
        planned = self.plan.next_stream_cut(target.invoked_id)
        if controls.cut_stream_after is not None:
            kind = controls.stream_error or (planned[1] if planned else "")
            planned = (controls.cut_stream_after, kind or "modelStreamErrorException")
        if planned is not None and planned[0] < len(frames):
            cut, kind = planned
            frames = [*frames[:cut], exception_frame(*stream_error(kind, cut))]
        headers = {"Content-Type": CONTENT_TYPE}
        if operation == "invoke-with-response-stream":
            headers["X-Amzn-Bedrock-Content-Type"] = _JSON
            if served is not None:
                headers["X-Amzn-Bedrock-Service-Tier"] = served["type"]
        gap = generation_s / (len(frames) - 1) if len(frames) > 1 else 0.0
        stall = self.plan.next_stream_stall(target.invoked_id)
        return Reply(200, headers=headers, frames=frames, delay_s=delay, gap_s=gap, stall=stall)

    # -- batch inference ----------------------------------------------------------------------

    def _s3_client(self) -> Any:
        """The local S3, or a client of the S3 that ``[batch] s3_endpoint_url`` names: the
        emulator never reaches AWS's S3 unless configured to."""
        endpoint = self.settings.batch.s3_endpoint_url or None
        if endpoint is None:
            return self.s3
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=self.settings.region,
            aws_access_key_id="emulator",
            aws_secret_access_key="emulator",
        )

    def _batch_model(self, identifier: str) -> Any:
        ident = identifier.rsplit("/", 1)[-1]
        if ident in self.catalog.profiles:
            return self.catalog.models[self.catalog.profiles[ident]]
        spec = self.catalog.models.get(ident)
        if spec is None:
            raise validation("The provided model identifier is invalid.")
        return spec

    def batch_answer(
        self,
        model_id: str,
        body: Any,
        invocation_type: InvocationType = InvocationType.INVOKE_MODEL,
    ) -> dict[str, Any]:
        """One batch record: in an InvokeModel job, an Anthropic Messages body in and an
        Anthropic response out; in a Converse job, a Converse request body in (its
        ``requestMetadata`` kept, so skill-tagged requests are answered by their skills) and
        a Converse response out."""
        spec = self._batch_model(model_id)
        converse = invocation_type is InvocationType.CONVERSE
        request = _batch_converse_body(body) if converse else anthropic_body.to_converse(body)
        checked = check_request(request, spec, converse=converse)
        result = answer(request, checked, spec)
        result = self.skills.apply(spec.name, request, result)
        usage = _usage(count_request(request), result, CacheUsage(), False)
        if not converse:
            return anthropic_body.anthropic_response(request, result, usage, spec.model_id)
        response: dict[str, Any] = {
            "output": {"message": {"role": "assistant", "content": list(result.content)}},
            "stopReason": result.stop_reason,
            "usage": usage,
            "metrics": {"latencyMs": 0},
        }
        fields = _response_fields(checked.response_paths, result)
        if fields:
            response["additionalModelResponseFields"] = fields
        return response

    def batch_control(self, method: str, path: str, body: Any, query: dict[str, str]) -> Reply:
        try:
            if method == "POST" and path == "/model-invocation-job":
                return json_reply(self.batch.create(body, self._batch_model))
            if method == "GET" and path == "/model-invocation-jobs":
                return json_reply(self.batch.list(query))
            if method == "GET" and path.startswith("/model-invocation-job/"):
                return json_reply(self.batch.get(path.split("/", 2)[2]))
            if (
                method == "POST"
                and path.startswith("/model-invocation-job/")
                and path.endswith("/stop")
            ):
                return json_reply(self.batch.stop(path.split("/", 2)[2].removesuffix("/stop")))
        except ApiError as error:
            return error_reply(error)
        return error_reply(ApiError("UnknownOperationException", "Unknown operation."))

    # -- control plane ------------------------------------------------------------------------

    def logging(self, method: str, body: Any) -> Reply:
        """The model invocation logging configuration: GET, PUT or DELETE."""
        if method == "PUT":
            config = body.get("loggingConfig") if isinstance(body, Mapping) else None
            if not isinstance(config, Mapping):
                return error_reply(validation("loggingConfig is required."))
            self.logging_config = dict(config)
            return json_reply({})
        if method == "DELETE":
            self.logging_config = None
            return json_reply({})
        return json_reply({"loggingConfig": self.logging_config} if self.logging_config else {})

    def control(self, path: str, query: dict[str, str]) -> Reply:
        if path.startswith("/model-invocation-job"):
            return self.batch_control("GET", path, None, query)
        try:
            if path == "/foundation-models":
                return json_reply({"modelSummaries": self.catalog.foundation_models(query)})
            if path.startswith("/foundation-models/"):
                ident = path.split("/", 2)[2]
                return json_reply({"modelDetails": self.catalog.foundation_model(ident)})
            if path == "/inference-profiles":
                return json_reply(self.catalog.inference_profiles(query))
            if path.startswith("/inference-profiles/"):
                return json_reply(self.catalog.inference_profile(path.split("/", 2)[2]))
        except ApiError as error:
            return error_reply(error)
        return error_reply(ApiError("UnknownOperationException", "Unknown operation."))


# ConverseRequest's body members (botocore bedrock-runtime service-2.json); modelId is not
# one of them in a batch record: the job names the model.
_CONVERSE_BODY = frozenset(
    {"messages", "system", "inferenceConfig", "toolConfig", "guardrailConfig",
     "projectIdentifier", "additionalModelRequestFields", "promptVariables",
     "additionalModelResponseFieldPaths", "requestMetadata", "performanceConfig",
     "serviceTier", "outputConfig"}
)  # fmt: skip
_METADATA = re.compile(r"[a-zA-Z0-9\s:_@$#=/+,\-.]*")


def _batch_converse_body(body: Any) -> Mapping[str, Any]:
    """A Converse job's record as Bedrock checks it: a Converse request body, no tools."""
    if not isinstance(body, Mapping):
        raise validation("The modelInput of a record must be a JSON object.")
    unknown = sorted(set(body) - _CONVERSE_BODY)
    if unknown:
        raise validation(
            f"Malformed input request: extraneous key [{unknown[0]}] is not permitted."
        )
    if "toolConfig" in body:
        # Bedrock's batch guide: tool calling is not supported in Converse-type jobs.
        raise validation("Tool use is not supported for batch inference jobs of type Converse.")
    metadata = body.get("requestMetadata")
    if metadata is not None:
        if not isinstance(metadata, Mapping) or not 1 <= len(metadata) <= 16:
            raise validation("requestMetadata must be a map of 1 to 16 entries.")
        for key, value in metadata.items():
            ok_key = isinstance(key, str) and 1 <= len(key) <= 256 and _METADATA.fullmatch(key)
            ok_value = isinstance(value, str) and len(value) <= 256 and _METADATA.fullmatch(value)
            if not (ok_key and ok_value):
                raise validation(
                    "1 validation error detected: Value at 'requestMetadata' failed to satisfy "
                    "constraint: keys and values must match [a-zA-Z0-9\\s:_@$#=/+,-.]{0,256}"
                )
    return body


def _response_fields(paths: tuple[str, ...], result: Answer) -> dict[str, Any]:
    """additionalModelResponseFields: the requested paths into Claude's native response.

    Only ``/stop_sequence`` is modelled (the matched sequence, or null); other paths select
    nothing, as a path the native response lacks does on Bedrock.
    """
    native = {"/stop_sequence": ("stop_sequence", result.stop_sequence)}
    return dict(native[p] for p in paths if p in native)


_SERVICE_TIERS = ("priority", "default", "flex", "reserved")


def _guard_output(
    spec: GuardrailSpec, trace: str, texts: list[str], result: Answer
) -> tuple[Verdict, Answer]:
    """Assess the answer's text; a blocked word replaces the answer (its tokens were spent)."""
    outputs = tuple(b["text"] for b in result.content if isinstance(b.get("text"), str))
    hits = tuple(spec.matches("\n".join(outputs)))
    verdict = Verdict(
        spec,
        trace,
        output_hits=hits,
        input_chars=sum(map(len, texts)),
        output_chars=sum(map(len, outputs)),
        model_output=outputs,
    )
    if not hits:
        return verdict, result
    blocked = Answer(
        ({"text": spec.blocked_output_message},), _INTERVENED, None, result.output_tokens
    )
    return verdict, blocked


def _served_tier(request: Mapping[str, Any]) -> dict[str, str] | None:
    """The ``serviceTier`` a Converse response reports: the one requested (the emulator
    always has capacity on it), or none when the request named none."""
    tier = request.get("serviceTier")
    if tier is None:
        return None
    kind = tier.get("type") if isinstance(tier, Mapping) else None
    if kind not in _SERVICE_TIERS:
        raise validation(
            f"1 validation error detected: Value '{kind}' at 'serviceTier.type' failed to "
            f"satisfy constraint: Member must satisfy enum value set: [{', '.join(_SERVICE_TIERS)}]"
        )
    return {"type": kind}


def _delayed(reply: Reply, delay: float) -> Reply:
    reply.delay_s = delay
    return reply


def _invoke_headers(usage: Mapping[str, Any], latency: int) -> dict[str, str]:
    return {
        "X-Amzn-Bedrock-Input-Token-Count": str(usage["inputTokens"]),
        "X-Amzn-Bedrock-Output-Token-Count": str(usage["outputTokens"]),
        "X-Amzn-Bedrock-Invocation-Latency": str(latency),
        "X-Amzn-Bedrock-Cache-Read-Input-Token-Count": str(usage.get("cacheReadInputTokens", 0)),
        "X-Amzn-Bedrock-Cache-Write-Input-Token-Count": str(usage.get("cacheWriteInputTokens", 0)),
    }


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:  # bad UTF-8, bad JSON, or an integer past Python's digit limit
        raise validation("The request body is not valid JSON.") from None
