"""Every notebook in notebooks/ runs top to bottom on a copy of the sample store (no browser)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SAMPLE = ROOT / "sample_data" / "credit"
TOUR_LIMIT = 2_000_000
NOTEBOOK_LIMIT = 3_000_000


def _widget_state(nb: nbformat.NotebookNode) -> dict[str, Any]:
    widgets = nb.metadata.get("widgets", {})
    return dict(widgets.get("application/vnd.jupyter.widget-state+json", {}).get("state", {}))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed sample store, or a small one built the same way when it is missing."""
    if (SAMPLE / "segments").is_dir():
        return SAMPLE
    built = tmp_path_factory.mktemp("sample") / "credit"
    subprocess.run(
        [sys.executable, "-m", "diaglab.sample", str(built), "--rows", "20000", "--quiet"],
        check=True,
    )
    return built


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_headless(path: Path, sample: Path, tmp_path: Path) -> None:
    # Opening a store writes its DuckDB file: work on a copy, never on the committed sample.
    store = tmp_path / "credit"
    shutil.copytree(sample, store, ignore=shutil.ignore_patterns(".tmp", "*.wal"))
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        f"{path.name} is committed with outputs; save it without them"
    )
    workdir = tmp_path / "notebooks"
    workdir.mkdir()
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(workdir)}},
    )
    scratch = tmp_path / "tmp"  # the kernel's temporary folder
    scratch.mkdir()
    env = {"DIAGLAB_STORE": str(store), "TMPDIR": str(scratch)}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits the environment of this process
    try:
        client.execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors
    # Nothing captured into the store the notebook was pointed at, and no store copy left behind
    assert not (store / "segments" / "findings").exists(), f"{path.name} wrote into the store"
    left = [p for p in scratch.rglob("*.duckdb")]
    assert not left, f"{path.name} left store copies in the temporary folder: {left}"
    # The chart library is stored once per notebook, not once per chart (issue 18: 12 MB before)
    size = len(nbformat.writes(nb).encode())
    limit = TOUR_LIMIT if path.name.startswith("01-") else NOTEBOOK_LIMIT
    (tmp_path.parent / f"{path.stem}.size").write_text(str(size))
    assert size <= limit, (
        f"{path.name} executed weighs {size / 1e6:.1f} MB (limit {limit / 1e6} MB)"
    )
    state = _widget_state(nb).values()
    runtimes = [v for v in state if {"source", "version"} <= set(v["state"])]
    charts = [v for v in state if "_runtime" in v["state"]]
    assert all(len(str(v["state"].get("_esm", ""))) < 50_000 for v in charts)
    assert len(runtimes) <= 1, "one chart runtime per notebook"
    if path.name == "02-drift.ipynb":
        _check_drift_notebook(nb)


def _check_drift_notebook(nb: nbformat.NotebookNode) -> None:
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    models = {v["model_name"] for v in state.values()}
    assert {"VBoxModel", "ButtonModel", "HTMLModel", "AnyModel"} <= models
    classes = {c for v in state.values() for c in v["state"].get("_dom_classes", [])}
    assert {"diaglab-drift", "diaglab-drift-table", "diaglab-drift-feature"} <= classes
    errors = [
        v["state"]["value"]
        for v in state.values()
        if "diaglab-error" in v["state"].get("_dom_classes", [])
    ]
    assert errors == [""], errors  # the explorer showed no error
    texts = "".join(
        o.get("data", {}).get("text/plain", "") if "data" in o else o.get("text", "")
        for c in nb.cells
        for o in c.get("outputs", [])
    )
    assert "A new sales channel appeared" in texts
