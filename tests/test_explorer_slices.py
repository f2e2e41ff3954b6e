"""dl.SliceExplorer driven from Python: set traits, feed chart selections, press buttons."""

from __future__ import annotations

import ipywidgets as dl_widgets
import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from diaglab.diagnostics.slices.rows import PAGE_SIZE, slice_rows
from diaglab.queries.filters import where as apply_where

START = pd.Timestamp("2026-01-01", tz="UTC")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    rng = np.random.default_rng(4)
    n = 20_000
    feats = pd.DataFrame(
        {
            "region": rng.choice(["north", "south", "east"], n),
            "employment": rng.choice(["employed", "self"], n),
            "income": rng.lognormal(10.5, 0.4, n).round(0),
        }
    )
    p = rng.beta(2, 5, n)
    y = (rng.random(n) < p).astype(int)
    bad = ((feats.region == "north") & (feats.employment == "self")).to_numpy()
    y[bad] = (p[bad] < 0.5).astype(int)  # the model is always wrong there
    s = dl.open(tmp_path_factory.mktemp("ex") / "s")
    ts = START + pd.to_timedelta(np.sort(rng.random(n)) * 30, unit="D")
    ids = s.log(model="m", features=feats, predictions=p, timestamps=ts)
    s.log_labels(model="m", prediction_ids=ids, labels=y)
    yield s
    s.close()


def _pick(explorer, key: str) -> None:
    """What the browser sends when a bar is clicked (Altair's private wire format)."""
    explorer.chart._vl_selections = {
        "pick": {
            "value": {"vlPoint": {"or": [{"key": key}]}},
            "store": [{"unit": "", "fields": [{"field": "key", "type": "E"}], "values": [key]}],
        }
    }


def test_explorer_charts_finds_and_pages_through_the_worst_slice(store):
    ex = dl.SliceExplorer(store, "m", by="region").wait()
    assert ex.last_error is None
    table = ex.data()
    assert set(table["region"]) == {"north", "south", "east"}
    assert ex.chart.spec["layer"][0]["mark"]["type"] == "bar"
    assert ex.found is not None and len(ex.found)
    assert str(ex.found["slice"].iloc[0]) == "region = 'north' AND employment = 'self'"
    assert ex.selected_slice is None and ex.rows is None
    chosen = ex.select(0)
    assert ex.selected_slice == chosen
    rows = ex.wait().rows  # a page of rows loads off the UI thread
    assert rows is not None and len(rows) == PAGE_SIZE
    assert (rows["error"].diff().dropna() <= 1e-12).all()  # worst first
    total = ex._total_rows
    assert "page 1 of" in ex.page_label.value and len(ex.rows_html.rows) == PAGE_SIZE
    ex.next_button.click()
    first = ex.wait().rows["prediction_id"].iloc[0]
    assert ex.page == 1 and first not in set(rows["prediction_id"])
    ex.page = (total - 1) // PAGE_SIZE
    assert len(ex.wait().rows) == total - ex.page * PAGE_SIZE
    ex.next_button.click()  # already on the last page: stays
    assert ex.page == (total - 1) // PAGE_SIZE


def test_two_features_draw_a_heatmap_and_a_click_selects_a_cell(store):
    ex = dl.SliceExplorer(store, "m", by=["region", "employment"]).wait()
    assert ex.chart.spec["layer"][0]["mark"]["type"] == "rect"
    table = ex.data()
    _pick(ex, "2")
    assert ex.selected_slice == table["slice"].iloc[2]
    assert ex.wait().rows is not None and len(ex.rows) == min(PAGE_SIZE, table["n"].iloc[2])
    ex.selected_slice = None
    assert ex.rows is None and ex.rows_html.rows == []


def test_controls_and_traits_stay_in_step(store):
    ex = dl.SliceExplorer(store, "m").wait()
    ex.by2_picker.value = "employment"
    ex.wait()
    assert ex.by == ["region", "employment"]
    ex.metric_picker.value = "accuracy"
    ex.wait()
    assert ex.metric == "accuracy" and "accuracy" in ex.data()
    ex.window = ("2026-01-10", "2026-01-20")
    ex.wait()
    assert ex.window_text.value == "2026-01-10 .. 2026-01-20"
    assert ex.data()["n"].sum() < 20_000


def test_errors_show_under_the_widget_and_capture_has_the_query(store):
    ex = dl.SliceExplorer(store, "m", by="region").wait()
    ex.where_text.value = "regoin = 'north'"
    assert ex.last_error is not None and "regoin" in ex.error_area.value
    ex.where_text.value = "region = 'north'"
    ex.wait()
    assert set(ex.data()["region"]) == {"north"}
    cap = ex.capture("north only", "checked by hand")
    assert cap.explorer == "SliceExplorer" and cap.state["where"] == "region = 'north'"
    assert cap.query["call"].startswith("dl.slice_metrics(store, 'm'")
    assert cap.table["rows"] and cap.chart is not None
    with pytest.raises(dl.UnknownNameError, match="known: employment, income, region"):
        dl.SliceExplorer(store, "m", by="incme")


