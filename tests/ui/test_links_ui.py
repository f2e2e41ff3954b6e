"""One click between drift and slices in the tour's panel, in real JupyterLab: the Drift tab's
feature opens the Slices tab grouped by it; a picked slice opens the Drift tab scoped to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from test_panel_ui import _kernel  # type: ignore[import-not-found]

pytestmark = pytest.mark.ui

CURRENT = ".diaglab-panel .lm-TabBar-tab.lm-mod-current"


def test_drift_feature_to_its_slices_and_a_slice_to_its_drift(
    lab: Any, page: Any, artifacts: Path
) -> None:
    panel = lab.run_notebook(page, "notebooks/01-tour.ipynb", ".diaglab-panel")
    expect(page.locator(".diaglab-panel-selection")).to_contain_text("2026-", timeout=180_000)
    rows = page.locator(".diaglab-panel .diaglab-drift-table .diaglab-drift-row")
    expect(rows.first).to_be_visible(timeout=180_000)

    # From a drifted feature: pick its row, then the link above the Drift tab.
    row = page.locator(".diaglab-panel .diaglab-drift-row button", has_text="income").first
    row.click()
    to_slices = page.locator(".diaglab-panel .diaglab-panel-to-slices")
    expect(to_slices).to_have_text("slices by income", timeout=30_000)
    to_slices.click()
    expect(page.locator(CURRENT)).to_have_text("Slices", timeout=30_000)
    by = page.locator(".diaglab-panel .diaglab-slices select").nth(1)  # metric, by, and
    expect(by).to_have_value("income", timeout=30_000)
    chart = page.locator(".diaglab-panel .diaglab-slices-chart")
    expect(chart).to_contain_text("error by income", timeout=180_000)
    state = _kernel(
        page,
        "import json\ns = panel.explorers['slices']\n"
        "print(json.dumps({'by': s.by, 'tab': panel.state()['tab']}))",
    )
    assert state == {"by": ["income"], "tab": "slices"}
    panel.screenshot(path=str(artifacts / "links-1-slices-by-income.png"))

    # From a slice: pick the first slice found, then the link above the Slices tab.
    found = page.locator(".diaglab-panel .diaglab-slices-found")
    expect(found.first).to_be_visible(timeout=180_000)
    predicate = (found.first.locator("button").get_attribute("title") or "").strip()
    found.first.locator("button").click()
    to_drift = page.locator(".diaglab-panel .diaglab-panel-to-drift")
    expect(to_drift).to_be_enabled(timeout=30_000)
    to_drift.click()
    expect(page.locator(CURRENT)).to_have_text("Drift", timeout=30_000)
    window = page.locator(".diaglab-panel .diaglab-drift-window")
    expect(window).to_contain_text(f"slice {predicate}", timeout=180_000)
    scoped = _kernel(
        page,
        "import json\nd = panel.explorers['drift']\n"
        "print(json.dumps({'where': str(d.where), 'tab': panel.state()['tab']}))",
    )
    assert scoped == {"where": predicate, "tab": "drift"}
    panel.screenshot(path=str(artifacts / "links-2-drift-of-slice.png"))
