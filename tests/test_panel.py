"""dl.panel: the explorers of a model in tabs, linked; capture; state saved in the store."""

from __future__ import annotations

import html
import json
from typing import Any

import pandas as pd
import pytest

import diaglab as dl
from diaglab.explorers.panel import Panel, saved_states
from test_selection import NORTH, WINDOW, build_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    s = build_store(tmp_path_factory.mktemp("panel") / "store")
    yield s
    s.close()


@pytest.fixture
def panel(store: dl.Store):
    p = dl.panel(store, "credit")
    p.wait(120)
    yield p
    p.close()


def _title(result: Any) -> str:
    return result["title"] if isinstance(result, dict) else result.title


def test_panel_shows_every_available_explorer_in_tabs(panel: Panel) -> None:
    assert isinstance(panel, Panel)
    assert {"drift", "slices", "inspector"} <= set(panel.explorers)
    for key in ("metrics", "traces"):  # included when importable, else said why
        assert (key in panel.explorers) != (key in panel.unavailable)
    titles = [panel.tabs.get_title(i) for i in range(len(panel.tabs.children))]
    assert titles[:2] == ["Drift", "Slices"] and "Prediction" in titles
    assert panel.children[0] is panel.header and panel.children[1] is panel.tabs
    for explorer in panel.explorers.values():
        assert explorer.selection is panel.selection
        assert explorer.last_error is None
    assert "model <b>credit</b>" in panel.selection_html.value


def test_the_panel_selection_drives_every_tab(panel: Panel, store: dl.Store) -> None:
    sel = panel.selection
    with sel.hold():
        sel.window = WINDOW
        sel.slice = "region = 'north'"
    assert "region = &#x27;north&#x27;" in panel.selection_html.value  # the header at once
    panel.wait(120)
    drift, slices = panel.explorers["drift"], panel.explorers["slices"]
    pd.testing.assert_frame_equal(
        drift.data(), dl.drift(store, "credit", window=WINDOW, where=NORTH).table
    )
    pd.testing.assert_frame_equal(
        slices.data(),
        dl.slice_metrics(store, "credit", by=["region"], metrics=["error"], window=WINDOW).table,
    )
    assert slices.wait().rows is not None and set(slices.rows["region"]) == {"north"}
    pid = slices.row_picker.options[1][1]
    slices.row_picker.value = pid  # a click on a row of the slice
    panel.wait(120)
    inspector = panel.explorers["inspector"]
    assert inspector.prediction_id == pid and inspector.explanation is not None
    assert f"prediction {pid}" in panel.selection_html.value


def test_capture_button_captures_the_active_tab(panel: Panel) -> None:
    panel.capture_button.click()
    assert "title" in panel.capture_status.value and not panel.captured  # no title yet
    panel.show("slices")
    panel.title_text.value = "north is worse"
    panel.note_text.value = "since January"
    panel.capture_button.click()
    assert len(panel.captured) == 1
    result = panel.captured[0]
    assert _title(result) == "north is worse"
    explorer = result["explorer"] if isinstance(result, dict) else result.explorer
    assert explorer == "SliceExplorer"
    assert "captured" in panel.capture_status.value and panel.title_text.value == ""


def test_state_saved_in_the_store_and_restored(panel: Panel, store: dl.Store) -> None:
    panel.selection.update({"window": "2026-01-05 .. 2026-01-09", "slice": "region = 'north'"})
    panel.explorers["drift"].freq = "6h"
    panel.explorers["slices"].by = ["region", "age"]
    panel.show("slices")
    panel.wait(120)
    path = panel.save("north-jan")
    assert path == store.path / "panels" / "credit" / "north-jan.json"
    saved = json.loads(path.read_text())
    assert saved["selection"]["slice"] == "region = 'north'" and saved["tab"] == "slices"
    assert "north-jan" in saved_states(store, "credit")

    again = dl.panel(store, "credit", state="north-jan")
    try:
        again.wait(120)
        assert again.selection.window == WINDOW and again.selection.slice == NORTH
        drift, slices = again.explorers["drift"], again.explorers["slices"]
        assert (drift.freq, drift.window, drift.where) == ("6h", WINDOW, NORTH)
        assert slices.by == ["region", "age"] and slices.selected_slice == NORTH
        assert again.active is slices
        pd.testing.assert_frame_equal(slices.data(), panel.explorers["slices"].data())
    finally:
        again.close()


