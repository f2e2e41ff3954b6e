"""The headless report (``diaglab report``): standard findings and CI checks, no browser.

Standard findings for one model: the top drift (``dl.drift``), the worst slices and the slices
that degraded (``dl.find_slices``), model quality over time with its alerts
(``dl.metrics_over_time``), why the metric changed when an alert fired (``dl.explain_change``
between the halves compared for degraded slices) and notable predictions (the most confident
wrong ones). Each is a
:class:`~diaglab.findings.Finding` with its recorded query and claim, so the report's ``.json``
can be rechecked later.

Checks are a small YAML list; each item is one check::

    - drift: {statistic: psi, max: 0.2, features: numeric}  # numeric|categorical|all|[names]
    - metric: {name: accuracy, where: "region = 'north'", min: 0.8}
    - metric: {name: log_loss, max: 0.45, window: "2026-02-01 .. 2026-03-02"}
    - fairness: {sensitive: [sex, race], measure: equalized_odds, max: 0.05}

``drift`` fails when a feature's statistic (a column of ``dl.drift(...).table``: psi,
js_distance, wasserstein, ks_statistic, effect, ...) exceeds ``max``; ``metric`` when the metric
on the rows (``where``, ``window``) is below ``min`` or above ``max``. Without ``window`` a check
uses the report's ``--window``. ``fairness`` fails when a disparity measure's difference
(``dl.fairness``: demographic_parity, equalized_odds, equal_opportunity, predictive_parity)
exceeds ``max`` for a sensitive feature (or their intersection), or cannot be computed. A
``threshold`` option judges a ``metric`` or ``fairness`` check at that decision threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from diaglab.diagnostics.change.spec import ExplainChangeSpec
from diaglab.diagnostics.drift.spec import DriftSpec
from diaglab.diagnostics.explain.spec import WorstErrorsSpec
from diaglab.diagnostics.metrics.spec import MetricsOverTimeSpec
from diaglab.diagnostics.slices import found as found_slices
from diaglab.diagnostics.slices.spec import FindSlicesSpec
from diaglab.errors import InputError, UnknownNameError, unknown
from diaglab.findings._charts import drift_chart, metrics_chart, slices_chart
from diaglab.findings.capture import record
from diaglab.findings.finding import Finding
from diaglab.findings.replay import spec_of_finding
from diaglab.queries.window import Window, parse_window
from diaglab.specs import Scope
from diaglab.stats.drift import drift_summary

# -- standard findings ----------------------------------------------------------------------------


def standard_findings(
    store: Any,
    model: str,
    *,
    window: Window | None = None,
    freq: str = "7D",
    author: str | None = None,
    save: bool = False,
) -> list[Finding]:
    """The report's findings for ``model`` (see the module docstring)."""
    if model not in store.models():
        raise unknown("model", model, store.models())
    # Each spec runs once (recorded) under a working title; the final finding reuses it.
    common: dict[str, Any] = {"author": author, "model": model, "save": False}
    out: list[Finding] = []

    drift = record(store, "drift", spec=DriftSpec(scope=Scope(model, window=window)), **common)
    table = drift.frame()
    title = f"Drift: {drift_summary(table, noun='columns')}"  # minor shifts named too
    out.append(_retitle(drift, title, drift_chart(table), store, save))

    worst_spec = FindSlicesSpec(scope=Scope(model, window=window), metrics="error", k=10)
    worst = record(store, "worst slices", spec=worst_spec, **common)
    wt = worst.frame()
    missed = [] if len(wt) else found_slices.misses(store, model, window=window)
    title = (
        f"Worst slice: {wt['slice'].iloc[0]} (error {wt['value'].iloc[0]:.3g} vs "
        f"{wt['overall'].iloc[0]:.3g} overall)"
        if len(wt)
        else "Worst slices: none significantly worse than overall" + _nearest(missed)
    )
    chart = slices_chart(wt, "value", "lower", "upper", "error per slice") if len(wt) else None
    out.append(_retitle(worst, title, chart, store, save, note=_misses_note(missed)))

    before, after = _halves(store, model, window)
    if before is not None and after is not None:
        cmp_spec = FindSlicesSpec(
            scope=Scope(model), metrics="error", k=10, compare=(before, after)
        )
        degraded = record(store, "degraded slices", spec=cmp_spec, **common)
        dt = degraded.frame()
        missed = [] if len(dt) else found_slices.misses(store, model, compare=(before, after))
        title = (
            f"Degraded most: {dt['slice'].iloc[0]} (error {dt['value_a'].iloc[0]:.3g} → "
            f"{dt['value_b'].iloc[0]:.3g}, {before} → {after})"
            if len(dt)
            else f"Degraded slices: none beyond the overall change ({before} → {after})"
            + _nearest(missed)
        )
        chart = (
            slices_chart(dt, "did", "did_lower", "did_upper", "error change beyond overall")
            if len(dt)
            else None
        )
        out.append(_retitle(degraded, title, chart, store, save, note=_misses_note(missed)))

    metrics = _metrics_finding(store, model, window, freq, common, save)
    out.append(metrics)
    if before is not None and after is not None and _alerted(metrics):
        out.append(_why_finding(store, model, before, after, common, save))

    if store.schema(model).task in ("binary", "regression"):
        notable_spec = WorstErrorsSpec(scope=Scope(model, window=window), k=10)
        notable = record(store, "notable predictions", spec=notable_spec, **common)
        nt = notable.frame()
        title = (
            f"Notable predictions: {len(nt)} most confident wrong ones "
            f"(|label − score| up to {nt['error_size'].max():.3g})"
            if len(nt)
            else "Notable predictions: no labelled predictions"
        )
        out.append(_retitle(notable, title, None, store, save))
    return out


