"""Re-running a finding's query: the query functions a finding can name, its claim, and recheck.

A finding's ``query`` names a function (``"diaglab.drift"``, ``"diaglab.slice_metrics"``, ...)
and its JSON keyword arguments. :data:`QUERIES` maps each name to a :class:`Query` that runs it on
a store and says which columns identify a row (``key``) and which are compared by ``recheck``
(``exact``: equal; ``approx``: within the claim's tolerance). Other explorers add theirs with
:func:`register`.

A claim is the top rows of the evidence, reduced to their key and compared columns::

    {"function": "diaglab.drift", "key": ["feature"], "exact": ["drifted", "severity"],
     "approx": ["effect"], "tolerance": {"abs": 0.02, "rel": 0.1},
     "rows": [{"feature": "income", "drifted": true, "severity": "major", "effect": 0.27}]}

``recheck`` re-runs the query on today's data and, per claimed row, finds the row with the same
key: missing, a different exact value, or a number outside ``abs + rel * |old|`` means changed.
An empty result is claimed as ``"rows": [], "empty": true`` ("nothing found"): it holds while
today's result is empty too and changes as soon as a row appears.
"""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from diaglab.errors import DiaglabError, InputError, unknown
from diaglab.findings.finding import Finding, plain
from diaglab.queries.filters import Condition, Slice
from diaglab.queries.window import Window

CLAIM_ROWS = 5
TOLERANCE = {"abs": 0.02, "rel": 0.1}

Columns = tuple[Sequence[str], Sequence[str], Sequence[str]]


@dataclass(frozen=True)
class Query:
    """How to run one named query function from a finding's JSON kwargs.

    ``run(store, kwargs)`` returns the result table; ``columns(kwargs)`` the key, exact and
    approximately compared columns of its rows.
    """

    run: Callable[[Any, Mapping[str, Any]], pd.DataFrame]
    columns: Callable[[Mapping[str, Any]], Columns]


QUERIES: dict[str, Query] = {}


def register(name: str, query: Query) -> None:
    """Make findings whose ``query.function`` is ``name`` re-runnable (and rechecked)."""
    QUERIES[name] = query


def query_for(function: str | None) -> Query:
    name = str(function or "")
    found = QUERIES.get(name) or QUERIES.get(f"diaglab.{name}")
    if found is None:
        raise unknown("query function (cannot re-run it)", function, list(QUERIES))
    return found


# -- JSON kwargs back to arguments -----------------------------------------------------------


