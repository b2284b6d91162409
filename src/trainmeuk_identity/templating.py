"""Jinja2 templates and static assets."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def format_dt(value: datetime | None, empty: str = "never") -> str:
    """A timestamp as admins read it: ``2026-12-01 14:05 UTC``."""
    if value is None:
        return empty
    return value.strftime("%Y-%m-%d %H:%M UTC")


def includeme(config: Any) -> None:
    # Included here, not in the app factory: this include's ".jinja2" renderer then
    # overrides pyramid_jinja2's default one instead of conflicting with it.
    config.include("pyramid_jinja2")
    config.add_jinja2_renderer(".jinja2")
    config.add_jinja2_search_path("trainmeuk_identity:templates", name=".jinja2")
    config.add_static_view("static", "trainmeuk_identity:static", cache_max_age=3600)

    def add_filters() -> None:
        env = config.get_jinja2_environment()
        env.filters.setdefault("format_dt", format_dt)
        env.autoescape = True

    config.action(None, add_filters, order=999)
