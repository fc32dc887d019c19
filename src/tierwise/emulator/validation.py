"""Request validation with Bedrock's rules and messages (failures are 400 ValidationException).

Works on the Converse shape; Invoke bodies are converted to it first, so both doors share the
same rules.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tierwise.core.catalog import parse_claude_id
from tierwise.core.sampling import refuses_temperature_with_top_p
from tierwise.core.structured import native_compatible
from tierwise.emulator import refusals
from tierwise.emulator.apierror import ApiError, ModelError, validation
from tierwise.emulator.catalog import ModelSpec

__all__ = ["MAX_CACHE_POINTS", "Checked", "check_request", "count_cache_points"]

MAX_CACHE_POINTS = 4
MAX_RESPONSE_PATHS = 10
MAX_STOP_SEQUENCES = 2500  # botocore's InferenceConfigurationStopSequencesList
DEFAULT_MAX_TOKENS = 4096
_IMAGE_FORMATS = ("png", "jpeg", "gif", "webp")
_DOC_FORMATS = ("pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md")
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
# Bedrock's documented characters plus the underscore, which it accepts in practice.
_DOC_NAME = re.compile(r"^[A-Za-z0-9_()\[\]\- ]+$")
MAX_DOCUMENT_NAME = 200
_DOC_NAME_RULE = (
    "The document file name can only contain alphanumeric characters, whitespace characters, "
    "hyphens, parentheses, and square brackets. The name can't contain more than one "
    "consecutive whitespace character. Check that the file name conforms to these "
    "restrictions and retry your request."
)
_DOC_NAME_REPEATED = (
    "Messages can't contain duplicate document names. Rename the document and retry your request."
)
_BLOCK_KEYS = frozenset(
    {
        "text",
        "image",
        "document",
        "video",
        "audio",
        "toolUse",
        "toolResult",
        "guardContent",
        "cachePoint",
        "reasoningContent",
        "citationsContent",
        "searchResult",
    }
)
_ALTERNATE = (
    "A conversation must alternate between user and assistant roles. Make sure the "
    "conversation alternates between user and assistant roles and try again."
)
_START_USER = (
    "A conversation must start with a user message. Try again with a conversation that "
    "starts with a user message."
)


@dataclass(frozen=True, slots=True)
class Checked:
    """What the answer engine needs from a valid request."""

    max_tokens: int
    thinking_budget: int | None
    tool_choice: str  # "auto", "any", "tool" or "none" (no tools offered)
    tool_name: str | None
    stop_sequences: tuple[str, ...]
    response_paths: tuple[str, ...] = ()  # additionalModelResponseFieldPaths
    output_schema: Mapping[str, Any] | None = None  # outputConfig.textFormat's JSON schema


def _constraint(value: Any, where: str, rule: str) -> ApiError:
    return validation(
        f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
        f"constraint: {rule}"
    )


def _model_error(detail: str) -> ModelError:
    return ModelError(detail)


def _check_bytes(source: Any, where: str) -> None:
    if not isinstance(source, Mapping):
        raise validation(f"{where}.source must be an object with bytes")
    raw = source.get("bytes")
    if "text" in source or "s3Location" in source:
        return
    if not isinstance(raw, str):
        raise validation(f"{where}.source.bytes is required")
    try:
        base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise validation(f"{where}.source.bytes is not valid base64") from None


def _check_block(block: Any, where: str, role: str, spec: ModelSpec, converse: bool) -> None:
    if not isinstance(block, Mapping) or len(block) != 1 or next(iter(block)) not in _BLOCK_KEYS:
        raise validation(
            f"{where} must contain exactly one member: text, image, document, toolUse, "
            "toolResult, cachePoint or reasoningContent."
        )
    if "text" in block:
        if not isinstance(block["text"], str):
            raise _constraint(block["text"], f"{where}.text", "Member must be a string")
        if not block["text"] and converse:
            raise validation(
                f"The text field in the ContentBlock object at {where} is blank. Add text to "
                "the text field, and try again."
            )
        if not block["text"]:
            # Claude's own check, which InvokeModel bodies reach (anomalyco/opencode#15715).
            raise _model_error("messages: text content blocks must be non-empty")
        if not block["text"].strip():
            # Bedrock's blank check is for empty text only: whitespace reaches Claude, on
            # Converse too (NousResearch/hermes-agent#63983, #64858).
            raise _model_error("messages: text content blocks must contain non-whitespace text")
    elif "image" in block:
        image = block["image"]
        if not spec.images:
            raise validation(
                "This model doesn't support the image content block that you provided. Try "
                "again with a supported content block."
            )
        if image.get("format") not in _IMAGE_FORMATS:
            raise _constraint(
                image.get("format"),
                f"{where}.image.format",
                f"Member must satisfy enum value set: [{', '.join(_IMAGE_FORMATS)}]",
            )
        _check_bytes(image.get("source"), f"{where}.image")
    elif "document" in block:
        doc = block["document"]
        if doc.get("format", "txt") not in _DOC_FORMATS:
            raise _constraint(
                doc.get("format"),
                f"{where}.document.format",
                f"Member must satisfy enum value set: [{', '.join(_DOC_FORMATS)}]",
            )
        if not doc.get("name"):
            raise validation(f"The document at {where} needs a name. Add a name and try again.")
        _check_bytes(doc.get("source"), f"{where}.document")
    elif "toolUse" in block and role != "user":
        use = block["toolUse"]
        if not use.get("toolUseId") or not use.get("name"):
            raise validation(f"{where}.toolUse needs toolUseId, name and input.")
        i, j = (int(n) + 1 for n in where.split(".")[1::2])
        _check_tool_name(use["name"], f"messages.{i}.member.content.{j}.member.toolUse.name")
        if not isinstance(use.get("input"), Mapping):
            # A Document to botocore, but Claude takes a tool call's input as an object only.
            raise _model_error(f"{where}.tool_use.input: Input should be a valid dictionary")
    elif "toolUse" in block or ("toolResult" in block and role != "user"):
        raise validation(
            f"{where}: toolUse blocks belong to assistant messages and toolResult blocks to "
            "user messages."
        )
    elif "cachePoint" in block:
        _check_cache_point(block["cachePoint"], where)


def _check_cache_point(point: Any, where: str) -> None:
    if not isinstance(point, Mapping) or point.get("type") != "default":
        raise _constraint(
            point, f"{where}.cachePoint.type", "Member must satisfy enum value set: [default]"
        )
    if "ttl" in point and point["ttl"] not in ("5m", "1h"):
        raise _constraint(
            point["ttl"], f"{where}.cachePoint.ttl", "Member must satisfy enum value set: [5m, 1h]"
        )


def _check_messages(messages: Any, spec: ModelSpec, has_tools: bool, converse: bool) -> None:
    if not isinstance(messages, list) or not messages:
        raise validation(_START_USER)
    previous: Mapping[str, Any] | None = None
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise validation(f"messages.{i} must be an object with role and content.")
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise _constraint(
                role,
                f"messages.{i + 1}.member.role",
                "Member must satisfy enum value set: [user, assistant]",
            )
        if i == 0 and role != "user":
            raise validation(_START_USER)
        if previous is not None and previous.get("role") == role:
            raise validation(_ALTERNATE)
        content = message.get("content")
        if not isinstance(content, list) or not content:
            raise validation(
                f"The content field in the Message object at messages.{i} is empty. Add a "
                "ContentBlock object to the content field and try again."
            )
        for j, block in enumerate(content):
            _check_block(block, f"messages.{i}.content.{j}", str(role), spec, converse)
        results = [b["toolResult"] for b in content if "toolResult" in b]
        uses = [b["toolUse"] for b in content if "toolUse" in b]
        if (results or uses) and not has_tools:
            raise validation(
                "The toolConfig field must be defined when using toolUse and toolResult "
                "content blocks."
            )
        if results:
            offered = {
                b["toolUse"].get("toolUseId")
                for b in (previous or {}).get("content") or ()
                if isinstance(b, Mapping) and "toolUse" in b
            }
            unknown = [r.get("toolUseId") for r in results if r.get("toolUseId") not in offered]
            if unknown:
                raise _model_error(
                    f"messages.{i}.content: unexpected `tool_use_id` found in `tool_result` "
                    f"blocks: {unknown[0]}. Each `tool_result` block must have a corresponding "
                    "`tool_use` block in the previous message."
                )
        previous = message


def _check_document_names(messages: list[Any]) -> None:
    """Converse's own rules for DocumentBlock names (the Invoke door takes any title)."""
    seen: set[str] = set()
    for i, message in enumerate(messages):
        found: list[tuple[str, Any]] = []
        for j, block in enumerate(message.get("content") or ()):
            where = f"messages.{i + 1}.member.content.{j + 1}.member"
            if "document" in block:
                found.append((where, block["document"].get("name")))
            elif "toolResult" in block and isinstance(block["toolResult"], Mapping):
                for k, part in enumerate(block["toolResult"].get("content") or ()):
                    if isinstance(part, Mapping) and "document" in part:
                        at = f"{where}.toolResult.content.{k + 1}.member"
                        found.append((at, part["document"].get("name")))
        for where, name in found:
            if not isinstance(name, str) or len(name) > MAX_DOCUMENT_NAME:
                raise _constraint(
                    name,
                    f"{where}.document.name",
                    f"Member must have length less than or equal to {MAX_DOCUMENT_NAME}",
                )
            if not _DOC_NAME.match(name) or "  " in name:
                raise validation(_DOC_NAME_RULE)
            if name in seen:
                raise validation(_DOC_NAME_REPEATED)
            seen.add(name)


