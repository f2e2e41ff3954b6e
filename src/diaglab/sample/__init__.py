"""A realistic lending scenario with planted, machine-checkable truths.

``build_sample(path)`` writes a diaglab store for a LightGBM model named ``credit`` that scores
loan applications with the probability of default. It holds a reference (the training data of the
model) and 60 days of production traffic in which several things go wrong on purpose:

- covariate drift from 2026-02-10: income falls ~15%, credit utilization rises, and a subtle one,
  every applicant is one year older; the other features stay as they were;
- a new sales channel, ``partner_api``, from 2026-02-15;
- concept drift in one slice (``region == 'north'`` and ``employment == 'self_employed'``, ~6% of
  traffic) from 2026-01-20: defaults jump there and stop following the model's signals, so its
  accuracy collapses while the rest holds;
- model version ``v2`` (retrained on a fresh draw, other hyper-parameters) rolled out linearly
  between 2026-02-01 and 2026-02-03;
- labels arriving 1–30 days late, 20% never, and none after the scenario's end ("now");
- a slow path: ``partner_api`` requests and loans above 50,000 take 5x longer;
- request traces: every prediction's ``trace_id`` leads to four spans (``request`` and the stages
  ``feature_lookup``, ``model``, ``postprocess``); on the slow path the extra time is spent in
  ``feature_lookup``, and ~1 request in 4096 fails in ``postprocess`` (see ``_spans``);
- a handful of bad rows (missing values, age 999, negative income, a long unicode category).

Everything is generated from the seed alone: the same ``rows`` and ``seed`` give the same store,
whatever ``chunk_rows`` is, because traffic is drawn hour by hour, each hour from its own random
stream. Production rows are generated, scored and logged in chunks, so memory stays bounded at
any number of rows.

What was planted is written next to the store's data as ``sample_truth.json`` (see
:func:`build_sample` for its keys), so explorers and tests can check that they find it.

Modules: ``_scenario`` (calendar, vocabulary, every knob), ``_world`` (applicants and defaults),
``_models`` (v1 and v2), ``_traffic`` (hourly traffic, chunks, bad rows), ``_spans`` (the request
traces), ``_truth`` (the tally and the truth file), ``_build`` (the store and the command line).

Example
-------
>>> truth = build_sample("/tmp/credit", rows=20_000, progress=False)  # doctest: +SKIP
>>> truth["collapsed_slice"]["start"]  # doctest: +SKIP
'2026-01-20T00:00:00Z'
"""

from __future__ import annotations

from diaglab.sample._build import build_sample, main
from diaglab.sample._copy import working_copy
from diaglab.sample._models import SampleModels, train_models
from diaglab.sample._scenario import (
    CATEGORICAL,
    DRIFT_START,
    FEATURES,
    MODEL,
    NEW_CATEGORY,
    NEW_CATEGORY_START,
    NOW,
    NUMERIC,
    PRODUCTION_START,
    REFERENCE_END,
    REFERENCE_START,
    ROLLOUT_END,
    ROLLOUT_START,
    SLICE_START,
    TRUTH_FILE,
)
from diaglab.sample._traffic import SampleChunk, iter_production, production_frame

__all__ = [
    "CATEGORICAL",
    "DRIFT_START",
    "FEATURES",
    "MODEL",
    "NEW_CATEGORY",
    "NEW_CATEGORY_START",
    "NOW",
    "NUMERIC",
    "PRODUCTION_START",
    "REFERENCE_END",
    "REFERENCE_START",
    "ROLLOUT_END",
    "ROLLOUT_START",
    "SLICE_START",
    "TRUTH_FILE",
    "SampleChunk",
    "SampleModels",
    "build_sample",
    "iter_production",
    "main",
    "production_frame",
    "train_models",
    "working_copy",
]
