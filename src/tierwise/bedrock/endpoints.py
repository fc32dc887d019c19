"""The endpoint ruleset's parameters worked out once per set of built-in values.

Before every call botocore gathers the endpoint ruleset's parameters
(``EndpointRulesetResolver._get_provider_params``): it copies the client's built-ins (region,
FIPS, dual-stack, endpoint URL), lets ``before-endpoint-resolution`` handlers change the copy,
then for each parameter looks for a static, dynamic, operation or client context value before
taking the built-in (checking its name against botocore's list of built-ins each time).
For bedrock-runtime every parameter is a built-in, so the result depends only on the
built-in values the handlers leave.

:func:`use_endpoint_params_cache` keeps that result per operation and per tuple of those
values: the copy and the event still happen on every call (a handler still sees and can change
them, and a changed value is a new key), the per-parameter search does not. Operations with
context parameters, a service with client context parameters, built-ins botocore does not
know and built-in values that are callables (resolved per call) go to botocore's own method.
botocore still resolves the rules (its provider keeps its own cache) and still registers the
feature ids it registers per parameter. tests/bedrock/test_botocore_fast.py compares the
URLs and headers sent with stock botocore's (regions, endpoint_url, FIPS, dual-stack).
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.regions import EndpointResolverBuiltins, EndpointRulesetResolver

__all__ = ["use_endpoint_params_cache"]

_KNOWN_BUILTINS = frozenset(b.value for b in EndpointResolverBuiltins)
_RESOLVER: Any = EndpointRulesetResolver  # (its names are private: not in botocore's stubs)
_MAX = 64


def use_endpoint_params_cache(client: Any) -> bool:
    """Cache ``client``'s endpoint ruleset parameters (see the module); False (nothing
    changed) when its resolver is not botocore's or its ruleset has parameters that are
    not all built-ins."""
    resolver: Any = getattr(client, "_ruleset_resolver", None)
    if type(resolver) is not _RESOLVER:
        return False
    stock = resolver._get_provider_params
    if getattr(stock, "_tierwise_fast", False):
        return False
    definitions = resolver._param_definitions
    plan: list[tuple[str, str]] = []
    for name, definition in definitions.items():
        if definition.builtin is None or definition.builtin not in _KNOWN_BUILTINS:
            return False
        plan.append((name, definition.builtin))
    if list(resolver._service_model.client_context_parameters):
        return False
    cache: dict[tuple[str, tuple[Any, ...]], dict[str, Any]] = {}
    lock = threading.Lock()

    def get_provider_params(
        operation_model: Any, call_args: Any, request_context: Any
    ) -> dict[str, Any]:
        if (
            operation_model.static_context_parameters
            or operation_model.context_parameters
            or operation_model.operation_context_parameters
        ):
            return stock(operation_model, call_args, request_context)  # type: ignore[no-any-return]
        builtins = resolver._get_customized_builtins(operation_model, call_args, request_context)
        values = tuple(builtins.get(builtin) for _, builtin in plan)
        key = (operation_model.name, values)
        keep = True
        try:
            params = cache.get(key)
        except TypeError:  # a value a handler set that cannot be a key: not kept
            params, keep = None, False
        if params is None:
            params = {}
            for (name, _), given in zip(plan, values, strict=True):
                value = given() if callable(given) else given
                if value is not None:
                    params[name] = value
            if keep and not any(callable(value) for value in values):
                with lock:
                    if len(cache) >= _MAX:
                        cache.clear()
                    cache[key] = params
        for name, value in params.items():
            resolver._register_endpoint_feature_ids(name, value)
        return dict(params)

    get_provider_params._tierwise_fast = True  # type: ignore[attr-defined]
    resolver._get_provider_params = get_provider_params
    return True