def _check_tool_name(name: Any, where: str) -> None:
    """botocore's ToolName: a string of 1 to 64 characters matching [a-zA-Z0-9_-]+."""
    if isinstance(name, str) and len(name) > 64:
        raise _constraint(name, where, "Member must have length less than or equal to 64")
    if isinstance(name, str) and not name:
        raise _constraint(name, where, "Member must have length greater than or equal to 1")
    if not isinstance(name, str) or not _TOOL_NAME.match(name):
        raise _constraint(
            name, where, "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"
        )


def _check_tools(tool_config: Any) -> tuple[str, str | None]:
    if tool_config is None:
        return "none", None
    tools = tool_config.get("tools") if isinstance(tool_config, Mapping) else None
    if not isinstance(tools, list) or not tools:
        raise _constraint(
            "[]", "toolConfig.tools", "Member must have length greater than or equal to 1"
        )
    names: list[str] = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, Mapping):
            raise validation(f"toolConfig.tools.{i} must be an object.")
        if "cachePoint" in tool:
            _check_cache_point(tool["cachePoint"], f"toolConfig.tools.{i}")
            continue
        spec = tool.get("toolSpec")
        if not isinstance(spec, Mapping):
            raise validation(f"toolConfig.tools.{i} needs a toolSpec.")
        name = spec.get("name")
        _check_tool_name(name, f"toolConfig.tools.{i + 1}.member.toolSpec.name")
        schema = (spec.get("inputSchema") or {}).get("json")
        if not isinstance(schema, Mapping):
            raise validation(f"toolConfig.tools.{i}.toolSpec.inputSchema.json must be an object.")
        # "The top level schema type must be object" (botocore's ToolInputSchema); Claude
        # names the tool by its position among the custom tools.
        if "type" in schema and schema["type"] != "object":
            raise _model_error(
                f"tools.{len(names)}.custom.input_schema.type: Input should be 'object'"
            )
        if name in names:
            raise _model_error("tools: Tool names must be unique.")
        names.append(str(name))
    choice = tool_config.get("toolChoice") or {"auto": {}}
    if not isinstance(choice, Mapping) or len(choice) != 1:
        raise validation("toolConfig.toolChoice must have exactly one of auto, any or tool.")
    kind = next(iter(choice))
    if kind == "tool":
        wanted = (choice["tool"] or {}).get("name")
        _check_tool_name(wanted, "toolConfig.toolChoice.tool.name")
        if wanted not in names:
            raise _model_error(f"tool_choice: Tool '{wanted}' not found in 'tools'.")
        return "tool", str(wanted)
    if kind not in ("auto", "any"):
        raise validation("toolConfig.toolChoice must have exactly one of auto, any or tool.")
    return kind, None


