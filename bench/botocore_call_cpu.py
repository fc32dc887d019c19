"""CPU of one Bedrock Converse call through BedrockClient and botocore, the network stubbed.

Run: python bench/botocore_call_cpu.py [CALLS] [PROFILE_FILE]

What the runtime client costs per call without any I/O: BedrockClient.converse (failover
loop, deadline bound) and botocore's whole pipeline (parameter events, validation,
serialisation, endpoint rules, signing, user agent, retry bookkeeping, response parse),
with the HTTP session's ``send`` replaced by a canned 200 answer. 50 warm-up calls, then
CALLS (default 2000) measured with ``time.thread_time``; PROFILE_FILE adds a cProfile of
CALLS more (timer: thread CPU). For a figure that load does not move, run it under
``valgrind --tool=callgrind`` twice with different CALLS and divide the difference in
instructions by the difference in calls (bench/results/request_cpu.txt, section 6).
Figures only; no thresholds.
"""

from __future__ import annotations

import cProfile
import json
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

from botocore.awsrequest import AWSResponse

from tierwise.bedrock.client import BedrockClient
from tierwise.config import load_settings

PROFILE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
REQUEST = {
    "messages": [{"role": "user", "content": [{"text": "Write a haiku about the sea " * 5}]}],
    "inferenceConfig": {"maxTokens": 60},
}
ANSWER = json.dumps(
    {
        "output": {"message": {"role": "assistant", "content": [{"text": "hello there"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 10, "outputTokens": 3, "totalTokens": 13},
        "metrics": {"latencyMs": 12},
    }
).encode()


class _Raw:
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield ANSWER

    def read(self, *_: Any) -> bytes:
        return ANSWER


def _send(request: Any) -> AWSResponse:
    headers = {"content-type": "application/json", "x-amzn-requestid": "r"}
    return AWSResponse(request.url, 200, headers, _Raw())  # type: ignore[arg-type]


def main() -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    settings = load_settings(None).settings.with_overrides({"endpoint_url": "http://127.0.0.1:9"})
    client = BedrockClient(settings)
    endpoint: Any = client.runtime_client._endpoint  # type: ignore[attr-defined]
    endpoint.http_session.send = _send
    for _ in range(50):
        client.converse([PROFILE], REQUEST)
    began = time.thread_time()
    for _ in range(calls):
        client.converse([PROFILE], REQUEST)
    spent = time.thread_time() - began
    print(f"BedrockClient.converse, send stubbed: {spent / calls * 1e6:.1f} us/call")
    if len(sys.argv) > 2:
        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
        for _ in range(calls):
            client.converse([PROFILE], REQUEST)
        profiler.disable()
        profiler.dump_stats(sys.argv[2])


if __name__ == "__main__":
    main()
