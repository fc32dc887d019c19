"""A runtime call's request built from a template checked against botocore's own request.

Between the parameters and the HTTP send, botocore's ``_make_api_call`` runs ~10 layers per
call (bench/results/request_cpu.txt sections 6-10 and 15): parameter events, endpoint rules,
the user agent built twice, the request object, ``request-created``'s handlers (choosing the
signer, SigV4's canonical request, the retry headers), then the request prepared again. For
one client and one (operation, URL path, serialised headers), all of that gives the same
method, URL, headers and context every call, apart from a few values: the body, the
timestamp, the signature, the invocation id and the content length.

:func:`use_request_templates` has the client's ``_make_api_call`` build those calls from a
template instead. The template is made from a call botocore made itself: its request, as
sent, is recorded; then the same call is built from the template with that call's timestamp,
invocation id and credentials, and kept only if every byte, header (in order, with its type)
and context entry is the same. Per call, still botocore's: the validation and serialisation
(the client's serializer), ``before-call``'s handlers, the credentials (frozen per call by
the signer's ``get_auth_instance``; a call whose credentials need a refresh goes botocore's
way), and everything from the send on (``before-send``, the parse, ``needs-retry``'s
classification and quota, ``after-call``, the modelled error classes), apart from a 2xx
answer's parse, which :mod:`tierwise.bedrock.responding` reads as botocore would. The
signer's choice (``choose-signer``: botocore's two handlers read the static context, the
client's config and whether a bearer token is in the environment) is the template's while
that token's presence is unchanged; a call that finds it changed goes botocore's way.

A call goes botocore's own way whenever the template cannot be shown to hold for it: its
serialised URL path, headers or query differ from every template's; a handler was registered
or unregistered since its template was checked (botocore replaces its lookup cache on each),
or a skipped event (``provide-client-params``, ``before-parameter-build``,
``before-endpoint-resolution``, ``request-created``, ``before-sign``, ``choose-signer``) or
``before-call`` (run again when a template is checked) has a handler other than botocore's
defaults and tierwise's read bound (the Stubber, a user's, a plugin's); its
``before-call`` handlers left other headers or answered; the credentials, bearer token, the
environment's bearer token presence or the context's features differ from its template's; a
signer other than SigV4 or bearer, or an unsigned payload; botocore logging at DEBUG (its
log kept); a client whose retries are not the single attempt tierwise configures.
tests/bedrock/test_templates.py compares calls both ways.
"""

from __future__ import annotations

import contextvars
import hmac
import logging
import uuid
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

import botocore
import botocore.auth
from botocore.auth import SIGNED_HEADERS_BLACKLIST, SIGV4_TIMESTAMP, BearerAuth, SigV4Auth
from botocore.awsrequest import AWSPreparedRequest
from botocore.client import BaseClient
from botocore.context import get_context, start_as_current_context
from botocore.credentials import RefreshableCredentials
from botocore.history import get_global_history_recorder
from botocore.hooks import EventAliaser
from botocore.retries.standard import (
    MaxAttemptsChecker,
    RetryEventAdapter,
    RetryHandler,
    RetryPolicy,
    StandardRetryConditions,
)
from botocore.utils import get_token_from_environment

from tierwise.bedrock.header_keys import HeaderKey, headers_from
from tierwise.bedrock.responding import Answers
from tierwise.bedrock.signing import FastSigV4Auth, canonical_url_parts, host_of, signing_key

__all__ = ["RequestTemplates", "use_request_templates"]

