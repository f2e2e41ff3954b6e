"""dl.explain_change: the exact mix/rate terms add up, planted causes are found in their right
shares (pure mix shift, pure conditional shift, both, a label-delay artefact), and bad input gets
a clear error."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import diaglab as dl
from diaglab.diagnostics.change.tables import waterfall_bars
from diaglab.specs import Spec
from diaglab.stats.decomposition import (
    covariate_split,
    effective_sample_size,
    label_selection,
    mix_rate,
)

START = pd.Timestamp("2026-03-01", tz="UTC")
REFERENCE = ("2026-03-01", "2026-03-11")
WINDOW = ("2026-03-11", "2026-03-21")
N = 30_000


def _features(rng: np.random.Generator, n: int, shifted: bool) -> pd.DataFrame:
    regions = ["north", "south", "east", "west"]
    p = [0.1, 0.3, 0.3, 0.3]
    util = rng.beta(2, 5, n) if not shifted else rng.beta(3, 4, n)
    return pd.DataFrame(
        {
            "region": rng.choice(regions, n, p=p),
            "utilization": util.round(4),
            "noise": rng.normal(0, 1, n).round(3),
        }
    )


def _probability(f: pd.DataFrame) -> np.ndarray:
    """The true P(y = 1 | x) of the reference, which the model's score equals: its error at x is
    min(p, 1 − p), highest where utilization is middling."""
    z = -3.0 + 6.0 * f["utilization"].to_numpy() + 0.3 * (f["region"] == "east").to_numpy()
    return 1 / (1 + np.exp(-z))


def _scenario(
    path, *, mix: bool, conditional: bool, delay: bool = False, seed: int = 0, days: int = 10
):
    """Reference ``days`` days, window 10 days. ``mix``: the window's utilization moves; the labels
    still follow the reference's P(y | x). ``conditional``: in region 'north' the window's labels
    flip with probability 0.45 (the model is worse there on the same inputs). ``delay``: nothing
    changes, but the window's labels arrived mostly for high scores.

    Returns the store and the true covariate and conditional parts of the change of the expected
    error on these rows."""
    rng = np.random.default_rng(seed)
    ref = _features(rng, N, False)
    win = _features(rng, N, mix)
    p_ref, p_win = _probability(ref), _probability(win)
    y_ref = (rng.random(N) < p_ref).astype(int)
    y_win = (rng.random(N) < p_win).astype(int)
    north = (win["region"] == "north").to_numpy()
    flip = 0.45
    if conditional:
        y_win = np.where(north & (rng.random(N) < flip), 1 - y_win, y_win)
    feats = pd.concat([ref, win], ignore_index=True)
    ts = START + pd.to_timedelta(
        np.r_[np.sort(rng.random(N)) * days, days + np.sort(rng.random(N)) * 10], "D"
    )
    store = dl.open(path)
    ids = store.log(model="m", features=feats, predictions=np.r_[p_ref, p_win], timestamps=ts)
    labelled = np.ones(2 * N, dtype=bool)
    if delay:
        score = np.r_[p_ref, p_win]
        late = (np.arange(2 * N) >= N) & (rng.random(2 * N) < np.where(score > 0.5, 0.05, 0.8))
        labelled &= ~late
    y = np.r_[y_ref, y_win]
    store.log_labels(
        model="m",
        prediction_ids=[i for i, keep in zip(ids, labelled, strict=True) if keep],
        labels=y[labelled],
    )
    e_ref, e_win = np.minimum(p_ref, 1 - p_ref), np.minimum(p_win, 1 - p_win)
    covariate = e_win.mean() - e_ref.mean()
    # flipping a label with probability q moves the error at x from e to e + q (1 − 2e)
    conditional_truth = (flip * (1 - 2 * e_win) * north).mean() if conditional else 0.0
    return store, covariate, conditional_truth


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    made = {}
    for name, kwargs in {
        "mix": {"mix": True, "conditional": False},
        "conditional": {"mix": False, "conditional": True},
        "both": {"mix": True, "conditional": True},
        "delay": {"mix": False, "conditional": False, "delay": True},
    }.items():
        made[name] = _scenario(tmp_path_factory.mktemp(name) / "s", seed=len(made), **kwargs)
    yield made
    for store, *_ in made.values():
        store.close()


def _explain(store, **kwargs):
    return dl.explain_change(store, "m", reference=REFERENCE, window=WINDOW, **kwargs)


def _within(value: float, lo: float, hi: float, slack: float = 0.0) -> bool:
    return lo - slack <= value <= hi + slack


# -- exactness ---------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 500), st.floats(0, 1), st.integers(0, 500), st.floats(0, 1)),
        min_size=1,
        max_size=12,
    )
)
def test_mix_and_rate_add_up_to_the_change_and_flip_sign_with_the_periods(cells) -> None:
    na = np.array([c[0] for c in cells], float)
    nb = np.array([c[2] for c in cells], float)
    if na.sum() == 0 or nb.sum() == 0:
        return
    sa, sb = na * [c[1] for c in cells], nb * [c[3] for c in cells]
    r = mix_rate(na, sa, nb, sb)
    assert abs(r.mix.sum() + r.rate.sum() - r.total) <= 1e-9
    back = mix_rate(nb, sb, na, sa)
    assert np.allclose(back.mix, -r.mix, atol=1e-12) and np.allclose(back.rate, -r.rate, atol=1e-12)


def test_a_slice_empty_in_one_period_counts_as_mix() -> None:
    r = mix_rate([10, 0], [1, 0], [10, 10], [1, 5])
    assert r.rate[1] == 0 and abs(r.mix.sum() + r.rate.sum() - r.total) < 1e-12


def test_weighted_split_recovers_a_known_covariate_shift_and_refuses_without_overlap() -> None:
    rng = np.random.default_rng(1)
    xa, xb = rng.normal(0, 1, 20_000), rng.normal(0.5, 1, 20_000)
    la, lb = ((rng.random(20_000) < 1 / (1 + np.exp(-x))).astype(float) for x in (xa, xb))
    ratio = lambda x: np.exp(0.5 * x - 0.125)  # noqa: E731 - N(0.5, 1) / N(0, 1)
    total = lb.mean() - la.mean()
    s = covariate_split(la, ratio(xa), lb, ratio(xb), total=total)
    grid = np.linspace(-8, 8, 4001)
    density = np.exp(-(grid**2) / 2) / np.sqrt(2 * np.pi)
    truth = sum(
        np.trapezoid(density * (1 / (1 + np.exp(-(grid + m)))), grid) * sign
        for m, sign in ((0.5, 1), (0.0, -1))
    )
    assert _within(truth, s.covariate_lower, s.covariate_upper)
    assert _within(0.0, s.conditional_lower, s.conditional_upper)
    far = covariate_split(la, np.exp(8 * xa), lb, np.exp(8 * xb), total=total)
    assert far.refused and np.isnan(far.covariate) and "effective sample size" in far.refused
    assert effective_sample_size(np.ones(50)) == 50


def test_label_selection_terms_are_realized_minus_post_stratified() -> None:
    n_all, n_lab, s = np.array([100, 100.0]), np.array([90, 10.0]), np.array([9, 5.0])
    terms = label_selection(n_all, n_lab, s)
    realized = s.sum() / n_lab.sum()
    post = 0.5 * 9 / 90 + 0.5 * 5 / 10
    assert abs(terms.sum() - (realized - post)) < 1e-12


# -- planted scenarios -------------------------------------------------------------------------


def _exact(r) -> None:
    assert abs(waterfall_bars(r.table)["value"].sum() - r.change) <= 1e-9
    for _, f in r.features.iterrows():
        assert abs(f["mix"] + f["rate"] - r.change) <= 1e-9, f["feature"]


def test_a_pure_mix_shift_is_explained_by_the_inputs(scenarios) -> None:
    store, covariate, _ = scenarios["mix"]
    r = _explain(store)
    _exact(r)
    assert abs(r.change) > 0.02
    s = r.covariate
    assert not s.refused and s.effective_sample > 200
    assert _within(covariate, s.covariate_lower, s.covariate_upper, slack=0.005)
    assert _within(0.0, s.conditional_lower, s.conditional_upper, slack=0.005)
    assert r.features.iloc[0]["feature"] == "utilization"
    assert abs(r.sample["reference"] - 5_000) < 500 and r.sample["drawn_in"].startswith("engine")


def test_a_pure_conditional_shift_is_the_model_doing_worse_in_its_slice(scenarios) -> None:
    store, _, conditional = scenarios["conditional"]
    r = _explain(store)
    _exact(r)
    s = r.covariate
    assert _within(0.0, s.covariate_lower, s.covariate_upper, slack=0.005)
    assert _within(conditional, s.conditional_lower, s.conditional_upper, slack=0.005)
    top = r.slices.iloc[0]
    assert top["feature"] == "region" and top["bin"] == "north"
    bars = r.table[r.table["part"] == "conditional"]
    assert any("north" in str(t) for t in bars["target"].dropna())
    assert "most by" not in r.summary  # no feature is named for a covariate part of about 0


def test_both_causes_at_once_are_split_in_their_true_shares(scenarios) -> None:
    store, covariate, conditional = scenarios["both"]
    r = _explain(store)
    _exact(r)
    s = r.covariate
    assert _within(covariate, s.covariate_lower, s.covariate_upper, slack=0.005)
    assert _within(conditional, s.conditional_lower, s.conditional_upper, slack=0.005)
    assert "inputs moving" in r.summary and "utilization" in r.summary
    # every number of the summary is one of the table's
    total = r.table[r.table["part"] == "total"].iloc[0]
    assert f"{total['value']:+.3f}" in r.summary
    cov = r.table[r.table["name"] == "inputs moved"].iloc[0]
    assert f"{cov['value']:+.3f}" in r.summary and f"{cov['share']:.0%}" in r.summary


def test_a_label_delay_artefact_is_named_and_cbpe_sees_no_change(scenarios) -> None:
    store, covariate, _ = scenarios["delay"]
    r = _explain(store)
    _exact(r)
    assert abs(covariate) < 0.005  # nothing changed in truth
    assert abs(r.change) > 0.02  # but the labelled rows say it did
    assert r.labels.coverage_window < 0.6 and r.labels.coverage_reference == 1.0
    feature, apparent = r.labels.apparent
    assert feature == "utilization" and abs(apparent - r.change) < 0.5 * abs(r.change)
    assert _within(0.0, r.labels.cbpe_lower, r.labels.cbpe_upper, slack=0.005)
    assert "labelled" in r.summary and "CBPE" in r.summary


def test_the_summary_writes_a_part_that_rounds_to_zero_as_next_to_none(scenarios) -> None:
    """A part that prints as zero reads "next to none", never "-0.000" (a signed zero) or
    "+0.000 (0%)" (the Why tab's summary at 600 px, last session)."""
    import dataclasses

    store, *_ = scenarios["delay"]
    r = _explain(store)
    table = r.table.copy()
    tiny = {"inputs moved": -4e-5, "same inputs": 3e-4}
    for name, value in tiny.items():
        table.loc[table["name"] == name, ["value", "share"]] = [value, value / r.change]
    selection = r.labels.selection.copy()
    selection["apparent"] = -2e-5
    labels = dataclasses.replace(r.labels, selection=selection)
    text = dataclasses.replace(r, table=table, labels=labels).summary
    assert "-0.000" not in text and "+0.000" not in text and "(0%)" not in text, text
    assert "Next to none is explained by the inputs moving" in text
    assert "next to none by the model doing differently on the same kind of inputs" in text
    assert "which rows are labelled could account for next to none of it" in text
    # a part that does not round to zero keeps its sign and share
    table.loc[table["name"] == "inputs moved", ["value", "share"]] = [0.0123, 0.5]
    text = dataclasses.replace(r, table=table, labels=labels).summary
    assert "About +0.012 (50%) is explained by the inputs moving" in text


def test_accuracy_is_one_minus_error_and_its_change_the_opposite(scenarios) -> None:
    store, *_ = scenarios["both"]
    err, acc = _explain(store), _explain(store, metrics="accuracy")
    assert abs(acc.change + err.change) < 1e-9
    assert abs(acc.value_reference - (1 - err.value_reference)) < 1e-9


def test_a_window_without_labels_gets_the_cbpe_based_view(tmp_path) -> None:
    store, *_ = _scenario(tmp_path / "s", mix=True, conditional=False, delay=False, seed=9)
    t = store.table("m")
    ids = t.filter(t.timestamp < pd.Timestamp("2026-03-11", tz="UTC")).prediction_id.execute()
    store.close()
    fresh = dl.open(tmp_path / "n")
    rows = dl.open(tmp_path / "s").table("m").execute()
    feats = rows[["region", "utilization", "noise"]]
    new_ids = fresh.log(
        model="m", features=feats, predictions=rows["score"], timestamps=rows["timestamp"]
    )
    keep = rows["prediction_id"].isin(set(ids)).to_numpy()
    fresh.log_labels(
        model="m",
        prediction_ids=list(np.asarray(new_ids)[keep]),
        labels=rows.loc[keep, "label"].astype(int),
    )
    r = _explain(fresh)
    assert r.basis.startswith("estimated") and "no labels" in " ".join(r.notes)
    assert "CBPE" in r.summary
    _exact(r)
    fresh.close()


# -- the spec, findings and bad input ----------------------------------------------------------


def test_the_spec_round_trips_and_the_finding_rechecks(scenarios) -> None:
    from diaglab.findings.capture import record
    from diaglab.findings.replay import recheck

    store, *_ = scenarios["both"]
    spec = dl.explain_change.spec("m", reference=REFERENCE, window=WINDOW, k=3)
    again = Spec.from_json(json.loads(json.dumps(spec.to_json())))
    assert again == spec
    code = spec.call().replace("store, ", "").replace("explain_change(", "explain_change.spec(")
    assert eval(code, {"dl": dl}) == spec
    found = record(store, "explain_change", spec=spec, save=False)
    assert found.claim["rows"]
    assert recheck(found, store).status == "holds"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metrics": "roc_auc"}, "supports, for a binary model: error, accuracy"),
        ({"metrics": "nonsense"}, "known: accuracy, brier_score, error"),
        ({"reference": ("2026-03-01", "2026-03-15")}, "the periods overlap"),
        ({"window": ("2026-05-01", "2026-05-02")}, "has no predictions"),
        ({"by": "incme"}, "unknown feature 'incme'"),
        ({"reference": None}, "compares two periods"),
    ],
)
def test_bad_input_gets_a_clear_error(scenarios, kwargs, message) -> None:
    store, *_ = scenarios["mix"]
    args = {"reference": REFERENCE, "window": WINDOW, **kwargs}
    with pytest.raises((dl.InputError, dl.UnknownNameError), match=message):
        dl.explain_change(store, "m", **args)


