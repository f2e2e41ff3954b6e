"""The root-cause notebook in real JupyterLab: the inspector's waterfall renders and a what-if edit
typed in the browser updates the prediction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.ui


def test_inspector_renders_and_a_what_if_edit_updates_the_card(
    lab: Any, page: Any, artifacts: Path
) -> None:
    inspector = lab.run_notebook(
        page, "notebooks/04-root-cause.ipynb", ".diaglab-inspector", timeout=240_000
    )

    summary = page.locator(".diaglab-inspector-summary")
    expect(summary).to_contain_text("decision", timeout=180_000)
    bars = page.locator(".diaglab-inspector-waterfall svg .mark-rect path")
    expect(bars.first).to_be_attached(timeout=60_000)
    assert bars.count() >= 5
    expect(page.locator(".diaglab-inspector-table")).to_contain_text("percentile")
    expect(page.locator(".diaglab-inspector-trace")).to_contain_text("trace")
    expect(page.locator(".diaglab-error")).to_have_text("")
    inspector.screenshot(path=str(artifacts / "inspector-1-card.png"))

    before = summary.text_content() or ""
    value = page.locator(".diaglab-inspector-whatif-value input")
    value.fill("20000")
    value.press("Enter")
    result = page.locator(".diaglab-inspector-whatif-result")
    expect(result).to_contain_text("→", timeout=60_000)
    expect(summary).to_contain_text("what-if", timeout=60_000)
    assert (summary.text_content() or "") != before
    expect(page.locator(".diaglab-error")).to_have_text("")
    inspector.screenshot(path=str(artifacts / "inspector-2-what-if.png"))
