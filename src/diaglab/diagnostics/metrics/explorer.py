"""``dl.MetricsExplorer``: model quality, latency and labels over time, with alerts, in one widget.

Layout: controls (model, metrics, window size, split, slice filter, "as of" date, Run), a status
line with a progress bar, a line on the current window, and one chart: a panel per chosen metric
(alert band, intervals, realized values solid and label-free estimates dashed, alerts in red),
the label coverage (so that a dip where labels have not arrived is not read as a quality drop) and
the volume as bars. Dragging across the volume bars makes the brushed days the current window.

The :class:`~diaglab.diagnostics.metrics.query.MetricsOverTime` result is computed on a worker
thread and cached; a new current window only redraws from the cache.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd
import traitlets

from diaglab import format as fmt
from diaglab.diagnostics.metrics.chart import BRUSH, metric_title, metrics_chart, window_bounds
from diaglab.diagnostics.metrics.query import MetricsOverTime, valid_metrics
from diaglab.diagnostics.metrics.spec import MetricsOverTimeSpec
from diaglab.errors import unknown
from diaglab.explorers import _controls as ui
from diaglab.explorers._base import (
    Explorer,
    ScopedExplorer,
    all_of,
    prepare,
    scope_state,
)
from diaglab.explorers._checklist import CheckList
from diaglab.explorers._windows import WindowTrait, brushed_window, describe_window
from diaglab.explorers.coordinator import Job
from diaglab.queries.filters import Slice
from diaglab.queries.scope import threshold_text
from diaglab.queries.window import Window, _utc
from diaglab.specs import Scope

DEFAULT_CHOICE = {
    "binary": ("accuracy", "roc_auc", "latency_p95"),
    "multiclass": ("accuracy", "latency_p95"),
    "regression": ("mae", "rmse", "latency_p95"),
}
_NONE = "(none)"


def _split(picked: str) -> str | None:
    return None if picked == _NONE else picked


def _split_shown(by: str | None) -> str:
    return by or _NONE


def _as_of(text: str) -> str | None:
    return text or None


def _as_of_shown(as_of: pd.Timestamp | None) -> str:
    return "" if as_of is None else _day(as_of)


class MetricsExplorer(ScopedExplorer):
    """Chosen metrics of a model over time, with intervals, alert bands, label coverage, volume.

    Parameters
    ----------
    metrics : list of str, optional
        Metric names of ``dl.metrics_over_time`` (default: accuracy, ROC AUC, latency p95 for a
        binary model).
    freq : str
        Window size: ``"1h"``, ``"6h"``, ``"1D"`` (default), ``"7D"``.
    by : str, optional
        Split into series: ``"model_version"`` or a feature.
    {where}
    as_of : date, optional
        Show what could be known then (labels that had arrived by that date).
    window : dl.Window or (start, end), optional
        The window highlighted and summarised (also set by brushing the volume bars).

    Examples
    --------
    >>> ex = dl.MetricsExplorer(store, "credit", by="model_version")  # doctest: +SKIP
    >>> ex.metrics = ["accuracy", "label_coverage"]                    # doctest: +SKIP
    >>> ex.data().head()                                                # doctest: +SKIP
    """

    explorer_name = "MetricsExplorer"
    refresh_on = ("metrics", "freq", "by", "where", "as_of")
    bindings = (
        ui.MODEL,
        ui.METRICS,
        ui.FREQ,
        ui.Binding("by_picker", "by", read=_split, show=_split_shown),
        ui.WINDOW,
        ui.Binding("as_of_text", "as_of", read=_as_of, show=_as_of_shown),
        ui.WHERE,
    )

    metrics = traitlets.List(traitlets.Unicode())
    """The metrics charted (list of str), each one of ``dl.metrics_over_time``'s names."""
    freq = traitlets.Unicode("1D")
    """Window size (str), one of ``FREQS``."""
    by = traitlets.Unicode(None, allow_none=True)
    """Split into series by ``"model_version"`` or a feature (str), or None."""
    as_of = traitlets.Any(None, allow_none=True)
    """Only labels that had arrived by this date (pandas.Timestamp, UTC), or None for all."""
    window = WindowTrait(Window())
    """The window highlighted (dl.Window; ``Window()`` is everything). Brushing sets it."""

    def __init__(
        self,
        store: Any,
        model: str | None = None,
        *,
        metrics: list[str] | None = None,
        freq: str = "1D",
        by: str | None = None,
        where: str | Slice | None = None,
        as_of: Any = None,
        window: Any = None,
        **renamed: Any,
    ) -> None:
        model = prepare("MetricsExplorer", store, model, renamed)
        super().__init__(store)
        self._result: MetricsOverTime | None = None
        self._brushing = False
        self._build_widgets(store.models())
        with self.building():
            self.model = model
            if metrics is not None:
                self.metrics = list(metrics)
            self.freq = freq
            self.by = by
            self.where = where
            self.as_of = as_of
            self.window = Window.of(window)
            self._sync_controls()
            self.client(
                "metrics",
                request=lambda: self.spec if self.model and self.metrics else None,
                run=self._run,
                show=self._show,
                views=(self.window_label, self.chart),
            )

    # -- widgets ----------------------------------------------------------------------------

    def _build_widgets(self, models: list[str]) -> None:
        self.model_picker = ui.model_picker(models)
        self.metric_picker = CheckList(description="metrics", layout=w.Layout(width="100%"))
        self.freq_picker = ui.freq_picker()
        self.by_picker = w.Dropdown(
            options=[_NONE],
            description="split by",
            layout=w.Layout(width="250px"),
            style={"description_width": "60px"},  # room for "model_version"
        )
        self.window_text = ui.text_box("window", ui.WINDOW_HINT)
        self.as_of_text = ui.text_box("as of", "now, or a date: labels known then")
        self.where_text = ui.text_box("slice", ui.SLICE_HINT, width="672px")
        self.run_button = ui.run_button()
        self.window_label = ui.styled(w.HTML(""), "diaglab-metrics-window")
        self.chart = ui.vega_chart(
            "computing…", "diaglab-metrics-chart", brush=True, actions=ui.CHART_ACTIONS
        )
        self._wire("metrics")
        self._lay_out(
            [
                w.HBox(
                    [self.model_picker, self.by_picker, self.freq_picker, self.run_button],
                    layout=w.Layout(flex_flow="row wrap"),
                ),
                self.metric_picker,
                w.HBox([self.window_text, self.as_of_text]),
                self.where_text,
            ],
            self.window_label,
            self.chart,
        )
        self.add_class("diaglab-metrics")

    # -- state ------------------------------------------------------------------------------

    def _valid_names(self) -> list[str]:
        schema = self._store.schema(self.model)
        task = schema.task or "binary"
        return valid_metrics(task, task == "binary")

    @traitlets.validate("metrics")
    def _valid_metrics(self, proposal: Any) -> list[str]:
        return all_of("metric", proposal["value"], self._valid_names())

    @traitlets.validate("by")
    def _valid_by(self, proposal: Any) -> str | None:
        value = proposal["value"] or None
        if value in (None, _NONE):
            return None
        if value == "version":
            value = "model_version"
        known = ["model_version", *self._store.schema(self.model).features]
        if value not in known:
            raise unknown("split (by)", value, known)
        return str(value)

    @traitlets.validate("as_of")
    def _valid_as_of(self, proposal: Any) -> pd.Timestamp | None:
        value = proposal["value"]
        if isinstance(value, str) and not value.strip():
            return None
        return _utc(value, "as_of")

    @traitlets.observe("model")
    def _model_changed(self, change: Any) -> None:
        with self.batch():
            schema = self._store.schema(change["new"])
            task = schema.task or "binary"
            valid = self._valid_names()
            self.metric_picker.options = [(metric_title(m), m) for m in valid]
            # (label, value) pairs, all of them: ipywidgets reads a mixed list as values
            self.by_picker.options = [
                (fmt.column_title(c), c) for c in (_NONE, "model_version", *schema.features)
            ]
            self.model_picker.value = change["new"]
            self.metrics = [m for m in DEFAULT_CHOICE[task] if m in valid]
            self.by = None
            self.update()

    @traitlets.observe("window")
    def _window_changed(self, change: Any) -> None:
        self._sync_controls()
        with self._lock:
            if self._result is not None and self._result_current():
                # The chart stays (redrawing would drop a brush under the mouse, and costs
                # seconds); a window set from Python or the text box moves the shade.
                self._render(redraw=False)
                if not self._brushing:
                    self._move_shade()

    # -- control callbacks (errors go under the widget) -------------------------------------

    @Explorer._guard
    def _on_brush(self, change: Any) -> None:
        window = brushed_window(change["new"].value, self.freq)
        if window is not None:
            self._brushing = True
            try:
                self.window = window
            finally:
                self._brushing = False

    # -- computing --------------------------------------------------------------------------

    def _run(self, job: Job) -> MetricsOverTime:
        spec = job.key
        job.step(f"{len(spec.metrics or ())} metrics per {spec.freq} window…")
        result: MetricsOverTime = spec.run(self._store)
        return result

    def _show(self, result: MetricsOverTime) -> None:
        self._result = result
        self._render(redraw=True)

    def _result_current(self) -> bool:
        """Whether the cached result is that of today's spec (a window change redraws only
        then; otherwise the new result is on its way)."""
        return all(c.fresh for c in self.coordinator.clients if c.owner is self)

    # -- rendering (from the cache only) ----------------------------------------------------

    def _render(self, *, redraw: bool) -> None:
        result = self._result
        assert result is not None
        shown = [m for m in self.metrics if m in result.metrics]
        table = result.table
        chosen = table[table["metric"].isin(shown)]
        alerts = chosen[chosen["alert"].fillna(False).astype(bool)]
        per_metric = alerts.groupby("metric").size()
        series = result.series
        cut = threshold_text(self._store.schema(result.model), None)  # what decides the class
        self.status.value = (
            f"{len(shown)} metrics per {html.escape(result.freq)} window over "
            f"{html.escape(str(result.window))}"
            + (
                f", {len(series)} series by {html.escape(fmt.column_title(str(result.by)))}"
                if result.by
                else ""
            )
            + (f", as of {_day(result.as_of)}" if result.as_of is not None else "")
            + (f"; {html.escape(cut)}" if cut else "")
            + f"; {fmt.counted(len(alerts), 'alert')}"
            + (
                " ("
                + ", ".join(
                    f"{html.escape(metric_title(m))}: {int(per_metric[m])}"
                    for m in shown
                    if m in per_metric
                )
                + ")"
                if len(alerts)
                else ""
            )
        )
        self.window_label.value = self._window_summary(result, shown)
        if redraw:
            bounds = (self.window.start, self.window.end)
            spec_current = None if bounds == (None, None) else bounds
            title = f"{result.model}: metrics per {result.freq} window"
            estimated = bool((chosen["kind"] == "estimated").any())
            subtitle = (
                "solid: realized (from labels); dashed: estimated from scores (CBPE); "
                if estimated
                else ""
            ) + "green: alert band; red: alerts"
            self.chart.chart = metrics_chart(
                table, result.windows, shown, title=title, subtitle=subtitle, current=spec_current
            )
            if BRUSH in self.chart.selections.trait_names():
                # JupyterChart makes a new ``selections`` object for every chart.
                self.chart.selections.observe(self._on_brush, names=[BRUSH])

    def _move_shade(self) -> None:
        assert self._result is not None
        bounds = window_bounds((self.window.start, self.window.end), self._result.windows)
        params = self.chart.params
        for name, value in bounds.items():
            if name in params.trait_names():  # not on a "no predictions" message
                setattr(params, name, value)

    def _window_summary(self, result: MetricsOverTime, shown: list[str]) -> str:
        windows = result.windows
        starts = pd.to_datetime(windows["window_start"], utc=True)
        inside = np.ones(len(windows), dtype=bool)
        if self.window.start is not None:
            inside &= np.asarray(starts >= self.window.start)
        if self.window.end is not None:
            inside &= np.asarray(starts < self.window.end)
        part = windows[inside]
        n = int(part["n"].sum())
        labelled = int(part["n_labelled"].sum())
        served = int((part["n"] - part["n_failed"]).sum())
        coverage = f"{labelled / served:.0%}" if served else "–"
        text = (
            f"window <b>{html.escape(describe_window(self.window))}</b> ({n:,} predictions, "
            f"{coverage} labelled)"
        )
        t = result.table
        rows = t[t["window_start"].isin(part["window_start"]) & t["metric"].isin(shown)]
        bits = []
        for m in shown:
            for kind in ("realized", "estimated"):
                r = rows[(rows["metric"] == m) & (rows["kind"] == kind)]
                values = r["value"].to_numpy(float)
                if not np.isfinite(values).any():
                    continue
                n_alert = int(r["alert"].fillna(False).astype(bool).sum())
                label = metric_title(m) + (" (estimated)" if kind == "estimated" else "")
                bits.append(
                    f"{html.escape(label)} median {np.nanmedian(values):.4g}"
                    + (
                        f", <b style='color:#c0392b'>{fmt.counted(n_alert, 'alert')}</b>"
                        if n_alert
                        else ""
                    )
                )
        if bits:
            text += ": " + "; ".join(bits)
        return text

    def __repr__(self) -> str:
        return (
            f"<MetricsExplorer {self.model!r}, metrics {self.metrics}, per {self.freq}"
            + (f", by {self.by}" if self.by else "")
            + f", window {self.window}>"
        )

    # -- results ----------------------------------------------------------------------------

    @property
    def result(self) -> MetricsOverTime | None:
        """The cached MetricsOverTime of the current state (None before the first result)."""
        return self._result

    def data(self) -> pd.DataFrame:
        """The rows of the chosen metrics (waits for a computation under way)."""
        t = self._when_fresh(lambda: self._result, "metrics computed").table
        return t[t["metric"].isin(self.metrics)].reset_index(drop=True)

    @property
    def spec(self) -> MetricsOverTimeSpec:
        """The spec of the series shown (``dl.metrics_over_time`` over everything logged; the
        highlighted ``window`` only summarises it)."""
        return MetricsOverTimeSpec(
            scope=Scope(self.model, where=self.where, as_of=self.as_of),
            freq=self.freq,
            metrics=tuple(self.metrics),
            by=self.by,
        )

    @property
    def state(self) -> dict[str, Any]:
        """The selection and view: the spec's scope, metrics, freq, by and the window shown."""
        spec = self.spec
        return {
            **scope_state(spec.scope),
            "metrics": list(self.metrics),
            "freq": self.freq,
            "by": self.by,
            "window": self.window.to_json(),
        }


def _day(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat()