def test_threshold_decides_the_error_as_a_hand_computation_does(scenarios) -> None:
    store, *_ = scenarios["both"]
    t = store.table("m")
    rows = t.select("timestamp", "score", "label").to_pandas()
    rows = rows[rows["label"].notna()]
    hand = []
    for lo, hi in (REFERENCE, WINDOW):
        period = rows[
            (rows["timestamp"] >= pd.Timestamp(lo, tz="UTC"))
            & (rows["timestamp"] < pd.Timestamp(hi, tz="UTC"))
        ]
        hand.append(float(((period["score"] >= 0.3).astype(int) != period["label"]).mean()))
    r = _explain(store, threshold=0.3, search=False)
    assert r.value_reference == pytest.approx(hand[0], abs=1e-12)
    assert r.value_window == pytest.approx(hand[1], abs=1e-12)
    assert r.change == pytest.approx(hand[1] - hand[0], abs=1e-12)
    _exact(r)
    default = _explain(store, search=False)
    assert abs(default.value_reference - hand[0]) > 0.01
    spec = dl.explain_change.spec("m", reference=REFERENCE, window=WINDOW, threshold=0.3)
    assert spec.scope.threshold == 0.3 and "threshold=0.3" in spec.call()
    with pytest.raises(dl.InputError, match="threshold is between 0 and 1"):
        _explain(store, threshold=1.5)


