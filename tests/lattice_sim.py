"""Simulated logs counted over the slice lattice, for the search's FDR and power checks.

A log here is what ``find_slices(compare=...)`` sees after binning: per row the bin code of each
feature, the window (before/after) and a 0/1 loss (misclassification). Every conjunction of up to
``levels`` conditions is counted with numpy, as the engine would, and tested with the search's
own difference-in-differences test and its own lattice adjustment
(:func:`diaglab.diagnostics.slices.report.lattice_p_adjusted`), without pruning: every slice with
enough support in both windows is tested. Used by tests/test_search_power.py and
bench/slice_power.py.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from diaglab.diagnostics.slices.report import Setup, _compare_stats, lattice_p_adjusted
from diaglab.diagnostics.slices.search import level_sizes

CARDS = (5, 5, 5, 5, 6, 6, 3, 2)
"""Eight features binned as find_slices bins them by default: four numeric features in five
quantile bins, two categorical with six values, one with three, one binary (gender)."""


@dataclass(frozen=True)
class Tested:
    """The tested slices of one simulated log: keys, levels, effects and p-values."""

    keys: list[tuple[tuple[int, int], ...]]
    levels: np.ndarray
    did: np.ndarray
    p_value: np.ndarray
    sizes: tuple[int, ...]

    def rejected(self, *, alpha: float = 0.05, weighting: str = "levels") -> np.ndarray:
        """Slices reported as degraded: adjusted p below ``alpha`` and worse than the rest."""
        adjusted = lattice_p_adjusted(self.p_value, self.levels, self.sizes, weighting=weighting)
        return np.asarray((adjusted < alpha) & (self.did > 0))


def simulate(
    rng: np.random.Generator,
    *,
    n: int,
    cards: Sequence[int] = CARDS,
    levels: int = 3,
    base: float = 0.15,
    overall_change: float = 0.01,
    planted: Sequence[int] = (),
    support: float = 0.5,
    effect: float = 0.0,
) -> Tested:
    """One log of ``n`` rows split evenly between two windows.

    ``planted`` features (0, 1 or 2 of them) each take code 0 with probability
    ``support ** (1 / len(planted))``, so their conjunction holds a ``support`` share of the rows;
    inside it the error rises by ``effect`` in the second window. Every window's error also rises
    by ``overall_change``. Returns every slice with ``max(30, 1% of a window)`` rows in each
    window, tested.
    """
    f = len(cards)
    codes = np.empty((n, f), dtype=np.int64)
    share = support ** (1 / len(planted)) if planted else 0.0
    for j, c in enumerate(cards):
        if j in planted:
            rest = rng.integers(1, c, n)
            codes[:, j] = np.where(rng.random(n) < share, 0, rest)
        else:
            codes[:, j] = rng.integers(0, c, n)
    w = rng.random(n) < 0.5
    inside = np.all(codes[:, list(planted)] == 0, axis=1) if planted else np.zeros(n, bool)
    loss = (rng.random(n) < base + overall_change * w + effect * (w & inside)).astype(float)
    n_b = float(w.sum())
    support_rows = max(30, math.ceil(0.01 * min(n - n_b, n_b)))
    columns: dict[str, list[np.ndarray]] = {c: [] for c in ("n", "s1", "n_b", "s1_b", "level")}
    keys: list[tuple[tuple[int, int], ...]] = []
    for level in range(1, levels + 1):
        for combo in itertools.combinations(range(f), level):
            radix = np.cumprod([1, *(cards[j] for j in combo[:-1])])
            packed = codes[:, list(combo)] @ radix
            size = int(np.prod([cards[j] for j in combo]))
            counts = [
                np.bincount(packed, weights=weights, minlength=size)
                for weights in (None, loss, w.astype(float), loss * w)
            ]
            ok = np.flatnonzero(np.minimum(counts[0] - counts[2], counts[2]) >= support_rows)
            for name, values in zip(("n", "s1", "n_b", "s1_b"), counts, strict=True):
                columns[name].append(values[ok])
            columns["level"].append(np.full(ok.size, level))
            digits = [(ok // r) % cards[j] for r, j in zip(radix, combo, strict=True)]
            keys.extend(
                tuple(zip(combo, map(int, d), strict=True)) for d in zip(*digits, strict=True)
            )
    frame = pd.DataFrame({c: np.concatenate(v) for c, v in columns.items()})
    frame["s2"], frame["s2_b"] = frame["s1"], frame["s1_b"]  # a 0/1 loss is its own square
    frame["key"], frame["score"] = pd.Series(keys, dtype=object), 0.0
    totals = {
        "n": float(n),
        "s1": loss.sum(),
        "s2": loss.sum(),
        "n_b": n_b,
        "s1_b": float(loss[w].sum()),
        "s2_b": float(loss[w].sum()),
    }
    setup = Setup("error", "binary", [], {}, support_rows, float(n), True)
    stats = _compare_stats(frame, setup, totals)
    return Tested(
        keys,
        frame["level"].to_numpy(dtype=int),
        stats["did"].to_numpy(dtype=float),
        stats["p_value"].to_numpy(dtype=float),
        level_sizes(cards, levels),
    )


def planted_key(planted: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """The key of the planted slice (code 0 of each planted feature)."""
    return tuple((j, 0) for j in sorted(planted))
