"""The tracing cells of notebook 05 in real JupyterLab: the TraceExplorer lists traces, draws a
waterfall, switches lists from the browser and shows a clicked span's attributes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.ui

BARS = ".diaglab-trace-waterfall svg .mark-rect path"


def test_trace_explorer_renders_switches_and_shows_a_span(
    lab: Any, page: Any, artifacts: Path
) -> None:
    explorer = lab.run_notebook(
        page, "notebooks/05-metrics-and-traces.ipynb", ".diaglab-traces", timeout=300_000
    )

    # The notebook's last cell switched to the failed traces from Python: 4 bars.
    status = page.locator(".diaglab-trace-status")
    expect(status).to_contain_text(re.compile(r"trace [0-9a-f]{32}: 4 spans"), timeout=180_000)
    expect(page.locator(BARS)).to_have_count(4, timeout=60_000)
    summary = page.locator(".diaglab-trace-summary")
    expect(summary).to_contain_text("2 span(s) failed")  # postprocess and its root
    expect(summary).to_contain_text("predictions: credit: p0-")
    options = page.locator(".diaglab-trace-list tbody tr")
    assert options.count() >= 20
    expect(page.locator(".diaglab-trace-latency svg .mark-line path").first).to_be_attached()
    expect(page.locator(".diaglab-traces .diaglab-error")).to_have_text("")
    explorer.scroll_into_view_if_needed()
    explorer.screenshot(path=str(artifacts / "traces-1-failed.png"))

    # Back to the slowest traces from the dropdown: the slowest request is slow in feature lookup.
    page.locator(".diaglab-trace-find select").select_option("slowest")
    expect(summary).to_contain_text("slowest stage feature_lookup", timeout=60_000)
    expect(options.first).to_contain_text("request")

    # Clicking the feature_lookup bar shows that span's attributes in full.
    page.locator(BARS).nth(1).click()
    span = page.locator(".diaglab-trace-span")
    expect(span).to_contain_text("features.source", timeout=30_000)
    expect(span).to_contain_text("bureau")
    expect(page.locator(".diaglab-traces .diaglab-error")).to_have_text("")
    explorer.screenshot(path=str(artifacts / "traces-2-span.png"))