def test_too_little_overlap_refuses_the_covariate_split_and_keeps_the_slices(tmp_path) -> None:
    rng = np.random.default_rng(5)
    n = 6_000
    f = pd.DataFrame({"x": np.r_[rng.normal(0, 0.3, n), rng.normal(6, 0.3, n)]})
    p = 1 / (1 + np.exp(-f["x"].to_numpy() + 3))
    ts = START + pd.to_timedelta(
        np.r_[np.sort(rng.random(n)), 1 + np.sort(rng.random(n))] * 10, "D"
    )
    store = dl.open(tmp_path / "s")
    ids = store.log(model="m", features=f, predictions=p, timestamps=ts)
    store.log_labels(model="m", prediction_ids=ids, labels=(rng.random(2 * n) < p).astype(int))
    r = _explain(store)
    assert r.covariate.refused and "effective sample size" in r.covariate.refused
    assert "refused" in r.summary
    _exact(r)
    store.close()


# -- the explorer ------------------------------------------------------------------------------


def test_the_change_explorer_shows_the_waterfall_and_opens_a_bar(scenarios) -> None:
    from diaglab.diagnostics.drift.explorer import DriftExplorer

    store, *_ = scenarios["both"]
    ex = dl.ChangeExplorer(store, "m", reference=REFERENCE, window=WINDOW).wait(300)
    assert ex.last_error is None, ex.last_error
    r = ex.result
    assert r is not None and ex.data() is r.table
    assert r.summary in ex.summary.value.replace("&#x27;", "'").replace("&quot;", '"')
    spec = ex.chart.chart.to_dict()
    assert any(p["name"] == "bar" for p in spec["params"])
    assert "brush" in ex.window_chart.selections.trait_names()
    assert ex.spec == dl.explain_change.spec("m", reference=REFERENCE, window=WINDOW)
    shown = ex.open_bar("utilization")
    assert isinstance(shown, DriftExplorer) and ex.opened == "utilization"
    rows = ex.open_bar("region = 'north'")
    assert len(rows) == 20 and ex.state["opened"] == "region = 'north'"
    table = ex.detail.children[1]  # the rows as a sortable table, not an HTML dump
    assert len(table.rows) == 20 and "prediction_id" in table.columns
    table.sort = ["prediction_id", "asc"]
    assert list(table.frame["prediction_id"]) == sorted(rows["prediction_id"])
    # a new window reruns the explanation; going back redraws from the cache
    ex.window = ("2026-03-15", "2026-03-21")
    ex.wait(300)
    assert ex.result is not r and ex.result.window.startswith("[2026-03-15")
    ex.window = WINDOW
    ex.wait(300)
    assert ex.result is r
    # a captured finding claims the waterfall (covariate share, top contributors): it rechecks
    from diaglab.findings.replay import recheck

    found = ex.capture("why error rose")
    assert {"covariate", "conditional", "total"} <= set(found.frame()["part"])
    assert recheck(found, store).status == "holds"
    ex.close()


