"""The scenario's calendar, vocabulary and knobs: every planted change is set here."""

from __future__ import annotations

from typing import Any

import pandas as pd

MODEL = "credit"
TRUTH_FILE = "sample_truth.json"

UTC = "UTC"
REFERENCE_START = pd.Timestamp("2025-11-01", tz=UTC)
REFERENCE_END = pd.Timestamp("2026-01-01", tz=UTC)  # exclusive
PRODUCTION_START = pd.Timestamp("2026-01-01", tz=UTC)
NOW = pd.Timestamp("2026-03-02", tz=UTC)  # exclusive end of production, the scenario's "now"
DAYS = 60
HOURS = DAYS * 24

SLICE_START = pd.Timestamp("2026-01-20", tz=UTC)
ROLLOUT_START = pd.Timestamp("2026-02-01", tz=UTC)
ROLLOUT_END = pd.Timestamp("2026-02-03", tz=UTC)
DRIFT_START = pd.Timestamp("2026-02-10", tz=UTC)
NEW_CATEGORY_START = pd.Timestamp("2026-02-15", tz=UTC)

NUMERIC = (
    "age",
    "income",
    "debt_to_income",
    "credit_utilization",
    "loan_amount",
    "loan_term_months",
    "num_credit_lines",
    "employment_years",
)
CATEGORICAL = ("region", "employment", "purpose", "channel", "home_ownership")
FEATURES = NUMERIC + CATEGORICAL

# Category vocabularies and their shares of traffic (reference and production before any change).
VOCAB: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "region": (("north", "south", "east", "west", "central"), (0.24, 0.24, 0.20, 0.18, 0.14)),
    "employment": (
        ("employed", "self_employed", "unemployed", "retired", "student"),
        (0.56, 0.26, 0.05, 0.09, 0.04),
    ),
    "purpose": (
        (
            "debt_consolidation",
            "home_improvement",
            "car",
            "education",
            "medical",
            "small_business",
            "other",
        ),
        (0.34, 0.14, 0.14, 0.07, 0.07, 0.08, 0.16),
    ),
    "channel": (("web", "mobile", "branch", "broker"), (0.44, 0.32, 0.14, 0.10)),
    "home_ownership": (("rent", "mortgage", "own", "other"), (0.38, 0.40, 0.18, 0.04)),
}
NEW_CATEGORY = ("channel", "partner_api")
NEW_CATEGORY_SHARE = 0.14  # partner_api's share of traffic once it exists; the others shrink

# Covariate drift from DRIFT_START.
INCOME_FACTOR = 0.85
UTILIZATION_HEADROOM_FACTOR = 0.82  # utilization u becomes 1 - 0.82 * (1 - u)
AGE_SHIFT = 1.0

# Labels.
LABEL_DELAY_DAYS = (1.0, 30.0)
# A label is known 1 + 28 * Beta(1.3, 4) days after the request (mean ~7.5 days, a long tail)
# and delivered by the next daily batch, at 06:00 UTC: the delay stays within [1, 30) days.
LABEL_DELAY_BETA = (1.3, 4.0)
LABEL_BATCH_HOUR = 6
NEVER_SHARE = 0.20

# Latency.
LATENCY_MEDIAN_MS = 18.0
LATENCY_SIGMA = 0.45
SLOW_FACTOR = 5.0
SLOW_LOAN_AMOUNT = 50_000.0

ENUM_CODES = {col: {v: i for i, v in enumerate(VOCAB[col][0])} for col in VOCAB}

V1_PARAMS: dict[str, Any] = {
    "n_estimators": 120,
    "learning_rate": 0.08,
    "num_leaves": 31,
    "min_child_samples": 50,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.9,
}
V2_PARAMS: dict[str, Any] = {
    "n_estimators": 160,
    "learning_rate": 0.06,
    "num_leaves": 24,
    "min_child_samples": 80,
    "subsample": 0.7,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
}

# Streams of the root seed; each part of the scenario draws from its own.
STREAM_TRAFFIC, STREAM_HOUR, STREAM_REF_V1, STREAM_REF_V2 = range(4)

NS_HOUR = 3_600 * 10**9
NS_DAY = 24 * NS_HOUR

# What the truth calls drifted, undisturbed, and the collapsed slice's conditions.
DRIFTED = ("age", "credit_utilization", "income")
UNDISTURBED = tuple(f for f in FEATURES if f not in (*DRIFTED, NEW_CATEGORY[0]))
SLICE = (("region", "north"), ("employment", "self_employed"))


def iso_utc(ts: pd.Timestamp) -> str:
    """ISO 8601 in UTC with a Z, microseconds only when there are any."""
    text = ts.tz_convert(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{ts.microsecond:06d}Z" if ts.microsecond else f"{text}Z"