def count_cache_points(request: Mapping[str, Any]) -> int:
    tools = (request.get("toolConfig") or {}).get("tools") or ()
    blocks: list[Any] = [*tools, *(request.get("system") or ())]
    for message in request.get("messages") or ():
        blocks.extend(message.get("content") or ())
    return sum(1 for b in blocks if isinstance(b, Mapping) and "cachePoint" in b)


def _number(config: Mapping[str, Any], key: str, low: float, high: float) -> None:
    value = config.get(key)
    if value is None:
        return
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        raise _constraint(
            value, f"inferenceConfig.{key}", f"Member must have value between {low} and {high}"
        )


def check_request(request: Mapping[str, Any], spec: ModelSpec, *, converse: bool = True) -> Checked:
    """Validate a Converse-shaped request for the model ``spec``, or raise ApiError.

    ``converse`` is false for a request converted from an Invoke (Anthropic Messages) body,
    whose document titles are free text: Bedrock checks document names only on Converse, and
    passes Claude's own refusals on unwrapped (:class:`ModelError`).
    """
    try:
        return _check_request(request, spec, converse=converse)
    except ModelError as error:
        if converse:
            raise
        raise error.as_invoke() from None


def _check_request(request: Mapping[str, Any], spec: ModelSpec, *, converse: bool) -> Checked:
    if not isinstance(request, Mapping):
        raise validation("The request body must be a JSON object.")
    system = request.get("system") or []
    if not isinstance(system, list):
        raise validation("system must be a list of content blocks.")
    for i, block in enumerate(system):
        if not isinstance(block, Mapping) or not (
            {"text", "guardContent", "cachePoint"} & set(block)
        ):
            raise validation(f"system.{i} must contain text, guardContent or cachePoint.")
        if "cachePoint" in block:
            _check_cache_point(block["cachePoint"], f"system.{i}")
    tool_choice, tool_name = _check_tools(request.get("toolConfig"))
    _check_messages(request.get("messages"), spec, tool_choice != "none", converse)
    if converse:
        _check_document_names(request["messages"])
        refusals.check_converse_media(request)
        refusals.check_tool_ids(request)

    config = request.get("inferenceConfig") or {}
    max_tokens = config.get("maxTokens", min(DEFAULT_MAX_TOKENS, spec.max_output_tokens))
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise _constraint(
            max_tokens,
            "inferenceConfig.maxTokens",
            "Member must have value greater than or equal to 1",
        )
    if max_tokens > spec.max_output_tokens:
        raise validation(
            f"The maximum tokens you requested exceeds the model limit of "
            f"{spec.max_output_tokens}. Try again with a maximum tokens value that is lower "
            f"than {spec.max_output_tokens}."
        )
    _number(config, "temperature", 0, 1)
    _number(config, "topP", 0, 1)
    if (
        config.get("temperature") is not None
        and config.get("topP") is not None
        and refuses_temperature_with_top_p(spec.model_id)
    ):
        raise _model_error(
            "`temperature` and `top_p` cannot both be specified for this model. Please use "
            "only one."
        )
    stops = config.get("stopSequences") or []
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
        raise validation("inferenceConfig.stopSequences must be a list of non-empty strings.")
    if converse and len(stops) > MAX_STOP_SEQUENCES:  # botocore checks a list's minimum only
        raise _constraint(
            f"[{len(stops)} items]",
            "inferenceConfig.stopSequences",
            f"Member must have length less than or equal to {MAX_STOP_SEQUENCES}",
        )

    points = count_cache_points(request)
    if points > MAX_CACHE_POINTS:
        raise validation(
            f"A maximum of {MAX_CACHE_POINTS} blocks with cache_control may be provided. "
            f"Found {points}."
        )
    if points and not spec.supports_caching:
        raise validation(
            "You invoked an unsupported model or your request did not allow prompt caching. "
            "See the documentation for more information."
        )
    refusals.check_cache_ttl_order(request)
    refusals.check_extra_fields(request)
    refusals.check_betas(request, spec)
    refusals.check_context_window(request, spec)
    refusals.check_content(request)
    refusals.check_tool_pairing(request)
    refusals.check_thinking_signatures(request)
    budget = _check_thinking(request, spec, max_tokens, tool_choice, config)
    refusals.check_thinking_turns(request)
    paths = _check_response_paths(request.get("additionalModelResponseFieldPaths"))
    schema = _check_output_config(request.get("outputConfig"), spec)
    return Checked(max_tokens, budget, tool_choice, tool_name, tuple(stops), paths, schema)


