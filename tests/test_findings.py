"""Findings: capture from explorers and results, storage with a hash chain, display, recheck."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from conftest import START, make_batch
from diaglab.errors import StoreCorruptionError
from diaglab.findings import MIME, Finding, bundle, recheck
from diaglab.findings.finding import canonical_json

SCHEMA = Path(dl.__file__).parent / "findings" / "findings-v1.schema.json"
HALF = START + pd.Timedelta(minutes=1500)


def build(path: Path) -> dl.Store:
    """3,000 labelled predictions whose income drifts in the second half, and a reference."""
    s = dl.open(path)
    b = make_batch(3000, seed=0)
    b["features"].loc[1500:, "income"] *= 1.8
    ids = s.log(model="credit", **b)
    rng = np.random.default_rng(1)
    s.log_labels("credit", ids, (rng.random(3000) < b["predictions"]).astype(float))
    ref = make_batch(2000, seed=2)
    s.set_reference("credit", ref["features"], predictions=ref["predictions"])
    return s


@pytest.fixture
def small(tmp_path: Path):
    s = build(tmp_path / "store")
    yield s
    s.close()


def validate(obj: dict[str, Any]) -> None:
    import jsonschema

    jsonschema.validate(
        obj, json.loads(SCHEMA.read_text()), format_checker=jsonschema.FormatChecker()
    )


def test_capture_stores_a_finding_with_the_query_that_ran(small: dl.Store) -> None:
    ex = dl.DriftExplorer(small, "credit", window=(HALF, None)).wait()
    try:
        f = ex.capture("income drifted", note="a new partner", author="ana")
    finally:
        ex.close()
    assert isinstance(f, Finding)
    assert (f.title, f.note, f.author, f.explorer, f.model) == (
        "income drifted",
        "a new partner",
        "ana",
        "DriftExplorer",
        "credit",
    )
    assert f.model_version == "v1"
    assert f.selection["current"].startswith("[2026-01-02")
    assert f.selection["reference"] == "the registered reference"
    assert f.query["function"] == "diaglab.drift"
    assert f.query["call"].startswith("dl.drift(store, 'credit'")
    # The SQL and Ibis text are what ran when the query ran again, not a template.
    assert '"main"."credit"' in f.query["sql"] and "MAKE_TIMESTAMPTZ(2026, 1, 2" in f.query["sql"]
    assert "main.credit" in f.query["ibis"]
    assert f.frame()["feature"].tolist() == ex.data()["feature"].tolist()
    assert f.chart is not None and f.chart_svg.startswith("<svg")
    assert f.watermark["rows"] == 3000 + 3000 + 2000  # predictions, labels, reference
    assert f.claim["key"] == ["feature"] and f.claim["rows"][0]["feature"] == "income"
    assert f.hash == f.content_hash() and len(f.hash) == 64
    assert dl.findings(small)[-1].hash == f.hash
    with pytest.raises(TypeError):
        ex.capture("  ")


def test_findings_are_chained_by_hash_in_the_store(small: dl.Store) -> None:
    rep = dl.drift(small, "credit", window=(HALF, None))
    a = dl.finding("first", rep, store=small)
    b = dl.finding("second", small.table("credit").limit(3).to_pandas(), store=small)
    listed = dl.findings(small)
    assert [f.title for f in listed] == ["first", "second"]
    assert a.prev_hash is None and b.prev_hash == a.hash
    assert all(f.hash == f.content_hash() for f in listed)
    assert a.id < b.id
    frame = listed.frame()
    assert frame["title"].tolist() == ["first", "second"] and len(frame.columns) >= 8
    assert dl.findings(small, model="credit").frame()["id"].tolist() == [a.id, b.id]
    assert listed.find("second") is listed[1]
    with pytest.raises(dl.UnknownNameError, match="known: first, second"):
        listed.find("third")


def test_hash_is_over_canonical_json_without_the_hash(small: dl.Store) -> None:
    import hashlib

    f = dl.finding("x", pd.DataFrame({"a": [1.0, float("nan")]}), store=small)
    body = f.to_json()
    body.pop("hash")
    assert f.hash == hashlib.sha256(canonical_json(body).encode()).hexdigest()
    assert f.frame()["a"].tolist()[1] is None or np.isnan(f.frame()["a"].tolist()[1])


def test_a_finding_from_a_drift_report_outside_explorers_can_be_rechecked(
    small: dl.Store,
) -> None:
    rep = dl.drift(small, "credit", window=(HALF, None), where="region = 'north'")
    f = dl.finding("income drifted in the north", rep, store=small, note="by hand")
    assert f.query["spec"]["scope"]["where"] == {
        "slice": [{"column": "region", "op": "=", "value": "north"}]
    }
    assert f.query["call"].endswith("where=\"region = 'north'\")")
    assert "'north'" in f.query["sql"]
    check = recheck(f, small)
    assert check.status == "holds", check


def test_findings_are_readable_from_another_process(small: dl.Store) -> None:
    dl.finding("seen elsewhere", dl.drift(small, "credit", window=(HALF, None)), store=small)
    code = "import sys, diaglab as dl\nprint([f.title for f in dl.findings(sys.argv[1])])\n"
    out = subprocess.run(
        [sys.executable, "-c", code, str(small.path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "['seen elsewhere']" in out.stdout


def test_a_damaged_finding_file_is_named_and_the_others_still_load(small: dl.Store) -> None:
    from diaglab.errors import DamagedFindingWarning

    good = dl.finding("kept", pd.DataFrame({"a": [1]}), store=small, model="credit")
    f = dl.finding("to be damaged", pd.DataFrame({"a": [1]}), store=small, model="credit")
    later = dl.finding("after it", pd.DataFrame({"a": [2]}), store=small, model="credit")
    path = next((small.path / "segments" / "findings" / "credit").glob(f"{f.id}.parquet"))
    path.write_bytes(b"not parquet at all")
    with pytest.warns(DamagedFindingWarning, match=f.id):
        found = dl.findings(small)
    assert [x.id for x in found] == [good.id, later.id]
    assert len(found.damaged) == 1 and isinstance(found.damaged[0], StoreCorruptionError)
    assert f.id in str(found.damaged[0]) and str(path) in str(found.damaged[0])


def test_a_finding_changed_after_recording_is_refused_naming_it(small: dl.Store) -> None:
    f = dl.finding("the claim", pd.DataFrame({"a": [1]}), store=small, model="credit")
    tampered = {**f.to_json(), "note": "edited later"}
    with pytest.raises(StoreCorruptionError, match=r"'the claim'.*does not match its hash"):
        Finding.from_json(tampered)
    with pytest.raises(StoreCorruptionError, match="has no 'title'"):
        Finding.from_json({"id": "x"})
    with pytest.raises(StoreCorruptionError, match="table row does not match"):
        Finding.from_json({"id": "x", "title": "t", "table": {"columns": ["a"], "rows": [[1, 2]]}})


def test_author_comes_from_the_environment_unless_given(
    small: dl.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIAGLAB_AUTHOR", "Grace Hopper")
    f = dl.finding("a", pd.DataFrame({"a": [1]}), store=small)
    assert f.author == "Grace Hopper"
    g = dl.finding("b", pd.DataFrame({"a": [1]}), store=small, author="Ada")
    assert g.author == "Ada"
    monkeypatch.delenv("DIAGLAB_AUTHOR")
    assert dl.finding("c", pd.DataFrame({"a": [1]})).author  # git user or OS user


def test_display_emits_the_findings_mime_bundle_with_escaped_html(small: dl.Store) -> None:
    f = dl.finding("<b>bold</b> claim", pd.DataFrame({"x": ["<i>1</i>"]}), store=small)
    shown = f._repr_mimebundle_()
    assert set(shown) == {MIME, "text/html"}
    validate(shown[MIME])
    assert shown[MIME]["findings"][0]["hash"] == f.hash
    assert "<b>bold</b>" not in shown["text/html"] and "&lt;b&gt;bold" in shown["text/html"]
    assert "&lt;i&gt;1" in shown["text/html"]
    listed = dl.findings(small)._repr_mimebundle_()
    assert len(listed[MIME]["findings"]) == 1
    validate(bundle([f]))


def test_sensitive_columns_never_reach_a_finding(tmp_path: Path) -> None:
    s = dl.open(tmp_path / "s")
    try:
        b = make_batch(400)
        b["features"]["email"] = [f"user{i}@example.com" for i in range(400)]
        s.log(model="m", **b, sensitive=["email"])
        assert "email" in s.schema("m").sensitive
        rows = s.table("m").limit(5).to_pandas()
        f = dl.finding("rows", rows, store=s, model="m")
        assert "email" not in f.table["columns"]
        assert "region" in f.table["columns"]
        text = json.dumps(f.to_json())
        assert "email" not in text and "example.com" not in text
    finally:
        s.close()


def test_recheck_says_changed_when_todays_data_differs(small: dl.Store) -> None:
    ex = dl.SliceExplorer(small, "credit", by="region").wait()
    try:
        f = ex.capture("north vs the rest")
    finally:
        ex.close()
    assert recheck(f, small).ok
    # Today: many more predictions, all wrong in the north.
    b = make_batch(6000, seed=9, start=START + pd.Timedelta(days=5))
    ids = small.log(model="credit", **b)
    wrong = np.where(b["features"]["region"] == "north", 1.0 - (b["predictions"] > 0.5), 0.5)
    small.log_labels("credit", ids, np.where(wrong == 0.5, b["predictions"] > 0.5, wrong))
    check = recheck(f, small)
    assert check.status == "changed"
    assert any("region = 'north'" in d and "error was" in d for d in check.details), check


def test_recheck_cannot_evaluate_what_it_cannot_rerun(small: dl.Store) -> None:
    no_query = dl.finding("no query", pd.DataFrame({"a": [1]}), store=small)
    assert recheck(no_query, small).status == "cannot be evaluated"
    rep = dl.drift(small, "credit", window=(HALF, None))
    f = dl.finding("drift", rep, store=small)
    moved = Finding.from_json({**f.to_json(), "hash": ""})
    broken = Finding(
        **{
            **{k: getattr(moved, k) for k in moved.__dataclass_fields__},
            "query": {
                **moved.query,
                "spec": {**moved.query["spec"], "scope": {"model": "gone"}},
            },
        }
    )
    check = recheck(broken, small)
    assert check.status == "cannot be evaluated" and "unknown model 'gone'" in check.details[0]


def test_two_processes_saving_at_once_keep_one_chain(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from diaglab.findings.finding import Finding\n"
        "from diaglab.findings.stored import save\n"
        "for i in range(6):\n"
        "    save(sys.argv[1], Finding(id='new', title=f'{sys.argv[2]} {i}', model='credit'))\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path), name]) for name in ("a", "b")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    listed = dl.findings(tmp_path)
    assert len(listed) == 12
    assert sorted(f.title for f in listed) == sorted(f"{n} {i}" for n in "ab" for i in range(6))
    assert listed[0].prev_hash is None
    assert all(b.prev_hash == a.hash and a.id < b.id for a, b in itertools.pairwise(listed))


def test_a_captured_chart_does_not_ask_to_drag_a_brush(small: dl.Store) -> None:
    ex = dl.DriftExplorer(small, "credit", window=(HALF, None)).wait()
    try:
        assert "drag to pick a window" in json.dumps(ex.chart_json())  # the live chart does
        f = ex.capture("income drifted")
    finally:
        ex.close()
    assert "drag to pick" not in json.dumps(f.chart)
    assert f.chart_svg and "drag to pick" not in f.chart_svg
    assert "alert band from the reference" in json.dumps(f.chart)  # the rest of it is kept
