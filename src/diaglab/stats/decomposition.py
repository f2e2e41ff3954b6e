"""Why a metric changed between two periods: exact mix/rate terms and an importance-weighted split.

An additive metric is a mean of a per-row value ``ℓ`` (the 0/1 error, the log loss, the squared
error...). Over a partition of the rows into slices ``i`` with shares ``s_i`` and slice means
``m_i``, ``M = Σ s_i m_i``, so the change from period ``a`` to period ``b`` splits exactly into

- a **mix** term ``Σ (s_b,i − s_a,i) (m_a,i + m_b,i) / 2``: slice shares moved, each slice's
  metric held (at the average of the two periods), and
- a **rate** term ``Σ (m_b,i − m_a,i) (s_a,i + s_b,i) / 2``: each slice's metric moved, shares
  held.

This is the Shapley value of the two factors (the average of both orders of substitution), so it
is symmetric: swapping the periods negates every term. The terms add up to ``M_b − M_a`` to
rounding (:func:`mix_rate`). A slice without rows in one period has no metric there; it takes the
other period's, so its whole contribution counts as mix.

Beyond one partition, :func:`covariate_split` splits the change into the part explained by the
inputs' distribution moving (*covariate shift*) and the rest (*conditional shift*: the model doing
worse on the same kind of inputs), by importance weighting: a domain classifier's probability
``π(x)`` that a row with inputs ``x`` belongs to period ``b`` gives the density ratio
``w(x) = π/(1 − π) · n_a/n_b``; the reference's rows reweighted by ``w`` estimate the metric the
model would have had on ``b``'s inputs with ``a``'s relation between inputs and outcome. As for
mix/rate the split is the average of both orders (``a`` reweighted to ``b``, and ``b`` reweighted
to ``a`` with ``1/w``). See Cai, Namkoong and Yadlowsky, "Diagnosing model performance under
distribution shift" (2023), for the idea and its pitfalls: it is unreliable where the periods'
inputs barely overlap, because a few rows then carry most of the weight. The weights are clipped
at ``WEIGHT_CLIP`` (self-normalised after), the effective sample size ``(Σw)² / Σw²`` of the
unclipped weights is reported, and below ``MIN_EFFECTIVE_SAMPLE`` the split is refused (the
exact slice decomposition stands).

Intervals: the mix/rate terms by a bootstrap over **time blocks** (each period cut into blocks
of consecutive rows, resampled with replacement within the period, so serial correlation within
a block is kept); the covariate part by a bootstrap over the **rows** of the classifier's sample
with the fitted weights held fixed (the classifier's own variance is not included: the intervals
are a lower bound on the uncertainty when the sample is small).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from diaglab.errors import InputError
from diaglab.stats.intervals import FloatArray

WEIGHT_CLIP = 20.0
"""Largest importance weight (before self-normalisation): a row counts for at most 20 average
rows, which bounds the variance a few rows far from the other period's inputs can add."""
MIN_EFFECTIVE_SAMPLE = 200
"""Below this effective sample size (in either direction) the covariate split is refused."""
REPLICATES = 400
"""Bootstrap replicates of every interval."""


@dataclass(frozen=True)
class MixRate:
    """The exact mix/rate decomposition of one partition (arrays per slice).

    Attributes
    ----------
    share_a, share_b, metric_a, metric_b
        Each slice's share of the rows and its metric in both periods (NaN without rows).
    mix, rate
        Each slice's mix and rate terms; ``mix.sum() + rate.sum() == total`` to rounding.
    total
        ``M_b − M_a``.
    """

    share_a: FloatArray
    share_b: FloatArray
    metric_a: FloatArray
    metric_b: FloatArray
    mix: FloatArray
    rate: FloatArray
    total: float


def _arrays(*values: ArrayLike) -> list[FloatArray]:
    out = [np.asarray(v, dtype=np.float64) for v in values]
    if len({a.shape for a in out}) != 1:
        raise InputError("counts and sums need one shape")
    if not all(np.isfinite(a).all() for a in out):
        raise InputError("counts and sums must be finite")
    if any((a < 0).any() for a in out[0::2]):
        raise InputError("counts must be non-negative")
    return out


