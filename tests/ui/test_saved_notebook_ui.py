"""A saved, executed notebook draws its charts again when reopened, with no kernel that made
them: the chart runtime is stored once in the notebook, and every chart loads it from there."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.sign import NotebookNotary
from playwright.sync_api import expect

pytestmark = pytest.mark.ui


def test_saved_slices_notebook_draws_its_charts_after_reopening(
    lab: Any, page: Any, artifacts: Path
) -> None:
    source = lab.root / "notebooks" / "03-slices.ipynb"
    nb = nbformat.read(source, as_version=4)
    # The explorer computes off the kernel's main thread; as a person would before saving, wait
    # for it, so the saved state holds the drawn chart and not "computing…".
    nb.cells.append(nbformat.v4.new_code_cell("explorer.wait(timeout=300);"))
    old = os.environ.get("DIAGLAB_STORE")
    os.environ["DIAGLAB_STORE"] = str(lab.root / "sample_data" / "credit")
    try:
        NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            store_widget_state=True,
            resources={"metadata": {"path": str(source.parent)}},
        ).execute()  # the kernel is shut down when this returns
    finally:
        if old is None:
            os.environ.pop("DIAGLAB_STORE", None)
        else:
            os.environ["DIAGLAB_STORE"] = old
    saved = source.with_name("03-slices-saved.ipynb")
    # Trusted as JupyterLab trusts a notebook it saved itself: widget outputs of an untrusted
    # notebook are not rendered at all.
    NotebookNotary().sign(nb)
    nbformat.write(nb, saved)

    lab.open(page, "notebooks/03-slices-saved.ipynb")  # not run: only the saved state draws
    bars = page.locator(".diaglab-slices-chart svg .mark-rect path")
    expect(bars.first).to_be_attached(timeout=120_000)  # drawn by the runtime stored once
    assert bars.count() >= 5
    assert page.locator(".vega-embed").count() >= 1
    page.locator(".diaglab-slices").first.screenshot(path=str(artifacts / "saved-slices.png"))
