"""``tierwise converse``: send one prompt through tierwise and show who answered at what cost."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tierwise.cli.output import line, write_json, write_raw
from tierwise.cli.state import CliState, state_of
from tierwise.cli.stdin import STDIN_HELP, stdin_file, stdin_text
from tierwise.core.regions import is_model_identifier
from tierwise.core.tiers import Tier
from tierwise.errors import InvalidRequestError

if TYPE_CHECKING:
    from tierwise.config import Settings

__all__ = ["build_request", "check_tier", "converse"]

_IMAGE_MAGIC = {
    b"\x89PNG": "png",
    b"\xff\xd8\xff": "jpeg",
    b"GIF8": "gif",
    b"RIFF": "webp",
}


def _image_block(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidRequestError(
            f"cannot read image {path}: {exc.strerror}", hint="check the --image path"
        ) from None
    for magic, fmt in _IMAGE_MAGIC.items():
        if data.startswith(magic):
            return {"image": {"format": fmt, "source": {"bytes": data}}}
    raise InvalidRequestError(
        f"{path} is not a PNG, JPEG, GIF or WebP image", hint="Bedrock accepts those four formats"
    )


def build_request(
    text: str, *, system: str | None, images: list[Path], max_tokens: int | None
) -> dict[str, Any]:
    """The Converse keyword arguments for one user prompt."""
    content: list[dict[str, Any]] = [_image_block(p) for p in images]
    content.append({"text": text})
    request: dict[str, Any] = {"messages": [{"role": "user", "content": content}]}
    if system:
        request["system"] = [{"text": system}]
    if max_tokens:
        request["inferenceConfig"] = {"maxTokens": max_tokens}
    return request


def _validation_spec(schema: Path | None, self_verify: float | None) -> dict[str, Any] | None:
    spec: dict[str, Any] = {}
    if schema is not None:
        try:
            spec["json_schema"] = json.loads(schema.read_text("utf-8"))
        except OSError as exc:
            raise InvalidRequestError(
                f"cannot read schema {schema}: {exc.strerror}", hint="check the --schema path"
            ) from None
        except json.JSONDecodeError as exc:
            raise InvalidRequestError(
                f"schema {schema} is not valid JSON: {exc.msg} (line {exc.lineno}, "
                f"column {exc.colno})",
                hint="--schema takes a JSON Schema document (a .json file)",
            ) from None
        if not isinstance(spec["json_schema"], dict):
            # The engine's check names the Python spec's field (json_schema), not the file.
            kind = type(spec["json_schema"]).__name__.replace("NoneType", "null")
            raise InvalidRequestError(
                f"schema {schema} holds a JSON {kind}, not a JSON Schema object",
                hint='--schema takes a JSON Schema object, e.g. {"type": "object", '
                '"properties": {"label": {"enum": ["bug", "feature"]}}}',
            )
    if self_verify is not None:
        if not 0 <= self_verify <= 1:  # NaN too
            # The engine's check would answer with the Python spec's form ({"threshold": ...}).
            raise InvalidRequestError(
                f"--self-verify {self_verify} is not a confidence from 0 to 1",
                hint="e.g. --self-verify 0.7: answers the tier grades below 0.7 escalate",
            )
        spec["self_verify"] = {"threshold": self_verify}
    return spec or None


def _stop_note(stop_reason: object, max_tokens: int | None) -> str | None:
    """What a reader of the answer must know about why it ended, or None: an answer cut at
    the output cap reads as a whole one on a terminal (Converse says so only in stopReason,
    which the text output does not show)."""
    if stop_reason == "max_tokens":
        cap = f"--max-tokens {max_tokens}" if max_tokens else "the default output cap"
        return f"the answer was cut off at {cap}; raise --max-tokens for the rest"
    if stop_reason == "model_context_window_exceeded":
        return "the answer was cut off at the model's context window; shorten the prompt"
    if stop_reason in ("guardrail_intervened", "content_filtered"):
        return f"the answer was stopped ({stop_reason}): what is shown is not the model's answer"
    return None


def _footer(
    state: CliState, info: dict[str, Any], stop_reason: object = None, max_tokens: int | None = None
) -> None:
    note = _stop_note(stop_reason, max_tokens)
    if note is not None:
        state.err.print(line(("note: ", "bold yellow"), note))
    for step in info.get("attempts") or ():
        state.err.print(
            line(
                (
                    f"attempt {step['attempt']} {step['kind']} on {step['tier']}: "
                    f"{step['outcome']} ({step['reason']}) ${step['costUsd']}",
                    "dim",
                )
            )
        )
    pairs = (
        ("model", info.get("modelId")),
        ("cost", f"${info.get('costUsd')}"),
        ("latency", f"{info.get('latencyMs')} ms"),
        ("ledger", f"#{info.get('ledgerId')}"),
    )
    parts: list[str | tuple[str, str]] = [
        ("tier", "dim"),
        " ",
        (str(info.get("tier") or "-"), "bold"),
    ]
    for label, value in pairs:
        parts += ["  ", (label, "dim"), f" {value}"]
    state.err.print(line(*parts))


def _streamed_response(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The Converse response a stream's events make up, so ``--stream --json`` prints the
    same document as ``--json`` (it printed only the tierwise section: the answer was lost)."""
    blocks: dict[int, dict[str, Any]] = {}
    out: dict[str, Any] = {}
    for event in events:
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            tool = (start.get("start") or {}).get("toolUse")
            if tool is not None:
                blocks[start.get("contentBlockIndex", 0)] = {"toolUse": {**tool, "input": ""}}
        elif "contentBlockDelta" in event:
            part = event["contentBlockDelta"]
            index, delta = part.get("contentBlockIndex", 0), part.get("delta", {})
            if "text" in delta:
                blocks.setdefault(index, {"text": ""})["text"] += delta["text"]
            elif "toolUse" in delta:
                use = blocks.setdefault(index, {"toolUse": {"input": ""}})["toolUse"]
                use["input"] += delta["toolUse"].get("input", "")
            elif "reasoningContent" in delta:
                empty = {"reasoningContent": {"reasoningText": {"text": ""}}}
                thought = blocks.setdefault(index, empty)["reasoningContent"]["reasoningText"]
                thought["text"] += delta["reasoningContent"].get("text", "")
                if "signature" in delta["reasoningContent"]:
                    thought["signature"] = delta["reasoningContent"]["signature"]
        elif "messageStop" in event:
            out["stopReason"] = event["messageStop"].get("stopReason")
        elif "metadata" in event:
            out.update({k: v for k, v in event["metadata"].items() if k in ("usage", "metrics")})
    for block in blocks.values():
        if "toolUse" in block:
            # Left as sent when the stream was cut mid-arguments.
            with contextlib.suppress(json.JSONDecodeError):
                block["toolUse"]["input"] = json.loads(block["toolUse"]["input"] or "{}")
    content = [blocks[i] for i in sorted(blocks)]
    return {"output": {"message": {"role": "assistant", "content": content}}, **out}


