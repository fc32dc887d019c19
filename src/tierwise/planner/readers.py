"""Readers for ``tierwise plan``: logged traffic in, :class:`Invocation` records out, streamed.

Sources, detected per record:

* Bedrock model-invocation logs (``schemaType: ModelInvocationLog``): the S3 layout of
  ``.json.gz`` files (``AWSLogs/<acct>/BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/``)
  as a local directory or an ``s3://bucket/prefix``; each file is JSON Lines, with a JSON
  array or a single object accepted too. The ``amazon-bedrock-logs-permission-check`` object
  and offloaded bodies under ``data/`` are not records: a record whose body was offloaded
  (over 100 KB: ``input.inputBodyS3Path``) has it read from there, in S3 or in the local copy.
* CloudWatch Logs exports of the same records: ``<timestamp> <json>`` lines (an export task
  to S3), objects whose ``message`` holds the record (``filter-log-events`` output), or Logs
  Insights results (``get-query-results``, or rows with ``@message``).
* OpenAI- or Anthropic-style JSONL: request bodies (``{"model", "messages", ...}``, or an
  OpenAI Responses request's ``{"model", "input", ...}``), batch
  lines (``body``/``params``, tierwise's ``openai``/``anthropic``/``converse``), with the
  response's ``usage`` when present.
* tierwise's own ledger (``sqlite:///...`` or ``postgresql://...``): answered calls with their
  recorded usage; the route recorded with each row gives the task class.
* tierwise's captures (``captures:`` for the configured ledger's, or ``captures:URL``): the
  sampled requests ``[capture]`` stored, with the ledger's token counts for each call. A
  capture whose text was redacted or cut keeps the route recorded with it.

Token counts come from the log when it has them, else from the body's ``usage``, else they are
estimated (and counted as estimated). Failed calls (``errorCode``) are not billed and skipped.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tierwise.core.guardrails import guardrail_usd
from tierwise.core.planning import Invocation, RouteChoice
from tierwise.core.pricing import Usage
from tierwise.core.tiers import Tier
from tierwise.core.tokens import count_request, count_text
from tierwise.errors import InvalidRequestError

if TYPE_CHECKING:
    from tierwise.core.convert.request import Converted

__all__ = [
    "CAPTURES",
    "BatchTag",
    "ReadStats",
    "capture_record",
    "local_size",
    "read_sources",
]

# What a request without a logged answer is assumed to produce, at most its maxTokens.
DEFAULT_OUTPUT_ESTIMATE = 256
_SKIP_NAMES = ("amazon-bedrock-logs-permission-check",)
_SUFFIXES = (".json", ".jsonl", ".gz", ".log", ".txt", ".ndjson")


@dataclass(frozen=True)
class BatchTag:
    """A ``requestMetadata`` key and value that mark a request as non-interactive."""

    key: str = "tierwise-batch"
    value: str = "true"

    def matches(self, metadata: Any) -> bool:
        return isinstance(metadata, Mapping) and str(metadata.get(self.key, "")) == self.value


@dataclass
class ReadStats:
    files: int = 0
    records: int = 0
    skipped_errors: int = 0
    skipped_unreadable: int = 0
    bytes_read: int = 0
    """Bytes of the files read to the end."""
    position: int = 0
    """Bytes read so far of the file being read (as stored: compressed for .gz)."""
    kinds: dict[str, int] = field(default_factory=dict)
    bodies_offloaded: int = 0
    """Request bodies read from their offloaded object (``input.inputBodyS3Path``)."""
    bodies_missing: int = 0
    """Offloaded request bodies that could not be found or read (planned without a body)."""


# Reads an offloaded body (``s3://bucket/key`` as the record names it): decoded JSON or None.
BodyLoader = Callable[[str], Any]


def _decode_body(raw: bytes, name: str) -> Any:
    data = gzip.decompress(raw) if name.endswith(".gz") else raw
    return json.loads(data)


def local_body_loader(root: Path, stats: ReadStats) -> BodyLoader:
    """Offloaded bodies of a local copy of the log bucket: the object's key, or its tail
    (the copy may start at any folder of it, ``AWSLogs/`` or below), under ``root``."""
    base = root if root.is_dir() else root.parent

    def load(uri: str) -> Any:
        parts = [p for p in uri.split("://", 1)[-1].split("/") if p]
        if ".." in parts:
            return _missing(stats)
        for k in range(len(parts)):
            candidate = base.joinpath(*parts[k:])
            if candidate.is_file():
                try:
                    body = _decode_body(candidate.read_bytes(), candidate.name)
                except (OSError, EOFError, ValueError):
                    return _missing(stats)
                stats.bodies_offloaded += 1
                return body
        return _missing(stats)

    return load


def s3_body_loader(client: Any, stats: ReadStats) -> BodyLoader:
    """Offloaded bodies read from S3 with the client that reads the logs."""
    from botocore.exceptions import BotoCoreError, ClientError

    def load(uri: str) -> Any:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        try:
            raw = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            body = _decode_body(raw, key)
        except (BotoCoreError, ClientError, OSError, EOFError, ValueError):
            return _missing(stats)
        stats.bodies_offloaded += 1
        return body

    return load


def _missing(stats: ReadStats) -> None:
    stats.bodies_missing += 1


# -- locating files ------------------------------------------------------------------------


def _wanted(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    if base in _SKIP_NAMES or "/data/" in f"/{name}":
        return False
    return base.endswith(_SUFFIXES)


def local_size(sources: Iterable[str]) -> int | None:
    """The bytes a plan will read, when every source is a local file or directory (None when
    one is not: S3, a ledger, captures), for a progress bar with an end."""
    total = 0
    for source in sources:
        if source.startswith(("s3://", CAPTURES, "sqlite:", "postgresql:", "postgres:")):
            return None
        total += sum(p.stat().st_size for p in local_files(Path(source)))
    return total


def local_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise InvalidRequestError(
            f"{path} is neither a file nor a directory",
            hint="pass a log file, a directory of logs, s3://bucket/prefix or a ledger URL",
        )
    return sorted(
        p for p in path.rglob("*") if p.is_file() and _wanted(p.relative_to(path).as_posix())
    )


def _lines(raw: IO[bytes], name: str) -> Iterator[str]:
    stream: Any = gzip.GzipFile(fileobj=raw) if name.endswith(".gz") else raw
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace")
    first = text.readline()
    if first.lstrip().startswith("["):
        # A JSON array (some exports): read it whole; these files are small.
        for item in json.loads(first + text.read()):
            yield json.dumps(item)
        return
    if first:
        yield first
    yield from text


# -- records -------------------------------------------------------------------------------


def _parse_ts(value: Any, default: datetime) -> datetime:
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str) and value:
        try:
            ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return default
        return ts if ts.tzinfo else ts.replace(tzinfo=UTC)
    return default


def _decode_line(line: str) -> Any:
    text = line.strip()
    if not text:
        return None
    if not text.startswith(("{", "[")):
        # CloudWatch export to S3: "<ISO timestamp> <message>"
        _, _, rest = text.partition(" ")
        text = rest.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _cloudwatch_messages(obj: Mapping[str, Any]) -> Iterator[Any]:
    """The records in CloudWatch Logs output: ``filter-log-events``/``get-log-events``
    (``events``), a Logs Insights ``get-query-results`` (``results``: rows of field/value
    pairs, the record in ``@message``), or one event (``message`` or ``@message``)."""
    if isinstance(obj.get("events"), list):
        for event in obj["events"]:
            if isinstance(event, Mapping):
                yield from _cloudwatch_messages(event)
        return
    if isinstance(obj.get("results"), list):
        for row in obj["results"]:
            if isinstance(row, list):
                fields = {
                    str(f.get("field")): f.get("value") for f in row if isinstance(f, Mapping)
                }
                yield from _cloudwatch_messages(fields)
        return
    message = obj.get("message") or obj.get("@message")
    if isinstance(message, str):
        try:
            yield json.loads(message)
        except json.JSONDecodeError:
            return
    elif isinstance(message, Mapping):
        yield message


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _output_text_tokens(body: Any) -> int:
    """Tokens of the answer text in a Converse or Messages response body (or chunks)."""
    if isinstance(body, list):
        return sum(_output_text_tokens(b) for b in body)
    if not isinstance(body, Mapping):
        return 0
    message = (body.get("output") or {}).get("message") if "output" in body else body
    content = (message or {}).get("content") if isinstance(message, Mapping) else None
    if not isinstance(content, list):
        return 0
    return sum(count_text(str(b.get("text", ""))) for b in content if isinstance(b, Mapping))


def _body_usage(body: Any) -> Usage | None:
    """``usage`` in a Converse, Messages or Chat Completions response (or stream chunks)."""
    if isinstance(body, list):
        return _chunks_usage(body)
    if not isinstance(body, Mapping):
        return None
    usage = body.get("usage")
    if usage is None and isinstance(body.get("message"), Mapping):
        usage = body["message"].get("usage")
    if not isinstance(usage, Mapping):
        return None
    if "inputTokens" in usage:
        return Usage.from_converse(usage)
    if "input_tokens" in usage and "input_tokens_details" in usage:  # OpenAI Responses
        cached = _int((usage.get("input_tokens_details") or {}).get("cached_tokens"))
        return Usage(
            input=_int(usage.get("input_tokens")) - cached,
            output=_int(usage.get("output_tokens")),
            cache_read=cached,
        )
    if "input_tokens" in usage:
        return Usage(
            input=_int(usage.get("input_tokens")),
            output=_int(usage.get("output_tokens")),
            cache_read=_int(usage.get("cache_read_input_tokens")),
            cache_write_5m=_int(usage.get("cache_creation_input_tokens")),
        )
    if "prompt_tokens" in usage:
        details = usage.get("prompt_tokens_details") or {}
        cached = _int(details.get("cached_tokens"))
        return Usage(
            input=_int(usage.get("prompt_tokens")) - cached,
            output=_int(usage.get("completion_tokens")),
            cache_read=cached,
        )
    return None


def _chunks_usage(chunks: list[Any]) -> Usage | None:
    """The usage of a streamed answer logged as its chunks (InvokeModelWithResponseStream).

    Bedrock's last chunk carries ``amazon-bedrock-invocationMetrics`` (the call's token
    counts); without it, Anthropic's events split them: ``message_start`` has the prompt's
    (and an output of 1), each ``message_delta`` the output so far."""
    for chunk in reversed(chunks):
        metrics = (
            chunk.get("amazon-bedrock-invocationMetrics") if isinstance(chunk, Mapping) else None
        )
        if isinstance(metrics, Mapping) and "inputTokenCount" in metrics:
            return Usage(
                input=_int(metrics.get("inputTokenCount")),
                output=_int(metrics.get("outputTokenCount")),
                cache_read=_int(metrics.get("cacheReadInputTokenCount")),
                cache_write_5m=_int(metrics.get("cacheWriteInputTokenCount")),
            )
    prompt: Usage | None = None
    output = 0
    for chunk in chunks:
        found = _body_usage(chunk)
        if found is None:
            delta = chunk.get("usage") if isinstance(chunk, Mapping) else None
            if isinstance(delta, Mapping):  # message_delta: {"output_tokens": N}
                output = max(output, _int(delta.get("output_tokens")))
            continue
        if prompt is None:
            prompt = found
        output = max(output, found.output)
    if prompt is None:
        return None
    return Usage(
        input=prompt.input,
        output=output,
        cache_read=prompt.cache_read,
        cache_write_5m=prompt.cache_write_5m,
        cache_write_1h=prompt.cache_write_1h,
    )


# What the planner keeps of a logged body: what shapes the prompt and the route. Logs carry
# fields the gateway's strict converters refuse (anthropic_version, provider extensions).
_ANTHROPIC_KEEP = (
    "messages",
    "system",
    "tools",
    "tool_choice",
    "max_tokens",
    "thinking",
    "stop_sequences",
)
_OPENAI_KEEP = (
    "messages",
    "tools",
    "tool_choice",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "reasoning_effort",
)


def _converted(
    body: Mapping[str, Any],
    keep: tuple[str, ...],
    convert: Callable[[dict[str, Any]], Converted],
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The Converse request a door's converter makes of ``body``'s ``keep`` fields, or None."""
    kept = {k: body[k] for k in keep if k in body}
    try:
        return convert({**(defaults or {}), **kept, "model": "auto"}).request
    except Exception:  # a body the converter refuses is planned without its text
        return None


