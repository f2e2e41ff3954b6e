"""``dl.PredictionInspector``: one card that explains one prediction.

Pick a prediction by id (text box) or from the worst errors of a window and slice (a sortable
table of the largest |label - score|, found in the engine). The card shows a summary (output,
probability, decision, label, version), the SHAP waterfall (one ``altair.JupyterChart``), the
feature table with reference percentiles and flags, the nearest reference neighbours, what-if
controls (edit one or more values, see the prediction and the waterfall update), the
counterfactual, and the request's trace: its spans as a waterfall (the TraceExplorer's chart), or
why there is none.

Each part of the card is its own view, drawn when its query returns: first the header (the row the
service logged: time, version, score, decision at the threshold, label; one point lookup, no model),
then the explanation (SHAP and the reference context), the nearest reference cases and the request's
trace beside it, and last what needs the explanation: the day's drift flags (a query over that day)
and the counterfactual. The model and its explainer are loaded while nothing else waits (the
``model`` view, which shows nothing), so the first card does not wait for their import.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import pandas as pd
import traitlets

from diaglab.diagnostics.explain import explainers as ex_
from diaglab.diagnostics.explain.chart import feature_table_html, waterfall_chart
from diaglab.diagnostics.explain.explorer_card import (
    _PENDING,
    _changes,
    _counterfactual_html,
    _header_html,
    _summary_html,
    _whatif_html,
)
from diaglab.diagnostics.explain.prediction_row import PredictionRow, prediction_row
from diaglab.diagnostics.explain.query import Explanation
from diaglab.diagnostics.explain.spec import ExplainSpec, WhatIfSpec, WorstErrorsSpec
from diaglab.diagnostics.explain.whatif import Counterfactual, WhatIf
from diaglab.diagnostics.traces.chart import trace_summary_html
from diaglab.diagnostics.traces.chart import waterfall_chart as trace_waterfall
from diaglab.diagnostics.traces.query import Trace, prediction_trace
from diaglab.errors import DiaglabError, InputError
from diaglab.explorers._base import Explorer, checked_where, enable_offline_charts, resolve_model
from diaglab.explorers._controls import shared_doc, text_box, vega_chart
from diaglab.explorers._table import Table
from diaglab.explorers._windows import WindowTrait
from diaglab.explorers.coordinator import Job
from diaglab.queries.filters import Slice
from diaglab.queries.window import Window
from diaglab.specs import Scope
from diaglab.specs.api import counterfactual, explain, neighbors, what_if

TRACE_NOTE = "<i style='color:#777'>The request's trace appears here.</i>"


@shared_doc
class PredictionInspector(Explorer):
    """Explain one prediction: SHAP in context, neighbours, what-if and a counterfactual.

    Parameters
    ----------
    prediction_id : str, optional
        The prediction to open.
    window : dl.Window or (start, end), optional
        Where "worst errors" are looked for (default: everything).
    where : dl.Slice or str, optional
        The slice the worst errors come from (a panel links it to the shared slice, and
        ``window`` to the shared window).
    trust : bool
        Needed for pickled models (loading them runs code).
    k : int
        How many neighbours to show.

    Attributes
    ----------
    prediction_id : str or None (trait)
        The prediction shown; setting it opens its card.
    row : PredictionRow or None
        The logged row of the prediction whose header is shown.
    explanation, whatif, counterfactual_result : the latest results (None until computed).
    """

    explorer_name = "PredictionInspector"
    selection_traits = {  # noqa: RUF012 - read-only class data
        "prediction_id": "prediction_id",
        "window": "window",
        "slice": "where",
    }
    prediction_id = traitlets.Unicode(None, allow_none=True)
    window = WindowTrait(Window())
    """The window the worst errors are looked for in (dl.Window; ``Window()`` is everything)."""
    where = traitlets.Union(
        [traitlets.Unicode(), traitlets.Instance(Slice)], default_value=None, allow_none=True
    )
    """The slice the worst errors come from: a filter string, a dl.Slice, or None."""

    def __init__(
        self,
        store: Any,
        model: str | None = None,
        *,
        prediction_id: str | None = None,
        window: Any = None,
        where: Slice | str | None = None,
        trust: bool = False,
        k: int = 5,
        worst: int = 20,
    ) -> None:
        model = resolve_model(store, model)
        enable_offline_charts()
        super().__init__(store)
        self.model = model
        self.window = Window.of(window)
        self.where = where
        self.trust = trust
        self.k = k
        self.worst = worst
        self.row: PredictionRow | None = None
        self.explanation: Explanation | None = None
        self.whatif: WhatIf | None = None
        self.counterfactual_result: Counterfactual | None = None
        self.neighbors: pd.DataFrame | None = None
        self.worst_errors: pd.DataFrame | None = None
        """The worst errors listed (of ``window`` and ``where``), None before the first."""
        self._build_widgets()
        try:
            opened = lambda: self.prediction_id or None  # noqa: E731 - one request, four views
            self.client(
                "header",
                request=opened,
                run=lambda job: prediction_row(self._store, self.model, job.key),
                show=self._show_header,
                views=(self.summary,),
                rank=-1,
            )
            self.client(
                "prediction",
                request=opened,
                run=self._run_card,
                show=self._show_card,
                views=(self.chart, self.table),
            )
            self.client(
                "neighbours",
                request=opened,
                run=self._run_neighbors,
                show=self._show_neighbors,
                views=(self.neighbors_html,),
                rank=1,
            )
            self.client(
                "request trace",
                request=opened,
                run=lambda job: prediction_trace(self._store, self.model, job.key),
                show=lambda traced: self._render_trace(*traced),
                views=(self.trace,),
                rank=2,
            )
            self.client(
                "drift flags",
                request=self._followup_request,
                run=self._run_flags,
                show=self._show_flags,
                rank=2,
            )
            self.client(
                "counterfactual",
                request=self._counterfactual_request,
                run=self._run_counterfactual,
                show=self._show_counterfactual,
                views=(self.counterfactual_html,),
                rank=2,
            )
            self.client(
                "what-if",
                request=self._whatif_request,
                run=self._run_whatif,
                show=self._show_whatif,
                clear=self._clear_whatif,
                views=(self.whatif_result,),
            )
            self.client(
                "worst errors",
                request=self._worst_request,
                run=self._run_worst,
                show=self._show_worst,
                views=(self.worst_picker,),
                rank=1,
            )
            self.client(
                "model",
                request=lambda: (self.model, self.trust),
                run=self._run_model,
                show=lambda _loaded: None,
                background=True,
            )
            if prediction_id is not None:
                self.prediction_id = prediction_id
            self.start()
        except Exception:
            self.close()
            raise

    # -- widgets ----------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.id_text = text_box("prediction", "a prediction id")
        self.id_text.add_class("diaglab-inspector-id")
        # the worst errors: a list a person scans and picks from, sortable like every table;
        # its own scroll box, so 20 rows do not push the card below the fold
        self.worst_picker = Table(sort=("error", "desc"), empty="no labelled predictions")
        self.worst_picker.layout = w.Layout(max_height="190px", overflow="auto", max_width="100%")
        self.worst_picker.add_class("diaglab-inspector-worst")
        self.summary = w.HTML("")
        self.summary.add_class("diaglab-inspector-summary")
        self.chart = vega_chart("pick a prediction", "diaglab-inspector-waterfall", actions=False)
        self.table = w.HTML("")
        self.table.add_class("diaglab-inspector-table")
        self.neighbors_html = Table(empty="no reference rows")
        self.neighbors_html.add_class("diaglab-inspector-neighbors")
        self.whatif_feature = w.Dropdown(
            options=[], description="what if", layout=w.Layout(width="240px")
        )
        self.whatif_value = w.Text(
            placeholder="new value", continuous_update=False, layout=w.Layout(width="160px")
        )
        self.whatif_value.add_class("diaglab-inspector-whatif-value")
        fixed = {"width": "80px", "flex": "0 0 auto"}  # never squeezed in a narrow row
        self.whatif_button = w.Button(description="Apply", layout=w.Layout(**fixed))
        self.whatif_reset = w.Button(description="Reset", layout=w.Layout(**fixed))
        self.whatif_result = w.HTML("")
        self.whatif_result.add_class("diaglab-inspector-whatif-result")
        self.whatif_box = w.VBox(
            [
                w.HBox(
                    [self.whatif_feature, self.whatif_value, self.whatif_button, self.whatif_reset],
                    layout=w.Layout(flex_flow="row wrap"),
                ),
                self.whatif_result,
            ]
        )
        self.whatif_box.add_class("diaglab-inspector-whatif")
        self.counterfactual_html = w.HTML("")
        self.counterfactual_html.add_class("diaglab-inspector-counterfactual")
        self.trace = w.HTML(TRACE_NOTE)
        self.trace.add_class("diaglab-inspector-trace")
        self.trace_chart = vega_chart("no trace", "diaglab-inspector-trace-chart")
        self.trace_chart.layout.display = "none"
        self.trace_result: Trace | None = None
        self._edits: dict[str, Any] = {}

        self.id_text.observe(self._on_id_text, names="value")
        self.worst_picker.observe(self._on_worst, names="value")
        self.whatif_feature.observe(self._on_whatif_feature, names="value")
        self.whatif_value.observe(self._on_whatif_value, names="value")
        self.whatif_button.on_click(self._on_apply)
        self.whatif_reset.on_click(self._on_reset)
        self.status.add_class("diaglab-inspector-status")

        status = w.HBox(
            [self.progress, self.updating, self.status], layout=w.Layout(align_items="center")
        )
        # Two columns that share the width they are given and wrap below ~1,100 px; wide
        # content (tables, the trace) scrolls inside its column instead of being cut.
        column = {"flex": "1 1 480px", "min_width": "0", "max_width": "100%"}
        scroll = {"overflow": "auto hidden", "max_width": "100%"}
        for part in (self.table, self.neighbors_html, self.counterfactual_html, self.trace):
            part.layout = w.Layout(**scroll)
        self.trace_chart.layout.max_width = "100%"
        self.chart.layout = w.Layout(**scroll)
        left = w.VBox([self.summary, self.chart, self.whatif_box], layout=w.Layout(**column))
        right = w.VBox(
            [
                w.HTML("<b>features against the reference</b>"),
                self.table,
                w.HTML("<b>nearest reference cases</b>"),
                self.neighbors_html,
                w.HTML("<b>counterfactual</b>"),
                self.counterfactual_html,
                w.HTML("<b>trace</b>"),
                self.trace,
                self.trace_chart,
            ],
            layout=w.Layout(**column),
        )
        body = w.HBox([left, right], layout=w.Layout(flex_flow="row wrap", width="100%"))
        self.children = [
            self.id_text,
            w.HTML("<b>or one of the worst errors</b> (largest |label − score|)"),
            self.worst_picker,
            status,
            self.error_area,
            body,
        ]
        self.add_class("diaglab-inspector")

    # -- callbacks --------------------------------------------------------------------------

    @Explorer._guard
    def _on_id_text(self, change: Any) -> None:
        text = (change["new"] or "").strip()
        if text and text != self.prediction_id:
            self.prediction_id = text

    @Explorer._guard
    def _on_worst(self, change: Any) -> None:
        if change["new"]:
            self.prediction_id = change["new"]

    @traitlets.validate("where")
    def _valid_where(self, proposal: Any) -> str | Slice | None:
        return checked_where(self._store, self.model, proposal["value"])

    @traitlets.observe("prediction_id")
    def _prediction_changed(self, change: Any) -> None:
        pid = change["new"]
        if self.id_text.value != (pid or ""):
            self.id_text.value = pid or ""
        self.worst_picker.value = pid if pid in self.worst_picker.row_keys else None
        self._edits = {}
        # the neighbours and the counterfactual say they are coming (the bench waits for it)
        self.neighbors, self.counterfactual_result = None, None
        self.neighbors_html.empty = "finding similar reference cases…"
        self.neighbors_html.clear()
        self.counterfactual_html.value = _PENDING.format("searching a counterfactual")
        self.update()

    @traitlets.observe("window", "where")
    def _scope_changed(self, change: Any) -> None:
        self.update()

    @Explorer._guard
    def _on_whatif_feature(self, change: Any) -> None:
        ex = self.explanation
        f = change["new"]
        if ex is None or not f:
            return
        v = self._edits.get(f, ex.features.get(f))
        whole = isinstance(v, float) and v.is_integer()
        self.whatif_value.value = (
            "" if v is None else str(int(v)) if whole else str(v)
        )  # 1, not 1.0

    @Explorer._guard
    def _on_whatif_value(self, change: Any) -> None:
        if self.explanation is not None and change["new"] != "":
            self._on_apply()

    @Explorer._guard
    def _on_apply(self, _button: Any = None) -> None:
        ex = self.explanation
        f = self.whatif_feature.value
        if ex is None or not f:
            return
        text = self.whatif_value.value.strip()
        original = ex.features.get(f)
        kind = ex.table.set_index("feature").loc[f, "kind"]
        value: Any = text
        if kind == "numeric":
            try:
                value = float(text)
            except ValueError:
                raise InputError(f"feature {f!r} is numeric: {text!r} is not a number") from None
        if value == original:
            self._edits.pop(f, None)
        else:
            self._edits[f] = value
        self.update()

    @Explorer._guard
    def _on_reset(self, _button: Any = None) -> None:
        self._edits = {}
        self.update()

    # -- the views' requests, queries and renderings ------------------------------------------

    def _worst_request(self) -> WorstErrorsSpec:
        scope = Scope(self.model, window=self.window, where=self.where)
        return WorstErrorsSpec(scope=scope, k=self.worst)

    def _run_worst(self, job: Job) -> pd.DataFrame:
        try:
            rows: pd.DataFrame = job.key.run(self._store).table
        except InputError:  # e.g. no labels yet: nothing to list, the card still works
            return pd.DataFrame(columns=["prediction_id", "timestamp", "score", "label"])
        return rows

    def _show_worst(self, rows: pd.DataFrame) -> None:
        self.worst_errors = rows
        if not len(rows):
            self.worst_picker.clear()
            return
        ids = [str(i) for i in rows["prediction_id"]]
        shown = rows.reset_index(drop=True).rename(
            columns={"timestamp": "time", "model_version": "version", "error_size": "error"}
        )[["time", "version", "score", "label", "error"]]
        shown.insert(0, "prediction", ids)
        self.worst_picker.show(
            shown,
            buttons=[f"#{i + 1}" for i in range(len(ids))],
            titles=[f"open prediction {i}" for i in ids],
            keys=ids,
        )
        self.worst_picker.value = self.prediction_id if self.prediction_id in ids else None

    def _shown(self) -> str | None:
        """The prediction whose card is drawn, or None."""
        return None if self.explanation is None else self.explanation.prediction_id

    def _show_header(self, row: PredictionRow) -> None:
        self.row = row
        if self._shown() != row.prediction_id:  # else the card's summary already says it all
            self.summary.value = _header_html(row)

    def _run_model(self, job: Job) -> bool:
        """Load the latest version's model and explainer (imports included, seconds the first
        time), so that opening a prediction does not wait for it. False when there is none to
        load here; a model that cannot load says so when a card needs it. A background view: it
        starts when nothing else is queued or running, and nobody waits for it."""
        versions = self._store.model_versions(self.model)
        if not versions:
            return False
        try:
            ex_.explained(self._store, self.model, versions[-1], trust=self.trust)
        except DiaglabError:  # untrusted pickle, features never logged: the card's error
            return False
        return True

    def _run_card(self, job: Job) -> Explanation:
        job.step(f"explaining {job.key}")
        return explain(self._store, self.model, job.key, drift=False, trust=self.trust)

    def _show_card(self, ex: Explanation) -> None:
        """Draw the card's explanation; the day's drift flags and a counterfactual follow."""
        self.explanation, self.counterfactual_result = ex, None
        self.whatif = None
        self.whatif_result.value = ""
        self._render_explanation(ex)
        self.counterfactual_html.value = _PENDING.format("searching a counterfactual")
        feats = ex.top
        keep = self.whatif_feature.value if self.whatif_feature.value in feats else feats[0]
        self.whatif_feature.options = feats
        self.whatif_feature.value = keep
        self._on_whatif_feature({"new": keep})
        self.status.value = f"prediction {html.escape(str(ex.prediction_id))}"

    def _followup_request(self) -> str | None:
        """The prediction whose explanation is drawn (what the flags and counterfactual need)."""
        pid = self.prediction_id
        return pid if pid and self._shown() == pid else None

    def _run_flags(self, job: Job) -> Explanation:
        job.step(f"drift flags of {job.key}")
        return explain(self._store, self.model, job.key, trust=self.trust)  # SHAP from the cache

    def _show_flags(self, flagged: Explanation) -> None:
        self.explanation = flagged
        if self.whatif is None:
            self._render_explanation(flagged)

    def _counterfactual_request(self) -> tuple[str, bool] | None:
        """The prediction shown and whether it has a decision to flip (a binary model's)."""
        pid, ex = self._followup_request(), self.explanation
        return None if pid is None or ex is None else (pid, ex.threshold is not None)

    def _run_counterfactual(self, job: Job) -> Counterfactual | None:
        pid, binary = job.key
        if not binary:
            return None
        job.step(f"a counterfactual of {pid}")
        return counterfactual(self._store, self.model, pid, trust=self.trust)

    def _show_counterfactual(self, cf: Counterfactual | None) -> None:
        self.counterfactual_result = cf
        self.counterfactual_html.value = _counterfactual_html(cf)

    def _run_neighbors(self, job: Job) -> pd.DataFrame:
        job.step(f"neighbours of {job.key}")
        return neighbors(self._store, self.model, job.key, k=self.k, trust=self.trust).table

    def _show_neighbors(self, near: pd.DataFrame) -> None:
        self.neighbors = near
        self.neighbors_html.empty = "no reference rows"
        self.neighbors_html.show(near.drop(columns=["segment"], errors="ignore"))

    def _whatif_request(self) -> tuple[str, tuple[tuple[str, Any], ...]] | None:
        pid = self.prediction_id
        if not pid or not self._edits or self._shown() != pid:
            return None
        return (pid, tuple(sorted(self._edits.items())))

    def _run_whatif(self, job: Job) -> WhatIf:
        pid, edits = job.key
        job.step("what if…")
        return what_if(self._store, self.model, pid, dict(edits), trust=self.trust)

    def _show_whatif(self, r: WhatIf) -> None:
        self.whatif = r
        self._render_explanation(r.after, title="what if: " + _changes(r.changes))
        self.whatif_result.value = _whatif_html(r)
        self.status.value = f"prediction {html.escape(str(r.after.prediction_id))}, what-if"

    def _clear_whatif(self) -> None:
        if self.whatif is None:
            return
        self.whatif = None
        self.whatif_result.value = ""
        if self.explanation is not None:
            self._render_explanation(self.explanation)
            self._on_whatif_feature({"new": self.whatif_feature.value})

    # -- rendering --------------------------------------------------------------------------

    def _render_trace(self, found: Trace | None, why: str) -> None:
        self.trace_result = found
        if found is None:
            self.trace.value = f"<i style='color:#777'>{html.escape(why)}</i>"
            self.trace_chart.layout.display = "none"
            return
        self.trace.value = trace_summary_html(found)
        self.trace_chart.chart = trace_waterfall(found.spans, title=f"trace {found.trace_id}")
        self.trace_chart.layout.display = ""

    def _render_explanation(self, ex: Explanation, title: str | None = None) -> None:
        self.summary.value = _summary_html(ex, what_if=title is not None)
        self.chart.chart = waterfall_chart(ex, title=title)
        self.table.value = feature_table_html(ex.table)

    # -- Explorer API -----------------------------------------------------------------------

    def data(self) -> pd.DataFrame:
        """The feature table of the card shown (the what-if's when one is applied)."""
        shown = self.whatif.after if self.whatif is not None else self.explanation
        return pd.DataFrame() if shown is None else shown.table.copy()

    @property
    def spec(self) -> ExplainSpec | WhatIfSpec | None:
        """The spec of the card shown: ``dl.what_if`` when edits are applied, else
        ``dl.explain``; None before a prediction is opened."""
        if not self.prediction_id:
            return None
        scope = Scope(self.model)
        if self._edits:
            return WhatIfSpec(
                scope=scope, prediction_id=self.prediction_id, changes=dict(self._edits)
            )
        return ExplainSpec(scope=scope, prediction_id=self.prediction_id)

    @property
    def state(self) -> dict[str, Any]:
        """The selection and view: model, prediction, the worst-errors window and slice, edits."""
        return {
            "model": self.model,
            "prediction_id": self.prediction_id,
            "window": self.window.to_json(),
            "where": None if self.where is None else str(self.where),
            "what_if": {k: v for k, v in self._edits.items()},
        }

    def chart_json(self) -> dict[str, Any] | None:
        chart = self.chart.chart
        if self.explanation is None or chart is None:
            return None
        spec: dict[str, Any] = chart.to_dict()
        return spec

    def __repr__(self) -> str:
        return f"<diaglab.PredictionInspector {self.model!r}, prediction {self.prediction_id!r}>"
