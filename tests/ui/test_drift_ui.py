"""The drift notebook in real JupyterLab: the explorer renders, a row click and a brush work."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.ui

# anywidget gives the class to the vega-embed element itself
TITLE = ".diaglab-drift-chart svg .role-title-text"


def _expect_title(page: Any, pattern: str) -> None:
    """The chart's main title (sub-charts have titles of their own) matches ``pattern``."""
    expect(page.locator(TITLE).filter(has_text=re.compile(pattern))).to_have_count(1)


def test_drift_explorer_renders_selects_and_brushes(lab: Any, page: Any, artifacts: Path) -> None:
    explorer = lab.run_notebook(page, "notebooks/02-drift.ipynb", ".diaglab-drift")

    # The table is filled: 13 features, the prediction, the decision at the threshold and the
    # label, with verdict badges.
    rows = page.locator(".diaglab-drift-table .diaglab-drift-row")
    expect(rows).to_have_count(16, timeout=120_000)
    expect(rows.filter(has_text="prediction")).to_have_count(1)
    expect(rows.filter(has_text="decision")).to_have_count(1)
    expect(rows.filter(has_text="label")).to_have_count(1)
    expect(page.locator(".diaglab-drift-table svg.diaglab-sparkline").first).to_be_attached()
    first = rows.first.locator("button")
    expect(first).to_have_text(re.compile("credit_utilization|income|channel"))

    # The chart is drawn (SVG renderer): bars of the distribution and the lines over time. The
    # notebook's last cell selected 'channel' from Python.
    bars = page.locator(".diaglab-drift-chart svg .mark-rect path")
    expect(bars.first).to_be_attached(timeout=60_000)
    _expect_title(page, "^channel: major drift")
    assert bars.count() > 10
    expect(page.locator(".diaglab-drift-window")).to_contain_text("[2026-02-10, 2026-03-02)")
    expect(page.locator(".diaglab-drift-status")).to_contain_text("features drifted")
    expect(page.locator(".diaglab-error")).to_have_text("")
    explorer.scroll_into_view_if_needed()
    explorer.screenshot(path=str(artifacts / "drift-1-rendered.png"))

    # Clicking another row redraws the chart for that feature.
    page.locator(".diaglab-drift-table button", has_text=re.compile("^income$")).click()
    _expect_title(page, "^income: ")
    expect(page.locator(".diaglab-drift-feature")).to_contain_text("income")
    expect(page.locator(".diaglab-drift-table .diaglab-selected")).to_contain_text("income")
    explorer.screenshot(path=str(artifacts / "drift-2-income.png"))

    # Brushing the over-time chart makes the brushed days the current window.
    line = page.locator(".diaglab-drift-chart svg .mark-line").first
    line.scroll_into_view_if_needed()
    box = line.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] * 0.5
    page.mouse.move(box["x"] + box["width"] * 0.20, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.45, y, steps=12)
    page.mouse.up()
    window = page.locator(".diaglab-drift-window")
    expect(window).not_to_contain_text("[2026-02-10, 2026-03-02)", timeout=30_000)
    expect(window).to_contain_text(re.compile(r"\[2026-01-\d\d, 2026-0[12]-\d\d\)"))
    _expect_title(page, "^income: ")
    expect(page.locator(".diaglab-progress")).to_be_hidden()
    text = window.text_content() or ""
    assert re.search(r"\(\d[\d,]* predictions\)", text), text
    explorer.scroll_into_view_if_needed()
    explorer.screenshot(path=str(artifacts / "drift-3-brushed.png"))