def _anthropic_to_converse(body: Mapping[str, Any]) -> dict[str, Any] | None:
    from tierwise.core.convert.anthropic import from_messages

    return _converted(body, _ANTHROPIC_KEEP, from_messages, {"max_tokens": DEFAULT_OUTPUT_ESTIMATE})


def _openai_to_converse(body: Mapping[str, Any]) -> dict[str, Any] | None:
    from tierwise.core.convert.openai import from_chat_completions

    return _converted(body, _OPENAI_KEEP, from_chat_completions)


_RESPONSES_KEEP = (
    "input",
    "instructions",
    "tools",
    "tool_choice",
    "max_output_tokens",
    "text",
    "reasoning",
)


def _responses_to_converse(body: Mapping[str, Any]) -> dict[str, Any] | None:
    from tierwise.core.convert.responses import from_responses

    return _converted(body, _RESPONSES_KEEP, from_responses)


def _estimate(request: Mapping[str, Any] | None, answer_tokens: int) -> Usage:
    prompt = count_request(request) if request else 0
    cap = _int(((request or {}).get("inferenceConfig") or {}).get("maxTokens"))
    output = answer_tokens or min(DEFAULT_OUTPUT_ESTIMATE, cap or DEFAULT_OUTPUT_ESTIMATE)
    return Usage(input=prompt, output=output)


