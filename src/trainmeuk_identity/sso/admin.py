"""The SSO part of Admin → Settings → SSO & Provisioning."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request

from ..models import ProviderConnection
from ..providers import Provider


def sso_section(request: Request, provider: Provider,
                connection: ProviderConnection | None) -> dict[str, Any]:
    """Values for ``admin/_sso_section.jinja2``."""
    return {}
