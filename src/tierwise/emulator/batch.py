"""Bedrock batch inference (the ``bedrock`` control plane) over a real S3 API.

Jobs read ``{"recordId", "modelInput"}`` JSONL from S3 (the emulator's own local S3 unless
``[batch] s3_endpoint_url`` names another S3), answer every record with the same engine as
on-demand calls, and write ``<output>/<job id>/<input file>.out`` plus ``manifest.json.out``.
``modelInvocationType`` decides the record format, as on Bedrock: ``InvokeModel`` (the
default) takes the model's native body (Anthropic Messages) and answers in it; ``Converse``
takes a Converse request body (so ``requestMetadata`` rides along) and answers with a
Converse response, and refuses a record with ``toolConfig`` (400), as Bedrock's batch does. A
job moves through Submitted -> Validating -> Scheduled -> InProgress -> Completed (or
PartiallyCompleted when some records failed) one step per GetModelInvocationJob, so clients
see realistic progress.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from tierwise.emulator.apierror import ApiError, validation

__all__ = ["BatchJobs", "InvocationType"]


class InvocationType(StrEnum):
    """``modelInvocationType`` of a job: the format of its records."""

    INVOKE_MODEL = "InvokeModel"
    CONVERSE = "Converse"


_STEPS = ("Submitted", "Validating", "Scheduled", "InProgress")
_ACCOUNT = "123456789012"


def _split_s3(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    if parts.scheme != "s3" or not parts.netloc:
        raise validation(f"{uri} is not an s3:// URI.")
    return parts.netloc, parts.path.lstrip("/")


class BatchJobs:
    """Model invocation jobs; thread-safe. ``answer(model_id, body, invocation_type)``
    answers one record."""

    def __init__(
        self,
        answer: Callable[[str, Any, InvocationType], dict[str, Any]],
        s3_client: Callable[[], Any],
        region: str,
    ) -> None:
        self._answer = answer
        self._s3 = s3_client
        self._region = region
        self._lock = threading.Lock()
        self._jobs: dict[str, dict[str, Any]] = {}
        self._by_token: dict[str, str] = {}

    def create(self, body: Mapping[str, Any], resolve: Callable[[str], object]) -> dict[str, Any]:
        for name in ("jobName", "roleArn", "modelId", "inputDataConfig", "outputDataConfig"):
            if not body.get(name):
                raise validation(f"1 validation error detected: {name} must not be null.")
        hours = body.get("timeoutDurationInHours", 168)
        if not 24 <= int(hours) <= 168:
            raise validation("timeoutDurationInHours must be between 24 and 168.")
        kind = body.get("modelInvocationType", InvocationType.INVOKE_MODEL.value)
        if kind not in {t.value for t in InvocationType}:
            raise validation(
                f"1 validation error detected: Value '{kind}' at 'modelInvocationType' failed "
                "to satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(t.value for t in InvocationType)}]"
            )
        resolve(str(body["modelId"]))
        token = body.get("clientRequestToken")
        with self._lock:
            if token and token in self._by_token:
                return {"jobArn": self._jobs[self._by_token[token]]["jobArn"]}
            job_id = uuid.uuid4().hex[:12]
            now = datetime.now(UTC)
            self._jobs[job_id] = {
                "jobArn": (
                    f"arn:aws:bedrock:{self._region}:{_ACCOUNT}:model-invocation-job/{job_id}"
                ),
                "jobName": body["jobName"],
                "modelId": body["modelId"],
                "clientRequestToken": token or "",
                "roleArn": body["roleArn"],
                "status": "Submitted",
                "submitTime": now.isoformat(),
                "lastModifiedTime": now.isoformat(),
                "inputDataConfig": body["inputDataConfig"],
                "outputDataConfig": body["outputDataConfig"],
                "timeoutDurationInHours": int(hours),
                "jobExpirationTime": (now + timedelta(hours=int(hours))).isoformat(),
                "modelInvocationType": kind,
                "_step": 0,
            }
            if token:
                self._by_token[token] = job_id
        return {"jobArn": self._jobs[job_id]["jobArn"]}

    def _job(self, identifier: str) -> dict[str, Any]:
        job_id = identifier.rsplit("/", 1)[-1]
        job = self._jobs.get(job_id)
        if job is None:
            raise ApiError("ResourceNotFoundException", f"Could not find job {identifier}.")
        return job

    def get(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            job = self._job(identifier)
            if job["status"] in _STEPS:
                job["_step"] += 1
                if job["_step"] < len(_STEPS):
                    job["status"] = _STEPS[job["_step"]]
                else:
                    try:
                        self._run(job)
                    except Exception as exc:  # unreadable input, unwritable output: as Bedrock
                        job["status"] = "Failed"
                        job["message"] = f"the job could not read or write S3: {exc}"
                job["lastModifiedTime"] = datetime.now(UTC).isoformat()
            if job["status"] == "Stopping":
                job["status"] = "Stopped"
                job["endTime"] = datetime.now(UTC).isoformat()
            return {k: v for k, v in job.items() if not k.startswith("_")}

    def list(self, query: Mapping[str, str]) -> dict[str, Any]:
        with self._lock:
            jobs = [
                {k: v for k, v in j.items() if not k.startswith("_")}
                for j in self._jobs.values()
                if (not query.get("statusEquals") or j["status"] == query["statusEquals"])
                and (not query.get("nameContains") or query["nameContains"] in j["jobName"])
            ]
        return {"invocationJobSummaries": jobs}

    def stop(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            job = self._job(identifier)
            if job["status"] in ("Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"):
                raise validation(f"Job {identifier} is {job['status']} and cannot be stopped.")
            job["status"] = "Stopping"
        return {}

    def record_result(
        self,
        model_id: str,
        model_input: Any,
        invocation_type: InvocationType = InvocationType.INVOKE_MODEL,
    ) -> dict[str, Any]:
        """One record's outcome as the output line carries it: ``modelOutput``, or ``error``
        with the status and message the same request gets on demand."""
        try:
            return {"modelOutput": self._answer(model_id, model_input, invocation_type)}
        except ApiError as exc:
            return {"error": {"errorCode": exc.status, "errorMessage": exc.message}}

    def _run(self, job: dict[str, Any]) -> None:
        """Answer every record of the job's input and write the outputs to S3."""
        s3 = self._s3()
        in_bucket, in_key = _split_s3(job["inputDataConfig"]["s3InputDataConfig"]["s3Uri"])
        out_bucket, out_prefix = _split_s3(job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"])
        job_id = job["jobArn"].rsplit("/", 1)[-1]
        if in_key.endswith(".jsonl"):
            keys = [in_key]
        else:
            listing = s3.list_objects_v2(Bucket=in_bucket, Prefix=in_key)
            keys = [o["Key"] for o in listing.get("Contents", []) if o["Key"].endswith(".jsonl")]
        total = success = errors = 0
        for key in keys:
            body = s3.get_object(Bucket=in_bucket, Key=key)["Body"].read().decode("utf-8")
            lines = []
            for line in body.splitlines():
                if not line.strip():
                    continue
                total += 1
                record = json.loads(line)
                out: dict[str, Any] = {
                    "recordId": record.get("recordId") or f"{total:011d}",
                    "modelInput": record.get("modelInput"),
                }
                out.update(
                    self.record_result(
                        job["modelId"],
                        record.get("modelInput"),
                        InvocationType(job["modelInvocationType"]),
                    )
                )
                if "error" in out:
                    errors += 1
                else:
                    success += 1
                lines.append(json.dumps(out))
            name = key.rsplit("/", 1)[-1]
            s3.put_object(
                Bucket=out_bucket,
                Key=f"{out_prefix.rstrip('/')}/{job_id}/{name}.out".lstrip("/"),
                Body="\n".join(lines).encode("utf-8"),
            )
        manifest = {
            "totalRecordCount": total,
            "processedRecordCount": total,
            "successRecordCount": success,
            "errorRecordCount": errors,
        }
        s3.put_object(
            Bucket=out_bucket,
            Key=f"{out_prefix.rstrip('/')}/{job_id}/manifest.json.out".lstrip("/"),
            Body=json.dumps(manifest).encode("utf-8"),
        )
        job.update(manifest)
        job["status"] = (
            "PartiallyCompleted" if errors and success else "Failed" if errors else "Completed"
        )
        job["endTime"] = datetime.now(UTC).isoformat()
