"""A request boto3 would refuse says what each parameter should be, without echoing values."""

from __future__ import annotations

import botocore.exceptions as bce

from tierwise.bedrock.errors import translate
from tierwise.errors import InvalidRequestError

HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"


def _message(report: str) -> str:
    err = translate(bce.ParamValidationError(report=report), model_id=HAIKU)
    assert isinstance(err, InvalidRequestError)
    return err.message


def test_a_wrong_type_names_the_expected_types_not_the_value() -> None:
    message = _message(
        "Invalid type for parameter messages[0].content, value: my secret prompt, type: "
        "<class 'str'>, valid types: <class 'list'>, <class 'tuple'>\n"
        "Invalid type for parameter inferenceConfig.maxTokens, value: 10, type: <class 'str'>, "
        "valid types: <class 'int'>"
    )
    assert "messages[0].content (got str, expected list or tuple)" in message
    assert "inferenceConfig.maxTokens (got str, expected int)" in message
    assert "secret" not in message


def test_a_multiline_value_that_mimics_a_type_report_is_not_echoed() -> None:
    message = _message(
        "Invalid type for parameter system, value: line one\n"
        "type: <class 'evil'>, valid types: <class 'evil'>\n"
        "and a secret, type: <class 'str'>, valid types: <class 'list'>, <class 'tuple'>"
    )
    assert "system (got str, expected list or tuple)" in message
    assert "secret" not in message
    assert "line one" not in message


def test_a_bound_and_unknown_parameter_say_what_is_valid() -> None:
    message = _message(
        'Unknown parameter in input: "inferenceconfig", must be one of: modelId, messages, '
        "system, inferenceConfig\n"
        "Invalid value for parameter inferenceConfig.maxTokens, value: 0, valid min value: 1"
    )
    assert '"inferenceconfig" (known: modelId, messages, system, inferenceConfig)' in message
    assert "inferenceConfig.maxTokens (valid min value: 1)" in message
