"""bench/stall_probe.py's stall attribution: stack sites and their summary by request step."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import FrameType, ModuleType

BENCH = Path(__file__).resolve().parents[1] / "bench" / "stall_probe.py"


def probe() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stall_probe", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_site_starts_at_the_innermost_frame() -> None:
    def inner() -> FrameType:
        return sys._getframe()

    where = probe().site(inner())
    leaf = where.split(" < ")[0]
    assert leaf.startswith("tests/test_stall_probe.py:inner:")


def test_steps_follow_the_innermost_tierwise_module() -> None:
    sp = probe()
    routing = "re/__init__.py:match:1 < tierwise/core/difficulty.py:hashed:2 < tierwise/x.py:y:3"
    assert sp.phase(routing) == "routing"
    assert sp.phase("botocore/parsers.py:_parse_shape:344 < tierwise/bedrock/client.py:call:1") \
        == "Bedrock call (botocore build, sign, parse)"  # fmt: skip
    assert sp.phase("bench/stall_probe.py:on_gc:1 < tierwise/core/signals.py:f:2") == (
        "GC pass or the probe"
    )


def test_sites_weighs_each_stall_by_its_length_and_skips_short_lags(tmp_path: Path) -> None:
    sp = probe()
    routing = "tierwise/core/difficulty.py:hashed:284 < tierwise/gateway/app.py:__call__:122"
    relay = "uvicorn/protocols/http/httptools_impl.py:send:542 < tierwise/gateway/streaming.py:r:1"
    data = {
        # tick 1: 30 ms late, tick 3: 20 ms late; ticks 0 and 2 under the threshold
        "lags": [[100.0, 0.001], [100.1, 0.030], [100.2, 0.002], [100.3, 0.020]],
        "gc": [],
        "thresholds": [700, 3, 3000],
        # [began, tick, span, cpu, runq, ready, busy threads, their cpu]
        "stalls": [[100.1, 1, 0.032, 0.028, 0.004, -1, [], 0.0]],
        "samples": {"1": [routing, routing, relay], "3": [relay]},
    }
    path = tmp_path / "stalls.json"
    path.write_text(json.dumps(data))
    lines = sp.sites(str(path), 0.0, 200.0)
    assert lines[0].startswith("stalls > 15 ms: 2, 50 ms in all")
    assert "the loop thread ran 28 ms" in lines[0] and "waited for a CPU 4 ms" in lines[0]
    # routing: 2/3 of 30 ms; relay: 1/3 of 30 ms + 20 ms
    assert "stream relay 30 ms (60%), routing 20 ms (40%)" in lines[1]
    assert sp.sites(str(path), 100.25, 200.0)[0].startswith("stalls > 15 ms: 1, 20 ms")
