"""The planted truths, tallied from exactly what is logged while the rows stream past."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from diaglab.sample import _scenario as sc
from diaglab.sample._models import SampleModels
from diaglab.sample._traffic import BAD_ROWS, SampleChunk


class Tally:
    """Sums kept chunk by chunk, from which the truth's observed numbers come."""

    def __init__(self) -> None:
        self.predictions = 0
        self.by_version: dict[str, int] = {"v1": 0, "v2": 0}
        self.labels_logged = 0
        self.never = 0
        self.pending = 0
        self.delay_min = math.inf
        self.delay_max = -math.inf
        # feature -> [sum_before, n_before, sum_after, n_after] over the good rows, in integer
        # thousandths: every numeric feature is rounded to 3 decimals or coarser, so the sums
        # are exact and the truth does not depend on where chunks were cut.
        self.sums = {f: [0, 0, 0, 0] for f in sc.NUMERIC}
        # (in_slice, after_start) -> [labeled, correct, positives]
        self.slice = {(s, a): [0, 0, 0] for s in (False, True) for a in (False, True)}
        self.in_slice = 0
        self.new_first: pd.Timestamp | None = None
        self.new_count = 0
        self.after_new = 0
        self.v2_first: pd.Timestamp | None = None
        self.v1_last: pd.Timestamp | None = None
        # slow path? -> [sum of log latency in millionths, count]: exp(mean) is the lognormal's
        # median; integers again, so that the sum is exact
        self.log_latency: dict[bool, list[int]] = {False: [0, 0], True: [0, 0]}
        self.bad: list[dict[str, Any]] = []

    def add(self, chunk: SampleChunk, threshold: float) -> None:
        n = len(chunk)
        ts = chunk.timestamps.to_numpy(dtype="datetime64[ns]").view(np.int64)
        f = chunk.features
        self.predictions += n
        for v in ("v1", "v2"):
            mask = chunk.model_version == v
            self.by_version[v] += int(mask.sum())
            if mask.any() and v == "v2":
                first = pd.Timestamp(ts[mask].min(), tz=sc.UTC)
                self.v2_first = first if self.v2_first is None else min(self.v2_first, first)
            if mask.any() and v == "v1":
                last = pd.Timestamp(ts[mask].max(), tz=sc.UTC)
                self.v1_last = last if self.v1_last is None else max(self.v1_last, last)
        logged = chunk.label_logged
        self.labels_logged += int(logged.sum())
        self.never += int(chunk.label_never.sum())
        self.pending += int((~chunk.label_never & ~logged).sum())
        if logged.any():
            delay = chunk.label_timestamps.to_numpy(dtype="datetime64[ns]").view(np.int64) - ts
            days = delay[logged] / sc.NS_DAY
            self.delay_min = min(self.delay_min, float(days.min()))
            self.delay_max = max(self.delay_max, float(days.max()))

        good = ~np.isin(chunk.prediction_ids, list(chunk.bad))
        after_drift = ts >= sc.DRIFT_START.value
        for col in sc.NUMERIC:
            values = f[col].to_numpy(dtype=np.float64)
            ok = good & np.isfinite(values)
            milli = np.round(np.where(ok, values, 0.0) * 1_000).astype(np.int64)
            acc = self.sums[col]
            acc[0] += int(milli[ok & ~after_drift].sum())
            acc[1] += int((ok & ~after_drift).sum())
            acc[2] += int(milli[ok & after_drift].sum())
            acc[3] += int((ok & after_drift).sum())

        in_slice = np.ones(n, dtype=bool)
        for col, value in sc.SLICE:
            in_slice &= (f[col] == value).fillna(False).to_numpy(dtype=bool)
        self.in_slice += int(in_slice.sum())
        after = ts >= sc.SLICE_START.value
        correct = (chunk.scores >= threshold).astype(np.int8) == chunk.outcome
        for s in (False, True):
            for a in (False, True):
                m = logged & (in_slice == s) & (after == a)
                cell = self.slice[(s, a)]
                cell[0] += int(m.sum())
                cell[1] += int(correct[m].sum())
                cell[2] += int(chunk.outcome[m].sum())

        col, value = sc.NEW_CATEGORY
        new = (f[col] == value).fillna(False).to_numpy(dtype=bool)
        if new.any():
            first = pd.Timestamp(ts[new].min(), tz=sc.UTC)
            self.new_first = first if self.new_first is None else min(self.new_first, first)
        self.new_count += int(new.sum())
        self.after_new += int((ts >= sc.NEW_CATEGORY_START.value).sum())

        slow = slow_mask(f)
        log_latency = np.round(np.log(chunk.latency_ms) * 1e6).astype(np.int64)
        for s in (False, True):
            self.log_latency[s][0] += int(log_latency[slow == s].sum())
            self.log_latency[s][1] += int((slow == s).sum())
        for pid, problem in chunk.bad.items():
            columns = sorted(dict(BAD_ROWS)[problem])
            self.bad.append({"prediction_id": pid, "problem": problem, "columns": columns})

    def mean(self, col: str, after: bool) -> float | None:
        s, k = self.sums[col][2:] if after else self.sums[col][:2]
        return s / k / 1_000 if k else None

    def accuracy(self, in_slice: bool, after: bool) -> float | None:
        labeled, correct, _ = self.slice[(in_slice, after)]
        return correct / labeled if labeled else None

    def default_rate(self, in_slice: bool, after: bool) -> float | None:
        labeled, _, positives = self.slice[(in_slice, after)]
        return positives / labeled if labeled else None

    def latency_median(self, slow: bool) -> float | None:
        total, k = self.log_latency[slow]
        return math.exp(total / k / 1e6) if k else None