def _answer_text(response: dict[str, Any]) -> str:
    blocks = response.get("output", {}).get("message", {}).get("content", [])
    parts: list[str] = []
    for block in blocks:
        if "text" in block:
            parts.append(block["text"])
        elif "toolUse" in block:
            use = block["toolUse"]
            parts.append(f"[tool call] {use['name']}({json.dumps(use['input'])})")
    return "\n".join(parts)


def check_tier(settings: Settings, tier: str) -> None:
    """Refuse a ``--tier`` that is no tier, alias, "auto" or model ID before a call: Bedrock
    would be asked for a model named ``ultra`` (a round trip and an error row)."""
    name = tier.strip()
    if name.lower() == "auto" or settings.tier_named(name) is not None:
        return
    if settings.names.resolve(name) is not None:
        return  # an alias or another API's model name: the gateway resolves it
    if settings.names.switched_off(name) is not None:
        return  # another API's name while [model_names] has it off: planning says which
    if is_model_identifier(name):
        return  # a Bedrock model ID or profile (anthropic.claude-..., us.anthropic..., ARN)
    tiers = ", ".join(t.value for t in Tier.ordered() if t in settings.tiers)
    raise InvalidRequestError(
        f"unknown tier {tier!r}",
        hint=f"use auto (the router decides), one of the configured tiers ({tiers}), or a "
        "Bedrock model ID such as anthropic.claude-...",
        param="tier",
    )


