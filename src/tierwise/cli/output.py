"""How the CLI writes: machine formats raw, people's views sized to where they go.

Rich lays everything out for a terminal, and when stdout is a pipe it assumes one 80 columns
wide: a CSV header or a model's answer then gets a newline every 80 characters. So:

* machine formats (CSV, JSON, the model's answer, a new key) bypass rich entirely and are
  written as they are, whatever the width;
* tables and prose go through a :class:`~rich.console.Console` that fits the terminal, and
  when the stream is not a terminal, has no width limit and no soft wrapping: each row and
  each message stays on one line, whatever ``COLUMNS`` says;
* text that came from users or configuration is never parsed as rich markup (``[[credits]]``
  and ``[a-z]`` are text, not style tags): :func:`plain` and :func:`line` build
  :class:`~rich.text.Text` from pieces, only the labels styled.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

__all__ = [
    "PIPE_WIDTH",
    "cells",
    "console",
    "line",
    "plain",
    "write_csv",
    "write_json",
    "write_raw",
]

# Wide enough that no table cell or message is ever wrapped when piped; rich lays tables out
# at their natural width (they do not expand), so this costs nothing.
PIPE_WIDTH = 100_000


def _stream(stderr: bool) -> TextIO:
    return sys.stderr if stderr else sys.stdout


def console(*, stderr: bool = False) -> Console:
    """A console for people: terminal-sized on a terminal, unbounded and unwrapped when not.

    The stream is looked up when each line is written (rich's default), so a redirected
    ``sys.stdout`` (tests, ``contextlib.redirect_stdout``) is honoured."""
    stream = _stream(stderr)
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd replacement stream
        tty = False
    if tty:
        return Console(stderr=stderr, highlight=False)
    return Console(stderr=stderr, highlight=False, width=PIPE_WIDTH, soft_wrap=True)


def write_raw(text: str, *, end: str = "\n") -> None:
    """``text`` to stdout exactly as it is (a model's answer, a secret, a CSV), flushed so a
    stream shows up as it arrives."""
    out = sys.stdout
    out.write(text + end)
    out.flush()


def write_json(value: Any) -> None:
    """``value`` as indented JSON on stdout; non-JSON values (Decimal, datetime) as strings."""
    write_raw(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def write_csv(rows: Sequence[Mapping[str, Any]], fieldnames: Iterable[str] | None = None) -> None:
    """``rows`` as CSV (RFC 4180, header first) on stdout."""
    names = list(fieldnames) if fieldnames is not None else list(rows[0]) if rows else []
    writer = csv.DictWriter(sys.stdout, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    sys.stdout.flush()


def plain(text: object, style: str = "") -> Text:
    """``text`` as rich text that is never parsed for markup."""
    return Text(str(text), style=style)


def line(*parts: str | tuple[str, str]) -> Text:
    """One line from pieces: a string is literal text, ``(text, style)`` is styled text.

    Nothing is parsed as markup, so values from users or configuration show as written."""
    return Text.assemble(*parts)


def cells(*values: object) -> list[Text]:
    """A table row whose cells are text, not markup (``Table.add_row`` parses plain strings)."""
    return [Text(str(v)) for v in values]
