"""The tour's panel in real JupyterLab: tabs render, choosing in one explorer changes another."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.ui


def _tab(page: Any, title: str) -> Any:
    return page.locator(".diaglab-panel .lm-TabBar-tab", has_text=title)


def test_panel_renders_and_a_slice_chosen_filters_drift_and_opens_a_row(
    lab: Any, page: Any, artifacts: Path
) -> None:
    panel = lab.run_notebook(page, "notebooks/01-tour.ipynb", ".diaglab-panel")

    # The header shows the selection the notebook set from Python; the drift tab follows it.
    header = page.locator(".diaglab-panel-selection")
    expect(header).to_contain_text("2026-02-10 .. 2026-03-02", timeout=180_000)
    expect(header).to_contain_text("region = 'north'")
    for title in ("Drift", "Slices", "Prediction"):
        expect(_tab(page, title)).to_have_count(1)
    window = page.locator(".diaglab-panel .diaglab-drift-window")
    expect(window).to_contain_text("[2026-02-10, 2026-03-02)", timeout=180_000)
    expect(window).to_contain_text("region = 'north'")
    expect(
        page.locator(".diaglab-panel .diaglab-drift-table .diaglab-drift-row").first
    ).to_be_visible()
    panel.screenshot(path=str(artifacts / "panel-1-drift.png"))

    # Choosing a found slice in the Slices tab sets the shared slice...
    _tab(page, "Slices").click()
    found = page.locator(".diaglab-panel .diaglab-slices-found")
    expect(found.first).to_be_visible(timeout=180_000)
    predicate = (found.first.locator("button").get_attribute("title") or "").strip()
    assert predicate, "a found slice has its predicate as tooltip"
    column = predicate.split()[0]
    before_header = header.text_content() or ""
    before_window = window.text_content() or ""
    found.first.locator("button").click()
    rows = page.locator(".diaglab-panel .diaglab-slices-rows tr.diaglab-slices-row")
    expect(rows.first).to_be_visible(timeout=60_000)
    expect(header).not_to_have_text(before_header, timeout=30_000)
    expect(header).to_contain_text(column)
    panel.screenshot(path=str(artifacts / "panel-2-slice.png"))

    # ... which filters the drift tab: its window line names the new slice after a recompute.
    _tab(page, "Drift").click()
    expect(window).not_to_have_text(before_window, timeout=120_000)
    expect(window).to_contain_text(column)
    expect(page.locator(".diaglab-panel .diaglab-drift .diaglab-progress")).to_be_hidden(
        timeout=120_000
    )
    panel.screenshot(path=str(artifacts / "panel-3-drift-filtered.png"))

    # Opening one of the slice's rows shows it in the Prediction tab.
    _tab(page, "Slices").click()
    picker = page.locator(".diaglab-panel .diaglab-slices-row-picker select")
    expect(picker).to_be_visible()
    picker.select_option(index=1)
    pid = picker.input_value().split(" · ")[0]  # options show "<id> · score <s>"
    assert pid
    expect(header).to_contain_text(f"prediction {pid}", timeout=30_000)
    _tab(page, "Prediction").click()
    expect(page.locator(".diaglab-panel .diaglab-inspector-id input")).to_have_value(
        pid, timeout=60_000
    )
    summary = page.locator(".diaglab-panel .diaglab-inspector-summary")
    expect(summary).to_contain_text(re.compile("decision"), timeout=120_000)
    expect(
        page.locator(".diaglab-panel .diaglab-error").filter(has_text=re.compile("."))
    ).to_have_count(0)
    panel.screenshot(path=str(artifacts / "panel-4-prediction.png"))


def test_panel_captures_and_exports_a_report_a_person_can_open(
    lab: Any, page: Any, artifacts: Path
) -> None:
    panel = lab.run_notebook(page, "notebooks/01-tour.ipynb", ".diaglab-panel")
    expect(page.locator(".diaglab-panel .diaglab-drift-window")).to_contain_text(
        "[2026-02-10, 2026-03-02)", timeout=180_000
    )
    expect(page.locator(".diaglab-panel .diaglab-drift .diaglab-progress")).to_be_hidden(
        timeout=180_000
    )
    panel.screenshot(path=str(artifacts / "panel-export-1-ready.png"))

    # Type a title and capture what the Drift tab shows.
    title = "north drifted from 10 February"
    page.locator(".diaglab-panel-title input").fill(title)
    page.locator(".diaglab-panel-note input").fill("seen in the tour's panel")
    panel.screenshot(path=str(artifacts / "panel-export-2-typed.png"))
    page.locator(".diaglab-panel-capture").click()
    captured = page.locator(".diaglab-panel-capture-status")
    expect(captured).to_contain_text(f"captured “{title}” from DriftExplorer", timeout=120_000)
    panel.screenshot(path=str(artifacts / "panel-export-3-captured.png"))

    # Export it as HTML under a typed name: the header links the file, relative to the notebook.
    page.locator(".diaglab-panel-export-format select").select_option("html")
    page.locator(".diaglab-panel-export-name input").fill("tour-report")
    page.locator(".diaglab-panel-export").click()
    link = page.locator(".diaglab-panel-export-status a.diaglab-panel-export-link")
    expect(link).to_have_text("findings/tour-report.html", timeout=60_000)
    expect(page.locator(".diaglab-panel-export-status")).to_contain_text(
        re.compile(r"exported \d+ findings? to")
    )
    assert link.get_attribute("href") == "findings/tour-report.html"
    expect(
        page.locator(".diaglab-panel .diaglab-error").filter(has_text=re.compile("."))
    ).to_have_count(0)
    panel.screenshot(path=str(artifacts / "panel-export-4-exported.png"))

    # The file is beside the notebook, names the finding, and the server serves it.
    written = lab.root / "notebooks" / "findings" / "tour-report.html"
    assert written.is_file()
    assert title in written.read_text(encoding="utf-8")
    served = page.request.get(
        f"{lab.url}/files/notebooks/findings/tour-report.html?token={lab.token}"
    )
    assert served.ok and title in served.text()

    # A name that tries to leave the folder is refused under the controls; nothing is written.
    page.locator(".diaglab-panel-export-name input").fill("../escape")
    page.locator(".diaglab-panel-export").click()
    expect(page.locator(".diaglab-panel-export-status")).to_contain_text(
        "invalid export file name", timeout=60_000
    )
    assert not (lab.root / "notebooks" / "escape.html").exists()
    panel.screenshot(path=str(artifacts / "panel-export-5-refused.png"))