@pytest.mark.parametrize("name", ["../escape", "/etc/passwd", "a/b", "", ".hidden", "x" * 65])
def test_unsafe_state_names_are_refused(panel: Panel, name: str) -> None:
    with pytest.raises(dl.InputError, match="invalid panel state name"):
        panel.save(name)
    assert not (panel.store.path / "panels" / "escape.json").exists()


def test_unknown_or_damaged_states_are_reported(panel: Panel, store: dl.Store) -> None:
    panel.save("good")
    with pytest.raises(dl.UnknownNameError, match="good"):
        dl.panel(store, "credit", state="godo")
    (store.path / "panels" / "credit" / "broken.json").write_text("{not json")
    with pytest.raises(dl.InputError, match="broken"):
        dl.panel(store, "credit", state="broken")


def test_unknown_tab_and_explorer_subset(store: dl.Store) -> None:
    with pytest.raises(dl.UnknownNameError, match="drift"):
        dl.panel(store, "credit", explorers=["drfit"])
    p = dl.panel(store, "credit", explorers=["drift", "inspector"])
    try:
        assert list(p.explorers) == ["drift", "inspector"]
        with pytest.raises(dl.UnknownNameError, match="inspector"):
            p.show("slices")
    finally:
        p.close()


def test_a_captured_finding_is_chained_and_tampering_with_it_is_named(tmp_path) -> None:
    from test_selection import build_store

    store = build_store(tmp_path / "store")
    p = dl.panel(store, "credit", explorers=["drift"])
    try:
        p.wait(120)
        p.title_text.value = "income drifted"
        p.capture_button.click()
        assert len(p.captured) == 1, p.capture_status.value
        report = store.verify()
        assert report.ok, str(report)
        found = sorted((store.path / "segments" / "findings").rglob("*.parquet"))
        assert len(found) == 1
        stream = f"findings/{found[0].parent.name}"
        assert (store.path / "audit" / "findings" / f"{found[0].parent.name}.chain").is_file()
        data = bytearray(found[0].read_bytes())
        data[100] ^= 0x01
        found[0].write_bytes(bytes(data))
        problems = store.verify().problems
        assert [(x.kind, x.stream) for x in problems] == [("changed", stream)]
        assert found[0].name in problems[0].path
    finally:
        p.close()
        store.close()


def test_one_click_from_a_drifted_feature_to_its_slices_and_from_a_slice_to_its_drift(
    panel: Panel, store: dl.Store
) -> None:
    drift, slices = panel.explorers["drift"], panel.explorers["slices"]
    drift.feature = "income"
    assert panel.to_slices.description == "slices by income" and not panel.to_slices.disabled
    assert panel.to_drift.disabled  # no slice picked yet
    panel.to_slices.click()
    assert slices.by == ["income"] and panel.active is slices
    assert panel.tabs.get_title(panel.tabs.selected_index) == "Slices"
    panel.wait(120)
    assert "income" in slices.data().columns and slices.last_error is None
    slices.select(0)
    assert not panel.to_drift.disabled
    panel.to_drift.click()
    assert panel.active is drift
    panel.wait(120)
    assert drift.where == slices.selected_slice and drift.last_error is None
    assert html.escape(str(slices.selected_slice)) in drift.window_label.value
    pd.testing.assert_frame_equal(drift.data(), drift.spec.run(store).table)
    drift.feature = "prediction"  # not an input feature: nothing to slice by
    assert panel.to_slices.disabled
    with pytest.raises(dl.UnknownNameError, match="feature to slice by"):
        panel.slices_by("prediction")
