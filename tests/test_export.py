"""Exports of findings, each parsed back: HTML, Markdown, JSON, Parquet, PDF, MLflow, W&B."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

import diaglab as dl
from conftest import copy_sample
from diaglab.findings import MissingExtraError, read
from diaglab.findings.evidence import evidence
from diaglab.findings.export import find_chromium
from diaglab.findings.html import report_html, wide
from diaglab.findings.report import standard_findings
from diaglab.queries.window import Window
from test_findings import HALF, build, validate

EVIL = "<script>alert('pwned')</script> & ../../x"
EVIL_NOTE = '<img src=x onerror="alert(1)"> see /etc/passwd'


@pytest.fixture(scope="module")
def items(tmp_path_factory: pytest.TempPathFactory) -> list[dl.Finding]:
    """Three findings on a small store: a drift report (chart), a crafted title, a table."""
    s = build(tmp_path_factory.mktemp("export") / "store")
    try:
        rep = dl.drift(s, "credit", window=(HALF, None))
        a = dl.finding("income drifted", rep, store=s, note="second half")
        ex = dl.SliceExplorer(s, "credit", by="region").wait()
        try:
            b = ex.capture(EVIL, note=EVIL_NOTE)
        finally:
            ex.close()
        c = dl.finding("/abs/path/title", s.table("credit").limit(4).to_pandas(), store=s)
        return [a, b, c]
    finally:
        s.close()


class Page(HTMLParser):
    """Collects what a browser would see: text, scripts, external references."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self.h2: list[str] = []
        self.refs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.stack.append(tag)
        for name, value in attrs:
            if name in ("src", "href") or name.startswith("on"):
                self.refs.append(f"{tag} {name}={value}")

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        top = self.stack[-1] if self.stack else ""
        if top == "script":
            self.scripts.append(data)
        else:
            self.text.append(data)
            if top == "h2":
                self.h2.append(data)


def test_html_is_self_contained_escaped_and_has_static_charts(
    items: list[dl.Finding], tmp_path: Path
) -> None:
    out = dl.export(items, tmp_path / "report.html")
    assert out == tmp_path / "report.html"
    page = Page()
    page.feed(out.read_text())
    # The crafted title and note are text, never markup or script.
    assert EVIL in page.h2
    assert any(EVIL_NOTE in t for t in page.text)
    assert not any("alert('pwned')" in s or "alert(1)" in s for s in page.scripts)
    # no href/on* anywhere and no src but the charts' data URIs: no CDN, no file, no handler
    assert [r.split("=")[0] for r in page.refs] == ["img src"] * 2
    assert all(r.startswith("img src=data:image/svg+xml;base64,") for r in page.refs)
    assert page.tags.count("svg") == 0  # the static fallbacks are images, not inline SVG
    # One vega-embed bundle, the specs as JSON data, and the embedding script.
    bundles = [s for s in page.scripts if "vegaEmbed" in s and len(s) > 100_000]
    assert len(bundles) == 1
    specs = json.loads(next(s for s in page.scripts if s.startswith('{"chart-')))
    assert set(specs) == {"chart-0", "chart-1"}
    assert specs["chart-1"] == items[1].chart


