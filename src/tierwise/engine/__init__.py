"""The call engine: one implementation runs every call, sync and async, stream or not.

Steps, for every request whatever door it came in by::

    plan -> place cache points (and thinking) -> attempt -> judge -> escalate or fall back
         -> price -> record -> learn

- :mod:`~tierwise.engine.plan`: :class:`Planner` resolves ``modelId`` to a :class:`Plan`
  (tier, profiles, why) and prepares the request for it.
- :mod:`~tierwise.engine.machine`: :class:`Engine` is the cascade as a sans-IO step machine.
  ``Engine.run(request)`` is a generator that yields *effects* and receives their results:
  :class:`Invoke` (call Bedrock; answered with a :class:`Settled`), :class:`Record` (store a
  ledger row), :class:`BeforeAttempt` and :class:`AfterAttempt` (the per-attempt seam). It
  returns a typed :class:`Result`, or an :class:`Opened` stream for an unjudged stream,
  which ``Engine.finish_stream`` prices and records when it ends. A stream therefore gets
  the same error fallback as a non-stream before its first byte, and, when validators are
  asked for, the same judging (buffered, then replayed).
- :mod:`~tierwise.engine.drivers`: :class:`SyncDriver` and :class:`AsyncDriver` do the I/O.
- :mod:`~tierwise.engine.accounting`: pricing and ledger rows.
- Learning: each settled answer yields :class:`Observe`, which the driver hands to the books'
  :class:`Observer` (cache-aware routing: what the answer left warm, its output and thinking
  per task class and tier), so every door learns the same way.

Budgets
    With a key, each attempt (answers, fallbacks, escalations, self-checks, streams) first
    yields :class:`Reserve`: its worst case is reserved against the key's budget
    (:class:`Budgets`; refused with ``BudgetExceededError``, and an escalation the budget
    cannot cover returns the paid answer as rejected). Its row is then stored with
    ``Record(row, hold)``, which charges the actual cost and releases the rest in one
    transaction; a call never made yields :class:`Release`.

The per-attempt seam
    Pass :class:`AttemptHooks` to a driver. ``before_attempt(attempt, deadline)`` runs before
    every model call (answers, fallbacks, escalations and self-checks): the
    :class:`Attempt` carries the request as sent, the plan (tier, profiles), the attempt
    number, its kind and whether it streams. Raising a ``TierwiseError`` there refuses the
    attempt (e.g. a budget reservation that does not fit); the request fails with it.
    ``after_attempt(settlement)`` runs once the call has settled and its priced row is
    stored (for a stream: when the stream ends, is abandoned or fails), with the row
    (usage, cost, model, status) and the error if any: the place to settle a reservation.

Deadlines
    :class:`~tierwise.core.deadline.Deadline` is one wall-clock bound for a whole request
    (``[retry] total_timeout_s`` or a request's ``timeout_s``). The engine checks it before
    each attempt (``DeadlineExceededError``; with an answer already paid for, that answer
    is returned as rejected, not escalated). The drivers bound the attempt in flight by it
    and hand it to the Bedrock adapter, whose retries and failovers draw on it; an attempt
    cut off is ledgered when it ends (``Invoke.late``), since Bedrock bills it. The sync
    driver waits for a cut-off call in a worker thread; the async driver waits on the loop.

Inside the code results are typed (:class:`Result`, :class:`Step`); the ``tierwise`` dict of
the public API is made by ``Result.summary()`` at the edge.
"""

from tierwise.core.deadline import Deadline
from tierwise.engine.accounting import Accountant
from tierwise.engine.budgets import Budgets
from tierwise.engine.drivers import AsyncDriver, Books, Observer, SyncDriver, drive
from tierwise.engine.machine import (
    AfterAttempt,
    Attempt,
    AttemptHooks,
    BeforeAttempt,
    Cancel,
    Effect,
    Engine,
    Heed,
    Invoke,
    Lookout,
    Observe,
    Opened,
    Record,
    Release,
    Reservation,
    Reserve,
    Result,
    Settled,
    Settlement,
    Step,
    ValidationSpec,
)
from tierwise.engine.plan import AUTO, DEFAULT_ANSWER_TOKENS, Plan, Planner, apply_thinking

__all__ = [
    "AUTO",
    "DEFAULT_ANSWER_TOKENS",
    "Accountant",
    "AfterAttempt",
    "AsyncDriver",
    "Attempt",
    "AttemptHooks",
    "BeforeAttempt",
    "Books",
    "Budgets",
    "Cancel",
    "Deadline",
    "Effect",
    "Engine",
    "Heed",
    "Invoke",
    "Lookout",
    "Observe",
    "Observer",
    "Opened",
    "Plan",
    "Planner",
    "Record",
    "Release",
    "Reservation",
    "Reserve",
    "Result",
    "Settled",
    "Settlement",
    "Step",
    "SyncDriver",
    "ValidationSpec",
    "apply_thinking",
    "drive",
]