def test_the_period_charts_leave_a_gap_on_a_day_without_labels(sample_store) -> None:
    """The sample's last day has no labels and the one before it two: both are null in the
    period charts' data (a gap in the line), not 0.0 (the Why tab at 600 px, last session)."""
    from diaglab.diagnostics.change.explorer import MIN_LABELLED

    ex = dl.ChangeExplorer(sample_store, "credit").wait(300)
    over_time = dl.metrics_over_time(
        sample_store, "credit", freq="1D", metrics=("error",), estimate=False
    ).table
    n = dict(zip(over_time["window_start"].dt.strftime("%Y-%m-%d"), over_time["n"], strict=True))
    for chart in (ex.reference_chart, ex.window_chart):
        spec = chart.chart.to_dict()
        line = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
        assert line["mark"]["invalid"].startswith("break-paths")
        rows = spec["datasets"][line.get("data", spec.get("data"))["name"]]
        days = {str(r["window_start"])[:10]: r["value"] for r in rows}
        assert set(days) == set(n)  # every day is in the data, the unlabelled ones too
        assert days["2026-03-01"] is None and n["2026-03-01"] == 0
        assert days["2026-02-28"] is None and 0 < n["2026-02-28"] < MIN_LABELLED
        drawn = [d for d, v in days.items() if v is not None]
        assert drawn and all(n[d] >= MIN_LABELLED for d in drawn)
    ex.close()


