"""The "Why did it change" cells of notebook 05 in real JupyterLab: the ChangeExplorer draws the
periods, the summary and the waterfall, and a click on a feature's bar opens its drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.ui

BARS = ".diaglab-change-chart svg .mark-rect path"


def test_change_explorer_renders_and_a_bar_click_opens_the_feature(
    lab: Any, page: Any, artifacts: Path
) -> None:
    explorer = lab.run_notebook(
        page, "notebooks/05-metrics-and-traces.ipynb", ".diaglab-change", timeout=300_000
    )
    summary = page.locator(".diaglab-change-summary")
    expect(summary).to_contain_text("error rose from", timeout=180_000)
    expect(summary).to_contain_text("the model doing worse on the same kind of inputs")
    expect(page.locator(BARS).first).to_be_attached(timeout=60_000)
    assert page.locator(BARS).count() >= 5  # two totals, parts' contributors, remainders
    for side in ("reference", "window"):
        expect(page.locator(f".diaglab-change-{side} svg .mark-line path").first).to_be_attached()
    expect(page.locator(".diaglab-change .diaglab-error")).to_have_text("")
    explorer.scroll_into_view_if_needed()
    explorer.screenshot(path=str(artifacts / "change-1-waterfall.png"))

    # The notebook's last cell opened the slice's rows from Python; clicking a feature's bar in
    # the browser replaces them with that feature's DriftExplorer on the two periods.
    detail = page.locator(".diaglab-change-detail")
    expect(detail).to_contain_text("the 20 with the largest error first", timeout=60_000)
    page.locator(f"{BARS}[aria-label*='inputs moved: income']").first.click()
    expect(detail.locator(".diaglab-drift")).to_be_attached(timeout=120_000)
    expect(detail).not_to_contain_text("the 20 with the largest error first")
    expect(page.locator(".diaglab-change > .diaglab-error")).to_have_text("")
    explorer.screenshot(path=str(artifacts / "change-2-feature.png"))
