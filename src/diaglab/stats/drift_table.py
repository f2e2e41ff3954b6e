"""A drift report as a table, and the one line that summarizes it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields

import numpy as np
import pandas as pd

from diaglab.stats.drift_results import RULE, SEVERITIES, FeatureDrift

_FIRST_COLUMNS = [
    "feature",
    "kind",
    "severity",
    "drifted",
    "effect_statistic",
    "effect",
    "moderate_threshold",
    "major_threshold",
    "p_adjusted",
    "p_value",
]


def drift_frame(results: Iterable[FeatureDrift]) -> pd.DataFrame:
    """One row per feature, most severe first, then by effect (NaN last), then by name.

    The thresholds column is replaced by the moderate and major thresholds of the effect statistic.
    """
    rows = []
    for result in results:
        row = result.to_dict()
        del row["thresholds"]
        moderate, major = result.thresholds.levels(result.effect_statistic)
        rows.append({**row, "moderate_threshold": moderate, "major_threshold": major})
    columns = _FIRST_COLUMNS + [
        f.name for f in fields(FeatureDrift) if f.name not in _FIRST_COLUMNS
    ]
    columns.remove("thresholds")
    frame = pd.DataFrame(rows, columns=columns)
    rank = frame["severity"].map(SEVERITIES.index).astype("int64")
    order = np.lexsort(
        (frame["feature"].to_numpy(), -frame["effect"].fillna(-np.inf).to_numpy(), -rank.to_numpy())
    )
    out = frame.iloc[order].reset_index(drop=True)
    out.attrs["drifted_rule"] = RULE
    return out


def drift_summary(table: pd.DataFrame, *, noun: str = "features") -> str:
    """One line that never hides a significant shift below the ``drifted`` rule.

    ``table`` has ``feature``, ``severity``, ``drifted`` and ``min_severity`` columns (a
    :func:`drift_frame`), one row per column compared; e.g. "3 of 13 features drifted (moderate
    or above: income, age, region); 2 more show a minor, significant shift: tenure, hours".
    """
    n = len(table)
    if not n:
        return f"no {noun} compared"
    floor = str(table["min_severity"].iloc[0]) if "min_severity" in table else "moderate"
    drifted = table[table["drifted"].astype(bool)]
    below = table[~table["drifted"].astype(bool) & (table["severity"] != "none")]
    rule = f"{floor} or above" if floor != "major" else "major"
    text = f"{len(drifted)} of {n} {noun} drifted ({rule}"
    text += f": {', '.join(map(str, drifted['feature']))})" if len(drifted) else ")"
    if len(below):
        kinds = " or ".join(s for s in ("moderate", "minor") if s in set(below["severity"]))
        text += (
            f"; {len(below)} more show{'s' if len(below) == 1 else ''} a {kinds}, significant "
            f"shift: {', '.join(map(str, below['feature']))}"
        )
    return text
