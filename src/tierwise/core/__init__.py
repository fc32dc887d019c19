"""The pure core: value types and decisions with no I/O, no clock, no environment.

Modules here import only the standard library and :mod:`tierwise.errors`.
"""
