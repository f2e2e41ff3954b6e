"""``dl.FairnessExplorer``: a model's metrics per group of sensitive features, and disparities.

Layout: controls (model, sensitive features, metrics, window size, decision threshold, window,
slice filter, Run), a status line naming the threshold the numbers use, the groups × metrics chart
with intervals (clicking a group makes its rows the selected slice, which a panel passes to the
other explorers), the disparity table, and each disparity measure over time with its alert band.

Both results (``dl.fairness`` and ``dl.fairness_over_time``) are computed on a worker thread.
"""

from __future__ import annotations

import html
import warnings
from typing import Any

import ipywidgets as w
import pandas as pd
import traitlets

from diaglab.charts.fairness import GROUP_PICK, TITLES, disparity_time_chart, groups_chart
from diaglab.errors import DiaglabWarning, InputError, unknown
from diaglab.explorers._base import (
    Explorer,
    checked_where,
    enable_offline_charts,
    resolve_model,
    scope_state,
)
from diaglab.explorers._checklist import CheckList
from diaglab.explorers._controls import (
    CHART_ACTIONS,
    SLICE_HINT,
    WINDOW_HINT,
    freq_picker,
    run_button,
    text_box,
    vega_chart,
)
from diaglab.explorers._windows import WindowTrait, format_window, parse_window
from diaglab.explorers.coordinator import Job
from diaglab.queries.fairness import FairnessReport
from diaglab.queries.fairness_time import FairnessOverTime
from diaglab.queries.filters import Slice
from diaglab.queries.window import Window
from diaglab.specs import Scope
from diaglab.specs.catalog import FairnessOverTimeSpec, FairnessSpec
from diaglab.stats.fairness import GROUP_METRICS

DEFAULT_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "precision")
_TABLE_COLUMNS = ("sensitive", "measure", "difference", "ratio", "group_high", "group_low")


def default_sensitive(schema: Any) -> list[str]:
    """The features logged as sensitive, else the first categorical one."""
    hashed = [f for f in schema.sensitive if f in schema.categorical]
    return hashed or schema.categorical[:1]


