"""``dl.DriftExplorer``: which inputs and outputs drifted, since when, how much — in one widget.

Layout: controls (model, version, current and reference windows, a slice filter, the window size,
Run), a status line with a progress bar, the drift table sorted by severity (one clickable row per
feature, plus the prediction and the label) with a sparkline of the statistic over time, and one
chart of the selected row: reference vs current distribution, the statistic per window with its
alert band, and the missing rate. Dragging across the over-time chart picks the current window.

Two results are computed (on a worker thread) and cached: the :class:`DriftReport` of the current
window and the :class:`DriftOverTime` of the whole log. Selecting a row reads only the cache; a new
current window recomputes only the report.
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

import altair as alt
import ipywidgets as w
import pandas as pd
import traitlets

from diaglab import format as fmt
from diaglab.diagnostics.drift.chart import (
    BRUSH,
    detail_chart,
    effect_label,
    sparkline_svg,
)
from diaglab.diagnostics.drift.explorer_table import (
    DEFAULT_SORT,
    ROLE_TAG,
    SEVERITY_RANK,
    feature_summary,
    next_sort,
    row_cells,
    sort_features,
    sort_header,
    where_text,
)
from diaglab.diagnostics.drift.over_time import DriftOverTime
from diaglab.diagnostics.drift.query import DriftReport
from diaglab.diagnostics.drift.spec import DriftOverTimeSpec, DriftSpec
from diaglab.errors import unknown
from diaglab.explorers import _controls as ui
from diaglab.explorers._base import (
    Explorer,
    ScopedExplorer,
    prepare,
    scope_state,
)
from diaglab.explorers._windows import (
    OptionalWindowTrait,
    WindowTrait,
    brushed_window,
    describe_window,
)
from diaglab.explorers.coordinator import Job
from diaglab.queries.filters import Slice
from diaglab.queries.scope import threshold_text
from diaglab.queries.window import Window
from diaglab.specs import Scope
from diaglab.stats.drift import RULE, drift_summary

STATISTIC = "psi"


class DriftExplorer(ScopedExplorer):
    """Drift of a model's inputs, prediction and label, with the distributions behind it.

    Parameters
    ----------
    {window}
    {reference}
    {where}
        It applies to both sides.
    {version}
    freq : str
        Window size of the statistic over time: ``"1h"``, ``"6h"``, ``"1D"`` (default), ``"7D"``.
    feature : str, optional
        The row shown first; default: the most severe.

    Examples
    --------
    >>> window = ("2026-02-10", "2026-03-02")
    >>> ex = dl.DriftExplorer(store, "credit", window=window)  # doctest: +SKIP
    >>> ex  # the widget, in a notebook                                     # doctest: +SKIP
    >>> ex.feature = "income"  # select a row from Python                   # doctest: +SKIP
    >>> ex.data().head()  # the drift table                                 # doctest: +SKIP
    """

    explorer_name = "DriftExplorer"
    refresh_on = ("version", "reference", "where", "freq", "window")
    bindings = (ui.MODEL, ui.VERSION, ui.FREQ, ui.WINDOW, ui.REFERENCE, ui.WHERE)
    selection_traits = {  # noqa: RUF012 - read-only class data
        **ScopedExplorer.selection_traits,
        "version": "version",
        "reference": "reference",
    }

    version = traitlets.Unicode(None, allow_none=True)
    """Only this model version's predictions (str), or None for all versions."""
    feature = traitlets.Unicode(None, allow_none=True)
    """The row shown in the chart (str): a feature, ``"prediction"`` or ``"label"``."""
    window = WindowTrait(Window())
    """The period judged (dl.Window; ``Window()`` is everything). Accepts (start, end)."""
    reference = OptionalWindowTrait(None, allow_none=True)
    """A production reference window (dl.Window), or None for the registered reference."""
    freq = traitlets.Unicode("1D")
    """Window size of the statistic over time (str), one of ``FREQS``."""

    def __init__(
        self,
        store: Any,
        model: str | None = None,
        *,
        window: Any = None,
        reference: Any = None,
        where: str | Slice | None = None,
        version: str | None = None,
        freq: str = "1D",
        feature: str | None = None,
        **renamed: Any,
    ) -> None:
        model = prepare("DriftExplorer", store, model, renamed)
        super().__init__(store)
        self._report: DriftReport | None = None
        self._over_time: DriftOverTime | None = None
        self._over_time_key: DriftOverTimeSpec | None = None
        self._details: dict[str, Any] = {}
        self._rows: dict[str, tuple[w.HBox, w.Button, w.HTML]] = {}
        self._wanted_feature = feature
        self._build_widgets(store.models())
        with self.building():
            self.model = model
            self.version = version
            self.freq = freq
            self.window = Window.of(window)
            self.reference = None if reference is None else Window.of(reference)
            self.where = where
            self._sync_controls()
            selected = (self.window_label, self.feature_label, self.chart)
            self._row_client = self.client(
                "selected feature", part="row", views=selected, preview=True
            )
            self.client("drift", part="table", views=(self.table,), rank=1)

    # -- widgets ----------------------------------------------------------------------------

    def _build_widgets(self, models: list[str]) -> None:
        self.model_picker = ui.model_picker(models)
        self.version_picker = w.Dropdown(
            options=[("all versions", "")], description="version", layout=w.Layout(width=ui.NARROW)
        )
        self.freq_picker = ui.freq_picker()
        self.window_text = ui.text_box("window", ui.WINDOW_HINT)
        self.reference_text = ui.text_box("reference", "registered reference, or start .. end")
        self.where_text = ui.text_box("slice", ui.SLICE_HINT, width="672px")
        self.run_button = ui.run_button()
        self.window_label = ui.styled(w.HTML(""), "diaglab-drift-window")
        # the table scrolls inside its own box when the cell is narrower than its columns
        self.table = w.VBox(
            layout=w.Layout(max_width="100%", overflow="auto hidden", margin="0 12px 0 0")
        )
        self.table.add_class("diaglab-drift-table")
        self.table_sort: tuple[str, str] = DEFAULT_SORT  # a header click changes it
        self.feature_label = ui.styled(w.HTML(""), "diaglab-drift-feature")
        self.chart = ui.vega_chart(
            "computing…", "diaglab-drift-chart", brush=True, actions=ui.CHART_ACTIONS
        )
        self._wire("drift")
        detail = w.VBox(  # beside the table when there is room, else under it, at any width
            [self.feature_label, self.chart],
            layout=w.Layout(flex="1 1 520px", min_width="0", max_width="100%"),
        )
        self._lay_out(
            [
                w.HBox([self.model_picker, self.version_picker, self.freq_picker, self.run_button]),
                w.HBox([self.window_text, self.reference_text]),
                self.where_text,
            ],
            self.window_label,
            w.HBox(
                [self.table, detail],
                layout=w.Layout(flex_flow="row wrap", align_items="flex-start"),
            ),
        )
        self.add_class("diaglab-drift")

    # -- state ------------------------------------------------------------------------------

    @traitlets.validate("version")
    def _valid_version(self, proposal: Any) -> str | None:
        value = proposal["value"] or None
        versions = list(self._store.schema(self.model).versions)
        if value is not None and value not in versions:
            raise unknown(f"version of model {self.model!r}:", value, versions)
        return value

    @traitlets.observe("model")
    def _model_changed(self, change: Any) -> None:
        with self.batch():
            versions = list(self._store.schema(change["new"]).versions)
            self.version_picker.options = [("all versions", "")] + [(v, v) for v in versions]
            self.model_picker.value = change["new"]
            self.version = None
            self.feature = None
            self.update()

    @traitlets.observe("feature")
    def _feature_changed(self, change: Any) -> None:
        with self._lock:  # not while the worker swaps in a new result
            if change["new"] is not None and self._report is not None:
                self._show_feature()
                if self._report.spec == self.spec:  # drawn from the table's current report
                    self.coordinator.settle(self._row_client, self._row_request())
        self.update()  # the selected feature's view follows the row picked

    @traitlets.validate("feature")
    def _valid_feature(self, proposal: Any) -> str | None:
        value = proposal["value"]
        if value is not None and self._report is not None:
            known = list(self._report.table["feature"])
            if value not in known:
                raise unknown("feature", value, known)
        return value

    # -- control callbacks (errors go under the widget) -------------------------------------

    @Explorer._guard
    def _on_brush(self, change: Any) -> None:
        brushed = brushed_window(change["new"].value, self.freq)
        if brushed is not None:
            self.window = brushed

    # -- computing --------------------------------------------------------------------------

    def _row_request(self) -> DriftSpec | None:
        """The selected row's drift alone (one input column; for the prediction or the label
        row, those two): a cheap query, so that the chart shows a new window before the table.
        A row picked while the table is of the current scope is drawn from the table's report
        (``_feature_changed``): nothing runs. None until the table has picked a row. The
        statistic over time is the table's."""
        name = self.feature
        if not self.model or name is None:
            return None
        inputs = self._store.schema(self.model).features
        return replace(self.spec, features=(name,) if name in inputs else ())

    def _run_row(self, job: Job) -> DriftReport:
        spec, report = job.key, self._report
        if job.force or report is None or report.spec != replace(spec, features=None):
            job.step(f"{self.feature} in {spec.scope.window}…")
            report = spec.run(self._store)
        return report

    def _table_request(self) -> tuple[DriftSpec, DriftOverTimeSpec] | None:
        return (self.spec, self.over_time_spec) if self.model else None

    def _run_table(self, job: Job) -> tuple[DriftReport, DriftOverTime]:
        """The report of the window; the statistic over time only when its spec changed (a new
        window reuses it)."""
        spec, series_spec = job.key
        job.step(f"comparing {spec.scope.window} with the reference…")
        report = spec.run(self._store)
        series = self._over_time
        if job.force or series is None or self._over_time_key != series_spec:
            job.step(f"{effect_label(STATISTIC)} per {series_spec.freq} window…")
            series = series_spec.run(self._store)
        return report, series

    def _show_table(self, result: tuple[DriftReport, DriftOverTime]) -> None:
        self._report, self._over_time = result
        self._over_time_key = self.over_time_spec
        self._render()
        if self._report.spec == self.spec and self.feature is not None:
            self.coordinator.settle(self._row_client, self._row_request())

    def _show_row(self, report: DriftReport) -> None:
        self._show_window_line(report)
        self._show_feature(report)

    def _show_window_line(self, report: DriftReport) -> None:
        cut = threshold_text(self._store.schema(report.model), None, report.version)
        self.window_label.value = _window_line(report, cut)

    # -- rendering (from the cache only) ----------------------------------------------------

    def _render(self) -> None:
        report = self._report
        assert report is not None
        self._details = {}
        table = self._sorted(report.table)
        self._render_table(table)
        outputs = "; ".join(
            f"{r.feature}: {r.severity}" for r in table.itertuples() if r.role != "feature"
        )
        self.status.value = html.escape(
            f"{drift_summary(table[table['role'] == 'feature'])}; {outputs}"
        ) + (
            f" <span title='{html.escape(RULE)}' "
            "style='cursor:help;text-decoration:underline dotted'>(rule)</span>"
        )
        self._show_window_line(report)
        known = table["feature"].tolist()
        wanted = self._wanted_feature if self._wanted_feature in known else self.feature
        self._wanted_feature = None
        choice = wanted if wanted in known else (known[0] if known else None)
        if choice == self.feature:
            self._show_feature()
        else:
            self.feature = choice

    @staticmethod
    def _sorted(table: pd.DataFrame) -> pd.DataFrame:
        rank = table["severity"].map(SEVERITY_RANK).fillna(0)
        effect = pd.to_numeric(table["effect"], errors="coerce").fillna(-1.0)
        order = (
            pd.DataFrame({"rank": rank, "effect": effect})
            .sort_values(["rank", "effect"], ascending=False, kind="stable")
            .index
        )
        return table.loc[order].reset_index(drop=True)

    def _render_table(self, table: pd.DataFrame) -> None:
        series = self._over_time
        sort = self.table_sort
        table = sort_features(table, *sort)
        rows: list[w.Widget] = [sort_header(sort, self._sort_table)]
        for rec in table.to_dict(orient="records"):
            name = str(rec["feature"])
            if name not in self._rows:
                button = w.Button(
                    description=name, tooltip=name, layout=w.Layout(width="160px", height="26px")
                )
                button.on_click(lambda _b, name=name: self._select(name))
                cells = w.HTML()
                row = w.HBox(
                    [button, cells],
                    layout=w.Layout(align_items="center", min_width="max-content"),
                )
                row.add_class("diaglab-drift-row")
                self._rows[name] = (row, button, cells)
            row, button, cells = self._rows[name]
            spark = ""
            if series is not None and name in series.bands:
                s = series.feature(name)
                spark = sparkline_svg(s["value"], high=series.bands[name][1], alerts=s["alert"])
            cells.value = row_cells(rec, spark)
            rows.append(row)
        self.table.children = rows

    @Explorer._guard
    def _sort_table(self, column: str) -> None:
        """A header click: the rows re-drawn in that column's order (no query runs)."""
        self.table_sort = next_sort(self.table_sort, column)
        if self._report is not None:
            self._render_table(self._report.table)

    @Explorer._guard
    def _select(self, name: str) -> None:
        self.feature = name

    def _show_feature(self, report: DriftReport | None = None) -> None:
        """Draw the selected row's chart from ``report`` (default: the table's): no query runs
        here."""
        full = report is None or report is self._report
        report, name = report or self._report, self.feature
        if report is None or name is None or name not in set(report.table["feature"]):
            return
        for other, (row, button, _) in self._rows.items():
            selected = other == name
            button.button_style = "info" if selected else ""
            if selected:
                row.add_class("diaglab-selected")
            else:
                row.remove_class("diaglab-selected")
        rec = report.table[report.table["feature"] == name].iloc[0].to_dict()
        self.feature_label.value = feature_summary(rec)
        if not full:
            self.chart.chart = self._detail(report, name, rec)
        else:
            if name not in self._details:
                self._details[name] = self._detail(report, name, rec)
            self.chart.chart = self._details[name]
        if BRUSH in self.chart.selections.trait_names():
            # JupyterChart makes a new ``selections`` object for every chart.
            self.chart.selections.observe(self._on_brush, names=[BRUSH])

    def _detail(self, report: DriftReport, name: str, rec: dict[Any, Any]) -> alt.TopLevelMixin:
        dist = report.distributions.get(name)
        series = band = None
        current = self._over_time_key == self.over_time_spec  # not while freq is changing
        if current and self._over_time is not None and name in self._over_time.bands:
            series = self._over_time.feature(name)
            band = self._over_time.bands[name]
        severity = str(rec["severity"])
        verdict = "no drift" if severity == "none" else f"{severity} drift"
        role = ROLE_TAG.get(str(rec["role"]), "")
        title = f"{name}: {verdict}" + (f" ({role})" if role else "")
        subtitle = (
            f"{effect_label(str(rec['effect_statistic']))} {fmt.number(rec['effect'])}, "
            f"current {describe_window(report.window)} vs {report.reference}"
        )
        bounds = (self.window.start, self.window.end)
        return detail_chart(
            dist, series, band, title=title, subtitle=subtitle, statistic=STATISTIC, current=bounds
        )

    def __repr__(self) -> str:
        return (
            f"<DriftExplorer {self.model!r}, window {self.window}, feature {self.feature!r}"
            + (f", where {where_text(self.where)!r}" if self.where else "")
            + ">"
        )

    # -- results ----------------------------------------------------------------------------

    @property
    def report(self) -> DriftReport | None:
        """The cached DriftReport of the current state (None before the first result)."""
        return self._report

    @property
    def over_time(self) -> DriftOverTime | None:
        """The cached DriftOverTime of the current state (None before the first result)."""
        return self._over_time

    def data(self) -> pd.DataFrame:
        """The drift table of the current state (waits for a computation under way)."""
        return self._when_fresh(lambda: self._report, "drift computed").table.copy()

    @property
    def spec(self) -> DriftSpec:
        """The spec of the drift table shown (``dl.drift``)."""
        return DriftSpec(scope=self._scope())

    @property
    def over_time_spec(self) -> DriftOverTimeSpec:
        """The spec of the statistic over time behind the charts (``dl.drift_over_time``)."""
        scope = replace(self._scope(), window=None)
        return DriftOverTimeSpec(scope=scope, freq=self.freq, statistic=STATISTIC)

    def _scope(self) -> Scope:
        return Scope(
            self.model,
            version=self.version,
            window=self.window,
            reference=self.reference,
            where=self.where,
        )

    @property
    def state(self) -> dict[str, Any]:
        """The selection and view: the spec's scope, the row shown and ``freq``."""
        return {**scope_state(self.spec.scope), "feature": self.feature, "freq": self.freq}


def _window_line(report: DriftReport, cut: str | None) -> str:
    """The line naming what the report compares: its window and how many predictions, the
    reference, the slice, the version and the threshold deciding the prediction row."""
    n_cur = int(report.table["n_current"].max()) if len(report.table) else 0
    return (
        f"current window <b>{html.escape(describe_window(report.window))}</b> "
        f"({n_cur:,} predictions) vs <b>{html.escape(report.reference)}</b>"
        + (f", slice <code>{html.escape(report.where)}</code>" if report.where else "")
        + (f", version {html.escape(report.version)}" if report.version else "")
        + (f"; decision at <b>{html.escape(cut)}</b>" if cut else "")
    )
