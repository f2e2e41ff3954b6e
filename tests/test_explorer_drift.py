"""DriftExplorer driven from Python: set traits, click buttons, feed brush events. No kernel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import altair as alt
import ipywidgets as w
import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from diaglab.diagnostics.drift import explorer as explorer_module
from diaglab.diagnostics.drift import over_time as drift_time_module
from diaglab.diagnostics.drift import query as drift_module
from diaglab.diagnostics.drift.chart import SEVERITY_COLORS
from diaglab.explorers._windows import brushed_window, format_window, parse_window

START = pd.Timestamp("2026-01-01", tz="UTC")
DRIFT = pd.Timestamp("2026-01-21", tz="UTC")  # income falls from here
NEW = pd.Timestamp("2026-01-24", tz="UTC")  # channel 'partner' appears from here
AFTER = ("2026-01-21", "2026-02-01")


def _frame(n: int, rng: np.random.Generator, start: pd.Timestamp, days: int) -> pd.DataFrame:
    ts = start + pd.to_timedelta(np.sort(rng.uniform(0, days * 86400, n)), unit="s")
    df = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n).round(),
            "income": rng.lognormal(10.5, 0.4, n),
            "region": rng.choice(["north", "south", "east"], n),
            "channel": rng.choice(["web", "mobile", "branch"], n, p=[0.5, 0.3, 0.2]),
        }
    )
    df["timestamp"] = ts
    return df


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 days of a binary model: income drifts from day 21, a new channel from day 24."""
    path = tmp_path_factory.mktemp("drift-store") / "store"
    rng = np.random.default_rng(7)
    store = dl.open(path)
    ref = _frame(3000, rng, START - pd.Timedelta(days=60), 30)
    feats = ["age", "income", "region", "channel"]
    store.set_reference(
        "credit", ref[feats], labels=rng.integers(0, 2, len(ref)), predictions=rng.random(len(ref))
    )
    prod = _frame(6000, rng, START, 31)
    late = prod["timestamp"] >= DRIFT
    prod.loc[late, "income"] *= 0.7
    newer = (prod["timestamp"] >= NEW).to_numpy() & (rng.random(len(prod)) < 0.3)
    prod.loc[newer, "channel"] = "partner"
    version = np.where(prod["timestamp"] >= pd.Timestamp("2026-01-15", tz="UTC"), "v2", "v1")
    for v in ("v1", "v2"):
        part = prod[version == v]
        ids = store.log(
            "credit",
            features=part[feats],
            predictions=rng.random(len(part)),
            timestamps=part["timestamp"],
            model_version=v,
        )
        store.log_labels("credit", ids[::2], labels=rng.integers(0, 2, len(ids[::2])))
    store.close()
    return path


@pytest.fixture
def store(store_path: Path) -> Iterator[Any]:
    s = dl.open(store_path)
    yield s
    s.close()


@pytest.fixture
def explorer(store: Any) -> Iterator[dl.DriftExplorer]:
    ex = dl.DriftExplorer(store, "credit", window=AFTER)
    ex.wait()
    yield ex
    ex.close()


class Calls:
    """Counts the queries the explorer runs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.drift = 0
        self.over_time = 0
        real_drift, real_over_time = drift_module.drift, drift_time_module.drift_over_time

        def drift(*args: Any, **kwargs: Any) -> Any:
            self.drift += 1
            return real_drift(*args, **kwargs)

        def over_time(*args: Any, **kwargs: Any) -> Any:
            self.over_time += 1
            return real_over_time(*args, **kwargs)

        # the specs run the implementations by module and name (the registry)
        monkeypatch.setattr(drift_module, "drift", drift)
        monkeypatch.setattr(drift_time_module, "drift_over_time", over_time)


def _row_names(ex: dl.DriftExplorer) -> list[str]:
    return [row.children[0].description for row in ex.table.children[1:]]


def _title(ex: dl.DriftExplorer) -> str:
    spec = ex.chart.spec
    assert spec is not None
    return str(spec["title"]["text"])


def _brush(ex: dl.DriftExplorer, lo: Any, hi: Any) -> None:
    """What the JupyterChart's JavaScript sends when the over-time chart is brushed."""
    ex.chart._vl_selections = {
        "window": {
            "value": {"window_start": [lo, hi]},
            "store": [
                {
                    "unit": "concat_1_layer_2",
                    "fields": [{"field": "window_start", "channel": "x", "type": "R"}],
                    "values": [[lo, hi]],
                }
            ],
        }
    }


def _column(ex: dl.DriftExplorer, column: str) -> dict[str, Any]:
    table = ex.data()
    return dict(zip(table["feature"], table[column], strict=True))


