"""dl.panel's Export: the findings captured in the panel, as one report in a folder that stays
beside the notebook (or in the store), with a relative link in the header; errors said there."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import diaglab as dl
from diaglab.explorers.panel import EXPORT_FORMATS, Panel
from diaglab.findings import read as read_findings
from test_selection import build_store

TITLE = "income drifted in January"


@pytest.fixture(scope="module")
def notebook_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The kernel's working directory, as in Jupyter: the notebook's folder."""
    folder = tmp_path_factory.mktemp("notebook")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        yield folder


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dl.Store]:
    s = build_store(tmp_path_factory.mktemp("panel-export") / "store")
    yield s
    s.close()


@pytest.fixture(scope="module")
def panel(store: dl.Store, notebook_dir: Path) -> Iterator[Panel]:
    p = dl.panel(store, "credit", explorers=["drift", "slices"])
    p.wait(120)
    yield p
    p.close()


@pytest.fixture(scope="module")
def captured(panel: Panel) -> Panel:
    panel.title_text.value = TITLE
    panel.note_text.value = "since the partner channel launched"
    panel.capture_button.click()
    assert len(panel.captured) == 1, panel.capture_status.value
    return panel


def _link(status: str) -> str:
    found = re.search(r"href='([^']+)'", status)
    assert found, status
    return found.group(1)


def test_the_header_has_a_format_dropdown_and_an_export_button(panel: Panel) -> None:
    assert list(panel.export_format.options) == list(EXPORT_FORMATS) == ["html", "md", "json"]
    controls = [c for row in panel.header.children for c in getattr(row, "children", [])]
    assert panel.export_format in controls and panel.export_button in controls
    assert panel.export_status in panel.header.children


def test_export_before_any_capture_says_so(
    store: dl.Store, notebook_dir: Path, tmp_path: Path
) -> None:
    p = dl.panel(store, "credit", explorers=["drift"], export_dir="empty-panel")
    try:
        p.export_button.click()
        assert "nothing captured in this panel yet" in p.export_status.value
        assert "InputError" in p.export_status.value and not p.exported
        assert not (notebook_dir / "empty-panel").exists()
    finally:
        p.close()


@pytest.mark.parametrize("fmt", ["html", "md", "json"])
def test_export_writes_the_captured_findings_beside_the_notebook(
    captured: Panel, notebook_dir: Path, fmt: str
) -> None:
    panel = captured
    panel.export_format.value = fmt
    panel.export_name.value = f"north-report-{fmt}"
    panel.export_button.click()
    href = _link(panel.export_status.value)
    assert href == f"findings/north-report-{fmt}.{fmt}"  # relative to the notebook
    assert "exported 1 finding to" in panel.export_status.value
    path = notebook_dir / href
    assert path.is_file() and panel.exported[-1] == path
    text = path.read_text(encoding="utf-8")
    finding = panel.captured[0]
    if fmt == "html":
        assert TITLE in text and finding.id in text
    elif fmt == "md":
        assert f"## {TITLE}" in text and finding.id in text
    else:
        bundle = read_findings(path)
        assert [f.title for f in bundle] == [TITLE]
        assert [f.id for f in bundle] == [finding.id]
        assert json.loads(text)["schema"] == "diaglab.findings"


def test_the_default_name_says_model_and_time_and_a_suffix_is_not_doubled(
    captured: Panel, notebook_dir: Path
) -> None:
    panel = captured
    panel.export_format.value = "json"
    panel.export_name.value = ""
    panel.export_button.click()
    href = _link(panel.export_status.value)
    assert re.fullmatch(r"findings/credit-findings-\d{8}-\d{6}\.json", href), href
    assert (notebook_dir / href).is_file()
    assert captured.export("html", "typed.html") == notebook_dir / "findings" / "typed.html"


@pytest.mark.parametrize(
    "name", ["../escape", "/tmp/escape", "a/b", "..", ".hidden", "a\\b", "x" * 65, "a b"]
)
def test_typed_names_never_leave_the_folder(captured: Panel, notebook_dir: Path, name: str) -> None:
    panel = captured
    before = sorted(notebook_dir.parent.rglob("*escape*"))
    panel.export_format.value = "html"
    panel.export_name.value = name
    panel.export_button.click()
    status = panel.export_status.value
    assert "invalid export file name" in status and "no folders" in status, status
    assert sorted(notebook_dir.parent.rglob("*escape*")) == before
    assert not Path("/tmp/escape.html").exists()


def test_a_write_failure_is_shown_under_the_controls(
    captured: Panel, notebook_dir: Path, store: dl.Store
) -> None:
    panel = captured
    (notebook_dir / "findings" / "taken.html").mkdir(parents=True)  # a folder where the file goes
    panel.export_format.value = "html"
    panel.export_name.value = "taken"
    panel.export_button.click()
    assert "could not write" in panel.export_status.value
    assert "taken.html" in panel.export_status.value

    (notebook_dir / "a-file").write_text("not a folder")
    p = dl.panel(store, "credit", explorers=["drift"], export_dir="a-file/exports")
    try:
        p.captured = list(panel.captured)
        p.export_button.click()
        assert "cannot create the export folder" in p.export_status.value
    finally:
        p.close()


def test_the_export_folder_stays_in_the_notebook_or_store_directory(
    store: dl.Store, notebook_dir: Path, tmp_path: Path
) -> None:
    for outside in (tmp_path, "../elsewhere", "/"):
        with pytest.raises(dl.InputError, match="outside the notebook's directory"):
            dl.panel(store, "credit", explorers=["drift"], export_dir=outside)
    p = dl.panel(store, "credit", explorers=["drift"], export_dir=store.path / "exports")
    try:
        assert p.export_dir == (store.path / "exports").resolve()
        p.wait(120)
        p.title_text.value = "kept in the store"
        p.capture_button.click()
        path = p.export("json", "in-store")
        assert path == (store.path / "exports" / "in-store.json").resolve() and path.is_file()
    finally:
        p.close()


def test_unknown_formats_are_named(captured: Panel) -> None:
    with pytest.raises(dl.UnknownNameError, match="html"):
        captured.export("pdf")
