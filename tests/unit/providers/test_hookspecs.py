"""Every hook is documented: in its docstring and in docs/plugins.md, with the arguments
it takes, in order."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from trainmeuk_identity.providers import hookspecs

DOCS = Path(__file__).resolve().parents[3] / "docs" / "plugins.md"


def hook_names() -> list[str]:
    return [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
            if getattr(fn, "trainmeuk_identity_spec", None) is not None]


def documented_hooks() -> dict[str, list[str]]:
    """``### `name(a, b)` `` headings of docs/plugins.md: hook name -> argument names."""
    found: dict[str, list[str]] = {}
    for name, arguments in re.findall(r"^### `(\w+)\(([^)]*)\)`", DOCS.read_text(), re.M):
        found[name] = [a.strip() for a in arguments.split(",") if a.strip()]
    return found


def test_there_are_hooks():
    assert {"register_providers", "user_provisioned", "user_updated", "user_deactivated",
            "user_reactivated", "sso_login_succeeded", "sso_login_failed"} <= set(hook_names())


def test_every_hook_has_a_docstring_saying_when_it_was_added():
    for name in hook_names():
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert len(doc) > 80, name
        assert "Added in" in doc, name


def test_the_plugin_guide_documents_every_hook_with_its_signature():
    documented = documented_hooks()
    for name in hook_names():
        assert name in documented, f"docs/plugins.md does not document {name}"
        arguments = list(inspect.signature(getattr(hookspecs, name)).parameters)
        assert documented[name] == arguments, (
            f"docs/plugins.md documents {name}({', '.join(documented[name])}); "
            f"the hook is {name}({', '.join(arguments)})")
    assert set(documented) <= set(hook_names()), "docs/plugins.md documents a hook that is not one"
