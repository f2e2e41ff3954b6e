"""Every explorer fits, at 1280 px and at 600 px wide: no box whose content is wider than it
unless it scrolls, no chart mark outside its plot, no legend whose entries look alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from geometry import check
from playwright.sync_api import expect

pytestmark = pytest.mark.ui

CASES = [
    ("notebooks/03-slices.ipynb", ".diaglab-slices", ".diaglab-slices-chart svg .mark-rect path"),
    (
        "notebooks/04-root-cause.ipynb",
        ".diaglab-inspector",
        ".diaglab-inspector-waterfall svg .mark-rect path",
    ),
    (
        "notebooks/05-metrics-and-traces.ipynb",
        ".diaglab-metrics",
        ".diaglab-metrics-chart svg .mark-line path",
    ),
]


@pytest.mark.parametrize(("path", "root", "drawn"), CASES, ids=[c[1][9:] for c in CASES])
def test_explorer_fits_at_1280_and_600_px(
    lab: Any, page: Any, artifacts: Path, path: str, root: str, drawn: str
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    explorer = lab.run_notebook(page, path, root, timeout=240_000)
    expect(page.locator(drawn).first).to_be_attached(timeout=180_000)
    page.wait_for_timeout(1500)  # the last charts of the notebook settle
    name = root.removeprefix(".diaglab-")
    problems = {}
    for width in (1280, 600):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(800)
        explorer.scroll_into_view_if_needed()
        explorer.screenshot(path=str(artifacts / f"geometry-{name}-{width}.png"))
        found = check(page, root)
        if found:
            problems[width] = found
    assert not problems, problems
