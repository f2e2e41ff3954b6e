"""Layers import downward only (DESIGN.md): a test that fails when one reaches up."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "diaglab"

# Each module has a role: its package's, or inside ``diaglab.diagnostics.<name>`` its file name's
# (``spec*``, ``chart*``, ``explorer*``; anything else there is a query).
PACKAGE_ROLES = {
    "diaglab.stats": "stats",
    "diaglab.store": "store",
    "diaglab.producers": "producers",
    "diaglab.queries": "query",
    "diaglab.specs": "spec",
    "diaglab.charts": "chart",
    "diaglab.explorers": "explorer",
    "diaglab.findings": "findings",
}
FILE_ROLES = {"spec": "spec", "chart": "chart", "explorer": "explorer"}

# role -> roles and outside packages it must not import
FORBIDDEN = {
    "stats": {
        "store",
        "query",
        "spec",
        "chart",
        "explorer",
        "findings",
        "duckdb",
        "ibis",
        "ipywidgets",
        "altair",
    },
    "store": {
        "query",
        "stats",
        "spec",
        "chart",
        "explorer",
        "findings",
        "producers",
        "ipywidgets",
        "altair",
    },
    "producers": {
        "query",
        "chart",
        "explorer",
        "duckdb",
        "ibis",
        "diaglab.store.store",
        "diaglab.store.engine",
        "ipywidgets",
        "altair",
    },
    "query": {"chart", "explorer", "findings", "ipywidgets", "altair"},
    "spec": {"chart", "explorer", "findings", "ipywidgets", "altair"},
    "chart": {"store", "query", "explorer", "findings", "duckdb", "ibis", "ipywidgets"},
    "explorer": {"duckdb"},
}


def role(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] == ["diaglab", "diagnostics"] and len(parts) >= 4:
        stem = parts[3].lstrip("_")
        return next((r for prefix, r in FILE_ROLES.items() if stem.startswith(prefix)), "query")
    return next(
        (r for p, r in PACKAGE_ROLES.items() if module == p or module.startswith(p + ".")), None
    )


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
            names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return names


OUTSIDE = {"duckdb", "ibis", "ipywidgets", "altair"}


FILES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=[_module(p) for p in FILES])
def test_module_imports_only_downward(path: Path):
    module = _module(path)
    bad = FORBIDDEN.get(role(module) or "", set())
    offending = sorted(
        {
            name
            for name in _imports(path)
            if (name.startswith("diaglab.") and role(name) in bad and name != module)
            or any(name == b or name.startswith(b + ".") for b in bad if "." in b or b in OUTSIDE)
        }
    )
    assert not offending, f"{module} ({role(module)}) reaches up the stack: {offending}"


def test_every_diagnostic_file_has_a_role():
    diagnostics = [p for p in FILES if "/diagnostics/" in str(p) and p.name != "__init__.py"]
    assert diagnostics, "no diaglab/diagnostics/<name>/ packages"
    assert all(role(_module(p)) in {"spec", "query", "chart", "explorer"} for p in diagnostics)
    for pkg in {p.parent for p in diagnostics}:
        assert (pkg / "spec.py").exists(), f"{pkg.name}: a diagnostic keeps its spec in spec.py"


def test_sql_strings_stay_in_the_store():
    for path in FILES:
        if "/store/" in str(path):
            continue
        text = path.read_text()
        for keyword in ("SELECT ", "INSERT INTO", "CREATE TABLE"):
            assert keyword not in text, f"SQL text in {_module(path)}: queries are Ibis"


@pytest.mark.parametrize(
    "diagnostic",
    sorted({p.parent.name for p in FILES if "/diagnostics/" in str(p)} - {"diagnostics"}),
)
def test_a_diagnostic_spec_imports_first_in_a_fresh_process(diagnostic: str):
    """A diagnostic's spec module imports on its own (the catalog of specs loads only when asked,
    so a spec module importing ``diaglab.specs`` makes no cycle)."""
    module = f"diaglab.diagnostics.{diagnostic}.spec"
    out = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, f"{module} does not import first:\n{out.stderr[-600:]}"
