"""``dl.PredictionInspector``: one card that explains one prediction.

Pick a prediction by id (text box) or from the worst errors of a window and slice (a sortable
table of the largest |label - score|, found in the engine). The card shows a summary (output,
probability, decision, label, version), the SHAP waterfall (one ``altair.JupyterChart``), the
feature table with reference percentiles and flags, the nearest reference neighbours, what-if
controls (edit one or more values, see the prediction and the waterfall update), the
counterfactual, and the request's trace: its spans as a waterfall (the TraceExplorer's chart), or
why there is none.

The card is drawn as soon as the explanation is ready; the day's drift flags, the neighbours, the
trace and the counterfactual take longer (the day's drift alone is a query over that day) and fill
it in from the side lane a moment later.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import pandas as pd
import traitlets

from diaglab import format as fmt
from diaglab.charts.explain import feature_table_html, space_label, waterfall_chart
from diaglab.charts.traces import trace_summary_html
from diaglab.charts.traces import waterfall_chart as trace_waterfall
from diaglab.errors import InputError
from diaglab.explorers._base import Explorer, checked_where, enable_offline_charts, resolve_model
from diaglab.explorers._controls import shared_doc, text_box, vega_chart
from diaglab.explorers._table import Table
from diaglab.explorers._windows import WindowTrait
from diaglab.explorers.coordinator import Job
from diaglab.queries.explain import Explanation
from diaglab.queries.filters import Slice
from diaglab.queries.traces import Trace, prediction_trace
from diaglab.queries.whatif import Counterfactual, WhatIf
from diaglab.queries.window import Window
from diaglab.specs import Scope
from diaglab.specs.api import counterfactual, explain, neighbors, what_if
from diaglab.specs.catalog import ExplainSpec, WhatIfSpec, WorstErrorsSpec

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
        self.explanation: Explanation | None = None
        self.whatif: WhatIf | None = None
        self.counterfactual_result: Counterfactual | None = None
        self.neighbors: pd.DataFrame | None = None
        self.worst_errors: pd.DataFrame | None = None
        """The worst errors listed (of ``window`` and ``where``), None before the first."""
        self._build_widgets()
        try:
            self.client(
                "prediction",
                request=lambda: self.prediction_id or None,
                run=self._run_card,
                show=self._show_card,
                views=(self.summary, self.chart, self.table),
            )
            self.client(
                "context",
                request=self._context_request,
                run=self._run_context,
                show=self._show_context,
                views=(self.neighbors_html, self.counterfactual_html, self.trace),
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

    def _run_card(self, job: Job) -> Explanation:
        job.step(f"explaining {job.key}")
        return explain(self._store, self.model, job.key, drift=False, trust=self.trust)

    def _show_card(self, ex: Explanation) -> None:
        """Draw the card as soon as its explanation is ready; the day's drift flags, the
        neighbours, the request's trace and a counterfactual (the context) fill it in after."""
        self.explanation, self.neighbors, self.counterfactual_result = ex, None, None
        self.whatif = None
        self.whatif_result.value = ""
        self._render_explanation(ex)
        self.neighbors_html.empty = "finding similar reference cases…"
        self.neighbors_html.clear()
        self.counterfactual_html.value = _PENDING.format("searching a counterfactual")
        feats = ex.top
        keep = self.whatif_feature.value if self.whatif_feature.value in feats else feats[0]
        self.whatif_feature.options = feats
        self.whatif_feature.value = keep
        self._on_whatif_feature({"new": keep})
        self.status.value = f"prediction {html.escape(str(ex.prediction_id))}"

    def _context_request(self) -> str | None:
        pid = self.prediction_id
        return pid if pid and self._shown() == pid else None

    def _run_context(self, job: Job) -> tuple[Explanation, tuple[Trace | None, str], Any, Any]:
        store, model, pid, trust = self._store, self.model, job.key, self.trust
        job.step(f"drift flags, neighbours and trace of {pid}")
        flagged = explain(store, model, pid, trust=trust)  # SHAP from the cache, + flags
        traced = prediction_trace(store, model, pid)
        near = neighbors(store, model, pid, k=self.k, trust=trust).table
        job.step(f"a counterfactual of {pid}")
        cf = None
        if flagged.threshold is not None:
            cf = counterfactual(store, model, pid, trust=trust)
        return flagged, traced, near, cf

    def _show_context(
        self, result: tuple[Explanation, tuple[Trace | None, str], pd.DataFrame, Any]
    ) -> None:
        flagged, traced, near, cf = result
        self.explanation, self.neighbors, self.counterfactual_result = flagged, near, cf
        if self.whatif is None:
            self._render_explanation(flagged)
        self.neighbors_html.empty = "no reference rows"
        self.neighbors_html.show(near.drop(columns=["segment"], errors="ignore"))
        self.counterfactual_html.value = _counterfactual_html(cf)
        self._render_trace(*traced)

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


