"""Beyond the per-feature table: multivariate drift and whether a drift matters to the model.

``domain_classifier`` trains a classifier to tell reference rows from current rows on a sample
drawn in the engine; a cross-validated ROC AUC near 0.5 means the two are indistinguishable, and
its interval says how sure that is. ``drift_impact`` ranks features by their drift effect times
their importance to the registered model (mean |SHAP| on a reference sample), beside the raw
ranking: a large shift in a feature the model ignores matters less than a small one it relies on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from ibis.common.exceptions import UnsupportedOperationError

from diaglab.diagnostics.drift.query import LABEL, PREDICTION, DriftReport, prepare
from diaglab.errors import InputError
from diaglab.queries.result import Result
from diaglab.stats.intervals import newcombe_auc_interval
from diaglab.store.schema import feature_column

if TYPE_CHECKING:
    from diaglab.diagnostics.drift.spec import DomainClassifierSpec, DriftImpactSpec


def _sample(table: Any, n: int, seed: int, *, total: int | None = None) -> pd.DataFrame:
    """About ``n`` rows drawn in the engine (Bernoulli sampling), never the whole table; ``total``,
    the table's row count when the caller knows it, spares a counting query."""
    if total is None:
        total = int(table.count().to_pyarrow().as_py())
    if total == 0:
        return table.limit(0).to_pandas()
    if total > n:
        try:
            return table.sample(n / total, seed=seed).to_pyarrow().to_pandas()
        except UnsupportedOperationError:
            # Spark: Ibis compiles no seeded TABLESAMPLE there, so the draw is not repeatable
            table = table.sample(n / total)
    return table.to_pyarrow().to_pandas()


@dataclass(frozen=True, repr=False)
class DomainClassifierResult(Result):
    """How well a classifier tells current rows from reference rows.

    ``auc`` is the out-of-fold ROC AUC with its 95% interval; ``drivers`` lists the features the
    classifier used most (share of total split gain).
    """

    auc: float
    lower: float
    upper: float
    n_reference: int
    n_current: int
    folds: int
    drivers: pd.DataFrame = field(repr=False)

    @property
    def drifted(self) -> bool:
        """True when the interval excludes 0.5 by more than chance-level fitting (AUC > 0.55)."""
        return bool(self.lower > 0.55)

    @property
    def table(self) -> pd.DataFrame:
        """One row: the classifier's cross-validated AUC, its interval and sample sizes."""
        return pd.DataFrame(
            {
                "statistic": ["auc"],
                "value": [self.auc],
                "lower": [self.lower],
                "upper": [self.upper],
                "drifted": [self.drifted],
                "n_reference": [self.n_reference],
                "n_current": [self.n_current],
            }
        )


def domain_classifier(store: Any, spec: DomainClassifierSpec) -> DomainClassifierResult:
    """Multivariate drift: cross-validated AUC of a reference-vs-current classifier.

    Each side contributes a sample of at most ``sample`` rows drawn by the engine.
    """
    model, window, reference = spec.model, spec.scope.window, spec.scope.reference
    where, version, sample, folds = spec.scope.where, spec.scope.version, spec.sample, spec.folds
    seed = spec.seed
    from sklearn.metrics import roc_auc_score

    p = prepare(store, model, window, reference, None, where, version)
    features = [f for f in (*p.num_cols, *p.cat_cols) if f not in (PREDICTION, LABEL)]
    ref = _sample(p.ref.select(*features), sample, seed)
    cur = _sample(p.cur.select(*features), sample, seed + 1)
    if len(ref) < folds or len(cur) < folds:
        raise InputError(
            f"too few rows to train a domain classifier ({len(ref)} reference, {len(cur)} current)"
        )
    X = pd.concat([ref, cur], ignore_index=True)
    for f in p.cat_cols:
        if f in X:
            X[f] = X[f].astype("category")
    # LightGBM refuses JSON's special characters in names, e.g. the ":" of "feature:score"
    X.columns = [f"c{i}" for i in range(X.shape[1])]
    y = np.r_[np.zeros(len(ref)), np.ones(len(cur))]
    oof, gains = out_of_fold(X, y, folds=folds, seed=seed)
    auc = float(roc_auc_score(y, oof))
    lower, upper = newcombe_auc_interval(auc, len(cur), len(ref))
    drivers = pd.DataFrame({"feature": features, "gain_share": gains / max(gains.sum(), 1e-12)})
    drivers = drivers.sort_values("gain_share", ascending=False).reset_index(drop=True)
    return DomainClassifierResult(
        auc, float(lower), float(upper), len(ref), len(cur), folds, drivers
    )


