"""Making findings: from what an explorer shows, or from a result outside explorers.

Both paths end in :func:`record`: the finding's spec runs again (``registry[spec.kind]``) under
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

from diaglab.charts._common import static_chart
from diaglab.errors import InputError, unknown
from diaglab.findings import stored
from diaglab.findings._recorder import Recorded, recording
from diaglab.findings.finding import Finding, now_iso, plain, table_json
from diaglab.findings.replay import evaluate, make_claim, query_of
from diaglab.specs import Spec, spec_of
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


def _window_text(win: Any, default: str | None) -> str | None:
    if win is None:
        return default
    return "everything logged" if win.bounds == (None, None) else str(win)


def selection_of(spec: Spec | None, state: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The contract's ``selection``: the spec's scope (and an explorer's prediction)."""
    scope = spec.scope if spec is not None else None
    takes_reference = spec is not None and "reference" in spec.scope_fields
    slice_text = str(scope.where) if scope is not None and scope.where is not None else None
    return {
        "model": scope.model if scope else None,
        "version": scope.version if scope else None,
        "reference": _window_text(
            scope.reference if scope else None,
            "the registered reference" if takes_reference else None,
        ),
        "current": _window_text(
            scope.window if scope else None,
            "everything logged" if spec is not None and "window" in spec.scope_fields else None,
        ),
        "slice": slice_text,
        "prediction_id": (state or {}).get("prediction_id")
        or (getattr(spec, "prediction_id", None) if spec is not None else None),
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
    store: Any, model: str | None, spec: Spec | None, state: Mapping[str, Any] | None
) -> tuple[Spec | None, Mapping[str, Any] | None]:
    """The spec and state with every filter literal on a sensitive column replaced by its keyed
    hash (``hmac-sha256:…``, which compares the same when re-run): a finding never stores a
    sensitive value in clear (:mod:`diaglab.store.sensitive`), and its reproducing call, rendered
    from the spec, shows the hash."""
    hidden = sensitive_columns(store, model)
    if not hidden or getattr(store, "path", None) is None:  # a remote Spark store has no key file
        return spec, state
    from diaglab.queries.filters import hide_sensitive_in
    from diaglab.store.sensitive import Hashing, store_key

    hashing = Hashing(frozenset(hidden), store_key(Path(store.path)))
    if spec is not None:
        spec_json, made = hide_sensitive_in(spec.to_json(), hashing)
        if made:
            spec = Spec.from_json(spec_json)
    state, _ = hide_sensitive_in(state, hashing)
    return spec, state


def _model_version(store: Any, model: str | None, spec: Spec | None) -> str | None:
    if spec is not None and spec.scope.version:
        return spec.scope.version
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
    store: Any, spec: Spec
) -> tuple[pd.DataFrame | None, Recorded, str | None, tuple[str, ...]]:
    """Run a finding's spec again, recording what executes: (table, recorded, error, notes), the
    notes being what its run warned of (:func:`diaglab.findings.replay.evaluate`)."""
    rec = Recorded()
    try:
        with recording(store) as rec:
            frame, notes = evaluate(store, spec)
    except Exception as exc:
        return None, rec, f"{type(exc).__name__}: {exc}", ()
    return frame, rec, None, notes


