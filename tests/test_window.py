"""Time as one concept: the freq and window grammars, calendar buckets in a time zone, grids
clipped to the window, and the 8-window rule of alert bands."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import diaglab as dl
from conftest import credit_frame, credit_target
from diaglab.errors import DiaglabWarning, InputError
from diaglab.explorers import _windows
from diaglab.findings import report
from diaglab.queries.timegrid import Freq, epoch_micros
from diaglab.queries.window import Window, parse_window

SRC = Path(__file__).parents[1] / "src" / "diaglab"


# -- grammar ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "step"),
    [
        ("15min", "fixed", 15 * 60_000_000),
        ("1h", "fixed", 3_600_000_000),
        ("6 hours", "fixed", 6 * 3_600_000_000),
        ("1D", "fixed", 86_400_000_000),
        ("7D", "fixed", 7 * 86_400_000_000),
        ("W", "week", 1),
        ("1W", "week", 1),
        ("M", "month", 1),
        ("1mo", "month", 1),
        ("1 month", "month", 1),
        ("3 months", "month", 3),
        ("Q", "month", 3),
        ("2Q", "month", 6),
    ],
)
def test_freq_grammar_reads_durations_and_calendar_periods(text, kind, step):
    f = Freq.parse(text)
    assert (f.kind, f.step, f.tz, f.week_start) == (kind, step, "UTC", 0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1m", "'min' for minutes, 'mo' or 'M' for months"),
        ("daily", "unknown unit 'daily'; valid: '15min'"),
        ("2W", "'14D'"),
        ("5M", "1, 2, 3, 4, 6 or 12 months"),
        ("30s", "shorter than a minute"),
        ("0D", "positive count"),
        ("1 fortnight", "unknown unit"),
    ],
)
def test_bad_freq_is_refused_naming_valid_forms(text, message):
    with pytest.raises(InputError, match=re.escape(message)):
        Freq.parse(text)


def test_bad_tz_and_week_start_are_refused():
    with pytest.raises(InputError, match="Europe/Paris"):
        Freq.parse("W", tz="Mars/Olympus")
    with pytest.raises(InputError, match="monday, tuesday"):
        Freq.parse("W", week_start="someday")


def test_one_window_grammar_everywhere():
    want = Window("2026-02-10", "2026-03-02")
    for text in ("2026-02-10 .. 2026-03-02", "2026-02-10..2026-03-02", "2026-02-10 to 2026-03-02"):
        assert parse_window(text) == want
    assert parse_window("2026-02-10 → 2026-03-02") == want
    assert parse_window("2026-02-10 ..") == Window("2026-02-10", None)
    assert parse_window(".. 2026-03-02") == Window(None, "2026-03-02")
    assert parse_window("  ") is None
    assert Window.of("2026-02-10 to 2026-03-02") == want  # every function's window= reads text
    with pytest.raises(InputError, match=re.escape("'start .. end'")):
        parse_window("last week")
    # the explorers, the report's checks and the CLI use this one parser
    assert _windows.parse_window is parse_window
    assert report.parse_window is parse_window


def test_old_time_parsers_are_gone():
    """One grammar: no second freq parser, no epoch-counted buckets, no second window parser."""
    banned = [
        "to_period(",
        "not a fixed frequency",
        "epoch_bucket",
        "Timedelta(freq",
        "floor(freq",
        "to_offset(",
        "_freq_ns",
        "floor_window",
        'split("..", 1)',
    ]
    found = [
        f"{path.relative_to(SRC)}: {word}"
        for path in SRC.rglob("*.py")
        for word in banned
        if word in path.read_text()
    ]
    assert found == []
    window_parsers = [p for p in SRC.rglob("*.py") if "def parse_window" in p.read_text()]
    assert [p.name for p in window_parsers] == ["window.py"]


# -- buckets in the engine ---------------------------------------------------------------------


def _times(n: int = 5000, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    lo, hi = pd.Timestamp("2025-09-01", tz="UTC").value, pd.Timestamp("2027-04-01", tz="UTC").value
    return pd.Series(pd.to_datetime(rng.integers(lo, hi, n), utc=True).as_unit("us"))


@pytest.mark.parametrize("tz", ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize(
    ("freq", "week_start", "period"),
    [
        ("W", "monday", "W-SUN"),  # pandas names a week by its last day
        ("W", "sunday", "W-SAT"),
        ("W", "tuesday", "W-MON"),
        ("M", "monday", "M"),
        ("Q", "monday", "Q"),
        ("1D", "monday", "D"),
        ("1h", "monday", "h"),
    ],
)
def test_engine_buckets_equal_pandas_periods_in_a_time_zone(tz, freq, week_start, period):
    """DuckDB's integer bucket of each row equals pandas' period of its local time, across
    daylight-saving changes; the numpy path gives the same index."""
    ts = _times()
    con = ibis.duckdb.connect()
    utc = pa.array(ts.dt.tz_convert(None).to_numpy()).cast(pa.timestamp("us", tz="UTC"))
    t = ibis.memtable(pa.table({"timestamp": utc}))
    grid = Freq.parse(freq, tz=tz, week_start=week_start).grid(
        Window(), span=lambda: (ts.min(), ts.max())
    )
    got = con.to_pandas(t.mutate(i=grid.index(epoch_micros(t.timestamp, "duckdb"))))
    starts = grid.starts(got["i"].to_numpy())
    local = got["timestamp"].dt.tz_convert(tz).dt.tz_localize(None)
    want = local.dt.to_period(period).dt.start_time
    np.testing.assert_array_equal(
        starts.tz_convert(tz).tz_localize(None).as_unit("us").to_numpy(),
        want.dt.as_unit("us").to_numpy(),
    )
    np.testing.assert_array_equal(grid.index_of(got["timestamp"]), got["i"].to_numpy())


def test_bucket_expressions_compile_for_spark():
    """Integer arithmetic and a CASE on the offsets: nothing DuckDB-only in the bucket."""
    t = ibis.table({"timestamp": "timestamp('UTC')"}, name="t")
    for freq, tz in (("M", "Europe/Paris"), ("W", "UTC"), ("7D", "America/New_York")):
        grid = Freq.parse(freq, tz=tz).grid(Window("2026-01-01", "2026-06-01"))
        sql = ibis.to_sql(t.select(i=grid.index(epoch_micros(t.timestamp, "pyspark"))), "pyspark")
        assert "CASE" in sql or tz == "UTC"
        assert "epoch_us" not in sql


# -- the sample store: weeks and months equal pandas' groupings ------------------------------


@pytest.fixture(scope="module")
def sample_rows(sample_store):
    t = sample_store.table("credit").select("timestamp", "income").to_pandas()
    return t


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiaglabWarning)  # bands are not what is checked here
        return fn(*args, **kwargs)


@pytest.mark.parametrize(
    ("freq", "week_start", "period", "tz"),
    [
        ("W", "monday", "W-SUN", "UTC"),
        ("W", "sunday", "W-SAT", "UTC"),
        ("W", "tuesday", "W-MON", "UTC"),
        ("M", "monday", "M", "UTC"),
        ("W", "monday", "W-SUN", "America/New_York"),
        ("M", "monday", "M", "Asia/Tokyo"),
    ],
)
def test_calendar_counts_equal_pandas_periods_on_the_sample(
    sample_store, sample_rows, freq, week_start, period, tz
):
    local = sample_rows["timestamp"].dt.tz_convert(tz).dt.tz_localize(None)
    want = local.dt.to_period(period).dt.start_time.value_counts().sort_index()
    want.index = want.index.tz_localize(tz).tz_convert("UTC").as_unit("us")

    m = _quiet(
        dl.metrics_over_time,
        sample_store,
        "credit",
        freq=freq,
        metrics=["volume"],
        tz=tz,
        week_start=week_start,
    )
    got = m.windows.set_index("window_start")["n"]
    got.index = got.index.as_unit("us")
    assert not m.windows["partial"].any()  # no window asked: nothing is cut
    pd.testing.assert_series_equal(got, want, check_names=False, check_freq=False)

    d = dl.drift_over_time(
        sample_store, "credit", freq=freq, features=["income"], tz=tz, week_start=week_start
    )
    got = d.feature("income").set_index("window_start")["n"]
    got.index = pd.DatetimeIndex(got.index).as_unit("us")
    pd.testing.assert_series_equal(got, want, check_names=False, check_freq=False)


# -- alignment, clipping, partial windows ----------------------------------------------------


@pytest.fixture(scope="module")
def march(tmp_path_factory):
    """Hourly predictions 2026-03-01 .. 2026-04-30, labelled, one model."""
    store = dl.open(tmp_path_factory.mktemp("march") / "s")
    rng = np.random.default_rng(7)
    ts = pd.date_range("2026-03-01", "2026-04-30 23:00", freq="h", tz="UTC")
    n = len(ts)
    x = rng.normal(size=n)
    score = 1 / (1 + np.exp(-2 * x))
    ids = store.log("m", pd.DataFrame({"x": x}), score, timestamps=ts)
    store.log_labels("m", ids, (rng.random(n) < score).astype(int))
    store.set_reference("m", pd.DataFrame({"x": rng.normal(size=2000)}))
    yield store
    store.close()


def test_fixed_windows_start_with_the_window_not_on_epoch_thursdays(march):
    store = march
    window = ("2026-03-09", "2026-04-06")  # a Monday, four weeks
    m = _quiet(dl.metrics_over_time, store, "m", freq="7D", metrics=["volume"], window=window)
    starts = list(m.windows["window_start"])
    assert starts[0] == pd.Timestamp("2026-03-09", tz="UTC")  # was 2026-03-05, a Thursday
    assert all(s.day_name() == "Monday" for s in starts)
    assert (m.windows["n"] == 7 * 24).all() and not m.windows["partial"].any()
    d = dl.drift_over_time(store, "m", freq="7D", window=window)
    assert d.table["window_start"].min() == pd.Timestamp("2026-03-09", tz="UTC")
    # without a window, fixed durations start on the day of the first row
    m = _quiet(dl.metrics_over_time, store, "m", freq="7D", metrics=["volume"])
    assert m.windows["window_start"].iloc[0] == pd.Timestamp("2026-03-01", tz="UTC")


def test_grid_is_clipped_to_the_window_and_cut_windows_are_partial(march):
    store = march
    window = ("2026-03-11 12:00", "2026-03-25")  # a Wednesday noon to a Wednesday
    m = _quiet(dl.metrics_over_time, store, "m", freq="W", metrics=["volume"], window=window)
    w = m.windows
    assert list(w["window_start"]) == [
        pd.Timestamp("2026-03-11 12:00", tz="UTC"),
        pd.Timestamp("2026-03-16", tz="UTC"),
        pd.Timestamp("2026-03-23", tz="UTC"),
    ]
    assert list(w["window_end"]) == [
        pd.Timestamp("2026-03-16", tz="UTC"),
        pd.Timestamp("2026-03-23", tz="UTC"),
        pd.Timestamp("2026-03-25", tz="UTC"),
    ]
    assert list(w["partial"]) == [True, False, True]
    assert list(w["n"]) == [4 * 24 + 12, 7 * 24, 2 * 24]
    assert m.window == Window("2026-03-11 12:00", "2026-03-25")
    assert set(m.table.groupby("window_start")["partial"].first()) == {True, False}
    d = dl.drift_over_time(store, "m", freq="W", window=window)
    assert list(d.feature("x")["partial"]) == [True, False, True]
    assert list(d.feature("x")["n"]) == [4 * 24 + 12, 7 * 24, 2 * 24]


def test_windows_follow_the_calendar_of_the_time_zone(march):
    store = march
    # Paris moves to summer time on 2026-03-29: its Monday midnight is 23:00 UTC before, 22:00 after
    m = _quiet(
        dl.metrics_over_time,
        store,
        "m",
        freq="W",
        metrics=["volume"],
        tz="Europe/Paris",
        window=("2026-03-15 23:00", "2026-04-12 22:00"),
    )
    assert list(m.windows["window_start"]) == [
        pd.Timestamp(s, tz="UTC")
        for s in ("2026-03-15 23:00", "2026-03-22 23:00", "2026-03-29 22:00", "2026-04-05 22:00")
    ]
    assert list(m.windows["n"]) == [168, 167, 168, 168]  # the week of the change is an hour short
    assert not m.windows["partial"].any()
    d = _quiet(dl.metrics_over_time, store, "m", freq="1D", metrics=["volume"], tz="Asia/Tokyo")
    assert (d.windows["window_start"].dt.hour == 15).all()  # Tokyo midnight, in UTC


def test_brushed_window_widens_to_calendar_weeks():
    ms = int(pd.Timestamp("2026-03-11 09:00", tz="UTC").value // 1_000_000)
    got = _windows.brushed_window({"window_start": [ms, ms + 3_600_000]}, "W")
    assert got == Window("2026-03-09", "2026-03-16")


# -- alert bands need 8 baseline windows ------------------------------------------------------


def test_bands_need_eight_baseline_windows_else_a_warning_and_no_alerts(march):
    store = march
    # 7D over three weeks and a half: 3 whole windows, too few for a band (used to be a band)
    window = ("2026-03-01", "2026-03-25")
    with pytest.warns(DiaglabWarning, match="at least 8 baseline windows"):
        m = dl.metrics_over_time(store, "m", freq="7D", metrics=["accuracy"], window=window)
    assert m.warnings and "accuracy" in m.warnings[0]
    assert (m.bands["source"] == "none").all()
    assert m.alerts().empty and m.table["alert"].isna().all()
    # daily windows: the first 14 days calibrate, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", DiaglabWarning)
        d = dl.metrics_over_time(store, "m", freq="1D", metrics=["accuracy"])
    assert d.warnings == () and d.bands["windows"].iloc[0] == 14
    # weekly windows: the default baseline grows to the first 8 weeks
    with warnings.catch_warnings():
        warnings.simplefilter("error", DiaglabWarning)
        w = dl.metrics_over_time(store, "m", freq="W", metrics=["accuracy"])
    assert w.bands["source"].iloc[0] == "baseline" and w.bands["windows"].iloc[0] == 8
    # a threshold needs no baseline
    t = dl.metrics_over_time(
        store,
        "m",
        freq="7D",
        metrics=["accuracy"],
        window=window,
        thresholds={"accuracy": (0.9, None)},
    )
    assert t.warnings == ()


def test_months_are_buckets_in_every_time_function(march):
    store = march
    m = _quiet(dl.metrics_over_time, store, "m", freq="1 month", metrics=["volume"])
    assert list(m.windows["n"]) == [31 * 24, 30 * 24]
    s = dl.drift_over_time(store, "m", freq="M")
    assert list(s.feature("x")["window_start"]) == [
        pd.Timestamp("2026-03-01", tz="UTC"),
        pd.Timestamp("2026-04-01", tz="UTC"),
    ]


def test_explanation_drift_gives_seven_day_windows_not_daily_ones(tmp_path):
    """freq='7D' used to be read by pandas' to_period as daily periods."""
    lgb = pytest.importorskip("lightgbm")

    store = dl.open(tmp_path / "s")
    train = credit_frame(600, 1)
    clf = lgb.LGBMClassifier(n_estimators=10, num_leaves=4, verbose=-1, random_state=0)
    clf.fit(train.assign(region=train["region"].astype("category")), credit_target(train, 2))
    store.register_model("m", clf, "v1")
    prod = credit_frame(300, 3)
    scores = store.load_model("m", "v1").predict_proba(prod)[:, 1]
    ts = pd.Timestamp("2026-03-09", tz="UTC") + pd.to_timedelta(np.arange(300) * 2, unit="h")
    store.log("m", prod, scores, timestamps=ts)
    d = dl.explanation_drift(store, "m", freq="7D", sample=None, window=("2026-03-09", None))
    starts = sorted(set(d.table["window_start"]))
    assert starts == list(pd.date_range("2026-03-09", periods=4, freq="7D", tz="UTC"))
    w = dl.explanation_drift(store, "m", freq="W", week_start="sunday", sample=None)
    assert all(s.day_name() == "Sunday" for s in set(w.table["window_start"]))
    m = dl.explanation_drift(store, "m", freq="M", sample=None)
    assert sorted(set(m.table["window_start"])) == [
        pd.Timestamp("2026-03-01", tz="UTC"),
        pd.Timestamp("2026-04-01", tz="UTC"),
    ]
    store.close()


