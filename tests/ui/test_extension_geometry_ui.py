"""The JupyterLab extension's own CSS in the real browser: a findings output in a notebook and
a ``.findings.json`` file in the viewer fit at 1280 px and at 600 px wide (no box whose content
is wider than it unless it scrolls, no mark outside its plot, legends that tell series apart).
A finding's chart is drawn at its captured size and scrolls inside its card when wider (the
extension does not redraw it narrower). The viewer's screenshots are the gallery's findings
page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from geometry import indistinct_legends, marks_outside, overflowing
from playwright.sync_api import expect
from test_extension_ui import findings_bundle, findings_notebook  # type: ignore[import-not-found]

pytestmark = pytest.mark.ui

OPEN_JS = """async (path) => {
    const app = window.jupyterapp; await app.started; await app.restored;
    if (!app.shell.leftCollapsed) { await app.commands.execute('application:toggle-left-area'); }
    await app.commands.execute('docmanager:open', {path});
}"""


def _measure(page: Any, root: str, artifacts: Path, name: str) -> dict[str, list[str]]:
    problems = {}
    for width in (1280, 600):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(1200)  # the Vega chart in a finding redraws to the new width
        shown = page.locator(root).first
        shown.scroll_into_view_if_needed()
        shown.screenshot(path=str(artifacts / f"{name}-{width}.png"))
        found = overflowing(page, root) + marks_outside(page, root) + indistinct_legends(page, root)
        if found:
            problems[f"{name} at {width} px"] = found
    return problems


def test_findings_output_and_viewer_fit_at_1280_and_600_px(
    lab: Any, page: Any, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    (lab.root / "geo.findings.json").write_text(json.dumps(findings_bundle(), indent=1))
    nbformat.write(findings_notebook("geo.findings.json"), lab.root / "geo-findings.ipynb")
    lab.open(page, "geo-findings.ipynb")
    lab.run_all(page)
    expect(page.locator(".diaglab-findings")).to_have_count(2, timeout=120_000)
    expect(
        page.locator(".diaglab-findings .diaglab-finding-vega svg .mark-rect path")
    ).to_have_count(6, timeout=60_000)
    problems = _measure(page, ".jp-OutputArea .diaglab-findings", artifacts, "findings-output")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.evaluate(OPEN_JS, "geo.findings.json")
    viewer = ".jp-MimeDocument .diaglab-findings"
    expect(page.locator(viewer)).to_have_count(1, timeout=60_000)
    expect(page.locator(f"{viewer} .diaglab-finding-vega svg .mark-rect path")).to_have_count(
        3, timeout=60_000
    )
    problems |= _measure(page, viewer, artifacts, "findings-viewer")
    assert not problems, problems