def window_of(value: Any) -> Window | None:
    """A window from its JSON form: ``{"start", "end"}``, a pair, or None."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return Window(value.get("start"), value.get("end"))
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        return Window(*value)
    raise InputError(f"not a window: {value!r} (use {{'start': ..., 'end': ...}})")


def where_of(kwargs: Mapping[str, Any]) -> Slice | str | None:
    """The row filter: the exact ``slice`` conditions when recorded, else the ``where`` text."""
    conds = kwargs.get("slice")
    if isinstance(conds, list) and conds:
        return Slice(*(Condition(c["column"], c["op"], c.get("value")) for c in conds))
    where = kwargs.get("where")
    return where if isinstance(where, str) and where.strip() else None


def _model(kwargs: Mapping[str, Any]) -> str:
    model = kwargs.get("model")
    if not isinstance(model, str) or not model:
        raise InputError("the finding's query has no model")
    return model


# -- the built-in queries ---------------------------------------------------------------------


def _drift(store: Any, kw: Mapping[str, Any]) -> pd.DataFrame:
    from diaglab.queries.drift import drift

    return drift(
        store,
        _model(kw),
        current=window_of(kw.get("current")),
        reference=window_of(kw.get("reference")),
        features=kw.get("features"),
        where=where_of(kw),
        version=kw.get("version"),
    ).table


def _slice_metrics(store: Any, kw: Mapping[str, Any]) -> pd.DataFrame:
    from diaglab.queries.slices import slice_metrics

    metrics = kw.get("metrics") or ([kw["metric"]] if kw.get("metric") else None)
    return slice_metrics(
        store,
        _model(kw),
        by=kw.get("by") or [],
        metrics=metrics,
        window=window_of(kw.get("window")),
        where=where_of(kw),
        version=kw.get("version"),
    )


def _find_slices(store: Any, kw: Mapping[str, Any]) -> pd.DataFrame:
    from diaglab.queries.slice_search import find_slices

    compare = kw.get("compare")
    pair = None if compare is None else (window_of(compare[0]), window_of(compare[1]))
    return find_slices(
        store,
        _model(kw),
        metric=kw.get("metric", "error"),
        window=window_of(kw.get("window")),
        k=int(kw.get("k", 10)),
        compare=pair,
        where=where_of(kw),
        version=kw.get("version"),
    )


def _explain(store: Any, kw: Mapping[str, Any]) -> pd.DataFrame:
    from diaglab.queries.explain import explain

    return explain(store, _model(kw), str(kw.get("prediction_id"))).table


def _what_if(store: Any, kw: Mapping[str, Any]) -> pd.DataFrame:
    from diaglab.queries.whatif import what_if

    changes = kw.get("changes") or {}
    return what_if(store, _model(kw), str(kw.get("prediction_id")), changes).after.table


def _worst_errors(store: Any, kw: Mapping[str, Any]) -> pd.DataFrame:
    from diaglab.queries.explain import worst_errors

    return worst_errors(
        store,
        _model(kw),
        window=window_of(kw.get("window")),
        where=where_of(kw),
        n=int(kw.get("n", 10)),
    )


def _metric_columns(kw: Mapping[str, Any]) -> Columns:
    metrics = kw.get("metrics") or ([kw["metric"]] if kw.get("metric") else [])
    return ["slice"], [], list(metrics)


def _found_columns(kw: Mapping[str, Any]) -> Columns:
    return ["slice"], [], ["did"] if kw.get("compare") is not None else ["value"]


register(
    "diaglab.drift",
    Query(_drift, lambda kw: (["feature"], ["drifted", "severity"], ["effect"])),
)
register("diaglab.slice_metrics", Query(_slice_metrics, _metric_columns))
register("diaglab.find_slices", Query(_find_slices, _found_columns))
register(
    "diaglab.worst_errors",
    Query(_worst_errors, lambda kw: (["prediction_id"], ["label"], ["score"])),
)
register("diaglab.explain", Query(_explain, lambda kw: (["feature"], [], ["shap"])))
register("diaglab.what_if", Query(_what_if, lambda kw: (["feature"], [], ["shap"])))


def _optional_queries() -> None:
    """Queries of modules that may not exist in every version (added as they land)."""
    try:
        traces = importlib.import_module("diaglab.queries.traces")
    except ImportError:
        traces = None
    if traces is not None and hasattr(traces, "trace"):

        def run_trace(store: Any, kw: Mapping[str, Any]) -> pd.DataFrame:
            spans: pd.DataFrame = traces.trace(store, str(kw.get("trace_id"))).spans
            return spans

        register(
            "diaglab.trace",
            Query(run_trace, lambda kw: (["span_id"], ["name", "status"], ["duration_ms"])),
        )
    try:
        mod = importlib.import_module("diaglab.queries.metrics_time")
    except ImportError:
        return
    fn = getattr(mod, "metrics_over_time", None)
    if fn is None or "diaglab.metrics_over_time" in QUERIES:
        return

    accepted = set(inspect.signature(fn).parameters) - {"store", "model"}

    def run(store: Any, kw: Mapping[str, Any]) -> pd.DataFrame:
        args = {k: v for k, v in kw.items() if k in accepted}
        for name in ("window", "baseline"):
            if args.get(name) is not None:
                args[name] = window_of(args[name])
        args.pop("where", None)
        where = where_of(kw)
        if where is not None:
            args["where"] = where
        result = fn(store, _model(kw), **args)
        return result.table if hasattr(result, "table") else result

    def columns(kw: Mapping[str, Any]) -> Columns:
        return ["series", "window_start", "metric", "kind"], ["alert"], ["value"]

    register("diaglab.metrics_over_time", Query(run, columns))


_optional_queries()


# -- claims -----------------------------------------------------------------------------------


def make_claim(
    function: str | None, kwargs: Mapping[str, Any], frame: pd.DataFrame, *, rows: int = CLAIM_ROWS
) -> dict[str, Any] | None:
    """The claim of a result: its first ``rows`` rows' keys and compared values (None when the
    query cannot be re-run or the table lacks the columns)."""
    try:
        spec = query_for(function)
    except DiaglabError:
        return None
    key, exact, approx = spec.columns(kwargs)
    if frame.empty:
        # "Nothing found" is a claim too: it holds while today's result is still empty.
        return {
            "function": function,
            "key": list(key),
            "exact": list(exact),
            "approx": list(approx),
            "tolerance": dict(TOLERANCE),
            "rows": [],
            "empty": True,
        }
    key = [c for c in key if c in frame.columns]
    exact = [c for c in exact if c in frame.columns]
    approx = [c for c in approx if c in frame.columns]
    if not key or not (exact or approx):
        return None
    head = frame.head(rows)
    return {
        "function": function,
        "key": key,
        "exact": exact,
        "approx": approx,
        "tolerance": dict(TOLERANCE),
        "rows": [plain(r) for r in head[key + exact + approx].to_dict(orient="records")],
    }


@dataclass(frozen=True)
class Check:
    """The recheck of one finding: ``holds``, ``changed`` or ``cannot be evaluated``."""

    finding_id: str
    title: str
    status: str
    details: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.status == "holds"

    def __str__(self) -> str:
        head = f"{self.status.upper()}: {self.title} ({self.finding_id})"
        return "\n".join([head, *(f"    {d}" for d in self.details)])


HOLDS, CHANGED, CANNOT = "holds", "changed", "cannot be evaluated"


def recheck(finding: Finding, store: Any) -> Check:
    """Re-run ``finding``'s query on ``store`` today and compare its claim."""
    claim = finding.claim
    if not claim:
        return Check(finding.id, finding.title, CANNOT, ("the finding records no claim",))
    function = claim.get("function") or finding.query.get("function")
    try:
        spec = query_for(function)
    except DiaglabError as exc:
        return Check(finding.id, finding.title, CANNOT, (str(exc),))
    try:
        frame = spec.run(store, finding.query.get("kwargs") or {})
    except Exception as exc:
        return Check(finding.id, finding.title, CANNOT, (f"re-running {function} failed: {exc}",))
    return Check(finding.id, finding.title, *_compare(claim, frame))


