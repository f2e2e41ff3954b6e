"""The shared selection: explorers linked from Python, one computation per burst, stale dropped."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from conftest import START, credit_frame, credit_target, make_batch
from diaglab.diagnostics.drift import query as drift_module
from diaglab.diagnostics.slices import query as slices_module
from diaglab.explorers.coordinator import Coordinator
from diaglab.explorers.selection import Selection, as_slice

NORTH = dl.Slice.of("region = 'north'")
WINDOW = dl.Window("2026-01-05", "2026-01-09")


def build_store(path: Path) -> dl.Store:
    """A registered LightGBM credit model, 2,000 predictions over 14 days, labels, reference."""
    store = dl.open(path)
    train = credit_frame(1500, 1)
    clf = lgb.LGBMClassifier(n_estimators=20, num_leaves=8, verbose=-1, random_state=0)
    clf.fit(train.assign(region=train["region"].astype("category")), credit_target(train, 2))
    store.register_model("credit", clf, "v1")
    loaded = store.load_model("credit", "v1")
    prod = credit_frame(2000, 3)
    ts = START + pd.to_timedelta(np.arange(2000) * 10, unit="min")
    ids = store.log(
        "credit",
        prod,
        loaded.predict_proba(prod)[:, 1],
        timestamps=ts,
        prediction_ids=[f"r{i}" for i in range(2000)],
    )
    store.log_labels("credit", ids[:1500], credit_target(prod, 4)[:1500])
    ref = credit_frame(800, 5)
    store.set_reference(
        "credit", ref, labels=credit_target(ref, 6), predictions=loaded.predict_proba(ref)[:, 1]
    )
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    s = build_store(tmp_path_factory.mktemp("selection") / "store")
    yield s
    s.close()


def _ms(text: str) -> int:
    return int(pd.Timestamp(text, tz="UTC").value // 1_000_000)


class ManualTimer:
    """A debounce timer the test fires by hand: behaviour without timing."""

    def __init__(self) -> None:
        self.started = 0
        self.cancelled = 0
        self.live: list[ManualTimer._T] = []

    class _T:
        def __init__(self, owner: ManualTimer, fire: Any) -> None:
            self.owner, self.fire, self.cancelled = owner, fire, False

        def cancel(self) -> None:
            self.cancelled = True
            self.owner.cancelled += 1

    def __call__(self, delay: float, fire: Any) -> ManualTimer._T:
        assert delay == pytest.approx(0.15)
        self.started += 1
        t = ManualTimer._T(self, fire)
        self.live.append(t)
        return t

    def fire_pending(self) -> int:
        pending = [t for t in self.live if not t.cancelled]
        self.live = []
        for t in pending:
            t.fire()
        return len(pending)


class Counts:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.drift = 0
        self.slices = 0
        real_drift, real_slices = drift_module.drift, slices_module.slice_metrics

        def drift(*a: Any, **k: Any) -> Any:
            self.drift += 1
            return real_drift(*a, **k)

        def slices(*a: Any, **k: Any) -> Any:
            self.slices += 1
            return real_slices(*a, **k)

        monkeypatch.setattr(drift_module, "drift", drift)
        monkeypatch.setattr(slices_module, "slice_metrics", slices)


@pytest.fixture
def trio(store: dl.Store):
    drift = dl.DriftExplorer(store, "credit")
    slices = dl.SliceExplorer(store, "credit", by="region")
    inspector = dl.PredictionInspector(store, "credit")
    for e in (drift, slices, inspector):
        e.wait(120)
    yield drift, slices, inspector
    for e in (drift, slices, inspector):
        e.close()


# -- the selection object --------------------------------------------------------------------


def test_slice_text_becomes_a_slice_and_or_filters_stay_text() -> None:
    sel = Selection(debounce=None)
    sel.slice = "region = 'north'"
    assert sel.slice == NORTH
    sel.slice = "region = 'north' OR age > 60"
    assert sel.slice == "region = 'north' OR age > 60"
    sel.slice = "  "
    assert sel.slice is None
    assert as_slice(dl.Slice()) is None


def test_selection_json_round_trip_and_unknown_parts() -> None:
    sel = Selection(model="credit", debounce=None, window=WINDOW, slice=NORTH, prediction_id="r1")
    data = sel.to_json()
    assert data == {
        "model": "credit",
        "version": None,
        "reference": None,
        "window": "2026-01-05 .. 2026-01-09",
        "slice": "region = 'north'",
        "prediction_id": "r1",
    }
    other = Selection(debounce=None).update(data)
    assert other.to_json() == data and other.window == WINDOW and other.slice == NORTH
    with pytest.raises(TypeError, match="known: model"):
        Selection(current=WINDOW)
    with pytest.raises(dl.InputError, match="unknown selection part"):
        sel.update({"windw": "x"})


def test_link_refuses_what_is_not_an_explorer() -> None:
    with pytest.raises(TypeError, match="not int"):
        dl.link(3)
    with pytest.raises(TypeError, match="at least one"):
        dl.link()


# -- linked explorers -------------------------------------------------------------------------


def test_a_brush_in_drift_sets_the_current_window_everywhere(trio, store) -> None:
    drift, slices, _ = trio
    sel = dl.link(drift, slices)
    drift.feature = "income"
    ms = [_ms("2026-01-05 07:00"), _ms("2026-01-08 13:00")]
    drift.chart._vl_selections = {
        "window": {"value": {"window_start": ms}, "store": [{"values": [ms]}]}
    }
    sel.wait(120)
    assert drift.window == WINDOW == sel.window == slices.window
    assert slices.window_text.value == "2026-01-05 .. 2026-01-09"
    expected = dl.slice_metrics(store, "credit", by=["region"], metrics=["error"], window=WINDOW)
    pd.testing.assert_frame_equal(slices.data(), expected.table)
    assert expected.n == 576  # 4 days of one prediction every 10 minutes
    assert "2026-01-05" in slices.spec.call()


def test_choosing_a_slice_filters_drift_and_lists_its_rows(trio, store) -> None:
    drift, slices, _ = trio
    sel = dl.link(slices, drift)
    row = slices.data().reset_index(drop=True)
    north = next(i for i, s in enumerate(row["slice"]) if s == NORTH)
    slices._on_pick({"new": SimpleNamespace(value=[{"key": north}])})  # a click on a bar
    assert slices.selected_slice == NORTH == sel.slice
    sel.wait(120)
    assert drift.where == NORTH
    assert drift.where_text.value == "region = 'north'"
    expected = dl.drift(store, "credit", where=NORTH).table
    pd.testing.assert_frame_equal(drift.data(), expected)
    assert "region" in drift.spec.call()
    # the rows table lists the slice's rows, and a row opens in the inspector
    assert slices.wait().rows is not None and set(slices.rows["region"]) == {"north"}
    assert len(slices.row_picker.options) == len(slices.rows) + 1


def test_picking_a_prediction_opens_it_in_the_inspector(trio) -> None:
    drift, slices, inspector = trio
    sel = dl.link(drift, slices, inspector)
    slices.selected_slice = NORTH
    pid = slices.wait().row_picker.options[1][1]
    slices.row_picker.value = pid
    assert sel.prediction_id == pid
    sel.wait(120)
    assert inspector.prediction_id == pid
    assert inspector.last_error is None
    assert inspector.explanation is not None and inspector.explanation.prediction_id == pid
    assert inspector.data().shape[0] == 3  # age, income, region
    # and the inspector's own picker writes the selection too
    other = inspector.worst_picker.row_keys[0]
    inspector.worst_picker.value = other
    assert sel.prediction_id == other == slices.prediction_id


def test_a_selection_set_from_python_reaches_every_explorer(trio, store) -> None:
    drift, slices, inspector = trio
    sel = dl.link(drift, slices, inspector)
    with sel.hold():
        sel.window = WINDOW
        sel.slice = "region = 'north'"
        sel.version = "v1"
    sel.wait(120)
    assert (drift.window, drift.where, drift.version) == (WINDOW, NORTH, "v1")
    assert (slices.window, slices.selected_slice) == (WINDOW, NORTH)
    report = dl.drift(store, "credit", window=WINDOW, where=NORTH, version="v1")
    pd.testing.assert_frame_equal(drift.data(), report.table)


def test_explorers_without_a_part_ignore_it(trio) -> None:
    _, slices, inspector = trio
    sel = dl.link(inspector, slices)
    sel.version = "v1"  # neither explorer has a version: nothing changes, nothing fails
    sel.reference = WINDOW
    sel.wait(120)
    assert inspector.last_error is None and slices.last_error is None
    assert "version" not in type(slices).selection_traits


def test_unlink_stops_following(trio) -> None:
    drift, slices, _ = trio
    sel = dl.link(drift, slices)
    sel.unlink(slices)
    sel.window = WINDOW
    sel.wait(120)
    assert drift.window == WINDOW and slices.window == dl.Window()
    assert slices.selection is None and drift.selection is sel


def test_a_bad_pushed_value_shows_under_that_explorer_only(trio) -> None:
    drift, slices, _ = trio
    sel = dl.link(drift, slices)
    sel.slice = "incme < 3"  # drift checks its where= against the columns
    sel.wait(120)
    assert drift.last_error is not None and "incme" in str(drift.last_error)
    assert "incme" in drift.error_area.value


# -- debouncing and stale work ----------------------------------------------------------------


def test_a_burst_of_changes_runs_the_first_and_the_last_state_only(trio, monkeypatch) -> None:
    drift, slices, _ = trio
    timer = ManualTimer()
    coordinator = Coordinator(debounce=0.15, timer=timer, clock=lambda: 100.0)
    sel = Selection(model="credit", coordinator=coordinator)
    sel.link(drift)
    sel.link(slices)
    sel.wait(120)
    counts = Counts(monkeypatch)
    seen: list[Any] = []
    real = drift_module.drift
    monkeypatch.setattr(
        drift_module,
        "drift",
        lambda store, spec, **k: seen.append(spec.scope.window) or real(store, spec, **k),
    )
    submitted = coordinator.submissions
    days = ["2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05"]
    for day in days:  # e.g. a brush being dragged: each move restarts the quiet period
        sel.window = (day, "2026-01-09")
        assert drift.window == slices.window == dl.Window(day, "2026-01-09")  # at once
        assert drift.busy and slices.busy  # their views say "updating" at once
    sel.slice = "region = 'south'"
    # the burst's first change was submitted at once, the others wait for the quiet period
    assert coordinator.submissions == submitted + 1
    assert timer.started == 4 and timer.cancelled == 3
    assert timer.fire_pending() == 1
    sel.wait(120)
    assert coordinator.submissions == submitted + 2
    assert counts.drift <= 2 and counts.slices <= 2
    assert set(seen) <= {dl.Window("2026-01-02", "2026-01-09"), WINDOW}  # none in between
    assert seen[-1] == WINDOW
    assert drift.window == slices.window == WINDOW
    assert drift.report is not None and drift.report.window == WINDOW
    assert drift.where == dl.Slice.of("region = 'south'")


def test_the_real_timer_submits_after_the_quiet_period(trio) -> None:
    drift, slices, _ = trio
    sel = dl.link(drift, slices)
    sel.wait(120)
    sel.window = ("2026-01-04", "2026-01-09")
    sel.window = WINDOW  # within the quiet period of the first
    timer = sel.coordinator._timer
    assert isinstance(timer, threading.Timer) and timer.daemon
    timer.join(30)  # its thread has run: the change was submitted from there
    sel.wait(120)
    assert drift.window == WINDOW == slices.window
    assert drift.report is not None and drift.report.window == WINDOW


def test_stale_results_are_dropped(trio, monkeypatch) -> None:
    drift, _, _ = trio
    sel = Selection(model="credit", debounce=None)
    sel.link(drift)
    gate = threading.Event()
    started = threading.Event()
    real = drift_module.drift
    seen: list[Any] = []

    first = dl.Window("2026-01-02", "2026-01-04")

    def slow_first(*a: Any, **k: Any) -> Any:
        seen.append(a[1].scope.window)  # drift(store, spec)
        if seen[-1] == first:  # both workers held: a superseded job could only start on a free one
            if seen.count(first) == 2:  # the Drift tab has two views: its row and its table
                started.set()
            assert gate.wait(60)
        return real(*a, **k)

    monkeypatch.setattr(drift_module, "drift", slow_first)
    sel.window = ("2026-01-02", "2026-01-04")
    sel.flush()
    assert started.wait(60)  # the first window's computations are under way
    sel.window = ("2026-01-03", "2026-01-04")
    sel.flush()
    sel.window = WINDOW
    sel.flush()  # the second never starts: superseded while queued
    gate.set()
    drift.wait(120)
    assert seen[:2] == [first, first] and seen[-1] == WINDOW
    assert set(seen) == {first, WINDOW}  # the middle window never starts
    assert drift.report is not None and drift.report.window == WINDOW  # not the stale one


def test_a_brush_in_the_metrics_explorer_sets_the_window_and_slices_filter_it(trio, store) -> None:
    metrics_module = pytest.importorskip("diaglab.diagnostics.metrics.explorer")
    drift, slices, _ = trio
    metrics = metrics_module.MetricsExplorer(store, "credit")
    try:
        metrics.wait(120)
        sel = dl.link(metrics, drift, slices)
        brush = {"window_start": [_ms("2026-01-05 03:00"), _ms("2026-01-08 20:00")]}
        metrics._on_brush({"new": SimpleNamespace(value=brush)})
        assert metrics.window == WINDOW == sel.window
        sel.wait(120)
        assert drift.window == WINDOW == slices.window
        slices.selected_slice = NORTH
        sel.wait(120)
        assert metrics.where == NORTH and metrics.last_error is None
        expected = dl.metrics_over_time(store, "credit", metrics=list(metrics.metrics), where=NORTH)
        want = expected.table[expected.table["metric"].isin(metrics.metrics)]
        pd.testing.assert_frame_equal(metrics.data(), want.reset_index(drop=True))
    finally:
        metrics.close()


def test_a_picked_prediction_lists_its_trace(trio, store) -> None:
    traces_module = pytest.importorskip("diaglab.diagnostics.traces.explorer")
    _, slices, inspector = trio
    traces = traces_module.TraceExplorer(store)
    try:
        traces.wait(120)
        sel = dl.link(slices, inspector, traces)
        slices.prediction_id = "r17"
        sel.wait(120)
        assert inspector.prediction_id == traces.prediction_id == "r17"
        assert traces.find == "prediction"  # the trace explorer lists that prediction's trace
        assert traces.find_picker.value == "prediction"
    finally:
        traces.close()


def test_a_closed_explorer_is_left_alone(store) -> None:
    drift = dl.DriftExplorer(store, "credit")
    slices = dl.SliceExplorer(store, "credit", by="region")
    try:
        sel = dl.link(drift, slices)
        slices.close()
        sel.window = WINDOW
        sel.wait(120)
        assert drift.window == WINDOW and slices.last_error is None
    finally:
        drift.close()


def test_parts_nobody_set_are_taken_from_the_explorer_that_has_them(tmp_path) -> None:
    """The slice explorer has no model part: linking it first must not unset drift's model."""
    store = dl.open(tmp_path / "two")
    try:
        for model in ("credit", "other"):
            b = make_batch(300, seed=1)
            ids = store.log(model=model, **b)
            store.log_labels(model, ids, (b["predictions"] > 0.5).astype(float))
            store.set_reference(model, make_batch(200, seed=2)["features"])
        slices = dl.SliceExplorer(store, "other", by="region")
        drift = dl.DriftExplorer(store, "other")
        try:
            sel = dl.link(slices, drift)
            sel.wait(120)
            assert sel.model == "other" == drift.model
            assert drift.last_error is None and slices.last_error is None
        finally:
            slices.close()
            drift.close()
    finally:
        store.close()
