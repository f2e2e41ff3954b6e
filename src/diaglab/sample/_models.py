"""The two versions of the credit model, trained on reference draws."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diaglab.sample import _scenario as sc
from diaglab.sample._world import categorical_over, draw_applicants, draw_outcome, to_frame


@dataclass(frozen=True)
class SampleModels:
    """The two model versions and the reference each was trained on.

    ``reference`` / ``reference_labels`` are v1's training rows (category dtypes);
    ``reference_v2`` / ``reference_v2_labels`` v2's. ``holdout_auc`` is each version's ROC AUC
    on held-out reference rows.
    """

    v1: Any
    v2: Any
    reference: pd.DataFrame
    reference_labels: np.ndarray
    reference_v2: pd.DataFrame
    reference_v2_labels: np.ndarray
    holdout_auc: dict[str, float]
    params: dict[str, dict[str, Any]] = field(default_factory=dict)

    def score(self, version: str, features: pd.DataFrame) -> np.ndarray:
        """P(default) from ``version`` for a frame of features (strings or categories)."""
        return self.score_frame(version, model_frame(features))

    def score_frame(self, version: str, frame: pd.DataFrame) -> np.ndarray:
        model = {"v1": self.v1, "v2": self.v2}[version]
        return np.asarray(np.asarray(model.predict_proba(frame))[:, 1], dtype=np.float64)


def model_frame(features: pd.DataFrame) -> pd.DataFrame:
    out = features.copy()
    for col in sc.CATEGORICAL:
        vocab = list(sc.VOCAB[col][0])
        out[col] = categorical_over(out[col].to_numpy(dtype=object), vocab)
    return out


def _reference_draw(seed: int, stream: int, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng([seed, stream])
    cols = draw_applicants(rng, n, drifted=np.zeros(n, bool), partner=np.zeros(n, bool))
    y = draw_outcome(rng, cols, np.zeros(n, bool))
    return to_frame(cols, model_dtypes=True), y


def train_models(*, seed: int = 0, reference_rows: int = 40_000) -> SampleModels:
    """Train v1 on a reference draw and v2 on a fresh one with other hyper-parameters.

    Each draw has ``reference_rows`` training rows plus a quarter as many held-out rows, from
    which ``holdout_auc`` is computed.
    """
    from lightgbm import LGBMClassifier
    from sklearn.metrics import roc_auc_score

    holdout = max(reference_rows // 4, 1_000)
    fitted: dict[str, Any] = {}
    frames: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}
    auc: dict[str, float] = {}
    for version, stream, params in (
        ("v1", sc.STREAM_REF_V1, sc.V1_PARAMS),
        ("v2", sc.STREAM_REF_V2, sc.V2_PARAMS),
    ):
        x, y = _reference_draw(seed, stream, reference_rows + holdout)
        x_train, y_train = x.iloc[:reference_rows].reset_index(drop=True), y[:reference_rows]
        x_test, y_test = x.iloc[reference_rows:].reset_index(drop=True), y[reference_rows:]
        # One thread and deterministic=True: the same seed gives the same trees on any machine.
        model = LGBMClassifier(
            **params,
            random_state=seed * 10 + stream,
            n_jobs=1,
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
        )
        model.fit(x_train, y_train)
        model.set_params(n_jobs=-1)  # predict (here and for whoever loads it) on every core
        auc[version] = float(roc_auc_score(y_test, np.asarray(model.predict_proba(x_test))[:, 1]))
        fitted[version] = model
        frames[version] = (x_train, y_train)
    return SampleModels(
        v1=fitted["v1"],
        v2=fitted["v2"],
        reference=frames["v1"][0],
        reference_labels=frames["v1"][1],
        reference_v2=frames["v2"][0],
        reference_v2_labels=frames["v2"][1],
        holdout_auc=auc,
        params={"v1": dict(sc.V1_PARAMS), "v2": dict(sc.V2_PARAMS)},
    )