def test_the_explorer_refuses_a_metric_it_cannot_split(scenarios) -> None:
    store, *_ = scenarios["both"]
    with pytest.raises(dl.InputError, match="explains one of: error, accuracy"):
        dl.ChangeExplorer(store, "m", metrics="roc_auc")


def test_the_panel_has_a_why_tab_following_the_shared_periods(scenarios) -> None:
    store, *_ = scenarios["both"]
    p = dl.panel(store, "m", explorers=["drift", "why"])
    try:
        p.wait(300)
        titles = [p.tabs.get_title(i) for i in range(len(p.tabs.children))]
        assert titles[-1] == "Why"
        why = p.show("why")
        assert why.result is None and "brush" in why.status.value
        with p.selection.hold():
            p.selection.reference = REFERENCE
            p.selection.window = WINDOW
        p.selection.flush()
        p.wait(300)
        assert why.last_error is None, why.last_error
        assert why.result is not None and why.result.window == str(dl.Window.of(WINDOW))
    finally:
        p.close()


def test_the_report_says_why_the_metric_changed_when_a_metric_alert_fires(tmp_path) -> None:
    from diaglab.findings.replay import recheck
    from diaglab.findings.report import standard_findings

    store, *_ = _scenario(tmp_path / "s", mix=True, conditional=True, seed=2, days=20)
    rng = np.random.default_rng(7)
    f = _features(rng, 5000, False)
    p = _probability(f)
    store.set_reference("m", features=f, predictions=p, labels=(rng.random(5000) < p).astype(int))
    found = standard_findings(store, "m", freq="1D")
    titles = [x.title for x in found]
    metrics = next(i for i, t in enumerate(titles) if t.startswith("Metrics over time"))
    assert "alert(s)" in titles[metrics]
    why = found[metrics + 1]
    assert why.title.startswith("Why the metric changed: error +")
    assert "from the inputs moving" in why.title and "inputs moving" in why.note
    assert recheck(why, store).status == "holds"
    store.close()


