"""Drift's value types: effect thresholds, one feature's statistics and its verdict.

See :mod:`diaglab.stats.drift` for the rule that turns statistics into verdicts.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from diaglab.errors import InputError, unknown
from diaglab.stats.multiple_testing import Correction

Kind = Literal["numeric", "categorical"]
Severity = Literal["none", "minor", "moderate", "major"]
SEVERITIES: tuple[Severity, ...] = ("none", "minor", "moderate", "major")
DEFAULT_ALPHA = 0.01
"""Family-wise significance level of one report (see the module docstring)."""
DEFAULT_MIN_SEVERITY: Severity = "moderate"
"""The least severity counted as ``drifted`` unless a caller chooses another."""
RULE = (
    "significance (p-values adjusted across the report) decides whether a column shifted, effect "
    "size decides how much (minor, moderate, major); drifted = severity at least min_severity"
)
"""The rule behind ``drifted``, in one sentence, for tables, exports and explorers."""

# Effect statistics per kind, the headline effect first; each has thresholds named after it.
_EFFECTS: dict[str, tuple[str, ...]] = {
    "numeric": ("wasserstein", "psi", "missing_rate_change"),
    "categorical": ("js_distance", "psi", "missing_rate_change"),
}
_EFFECT_NAMES = ("wasserstein", "js_distance", "psi", "missing_rate_change")


@dataclass(frozen=True, kw_only=True)
class DriftThresholds:
    """Effect sizes at which a *significant* drift becomes moderate, then major.

    They never depend on the sample size. Below ``*_moderate`` a significant drift is ``minor``.

    Attributes
    ----------
    wasserstein_moderate, wasserstein_major
        Numeric: W1 in reference standard deviations (default 0.1 and 0.25): a mean shift of a tenth
        of a standard deviation is moderate, so age + 1 year in an N(40, 12) population (0.083) is
        minor; a quarter of a standard deviation is major.
    psi_moderate, psi_major
        Both kinds: the conventional 0.1 and 0.25, on about 10 bins.
    js_distance_moderate, js_distance_major
        Categorical: Jensen–Shannon distance (base 2), 0.1 and 0.2. A 50/50 → 60/40 split is 0.085
        (minor), 65/35 is 0.13 (moderate), 75/25 is 0.22 (major).
    missing_rate_change_moderate, missing_rate_change_major
        Both kinds: absolute change of the missing rate, 0.05 and 0.2.
    """

    wasserstein_moderate: float = 0.1
    wasserstein_major: float = 0.25
    psi_moderate: float = 0.1
    psi_major: float = 0.25
    js_distance_moderate: float = 0.1
    js_distance_major: float = 0.2
    missing_rate_change_moderate: float = 0.05
    missing_rate_change_major: float = 0.2

    def __post_init__(self) -> None:
        for name in _EFFECT_NAMES:
            moderate, major = self.levels(name)
            if not 0 <= moderate <= major:
                raise InputError(f"need 0 <= {name}_moderate <= {name}_major: {moderate}, {major}")

    def levels(self, statistic: str) -> tuple[float, float]:
        """``(moderate, major)`` of an effect statistic, e.g. ``levels("psi") == (0.1, 0.25)``."""
        if statistic not in _EFFECT_NAMES:
            raise unknown("effect statistic", statistic, _EFFECT_NAMES)
        return getattr(self, f"{statistic}_moderate"), getattr(self, f"{statistic}_major")


@dataclass(frozen=True, kw_only=True)
class FeatureStatistics:
    """What the counts of one feature say, before the report-wide verdict.

    Statistics that do not apply to the kind (KS for a categorical feature, chi-square for a numeric
    one) or cannot be computed (a side without values, see ``reason``) are NaN.

    Attributes
    ----------
    n_reference, n_current
        Non-null values on each side.
    missing_rate_reference, missing_rate_current, missing_rate_change
        Null shares (NaN without rows) and the absolute difference.
    psi, js_distance, total_variation
        On 10 reference-decile bins (numeric, plus one bin each below and above the reference range)
        or on the categories.
    wasserstein, wasserstein_error_bound
        Numeric: W1 in reference standard deviations, and the bound on its binning error.
    ks_statistic, ks_upper_bound
        Numeric: binned KS statistic, a lower bound of the exact one, and an upper bound.
    chi_square, chi_square_dof
        Categorical: Pearson's statistic and degrees of freedom.
    p_distribution, p_missing, p_value
        The distribution test's p-value, the missing-rate test's (1 when neither side has nulls),
        and the feature's p-value combining them (module docstring).
    out_of_range_share
        Share of current values outside the reference's support: below its minimum or above its
        maximum (numeric), in a category the reference never saw (categorical).
    new_categories, vanished_categories
        Categories only in the current window / only in the reference, largest first.
    reason
        Why some statistics are NaN, else None.
    """

    feature: str
    kind: Kind
    n_reference: int
    n_current: int
    missing_rate_reference: float
    missing_rate_current: float
    missing_rate_change: float
    psi: float = math.nan
    js_distance: float = math.nan
    total_variation: float = math.nan
    wasserstein: float = math.nan
    wasserstein_error_bound: float = math.nan
    ks_statistic: float = math.nan
    ks_upper_bound: float = math.nan
    chi_square: float = math.nan
    chi_square_dof: int = 0
    p_distribution: float = math.nan
    p_missing: float = math.nan
    p_value: float = math.nan
    out_of_range_share: float = math.nan
    new_categories: tuple[Hashable, ...] = ()
    vanished_categories: tuple[Hashable, ...] = ()
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _EFFECTS:
            raise InputError(f"unknown kind {self.kind!r}; known: {', '.join(_EFFECTS)}")

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values, tuples as lists."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = list(value)
        return out


@dataclass(frozen=True, kw_only=True)
class FeatureDrift(FeatureStatistics):
    """A feature's statistics plus its verdict within one report (see :func:`assess_drift`).

    Attributes
    ----------
    p_adjusted
        ``p_value`` adjusted across the report's features by ``correction``.
    correction, alpha
        How significance was decided.
    severity
        ``none`` (not significant or not testable), ``minor``, ``moderate`` or ``major``.
    drifted
        Severity is at least ``min_severity`` (moderate or major by default).
    min_severity
        The least severity counted as drifted in this report.
    effect, effect_statistic
        The effect statistic that set the severity (the headline one — Wasserstein or Jensen–Shannon
        — unless another reached a higher level) and its value.
    thresholds
        The thresholds used for this feature.
    """

    p_adjusted: float
    correction: Correction
    alpha: float
    severity: Severity
    drifted: bool
    effect: float
    effect_statistic: str
    thresholds: DriftThresholds
    min_severity: Severity = DEFAULT_MIN_SEVERITY