_SKIP = frozenset(SIGNED_HEADERS_BLACKLIST)
_EMPTY_SHA256 = sha256(b"").hexdigest()
# The loggers whose debug records a templated call would not write.
_LOGS = tuple(
    logging.getLogger(f"botocore.{name}")
    for name in ("client", "endpoint", "hooks", "auth", "handlers", "regions", "signers")
)
# Context entries set before a call's send that are the same for every call of one template;
# any other entry than these and the per-call ones refuses the template.
_STATIC = frozenset(
    (
        "client_region",
        "client_config",
        "has_streaming_input",
        "auth_type",
        "unsigned_payload",
        "auth_options",
        "endpoint_properties",
        "signing",
    )
)
_PER_CALL = frozenset(("retries", "timestamp", "read_timeout"))
# What botocore's standard retry handler logs at DEBUG while it decides (a call with it on
# emits needs-retry, so the log is kept).
_RETRY_LOG = logging.getLogger("botocore.retries.standard")
# The handlers botocore itself registers on the events a templated call does not emit; their
# effect is in the template (and checked when it is made): anything else refuses it.
_DEFAULTS = {
    "provide-client-params": frozenset(),
    "before-parameter-build": frozenset(
        (
            ("botocore.handlers", "generate_idempotent_uuid"),
            ("botocore.handlers", "_handle_request_validation_mode_member"),
        )
    ),
    "before-endpoint-resolution": frozenset(),
    "request-created": frozenset(
        (
            ("botocore.signers", "RequestSigner.handler"),
            ("botocore.retries.standard", "MaxAttemptsSeeder.seed_max_attempts"),
            ("botocore.useragent", "UserAgentString.rebuild_and_replace_user_agent_handler"),
            ("botocore.handlers", "add_retry_headers"),
        )
    ),
    "before-sign": frozenset(),
    # Emitted by a templated call too, but also again when a template is checked or a call
    # turns back to botocore's way after them: only handlers that may run twice.
    "before-call": frozenset(
        (
            ("tierwise.bedrock.session", "_bound_reads.<locals>.bound_read"),
            ("botocore.handlers", "add_recursion_detection_header"),
            ("botocore.handlers", "inject_api_version_header_if_needed"),
        )
    ),
    "choose-signer": frozenset(
        (
            ("botocore.handlers", "set_operation_specific_signer"),
            ("botocore.handlers", "_set_auth_scheme_preference_signer"),
        )
    ),
}
_OPERATION_WIDE = frozenset(("before-endpoint-resolution",))

# The call being made botocore's way so that a template can be made from it: its request and
# context as botocore sent them.
_RECORDING: contextvars.ContextVar[list[tuple[Any, dict[str, Any]]] | None] = (
    contextvars.ContextVar("tierwise_template_recording", default=None)
)
_MISS = object()
# botocore's module and class, read at call time (get_current_datetime is the clock tests
# fix) and for a private method not in botocore's stubs.
_BOTOCORE_AUTH: Any = botocore.auth
_BASE_CLIENT: Any = BaseClient
# The keys of the headers a templated call sets itself, in botocore's HeadersDict form.
_DATE = HeaderKey("X-Amz-Date")
_TOKEN = HeaderKey("X-Amz-Security-Token")
_AUTHORIZATION = HeaderKey("Authorization")
_INVOCATION = HeaderKey("amz-sdk-invocation-id")
_SDK_REQUEST = HeaderKey("amz-sdk-request")
_LENGTH = HeaderKey("Content-Length")


@dataclass(frozen=True)
class _Template:
    """What every call of one (operation, URL path, serialised headers) shares."""

    cache: Any  # botocore's lookup cache when the template was checked
    url: str
    user_agent: str
    headers: tuple[tuple[str, str], ...]  # the request's headers after before-call
    context: dict[str, Any]  # the static context entries
    signature_version: str
    bearer_env: bool  # whether botocore saw a bearer token in the environment
    identity: tuple[Any, ...]  # the credentials or bearer token signed with
    features: frozenset[str]  # botocore's context features once signer and keys are known
    stream_output: bool
    max_attempts: Any
    # needs-retry's only handler is botocore's standard retry handler allowing one attempt,
    # whose answer to a 2xx response is known (see RequestTemplates._no_retry).
    no_retry_known: bool
    # SigV4: the canonical request around its timestamp, scope parts; None for bearer.
    canonical_head: str | None
    canonical_tail: str | None
    region: str
    service: str
    signed_headers: str  # SigV4's SignedHeaders list
    # The prepared request's headers as far as they are the same every call (encoded, as
    # Endpoint.prepare_request leaves them), keyed as botocore's HeadersDict keys them.
    table: dict[Any, bytes]


