"""Least-privilege IAM policies for the configured tiers (pure: no AWS calls).

Bedrock authorises a call made through an inference profile twice: once on the profile and
once on the foundation model in the Region the profile sends the request to. So a policy
names the profile ARN (no condition) and the model in every destination Region of that
profile, the latter only when reached through that profile (``bedrock:InferenceProfileArn``).
A ``global.`` profile may serve anywhere: AWS asks for the model in the source Region plus the
Region-less model ARN ``arn:aws:bedrock:::foundation-model/<id>``, which is evaluated with
``aws:RequestedRegion`` = ``unspecified``. Sources: AWS Bedrock user guide pages
inference-profiles-prereq, global-cross-region-inference, batch-iam-sr, api-keys-permissions.

CountTokens takes foundation models only, so it is granted on the source-Region model ARNs.
Destination Regions are input here: the CLI asks Bedrock (ListInferenceProfiles /
GetInferenceProfile) or takes them from the command line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tierwise.errors import ConfigError

__all__ = [
    "ApiKeyMode",
    "BatchRole",
    "ModelTarget",
    "PolicySet",
    "batch_role_policy",
    "batch_submit_policy",
    "batch_trust_policy",
    "caller_policy",
    "model_target",
    "plan_reader_policy",
    "policy_set",
    "policy_size",
]

VERSION = "2012-10-17"
INVOKE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
LIST_ACTIONS = ("bedrock:ListFoundationModels", "bedrock:ListInferenceProfiles")
ApiKeyMode = Literal["none", "short-term", "long-term", "any"]
_BEARER_TYPES: dict[str, tuple[str, ...]] = {
    "short-term": ("SHORT_TERM",),
    "long-term": ("LONG_TERM",),
    "any": ("SHORT_TERM", "LONG_TERM"),
}
_GEO = re.compile(r"^(global|us|us-gov|eu|apac|jp|au|ca)\.(.+)$")
_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):bedrock:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<kind>inference-profile|application-inference-profile|foundation-model)/(?P<id>.+)$"
)
_FM_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]*::foundation-model/(?P<id>.+)$")
_ACCOUNT = re.compile(r"^\d{12}$")


@dataclass(frozen=True, slots=True)
class ModelTarget:
    """One configured model identifier and every resource a call through it touches."""

    identifier: str
    kind: Literal["foundation-model", "inference-profile", "application-inference-profile"]
    model_id: str
    """The foundation model behind it (``anthropic.claude-...``)."""
    profile_arn: str | None
    model_arns: tuple[str, ...]
    """The foundation model in each Region the call may be served in."""
    regionless: bool
    """A global profile: the Region-less model ARN is needed too."""
    partition: str = "aws"


@dataclass(frozen=True, slots=True)
class BatchRole:
    """Where batch input and output live and the service role Bedrock assumes."""

    role_arn: str
    bucket: str
    prefix: str


MANAGED_POLICY_LIMIT = 6144
"""IAM's size limit for a customer managed policy, in characters without whitespace."""


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Every document ``tierwise iam-policy`` writes, by file stem."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)

    def oversized(self) -> dict[str, int]:
        """Documents over the managed-policy size limit, with their sizes."""
        sizes = {name: policy_size(doc) for name, doc in self.documents.items()}
        return {name: n for name, n in sizes.items() if n > MANAGED_POLICY_LIMIT}


def policy_size(doc: Mapping[str, Any]) -> int:
    """Characters IAM counts toward the size limit (whitespace is not counted)."""
    return len(re.sub(r"\s", "", json.dumps(doc)))


def _profile_geo(profile_id: str) -> str | None:
    m = _GEO.match(profile_id)
    return m.group(1) if m else None


