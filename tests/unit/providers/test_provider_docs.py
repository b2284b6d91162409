"""The provider interface is documented: every public attribute and method of
``Provider`` has a docstring or a ``#:`` comment in base.py, and is named in
docs/plugins.md, so a provider author finds all of it (datasette's idea, for the
interface as for the hooks)."""

from __future__ import annotations

import inspect
from pathlib import Path

from trainmeuk_identity.providers import Provider, base

DOCS = Path(__file__).resolve().parents[3] / "docs" / "plugins.md"


def interface() -> list[str]:
    return sorted(name for name in set(dir(Provider)) - set(dir(object))
                  if not name.startswith("_"))


def test_every_part_of_the_interface_is_in_the_plugin_docs():
    docs = DOCS.read_text(encoding="utf-8")
    missing = [name for name in interface() if f"`{name}" not in docs]
    assert not missing, f"docs/plugins.md does not mention: {', '.join(missing)}"


def test_every_method_has_a_docstring_and_every_attribute_a_comment():
    source = inspect.getsource(base.Provider)
    undocumented = []
    for name in interface():
        member = inspect.getattr_static(Provider, name)
        if callable(member):
            if not inspect.getdoc(member):
                undocumented.append(name)
        else:
            # "#: what it is" on the line(s) before "name: ClassVar[...]"
            lines = source.splitlines()
            at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{name}:"))
            if not lines[at - 1].strip().startswith("#:"):
                undocumented.append(name)
    assert not undocumented, f"undocumented in providers/base.py: {', '.join(undocumented)}"