@dataclass
class _Built:
    prepared: Any
    request_dict: dict[str, Any]
    context: dict[str, Any]
    identity: tuple[Any, ...]
    features: frozenset[str]
    signature_version: str
    bearer_env: bool
    region: str
    service: str


class RequestTemplates:
    """``_make_api_call`` of one client with templated requests (see the module)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._stock = client._make_api_call
        self._events: Any = client.meta.events
        self._emitter = self._events._emitter
        self._endpoint = client._endpoint
        self._signer = client._request_signer
        self._serializer = client._serializer
        self._model = client.meta.service_model
        self._service_id = self._model.service_id.hyphenize()
        self._templates: dict[tuple[Any, ...], _Template | None] = {}
        self._answers = Answers(client)

    # -- a call ----------------------------------------------------------------------

    def make_api_call(self, operation_name: str, api_params: dict[str, Any]) -> Any:
        if _RECORDING.get() is not None:
            return self._stock(operation_name, api_params)
        for log in _LOGS:
            if log.isEnabledFor(logging.DEBUG):
                return self._stock(operation_name, api_params)
        operation_model = self._model.operation_model(operation_name)
        with start_as_current_context():
            answer = self._templated(operation_name, operation_model, api_params)
        if answer is not _MISS:
            return answer
        return self._record(operation_name, operation_model, api_params)

    def _templated(self, operation_name: str, operation_model: Any, api_params: Any) -> Any:
        try:
            request_dict = self._serializer.serialize_to_request(api_params, operation_model)
        except Exception:
            return _MISS  # botocore's own way raises it (after its events, as it does)
        key = _key(operation_name, request_dict)
        template = None if key is None else self._templates.get(key, _MISS)
        if template is None:
            return _MISS  # refused: botocore's way
        if template is _MISS:
            return _MISS
        assert isinstance(template, _Template)
        if template.cache is not self._emitter._lookup_cache:
            self._templates.clear()  # a handler came or went: check every template again
            return _MISS
        built = self._build(operation_name, operation_model, request_dict, template, None)
        if built is None:
            return _MISS
        get_global_history_recorder().record(
            "API_CALL",
            {
                "service": self._model.service_name,
                "operation": operation_name,
                "params": api_params,
            },
        )
        return self._send(operation_name, operation_model, built, template.no_retry_known)

    def _send(
        self, operation_name: str, operation_model: Any, built: _Built, no_retry_known: bool
    ) -> Any:
        """``_make_request`` and the rest of ``_make_api_call``, as botocore runs them."""
        context = built.context
        endpoint = self._endpoint
        events = self._events
        try:
            success, exception = self._answers.get_response(
                built.prepared, operation_model, context
            )
            if (
                no_retry_known
                and success is not None
                and success[0].status_code < 300
                and not _RETRY_LOG.isEnabledFor(logging.DEBUG)
            ):
                _no_retry(built.request_dict, success[1])
            elif endpoint._needs_retry(1, operation_model, built.request_dict, success, exception):
                # Not reached with the single attempt use_request_templates requires.
                raise RuntimeError("a templated call was to be retried by botocore")
            if success is not None and "ResponseMetadata" in success[1]:
                success[1]["ResponseMetadata"]["RetryAttempts"] = 0
            if exception is not None:
                raise exception
        except Exception as exc:
            events.emit(
                f"after-call-error.{self._service_id}.{operation_name}",
                exception=exc,
                context=context,
            )
            raise
        http, parsed = success
        events.emit(
            f"after-call.{self._service_id}.{operation_name}",
            http_response=http,
            parsed=parsed,
            model=operation_model,
            context=context,
        )
        if http.status_code >= 300:
            error_code = context.get("error_code_override") or parsed.get("Error", {}).get("Code")
            raise self._client.exceptions.from_code(error_code)(parsed, operation_name)
        return parsed

    # -- building a request ----------------------------------------------------------

    def _build(
        self,
        operation_name: str,
        operation_model: Any,
        request_dict: dict[str, Any],
        template: _Template,
        recorded: tuple[Any, dict[str, Any]] | None,
    ) -> _Built | None:
        """The prepared request of this call from ``template``, or None: botocore's way.
        ``recorded``: the request and context botocore sent, whose timestamp and invocation
        id are used (a template being checked)."""
        body = request_dict["body"]
        if type(body) is not bytes:
            return None
        context = dict(template.context)
        headers = request_dict["headers"]
        headers["User-Agent"] = template.user_agent
        request_dict["url"] = template.url
        request_dict["context"] = context
        _, answered = self._events.emit_until_response(
            f"before-call.{self._service_id}.{operation_name}",
            model=operation_model,
            params=request_dict,
            request_signer=self._signer,
            context=context,
        )
        if answered is not None or (
            recorded is None and tuple(headers.items()) != template.headers
        ):
            return None
        if recorded is None:
            invocation = str(uuid.uuid4())
        else:
            invocation = recorded[1]["retries"]["invocation-id"]
        context["retries"] = {"attempt": 1, "invocation-id": invocation}
        signer = self._signer
        credentials = getattr(signer, "_credentials", None)
        if isinstance(credentials, RefreshableCredentials) and credentials.refresh_needed():
            return None  # botocore's way refreshes them, with its features in its context
        # choose-signer's handlers (botocore's two, _check makes sure) read the static
        # context, the client's config and whether a bearer token is in the environment:
        # with the same token presence, the same choice (and user-agent feature) as the
        # template's.
        bearer_env = get_token_from_environment(signer.signing_name) is not None
        if recorded is None:
            if bearer_env is not template.bearer_env:
                return None
            signature_version = template.signature_version
            before: frozenset[str] = frozenset()
        else:
            signature_version = signer._choose_signer(operation_name, "standard", context)
            ctx = get_context()
            before = frozenset(() if ctx is None else ctx.features)
        signing = context.get("signing", {})
        if not context.get("payload_signing_enabled", True) or any(
            signing.get(name) for name in ("request_credentials", "identity_cache")
        ):
            return None
        auth = signer.get_auth_instance(
            signing_name=signing.get("signing_name") or signer.signing_name,
            region_name=signing.get("region") or signer.region_name,
            signature_version=signature_version,
        )
        identity = _identity(auth)
        ctx = get_context()
        # The features freezing the credentials registered (a refresh's): none, as a rule.
        features = frozenset(() if ctx is None or not ctx.features else ctx.features - before)
        if identity is None or (
            recorded is None and (identity != template.identity or features != template.features)
        ):
            return None
        retries = context["retries"]
        retries["max"] = template.max_attempts
        # Endpoint.prepare_request's headers: every value encoded, Content-Length added.
        if template.table:
            table = template.table.copy()
        else:
            table = {HeaderKey(name): value.encode("utf-8") for name, value in headers.items()}
        if type(auth) is BearerAuth:
            table[_AUTHORIZATION] = f"Bearer {identity[1]}".encode()
        else:
            if recorded is None:
                stamp = _BOTOCORE_AUTH.get_current_datetime().strftime(SIGV4_TIMESTAMP)
            else:
                stamp = recorded[1]["timestamp"]
            context["timestamp"] = stamp
            _, access_key, secret_key, token = identity
            table[_DATE] = stamp.encode()
            if token:
                table[_TOKEN] = token.encode("utf-8")
            scope = f"{stamp[0:8]}/{template.region}/{template.service}/aws4_request"
            digest = sha256(body).hexdigest() if body else _EMPTY_SHA256
            canonical = f"{template.canonical_head}{stamp}{template.canonical_tail}{digest}"
            to_sign = (
                f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n"
                f"{sha256(canonical.encode('utf-8')).hexdigest()}"
            )
            key = signing_key(secret_key, stamp[0:8], template.region, template.service)
            signature = hmac.new(key, to_sign.encode("utf-8"), sha256).hexdigest()
            table[_AUTHORIZATION] = (
                f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                f"SignedHeaders={template.signed_headers}, Signature={signature}"
            ).encode()
        table[_INVOCATION] = invocation.encode()
        table[_SDK_REQUEST] = f"attempt=1; max={template.max_attempts}".encode()
        table[_LENGTH] = str(len(body))  # type: ignore[assignment]  # (str, as botocore's)
        # (botocore's stubs say HTTPHeaders; botocore passes a HeadersDict here)
        headers_arg: Any = headers_from(table)
        prepared = AWSPreparedRequest(
            request_dict["method"],
            template.url,
            headers_arg,
            body or None,
            template.stream_output,
            context,
        )
        return _Built(
            prepared,
            request_dict,
            context,
            identity,
            features,
            signature_version,
            bearer_env,
            getattr(auth, "_region_name", ""),
            getattr(auth, "_service_name", ""),
        )

    # -- making a template -----------------------------------------------------------

    def _record(self, operation_name: str, operation_model: Any, api_params: Any) -> Any:
        """botocore's own call, then a template from it when it proves the same."""
        cache = self._emitter._lookup_cache
        recorded: list[tuple[Any, dict[str, Any]]] = []
        token = _RECORDING.set(recorded)
        try:
            return self._stock(operation_name, api_params)
        finally:
            _RECORDING.reset(token)
            if len(recorded) == 1 and cache is self._emitter._lookup_cache:
                self._learn(operation_name, operation_model, api_params, recorded[0], cache)

    def _learn(
        self,
        operation_name: str,
        operation_model: Any,
        api_params: Any,
        recorded: tuple[Any, dict[str, Any]],
        cache: Any,
    ) -> None:
        try:
            request_dict = self._serializer.serialize_to_request(api_params, operation_model)
        except Exception:
            return
        key = _key(operation_name, request_dict)
        if key is None:
            return
        template = None
        with start_as_current_context():
            try:
                template = self._check(
                    operation_name, operation_model, request_dict, recorded, cache
                )
            except Exception:
                template = None  # anything unforeseen: this key stays botocore's
        self._templates[key] = template

    def _check(
        self,
        operation_name: str,
        operation_model: Any,
        request_dict: dict[str, Any],
        recorded: tuple[Any, dict[str, Any]],
        cache: Any,
    ) -> _Template | None:
        """A template from botocore's request and context, when a call built from it
        gives that request and context byte for byte."""
        request, context = recorded
        if not self._defaults_only(operation_name, operation_model, cache):
            return None
        extra = set(context) - _STATIC - _PER_CALL
        if extra or operation_model.idempotent_members or operation_model.http_checksum:
            return None
        static = {k: v for k, v in context.items() if k in _STATIC}
        sent = list(request.headers.items())
        user_agent = dict(sent).get("User-Agent")
        if type(user_agent) is not bytes:
            return None
        stream_output = bool(
            operation_model.has_streaming_output or operation_model.has_event_stream_output
        )
        # A first build learns the signer and the headers before signing; the second,
        # with them in the template, must give botocore's request exactly.
        draft = _Template(
            cache=cache,
            url=request.url,
            user_agent=user_agent.decode("utf-8"),
            headers=(),
            context=static,
            signature_version="",
            bearer_env=False,
            identity=(),
            features=frozenset(),
            stream_output=stream_output,
            max_attempts=context["retries"].get("max"),
            no_retry_known=self._standard_retry_only(operation_name, cache),
            canonical_head="",
            canonical_tail="\n\nnone\n",
            region="",
            service="",
            signed_headers="",
            table={},
        )
        try:
            built = self._build(
                operation_name,
                operation_model,
                dict(request_dict, headers=dict(request_dict["headers"])),
                draft,
                recorded,
            )
        except Exception:
            return None
        if built is None:
            return None
        headers = tuple(built.request_dict["headers"].items())
        head = tail = None
        if built.identity[0] == "sigv4":
            head, tail = _canonical_parts(request_dict["method"], request.url, headers, built)
        template = _replace(
            draft,
            headers=headers,
            signature_version=built.signature_version,
            bearer_env=built.bearer_env,
            identity=built.identity,
            features=built.features,
            canonical_head=head,
            canonical_tail=tail,
            region=built.region,
            service=built.service,
            signed_headers="" if tail is None else tail.rsplit("\n", 2)[-2],
            table={HeaderKey(name): value.encode("utf-8") for name, value in headers},
        )
        final = self._build(
            operation_name,
            operation_model,
            dict(request_dict, headers=dict(request_dict["headers"])),
            template,
            recorded,
        )
        if final is None or not _same(final.prepared, request, context):
            return None
        return template

    def _defaults_only(self, operation_name: str, operation_model: Any, cache: Any) -> bool:
        for event, allowed in _DEFAULTS.items():
            name = f"{event}.{self._service_id}"
            if event not in _OPERATION_WIDE:
                name = f"{name}.{operation_name}"
            handlers = cache.get(self._events._alias_event_name(name))
            if handlers is None:
                return False
            found = {
                (getattr(h, "__module__", None), getattr(h, "__qualname__", None)) for h in handlers
            }
            if len(found) != len(handlers) or not found <= allowed:
                return False
        return operation_model is not None

    def _standard_retry_only(self, operation_name: str, cache: Any) -> bool:
        """Whether this operation's needs-retry has one handler, botocore's standard
        RetryHandler.needs_retry as botocore builds it for one attempt (checked with the
        template; a handler registered or unregistered since makes the template's check
        again)."""
        name = f"needs-retry.{self._service_id}.{operation_name}"
        handlers = cache.get(self._events._alias_event_name(name))
        if handlers is None or len(handlers) != 1:
            return False
        (handler,) = handlers
        owner = getattr(handler, "__self__", None)
        if type(owner) is not RetryHandler or handler.__func__ is not RetryHandler.needs_retry:
            return False
        policy = getattr(owner, "_retry_policy", None)
        checker = getattr(policy, "_retry_checker", None)
        attempts = getattr(checker, "_max_attempts_checker", None)
        return (
            type(policy) is RetryPolicy
            and type(checker) is StandardRetryConditions
            and type(attempts) is MaxAttemptsChecker
            and getattr(attempts, "_max_attempts", None) == 1
            and type(getattr(owner, "_retry_event_adapter", None)) is RetryEventAdapter
        )

    def recording(self, request: Any, context: dict[str, Any]) -> None:
        """Keep what botocore sends while a call is recorded (from ``_get_response``)."""
        recorded = _RECORDING.get()
        if recorded is not None:
            retries = dict(context.get("retries", {}))
            recorded.append((request, dict(context, retries=retries)))


