"""diaglab.format: numbers as a person writes them, the same in widgets, charts and exports."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from diaglab import format as fmt


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (26412.0, "26,412"),  # an income, not 2.64e+04
        (1.0, "1"),  # a label, not 1.0
        (189700.0, "189,700"),
        (0.00312, "0.00312"),  # a score, not 0.00
        (0.1574, "0.157"),
        (12.345, "12.3"),
        (-3.0, "-3"),
        (0.0, "0"),
        (1e-7, "1e-7"),
        (np.float64(0.5), "0.5"),
        (float("nan"), "–"),
        (None, "–"),
        (math.inf, "–"),
    ],
)
def test_number_reads_like_a_person_wrote_it(value, text):
    assert fmt.number(value) == text


def test_bins_counts_percentages_units_and_changes():
    assert fmt.interval(16830.0, 22500.0) == "[16,830, 22,500)"
    assert fmt.interval(0.1, 0.25, closed="right") == "(0.1, 0.25]"
    assert fmt.count(48084) == "48,084"
    assert [fmt.percent(x) for x in (0.1234, 0.000012, 0.0, 1.0)] == [
        "12.3%",
        "0.0012%",
        "0%",
        "100%",
    ]
    assert fmt.quantity(16.234, "ms") == "16.2 ms"
    assert fmt.quantity(2.5, "days") == "2.5 days"
    assert fmt.change(189700.0, 23200.0) == "189,700 → 23,200"
    assert fmt.pvalue(3e-9) == "<0.001" and fmt.pvalue(0.0312) == "0.031"
    assert fmt.compact(17761.5) == "17.8k"


def test_labels_and_cells():
    assert fmt.label(1.0) == "1" and fmt.label(np.int64(3)) == "3"
    assert fmt.label(None) == fmt.label(float("nan")) == fmt.label(pd.NA) == "(missing)"
    assert fmt.label("north") == "north"
    assert fmt.value(np.int64(48084)) == "48,084"
    assert fmt.value(pd.NaT) == fmt.value(pd.NA) == "–"
    assert fmt.value(pd.Timestamp("2026-01-02 03:04", tz="UTC")) == "2026-01-02 03:04"
    assert fmt.value(True) == "true"


def test_vega_formats_trim_zeros_and_never_print_six_decimals():
    # d3-format's bare "%" prints 0.000000%; every percentage axis uses VEGA_PERCENT
    assert "~" in fmt.VEGA_PERCENT and "~" in fmt.VEGA_NUMBER and "," in fmt.VEGA_NUMBER


def test_diaglab_columns_read_as_words_and_features_keep_their_names():
    assert [fmt.column_title(c) for c in ("prediction_id", "model_version", "latency_ms")] == [
        "prediction id",
        "version",
        "latency ms",
    ]
    assert fmt.column_title("debt_to_income") == "debt_to_income"
    stored = ("prediction_id", "prediction", "timestamp", "model_version", "score", "label")
    titles = [fmt.column_title(c) for c in (*fmt.COLUMN_TITLES, *stored)]
    assert len(set(titles)) == len(set((*fmt.COLUMN_TITLES, *stored)))  # none read alike


def test_a_count_of_one_takes_the_singular():
    assert [fmt.counted(n, "alert") for n in (0, 1, 1200)] == [
        "0 alerts",
        "1 alert",
        "1,200 alerts",
    ]
