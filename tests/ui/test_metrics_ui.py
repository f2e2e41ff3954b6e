"""The metrics notebook in real JupyterLab: the MetricsExplorer draws its panels, a brush works."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from geometry import wait_fitted
from playwright.sync_api import expect

pytestmark = pytest.mark.ui

CHART = ".diaglab-metrics-chart svg"


def test_metrics_explorer_renders_and_brushing_picks_a_window(
    lab: Any, page: Any, artifacts: Path
) -> None:
    explorer = lab.run_notebook(page, "notebooks/05-metrics-and-traces.ipynb", ".diaglab-metrics")

    # The chart is drawn (SVG renderer): a titled panel per metric, lines, band areas, alert
    # points, the label coverage line and the volume bars.
    titles = page.locator(f"{CHART} .role-title-text")
    expect(titles.filter(has_text=re.compile("^accuracy$"))).to_have_count(1, timeout=120_000)
    expect(titles.filter(has_text="ROC AUC")).to_have_count(1)
    expect(titles.filter(has_text="label coverage")).to_have_count(1)
    expect(titles.filter(has_text=re.compile("^volume$"))).to_have_count(1)
    lines = page.locator(f"{CHART} .mark-line path")
    expect(lines.first).to_be_attached(timeout=60_000)
    assert lines.count() >= 6  # realized and estimated per version and metric, and coverage
    assert page.locator(f"{CHART} .mark-area path").count() >= 4
    assert page.locator(f"{CHART} .mark-symbol path").count() > 0  # alerts and points
    bars = page.locator(f"{CHART} .mark-rect path")
    assert bars.count() > 50  # a bar per day and version, and the current-window shade
    status = page.locator(".diaglab-metrics-status")
    expect(status).to_contain_text(re.compile(r"\d+ alerts?"))
    window = page.locator(".diaglab-metrics-window")
    expect(window).to_contain_text("[2026-02-10, 2026-03-02)")  # set by the notebook
    expect(page.locator(".diaglab-metrics .diaglab-error")).to_have_text("")
    explorer.scroll_into_view_if_needed()
    explorer.screenshot(path=str(artifacts / "metrics-1-rendered.png"))

    # Dragging across the volume bars makes the brushed days the current window.
    # The volume bars: the rect mark with the most items (the shades and the brush have one).
    marks = page.locator(f"{CHART} .mark-rect")
    sizes = [marks.nth(i).locator("path").count() for i in range(marks.count())]
    volume = marks.nth(max(range(len(sizes)), key=sizes.__getitem__))
    volume.scroll_into_view_if_needed()
    box = volume.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] * 0.6
    page.mouse.move(box["x"] + box["width"] * 0.10, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.30, y, steps=12)
    page.mouse.up()
    expect(window).not_to_contain_text("[2026-02-10, 2026-03-02)", timeout=30_000)
    expect(window).to_contain_text(re.compile(r"\[2026-01-\d\d, 2026-01-\d\d\)"))
    text = window.text_content() or ""
    assert re.search(r"\(\d[\d,]* predictions, \d+% labelled\)", text), text
    text_box = page.locator(".diaglab-metrics input[placeholder^='everything']")
    expect(text_box).to_have_value(re.compile(r"2026-01-\d\d \.\. 2026-01-\d\d"))
    explorer.screenshot(path=str(artifacts / "metrics-2-brushed.png"))

    # A resize redraws the chart at the new width: the brush and the window it picked stay.
    picked = window.text_content()
    brush = page.locator(f"{CHART} .window_brush path").first
    before = brush.bounding_box()
    assert before is not None and before["width"] > 5
    for width in (600, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(1500)  # the 150 ms resize debounce and the redraw
        wait_fitted(page, ".diaglab-metrics")
        explorer.scroll_into_view_if_needed()
        after = brush.bounding_box()
        assert after is not None and after["width"] > 5, f"no brush after a redraw at {width} px"
        expect(window).to_have_text(picked or "")
        explorer.screenshot(path=str(artifacts / f"metrics-3-brush-kept-{width}.png"))