def _no_retry(request_dict: dict[str, Any], parsed: dict[str, Any]) -> None:
    """What botocore's standard retry handler does with a first attempt's 2xx answer when
    one attempt is allowed (its needs_retry, worked out: ~40 k instructions a call as an
    event): the retry context's ``max`` kept at least 1, the answer marked
    ``MaxAttemptsReached``, no retry (its other checks are not reached, and its quota is
    neither taken nor given back)."""
    retries = request_dict["context"].get("retries")
    if retries:
        retries["max"] = max(retries.get("max", 0), 1)
    parsed.setdefault("ResponseMetadata", {}).update({"MaxAttemptsReached": True})


def _replace(template: _Template, **changes: Any) -> _Template:
    fields = dict(template.__dict__)
    fields.update(changes)
    return _Template(**fields)


def _key(operation_name: str, request_dict: dict[str, Any]) -> tuple[Any, ...] | None:
    if request_dict.get("query_string") or request_dict.get("host_prefix"):
        return None
    headers = request_dict["headers"]
    for name, value in headers.items():
        if type(name) is not str or type(value) is not str or not value.isascii():
            return None
    return (
        operation_name,
        request_dict["method"],
        request_dict["url_path"],
        tuple(headers.items()),
    )


def _identity(auth: Any) -> tuple[Any, ...] | None:
    """What a template's signature depends on: SigV4's frozen credentials or the bearer
    token; None for any other signer."""
    if type(auth) in (SigV4Auth, FastSigV4Auth):
        creds = auth.credentials
        if creds is None:
            return None
        return ("sigv4", creds.access_key, creds.secret_key, creds.token)
    if type(auth) is BearerAuth:
        token: Any = getattr(auth, "auth_token", None)
        return None if token is None else ("bearer", token.token)
    return None


