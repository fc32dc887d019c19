"""A templated call's 2xx answer read without botocore's response layers, giving its answer.

After a runtime call's send, botocore's ``Endpoint._get_response`` runs ~10 steps for an
answer it then parses in a few (bench/results/request_cpu.txt, sections 17 and 20): the
history records, ``before-send``, the response dict (``convert_to_response_dict``), the
checksum step, ``before-parse``, a new parser per answer, ``ResponseParser.parse``'s
wrapper (two debug logs, the status checks, ``_do_parse``, the members' location loop,
``_parse_payload``, ``lowercase_dict`` of the headers through ``HeadersDict``'s mapping
layer), the second response dict for ``response-received``. For a 2xx answer of an
operation whose output is the JSON body (Converse, CountTokens) or one event-stream payload
(ConverseStream), what comes out is fixed by the status, the headers and the body:
``ResponseMetadata`` (``RequestId`` or ``RequestId`` and ``HostId``, ``HTTPStatusCode``,
``HTTPHeaders`` lower-cased) and the body walked by the parser's own ``_parse_shape``, or
the event stream botocore's parser makes.

:class:`Answers` reads such an answer itself, with the parser botocore's factory gives for
the protocol (one per operation, not one per answer, while the factory and its defaults are
the same: botocore's parsers hold no per-answer state) and botocore's own body parse and
shape walk. Everything else is botocore's, unchanged: any status outside 2xx (errors, their
codes, modelled fields and classes), send failures (returned as botocore returns them, for
``needs-retry``), and everything after the response (``needs-retry``'s classification and
quota, ``after-call``, ``RetryAttempts``), which
:class:`~tierwise.bedrock.templates.RequestTemplates` runs as before. A non-2xx answer
already received is handed to botocore's ``_do_get_response`` (its send then returns that
answer instead of sending again).

An operation's answers go botocore's whole way whenever this cannot be shown to give the
same: a handler on ``before-send``, ``before-parse`` or ``response-received`` (the
Stubber, a user's, a plugin's; read from botocore's lookup cache, so a register or
unregister is seen), another parser factory or defaults than the plan's, a parser other
than botocore's ``RestJSONParser`` or tierwise's
:class:`~tierwise.bedrock.parsing.FastRestJSONParser`, an output with header, status or
other payload members, a checksum to validate, botocore's history recorder enabled,
``botocore.endpoint`` or ``botocore.parsers`` logging at DEBUG. tests/bedrock/
test_responding.py compares answers both ways over the emulator's real answers.
"""

from __future__ import annotations

import contextvars
import logging
from dataclasses import dataclass
from typing import Any

from botocore import parsers
from botocore.awsrequest import HeadersDict
from botocore.history import HistoryRecorder, get_global_history_recorder
from botocore.utils import lowercase_dict

from tierwise.bedrock.header_keys import header_table
from tierwise.bedrock.parsing import FastRestJSONParser

__all__ = ["Answers"]

_LOGS = (logging.getLogger("botocore.endpoint"), logging.getLogger("botocore.parsers"))
_DEBUG = logging.DEBUG
_PARSERS: tuple[type, ...] = (parsers.RestJSONParser, FastRestJSONParser)
# The events between the send and the parsed answer; with a handler on any, botocore's way.
_SILENT = ("before-send", "before-parse", "response-received")

# (request, response): the answer botocore's send returns for that request instead of
# sending it (a non-2xx answer already received, handed to botocore's own steps).
_HANDED: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar(
    "tierwise_handed_answer", default=None
)


@dataclass(frozen=True)
class _Plan:
    """How one operation's 2xx answers are read."""

    factory: Any  # the endpoint's parser factory, which made ``parser``
    defaults: dict[str, Any]  # its defaults (blob and timestamp parsers) when it did
    parser: Any
    shape: Any  # the output shape
    stream_member: str | None  # the event-stream payload member; None: the body is JSON
    stream_shape: Any


