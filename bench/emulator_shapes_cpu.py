"""Instructions the emulator spends on a Converse call, and on its service-model check.

Run under ``valgrind --tool=callgrind`` once per mode; the difference between a mode and
``base`` (same start-up, same JSON parsing), divided by ``--repeats``, is that mode's cost
per request::

    valgrind --tool=callgrind python bench/emulator_shapes_cpu.py base
    valgrind --tool=callgrind python bench/emulator_shapes_cpu.py shape   # ShapeRules.check
    valgrind --tool=callgrind python bench/emulator_shapes_cpu.py call    # Service.runtime

``call`` works on trees without ``emulator.shapes`` too (to compare with an older commit via
``PYTHONPATH``); ``shape`` needs it.
"""

from __future__ import annotations

import argparse
import json
import time

from tierwise.config import load_settings
from tierwise.emulator.faults import Faults
from tierwise.emulator.service import Controls, Service

MODEL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
# Three turns, a system prompt, inference settings and one tool: a typical agent request.
REQUEST = {
    "messages": [
        {"role": "user", "content": [{"text": "Summarise the quarterly figures. " * 40}]},
        {"role": "assistant", "content": [{"text": "Sure."}]},
        {"role": "user", "content": [{"text": "More detail on Q3, please."}]},
    ],
    "system": [{"text": "You are concise."}],
    "inferenceConfig": {"maxTokens": 300, "temperature": 0.2},
    "toolConfig": {
        "tools": [{"toolSpec": {"name": "lookup", "inputSchema": {"json": {"type": "object"}}}}]
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("base", "shape", "call"))
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    service = Service(load_settings(environ={}).settings, Faults(), time.monotonic)
    raw = json.dumps(REQUEST).encode()
    for _ in range(args.repeats):
        if args.mode == "call":
            service.runtime("converse", MODEL, raw, Controls())
        elif args.mode == "shape":
            service.shapes.check("Converse", json.loads(raw), {"modelId": MODEL})
        else:
            json.loads(raw)


if __name__ == "__main__":
    main()