def _n_current(ex: dl.DriftExplorer, feature: str) -> int:
    return int(_column(ex, "n_current")[feature])


def _ms(day: str) -> float:
    return pd.Timestamp(day, tz="UTC").value / 1e6


# -- the widget --------------------------------------------------------------------------------


def test_explorer_is_a_displayable_widget_with_css_hooks(explorer: dl.DriftExplorer) -> None:
    assert isinstance(explorer, w.VBox)
    bundle = explorer._repr_mimebundle_()
    assert bundle is not None and "application/vnd.jupyter.widget-view+json" in bundle
    assert "diaglab-drift" in explorer._dom_classes
    assert "diaglab-drift-table" in explorer.table._dom_classes
    assert "diaglab-drift-feature" in explorer.feature_label._dom_classes
    assert "diaglab-drift-status" in explorer.status._dom_classes
    assert "diaglab-error" in explorer.error_area._dom_classes
    assert isinstance(explorer.chart, alt.JupyterChart)
    assert "DriftExplorer 'credit'" in repr(explorer)


def test_controls_show_the_initial_state(store: Any) -> None:
    ex = dl.DriftExplorer(
        store, "credit", window=AFTER, freq="6h", version="v2", where="region = 'east'"
    )
    try:
        assert ex.model_picker.value == "credit"
        assert ex.version_picker.value == "v2"
        assert ex.freq_picker.value == "6h"
        assert ex.window_text.value == "2026-01-21 .. 2026-02-01"
        assert ex.reference_text.value == ""
        assert ex.where_text.value == "region = 'east'"
        ex.wait()
        over_time = ex.over_time
        assert over_time is not None and over_time.freq == "6h"
    finally:
        ex.close()
    default = dl.DriftExplorer(store, "credit")
    try:
        assert default.freq_picker.value == "1D"
        assert default.window_text.value == ""
    finally:
        default.close()


def test_data_is_the_drift_table_of_the_current_state(
    explorer: dl.DriftExplorer, store: Any
) -> None:
    expected = dl.drift(store, "credit", window=AFTER).table
    pd.testing.assert_frame_equal(explorer.data(), expected)
    assert explorer.window == dl.Window(*AFTER)


def test_table_lists_features_prediction_and_label_most_severe_first(
    explorer: dl.DriftExplorer,
) -> None:
    names = _row_names(explorer)
    assert set(names) == {"age", "income", "region", "channel", "prediction", "decision", "label"}
    severity = _column(explorer, "severity")
    ranks = [explorer_module.SEVERITY_RANK[severity[n]] for n in names]
    assert ranks == sorted(ranks, reverse=True)
    assert names[0] in ("income", "channel")  # the planted drift comes first
    assert severity["age"] in ("none", "minor")
    assert explorer.feature == names[0]  # the most severe row is shown first


def test_rows_carry_verdict_colour_numbers_and_a_sparkline(explorer: dl.DriftExplorer) -> None:
    income = next(r for r in explorer.table.children[1:] if r.children[0].description == "income")
    cells = income.children[1].value
    severity = _column(explorer, "severity")["income"]
    assert SEVERITY_COLORS[severity] in cells
    assert "<svg" in cells and "polyline" in cells
    label = next(r for r in explorer.table.children[1:] if r.children[0].description == "label")
    assert "<svg" not in label.children[1].value  # no series over time for the label


