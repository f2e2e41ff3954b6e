"""Production traffic, hour by hour, scored and assembled into chunks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from diaglab.sample import _scenario as sc
from diaglab.sample._models import SampleModels
from diaglab.sample._world import (
    draw_applicants,
    draw_outcome,
    in_slice_codes,
    to_frame,
    vocabulary,
)


def _hour_weights() -> np.ndarray:
    """Relative traffic per production hour: a daily cycle peaking mid-afternoon UTC, quieter
    weekends, and slow growth."""
    hours = np.arange(sc.HOURS)
    hod = hours % 24
    day = hours // 24
    dow = (sc.PRODUCTION_START.day_of_week + day) % 7
    diurnal = 0.25 + np.exp(-(((hod - 14.0) / 4.5) ** 2))
    weekly = np.where(dow == 5, 0.75, np.where(dow == 6, 0.65, 1.0))
    growth = 1.0 + 0.1 * day / sc.DAYS
    w = diurnal * weekly * growth
    return np.asarray(w / w.sum(), dtype=np.float64)


def _hour_counts(seed: int, rows: int) -> np.ndarray:
    rng = np.random.default_rng([seed, sc.STREAM_TRAFFIC])
    return rng.multinomial(rows, _hour_weights())


def bad_row_positions(rows: int) -> list[int]:
    """Global row indices of the bad rows: spread over the period, fixed given ``rows``."""
    kinds = len(BAD_ROWS)
    return sorted({min(rows - 1, (rows * (2 * k + 1)) // (2 * kinds) + 7) for k in range(kinds)})


LONG_PURPOSE = ("réparation du toit — 屋根の修理 🏠 " * 12).strip()
# (problem, {column: value written}), planted in this order at bad_row_positions(rows).
BAD_ROWS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("missing income", {"income": np.nan}),
    ("missing region and employment", {"region": None, "employment": None}),
    ("age out of range", {"age": 999.0}),
    ("negative income", {"income": -25_000.0}),
    ("long unicode purpose", {"purpose": LONG_PURPOSE}),
    ("off-vocabulary employment spelling", {"employment": "Self-Employed "}),
    (
        "every feature missing",
        {col: (None if col in sc.VOCAB else np.nan) for col in sc.FEATURES},
    ),
)


def _hour_block(seed: int, hour: int, n: int, first_row: int) -> dict[str, np.ndarray]:
    """Everything about the ``n`` requests of production hour ``hour`` (codes for categories)."""
    rng = np.random.default_rng([seed, sc.STREAM_HOUR, hour])
    start_ns = sc.PRODUCTION_START.value + hour * sc.NS_HOUR
    # Whole microseconds: what Parquet and DuckDB timestamps hold, so nothing is rounded later.
    ts = np.sort(start_ns + rng.integers(0, sc.NS_HOUR // 1_000, size=n, dtype=np.int64) * 1_000)
    drifted = ts >= sc.DRIFT_START.value
    partner = ts >= sc.NEW_CATEGORY_START.value
    cols = draw_applicants(rng, n, drifted=drifted, partner=partner)
    collapsed = in_slice_codes(cols) & (ts >= sc.SLICE_START.value)
    outcome = draw_outcome(rng, cols, collapsed)

    # v2's share rises linearly from 0 at ROLLOUT_START to 1 at ROLLOUT_END.
    share = np.clip(
        (ts - sc.ROLLOUT_START.value) / (sc.ROLLOUT_END.value - sc.ROLLOUT_START.value), 0, 1
    )
    v2 = rng.random(n) < share

    never = rng.random(n) < sc.NEVER_SHARE
    lo, hi = sc.LABEL_DELAY_DAYS
    known_days = lo + (hi - 1.0 - lo) * rng.beta(*sc.LABEL_DELAY_BETA, size=n)
    known = ts + (known_days * sc.NS_DAY).astype(np.int64)
    batch = sc.LABEL_BATCH_HOUR * sc.NS_HOUR
    label_ts = -((batch - known) // sc.NS_DAY) * sc.NS_DAY + batch  # the next batch, at or after

    slow = (cols["channel"] == len(sc.VOCAB["channel"][0])) | (
        cols["loan_amount"] > sc.SLOW_LOAN_AMOUNT
    )
    latency = sc.LATENCY_MEDIAN_MS * np.exp(rng.normal(0.0, sc.LATENCY_SIGMA, size=n))
    latency = np.round(latency * np.where(slow, sc.SLOW_FACTOR, 1.0), 3)

    trace = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    cols.update(
        row=np.arange(first_row, first_row + n, dtype=np.int64),
        ts=ts,
        v2=v2,
        outcome=outcome,
        never=never,
        label_ts=label_ts,
        latency=latency,
        trace=trace,
    )
    return cols


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _trace_ids(raw: np.ndarray) -> np.ndarray:
    """(n, 16) random bytes → n OpenTelemetry-style trace ids (32 lowercase hex characters)."""
    nibbles = np.empty((raw.shape[0], 32), dtype=np.uint8)
    nibbles[:, 0::2] = _HEX[raw >> 4]
    nibbles[:, 1::2] = _HEX[raw & 0x0F]
    return nibbles.view("S32").ravel().astype(str).astype(object)


@dataclass(frozen=True)
class SampleChunk:
    """One chunk of production traffic, in time order, with what the store is told and the
    ground truth behind it.

    ``features`` has string columns for categoricals (as a producer would log them).
    ``label_timestamps`` is when each row's label is delivered, or would be (``label_never``
    rows never get theirs); ``label_logged`` marks the rows whose label has arrived by ``now``,
    and so is logged. ``outcome`` is the true default of every row, logged or not.
    ``bad`` holds the descriptions of the bad rows in this chunk, by prediction id.
    """

    features: pd.DataFrame
    prediction_ids: np.ndarray
    timestamps: pd.Series
    model_version: np.ndarray
    scores: np.ndarray
    latency_ms: np.ndarray
    trace_ids: np.ndarray
    outcome: np.ndarray
    label_timestamps: pd.Series
    label_logged: np.ndarray
    label_never: np.ndarray
    bad: dict[str, str]

    def __len__(self) -> int:
        return len(self.prediction_ids)


def _prediction_id(seed: int, row: int) -> str:
    return f"p{seed}-{row:09d}"


def _assemble(
    blocks: list[dict[str, np.ndarray]], models: SampleModels, seed: int, bad_at: dict[int, int]
) -> SampleChunk:
    cols = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
    rows = cols["row"]
    bad: dict[str, str] = {}
    at = np.flatnonzero(np.isin(rows, list(bad_at)))
    hits = [(int(i), bad_at[int(rows[i])]) for i in at]
    if hits:
        for col in sc.CATEGORICAL:  # codes → strings so that any string can be written
            vocab = np.array(vocabulary(col), dtype=object)
            cols[col] = vocab[cols[col]]
        for i, kind in hits:
            description, values = BAD_ROWS[kind]
            for col, value in values.items():
                cols[col][i] = value
            bad[_prediction_id(seed, int(rows[i]))] = description
    features = to_frame(cols, model_dtypes=False)

    ids = np.array([_prediction_id(seed, int(r)) for r in rows], dtype=object)
    version = np.where(cols["v2"], "v2", "v1").astype(object)
    scores = np.empty(len(rows), dtype=np.float64)
    coded = to_frame(cols, model_dtypes=True)
    for v in ("v1", "v2"):
        mask = version == v
        if mask.any():
            scores[mask] = models.score_frame(v, coded.loc[mask])
    del coded
    label_ts = cols["label_ts"]
    logged = ~cols["never"] & (label_ts < sc.NOW.value)
    return SampleChunk(
        features=features,
        prediction_ids=ids,
        timestamps=pd.Series(pd.to_datetime(cols["ts"], utc=True)),
        model_version=version,
        scores=scores,
        latency_ms=cols["latency"],
        trace_ids=_trace_ids(cols["trace"]),
        outcome=cols["outcome"],
        label_timestamps=pd.Series(pd.to_datetime(label_ts, utc=True)),
        label_logged=logged,
        label_never=cols["never"],
        bad=bad,
    )


def iter_production(
    models: SampleModels, *, rows: int = 200_000, seed: int = 0, chunk_rows: int = 100_000
) -> Iterator[SampleChunk]:
    """Generate and score ``rows`` production requests in time order, ``chunk_rows`` at a time.

    The rows do not depend on ``chunk_rows``: each hour of traffic is drawn from its own stream.
    """
    check_sizes(rows=rows, seed=seed, chunk_rows=chunk_rows)
    counts = _hour_counts(seed, rows)
    bad_at = {pos: k for k, pos in enumerate(bad_row_positions(rows))}
    pending: list[dict[str, np.ndarray]] = []
    n_pending = 0
    first = 0
    for hour, n in enumerate(counts):
        if n == 0:
            continue
        pending.append(_hour_block(seed, hour, int(n), first))
        first += int(n)
        n_pending += int(n)
        while n_pending >= chunk_rows:
            head, pending = _split(pending, chunk_rows)
            n_pending -= chunk_rows
            chunk = _assemble(head, models, seed, bad_at)
            # Hold nothing of this chunk while the next is drawn: with the caller also letting go
            # of it (``del chunk`` in its loop), one chunk at a time is alive.
            del head
            yield chunk
            del chunk
    if n_pending:
        yield _assemble(pending, models, seed, bad_at)


def _split(
    blocks: list[dict[str, np.ndarray]], n: int
) -> tuple[list[dict[str, np.ndarray]], list[dict[str, np.ndarray]]]:
    """The first ``n`` rows of a list of blocks, and the rest."""
    head: list[dict[str, np.ndarray]] = []
    taken = 0
    for i, block in enumerate(blocks):
        size = len(block["row"])
        if taken + size <= n:
            head.append(block)
            taken += size
            if taken == n:
                return head, blocks[i + 1 :]
            continue
        cut = n - taken
        head.append({k: v[:cut] for k, v in block.items()})
        return head, [{k: v[cut:] for k, v in block.items()}, *blocks[i + 1 :]]
    return head, []


def check_sizes(*, rows: int, seed: int, chunk_rows: int) -> None:
    if not isinstance(rows, int) or rows < 100:
        raise ValueError(f"rows must be an integer >= 100, got {rows!r}")
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")


def production_frame(
    models: SampleModels, *, rows: int = 20_000, seed: int = 0, chunk_rows: int = 100_000
) -> pd.DataFrame:
    """All production rows in one frame (for small ``rows``: tests, notebooks).

    Columns: the features, ``prediction_id``, ``timestamp``, ``model_version``, ``score``,
    ``latency_ms``, ``trace_id``, ``outcome`` (the true default), ``label_timestamp`` (when it
    arrives, arrived or not), ``label_logged`` and ``label_never``.
    """
    parts = []
    for chunk in iter_production(models, rows=rows, seed=seed, chunk_rows=chunk_rows):
        frame = chunk.features.copy()
        frame["prediction_id"] = chunk.prediction_ids
        frame["timestamp"] = chunk.timestamps.array
        frame["model_version"] = chunk.model_version
        frame["score"] = chunk.scores
        frame["latency_ms"] = chunk.latency_ms
        frame["trace_id"] = chunk.trace_ids
        frame["outcome"] = chunk.outcome
        frame["label_timestamp"] = chunk.label_timestamps.array
        frame["label_logged"] = chunk.label_logged
        frame["label_never"] = chunk.label_never
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)