def test_span_stats_use_the_same_calendar(tmp_path):
    store = dl.open(tmp_path / "s")
    starts = pd.date_range("2026-03-01", periods=40, freq="12h", tz="UTC")
    spans = pd.DataFrame(
        {
            "trace_id": [f"{i:032x}" for i in range(40)],
            "span_id": [f"{i:016x}" for i in range(40)],
            "name": "predict",
            "start_ns": starts.as_unit("ns").asi8,
            "end_ns": starts.as_unit("ns").asi8 + 5_000_000,
            "status": "ok",
        }
    )
    store.log_spans(spans)
    s = dl.span_stats(store, freq="W", window=("2026-03-04", "2026-03-17"))
    t = s.table
    assert list(t["window_start"]) == [
        pd.Timestamp("2026-03-04", tz="UTC"),
        pd.Timestamp("2026-03-09", tz="UTC"),
        pd.Timestamp("2026-03-16", tz="UTC"),
    ]
    assert list(t["partial"]) == [True, False, True]
    assert list(t["volume"]) == [10, 14, 2]
    store.close()


def test_a_partial_drift_window_is_judged_at_its_own_size(march):
    """Three rows of a cut week move far more by chance than a whole week's 168: no false alert."""
    store = march
    d = dl.drift_over_time(store, "m", freq="W", window=("2026-03-08 21:00", "2026-04-06"))
    first = d.feature("x").iloc[0]
    assert first["partial"] and first["n"] == 3
    assert first["value"] > d.bands["x"][1]  # above the band of a whole day ...
    assert not first["alert"]  # ... but within the band of three rows


@pytest.mark.parametrize("arrow_type", [pa.timestamp("us", tz="UTC"), pa.timestamp("ms")])
def test_a_grid_places_an_engines_arrow_timestamps_as_it_places_pandas_ones(arrow_type) -> None:
    stamps = pd.date_range("2026-03-27", periods=400, freq="37min", tz="UTC")
    arrow = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(stamps, type=arrow_type)))
    with_null = pd.Series(pd.arrays.ArrowExtensionArray(pa.array([stamps[0], None], arrow_type)))
    for freq in ("1h", "1D", "W"):
        grid = Freq.parse(freq, tz="Europe/Berlin").grid(Window.of(("2026-03-27", "2026-04-05")))
        np.testing.assert_array_equal(grid.index_of(arrow), grid.index_of(pd.Series(stamps)))
        assert grid.index_of(with_null)[0] == grid.index_of(pd.Series(stamps[:1]))[0]
