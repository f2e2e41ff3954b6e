"""``dl.fairness``: group metrics and disparities of a binary model, on every logged prediction.

One engine query counts the decided rows per (sensitive values, predicted class, label, score
bin); every group — each sensitive feature alone and their intersection — is a sum of those
cells, so nothing row-level leaves the engine. The rates, their intervals and the disparity
measures are :mod:`diaglab.stats.fairness`; their values equal Fairlearn's ``MetricFrame`` on the
same rows (``tests/test_fairness.py``).

Sensitive features logged hashed (``store.log(..., sensitive=[...])``) are grouped by their keyed
hash: a group is named by ``group_names`` (clear values are hashed in memory to find their group,
never stored) or by ``#`` and the hash's first 8 digits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from diaglab.diagnostics.fairness.disparities import (
    COUNTS,
    disparity_frame,
    reference_groups,
    with_reference,
)
from diaglab.errors import InputError, unknown
from diaglab.queries.filters import Slice
from diaglab.queries.result import Result
from diaglab.queries.scope import scoped_table, threshold_text
from diaglab.stats.fairness import (
    GROUP_METRICS,
    group_rate,
)
from diaglab.stats.scores import (
    DEFAULT_SCORE_BINS,
    ScoreHistogram,
    binned_calibration_error,
    calibration_error_interval,
)
from diaglab.store.sensitive import MARK, keyed_hash, store_key

if TYPE_CHECKING:
    from diaglab.diagnostics.fairness.spec import FairnessSpec

MISSING = "(missing)"
HASH_PREFIX = 8


@dataclass(frozen=True, kw_only=True, repr=False)
class FairnessReport(Result):
    """Per-group metrics and disparities of one model.

    Attributes
    ----------
    groups : pandas.DataFrame
        One row per group: ``sensitive`` (a feature, or ``"a & b"`` for the intersection),
        ``group`` (its stable key: the value, or ``#`` + hash prefix for a hashed feature),
        ``name`` (shown), ``slice`` (a ``dl.Slice`` of its rows), ``n``, ``share``,
        ``n_labelled``, ``supported``, ``reference``, and per metric ``<m>``, ``<m>_lower``,
        ``<m>_upper`` (Wilson), ``<m>_difference`` with ``_lower``/``_upper`` (group − reference
        group, Newcombe) and ``<m>_ratio`` (group / reference).
    disparities : pandas.DataFrame
        One row per (``sensitive``, ``measure``): ``difference`` (largest − smallest group
        value, Fairlearn's ``between_groups``) with ``difference_lower/upper`` (Newcombe, for
        that pair), ``ratio`` (smallest / largest) with ``ratio_lower/upper`` (Katz), ``metric``
        (for equalized odds: the worse of TPR and FPR), ``group_high``, ``group_low``,
        ``reference``, ``reference_difference`` (the group farthest from the reference group,
        signed) with its interval and ``reference_group``, ``n_groups``, ``excluded`` (groups
        under ``min_support``), ``max_difference``, ``within`` (``difference <=
        max_difference``; None when unknown), ``claim`` and ``reason`` (why a value is NaN).
    reference : mapping of sensitive to group key
    reference_rule : str
        How the reference groups were chosen.
    label_free : bool
        True when no row has a label yet: only the selection rate and demographic parity.
    """

    model: str
    sensitive: tuple[str, ...]
    groups: pd.DataFrame = field(repr=False)
    disparities: pd.DataFrame = field(repr=False)
    reference: Mapping[str, str] = field(default_factory=dict)
    reference_rule: str = "largest"
    min_support: int = 30
    threshold: str = ""
    window: str = ""
    label_free: bool = False

    @property
    def table(self) -> pd.DataFrame:
        """The disparities (what a finding claims)."""
        return self.disparities

    def summary(self) -> str:
        """One line per disparity measure, e.g. ``region: equalized_odds difference 0.04``."""
        lines = []
        for r in self.disparities.to_dict(orient="records"):
            d = float(r["difference"])
            value = "n/a" if np.isnan(d) else f"{d:.3g}"
            lines.append(f"{r['sensitive']}: {r['measure']} difference {value} ({r['claim']})")
        return "\n".join(lines)


def fairness(
    store: Any,
    spec: FairnessSpec,
    *,
    group_names: Mapping[str, Mapping[str, str]] | None = None,
) -> FairnessReport:
    """Selection rate, TPR, FPR, precision, error and calibration per group, and disparities.

    Parameters
    ----------
    store : diaglab.Store
    model : str
        A binary model.
    sensitive : str or list of str
        Categorical features naming the groups (hashed ones too); with several, their
        intersection is reported as well (``"sex & race"``).
    window, where, version, threshold
        The rows, and the decision threshold (default: each version's registered one).
    metrics : list of str, optional
        Among ``selection_rate``, ``true_positive_rate``, ``false_positive_rate``,
        ``precision``, ``error``, ``calibration_error`` (default: all).
    reference : "largest", a group, or a mapping sensitive -> group
        The group others are compared with (default: each feature's largest group).
    min_support : int
        Groups with fewer labelled rows (rows, for the selection rate) are shown but left out of
        the disparities.
    max_difference : float
        The claimed bound: ``within`` says whether each difference is at most this.
    confidence : float
        Level of every interval.
    group_names : mapping feature -> {value: name}, optional
        Names to show for groups; for a hashed feature the keys are clear values (hashed here,
        in memory) or ``hmac-sha256:<hash>``. Used at run time only, never stored in a finding.

    Examples
    --------
    >>> f = dl.fairness(store, "credit", sensitive=["region"])  # doctest: +SKIP
    >>> f.disparities[["sensitive", "measure", "difference", "ratio"]]  # doctest: +SKIP
    """
    model, window, where = spec.model, spec.scope.window, spec.scope.where
    version, threshold, sensitive = spec.scope.version, spec.scope.threshold, spec.sensitive
    metrics, reference, min_support = spec.metrics, spec.reference_group, spec.min_support
    max_difference, confidence = spec.max_difference, spec.confidence
    schema, attrs, names = checked(store, model, sensitive, metrics, min_support)
    table, win = scoped_table(store, model, window, where, version, threshold)
    cells = store.memo(
        ("fairness-cells", model, str(win), str(where), version, threshold, tuple(attrs)),
        lambda: fairness_cells(table, attrs),
    )
    label = group_labeller(store, schema, attrs, group_names)
    groups = group_frame(cells, attrs, label, names, confidence)
    label_free = not (groups["n_labelled"] > 0).any()
    refs, rule = reference_groups(groups, reference, attrs)
    groups = with_reference(groups, refs, names, min_support, confidence)
    disparities = disparity_frame(groups, names, refs, min_support, max_difference, confidence)
    return FairnessReport(
        model=model,
        sensitive=tuple(attrs),
        groups=groups,
        disparities=disparities,
        reference=refs,
        reference_rule=rule,
        min_support=min_support,
        threshold=threshold_text(schema, threshold, version),
        window=str(win),
        label_free=label_free,
    )


def checked(
    store: Any,
    model: str,
    sensitive: str | Sequence[str],
    metrics: str | Sequence[str] | None,
    min_support: int,
) -> tuple[Any, list[str], list[str]]:
    """The model's schema, the sensitive features and the metric names, checked."""
    schema = store.schema(model)
    if schema.task not in (None, "binary"):
        raise InputError(f"fairness needs a binary model; {model!r} is {schema.task}")
    attrs = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    check_sensitive(schema, attrs)
    if not isinstance(min_support, int) or min_support < 0:
        raise InputError(f"min_support is a whole number of rows >= 0, not {min_support!r}")
    return schema, attrs, metric_names(metrics)


def check_sensitive(schema: Any, attrs: list[str]) -> None:
    if not attrs:
        raise InputError("sensitive= names at least one categorical feature")
    for a in attrs:
        if a not in schema.features:
            raise unknown("sensitive feature", a, schema.categorical)
        if schema.features[a].kind != "categorical":
            raise InputError(
                f"sensitive feature {a!r} is numeric; groups come from categorical features "
                f"({', '.join(schema.categorical) or 'none'}): log it as categories"
            )
    if len(set(attrs)) != len(attrs):
        raise InputError(f"sensitive= names a feature twice: {attrs}")


def metric_names(metrics: str | Sequence[str] | None) -> list[str]:
    if metrics is None:
        return list(GROUP_METRICS)
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    for m in names:
        if m not in GROUP_METRICS:
            raise unknown("fairness metric", m, GROUP_METRICS)
    return names


def fairness_cells(table: Any, attrs: list[str], keys: Mapping[str, Any] | None = None) -> Any:
    """Rows counted per (extra keys, sensitive values, predicted class, label, score bin), with
    the score sums of the labelled rows: one aggregate query."""
    s = table.score
    labelled = table.prediction.notnull() & table.label.notnull() & s.notnull()
    b = ibis.least((s * DEFAULT_SCORE_BINS).floor(), DEFAULT_SCORE_BINS - 1)
    keyed = table.mutate(
        **dict(keys or {}),
        **{f"_g{i}": table[a].cast("string") for i, a in enumerate(attrs)},
        _p=table.prediction,
        _y=table.label,
        _b=ibis.ifelse(labelled, b, ibis.null("float64")).cast("int16"),
        _s=ibis.ifelse(labelled, s, ibis.null("float64")),
    )
    by = [*(keys or {}), *[f"_g{i}" for i in range(len(attrs))], "_p", "_y", "_b"]
    return keyed.group_by(by).aggregate(n=keyed.count(), s1=keyed._s.sum()).to_pyarrow().to_pandas()


def group_labeller(
    store: Any, schema: Any, attrs: list[str], names: Mapping[str, Mapping[str, str]] | None
) -> Any:
    """``label(feature, value) -> (key, name, condition)``: a hashed feature's key is ``#`` +
    the hash's first digits; names come from ``names`` (clear values hashed here) or are the key;
    the condition selects the group's rows (a hashed value compared as ``hmac-sha256:<hash>``)."""
    names = dict(names or {})
    for a in names:
        if a not in attrs:
            raise unknown("feature in group_names (not among sensitive)", a, attrs)
    hashed = set(schema.sensitive) & set(attrs)
    lookup: dict[str, dict[str, str]] = {}
    for a in attrs:
        given = dict(names.get(a, {}))
        if a in hashed and given:
            key = store_key(store.path)
            lookup[a] = {
                (v[len(MARK) :] if str(v).startswith(MARK) else keyed_hash(key, str(v))): n
                for v, n in given.items()
            }
        else:
            lookup[a] = {str(v): str(n) for v, n in given.items()}

    def label(a: str, value: Any) -> tuple[str, str, tuple[str, str, Any]]:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return MISSING, MISSING, (a, "is null", None)
        text = str(value)
        if a in hashed:
            key = f"#{text[:HASH_PREFIX]}"
            return key, lookup[a].get(text, key), (a, "=", f"{MARK}{text}")
        return text, lookup[a].get(text, text), (a, "=", text)

    return label


def _counts(cells: pd.DataFrame) -> pd.DataFrame:
    """Per-cell contributions to the group counts and the score histogram."""
    n = cells["n"].to_numpy(float)
    p, y = cells["_p"], cells["_y"]
    lab = (p.notna() & y.notna()).to_numpy()
    p1 = (p == 1).fillna(False).to_numpy(bool)
    y1 = (y == 1).fillna(False).to_numpy(bool)
    return pd.DataFrame(
        {
            "n": n,
            "n_positive_predicted": np.where(p1, n, 0.0),
            "n_labelled": np.where(lab, n, 0.0),
            "tp": np.where(lab & p1 & y1, n, 0.0),
            "fp": np.where(lab & p1 & ~y1, n, 0.0),
            "tn": np.where(lab & ~p1 & ~y1, n, 0.0),
            "fn": np.where(lab & ~p1 & y1, n, 0.0),
        },
        index=cells.index,
    )


def group_frame(
    cells: pd.DataFrame,
    attrs: list[str],
    label: Any,
    names: list[str],
    confidence: float,
    keys: Sequence[str] = (),
) -> pd.DataFrame:
    """Every group of each feature alone and of their intersection, with its metrics."""
    counts = _counts(cells)
    sets = [[i] for i in range(len(attrs))] + ([list(range(len(attrs)))] if len(attrs) > 1 else [])
    frames = []
    # each distinct value is labelled once; cells take their labels by code
    coded = [
        pd.factorize(cells[f"_g{i}"].astype(object), use_na_sentinel=False)
        for i in range(len(attrs))
    ]
    labelled = [[label(attrs[i], v) for v in uniques] for i, (_, uniques) in enumerate(coded)]
    for idx in sets:
        keys_of = [np.array([t[0] for t in labelled[i]], dtype=object)[coded[i][0]] for i in idx]
        names_of = [np.array([t[1] for t in labelled[i]], dtype=object)[coded[i][0]] for i in idx]
        gkey = list(_joined(keys_of))
        gname = list(_joined(names_of))
        combos = pd.DataFrame({str(i): coded[i][0] for i in idx}).assign(_key=gkey)
        slices = {
            str(r["_key"]): Slice(*(labelled[i][int(r[str(i)])][2] for i in idx))
            for r in combos.drop_duplicates("_key").to_dict(orient="records")
        }
        part = counts.assign(_key=gkey, _name=gname, **{k: cells[k] for k in keys})
        summed = part.groupby([*keys, "_key", "_name"], sort=True, dropna=False).sum()
        hist = _histograms(cells, gkey, pd.MultiIndex.from_frame(summed.index.to_frame()), keys)
        frame = summed.reset_index().rename(columns={"_key": "group", "_name": "name"})
        frame.insert(len(keys), "sensitive", " & ".join(attrs[i] for i in idx))
        frame["slice"] = pd.Series([slices[k] for k in frame["group"]], dtype=object)
        total = frame.groupby(list(keys))["n"].transform("sum") if keys else frame["n"].sum()
        frame["share"] = frame["n"] / total
        frames.append(_with_metrics(frame, hist, names, confidence))
    out = pd.concat(frames, ignore_index=True)
    for c in COUNTS:
        out[c] = out[c].astype("int64")
    return out


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    out = parts[0]
    for p in parts[1:]:
        out = out + " & " + p
    return np.asarray(out)


def _histograms(
    cells: pd.DataFrame, gkey: list[str], index: pd.MultiIndex, keys: Sequence[str]
) -> ScoreHistogram:
    scored = cells["_b"].notna().to_numpy()
    y = cells["_y"].to_numpy(float, na_value=np.nan)
    rows = index.droplevel(-1).get_indexer(  # the last level is the name
        pd.MultiIndex.from_arrays([*(cells[k] for k in keys), pd.Index(gkey)])
        if keys
        else pd.Index(gkey)
    )
    arrays = [np.zeros((len(index), DEFAULT_SCORE_BINS)) for _ in range(3)]
    b = cells["_b"].to_numpy(float, na_value=0).astype(int)
    n = cells["n"].to_numpy(float)
    s1 = np.nan_to_num(cells["s1"].to_numpy(float, na_value=np.nan))
    for arr, mask, values in (
        (arrays[0], scored & (y == 1), n),
        (arrays[1], scored & (y == 0), n),
        (arrays[2], scored, s1),
    ):
        np.add.at(arr, (rows[mask], b[mask]), values[mask])
    return ScoreHistogram(*arrays)


def _with_metrics(
    frame: pd.DataFrame, hist: ScoreHistogram, names: list[str], confidence: float
) -> pd.DataFrame:
    cols = {c: frame[c].to_numpy(float) for c in COUNTS}
    for m in names:
        if m == "calibration_error":
            with np.errstate(invalid="ignore", divide="ignore"):
                frame[m] = binned_calibration_error(hist)
            frame[f"{m}_lower"], frame[f"{m}_upper"] = calibration_error_interval(
                hist, confidence=confidence
            )
            continue
        e = group_rate(cols, m, confidence=confidence)
        frame[m], frame[f"{m}_lower"], frame[f"{m}_upper"] = e.value, e.lower, e.upper
    return frame
