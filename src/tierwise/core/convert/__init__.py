"""Wire formats <-> Bedrock Converse: OpenAI Chat Completions and Anthropic Messages (pure)."""

from tierwise.core.convert.request import Converted

__all__ = ["Converted"]
