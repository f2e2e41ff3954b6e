"""The lending sample: deterministic, and every planted truth is visible in the data it makes."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from diaglab import sample
from diaglab.sample import (
    DRIFT_START,
    NEW_CATEGORY_START,
    NOW,
    ROLLOUT_END,
    ROLLOUT_START,
    SLICE_START,
    SampleModels,
    _build,
    _scenario,
    _traffic,
    build_sample,
    iter_production,
    production_frame,
    train_models,
)
from diaglab.sample._truth import Tally, truth_dict

ROWS = 20_000
REFERENCE_ROWS = 20_000


@pytest.fixture(scope="module")
def models() -> SampleModels:
    return train_models(seed=0, reference_rows=REFERENCE_ROWS)


@pytest.fixture(scope="module")
def frame(models: SampleModels) -> pd.DataFrame:
    return production_frame(models, rows=ROWS, seed=0)


@pytest.fixture(scope="module")
def clean(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows without planted defects."""
    positions = _traffic.bad_row_positions(ROWS)
    return frame.drop(index=positions)


def _in_slice(df: pd.DataFrame) -> pd.Series:
    return (df["region"] == "north") & (df["employment"] == "self_employed")


def _accuracy(df: pd.DataFrame) -> float:
    return float(((df["score"] >= 0.5).astype(int) == df["outcome"]).mean())


# -- determinism ----------------------------------------------------------------------------


def test_same_seed_gives_the_same_rows_whatever_the_chunk_size(
    models: SampleModels, frame: pd.DataFrame
) -> None:
    again = production_frame(models, rows=ROWS, seed=0, chunk_rows=3_001)
    pd.testing.assert_frame_equal(frame, again)


def test_same_seed_gives_the_same_models(models: SampleModels) -> None:
    again = train_models(seed=0, reference_rows=REFERENCE_ROWS)
    pd.testing.assert_frame_equal(models.reference, again.reference)
    for version in ("v1", "v2"):
        np.testing.assert_array_equal(
            models.score(version, models.reference.head(2_000)),
            again.score(version, models.reference.head(2_000)),
        )


def test_another_seed_gives_other_rows(models: SampleModels, frame: pd.DataFrame) -> None:
    other = production_frame(models, rows=ROWS, seed=1)
    assert len(other) == ROWS
    assert not np.array_equal(other["income"].to_numpy(), frame["income"].to_numpy())
    assert set(other["prediction_id"]).isdisjoint(frame["prediction_id"])


def test_the_truth_does_not_depend_on_the_chunk_size(models: SampleModels) -> None:
    truths = []
    for chunk_rows in (ROWS, 1_234):
        tally = Tally()
        for chunk in iter_production(models, rows=ROWS, seed=0, chunk_rows=chunk_rows):
            tally.add(chunk, 0.5)
        truths.append(truth_dict(tally, models, rows=ROWS, seed=0, threshold=0.5))
    assert truths[0] == truths[1]


def test_rows_are_in_time_order_over_the_production_period(frame: pd.DataFrame) -> None:
    ts = frame["timestamp"]
    assert len(frame) == ROWS
    assert ts.is_monotonic_increasing
    assert ts.min() >= sample.PRODUCTION_START
    assert ts.max() < NOW
    assert frame["prediction_id"].is_unique
    assert ts.dt.normalize().nunique() == _scenario.DAYS


def test_the_models_are_decent_on_held_out_reference_rows(models: SampleModels) -> None:
    for version in ("v1", "v2"):
        assert 0.75 <= models.holdout_auc[version] <= 0.85


# -- the planted truths ---------------------------------------------------------------------


def _before_after(df: pd.DataFrame, col: str, start: pd.Timestamp) -> tuple[pd.Series, pd.Series]:
    after = df["timestamp"] >= start
    return df.loc[~after, col], df.loc[after, col]


def test_drifted_features_move_from_the_drift_start(clean: pd.DataFrame) -> None:
    inc_before, inc_after = _before_after(clean, "income", DRIFT_START)
    assert 0.80 < inc_after.median() / inc_before.median() < 0.90
    util_before, util_after = _before_after(clean, "credit_utilization", DRIFT_START)
    assert util_after.mean() - util_before.mean() > 0.08
    age_before, age_after = _before_after(clean, "age", DRIFT_START)
    assert 0.4 < age_after.mean() - age_before.mean() < 1.6  # the subtle one: +1 year


def test_drift_starts_on_its_day_not_before(clean: pd.DataFrame) -> None:
    day = pd.Timedelta(days=1)
    week_before = clean[
        (clean["timestamp"] >= DRIFT_START - 7 * day) & (clean["timestamp"] < DRIFT_START)
    ]
    first_week = clean[clean["timestamp"] < sample.PRODUCTION_START + 7 * day]
    assert abs(week_before["income"].median() / first_week["income"].median() - 1) < 0.05