def model_target(
    identifier: str,
    *,
    region: str,
    account_id: str,
    destinations: Mapping[str, Sequence[str]],
    model_of: Mapping[str, str] | None = None,
    partition: str = "aws",
) -> ModelTarget:
    """Resolve one configured model identifier to the resources a call through it needs.

    ``destinations`` maps a profile ID or ARN to the Regions it routes to (as Bedrock's
    GetInferenceProfile lists them); ``model_of`` maps an application profile ARN to its
    foundation model. A geographic profile without destinations is an error: guessing would
    either fail calls or grant too much.
    """
    if not _ACCOUNT.match(account_id):
        raise ConfigError(
            f"account ID {account_id!r} is not 12 digits",
            hint="pass --account-id 123456789012 (or let tierwise ask Bedrock)",
        )
    fm = _FM_ARN.match(identifier)
    if fm is not None:
        identifier = fm.group("id")
    arn = _ARN.match(identifier)
    if arn is not None:
        partition = arn.group("partition")
        region = arn.group("region")
        account_id = arn.group("account")
        kind = arn.group("kind")
        ident = arn.group("id")
        if kind == "application-inference-profile":
            base = (model_of or {}).get(identifier)
            regions = tuple(destinations.get(identifier, ()))
            if base is None or not regions:
                raise ConfigError(
                    f"application inference profile {identifier} has no known model/Regions",
                    hint="run without --offline so tierwise asks Bedrock (GetInferenceProfile)",
                )
            return ModelTarget(
                identifier,
                "application-inference-profile",
                base,
                identifier,
                _model_arns(partition, regions, base),
                regionless=False,
                partition=partition,
            )
        if kind == "foundation-model":
            return _bare(ident, region, partition)
    else:
        ident = identifier
    geo = _profile_geo(ident)
    if geo is None:
        return _bare(ident, region, partition)
    base = _GEO.sub(r"\2", ident)
    profile_arn = f"arn:{partition}:bedrock:{region}:{account_id}:inference-profile/{ident}"
    regionless = geo == "global"
    if regionless:
        regions = (region,)
    else:
        regions = tuple(destinations.get(ident, ()) or destinations.get(identifier, ()))
        if not regions:
            raise ConfigError(
                f"no destination Regions known for inference profile {ident}",
                hint=f"run without --offline, or pass --destinations {geo}=REGION,REGION",
            )
        if region not in regions:
            regions = (region, *regions)
    return ModelTarget(
        identifier,
        "inference-profile",
        base,
        profile_arn,
        _model_arns(partition, regions, base),
        regionless=regionless,
        partition=partition,
    )


def _bare(model_id: str, region: str, partition: str) -> ModelTarget:
    return ModelTarget(
        model_id,
        "foundation-model",
        model_id,
        None,
        _model_arns(partition, (region,), model_id),
        regionless=False,
        partition=partition,
    )


def _model_arns(partition: str, regions: Iterable[str], model_id: str) -> tuple[str, ...]:
    return tuple(
        f"arn:{partition}:bedrock:{r}::foundation-model/{model_id}" for r in dict.fromkeys(regions)
    )


def _sid(*parts: str) -> str:
    """A statement ID: IAM allows only ASCII letters and digits."""
    text = "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", " ".join(parts)))
    return text[:100] or "Statement"


def _invoke_statements(
    targets: Sequence[ModelTarget], actions: Sequence[str], label: str
) -> list[dict[str, Any]]:
    """Profile statements (no condition) and model statements limited to those profiles."""
    statements: list[dict[str, Any]] = []
    profiles = sorted({t.profile_arn for t in targets if t.profile_arn})
    if profiles:
        statements.append(
            {
                "Sid": _sid(label, "profiles"),
                "Effect": "Allow",
                "Action": list(actions),
                "Resource": profiles,
            }
        )
    bare = sorted({arn for t in targets if t.profile_arn is None for arn in t.model_arns})
    if bare:
        statements.append(
            {
                "Sid": _sid(label, "on demand models"),
                "Effect": "Allow",
                "Action": list(actions),
                "Resource": bare,
            }
        )
    # One statement per foundation model: its ARNs in every destination Region of every
    # configured profile that serves it, reachable only through those profiles. (Grouping
    # by model rather than by profile keeps the policy under IAM's 6,144-character limit.)
    by_model: dict[str, list[ModelTarget]] = {}
    for target in targets:
        if target.profile_arn:
            by_model.setdefault(target.model_id, []).append(target)
    for model_id, group in sorted(by_model.items()):
        arns = sorted({arn for t in group for arn in t.model_arns})
        via = sorted({str(t.profile_arn) for t in group})
        name = model_id.split(".", 1)[-1]
        statements.append(
            {
                "Sid": _sid(label, name),
                "Effect": "Allow",
                "Action": list(actions),
                "Resource": arns,
                "Condition": {"ArnEquals": {"bedrock:InferenceProfileArn": _one_or_list(via)}},
            }
        )
        global_via = sorted({str(t.profile_arn) for t in group if t.regionless})
        if global_via:
            statements.append(
                {
                    "Sid": _sid(label, "global", name),
                    "Effect": "Allow",
                    "Action": list(actions),
                    "Resource": [f"arn:{group[0].partition}:bedrock:::foundation-model/{model_id}"],
                    "Condition": {
                        "StringEquals": {"aws:RequestedRegion": "unspecified"},
                        "ArnEquals": {"bedrock:InferenceProfileArn": _one_or_list(global_via)},
                    },
                }
            )
    return _dedupe_sids(statements)