def bedrock_record(
    rec: Mapping[str, Any], tag: BatchTag, now: datetime, load: BodyLoader | None = None
) -> Invocation | None:
    """One model-invocation log record; None for a failed call. A body over 100 KB is not in
    the record but in an object it names (``inputBodyS3Path``), read with ``load``."""
    if rec.get("errorCode"):
        return None
    inp = rec.get("input") or {}
    out = rec.get("output") or {}
    operation = str(rec.get("operation") or "Converse")
    body = inp.get("inputBodyJson")
    offloaded = inp.get("inputBodyS3Path")
    if body is None and load is not None and isinstance(offloaded, str) and offloaded:
        body = load(offloaded)
    request: dict[str, Any] | None = None
    if isinstance(body, Mapping):
        if operation.startswith("Converse"):
            request = {k: v for k, v in body.items() if k != "modelId"}
        else:
            request = _anthropic_to_converse(body)
    logged_in = inp.get("inputTokenCount")
    logged_out = out.get("outputTokenCount")
    estimated = False
    if logged_in is not None and logged_out is not None:
        usage = Usage(
            input=_int(logged_in),
            output=_int(logged_out),
            cache_read=_int(inp.get("cacheReadInputTokenCount")),
            cache_write_5m=_int(inp.get("cacheWriteInputTokenCount")),
        )
    else:
        found = _body_usage(out.get("outputBodyJson"))
        if found is None:
            found = _estimate(request, _output_text_tokens(out.get("outputBodyJson")))
            estimated = True
        usage = found
    return Invocation(
        ts=_parse_ts(rec.get("timestamp"), now),
        model_id=str(rec.get("modelId") or ""),
        usage=usage,
        request=request,
        usage_estimated=estimated,
        batchable=tag.matches(rec.get("requestMetadata")),
    )