def test_undisturbed_features_stay_put(clean: pd.DataFrame) -> None:
    after = clean["timestamp"] >= DRIFT_START
    for col in _scenario.UNDISTURBED:
        before_values, after_values = clean.loc[~after, col], clean.loc[after, col]
        if col in sample.NUMERIC:
            se = math.sqrt(
                before_values.var() / len(before_values) + after_values.var() / len(after_values)
            )
            assert abs(after_values.mean() - before_values.mean()) < 4 * se, col
        else:
            shares = pd.concat(
                [
                    before_values.value_counts(normalize=True),
                    after_values.value_counts(normalize=True),
                ],
                axis=1,
            ).fillna(0.0)
            assert (shares.iloc[:, 0] - shares.iloc[:, 1]).abs().max() < 0.03, col


def test_the_new_category_appears_only_from_its_day(clean: pd.DataFrame) -> None:
    new = clean["channel"] == "partner_api"
    assert new.any()
    assert clean.loc[new, "timestamp"].min() >= NEW_CATEGORY_START
    share = new[clean["timestamp"] >= NEW_CATEGORY_START].mean()
    assert 0.10 < share < 0.18


def test_v2_serves_only_from_the_rollout_and_everything_after_it(frame: pd.DataFrame) -> None:
    v2 = frame["model_version"] == "v2"
    assert set(frame["model_version"]) == {"v1", "v2"}
    assert frame.loc[v2, "timestamp"].min() >= ROLLOUT_START
    assert frame.loc[~v2, "timestamp"].max() < ROLLOUT_END
    during = frame[(frame["timestamp"] >= ROLLOUT_START) & (frame["timestamp"] < ROLLOUT_END)]
    assert 0.3 < (during["model_version"] == "v2").mean() < 0.7  # gradual, not a switch


def test_the_slice_collapses_from_its_start_while_the_rest_holds(clean: pd.DataFrame) -> None:
    in_slice = _in_slice(clean)
    after = clean["timestamp"] >= SLICE_START
    assert 0.05 <= in_slice.mean() <= 0.08
    slice_before = _accuracy(clean[in_slice & ~after])
    slice_after = _accuracy(clean[in_slice & after])
    rest_before = _accuracy(clean[~in_slice & ~after])
    rest_after = _accuracy(clean[~in_slice & after])
    assert slice_before > 0.8
    assert slice_after < 0.65
    assert rest_before > 0.8
    assert abs(rest_after - rest_before) < 0.05


def test_a_fifth_of_labels_never_arrive(frame: pd.DataFrame) -> None:
    assert 0.18 < frame["label_never"].mean() < 0.22
    assert not (frame["label_never"] & frame["label_logged"]).any()


def test_labels_arrive_one_to_thirty_days_late_in_daily_batches(frame: pd.DataFrame) -> None:
    logged = frame[frame["label_logged"]]
    delay = logged["label_timestamp"] - logged["timestamp"]
    assert delay.min() >= pd.Timedelta(days=1)
    assert delay.max() <= pd.Timedelta(days=30)
    assert (logged["label_timestamp"] < NOW).all()
    assert (logged["label_timestamp"].dt.hour == 6).all()
    assert (logged["label_timestamp"] == logged["label_timestamp"].dt.floor("h")).all()


def test_labels_not_yet_arrived_are_not_logged_so_coverage_falls_at_the_end(
    frame: pd.DataFrame,
) -> None:
    arrived = ~frame["label_never"] & (frame["label_timestamp"] < NOW)
    assert (frame["label_logged"] == arrived).all()
    day = pd.Timedelta(days=1)
    early = frame[frame["timestamp"] < sample.PRODUCTION_START + 30 * day]
    late = frame[frame["timestamp"] >= NOW - 7 * day]
    assert 0.75 < early["label_logged"].mean() < 0.85
    assert late["label_logged"].mean() < 0.3


def test_the_slow_path_is_five_times_slower(clean: pd.DataFrame) -> None:
    slow = (clean["channel"] == "partner_api") | (clean["loan_amount"] > 50_000)
    assert slow.mean() > 0.01
    ratio = np.exp(
        np.log(clean.loc[slow, "latency_ms"]).mean() - np.log(clean.loc[~slow, "latency_ms"]).mean()
    )
    assert 4.5 < ratio < 5.5


def test_trace_ids_look_like_opentelemetry_ones(frame: pd.DataFrame) -> None:
    pattern = re.compile(r"[0-9a-f]{32}")
    assert all(pattern.fullmatch(t) for t in frame["trace_id"])
    assert frame["trace_id"].is_unique


