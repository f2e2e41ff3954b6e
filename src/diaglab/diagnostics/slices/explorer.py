"""``dl.SliceExplorer``: where the model is worst, which slices the search found, and their rows.

Layout: controls (metric, one or two group-by features, window, filter, Run), a status line with a
progress bar, the chart of the metric per slice (bars with intervals and counts; a heatmap for two
features; one ``JupyterChart``), the slices ``find_slices`` reported with why, and the rows of the
selected slice, worst first, 20 per page, fetched page by page from the engine.

Selecting a slice (a bar, a heatmap cell or a reported slice) sets :attr:`SliceExplorer.
selected_slice`, the ``dl.Slice`` later panels link to.
"""

from __future__ import annotations

import html
import math
from typing import Any

import ipywidgets as w
import pandas as pd
import traitlets

from diaglab import format as fmt
from diaglab.diagnostics.slices.chart import PICK, slice_chart
from diaglab.diagnostics.slices.found import FoundSlices, misses_text
from diaglab.diagnostics.slices.query import DEFAULT_METRICS, SliceMetrics
from diaglab.diagnostics.slices.rows import PAGE_SIZE, slice_rows
from diaglab.diagnostics.slices.search import SEARCH_METRICS
from diaglab.diagnostics.slices.spec import FindSlicesSpec, SliceMetricsSpec
from diaglab.errors import InputError, unknown
from diaglab.explorers._base import Explorer, checked_where, enable_offline_charts, scope_state
from diaglab.explorers._controls import (
    WINDOW_HINT,
    picked_row,
    run_button,
    text_box,
    vega_chart,
)
from diaglab.explorers._table import Table, is_numeric
from diaglab.explorers._windows import WindowTrait, format_window, parse_window
from diaglab.explorers.coordinator import Job
from diaglab.queries.filters import Slice
from diaglab.queries.window import Window
from diaglab.specs import Scope
from diaglab.stats.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS, Direction
from diaglab.store.schema import columns_for

_NONE = "(none)"
ROW_ORDER = ("error", "desc")  # the engine's own order of a slice's rows: worst first


