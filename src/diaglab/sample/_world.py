"""Who applies for a loan, and who defaults."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from diaglab.sample import _scenario as sc


def draw_applicants(
    rng: np.random.Generator, n: int, *, drifted: np.ndarray, partner: np.ndarray
) -> dict[str, np.ndarray]:
    """Draw ``n`` applicants. Categoricals come back as integer codes into ``VOCAB`` (channel
    code 4 is ``partner_api``). ``drifted`` and ``partner`` are per-row masks (or scalars) saying
    whether the covariate drift and the new channel are in effect."""
    cols: dict[str, np.ndarray] = {}
    for col, (values, p) in sc.VOCAB.items():
        cols[col] = rng.choice(len(values), size=n, p=np.asarray(p))
    # partner_api takes its share from the other channels, in proportion.
    takes = partner & (rng.random(n) < sc.NEW_CATEGORY_SHARE)
    cols["channel"] = np.where(takes, len(sc.VOCAB["channel"][0]), cols["channel"])

    emp = cols["employment"]
    age_mu = np.array([41.0, 45.0, 38.0, 68.0, 22.0])[emp]
    age_sd = np.array([11.0, 11.0, 13.0, 6.0, 3.0])[emp]
    age_lo = np.array([18.0, 20.0, 18.0, 55.0, 18.0])[emp]
    age_hi = np.array([70.0, 80.0, 70.0, 95.0, 35.0])[emp]
    age = np.clip(np.round(rng.normal(age_mu, age_sd)), age_lo, age_hi)

    log_income = (
        np.log(52_000.0)
        + np.array([0.0, 0.10, -0.9, -0.35, -1.0])[emp]
        + np.array([-0.05, -0.10, 0.05, 0.12, 0.0])[cols["region"]]
        + 0.006 * (np.minimum(age, 60.0) - 40.0)
        + rng.normal(0.0, np.array([0.42, 0.6, 0.5, 0.4, 0.5])[emp])
    )
    income = np.clip(np.exp(log_income), 5_000.0, 1_000_000.0)

    dti = np.round(rng.beta(2.5, 6.0, size=n), 3)
    util = rng.beta(2.0, 3.2, size=n)

    purpose_effect = np.array([0.1, 0.3, 0.1, -0.1, -0.5, 0.5, -0.3])[cols["purpose"]]
    log_loan = (
        np.log(12_000.0)
        + 0.35 * (np.log(np.maximum(income, 5_000.0)) - np.log(52_000.0))
        + purpose_effect
        + rng.normal(0.0, 0.6, size=n)
    )
    loan = np.round(np.clip(np.exp(log_loan), 1_000.0, 100_000.0) / 50.0) * 50.0
    term = np.array([12.0, 24.0, 36.0, 48.0, 60.0])[
        rng.choice(5, size=n, p=[0.08, 0.17, 0.40, 0.15, 0.20])
    ]
    lines = rng.poisson(np.clip(4.0 + 0.08 * (age - 20.0), 1.0, 12.0)).astype(np.float64) + 1.0

    working = np.maximum(age - 18.0, 0.0)
    years = np.select(
        [emp <= 1, emp == 2, emp == 3],
        [
            np.minimum(working, rng.gamma(2.0, 4.0, size=n)),
            np.minimum(working, rng.gamma(1.0, 1.0, size=n)),
            np.minimum(working, rng.gamma(6.0, 5.0, size=n)),
        ],
        default=np.minimum(working, rng.uniform(0.0, 2.0, size=n)),
    )
    # The covariate drift moves only these three: features derived from them (loan amount,
    # credit lines, employment years) were drawn from the undrifted values and stay put.
    age = age + np.where(drifted, sc.AGE_SHIFT, 0.0)
    income = np.round(income * np.where(drifted, sc.INCOME_FACTOR, 1.0), -2)
    util = np.where(drifted, 1.0 - sc.UTILIZATION_HEADROOM_FACTOR * (1.0 - util), util)
    cols.update(
        age=age,
        income=income,
        debt_to_income=dti,
        credit_utilization=np.round(util, 3),
        loan_amount=loan,
        loan_term_months=term,
        num_credit_lines=lines,
        employment_years=np.round(years, 1),
    )
    return cols


def default_logit(cols: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """The true log-odds of default (the same everywhere, except in the collapsed slice)."""
    n = len(cols["age"])
    ratio = cols["loan_amount"] / np.maximum(cols["income"], 5_000.0)
    return (
        -2.2
        + 2.4 * (cols["credit_utilization"] - 0.4)
        + 3.5 * (cols["debt_to_income"] - 0.3)
        - 0.8 * (np.log(np.maximum(cols["income"], 5_000.0)) - np.log(52_000.0))
        - 0.015 * (cols["age"] - 40.0)
        - 0.04 * np.minimum(cols["employment_years"], 20.0)
        + 1.6 * (ratio - 0.25)
        - 0.05 * (cols["num_credit_lines"] - 6.0)
        + 0.012 * (cols["loan_term_months"] - 36.0)
        + np.array([0.0, 0.25, 0.9, -0.1, 0.4])[cols["employment"]]
        + np.array([0.2, -0.2, -0.3, 0.1, 0.3, 0.5, 0.0])[cols["purpose"]]
        + np.array([0.15, -0.15, -0.3, 0.1])[cols["home_ownership"]]
        + np.array([-0.1, 0.05, 0.0, -0.05, 0.1])[cols["region"]]
        + np.array([0.0, 0.05, -0.1, 0.2, 0.3])[cols["channel"]]
        + rng.normal(0.0, 0.5, size=n)
    )


def in_slice_codes(cols: dict[str, np.ndarray]) -> np.ndarray:
    """Rows of the slice that collapses (``SLICE``'s conditions, on category codes)."""
    inside = np.ones(len(cols["region"]), dtype=bool)
    for col, value in sc.SLICE:
        inside &= cols[col] == sc.ENUM_CODES[col][value]
    return inside


def collapsed_logit(logit: np.ndarray) -> np.ndarray:
    """In the collapsed slice after its start, defaults jump and run against the usual signals:
    a downturn hits the self-employed in the north, and those who looked safest default most."""
    return -0.1 - 1.1 * (logit + 2.3)


def draw_outcome(
    rng: np.random.Generator, cols: dict[str, np.ndarray], collapsed: np.ndarray
) -> np.ndarray:
    logit = default_logit(cols, rng)
    logit = np.where(collapsed, collapsed_logit(logit), logit)
    return (rng.random(len(logit)) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int8)


def vocabulary(col: str) -> list[str]:
    """Every value a categorical feature takes in production (bad rows aside)."""
    vocab = list(sc.VOCAB[col][0])
    return [*vocab, sc.NEW_CATEGORY[1]] if col == sc.NEW_CATEGORY[0] else vocab


def categorical_over(values: np.ndarray, vocab: list[str]) -> pd.Categorical:
    """Strings as a categorical over ``vocab``; anything else (bad rows) becomes missing."""
    known = pd.Series(values, dtype=object)
    return pd.Categorical(known.where(known.isin(vocab)), categories=pd.Index(vocab))


def to_frame(cols: dict[str, np.ndarray], *, model_dtypes: bool) -> pd.DataFrame:
    """Codes → a feature frame. ``model_dtypes`` gives category columns whose categories are the
    reference vocabulary (what the models are trained on); otherwise plain string columns."""
    data: dict[str, Any] = {}
    for col in sc.FEATURES:
        values = cols[col]
        if col in sc.VOCAB:
            vocab = vocabulary(col)
            cat: Any
            if values.dtype.kind in "iu":
                cat = pd.Categorical.from_codes(values, categories=pd.Index(vocab))
            else:  # already strings, possibly off-vocabulary (bad rows)
                cat = categorical_over(values, vocab)
            if model_dtypes:
                data[col] = cat.remove_categories([sc.NEW_CATEGORY[1]]) if col == "channel" else cat
            else:
                data[col] = pd.Series(values if values.dtype.kind == "O" else cat, dtype="str")
        else:
            data[col] = np.asarray(values, dtype=np.float64)
    return pd.DataFrame(data)
