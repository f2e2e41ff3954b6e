"""The logged row of one prediction, and what a card's header says about it without the model.

A card's header (the prediction's time, version, score, decision and label) needs only the row the
service logged and the registered threshold: no model is loaded and no SHAP value computed, so it
is drawn while the explanation (model loading, SHAP, the reference context) is still running.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from diaglab.errors import InputError, UnknownNameError


def fetch_row(store: Any, model: str, prediction_id: str) -> pd.DataFrame:
    """The logged row of one prediction (a one-row DataFrame); clear error when unknown."""
    store.schema(model)
    if not isinstance(prediction_id, str) or not prediction_id:
        raise InputError(f"a prediction id is a non-empty string, not {prediction_id!r}")

    def fetch() -> pd.DataFrame:
        t = store.table(model)
        return t.filter(t.prediction_id == prediction_id).limit(1).to_pandas()

    # memoised until the store ingests anything (a label may arrive): a card reopens instantly
    row = store.memo(("explain-row", model, prediction_id), fetch).copy()
    if row.empty:
        raise UnknownNameError(
            f"unknown prediction id {prediction_id!r} for model {model!r} "
            "(check the id, the model name, or call store.refresh() if it was logged elsewhere)"
        )
    return row


@dataclass(frozen=True)
class PredictionRow:
    """What the service logged for one prediction, decided at the version's threshold.

    Attributes
    ----------
    score : float or None
        The logged score (a binary model's probability of the positive class), None when the
        service logged only a class.
    decision : the class at ``threshold`` (binary with a score), else the logged prediction
    threshold : float or None
        The threshold ``decision`` uses (binary models only).
    label : the ground truth if it arrived, else None
    """

    model: str
    prediction_id: str
    model_version: str
    timestamp: pd.Timestamp | None
    task: str
    score: float | None
    decision: Any
    threshold: float | None
    label: Any

    @property
    def wrong(self) -> bool:
        """True when a label arrived and the decision differs from it (binary, multiclass)."""
        return self.task != "regression" and self.label is not None and self.decision != self.label


def prediction_row(
    store: Any, model: str, prediction_id: str, *, threshold: float | None = None
) -> PredictionRow:
    """One prediction's logged row, decided as ``dl.explain`` decides it (a binary model's class
    is ``score >= threshold``, default the version's registered threshold), from one point
    lookup and no model.

    Raises
    ------
    UnknownNameError
        When no prediction of ``model`` has this id.
    """
    schema = store.schema(model)
    rec = fetch_row(store, model, prediction_id).iloc[0].to_dict()
    version = str(rec["model_version"])
    task = schema.task or "binary"
    score, logged = _present(rec.get("score")), _present(rec.get("prediction"))
    cut: float | None = None
    decision: Any = logged
    if task == "binary":
        cut = schema.threshold_of(version) if threshold is None else float(threshold)
        if score is not None:
            decision = int(float(score) >= cut)
            if len(schema.classes) == 2:
                decision = schema.classes[decision]
    label = _present(rec.get("label"))
    ts = _present(rec.get("timestamp"))
    return PredictionRow(
        model=model,
        prediction_id=prediction_id,
        model_version=version,
        timestamp=None if ts is None else pd.Timestamp(ts),
        task=task,
        score=None if score is None else float(score),
        decision=decision,
        threshold=cut,
        label=label,
    )


def _present(v: Any) -> Any:
    """``v``, or None for a missing value (NULL, NaN, NaT)."""
    if v is None:
        return None
    try:
        return None if bool(pd.isna(v)) else v
    except (TypeError, ValueError):
        return v
