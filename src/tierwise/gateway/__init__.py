"""The HTTP gateway: OpenAI- and Anthropic-compatible endpoints over the tierwise client.

Importing ``tierwise`` does not import this package (it loads Starlette).
"""

from tierwise.gateway.app import create_app

__all__ = ["create_app"]
