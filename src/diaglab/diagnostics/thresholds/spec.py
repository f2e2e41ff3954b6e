"""The specs of precision, recall and cost at every decision threshold: their parameters, defaults
and claim columns."""

from __future__ import annotations

from typing import Any

import pandas as pd

from diaglab.specs.scope import THRESHOLDED
from diaglab.specs.spec import Spec, register


@register
class ThresholdAnalysisSpec(Spec):
    """``dl.threshold_analysis``: precision, recall and cost at every threshold, per version."""

    kind = "threshold_analysis"
    implementation = "diaglab.diagnostics.thresholds.query:threshold_analysis"
    scope_fields = THRESHOLDED
    columns = (["model_version", "threshold"], ["current"], ["precision", "recall", "cost"])

    bins: int = 100
    cost_fp: float = 1.0
    cost_fn: float = 1.0
    confidence: float = 0.95

    def table(self, result: Any) -> pd.DataFrame:
        """The threshold in use and the cheapest one per version first, then the grid."""
        t = result.table
        first = t[t["current"]]
        best = t.merge(result.best[["model_version", "threshold"]], how="inner")
        rest = t.drop(index=first.index)
        return pd.concat([first, best, rest]).drop_duplicates(
            ["model_version", "threshold"], ignore_index=True
        )
