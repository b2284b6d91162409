"""Console commands for SSO: ``sso configure``."""

from __future__ import annotations

from typing import Any


def add_commands(commands: Any) -> None:
    """Add the ``sso`` command group to the console script's subparsers."""
