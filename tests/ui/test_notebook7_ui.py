"""The same smoke test in Notebook 7: open a notebook, run it, see findings rendered by the diaglab
extension (Notebook 7 loads JupyterLab extensions, so the same prebuilt one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import expect
from test_extension_ui import _check_rendered, findings_bundle, findings_notebook

pytestmark = pytest.mark.ui


def test_notebook7_runs_a_notebook_and_renders_findings(
    notebook7: Any, page: Any, artifacts: Path
) -> None:
    (notebook7.root / "nb7.findings.json").write_text(json.dumps(findings_bundle()))
    nbformat.write(findings_notebook("nb7.findings.json"), notebook7.root / "nb7-findings.ipynb")
    notebook7.open(page, "nb7-findings.ipynb")
    assert page.evaluate("window.jupyterapp.name") == "Jupyter Notebook"
    page.evaluate("() => { void window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    expect(page.locator(".diaglab-findings")).to_have_count(2, timeout=120_000)
    _check_rendered(page)
    page.screenshot(path=str(artifacts / "notebook7-1-findings.png"), full_page=True)

    # The command is there too (Notebook 7 has a palette, no launcher).
    assert page.evaluate("window.jupyterapp.commands.hasCommand('diaglab:new-notebook')")


def test_notebook7_draws_the_metrics_and_trace_explorers(
    notebook7: Any, page: Any, artifacts: Path
) -> None:
    """The explorers are plain ipywidgets + Altair: they draw in Notebook 7 as in JupyterLab."""
    notebook7.open(page, "notebooks/05-metrics-and-traces.ipynb")
    page.evaluate("() => { void window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    for name in ("metrics", "traces"):
        explorer = page.locator(f".diaglab-explorer.diaglab-{name}").first
        explorer.wait_for(state="attached", timeout=300_000)
        explorer.scroll_into_view_if_needed()
        expect(explorer.locator(".diaglab-progress").first).to_be_hidden(timeout=180_000)
        expect(explorer.locator(".vega-embed svg .role-mark").first).to_be_attached(timeout=120_000)
        expect(explorer.locator(".diaglab-error").first).to_have_text("")
        explorer.screenshot(path=str(artifacts / f"notebook7-2-{name}.png"))