def _metrics_finding(
    store: Any,
    model: str,
    window: Window | None,
    freq: str,
    common: dict[str, Any],
    save: bool,
) -> Finding:
    task = store.schema(model).task
    names = ["mae", "rmse"] if task == "regression" else ["accuracy", "roc_auc"]
    if task == "multiclass":
        names = ["accuracy"]
    spec = MetricsOverTimeSpec(scope=Scope(model, window=window), freq=freq, metrics=tuple(names))
    found = record(store, "metrics over time", spec=spec, **common)
    # Too few baseline windows leave no band: the run's warning is the note, not "no alert".
    note = found.note
    full = found.frame()
    alerts = full[full["alert"] == True]  # noqa: E712 - a column of bools
    evidence = alerts if len(alerts) else full.groupby("metric", sort=False).tail(1)
    title = (
        f"Metrics over time: {len(alerts)} alert(s) in {', '.join(sorted(set(alerts['metric'])))}"
        if len(alerts)
        else f"Metrics over time: no alert ({', '.join(names)}, per {freq})"
    )
    if note and not len(alerts):
        title = f"Metrics over time: no alert band ({', '.join(names)}, per {freq}): see note"
    return record(
        store,
        title,
        spec=spec,
        recorded=found.query,
        note=note,
        author=common["author"],
        model=model,
        table=evidence.reset_index(drop=True),
        chart=metrics_chart(full),
        save=save,
    )


def _alerted(metrics: Finding) -> bool:
    table = metrics.frame()
    return "alert" in table and bool((table["alert"] == True).any())  # noqa: E712


def _why_finding(
    store: Any, model: str, before: Window, after: Window, common: dict[str, Any], save: bool
) -> Finding:
    """Why the metric changed from ``before`` to ``after`` (``dl.explain_change``), when a
    metric alert fired: the waterfall is the evidence, the written summary the note."""
    task = store.schema(model).task
    spec = ExplainChangeSpec(
        scope=Scope(model, window=after, reference=before),
        metrics="mae" if task == "regression" else "error",
    )
    try:
        result = spec.run(store)
    except InputError as exc:
        return record(
            store,
            f"Why the metric changed: not split ({exc})",
            spec=None,
            author=common["author"],
            model=model,
            table=pd.DataFrame({"reason": [str(exc)]}),
            save=save,
        )
    share = result.covariate_share
    cause = f"{share:.0%} from the inputs moving" if share == share else "covariate split refused"
    title = (
        f"Why the metric changed: {result.metric} {result.change:+.3g} ({before} → {after}), "
        f"{cause}"
    )
    return record(
        store,
        title,
        spec=spec,
        note=result.summary,
        author=common["author"],
        model=model,
        table=result.table,
        save=save,
    )


def _nearest(missed: list[dict[str, Any]]) -> str:
    """The nearest miss of an empty search, for a title."""
    if not missed:
        return ""
    m = missed[0]
    return (
        f"; nearest miss: {m['predicate']} ({m['effect']:+.3g}, p {m['p_value']:.2g}, "
        f"adjusted {m['p_adjusted']:.2g})"
    )


def _misses_note(missed: list[dict[str, Any]]) -> str:
    """An empty search's nearest misses and why each was not reported, for a finding's note."""
    if not missed:
        return ""
    return "Nearest misses (not reported):\n" + "\n".join(
        f"- {line}" for line in found_slices.misses_text(missed, limit=len(missed))
    )


