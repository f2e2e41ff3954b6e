"""Re-running a finding: its spec, its claim, and ``recheck``.

A finding stores the spec of the diagnostic that produced its evidence (``query.spec``, see
:mod:`diaglab.specs`); :func:`spec_of_finding` reads it back (and migrates findings written
before specs, which named a ``function`` and its ``kwargs``). ``registry[spec.kind]`` runs it
again; the spec says which columns identify a row (``key``) and which ``recheck`` compares
(``exact``: equal; ``approx``: within the claim's tolerance).

A claim is the top rows of the evidence, reduced to their key and compared columns::

    {"function": "diaglab.drift", "key": ["feature"], "exact": ["drifted", "severity"],
     "approx": ["effect"], "tolerance": {"abs": 0.02, "rel": 0.1},
     "rows": [{"feature": "income", "drifted": true, "severity": "major", "effect": 0.27}]}

``recheck`` re-runs the spec on today's data and, per claimed row, finds the row with the same
key: missing, a different exact value, or a number outside ``abs + rel * |old|`` means changed.
An empty result is claimed as ``"rows": [], "empty": true`` ("nothing found"): it holds while
today's result is empty too and changes as soon as a row appears.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from diaglab.errors import DiaglabError, DiaglabWarning
from diaglab.findings.finding import Finding, plain
from diaglab.findings.legacy import spec_from_query
from diaglab.specs import Spec, runner

CLAIM_ROWS = 5
TOLERANCE = {"abs": 0.02, "rel": 0.1}


def query_of(spec: Spec) -> dict[str, Any]:
    """A finding's ``query`` for ``spec``: the spec, its kind and the ``dl.`` call rendered
    from it (the recorded Ibis and SQL are added when it runs)."""
    return {"spec": spec.to_json(), "function": f"diaglab.{spec.kind}", "call": spec.call()}


def spec_of_finding(finding: Finding) -> Spec:
    """The spec a finding was made from (``query.spec``; older findings are migrated from their
    ``function`` and ``kwargs``); an InputError when it has none."""
    return spec_from_query(finding.query)


# -- claims -----------------------------------------------------------------------------------


def make_claim(spec: Spec, frame: pd.DataFrame, *, rows: int = CLAIM_ROWS) -> dict[str, Any] | None:
    """The claim of a result: its first ``rows`` rows' keys and compared values ("nothing found"
    when it is empty; None when the table lacks the spec's columns)."""
    function = f"diaglab.{spec.kind}"
    key, exact, approx = spec.claim_columns()
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
    """Re-run ``finding``'s spec on ``store`` today and compare its claim."""
    claim = finding.claim
    if not claim:
        return Check(finding.id, finding.title, CANNOT, ("the finding records no claim",))
    try:
        spec = spec_of_finding(finding)
    except DiaglabError as exc:
        return Check(finding.id, finding.title, CANNOT, (str(exc),))
    try:
        frame, _ = evaluate(store, spec)
    except Exception as exc:
        return Check(
            finding.id, finding.title, CANNOT, (f"re-running {spec.call()} failed: {exc}",)
        )
    return Check(finding.id, finding.title, *_compare(claim, frame))


def evaluate(store: Any, spec: Spec) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """``spec`` run on ``store``: its table, and the result's ``warnings`` with the text of each
    :class:`DiaglabWarning` the run gave (what makes the result less than it seems, e.g. too few
    windows for alert bands), which belong in a finding's note rather than on stderr; other
    warnings pass through."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DiaglabWarning)
        result = runner(spec.kind)(store, spec)
        frame = spec.table(result)
    notes: dict[str, None] = dict.fromkeys(getattr(result, "warnings", ()))
    for w in caught:
        if issubclass(w.category, DiaglabWarning):
            notes[str(w.message)] = None
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return frame, tuple(notes)


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