def test_an_empty_search_shows_its_nearest_misses(store):
    ex = dl.SliceExplorer(store, "m", by="employment", where="region = 'south'").wait()
    assert ex.last_error is None and ex.found is not None and ex.found.empty
    assert "nearest miss: " in ex.status.value
    shown = " ".join(getattr(c, "value", "") for c in ex.found_box.children)
    assert "no slice is significantly worse" in shown and "nearest misses (not reported)" in shown
    assert "adjusted p" in shown and "needed p &lt;=" in shown


def test_slices_found_say_which_metric_they_were_searched_by(store):
    ex = dl.SliceExplorer(store, "m").wait()
    assert "by error" in ex.found_title.value and "not searched" not in ex.found_title.value
    ex.metric_picker.value = "roc_auc"
    ex.wait()
    title = ex.found_title.value
    assert "roc_auc is not searched row by row, so by error" in title
    buttons = [row.children[0] for row in ex.found_box.children if isinstance(row, dl_widgets.HBox)]
    assert all(b.layout.width == "auto" for b in buttons)  # "#10" is never cut to "#…"


def test_a_header_click_sorts_the_rows_in_the_engine_page_by_page(store):
    ex = dl.SliceExplorer(store, "m", by="region").wait()
    ex.select(0)
    ex.wait()
    assert ex.rows_html.sort == ["error", "desc"]
    ex.row_columns = ["income"]
    ex.rows_html.sort = ["income", "asc"]  # what a click on the income header sends
    first = ex.wait().rows
    assert ex.row_sort == ["income", "asc"] and ex.page == 0
    assert first["income"].is_monotonic_increasing
    ex.next_button.click()
    second = ex.wait().rows
    # page 2 continues the order over the whole slice: not page 1's rows re-sorted
    assert second["income"].is_monotonic_increasing
    assert second["income"].iloc[0] >= first["income"].iloc[-1]
    assert not set(first["prediction_id"]) & set(second["prediction_id"])
    chosen = ex.selected_slice
    inside = apply_where(store.table("m"), chosen).to_pandas()  # the slice, from the store
    assert first["income"].iloc[0] == inside["income"].min()
    ex.rows_html.sort = ["score", "desc"]
    rows = ex.wait().rows
    assert rows["score"].is_monotonic_decreasing and ex.rows_html.columns[4] == "score"
    with pytest.raises(dl.UnknownNameError, match="column to sort by"):
        slice_rows(store, "m", chosen, sort=("incme", "asc"))


def test_the_rows_table_shows_any_chosen_column(store):
    ex = dl.SliceExplorer(store, "m", by="region").wait()
    ex.select(0)
    assert "income" not in ex.wait().rows.columns
    ex.column_picker.value = ["income"]  # a tag typed in the column chooser
    assert ex.row_columns == ["income"]
    rows = ex.wait().rows
    assert "income" in rows.columns and "income" in ex.rows_html.columns
    assert ex.state["row_columns"] == ["income"]
    with pytest.raises(dl.UnknownNameError, match="known: employment, income, region"):
        ex.row_columns = ["incme"]


def test_slices_found_sort_by_a_header_and_a_row_button_selects_its_slice(store):
    ex = dl.SliceExplorer(store, "m", by="region").wait()
    table = ex.found_table
    assert table.columns[0] == "slice" and "p (adj.)" in table.columns
    ex.found_table.sort = ["rows", "asc"]
    shown = table.frame
    assert shown is not None and shown["rows"].is_monotonic_increasing
    key = table.row_keys[0]
    table.picked, table.picks = key, table.picks + 1  # the button of the first row shown
    assert ex.selected_slice == ex.found["slice"].iloc[int(key)]


def test_p_values_in_the_slices_found_read_as_p_values(store):
    ex = dl.SliceExplorer(store, "m", by="region").wait()
    at = ex.found_table.columns.index("p (adj.)")
    shown = [row[at] for row in ex.found_table.rows]
    assert shown and all(s.startswith("<") or "e" not in s for s in shown), shown


def test_each_number_column_of_the_slices_found_has_one_format(store):
    """The metric, overall, difference and score read with one count of decimals per column
    (not 0.384 beside 0.2569), and the slice and why columns wrap instead of widening the
    table."""
    ex = dl.SliceExplorer(store, "m", by="region").wait()
    table = ex.found_table
    assert len(table.rows) >= 2
    skip = {"slice", "why", "rows", "labelled", "p (adj.)"}
    checked = 0
    for at, name in enumerate(table.columns):
        if name in skip or not table.numeric[at]:
            continue
        decimals = {len(row[at].partition(".")[2]) for row in table.rows if row[at] != "–"}
        assert len(decimals) == 1, (name, [row[at] for row in table.rows])
        checked += 1
    assert checked >= 3
    assert [c for c, w in zip(table.columns, table.wraps, strict=True) if w] == ["slice", "why"]
