"""Generate synthetic Bedrock model-invocation logs in the S3 layout, for `tierwise plan`.

    python bench/gen_invocation_logs.py OUT_DIR --records 1000000 [--seed 7]

Writes ``OUT_DIR/AWSLogs/<acct>/BedrockModelInvocationLogs/us-east-1/YYYY/MM/DD/HH/
<stamp>_<hex>.json.gz`` files of JSON Lines records (the documented record fields), plus
Bedrock's zero-byte permission-check object, over 14 days. The traffic is a mix a product
team might have: support triage and labeling on a shared long system prompt (cacheable),
field extraction with a shared schema, RAG answers over varying passages, multi-turn chat
(a growing shared history), code review and refactors, proofs and analysis, and nightly
summarization tagged ``requestMetadata: {"tierwise-batch": "true"}``. Models as called mix
global and US profiles, bare IDs, ARNs and an application profile, mostly Sonnet.
Deterministic for a seed; memory stays flat (one file's records at a time).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

ACCOUNT = "123456789012"
REGION = "us-east-1"
PER_FILE = 5000
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
OPUS = "anthropic.claude-opus-4-5-20251101-v1:0"
APP_PROFILE = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:application-inference-profile/teamsearch01"

_WORDS = [
    "invoice",
    "account",
    "refund",
    "shipping",
    "password",
    "login",
    "order",
    "delivery",
    "warranty",
    "subscription",
    "plan",
    "upgrade",
    "billing",
    "charge",
    "card",
    "address",
    "email",
    "device",
    "battery",
    "screen",
    "update",
    "error",
    "timeout",
    "payment",
    "policy",
    "customer",
    "contract",
    "renewal",
    "discount",
    "coupon",
    "return",
    "label",
    "tracking",
]
TRIAGE_SYSTEM = (
    "You are the triage assistant for Acme support. Classify each ticket into exactly one of: "
    "billing, technical, account, shipping, other. Answer with the label only. "
    + " ".join(
        f"Rule {i}: tickets mentioning {_WORDS[i % len(_WORDS)]} and "
        f"{_WORDS[(i * 7) % len(_WORDS)]} go to the most specific queue."
        for i in range(260)
    )
)
EXTRACT_SYSTEM = (
    "Extract the fields order_id, customer_name, amount, currency and date from the message "
    "and return JSON with exactly those keys. "
    + " ".join(
        f"Example {i}: 'order {1000 + i} paid {i}.50 EUR by Ann on 2025-0{1 + i % 9}-1{i % 9}' "
        f'-> {{"order_id": "{1000 + i}", "amount": {i}.50}}.'
        for i in range(90)
    )
)
CHAT_SYSTEM = "You are a helpful, concise product assistant for Acme's developer platform."


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n)).capitalize() + "."


def _text(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng, rng.randint(8, 18)) for _ in range(sentences))


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _model(rng: random.Random, base: str) -> str:
    roll = rng.random()
    if roll < 0.55:
        return f"global.{base}"
    if roll < 0.85:
        return f"us.{base}"
    if roll < 0.93:
        return f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/us.{base}"
    return APP_PROFILE if base == SONNET else f"us.{base}"


def _user(text: str) -> dict[str, object]:
    return {"role": "user", "content": [{"text": text}]}


def _request(
    rng: random.Random, chats: dict[int, list[dict[str, object]]]
) -> tuple[dict[str, object], str, int, dict[str, str]]:
    """(Converse body, model as called, output tokens, requestMetadata)."""
    roll = rng.random()
    meta: dict[str, str] = {"app": "acme"}
    if roll < 0.30:  # triage on a shared long system prompt, called on Sonnet today
        body = {
            "system": [{"text": TRIAGE_SYSTEM}],
            "messages": [_user(f"Ticket: {_text(rng, 2)}")],
            "inferenceConfig": {"maxTokens": 10},
        }
        return body, _model(rng, SONNET), rng.randint(1, 4), meta
    if roll < 0.45:  # extraction with a shared schema
        body = {
            "system": [{"text": EXTRACT_SYSTEM}],
            "messages": [_user(f"Message: order {rng.randint(1000, 99999)} {_text(rng, 2)}")],
            "inferenceConfig": {"maxTokens": 200},
        }
        return body, _model(rng, SONNET), rng.randint(30, 80), meta
    if roll < 0.63:  # RAG over varying passages
        passages = "\n\n".join(f"[{i}] {_text(rng, 5)}" for i in range(rng.randint(2, 6)))
        body = {
            "system": [{"text": "Answer from the passages only and cite them by number."}],
            "messages": [
                _user(f"{passages}\n\nQuestion: how do I change my {rng.choice(_WORDS)}?")
            ],
            "inferenceConfig": {"maxTokens": 800},
        }
        return body, _model(rng, SONNET), rng.randint(120, 400), meta
    if roll < 0.78:  # multi-turn chat: a growing history shared across turns
        chat_id = rng.randint(0, 199)
        history = chats.setdefault(chat_id, [])
        if len(history) > 16:
            history.clear()
        history.append(_user(_text(rng, 3)))
        body = {
            "system": [{"text": CHAT_SYSTEM}],
            "messages": list(history),
            "inferenceConfig": {"maxTokens": 1000},
        }
        history.append({"role": "assistant", "content": [{"text": _text(rng, 4)}]})
        return body, _model(rng, SONNET), rng.randint(80, 300), meta
    if roll < 0.86:  # code review / refactor
        code = "\n".join(
            f"def f{i}(x):\n    return x * {i}  # {rng.choice(_WORDS)}"
            for i in range(rng.randint(20, 120))
        )
        ask = rng.choice(
            [
                "Review this function for bugs",
                "Refactor this module across files, keep behaviour",
                "Write unit tests for",
            ]
        )
        body = {
            "messages": [_user(f"{ask}:\n```python\n{code}\n```")],
            "inferenceConfig": {"maxTokens": 4000},
        }
        return body, _model(rng, rng.choice([SONNET, SONNET, OPUS])), rng.randint(300, 1500), meta
    if roll < 0.92:  # hard reasoning, often sent to Opus
        ask = rng.choice(
            [
                "Prove that the sum of two odd integers is even, step by step.",
                "Analyse the trade-offs of migrating our billing system to event sourcing and recommend a plan.",
                "Find all integer solutions of x^2 - 5y^2 = 1 with x < 1000 and justify the method.",
            ]
        )
        body = {
            "messages": [_user(f"{ask} Context: {_text(rng, 3)}")],
            "inferenceConfig": {"maxTokens": 8000},
        }
        return body, _model(rng, rng.choice([OPUS, OPUS, SONNET])), rng.randint(800, 3000), meta
    if roll < 0.97:  # nightly summaries: non-interactive
        body = {
            "messages": [_user(f"Summarize this report in 5 bullet points:\n{_text(rng, 25)}")],
            "inferenceConfig": {"maxTokens": 600},
        }
        return body, _model(rng, SONNET), rng.randint(100, 250), {**meta, "tierwise-batch": "true"}
    body = {
        "messages": [_user(f"Translate to French: {_sentence(rng, 12)}")],
        "inferenceConfig": {"maxTokens": 200},
    }
    return body, HAIKU if rng.random() < 0.5 else _model(rng, HAIKU), rng.randint(20, 60), meta


def _record(
    rng: random.Random, ts: datetime, chats: dict[int, list[dict[str, object]]]
) -> dict[str, object]:
    body, model, out_tokens, meta = _request(rng, chats)
    text = json.dumps(body)
    in_tokens = _tokens(text)
    return {
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z",
        "accountId": ACCOUNT,
        "region": REGION,
        "requestId": f"{rng.getrandbits(64):016x}",
        "operation": "Converse",
        "modelId": model,
        "identity": {"arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app/worker"},
        "requestMetadata": meta,
        "input": {
            "inputContentType": "application/json",
            "inputBodyJson": body,
            "inputTokenCount": in_tokens,
        },
        "output": {
            "outputContentType": "application/json",
            "outputTokenCount": out_tokens,
            "outputBodyJson": {
                "stopReason": "end_turn",
                "usage": {
                    "inputTokens": in_tokens,
                    "outputTokens": out_tokens,
                    "totalTokens": in_tokens + out_tokens,
                },
            },
        },
    }


def generate(out: Path, records: int, seed: int = 7, days: int = 14) -> int:
    rng = random.Random(seed)
    root = out / "AWSLogs" / ACCOUNT / "BedrockModelInvocationLogs" / REGION
    root.mkdir(parents=True, exist_ok=True)
    (
        out
        / "AWSLogs"
        / ACCOUNT
        / "BedrockModelInvocationLogs"
        / "amazon-bedrock-logs-permission-check"
    ).touch()
    start = datetime(2026, 10, 1, tzinfo=UTC)
    step = timedelta(days=days) / max(records, 1)
    chats: dict[int, list[dict[str, object]]] = {}
    written = 0
    while written < records:
        n = min(PER_FILE, records - written)
        first = start + step * written
        folder = root / first.strftime("%Y/%m/%d/%H")
        folder.mkdir(parents=True, exist_ok=True)
        name = (
            first.strftime("%Y%m%dT%H%M%S")
            + f"{first.microsecond // 1000:03d}Z_{rng.getrandbits(64):016x}.json.gz"
        )
        with gzip.open(folder / name, "wt", encoding="utf-8", compresslevel=5) as fh:
            for i in range(n):
                fh.write(json.dumps(_record(rng, start + step * (written + i), chats)))
                fh.write("\n")
        written += n
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args()
    n = generate(args.out, args.records, args.seed, args.days)
    print(f"wrote {n:,} records under {args.out}")


if __name__ == "__main__":
    main()
