"""The IAM policy generator: valid by three independent checks, and least privilege."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from iam_validation import policy_problems
from tierwise.core.iam import BatchRole, model_target, policy_set
from tierwise.errors import ConfigError

ACCT = "111122223333"
US = ("us-east-1", "us-east-2", "us-west-2")
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
APP = f"arn:aws:bedrock:us-east-1:{ACCT}:application-inference-profile/abc123"


def _targets() -> list[Any]:
    dest = {f"us.{HAIKU}": US, APP: ("us-east-1", "us-west-2")}
    ids = [f"global.{SONNET}", f"us.{HAIKU}", "anthropic.claude-3-5-haiku-20241022-v1:0", APP]
    return [
        model_target(
            i, region="us-east-1", account_id=ACCT, destinations=dest, model_of={APP: SONNET}
        )
        for i in ids
    ]


def _statements(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {st["Sid"]: st for st in doc["Statement"]}


def test_every_document_is_valid() -> None:
    docs = policy_set(
        _targets(),
        region="us-east-1",
        account_id=ACCT,
        batch=BatchRole(f"arn:aws:iam::{ACCT}:role/tw-batch", "bkt", "tw/"),
        api_keys="long-term",
        api_key_user_arn=f"arn:aws:iam::{ACCT}:user/ci",
    ).documents
    assert set(docs) == {
        "tierwise-caller",
        "tierwise-batch-submit",
        "tierwise-batch-role-trust",
        "tierwise-batch-role",
        "tierwise-api-key-admin",
    }
    for name, doc in docs.items():
        assert policy_problems(doc, trust=name.endswith("trust")) == [], name


def test_geographic_profile_grants_the_model_in_every_destination_only_through_it() -> None:
    doc = policy_set(_targets(), region="us-east-1", account_id=ACCT).documents["tierwise-caller"]
    st = _statements(doc)
    profile = f"arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/us.{HAIKU}"
    assert profile in st["InvokeProfiles"]["Resource"]
    assert "Condition" not in st["InvokeProfiles"]
    (via,) = _via(doc, profile)
    assert via["Resource"] == [f"arn:aws:bedrock:{r}::foundation-model/{HAIKU}" for r in US]
    assert via["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]


def _via(doc: dict[str, Any], profile: str) -> list[dict[str, Any]]:
    out = []
    for st in doc["Statement"]:
        value = st.get("Condition", {}).get("ArnEquals", {}).get("bedrock:InferenceProfileArn")
        if value == profile or (isinstance(value, list) and profile in value):
            out.append(st)
    return out


def test_global_profile_adds_the_regionless_model_with_requested_region_unspecified() -> None:
    doc = policy_set(_targets(), region="us-east-1", account_id=ACCT).documents["tierwise-caller"]
    profile = f"arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/global.{SONNET}"
    regionless = [
        s
        for s in doc["Statement"]
        if s["Resource"] == [f"arn:aws:bedrock:::foundation-model/{SONNET}"]
    ]
    assert len(regionless) == 1
    cond = regionless[0]["Condition"]
    assert cond["StringEquals"] == {"aws:RequestedRegion": "unspecified"}
    # Only the global profile reaches the Region-less ARN, not the application profile.
    assert cond["ArnEquals"] == {"bedrock:InferenceProfileArn": profile}
    source = [s for s in _via(doc, profile) if "StringEquals" not in s["Condition"]]
    assert f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET}" in source[0]["Resource"]


def test_application_profile_and_bare_model() -> None:
    doc = policy_set(_targets(), region="us-east-1", account_id=ACCT).documents["tierwise-caller"]
    st = _statements(doc)
    assert APP in st["InvokeProfiles"]["Resource"]
    app = [s for s in _via(doc, APP) if "StringEquals" not in s["Condition"]]
    assert app[0]["Resource"] == [
        f"arn:aws:bedrock:{r}::foundation-model/{SONNET}" for r in ("us-east-1", "us-west-2")
    ]
    assert st["InvokeOnDemandModels"]["Resource"] == [
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0"
    ]
    # CountTokens takes foundation models only, in the Region tierwise calls.
    assert all(
        ":foundation-model/" in r and ":us-east-1:" in r for r in st["CountTokens"]["Resource"]
    )


def test_no_wildcards_on_invoke_and_api_keys_denied_by_default() -> None:
    doc = policy_set(_targets(), region="us-east-1", account_id=ACCT).documents["tierwise-caller"]
    for st in doc["Statement"]:
        if any("Invoke" in a for a in st["Action"]):
            assert "*" not in "".join(st["Resource"]), st
    st = _statements(doc)
    assert st["NoBedrockApiKeys"]["Effect"] == "Deny"
    assert (
        "tierwise-batch-role"
        not in policy_set(_targets(), region="us-east-1", account_id=ACCT).documents
    )


def test_api_keys_allow_only_the_chosen_kind() -> None:
    doc = policy_set(
        _targets(), region="us-east-1", account_id=ACCT, api_keys="short-term"
    ).documents["tierwise-caller"]
    st = _statements(doc)["BedrockApiKeys"]
    assert st["Effect"] == "Allow"
    assert st["Condition"] == {"StringEquals": {"bedrock:BearerTokenType": ["SHORT_TERM"]}}
    assert policy_problems(doc) == []


def test_batch_role_trust_is_limited_to_this_accounts_jobs() -> None:
    role = BatchRole(f"arn:aws:iam::{ACCT}:role/tw-batch", "bkt", "tw")
    docs = policy_set(_targets(), region="us-east-1", account_id=ACCT, batch=role).documents
    trust = docs["tierwise-batch-role-trust"]["Statement"][0]
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCT}
    assert trust["Condition"]["ArnEquals"]["aws:SourceArn"].endswith(
        f":{ACCT}:model-invocation-job/*"
    )
    role_doc = _statements(docs["tierwise-batch-role"])
    assert role_doc["BatchData"]["Resource"] == ["arn:aws:s3:::bkt/tw/*"]
    assert role_doc["BatchDataList"]["Resource"] == ["arn:aws:s3:::bkt"]
    assert role_doc["BatchData"]["Condition"] == {"StringEquals": {"aws:ResourceAccount": [ACCT]}}
    assert role_doc["BatchInvokeProfiles"]["Action"] == ["bedrock:InvokeModel"]
    caller = _statements(docs["tierwise-batch-submit"])
    assert caller["PassBatchRole"]["Resource"] == role.role_arn
    assert caller["PassBatchRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}
    }


@pytest.mark.parametrize(
    ("mutate", "expect"),
    [
        (lambda d: d["Statement"][0].update(Effect="Allw"), "grammar"),
        (lambda d: d["Statement"][0].update(Action=["bedrock:InvokeModels"]), "unknown action"),
        (lambda d: d["Statement"][0].update(Resource=["arn:aws:s3:::bucket/x"]), "does not take"),
        (
            lambda d: d["Statement"][2]["Condition"].update(
                {"StringEquals": {"bedrock:InferenceProfileArn": "x"}}
            ),
            "ARN key",
        ),
        (
            lambda d: d["Statement"][2]["Condition"].update(
                {"ArnEquals": {"bedrock:NoSuchKey": "x"}}
            ),
            "no condition key",
        ),
        (lambda d: d["Statement"][0].update(Sid="has space"), "grammar"),
        (lambda d: d["Statement"][0].update(Principal={"Service": "x"}), "grammar"),
    ],
)
def test_the_validator_can_fail(mutate: Any, expect: str) -> None:
    doc = copy.deepcopy(
        policy_set(_targets(), region="us-east-1", account_id=ACCT).documents["tierwise-caller"]
    )
    assert "Condition" in doc["Statement"][2]
    mutate(doc)
    problems = policy_problems(doc)
    assert any(expect in p for p in problems), problems


def test_unknown_destinations_and_bad_account_are_errors() -> None:
    with pytest.raises(ConfigError, match="destination Regions"):
        model_target(f"us.{HAIKU}", region="us-east-1", account_id=ACCT, destinations={})
    with pytest.raises(ConfigError, match="12 digits"):
        model_target(f"us.{HAIKU}", region="us-east-1", account_id="12", destinations={})
    with pytest.raises(ConfigError, match="application inference profile"):
        model_target(APP, region="us-east-1", account_id=ACCT, destinations={})


def test_oversized_documents_are_reported() -> None:
    many = {f"us.anthropic.claude-x{i}-v1:0": US for i in range(40)}
    targets = [
        model_target(m, region="us-east-1", account_id=ACCT, destinations=many) for m in many
    ]
    docs = policy_set(targets, region="us-east-1", account_id=ACCT)
    assert set(docs.oversized()) == {"tierwise-caller"}
    assert policy_set(_targets(), region="us-east-1", account_id=ACCT).oversized() == {}


def test_plan_reader_lists_and_reads_only_under_the_log_prefixes() -> None:
    from tierwise.core.iam import plan_reader_policy

    logs = ["s3://team-logs/bedrock/", "s3://team-logs/old/", "s3://other/"]
    doc = policy_set(_targets(), region="us-east-1", account_id=ACCT, plan_logs=logs).documents[
        "tierwise-plan-reader"
    ]
    assert policy_problems(doc) == []
    st = _statements(doc)
    assert st["ListLogs1"]["Resource"] == "arn:aws:s3:::team-logs"
    assert st["ListLogs1"]["Condition"] == {"StringLike": {"s3:prefix": ["bedrock/*", "old/*"]}}
    assert st["ReadLogs1"]["Resource"] == [
        "arn:aws:s3:::team-logs/bedrock/*",
        "arn:aws:s3:::team-logs/old/*",
    ]
    assert "Condition" not in st["ListLogs0"]  # the whole bucket "other" was asked for
    assert st["ResolveApplicationProfiles"]["Resource"] == (
        f"arn:aws:bedrock:us-east-1:{ACCT}:application-inference-profile/*"
    )
    assert all(a != "*" and not a.endswith(":*") for s in doc["Statement"] for a in s["Action"])
    assert st["FindLogs"]["Action"] == ["bedrock:GetModelInvocationLoggingConfiguration"]
    for bad in (["/tmp/logs"], ["s3://b/*"], []):
        with pytest.raises(ConfigError):
            plan_reader_policy(bad, region="us-east-1", account_id=ACCT)