def record(
    store: Any,
    title: str,
    *,
    spec: Spec | None,
    note: str = "",
    author: str | None = None,
    model: str | None = None,
    explorer: str | None = None,
    table: pd.DataFrame | None = None,
    chart: Mapping[str, Any] | None = None,
    state: Mapping[str, Any] | None = None,
    recorded: Mapping[str, Any] | None = None,
    save: bool = True,
) -> Finding:
    """Build a finding from a spec (re-run and recorded here) and save it in ``store``.

    ``table`` is the evidence shown; when None, the re-run's result is the evidence.
    ``recorded`` is the query of a finding already computed (a finding re-titled): its Ibis and
    SQL are kept and nothing runs again. Without a spec the finding has no claim. What the run
    warns of (a :class:`diaglab.errors.DiaglabWarning`) is added to ``note``.
    """
    if not isinstance(title, str) or not title.strip():
        raise TypeError("a finding needs a non-empty title")
    if not isinstance(note, str):
        raise TypeError(f"note is text, not {type(note).__name__}")
    if author is not None and not isinstance(author, str):
        raise TypeError(f"author is text, not {type(author).__name__}")
    if spec is not None and not isinstance(spec, Spec):
        raise TypeError(f"a finding's spec is a diaglab Spec, not {type(spec).__name__}")
    model = model or (spec.scope.model if spec is not None else None)
    spec, state = _hide_sensitive_literals(store, model, spec, state)
    notes: tuple[str, ...] = ()
    frame, rec, error = (None, Recorded(), None)
    if store is not None and spec is not None and recorded is None:
        frame, rec, error, notes = rerun(store, spec)
    note = " ".join([note, *(n for n in notes if n not in note)]).strip()
    if table is None:
        if frame is None:
            raise InputError(f"cannot compute the evidence of {title!r}: {error}")
        table = frame
    hidden = sensitive_columns(store, model)
    evidence = table.drop(columns=[c for c in table.columns if str(c) in hidden])
    chart_json = static_chart(redact_spec(plain(chart), hidden)) if chart else None
    query: dict[str, Any] = query_of(spec) if spec is not None else {}
    if recorded is not None:
        query.update(ibis=recorded.get("ibis"), sql=recorded.get("sql"))
    else:
        query.update(ibis=rec.text("ibis"), sql=rec.text("sql"))
    if error and store is not None:
        query["rerun_error"] = error
    watermark = None
    if store is not None:
        try:
            watermark = plain(store.watermark())
        except Exception:  # context, not a reason to lose the finding
            watermark = None
    found = Finding(
        id=new_segment_id(),
        title=title,
        note=note,
        author=author if author is not None else default_author(),
        created_at=now_iso(),
        explorer=explorer,
        model=model,
        model_version=_model_version(store, model, spec),
        selection=selection_of(spec, state),
        query=query,
        table=table_json(evidence),
        chart=chart_json,
        chart_svg=chart_svg(chart_json),
        watermark=watermark,
        claim=make_claim(spec, evidence) if spec is not None else None,
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
    ``table`` is its ``data()`` when the caller already has it. Uses the explorer's public
    ``spec``, ``state``, ``store`` and ``chart_json()`` only."""
    if table is None:
        table = explorer.data()
    spec = explorer.spec
    return record(
        explorer.store,
        title,
        spec=spec,
        note=note,
        author=author,
        model=spec.scope.model if spec is not None else None,
        explorer=explorer.explorer_name,
        table=table,
        chart=explorer.chart_json(),
        state=explorer.state,
    )


def finding(
    title: str,
    result: Any,
    *,
    note: str = "",
    author: str | None = None,
    store: Any = None,
    model: str | None = None,
    spec: Spec | None = None,
    chart: Any = None,
    query: Any = None,
) -> Finding:
    """A finding from a result outside the explorers; saved in ``store`` when given.

    Parameters
    ----------
    title : str
    result : the result of a ``dl.`` diagnostic, a pandas.DataFrame, or an object with a
        ``.table`` DataFrame
        The evidence. A diagnostic's result carries its spec (``dl.spec_of(result)``), so the
        finding can be rechecked.
    store : diaglab.Store, optional
        Where the spec is re-run (to record its Ibis expression and SQL) and the finding saved.
    model : str, optional
        Default: the spec's model, or the store's only model.
    spec : dl.Spec, optional
        For a result without one, e.g. ``dl.find_slices.spec(...)`` for a table you filtered.
    chart : altair chart or Vega-Lite dict, optional

    Examples
    --------
    >>> rep = dl.drift(store, "credit", window=("2026-02-10", "2026-03-02"))    # doctest: +SKIP
    >>> dl.finding("income drifted", rep, store=store, note="new partner")      # doctest: +SKIP
    """
    if query is not None:
        raise TypeError("finding() takes spec= (e.g. dl.find_slices.spec(...)), not query=")
    spec = spec if spec is not None else spec_of(result)
    table = result if isinstance(result, pd.DataFrame) else getattr(result, "table", None)
    if spec is not None and not isinstance(table, pd.DataFrame):
        table = spec.table(result)
    if not isinstance(table, pd.DataFrame):
        raise InputError(
            f"a finding's result is a DataFrame or has a .table DataFrame, not "
            f"{type(result).__name__}"
        )
    model = model or (spec.scope.model if spec is not None else None)
    if model is None and store is not None:
        models = store.models()
        if len(models) != 1:
            raise unknown("model (pass model=...)", None, models)
        model = models[0]
    chart_json = chart.to_dict() if hasattr(chart, "to_dict") else chart
    if chart_json is None and spec is not None and spec.kind == "drift":
        from diaglab.findings._charts import drift_chart

        chart_json = drift_chart(table)
    return record(
        store,
        title,
        spec=spec,
        note=note,
        author=author,
        model=model,
        table=table,
        chart=chart_json,
    )
