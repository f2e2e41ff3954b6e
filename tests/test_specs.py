"""Scope and specs: every diagnostic's spec round-trips through JSON, runs, and its finding
rechecks as holding on unchanged data (empty results included); old argument names name the
new ones; the reproducing call is rendered from the spec and runs."""

from __future__ import annotations

import ast
import inspect
import json
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import diaglab as dl
from diaglab.findings.capture import record
from diaglab.findings.legacy import spec_from_query
from diaglab.findings.replay import recheck
from diaglab.queries.result import Result
from diaglab.specs import REGISTRY, SPECS, Spec, runner
from diaglab.specs import catalog as c

WINDOW = ("2026-02-10", "2026-03-02")
BEFORE = ("2026-01-01", "2026-01-20")
NORTH = "region = 'north'"


@pytest.fixture(scope="module")
def ids(sample_store: Any) -> dict[str, str]:
    t = sample_store.table("credit")
    row = t.filter(t.label.notnull() & t.trace_id.notnull()).limit(1).execute().iloc[0]
    return {"prediction_id": str(row.prediction_id), "trace_id": str(row.trace_id)}


def every_spec(ids: dict[str, str]) -> list[Spec]:
    """One spec per diagnostic, with scope fields and parameters set away from their defaults."""
    pid, tid = ids["prediction_id"], ids["trace_id"]
    return [
        dl.drift.spec("credit", window=WINDOW, where=NORTH, features=["income", "age"]),
        dl.drift.spec("credit", window=WINDOW, thresholds=dl.DriftThresholds(psi_major=0.3)),
        dl.drift_over_time.spec("credit", freq="7D", features=["income"], band_sigma=2.5),
        dl.domain_classifier.spec("credit", window=WINDOW, reference=BEFORE, sample=1500),
        dl.drift_impact.spec("credit", window=WINDOW, sample=300),
        dl.slice_metrics.spec("credit", "region", window=WINDOW, metrics="accuracy"),
        dl.find_slices.spec("credit", window=WINDOW, k=5, where=NORTH),
        dl.find_slices.spec("credit", compare=(BEFORE, WINDOW), k=3),
        dl.find_slices.spec("credit", compare=QUIET),  # an empty result
        dl.compare_versions.spec("credit", "v1", "v2", metrics=["accuracy"]),
        dl.metrics_over_time.spec("credit", freq="7D", metrics=["accuracy"], where=NORTH),
        dl.explain.spec("credit", pid),
        dl.explain_window.spec("credit", window=BEFORE, sample=200),
        dl.explanation_drift.spec("credit", freq="1W", window=BEFORE, sample=200),
        dl.worst_errors.spec("credit", window=WINDOW, k=5),
        dl.neighbors.spec("credit", pid, k=5),
        dl.what_if.spec("credit", pid, {"income": 20000.0}),
        dl.counterfactual.spec("credit", pid, max_changes=2),
        dl.trace.spec(tid),
        dl.span_stats.spec(freq="7D", window=WINDOW),
        dl.find_traces.spec("failed", window=WINDOW),
        dl.explain_change.spec("credit", window=WINDOW, reference=BEFORE, k=3, sample=2000),
        dl.threshold_analysis.spec("credit", window=WINDOW, threshold=0.3, cost_fn=5.0),
        dl.fairness.spec("credit", sensitive=["region"], window=WINDOW, reference_group="north"),
        dl.fairness_over_time.spec("credit", sensitive="region", freq="7D", band_sigma=2.5),
        # empty results: "nothing found" is a claim that holds on unchanged data
        dl.slice_metrics.spec("credit", "region", where=NOBODY),
        dl.worst_errors.spec("credit", where=NOBODY),
        dl.find_traces.spec("slowest", window=LATER),
        dl.span_stats.spec(window=LATER),
    ]


NOBODY = "age > 1000"  # no row of the sample
LATER = ("2030-01-01", "2030-02-01")  # after the sample's last prediction


def test_every_diagnostic_has_a_spec_in_the_registry() -> None:
    kinds = {cls.kind for cls in SPECS}
    assert kinds == set(REGISTRY)
    for name in kinds:
        assert isinstance(getattr(dl, name), dl.specs.Diagnostic), name


RUN_TIME = {"drift_report", "report"}  # a DriftReport to reuse, passed at run time only