def mix_rate(n_a: ArrayLike, sum_a: ArrayLike, n_b: ArrayLike, sum_b: ArrayLike) -> MixRate:
    """Symmetric mix/rate terms of ``M_b − M_a`` from per-slice row counts and sums of ``ℓ``.

    The slices' last axis is summed; leading axes are independent problems (e.g. bootstrap
    replicates).

    Raises
    ------
    InputError
        If a period has no rows.

    Examples
    --------
    >>> r = mix_rate([50, 50], [5, 10], [20, 80], [2, 24])
    >>> round(r.total, 6), round(float(r.mix.sum()), 6), round(float(r.rate.sum()), 6)
    (0.11, 0.045, 0.065)
    """
    na, sa, nb, sb = _arrays(n_a, sum_a, n_b, sum_b)
    ta, tb = na.sum(axis=-1, keepdims=True), nb.sum(axis=-1, keepdims=True)
    if (ta == 0).any() or (tb == 0).any():
        raise InputError("each period needs at least one row with a value of the metric")
    share_a, share_b = na / ta, nb / tb
    with np.errstate(invalid="ignore", divide="ignore"):
        ma = np.where(na > 0, sa / np.where(na > 0, na, 1), np.nan)
        mb = np.where(nb > 0, sb / np.where(nb > 0, nb, 1), np.nan)
    held_a = np.where(na > 0, ma, mb)  # a slice empty in one period: the other's metric
    held_b = np.where(nb > 0, mb, ma)
    held_a, held_b = np.nan_to_num(held_a), np.nan_to_num(held_b)
    mix = (share_b - share_a) * (held_a + held_b) / 2
    rate = (held_b - held_a) * (share_a + share_b) / 2
    total = sb.sum(axis=-1) / tb[..., 0] - sa.sum(axis=-1) / ta[..., 0]
    return MixRate(share_a, share_b, ma, mb, mix, rate, float(total) if total.ndim == 0 else total)


@dataclass(frozen=True)
class MixRateIntervals:
    """Block-bootstrap intervals of a :class:`MixRate` (arrays per slice, and the totals)."""

    mix_lower: FloatArray
    mix_upper: FloatArray
    rate_lower: FloatArray
    rate_upper: FloatArray
    total_mix: tuple[float, float]
    total_rate: tuple[float, float]
    total: tuple[float, float]
    replicates: FloatArray
    """The bootstrap replicates of the total change (for intervals of what is left of it)."""


def block_counts(rng: np.random.Generator, blocks: int, replicates: int) -> FloatArray:
    """How many times each of ``blocks`` blocks is drawn in each replicate (rows: replicates)."""
    draws = rng.integers(0, blocks, size=(replicates, blocks))
    return np.apply_along_axis(np.bincount, 1, draws, minlength=blocks).astype(np.float64)


def mix_rate_intervals(
    n_a: ArrayLike,
    sum_a: ArrayLike,
    n_b: ArrayLike,
    sum_b: ArrayLike,
    *,
    confidence: float = 0.95,
    replicates: int = REPLICATES,
    seed: int = 0,
) -> MixRateIntervals:
    """Percentile intervals of the mix/rate terms by a bootstrap over time blocks.

    Parameters
    ----------
    n_a, sum_a, n_b, sum_b
        Per period, counts and sums of ``ℓ`` with shape ``(blocks, slices)``: a block is a run
        of consecutive time within its period; periods may have different block counts.
    """
    na, sa = (np.atleast_2d(np.asarray(v, dtype=np.float64)) for v in (n_a, sum_a))
    nb, sb = (np.atleast_2d(np.asarray(v, dtype=np.float64)) for v in (n_b, sum_b))
    rng = np.random.default_rng(seed)
    ca = block_counts(rng, na.shape[0], replicates)
    cb = block_counts(rng, nb.shape[0], replicates)
    na_r, sa_r, nb_r, sb_r = ca @ na, ca @ sa, cb @ nb, cb @ sb
    # a replicate that drew only empty blocks of a period has no metric: left out
    ok = (na_r.sum(axis=1) > 0) & (nb_r.sum(axis=1) > 0)
    r = mix_rate(na_r[ok], sa_r[ok], nb_r[ok], sb_r[ok])
    q = [(1 - confidence) / 2, (1 + confidence) / 2]

    def pair(values: FloatArray) -> tuple[float, float]:
        lo, hi = np.quantile(values, q)
        return float(lo), float(hi)

    mix_q = np.quantile(r.mix, q, axis=0)
    rate_q = np.quantile(r.rate, q, axis=0)
    total = np.asarray(r.total, dtype=np.float64)
    return MixRateIntervals(
        mix_q[0],
        mix_q[1],
        rate_q[0],
        rate_q[1],
        pair(r.mix.sum(axis=1)),
        pair(r.rate.sum(axis=1)),
        pair(total),
        total,
    )


