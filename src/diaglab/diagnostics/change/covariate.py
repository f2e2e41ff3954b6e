"""The covariate part of ``dl.explain_change``: a domain classifier on an engine sample of each
period tells how much of the change the inputs' move explains (the reference's rows reweighted to
the window's inputs, :func:`~diaglab.stats.decomposition.covariate_split`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from diaglab.diagnostics.change.daily import hashed_sample
from diaglab.diagnostics.drift.impact import out_of_fold
from diaglab.stats.decomposition import (
    MIN_EFFECTIVE_SAMPLE,
    CovariateSplit,
    covariate_split,
    density_ratio,
)

FOLDS = 3
"""Folds of the out-of-fold classifier: each sample row is scored by a model that did not see it."""


def domain_sample(
    store: Any,
    sides: Sequence[Any],
    periods: tuple[str, str],
    memo_key: tuple[Any, ...],
    names: list[str],
    schema: Any,
    sample: int,
    seed: int,
    totals: dict[int, dict[str, float]],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The domain classifier's rows, drawn in the engine: each period's sample (kept per period
    until the store changes) and the inputs of both (categorical features as categories)."""
    cols = [*names, "v"]
    ref, cur = (
        store.memo(
            ("explain-change-sample", *memo_key, periods[w], tuple(names), sample, seed),
            lambda w=w: hashed_sample(sides[w], cols, seed, sample, totals[w]["n"]),
        )
        for w in (0, 1)
    )
    return inputs(ref, cur, names, schema)


def inputs(
    ref: pd.DataFrame, cur: pd.DataFrame, names: list[str], schema: Any
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Both periods' samples and the classifier's inputs (categorical features as categories)."""
    X = pd.concat([ref[names], cur[names]], ignore_index=True)
    for f in names:
        if schema.features[f].kind != "numeric":
            X[f] = X[f].astype("category")
    return ref, cur, X


def domain_fit(
    ref: pd.DataFrame, cur: pd.DataFrame, X: pd.DataFrame, names: list[str], seed: int
) -> np.ndarray | None:
    """Out-of-fold probabilities that a sample row is the window's (None: too few rows)."""
    if min(len(ref), len(cur)) < max(FOLDS, MIN_EFFECTIVE_SAMPLE):
        return None
    y = np.r_[np.zeros(len(ref)), np.ones(len(cur))]
    return out_of_fold(X[names], y, folds=FOLDS, seed=seed)[0]


def covariate_part(
    ref: pd.DataFrame,
    cur: pd.DataFrame,
    X: pd.DataFrame,
    oof: np.ndarray | None,
    total: float,
    replicates: np.ndarray,
    confidence: float,
    seed: int,
) -> tuple[CovariateSplit, dict[str, Any]]:
    """The covariate/conditional split (Cai, Namkoong and Yadlowsky 2023): the reference's rows
    reweighted by the classifier's density ratio; refused with a reason when it could not fit."""
    info: dict[str, Any] = {
        "reference": len(ref),
        "window": len(cur),
        "folds": FOLDS,
        "drawn_in": "engine (rows whose timestamp hash is below sample / rows)",
    }
    if oof is None:
        info["auc"] = float("nan")
        reason = (
            f"too few rows for the domain classifier ({len(ref)} reference, {len(cur)} window; "
            f"it needs {MIN_EFFECTIVE_SAMPLE} in each)"
        )
        return CovariateSplit.refusal(reason, 0.0, 0.0), info
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.zeros(len(ref)), np.ones(len(cur))]
    info["auc"] = float(roc_auc_score(y, oof))
    ratio = density_ratio(oof, len(ref), len(cur))
    va = ref["v"].to_numpy(float)
    vb = cur["v"].to_numpy(float)
    la, lb = ~np.isnan(va), ~np.isnan(vb)
    ra, rb = ratio[: len(ref)], ratio[len(ref) :]
    split = covariate_split(
        va[la],
        ra[la],
        vb[lb],
        rb[lb],
        total=total,
        total_replicates=replicates,
        confidence=confidence,
        seed=seed,
    )
    return split, info