def api_record(rec: Mapping[str, Any], tag: BatchTag, now: datetime) -> Invocation | None:
    """An OpenAI- or Anthropic-style JSONL line (request body, batch line or pair)."""
    body: Any = rec
    response: Any = rec.get("response")
    style = ""
    for key in ("body", "params", "request", "openai", "anthropic", "converse"):
        if isinstance(rec.get(key), Mapping):
            body, style = rec[key], key
            break
    if isinstance(response, Mapping) and isinstance(response.get("body"), Mapping):
        response = response["body"]
    if not isinstance(body, Mapping) or not ("messages" in body or "input" in body):
        return None
    if "messages" not in body:  # an OpenAI Responses API request
        request: dict[str, Any] | None = _responses_to_converse(body)
    elif style == "converse":
        request = {k: v for k, v in body.items() if k != "modelId"}
    elif style in ("params", "anthropic") or _looks_anthropic(body):
        request = _anthropic_to_converse(body)
    else:
        request = _openai_to_converse(body)
    usage = _body_usage(response) or _body_usage(rec)
    estimated = usage is None
    if usage is None:
        usage = _estimate(request, _output_text_tokens(response))
    model = str(body.get("model") or body.get("modelId") or rec.get("model") or "")
    metadata = body.get("metadata") or rec.get("metadata") or body.get("requestMetadata")
    return Invocation(
        ts=_parse_ts(
            rec.get("timestamp")
            or rec.get("created_at")
            or rec.get("created")
            or (response or {}).get("created")
            if isinstance(response, Mapping)
            else None,
            now,
        ),
        model_id=model,
        usage=usage,
        request=request,
        usage_estimated=estimated,
        batchable=tag.matches(metadata),
    )


