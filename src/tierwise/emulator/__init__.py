"""A built-in Amazon Bedrock emulator speaking bedrock-runtime's real wire protocol.

Unmodified ``boto3`` (``bedrock-runtime`` and ``bedrock`` clients with ``endpoint_url``) and
``anthropic.AnthropicBedrock(base_url=...)`` work against it. Answers are synthetic and
deterministic (same request, same answer) and say so ("[tierwise emulator] ...").

Usage::

    from tierwise.emulator import Emulator, Faults

    with Emulator(settings, port=0, faults=Faults(throttle_rate=0.1, seed=7)).start() as emu:
        client = boto3.client("bedrock-runtime", endpoint_url=emu.url, region_name="us-east-1",
                              aws_access_key_id="x", aws_secret_access_key="y")
        emu.inject(kind="throttle", count=2)      # the next 2 invocations get a 429
        emu.stats["calls"]                        # {model ID as requested: invocations}

Served operations: ``POST /model/{modelId}/converse``, ``/converse-stream``, ``/count-tokens``,
``/invoke``, ``/invoke-with-response-stream`` (model IDs, inference-profile IDs and ARNs; bare
IDs of profile-only models get Bedrock's on-demand ValidationException; count-tokens, like
Bedrock, takes foundation-model IDs only and refuses inference profiles), and the control plane
``GET /foundation-models[/{id}]``, ``GET /inference-profiles[/{id}]`` (``maxResults`` /
``nextToken`` paging) and the model invocation logging configuration (``GET``/``PUT``/``DELETE
/logging/modelinvocations``: kept, not acted on; no invocation logs are written).
Requests must be signed (SigV4 or a Bearer token), as on AWS.
Behaviour covered: Bedrock's validation rules and error shapes, prompt caching (cache points,
minimum prefix per model, 5m/1h TTL on an injectable clock, reads and writes), tool use with
schema-valid inputs, extended thinking, images and documents, token counting that agrees with
``usage``, and event-stream framing for both stream operations.

Test controls
-------------
Per request, as HTTP headers on a runtime call:

* ``x-tierwise-emulator-fault: KIND`` (throttle, unavailable, internal, model_not_ready,
  access_denied or model_error) fails this request with ThrottlingException (429),
  ServiceUnavailableException (503), InternalServerException (500), ModelNotReadyException
  (429), AccessDeniedException (403) or ModelErrorException (424).
* ``x-tierwise-emulator-latency-ms: N`` delays this response (for streams: the first event,
  after the 200 headers) by N ms; ``metrics.latencyMs`` includes it.
* ``x-tierwise-emulator-cut-stream-after: N`` ends this stream after N events with a
  ``modelStreamErrorException`` frame (boto3 raises ``EventStreamError``), or with the
  exception ``x-tierwise-emulator-stream-error`` names: ``throttlingException``,
  ``internalServerException``, ``serviceUnavailableException``, ``validationException`` or
  ``modelStreamErrorException``. :meth:`Emulator.inject_stream_error` queues the same for
  the next streams (for code that cannot set headers, such as the gateway).
* :meth:`Emulator.inject_stream_stall` stalls the next streams after N events for some
  seconds (an upstream that stops mid-answer); ``stats["hangups"]`` counts the streams whose
  client closed the connection before their end.

Over HTTP, without signing:

* ``POST /_emulator/faults`` with ``{"kind": ..., "count": N, "model_id": ID-or-null}`` does
  what :meth:`Emulator.inject` does.
* ``GET /_emulator/stats`` returns :attr:`Emulator.stats`.
* ``POST /_emulator/quirks`` with ``{"kind": ..., "model_id": ID, "share": 0-1}`` makes a
  model answer badly on purpose (``invalid_json``, ``refusal``, ``empty``, ``truncate``,
  ``low_confidence``) for a deterministic share of requests, as :meth:`Emulator.misbehave`
  does (which also takes ``tier=``). Self-check prompts (asking for a ``"confidence"``) get a
  JSON confidence of 0.9, or 0.2 under ``low_confidence``. See :mod:`tierwise.emulator.quirks`.
* ``POST /_emulator/guardrails`` with ``{"id": ..., "version": "1"|"DRAFT", "blocked_words":
  [...], "blocked_input_message"?, "blocked_output_message"?}`` defines a word-blocking
  guardrail for ``guardrailConfig``, as :meth:`Emulator.add_guardrail` does (see
  :mod:`tierwise.emulator.guardrails`).
* ``POST /_emulator/reset`` forgets cached prefixes, queued faults, quirks and statistics.

Standing faults come from :class:`Faults` (``throttle_rate``, ``error_rate``, ``latency_ms``,
``cut_stream_after``, ``stream_error``, ``seed``). Queued and random faults apply to model
invocations (converse, converse-stream, invoke, invoke-with-response-stream), not to
count-tokens; random draws come from a ``random.Random(seed)`` owned by the emulator instance.
"""

from __future__ import annotations

from tierwise.emulator.faults import Faults
from tierwise.emulator.server import Emulator

__all__ = ["Emulator", "Faults"]
