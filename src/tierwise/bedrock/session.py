"""boto3 clients for Bedrock, built from Settings: endpoint, timeouts, pool and credentials.

Credentials come from boto3's standard chain (environment, shared profile including SSO,
container or instance role), which is left alone apart from an optional profile name.
Bedrock API keys use botocore's own bearer support: with ``AWS_BEARER_TOKEN_BEDROCK`` set,
botocore signs ``bedrock``/``bedrock-runtime`` calls with ``Authorization: Bearer``; a token
passed explicitly is fed to botocore's token-provider chain and bearer signing is selected.
Neither the token nor any credential is ever logged or put in a repr.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from tierwise.config import Settings
from tierwise.errors import ConfigError

if TYPE_CHECKING:
    import botocore.session
    from mypy_boto3_bedrock.client import BedrockClient as ControlPlaneClient
    from mypy_boto3_bedrock_runtime.client import BedrockRuntimeClient

__all__ = ["AwsAuth", "control_client", "is_loopback", "is_loopback_host", "runtime_client"]

BEARER_ENV = "AWS_BEARER_TOKEN_BEDROCK"
# Enough sockets for the async wrapper's thread pool and the gateway's concurrency; botocore's
# default of 10 makes the 11th concurrent call wait for a free connection.
MAX_POOL_CONNECTIONS = 50
# Only ever used against a loopback emulator, which checks no signature.
_EMULATOR_KEY = "tierwise-emulator"


@dataclass(frozen=True)
class AwsAuth:
    """Which AWS identity to use; the default means boto3's standard chain.

    ``bearer_token`` is a Bedrock API key; when None, botocore still picks up
    ``AWS_BEARER_TOKEN_BEDROCK`` from the environment by itself.
    """

    profile: str | None = None
    bearer_token: str | None = field(default=None, repr=False)


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (the built-in emulator, never AWS)."""
    return is_loopback_host(urlsplit(url).hostname or "")


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name or an address, no port) is this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def runtime_client(
    settings: Settings, auth: AwsAuth | None = None, *, green: bool = False
) -> BedrockRuntimeClient:
    """A ``bedrock-runtime`` client (Converse, ConverseStream, CountTokens). ``green``: its
    hot-path I/O runs on the event loop when called under
    :func:`~tierwise.bedrock.green.run_bridged` (the async client)."""
    client: BedrockRuntimeClient = _client(
        "bedrock-runtime", settings, auth or AwsAuth(), green=green
    )
    return client


def control_client(settings: Settings, auth: AwsAuth | None = None) -> ControlPlaneClient:
    """A ``bedrock`` control-plane client (model and inference-profile listing, batch jobs)."""
    client: ControlPlaneClient = _client("bedrock", settings, auth or AwsAuth())
    return client


def _client(
    service: Literal["bedrock-runtime", "bedrock"],
    settings: Settings,
    auth: AwsAuth,
    *,
    green: bool = False,
) -> Any:
    import boto3
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    from tierwise.bedrock.endpoints import use_endpoint_params_cache
    from tierwise.bedrock.errors import translate
    from tierwise.bedrock.events import use_direct_events
    from tierwise.bedrock.parsing import use_fast_parser
    from tierwise.bedrock.preparing import use_fast_prepare
    from tierwise.bedrock.serializing import use_fast_serializer
    from tierwise.bedrock.signing import use_fast_sigv4
    from tierwise.bedrock.templates import use_request_templates
    from tierwise.bedrock.validating import use_fast_validation

    endpoint = settings.endpoint_url or None
    plain_http = bool(endpoint) and urlsplit(endpoint or "").scheme == "http"
    loopback = bool(endpoint) and is_loopback(endpoint or "")
    if auth.bearer_token and plain_http and not loopback:
        raise ConfigError(
            f"a Bedrock API key cannot be sent to {endpoint} over plain HTTP",
            hint="use an https:// endpoint_url, or SigV4 credentials instead of the API key",
        )

    config_args: dict[str, Any] = {
        "region_name": settings.region,
        "connect_timeout": settings.retry.connect_timeout_s,
        "read_timeout": settings.retry.read_timeout_s,
        # botocore must not retry on its own: tierwise's loop does the backoff, the failover
        # to alternate profiles and the cooldown, and records every attempt in the ledger.
        # (``max_attempts: 1`` still sends two requests; ``total_max_attempts`` sends one.)
        "retries": {"total_max_attempts": 1, "mode": "standard"},
        "max_pool_connections": MAX_POOL_CONNECTIONS,
        "tcp_keepalive": True,
        "user_agent_extra": "tierwise",
    }
    core = botocore.session.Session(profile=auth.profile)
    if plain_http:
        # botocore refuses bearer tokens without TLS; pinning SigV4 keeps an exported
        # AWS_BEARER_TOKEN_BEDROCK from breaking calls to the local emulator.
        config_args["signature_version"] = "v4"
    elif auth.bearer_token:
        _give_token(core, auth.bearer_token)
        config_args["signature_version"] = "bearer"

    client_args: dict[str, Any] = {"config": Config(**config_args)}
    if endpoint:
        client_args["endpoint_url"] = endpoint
    try:
        if loopback and core.get_credentials() is None:
            client_args["aws_access_key_id"] = _EMULATOR_KEY
            client_args["aws_secret_access_key"] = _EMULATOR_KEY
        client = boto3.Session(botocore_session=core).client(service, **client_args)
    except BotoCoreError as exc:
        raise translate(exc, model_id=None) from None
    if service == "bedrock-runtime" and (green or settings.retry.http_client == "lean"):
        _lean_transport(client, core, settings, green=green)
    if service == "bedrock-runtime":
        _bound_reads(client, settings)
    if service == "bedrock-runtime" and settings.retry.botocore_fast_paths:
        use_fast_sigv4(client)
        use_fast_parser(client)
        use_fast_prepare(client)
        use_endpoint_params_cache(client)
        use_fast_serializer(client)
        use_fast_validation(client)
        use_direct_events(client)
        use_request_templates(client)
    return client


