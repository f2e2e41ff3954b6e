"""The drift benchmark's scenario (issue 3): Parquet files with known drifted and undrifted columns.

``write(size, directory)`` writes ``reference.parquet``, ``current.parquet`` and ``truth.json``:
28 features (20 numeric, 8 categorical), of which 12 drift (8 subtly, such as age + 1 year, and 4
clearly), 15 do not (including a constant, a binary, a skewed, a heavy-tailed and a 50-category
feature), and one (``tiny_shift``) drifts by a negligible 0.01 standard deviation and is scored as
neither a find nor a false alarm. The current rows carry a
``ts`` column (UTC, spread over 60 days) so that diaglab can log them; the reference has none.

Sizes: ``"100k"`` and ``"1M"`` are total rows, a third reference and two thirds current; ``"10M"``
is 1M reference rows and 10M current rows. Rows are generated and written in chunks of
:data:`CHUNK` rows, each from its own seeded generator, so the files are identical from run to run
and 11M rows take the memory of one chunk.

Run ``python -m bench.drift_scenario SIZE DIR`` to write one size.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 3  # issue 3
CHUNK = 500_000
DAYS = 60
START_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z in microseconds
VERSION = 1  # bump when the scenario changes, so cached files are rewritten


def split(size: str) -> tuple[int, int]:
    """Reference and current row counts of a named size."""
    if size == "10M":
        return 1_000_000, 10_000_000
    total = {"100k": 100_000, "1M": 1_000_000}.get(size) or int(float(size))
    ref = total // 3
    return ref, total - ref


Gen = Callable[[np.random.Generator, int, bool], np.ndarray | pa.Array]


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str  # numeric | categorical
    drifted: bool | None  # None: not scored
    what: str
    gen: Gen  # (rng, n, current) -> values


def _with_nulls(values: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    values = values.astype(np.float64)
    values[rng.random(len(values)) < rate] = np.nan
    return values


def _categorical(
    rng: np.random.Generator, n: int, categories: list[str], shares: Any, null_rate: float = 0.0
) -> pa.Array:
    p = np.asarray(shares, dtype=np.float64)
    codes = rng.choice(len(categories), size=n, p=p / p.sum()).astype(np.int32)
    mask = rng.random(n) < null_rate if null_rate else None
    indices = pa.array(codes, mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(categories)).cast(pa.string())


def _shift(shares: list[float], index: int, points: float) -> np.ndarray:
    """Move ``points`` of share to category ``index`` from all others, in proportion."""
    s = np.asarray(shares, dtype=np.float64)
    s = s / s.sum()
    rest = 1 - s[index]
    out = s * (rest - points) / rest
    out[index] = s[index] + points
    return out


REGIONS = ["north", "south", "east", "west", "central"]
REGION_SHARES = [0.30, 0.25, 0.20, 0.15, 0.10]
DEVICES = ["ios", "android", "web", "desktop"]
DEVICE_SHARES = [0.35, 0.35, 0.2, 0.1]
PAYMENTS = ["card", "paypal", "transfer", "wallet", "cash", "voucher"]
PAYMENT_SHARES = [0.45, 0.10, 0.15, 0.15, 0.10, 0.05]
BROWSERS = ["chrome", "safari", "firefox", "edge", "other"]
BROWSER_SHARES = [0.55, 0.25, 0.08, 0.07, 0.05]
COUNTRIES = [f"c{i:02d}" for i in range(50)]
COUNTRY_SHARES = 1 / np.arange(1, 51) ** 1.1  # Zipf-like: a few large, a long tail
TIERS = ["retail", "smb", "enterprise", "partner", "internal"]
TIER_SHARES = [0.6, 0.25, 0.1, 0.049, 0.001]  # one rare category, 0.1%


FEATURES: list[Feature] = []
R = np.random.Generator


def feature(kind: str, drifted: bool | None) -> Callable[[Gen], Gen]:
    """Register a generator ``(rng, n, current) -> values``; its docstring says what it draws."""

    def register(gen: Gen) -> Gen:
        FEATURES.append(
            Feature(gen.__name__, kind, drifted, " ".join((gen.__doc__ or "").split()), gen)
        )
        return gen

    return register


# --- drifted: 8 subtle, 4 clear ---------------------------------------------------------------


@feature("numeric", drifted=True)
def age(r: R, n: int, cur: bool) -> np.ndarray:
    """Integer years ~ N(40, 12) clipped to [18, 90]; current +1 year."""
    return np.clip(np.round(r.normal(40, 12, n)), 18, 90) + (1.0 if cur else 0.0)


@feature("numeric", drifted=True)
def income(r: R, n: int, cur: bool) -> np.ndarray:
    """Lognormal, median 45k; current x1.05."""
    return (np.exp(r.normal(np.log(45_000), 0.5, n)) * (1.05 if cur else 1.0)).round(2)


@feature("numeric", drifted=True)
def session_minutes(r: R, n: int, cur: bool) -> np.ndarray:
    """N(30, 8); current spread x1.1, same mean."""
    return r.normal(30, 8 * (1.1 if cur else 1.0), n).round(3)


@feature("numeric", drifted=True)
def credit_score(r: R, n: int, cur: bool) -> np.ndarray:
    """N(650, 50); current +5 (0.1 sd)."""
    return r.normal(655 if cur else 650, 50, n).round(1)


@feature("numeric", drifted=True)
def debt_ratio(r: R, n: int, cur: bool) -> np.ndarray:
    """Beta(2, 5), missing 5%; current missing 8%."""
    return _with_nulls(r.beta(2, 5, n), r, 0.08 if cur else 0.05)


@feature("numeric", drifted=True)
def items_in_cart(r: R, n: int, cur: bool) -> np.ndarray:
    """Poisson(3); current Poisson(3.6) (clear)."""
    return r.poisson(3.6 if cur else 3.0, n).astype(np.float64)


@feature("numeric", drifted=True)
def balance(r: R, n: int, cur: bool) -> np.ndarray:
    """N(2000, 500); current 3% of rows from N(6000, 800), a new product (clear)."""
    v = r.normal(2_000, 500, n)
    if cur:
        new = r.random(n) < 0.03
        v[new] = r.normal(6_000, 800, int(new.sum()))
    return v.round(2)


@feature("numeric", drifted=True)
def sensor_reading(r: R, n: int, cur: bool) -> np.ndarray:
    """U(0, 100); current saturates at 90, so 10% of rows read 90.0 (clear)."""
    v = r.uniform(0, 100, n).round(2)
    return np.minimum(v, 90.0) if cur else v


@feature("categorical", drifted=True)
def region(r: R, n: int, cur: bool) -> pa.Array:
    """5 regions; current 'west' +3 points of share (15% -> 18%)."""
    return _categorical(r, n, REGIONS, _shift(REGION_SHARES, 3, 0.03 if cur else 0.0))


@feature("categorical", drifted=True)
def device(r: R, n: int, cur: bool) -> pa.Array:
    """4 devices; current has a new category 'tv' at 1%."""
    shares = [*DEVICE_SHARES, 0.0]
    return _categorical(r, n, [*DEVICES, "tv"], _shift(shares, 4, 0.01 if cur else 0.0))


@feature("categorical", drifted=True)
def payment_method(r: R, n: int, cur: bool) -> pa.Array:
    """6 methods; current 'paypal' 10% -> 20% (clear)."""
    return _categorical(r, n, PAYMENTS, _shift(PAYMENT_SHARES, 1, 0.10 if cur else 0.0))


@feature("categorical", drifted=True)
def browser(r: R, n: int, cur: bool) -> pa.Array:
    """5 browsers, missing 1%; current missing 3%."""
    return _categorical(r, n, BROWSERS, BROWSER_SHARES, null_rate=0.03 if cur else 0.01)


# --- undrifted: the same distribution on both sides ---------------------------------------------


@feature("numeric", drifted=False)
def constant(r: R, n: int, cur: bool) -> np.ndarray:
    """Always 1.0."""
    return np.ones(n)


@feature("numeric", drifted=False)
def is_returning(r: R, n: int, cur: bool) -> np.ndarray:
    """Binary 0/1, P(1) = 0.3."""
    return (r.random(n) < 0.3).astype(np.float64)


@feature("numeric", drifted=False)
def purchase_amount(r: R, n: int, cur: bool) -> np.ndarray:
    """Skewed: lognormal(3, 1)."""
    return np.exp(r.normal(3, 1, n)).round(2)


@feature("numeric", drifted=False)
def daily_return(r: R, n: int, cur: bool) -> np.ndarray:
    """Heavy-tailed: Student t with 2 degrees of freedom (infinite variance)."""
    return r.standard_t(2, n)


@feature("numeric", drifted=False)
def temperature(r: R, n: int, cur: bool) -> np.ndarray:
    """N(20, 5)."""
    return r.normal(20, 5, n)


@feature("numeric", drifted=False)
def load_factor(r: R, n: int, cur: bool) -> np.ndarray:
    """U(0, 1)."""
    return r.random(n)


@feature("numeric", drifted=False)
def page_views(r: R, n: int, cur: bool) -> np.ndarray:
    """Poisson(8)."""
    return r.poisson(8.0, n).astype(np.float64)


@feature("numeric", drifted=False)
def rating(r: R, n: int, cur: bool) -> np.ndarray:
    """N(3.5, 1), 10% missing on both sides."""
    return _with_nulls(r.normal(3.5, 1, n), r, 0.10)


@feature("numeric", drifted=False)
def latency_score(r: R, n: int, cur: bool) -> np.ndarray:
    """Bimodal: 40% N(-2, 0.5), 60% N(3, 1)."""
    return np.where(r.random(n) < 0.4, r.normal(-2, 0.5, n), r.normal(3, 1, n))


@feature("numeric", drifted=False)
def refund_amount(r: R, n: int, cur: bool) -> np.ndarray:
    """Zero-inflated: 70% zeros, else Gamma(2, 30)."""
    return np.where(r.random(n) < 0.7, 0.0, r.gamma(2.0, 30.0, n).round(2))


@feature("numeric", drifted=False)
def household_size(r: R, n: int, cur: bool) -> np.ndarray:
    """Integers 1..6, many ties."""
    return r.choice(np.arange(1.0, 7.0), n, p=[0.3, 0.3, 0.2, 0.1, 0.07, 0.03])


@feature("categorical", drifted=False)
def country(r: R, n: int, cur: bool) -> pa.Array:
    """50 categories, Zipf-like shares."""
    return _categorical(r, n, COUNTRIES, COUNTRY_SHARES)


@feature("categorical", drifted=False)
def has_coupon(r: R, n: int, cur: bool) -> pa.Array:
    """'yes' / 'no', P(yes) = 0.2."""
    return _categorical(r, n, ["no", "yes"], [0.8, 0.2])


@feature("categorical", drifted=False)
def plan(r: R, n: int, cur: bool) -> pa.Array:
    """3 plans: free 70%, pro 25%, team 5%."""
    return _categorical(r, n, ["free", "pro", "team"], [0.7, 0.25, 0.05])


@feature("categorical", drifted=False)
def customer_tier(r: R, n: int, cur: bool) -> pa.Array:
    """5 customer tiers, one rare (0.1%)."""
    return _categorical(r, n, TIERS, TIER_SHARES)


# --- not scored ---------------------------------------------------------------------------------


@feature("numeric", drifted=None)
def tiny_shift(r: R, n: int, cur: bool) -> np.ndarray:
    """N(0, 1); current +0.01 (0.01 sd): real but negligible, scored as neither a find nor a
    false alarm."""
    return r.normal(0.01 if cur else 0.0, 1, n)


NUMERIC = [f.name for f in FEATURES if f.kind == "numeric"]
CATEGORICAL = [f.name for f in FEATURES if f.kind == "categorical"]
DRIFTED = [f.name for f in FEATURES if f.drifted is True]
UNDRIFTED = [f.name for f in FEATURES if f.drifted is False]
assert (len(NUMERIC), len(CATEGORICAL), len(DRIFTED), len(UNDRIFTED)) == (20, 8, 12, 15)

SCHEMA = pa.schema(
    [pa.field(f.name, pa.float64() if f.kind == "numeric" else pa.string()) for f in FEATURES]
)
CURRENT_SCHEMA = SCHEMA.append(pa.field("ts", pa.timestamp("us", tz="UTC")))


def _chunk(side: int, index: int, n: int, start: int, total: int) -> pa.Table:
    current = side == 1
    columns = []
    for k, f in enumerate(FEATURES):
        # one generator per (side, chunk, feature): a feature's values don't depend on the others
        rng = np.random.default_rng([SEED, side, index, k])
        values = f.gen(rng, n, current)
        columns.append(values if isinstance(values, pa.Array) else pa.array(values, pa.float64()))
    if current:
        span_us = DAYS * 86_400 * 1_000_000
        pos = np.arange(start, start + n, dtype=np.int64)
        ts = START_US + (pos * span_us) // max(total, 1)
        columns.append(pa.array(ts, pa.timestamp("us", tz="UTC")))
        return pa.Table.from_arrays(columns, schema=CURRENT_SCHEMA)
    return pa.Table.from_arrays(columns, schema=SCHEMA)


def _write_side(path: Path, side: int, rows: int) -> None:
    tmp = path.with_suffix(".parquet.tmp")
    schema = CURRENT_SCHEMA if side else SCHEMA
    with pq.ParquetWriter(tmp, schema) as writer:
        for index, start in enumerate(range(0, rows, CHUNK)):
            n = min(CHUNK, rows - start)
            writer.write_table(_chunk(side, index, n, start, rows), row_group_size=CHUNK)
    tmp.rename(path)


def truth(size: str) -> dict:
    ref, cur = split(size)
    return {
        "version": VERSION,
        "size": size,
        "reference_rows": ref,
        "current_rows": cur,
        "numeric": NUMERIC,
        "categorical": CATEGORICAL,
        "drifted": DRIFTED,
        "undrifted": UNDRIFTED,
        "unscored": [f.name for f in FEATURES if f.drifted is None],
        "timestamp": "ts",
        "features": {
            f.name: {"kind": f.kind, "drifted": f.drifted, "what": f.what} for f in FEATURES
        },
    }


def write(size: str, directory: Path) -> Path:
    """Write the scenario of ``size`` into ``directory`` unless it is already there."""
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / "truth.json"
    expected = truth(size)
    if marker.exists() and json.loads(marker.read_text()) == expected:
        return directory
    marker.unlink(missing_ok=True)  # written last: its presence means the Parquet files are whole
    ref, cur = split(size)
    _write_side(directory / "reference.parquet", 0, ref)
    _write_side(directory / "current.parquet", 1, cur)
    marker.write_text(json.dumps(expected, indent=1))
    return directory


if __name__ == "__main__":
    print(write(sys.argv[1], Path(sys.argv[2])))