def _one_or_list(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values


def _dedupe_sids(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, int] = {}
    for st in statements:
        sid = st["Sid"]
        n = seen.get(sid, 0)
        seen[sid] = n + 1
        if n:
            st["Sid"] = f"{sid}{n + 1}"
    return statements


def caller_policy(
    targets: Sequence[ModelTarget],
    *,
    region: str,
    account_id: str,
    count_tokens: bool = True,
    catalog: bool = True,
    api_keys: ApiKeyMode = "none",
    partition: str = "aws",
) -> dict[str, Any]:
    """The identity policy for whatever runs tierwise (app role, gateway host, CLI user)."""
    if not targets:
        raise ConfigError("no models to grant", hint="configure [tiers.*].model_id")
    statements = _invoke_statements(targets, INVOKE_ACTIONS, "invoke")
    # The configured foundation models in the Region tierwise calls, where CountTokens and
    # GetFoundationModel are authorised (each statement gets its own copy of the list).
    models = sorted(
        {f"arn:{partition}:bedrock:{region}::foundation-model/{t.model_id}" for t in targets}
    )
    if count_tokens:
        statements.append(
            {
                "Sid": "CountTokens",
                "Effect": "Allow",
                "Action": ["bedrock:CountTokens"],
                "Resource": list(models),
            }
        )
    if catalog:
        # `tierwise models` and `iam-policy` itself: the List calls take no resource; the Get
        # calls are limited to the configured models and profiles.
        statements.append(
            {"Sid": "ListModels", "Effect": "Allow", "Action": list(LIST_ACTIONS), "Resource": "*"}
        )
        statements.append(
            {
                "Sid": "GetModels",
                "Effect": "Allow",
                "Action": ["bedrock:GetFoundationModel"],
                "Resource": list(models),
            }
        )
        profiles = sorted({t.profile_arn for t in targets if t.profile_arn})
        if profiles:
            statements.append(
                {
                    "Sid": "GetProfiles",
                    "Effect": "Allow",
                    "Action": ["bedrock:GetInferenceProfile"],
                    "Resource": profiles,
                }
            )
    statements.extend(_api_key_statements(api_keys))
    return {"Version": VERSION, "Statement": statements}


def batch_submit_policy(
    targets: Sequence[ModelTarget],
    batch: BatchRole,
    *,
    region: str,
    account_id: str,
    partition: str = "aws",
) -> dict[str, Any]:
    """For whatever submits batch jobs (``tierwise batch``): the jobs, passing the service
    role to Bedrock, and the input/output objects under the prefix."""
    return {
        "Version": VERSION,
        "Statement": _batch_caller_statements(targets, batch, region, account_id, partition),
    }


def _api_key_statements(mode: ApiKeyMode) -> list[dict[str, Any]]:
    """Bedrock API keys (bearer tokens): allow the chosen kinds, or deny them all.

    Without ``--api-keys`` an explicit Deny keeps a leaked long-term key from working with
    these permissions (api-keys-permissions: ``bedrock:CallWithBearerToken``).
    """
    if mode == "none":
        return [
            {
                "Sid": "NoBedrockApiKeys",
                "Effect": "Deny",
                "Action": ["bedrock:CallWithBearerToken"],
                "Resource": "*",
            }
        ]
    types = list(_BEARER_TYPES[mode])
    return [
        {
            "Sid": "BedrockApiKeys",
            "Effect": "Allow",
            "Action": ["bedrock:CallWithBearerToken"],
            "Resource": "*",
            "Condition": {"StringEquals": {"bedrock:BearerTokenType": types}},
        }
    ]


def plan_reader_policy(
    logs: Sequence[str], *, region: str, account_id: str, partition: str = "aws"
) -> dict[str, Any]:
    """For ``tierwise plan`` over invocation logs in S3 (``s3://bucket/prefix`` each): list
    the bucket under the prefix only, read the objects under it (the logs and the bodies
    Bedrock offloaded to ``data/``), ask Bedrock where it logs (for ``bedrock-logs:``), and
    which model an application inference profile of this account in ``region`` runs."""
    if not logs:
        raise ConfigError("the plan reader policy needs the logs' s3://bucket/prefix")
    prefixes: dict[str, list[str]] = {}
    for uri in logs:
        if not uri.startswith("s3://"):
            raise ConfigError(f"{uri!r} is not an s3://bucket/prefix")
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        if not bucket or "*" in uri:
            raise ConfigError(f"{uri!r} names no bucket, or has a wildcard")
        prefixes.setdefault(bucket, []).append(prefix)
    statements: list[dict[str, Any]] = []
    for i, (bucket, keys) in enumerate(sorted(prefixes.items())):
        listing: dict[str, Any] = {
            "Sid": f"ListLogs{i}",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": f"arn:{partition}:s3:::{bucket}",
        }
        if all(keys):
            listing["Condition"] = {"StringLike": {"s3:prefix": sorted(f"{k}*" for k in keys)}}
        statements.append(listing)
        statements.append(
            {
                "Sid": f"ReadLogs{i}",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": sorted(f"arn:{partition}:s3:::{bucket}/{k}*" for k in keys),
            }
        )
    statements.append(
        {  # tierwise plan bedrock-logs: asks where the logs are (no resource type)
            "Sid": "FindLogs",
            "Effect": "Allow",
            "Action": ["bedrock:GetModelInvocationLoggingConfiguration"],
            "Resource": "*",
        }
    )
    statements.append(
        {
            "Sid": "ResolveApplicationProfiles",
            "Effect": "Allow",
            "Action": ["bedrock:GetInferenceProfile"],
            "Resource": (
                f"arn:{partition}:bedrock:{region}:{account_id}:application-inference-profile/*"
            ),
        }
    )
    return {"Version": VERSION, "Statement": statements}


def api_key_admin_policy(user_arn: str, max_age_days: int = 30) -> dict[str, Any]:
    """For whoever mints long-term keys: ``iam:CreateServiceSpecificCredential`` for Bedrock
    only, on one IAM user, with a maximum key age."""
    if not 1 <= max_age_days <= 36600:
        raise ConfigError("--key-max-age-days must be between 1 and 36600")
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "CreateBedrockApiKeys",
                "Effect": "Allow",
                "Action": ["iam:CreateServiceSpecificCredential"],
                "Resource": user_arn,
                "Condition": {
                    "StringEquals": {
                        "iam:ServiceSpecificCredentialServiceName": "bedrock.amazonaws.com"
                    },
                    "NumericLessThanEquals": {
                        "iam:ServiceSpecificCredentialAgeDays": str(max_age_days)
                    },
                },
            },
            {
                "Sid": "ManageBedrockApiKeys",
                "Effect": "Allow",
                "Action": [
                    "iam:ListServiceSpecificCredentials",
                    "iam:UpdateServiceSpecificCredential",
                    "iam:DeleteServiceSpecificCredential",
                    "iam:ResetServiceSpecificCredential",
                ],
                "Resource": user_arn,
            },
        ],
    }