class Answers:
    """``Endpoint._get_response`` of one client for templated calls (see the module)."""

    def __init__(self, client: Any) -> None:
        self._endpoint = client._endpoint
        self._events: Any = client.meta.events
        self._emitter = self._events._emitter
        self._service_id = client.meta.service_model.service_id.hyphenize()
        # operation name -> (botocore's lookup cache it was read from, its plan or None)
        self._plans: dict[str, tuple[Any, _Plan | None]] = {}
        endpoint = self._endpoint
        stock_send = endpoint._send

        def send(request: Any) -> Any:
            handed = _HANDED.get()
            if handed is not None and handed[0] is request:
                return handed[1]
            return stock_send(request)

        endpoint._send = send

    def get_response(
        self, request: Any, operation_model: Any, context: dict[str, Any]
    ) -> tuple[Any, Any]:
        """``(success, exception)`` as ``Endpoint._get_response`` returns them."""
        endpoint = self._endpoint
        cache = self._emitter._lookup_cache
        known = self._plans.get(operation_model.name)
        plan = (
            known[1]
            if known is not None and known[0] is cache
            else self._plan(operation_model, cache)
        )
        if (
            plan is None
            or endpoint._response_parser_factory is not plan.factory
            or plan.factory._defaults != plan.defaults
            or "checksum" in context
            or _recording(get_global_history_recorder())
            or _LOGS[0].isEnabledFor(_DEBUG)
            or _LOGS[1].isEnabledFor(_DEBUG)
        ):
            return endpoint._get_response(request, operation_model, context)  # type: ignore[no-any-return]
        try:
            http = endpoint._send(request)
        except Exception as exc:  # botocore's _do_get_response returns them all so
            return None, exc
        status = http.status_code
        if not 200 <= status < 300:
            token = _HANDED.set((request, http))
            try:
                return endpoint._do_get_response(request, operation_model, context)  # type: ignore[no-any-return]
            finally:
                _HANDED.reset(token)
        headers = http.headers
        if type(headers) is HeadersDict:
            # lowercase_dict's: each name as HeadersDict's key holds it lower-cased
            fields = header_table(headers)
            lowered = {key._lower: value for key, value in fields.items()}
        else:
            lowered = lowercase_dict(headers)
        metadata: dict[str, Any] = {}
        if "x-amzn-requestid" in lowered:
            metadata["RequestId"] = lowered["x-amzn-requestid"]
        elif "x-amz-request-id" in lowered:
            metadata["RequestId"] = lowered["x-amz-request-id"]
            metadata["HostId"] = lowered.get("x-amz-id-2", "")
        parser = plan.parser
        parsed: dict[str, Any] = {"ResponseMetadata": metadata}
        if plan.stream_member is None:
            parsed.update(parser._parse_shape(plan.shape, parser._initial_body_parse(http.content)))
        else:
            response_dict = {
                "headers": headers,
                "status_code": status,
                "context": {"operation_name": operation_model.name},
                "body": http.raw,
            }
            parsed[plan.stream_member] = parser._create_event_stream(
                response_dict, plan.stream_shape
            )
        metadata["HTTPStatusCode"] = status
        metadata["HTTPHeaders"] = lowered
        return (http, parsed), None

    def _plan(self, operation_model: Any, cache: Any) -> _Plan | None:
        """The operation's plan, kept until botocore's lookup cache changes; None: botocore's
        way (not kept while an event is not in that cache yet)."""
        name = operation_model.name
        plan = None
        for event in _SILENT:
            aliased = self._events._alias_event_name(f"{event}.{self._service_id}.{name}")
            handlers = cache.get(aliased)
            if handlers is None:
                return None  # botocore has not looked it up since its last change
            if len(handlers):
                break
        else:
            plan = self._make_plan(operation_model)
        self._plans[name] = (cache, plan)
        return plan

    def _make_plan(self, operation_model: Any) -> _Plan | None:
        protocol = operation_model.service_model.resolved_protocol
        if protocol != "rest-json" or operation_model.has_streaming_output:
            return None
        shape = operation_model.output_shape
        if shape is None or shape.type_name != "structure":
            return None
        factory = self._endpoint._response_parser_factory
        defaults = getattr(factory, "_defaults", None)
        parser = factory.create_parser(protocol)
        if type(parser) not in _PARSERS or type(defaults) is not dict:
            return None
        payload = shape.serialization.get("payload")
        stream_member = stream_shape = None
        for member_name, member in shape.members.items():
            if "location" in member.serialization:
                return None
            if member_name == payload:
                if not member.serialization.get("eventstream"):
                    return None
                stream_member, stream_shape = member_name, member
        if (payload is not None and stream_member is None) or bool(
            operation_model.has_event_stream_output
        ) is not (stream_member is not None):
            return None
        return _Plan(factory, dict(defaults), parser, shape, stream_member, stream_shape)


def _recording(history: HistoryRecorder) -> bool:
    """Whether botocore's history recorder records (its HTTP_RESPONSE and PARSED_RESPONSE
    records are botocore's steps')."""
    return bool(getattr(history, "_enabled", True))
