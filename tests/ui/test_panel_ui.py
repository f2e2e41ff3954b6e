"""The tour's panel in real JupyterLab: tabs render, choosing in one explorer changes another."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.ui


def _tab(page: Any, title: str) -> Any:
    return page.locator(".diaglab-panel .lm-TabBar-tab", has_text=title)


KERNEL_JS = """async (code) => {
    const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const future = kernel.requestExecute({code, store_history: false});
    let out = '';
    future.onIOPub = (msg) => {
        if (msg.header.msg_type === 'stream') out += msg.content.text;
        if (msg.header.msg_type === 'error') out += 'ERROR ' + msg.content.evalue;
    };
    await future.done;
    return out;
}"""


def _kernel(page: Any, code: str) -> Any:
    """Run ``code`` in the notebook's kernel; its last printed line, parsed as JSON."""
    out = page.evaluate(KERNEL_JS, code)
    assert "ERROR" not in out, out
    return json.loads(out.strip().splitlines()[-1])


def _table(page: Any, selector: str) -> list[dict[str, str]]:
    """The rows of an HTML table in the page, as dicts of the header's names."""
    return page.evaluate(
        """(sel) => {
            const t = document.querySelector(sel);
            if (!t) return [];
            const head = [...t.querySelectorAll('thead th')].map(th => th.textContent.trim());
            return [...t.querySelectorAll('tbody tr')].map(tr => Object.fromEntries(
                [...tr.querySelectorAll('td')].map((td, i) => [head[i], td.textContent.trim()])));
        }""",
        selector,
    )


def _texts(options: Any) -> list[str]:
    """Option labels as typed (ipywidgets shows their spaces as non-breaking ones)."""
    return [t.replace("\xa0", " ") for t in options.all_text_contents()]


def _inside(stamps: list[str], start: datetime, end: datetime) -> list[str]:
    """The time stamps (UTC text as the widgets show them) outside ``[start, end)``."""
    out = []
    for text in stamps:
        ts = datetime.fromisoformat(text.strip()).replace(tzinfo=UTC)
        if not start <= ts < end:
            out.append(text)
    return out