_PENDING = "<i style='color:#777'>{}…</i>"


def _changes(changes: Any) -> str:
    return ", ".join(f"{k} = {fmt.value(v, digits=4)}" for k, v in dict(changes).items())


def _summary_html(ex: Explanation, *, what_if: bool = False) -> str:
    prob = "" if ex.probability is None else f"probability <b>{fmt.number(ex.probability)}</b> · "
    label = "not arrived" if ex.label is None else fmt.label(ex.label)
    wrong = ex.label is not None and ex.threshold is not None and ex.label != ex.decision
    cut = "" if ex.threshold is None else f" at threshold <b>{ex.threshold:.2f}</b>"
    flag = " <span style='color:#c0392b'>(wrong)</span>" if wrong and not what_if else ""
    when = "" if ex.timestamp is None else f" · {ex.timestamp:%Y-%m-%d %H:%M} UTC"
    who = "what-if of " if what_if else ""
    return (
        f"<div class='diaglab-inspector-prediction'>{who}<b>{html.escape(ex.model)}</b> "
        f"{html.escape(ex.model_version)}{when}<br>{prob}decision <b>{ex.decision}</b>{cut} · "
        f"label {html.escape(label)}{flag} · {html.escape(space_label(ex.output_space))} "
        f"{fmt.number(ex.prediction)} = base {fmt.number(ex.base_value)} + "
        f"SHAP{_slices_html(ex)}</div>"
    )


def _slices_html(ex: Explanation) -> str:
    """The slices found by find_slices that contain the prediction, worst first."""
    if ex.slices.empty:
        return ""
    items = "".join(
        f"<li>{html.escape(str(s['predicate']))}: {html.escape(str(s['metric']))} "
        f"{fmt.number(s['value'])} vs {fmt.number(s['overall'])} overall</li>"
        for s in ex.slices.to_dict(orient="records")
    )
    return (
        "<div class='diaglab-inspector-slices'>in slices found by find_slices:"
        f"<ul>{items}</ul></div>"
    )


def _whatif_html(r: WhatIf) -> str:
    before = r.before.probability
    after = r.after.probability
    if before is None or after is None:
        move = fmt.change(r.before.prediction, r.after.prediction)
    else:
        move = f"probability {fmt.number(before)} → <b>{fmt.number(after)}</b>"
    flip = " · <b>decision flips</b>" if r.flipped else ""
    return f"{html.escape(_changes(r.changes))}: {move}{flip}"


def _counterfactual_html(cf: Counterfactual | None) -> str:
    if cf is None:
        return "<i>no decision to flip (regression or multiclass model)</i>"
    if not cf.changes:
        return "<i>no plausible change found</i>"
    verdict = "flips the decision" if cf.found else "best found (does not reach the goal)"
    steps = "".join(
        f"<li>{html.escape(str(s['feature']))}: {html.escape(fmt.value(s['from'], digits=4))} → "
        f"<b>{html.escape(fmt.value(s['to'], digits=4))}</b> (score {fmt.number(s['score'])})</li>"
        for s in cf.steps.to_dict(orient="records")
    )
    return (
        f"<div>{verdict}: score {fmt.number(cf.score_before)} → <b>{fmt.number(cf.score)}</b> "
        f"({html.escape(cf.goal)})<ol style='margin:2px 0'>{steps}</ol></div>"
    )
