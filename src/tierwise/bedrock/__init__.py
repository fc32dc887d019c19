"""Amazon Bedrock adapter: boto3 calls with retry, failover and one error boundary.

Importing ``tierwise`` does not import this package; importing this package loads boto3.
"""

from tierwise.bedrock.aio import AsyncBedrockClient, AsyncStreamResult
from tierwise.bedrock.catalog import FoundationModel, InferenceProfile, ModelCatalog
from tierwise.bedrock.client import BedrockClient, CallResult, FailedAttempt, StreamResult
from tierwise.bedrock.cooldown import Cooldown, CooldownTracker
from tierwise.bedrock.errors import is_retryable, translate
from tierwise.bedrock.retry import Backoff, RetryBudget
from tierwise.bedrock.session import AwsAuth

__all__ = [
    "AsyncBedrockClient",
    "AsyncStreamResult",
    "AwsAuth",
    "Backoff",
    "BedrockClient",
    "CallResult",
    "Cooldown",
    "CooldownTracker",
    "FailedAttempt",
    "FoundationModel",
    "InferenceProfile",
    "ModelCatalog",
    "RetryBudget",
    "StreamResult",
    "is_retryable",
    "translate",
]
