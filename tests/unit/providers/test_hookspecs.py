"""Every hook is documented: in its docstring and in docs/plugins.md."""

from __future__ import annotations

import inspect
from pathlib import Path

from trainmeuk_identity.providers import hookspecs

DOCS = Path(__file__).resolve().parents[3] / "docs" / "plugins.md"


def hook_names() -> list[str]:
    return [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
            if getattr(fn, "trainmeuk_identity_spec", None) is not None]


def test_there_are_hooks():
    assert {"register_providers", "user_provisioned", "user_updated", "user_deactivated",
            "sso_login_succeeded", "sso_login_failed"} <= set(hook_names())


def test_every_hook_has_a_docstring_saying_when_it_was_added():
    for name in hook_names():
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert len(doc) > 80, name
        assert "Added in" in doc, name


def test_every_hook_has_a_heading_in_the_plugin_guide():
    text = DOCS.read_text()
    for name in hook_names():
        assert f"### `{name}(" in text, f"docs/plugins.md does not document {name}"
