"""The prediction card's HTML parts (header, summary, what-if, counterfactual), apart from the
inspector's widgets and queries."""

from __future__ import annotations

import html
from typing import Any

from diaglab import format as fmt
from diaglab.diagnostics.explain.chart import space_label
from diaglab.diagnostics.explain.prediction_row import PredictionRow
from diaglab.diagnostics.explain.query import Explanation
from diaglab.diagnostics.explain.whatif import Counterfactual, WhatIf

_PENDING = "<i style='color:#777'>{}…</i>"


def _changes(changes: Any) -> str:
    return ", ".join(f"{k} = {fmt.value(v, digits=4)}" for k, v in dict(changes).items())


def _header_html(row: PredictionRow) -> str:
    """The card's first line, from the logged row alone (the explanation adds the rest)."""
    score = "" if row.score is None else f"score <b>{fmt.number(row.score)}</b> · "
    label = "not arrived" if row.label is None else fmt.label(row.label)
    cut = "" if row.threshold is None else f" at threshold <b>{row.threshold:.2f}</b>"
    flag = " <span style='color:#c0392b'>(wrong)</span>" if row.wrong else ""
    when = "" if row.timestamp is None else f" · {row.timestamp:%Y-%m-%d %H:%M} UTC"
    decision = fmt.label(row.decision) if row.task != "regression" else fmt.number(row.decision)
    return (
        f"<div class='diaglab-inspector-prediction'>prediction "
        f"<b>{html.escape(row.prediction_id)}</b> · <b>{html.escape(row.model)}</b> "
        f"{html.escape(row.model_version)}{when}<br>{score}decision <b>{html.escape(decision)}"
        f"</b>{cut} · label {html.escape(label)}{flag} · <i>explaining…</i></div>"
    )


def _summary_html(ex: Explanation, *, what_if: bool = False) -> str:
    prob = "" if ex.probability is None else f"probability <b>{fmt.number(ex.probability)}</b> · "
    label = "not arrived" if ex.label is None else fmt.label(ex.label)
    wrong = ex.label is not None and ex.threshold is not None and ex.label != ex.decision
    cut = "" if ex.threshold is None else f" at threshold <b>{ex.threshold:.2f}</b>"
    flag = " <span style='color:#c0392b'>(wrong)</span>" if wrong and not what_if else ""
    when = "" if ex.timestamp is None else f" · {ex.timestamp:%Y-%m-%d %H:%M} UTC"
    who = "what-if of " if what_if else ""
    pid = html.escape(str(ex.prediction_id))
    return (
        f"<div class='diaglab-inspector-prediction'>{who}prediction <b>{pid}</b> · "
        f"<b>{html.escape(ex.model)}</b> {html.escape(ex.model_version)}{when}<br>{prob}"
        f"decision <b>{ex.decision}</b>{cut} · "
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