def out_of_fold(
    X: pd.DataFrame, y: np.ndarray, *, folds: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The domain classifier's out-of-fold probability of class 1 for every row of ``X`` (each
    row scored by a model that did not see it), and the features' summed split gains."""
    import lightgbm
    from sklearn.model_selection import StratifiedKFold

    oof = np.zeros(len(X))
    gains = np.zeros(X.shape[1])
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        clf = lightgbm.LGBMClassifier(
            n_estimators=60,
            learning_rate=0.1,
            num_leaves=15,
            verbose=-1,
            random_state=seed,
            # one thread: 60 trees on 7,000 rows took 0.2 s with one and 3.0 s with two on the
            # shared 2-core machine under load (OpenMP threads spin while the cores are busy)
            n_jobs=1,
        )
        clf.fit(X.iloc[train], y[train])
        oof[test] = np.asarray(clf.predict_proba(X.iloc[test]))[:, 1]
        gains += clf.booster_.feature_importance(importance_type="gain")
    return oof, gains


@dataclass(frozen=True, kw_only=True, repr=False)
class DriftImpact(Result):
    """Drifted features ranked by how much they move the model (``dl.drift_impact``).

    ``table``: one row per feature, ``effect, severity, importance, impact`` (effect x
    importance share) and both ranks, highest impact first; ``report`` the drift it ranks.
    """

    table: pd.DataFrame
    report: DriftReport = field(compare=False)


def drift_impact(
    store: Any, spec: DriftImpactSpec, *, report: DriftReport | None = None
) -> DriftImpact:
    """Rank the report's features by drift effect x importance to the model.

    Importance is the mean |SHAP| of each feature on a reference sample, from the registered
    model (``version``, default the latest), normalised to shares. ``report`` (run time only) is
    a DriftReport of the same scope to reuse; without one, ``dl.drift`` runs on the spec's scope.
    """
    import shap

    from diaglab.diagnostics.drift.spec import DriftSpec

    if report is None:
        report = DriftSpec(scope=spec.scope).run(store)
    version, sample, seed = spec.scope.version, spec.sample, spec.seed

    loaded = store.load_model(report.model, version)
    ref = store.reference(report.model)
    present = [f for f in loaded.feature_names if feature_column(f) in ref.columns]
    rows = _sample(ref.select(*(ref[feature_column(f)].name(f) for f in present)), sample, seed)
    X = loaded.model_input(rows)
    values = np.asarray(shap.TreeExplainer(loaded.impl).shap_values(X))
    if values.ndim == 3:  # (classes, rows, features) or (rows, features, classes)
        values = (
            values[-1] if values.shape[0] <= 10 and values.shape[1] == len(X) else values[..., -1]
        )
    importance = np.abs(values).mean(axis=0)
    share = pd.Series(  # by stored column, as the report names features
        importance / max(importance.sum(), 1e-12),
        index=[feature_column(f) for f in loaded.feature_names],
    )
    table = report.table[report.table.role == "feature"][["feature", "effect", "severity"]]
    table = table.assign(importance=table.feature.map(share).fillna(0.0))
    table["impact"] = table["effect"].fillna(0.0) * table["importance"]
    table["rank_by_drift"] = table["effect"].rank(ascending=False, method="min")
    table["rank_by_impact"] = table["impact"].rank(ascending=False, method="min")
    table = table.sort_values("impact", ascending=False).reset_index(drop=True)
    return DriftImpact(table=table, report=report)
