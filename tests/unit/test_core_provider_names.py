"""Core code and core templates name no identity provider: everything provider-specific
comes from the provider object (docs/plugins.md). Only the built-in Entra provider
(paths under ``providers/`` starting with ``entra``) may, and the few reviewed
exemptions in ``tests/core-provider-names-allowed.txt``."""

from __future__ import annotations

import re
from pathlib import Path

import trainmeuk_identity

PACKAGE = Path(trainmeuk_identity.__file__).resolve().parent
ALLOWED_FILE = Path(__file__).resolve().parents[1] / "core-provider-names-allowed.txt"
NAMES = re.compile(r"entra|Entra|Microsoft|AADSTS|Okta|okta")


def allowed() -> dict[str, str]:
    """Exempt path (relative to the package) -> the reason given for it."""
    exempt: dict[str, str] = {}
    for line in ALLOWED_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        path, _, reason = line.partition("#")
        assert reason.strip(), f"{ALLOWED_FILE.name}: {path.strip()} needs a '# reason'"
        exempt[path.strip()] = reason.strip()
    return exempt


def is_entra_provider(relative: Path) -> bool:
    parts = relative.parts
    return len(parts) >= 2 and parts[0] == "providers" and parts[1].startswith("entra")


def core_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix in {".py", ".jinja2", ".html", ".txt", ".js", ".css", ".json"})


def test_no_provider_is_named_in_core():
    exempt = allowed()
    found = []
    for path in core_files():
        relative = path.relative_to(PACKAGE)
        if is_entra_provider(relative) or relative.as_posix() in exempt:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if NAMES.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert not found, "provider names in core code:\n" + "\n".join(found)


def test_exemptions_exist_and_are_needed():
    for relative in allowed():
        path = PACKAGE / relative
        assert path.is_file(), f"{ALLOWED_FILE.name} lists {relative}, which does not exist"
        assert NAMES.search(path.read_text(encoding="utf-8")), (
            f"{relative} names no provider any more: remove it from {ALLOWED_FILE.name}")


def test_the_check_sees_the_entra_provider_itself():
    # Guards the test: it reads the package's files, and Entra's own do name Entra.
    entra = [p for p in core_files() if is_entra_provider(p.relative_to(PACKAGE))]
    assert entra and any("Entra" in p.read_text(encoding="utf-8") for p in entra)