def test_the_arithmetic_bin_code_is_the_binnings_own() -> None:
    import ibis

    from diaglab.diagnostics.change.cells import _code
    from diaglab.diagnostics.slices.bins import _numeric_binning

    binning = _numeric_binning("x", (1.0, 2.5, 10.0), True, True)
    values = [None, float("nan"), -5.0, 1.0, 2.4, 2.5, 9.99, 10.0, 1e9]
    t = ibis.memtable({"x": values}, schema={"x": "float64"})
    got = t.select(a=_code(t, binning), b=binning.code(t)).to_pandas()
    assert got["a"].tolist() == got["b"].tolist()
    assert got["a"].tolist()[0] == -1


def test_packed_keys_count_every_feature_as_its_own_group_by() -> None:
    """The one scan's cells (codes packed into shared keys, unnested, counted once) equal each
    feature's own GROUP BY (period, block, code), for keys holding several features and one
    holding a single wide feature."""
    import ibis

    from diaglab.diagnostics.change.cells import KEY_SPAN, _code, _packs, binned_cells
    from diaglab.diagnostics.change.query import BLOCKS
    from diaglab.diagnostics.slices.bins import _categorical_binning, _numeric_binning

    rng = np.random.default_rng(3)
    n = 4_000
    wide = [f"v{i}" for i in range(KEY_SPAN)]  # one feature past KEY_SPAN codes: a key alone
    frame = pd.DataFrame(
        {
            "x": np.where(rng.random(n) < 0.1, np.nan, rng.normal(0, 1, n)),
            "y": rng.normal(5, 2, n),
            "c": np.where(rng.random(n) < 0.05, None, rng.choice(["a", "b", "c", "d"], n)),
            "z": rng.choice(wide, n),
            "u": rng.uniform(0, 1, n),
            "w": (rng.random(n) < 0.5).astype("int8"),
            "t": rng.uniform(0, 100, n),
            "v": np.where(rng.random(n) < 0.2, np.nan, rng.random(n)),
        }
    )
    plan = {
        "x": _numeric_binning("x", (-1.0, 0.0, 1.0), True),
        "y": _numeric_binning("y", (3.0, 5.0, 7.0, 9.0), False),
        "c": _categorical_binning("c", frame["c"].value_counts(dropna=False), 0.2, 10),
        "z": _categorical_binning("z", frame["z"].value_counts(), 0.0, KEY_SPAN),
        "u": _numeric_binning("u", (0.5,), False),
    }
    names = list(plan)
    packs = _packs([plan[f] for f in names])
    assert len(packs) >= 3 and any(len(p) == 1 for _, p in packs)
    totals = {w: {"t0": 0.0, "t1": 100.0} for w in (0, 1)}
    t = ibis.memtable(frame)
    got = binned_cells(t, plan, names, totals, BLOCKS)
    block = np.minimum(np.floor(frame["t"] * BLOCKS / 101), BLOCKS - 1).astype(int)
    for i, f in enumerate(names):
        codes = t.select(code=_code(t, plan[f])).to_pandas()["code"].to_numpy()
        want = (
            frame.assign(blk=block, code=codes, lab=frame["v"].notna())
            .groupby(["w", "blk", "code"])
            .agg(n=("v", "size"), n_lab=("lab", "sum"), s=("v", "sum"))
            .reset_index()
        )
        mine = got[got["feature"] == i].sort_values(["w", "blk", "code"])
        mine = mine[mine["n"] > 0].reset_index(drop=True)
        assert mine[["w", "blk", "code"]].to_numpy().tolist() == (
            want[["w", "blk", "code"]].to_numpy().tolist()
        ), f
        np.testing.assert_array_equal(mine["n"].to_numpy(), want["n"].to_numpy())
        np.testing.assert_array_equal(mine["n_lab"].to_numpy(), want["n_lab"].to_numpy())
        np.testing.assert_allclose(mine["s"].to_numpy(), want["s"].to_numpy(), rtol=1e-12)


