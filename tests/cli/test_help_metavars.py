"""Every command's --help names what an option takes in the user's terms: a repeatable
option shows one value's kind (`--image <path>`), not Python's type (`<list[Path]>`).
(typer writes a repeatable argument's type its own way: `sources... <list[str]>`.)"""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.testing import CliRunner

from tierwise.cli.app import app


def _commands(group: Any, path: list[str]) -> list[list[str]]:
    # By duck type: recent typer releases carry their own copy of click's classes.
    if not hasattr(group, "commands"):
        return [path]
    found = [path] if path else []
    for name, command in group.commands.items():
        found += _commands(command, [*path, name])
    return found


def test_no_help_shows_a_python_type() -> None:
    commands = _commands(typer.main.get_command(app), [])
    assert len(commands) > 20  # the walk found the subcommands
    shown: dict[str, list[str]] = {}
    for command in commands:
        result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (command, result.output)
        python = re.findall(r"^\s+(--\S+) <(?:list|dict|tuple|set)\[", result.stdout, re.M)
        if python:
            shown[" ".join(command)] = python
    assert shown == {}