def _canonical_parts(
    method: str, url: str, headers: tuple[tuple[str, str], ...], built: _Built
) -> tuple[str, str]:
    """SigV4's canonical request of a templated call, cut around its timestamp: the
    headers signed are the template's (less those SigV4 skips), Host, X-Amz-Date and the
    session token."""
    token = built.identity[3]
    signed: dict[str, list[str]] = {}
    for name, value in headers:
        lname = name.lower()
        if lname not in _SKIP:
            signed.setdefault(lname, []).append(value)
    signed.setdefault("host", [host_of(url)])
    signed["x-amz-date"] = ["\0"]
    if token:
        signed["x-amz-security-token"] = [token]
    names = sorted(signed)
    lines = "\n".join(
        f"{name}:{','.join(' '.join(value.split()) for value in signed[name])}"
        if name != "x-amz-date"
        else "x-amz-date:\0"
        for name in names
    )
    path, query = canonical_url_parts(url)
    canonical = "\n".join((method.upper(), path, query, lines + "\n", ";".join(names), ""))
    head, tail = canonical.split("\0")
    return head, tail


def _same(prepared: Any, request: Any, context: dict[str, Any]) -> bool:
    """Whether two prepared requests are the same on the wire and in context. A call's
    ``read_timeout`` is what is left of its deadline when its ``before-call`` handler ran
    (tierwise's read bound, run again for the check), so it differs by the time between
    the two builds: it must be there in both or in neither, not equal."""
    return bool(
        prepared.method == request.method
        and prepared.url == request.url
        and [(k, type(v), v) for k, v in prepared.headers.items()]
        == [(k, type(v), v) for k, v in request.headers.items()]
        and prepared.body == request.body
        and prepared.stream_output == request.stream_output
        and _timeless(prepared.context) == _timeless(context)
    )


