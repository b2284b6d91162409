"""SCIM 2.0 provisioning endpoint, ``/scim/{provider}/v2/`` (provider-agnostic)."""

from __future__ import annotations

from typing import Any


def includeme(config: Any) -> None:
    pass
