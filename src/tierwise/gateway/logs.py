"""Log setup for ``tierwise serve``: a level, and lines as text (logfmt) or JSON.

One handler on the root logger formats every line the same way: tierwise's own loggers at
the chosen level, uvicorn's server messages, and other libraries' warnings. Other libraries
never log below WARNING here, whatever ``--log-level`` says: botocore's DEBUG output, for one,
holds whole request bodies, and prompt text never goes to a log.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

__all__ = ["JsonFormatter", "LogFormat", "LogLevel", "TextFormatter", "configure_logging"]

LogLevel = Literal["debug", "info", "warning", "error"]
LogFormat = Literal["text", "json"]

# The loggers that follow --log-level; everything else stays at WARNING.
_OURS = ("tierwise", "uvicorn")
_MARK = "_tierwise_handler"


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


# A value that needs no quotes in logfmt: no space, quote, equals sign or backslash.
_BARE = re.compile(r'[^\s"=\\]+')


def _logfmt_value(value: Any) -> str:
    # Access lines are written per request: the common types take the short way.
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return text if _BARE.fullmatch(text) else json.dumps(text)


class TextFormatter(logging.Formatter):
    """``2026-01-02T03:04:05.678+00:00 INFO tierwise.access key=value ...``: logfmt fields
    for access lines (unknown ones left out), the message for everything else."""

    def format(self, record: logging.LogRecord) -> str:
        head = f"{_timestamp(record)} {record.levelname} {record.name}"
        fields: dict[str, Any] | None = getattr(record, "access", None)
        if fields is not None:
            body = " ".join(f"{k}={_logfmt_value(v)}" for k, v in fields.items() if v is not None)
        else:
            body = record.getMessage()
        line = f"{head} {body}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``message`` and, for access
    lines, every access field (null when unknown)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields: dict[str, Any] | None = getattr(record, "access", None)
        if fields is not None:
            out.update(fields)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_logging(
    level: LogLevel = "info", fmt: LogFormat = "text", *, stream: TextIO | None = None
) -> logging.Handler:
    """Send logs to ``stream`` (stderr) as ``fmt``; tierwise and uvicorn at ``level``.

    Calling it again replaces the handler it installed before (and nothing else)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper())
    root.setLevel(max(numeric, logging.WARNING))
    for name in _OURS:
        logging.getLogger(name).setLevel(numeric)
    # uvicorn's own access lines would duplicate tierwise.access (and cost per request).
    logging.getLogger("uvicorn.access").setLevel(logging.CRITICAL + 1)
    return handler