def _compare(claim: Mapping[str, Any], frame: pd.DataFrame) -> tuple[str, tuple[str, ...]]:
    key = list(claim.get("key", []))
    if claim.get("empty"):
        if frame.empty:
            return HOLDS, ("nothing found, as claimed",)
        shown = [c for c in key if c in frame.columns]
        found = [
            ", ".join(f"{c}={plain(v)!r}" for c, v in zip(shown, rec, strict=True))
            for rec in frame[shown].head(CLAIM_ROWS).itertuples(index=False, name=None)
        ]
        return CHANGED, (f"nothing was found; now {len(frame)} row(s)", *found)
    exact, approx = list(claim.get("exact", [])), list(claim.get("approx", []))
    missing = [c for c in key + exact + approx if c not in frame.columns]
    if missing:
        return CANNOT, (f"today's result has no column {', '.join(map(repr, missing))}",)
    tol = {**TOLERANCE, **dict(claim.get("tolerance") or {})}
    index = {
        tuple(plain(v) for v in rec[: len(key)]): rec[len(key) :]
        for rec in frame[key + exact + approx].itertuples(index=False, name=None)
    }
    changes: list[str] = []
    for row in claim.get("rows", []):
        k = tuple(row.get(c) for c in key)
        label = ", ".join(f"{c}={v!r}" for c, v in zip(key, k, strict=True))
        if k not in index:
            changes.append(f"{label}: no longer in the result")
            continue
        now = dict(zip(exact + approx, index[k], strict=True))
        for c in exact:
            if plain(now[c]) != row.get(c):
                changes.append(f"{label}: {c} was {row.get(c)!r}, now {plain(now[c])!r}")
        for c in approx:
            old, new = row.get(c), plain(now[c])
            if not _close(old, new, tol):
                changes.append(f"{label}: {c} was {_num(old)}, now {_num(new)}")
    if changes:
        return CHANGED, tuple(changes)
    n = len(claim.get("rows", []))
    return HOLDS, (f"{n} claimed row(s) within tolerance (abs {tol['abs']}, rel {tol['rel']})",)


def _close(old: Any, new: Any, tol: Mapping[str, float]) -> bool:
    if old is None or new is None:
        return old is None and new is None
    try:
        a, b = float(old), float(new)
    except (TypeError, ValueError):
        return bool(old == new)
    if not (math.isfinite(a) and math.isfinite(b)):
        return a == b
    return abs(a - b) <= float(tol["abs"]) + float(tol["rel"]) * abs(a)


def _num(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else repr(v)
