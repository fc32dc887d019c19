"""The ``tierwise`` command line: a composition root, like the gateway."""
