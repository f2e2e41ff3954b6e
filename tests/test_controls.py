"""Controls the explorers share (explorers/_controls.py, Explorer's bindings): a person's edit sets
the trait, the echo of the state shown sets nothing, a bad edit is an error under the widget; every
scoped explorer shows which views are updating; parameter descriptions are written once."""

from __future__ import annotations

import re
from typing import Any

import pytest

import diaglab as dl
from diaglab.errors import InputError
from diaglab.explorers._controls import PARAMETERS


@pytest.fixture
def drift(sample_store: Any) -> Any:
    ex = dl.DriftExplorer(sample_store, "credit")
    yield ex
    ex.close()


def test_an_edit_of_a_bound_control_sets_its_trait(drift: Any) -> None:
    drift.window_text.value = "2026-02-10 .. 2026-03-02"
    drift.reference_text.value = "2026-01-05 .. 2026-01-19"
    drift.where_text.value = "region = 'north'"
    assert drift.window == dl.Window("2026-02-10", "2026-03-02")
    assert drift.reference == dl.Window("2026-01-05", "2026-01-19")
    assert drift.where == "region = 'north'"
    drift.window_text.value = ""
    assert drift.window == dl.Window()  # blank text is everything
    assert drift.last_error is None


def test_the_echo_of_a_slice_shown_as_text_keeps_the_slice(drift: Any) -> None:
    north = dl.Slice.of("region = 'north' AND income < 32000")
    drift.where = north
    assert drift.where_text.value == str(north)
    drift.where_text.value = str(north)  # the same text entered again
    assert drift.where is north


def test_a_bad_edit_is_an_error_under_the_widget_and_changes_nothing(drift: Any) -> None:
    before = drift.window
    drift.window_text.value = "2026-02-30 .. tomorrowish"
    assert isinstance(drift.last_error, InputError)
    assert "InputError" in drift.error_area.value
    assert drift.window == before


def test_the_fairness_threshold_box_reads_a_number_or_says_what_is_valid(
    sample_store: Any,
) -> None:
    ex = dl.FairnessExplorer(sample_store, "credit")
    try:
        ex.threshold_text.value = "0.7"
        assert ex.threshold == 0.7
        ex.threshold_text.value = "high"
        assert isinstance(ex.last_error, InputError)
        assert "between 0 and 1" in str(ex.last_error) and "'high'" in str(ex.last_error)
        assert ex.threshold == 0.7
        ex.threshold_text.value = ""
        assert ex.threshold is None  # each version's registered threshold
    finally:
        ex.close()


def test_fairness_and_why_tabs_show_which_views_are_updating(sample_store: Any) -> None:
    """The status line of every scoped explorer carries the lifecycle's "updating" note (the
    Fairness and Why explorers had none: a stale view there looked fresh)."""
    fairness = dl.FairnessExplorer(sample_store, "credit")
    change = dl.ChangeExplorer(sample_store, "credit")
    try:
        for ex in (fairness, change):
            status_line = ex.children[1]
            assert ex.updating in status_line.children
            assert ex.progress in status_line.children
    finally:
        fairness.close()
        change.close()


@pytest.mark.parametrize(
    "name",
    [
        "DriftExplorer",
        "MetricsExplorer",
        "FairnessExplorer",
        "ChangeExplorer",
        "PredictionInspector",
        "Panel",
    ],
)
def test_shared_parameters_are_described_once_in_every_docstring(name: str) -> None:
    doc = getattr(dl, name).__doc__
    assert not re.search(r"^\s*\{\w+\}\s*$", doc, re.M), "a placeholder left unfilled"
    params = doc.split("Parameters\n", 1)[1]
    first = [line.strip() for line in params.splitlines()[1:3]]
    assert first == ["store : diaglab.Store", "model : str, optional"]
    assert params.count("model : str, optional") == 1
    assert PARAMETERS["model"].splitlines()[1].strip() in params


def test_control_rows_wrap_and_text_boxes_fit_a_narrow_box(drift: Any) -> None:
    import ipywidgets as w

    rows = [c for c in drift.children[0].children if isinstance(c, w.HBox)]
    assert rows and all(r.layout.flex_flow == "row wrap" for r in rows)  # not cut at 600 px
    assert drift.where_text.layout.max_width == "100%"
