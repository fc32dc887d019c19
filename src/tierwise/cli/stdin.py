"""``-`` for standard input, where a command reads a prompt or a file of records."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import typer

__all__ = ["STDIN_HELP", "as_typed", "stdin_file", "stdin_text"]

STDIN_HELP = " `-` reads standard input."

# The files standard input was copied to in this process: an error naming one names what
# the user gave, standard input, not a temporary file they never made.
_COPIES: list[str] = []


def as_typed(text: str) -> str:
    """``text`` with each copy of standard input called "standard input"."""
    for copy in _COPIES:
        text = text.replace(copy, "standard input")
    return text


def stdin_text(value: str) -> str:
    """``value``, or standard input's text for ``-`` (`cat prompt.txt | tierwise converse -`)."""
    return sys.stdin.read() if value == "-" else value


def stdin_file(ctx: typer.Context, path: Path | None) -> Path | None:
    """``path``, or for ``-`` a file holding standard input, removed when the command ends.
    A file, not the stream: commands read their input more than once (checked, then
    parsed; `router train` reads its --data for each model it fits), a pipe only once."""
    if path is None or str(path) != "-":
        return path
    folder = Path(tempfile.mkdtemp(prefix="tierwise-"))
    ctx.call_on_close(lambda: shutil.rmtree(folder, ignore_errors=True))
    data = sys.stdin.buffer.read()
    # The suffix: readers that pick files by it take it; gzip piped in (`zcat` forgotten, or
    # `cat logs.json.gz | tierwise plan -`) keeps ".gz", which they decompress by.
    name = "stdin.jsonl.gz" if data[:2] == b"\x1f\x8b" else "stdin.jsonl"
    target = folder / name
    target.write_bytes(data)
    _COPIES.append(str(target))
    return target
