"""Application inference profiles in a plan's logs: which foundation model each one runs.

An application inference profile ARN (``arn:aws:bedrock:...:application-inference-profile/
ID``) does not name its model, so the as-is cost needs it from elsewhere: ``--app-profile
ARN=MODEL_ID``, or else Bedrock's GetInferenceProfile, asked once per ARN as the logs name
it (before that record is priced). An ARN Bedrock cannot answer for is
unpriced (excluded from every strategy), and said so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from tierwise.core.planning import Invocation
from tierwise.errors import TierwiseError

__all__ = ["APPLICATION_MARK", "ProfileResolver"]

APPLICATION_MARK = ":application-inference-profile/"


class ProfileResolver:
    """Fills ``known`` (ARN to foundation model ID, the planner's ``applications``) as
    records stream past; ``ask`` returns an ARN's model ID or raises a TierwiseError."""

    def __init__(
        self,
        known: dict[str, str],
        ask: Callable[[str], str | None] | None,
        on_failure: Callable[[str, TierwiseError], None] | None = None,
        configured: Callable[[str], bool] | None = None,
    ) -> None:
        self.known = known
        self.ask = ask
        self.on_failure = on_failure
        self.configured = configured
        """Whether the configuration already gives an ARN's tier (a tier's own profile)."""
        self.asked: dict[str, str | None] = {}

    def resolving(self, records: Iterable[Invocation]) -> Iterator[Invocation]:
        for inv in records:
            arn = inv.model_id
            if APPLICATION_MARK in arn and arn not in self.known and arn not in self.asked:
                if self.configured is not None and self.configured(arn):
                    self.asked[arn] = None  # priced at its configured tier: nothing to ask
                else:
                    self.resolve(arn)
            yield inv

    def resolve(self, arn: str) -> str | None:
        model: str | None = None
        if self.ask is not None:
            try:
                model = self.ask(arn)
            except TierwiseError as exc:  # unpriced, and said so
                if self.on_failure is not None:
                    self.on_failure(arn, exc)
        self.asked[arn] = model
        if model:
            self.known[arn] = model
        return model