def _timeless(context: dict[str, Any]) -> dict[str, Any]:
    if "read_timeout" not in context:
        return context
    return {**context, "read_timeout": type(context["read_timeout"])}


def use_request_templates(client: Any) -> bool:
    """Have ``client`` build its calls from checked templates (see the module); False
    (nothing changed) when it is not the client this module knows: botocore's own
    ``_make_api_call``, direct event dispatch (tierwise.bedrock.events), a single attempt."""
    events = getattr(getattr(client, "meta", None), "events", None)
    if (
        type(events) is not EventAliaser
        or "emit" not in vars(events)
        or type(client)._make_api_call is not _BASE_CLIENT._make_api_call
        or "_make_api_call" in vars(client)
    ):
        return False
    retries = getattr(client.meta.config, "retries", None) or {}
    if retries.get("total_max_attempts") != 1:
        return False
    endpoint: Any = getattr(client, "_endpoint", None)
    get_response = getattr(endpoint, "_get_response", None)
    if get_response is None:
        return False
    templates = RequestTemplates(client)

    def recording_get_response(request: Any, operation_model: Any, context: Any) -> Any:
        templates.recording(request, context)
        return get_response(request, operation_model, context)

    endpoint._get_response = recording_get_response
    client._make_api_call = templates.make_api_call
    return True
