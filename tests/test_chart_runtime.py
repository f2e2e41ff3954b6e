"""Explorers' charts share one chart runtime: the library is stored once, not per chart."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
from ipywidgets import Widget

from diaglab.explorers._controls import vega_chart
from diaglab.explorers._vega import Chart, VegaRuntime, runtime


def test_charts_carry_a_small_front_end_and_share_one_runtime():
    a = vega_chart("first", "diaglab-a")
    b = vega_chart("second", "diaglab-b")
    assert isinstance(a, Chart) and isinstance(a, alt.JupyterChart)
    assert a._runtime is b._runtime is runtime()
    assert isinstance(a._runtime, VegaRuntime)
    module = a._runtime.module
    assert "vegaEmbed" in module and len(module) > 500_000
    assert len(a._runtime.source) < len(module) / 2  # stored compressed
    state = Widget.get_manager_state(drop_defaults=False)["state"]
    sizes = {k: len(json.dumps(v)) for k, v in state.items()}
    assert sizes[a.model_id] < 50_000 and sizes[b.model_id] < 50_000
    assert state[a.model_id]["state"]["_runtime"] == f"IPY_MODEL_{a._runtime.model_id}"
    # no chart carries Altair's offline bundle of ~1 MB
    assert all(size < 100_000 for k, size in sizes.items() if k != a._runtime.model_id)


def test_a_closed_runtime_is_replaced():
    first = runtime()
    first.close()
    assert runtime() is not first and runtime().comm is not None


def test_selections_and_params_work_as_in_altair():
    brush = alt.selection_interval(name="brush", encodings=["x"])
    data = pd.DataFrame({"x": [1, 2, 3], "y": [1, 4, 9]})
    chart = alt.Chart(data).mark_point().encode(x="x:Q", y="y:Q").add_params(brush)
    chart = chart.add_params(alt.param(name="window_lo", value=None))
    widget = Chart(chart)
    widget._vl_selections = {
        "brush": {
            "value": {"x": [1, 2]},
            "store": [
                {
                    "unit": "",
                    "fields": [{"field": "x", "channel": "x", "type": "R"}],
                    "values": [[1, 2]],
                }
            ],
        }
    }
    assert widget.selections.brush.value == {"x": [1, 2]}
    widget.params.window_lo = 5
    assert widget._params["window_lo"] == 5