def _looks_anthropic(body: Mapping[str, Any]) -> bool:
    if "system" in body or "anthropic_version" in body:
        return True
    for message in body.get("messages") or ():
        if isinstance(message, Mapping) and message.get("role") == "system":
            return False
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, list) and any(
            (
                isinstance(b, Mapping)
                and b.get("type") in ("image", "document", "tool_result")
                and "source" in b
            )
            or b.get("type") == "tool_result"
            for b in content
            if isinstance(b, Mapping)
        ):
            return True
    return "max_tokens" in body and "max_completion_tokens" not in body and "n" not in body


def records_of(
    obj: Any, tag: BatchTag, now: datetime, stats: ReadStats, load: BodyLoader | None = None
) -> Iterator[Invocation]:
    """The invocations in one decoded JSON value, whatever its source."""
    if isinstance(obj, list):
        for item in obj:
            yield from records_of(item, tag, now, stats, load)
        return
    if not isinstance(obj, Mapping):
        stats.skipped_unreadable += 1
        return
    if obj.get("schemaType") == "ModelInvocationLog" or ("modelId" in obj and "input" in obj):
        kind, inv = "bedrock-log", bedrock_record(obj, tag, now, load)
    elif "message" in obj or "events" in obj or "@message" in obj or "results" in obj:
        for inner in _cloudwatch_messages(obj):
            yield from records_of(inner, tag, now, stats, load)
        return
    else:
        kind, inv = "api-jsonl", api_record(obj, tag, now)
        if inv is None:  # no request in it (a response line, some other JSON): not a call
            stats.skipped_unreadable += 1
            return
    stats.kinds[kind] = stats.kinds.get(kind, 0) + 1
    if inv is None:
        stats.skipped_errors += 1
        return
    stats.records += 1
    yield inv


def _recorded_route(route: Mapping[str, Any]) -> RouteChoice | None:
    """The router's decision recorded with a call: in shadow mode the call kept the model it
    asked for, and the decision the router would have made rides along as ``shadow``."""
    from tierwise.capture import task_class_of

    shadow = route.get("shadow")
    decided = shadow if isinstance(shadow, Mapping) and shadow.get("tier") else route
    try:
        tier = Tier(str(decided.get("tier")))
    except ValueError:
        return None
    return RouteChoice(tier, task_class_of(decided) or task_class_of(route) or "unknown (ledger)")


# Rows read from a SQL ledger per query: memory stays flat however long the ledger is.
_PAGE = 500


def _answers(row: Any) -> bool:
    return bool(row.status != "error" and (row.metadata or {}).get("kind", "answer") == "answer")


def _ledger_rows(ledger: Any) -> Iterator[Any]:
    from tierwise.store.sql import SQLLedger, to_row

    if not isinstance(ledger, SQLLedger):
        yield from ledger.rows()
        return
    after = 0
    while True:
        page = ledger.query("SELECT * FROM ledger WHERE id > ? ORDER BY id LIMIT ?", (after, _PAGE))
        if not page:
            return
        for r in page:
            yield to_row(r)
        after = int(page[-1]["id"])