def slow_mask(features: pd.DataFrame) -> np.ndarray:
    col, value = sc.NEW_CATEGORY
    partner = (features[col] == value).fillna(False).to_numpy(dtype=bool)
    loan = features["loan_amount"].to_numpy(dtype=np.float64)
    return partner | (np.nan_to_num(loan, nan=0.0) > sc.SLOW_LOAN_AMOUNT)


def truth_dict(
    tally: Tally, models: SampleModels, *, rows: int, seed: int, threshold: float
) -> dict[str, Any]:
    ref = models.reference
    slice_share = tally.in_slice / tally.predictions
    fast, slow = tally.latency_median(False), tally.latency_median(True)

    def means(col: str) -> dict[str, float | None]:
        return {
            "reference_mean": float(ref[col].mean()),
            "mean_before": tally.mean(col, after=False),
            "mean_after": tally.mean(col, after=True),
        }

    drift_start = sc.iso_utc(sc.DRIFT_START)
    return {
        "scenario": "lending",
        "model": sc.MODEL,
        "seed": seed,
        "rows": rows,
        "now": sc.iso_utc(sc.NOW),
        "reference_period": {
            "start": sc.iso_utc(sc.REFERENCE_START),
            "end": sc.iso_utc(sc.REFERENCE_END),
        },
        "production_period": {"start": sc.iso_utc(sc.PRODUCTION_START), "end": sc.iso_utc(sc.NOW)},
        "features": {"numeric": list(sc.NUMERIC), "categorical": list(sc.CATEGORICAL)},
        "threshold": threshold,
        "counts": {
            "predictions": tally.predictions,
            "predictions_by_version": dict(tally.by_version),
            "labels_logged": tally.labels_logged,
            "labels_never": tally.never,
            "labels_pending_at_now": tally.pending,
            "reference_rows": len(models.reference),
            "reference_rows_by_version": {
                "v1": len(models.reference),
                "v2": len(models.reference_v2),
            },
        },
        "drift": {
            "start": drift_start,
            "features": [
                {
                    "feature": "income",
                    "change": "scale",
                    "factor": sc.INCOME_FACTOR,
                    **means("income"),
                },
                {
                    "feature": "credit_utilization",
                    "change": "headroom",
                    "factor": sc.UTILIZATION_HEADROOM_FACTOR,
                    "formula": f"1 - {sc.UTILIZATION_HEADROOM_FACTOR} * (1 - u)",
                    **means("credit_utilization"),
                },
                {
                    "feature": "age",
                    "change": "shift",
                    "amount": sc.AGE_SHIFT,
                    "subtle": True,
                    **means("age"),
                },
            ],
            "undisturbed": {col: means(col) for col in sc.UNDISTURBED if col in sc.NUMERIC},
        },
        "drifted_features": sorted(sc.DRIFTED),
        "undisturbed_features": list(sc.UNDISTURBED),
        "new_category": {
            "column": sc.NEW_CATEGORY[0],
            "value": sc.NEW_CATEGORY[1],
            "start": sc.iso_utc(sc.NEW_CATEGORY_START),
            "first_day": sc.NEW_CATEGORY_START.strftime("%Y-%m-%d"),
            "first_seen": sc.iso_utc(tally.new_first) if tally.new_first is not None else None,
            "share_planted": sc.NEW_CATEGORY_SHARE,
            "rows": tally.new_count,
            "share_after_start": tally.new_count / tally.after_new if tally.after_new else None,
        },
        "collapsed_slice": {
            "conditions": [{"column": c, "op": "==", "value": v} for c, v in sc.SLICE],
            "start": sc.iso_utc(sc.SLICE_START),
            "share": slice_share,
            "metric": "accuracy",
            "note": "on the labels logged in the store, predicted class = score >= threshold",
            "labeled_before": tally.slice[(True, False)][0],
            "labeled_after": tally.slice[(True, True)][0],
            "accuracy_before": tally.accuracy(True, after=False),
            "accuracy_after": tally.accuracy(True, after=True),
            "default_rate_before": tally.default_rate(True, after=False),
            "default_rate_after": tally.default_rate(True, after=True),
            "rest_accuracy_before": tally.accuracy(False, after=False),
            "rest_accuracy_after": tally.accuracy(False, after=True),
            "rest_default_rate_before": tally.default_rate(False, after=False),
            "rest_default_rate_after": tally.default_rate(False, after=True),
        },
        "version_rollout": {
            "from": "v1",
            "to": "v2",
            "start": sc.iso_utc(sc.ROLLOUT_START),
            "end": sc.iso_utc(sc.ROLLOUT_END),
            "shape": "linear: v2's share of requests rises from 0 at start to 1 at end",
            "v2_first_seen": sc.iso_utc(tally.v2_first) if tally.v2_first is not None else None,
            "v1_last_seen": sc.iso_utc(tally.v1_last) if tally.v1_last is not None else None,
        },
        "labels": {
            "delay_days_min": sc.LABEL_DELAY_DAYS[0],
            "delay_days_max": sc.LABEL_DELAY_DAYS[1],
            "delay_distribution": (
                "known 1 + 28 * Beta(1.3, 4) days after the request, delivered by the next "
                "daily batch at 06:00 UTC"
            ),
            "batch_time_utc": f"{sc.LABEL_BATCH_HOUR:02d}:00",
            "never_share": sc.NEVER_SHARE,
            "never_share_generated": tally.never / tally.predictions,
            "observed_delay_days_min": tally.delay_min if tally.labels_logged else None,
            "observed_delay_days_max": tally.delay_max if tally.labels_logged else None,
            "coverage": tally.labels_logged / tally.predictions,
            "note": "labels arriving after now are not logged, so coverage falls off at the end",
        },
        "slow_path": {
            "any": [
                {"column": sc.NEW_CATEGORY[0], "op": "==", "value": sc.NEW_CATEGORY[1]},
                {"column": "loan_amount", "op": ">", "value": sc.SLOW_LOAN_AMOUNT},
            ],
            "latency_factor": sc.SLOW_FACTOR,
            "base_latency": {
                "distribution": "lognormal",
                "median_ms": sc.LATENCY_MEDIAN_MS,
                "sigma": sc.LATENCY_SIGMA,
            },
            "observed_median_ms": {"fast": fast, "slow": slow},
        },
        "timeline": [
            {"start": sc.iso_utc(sc.SLICE_START), "event": "collapsed_slice"},
            {"start": sc.iso_utc(sc.ROLLOUT_START), "event": "version_rollout"},
            {"start": drift_start, "event": "drift"},
            {"start": sc.iso_utc(sc.NEW_CATEGORY_START), "event": "new_category"},
        ],
        "trace_id_format": "32 lowercase hex characters",
        "bad_rows": tally.bad,
        "bad_row_ids": [b["prediction_id"] for b in tally.bad],
        "models": {
            v: {
                "estimator": "lightgbm.LGBMClassifier",
                "params": models.params[v],
                "holdout_auc": models.holdout_auc[v],
            }
            for v in ("v1", "v2")
        },
    }
