"""Layers import downward only (DESIGN.md): a test that fails when one reaches up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "diaglab"

# module prefix -> imports it must not make
FORBIDDEN = {
    "diaglab.stats": (
        "diaglab.store",
        "diaglab.queries",
        "diaglab.charts",
        "diaglab.explorers",
        "diaglab.panels",
        "diaglab.findings",
        "duckdb",
        "ibis",
        "ipywidgets",
        "altair",
    ),
    "diaglab.store": (
        "diaglab.queries",
        "diaglab.stats",
        "diaglab.charts",
        "diaglab.explorers",
        "diaglab.panels",
        "diaglab.findings",
        "diaglab.producers",
        "ipywidgets",
        "altair",
    ),
    "diaglab.producers": (
        "duckdb",
        "ibis",
        "diaglab.store.store",
        "diaglab.store.engine",
        "diaglab.explorers",
        "ipywidgets",
        "altair",
    ),
    "diaglab.queries": (
        "diaglab.charts",
        "diaglab.explorers",
        "diaglab.panels",
        "diaglab.findings",
        "ipywidgets",
        "altair",
    ),
    "diaglab.charts": (
        "diaglab.store",
        "diaglab.queries",
        "diaglab.explorers",
        "diaglab.panels",
        "duckdb",
        "ibis",
        "ipywidgets",
    ),
    "diaglab.specs": (
        "diaglab.charts",
        "diaglab.explorers",
        "diaglab.panels",
        "diaglab.findings",
        "ipywidgets",
        "altair",
    ),
    "diaglab.explorers": ("diaglab.panels", "duckdb"),
}


def _module(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    return ".".join(rel.parts).removesuffix(".__init__")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


FILES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=[_module(p) for p in FILES])
def test_module_imports_only_downward(path: Path):
    module = _module(path)
    rules = [bad for prefix, bad in FORBIDDEN.items() if module.startswith(prefix)]
    offending = [
        name
        for name in _imports(path)
        for bad in rules
        for b in bad
        if name == b or name.startswith(b + ".")
    ]
    assert not offending, f"{module} reaches up the stack: {offending}"


def test_sql_strings_stay_in_the_store():
    for path in FILES:
        if "/store/" in str(path):
            continue
        text = path.read_text()
        for keyword in ("SELECT ", "INSERT INTO", "CREATE TABLE"):
            assert keyword not in text, f"SQL text in {_module(path)}: queries are Ibis"