def _ledger(url: str, stats: ReadStats) -> Iterator[Invocation]:
    from tierwise.store import open_ledger

    with open_ledger(url) as ledger:
        for row in _ledger_rows(ledger):
            if not _answers(row):
                continue
            stats.records += 1
            stats.kinds["ledger"] = stats.kinds.get("ledger", 0) + 1
            yield Invocation(
                ts=row.ts,
                model_id=row.model_id,
                usage=row.usage,
                request=None,
                batchable=row.batch,
                ran_batch=row.batch,
                route=_recorded_route(row.route or {}),
                attempt_only=row.status == "rejected",
                fixed_cost=guardrail_usd(row.metadata),
            )


def _answered_rows(ledger: Any, request_ids: list[str]) -> dict[str, list[Any]]:
    """The answered ledger rows of these requests, by request id, in id order."""
    from tierwise.store.sql import to_row

    if not request_ids:
        return {}
    marks = ", ".join("?" for _ in request_ids)
    found: dict[str, list[Any]] = {}
    for r in ledger.query(
        f"SELECT * FROM ledger WHERE request_id IN ({marks}) ORDER BY id", request_ids
    ):
        row = to_row(r)
        if _answers(row):
            found.setdefault(row.request_id, []).append(row)
    return found


def capture_record(capture: Any, rows: list[Any], tag: BatchTag) -> Invocation:
    """One captured call. Token counts are the ledger's for that call (the stored text may
    be redacted or cut, so counting it would be wrong); without a ledger row they are
    estimated from what was stored. A capture whose text was redacted or cut is routed by
    the decision recorded with it (made on the full text), not routed again."""
    answers = [r for r in rows if r.status != "rejected"] or rows
    row = next((r for r in reversed(answers) if r.model_id == capture.model_id), None)
    if row is None and answers:
        row = answers[-1]
    stored = dict(capture.request or {})
    redacted = bool(capture.redactions) or bool(capture.truncated)
    # A cut capture keeps only its last user turn: no prefix of the real request is known.
    request = None if capture.truncated else {k: v for k, v in stored.items() if k != "modelId"}
    if row is not None:
        usage, estimated = row.usage, False
    else:
        usage = _estimate(request or stored, _output_text_tokens(capture.answer))
        estimated = True
    return Invocation(
        ts=capture.ts,
        model_id=capture.model_id,
        usage=usage,
        request=request or None,
        usage_estimated=estimated,
        batchable=bool(row is not None and row.batch) or tag.matches(stored.get("requestMetadata")),
        ran_batch=bool(row is not None and row.batch),
        route=_recorded_route(capture.route or {}),
        redacted=redacted,
        fixed_cost=guardrail_usd(row.metadata) if row is not None else Decimal(0),
    )


def _captures(url: str, tag: BatchTag, stats: ReadStats) -> Iterator[Invocation]:
    from tierwise.store import open_ledger
    from tierwise.store.captures import CaptureStore
    from tierwise.store.sql import SQLLedger

    with open_ledger(url) as ledger:
        if not isinstance(ledger, SQLLedger):
            raise InvalidRequestError(
                f"{url} is not a SQL ledger, and captures live in one",
                hint="name the sqlite:/// or postgresql:// ledger that [capture] wrote to",
            )
        store = CaptureStore(ledger)
        after = 0
        while True:
            page = store.list(after=after, limit=_PAGE)
            if not page:
                return
            rows = _answered_rows(ledger, sorted({c.request_id for c in page}))
            for capture in page:
                stats.records += 1
                stats.kinds["capture"] = stats.kinds.get("capture", 0) + 1
                answered = rows.get(capture.request_id, [])
                inv = capture_record(capture, answered, tag)
                # The request's rejected attempts were billed too (as is only).
                for row in answered:
                    if row.status == "rejected":
                        yield Invocation(
                            ts=row.ts,
                            model_id=row.model_id,
                            usage=row.usage,
                            ran_batch=row.batch,
                            route=inv.route,
                            attempt_only=True,
                            fixed_cost=guardrail_usd(row.metadata),
                        )
                yield inv
            after = int(page[-1].id or 0)


CAPTURES = "captures:"