def converse(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The prompt;" + STDIN_HELP)],
    tier: Annotated[
        str, typer.Option(help="auto (the router decides), haiku, sonnet, opus, or a model ID.")
    ] = "auto",
    stream: Annotated[bool, typer.Option("--stream", help="Stream the answer.")] = False,
    image: Annotated[
        list[Path] | None,
        typer.Option("--image", metavar="<path>", help="Attach an image (repeatable)."),
    ] = None,
    system: Annotated[str | None, typer.Option(help="System prompt.")] = None,
    max_tokens: Annotated[int | None, typer.Option(min=1, help="Cap on output tokens.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the full response as JSON.")
    ] = False,
    escalate: Annotated[
        bool, typer.Option("--escalate", help="Retry one tier up when the answer is rejected.")
    ] = False,
    schema: Annotated[
        Path | None, typer.Option(help="JSON Schema file the answer must satisfy;" + STDIN_HELP)
    ] = None,
    self_verify: Annotated[
        float | None, typer.Option(help="Ask the tier to grade its answer; escalate below this.")
    ] = None,
    cheap_first: Annotated[
        bool, typer.Option("--cheap-first", help="Start the cascade at the cheapest tier.")
    ] = False,
    min_tier: Annotated[str | None, typer.Option(help="Never below this tier.")] = None,
    max_tier: Annotated[str | None, typer.Option(help="Never above this tier.")] = None,
) -> None:
    """Send one prompt and print the answer, the tier that gave it and what it cost."""
    from tierwise.cli.route_cmd import hints_from_options
    from tierwise.client import Tierwise

    state = state_of(ctx)
    if text == "-" and schema is not None and str(schema) == "-":
        raise InvalidRequestError(
            "the prompt and --schema cannot both be standard input",
            hint="give one of them as a file or the prompt as the argument",
        )
    text = stdin_text(text)
    schema = stdin_file(ctx, schema)
    if not text.strip():
        # Bedrock refuses a blank text block; say so before a call is made and ledgered.
        raise InvalidRequestError(
            "the prompt is empty", hint='pass it as the argument: tierwise converse "..."'
        )
    settings = state.loaded().settings
    check_tier(settings, tier)
    request = build_request(text, system=system, images=image or [], max_tokens=max_tokens)
    options: dict[str, Any] = {
        "hints": hints_from_options(min_tier, max_tier, False, False),
        "validate": _validation_spec(schema, self_verify),
        "escalate": escalate or None,
        "cheap_first": cheap_first or None,
    }
    with Tierwise.from_settings(settings) as tw:
        if stream:
            response = tw.converse_stream(modelId=tier, **options, **request)
            events = response["stream"]
            seen: list[dict[str, Any]] = []
            stop_reason = None
            try:
                for event in events:
                    if as_json:
                        seen.append(event)
                    if "messageStop" in event:
                        stop_reason = event["messageStop"].get("stopReason")
                    delta = event.get("contentBlockDelta", {}).get("delta", {})
                    if "text" in delta and not as_json:
                        # The answer as it arrives, byte for byte: never re-wrapped.
                        write_raw(delta["text"], end="")
            finally:
                # A reader that went away (`| head`) ends the loop early: closing the stream
                # here ledgers what was generated while the ledger is still open, not at
                # garbage collection after it closed (a lost row and a traceback).
                close = getattr(events, "close", None)
                if close is not None:
                    close()
            if as_json:
                write_json({**_streamed_response(seen), "tierwise": response["tierwise"]})
            else:
                write_raw("")
                _footer(state, response["tierwise"], stop_reason, max_tokens)
            return
        result = tw.converse(modelId=tier, **options, **request)
    if as_json:
        write_json(result)
        return
    write_raw(_answer_text(result))
    _footer(state, result["tierwise"], result.get("stopReason"), max_tokens)
