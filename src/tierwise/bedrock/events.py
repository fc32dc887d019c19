"""botocore's event dispatch for the runtime client, without the layers around each handler.

A botocore call emits 12 events through the client's ``EventAliaser`` (provide-client-params,
before-parameter-build, before-endpoint-resolution, before-call, request-created,
choose-signer, before-sign, before-send, before-parse, response-received, needs-retry,
after-call); 6 of them have no handler on a bedrock-runtime client. Each emit still goes
through the alias lookup, a second copy of its keyword arguments into
``HierarchicalEmitter.emit``, the emitter's lookup cache and one ``logger.debug`` per
handler, and its caller builds the event name from ``service_id.hyphenize()``.

:func:`use_direct_events` has the client's emitter answer ``emit`` and
``emit_until_response`` from a table of event name -> (aliased name, handlers), filled from
botocore's own lookup cache once botocore has answered that name: the same handlers in the
same order, called with the same keyword arguments (``event_name`` the aliased name), the
same return values. Nothing botocore would run is skipped. Two callers' work that only
feeds events is cut too: the service ID's event form is worked out once, and
``Endpoint._get_response`` does not build a second response dict for response-received
while that event has no handler.

The table is used only while botocore's lookup cache is the object it was read from:
botocore replaces that cache on every ``register`` and ``unregister``, so once a handler is
added or removed (the Stubber, a user's handler, a plugin) the table is dropped and the next
emit of each name goes botocore's own way, whose answer includes the new handler. While the
``botocore.hooks`` logger logs debug records, every emit goes botocore's way, so the log is
botocore's. tests/bedrock/test_events.py compares calls with and without it.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.hooks import EventAliaser, HierarchicalEmitter
from botocore.model import ServiceId

__all__ = ["DirectEvents", "use_direct_events"]

_HOOKS_LOG = logging.getLogger("botocore.hooks")
_DEBUG = logging.DEBUG


class DirectEvents:
    """``emit`` and ``emit_until_response`` of one ``EventAliaser`` (see the module)."""

    __slots__ = ("_aliaser", "_emitter", "_state", "_stock_emit", "_stock_until")

    def __init__(self, aliaser: Any) -> None:
        self._aliaser = aliaser
        self._emitter = aliaser._emitter
        # botocore's bound methods of the class (the instance's own are replaced by ours).
        self._stock_emit = EventAliaser.emit.__get__(aliaser)
        self._stock_until = EventAliaser.emit_until_response.__get__(aliaser)
        # (botocore's lookup cache, our table read from it): one object, swapped whole, so a
        # thread that read a cache botocore has since replaced files its entry in that
        # cache's table, which is no longer used, never in the new one.
        self._state: tuple[dict[str, Any], dict[str, tuple[str, tuple[Any, ...]]]] = (
            self._emitter._lookup_cache,
            {},
        )

    def handlers(self, event_name: str) -> tuple[Any, ...] | None:
        """The handlers ``emit(event_name)`` would call now, or None when that is not known
        (the table does not have the name, or emits go botocore's way)."""
        entry = self._entry(event_name)
        return None if entry is None else entry[1]

    def _entry(self, event_name: str) -> tuple[str, tuple[Any, ...]] | None:
        """The aliased name and handlers of ``event_name``, or None: botocore's way."""
        emitter = self._emitter
        if self._aliaser._emitter is not emitter or _HOOKS_LOG.isEnabledFor(_DEBUG):
            return None
        cache = emitter._lookup_cache
        state = self._state
        if state[0] is not cache:
            state = self._state = (cache, {})
        entry = state[1].get(event_name)
        if entry is None:
            aliased = self._aliaser._alias_event_name(event_name)
            handlers = cache.get(aliased)
            if handlers is None:
                return None  # botocore has not looked this name up since its last change
            entry = state[1][event_name] = (aliased, tuple(handlers))
        return entry

    def emit(self, event_name: str, **kwargs: Any) -> list[tuple[Any, Any]]:
        entry = self._entry(event_name)
        if entry is None:
            return self._stock_emit(event_name, **kwargs)  # type: ignore[no-any-return]
        aliased, handlers = entry
        if not handlers:
            return []
        kwargs["event_name"] = aliased
        return [(handler, handler(**kwargs)) for handler in handlers]

    def emit_until_response(self, event_name: str, **kwargs: Any) -> tuple[Any, Any]:
        entry = self._entry(event_name)
        if entry is None:
            return self._stock_until(event_name, **kwargs)  # type: ignore[no-any-return]
        aliased, handlers = entry
        if not handlers:
            return (None, None)
        kwargs["event_name"] = aliased
        for handler in handlers:
            response = handler(**kwargs)
            if response is not None:
                return (handler, response)
        # botocore answers with the last handler called and its None.
        return (handlers[-1], None)


class _ServiceId(ServiceId):
    """botocore's ``ServiceId`` with its event-name form worked out once: every emit's name
    is built from ``service_id.hyphenize()``, nine times a call."""

    _hyphenized: str

    def __new__(cls, value: str) -> _ServiceId:
        made = super().__new__(cls, value)
        made._hyphenized = ServiceId.hyphenize(made)
        return made

    def hyphenize(self) -> str:
        return self._hyphenized


def use_direct_events(client: Any) -> bool:
    """Have ``client``'s event emitter dispatch through :class:`DirectEvents`; False
    (nothing changed) when its emitter is not botocore's ``EventAliaser`` over a
    ``HierarchicalEmitter``, or already dispatches directly."""
    found = getattr(getattr(client, "meta", None), "events", None)
    if type(found) is not EventAliaser:
        return False
    events: Any = found  # (its names are private: not in botocore's stubs)
    if type(events._emitter) is not HierarchicalEmitter:
        return False
    if "emit" in events.__dict__ or "emit_until_response" in events.__dict__:
        return False
    direct = DirectEvents(events)
    events.emit = direct.emit
    events.emit_until_response = direct.emit_until_response
    _memo_service_id(client)
    _skip_idle_response_event(client, direct)
    return True


def _memo_service_id(client: Any) -> None:
    model: Any = getattr(client, "_service_model", None)
    service_id = getattr(model, "service_id", None)
    # botocore's CachedProperty keeps the value in the model's __dict__, where the
    # operation models (and so every emit's caller) read it from.
    if type(service_id) is ServiceId and model.__dict__.get("service_id") is service_id:
        model.__dict__["service_id"] = _ServiceId(service_id)


def _skip_idle_response_event(client: Any, direct: DirectEvents) -> None:
    """``Endpoint._get_response`` builds a second response dict only to emit
    response-received, which has no handler on a bedrock-runtime client: while that stays
    so, the response is botocore's ``_do_get_response``'s, as ``_get_response`` returns it."""
    endpoint: Any = getattr(client, "_endpoint", None)
    stock = getattr(endpoint, "_get_response", None)
    do_get = getattr(endpoint, "_do_get_response", None)
    if stock is None or do_get is None or endpoint._event_emitter is not direct._aliaser:
        return

    def get_response(request: Any, operation_model: Any, context: Any) -> Any:
        service_id = operation_model.service_model.service_id.hyphenize()
        name = f"response-received.{service_id}.{operation_model.name}"
        if direct.handlers(name) == ():
            return do_get(request, operation_model, context)
        return stock(request, operation_model, context)

    endpoint._get_response = get_response