def test_the_bins_of_many_numeric_features_fit_the_engines_memory(tmp_path) -> None:
    """explain_change bins both periods' rows; at 10M a window of 6M rows made the exact
    quantiles of 24 features (one query) exceed DuckDB's memory limit. Scaled down: 400k rows,
    24 features, an 80 MB limit; a few features' quantiles per query fit, with the same edges."""
    from diaglab.diagnostics.slices.bins import binnings

    n = 400_000
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"x{i:02d}": rng.normal(0, 1, n) for i in range(24)})
    store = dl.open(tmp_path / "s")
    stamps = START + pd.to_timedelta(np.arange(n), "s")
    store.log(model="m", features=frame, predictions=rng.random(n), timestamps=stamps)
    want = binnings(store, "m", store.table("m"), list(frame.columns))
    store.ibis.con.sql("SET memory_limit='80MB'")
    try:
        got = binnings(store, "m", store.table("m"), list(frame.columns))
    finally:
        store.close()
    assert {f: b.edges for f, b in got.items()} == {f: b.edges for f, b in want.items()}
    assert all(len(b.edges) == 4 for b in got.values())


def test_the_waterfall_is_drawn_before_the_slice_search_ends(scenarios, monkeypatch) -> None:
    import threading
    import time

    import diaglab.diagnostics.change.found as ec

    store, *_ = scenarios["both"]
    release, searching = threading.Event(), threading.Event()
    found = ec.found_slices

    def slow(*args, **kwargs):
        searching.set()
        assert release.wait(120)
        return found(*args, **kwargs)

    monkeypatch.setattr(ec, "found_slices", slow)
    ex = dl.ChangeExplorer(store, "m", reference=REFERENCE, window=WINDOW)
    try:
        deadline = time.monotonic() + 120
        while ex.result is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ex.result is not None and ex.result.found.empty
        assert ex.result.table["part"].eq("conditional").any()
        assert searching.wait(120)  # the search runs after the first draw
        assert ex.result.found.empty
        release.set()
        ex.wait(300)
        assert ex.last_error is None, ex.last_error
        assert not ex.result.found.empty  # then again with the slices found_slices finds
    finally:
        release.set()
        ex.close()


