"""Console commands for SCIM: ``scim enable|rotate-token|disable``."""

from __future__ import annotations

from typing import Any


def add_commands(commands: Any) -> None:
    """Add the ``scim`` command group to the console script's subparsers."""
