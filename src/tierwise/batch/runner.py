"""Batch inference: route each record, group per model, run as Bedrock jobs at batch prices.

Input records are JSONL with a ``custom_id`` and exactly one of ``converse`` (a Converse
request), ``openai`` (a Chat Completions body) or ``anthropic`` (a Messages body); the request
may pin a tier or model (``modelId``/``model``), else it is routed. Records batch cannot take
(structured output) are refused with a reason, or run on demand with
``on_demand_fallback``. A model's group below ``[batch] min_records`` runs on demand or waits
(``[batch] small_groups``). Nothing is dropped: every input record has one outcome, and
``collect`` writes one line per input record, in input order, joined by ``recordId``.
``collect`` is idempotent: a record already ledgered is never billed again.

Jobs are of Bedrock's ``InvokeModel`` type (the model's native body), which takes tools. A
record that carries ``requestMetadata`` and no tools goes to a ``Converse``-type job instead,
whose records are Converse bodies, so its metadata is not dropped (InvokeModel bodies have
no place for it; Converse-type jobs refuse tools).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from tierwise.bedrock.errors import parameter_problem
from tierwise.bedrock.session import is_loopback
from tierwise.client import Plan, Tierwise
from tierwise.config import Settings
from tierwise.core.convert.anthropic import (
    from_messages,
    refuse_tool_history_without_tools,
    to_invoke_body,
    usage_from_message,
)
from tierwise.core.convert.openai import from_chat_completions
from tierwise.core.guardrails import guardrail_config
from tierwise.core.preflight import check_request
from tierwise.core.pricing import Usage, price
from tierwise.core.tiers import Tier
from tierwise.errors import InvalidRequestError, ModelNotAvailableError, TierwiseError
from tierwise.store import LedgerRow
from tierwise.store.batches import BatchRecord, BatchStore, JobRow
from tierwise.store.sql import SQLLedger

__all__ = [
    "FINAL_STATUSES",
    "BatchRunner",
    "InvocationType",
    "ParsedRecord",
    "parse_records",
    "s3_endpoint",
]

_FORMATS = ("converse", "openai", "anthropic")


class InvocationType(StrEnum):
    """A job's ``modelInvocationType``: the format of its records and answers."""

    INVOKE_MODEL = "InvokeModel"
    CONVERSE = "Converse"


# What a batch record does not carry: batch runs at its own price and pace.
_NOT_IN_BATCH = ("serviceTier", "performanceConfig")
NO_BATCH_GUARDRAILS = "a guardrail (batch jobs apply none; it runs on demand to keep it)"
# Job statuses that do not change again.
FINAL_STATUSES = frozenset({"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"})


@dataclass(frozen=True)
class ParsedRecord:
    position: int
    custom_id: str
    request: dict[str, Any]
    model: str
    refuse: str | None  # why batch cannot take it


def _one(record: dict[str, Any]) -> tuple[str, dict[str, Any], str, str | None]:
    """A record's model, Converse request, format and why batch refuses it (if it does);
    its errors name no line (:func:`parse_records` adds the file and line)."""
    formats = [f for f in _FORMATS if f in record]
    if len(formats) != 1:
        raise InvalidRequestError(
            "a record needs exactly one of converse, openai or anthropic",
            hint='e.g. {"custom_id": "a1", "converse": {"messages": [...]}}',
        )
    fmt = formats[0]
    body = record[fmt]
    if not isinstance(body, dict):
        # A list or a string here crashed the converters ("unexpected TypeError").
        raise InvalidRequestError(
            f"{fmt} must be a JSON object (a request body), not {_json_kind(body)}",
            hint='e.g. {"custom_id": "a1", "converse": {"messages": [...]}}',
        )
    guard = None
    if isinstance(body, dict) and "guardrailConfig" in body:
        # tierwise's extension to the OpenAI and Anthropic bodies, as at the gateway
        body = dict(body)
        guard = {"guardrailConfig": guardrail_config(body.pop("guardrailConfig"), stream=False)}
    if fmt == "openai":
        converted = from_chat_completions({"model": "auto", **body})
        return (
            converted.model,
            {**converted.request, **(guard or {})},
            fmt,
            ("structured output (response_format json_schema)" if converted.json_schema else None),
        )
    if fmt == "anthropic":
        converted = from_messages({"model": "auto", **body})
        refuse_tool_history_without_tools(body, converted)  # in the Messages API's terms
        return (
            converted.model,
            {**converted.request, **(guard or {})},
            fmt,
            ("structured output (output_config.format)" if converted.json_schema else None),
        )
    if "messages" not in body:
        raise InvalidRequestError("converse needs messages")
    request = {k: v for k, v in body.items() if k != "modelId"}
    return str(body.get("modelId") or "auto"), {**request, **(guard or {})}, fmt, None