@pytest.mark.parametrize("cls", SPECS, ids=lambda cls: cls.kind)
def test_an_implementation_takes_the_spec_and_only_run_time_options(cls: type[Spec]) -> None:
    """A parameter is declared once, on the spec: the implementation reads it from there."""
    impl = inspect.signature(cls.function()).parameters
    names = list(impl)
    assert names[:2] == ["store", "spec"], cls.kind
    for name in names[2:]:
        assert impl[name].kind is inspect.Parameter.KEYWORD_ONLY, (cls.kind, name)
        assert name in set(cls.options) | RUN_TIME, (cls.kind, name)
        assert name not in cls.param_names(), (cls.kind, name)
    shown = inspect.signature(getattr(dl, cls.kind)).parameters
    assert set(shown) == {"store", *cls.scope_fields, *cls.param_names(), *cls.options}
    for f in fields(cls):
        if f.name != "scope" and f.default is not MISSING:
            assert shown[f.name].default == f.default, (cls.kind, f.name)


def test_every_spec_round_trips_runs_and_its_finding_holds_on_unchanged_data(
    sample_store: Any, ids: dict[str, str]
) -> None:
    empties = 0
    for spec in every_spec(ids):
        text = json.dumps(spec.to_json())
        again = Spec.from_json(json.loads(text))
        assert again == spec and again.to_json() == spec.to_json(), spec.kind
        assert spec.call().startswith(f"dl.{spec.kind}(store")
        assert (
            eval(
                spec.call()
                .replace("store, ", "", 1)
                .replace(f"dl.{spec.kind}(", f"dl.{spec.kind}.spec(", 1),
                {"dl": dl},
            )
            == spec
        )
        result = runner(spec.kind)(sample_store, again)
        assert isinstance(result, Result) and result.spec == spec, spec.kind
        assert isinstance(result.table, pd.DataFrame) and spec.table(result) is not None
        assert all(isinstance(w, str) for w in result.warnings)
        assert repr(result) and "<b>" in result._repr_html_(), spec.kind
        table = result.table
        empties += table.empty
        found = record(sample_store, spec.kind, spec=spec, save=False)
        assert found.claim is not None, spec.kind
        assert found.claim["empty"] if table.empty else found.claim["rows"], spec.kind
        check = recheck(found, sample_store)
        assert check.status == "holds", (spec.kind, check.details)
    assert empties >= 5  # the planted empty results did come back empty


QUIET = (("2026-01-01", "2026-01-08"), ("2026-01-08", "2026-01-15"))  # no slice degraded


def test_nothing_found_is_a_claim_that_holds_on_unchanged_data(sample_store: Any) -> None:
    spec = dl.find_slices.spec("credit", compare=QUIET)
    assert dl.find_slices(sample_store, "credit", compare=QUIET).table.empty
    found = record(sample_store, "no slice degraded", spec=spec, save=False)
    assert found.claim is not None and found.claim["rows"] == [] and found.claim["empty"]
    assert recheck(found, sample_store).status == "holds"


def test_the_rendered_call_reproduces_the_result(sample_store: Any) -> None:
    spec = dl.slice_metrics.spec("credit", "region", window=WINDOW, where=NORTH, metrics="accuracy")
    rendered = eval(spec.call(), {"dl": dl, "store": sample_store})
    pd.testing.assert_frame_equal(rendered.table, spec.run(sample_store).table)
    assert spec.call() == (
        "dl.slice_metrics(store, 'credit', ('region',), window=('2026-02-10', '2026-03-02'), "
        "where=\"region = 'north'\", metrics=('accuracy',))"
    )


def test_results_carry_their_spec(sample_store: Any) -> None:
    rep = dl.drift(sample_store, "credit", window=WINDOW)
    assert dl.spec_of(rep) == dl.drift.spec("credit", window=WINDOW)
    found = dl.find_slices(sample_store, "credit", window=WINDOW, k=3)
    assert dl.spec_of(found) == dl.find_slices.spec("credit", window=WINDOW, k=3)