def test_selecting_a_feature_redraws_the_chart_from_the_cache(
    explorer: dl.DriftExplorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Calls(monkeypatch)
    explorer.feature = "income"
    income = explorer.chart.spec
    assert _title(explorer).startswith("income:")
    explorer.feature = "region"
    assert _title(explorer).startswith("region:")
    assert explorer.chart.spec != income
    assert "region" in explorer.feature_label.value
    assert (calls.drift, calls.over_time) == (0, 0)
    assert not explorer.busy


def test_clicking_a_row_selects_its_feature(explorer: dl.DriftExplorer) -> None:
    row = next(r for r in explorer.table.children[1:] if r.children[0].description == "label")
    row.children[0].click()
    assert explorer.feature == "label"
    assert _title(explorer).startswith("label:")
    assert row.children[0].button_style == "info"
    assert "diaglab-selected" in row._dom_classes


def test_unknown_feature_is_refused_with_the_choices(explorer: dl.DriftExplorer) -> None:
    with pytest.raises(dl.UnknownNameError, match="known: age, channel"):
        explorer.feature = "incme"


def test_brushing_the_over_time_chart_sets_the_current_window(
    explorer: dl.DriftExplorer, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    explorer.feature = "income"
    assert "window" in explorer.chart.selections.trait_names()
    calls = Calls(monkeypatch)
    _brush(explorer, _ms("2026-01-05 07:00"), _ms("2026-01-11 13:00"))
    assert getattr(explorer.chart.selections, "window").value["window_start"]  # noqa: B009
    explorer.wait()
    window = dl.Window("2026-01-05", "2026-01-12")  # widened to whole days
    assert explorer.window == window
    assert explorer.window_text.value == "2026-01-05 .. 2026-01-12"
    assert "[2026-01-05, 2026-01-12)" in explorer.window_label.value
    # the selected row's column first, then the table; the series over time is reused
    assert (calls.drift, calls.over_time) == (2, 0)
    pd.testing.assert_frame_equal(explorer.data(), dl.drift(store, "credit", window=window).table)
    assert explorer.feature == "income"  # the selected row survives a recompute
    assert "2026-01-05" in str(explorer.chart.spec)  # the current window is shaded


def test_brush_values_as_iso_text_and_empty_brushes(explorer: dl.DriftExplorer) -> None:
    explorer.feature = "income"
    before = explorer.window
    explorer.chart._vl_selections = {"window": {"value": {}, "store": []}}
    explorer.wait()
    assert explorer.window == before  # clearing a brush keeps the window
    _brush(explorer, "2026-01-25T00:00:00.000Z", "2026-01-27T12:00:00.000Z")
    explorer.wait()
    assert explorer.window == dl.Window("2026-01-25", "2026-01-28")


def test_a_bad_filter_is_shown_under_the_widget(explorer: dl.DriftExplorer) -> None:
    explorer.where_text.value = "incme < 30000"
    assert isinstance(explorer.last_error, dl.FilterError)
    assert "FilterError" in explorer.error_area.value
    assert "did you mean &#x27;income&#x27;" in explorer.error_area.value
    assert explorer.where is None  # the state did not change
    explorer.where_text.value = "region = 'north'"
    explorer.wait()
    assert explorer.error_area.value == ""
    assert explorer.where == "region = 'north'"
    assert "region = &#x27;north&#x27;" in explorer.window_label.value


def test_a_slice_object_filters_both_sides(store: Any) -> None:
    north = dl.Slice.of("region = 'north' AND income < 32000")
    ex = dl.DriftExplorer(store, "credit", window=AFTER, where=north)
    try:
        ex.wait()
        assert ex.last_error is None
        assert ex.where == north
        assert ex.where_text.value == str(north)  # shown, not re-parsed
        expected = dl.drift(store, "credit", window=AFTER, where=north).table
        pd.testing.assert_frame_equal(ex.data(), expected)
        state = ex.capture("north, low income").state
        assert state["where"] == "region = 'north' AND income < 32000"
        assert "where=\"region = 'north' AND income < 32000\"" in ex.capture("again").query["call"]
    finally:
        ex.close()


def test_setting_a_bad_filter_from_python_raises(explorer: dl.DriftExplorer) -> None:
    with pytest.raises(dl.FilterError, match="unknown column"):
        explorer.where = "nope = 1"


def test_a_bad_window_is_shown_under_the_widget(explorer: dl.DriftExplorer) -> None:
    explorer.window_text.value = "yesterday .. today"
    assert isinstance(explorer.last_error, dl.InputError)
    assert "is not a date" in explorer.error_area.value
    assert explorer.window == dl.Window(*AFTER)


def test_an_error_in_the_background_is_shown_with_its_traceback(
    explorer: dl.DriftExplorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("engine fell over")

    monkeypatch.setattr(drift_module, "drift", broken)
    explorer.window = ("2026-01-10", "2026-01-20")
    explorer.wait()
    assert isinstance(explorer.last_error, RuntimeError)
    assert "engine fell over" in explorer.error_area.value
    assert "<details>" in explorer.error_area.value  # unexpected errors keep their traceback
    assert "see the error below" in explorer.status.value
    assert explorer.progress.layout.display == "none"


def test_state_traits_and_controls_stay_in_step(explorer: dl.DriftExplorer, store: Any) -> None:
    explorer.version_picker.value = "v2"
    explorer.wait()
    assert explorer.version == "v2"
    explorer.window = ("2026-01-10", "2026-01-20")  # a pair becomes a Window
    explorer.reference = ("2026-01-01", "2026-01-10")
    explorer.wait()
    assert explorer.window_text.value == "2026-01-10 .. 2026-01-20"
    assert explorer.reference_text.value == "2026-01-01 .. 2026-01-10"
    expected = dl.drift(
        store,
        "credit",
        window=("2026-01-10", "2026-01-20"),
        reference=("2026-01-01", "2026-01-10"),
        version="v2",
    )
    pd.testing.assert_frame_equal(explorer.data(), expected.table)
    assert "production window" in explorer.window_label.value


def test_run_reads_rows_logged_since(store: Any, explorer: dl.DriftExplorer) -> None:
    before = _n_current(explorer, "income")
    extra = _frame(200, np.random.default_rng(1), pd.Timestamp("2026-01-28", tz="UTC"), 1)
    store.log(
        "credit",
        features=extra[["age", "income", "region", "channel"]],
        predictions=np.full(200, 0.5),
        timestamps=extra["timestamp"],
        model_version="v2",
    )
    explorer.run_button.click()
    explorer.wait()
    assert _n_current(explorer, "income") == before + 200


def test_capture_returns_a_finding_with_plain_json(explorer: dl.DriftExplorer) -> None:
    explorer.feature = "channel"
    found = explorer.capture("a new channel", note="partner from 01-24").to_json()
    assert set(found) >= {
        "title",
        "note",
        "explorer",
        "model",
        "state",
        "query",
        "table",
        "chart",
        "created_at",
    }
    assert found["explorer"] == "DriftExplorer" and found["model"] == "credit"
    assert found["state"]["feature"] == "channel"
    assert found["state"]["window"]["start"].startswith("2026-01-21")
    assert "dl.drift(store, 'credit', window=('2026-01-21', '2026-02-01')" in found["query"]["call"]
    assert len(found["table"]["rows"]) == len(explorer.data())
    assert found["chart"]["title"]["text"].startswith("channel:")
    assert "vconcat" in found["chart"]
    json.dumps(found)  # plain values only
    with pytest.raises(TypeError):
        explorer.capture("")


def test_constructor_checks_its_arguments(store: Any) -> None:
    with pytest.raises(dl.UnknownNameError, match="known: credit"):
        dl.DriftExplorer(store, "debit")
    renamed: dict[str, Any] = {"current": ("2026-01-01", "2026-01-02")}
    with pytest.raises(TypeError, match=r"'current'.*'window'"):
        dl.DriftExplorer(store, "credit", **renamed)
    with pytest.raises(dl.FilterError):
        dl.DriftExplorer(store, "credit", where="incme > 3")
    with pytest.raises(dl.UnknownNameError, match="v1, v2"):
        dl.DriftExplorer(store, "credit", version="v3")
    ex = dl.DriftExplorer(store, feature="income")  # the only model is the default
    try:
        assert ex.model == "credit"
        ex.wait()
        assert ex.feature == "income"
    finally:
        ex.close()


# -- helpers -----------------------------------------------------------------------------------


def test_windows_read_back_what_they_print() -> None:
    assert parse_window("") is None
    assert parse_window("2026-01-05 .. 2026-01-12") == dl.Window("2026-01-05", "2026-01-12")
    assert parse_window("2026-01-05 → ") == dl.Window("2026-01-05", None)
    assert parse_window(" .. 2026-01-12") == dl.Window(None, "2026-01-12")
    window = dl.Window("2026-01-05 06:00", "2026-01-12")
    assert parse_window(format_window(window)) == window
    with pytest.raises(dl.InputError, match=r"start \.\. end"):
        parse_window("2026-01-05")


def test_a_brush_widens_to_whole_windows() -> None:
    got = brushed_window({"window_start": [_ms("2026-01-05 07:00"), _ms("2026-01-05 09:00")]}, "1D")
    assert got == dl.Window("2026-01-05", "2026-01-06")
    got = brushed_window({"window_start": [_ms("2026-01-05 09:00"), _ms("2026-01-05 07:00")]}, "6h")
    assert got == dl.Window("2026-01-05 06:00", "2026-01-05 12:00")
    assert brushed_window({}, "1D") is None


def test_a_header_click_sorts_the_drift_table(explorer: dl.DriftExplorer) -> None:
    def header(name: str) -> Any:
        cells = explorer.table.children[0].children
        return next(c for c in cells if c.description.startswith(name))

    assert "▼" in header("verdict").description  # the default order: worst first
    header("column").click()
    names = _row_names(explorer)
    assert names == sorted(names, key=str.lower) and "▲" in header("column").description
    header("column").click()
    assert _row_names(explorer) == sorted(names, key=str.lower, reverse=True)
    header("n current").click()
    by_name = explorer.data().set_index("feature")["n_current"]
    shown = [by_name[n] for n in _row_names(explorer)]
    assert shown == sorted(shown, reverse=True) and "▼" in header("n current").description
    assert explorer.last_error is None