def effective_sample_size(weights: ArrayLike) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²`` (0 for no weight)."""
    w = np.asarray(weights, dtype=np.float64)
    s2 = float((w * w).sum())
    return float(w.sum() ** 2 / s2) if s2 > 0 else 0.0


def density_ratio(probability: ArrayLike, n_a: int, n_b: int) -> FloatArray:
    """``p(x | b) / p(x | a)`` from a classifier's probability of ``b`` trained on ``n_a`` and
    ``n_b`` rows (Bayes' rule; the class sizes' ratio removes the classifier's prior)."""
    p = np.clip(np.asarray(probability, dtype=np.float64), 1e-6, 1 - 1e-6)
    return p / (1 - p) * (n_a / max(n_b, 1))


@dataclass(frozen=True)
class CovariateSplit:
    """The change split into covariate shift and conditional shift, with intervals.

    Attributes
    ----------
    covariate, covariate_lower, covariate_upper
        The part explained by the inputs' distribution moving (NaN when refused).
    conditional, conditional_lower, conditional_upper
        ``total − covariate``: the model doing worse (or better) on the same kind of inputs.
    effective_sample
        The smaller of both directions' effective sample sizes of the labelled rows' weights
        (before clipping: it measures the periods' overlap).
    clipped
        Share of the weights cut to ``WEIGHT_CLIP``.
    refused
        Why the split was not made (``""`` when it was).
    """

    covariate: float
    covariate_lower: float
    covariate_upper: float
    conditional: float
    conditional_lower: float
    conditional_upper: float
    effective_sample: float
    clipped: float
    refused: str = ""

    @classmethod
    def refusal(cls, reason: str, effective_sample: float, clipped: float) -> CovariateSplit:
        """No split (NaN parts), and why."""
        nan = float("nan")
        return cls(nan, nan, nan, nan, nan, nan, effective_sample, clipped, refused=reason)


def _weighted_gap(
    loss_a: FloatArray, w_a: FloatArray, loss_b: FloatArray, v_b: FloatArray
) -> FloatArray:
    """Covariate part, both orders averaged; leading axes are replicates (weights normalised)."""
    forward = (w_a * loss_a).sum(-1) / w_a.sum(-1) - loss_a.mean(-1)
    backward = loss_b.mean(-1) - (v_b * loss_b).sum(-1) / v_b.sum(-1)
    return np.asarray((forward + backward) / 2, dtype=np.float64)


def covariate_split(
    loss_a: ArrayLike,
    ratio_a: ArrayLike,
    loss_b: ArrayLike,
    ratio_b: ArrayLike,
    *,
    total: float,
    total_replicates: ArrayLike | None = None,
    clip: float = WEIGHT_CLIP,
    min_effective_sample: float = MIN_EFFECTIVE_SAMPLE,
    confidence: float = 0.95,
    replicates: int = REPLICATES,
    seed: int = 0,
) -> CovariateSplit:
    """Importance-weighted split of ``total`` into covariate and conditional shift.

    Parameters
    ----------
    loss_a, ratio_a
        Period ``a``'s labelled sample rows: their ``ℓ`` and density ratio ``p(x|b)/p(x|a)``
        (:func:`density_ratio`).
    loss_b, ratio_b
        The same for period ``b``'s labelled sample rows (weighted by ``1/ratio`` to ``a``).
    total
        The realized change on all rows; the conditional part is ``total − covariate``.
    total_replicates
        Bootstrap replicates of ``total`` (e.g. :attr:`MixRateIntervals.replicates`), paired
        with the covariate part's replicates for the conditional part's interval; without them,
        the sample's own change is resampled with the covariate part (paired).
    clip, min_effective_sample
        Largest weight, and the effective sample size below which the split is refused.

    Notes
    -----
    Cai, Namkoong and Yadlowsky (2023), "Diagnosing model performance under distribution shift":
    the weighted estimate is consistent only where both periods' inputs overlap; the effective
    sample size says how many rows the estimate really rests on.
    """
    la, ra, lb, rb = (np.asarray(v, dtype=np.float64) for v in (loss_a, ratio_a, loss_b, ratio_b))
    if la.shape != ra.shape or lb.shape != rb.shape:
        raise InputError("each period's losses and density ratios need one length")
    wa = np.minimum(ra, clip)
    vb = np.minimum(1 / np.maximum(rb, 1e-12), clip)
    clipped = float((ra > clip).sum() + ((1 / np.maximum(rb, 1e-12)) > clip).sum())
    clipped /= max(la.size + lb.size, 1)
    # overlap is judged on the weights before clipping: clipped ones would hide a lack of it
    ess = min(effective_sample_size(ra), effective_sample_size(1 / np.maximum(rb, 1e-12)))
    if ess < min_effective_sample:
        return CovariateSplit.refusal(
            f"the periods' inputs overlap too little: effective sample size {ess:.0f} is "
            f"below the floor of {min_effective_sample:.0f} rows",
            ess,
            clipped,
        )
    covariate = float(_weighted_gap(la, wa, lb, vb))
    rng = np.random.default_rng(seed)
    ia = rng.integers(0, la.size, size=(replicates, la.size))
    ib = rng.integers(0, lb.size, size=(replicates, lb.size))
    reps = _weighted_gap(la[ia], wa[ia], lb[ib], vb[ib])
    q = [(1 - confidence) / 2, (1 + confidence) / 2]
    c_lo, c_hi = (float(x) for x in np.quantile(reps, q))
    if total_replicates is not None:
        tr = np.asarray(total_replicates, dtype=np.float64)
        k = min(tr.size, reps.size)
        d_lo, d_hi = (float(x) for x in np.quantile(tr[:k] - reps[:k], q))
    else:
        # the sample's own change, resampled with the covariate part: their paired difference
        moved = (lb[ib].mean(-1) - la[ia].mean(-1)) - (lb.mean() - la.mean())
        d_lo, d_hi = (
            total - covariate + float(x) for x in np.quantile(moved - reps + covariate, q)
        )
    return CovariateSplit(
        covariate, c_lo, c_hi, total - covariate, d_lo, d_hi, ess, clipped, refused=""
    )


def label_selection(n_all: ArrayLike, n_labelled: ArrayLike, sum_labelled: ArrayLike) -> FloatArray:
    """Per slice, how much the labelled rows' mix moves the metric away from all rows'.

    The realized metric weighs each slice by its share of the *labelled* rows; reweighted to its
    share of *all* rows (post-stratification) it estimates the metric of every row, if the
    labelled rows of a slice are like its unlabelled ones. The terms
    ``(share_labelled − share_all) · m_labelled`` sum to realized − post-stratified.
    """
    na, nl, sl = (np.asarray(v, dtype=np.float64) for v in (n_all, n_labelled, sum_labelled))
    if na.sum() == 0 or nl.sum() == 0:
        return np.full(na.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(nl > 0, sl / np.where(nl > 0, nl, 1), 0.0)
    # a slice with rows but no labels cannot be post-stratified: it keeps its labelled share (0)
    share_all = np.where(nl > 0, na, 0.0)
    share_all = share_all / share_all.sum()
    return np.asarray((nl / nl.sum() - share_all) * m, dtype=np.float64)
