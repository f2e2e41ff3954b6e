"""``dl.ChangeExplorer``: why a metric changed between two periods, in one widget.

Layout: controls (model, metric, reference, window, slice, Run), the metric over time twice (brush
the reference on the first, the window on the second; the other period is shaded), the written
summary, the waterfall of contributions and, under it, what a clicked bar opens: a feature's
:class:`~diaglab.diagnostics.drift.explorer.DriftExplorer` on the two periods, or a slice's rows in
the window, worst first.

The metric over time is computed once per model, metric and slice (``dl.metrics_over_time``); a
brush only reruns ``dl.explain_change`` on the worker thread: first without the slice search
(the waterfall's conditional part by the bins of one feature), then with the slices
``find_slices(compare=...)`` finds. Its results are cached per pair of periods, so brushing back
to a pair seen before redraws without a query.
"""

from __future__ import annotations

import dataclasses
import html
import threading
from typing import Any

import ipywidgets as w
import pandas as pd
import traitlets

from diaglab.diagnostics.change.chart import change_chart, period_chart
from diaglab.diagnostics.change.found import with_found
from diaglab.diagnostics.change.query import SUPPORTED
from diaglab.diagnostics.change.result import LOWER_IS_BETTER, ChangeExplanation
from diaglab.diagnostics.change.spec import ExplainChangeSpec
from diaglab.diagnostics.metrics.spec import MetricsOverTimeSpec
from diaglab.diagnostics.slices.rows import slice_rows
from diaglab.errors import InputError
from diaglab.explorers import _controls as ui
from diaglab.explorers._base import (
    Explorer,
    ScopedExplorer,
    prepare,
    scope_state,
)
from diaglab.explorers._table import Table
from diaglab.explorers._windows import (
    OptionalWindowTrait,
    brushed_window,
    format_window,
    parse_window,
)
from diaglab.explorers.coordinator import Job
from diaglab.queries.filters import Slice
from diaglab.specs import Scope

OVER_TIME = {"mse": "rmse"}
"""The series brushed for a metric ``metrics_over_time`` does not chart itself."""
FREQ = "1D"
MIN_LABELLED = 30
"""Labelled rows a day needs for a point on the period charts (two rows give 0.0 or 0.5)."""