def test_a_brush_in_drift_moves_every_linked_list_into_the_new_window_and_slice(
    lab: Any, page: Any, artifacts: Path
) -> None:
    panel = lab.run_notebook(page, "notebooks/01-tour.ipynb", ".diaglab-panel")
    header = page.locator(".diaglab-panel-selection")
    expect(header).to_contain_text("2026-02-10 .. 2026-03-02", timeout=180_000)
    updating = page.locator(".diaglab-panel .diaglab-busy")  # an explorer with a stale view
    progress = page.locator(".diaglab-panel .diaglab-progress")

    # Pick a found slice: the Slices tab lists its rows.
    _tab(page, "Slices").click()
    found = page.locator(".diaglab-panel .diaglab-slices-found")
    expect(found.first).to_be_visible(timeout=180_000)
    found.first.locator("button").click()
    rows = page.locator(".diaglab-panel .diaglab-slices-rows tr.diaglab-slices-row")
    expect(rows.first).to_be_visible(timeout=120_000)
    expect(updating).to_have_count(0, timeout=180_000)

    # Brush another period in the Drift tab.
    _tab(page, "Drift").click()
    before = header.text_content() or ""
    line = page.locator(".diaglab-panel .diaglab-drift-chart svg .mark-line").first
    expect(line).to_be_visible(timeout=120_000)
    line.scroll_into_view_if_needed()
    # the tab just shown may still lay its chart out: drag once its place holds still, and
    # again if a drag landed during a redraw (as a person would)
    for _ in range(3):
        box = line.bounding_box()
        page.wait_for_timeout(500)
        if box is None or box != line.bounding_box():
            continue
        y = box["y"] + box["height"] * 0.5
        page.mouse.move(box["x"] + box["width"] * 0.15, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.40, y, steps=12)
        page.mouse.up()
        try:
            expect(header).not_to_have_text(before, timeout=20_000)
            break
        except AssertionError:
            continue
    expect(header).not_to_have_text(before, timeout=1_000)
    expect(updating).to_have_count(0, timeout=180_000)  # every view of every tab is fresh
    for i in range(progress.count()):
        expect(progress.nth(i)).to_be_hidden(timeout=180_000)
    panel.screenshot(path=str(artifacts / "panel-brush-1-drift.png"))

    scope = _kernel(
        page,
        "import json\n"
        "sel = panel.selection\n"
        "print(json.dumps({'start': sel.window.start.isoformat(), "
        "'end': sel.window.end.isoformat(), 'slice': str(sel.slice)}))",
    )
    start, end = (datetime.fromisoformat(scope[k]) for k in ("start", "end"))
    assert scope["slice"] and (start, end) != (
        datetime(2026, 2, 10, tzinfo=UTC),
        datetime(2026, 3, 2, tzinfo=UTC),
    )
    expect(header).to_contain_text(f"{start:%Y-%m-%d} .. {end:%Y-%m-%d}")
    window_label = page.locator(".diaglab-panel .diaglab-drift-window")
    expect(window_label).to_contain_text(f"[{start:%Y-%m-%d}, {end:%Y-%m-%d})")

    # The Slices tab's rows: in the new window (read from the page) and in the slice (the ids
    # checked by the kernel against the store).
    _tab(page, "Slices").click()
    shown = _table(page, ".diaglab-panel .diaglab-slices-rows table")
    assert shown, "the slice has rows in the brushed window"
    assert not _inside([r["time"] for r in shown], start, end)
    expect(page.locator(".diaglab-panel .diaglab-slices-selected")).to_contain_text(
        f"{start:%Y-%m-%d} .. {end:%Y-%m-%d}"
    )
    panel.screenshot(path=str(artifacts / "panel-brush-2-rows.png"))

    # The Prediction tab's worst errors: in the window and the slice.
    _tab(page, "Prediction").click()
    worst = _table(page, ".diaglab-panel .diaglab-inspector-worst table")
    assert worst, "worst errors listed in the brushed window and slice"
    worst_ids = [r["prediction"] for r in worst]
    assert not _inside([r["time"] for r in worst], start, end)
    panel.screenshot(path=str(artifacts / "panel-brush-3-worst.png"))

    # The Traces tab's list: traces that start in the window.
    _tab(page, "Traces").click()
    listed = _texts(
        page.locator(".diaglab-panel .diaglab-trace-list tbody td:nth-child(5)")
    )  # start
    assert listed, "traces listed in the brushed window"
    stamps = [re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", t) for t in listed]
    assert all(stamps) and not _inside([m.group(0) for m in stamps if m], start, end)
    panel.screenshot(path=str(artifacts / "panel-brush-4-traces.png"))

    expected = _kernel(
        page,
        "import json\n"
        "from diaglab.specs import Scope\n"
        "from diaglab.specs.catalog import WorstErrorsSpec\n"
        "sel = panel.selection\n"
        "scope = Scope('credit', window=sel.window, where=sel.slice)\n"
        "rows = WorstErrorsSpec(scope=scope, k=panel.explorers['inspector'].worst).run(store)\n"
        "print(json.dumps(list(rows.table.prediction_id)))",
    )
    assert worst_ids == expected  # the worst errors of the header's window and slice
    checked = _kernel(
        page,
        "import json\n"
        "from diaglab.queries.filters import where as _where\n"
        f"ids = {json.dumps([r['prediction id'] for r in shown] + worst_ids)}\n"
        "t = store.table('credit')\n"
        "inside = _where(t.filter(t.prediction_id.isin(ids)), panel.selection.slice)\n"
        "print(json.dumps(sorted(set(ids) - set(inside.prediction_id.to_pandas()))))",
    )
    assert checked == [], f"rows outside the slice {scope['slice']!r}: {checked}"
    expect(
        page.locator(".diaglab-panel .diaglab-error").filter(has_text=re.compile("."))
    ).to_have_count(0)


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
