"""The slices notebook in real JupyterLab: chart and found slices render, a click fills the rows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.ui


def test_slice_explorer_renders_and_a_found_slice_shows_its_rows(
    lab: Any, page: Any, artifacts: Path
) -> None:
    explorer = lab.run_notebook(page, "notebooks/03-slices.ipynb", ".diaglab-slices")

    # The bar chart has marks: one bar per region (SVG renderer).
    bars = page.locator(".diaglab-slices-chart svg .mark-rect path")
    expect(bars.first).to_be_attached(timeout=120_000)
    assert bars.count() >= 5
    # The discovered slices are listed, the planted one among the first three, each with why.
    found = page.locator(".diaglab-slices-table .diaglab-slices-found")
    expect(found.first).to_be_attached(timeout=120_000)
    planted = "region = 'north' AND employment = 'self_employed'"
    texts = [found.nth(i).text_content() or "" for i in range(min(3, found.count()))]
    assert any(planted in t for t in texts), texts
    expect(found.first).to_contain_text("vs")
    expect(page.locator(".diaglab-error")).to_have_text("")
    expect(page.locator(".diaglab-slices-rows")).to_have_text("")
    explorer.screenshot(path=str(artifacts / "slices-1-rendered.png"))

    # Clicking a found slice fills the rows table with its worst rows, 20 per page.
    index = next(i for i, t in enumerate(texts) if planted in t)
    found.nth(index).locator("button").click()
    rows = page.locator(".diaglab-slices-rows tr.diaglab-slices-row")
    expect(rows).to_have_count(20, timeout=60_000)
    expect(page.locator(".diaglab-slices-selected")).to_contain_text(planted)
    expect(page.locator(".diaglab-slices-page")).to_contain_text(re.compile(r"page 1 of \d+"))
    explorer.screenshot(path=str(artifacts / "slices-2-selected.png"))

    # The next page is fetched from the engine.
    page.locator(".diaglab-slices button", has_text="next").click()
    expect(page.locator(".diaglab-slices-page")).to_contain_text("page 2 of")
    expect(rows).to_have_count(20)
    explorer.screenshot(path=str(artifacts / "slices-3-page-2.png"))

    # The slices found fit their box at 1280 and 600 px: the slice and why columns wrap, so no
    # column (why, the last) is cut at the right edge behind a sideways scroll.
    for width in (1280, 600):
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_timeout(800)
        box = page.locator(".diaglab-slices-table .diaglab-table-box").first
        box.scroll_into_view_if_needed()
        widths = box.evaluate(
            "(b) => [b.scrollWidth, b.clientWidth, "
            "Math.max(...[...b.querySelectorAll('td')].map((c) => c.getBoundingClientRect().right))"
            " - b.getBoundingClientRect().right]"
        )
        box.screenshot(path=str(artifacts / f"slices-found-{width}.png"))
        assert widths[0] <= widths[1] + 2 and widths[2] <= 2, (width, widths)
