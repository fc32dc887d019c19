"""Bedrock batch inference at batch prices, routed per record (see :mod:`.runner`)."""

from tierwise.batch.runner import BatchRunner, parse_records

__all__ = ["BatchRunner", "parse_records"]