def supports_structured_output(spec: ModelSpec) -> bool:
    """Bedrock's structured output is for Claude 4.5 models and later."""
    parsed = parse_claude_id(spec.model_id)
    return parsed is not None and parsed.version >= (4, 5)


def _check_output_config(config: Any, spec: ModelSpec) -> Mapping[str, Any] | None:
    """``outputConfig`` as Bedrock checks it: ``textFormat`` of type ``json_schema`` with a
    ``structure.jsonSchema.schema`` string holding a JSON Schema in its supported subset."""
    if config is None:
        return None
    if not isinstance(config, Mapping):
        raise validation("outputConfig must be a JSON object.")
    text_format = config.get("textFormat")
    if text_format is None:
        return None
    if not isinstance(text_format, Mapping) or text_format.get("type") != "json_schema":
        raise _constraint(
            text_format.get("type") if isinstance(text_format, Mapping) else text_format,
            "outputConfig.textFormat.type",
            "Member must satisfy enum value set: [json_schema]",
        )
    structure = text_format.get("structure")
    definition = structure.get("jsonSchema") if isinstance(structure, Mapping) else None
    raw = definition.get("schema") if isinstance(definition, Mapping) else None
    if not isinstance(raw, str):
        raise validation("outputConfig.textFormat.structure.jsonSchema.schema must be a string.")
    if not supports_structured_output(spec):
        raise validation(
            f"Structured output is not supported for the model {spec.model_id}. Remove "
            "outputConfig.textFormat and try again."
        )
    try:
        schema = json.loads(raw)
    except ValueError:
        raise validation("The provided JSON schema is not valid JSON.") from None
    if not isinstance(schema, Mapping) or not native_compatible(schema):
        raise validation(
            "The provided JSON schema uses features that structured output does not support. "
            "Every object must set additionalProperties to false, and numeric, string-length, "
            "pattern and complex array constraints are not supported."
        )
    return schema


