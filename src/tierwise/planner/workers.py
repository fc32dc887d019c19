"""Routing a plan's requests: in this process, or in worker processes (``--workers N``).

Routing is ~90% of a plan's time (the learned difficulty model's features, then the cues),
and each request's route depends on that request alone, so with ``workers > 1`` requests
are routed in parallel, a chunk at a time, while this process reads and prices them in log
order (the cache simulation depends on that order). At most two chunks per worker are in
flight, so memory stays flat however many records there are. Routes are identical either
way: the router is deterministic.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from multiprocessing.pool import AsyncResult
from typing import Any

from tierwise.config import Settings
from tierwise.core.planning import Invocation, RouteChoice, routable
from tierwise.core.tokens import canonical_json

__all__ = ["ROUTE_MEMO", "Route", "make_router", "routed"]

Route = Callable[[Mapping[str, Any]], RouteChoice]

ROUTE_MEMO = 50_000
CHUNK = 128


def make_router(settings: Settings, *, use_model: bool) -> Route:
    """The current router as a function of a Converse request, remembering recent answers:
    the same policy, task-class model and difficulty model (unless ``use_model`` is False)
    as a client built from ``settings``."""
    from tierwise.client import load_class_scorer, load_scorer
    from tierwise.core.routing import decide
    from tierwise.core.signals import prepare_cues

    policy = settings.routing_policy()
    scorer = load_scorer(settings) if use_model else None
    classes = load_class_scorer(settings)
    prepare_cues()
    memo: OrderedDict[bytes, RouteChoice] = OrderedDict()

    def route(request: Mapping[str, Any]) -> RouteChoice:
        # The router is deterministic: an identical request (a retry, a repeated templated
        # call) gets the decision already made. Bounded, least recently used first out.
        key = hashlib.blake2b(canonical_json(request).encode(), digest_size=16).digest()
        hit = memo.get(key)
        if hit is not None:
            memo.move_to_end(key)
            return hit
        decision = decide(request, policy=policy, scorer=scorer, class_scorer=classes)
        task = getattr(decision, "task_class", None)
        name = getattr(task, "name", None) or "unclassified"
        choice = memo[key] = RouteChoice(decision.tier, str(name))
        if len(memo) > ROUTE_MEMO:
            memo.popitem(last=False)
        return choice

    return route


# A worker process's router, built once by _start (module state of the worker only).
_ROUTER: list[Route] = []


def _start(settings: Settings, use_model: bool) -> None:
    _ROUTER.append(make_router(settings, use_model=use_model))


def _route_chunk(requests: list[Mapping[str, Any] | None]) -> list[RouteChoice | None]:
    route = _ROUTER[0]
    return [route(r) if r is not None else None for r in requests]


def _chunks(items: Iterable[Invocation], size: int) -> Iterator[list[Invocation]]:
    chunk: list[Invocation] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def routed(
    invocations: Iterable[Invocation],
    settings: Settings,
    *,
    use_model: bool,
    workers: int,
) -> Iterator[tuple[Invocation, RouteChoice | None]]:
    """Each invocation with its route (None when it has no body to route), in order."""
    if workers <= 1:
        route = make_router(settings, use_model=use_model)
        for inv in invocations:
            body = routable(inv)
            yield inv, route(body) if body is not None else None
        return
    # spawn, not fork: the progress bar runs a thread, and forking a threaded process can
    # leave a lock held in the child.
    with multiprocessing.get_context("spawn").Pool(
        workers, initializer=_start, initargs=(settings, use_model)
    ) as pool:
        pending: deque[tuple[list[Invocation], AsyncResult[list[RouteChoice | None]]]] = deque()
        for chunk in _chunks(invocations, CHUNK):
            requests = [routable(inv) for inv in chunk]
            pending.append((chunk, pool.apply_async(_route_chunk, (requests,))))
            if len(pending) >= 2 * workers:
                done, result = pending.popleft()
                yield from zip(done, result.get(), strict=True)
        while pending:
            done, result = pending.popleft()
            yield from zip(done, result.get(), strict=True)