def read_sources(
    sources: Iterable[str],
    *,
    tag: BatchTag,
    stats: ReadStats,
    s3_client: Callable[[], Any] | None = None,
    on_file: Callable[[str, int], None] | None = None,
    now: datetime | None = None,
    ledger_url: str | None = None,
) -> Iterator[Invocation]:
    """Every invocation in ``sources`` (paths, ``s3://`` prefixes, ledger URLs, and
    ``captures:`` or ``captures:URL``: the captures in ``ledger_url`` or in URL), streamed."""
    clock = now or datetime.now(UTC)
    for source in sources:
        if source.startswith(CAPTURES):
            url = source[len(CAPTURES) :] or ledger_url
            if not url:
                raise InvalidRequestError(
                    "captures: names no ledger", hint="use captures:sqlite:///path/to/ledger.db"
                )
            yield from _captures(url, tag, stats)
            continue
        if source.startswith(("sqlite:", "postgresql:", "postgres:")):
            yield from _ledger(source, stats)
            continue
        if source.startswith("s3://"):
            yield from _s3(source, tag, stats, s3_client, on_file, clock)
            continue
        load = local_body_loader(Path(source), stats)
        for path in local_files(Path(source)):
            stats.files += 1
            size = path.stat().st_size
            with path.open("rb") as raw:
                yield from _file(raw, path.name, tag, stats, clock, load)
            stats.bytes_read += size
            stats.position = 0
            if on_file is not None:
                on_file(str(path), size)


def _file(  # noqa: PLR0917
    raw: IO[bytes],
    name: str,
    tag: BatchTag,
    stats: ReadStats,
    now: datetime,
    load: BodyLoader | None = None,
) -> Iterator[Invocation]:
    try:
        for n, line in enumerate(_lines(raw, name), start=1):
            if n % 256 == 0:
                stats.position = _tell(raw)
            obj = _decode_line(line)
            if obj is None:
                if line.strip():
                    stats.skipped_unreadable += 1
                continue
            yield from records_of(obj, tag, now, stats, load)
    except (OSError, EOFError, json.JSONDecodeError) as exc:
        raise InvalidRequestError(f"{name} cannot be read: {exc}") from None


def _tell(raw: IO[bytes]) -> int:
    try:
        return int(raw.tell())
    except (OSError, AttributeError, ValueError):
        return 0


def list_s3(client: Any, uri: str) -> Iterator[tuple[str, str, int]]:
    """(bucket, key, size) of the log objects under ``s3://bucket/prefix``, in key order
    (ListObjectsV2 returns keys in that order), a page at a time."""
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    if not bucket:
        raise InvalidRequestError(f"{uri} names no bucket", hint="s3://bucket/prefix")
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents") or ():
            key = str(obj["Key"])
            if _wanted(key[len(prefix) :] if prefix else key):
                yield bucket, key, int(obj.get("Size") or 0)


def _s3(  # noqa: PLR0917
    uri: str,
    tag: BatchTag,
    stats: ReadStats,
    s3_client: Callable[[], Any] | None,
    on_file: Callable[[str, int], None] | None,
    now: datetime,
) -> Iterator[Invocation]:
    from botocore.exceptions import BotoCoreError, ClientError

    if s3_client is None:
        raise InvalidRequestError("reading s3:// needs an S3 client")
    client = s3_client()
    load = s3_body_loader(client, stats)
    where = uri
    try:
        for bucket, key, size in list_s3(client, uri):
            where = f"s3://{bucket}/{key}"
            stats.files += 1
            body = client.get_object(Bucket=bucket, Key=key)["Body"]
            try:
                yield from _file(body, key, tag, stats, now, load)
            finally:
                body.close()
            stats.bytes_read += size
            stats.position = 0
            if on_file is not None:
                on_file(where, size)
    except (BotoCoreError, ClientError) as exc:
        raise InvalidRequestError(
            f"cannot read {where}: {exc}",
            hint="check the bucket, the prefix and the Region, and that your AWS credentials "
            "may s3:ListBucket and s3:GetObject there ([batch] s3_endpoint_url for a local S3)",
        ) from None