def _check_response_paths(paths: Any) -> tuple[str, ...]:
    if paths is None:
        return ()
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise validation("additionalModelResponseFieldPaths must be a list of strings.")
    if len(paths) > MAX_RESPONSE_PATHS:
        raise _constraint(
            paths,
            "additionalModelResponseFieldPaths",
            f"Member must have length less than or equal to {MAX_RESPONSE_PATHS}",
        )
    for path in paths:
        if not 1 <= len(path) <= 256 or not path.startswith("/"):
            raise validation(
                f"additionalModelResponseFieldPaths: '{path}' is not a valid JSON Pointer."
            )
    return tuple(paths)


def _check_thinking(
    request: Mapping[str, Any],
    spec: ModelSpec,
    max_tokens: int,
    tool_choice: str,
    config: Mapping[str, Any],
) -> int | None:
    extra = request.get("additionalModelRequestFields") or {}
    if not isinstance(extra, Mapping):
        raise validation("additionalModelRequestFields must be a JSON object.")
    thinking = extra.get("thinking")
    if thinking is None:
        return None
    kinds: tuple[str, ...] = ("enabled", "disabled")
    if spec.adaptive_thinking:
        kinds = (*kinds, "adaptive")
    if not isinstance(thinking, Mapping) or thinking.get("type") not in kinds:
        allowed = ", ".join(f"'{k}'" for k in kinds[:-1]) + f" or '{kinds[-1]}'"
        raise _model_error(f"thinking.type: Input should be {allowed}")
    if thinking["type"] == "disabled":
        return None
    if not spec.supports_thinking:
        raise _model_error(f"thinking: extended thinking is not supported by {spec.model_id}")
    if thinking["type"] == "adaptive":
        # Claude decides how much to think, within max_tokens; the same sampling and
        # tool_choice limits apply as with a fixed budget.
        _thinking_limits(config, tool_choice)
        return max(1, max_tokens - 1)
    budget = thinking.get("budget_tokens")
    if not isinstance(budget, int) or isinstance(budget, bool):
        raise _model_error("thinking.enabled.budget_tokens: Field required")
    if budget < 1024:
        raise _model_error(
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
        )
    betas = extra.get("anthropic_beta")
    interleaved = isinstance(betas, list) and "interleaved-thinking-2025-05-14" in betas
    # With interleaved thinking the budget covers every thinking block of the turn and may
    # pass max_tokens (Anthropic's and Bedrock's extended-thinking guides).
    if budget >= max_tokens and not interleaved:
        raise _model_error(
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
            "documentation at https://docs.claude.com/en/docs/build-with-claude/"
            "extended-thinking#max-tokens-and-context-window-size"
        )
    _thinking_limits(config, tool_choice)
    return budget


def _thinking_limits(config: Mapping[str, Any], tool_choice: str) -> None:
    if config.get("temperature") not in (None, 1, 1.0):
        raise _model_error(
            "`temperature` may only be set to 1 when thinking is enabled. Please consult our "
            "documentation at https://docs.claude.com/en/docs/build-with-claude/"
            "extended-thinking#important-considerations-when-using-extended-thinking"
        )
    if tool_choice in ("any", "tool"):
        raise _model_error("Thinking may not be enabled when tool_choice forces tool use.")