def _s3_prefix(batch: BatchRole) -> str:
    return batch.prefix.strip("/")


def _batch_caller_statements(
    targets: Sequence[ModelTarget],
    batch: BatchRole,
    region: str,
    account_id: str,
    partition: str,
) -> list[dict[str, Any]]:
    models = sorted({arn for t in targets for arn in t.model_arns})
    prefix = _s3_prefix(batch)
    objects = f"arn:{partition}:s3:::{batch.bucket}/{prefix + '/' if prefix else ''}*"
    jobs = f"arn:{partition}:bedrock:{region}:{account_id}:model-invocation-job/*"
    return [
        # Create is authorised on the new job and on the models it runs (the Service
        # Authorization Reference lists model-invocation-job and foundation-model for it).
        {
            "Sid": "BatchJobsCreate",
            "Effect": "Allow",
            "Action": ["bedrock:CreateModelInvocationJob"],
            "Resource": [jobs, *models],
        },
        {
            "Sid": "BatchJobsList",
            "Effect": "Allow",
            "Action": ["bedrock:ListModelInvocationJobs"],
            "Resource": "*",
        },
        {
            "Sid": "BatchJobs",
            "Effect": "Allow",
            "Action": [
                "bedrock:GetModelInvocationJob",
                "bedrock:StopModelInvocationJob",
                "bedrock:TagResource",
                "bedrock:ListTagsForResource",
            ],
            "Resource": jobs,
        },
        {
            "Sid": "PassBatchRole",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": batch.role_arn,
            "Condition": {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
        },
        {
            "Sid": "BatchObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": objects,
        },
        {
            "Sid": "BatchBucket",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": f"arn:{partition}:s3:::{batch.bucket}",
            "Condition": {"StringLike": {"s3:prefix": [f"{prefix}/*" if prefix else "*"]}},
        },
    ]


def batch_trust_policy(*, region: str, account_id: str, partition: str = "aws") -> dict[str, Any]:
    """Who may assume the batch service role: Bedrock, for this account's jobs only
    (the confused-deputy conditions of batch-iam-sr)."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "BedrockBatchAssume",
                "Effect": "Allow",
                "Principal": {"Service": "bedrock.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnEquals": {
                        "aws:SourceArn": (
                            f"arn:{partition}:bedrock:{region}:{account_id}:model-invocation-job/*"
                        )
                    },
                },
            }
        ],
    }


def batch_role_policy(
    targets: Sequence[ModelTarget],
    batch: BatchRole,
    *,
    account_id: str,
    partition: str = "aws",
) -> dict[str, Any]:
    """What the batch service role may do: read input and write output under the prefix,
    in a bucket of this account, and invoke the tiers' profiles and their models."""
    prefix = _s3_prefix(batch)
    objects = f"arn:{partition}:s3:::{batch.bucket}/{prefix + '/' if prefix else ''}*"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "BatchData",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": [objects],
            "Condition": {"StringEquals": {"aws:ResourceAccount": [account_id]}},
        },
        {
            "Sid": "BatchDataList",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [f"arn:{partition}:s3:::{batch.bucket}"],
            "Condition": {"StringEquals": {"aws:ResourceAccount": [account_id]}},
        },
    ]
    statements.extend(_invoke_statements(targets, ("bedrock:InvokeModel",), "batch invoke"))
    return {"Version": VERSION, "Statement": statements}