@pytest.mark.skipif(find_chromium() is None, reason="needs a chromium on PATH")
def test_html_charts_draw_offline_in_a_browser(items: list[dl.Finding], tmp_path: Path) -> None:
    import subprocess

    out = dl.export(items[:1], tmp_path / "one.html")
    dom = subprocess.run(
        [
            str(find_chromium()),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            out.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert 'class="vega-embed' in dom


def test_html_of_ten_findings_on_the_sample_store_stays_small(tmp_path: Path) -> None:
    s = dl.open(copy_sample(tmp_path))
    try:
        found = standard_findings(s, "credit", window=Window("2026-02-10", "2026-03-02"))
        found += standard_findings(s, "credit", window=Window("2026-01-10", "2026-02-10"))
    finally:
        s.close()
    assert len(found) == 10
    out = dl.export(found, tmp_path / "ten.html")
    size = out.stat().st_size
    assert size < 5_000_000, f"{size:,} bytes"
    page = Page()
    page.feed(out.read_text())
    assert len(page.h2) == 10


def test_markdown_puts_charts_beside_it_and_no_title_escapes_the_folder(
    items: list[dl.Finding], tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out = dl.export(items, folder / "findings.md")
    text = out.read_text()
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert all(w.startswith("out/") for w in written), written
    assert "out/findings_files/02-script-alert-pwned-script-x.png" in written
    assert not [w for w in written if w.endswith(".svg")], written
    images = [line for line in text.splitlines() if line.startswith("![")]
    assert len(images) == 2
    for line in images:
        target = line[line.index("](") + 2 : -1]
        assert (folder / target).resolve().parent == (folder / "findings_files").resolve()
        assert (folder / target).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "<script>" not in text and "\\<script\\>" in text
    assert not (tmp_path / "x").exists() and not Path("/abs/path").exists()


def test_markdown_charts_are_images_that_run_nothing_and_read_no_local_file(
    items: list[dl.Finding], tmp_path: Path
) -> None:
    from PIL import Image

    secret = tmp_path / "secret.png"
    Image.new("RGB", (40, 40), (255, 0, 0)).save(secret)
    plain = "<svg xmlns='http://www.w3.org/2000/svg' width='40' height='40'>%s</svg>"
    hostile = {
        "script": plain % "<script>alert(1)</script><g onload='x()'/>",
        "local image": plain % f"<image href='{secret}' width='40' height='40'/>",
        "prefixed href": plain.replace("<svg ", "<svg xmlns:q='http://www.w3.org/1999/xlink' ")
        % f"<image q:href='file://{secret}' width='40' height='40'/>",
    }
    found = [replace(items[0], title=name, chart_svg=svg) for name, svg in hostile.items()]
    found.append(replace(items[0], title="no svg", chart_svg="x"))
    out = dl.export(found, tmp_path / "report.md")
    files = sorted((tmp_path / "report_files").iterdir())
    assert [p.suffix for p in files] == [".png"] * 3
    for p in files:
        pixels = Image.open(p).convert("RGBA")
        assert pixels.getextrema()[3] == (0, 0), f"{p.name} drew something"  # all transparent
    text = out.read_text()
    assert "<script" not in text and "data:image/svg" not in text


def test_json_validates_against_the_schema_and_reads_back(
    items: list[dl.Finding], tmp_path: Path
) -> None:
    out = dl.export(items, tmp_path / "f.json")
    obj = json.loads(out.read_text())
    validate(obj)
    assert obj["schema"] == "diaglab.findings" and obj["version"] == 1
    back = read(out)
    assert [f.hash for f in back] == [f.hash for f in items]
    assert back[1].title == EVIL
    obj["findings"][1]["table"]["rows"][0][0] = "changed"
    (tmp_path / "bad.json").write_text(json.dumps(obj))
    with pytest.raises(dl.DiaglabError, match=r"finding .*pwned.*does not match its hash"):
        read(tmp_path / "bad.json")


def test_parquet_holds_the_evidence_rows_with_their_finding(
    items: list[dl.Finding], tmp_path: Path
) -> None:
    out = dl.export(items, tmp_path / "evidence.parquet")
    df = pq.read_table(out).to_pandas()
    assert len(df) == sum(len(f.table["rows"]) for f in items)
    assert df.columns[:3].tolist() == ["finding_id", "finding_title", "row"]
    drift_rows = df[df["finding_id"] == items[0].id]
    assert drift_rows["feature"].tolist() == items[0].frame()["feature"].tolist()
    assert pd.api.types.is_float_dtype(df["effect"])


def test_pdf_prints_the_report_or_says_chromium_is_missing(
    items: list[dl.Finding], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if find_chromium() is not None:
        out = dl.export(items, tmp_path / "r.pdf")
        assert out.read_bytes()[:5] == b"%PDF-" and out.stat().st_size > 10_000
    monkeypatch.setenv("DIAGLAB_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(MissingExtraError, match="headless Chromium"):
        dl.export(items, tmp_path / "r2.pdf")
    assert not (tmp_path / "r2.pdf").exists()


def test_bad_export_requests_are_clear_errors(items: list[dl.Finding], tmp_path: Path) -> None:
    with pytest.raises(dl.InputError, match=r"use one of \.html, \.md"):
        dl.export(items, tmp_path / "r.docx")
    with pytest.raises(dl.InputError, match="does not exist"):
        dl.export(items, tmp_path / "missing" / "r.html")
    with pytest.raises(dl.InputError, match="needs a path"):
        dl.export(items)
    with pytest.raises(dl.InputError, match="takes findings; got str"):
        dl.export(["not a finding"], tmp_path / "r.html")


def test_mlflow_run_has_the_findings(items: list[dl.Finding], tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run_id = dl.export(
        items,
        mlflow={
            "tracking_uri": uri,
            "experiment": "diaglab-test",
            "artifact_location": (tmp_path / "artifacts").as_uri(),
        },
    )
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    first = "01-income-drifted"
    claimed = {r["feature"]: r["effect"] for r in items[0].claim["rows"]}
    assert run.data.metrics[f"{first}.income.effect"] == pytest.approx(claimed["income"])
    assert run.data.params[f"{first}.function"] == "diaglab.drift"
    assert run.data.params[f"{first}.hash"] == items[0].hash
    paths = {a.path for a in client.list_artifacts(run_id, f"findings/{first}")}
    assert {f"findings/{first}/{n}" for n in ("table.json", "chart.svg", "finding.json")} <= paths
    local = Path(client.download_artifacts(run_id, f"findings/{first}", str(tmp_path / "dl")))
    assert json.loads((local / "finding.json").read_text())["hash"] == items[0].hash
    table = json.loads((local / "table.json").read_text())
    assert "feature" in table["columns"]


def test_wandb_offline_run_has_the_findings(
    items: list[dl.Finding], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR", "WANDB_CONFIG_DIR"):
        monkeypatch.setenv(var, str(tmp_path / "wandb-home"))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    run_id = dl.export(items, wandb={"project": "diaglab-test", "dir": str(tmp_path)})
    (run_dir,) = (tmp_path / "wandb").glob(f"offline-run-*-{run_id}")
    files = run_dir / "files"
    bundle_back = json.loads((files / "diaglab-findings.json").read_text())
    validate(bundle_back)
    assert [f["hash"] for f in bundle_back["findings"]] == [f.hash for f in items]
    tables = sorted((files / "media" / "table").rglob("*.table.json"))
    assert len(tables) == 3
    first = json.loads(tables[0].read_text())
    assert "feature" in first["columns"]
    assert json.loads((files / "diaglab" / "01-income-drifted" / "finding.json").read_text())[
        "id"
    ] == (items[0].id)
    # Metrics go to the run's summary, kept in the offline run file.
    assert b"01-income-drifted.income.effect" in (run_dir / f"run-{run_id}.wandb").read_bytes()


@pytest.mark.parametrize("extra", ["mlflow", "wandb"])
def test_a_missing_tracking_package_names_the_extra(
    items: list[dl.Finding], extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, extra, None)  # import raises ImportError
    kwargs: dict[str, Any] = {extra: True}
    with pytest.raises(MissingExtraError, match=rf"pip install 'diaglab\[{extra}\]'"):
        dl.export(items, **kwargs)


def test_reports_show_a_curated_evidence_table_and_json_keeps_every_column(
    items: list[dl.Finding], tmp_path: Path
) -> None:
    drift = items[0]
    raw = list(drift.table["columns"])
    assert {"moderate_threshold", "chi_square_dof"} <= set(raw)
    ev = evidence(drift)
    assert ev.columns[:5] == ["feature", "verdict", "effect", "p adj.", "n reference"]
    assert ev.hidden_columns > 20
    assert all("e+" not in cell for row in ev.rows for cell in row)  # 26,412, not 2.64e+04
    html_text = (dl.export(items, tmp_path / "r.html")).read_text()
    assert "chi_square_dof" not in html_text.split("diaglab-specs")[0]
    assert "<div class='evidence'>" in html_text and "overflow-x:auto" in html_text
    assert "more columns in the JSON and Parquet exports" in html_text
    md = (dl.export(items, tmp_path / "r.md")).read_text()
    assert "| feature | verdict | effect | p adj. |" in md and "moderate" not in md
    back = json.loads((dl.export(items, tmp_path / "r.json")).read_text())
    assert back["findings"][0]["table"]["columns"] == raw  # the full table is kept
    assert wide(items)  # a table wider than a portrait page prints in landscape
    assert "size:A4 landscape" in report_html(items, landscape=True)