def test_bad_rows_hold_the_planted_defects(frame: pd.DataFrame) -> None:
    bad = frame.iloc[_traffic.bad_row_positions(ROWS)].set_index("prediction_id")
    assert len(bad) == len(_traffic.BAD_ROWS)
    assert (bad["age"] == 999).sum() == 1
    assert (bad["income"] < 0).sum() == 1
    assert bad["income"].isna().sum() == 2  # missing income, every feature missing
    assert bad["region"].isna().sum() == 2
    assert (bad["purpose"].str.len() > 200).sum() == 1
    assert (bad["employment"] == "Self-Employed ").sum() == 1
    assert bad[list(sample.FEATURES)].isna().all(axis=1).sum() == 1
    assert np.isfinite(bad["score"]).all()


# -- the store ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("sample") / "credit"
    truth = build_sample(
        path, rows=ROWS, seed=0, chunk_rows=7_000, progress=False, reference_rows=REFERENCE_ROWS
    )
    return path, truth


def _store_frame(path: Path) -> pd.DataFrame:
    import diaglab as dl

    store = dl.open(path)
    try:
        return store.table("credit").to_pandas()
    finally:
        store.close()


def test_build_sample_writes_the_truth_file_it_returns(
    built: tuple[Path, dict[str, Any]],
) -> None:
    path, truth = built
    assert json.loads((path / "sample_truth.json").read_text(encoding="utf-8")) == truth
    assert truth["counts"]["predictions"] == ROWS
    assert truth["counts"]["reference_rows"] == REFERENCE_ROWS
    assert truth["drifted_features"] == ["age", "credit_utilization", "income"]
    assert len(truth["bad_row_ids"]) == len(_traffic.BAD_ROWS)


def test_the_store_holds_the_counts_and_labels_of_the_truth(
    built: tuple[Path, dict[str, Any]],
) -> None:
    path, truth = built
    df = _store_frame(path)
    counts = truth["counts"]
    assert len(df) == counts["predictions"]
    assert df["prediction_id"].is_unique
    assert int(df["label"].notna().sum()) == counts["labels_logged"]
    assert df["model_version"].value_counts().to_dict() == counts["predictions_by_version"]
    assert df["label"].notna().mean() == pytest.approx(truth["labels"]["coverage"])
    assert set(truth["bad_row_ids"]) <= set(df["prediction_id"])
    assert (df["label_timestamp"].dropna() < NOW).all()


def test_the_store_shows_the_slice_accuracy_of_the_truth(
    built: tuple[Path, dict[str, Any]],
) -> None:
    path, truth = built
    df = _store_frame(path)
    planted = truth["collapsed_slice"]
    in_slice = pd.Series(True, index=df.index)
    for cond in planted["conditions"]:
        assert cond["op"] == "=="
        in_slice &= (df[cond["column"]] == cond["value"]).fillna(False)
    labeled = df["label"].notna()
    after = df["timestamp"] >= pd.Timestamp(planted["start"])
    correct = (df["score"] >= truth["threshold"]).astype(float) == df["label"]
    assert correct[in_slice & labeled & ~after].mean() == pytest.approx(planted["accuracy_before"])
    assert correct[in_slice & labeled & after].mean() == pytest.approx(planted["accuracy_after"])
    assert correct[~in_slice & labeled & after].mean() == pytest.approx(
        planted["rest_accuracy_after"]
    )
    assert planted["accuracy_after"] < planted["accuracy_before"] - 0.2


def test_the_store_holds_the_generated_rows(
    built: tuple[Path, dict[str, Any]], models: SampleModels, frame: pd.DataFrame
) -> None:
    path, _ = built
    df = _store_frame(path).sort_values("prediction_id").reset_index(drop=True)
    expected = frame.sort_values("prediction_id").reset_index(drop=True)
    assert (df["prediction_id"] == expected["prediction_id"]).all()
    np.testing.assert_allclose(df["score"], expected["score"])
    assert (df["trace_id"] == expected["trace_id"]).all()
    assert (df["timestamp"] == expected["timestamp"]).all()
    pd.testing.assert_series_equal(df["income"], expected["income"], check_dtype=False)


def test_build_sample_refuses_a_directory_that_is_not_a_sample(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        build_sample(tmp_path, rows=1_000, progress=False, overwrite=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_overwrite_replaces_an_earlier_or_half_written_sample(tmp_path: Path) -> None:
    for marker in ("sample_truth.json", ".sample_building"):
        path = tmp_path / marker.strip(".")
        (path / "segments").mkdir(parents=True)
        (path / marker).write_text("{}")
        with pytest.raises(FileExistsError):
            _build._prepare_directory(path, overwrite=False)
        _build._prepare_directory(path, overwrite=True)
        assert not path.exists()


def test_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match="rows"):
        build_sample("unused", rows=10)
    with pytest.raises(ValueError, match="seed"):
        build_sample("unused", rows=1_000, seed=-1)