def _retitle(
    f: Finding, title: str, chart: Any, store: Any, save: bool, *, note: str = ""
) -> Finding:
    """The finding under its final title and chart (its evidence computed once)."""
    return record(
        store,
        title,
        spec=spec_of_finding(f),
        recorded=f.query,
        note=note or f.note,
        author=f.author,
        model=f.model,
        table=f.frame(),
        chart=chart,
        save=save,
    )


def _halves(store: Any, model: str, window: Window | None) -> tuple[Window | None, Window | None]:
    """Before/after windows for "what got worse": the window before ``window`` of the same
    length and ``window``; without ``window``, the two halves of the logged time range."""
    if window is not None and window.start is not None and window.end is not None:
        return Window(window.start - (window.end - window.start), window.start), window
    t = store.table(model)
    row = store.ibis.to_pyarrow(t.aggregate(lo=t.timestamp.min(), hi=t.timestamp.max()))
    lo, hi = row.column("lo")[0].as_py(), row.column("hi")[0].as_py()
    if lo is None or hi is None or hi <= lo:
        return None, None
    start = pd.Timestamp(lo).floor("D") if window is None or window.start is None else window.start
    end = pd.Timestamp(hi).floor("D") + pd.Timedelta(days=1)
    mid = start + (end - start) / 2
    if mid.floor("D") > start:  # whole days read better in a title and a reproducing call
        mid = mid.floor("D")
    return Window(start, mid), Window(mid, end)


# -- checks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """One check: what was checked, whether it passed, and the offending values."""

    check: str
    passed: bool
    detail: str

    def __str__(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'}: {self.check}: {self.detail}"


def load_checks(path: str | Path) -> list[dict[str, Any]]:
    """The checks of a YAML file, validated (unknown kinds and keys are errors)."""
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"no such checks file: {p}") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{p} is not valid YAML: {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, list):
        raise InputError(f"{p}: checks are a YAML list of items like '- drift: {{...}}'")
    out = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, Mapping) or len(item) != 1:
            raise InputError(f"{p}: check {i} is not one 'kind: {{options}}' item: {item!r}")
        ((kind, opts),) = item.items()
        if kind not in _KEYS:
            raise UnknownNameError(f"{p}, check {i}: {unknown('check kind', kind, list(_KEYS))}")
        if not isinstance(opts, Mapping):
            raise InputError(f"{p}: check {i} ({kind}) needs options, e.g. {_EXAMPLES[kind]}")
        extra = set(opts) - _KEYS[kind]
        if extra:
            bad = unknown(f"{kind} check option", sorted(extra)[0], _KEYS[kind])
            raise UnknownNameError(f"{p}, check {i}: {bad}")
        out.append({"kind": kind, **dict(opts)})
    return out


_KEYS = {
    "drift": {"statistic", "max", "features", "window", "where"},
    "metric": {"name", "min", "max", "where", "window", "threshold"},
    "fairness": {"sensitive", "measure", "max", "where", "window", "threshold", "min_support"},
}
_EXAMPLES = {
    "drift": "{statistic: psi, max: 0.2, features: numeric}",
    "metric": "{name: accuracy, where: \"region = 'north'\", min: 0.8}",
    "fairness": "{sensitive: [sex], measure: equalized_odds, max: 0.05}",
}


def run_checks(
    store: Any, model: str, checks: Sequence[Mapping[str, Any]], *, window: Window | None
) -> list[CheckResult]:
    """Evaluate ``checks`` (from :func:`load_checks`); bad options raise InputError."""
    results = []
    for check in checks:
        if check["kind"] == "drift":
            results.append(_drift_check(store, model, check, window))
        elif check["kind"] == "fairness":
            results.append(_fairness_check(store, model, check, window))
        else:
            results.append(_metric_check(store, model, check, window))
    return results


def _window(check: Mapping[str, Any], default: Window | None) -> Window | None:
    return parse_window(check["window"]) if check.get("window") else default


