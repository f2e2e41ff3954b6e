"""The diaglab JupyterLab extension in real JupyterLab: the "New diagnostic notebook" launcher card
and palette command, the findings renderer (live, and after save, kernel shutdown and reopen), the
``*.findings.json`` viewer, and the time from JupyterLab's start to the tour's first explorer drawn.

The extension must be built and installed into the venv (``pip install -e .`` or
``make labext-test``); the first test says so when it is not.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import expect

from conftest import (  # type: ignore[import-not-found]
    PAGE_CONFIG,
    ROOT,
    SAMPLE,
    TOKEN,
    USER_SETTINGS,
    _free_port,
)

pytestmark = pytest.mark.ui

MIME = "application/vnd.diaglab.findings+json"
COMMAND = "diaglab:new-notebook"
TIMINGS = ROOT / "test-artifacts" / "ui" / "extension-timings.json"
# Markup in user text must come out as text: no element, no script.
MARKUP = "<b class='diaglab-injected'>not bold</b><img src=x onerror=\"window.__pwned=1\">"

READY_JS = """async () => {
    const app = window.jupyterapp; await app.started; await app.restored;
}"""

# The notebook that became current after `seen` (paths already open), with its first cell.
NEW_NOTEBOOK_JS = """async (seen) => {
    const app = window.jupyterapp;
    for (let i = 0; i < 600; i++) {
        const w = app.shell.currentWidget;
        const path = w && w.context ? w.context.path : null;
        if (path && path.endsWith('.ipynb') && !seen.includes(path)) {
            await w.context.ready; await w.revealed; await w.sessionContext.ready;
            return {path, source: w.content.model.cells.get(0).sharedModel.getSource(),
                    kernel: w.sessionContext.kernelPreference.name || null};
        }
        await new Promise(r => setTimeout(r, 100));
    }
    throw new Error('waited 60 s for a new notebook to become the current widget');
}"""


# -- the bundle under test, built from the contract --


def _hashed(finding: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in finding.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return {**finding, "hash": hashlib.sha256(canonical.encode()).hexdigest()}


def findings_bundle() -> dict[str, Any]:
    """Two findings: one whose Vega-Lite chart draws, one whose spec is broken (the renderer
    falls back to its static SVG). Notes carry markup that must stay text; keys unknown to
    version 1 must be ignored."""
    rows = [["income", 0.31, "major"], ["channel", 0.18, "moderate"], ["age", 0.02, "none"]]
    drift = {
        "id": "f-drift-income",
        "title": "Income drifted since March",
        "note": f"PSI above 0.25 for three weeks. {MARKUP}",
        "author": "ana",
        "created_at": "2026-11-26T10:00:00+00:00",
        "explorer": "DriftExplorer",
        "model": "credit",
        "model_version": "v2",
        "selection": {
            "model": "credit",
            "version": None,
            "reference": "reference",
            "current": "[2026-02-10, 2026-03-02)",
            "slice": None,
            "prediction_id": None,
        },
        "query": {
            "call": "dl.drift(store, 'credit', current='2026-02-10/2026-03-02')",
            "function": "diaglab.drift",
            "kwargs": {"model": "credit"},
            "ibis": "r0 := DatabaseTable: credit",
            "sql": 'SELECT "feature", "psi" FROM "credit_drift" WHERE "psi" > 0.25',
        },
        "table": {"columns": ["feature", "psi", "verdict"], "rows": rows},
        "chart": {
            "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            "data": {"values": [{"feature": r[0], "psi": r[1]} for r in rows]},
            "mark": "bar",
            "encoding": {
                "x": {"field": "feature", "type": "nominal", "sort": "-y"},
                "y": {"field": "psi", "type": "quantitative"},
            },
            "title": "PSI by feature",
        },
        "chart_svg": None,
        "watermark": {"segments": 42, "rows": 600000, "max_timestamp": "2026-03-02T00:00:00Z"},
        "claim": {"feature": "income", "statistic": "psi", "op": ">", "threshold": 0.25},
        "prev_hash": None,
        "a_key_from_the_future": {"ignored": True},
    }
    svg = (
        "<svg xmlns='http://www.w3.org/2000/svg' width='120' height='40'>"
        "<rect class='diaglab-static' width='120' height='40' fill='#4c78a8'/></svg>"
    )
    broken = {
        "id": "f-slice-branch",
        "title": "Branch 7 is the worst slice",
        "note": "Accuracy 0.61 against 0.83 overall.",
        "author": "ben",
        "created_at": "2026-11-26T10:05:00+00:00",
        "explorer": "SliceExplorer",
        "model": "credit",
        "model_version": None,
        "selection": {"model": "credit", "slice": "branch == 7"},
        "query": {"call": "dl.slice_metrics(store, 'credit', by='branch')", "sql": None},
        "table": {"columns": ["branch", "accuracy", "n"], "rows": [[7, 0.61, 1200]]},
        "chart": {"mark": "no-such-mark", "data": {"values": [{"a": 1}]}},
        "chart_svg": svg,
        "watermark": None,
        "claim": None,
        "prev_hash": None,
    }
    first = _hashed(drift)
    return {
        "schema": "diaglab.findings",
        "version": 1,
        "generator": "diaglab 0.1.0",
        "created_at": "2026-11-26T10:10:00+00:00",
        "findings": [first, _hashed({**broken, "prev_hash": first["hash"]})],
    }


def findings_notebook(bundle_file: str) -> nbformat.NotebookNode:
    """A notebook that displays the bundle read from ``bundle_file`` (raw MIME bundle with an HTML
    fallback), then the first finding as a ``diaglab.findings`` ``Finding``."""
    show = (
        "import json\nfrom pathlib import Path\nfrom IPython.display import display\n\n"
        f"bundle = json.loads(Path({bundle_file!r}).read_text())\n"
        f"display({{{MIME!r}: bundle, 'text/html': "
        "\"<p class='diaglab-html-fallback'>findings (HTML fallback)</p>\"}, raw=True)"
    )
    as_finding = (
        "from diaglab.findings.finding import Finding\n\n"
        "first = dict(bundle['findings'][0])\n"
        "first.pop('hash'); first.pop('a_key_from_the_future')\n"
        "Finding.from_json(first)"
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(show), nbformat.v4.new_code_cell(as_finding)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def test_the_test_bundle_follows_the_contract_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema_file = ROOT / "src" / "diaglab" / "findings" / "findings-v1.schema.json"
    if not schema_file.exists():
        pytest.skip("the findings JSON schema is not in this tree")
    jsonschema.validate(findings_bundle(), json.loads(schema_file.read_text()))


# -- helpers --


def _run(page: Any, command: str, *, wait: bool = False) -> None:
    """Run a JupyterLab command; ``wait`` for it to finish (a command that opens dialogs only
    finishes once they are answered, so it is started, not awaited)."""
    if wait:
        page.evaluate("async (c) => { await window.jupyterapp.commands.execute(c); }", command)
    else:
        page.evaluate("(c) => { void window.jupyterapp.commands.execute(c); }", command)


def _open_lab(page: Any, lab: Any, path: str = "") -> None:
    page.goto(f"{lab.url}/lab{'/tree/' + path if path else ''}?reset&token={lab.token}")
    page.wait_for_function("window.jupyterapp !== undefined", timeout=90_000)
    page.evaluate(READY_JS)


def _answer(page: Any, label: str, value: str | None, *, expected_default: str) -> None:
    """Answer the open dialog whose label starts with ``label``: check its proposed value, type
    ``value`` (None keeps the proposal) and accept."""
    dialog = page.locator(".jp-Dialog")
    expect(dialog.locator(".jp-Dialog-body label")).to_contain_text(label, timeout=30_000)
    field = dialog.locator(".jp-Dialog-body input")
    expect(field).to_have_value(expected_default)
    if value is not None:
        field.fill(value)
    dialog.locator("button.jp-mod-accept").click()
    expect(dialog.locator(".jp-Dialog-body label", has_text=label)).to_have_count(0)


def _literals(source: str) -> tuple[str, str]:
    """The store path and model the first cell passes, read by Python's own parser; fails unless
    the cell is exactly import / open / panel."""
    tree = ast.parse(source)
    assert [type(s).__name__ for s in tree.body] == ["Import", "Assign", "Expr"], source
    imp, assign, expr = tree.body
    assert ast.unparse(imp) == "import diaglab as dl"
    assert isinstance(assign, ast.Assign) and isinstance(expr, ast.Expr)
    assert ast.unparse(assign.targets[0]) == "store"
    opened, shown = assign.value, expr.value
    assert isinstance(opened, ast.Call) and ast.unparse(opened.func) == "dl.open"
    assert isinstance(shown, ast.Call) and ast.unparse(shown.func) == "dl.panel"
    assert ast.unparse(shown.args[0]) == "store"
    path, model = opened.args[0], shown.args[1]
    assert isinstance(path, ast.Constant) and isinstance(model, ast.Constant), source
    return path.value, model.value


def _open_paths(page: Any) -> list[str]:
    return page.evaluate(
        """() => Array.from(window.jupyterapp.shell.widgets('main'))
            .filter(w => w.context).map(w => w.context.path)"""
    )


def _check_rendered(page: Any, scope: str = "") -> None:
    """The two findings of :func:`findings_bundle` are drawn by the extension in ``scope``."""
    root = f"{scope} .diaglab-findings".strip()
    first = page.locator(root).first
    expect(first.locator(".diaglab-finding-title")).to_have_text(
        ["Income drifted since March", "Branch 7 is the worst slice"], timeout=90_000
    )
    # The Vega-Lite chart is drawn with marks: one bar per feature.
    bars = first.locator(".diaglab-finding-vega svg .mark-rect path")
    expect(bars).to_have_count(3, timeout=60_000)
    # The broken spec fell back to the static SVG, shown as an image.
    charts = first.locator(".diaglab-finding-chart")
    expect(charts.nth(0)).to_have_attribute("data-drawn", "vega")
    expect(charts.nth(1)).to_have_attribute("data-drawn", "svg")
    expect(charts.nth(1).locator("img.diaglab-finding-chart-svg")).to_be_visible()
    expect(charts.nth(1).locator(".diaglab-finding-chart-note")).to_contain_text(
        "could not be drawn"
    )
    # The table, the note as text, the provenance.
    rows = first.locator(".diaglab-finding").nth(0).locator(".diaglab-finding-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_have_text("income0.31major")
    note = first.locator(".diaglab-finding-note").first
    expect(note).to_have_text(f"PSI above 0.25 for three weeks. {MARKUP}")
    expect(page.locator(".diaglab-injected")).to_have_count(0)
    assert page.evaluate("window.__pwned === undefined")
    expect(first.locator(".diaglab-finding-call code").first).to_have_text(
        "dl.drift(store, 'credit', current='2026-02-10/2026-03-02')"
    )
    sql = first.locator("details.diaglab-finding-sql").first
    expect(sql).not_to_have_attribute("open", "")
    expect(sql.locator("code")).to_have_text(
        'SELECT "feature", "psi" FROM "credit_drift" WHERE "psi" > 0.25'
    )
    expect(first.locator(".diaglab-finding-watermark code").first).to_contain_text("segments: 42")
    # The HTML fallback is not what JupyterLab chose.
    expect(page.locator(".diaglab-html-fallback")).to_have_count(0)


# -- (1) launcher card and palette command --


def test_launcher_card_and_palette_command_open_a_diagnostic_notebook(
    lab: Any, page: Any, artifacts: Path
) -> None:
    _open_lab(page, lab)
    installed = page.evaluate(f"window.jupyterapp.commands.hasCommand('{COMMAND}')")
    assert installed, (
        "the diaglab extension is not loaded: build and install it (make labext-test, or "
        "pip install -e .) and check `jupyter labextension list`"
    )
    # Vega is not loaded at start: its chunks wait for the first finding with a chart.
    static = ROOT / "src" / "diaglab" / "labextension" / "static"
    heavy = {p.name for p in static.glob("*.js") if p.stat().st_size > 200_000}
    assert heavy, f"no vega chunk in {static}"
    loaded = page.evaluate(
        """() => performance.getEntriesByType('resource').map(e => e.name)
            .filter(n => n.includes('/extensions/diaglab/static/'))"""
    )
    assert loaded, "JupyterLab fetched nothing of the diaglab extension"
    assert not [u for u in loaded if any(h in u for h in heavy)], loaded

    # Its settings are in the settings registry, with the schema's defaults.
    settings = page.evaluate(
        "async () => (await window.jupyterapp.serviceManager.settings.fetch('diaglab:plugin'))"
        ".schema.properties"
    )
    assert settings["defaultStorePath"]["default"] == "sample_data/credit"
    assert settings["defaultModel"]["default"] == "credit"

    # The launcher card, with the defaults from the settings.
    _run(page, "launcher:create", wait=True)
    card = page.locator(".jp-LauncherCard", has_text="Diagnostic notebook")
    expect(card).to_have_count(1, timeout=30_000)
    page.screenshot(path=str(artifacts / "extension-1-launcher.png"))
    seen = _open_paths(page)
    card.click()
    _answer(page, "Store path", None, expected_default="sample_data/credit")
    _answer(page, "Model", None, expected_default="credit")
    opened = page.evaluate(NEW_NOTEBOOK_JS, seen)
    assert _literals(opened["source"]) == ("sample_data/credit", "credit")
    assert opened["kernel"] == "python3"
    page.screenshot(path=str(artifacts / "extension-2-launcher-notebook.png"))

    # The palette command; a path with quotes, a backslash and non-ASCII stays one literal.
    tricky = 'stores/it\'s "the" \\ données'
    item = page.locator(".lm-CommandPalette-item", has_text="New diagnostic notebook")
    # The modal palette closes when it loses focus; a notebook still settling can take it.
    for _ in range(3):
        _run(page, "apputils:activate-command-palette")
        palette = page.locator(".lm-CommandPalette-input")
        expect(palette).to_be_visible(timeout=30_000)
        palette.fill("diagnostic notebook")
        try:
            expect(item).to_have_count(1, timeout=5_000)
            break
        except AssertionError:
            continue
    expect(item).to_have_count(1)
    page.screenshot(path=str(artifacts / "extension-3-palette.png"))
    seen = _open_paths(page)
    item.click()
    _answer(page, "Store path", tricky, expected_default="sample_data/credit")
    _answer(page, "Model", "credit v2", expected_default="credit")
    opened = page.evaluate(NEW_NOTEBOOK_JS, seen)
    assert _literals(opened["source"]) == (tricky, "credit v2")
    # It was saved: the file on disk has the same first cell.
    on_disk = nbformat.read(lab.root / opened["path"], as_version=4)
    assert on_disk.cells[0].source == opened["source"]
    expect(page.locator(".jp-Notebook .jp-Cell").first).to_contain_text("dl.panel(store,")
    page.screenshot(path=str(artifacts / "extension-4-palette-notebook.png"))

    # A blank answer is refused with a message, and no notebook is made.
    seen = _open_paths(page)
    _run(page, COMMAND)
    _answer(page, "Store path", "   ", expected_default="sample_data/credit")
    expect(page.locator(".jp-Dialog")).to_contain_text("Store path is required.")
    page.locator(".jp-Dialog .jp-Dialog-footer button").last.click()  # "Dismiss"
    expect(page.locator(".jp-Dialog")).to_have_count(0)
    assert _open_paths(page) == seen

    # The kernels these notebooks started are not needed by the tests after this one.
    page.evaluate(
        """async () => {
            for (const w of Array.from(window.jupyterapp.shell.widgets('main'))) {
                if (w.sessionContext) { await w.sessionContext.shutdown(); }
            }
        }"""
    )


# -- (2) the findings renderer: live, then saved, kernel shut down and reopened --


def _session_paths(lab: Any) -> list[str]:
    with urllib.request.urlopen(f"{lab.url}/api/sessions?token={lab.token}", timeout=10) as r:
        return [s["path"] for s in json.load(r)]


def test_findings_output_renders_and_survives_save_shutdown_and_reopen(
    lab: Any, page: Any, artifacts: Path
) -> None:
    (lab.root / "ext-demo.findings.json").write_text(json.dumps(findings_bundle(), indent=1))
    nbformat.write(findings_notebook("ext-demo.findings.json"), lab.root / "ext-findings.ipynb")
    lab.open(page, "ext-findings.ipynb")
    lab.run_all(page)
    # Two outputs: the raw bundle and the Finding object's own MIME bundle.
    expect(page.locator(".diaglab-findings")).to_have_count(2, timeout=120_000)
    _check_rendered(page)
    expect(page.locator(".diaglab-findings").nth(1).locator(".diaglab-finding-title")).to_have_text(
        "Income drifted since March"
    )
    expect(
        page.locator(".diaglab-findings")
        .nth(1)
        .locator(".diaglab-finding-vega svg .mark-rect path")
    ).to_have_count(3)
    page.locator(".diaglab-findings").first.screenshot(
        path=str(artifacts / "extension-5-output.png")
    )
    # The chart came from the vega bundled in the extension, served by this server.
    loaded = page.evaluate(
        """() => performance.getEntriesByType('resource').map(e => e.name)
            .filter(n => n.includes('/extensions/diaglab/static/'))"""
    )
    static = ROOT / "src" / "diaglab" / "labextension" / "static"
    heavy = {p.name for p in static.glob("*.js") if p.stat().st_size > 200_000}
    assert heavy and all(any(h in u for u in loaded) for h in heavy), (heavy, loaded)

    # Save, and check the output is in the file.
    _run(page, "docmanager:save", wait=True)
    saved = lab.root / "ext-findings.ipynb"
    deadline = time.monotonic() + 30
    while MIME not in saved.read_text():
        assert time.monotonic() < deadline, "waited 30 s for the saved notebook to hold the output"
        time.sleep(0.3)
    outputs = [o for c in nbformat.read(saved, as_version=4).cells for o in c.outputs]
    assert [MIME in o.get("data", {}) for o in outputs] == [True, True]

    # Shut the kernel down and close everything.
    page.evaluate(
        """async () => {
            const app = window.jupyterapp;
            await app.shell.currentWidget.sessionContext.shutdown();
            await app.commands.execute('application:close-all');
        }"""
    )
    deadline = time.monotonic() + 30
    while "ext-findings.ipynb" in _session_paths(lab):
        assert time.monotonic() < deadline, "waited 30 s for the kernel session to end"
        time.sleep(0.3)

    # Reopen: the stored outputs render through the extension, without re-running a cell.
    _open_lab(page, lab, "ext-findings.ipynb")
    expect(page.locator(".diaglab-findings")).to_have_count(2, timeout=90_000)
    _check_rendered(page)
    counts = page.evaluate(
        """() => window.jupyterapp.shell.currentWidget.content.widgets
            .map(c => c.model.executionCount)"""
    )
    assert counts == [1, 2], counts
    page.locator(".diaglab-findings").first.screenshot(
        path=str(artifacts / "extension-6-reopened.png")
    )

    # A notebook written elsewhere (not signed, so untrusted) still renders: the renderer is safe.
    untrusted = findings_notebook("ext-demo.findings.json")
    untrusted.cells[0].outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={MIME: findings_bundle(), "text/html": "<p class='diaglab-html-fallback'>x</p>"},
        )
    ]
    untrusted.cells = untrusted.cells[:1]
    nbformat.write(untrusted, lab.root / "ext-untrusted.ipynb")
    _open_lab(page, lab, "ext-untrusted.ipynb")
    expect(page.locator(".diaglab-findings")).to_have_count(1, timeout=90_000)
    _check_rendered(page)
    page.screenshot(path=str(artifacts / "extension-7-untrusted.png"))


# -- (3) the *.findings.json viewer --


def test_findings_file_opens_in_the_viewer(lab: Any, page: Any, artifacts: Path) -> None:
    (lab.root / "ext-viewer.findings.json").write_text(json.dumps(findings_bundle()))
    (lab.root / "ext-plain.json").write_text(json.dumps({"not": "findings"}))
    _open_lab(page, lab)
    registry = page.evaluate(
        """() => {
            const r = window.jupyterapp.docRegistry;
            return {type: r.getFileTypesForPath('ext-viewer.findings.json')[0].name,
                    factory: r.defaultWidgetFactory('ext-viewer.findings.json').name,
                    plain: r.defaultWidgetFactory('ext-plain.json').name};
        }"""
    )
    assert registry == {
        "type": "diaglab-findings",
        "factory": "diaglab Findings",
        "plain": registry["plain"],
    }
    assert registry["plain"] != "diaglab Findings"

    # Opened from the file browser, by a double click, like a person would.
    _run(page, "filebrowser:activate", wait=True)
    entry = page.locator(".jp-DirListing-item", has_text="ext-viewer.findings.json")
    entry.dblclick()
    viewer = page.locator(".jp-MimeDocument .diaglab-findings")
    expect(viewer).to_have_count(1, timeout=60_000)
    _check_rendered(page, ".jp-MimeDocument")
    expect(
        page.locator(".lm-TabBar-tab.lm-mod-current[data-type='document-title']")
    ).to_contain_text("ext-viewer.findings.json")
    page.screenshot(path=str(artifacts / "extension-8-viewer.png"))


# -- the number for bench/RESULTS.md: JupyterLab start to the tour's first explorer drawn --


def _first_explorer_notebook() -> str:
    """The tour when it shows an explorer, else the first notebook that does."""
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        source = "".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"])
        if "Explorer(" in source or "dl.panel(" in source:
            return nb.name
    raise AssertionError("no notebook in notebooks/ shows an explorer")


@pytest.fixture
def fresh_lab(tmp_path: Path) -> Iterator[tuple[str, float, Path]]:
    """A JupyterLab of its own, so its start can be timed: (url, start time, root)."""
    root = tmp_path / "root"
    shutil.copytree(
        ROOT / "notebooks",
        root / "notebooks",
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "out"),
    )
    store = root / "sample_data" / "credit"
    if not (SAMPLE / "segments").is_dir():
        pytest.skip("no sample store at sample_data/credit (make demo builds it)")
    shutil.copytree(SAMPLE, store, ignore=shutil.ignore_patterns(".tmp", "*.wal"))
    config = tmp_path / "config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(json.dumps(PAGE_CONFIG))
    settings = tmp_path / "settings"
    for name, values in USER_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_RUNTIME_DIR=tempfile.mkdtemp(dir=tmp_path),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=tempfile.mkdtemp(dir=tmp_path),
        DIAGLAB_STORE=str(store),
    )
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
             f"--port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
             f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
             "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        try:
            yield url, started, log_path
        finally:
            proc.terminate()  # by its PID; the server shuts its kernels down
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def test_time_from_jupyterlab_start_to_first_explorer_drawn(
    fresh_lab: tuple[str, float, Path], page: Any, artifacts: Path
) -> None:
    url, started, log_path = fresh_lab
    name = _first_explorer_notebook()
    deadline = started + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.1)
    server_s = time.monotonic() - started
    page.goto(f"{url}/lab/tree/notebooks/{name}?reset&token={TOKEN}")
    page.wait_for_function("window.jupyterapp !== undefined", timeout=90_000)
    from conftest import OPEN_JS  # type: ignore[import-not-found]

    page.evaluate(OPEN_JS)
    ready_s = time.monotonic() - started
    _run(page, "notebook:run-all-cells")
    explorer = page.locator(".diaglab-explorer").first
    explorer.wait_for(state="attached", timeout=300_000)
    expect(explorer.locator(".vega-embed svg .role-mark").first).to_be_attached(timeout=300_000)
    expect(explorer.locator(".diaglab-progress").first).to_be_hidden(timeout=300_000)
    drawn_s = time.monotonic() - started
    explorer.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "extension-9-first-explorer.png"))
    built = ROOT / "src" / "diaglab" / "labextension"
    size = sum(p.stat().st_size for p in built.rglob("*") if p.is_file()) if built.exists() else 0
    numbers = {
        "notebook": name,
        "server_answers_s": round(server_s, 2),
        "notebook_open_kernel_ready_s": round(ready_s, 2),
        "first_explorer_drawn_s": round(drawn_s, 2),
        "labextension_bytes": size,
        "load_average": os.getloadavg(),
    }
    print("\nJupyterLab start to first explorer drawn:", json.dumps(numbers))
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    runs = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else []
    TIMINGS.write_text(json.dumps([*runs, numbers], indent=1))
    assert server_s <= ready_s <= drawn_s
