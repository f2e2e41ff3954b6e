"""The disparities of ``dl.fairness``: each group against its reference group, and the measures
(demographic parity, equalized odds, equal opportunity, predictive parity) between groups.

Both work on the per-group counts of :func:`diaglab.diagnostics.fairness.query.group_frame`; the
interval arithmetic is :mod:`diaglab.stats.fairness` (Newcombe for differences, Katz for ratios).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diaglab.errors import InputError, unknown
from diaglab.stats.fairness import (
    LABEL_FREE,
    MEASURES,
    difference_interval,
    extreme_pair,
    rate_counts,
    ratio_interval,
)

COUNTS = ("n", "n_positive_predicted", "n_labelled", "tp", "fp", "tn", "fn")
"""The per-group counts every rate is a proportion of."""


def reference_groups(
    groups: pd.DataFrame, reference: str | Mapping[str, str] | None, attrs: list[str]
) -> tuple[dict[str, str], str]:
    """The reference group of each sensitive set, and how it was chosen."""
    out: dict[str, str] = {}
    given: Mapping[str, str]
    if reference is None or reference == "largest":
        given, rule = {}, "the largest group of each sensitive feature"
    elif isinstance(reference, str):
        if len(attrs) != 1:
            raise InputError(
                "with several sensitive features, reference_group= is 'largest' or a mapping "
                "{feature: group}"
            )
        given, rule = {attrs[0]: reference}, "given"
    elif isinstance(reference, Mapping):
        given, rule = dict(reference), "given (largest group elsewhere)"
    else:
        raise InputError(f"reference is 'largest', a group or a mapping, not {reference!r}")
    for label, part in groups.groupby("sensitive", sort=False):
        s = str(label)
        keys = list(part["group"])
        if s in given:
            wanted = str(given[s])
            names = {str(k): str(v) for k, v in zip(part["name"], part["group"], strict=True)}
            if wanted not in keys and wanted not in names:
                raise unknown(f"reference group of {s!r}", wanted, keys)
            out[str(s)] = wanted if wanted in keys else names[wanted]
        else:
            out[str(s)] = str(
                part.sort_values(["n", "group"], ascending=[False, True])["group"].iloc[0]
            )
    strange = sorted(set(given) - set(out))
    if strange:
        raise unknown("sensitive feature in reference", strange[0], list(out))
    return out, rule


def _eligible(part: pd.DataFrame, metric: str, min_support: int) -> np.ndarray:
    size = part["n"] if metric in LABEL_FREE else part["n_labelled"]
    return np.asarray((size >= max(min_support, 1)).to_numpy())


def with_reference(
    groups: pd.DataFrame,
    refs: Mapping[str, str],
    names: list[str],
    min_support: int,
    confidence: float,
) -> pd.DataFrame:
    """Each group's metrics against its reference group: difference (Newcombe) and ratio."""
    parts = []
    for s, part in groups.groupby("sensitive", sort=False):
        part = part.copy()
        is_ref = (part["group"] == refs[str(s)]).to_numpy()
        part["reference"] = is_ref
        label_metrics = [m for m in names if m not in LABEL_FREE]
        size = part["n_labelled"] if label_metrics else part["n"]
        part["supported"] = size >= max(min_support, 1)
        cols = {c: part[c].to_numpy(float) for c in COUNTS}
        r = int(np.flatnonzero(is_ref)[0])
        for m in names:
            if m == "calibration_error":
                v = part[m].to_numpy(float)
                part[f"{m}_difference"] = v - v[r]
                continue
            k, n = rate_counts(cols, m)
            d, lo, hi = difference_interval(k, n, k[r], n[r], confidence=confidence)
            ratio, _, _ = ratio_interval(k, n, k[r], n[r], confidence=confidence)
            part[f"{m}_difference"] = d
            part[f"{m}_difference_lower"] = lo
            part[f"{m}_difference_upper"] = hi
            part[f"{m}_ratio"] = ratio
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def disparity_frame(
    groups: pd.DataFrame,
    names: list[str],
    refs: Mapping[str, str],
    min_support: int,
    max_difference: float,
    confidence: float,
    keys: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per (keys, sensitive, measure) whose metrics were computed."""
    rows = []
    for key, part in groups.groupby([*keys, "sensitive"], sort=False):
        fixed = dict(
            zip([*keys, "sensitive"], key if isinstance(key, tuple) else (key,), strict=True)
        )
        for measure, components in MEASURES.items():
            if not all(c in names for c in components):
                continue
            rows.append(
                {
                    **fixed,
                    "measure": measure,
                    **_measure(
                        part, components, refs.get(str(fixed["sensitive"])), min_support, confidence
                    ),
                }
            )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["max_difference"] = max_difference
    out["within"] = pd.Series(
        [None if pd.isna(d) else bool(d <= max_difference) for d in out["difference"]],
        index=out.index,
        dtype=object,
    )
    out["claim"] = [f"{m} difference <= {max_difference:g}" for m in out["measure"]]
    return out


def _measure(
    part: pd.DataFrame,
    components: tuple[str, ...],
    ref: str | None,
    min_support: int,
    confidence: float,
) -> dict[str, Any]:
    cols = {c: part[c].to_numpy(float) for c in COUNTS}
    groups = part["group"].to_numpy(object)
    best: dict[str, Any] | None = None
    ratio_row: dict[str, Any] | None = None
    reference: dict[str, Any] | None = None
    eligible_any = np.zeros(len(part), dtype=bool)
    for m in components:
        k, n = rate_counts(cols, m)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = k / n
        eligible = _eligible(part, m, min_support)
        eligible_any |= eligible
        pair = extreme_pair(values, eligible)
        if pair is None:
            continue
        hi, lo = pair
        d, dlo, dhi = difference_interval(k[hi], n[hi], k[lo], n[lo], confidence=confidence)
        r, rlo, rhi = ratio_interval(k[lo], n[lo], k[hi], n[hi], confidence=confidence)
        found = {
            "metric": m,
            "difference": float(d),
            "difference_lower": float(dlo),
            "difference_upper": float(dhi),
            "group_high": groups[hi],
            "group_low": groups[lo],
        }
        if best is None or found["difference"] > best["difference"]:
            best = found
        ratio = {"ratio": float(r), "ratio_lower": float(rlo), "ratio_upper": float(rhi)}
        if ratio_row is None or not ratio["ratio"] >= ratio_row["ratio"]:
            ratio_row = ratio
        at = np.flatnonzero(groups == ref)
        if ref is not None and at.size and eligible[at[0]]:
            i = int(at[0])
            gap = np.where(eligible & np.isfinite(values), np.abs(values - values[i]), -1.0)
            gap[i] = -1.0
            if gap.max() >= 0:
                j = int(np.argmax(gap))
                rd, rdl, rdh = difference_interval(k[j], n[j], k[i], n[i], confidence=confidence)
                if reference is None or abs(rd) > abs(reference["reference_difference"]):
                    reference = {
                        "reference_difference": float(rd),
                        "reference_difference_lower": float(rdl),
                        "reference_difference_upper": float(rdh),
                        "reference_group": groups[j],
                    }
    nan = float("nan")
    out: dict[str, Any] = {
        "metric": components[0] if len(components) == 1 else " / ".join(components),
        "difference": nan,
        "difference_lower": nan,
        "difference_upper": nan,
        "ratio": nan,
        "ratio_lower": nan,
        "ratio_upper": nan,
        "group_high": None,
        "group_low": None,
        "reference": ref,
        "reference_difference": nan,
        "reference_difference_lower": nan,
        "reference_difference_upper": nan,
        "reference_group": None,
    }
    out.update(best or {})
    out.update(ratio_row or {})
    out.update(reference or {})
    out["n_groups"] = int(eligible_any.sum())
    out["excluded"] = ", ".join(str(g) for g in groups[~eligible_any])
    if best is None:
        labelled = part["n_labelled"].sum() > 0 or all(c in LABEL_FREE for c in components)
        out["reason"] = (
            f"fewer than two groups with {max(min_support, 1)} rows"
            if labelled
            else "no labelled rows yet (labels have not arrived)"
        )
    else:
        out["reason"] = ""
    return out
