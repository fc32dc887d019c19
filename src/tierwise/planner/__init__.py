"""Adapters for `tierwise plan`: log readers and the report writers."""
