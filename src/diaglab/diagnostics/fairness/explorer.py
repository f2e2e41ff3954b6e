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

from diaglab import format as fmt
from diaglab.diagnostics.fairness.chart import (
    GROUP_PICK,
    MEASURE_TITLES,
    TITLES,
    disparity_time_chart,
    groups_chart,
)
from diaglab.diagnostics.fairness.over_time import FairnessOverTime
from diaglab.diagnostics.fairness.query import FairnessReport
from diaglab.diagnostics.fairness.spec import FairnessOverTimeSpec, FairnessSpec
from diaglab.errors import DiaglabWarning, InputError
from diaglab.explorers import _controls as ui
from diaglab.explorers._base import (
    Explorer,
    ScopedExplorer,
    all_of,
    prepare,
    resolve_model,
    scope_state,
)
from diaglab.explorers._checklist import CheckList
from diaglab.explorers._table import Table
from diaglab.explorers._windows import WindowTrait, describe_window
from diaglab.explorers.coordinator import Job
from diaglab.queries.filters import Slice
from diaglab.queries.window import Window
from diaglab.specs import Scope
from diaglab.stats.fairness import GROUP_METRICS

DEFAULT_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "precision")


def default_sensitive(schema: Any) -> list[str]:
    """The features logged as sensitive, else the first categorical one."""
    hashed = [f for f in schema.sensitive if f in schema.categorical]
    return hashed or schema.categorical[:1]


def _threshold(text: str) -> float | None:
    text = str(text).strip()
    try:
        return float(text) if text else None
    except ValueError:
        raise InputError(f"threshold is a number between 0 and 1, not {text!r}") from None


def _window_text(window: str) -> str:
    """A report's window as the status line reads it (``everything logged``, not ``[…, …)``)."""
    return describe_window(Window()) if window == str(Window()) else window


def _threshold_shown(threshold: float | None) -> str:
    return "" if threshold is None else f"{threshold:g}"