def _drift_check(
    store: Any, model: str, check: Mapping[str, Any], window: Window | None
) -> CheckResult:
    from diaglab.specs.api import drift

    stat = str(check.get("statistic", "psi"))
    if "max" not in check:
        raise InputError(f"drift check on {stat} needs max: e.g. {_EXAMPLES['drift']}")
    limit = float(check["max"])
    window = _window(check, window)
    table = drift(store, model, window=window, where=check.get("where")).table
    if stat not in table.columns:
        numeric = [c for c in table.columns if pd.api.types.is_float_dtype(table[c])]
        raise unknown("drift statistic", stat, numeric)
    rows = table[table["role"] == "feature"]
    features = check.get("features", "all")
    if features in ("numeric", "categorical"):
        rows = rows[rows["kind"] == features]
    elif isinstance(features, list):
        missing = sorted(set(features) - set(rows["feature"]))
        if missing:
            raise unknown("feature (drift check)", missing[0], list(rows["feature"]))
        rows = rows[rows["feature"].isin(features)]
    elif features != "all":
        raise InputError(
            f"drift check features is numeric, categorical, all or a list, not {features!r}"
        )
    what = f"drift {stat} <= {limit:g} on {features} features" + (f" in {window}" if window else "")
    bad = rows[rows[stat] > limit].sort_values(stat, ascending=False)
    if len(bad):
        listed = ", ".join(f"{f} ({v:.3g})" for f, v in zip(bad["feature"], bad[stat], strict=True))
        return CheckResult(what, False, f"{len(bad)} over: {listed}")
    worst = rows[stat].max() if len(rows) else float("nan")
    return CheckResult(what, True, f"max {worst:.3g} over {len(rows)} features")


def _metric_check(
    store: Any, model: str, check: Mapping[str, Any], window: Window | None
) -> CheckResult:
    from diaglab.specs.api import slice_metrics

    name = check.get("name")
    if not isinstance(name, str):
        raise InputError(f"metric check needs name: e.g. {_EXAMPLES['metric']}")
    if "min" not in check and "max" not in check:
        raise InputError(f"metric check on {name} needs min or max")
    window = _window(check, window)
    where = check.get("where")
    schema = store.schema(model)
    by = next(iter(schema.features), None)
    if by is None:
        raise InputError(f"model {model!r} has no features to compute {name} over")
    table = slice_metrics(
        store,
        model,
        by=[by],
        metrics=[name],
        window=window,
        where=where,
        threshold=check.get("threshold"),
    ).table
    col = f"{name}_overall"
    if table.empty or col not in table.columns:
        return CheckResult(f"{name} on {where or 'all rows'}", False, "no labelled rows")
    value = float(table[col].iloc[0])
    bounds = []
    if "min" in check:
        bounds.append(f">= {float(check['min']):g}")
    if "max" in check:
        bounds.append(f"<= {float(check['max']):g}")
    what = f"{name} {' and '.join(bounds)} on {where or 'all rows'}" + (
        f" in {window}" if window else ""
    )
    ok = value == value and (  # NaN (no labels) fails
        ("min" not in check or value >= float(check["min"]))
        and ("max" not in check or value <= float(check["max"]))
    )
    return CheckResult(what, ok, f"{name} = {value:.4g}")


def _fairness_check(
    store: Any, model: str, check: Mapping[str, Any], window: Window | None
) -> CheckResult:
    from diaglab.specs.api import fairness
    from diaglab.stats.fairness import MEASURES

    sensitive = check.get("sensitive")
    measure = check.get("measure", "equalized_odds")
    if sensitive is None or "max" not in check:
        raise InputError(f"fairness check needs sensitive and max: e.g. {_EXAMPLES['fairness']}")
    if measure not in MEASURES:
        raise unknown("fairness measure", measure, list(MEASURES))
    names = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    limit = float(check["max"])
    window = _window(check, window)
    result = fairness.spec(
        model,
        sensitive=names,
        window=window,
        where=check.get("where"),
        threshold=check.get("threshold"),
        min_support=int(check.get("min_support", 30)),
        max_difference=limit,
    ).run(store)
    rows = result.disparities
    rows = rows[rows["measure"] == measure] if len(rows) else rows
    what = f"{measure} difference <= {limit:g} over {' & '.join(names)}" + (
        f" in {window}" if window else ""
    )
    failed: list[str] = []
    shown: list[str] = []
    for r in rows.to_dict(orient="records"):
        d = float(r["difference"])
        if np.isnan(d):
            failed.append(f"{r['sensitive']}: cannot be computed ({r['reason']})")
            continue
        text = (
            f"{r['sensitive']}: {r['group_high']} vs {r['group_low']} {d:.3g} "
            f"[{float(r['difference_lower']):.3g}, {float(r['difference_upper']):.3g}]"
        )
        (failed if d > limit else shown).append(text)
    if failed:
        return CheckResult(what, False, "; ".join(failed))
    return CheckResult(what, True, "; ".join(shown))