class SliceExplorer(Explorer):
    """Model quality per slice, the worst slices found automatically, and their rows.

    Parameters
    ----------
    store : diaglab.Store
    model : str
    metric : str
        The metric charted and ranked by (default ``"error"``; ``"mae"`` for regression).
    by : str or list of up to two str, optional
        Group-by features of the chart (default: the first categorical feature).
    window : dl.Window or (start, end), optional
    where : str or dl.Slice, optional

    Examples
    --------
    >>> ex = dl.SliceExplorer(store, "credit", by=["region"])  # doctest: +SKIP
    >>> ex.wait().found.head()                                  # doctest: +SKIP
    >>> ex.select(0); ex.selected_slice                         # doctest: +SKIP
    """

    explorer_name = "SliceExplorer"
    selection_traits = {  # noqa: RUF012 - read-only class data
        "window": "window",
        "slice": "selected_slice",
        "prediction_id": "prediction_id",
    }

    model = traitlets.Unicode(help="The model explored (str).")
    metric = traitlets.Unicode("error")
    """The metric charted (str); find_slices ranks by it when it can, else by ``error``."""
    by = traitlets.List(traitlets.Unicode(), minlen=1, maxlen=2)
    """The one or two group-by features of the chart (list of str)."""
    window = WindowTrait(Window())
    """The time window (dl.Window; ``Window()`` is everything). Accepts (start, end)."""
    where = traitlets.Unicode(None, allow_none=True)
    """A filter (str) applied to everything shown, or None."""
    selected_slice = traitlets.Instance(Slice, allow_none=True)
    """The selected slice (dl.Slice), or None: what a panel links to the other explorers."""
    page = traitlets.Int(0)
    """The page of the selected slice's rows shown (int, from 0)."""
    row_columns = traitlets.List(traitlets.Unicode())
    """Features shown in the rows table besides the selected slice's own (list of str)."""
    row_sort = traitlets.List(
        traitlets.Unicode(), default_value=list(ROW_ORDER), minlen=2, maxlen=2
    )
    """The rows' order, ``[column, "asc" | "desc"]``: the engine sorts (``ORDER BY``), then
    pages; a click on a column header of the rows table sets it."""
    prediction_id = traitlets.Unicode(None, allow_none=True)
    """The prediction picked from the rows shown (str), or None: a panel opens it in the
    inspector."""

    def __init__(
        self,
        store: Any,
        model: str,
        *,
        metric: str = "error",
        by: str | list[str] | None = None,
        window: Any = None,
        where: Any = None,
    ) -> None:
        schema = store.schema(model)
        enable_offline_charts()  # no CDN: notebooks work offline (~2 s once)
        super().__init__(store)
        self._schema = schema
        self._task = schema.task or "binary"
        if self._task == "regression" and metric == "error":
            metric = "mae"
        self._table: pd.DataFrame | None = None
        self._found: pd.DataFrame | None = None
        self._metrics: SliceMetrics | None = None
        self._search: FoundSlices | None = None
        self._rows: pd.DataFrame | None = None
        self._total_rows = 0
        self._ready = False
        features = list(schema.features)
        if by is None:
            by = (schema.categorical or features)[:1]
        by_list = [by] if isinstance(by, str) else list(by)
        for f in by_list:
            if f not in schema.features:
                raise unknown("feature", f, features)
        self._build_widgets(features)
        self.model = model
        self.metric = metric
        self.by = by_list
        self.window = Window.of(window)
        self.where = None if where is None else str(where)
        self._ready = True
        self._sync_controls()
        self.client(
            "rows",
            request=self._rows_request,
            run=self._run_rows,
            show=lambda found: self._show_rows(*found),
            clear=self._clear_rows,
            views=(self.selected_label, self.rows_html, self.page_label, self.row_picker),
        )
        self.client(
            "chart",
            request=lambda: self.spec,
            run=lambda job: job.key.run(self._store),
            show=self._show_table,
            views=(self.chart,),
            rank=1,
        )
        self.client(
            "found slices",
            request=lambda: self.find_spec,
            run=self._run_found,
            show=self._show_found,
            views=(self.found_box,),
            rank=2,
        )
        self.start()

    # -- widgets ----------------------------------------------------------------------------

    def _build_widgets(self, features: list[str]) -> None:
        metrics = list(DEFAULT_METRICS[self._task])
        if self._task == "regression":
            metrics = ["mae", *[m for m in metrics if m != "mae"]]
        style = {"description_width": "60px"}
        self.metric_picker = w.Dropdown(options=metrics, description="metric", style=style)
        self.by_picker = w.Dropdown(options=features, description="by", style=style)
        self.by2_picker = w.Dropdown(options=[_NONE, *features], description="and", style=style)
        self.window_text = text_box("window", WINDOW_HINT, label_width="60px")
        self.where_text = text_box("filter", "e.g. channel = 'web'", label_width="60px")
        self.run_button = run_button()
        self.chart = vega_chart("computing…", "diaglab-slices-chart")
        self.found_box = w.VBox()
        self.found_box.add_class("diaglab-slices-table")
        self.selected_label = w.HTML("")
        self.selected_label.add_class("diaglab-slices-selected")
        self.rows_html = Table(
            sort=ROW_ORDER, local=False, row_class="diaglab-slices-row", empty=""
        )
        self.rows_html.add_class("diaglab-slices-rows")
        self.rows_html.observe(self._on_row_sort, names="sort")
        self.column_picker = w.TagsInput(
            allowed_tags=features, allow_duplicates=False, layout=w.Layout(flex="1 1 auto")
        )
        self.column_picker.add_class("diaglab-slices-columns")
        self.column_picker.observe(self._on_row_columns, names="value")
        # in a narrow box the why column (which says them) stands for labelled, overall, p
        self.found_table = Table(
            sort=("score", "desc"),
            row_class="diaglab-slices-found",
            wrap=("slice", "why"),
            secondary=("labelled", "overall", "p (adj.)", "score"),
        )
        self.found_table.observe(self._on_found_pick, names="picks")
        self.prev_button = w.Button(description="◀ prev", layout=w.Layout(width="80px"))
        self.next_button = w.Button(description="next ▶", layout=w.Layout(width="80px"))
        self.page_label = w.HTML("")
        self.page_label.add_class("diaglab-slices-page")
        self.row_picker = w.Dropdown(
            options=[("open a prediction…", "")], layout=w.Layout(width="360px")
        )
        self.row_picker.add_class("diaglab-slices-row-picker")
        self.row_picker.observe(self._on_row_pick, names="value")
        for ctrl, handler in (
            (self.metric_picker, self._on_metric),
            (self.by_picker, self._on_by),
            (self.by2_picker, self._on_by),
            (self.window_text, self._on_window_text),
            (self.where_text, self._on_where_text),
        ):
            ctrl.observe(handler, names="value")
        self.run_button.on_click(self._on_run)
        self.prev_button.on_click(lambda _b: self._turn(-1))
        self.next_button.on_click(lambda _b: self._turn(+1))
        controls = w.VBox(
            [
                w.HBox([self.metric_picker, self.by_picker, self.by2_picker, self.run_button]),
                w.HBox([self.window_text, self.where_text]),
            ]
        )
        status = w.HBox(
            [self.progress, self.updating, self.status], layout=w.Layout(align_items="center")
        )
        self.found_title = w.HTML("<b>slices found</b> (worst first)")
        found = w.VBox([self.found_title, self.found_box])
        pager = w.HBox([self.prev_button, self.page_label, self.next_button, self.row_picker])
        columns = w.HBox(
            [w.HTML("rows also show&nbsp;", layout=w.Layout(flex="0 0 auto")), self.column_picker],
            layout=w.Layout(align_items="center"),
        )
        rows = w.VBox([self.selected_label, pager, columns, self.rows_html])
        self.children = [controls, status, self.error_area, self.chart, found, rows]
        self.add_class("diaglab-slices")

    def _sync_controls(self) -> None:
        self._ready = False
        try:
            if self.metric in self.metric_picker.options:
                self.metric_picker.value = self.metric
            self.by_picker.value = self.by[0]
            self.by2_picker.value = self.by[1] if len(self.by) > 1 else _NONE
            self.window_text.value = format_window(self.window)
            self.where_text.value = self.where or ""
            self.column_picker.value = list(self.row_columns)
            self.rows_html.sort = list(self.row_sort)
        finally:
            self._ready = True

    # -- state ------------------------------------------------------------------------------

    @traitlets.validate("metric")
    def _valid_metric(self, proposal: Any) -> str:
        registry = REGRESSION_METRICS if self._task == "regression" else CLASSIFICATION_METRICS
        if proposal["value"] not in registry:
            raise unknown("metric", proposal["value"], list(registry))
        return str(proposal["value"])

    @traitlets.validate("by")
    def _valid_by(self, proposal: Any) -> list[str]:
        value = list(proposal["value"])
        for f in value:
            if f not in self._schema.features:
                raise unknown("feature", f, list(self._schema.features))
        if len(set(value)) != len(value):
            raise InputError(f"group by two different features, got {value}")
        return value

    @traitlets.validate("where")
    def _valid_where(self, proposal: Any) -> str | None:
        value = checked_where(self._store, self.model or self._schema.model, proposal["value"])
        return value.expression if isinstance(value, Slice) else value

    @traitlets.validate("row_columns")
    def _valid_row_columns(self, proposal: Any) -> list[str]:
        for f in proposal["value"]:
            if f not in self._schema.features:
                raise unknown("feature", f, list(self._schema.features))
        return list(dict.fromkeys(proposal["value"]))

    @traitlets.observe(
        "metric", "by", "window", "where", "selected_slice", "page", "row_columns", "row_sort"
    )
    def _selection_changed(self, change: Any) -> None:
        resets = ("window", "where", "selected_slice", "row_sort")
        if change["name"] in resets and self.page != 0:
            self.page = 0  # other rows: from their first page
        if self._ready:
            self._sync_controls()
            self.update()

    # -- callbacks --------------------------------------------------------------------------

    @Explorer._guard
    def _on_metric(self, change: Any) -> None:
        if self._ready:
            self.metric = change["new"]

    @Explorer._guard
    def _on_by(self, change: Any) -> None:
        if self._ready:
            second = self.by2_picker.value
            self.by = [self.by_picker.value] + ([second] if second != _NONE else [])

    @Explorer._guard
    def _on_window_text(self, change: Any) -> None:
        if self._ready:
            self.window = parse_window(change["new"]) or Window()

    @Explorer._guard
    def _on_where_text(self, change: Any) -> None:
        if self._ready:
            self.where = change["new"] or None

    @Explorer._guard
    def _on_run(self, _button: Any = None) -> None:
        self.update(force=True)

    @Explorer._guard
    def _on_pick(self, change: Any) -> None:
        row = picked_row(change)
        if row is not None and self._table is not None:
            self.selected_slice = self._table["slice"].iloc[row]

    @Explorer._guard
    def _on_row_pick(self, change: Any) -> None:
        if change["new"]:
            self.prediction_id = change["new"]

    @Explorer._guard
    def _on_row_columns(self, change: Any) -> None:
        if self._ready:
            self.row_columns = list(change["new"])

    @Explorer._guard
    def _on_row_sort(self, change: Any) -> None:
        if self._ready:
            self.row_sort = list(change["new"])

    @Explorer._guard
    def _on_found_pick(self, change: Any) -> None:
        self.select(int(self.found_table.picked))

    @Explorer._guard
    def _turn(self, step: int) -> None:
        pages = max(1, math.ceil(self._total_rows / PAGE_SIZE))
        self.page = min(max(0, self.page + step), pages - 1)

    def select(self, index: int) -> Slice:
        """Select the ``index``-th reported slice (as a click on it does); returns it."""
        if self._found is None or not 0 <= index < len(self._found):
            raise InputError(f"no reported slice number {index}")
        self.selected_slice = self._found["slice"].iloc[index]
        return self.selected_slice

    # -- computing --------------------------------------------------------------------------

    def _search_metric(self) -> str:
        allowed = SEARCH_METRICS[self._task]
        return self.metric if self.metric in allowed else "error"

    def _run_found(self, job: Job) -> FoundSlices:
        job.step(f"searching for the slices with the worst {job.key.metrics}…")
        search: FoundSlices = job.key.run(self._store)
        return search

    def _show_table(self, metrics: SliceMetrics) -> None:
        self._metrics, self._table = metrics, metrics.table
        table = metrics.table
        registry = REGRESSION_METRICS if self._task == "regression" else CLASSIFICATION_METRICS
        lower = registry[self.metric].direction == Direction.LOWER_IS_BETTER
        by = columns_for(self.by, table.columns)  # the feature "error" is "feature:error"
        footnote = metrics.footnotes.get(self.metric)
        self.chart.chart = slice_chart(
            table, self.metric, by, lower_is_better=lower, footnote=footnote
        )
        if PICK in self.chart.selections.trait_names():
            self.chart.selections.observe(self._on_pick, names=[PICK])
        self._show_status()

    def _show_found(self, search: FoundSlices) -> None:
        self._search, self._found = search, search.table
        self._render_found(search)
        self._show_status()

    def _show_status(self) -> None:
        # the title follows the metric picked, also when the search it names is unchanged
        searched = self._search_metric()
        note = (
            ""
            if searched == self.metric
            else f"; {html.escape(self.metric)} is not searched row by row, so by {searched}"
        )
        self.found_title.value = (
            f"<b>slices found</b> by {html.escape(searched)} (worst first){note}"
        )
        metrics, search = self._metrics, self._search
        if metrics is None:
            return
        overall = metrics.overall.get(self.metric, float("nan"))
        self.status.value = (
            f"{len(metrics.table)} slices of {metrics.n:,} predictions; {self.metric} "
            f"overall {_num(overall)}"
            + (f"; {html.escape(metrics.threshold)}" if metrics.threshold else "")
        )
        if search is not None:
            found = search.table
            self.status.value += (
                f"; {len(found)} slice(s) found significantly worse in "
                f"{search.tested:,} tested (FDR {search.alpha})"
                + ("" if len(found) else _nearest_miss(search))
            )

    def _render_found(self, search: FoundSlices) -> None:
        found = search.table
        rows: list[w.Widget] = []
        if len(found):
            shown = _found_columns(found)
            self.found_table.show(
                shown,
                buttons=[f"#{i + 1}" for i in range(len(found))],
                titles=[str(p) for p in found["predicate"]],
                formats=_found_formats(shown),
            )
            rows.append(self.found_table)
        else:
            note = "no slice is significantly worse than the rest (after FDR control)"
            rows.append(w.HTML(f"<i>{note}</i>"))
            lines = misses_text(search.nearest_misses)
            if lines:
                items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
                rows.append(
                    w.HTML(
                        "<span style='font-size:12px'>nearest misses (not reported):"
                        f"<ul style='margin:2px 0'>{items}</ul></span>"
                    )
                )
        self.found_box.children = rows

    def _rows_request(self) -> tuple[Any, ...] | None:
        """The rows shown: of the selected slice, in the window and filter, one page."""
        if self.selected_slice is None:
            return None
        sort = None if tuple(self.row_sort) == ROW_ORDER else tuple(self.row_sort)
        return (
            self.model,
            self.selected_slice,
            self.window,
            self.where,
            self.page,
            tuple(self.row_columns),
            sort,
        )

    def _run_rows(self, job: Job) -> tuple[pd.DataFrame, int]:
        model, chosen, window, where, page, extra, sort = job.key
        columns = list(dict.fromkeys([*chosen.columns, *extra]))
        return slice_rows(
            self._store, model, chosen, window, where, page=page, columns=columns, sort=sort
        )

    def _clear_rows(self) -> None:
        self._rows, self._total_rows = None, 0
        self.selected_label.value = ""
        self.rows_html.clear()
        self.page_label.value = ""
        self.row_picker.options = [("open a prediction…", "")]

    def _show_rows(self, rows: pd.DataFrame, total: int) -> None:
        self._rows, self._total_rows = rows, total
        pages = max(1, math.ceil(total / PAGE_SIZE))
        self.selected_label.value = (
            f"<b>selected:</b> <code>{html.escape(str(self.selected_slice))}</code> — "
            f"{total:,} predictions in {html.escape(format_window(self.window) or 'everything')}"
            ", worst first"
        )
        self.page_label.value = f"&nbsp;page {self.page + 1} of {pages}&nbsp;"
        self.rows_html.show(rows)
        self.row_picker.options = [("open a prediction…", "")] + [
            (f"{pid} · score {_num(score)}", str(pid))
            for pid, score in zip(
                rows["prediction_id"], rows.get("score", [None] * len(rows)), strict=False
            )
        ]

    # -- results ----------------------------------------------------------------------------

    @property
    def found(self) -> pd.DataFrame | None:
        """The slices ``find_slices`` reported for the current state (None before a result)."""
        return self._found

    @property
    def rows(self) -> pd.DataFrame | None:
        """The page of the selected slice's rows shown (None when nothing is selected)."""
        return self._rows

    def data(self) -> pd.DataFrame:
        """The metric per slice shown in the chart (waits for a computation under way)."""
        return self._when_fresh(lambda: self._table, "slices computed").copy()

    @property
    def spec(self) -> SliceMetricsSpec:
        """The spec of the metric per slice shown (``dl.slice_metrics``)."""
        return SliceMetricsSpec(scope=self._scope(), by=tuple(self.by), metrics=(self.metric,))

    @property
    def find_spec(self) -> FindSlicesSpec:
        """The spec of the reported slices (``dl.find_slices``)."""
        return FindSlicesSpec(scope=self._scope(), metrics=self._search_metric())

    def _scope(self) -> Scope:
        return Scope(self.model, window=self.window, where=self.where)

    @property
    def state(self) -> dict[str, Any]:
        """The selection and view: the spec's scope, metric, by and the selected slice."""
        return {
            **scope_state(self._scope()),
            "metric": self.metric,
            "by": list(self.by),
            "row_columns": list(self.row_columns),
            "row_sort": list(self.row_sort),
            "selected_slice": None
            if self.selected_slice is None
            else self.selected_slice.expression,
        }