class FairnessExplorer(ScopedExplorer):
    """Group metrics with intervals and disparities of a binary model, over a window and time.

    Parameters
    ----------
    sensitive : list of str, optional
        Categorical features naming the groups (default: the features logged as sensitive, else
        the first categorical feature).
    metrics : list of str, optional
        Group metrics of ``dl.fairness`` (default: selection rate, TPR, FPR, precision).
    freq : str
        Window size of the disparities over time (default ``"1D"``).
    threshold : float, optional
        Decide at this score threshold (default: each version's registered one).
    {window}
    {where}

    Examples
    --------
    >>> ex = dl.FairnessExplorer(store, "credit", sensitive=["region"])  # doctest: +SKIP
    >>> ex.data()                                                          # doctest: +SKIP
    """

    explorer_name = "FairnessExplorer"
    refresh_on = ("sensitive", "metrics", "freq", "threshold", "where", "window")
    bindings = (
        ui.MODEL,
        ui.Binding("sensitive_picker", "sensitive", read=list, show=tuple),
        ui.METRICS,
        ui.FREQ,
        ui.Binding("threshold_text", "threshold", read=_threshold, show=_threshold_shown),
        ui.WINDOW,
        ui.WHERE,
    )
    selection_traits = {**ScopedExplorer.selection_traits, "slice": "selected_slice"}  # noqa: RUF012

    sensitive = traitlets.List(traitlets.Unicode())
    """The sensitive features (list of str, categorical)."""
    metrics = traitlets.List(traitlets.Unicode())
    """The group metrics shown (list of str)."""
    freq = traitlets.Unicode("1D")
    """Window size of the disparities over time (str)."""
    threshold = traitlets.Float(None, allow_none=True)
    """The decision threshold (float), or None for the registered ones."""
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
        where: str | Slice | None = None,
    ) -> None:
        model = prepare("FairnessExplorer", store, model, {})
        super().__init__(store)
        self._report: FairnessReport | None = None
        self._over_time: FairnessOverTime | None = None
        self._over_time_note = ""
        self._quiet = True
        self._build_widgets(store.models())
        self.client("groups", part="groups", views=(self.chart, self.disparity_table))
        self.client("over time", part="over_time", views=(self.time_chart,), rank=1)
        with self.building():
            self.model = model
            self.sensitive = list(sensitive or default_sensitive(store.schema(model)))
            self.metrics = list(metrics or DEFAULT_METRICS)
            self.freq = freq
            self.threshold = threshold
            self.window = Window.of(window)
            self.where = where
            self._sync_controls()
            self._quiet = False

    # -- widgets ----------------------------------------------------------------------------

    def _build_widgets(self, models: list[str]) -> None:
        self.model_picker = ui.model_picker(models)
        self.sensitive_picker = CheckList(description="groups by", layout=w.Layout(width="100%"))
        self.metric_picker = CheckList(
            options=[(TITLES[m], m) for m in GROUP_METRICS],
            description="metrics",
            layout=w.Layout(width="100%"),
        )
        self.freq_picker = ui.freq_picker()
        self.threshold_text = ui.text_box("threshold", "registered", width="190px")
        self.window_text = ui.text_box("window", ui.WINDOW_HINT)
        self.where_text = ui.text_box("slice", ui.SLICE_HINT, width="672px")
        self.run_button = ui.run_button()
        self.chart = ui.vega_chart("computing…", "diaglab-fairness-chart", actions=ui.CHART_ACTIONS)
        self.disparity_table = ui.styled(
            Table(
                sort=("difference", "desc"),
                empty="no disparity measure for these metrics",
                digits=3,
            ),
            "diaglab-fairness-table",
        )
        self.time_chart = ui.vega_chart(
            "computing…", "diaglab-fairness-time-chart", actions=ui.CHART_ACTIONS
        )
        self._wire("fairness")
        pickers = w.HBox(
            [self.model_picker, self.freq_picker, self.threshold_text, self.run_button],
            layout=w.Layout(flex_flow="row wrap"),
        )
        self._lay_out(
            [pickers, self.sensitive_picker, self.metric_picker, self.window_text, self.where_text],
            self.chart,
            self.disparity_table,
            self.time_chart,
        )
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
        known = self._store.schema(self.model).categorical
        return all_of("sensitive feature", proposal["value"], known)

    @traitlets.validate("metrics")
    def _valid_metrics(self, proposal: Any) -> list[str]:
        return all_of("fairness metric", proposal["value"], GROUP_METRICS)

    @traitlets.validate("threshold")
    def _valid_threshold(self, proposal: Any) -> float | None:
        value = proposal["value"]
        return None if value is None else Scope(threshold=value).threshold

    @traitlets.observe("model")
    def _model_changed(self, change: Any) -> None:
        schema = self._store.schema(change["new"])
        self.sensitive_picker.options = schema.categorical
        if not self._quiet:
            self.sensitive = default_sensitive(schema)

    # -- control callbacks (errors go under the widget) -------------------------------------

    @Explorer._guard
    def _on_group_pick(self, change: Any) -> None:
        row = ui.picked_row(change)
        if row is not None and self._report is not None:
            self.selected_slice = self._report.groups["slice"].iloc[row]

    # -- computing and rendering ------------------------------------------------------------

    def _groups_request(self) -> FairnessSpec:
        return self.spec

    def _over_time_request(self) -> FairnessOverTimeSpec:
        return self.over_time_spec

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
        self.disparity_table.show(disparity_rows(report.disparities), formats={"95% interval": str})

    def _show_over_time(self, result: tuple[FairnessOverTime | None, str]) -> None:
        self._over_time, self._over_time_note = result
        self._show_status()
        if self._over_time is not None:
            self.time_chart.chart = disparity_time_chart(
                self._over_time.table,
                title=f"disparities per {self._over_time.freq} window",
                subtitle="difference: the highest group's value minus the lowest's; "
                "green: alert band (baseline windows); red: alerts",
            )

    def _show_status(self) -> None:
        report, note = self._report, self._over_time_note
        if report is None:
            return
        groups = report.groups
        supported = int(groups["supported"].sum())
        self.status.value = (
            f"{len(groups)} groups of {html.escape(', '.join(report.sensitive))} in "
            f"{html.escape(_window_text(report.window))}; <b>{html.escape(report.threshold)}</b>; "
            "reference: "
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


def disparity_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The disparities as the explorer's table shows them: a person's words for each measure
    and verdict, the difference beside its interval, the full table in :meth:`data`."""
    if table.empty:
        return pd.DataFrame()
    records = table.to_dict(orient="records")
    return pd.DataFrame(
        {
            "groups by": table["sensitive"],
            "measure": [MEASURE_TITLES.get(m, m) for m in table["measure"]],
            "difference": table["difference"],
            "95% interval": [
                f"{fmt.number(r['difference_lower'])} to {fmt.number(r['difference_upper'])}"
                for r in records
            ],
            "ratio": table["ratio"],
            "highest": [fmt.label(g) for g in table["group_high"]],
            "lowest": [fmt.label(g) for g in table["group_low"]],
            "verdict": [verdict(r) for r in records],
        }
    )


def verdict(rec: dict[Any, Any]) -> str:
    """``within 0.1``, ``over 0.1`` or why it is unknown: the claim ``difference <= bound``."""
    bound = fmt.number(rec.get("max_difference"))
    within = rec.get("within")
    if within is None or within is pd.NA or within != within:
        return str(rec.get("reason") or "unknown")
    return f"within {bound}" if within else f"over {bound}"
