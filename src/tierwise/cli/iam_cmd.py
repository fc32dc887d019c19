"""``tierwise iam-policy``: least-privilege IAM policy JSON for the configured tiers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer

from tierwise.cli.output import plain, write_json
from tierwise.cli.state import state_of
from tierwise.config import Settings
from tierwise.core.iam import (
    MANAGED_POLICY_LIMIT,
    ApiKeyMode,
    BatchRole,
    ModelTarget,
    PolicySet,
    model_target,
    policy_set,
)
from tierwise.errors import ConfigError, InvalidRequestError

__all__ = ["iam_policy"]

_ACCOUNT_IN_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):")


def _configured_ids(settings: Settings) -> list[str]:
    ids: list[str] = []
    for ts in settings.tiers.values():
        for mid in (ts.model_id, *ts.alternates):
            if mid not in ids:
                ids.append(mid)
    return ids


def _parse_destinations(values: list[str]) -> dict[str, tuple[str, ...]]:
    """``us=us-east-1,us-west-2`` (a geography) or ``PROFILE=REGION,...`` (one profile)."""
    out: dict[str, tuple[str, ...]] = {}
    for value in values:
        key, sep, regions = value.partition("=")
        parts = tuple(r.strip() for r in regions.split(",") if r.strip())
        if not sep or not key.strip() or not parts:
            raise InvalidRequestError(
                f"--destinations {value!r} is not GEO=REGION[,REGION...]",
                hint="e.g. --destinations us=us-east-1,us-east-2,us-west-2",
            )
        out[key.strip()] = parts
    return out


def _offline_destinations(
    ids: list[str], given: dict[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """Profile -> Regions from --destinations: an exact profile ID wins over its geography."""
    out: dict[str, tuple[str, ...]] = {}
    for mid in ids:
        tail = mid.rsplit("/", 1)[-1]
        geo = tail.split(".", 1)[0]
        if tail in given:
            out[tail] = given[tail]
        elif mid in given:
            out[mid] = given[mid]
        elif geo in given:
            out[tail] = given[geo]
    return out


def _discover(
    settings: Settings, ids: list[str]
) -> tuple[dict[str, tuple[str, ...]], dict[str, str], str | None]:
    """Ask Bedrock where each configured profile routes (ListInferenceProfiles, and
    GetInferenceProfile for application profiles)."""
    from tierwise.bedrock import BedrockClient

    client = BedrockClient(settings)
    catalog = client.list_models()
    destinations: dict[str, tuple[str, ...]] = {p.profile_id: p.regions for p in catalog.profiles}
    model_of: dict[str, str] = {}
    account: str | None = None
    for profile in catalog.profiles:
        m = _ACCOUNT_IN_ARN.match(profile.arn)
        if m:
            account = m.group(1)
            break
    for mid in ids:
        if ":application-inference-profile/" in mid:
            profile = client.inference_profile(mid)
            destinations[mid] = profile.regions
            if profile.model_ids:
                model_of[mid] = profile.model_ids[0]
    return destinations, model_of, account


def iam_policy(
    ctx: typer.Context,
    batch: Annotated[
        bool, typer.Option("--batch", help="Add the batch service role and its trust policy.")
    ] = False,
    api_keys: Annotated[
        bool,
        typer.Option(
            "--api-keys", help="Allow Bedrock API keys (bearer tokens); without it they are denied."
        ),
    ] = False,
    api_key_type: Annotated[
        str, typer.Option(help="Which API keys --api-keys allows: short-term, long-term or any.")
    ] = "any",
    api_key_user: Annotated[
        str | None,
        typer.Option(help="IAM user ARN that may mint long lived keys (adds an admin policy)."),
    ] = None,
    account_id: Annotated[
        str | None, typer.Option(help="AWS account ID (default: from Bedrock's profile ARNs).")
    ] = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="Do not ask Bedrock; destination Regions come from --destinations."
        ),
    ] = False,
    destinations: Annotated[
        list[str] | None,
        typer.Option(
            metavar="<str>",
            help="GEO=REGION,... or PROFILE=REGION,... (repeatable), for --offline.",
        ),
    ] = None,
    document: Annotated[
        str, typer.Option(help="Which document to print (see --out-dir for all).")
    ] = "tierwise-caller",
    out_dir: Annotated[
        Path | None, typer.Option(help="Write every document as DIR/<name>.json.")
    ] = None,
    count_tokens: Annotated[
        bool, typer.Option(help="Grant bedrock:CountTokens on the tiers' models.")
    ] = True,
    plan_logs: Annotated[
        list[str] | None,
        typer.Option(
            metavar="<str>",
            help="s3://bucket/prefix of invocation logs (repeatable): add tierwise-plan-reader, "
            "what `tierwise plan` needs to read them.",
        ),
    ] = None,
    catalog: Annotated[
        bool, typer.Option(help="Grant the model/profile List and Get calls (tierwise models).")
    ] = True,
) -> None:
    """Least-privilege IAM policy JSON for the configured tiers' profiles and models."""
    state = state_of(ctx)
    settings = state.loaded().settings
    if api_key_type not in ("short-term", "long-term", "any"):
        raise InvalidRequestError(
            f"--api-key-type {api_key_type!r} is not short-term, long-term or any"
        )
    ids = _configured_ids(settings)
    given = _parse_destinations(destinations or [])
    model_of: dict[str, str] = {}
    discovered: str | None = None
    if offline:
        dest = _offline_destinations(ids, given)
    else:
        dest, model_of, discovered = _discover(settings, ids)
        dest.update(_offline_destinations(ids, given))
    account = account_id or discovered or _account_of(settings.batch.role_arn if batch else "")
    if account is None:
        raise ConfigError(
            "no AWS account ID to put in the profile ARNs",
            hint="pass --account-id 123456789012",
        )
    targets: list[ModelTarget] = [
        model_target(
            mid, region=settings.region, account_id=account, destinations=dest, model_of=model_of
        )
        for mid in ids
    ]
    role = (
        BatchRole(settings.batch.role_arn, settings.batch.bucket, settings.batch.prefix)
        if batch
        else None
    )
    modes: dict[str, ApiKeyMode] = {"short-term": "short-term", "long-term": "long-term"}
    mode: ApiKeyMode = modes.get(api_key_type, "any") if api_keys else "none"
    docs = policy_set(
        targets,
        region=settings.region,
        account_id=account,
        batch=role,
        api_keys=mode,
        api_key_user_arn=api_key_user,
        count_tokens=count_tokens,
        catalog=catalog,
        plan_logs=plan_logs or (),
    ).documents
    for name, size in PolicySet(docs).oversized().items():
        state.err.print(
            plain(
                f"warning: {name} is {size:,} characters, over IAM's managed-policy limit "
                f"({MANAGED_POLICY_LIMIT:,}); attach it inline or trim --alternates"
            )
        )
    if document not in docs:
        raise InvalidRequestError(
            f"no document {document!r} with these options",
            hint=f"choose one of: {', '.join(docs)}",
        )
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, doc in docs.items():
            (out_dir / f"{name}.json").write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
            state.err.print(plain(f"wrote {out_dir / f'{name}.json'}"))
    write_json(docs[document])


def _account_of(arn: str) -> str | None:
    m = _ACCOUNT_IN_ARN.match(arn)
    return m.group(1) if m else None