def _json_kind(value: object) -> str:
    """What a JSON value is, for an error that must not echo it (it may be prompt text)."""
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a number or boolean"


_ONE_PER_LINE = 'one {"custom_id": ..., "converse"|"openai"|"anthropic": {...}} per line'


def parse_records(path: Path) -> list[ParsedRecord]:
    out: list[ParsedRecord] = []
    seen: dict[str, int] = {}  # custom_id -> its line
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InvalidRequestError(
            f"cannot read {path}: {exc.strerror}",
            hint='check the path: a JSONL file of {"custom_id": ..., "converse"|"openai"|'
            '"anthropic": {...}} lines',
        ) from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidRequestError(
                f"{path}:{number}: not JSON ({exc.msg})", hint=_ONE_PER_LINE
            ) from None
        if not isinstance(record, dict):
            raise InvalidRequestError(
                f"{path}:{number}: a record must be a JSON object, not {_json_kind(record)}",
                hint=_ONE_PER_LINE,
            )
        custom_id = str(record.get("custom_id") or "")
        if not custom_id:
            raise InvalidRequestError(
                f"{path}:{number}: the record has no custom_id",
                hint="give each record a custom_id, unique in the file: results are joined "
                "back to records by it",
            )
        if custom_id in seen:
            raise InvalidRequestError(
                f"{path}:{number}: custom_id {custom_id!r} is line {seen[custom_id]}'s too",
                hint="give each record a custom_id, unique in the file: results are joined "
                "back to records by it",
            )
        seen[custom_id] = number
        try:
            model, request, _, refuse = _one(record)
        except InvalidRequestError as exc:
            # The door's own checks ("messages must be a non-empty list") named no line: in
            # a file of thousands of records the bad one could not be found.
            exc.message = f"{path}:{number} (custom_id {custom_id!r}): {exc.message}"
            raise
        # Tool use is fine: tierwise writes InvokeModel-type jobs, and AWS refuses tools
        # only in jobs of the Converse invocation type (batch-inference user guide).
        out.append(ParsedRecord(len(out), custom_id, request, model, refuse))
    if not out:
        raise InvalidRequestError(f"{path} has no records", hint=_ONE_PER_LINE)
    return out


def _s3_uri(bucket: str, *parts: str) -> str:
    return "s3://" + "/".join([bucket, *[p.strip("/") for p in parts if p.strip("/")]])


def s3_endpoint(settings: Settings) -> str | None:
    """Where batch data goes: ``[batch] s3_endpoint_url``; else, when Bedrock is an emulator
    on this machine (a loopback ``endpoint_url``), that emulator's own S3, which is where it
    reads batch input; else AWS (None)."""
    if settings.batch.s3_endpoint_url:
        return settings.batch.s3_endpoint_url
    if settings.endpoint_url and is_loopback(settings.endpoint_url):
        return settings.endpoint_url
    return None


class _Translated:
    """An AWS client whose failures arrive as tierwise errors (no credentials, a missing
    bucket, a refused job): one place for every S3 and Bedrock control call the runner makes."""

    def __init__(self, client: Any, service: str) -> None:
        self._client = client
        self._service = service

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except TierwiseError:
                raise
            except Exception as exc:
                from tierwise.bedrock import translate

                err = translate(exc, model_id=kwargs.get("modelId"))
                err.message = f"{self._service} {name} failed: {err.message}"
                raise err from None

        return call