@pytest.mark.parametrize(
    ("call", "old", "new"),
    [
        (lambda s: dl.drift(s, "credit", current=WINDOW), "current", "window"),
        (lambda s: dl.drift_over_time(s, "credit", k=2.0), "k", "band_sigma"),
        (lambda s: dl.metrics_over_time(s, "credit", k=2.0), "k", "band_sigma"),
        (lambda s: dl.find_slices(s, "credit", metric="error"), "metric", "metrics"),
        (lambda s: dl.domain_classifier(s, "credit", current=WINDOW), "current", "window"),
        (lambda s: dl.drift(s, "credit", model_version="v1"), "model_version", "version"),
    ],
)
def test_old_argument_names_raise_naming_the_new_one(
    sample_store: Any, call: Any, old: str, new: str
) -> None:
    with pytest.raises(TypeError, match=f"'{old}'.*'{new}'"):
        call(sample_store)


def test_where_is_a_slice_when_it_is_a_conjunction_and_text_otherwise() -> None:
    s = dl.Scope("credit", where="region = 'north' AND income < 30000")
    assert isinstance(s.where, dl.Slice) and len(s.where.conditions) == 2
    t = dl.Scope("credit", where="region = 'north' OR income < 30000")
    assert t.where == "region = 'north' OR income < 30000"
    for scope in (s, t, dl.Scope("credit", window=WINDOW, as_of="2026-02-01")):
        assert dl.Scope.from_json(json.loads(json.dumps(scope.to_json()))) == scope
    assert dl.Scope("credit", window=dl.Window()) == dl.Scope("credit")


def test_a_spec_refuses_scope_fields_its_diagnostic_does_not_take() -> None:
    with pytest.raises(TypeError, match="unexpected argument 'reference'"):
        dl.slice_metrics.spec("credit", "region", reference=BEFORE)
    with pytest.raises(dl.InputError, match="does not take reference"):
        c.SliceMetricsSpec(scope=dl.Scope("credit", reference=BEFORE), by=("region",))


def test_findings_written_before_specs_are_migrated_when_read() -> None:
    old = {
        "call": "dl.find_slices(store, 'credit', metric='error', window=(...))",
        "function": "diaglab.find_slices",
        "kwargs": {
            "model": "credit",
            "metric": "error",
            "window": {"start": "2026-02-10T00:00:00+00:00", "end": None},
            "k": 10,
            "slice": [{"column": "region", "op": "=", "value": "north"}],
        },
    }
    spec = spec_from_query(old)
    assert spec == dl.find_slices.spec(
        "credit", window=("2026-02-10", None), k=10, where=NORTH, metrics="error"
    )
    drift = spec_from_query(
        {
            "function": "diaglab.drift",
            "kwargs": {"model": "credit", "current": ["2026-02-10", "2026-03-02"], "freq": "1D"},
        }
    )
    assert drift == dl.drift.spec("credit", window=WINDOW)
    band = spec_from_query(
        {"function": "diaglab.metrics_over_time", "kwargs": {"model": "credit", "k": 2.0}}
    )
    assert band == dl.metrics_over_time.spec("credit", band_sigma=2.0)
    # a SliceExplorer's old query: its whole state as kwargs, one metric, the slice as text
    explorer_state = {
        "model": "credit",
        "metric": "accuracy",
        "by": ["region"],
        "window": {"start": None, "end": None},
        "where": NORTH,
        "selected_slice": None,
    }
    old_slices = spec_from_query({"function": "diaglab.slice_metrics", "kwargs": explorer_state})
    assert old_slices == dl.slice_metrics.spec("credit", "region", metrics="accuracy", where=NORTH)
    worst = spec_from_query(
        {"function": "diaglab.worst_errors", "kwargs": {"model": "credit", "n": 10}}
    )
    assert worst == dl.worst_errors.spec("credit", k=10)


def test_drift_impact_takes_a_drift_report_and_keeps_its_scope(sample_store: Any) -> None:
    rep = dl.drift(sample_store, "credit", window=WINDOW, where=NORTH)
    impact = dl.drift_impact(sample_store, rep, sample=300)
    assert dl.spec_of(impact) == dl.drift_impact.spec(
        "credit", window=WINDOW, where=NORTH, sample=300
    )
    assert set(impact.table["feature"]) == set(
        rep.table.loc[rep.table.role == "feature", "feature"]
    )


def test_findings_use_only_the_explorers_public_api() -> None:
    src = Path(dl.__file__).parent / "findings"
    private = [
        f"{path.name}: explorer.{node.attr}"
        for path in src.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "explorer"
        and node.attr.startswith("_")
    ]
    assert private == []
