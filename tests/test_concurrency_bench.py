"""bench/concurrency.py's --jitter reaches the one emulator both the direct and the gateway
runs call, and the output says so. The bench itself is not run (no load, no timing)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tierwise.emulator.pacing import Pace, Pacing

BENCH = Path(__file__).resolve().parents[1] / "bench" / "concurrency.py"


class _StackUpError(Exception):
    """Stands in for the load run: the test stops once the stack would be up."""


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    name = "bench_concurrency"
    spec = importlib.util.spec_from_file_location(name, BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _main(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mode: str, *args: str
) -> list[str]:
    """Run main() for ``mode`` until the measured stack would start; the emulator pacings
    it asked for."""
    pacings: list[str] = []

    def start_stack(pacing: str, *rest: Any) -> Any:
        pacings.append(pacing)
        # A stream run first starts a stack to measure the stream's length, unpaced.
        if mode == "stream" and len(pacings) == 1:
            return [], 1, 2, None, None
        raise _StackUpError

    monkeypatch.setattr(bench, "start_stack", start_stack)
    monkeypatch.setattr(bench, "probe_stream_pacing", lambda port: (250, 77))
    monkeypatch.setattr(bench, "stop_all", lambda procs: None)
    monkeypatch.setattr(bench.tempfile, "mkdtemp", lambda prefix: str(tmp_path))
    argv = ["concurrency.py", "--no-pin", "--modes", mode, "--clients", "10", *args]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(_StackUpError):
        bench.main()
    return pacings


@pytest.mark.parametrize("mode", ["request", "stream"])
def test_jitter_goes_into_the_emulators_pacing_and_the_header(
    bench: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    mode: str,
) -> None:
    paced = Pacing.parse(_main(bench, monkeypatch, tmp_path, mode, "--jitter", "0.25")[-1])
    assert paced.default.jitter == 0.25
    assert "# jitter: CV 0.25" in capsys.readouterr().out
    plain = _main(bench, monkeypatch, tmp_path, mode)[-1]
    # The same pace as without the option, only varied.
    assert Pacing.parse(plain).default == Pace(paced.default.ttft_ms, paced.default.tps)
    assert "jitter=" not in plain
    assert "# jitter: none" in capsys.readouterr().out


@pytest.mark.parametrize("bad", ["-0.1", "20", "nan", "some"])
def test_a_bad_jitter_is_refused_before_anything_starts(
    bench: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    bad: str,
) -> None:
    monkeypatch.setattr(sys, "argv", ["concurrency.py", "--jitter", bad])
    with pytest.raises(SystemExit) as exited:
        bench.main()
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "--jitter" in err
    assert ("is not a number" if bad == "some" else "jitter must be between 0 and 2") in err


def test_one_emulator_with_the_jitter_serves_direct_and_gateway(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started: list[list[str]] = []

    class Popen:
        def __init__(self, argv: list[str], **kwargs: Any) -> None:
            started.append(argv)

    monkeypatch.setattr(bench.subprocess, "Popen", Popen)
    monkeypatch.setattr(bench, "wait_for", lambda port, timeout=60: None)
    pacing = bench.with_jitter("ttft_ms=2000,tps=0", 0.2)
    _, emu_port, _, _, _ = bench.start_stack(pacing, {}, False, None, str(tmp_path))
    emulators = [argv for argv in started if "emulator" in argv]
    assert len(emulators) == 1
    assert emulators[0][emulators[0].index("--pacing") + 1] == "ttft_ms=2000,tps=0,jitter=0.2"
    gateway = next(argv for argv in started if "serve" in argv)
    assert f"http://127.0.0.1:{emu_port}" in gateway  # the gateway's upstream
    assert bench.direct(emu_port, stream=False).port == emu_port  # the direct runs' target