def policy_set(
    targets: Sequence[ModelTarget],
    *,
    region: str,
    account_id: str,
    batch: BatchRole | None = None,
    api_keys: ApiKeyMode = "none",
    api_key_user_arn: str | None = None,
    count_tokens: bool = True,
    catalog: bool = True,
    partition: str = "aws",
    plan_logs: Sequence[str] = (),
) -> PolicySet:
    """Every document for the options: the caller policy always; with ``batch`` the submit
    policy and the service role's trust and permissions policies; with long-term API keys
    and a user, the policy for minting them; with ``plan_logs``, what ``tierwise plan``
    needs to read those logs."""
    docs: dict[str, dict[str, Any]] = {
        "tierwise-caller": caller_policy(
            targets,
            region=region,
            account_id=account_id,
            count_tokens=count_tokens,
            catalog=catalog,
            api_keys=api_keys,
            partition=partition,
        )
    }
    if batch is not None:
        docs["tierwise-batch-submit"] = batch_submit_policy(
            targets, batch, region=region, account_id=account_id, partition=partition
        )
        docs["tierwise-batch-role-trust"] = batch_trust_policy(
            region=region, account_id=account_id, partition=partition
        )
        docs["tierwise-batch-role"] = batch_role_policy(
            targets, batch, account_id=account_id, partition=partition
        )
    if api_keys in ("long-term", "any") and api_key_user_arn:
        docs["tierwise-api-key-admin"] = api_key_admin_policy(api_key_user_arn)
    if plan_logs:
        docs["tierwise-plan-reader"] = plan_reader_policy(
            plan_logs, region=region, account_id=account_id, partition=partition
        )
    return PolicySet(docs)
