"""``dl.TraceExplorer``: find a request's trace and see where its time went.

Layout: controls (find the slowest traces, the failed ones, or a prediction's trace; a span name
for "slowest"; the window size of the latency chart; Run), a status line with a progress bar, the
list of traces found, the picked trace's summary (duration, slowest stage, flags such as missing
parents or clock skew, the linked predictions), its waterfall (a Gantt of the spans; the tooltip
holds each span's attributes, clicking a bar shows them in full below), and per span name latency
percentiles and error rate over time.

Queries run on the explorer's worker thread; what they return is cached: picking another trace
reads one trace (an index lookup), never the whole span table again.
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

import ipywidgets as w
import pandas as pd
import traitlets

from diaglab.charts._common import message_chart
from diaglab.diagnostics.traces.chart import (
    PICK,
    latency_chart,
    trace_summary_html,
    waterfall_chart,
)
from diaglab.diagnostics.traces.query import Trace, check_trace_id, linked_predictions
from diaglab.diagnostics.traces.search import FIND
from diaglab.diagnostics.traces.span_stats import SpanStats
from diaglab.diagnostics.traces.spec import FindTracesSpec, TraceSpec
from diaglab.errors import unknown
from diaglab.explorers._base import Explorer, enable_offline_charts
from diaglab.explorers._controls import (
    FREQ,
    Binding,
    freq_picker,
    run_button,
    shown_or_blank,
    stripped,
    vega_chart,
)
from diaglab.explorers._table import Table
from diaglab.explorers._windows import WindowTrait, format_window
from diaglab.explorers.coordinator import Job
from diaglab.queries.window import Window
from diaglab.specs import Scope
from diaglab.specs.api import find_traces, span_stats, trace

LIMIT = 25


class TraceExplorer(Explorer):
    """Request traces: find one (slowest, failed, by prediction id), its waterfall, and span
    latency over time.

    Parameters
    ----------
    store : diaglab.Store
    find : {"slowest", "failed", "prediction"}
        Which traces to list; ``"prediction"`` needs ``prediction_id``.
    prediction_id : str, optional
        Open the trace logged with this prediction.
    trace_id : str, optional
        Open this trace.
    name : str, optional
        For ``find="slowest"``: only root spans of this name.
    freq : str
        Window size of the latency chart: ``"1h"``, ``"6h"``, ``"1D"`` (default), ``"7D"``.
    window : dl.Window or (start, end), optional
        Only traces that start in this window, listed and charted (a panel links it).

    Examples
    --------
    >>> ex = dl.TraceExplorer(store)                     # doctest: +SKIP
    >>> ex.find = "failed"                               # doctest: +SKIP
    >>> ex.trace_id = ex.traces.trace_id[0]              # doctest: +SKIP
    >>> ex.data()  # the spans of the trace shown        # doctest: +SKIP
    """

    explorer_name = "TraceExplorer"
    bindings = (
        Binding("find_picker", "find"),
        Binding("id_text", "prediction_id", read=stripped, show=shown_or_blank),
        Binding("name_text", "name", read=stripped, show=shown_or_blank),
        FREQ,
    )
    selection_traits = {  # noqa: RUF012 - read-only class data
        "prediction_id": "prediction_id",
        "window": "window",
    }

    find = traitlets.Unicode("slowest")
    """Which traces are listed (str): ``"slowest"``, ``"failed"`` or ``"prediction"``."""
    prediction_id = traitlets.Unicode(None, allow_none=True)
    """The prediction whose trace is listed when ``find == "prediction"`` (str or None)."""
    name = traitlets.Unicode(None, allow_none=True)
    """For ``find == "slowest"``: only root spans of this name (str or None for any)."""
    trace_id = traitlets.Unicode(None, allow_none=True)
    """The trace shown in the waterfall (str, 32 hex digits), or None."""
    span = traitlets.Unicode(None, allow_none=True)
    """The span whose attributes are shown in full (its span id), or None."""
    freq = traitlets.Unicode("1D")
    """Window size of the latency chart (str), one of ``FREQS``."""
    window = WindowTrait(Window())
    """Traces listed and charted start in this window (dl.Window; ``Window()`` is everything)."""

    def __init__(
        self,
        store: Any,
        *,
        find: str = "slowest",
        prediction_id: str | None = None,
        trace_id: str | None = None,
        name: str | None = None,
        freq: str = "1D",
        window: Any = None,
    ) -> None:
        enable_offline_charts()
        super().__init__(store)
        self.traces = pd.DataFrame()
        self.stats: SpanStats | None = None
        self.result: Trace | None = None
        self._loading = False
        self._wanted_trace = trace_id
        self._build_widgets()
        try:
            self._loading = True
            if prediction_id is not None:
                find = "prediction"
            self.freq = freq
            self.name = name
            self.prediction_id = prediction_id
            self.find = find
            self.window = Window.of(window)
            self._loading = False
            self._sync_controls()
            self.client(
                "traces",
                request=self._list_request,
                run=self._run_list,
                show=self._show_list,
                views=(self.trace_list,),
            )
            self.client(
                "trace",
                request=lambda: self.trace_id,
                run=lambda job: trace(self._store, job.key, links=False),
                show=self._show_trace,
                views=(self.summary, self.waterfall, self.span_html),
                rank=1,
            )
            self.client(
                "linked predictions",
                request=lambda: self.trace_id if self._shown() == self.trace_id else None,
                run=lambda job: linked_predictions(self._store, job.key),
                show=self._show_links,
                rank=3,
            )
            self.client(
                "latency",
                request=lambda: (self.freq, self.window),
                run=self._run_stats,
                show=self._show_stats,
                views=(self.latency,),
                rank=2,
            )
            self.start()
        except Exception:
            self.close()
            raise

    # -- widgets ----------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.find_picker = w.Dropdown(
            options=[
                ("slowest", "slowest"),
                ("failed", "failed"),
                ("by prediction id", "prediction"),
            ],
            description="find",
            layout=w.Layout(width="230px"),
        )
        self.find_picker.add_class("diaglab-trace-find")
        self.id_text = w.Text(
            description="prediction",
            placeholder="prediction id",
            continuous_update=False,
            layout=w.Layout(width="300px"),
        )
        self.name_text = w.Text(
            description="root span",
            placeholder="any",
            continuous_update=False,
            layout=w.Layout(width="220px"),
        )
        self.freq_picker = freq_picker()
        self.run_button = run_button()
        self.trace_list = Table(sort=("duration ms", "desc"), empty="no trace found")
        self.trace_list.add_class("diaglab-trace-list")
        self.summary = w.HTML("")
        self.summary.add_class("diaglab-trace-summary")
        self.waterfall = vega_chart("computing…", "diaglab-trace-waterfall")
        self.span_html = w.HTML("")
        self.span_html.add_class("diaglab-trace-span")
        self.latency = vega_chart("computing…", "diaglab-trace-latency")
        self._wire("trace", "trace_list")
        controls = w.HBox(
            [self.find_picker, self.id_text, self.name_text, self.freq_picker, self.run_button],
            layout=w.Layout(flex_flow="row wrap"),
        )
        status = w.HBox(
            [self.progress, self.updating, self.status], layout=w.Layout(align_items="center")
        )
        self.children = [
            controls,
            status,
            self.error_area,
            self.trace_list,
            self.summary,
            self.waterfall,
            self.span_html,
            w.HTML("<b>span latency over time</b>"),
            self.latency,
        ]
        self.add_class("diaglab-traces")

    def _sync_controls(self) -> None:
        self._loading = True
        try:
            super()._sync_controls()
            self.id_text.layout.display = "" if self.find == "prediction" else "none"
            self.name_text.layout.display = "" if self.find == "slowest" else "none"
        finally:
            self._loading = False

    # -- state ------------------------------------------------------------------------------

    @traitlets.validate("find")
    def _valid_find(self, proposal: Any) -> str:
        value = proposal["value"]
        if value not in FIND:
            raise unknown("way to find traces", value, FIND)
        return str(value)

    @traitlets.validate("trace_id")
    def _valid_trace_id(self, proposal: Any) -> str | None:
        value = proposal["value"]
        return None if not value else check_trace_id(value)

    @traitlets.validate("span")
    def _valid_span(self, proposal: Any) -> str | None:
        value = proposal["value"] or None
        if value is not None and self.result is not None:
            known = list(self.result.spans["span_id"])
            if value not in known:
                raise unknown(f"span of trace {self.result.trace_id}", value, known)
        return value

    @traitlets.observe("find", "prediction_id", "name", "freq", "window", "trace_id")
    def _selection_changed(self, change: Any) -> None:
        if self._loading:
            return
        if change["name"] == "prediction_id" and change["new"] and self.find != "prediction":
            self.find = "prediction"  # a prediction picked (here or in a linked explorer)
            return  # that change updates
        self._sync_controls()
        if self.find == "prediction" and not self.prediction_id:
            self.status.value = "type a prediction id"
        self.update()

    @traitlets.observe("span")
    def _span_changed(self, change: Any) -> None:
        self.span_html.value = "" if change["new"] is None else self._span_details(change["new"])

    # -- control callbacks ------------------------------------------------------------------

    @Explorer._guard
    def _on_trace_list(self, change: Any) -> None:
        if not self._loading and change["new"]:
            self.trace_id = change["new"]

    @Explorer._guard
    def _on_run(self, _button: Any = None) -> None:
        self._wanted_trace = self.trace_id
        self.update(force=True)

    def _on_pick(self, change: Any) -> None:
        try:
            value = change["new"].value
            picked = value[0]["span_id"] if value else None
            self.span = picked
        except Exception as exc:
            self._show_error(exc)

    # -- work -------------------------------------------------------------------------------

    def _list_request(self) -> tuple[Any, ...] | None:
        """What the list shows: a prediction's trace, or the slowest or failed in the window."""
        if self.find == "prediction":
            return ("prediction", self.prediction_id) if self.prediction_id else None
        return (self.find, self.name, self.window)

    def _run_list(self, job: Job) -> pd.DataFrame:
        job.step("finding traces")
        if job.key[0] == "prediction":
            return find_traces(self._store, "prediction", prediction_id=job.key[1]).table
        find, name, window = job.key
        return find_traces(self._store, find, name=name, window=window, limit=LIMIT).table

    def _show_list(self, found: pd.DataFrame) -> None:
        self.traces = found
        self._render_list()
        wanted, self._wanted_trace = self._wanted_trace, None
        first = wanted or (str(found["trace_id"].iloc[0]) if len(found) else None)
        self.status.value = f"{len(found)} trace(s) found ({self._find_text()})"
        if first is None:
            self.result = None
            self.waterfall.chart = message_chart("no trace found")
            self.summary.value = ""
        self.trace_id = first

    def _run_stats(self, job: Job) -> SpanStats:
        freq, window = job.key
        job.step(f"span statistics per {freq}")
        return span_stats(self._store, freq=freq, window=window, top=LIMIT)

    def _show_stats(self, stats: SpanStats) -> None:
        self.stats = stats
        self._render_stats()

    def _shown(self) -> str | None:
        return None if self.result is None else self.result.trace_id

    def _show_trace(self, result: Trace) -> None:
        """Draw the trace's waterfall from its spans (an indexed lookup); the predictions logged
        with it (a pass over each model's predictions) fill the summary in after."""
        tid = result.trace_id
        self.result = result
        self.span = None
        self._loading = True
        try:
            self.trace_list.value = tid if tid in self.trace_list.row_keys else None
        finally:
            self._loading = False
        chart = waterfall_chart(result.spans, title=f"trace {tid}")
        self.waterfall.chart = chart
        if PICK in self.waterfall.selections.trait_names():
            self.waterfall.selections.observe(self._on_pick, names=[PICK])
        self.summary.value = trace_summary_html(result, links_pending=True)
        self.status.value = f"trace {tid}: {len(result.spans)} spans"

    def _show_links(self, found: dict[str, tuple[str, ...]]) -> None:
        if self.result is not None:
            self.result = replace(self.result, prediction_ids=found)
            self.summary.value = trace_summary_html(self.result)

    def _find_text(self) -> str:
        text = _find_text(self.find, self.prediction_id, self.name)
        if self.find != "prediction" and self.window != Window():
            text += f" in {format_window(self.window)}"
        return text

    # -- rendering --------------------------------------------------------------------------

    def _render_list(self) -> None:
        found = self.traces
        shown = pd.DataFrame(
            {
                "trace": found["trace_id"].astype(str),
                "root span": found["name"],
                "duration ms": found["duration_ms"],
                "start": pd.to_datetime(found["start"]).dt.strftime("%Y-%m-%d %H:%M:%S"),
                "status": found["status"],
            }
        )
        ids = shown["trace"].tolist()
        self._loading = True
        try:
            self.trace_list.show(shown, buttons=["open"] * len(ids), titles=ids, keys=ids)
        finally:
            self._loading = False

    def _render_stats(self) -> None:
        if self.stats is None:
            return
        self.latency.chart = latency_chart(self.stats.table)

    def _span_details(self, span_id: str) -> str:
        if self.result is None:
            return ""
        row = self.result.spans.set_index("span_id").loc[span_id]
        attrs = row["attributes"] or {}
        cells = "".join(
            f"<tr><td style='padding:0 8px 0 0'><code>{html.escape(str(k))}</code></td>"
            f"<td>{html.escape(str(v))}</td></tr>"
            for k, v in sorted(attrs.items())
        )
        message = row["status_message"]
        status = html.escape(str(row["status"])) + (
            f": {html.escape(str(message))}" if isinstance(message, str) and message else ""
        )
        return (
            f"<div><b>{html.escape(str(row['name']))}</b> <code>{html.escape(span_id)}</code> "
            f"— {row['duration_ms']:.3f} ms ({row['self_ms']:.3f} ms self), status {status}"
            f"<table style='font-size:12px'>{cells or '<tr><td>no attributes</td></tr>'}</table>"
            "</div>"
        )

    # -- Explorer API -----------------------------------------------------------------------

    def data(self) -> pd.DataFrame:
        """The spans of the trace shown (waterfall order), or the traces found when none is."""
        with self._lock:
            if self.result is not None:
                return self.result.spans.copy()
            return self.traces.copy()

    @property
    def state(self) -> dict[str, Any]:
        """The view: how traces are found, the trace and span shown, ``freq``."""
        return {
            "find": self.find,
            "prediction_id": self.prediction_id,
            "name": self.name,
            "trace_id": self.trace_id,
            "span": self.span,
            "freq": self.freq,
            "window": self.window.to_json(),
        }

    @property
    def spec(self) -> TraceSpec | FindTracesSpec:
        """The spec of what ``data()`` holds: ``dl.trace`` of the trace shown, else
        ``dl.find_traces`` of the list."""
        if self.trace_id is not None:
            return TraceSpec(trace_id=self.trace_id)
        if self.find == "prediction":
            return FindTracesSpec(by="prediction", prediction_id=self.prediction_id)
        scope = Scope(None, window=self.window)
        return FindTracesSpec(scope=scope, by=self.find, name=self.name or None, limit=LIMIT)

    def chart_json(self) -> dict[str, Any] | None:
        return None if self.waterfall.spec is None else dict(self.waterfall.spec)

    def __repr__(self) -> str:
        return f"<diaglab.TraceExplorer {self.state}>"


def _find_text(find: str, pid: str | None, name: str | None) -> str:
    if find == "prediction":
        return f"trace of prediction {pid}"
    return f"{find}" + (f" {name!r} roots" if name else "")
