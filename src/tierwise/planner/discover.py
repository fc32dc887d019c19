"""``tierwise plan bedrock-logs:``: the invocation logs where Bedrock says it writes them.

GetModelInvocationLoggingConfiguration names the S3 bucket and key prefix (and/or the
CloudWatch Logs group) of the Region's model invocation logs; the logs are under
``<prefix>/AWSLogs/<account>/BedrockModelInvocationLogs/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tierwise.errors import InvalidRequestError

__all__ = ["BEDROCK_LOGS", "logs_uri"]

BEDROCK_LOGS = "bedrock-logs:"


def logs_uri(config: Mapping[str, Any], region: str) -> str:
    """The ``s3://`` prefix of the logs a logging configuration (``loggingConfig``) names."""
    s3 = config.get("s3Config") or {}
    bucket = s3.get("bucketName")
    if bucket:
        prefix = str(s3.get("keyPrefix") or "").strip("/")
        return f"s3://{bucket}/{prefix + '/' if prefix else ''}AWSLogs/"
    group = (config.get("cloudWatchConfig") or {}).get("logGroupName")
    if group:
        raise InvalidRequestError(
            f"Bedrock in {region} logs invocations to CloudWatch Logs ({group}), not to S3",
            hint=f"export the group to S3 (aws logs create-export-task --log-group-name "
            f"{group} ...) or save `aws logs filter-log-events --log-group-name {group}` "
            "output to a file, and plan that",
        )
    raise InvalidRequestError(
        f"model invocation logging is off in {region}",
        hint="turn it on (Bedrock console, Settings; or PutModelInvocationLoggingConfiguration) "
        "and plan once traffic has been logged",
    )
