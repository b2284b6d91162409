"""Case-insensitive comparison keys, shared by the models and every feature that looks
rows up by a name (userName, emails, group displayName)."""

from __future__ import annotations

import unicodedata


def fold(value: str | None) -> str | None:
    """The case-insensitive comparison key SCIM uses for userName and emails."""
    if value is None:
        return None
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", value).lower())