def test_the_found_slices_added_to_a_draft_give_the_searched_result(scenarios) -> None:
    from diaglab.diagnostics.change.found import with_found

    store, *_ = scenarios["both"]
    spec = dl.explain_change.spec("m", reference=REFERENCE, window=WINDOW)
    whole = spec.run(store)
    added = with_found(store, spec, _explain(store, search=False))
    assert not whole.found.empty
    for name in ("table", "found", "features", "slices"):
        pd.testing.assert_frame_equal(getattr(added, name), getattr(whole, name))
    assert added.summary == whole.summary


def test_the_slice_search_runs_once_per_pair_of_periods(scenarios, monkeypatch) -> None:
    """find_slices(compare=...) is kept per pair until the store changes: asking the same pair
    again (accuracy after error, the tab's draft then the search) does not search again."""
    from diaglab.diagnostics.change.found import with_found
    from diaglab.diagnostics.slices.spec import FindSlicesSpec

    store, *_ = scenarios["conditional"]
    searched: list[object] = []
    run = FindSlicesSpec.run

    def counted(self, *args, **kwargs):
        searched.append(self.scope)
        return run(self, *args, **kwargs)

    monkeypatch.setattr(FindSlicesSpec, "run", counted)
    pair = {"reference": ("2026-03-01", "2026-03-10"), "window": ("2026-03-12", "2026-03-21")}
    first = dl.explain_change(store, "m", search=True, **pair)
    again = dl.explain_change(store, "m", search=True, metrics="accuracy", **pair)
    spec = dl.explain_change.spec("m", **pair)
    added = with_found(store, spec, dl.explain_change(store, "m", search=False, **pair))
    assert len(searched) == 1
    assert not first.found.empty
    pd.testing.assert_frame_equal(added.found, first.found)
    assert len(again.found) == len(first.found)
    dl.explain_change(store, "m", reference=("2026-03-02", "2026-03-10"), window=pair["window"])
    assert len(searched) == 2  # another pair searches


def test_the_waterfalls_bin_bars_read_as_the_bins_labels() -> None:
    """A bin's bar names the feature and its bin as slice_metrics labels it (``age 47 – 56``),
    not the grid edges of its predicate (``age >= 47.3 AND age < 56.1``)."""
    from diaglab.diagnostics.change.tables import bin_name

    assert bin_name("age", "47 – 56") == "age 47 – 56"
    assert bin_name("age", "< 33") == "age < 33"
    assert bin_name("age", ">= 56") == "age >= 56"
    assert bin_name("x", "-1.5e-05 – 0.25") == "x -1.5e-05 – 0.25"
    assert bin_name("region", "north") == "region: north"
    assert bin_name("age", "(missing)") == "age: (missing)"


def test_the_draft_waterfall_names_its_bins_by_their_labels(scenarios) -> None:
    store, *_ = scenarios["conditional"]
    r = _explain(store, search=False)
    bars = r.table[(r.table["part"] == "conditional") & r.table["target"].notna()]
    by_predicate = dict(zip(r.slices["predicate"], r.slices["bin"], strict=True))
    assert len(bars) > 0
    for _, bar in bars.iterrows():
        label = by_predicate[bar["target"]]
        assert label in bar["name"] and " AND " not in bar["name"], bar["name"]


def test_the_waterfalls_numbers_print_a_zero_without_a_sign() -> None:
    """The bars' numbers, drawn by Vega: a contribution that rounds to zero reads 0.000, never
    -0.000 or +0.000 (the Why tab at 600 px); the others keep their sign."""
    import vl_convert

    from diaglab.diagnostics.change.chart import change_chart

    table = pd.DataFrame(
        {
            "part": ["covariate", "covariate", "conditional", "conditional", "total"],
            "name": ["income", "age", "region = 'north'", "elsewhere", "change"],
            "target": ["income", "age", "region = 'north'", None, None],
            "value": [-0.0002, 0.0001, 0.0291, -0.0012, 0.0278],
            "lower": np.nan,
            "upper": np.nan,
            "share": np.nan,
        }
    )
    svg = vl_convert.vegalite_to_svg(change_chart(table, start=0.134, metric="error").to_dict())
    texts = [t.split(">", 1)[1].split("<", 1)[0] for t in svg.split("<text")[1:]]
    assert texts.count("0.000") == 2 and "+0.029" in texts and "\u22120.001" in texts
    assert not any(t in ("-0.000", "+0.000", "\u22120.000") for t in texts), texts
