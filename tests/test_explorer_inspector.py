"""PredictionInspector driven from Python: set traits and widget values, wait, read the card."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from conftest import credit_frame, credit_target
from diaglab import format as fmt
from diaglab.diagnostics.explain.chart import waterfall_data

START = pd.Timestamp("2026-01-01", tz="UTC")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    store = dl.open(tmp_path_factory.mktemp("inspector") / "store")
    train = credit_frame(1500, 1)
    clf = lgb.LGBMClassifier(n_estimators=30, num_leaves=8, verbose=-1, random_state=0)
    clf.fit(train.assign(region=train["region"].astype("category")), credit_target(train, 2))
    store.register_model("m", clf, "v1")
    loaded = store.load_model("m", "v1")
    prod = credit_frame(300, 3)
    ts = START + pd.to_timedelta(np.arange(300) * 60, unit="min")
    ids = store.log(
        "m",
        prod,
        loaded.predict_proba(prod)[:, 1],
        timestamps=ts,
        prediction_ids=[f"r{i}" for i in range(300)],
    )
    store.log_labels("m", ids[:200], credit_target(prod, 4)[:200])
    ref = credit_frame(400, 5)
    store.set_reference("m", ref, labels=credit_target(ref, 6))
    yield store, ids
    store.close()


@pytest.fixture
def inspector(small):
    store, _ = small
    ins = dl.PredictionInspector(store, "m").wait(120)  # the worst errors are listed
    yield ins
    ins.close()


def test_worst_errors_dropdown_lists_the_largest_label_score_gaps(inspector, small):
    store, _ = small
    df = store.table("m").to_pandas().dropna(subset=["label"])
    gap = (df["label"] - df["score"]).abs()
    assert inspector.worst_picker.sort == ["error", "desc"]
    got = inspector.worst_picker.row_keys
    by_id = dict(zip(df["prediction_id"], gap, strict=True))
    assert [by_id[i] for i in got] == sorted(gap, reverse=True)[:20]
    table = inspector.worst_picker  # a list a person scans: sortable, numbers in words
    assert table.buttons[:2] == ["#1", "#2"]
    assert all(r[table.columns.index("label")] in ("0", "1") for r in table.rows)
    table.sort = ["score", "asc"]  # what a click on that header sends
    assert table.frame is not None and table.frame["score"].is_monotonic_increasing
    assert set(table.row_keys) == set(got)


def test_picking_a_worst_error_opens_its_card(inspector):
    pid = inspector.worst_picker.row_keys[0]
    inspector.worst_picker.value = pid  # what a click on its row's button sends
    inspector.wait(timeout=120)
    assert inspector.last_error is None
    assert inspector.prediction_id == pid and inspector.id_text.value == pid
    ex = inspector.explanation
    assert ex is not None and ex.prediction_id == pid
    assert "(wrong)" in inspector.summary.value
    spec = inspector.chart.chart.to_dict()
    values = next(iter(spec["datasets"].values()))
    assert len(values) == len(waterfall_data(ex))
    assert "percentile" in inspector.table.value
    assert inspector.neighbors is not None and len(inspector.neighbors) == inspector.k
    assert inspector.counterfactual_result is not None
    assert "diaglab-inspector-trace" in inspector.trace._dom_classes
    assert set(inspector.whatif_feature.options) == {"age", "income", "region"}


def test_typing_an_id_and_editing_a_what_if_value_updates_the_card(inspector, small):
    store, ids = small
    inspector.id_text.value = ids[3]
    inspector.wait(timeout=120)
    before = inspector.summary.value
    inspector.whatif_feature.value = "income"
    assert float(inspector.whatif_value.value) == inspector.explanation.features["income"]
    inspector.whatif_value.value = "5000"
    inspector.wait(timeout=120)
    assert inspector.last_error is None
    r = inspector.whatif
    assert r is not None and r.changes == {"income": 5000.0}
    assert r.probability == pytest.approx(
        dl.what_if(store, "m", ids[3], {"income": 5000}).probability
    )
    assert "income = 5,000" in inspector.whatif_result.value  # as a person writes it
    assert inspector.summary.value != before and "what-if" in inspector.summary.value
    assert inspector.data()["feature"].tolist()
    cap = inspector.capture("cheaper income", "what if")
    assert cap.query["function"] == "diaglab.what_if" and cap.chart is not None
    assert cap.state["what_if"] == {"income": 5000.0}
    inspector.whatif_reset.click()
    assert inspector.whatif is None and "what-if" not in inspector.summary.value


def test_errors_show_under_the_widget(inspector, small):
    _, ids = small
    inspector.id_text.value = "no-such-id"
    inspector.wait(timeout=60)
    assert isinstance(inspector.last_error, dl.UnknownNameError)
    assert "unknown prediction id" in inspector.error_area.value
    inspector.id_text.value = ids[4]
    inspector.wait(timeout=60)
    inspector.whatif_feature.value = "age"
    inspector.whatif_value.value = "old"
    assert isinstance(inspector.last_error, dl.InputError)
    assert "not a number" in inspector.error_area.value


def test_constructor_checks_the_model(small):
    store, _ = small
    with pytest.raises(dl.UnknownNameError, match="unknown model 'nope'"):
        dl.PredictionInspector(store, "nope")


def test_css_classes_for_the_browser_test(inspector):
    assert "diaglab-inspector" in inspector._dom_classes
    assert "diaglab-inspector-id" in inspector.id_text._dom_classes
    assert "diaglab-inspector-whatif" in inspector.whatif_box._dom_classes
    assert "diaglab-inspector-waterfall" in inspector.chart._dom_classes


def test_the_card_is_drawn_before_its_neighbours_and_flags_fill_it_in(
    inspector, small, monkeypatch
) -> None:
    import threading

    from diaglab.diagnostics.explain import explorer as module

    _, ids = small
    release = threading.Event()
    real = module.neighbors

    def slow_neighbors(*args, **kwargs):
        assert release.wait(timeout=60), "the test never released the neighbours"
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "neighbors", slow_neighbors)
    inspector.id_text.value = ids[7]
    deadline = pd.Timestamp.now() + pd.Timedelta(seconds=60)
    while inspector.status.value != f"prediction {ids[7]}":  # set once the card is drawn
        assert pd.Timestamp.now() < deadline, "the card was not drawn"
        threading.Event().wait(0.01)
    # drawn while the neighbours are still being found: the waterfall and the table are there
    assert "percentile" in inspector.table.value and inspector.chart.chart is not None
    assert "finding similar reference cases" in inspector.neighbors_html.empty
    assert inspector.neighbors_html.rows == []
    release.set()  # (the day's drift flags do not wait for the neighbours: tested below)
    inspector.wait(timeout=120)
    assert inspector.last_error is None
    assert inspector.neighbors is not None and len(inspector.neighbors) == inspector.k
    assert inspector.explanation.table["drifted_in_window"].notna().all()


def test_the_neighbours_table_sorts_by_a_header(inspector):
    inspector.worst_picker.value = inspector.worst_picker.row_keys[0]
    inspector.wait(timeout=120)
    table = inspector.neighbors_html
    assert table.columns and len(table.rows) == inspector.k
    assert table.headers[table.columns.index("model_version")] == "version"  # words
    space = inspector.explanation.output_space
    assert space == "log_odds" and "log-odds" in inspector.summary.value
    assert "log_odds" not in inspector.summary.value  # as a person writes it
    column = next(c for c, numeric in zip(table.columns, table.numeric, strict=True) if numeric)
    table.sort = [column, "desc"]  # what a click on that header sends
    shown = table.frame
    assert shown is not None and shown[column].is_monotonic_decreasing
    assert table.rows[0][table.columns.index(column)] == fmt.value(shown[column].iloc[0], digits=4)


@pytest.mark.parametrize("threshold", [None, 0.3])
def test_the_header_row_decides_as_explain_does_without_the_model(small, threshold):
    from diaglab.diagnostics.explain.prediction_row import prediction_row

    store, ids = small
    for pid in [ids[0], ids[7], ids[150], ids[250]]:  # labelled and unlabelled
        row = prediction_row(store, "m", pid, threshold=threshold)
        ex = dl.explain(store, "m", pid, drift=False, threshold=threshold)
        assert (row.decision, row.threshold, row.model_version) == (
            ex.decision,
            ex.threshold,
            ex.model_version,
        )
        assert row.score == pytest.approx(ex.probability)
        assert row.timestamp == ex.timestamp and fmt.label(row.label) == fmt.label(ex.label)
        assert row.wrong == (ex.label is not None and ex.label != ex.decision)
    with pytest.raises(dl.UnknownNameError, match="unknown prediction id 'nope'"):
        prediction_row(store, "m", "nope")


def _client(explorer, name):
    return next(c for c in explorer.coordinator.clients if c.name == name)


def test_the_header_and_neighbours_show_while_the_explanation_is_computed(small, monkeypatch):
    import threading

    from diaglab.diagnostics.explain import explorer as module

    store, _ = small
    release = threading.Event()
    explain = module.explain

    def held(*args, **kwargs):
        release.wait(60)
        return explain(*args, **kwargs)

    monkeypatch.setattr(module, "explain", held)
    ins = dl.PredictionInspector(store, "m").wait(120)
    try:
        wrong = ins.worst_picker.row_keys[0]
        ins.prediction_id = wrong
        header, neighbours = _client(ins, "header"), _client(ins, "neighbours")
        for _ in range(6000):
            if header.fresh and neighbours.fresh:
                break
            threading.Event().wait(0.01)
        assert header.fresh and neighbours.fresh and not _client(ins, "prediction").fresh
        assert ins.explanation is None and ins.row is not None and ins.row.prediction_id == wrong
        assert f"prediction <b>{wrong}</b>" in ins.summary.value
        assert "decision <b>" in ins.summary.value and "(wrong)" in ins.summary.value
        assert ins.neighbors is not None and len(ins.neighbors) == ins.k
        release.set()
        ins.wait(120)
        assert ins.explanation is not None and ins.explanation.prediction_id == wrong
        assert f"prediction <b>{wrong}</b>" in ins.summary.value and "SHAP" in ins.summary.value
    finally:
        release.set()
        ins.close()


def test_the_model_is_loaded_before_a_prediction_is_opened(small):
    import threading

    from diaglab.diagnostics.explain import explainers as ex_

    store, _ = small
    with ex_._LOCK:
        ex_._MODELS.clear()
    ins = dl.PredictionInspector(store, "m").wait(120)
    try:
        model = _client(ins, "model")  # a background view: wait() does not wait for it
        for _ in range(12000):
            if model.fresh:
                break
            threading.Event().wait(0.01)
        assert model.fresh and ins.prediction_id is None and ins.explanation is None
        loaded = [key for key in ex_._MODELS if key[:3] == (str(store.path), "m", "v1")]
        assert len(loaded) == 1
    finally:
        ins.close()


def test_the_counterfactual_does_not_wait_for_the_days_drift_flags(small, monkeypatch):
    import threading

    from diaglab.diagnostics.explain import explorer as module

    store, ids = small
    release = threading.Event()
    explain = module.explain

    def held(*args, **kwargs):
        if "drift" not in kwargs:  # the flags' call (the card's is drift=False)
            release.wait(60)
        return explain(*args, **kwargs)

    monkeypatch.setattr(module, "explain", held)
    ins = dl.PredictionInspector(store, "m", prediction_id=ids[5])
    try:
        flags, cf = _client(ins, "drift flags"), _client(ins, "counterfactual")
        for _ in range(6000):
            if cf.fresh and cf.key is not None:
                break
            threading.Event().wait(0.01)
        assert cf.fresh and not flags.fresh
        assert ins.counterfactual_result is not None
        assert (
            ins.explanation is not None and ins.explanation.table["drifted_in_window"].isna().all()
        )
        release.set()
        ins.wait(120)
        assert ins.explanation.table["drifted_in_window"].notna().all()
    finally:
        release.set()
        ins.close()