def _num(v: Any) -> str:
    return fmt.number(v)


def _found_columns(found: pd.DataFrame) -> pd.DataFrame:
    """The slices found as a reader compares them: the slice, its rows, the metric in it and
    overall, the adjusted p-value and the search's score (the columns of ``dl.find_slices``)."""
    metric = str(found["metric"].iloc[0]) if "metric" in found.columns and len(found) else ""
    shown = {"predicate": "slice", "support": "rows", "labelled": "labelled"}
    if "value" in found.columns:
        shown |= {"value": metric or "value", "overall": "overall", "difference": "difference"}
    else:
        shown |= {"value_a": f"{metric} a", "value_b": f"{metric} b", "did": "difference"}
    shown |= {"p_adjusted": "p (adj.)", "score": "score", "why": "why"}
    return found[[c for c in shown if c in found.columns]].rename(columns=shown)


def _found_formats(shown: pd.DataFrame) -> dict[str, Any]:
    """One format per column of the slices found: p-values as p-values, the other measured
    numbers (the metric, its difference, the score) each in its column's decimals."""
    formats: dict[str, Any] = {"p (adj.)": fmt.pvalue}
    counts = {"slice", "rows", "labelled", "why", "p (adj.)"}
    for name in shown.columns:
        if name not in counts and is_numeric(shown[name]):
            formats[name] = fmt.column(shown[name])
    return formats


def _nearest_miss(search: FoundSlices) -> str:
    """The status line's note on an empty search: the slice that came nearest."""
    missed = search.nearest_misses
    if not missed:
        return ""
    m = missed[0]
    return html.escape(
        f"; nearest miss: {m['predicate']} (p {m['p_value']:.2g}, adjusted {m['p_adjusted']:.2g})"
    )
