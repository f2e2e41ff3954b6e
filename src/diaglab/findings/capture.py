"""Making findings: from what an explorer shows, or from a result outside explorers.

Both paths end in :func:`record`: the finding's query function runs again under
:func:`~diaglab.findings._recorder.recording`, so the Ibis expressions and SQL stored with it are
the ones that produced the evidence; the evidence table is trimmed to :data:`MAX_ROWS` rows and
stripped of the model's sensitive columns; the chart gets a static SVG; the claim is derived for
``recheck``; and with a store the finding is saved there (hash-chained) and returned sealed.
"""

from __future__ import annotations

import functools
import getpass
import logging
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from diaglab.errors import InputError, unknown
from diaglab.findings import stored
from diaglab.findings._recorder import Recorded, recording
from diaglab.findings.finding import Finding, now_iso, plain, table_json
from diaglab.findings.replay import make_claim, query_for, window_of
from diaglab.store._ids import new_segment_id

log = logging.getLogger("diaglab")


@functools.cache
def _git_user() -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        out = subprocess.run(
            [git, "config", "user.name"], capture_output=True, text=True, timeout=2, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def default_author() -> str:
    """``DIAGLAB_AUTHOR``, else git's ``user.name``, else the OS user."""
    env = os.environ.get("DIAGLAB_AUTHOR", "").strip()
    if env:
        return env
    git = _git_user()
    if git:
        return git
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "unknown"


def _window_text(value: Any) -> str | None:
    try:
        win = window_of(value)
    except InputError:
        return str(value)
    if win is None:
        return None
    return "everything logged" if win.bounds == (None, None) else str(win)


def selection_of(state: Mapping[str, Any], model: str | None) -> dict[str, Any]:
    """The contract's ``selection`` from an explorer's (or a query's) state."""
    current = state.get("current", state.get("window"))
    reference = state.get("reference")
    slice_text = state.get("where") or state.get("selected_slice")
    return {
        "model": model,
        "version": state.get("version"),
        "reference": (
            _window_text(reference)
            if reference is not None
            else ("the registered reference" if "reference" in state else None)
        ),
        "current": _window_text(current),
        "slice": str(slice_text) if slice_text else None,
        "prediction_id": state.get("prediction_id"),
    }


def sensitive_columns(store: Any, model: str | None) -> set[str]:
    if store is None or model is None:
        return set()
    try:
        schema = store.schema(model)
    except Exception:
        return set()
    return {str(c) for c in (getattr(schema, "sensitive", None) or ())}


def _hide_sensitive_literals(
    store: Any,
    model: str | None,
    query: Mapping[str, Any],
    kwargs: dict[str, Any],
    state: Mapping[str, Any] | None,
) -> tuple[Mapping[str, Any], dict[str, Any], Mapping[str, Any] | None]:
    """The query, kwargs and state with every filter literal on a sensitive column replaced by
    its keyed hash (``hmac-sha256:…``, which compares the same when re-run): a finding never
    stores a sensitive value in clear (:mod:`diaglab.store.sensitive`)."""
    hidden = sensitive_columns(store, model)
    if not hidden or getattr(store, "path", None) is None:  # a remote Spark store has no key file
        return query, kwargs, state
    from diaglab.queries.filters import hide_sensitive_in
    from diaglab.store.sensitive import Hashing, store_key

    hashing = Hashing(frozenset(hidden), store_key(Path(store.path)))
    kwargs, made = hide_sensitive_in(kwargs, hashing)
    state, more = hide_sensitive_in(state, hashing)
    made.update(more)
    query = dict(query)
    call = query.get("call")
    for clear, marked in made.items():
        if isinstance(call, str):
            quoted = "'" + clear.replace("'", "''") + "'"
            call = call.replace(quoted, "'" + marked + "'")
            if len(clear) >= 4:  # shorter texts would match unrelated parts of the call
                call = call.replace(clear, marked)
    query["call"] = call
    return query, kwargs, state


def _model_version(store: Any, model: str | None, state: Mapping[str, Any]) -> str | None:
    if state.get("version"):
        return str(state["version"])
    if store is None or model is None:
        return None
    try:
        versions = list(store.schema(model).versions)
    except Exception:
        return None
    return str(versions[-1]) if versions else None


def redact_spec(spec: Any, hidden: set[str]) -> Any:
    """A Vega-Lite spec without the fields ``hidden`` in its inline data."""
    if not hidden:
        return spec
    if isinstance(spec, Mapping):
        return {
            k: (
                [_drop(r, hidden) for r in v]
                if k == "values" and isinstance(v, list)
                else {
                    n: [_drop(r, hidden) for r in d] if isinstance(d, list) else d
                    for n, d in v.items()
                }
                if k == "datasets" and isinstance(v, Mapping)
                else redact_spec(v, hidden)
            )
            for k, v in spec.items()
        }
    if isinstance(spec, list):
        return [redact_spec(x, hidden) for x in spec]
    return spec


def _drop(record: Any, hidden: set[str]) -> Any:
    if isinstance(record, Mapping):
        return {k: v for k, v in record.items() if k not in hidden}
    return record


def chart_svg(spec: Mapping[str, Any] | None) -> str | None:
    """A static SVG of a Vega-Lite spec (vl-convert, no browser); None when it cannot render."""
    if not spec:
        return None
    try:
        import vl_convert as vlc

        version = _vl_version(spec)
        svg = (
            vlc.vegalite_to_svg(dict(spec), vl_version=version)
            if version
            else (vlc.vegalite_to_svg(dict(spec)))
        )
    except Exception as exc:  # a fallback image is a convenience; the spec stays
        log.warning("diaglab: no static image for a finding's chart: %s", exc)
        return None
    return str(svg)


def _vl_version(spec: Mapping[str, Any]) -> str | None:
    schema = str(spec.get("$schema", ""))
    # ".../vega-lite/v6.4.1.json" -> "v6_4"
    tail = schema.rsplit("/", 1)[-1].removesuffix(".json")
    parts = tail.lstrip("v").split(".")
    if tail.startswith("v") and len(parts) >= 2 and all(p.isdigit() for p in parts[:2]):
        return f"v{parts[0]}_{parts[1]}"
    return None


def rerun(
    store: Any, function: str | None, kwargs: Mapping[str, Any]
) -> tuple[pd.DataFrame | None, Recorded, str | None]:
    """Run a finding's query again, recording what executes: (result, recorded, error)."""
    rec = Recorded()
    try:
        spec = query_for(function)
    except Exception as exc:
        return None, rec, str(exc)
    try:
        with recording(store) as rec:
            frame = spec.run(store, kwargs)
    except Exception as exc:
        return None, rec, f"{type(exc).__name__}: {exc}"
    return frame, rec, None


def record(
    store: Any,
    title: str,
    *,
    query: Mapping[str, Any],
    note: str = "",
    author: str | None = None,
    model: str | None = None,
    explorer: str | None = None,
    table: pd.DataFrame | None = None,
    chart: Mapping[str, Any] | None = None,
    state: Mapping[str, Any] | None = None,
    save: bool = True,
) -> Finding:
    """Build a finding from a query (re-run and recorded here) and save it in ``store``.

    ``query`` holds at least ``function`` and ``kwargs`` (JSON values) and usually ``call``
    (the ``dl.`` call that reproduces it). ``table`` is the evidence shown; when None, the
    re-run's result is the evidence.
    """
    if not isinstance(title, str) or not title.strip():
        raise TypeError("a finding needs a non-empty title")
    if not isinstance(note, str):
        raise TypeError(f"note is text, not {type(note).__name__}")
    if author is not None and not isinstance(author, str):
        raise TypeError(f"author is text, not {type(author).__name__}")
    kwargs = dict(query.get("kwargs") or {})
    function = query.get("function")
    model = model or kwargs.get("model")
    query, kwargs, state = _hide_sensitive_literals(store, model, query, kwargs, state)
    frame, rec, error = (None, Recorded(), None)
    # A query that already carries its SQL (a finding re-titled) is not run again.
    recorded = table is not None and query.get("sql") is not None
    if store is not None and function and not recorded:
        frame, rec, error = rerun(store, function, kwargs)
    if table is None:
        if frame is None:
            raise InputError(f"cannot compute the evidence of {title!r}: {error}")
        table = frame
    hidden = sensitive_columns(store, model)
    evidence = table.drop(columns=[c for c in table.columns if str(c) in hidden])
    spec = redact_spec(plain(chart), hidden) if chart else None
    full_query = {
        **{k: plain(v) for k, v in query.items()},
        "kwargs": plain(kwargs),
        "ibis": query.get("ibis") if recorded else rec.text("ibis"),
        "sql": query.get("sql") if recorded else rec.text("sql"),
    }
    if error and store is not None:
        full_query["rerun_error"] = error
    watermark = None
    if store is not None:
        try:
            watermark = plain(store.watermark())
        except Exception:  # context, not a reason to lose the finding
            watermark = None
    the_state = dict(state or kwargs)
    found = Finding(
        id=new_segment_id(),
        title=title,
        note=note,
        author=author if author is not None else default_author(),
        created_at=now_iso(),
        explorer=explorer,
        model=model,
        model_version=_model_version(store, model, the_state),
        selection=selection_of(the_state, model),
        query=full_query,
        table=table_json(evidence),
        chart=spec,
        chart_svg=chart_svg(spec),
        watermark=watermark,
        claim=make_claim(function, kwargs, evidence),
        state=plain(state) if state is not None else None,
    )
    if save and store is not None:
        return stored.save(store, found)
    return found.sealed(None)


def from_explorer(
    explorer: Any,
    title: str,
    note: str = "",
    author: str | None = None,
    *,
    table: pd.DataFrame | None = None,
) -> Finding:
    """What ``explorer`` shows, as a finding stored in its store (``explorer.capture``);
    ``table`` is its ``data()`` when the caller already has it."""
    if table is None:
        table = explorer.data()
    state = explorer._state()
    return record(
        explorer._store,
        title,
        query=explorer._query(),
        note=note,
        author=author,
        model=explorer._model(),
        explorer=explorer.explorer_name,
        table=table,
        chart=explorer._chart_spec(),
        state=state,
    )


def finding(
    title: str,
    result: Any,
    *,
    note: str = "",
    author: str | None = None,
    store: Any = None,
    model: str | None = None,
    query: Mapping[str, Any] | None = None,
    chart: Any = None,
) -> Finding:
    """A finding from a result outside the explorers; saved in ``store`` when given.

    Parameters
    ----------
    title : str
    result : dl.DriftReport, pandas.DataFrame, or an object with a ``.table`` DataFrame
        The evidence. A DriftReport also gives the query (``dl.drift`` with its window, slice
        and version), so the finding can be rechecked.
    store : diaglab.Store, optional
        Where the query is re-run (to record its Ibis expression and SQL) and the finding saved.
    model : str, optional
        Default: the result's model, or the store's only model.
    query : dict, optional
        ``{"function": "diaglab.find_slices", "kwargs": {...}, "call": "dl.find_slices(...)"}``
        for a DataFrame result, to make it re-runnable.
    chart : altair chart or Vega-Lite dict, optional

    Examples
    --------
    >>> rep = dl.drift(store, "credit", current=("2026-02-10", "2026-03-02"))   # doctest: +SKIP
    >>> dl.finding("income drifted", rep, store=store, note="new partner")      # doctest: +SKIP
    """
    q = dict(query or {})
    if type(result).__name__ == "DriftReport" and not query:
        q = _drift_query(result)
    table = result if isinstance(result, pd.DataFrame) else getattr(result, "table", None)
    if not isinstance(table, pd.DataFrame):
        raise InputError(
            f"a finding's result is a DataFrame or has a .table DataFrame, not "
            f"{type(result).__name__}"
        )
    model = model or getattr(result, "model", None) or (q.get("kwargs") or {}).get("model")
    if model is None and store is not None:
        models = store.models()
        if len(models) != 1:
            raise unknown("model (pass model=...)", None, models)
        model = models[0]
    if model is not None:
        q.setdefault("kwargs", {})
        q["kwargs"] = {"model": model, **q["kwargs"]}
    spec = chart.to_dict() if hasattr(chart, "to_dict") else chart
    if spec is None and type(result).__name__ == "DriftReport":
        from diaglab.findings._charts import drift_chart

        spec = drift_chart(table)
    return record(
        store,
        title,
        query=q,
        note=note,
        author=author,
        model=model,
        table=table,
        chart=spec,
    )


def _drift_query(report: Any) -> dict[str, Any]:
    ref = report.reference
    where = report.where
    kwargs: dict[str, Any] = {
        "model": report.model,
        "current": report.current.to_json(),
        "version": report.version,
        "where": where,
    }
    call = f"dl.drift(store, {report.model!r}, current={report.current!r}, where={where!r}, " + (
        f"version={report.version!r})"
    )
    prefix = "production window "
    if isinstance(ref, str) and ref.startswith(prefix):  # e.g. "production window [a, b)"
        sides = ref.removeprefix(prefix).strip("[)").split(", ")
        if len(sides) == 2:
            start, end = (None if s == "…" else s for s in sides)
            kwargs["reference"] = {"start": start, "end": end}
            call = call.replace(", where=", f", reference=({start!r}, {end!r}), where=", 1)
    return {"call": call, "function": "diaglab.drift", "kwargs": kwargs}