class FairnessExplorer(Explorer):
    """Group metrics with intervals and disparities of a binary model, over a window and time.

    Parameters
    ----------
    store : diaglab.Store
    model : str, optional
        The model; may be omitted when the store holds only one.
    sensitive : list of str, optional
        Categorical features naming the groups (default: the features logged as sensitive, else
        the first categorical feature).
    metrics : list of str, optional
        Group metrics of ``dl.fairness`` (default: selection rate, TPR, FPR, precision).
    freq : str
        Window size of the disparities over time (default ``"1D"``).
    threshold : float, optional
        Decide at this score threshold (default: each version's registered one).
    window : dl.Window or (start, end), optional
    where : str or dl.Slice, optional

    Examples
    --------
    >>> ex = dl.FairnessExplorer(store, "credit", sensitive=["region"])  # doctest: +SKIP
    >>> ex.data()                                                          # doctest: +SKIP
    """

    explorer_name = "FairnessExplorer"
    selection_traits = {  # noqa: RUF012 - read-only class data (dl.link, dl.panel)
        "model": "model",
        "window": "window",
        "slice": "selected_slice",
    }

    model = traitlets.Unicode(help="The model explored (str).")
    """The model explored (str)."""
    sensitive = traitlets.List(traitlets.Unicode())
    """The sensitive features (list of str, categorical)."""
    metrics = traitlets.List(traitlets.Unicode())
    """The group metrics shown (list of str)."""
    freq = traitlets.Unicode("1D")
    """Window size of the disparities over time (str)."""
    threshold = traitlets.Float(None, allow_none=True)
    """The decision threshold (float), or None for the registered ones."""
    where = traitlets.Union(
        [traitlets.Unicode(), traitlets.Instance(Slice)], default_value=None, allow_none=True
    )
    """The rows: a filter string, a dl.Slice, or None."""
    window = WindowTrait(Window())
    """The window analysed (dl.Window; ``Window()`` is everything)."""
    selected_slice = traitlets.Instance(Slice, allow_none=True)
    """The group clicked last, as a dl.Slice of its rows (shared with a panel)."""

    def __init__(
        self,
        store: Any,
        model: str | None = None,
        *,
        sensitive: list[str] | None = None,
        metrics: list[str] | None = None,
        freq: str = "1D",
        threshold: float | None = None,
        window: Any = None,
        where: Any = None,
    ) -> None:
        model = resolve_model(store, model)
        enable_offline_charts()
        super().__init__(store)
        self._report: FairnessReport | None = None
        self._over_time: FairnessOverTime | None = None
        self._over_time_note = ""
        self._quiet = True
        self._build_widgets(store.models())
        self.client(
            "groups",
            request=lambda: self.spec,
            run=self._run_groups,
            show=self._show_groups,
            views=(self.chart, self.table_html),
        )
        self.client(
            "over time",
            request=lambda: self.over_time_spec,
            run=self._run_over_time,
            show=self._show_over_time,
            views=(self.time_chart,),
            rank=1,
        )
        try:
            self.model = model
            self.sensitive = list(sensitive or default_sensitive(store.schema(model)))
            self.metrics = list(metrics or DEFAULT_METRICS)
            self.freq = freq
            self.threshold = threshold
            self.window = Window.of(window)
            self.where = where
            self._sync_controls()
        except Exception:
            self.close()
            raise
        self._quiet = False
        self.start()

    # -- widgets ----------------------------------------------------------------------------

    def _build_widgets(self, models: list[str]) -> None:
        narrow = w.Layout(width="190px")
        self.model_picker = w.Dropdown(options=models, description="model", layout=narrow)
        self.sensitive_picker = CheckList(description="groups by", layout=w.Layout(width="100%"))
        self.metric_picker = CheckList(
            options=[(TITLES[m], m) for m in GROUP_METRICS],
            description="metrics",
            layout=w.Layout(width="100%"),
        )
        self.freq_picker = freq_picker()
        self.threshold_text = text_box("threshold", "registered", width="190px")
        self.window_text = text_box("window", WINDOW_HINT)
        self.where_text = text_box("slice", SLICE_HINT, width="672px")
        self.run_button = run_button()
        self.chart = vega_chart("computing…", "diaglab-fairness-chart", actions=CHART_ACTIONS)
        self.table_html = w.HTML("", layout=w.Layout(overflow="auto hidden", max_width="100%"))
        self.table_html.add_class("diaglab-fairness-table")
        self.time_chart = vega_chart(
            "computing…", "diaglab-fairness-time-chart", actions=CHART_ACTIONS
        )
        self._wire(
            "fairness",
            *("model_picker", "sensitive_picker", "metric_picker", "freq_picker"),
            *("threshold_text", "window_text", "where_text"),
        )
        controls = w.VBox(
            [
                w.HBox(
                    [self.model_picker, self.freq_picker, self.threshold_text, self.run_button],
                    layout=w.Layout(flex_flow="row wrap"),
                ),
                self.sensitive_picker,
                self.metric_picker,
                self.window_text,
                self.where_text,
            ]
        )
        status = w.HBox([self.progress, self.status], layout=w.Layout(align_items="center"))
        self.children = [
            controls,
            status,
            self.error_area,
            self.chart,
            self.table_html,
            self.time_chart,
        ]
        self.add_class("diaglab-fairness")

    # -- state ------------------------------------------------------------------------------

    @traitlets.validate("model")
    def _valid_model(self, proposal: Any) -> str:
        model = resolve_model(self._store, proposal["value"])
        task = self._store.schema(model).task
        if task not in (None, "binary"):
            raise InputError(f"fairness needs a binary model; {model!r} is {task}")
        return model

    @traitlets.validate("sensitive")
    def _valid_sensitive(self, proposal: Any) -> list[str]:
        value = list(dict.fromkeys(proposal["value"]))
        known = self._store.schema(self.model).categorical
        if not value:
            raise InputError(f"choose at least one sensitive feature among {', '.join(known)}")
        for f in value:
            if f not in known:
                raise unknown("sensitive feature", f, known)
        return value

    @traitlets.validate("metrics")
    def _valid_metrics(self, proposal: Any) -> list[str]:
        value = list(dict.fromkeys(proposal["value"]))
        if not value:
            raise InputError("choose at least one metric")
        for m in value:
            if m not in GROUP_METRICS:
                raise unknown("fairness metric", m, GROUP_METRICS)
        return value

    @traitlets.validate("threshold")
    def _valid_threshold(self, proposal: Any) -> float | None:
        value = proposal["value"]
        return None if value is None else Scope(threshold=value).threshold

    @traitlets.validate("where")
    def _valid_where(self, proposal: Any) -> str | Slice | None:
        return checked_where(self._store, self.model, proposal["value"])

    @traitlets.observe("model")
    def _model_changed(self, change: Any) -> None:
        schema = self._store.schema(change["new"])
        self.sensitive_picker.options = schema.categorical
        if not self._quiet:
            self.sensitive = default_sensitive(schema)

    @traitlets.observe("sensitive", "metrics", "freq", "threshold", "where", "window")
    def _selection_changed(self, change: Any) -> None:
        self._sync_controls()
        if not self._quiet:
            self.update()

    def _sync_controls(self) -> None:
        self.model_picker.value = self.model
        self.sensitive_picker.value = tuple(self.sensitive)
        self.metric_picker.value = tuple(self.metrics)
        self.freq_picker.value = self.freq
        self.threshold_text.value = "" if self.threshold is None else f"{self.threshold:g}"
        self.window_text.value = format_window(self.window)
        self.where_text.value = "" if self.where is None else str(self.where)

    # -- control callbacks (errors go under the widget) -------------------------------------

    @Explorer._guard
    def _on_model_picker(self, change: Any) -> None:
        self.model = change["new"]

    @Explorer._guard
    def _on_sensitive_picker(self, change: Any) -> None:
        if list(change["new"]) != self.sensitive:
            self.sensitive = list(change["new"])

    @Explorer._guard
    def _on_metric_picker(self, change: Any) -> None:
        if list(change["new"]) != self.metrics:
            self.metrics = list(change["new"])

    @Explorer._guard
    def _on_freq_picker(self, change: Any) -> None:
        self.freq = change["new"]

    @Explorer._guard
    def _on_threshold_text(self, change: Any) -> None:
        text = str(change["new"]).strip()
        try:
            value = float(text) if text else None
        except ValueError:
            raise InputError(f"threshold is a number between 0 and 1, not {text!r}") from None
        if value != self.threshold:
            self.threshold = value

    @Explorer._guard
    def _on_window_text(self, change: Any) -> None:
        self.window = parse_window(change["new"]) or Window()

    @Explorer._guard
    def _on_where_text(self, change: Any) -> None:
        if change["new"] != ("" if self.where is None else str(self.where)):
            self.where = change["new"] or None

    @Explorer._guard
    def _on_run(self, _button: Any = None) -> None:
        self._clear_error()
        self.update(force=True)

    @Explorer._guard
    def _on_group_pick(self, change: Any) -> None:
        value = change["new"].value
        if not value or self._report is None:
            return
        key = value[0].get("key") if isinstance(value, list) else None
        if key is not None:
            self.selected_slice = self._report.groups["slice"].iloc[int(key)]

    # -- computing and rendering ------------------------------------------------------------

    def _run_groups(self, job: Job) -> FairnessReport:
        job.step(f"groups of {', '.join(job.key.sensitive)}…")
        report: FairnessReport = job.key.run(self._store)
        return report

    def _run_over_time(self, job: Job) -> tuple[FairnessOverTime | None, str]:
        """The disparities per window, or None and why (too few windows, no labels)."""
        job.step(f"disparities per {job.key.freq} window…")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DiaglabWarning)
            try:
                timed: FairnessOverTime = job.key.run(self._store)
            except InputError as exc:
                return None, str(exc)
        return timed, "; ".join(str(c.message) for c in caught)

    def _show_groups(self, report: FairnessReport) -> None:
        self._report = report
        self._show_status()
        self.chart.chart = groups_chart(
            report.groups,
            self.metrics,
            title=f"{report.model}: metrics per group",
            subtitle=f"intervals 95%; ◆ reference group; {report.threshold}; click a group "
            "to select its rows",
        )
        if GROUP_PICK in self.chart.selections.trait_names():
            self.chart.selections.observe(self._on_group_pick, names=[GROUP_PICK])
        self.table_html.value = _disparity_html(report.disparities)

    def _show_over_time(self, result: tuple[FairnessOverTime | None, str]) -> None:
        self._over_time, self._over_time_note = result
        self._show_status()
        if self._over_time is not None:
            self.time_chart.chart = disparity_time_chart(
                self._over_time.table,
                title=f"disparities per {self._over_time.freq} window",
                subtitle="green: alert band (baseline windows); red: alerts",
            )

    def _show_status(self) -> None:
        report, note = self._report, self._over_time_note
        if report is None:
            return
        groups = report.groups
        supported = int(groups["supported"].sum())
        self.status.value = (
            f"{len(groups)} groups of {html.escape(', '.join(report.sensitive))} in "
            f"{html.escape(report.window)}; <b>{html.escape(report.threshold)}</b>; reference: "
            f"{html.escape(report.reference_rule)}; {supported} with at least "
            f"{report.min_support} rows"
            + ("; labels not arrived: selection rate only" if report.label_free else "")
            + (f"; over time: {html.escape(note)}" if note else "")
        )

    # -- results ----------------------------------------------------------------------------

    @property
    def result(self) -> FairnessReport | None:
        """The FairnessReport shown (None before the first result)."""
        return self._report

    @property
    def over_time(self) -> FairnessOverTime | None:
        """The FairnessOverTime shown (None before it is computed, or when it cannot be)."""
        return self._over_time

    def data(self) -> pd.DataFrame:
        """The disparities, the table of ``dl.fairness`` and of a captured finding's claim
        (waits for a computation under way); the groups' metrics are ``result.groups``."""
        return self._when_fresh(lambda: self._report, "fairness computed").disparities

    @property
    def spec(self) -> FairnessSpec:
        """The spec of what is shown (``dl.fairness``)."""
        return FairnessSpec(
            scope=Scope(self.model, window=self.window, where=self.where, threshold=self.threshold),
            sensitive=tuple(self.sensitive),
            metrics=tuple(self.metrics),
        )

    @property
    def over_time_spec(self) -> FairnessOverTimeSpec:
        """The spec of the disparities over time (``dl.fairness_over_time``)."""
        return FairnessOverTimeSpec(
            scope=self.spec.scope,
            sensitive=tuple(self.sensitive),
            metrics=tuple(self.metrics),
            freq=self.freq,
        )

    @property
    def state(self) -> dict[str, Any]:
        """The spec's scope, the sensitive features, metrics and window size."""
        return {
            **scope_state(self.spec.scope),
            "sensitive": list(self.sensitive),
            "metrics": list(self.metrics),
            "freq": self.freq,
        }

    def __repr__(self) -> str:
        return (
            f"<FairnessExplorer {self.model!r}, groups by {self.sensitive}, window {self.window}>"
        )


def _disparity_html(table: pd.DataFrame) -> str:
    if table.empty:
        return "<i>no disparity measure for these metrics</i>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in (*_TABLE_COLUMNS, "claim", "within"))
    rows = []
    for r in table.to_dict(orient="records"):
        cells = []
        for c in (*_TABLE_COLUMNS, "claim", "within"):
            v = r.get(c)
            if isinstance(v, float):
                text = "n/a" if v != v else f"{v:.3f}"
                if c == "difference" and v == v:
                    text += f" [{r['difference_lower']:.3f}, {r['difference_upper']:.3f}]"
            else:
                text = "–" if v is None else str(v)
            cells.append(f"<td>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        "<table style='font-size:12px;border-collapse:collapse'><thead><tr>"
        + head
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
