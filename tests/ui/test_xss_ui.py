"""Tampered findings (issue 16) in a real browser: no payload runs, in the notebook's HTML fallback,
in the HTML export (with its Content-Security-Policy) or in the extension's findings renderer.

Each payload (tests/xss_payloads.py) sets ``window.__pwned`` and calls ``alert`` if it runs; every
page listens for dialogs. A control page with one payload inlined as raw markup shows the harness
sees a payload that does run.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import expect

from conftest import _free_port  # type: ignore[import-not-found]

sys.path.insert(0, str(Path(__file__).parents[1]))
import diaglab as dl
from diaglab.findings.finding import bundle, finding_html
from xss_payloads import SVG_PAYLOADS, tampered_findings

pytestmark = pytest.mark.ui

MIME = "application/vnd.diaglab.findings+json"
PWNED_JS = "() => (window.__pwned || 0)"


def _watch(page: Any) -> list[str]:
    seen: list[str] = []

    def on_dialog(d: Any) -> None:
        seen.append(f"{d.type}: {d.message}")
        d.dismiss()

    page.on("dialog", on_dialog)
    return seen


@contextlib.contextmanager
def _served(folder: Path) -> Iterator[str]:
    """``folder`` over HTTP on loopback (the page fixture lets only loopback through)."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                import urllib.request

                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline, "the test HTTP server did not start"
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _page(body: str) -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>"


def test_the_harness_sees_a_payload_that_runs(page: Any, tmp_path: Path) -> None:
    (tmp_path / "control.html").write_text(_page(SVG_PAYLOADS["svg-onload"]))
    dialogs = _watch(page)
    with _served(tmp_path) as url:
        page.goto(f"{url}/control.html")
        page.wait_for_function("() => window.__pwned >= 1", timeout=10_000)
    assert dialogs


def test_no_payload_runs_in_the_html_fallback_or_the_export(page: Any, tmp_path: Path) -> None:
    findings = tampered_findings()
    (tmp_path / "fallback.html").write_text(_page("".join(finding_html(f) for f in findings)))
    dl.export(findings, tmp_path / "report.html")
    dialogs = _watch(page)
    violations: list[str] = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    with _served(tmp_path) as url:
        page.goto(f"{url}/fallback.html")
        page.wait_for_timeout(2_500)  # <animate dur=1s> would have begun; onload/onerror fired
        assert page.evaluate(PWNED_JS) == 0 and dialogs == []
        expect(page.locator("img.diaglab-chart-svg")).to_have_count(len(SVG_PAYLOADS))
        page.goto(f"{url}/report.html")
        usermeta_chart = page.locator(f"#chart-{len(SVG_PAYLOADS)} .vega-embed svg")
        expect(usermeta_chart).to_have_count(1, timeout=30_000)  # drawn, under the CSP
        expect(page.locator(".vega-actions, details[title='Click to view actions']")).to_have_count(
            0
        )
        page.wait_for_timeout(2_500)
        assert page.evaluate(PWNED_JS) == 0
    assert dialogs == []
    assert not [v for v in violations if "eval" in v], violations  # Vega ran without eval


def _xss_notebook(bundle_file: str) -> nbformat.NotebookNode:
    show = (
        "import json\nfrom pathlib import Path\nfrom IPython.display import display\n\n"
        f"bundle = json.loads(Path({bundle_file!r}).read_text())\n"
        f"display({{{MIME!r}: bundle, 'text/html': '<p>fallback</p>'}}, raw=True)"
    )
    fallback = (
        "from diaglab.findings.finding import Finding, finding_html\n\n"
        "for item in bundle['findings']:\n"
        "    display({'text/html': finding_html(Finding.from_json(item))}, raw=True)"
    )
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = [nbformat.v4.new_code_cell(c) for c in (show, fallback)]
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernel})


def test_no_payload_runs_in_the_extension_or_the_notebook_fallback(lab: Any, page: Any) -> None:
    (lab.root / "xss.findings.json").write_text(json.dumps(bundle(tampered_findings())))
    nbformat.write(_xss_notebook("xss.findings.json"), lab.root / "xss.ipynb")
    dialogs = _watch(page)
    lab.open(page, "xss.ipynb")
    lab.run_all(page)
    expect(page.locator(".diaglab-findings")).to_have_count(1, timeout=120_000)
    charts = page.locator(".diaglab-findings .diaglab-finding-vega svg")
    expect(charts.first).to_be_visible(timeout=60_000)  # the usermeta spec drew
    expect(page.locator("img.diaglab-chart-svg")).to_have_count(len(SVG_PAYLOADS), timeout=60_000)
    actions = page.locator(".diaglab-findings .vega-actions a")
    texts = [actions.nth(i).text_content() or "" for i in range(actions.count())]
    assert not any("Source" in t or "Editor" in t for t in texts), texts
    page.wait_for_timeout(2_500)
    assert page.evaluate(PWNED_JS) == 0
    assert dialogs == []