@dataclass
class _Split:
    """Records by destination: stored outcomes, job groups, and those run on demand."""

    rows: list[BatchRecord] = field(default_factory=list)
    groups: dict[tuple[str, InvocationType], list[tuple[ParsedRecord, Plan]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    on_demand: list[tuple[ParsedRecord, Plan]] = field(default_factory=list)


class BatchRunner:
    """Submit, follow, collect and cancel batches (the Python API behind ``tierwise batch``)."""

    def __init__(
        self,
        tierwise: Tierwise,
        *,
        s3: Any | None = None,
        control: Any | None = None,
        database: SQLLedger | None = None,
    ) -> None:
        """``database`` keeps the batch's state (default: the client's ledger, which must then
        be SQL); results are ledgered through the client's ledger either way."""
        db = database if database is not None else tierwise.ledger
        if not isinstance(db, SQLLedger):
            raise InvalidRequestError("batches need a SQL ledger (SQLite or PostgreSQL)")
        self.tw = tierwise
        self.settings = tierwise.settings
        self.store = BatchStore(db)
        self._s3 = None if s3 is None else _Translated(s3, "S3")
        self._control = None if control is None else _Translated(control, "Bedrock")

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            import boto3
            from botocore.config import Config

            endpoint = s3_endpoint(self.settings)
            local = endpoint is not None and is_loopback(endpoint)
            # A local S3 (an emulator's, MinIO) takes any credentials; AWS gets the chain.
            dummy = "local" if local else None
            self._s3 = _Translated(
                boto3.client(
                    "s3",
                    endpoint_url=endpoint,
                    region_name=self.settings.region,
                    aws_access_key_id=dummy,
                    aws_secret_access_key=dummy,
                    # bucket.localhost does not resolve everywhere: /bucket/key does.
                    config=Config(s3={"addressing_style": "path"}) if local else None,
                ),
                "S3",
            )
        return self._s3

    @property
    def control(self) -> Any:
        if self._control is None:
            self._control = _Translated(self.tw.bedrock.control_client, "Bedrock")
        return self._control

    def _plan(self, record: ParsedRecord) -> Plan:
        # What Bedrock would refuse, checked first, as an on-demand call checks it.
        check_request(record.request, prompt=":prompt/" in record.model)
        return self.tw.plan(record.model, record.request)

    def _fitting(self, record: ParsedRecord, plan: Plan) -> Plan:
        """``plan`` on the profiles whose model can take ``record`` as it would be sent (the
        context window and output limit, :meth:`Planner.fitting`); raises the refusal."""
        request, _ = self.tw.settle_sampling(record.request, plan)
        return self.tw.planner.fitting(self.tw.prepare(request, plan), plan)

    # -- submit ----------------------------------------------------------------------

    def _partition(self, path: Path, on_demand_fallback: bool, small_groups: str | None) -> _Split:
        """Where each record of ``path`` goes: a job (grouped per model and invocation type),
        on demand, refused or waiting."""
        cfg = self.settings.batch
        policy = small_groups or cfg.small_groups
        split = _Split()
        # Batch jobs run InvokeModel bodies, which carry no guardrail: a guarded record
        # (its own guardrail or the configured default) keeps it only on demand.
        records = [
            replace(r, refuse=NO_BATCH_GUARDRAILS)
            if not r.refuse and "guardrailConfig" in self.tw.with_guardrail(r.request)
            else r
            for r in parse_records(path)
        ]
        for record in records:
            unplanned = Plan(None, (record.model or "auto",), "refused before planning")
            plan = unplanned
            try:
                try:
                    plan = self._plan(record)
                    plan = self._fitting(record, plan)
                except (TypeError, AttributeError, ValueError):
                    # Routing reads a converse record before botocore would check it: a
                    # block of the wrong type broke that reading (the whole submit failed
                    # with "unexpected AttributeError"); refused with botocore's report.
                    problem = parameter_problem(record.request)
                    if problem is None:
                        raise
                    raise problem from None
            except (ModelNotAvailableError, InvalidRequestError) as exc:
                # A name tierwise knows is no model (an OpenAI name while those are off), or
                # what Bedrock refuses (over the model's context window, a maxTokens above
                # its output limit, a blank text block, a malformed block): in a job it was
                # submitted, paid for in the job's wait, and came back as a failed record.
                # This record is refused with the reason; the others still run.
                reason = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
                split.rows.append(_entry(record, plan, "refused", "refused", reason))
                continue
            model_id = plan.profiles[0]
            if record.refuse and not on_demand_fallback:
                split.rows.append(_entry(record, plan, "refused", "refused", record.refuse))
            elif record.refuse:
                split.on_demand.append((record, plan))
            else:
                split.groups[model_id, _invocation_type(record.request)].append((record, plan))
        for group, members in list(split.groups.items()):
            if len(members) < cfg.min_records:
                del split.groups[group]
                if policy == "on-demand":
                    split.on_demand.extend(members)
                else:
                    reason = (
                        f"group of {len(members)} is below the {cfg.min_records}-record minimum"
                    )
                    split.rows.extend(
                        _entry(r, p, "waiting", "waiting", reason) for r, p in members
                    )
        split.rows.extend(
            _entry(r, p, "on-demand", "pending", r.refuse) for r, p in split.on_demand
        )
        for members in split.groups.values():
            split.rows.extend(_entry(r, p, "batch", "pending") for r, p in members)
        split.rows.sort(key=lambda r: r.position)
        return split

    def modes(
        self, path: Path, *, on_demand_fallback: bool = False, small_groups: str | None = None
    ) -> dict[str, BatchRecord]:
        """What :meth:`submit` would do with each record (by ``custom_id``: its mode, tier
        and model), without submitting anything: what a caller needs to bound the cost."""
        split = self._partition(path, on_demand_fallback, small_groups)
        return {r.custom_id: r for r in split.rows}

    def submit(
        self,
        path: Path,
        *,
        name: str | None = None,
        on_demand_fallback: bool = False,
        small_groups: str | None = None,
        input_name: str | None = None,
    ) -> str:
        """Route, group, upload and create one job per model; returns the batch id.
        ``input_name`` is what the batch records as its input (default ``path``)."""
        batch_id = "b" + uuid.uuid4().hex[:11]
        split = self._partition(path, on_demand_fallback, small_groups)
        groups, on_demand = split.groups, split.on_demand
        self.store.create(batch_id, name or batch_id, input_name or str(path), split.rows)
        for (model_id, kind), members in groups.items():
            self._create_job(batch_id, model_id, kind, members)
        for record, plan in on_demand:
            self._run_on_demand(batch_id, record, plan)
        return batch_id

    def _create_job(
        self,
        batch_id: str,
        model_id: str,
        kind: InvocationType,
        members: list[tuple[ParsedRecord, Plan]],
    ) -> None:
        cfg = self.settings.batch
        # InvokeModel jobs keep their names; a Converse job of the same model gets its own.
        name = _safe(model_id) if kind is InvocationType.INVOKE_MODEL else f"cv-{_safe(model_id)}"
        key_prefix = f"{cfg.prefix}/{batch_id}/{name}"
        lines = [
            json.dumps({"recordId": r.custom_id, "modelInput": self._model_input(r, plan, kind)})
            for r, plan in members
        ]
        self.s3.put_object(
            Bucket=cfg.bucket,
            Key=f"{key_prefix}/input/records.jsonl",
            Body="\n".join(lines).encode("utf-8"),
        )
        output_uri = _s3_uri(cfg.bucket, key_prefix, "output/")
        response = self.control.create_model_invocation_job(
            jobName=f"tierwise-{batch_id}-{name}"[:63],
            roleArn=cfg.role_arn,
            clientRequestToken=f"{batch_id}-{name}"[:256],
            modelId=model_id,
            inputDataConfig={
                "s3InputDataConfig": {"s3Uri": _s3_uri(cfg.bucket, key_prefix, "input/")}
            },
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": output_uri}},
            timeoutDurationInHours=cfg.timeout_hours,
            tags=[{"key": k, "value": v} for k, v in cfg.tags.items()],
            modelInvocationType=kind.value,
        )
        job = JobRow(
            response["jobArn"],
            model_id,
            _tier(members[0][1]),
            output_uri,
            "Submitted",
            {"modelInvocationType": kind.value},
        )
        self.store.add_job(batch_id, job, [r.position for r, _ in members])

    def _model_input(
        self, record: ParsedRecord, plan: Plan, kind: InvocationType
    ) -> dict[str, Any]:
        """The record as the body Bedrock batch runs (InvokeModel's native body, or a
        Converse body): prepared as an on-demand call would be (cache points, the router's
        thinking, sampling Bedrock refuses)."""
        request, _ = self.tw.settle_sampling(record.request, plan)
        prepared = self.tw.prepare(request, plan)
        if kind is InvocationType.CONVERSE:
            return {k: v for k, v in prepared.items() if k not in _NOT_IN_BATCH}
        return to_invoke_body(prepared)

    def _run_on_demand(self, batch_id: str, record: ParsedRecord, plan: Plan) -> None:
        try:
            response = self.tw.converse(modelId=record.model, **record.request)
        except TierwiseError as exc:
            # A failed call may have been billed (an attempt the deadline cut off is
            # charged when it ends): its result says how much at most, so a caller
            # counting the batch's cost (evaluate's budget) counts it too.
            tier = plan.tier or self.settings.tier_of_model(plan.profiles[0])
            billed = self.tw.accountant.failed_at_most(exc, tier, plan.profiles, record.request)
            self.store.finish_record(
                batch_id,
                record.position,
                state="error",
                # A bound, not a charge: done records' cost_usd is their ledger row's.
                result={"on_demand": True, "cost_usd_at_most": str(billed)} if billed else None,
                reason=str(exc),
                ledger_id=None,
            )
            return
        info = response.pop("tierwise")
        self.store.finish_record(
            batch_id,
            record.position,
            state="done",
            result={
                "on_demand": True,
                "response": response,
                "tier": info["tier"],
                "cost_usd": str(info["costUsd"]),
            },
            reason=None,
            ledger_id=info.get("ledgerId"),
        )

    # -- status ----------------------------------------------------------------------

    def _known(self, batch_id: str) -> None:
        if self.store.batch(batch_id) is None:
            raise InvalidRequestError(
                f"no batch {batch_id}", hint="`tierwise batch status` with no id lists the batches"
            )

    def status(self, batch_id: str) -> list[JobRow]:
        """Poll every unfinished job once and store what Bedrock says."""
        self._known(batch_id)
        for job in self.store.jobs(batch_id):
            if job.status in FINAL_STATUSES:
                continue
            try:
                got = self.control.get_model_invocation_job(jobIdentifier=job.job_arn)
            except Exception as exc:
                from tierwise.bedrock import translate

                raise translate(exc, model_id=job.model_id) from None
            detail = {
                k: got.get(k)
                for k in (
                    "totalRecordCount",
                    "processedRecordCount",
                    "successRecordCount",
                    "errorRecordCount",
                    "message",
                )
            }
            detail["modelInvocationType"] = got.get("modelInvocationType") or job.detail.get(
                "modelInvocationType", InvocationType.INVOKE_MODEL.value
            )
            self.store.update_job(job.job_arn, str(got["status"]), detail)
        return self.store.jobs(batch_id)

    def cancel(self, batch_id: str) -> list[str]:
        self._known(batch_id)  # else an unknown id was "nothing to stop"
        stopped = []
        for job in self.store.jobs(batch_id):
            if job.status not in FINAL_STATUSES:
                self.control.stop_model_invocation_job(jobIdentifier=job.job_arn)
                self.store.update_job(job.job_arn, "Stopping", job.detail)
                stopped.append(job.job_arn)
        return stopped

    # -- collect ---------------------------------------------------------------------

    def _outputs(self, job: JobRow) -> dict[str, dict[str, Any]]:
        bucket, _, prefix = job.output_uri.removeprefix("s3://").partition("/")
        job_id = job.job_arn.rsplit("/", 1)[-1]
        listing = self.s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix.rstrip('/')}/{job_id}/")
        by_id: dict[str, dict[str, Any]] = {}
        for obj in listing.get("Contents", []):
            if not obj["Key"].endswith(".jsonl.out"):
                continue
            body = self.s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode("utf-8")
            for line in body.splitlines():
                if line.strip():
                    out = json.loads(line)
                    by_id[str(out.get("recordId"))] = out
        return by_id

    def collect(self, batch_id: str, out_path: Path | None = None) -> list[dict[str, Any]]:
        """Join outputs by recordId, price at the batch rate, ledger once, write in input order."""
        jobs = {j.job_arn: j for j in self.status(batch_id)}
        outputs = {arn: self._outputs(j) for arn, j in jobs.items() if j.status in FINAL_STATUSES}
        results = []
        for stored in self.store.records(batch_id):
            record = stored
            if stored.mode == "batch" and stored.state == "pending" and stored.job_arn in outputs:
                job = jobs[stored.job_arn]
                kind = InvocationType(
                    job.detail.get("modelInvocationType") or InvocationType.INVOKE_MODEL
                )
                record = self._settle(batch_id, stored, outputs[stored.job_arn], kind)
            results.append(_result_line(record, jobs.get(record.job_arn or "")))
        if out_path is not None:
            out_path.write_text("".join(json.dumps(r) + "\n" for r in results), "utf-8")
        return results

    def _settle(
        self,
        batch_id: str,
        record: BatchRecord,
        outputs: dict[str, dict[str, Any]],
        kind: InvocationType,
    ) -> BatchRecord:
        out = outputs.get(record.custom_id)
        row: LedgerRow | None = None
        if out is None:
            state, result, reason = "error", None, "no output for this record"
        elif "error" in out:
            err = out["error"]
            state, result = "error", None
            reason = f"{err.get('errorCode')}: {err.get('errorMessage')}"
        else:
            message = out["modelOutput"]
            converse = kind is InvocationType.CONVERSE
            usage = (
                Usage.from_converse(message["usage"]) if converse else usage_from_message(message)
            )
            stop_reason = message.get("stopReason" if converse else "stop_reason")
            tier = Tier(record.tier) if record.tier else None
            cost = (
                price(usage, self.settings.rates(tier), batch=True, model_id=record.model_id).total
                if tier
                else Decimal(0)
            )
            row = LedgerRow(
                id=None,
                ts=datetime.now(UTC),
                request_id=f"{batch_id}:{record.custom_id}",
                attempt=1,
                tier=record.tier,
                model_id=record.model_id or "",
                input_tokens=usage.input,
                output_tokens=usage.output,
                cache_read_tokens=usage.cache_read,
                cache_write_5m_tokens=usage.cache_write_5m,
                cache_write_1h_tokens=usage.cache_write_1h,
                cost_usd=cost,
                latency_ms=0.0,
                status="ok",
                stop_reason=stop_reason,
                batch=True,
                metadata={"batch_id": batch_id, "custom_id": record.custom_id},
            )
            # A Converse job's answer is a Converse response, as an on-demand record's is.
            answer = {"response": message} if converse else {"message": message}
            state, result, reason = "done", {**answer, "cost_usd": str(cost)}, None
        # Billed once: a collect running at the same time may have settled it first, and
        # what is returned is what the store holds either way.
        self.store.settle_record(
            batch_id, record.position, state=state, result=result, reason=reason,
            row=row, ledger=self.tw.ledger,
        )  # fmt: skip
        return self.store.record(batch_id, record.position) or record


def _entry(
    record: ParsedRecord, plan: Plan, mode: str, state: str, reason: str | None = None
) -> BatchRecord:
    """The stored outcome of one input record before any result exists."""
    return BatchRecord(
        position=record.position,
        custom_id=record.custom_id,
        tier=_tier(plan),
        model_id=plan.profiles[0],
        mode=mode,
        job_arn=None,
        state=state,
        reason=reason,
        result=None,
        ledger_id=None,
    )


def _invocation_type(request: dict[str, Any]) -> InvocationType:
    """Converse for a record whose ``requestMetadata`` an InvokeModel body would drop, unless
    it offers tools (Converse-type jobs refuse them); InvokeModel otherwise."""
    if request.get("requestMetadata") and "toolConfig" not in request:
        return InvocationType.CONVERSE
    return InvocationType.INVOKE_MODEL


def _tier(plan: Plan) -> str | None:
    return plan.tier.value if plan.tier else None


def _safe(model_id: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in model_id.rsplit("/", 1)[-1])


def _result_line(record: BatchRecord, job: JobRow | None) -> dict[str, Any]:
    line: dict[str, Any] = {
        "custom_id": record.custom_id,
        "mode": record.mode,
        "tier": record.tier,
        "model_id": record.model_id,
        "state": record.state,
    }
    if record.result is not None:
        line["result"] = record.result
    if record.reason:
        line["reason" if record.state in ("refused", "waiting") else "error"] = record.reason
    if record.state == "pending":
        line["job_status"] = job.status if job else None
    return line