def _bound_reads(client: Any, settings: Settings) -> None:
    """Under botocore's own HTTP session (the default, or any proxy), a call's reads wait
    within its deadline through botocore's per-request ``read_timeout`` (botocore has no
    per-request connect timeout: that stays ``connect_timeout_s``). The lean transports
    bound every wait themselves (:func:`tierwise.bedrock.transport.bounded`)."""
    from tierwise.bedrock.transport import LeanTransport, current_bound

    endpoint: Any = getattr(client, "_endpoint", None)
    if isinstance(getattr(endpoint, "http_session", None), LeanTransport):
        return
    configured = settings.retry.read_timeout_s

    def bound_read(context: dict[str, Any], **_: Any) -> None:
        bound = current_bound()
        if bound is not None:
            # A floor: botocore takes 0 for "no timeout"; the wait ends at once either way.
            context["read_timeout"] = max(bound.read(configured), 0.001)

    client.meta.events.register("before-call.bedrock-runtime", bound_read)


def _lean_transport(
    client: Any, core: botocore.session.Session, settings: Settings, *, green: bool = False
) -> None:
    """Put :mod:`tierwise.bedrock.transport` under the client, unless a proxy applies
    (botocore's own session then goes through it)."""
    import os

    from botocore.utils import get_environ_proxies

    from tierwise.bedrock.aio_transport import GreenTransport
    from tierwise.bedrock.transport import LeanTransport

    url = client.meta.endpoint_url
    endpoint: Any = getattr(client, "_endpoint", None)
    fallback = getattr(endpoint, "http_session", None)
    if fallback is None or get_environ_proxies(url).get(urlsplit(url).scheme):
        return  # (no http_session: a botocore whose internals moved keeps its own client)
    # botocore's own order: ca_bundle (AWS_CA_BUNDLE or the profile), REQUESTS_CA_BUNDLE,
    # then its default bundle.
    verify = core.get_config_variable("ca_bundle") or os.environ.get("REQUESTS_CA_BUNDLE")
    transport = GreenTransport if green else LeanTransport
    endpoint.http_session = transport(
        fallback,
        connect_timeout=settings.retry.connect_timeout_s,
        read_timeout=settings.retry.read_timeout_s,
        max_pool=MAX_POOL_CONNECTIONS,
        verify=verify or True,
        tcp_keepalive=True,
    )


def _give_token(core: botocore.session.Session, token: str) -> None:
    from botocore.tokens import ScopedEnvTokenProvider

    # botocore's own provider, reading from a private mapping instead of os.environ, put in
    # front of the chain: the explicit key wins over the environment and SSO.
    chain = core.get_component("token_provider")
    chain.insert_before("env", ScopedEnvTokenProvider(core, environ={BEARER_ENV: token}))
