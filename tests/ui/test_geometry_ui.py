"""Every explorer fits, at 1280 px and at 600 px wide: no box whose content is wider than it
unless it scrolls, no chart wider than its box (charts are drawn to the width they are given,
not scrolled), no chart mark outside its plot, no legend whose entries look alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from geometry import check, wait_fitted
from playwright.sync_api import expect

pytestmark = pytest.mark.ui
HEIGHT = 2000

# notebook -> the explorers it shows: (root selector, a mark that says its chart is drawn)
CASES = {
    "notebooks/02-drift.ipynb": [(".diaglab-drift", ".diaglab-drift-chart svg .mark-line path")],
    "notebooks/03-slices.ipynb": [
        (".diaglab-slices", ".diaglab-slices-chart svg .mark-rect path"),
    ],
    "notebooks/04-root-cause.ipynb": [
        (".diaglab-inspector", ".diaglab-inspector-waterfall svg .mark-rect path"),
    ],
    "notebooks/05-metrics-and-traces.ipynb": [
        (".diaglab-metrics", ".diaglab-metrics-chart svg .mark-line path"),
        (".diaglab-traces", ".diaglab-trace-waterfall svg .mark-rect path"),
        (".diaglab-change", ".diaglab-change-reference svg .mark-line path"),
    ],
    "notebooks/07-fairness-and-resources.ipynb": [
        (".diaglab-fairness", ".diaglab-fairness-chart svg g.role-mark path"),
    ],
}


@pytest.mark.parametrize("path", list(CASES), ids=[Path(p).stem for p in CASES])
def test_explorer_fits_at_1280_and_600_px(lab: Any, page: Any, artifacts: Path, path: str) -> None:
    # tall enough that an explorer's screenshot (docs/gallery) shows all of it; the checks
    # are of widths
    page.set_viewport_size({"width": 1280, "height": HEIGHT})
    explorers = CASES[path]
    lab.run_notebook(page, path, explorers[0][0], timeout=240_000)
    for _, drawn in explorers:
        expect(page.locator(drawn).first).to_be_attached(timeout=180_000)
    page.wait_for_timeout(1500)  # the last charts of the notebook settle
    problems = {}
    for width in (1280, 600):
        page.set_viewport_size({"width": width, "height": HEIGHT})
        page.wait_for_timeout(1500)  # charts redraw to the new width (150 ms debounce + embed)
        for root, _ in explorers:
            explorer = page.locator(root).first
            explorer.scroll_into_view_if_needed()
            wait_fitted(page, root)
            name = root.removeprefix(".diaglab-")
            explorer.screenshot(path=str(artifacts / f"geometry-{name}-{width}.png"))
            found = check(page, root)
            if found:
                problems[f"{name} at {width} px"] = found
    assert not problems, problems
