"""dl.fairness and dl.fairness_over_time: equal to Fairlearn's MetricFrame on the same rows, right
on planted group rates, label-free before labels arrive, and working on hashed sensitive values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score, precision_score

import diaglab as dl
from diaglab.findings.replay import recheck
from diaglab.findings.report import load_checks, run_checks

START = pd.Timestamp("2026-01-01", tz="UTC")
# planted: P(selected) per sex, P(label = 1 | selected) and P(label = 1 | not selected)
SELECT = {"f": 0.30, "m": 0.50}


def _rows(n: int, seed: int = 0, *, days: float = 3.0, late_gap: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["f", "m"], n, p=[0.4, 0.6])
    race = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    t = np.sort(rng.random(n)) * days
    p_select = np.vectorize(SELECT.get)(sex) + np.where((sex == "f") & (t > days / 2), late_gap, 0)
    selected = rng.random(n) < p_select
    score = np.where(selected, 0.5 + 0.5 * rng.random(n), 0.5 * rng.random(n))
    label = (rng.random(n) < np.where(score >= 0.5, 0.7 + 0.1 * (race == "a"), 0.2)).astype(float)
    return pd.DataFrame(
        {
            "sex": sex,
            "race": race,
            "x": rng.normal(size=n),
            "score": score,
            "label": label,
            "timestamp": START + pd.to_timedelta(t, unit="D"),
        }
    )


def _log(store, rows: pd.DataFrame, *, labels: bool = True, sensitive=None, model: str = "m"):
    ids = store.log(
        model,
        rows[["sex", "race", "x"]],
        rows["score"].to_numpy(),
        timestamps=rows["timestamp"],
        sensitive=sensitive,
    )
    if labels:
        store.log_labels(model, ids, rows["label"].to_numpy())
    return ids


@pytest.fixture
def planted(store):
    rows = _rows(6000)
    _log(store, rows)
    return store, rows


def _frame(rows: pd.DataFrame, features: list[str]) -> MetricFrame:
    return MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "true_positive_rate": true_positive_rate,
            "false_positive_rate": false_positive_rate,
            "precision": lambda y, p: precision_score(y, p, zero_division=np.nan),
            "error": lambda y, p: 1 - accuracy_score(y, p),
        },
        y_true=rows["label"].to_numpy(),
        y_pred=(rows["score"] >= 0.5).astype(int).to_numpy(),
        sensitive_features=rows[features],
    )


def test_group_metrics_and_disparities_equal_fairlearns_metricframe(planted):
    store, rows = planted
    report = dl.fairness(store, "m", sensitive=["sex", "race"], min_support=0)
    for features in (["sex"], ["race"], ["sex", "race"]):
        mf = _frame(rows, features)
        name = " & ".join(features)
        ours = report.groups[report.groups["sensitive"] == name].set_index("group")
        theirs = mf.by_group
        keys = [" & ".join(k) if isinstance(k, tuple) else k for k in theirs.index]
        for metric in theirs.columns:
            np.testing.assert_allclose(
                ours.loc[keys, metric].to_numpy(float), theirs[metric].to_numpy(float)
            )
        disp = report.disparities.set_index(["sensitive", "measure"])
        diff, ratio = mf.difference(), mf.ratio()
        assert disp.loc[(name, "demographic_parity"), "difference"] == pytest.approx(
            diff["selection_rate"]
        )
        assert disp.loc[(name, "equal_opportunity"), "difference"] == pytest.approx(
            diff["true_positive_rate"]
        )
        assert disp.loc[(name, "predictive_parity"), "ratio"] == pytest.approx(ratio["precision"])
        y, p = rows["label"], (rows["score"] >= 0.5).astype(int)
        s = rows[features]
        assert disp.loc[(name, "equalized_odds"), "difference"] == pytest.approx(
            equalized_odds_difference(y, p, sensitive_features=s)
        )
        assert disp.loc[(name, "equalized_odds"), "ratio"] == pytest.approx(
            equalized_odds_ratio(y, p, sensitive_features=s)
        )
        assert disp.loc[(name, "demographic_parity"), "ratio"] == pytest.approx(
            demographic_parity_ratio(y, p, sensitive_features=s)
        )
        assert disp.loc[(name, "demographic_parity"), "difference"] == pytest.approx(
            demographic_parity_difference(y, p, sensitive_features=s)
        )


def test_planted_selection_gap_is_found_with_an_interval_that_covers_it(planted):
    store, _ = planted
    report = dl.fairness(store, "m", sensitive="sex", max_difference=0.05, confidence=0.999)
    dp = report.disparities.set_index("measure").loc["demographic_parity"]
    truth = SELECT["m"] - SELECT["f"]
    assert dp["difference_lower"] <= truth <= dp["difference_upper"]
    assert dp["difference_lower"] > 0.05 and dp["within"] is False
    assert (dp["group_high"], dp["group_low"]) == ("m", "f")
    # the reference is the largest group, stated, and each group's gap to it has an interval
    assert report.reference == {"sex": "m"} and "largest" in report.reference_rule
    f = report.groups.set_index("group").loc["f"]
    assert f["selection_rate_difference_lower"] <= -truth <= f["selection_rate_difference_upper"]
    assert f["selection_rate_lower"] <= SELECT["f"] <= f["selection_rate_upper"]
    # race was planted without any selection gap
    same = dl.fairness(store, "m", sensitive="race").disparities.set_index("measure")
    assert same.loc["demographic_parity", "difference_lower"] <= 0.0


def test_calibration_error_per_group_is_the_binned_ece_of_its_rows(planted):
    store, rows = planted
    report = dl.fairness(store, "m", sensitive="sex", metrics=["calibration_error"])
    for sex, part in rows.groupby("sex"):
        b = np.minimum((part["score"] * 10).astype(int), 9)
        gaps = part.groupby(b).apply(
            lambda g: abs(g["score"].sum() - g["label"].sum()), include_groups=False
        )
        expected = gaps.sum() / len(part)
        got = report.groups.set_index("group").loc[sex, "calibration_error"]
        assert got == pytest.approx(expected)
    assert report.disparities.empty  # no disparity measure compares calibration


def test_before_labels_arrive_only_the_selection_rate_disparity_is_known(store):
    rows = _rows(3000, seed=1)
    _log(store, rows, labels=False)
    report = dl.fairness(store, "m", sensitive="sex")
    assert report.label_free
    disp = report.disparities.set_index("measure")
    expected = rows.groupby("sex")["score"].apply(lambda s: (s >= 0.5).mean())
    assert disp.loc["demographic_parity", "difference"] == pytest.approx(
        expected.max() - expected.min()
    )
    assert np.isnan(disp.loc["equalized_odds", "difference"])
    assert "labels have not arrived" in disp.loc["equalized_odds", "reason"]
    assert disp.loc["equalized_odds", "within"] is None


def test_small_groups_are_shown_but_left_out_of_the_disparities(planted):
    store, _ = planted
    report = dl.fairness(store, "m", sensitive=["sex", "race"], min_support=700)
    inter = report.groups[report.groups["sensitive"] == "sex & race"]
    small = set(inter.loc[inter["n_labelled"] < 700, "group"])
    assert small and not inter.set_index("group").loc[sorted(small), "supported"].any()
    row = report.disparities.set_index(["sensitive", "measure"]).loc[
        ("sex & race", "demographic_parity")
    ]
    assert set(row["excluded"].split(", ")) == small
    assert row["group_high"] not in small and row["group_low"] not in small


def test_hashed_sensitive_values_group_by_hash_and_take_names_in_memory_only(store):
    rows = _rows(3000, seed=2)
    _log(store, rows, sensitive=["sex"])
    clear = dl.fairness(store, "m", sensitive="race")  # race is logged in clear
    assert set(clear.groups["group"]) == {"a", "b", "c"}
    hashed = dl.fairness(store, "m", sensitive="sex")
    groups = list(hashed.groups["group"])
    assert all(g.startswith("#") and len(g) == 9 for g in groups)
    named = dl.fairness(store, "m", sensitive="sex", group_names={"sex": {"f": "F", "m": "M"}})
    assert set(named.groups["name"]) == {"F", "M"}
    by_name = named.groups.set_index("name")
    expected = rows.groupby("sex")["score"].apply(lambda s: (s >= 0.5).mean())
    assert by_name.loc["F", "selection_rate"] == pytest.approx(expected["f"])
    finding = dl.finding("selection gap", named, store=store)
    stored = json.dumps(finding.to_json())
    assert '"f"' not in stored and "'f'" not in stored and '"F"' not in stored


def test_a_fairness_finding_claims_a_bound_that_recheck_and_report_checks_evaluate(
    planted, tmp_path
):
    store, _ = planted
    result = dl.fairness(store, "m", sensitive="race", max_difference=0.2)
    f = dl.finding("race: within 0.2", result, store=store)
    assert f.claim["exact"] == ["within"] and f.claim["key"] == ["sensitive", "measure"]
    assert "equalized_odds difference <= 0.2" in set(result.disparities["claim"])
    assert recheck(f, store).ok
    path = tmp_path / "checks.yaml"
    path.write_text(
        "- fairness: {sensitive: [race], measure: equalized_odds, max: 0.2}\n"
        "- fairness: {sensitive: sex, measure: demographic_parity, max: 0.05}\n"
    )
    race, sex = run_checks(store, "m", load_checks(path), window=None)
    assert race.passed and "equalized_odds difference" in race.check
    assert not sex.passed and "m vs f" in sex.detail


def test_fairness_over_time_flags_the_windows_where_a_planted_gap_opens(store):
    # f's selection rises to m's after day 15; the bands calibrate on the first 14 days
    rows = _rows(40_000, seed=5, days=30, late_gap=0.2)
    _log(store, rows)
    ft = dl.fairness_over_time(store, "m", sensitive="sex", freq="1D", metrics=["selection_rate"])
    dp = ft.table[ft.table["measure"] == "demographic_parity"].set_index("window_start")
    assert ft.bands.set_index("measure").loc["demographic_parity", "source"] == "baseline"
    early = dp[dp.index < START + pd.Timedelta(days=14)]
    late = dp[dp.index >= START + pd.Timedelta(days=16)]
    assert early["alert"].sum() <= 1
    assert (late["alert"] == 1.0).mean() > 0.8
    assert late["difference"].mean() == pytest.approx(0.0, abs=0.05)
    fixed = dl.fairness_over_time(
        store,
        "m",
        sensitive="sex",
        metrics=["selection_rate"],
        bounds={"demographic_parity": (None, 0.1)},
    )
    judged = fixed.table.set_index("window_start")
    assert (judged["alert"] == (judged["difference"] > 0.1).astype(float)).all()
    # windows where no two groups have enough rows have no disparity, and no error
    with pytest.warns(dl.errors.DiaglabWarning, match="baseline window"):
        none = dl.fairness_over_time(store, "m", sensitive="sex", min_support=10**6)
    assert none.table["difference"].isna().all() and none.table["alert"].isna().all()


def test_bad_sensitive_features_are_named_with_the_valid_ones(planted):
    store, _ = planted
    with pytest.raises(dl.UnknownNameError, match="race, sex"):
        dl.fairness(store, "m", sensitive="gender")
    with pytest.raises(dl.InputError, match="numeric"):
        dl.fairness(store, "m", sensitive="x")
    with pytest.raises(dl.UnknownNameError, match="a, b, c"):
        dl.fairness(store, "m", sensitive="race", reference_group="z")
    with pytest.raises(dl.UnknownNameError, match="selection_rate"):
        dl.fairness(store, "m", sensitive="race", metrics=["accuracy"])


def _pick(explorer, key: int) -> None:
    """What the browser sends when a group is clicked (Altair's private wire format)."""
    explorer.chart._vl_selections = {
        "group_pick": {
            "value": {"vlPoint": {"or": [{"key": key}]}},
            "store": [{"unit": "", "fields": [{"field": "key", "type": "E"}], "values": [key]}],
        }
    }


def test_explorer_shows_groups_with_the_threshold_used_and_a_click_selects_the_groups_rows(
    planted, tmp_path
):
    store, rows = planted
    ex = dl.FairnessExplorer(store, "m", sensitive=["sex", "race"]).wait()
    assert ex.last_error is None
    again = dl.fairness(store, "m", **ex.spec.params())
    pd.testing.assert_frame_equal(ex.data(), again.disparities)
    pd.testing.assert_frame_equal(ex.result.groups, again.groups)
    assert "threshold 0.5" in ex.status.value
    assert "everything logged" in ex.status.value and "…" not in ex.status.value
    assert ex.over_time is not None and not ex.over_time.table.empty
    shown = ex.disparity_table
    cells = [c for row in shown.rows for c in row]
    assert "equalized odds" in cells and not any("_" in c for c in cells)  # words, not names
    verdicts = [row[shown.columns.index("verdict")] for row in shown.rows]
    assert verdicts and all(v.startswith(("within 0.1", "over 0.1")) for v in verdicts)
    assert "True" not in cells and "False" not in cells
    assert shown.sort == ["difference", "desc"]
    shown.sort = ["difference", "asc"]  # a header click
    assert list(shown.frame["difference"]) == sorted(ex.data()["difference"])
    f = int(np.flatnonzero(ex.result.groups["group"] == "f & a")[0])
    _pick(ex, f)
    assert str(ex.selected_slice) == "sex = 'f' AND race = 'a'"
    in_slice = dl.slice_metrics(
        store, "m", by="x", where=ex.selected_slice, metrics=["accuracy"]
    ).table
    assert in_slice["n"].sum() == ((rows["sex"] == "f") & (rows["race"] == "a")).sum()

    ex.threshold_text.value = "0.7"
    ex.wait()
    assert ex.threshold == 0.7 and "threshold 0.7 (override)" in ex.status.value
    sr = ex.result.groups.set_index("group").loc["m", "selection_rate"]
    assert sr == pytest.approx((rows.loc[rows["sex"] == "m", "score"] >= 0.7).mean())
    ex.threshold_text.value = "2"
    assert isinstance(ex.last_error, dl.InputError)
    captured = ex.capture("groups by sex and race at 0.7")
    assert captured.claim["key"] == ["sensitive", "measure"]
    for suffix in ("html", "md", "json", "parquet"):
        written = dl.export([captured], tmp_path / f"fair.{suffix}")
        assert Path(written).stat().st_size > 0
    ex.close()


def test_the_panel_has_a_fairness_tab_linked_to_the_shared_slice(planted):
    store, _ = planted
    p = dl.panel(store, "m", explorers=["slices", "fairness"])
    try:
        p.wait(120)
        ex = p.explorers["fairness"]
        assert "Fairness" in [p.tabs.get_title(i) for i in range(len(p.tabs.children))]
        _pick(ex, 0)
        assert str(p.selection.slice) == str(ex.result.groups["slice"].iloc[0])
    finally:
        p.close()


def test_difference_and_ratio_intervals_match_the_published_values():
    from diaglab.stats.fairness import difference_interval, ratio_interval

    # Newcombe (1998), Stat. Med. 17:873, table II, method 10
    for counts, expected in (
        ((56, 70, 48, 80), (0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.1705, 0.8090)),
    ):
        _, lo, hi = difference_interval(*counts)
        assert (round(float(lo), 4), round(float(hi), 4)) == expected
    # Katz: exp(ln r ± z·sqrt(1/k1 − 1/n1 + 1/k2 − 1/n2))
    r, lo, hi = ratio_interval(40, 100, 25, 100)
    se = np.sqrt(1 / 40 - 1 / 100 + 1 / 25 - 1 / 100)
    assert float(r) == pytest.approx(1.6)
    assert (float(lo), float(hi)) == pytest.approx(
        (1.6 * np.exp(-1.959964 * se), 1.6 * np.exp(1.959964 * se))
    )
