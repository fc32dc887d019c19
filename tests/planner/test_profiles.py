"""Application inference profiles in a plan's logs: their model asked of Bedrock
(GetInferenceProfile, over botocore's Stubber) once per ARN, before the record is priced."""

from __future__ import annotations

from datetime import UTC, datetime

from botocore.stub import Stubber

from tierwise.bedrock import BedrockClient
from tierwise.config import Settings
from tierwise.core.planning import Invocation, Planner, PlannerConfig, RouteChoice
from tierwise.core.pricing import Usage
from tierwise.core.tiers import Tier
from tierwise.errors import TierwiseError
from tierwise.planner.profiles import ProfileResolver

ACCT = "123456789012"
OPUS = "anthropic.claude-opus-4-5-20251101-v1:0"
APP = f"arn:aws:bedrock:us-east-1:{ACCT}:application-inference-profile/team01"
GONE = f"arn:aws:bedrock:us-east-1:{ACCT}:application-inference-profile/deleted9"
T0 = datetime(2026, 10, 1, tzinfo=UTC)


def _profile() -> dict[str, object]:
    return {
        "inferenceProfileName": "team search",
        "inferenceProfileArn": APP,
        "inferenceProfileId": "team01",
        "models": [
            {"modelArn": f"arn:aws:bedrock:{r}::foundation-model/{OPUS}"}
            for r in ("us-east-1", "us-east-2", "us-west-2")
        ],
        "status": "ACTIVE",
        "type": "APPLICATION",
    }


def test_each_application_profile_is_asked_once_and_priced_at_its_model(
    default_settings: Settings,
) -> None:
    client = BedrockClient(default_settings)
    failed: list[str] = []
    known: dict[str, str] = {}

    def ask(arn: str) -> str | None:
        return client.inference_profile(arn).model_ids[0]

    def failure(arn: str, error: TierwiseError) -> None:
        failed.append(arn)

    resolver = ProfileResolver(known, ask, failure)
    usage = Usage(input=1000, output=100)
    records = [Invocation(T0, m, usage) for m in (APP, GONE, APP, f"us.{OPUS}", GONE)]
    with Stubber(client.control_client) as stub:
        stub.add_response("get_inference_profile", _profile(), {"inferenceProfileIdentifier": APP})
        stub.add_client_error(
            "get_inference_profile",
            service_error_code="ResourceNotFoundException",
            service_message="The specified inference profile was not found.",
            http_status_code=404,
            expected_params={"inferenceProfileIdentifier": GONE},
        )
        s = default_settings
        planner = Planner(
            PlannerConfig(
                rates=s.all_rates(),
                tier_models={t: s.tier(t).model_id for t in Tier.ordered()},
                cache_min_tokens={t: s.tier(t).cache_min_tokens for t in Tier.ordered()},
                supports_caching={t: True for t in Tier.ordered()},
                route=lambda r: RouteChoice(Tier.SONNET, "chat"),
                tier_of=s.tier_of_model,
                applications=known,  # filled as the records stream past
            )
        )
        for inv in resolver.resolving(records):
            planner.add(inv)
        stub.assert_no_pending_responses()  # one call per ARN, none repeated
    assert known == {APP: OPUS}
    assert failed == [GONE]
    # The two it could not resolve are unpriced: in no strategy, not as is at $0.
    assert planner.result.tier_mix_as_is == {"opus": 3}
    assert planner.result.unpriced == 2 and planner.result.requests == 5


def test_a_tiers_own_application_profile_is_not_asked_about() -> None:
    asked: list[str] = []

    def ask(arn: str) -> str | None:
        asked.append(arn)
        return OPUS

    resolver = ProfileResolver({}, ask, configured=lambda arn: arn == APP)
    records = [Invocation(T0, m, Usage(input=1, output=1)) for m in (APP, GONE)]
    assert list(resolver.resolving(records)) == records
    assert asked == [GONE]


def test_offline_asks_nothing() -> None:
    known = {APP: OPUS}
    resolver = ProfileResolver(known, None)
    records = [Invocation(T0, m, Usage(input=1, output=1)) for m in (APP, GONE)]
    assert list(resolver.resolving(records)) == records
    assert known == {APP: OPUS} and resolver.asked == {GONE: None}
