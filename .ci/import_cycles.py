"""Fail if any two modules of the package import each other, directly or through others.

Counts every import grimp sees: at module level, inside functions and under
``TYPE_CHECKING``. Run by ``make lint`` beside ``lint-imports`` (the layer contracts in
setup.cfg), which allow a cycle inside one layer; this check allows none.
"""

from __future__ import annotations

import sys

import grimp

PACKAGE = "trainmeuk_identity"


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def main() -> int:
    graph = grimp.build_graph(PACKAGE, include_external_packages=False, cache_dir=None)
    found = cycles(graph)
    for component in found:
        print("import cycle:", file=sys.stderr)
        for importer in component:
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if imported in component:
                    lines = sorted({d["line_number"] for d in graph.get_import_details(
                        importer=importer, imported=imported)})
                    print(f"  {importer} -> {imported} (line {', '.join(map(str, lines))})",
                          file=sys.stderr)
    if not found:
        print(f"no import cycles in {PACKAGE} ({len(graph.modules)} modules)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
