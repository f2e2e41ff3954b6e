"""Bins of a feature for slicing: quantile cut points (of the reference when it has the feature),
rounded so predicates read well; categories with rare values folded into "other"; a bin for
missing values. Each bin is a list of conditions selecting exactly its rows, and ``Binning.code``
computes every row's bin in the engine."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd

from diaglab.errors import InputError
from diaglab.queries.binning import categorical_counts
from diaglab.queries.filters import Condition

DEFAULT_BINS = 5
NULL_CODE = -1
MAX_BINS = 50


@dataclass(frozen=True)
class Bin:
    """One bin of a feature: its engine code, a short label and the conditions selecting it."""

    code: int
    label: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Binning:
    """How one feature is cut into bins; ``code(table)`` is the bin of each row in the engine."""

    feature: str
    kind: str
    bins: tuple[Bin, ...]
    edges: tuple[float, ...] = ()
    kept: tuple[str, ...] = ()
    n_values: int = 0
    """Distinct non-missing values of a categorical feature in the rows it was binned on."""

    def code(self, table: Any) -> Any:
        col = table[self.feature]
        whens: list[tuple[Any, int]] = [(col.isnull(), NULL_CODE)]
        if self.kind == "numeric":
            whens += [(col < e, i) for i, e in enumerate(self.edges)]
            other = len(self.edges)
        else:
            whens += [(col == v, i) for i, v in enumerate(self.kept)]
            other = len(self.kept)
        return ibis.cases(*whens, else_=other).cast("int16")

    def codes_of(self, values: pd.Series) -> np.ndarray:
        """The bin code of each raw value of a categorical feature (as text; None is missing),
        as :meth:`code` computes it in the engine."""
        index = {v: i for i, v in enumerate(self.kept)}
        mapped = values.map(index)
        codes = mapped.fillna(len(self.kept)).to_numpy(dtype=np.int64)
        return np.where(values.isna().to_numpy(), NULL_CODE, codes)

    def bin(self, code: int) -> Bin:
        for b in self.bins:
            if b.code == code:
                return b
        raise KeyError(code)

    @property
    def cardinality(self) -> int:
        return len(self.bins)


def nice_edges(values: Sequence[float]) -> tuple[float, ...]:
    """Distinct quantile cut points rounded to the fewest significant digits that keep them
    distinct (``31,874.2`` → ``32,000``), so predicates read well and still split the data."""
    raw = sorted({float(v) for v in values if v is not None and math.isfinite(float(v))})
    if len(raw) <= 1:
        return tuple(raw)
    for digits in range(2, 8):
        rounded = [float(f"{v:.{digits}g}") for v in raw]
        if all(b > a for a, b in itertools.pairwise(rounded)):
            return tuple(rounded)
    return tuple(raw)


def _fmt(v: float) -> str:
    return Condition("x", "<", v).text(readable=True).split(" < ", 1)[1]


def _numeric_binning(
    feature: str, edges: tuple[float, ...], has_nulls: bool, has_values: bool = True
) -> Binning:
    bins: list[Bin] = []
    if not edges and has_values:
        bins.append(Bin(0, "all values", (Condition(feature, "is not null"),)))
    for i in range(len(edges) + 1 if edges else 0):
        lo = edges[i - 1] if i > 0 else None
        hi = edges[i] if i < len(edges) else None
        conds: list[Condition] = []
        if lo is not None:
            conds.append(Condition(feature, ">=", lo))
        if hi is not None:
            conds.append(Condition(feature, "<", hi))
        label = (
            f"< {_fmt(hi)}"
            if lo is None and hi is not None
            else f">= {_fmt(lo)}"
            if hi is None and lo is not None
            else f"{_fmt(lo)} – {_fmt(hi)}"  # type: ignore[arg-type]
        )
        bins.append(Bin(i, label, tuple(conds)))
    if has_nulls:
        bins.append(Bin(NULL_CODE, "(missing)", (Condition(feature, "is null"),)))
    return Binning(feature, "numeric", tuple(bins), edges=edges)


def _categorical_binning(
    feature: str, counts: pd.Series, other_threshold: float, max_values: int
) -> Binning:
    nulls = int(counts[counts.index.isna()].sum())
    values = counts[counts.index.notna()].sort_values(ascending=False, kind="stable")
    total = int(values.sum()) + nulls
    kept_series = values[values >= other_threshold * max(total, 1)].iloc[:max_values]
    kept = tuple(str(v) for v in kept_series.index)
    bins = [Bin(i, v, (Condition(feature, "=", v),)) for i, v in enumerate(kept)]
    rest = values.iloc[len(kept) :]
    if len(rest):
        cond = Condition(feature, "not in", kept) if kept else Condition(feature, "is not null")
        plural = "value" if len(rest) == 1 else "values"
        label = f"other ({len(rest):,} {plural})" if kept else f"all {len(rest):,} {plural}"
        bins.append(Bin(len(kept), label, (cond,)))
    if nulls:
        bins.append(Bin(NULL_CODE, "(missing)", (Condition(feature, "is null"),)))
    return Binning(feature, "categorical", tuple(bins), kept=kept, n_values=len(values))


def _bin_spec(bins: Any, feature: str, column: str) -> Any:
    if isinstance(bins, Mapping):
        return bins.get(feature, bins.get(column))
    return bins


def binnings(
    store: Any,
    model: str,
    table: Any,
    features: Sequence[str],
    *,
    bins: Any = None,
    other_threshold: float = 0.01,
    version: str | None = None,
    cache_key: Any = None,
) -> dict[str, Binning]:
    """The bins of ``features``: numeric ones cut at reference quantiles (or ``table``'s when the
    reference lacks the feature), or at given edges; categorical ones from ``table``'s counts.
    One query for all quantiles, one for all category counts; cached until the store changes."""
    schema = store.schema(model)
    # each feature as named -> its stored column, which the bins' conditions and codes read
    stored = {f: schema.resolve(f) for f in features}
    named = {c: f for f, c in stored.items()}
    if not 0 <= other_threshold < 1:
        raise InputError(f"other_threshold is a share in [0, 1), got {other_threshold!r}")

    def compute() -> dict[str, Binning]:
        numeric = [c for c in stored.values() if schema.kind(c) == "numeric"]
        categorical = [c for c in stored.values() if schema.kind(c) != "numeric"]
        wanted: dict[str, int] = {}
        given: dict[str, tuple[float, ...]] = {}
        for f in numeric:
            spec = _bin_spec(bins, named[f], f)
            if spec is None or isinstance(spec, int | np.integer):
                count = DEFAULT_BINS if spec is None else int(spec)
                if not 1 <= count <= MAX_BINS:
                    raise InputError(f"bins for {f!r} must be 1..{MAX_BINS}, got {count}")
                wanted[f] = count
            else:
                try:
                    given[f] = tuple(sorted({float(e) for e in spec}))
                except (TypeError, ValueError) as exc:
                    raise InputError(f"bins for {f!r} must be a count or edges: {spec!r}") from exc
        edges, nulls, present = _numeric_facts(store, model, table, wanted, version, numeric)
        edges.update(given)
        counts = categorical_counts(table, categorical)
        out: dict[str, Binning] = {}
        for name, f in stored.items():
            if f in categorical:
                limit = _bin_spec(bins, name, f)
                max_values = int(limit) if isinstance(limit, int | np.integer) else MAX_BINS
                out[name] = _categorical_binning(f, counts[f], other_threshold, max_values)
            else:
                out[name] = _numeric_binning(f, edges.get(f, ()), f in nulls, f in present)
        return out

    if cache_key is None:
        return compute()
    key = ("slice-bins", model, cache_key, tuple(features), repr(bins), other_threshold, version)
    result: dict[str, Binning] = store.memo(key, compute)
    return result


QUANTILES_PER_QUERY = 6
"""Numeric features whose exact quantiles one query computes (each holds its column in memory)."""


def _numeric_facts(
    store: Any,
    model: str,
    table: Any,
    wanted: Mapping[str, int],
    version: str | None,
    numeric: Sequence[str],
) -> tuple[dict[str, tuple[float, ...]], set[str], set[str]]:
    """Quantile edges of the ``wanted`` features (the reference's, else ``table``'s), and which
    ``numeric`` features have missing values and which have any: one query of ``table``."""
    rows: dict[str, Any] = {}
    from_ref: list[str] = []
    if wanted:
        ref = store.reference(model)
        ref_cols = set(ref.columns)
        if version is not None:
            ref = ref.filter(ref.model_version == version)
        from_ref = [f for f in wanted if f in ref_cols]
    if from_ref:

        def reference_quantiles() -> dict[str, Any]:
            aggs = {f"q{i}": ref[f].quantile(_probs(wanted[f])) for i, f in enumerate(from_ref)}
            aggs["n"] = ref.count()
            row = ref.aggregate(**aggs).to_pyarrow().to_pylist()[0]
            return {f: row[f"q{i}"] for i, f in enumerate(from_ref)} if row["n"] else {}

        # the reference's quantiles do not depend on the window or slice queried: one query
        # per (model, version, bin counts) until the store ingests a reference
        key = ("slice-reference-quantiles", model, version, tuple((f, wanted[f]) for f in from_ref))
        rows.update(store.memo(key, reference_quantiles, reference_only=True))
    rest = [f for f in wanted if rows.get(f) is None]
    aggs = {f"q{i}": table[f].quantile(_probs(wanted[f])) for i, f in enumerate(rest)}
    aggs.update({f"m{i}": table[f].isnull().any() for i, f in enumerate(numeric)})
    aggs.update({f"v{i}": table[f].notnull().any() for i, f in enumerate(numeric)})
    # an exact quantile holds its column's values: a few columns per query keep millions of rows
    # within the engine's memory limit (24 columns of 6M rows exceeded DuckDB's 1.2 GB)
    chunks = [list(aggs)]
    if len(rest) > QUANTILES_PER_QUERY:
        later = [f"q{i}" for i in range(QUANTILES_PER_QUERY, len(rest))]
        chunks = [[n for n in aggs if n not in later]] + [
            later[j : j + QUANTILES_PER_QUERY] for j in range(0, len(later), QUANTILES_PER_QUERY)
        ]
    row: dict[str, Any] = {}
    for chunk in chunks if aggs else []:
        row.update(table.aggregate(**{n: aggs[n] for n in chunk}).to_pyarrow().to_pylist()[0])
    rows.update({f: row[f"q{i}"] for i, f in enumerate(rest)})
    edges = {f: nice_edges(rows.get(f) or []) for f in wanted}
    return (
        edges,
        {f for i, f in enumerate(numeric) if row[f"m{i}"]},
        {f for i, f in enumerate(numeric) if row[f"v{i}"]},
    )


def _probs(count: int) -> list[float]:
    return [i / count for i in range(1, count)] or [0.5]
