"""The layering of docs/architecture.md, checked over the code's own import statements.

Domain logic (app/services) knows no door; models know no services; the sync protocol speaks to
services only. A module's imports are read with `ast`, so an import inside a function counts too.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

RULES = {
    "app/services": ("app.web", "app.api", "app.admin", "app.open311", "sync"),
    "app/models": ("app.services", "app.web", "app.api", "sync"),
    "sync": ("app.models", "app.api", "app.web"),
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) for every import in the file, relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found.append((node.lineno, base))
            # `from app import web` imports app.web
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def breaches(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    out = []
    for path in sorted((REPO / layer).rglob("*.py")):
        for line, module in imported_modules(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                out.append(f"{path.relative_to(REPO)}:{line} imports {module}")
    return out


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports_nothing_it_must_not(layer):
    assert breaches(layer, RULES[layer]) == []


def test_the_check_sees_a_breach(tmp_path, monkeypatch):
    """The checker itself: a services module importing a view is caught, also inside a function."""
    fake = tmp_path / "app" / "services" / "bad.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    from app.web import labels\n    from ..api import serializers\n")
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    assert breaches("app/services", RULES["app/services"]) == [
        "app/services/bad.py:2 imports app.web", "app/services/bad.py:2 imports app.web.labels",
        "app/services/bad.py:3 imports app.api", "app/services/bad.py:3 imports app.api.serializers"]


def test_services_are_grouped_by_area():
    """At most eight modules loose at the top of app/services; the rest live in their area's package."""
    loose = [p.name for p in (REPO / "app/services").glob("*.py") if p.name != "__init__.py"]
    areas = {p.name for p in (REPO / "app/services").iterdir() if (p / "__init__.py").exists()}
    assert len(loose) <= 8, loose
    assert {"reports", "tickets", "photos", "supervision", "accounts", "notifications"} <= areas