class ChangeExplorer(ScopedExplorer):
    """Pick two periods on the metric over time and see why the metric changed between them.

    Parameters
    ----------
    metrics : str
        One of ``dl.explain_change``'s metrics (default ``"error"``).
    reference, window : dl.Window or (start, end), optional
        The earlier and the later period (also set by brushing the two charts).
    where : str or dl.Slice, optional
        Only these rows.

    Examples
    --------
    >>> ex = dl.ChangeExplorer(store, "credit", reference=("2026-01-01", "2026-01-29"),
    ...                        window=("2026-02-05", "2026-03-02"))   # doctest: +SKIP
    >>> ex.result.summary                                             # doctest: +SKIP
    >>> ex.open_bar("credit_utilization")   # what clicking its bar does  # doctest: +SKIP
    """

    explorer_name = "ChangeExplorer"
    bindings = (
        ui.MODEL,
        ui.REFERENCE,
        ui.Binding("window_text", "window", read=parse_window, show=format_window),
        ui.WHERE,
    )
    selection_traits = {**ScopedExplorer.selection_traits, "reference": "reference"}  # noqa: RUF012

    metrics = traitlets.Unicode("error")
    """The metric explained (str), one of ``dl.explain_change``'s."""
    reference = OptionalWindowTrait(None)
    """The earlier period (dl.Window or None); brushing the first chart sets it."""
    window = OptionalWindowTrait(None)
    """The later period (dl.Window or None); brushing the second chart sets it."""
    opened = traitlets.Unicode(None, allow_none=True)
    """The feature or slice predicate whose bar was clicked (str), or None."""

    def __init__(
        self,
        store: Any,
        model: str | None = None,
        *,
        metrics: str = "error",
        reference: Any = None,
        window: Any = None,
        where: str | Slice | None = None,
        **renamed: Any,
    ) -> None:
        model = prepare("ChangeExplorer", store, model, renamed)
        super().__init__(store)
        self._series: pd.DataFrame | None = None
        self._results: dict[ExplainChangeSpec, ChangeExplanation] = {}
        self._locks: dict[ExplainChangeSpec, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._result: ChangeExplanation | None = None
        self._quiet = False
        self._build_widgets(store.models())
        self.client("periods", part="series", views=(self.reference_chart, self.window_chart))
        self.client(
            "waterfall", part="waterfall", views=(self.chart, self.summary, self.detail), rank=1
        )
        # the found slices (find_slices over both periods) cost more than the rest: the waterfall
        # is drawn first without them, then again with them
        self.client("found slices", part="found", rank=2)
        with self.building():
            self._quiet = True
            self.model = model
            self.metrics = metrics
            self.reference, self.window = reference, window
            self.where = where
            self._quiet = False
            self._sync_controls()

    # -- widgets ----------------------------------------------------------------------------

    def _build_widgets(self, models: list[str]) -> None:
        self.model_picker = ui.model_picker(models)
        self.metric_picker = w.Dropdown(
            options=[], description="metric", layout=w.Layout(width=ui.NARROW)
        )
        self.reference_text = ui.text_box("reference", ui.WINDOW_HINT)
        self.window_text = ui.text_box("window", ui.WINDOW_HINT)
        self.where_text = ui.text_box("slice", ui.SLICE_HINT, width="672px")
        self.run_button = ui.run_button()
        self.reference_chart = ui.vega_chart("computing…", "diaglab-change-reference", brush=True)
        self.window_chart = ui.vega_chart("computing…", "diaglab-change-window", brush=True)
        self.chart = ui.vega_chart("brush both periods", "diaglab-change-chart")
        self.summary = ui.styled(w.HTML(""), "diaglab-change-summary")
        self.detail = w.VBox([])
        self.detail.add_class("diaglab-change-detail")
        self._wire("change", "metric_picker")
        self._lay_out(
            [
                w.HBox([self.model_picker, self.metric_picker, self.run_button]),
                w.HBox([self.reference_text, self.window_text]),
                self.where_text,
            ],
            w.HBox([self.reference_chart, self.window_chart]),
            self.summary,
            self.chart,
            self.detail,
        )
        self.add_class("diaglab-change")

    def _sync_controls(self) -> None:
        task = self._store.schema(self.model).task or "binary"
        self.metric_picker.options = list(SUPPORTED[task])
        self.metric_picker.value = self.metrics
        super()._sync_controls()

    # -- state ------------------------------------------------------------------------------

    @traitlets.validate("metrics")
    def _valid_metrics(self, proposal: Any) -> str:
        task = self._store.schema(self.model).task or "binary"
        value = str(proposal["value"])
        if value not in SUPPORTED[task]:
            raise InputError(
                f"ChangeExplorer explains one of: {', '.join(SUPPORTED[task])}; got {value!r}"
            )
        return value

    @traitlets.observe("model", "metrics", "where")
    def _scope_changed(self, change: Any) -> None:
        if self._quiet:
            return
        self._sync_controls()
        self.update()

    @traitlets.observe("reference", "window")
    def _periods_changed(self, change: Any) -> None:
        if self._quiet:
            return
        self._sync_controls()
        self.update()  # the explanation's job starts before the period charts are redrawn here
        self._draw_periods()

    # -- callbacks --------------------------------------------------------------------------

    @Explorer._guard
    def _on_metric_picker(self, change: Any) -> None:
        if change["new"] and change["new"] != self.metrics:
            self.metrics = change["new"]

    def _on_run(self, _button: Any = None) -> None:
        self._results.clear()
        super()._on_run()

    @Explorer._guard
    def _on_reference_brush(self, change: Any) -> None:
        period = brushed_window(change["new"].value, FREQ)
        if period is not None:
            self.reference = period

    @Explorer._guard
    def _on_window_brush(self, change: Any) -> None:
        period = brushed_window(change["new"].value, FREQ)
        if period is not None:
            self.window = period

    @Explorer._guard
    def _on_bar(self, change: Any) -> None:
        picked = change["new"].value or []
        targets = [p.get("target") for p in picked if isinstance(p, dict) and p.get("target")]
        if targets:
            self.open_bar(str(targets[0]))

    # -- computing --------------------------------------------------------------------------

    def _run_series(self, job: Job) -> pd.DataFrame:
        job.step("the metric over time…")
        table = job.key.run(self._store).table
        rows = table[table["kind"] == "realized"][["window_start", "value", "n"]]
        # a day without labels (or with too few to say anything) has no value: the line breaks
        # there instead of dropping to the 0.0 of its one or two labelled rows
        few = rows["n"].fillna(0) < MIN_LABELLED
        return rows.assign(value=rows["value"].where(~few)).reset_index(drop=True)

    def _show_series(self, series: pd.DataFrame) -> None:
        self._series = series
        self._draw_periods()

    def _series_request(self) -> MetricsOverTimeSpec:
        name = OVER_TIME.get(self.metrics, self.metrics)
        return MetricsOverTimeSpec(
            scope=Scope(self.model, where=self.where), freq=FREQ, metrics=(name,), estimate=False
        )

    def _found_request(self) -> ExplainChangeSpec | None:
        """The change explained: both periods brushed, else nothing to show."""
        if not (_picked(self.reference) and _picked(self.window)):
            return None
        return self.spec

    def _waterfall_request(self) -> ExplainChangeSpec | None:
        """The change explained without the slice search (drawn first)."""
        spec = self._found_request()
        return None if spec is None else dataclasses.replace(spec, search=False)

    def _run_waterfall(self, job: Job) -> ChangeExplanation:
        job.step("splitting the change into its causes…")
        return self._explained(job.key)

    def _run_found(self, job: Job) -> ChangeExplanation:
        # the draft is the waterfall's (computed once, whichever job asks first); the search
        # alone is added, so the two views do not split the engine between two explanations
        draft = self._explained(dataclasses.replace(job.key, search=False))
        with self._computing(job.key):
            if job.key not in self._results:
                job.step("finding the slices that got worse…")
                self._results[job.key] = with_found(self._store, job.key, draft)
        return self._results[job.key]

    def _explained(self, spec: ExplainChangeSpec) -> ChangeExplanation:
        """``spec``'s explanation, cached per spec (a pair of periods seen before redraws from
        memory) and computed once when two views ask at the same time."""
        with self._computing(spec):
            if spec not in self._results:
                self._results[spec] = spec.run(self._store)
        return self._results[spec]

    def _computing(self, spec: ExplainChangeSpec) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(spec, threading.Lock())

    def _show_waterfall(self, result: ChangeExplanation) -> None:
        # the whole explanation, when it is already at hand, is not replaced by the first draft
        self._show_found(self._results.get(self.spec, result))

    def _show_found(self, result: ChangeExplanation) -> None:
        if result is self._result:  # a pair seen before: the waterfall drew it already
            return
        self._result = result
        self._render()

    def _clear_waterfall(self) -> None:
        self._result = None
        self.status.value = "brush the reference on the left chart and the window on the right"

    # -- rendering --------------------------------------------------------------------------

    def _draw_periods(self) -> None:
        if self._series is None:
            return
        name = OVER_TIME.get(self.metrics, self.metrics)
        for chart, which, other in (
            (self.reference_chart, "reference", self.window),
            (self.window_chart, "window", self.reference),
        ):
            shade = None if other is None else (other.start, other.end)
            chart.chart = period_chart(self._series, metric=name, shaded=shade, name=which)
            handler = self._on_reference_brush if which == "reference" else self._on_window_brush
            if "brush" in chart.selections.trait_names():
                chart.selections.observe(handler, names=["brush"])

    def _render(self) -> None:
        r = self._result
        assert r is not None
        self.status.value = (
            f"{html.escape(r.metric)} from {html.escape(r.reference)} to {html.escape(r.window)}"
            f": {r.change:+.4f}; classifier sample {r.sample.get('reference', 0):,} + "
            f"{r.sample.get('window', 0):,} rows"
        )
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in r.notes)
        self.summary.value = f"<p>{html.escape(r.summary)}</p>" + (
            f"<ul style='color:#8a5a00'>{notes}</ul>" if notes else ""
        )
        self.chart.chart = change_chart(
            r.table,
            start=r.value_reference,
            metric=r.decomposed,
            lower_is_better=r.decomposed in LOWER_IS_BETTER,
            title=f"why {r.metric} changed (click a bar to open it)",
        )
        if "bar" in self.chart.selections.trait_names():
            self.chart.selections.observe(self._on_bar, names=["bar"])

    def open_bar(self, target: str) -> Any:
        """Open a bar's target under the waterfall: a feature's DriftExplorer on the two periods,
        or the window's rows of a slice (a predicate), worst first. Returns what is shown."""
        from diaglab.diagnostics.drift.explorer import DriftExplorer

        features = self._store.schema(self.model).features
        self.opened = target
        for child in self.detail.children:
            if isinstance(child, Explorer):
                child.close()
        if target in features:
            shown: Any = DriftExplorer(
                self._store,
                self.model,
                window=self.window,
                reference=self.reference,
                where=self.where,
                feature=target,
            )
            self.detail.children = [shown]
            return shown
        rows, total = slice_rows(self._store, self.model, Slice.of(target), self.window, self.where)
        head = w.HTML(
            f"<b>{html.escape(target)}</b> in the window {html.escape(str(self.window))}: "
            f"{total:,} rows, the 20 with the largest error first"
        )
        table = Table()  # sorts the 20 rows shown; scrolls inside its box when wider
        table.show(rows)
        self.detail.children = [head, table]
        return rows

    # -- results ----------------------------------------------------------------------------

    @property
    def result(self) -> ChangeExplanation | None:
        """The explanation shown (None before both periods are picked)."""
        return self._result

    def data(self) -> pd.DataFrame:
        """The waterfall's table (waits for a computation under way)."""
        shown = self._when_fresh(
            lambda: self._result, "change explained", ": pick the reference and the window"
        )
        return shown.table

    @property
    def spec(self) -> ExplainChangeSpec:
        """The spec of the explanation shown (``dl.explain_change``)."""
        return ExplainChangeSpec(
            scope=Scope(self.model, window=self.window, reference=self.reference, where=self.where),
            metrics=self.metrics,
        )

    @property
    def state(self) -> dict[str, Any]:
        """The selection and view: the spec's scope, the metric and the opened bar."""
        return {**scope_state(self.spec.scope), "metrics": self.metrics, "opened": self.opened}

    def __repr__(self) -> str:
        return (
            f"<ChangeExplorer {self.model!r}, {self.metrics}, reference {self.reference}, "
            f"window {self.window}>"
        )


def _picked(period: Any) -> bool:
    """A period is picked when it has a bound (a panel's selection shares ``Window()``,
    everything, until someone brushes)."""
    return period is not None and (period.start is not None or period.end is not None)
