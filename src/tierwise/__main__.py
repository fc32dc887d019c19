"""``python -m tierwise``: the same CLI as the ``tierwise`` command."""

from tierwise.cli.app import main

main()
