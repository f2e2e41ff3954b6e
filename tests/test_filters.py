"""User-typed filters are parsed and checked, never pasted into SQL."""

from __future__ import annotations

import pandas as pd
import pytest

import diaglab as dl
from diaglab.queries.filters import And, Condition, Or, Slice, columns_of, parse, where


@pytest.fixture
def table(store):
    f = pd.DataFrame(
        {
            "region": ["north", "south", "north", "o'hara"],
            "income": [10.0, 20, 30, 40],
            "a; drop table x": ["p", "q", "r", "s"],
        }
    )
    store.log(model="m", features=f, predictions=[0.1, 0.4, 0.6, 0.9])
    return store.table("m")


def test_parse_sql_and_python_spellings():
    a = parse("region = 'north' AND (income < 32000 OR age >= 60)")
    b = parse("region == 'north' and (income < 32_000 or age >= 60)")
    assert a == b
    assert isinstance(a, And) and isinstance(a.items[1], Or)
    assert parse("x IS NOT NULL") == Condition("x", "is not null")
    assert parse("c NOT IN ('a', 'b')") == Condition("c", "not in", ("a", "b"))


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("region = 'north'", 2),
        ("region != 'north' and income >= 20", 2),
        ("income < 15 or income > 35", 2),
        ("not (region in ('north', 'south'))", 1),
        ("region = 'o''hara'", 1),
        ("`a; drop table x` = 'q'", 1),
        ("score > 0.5", 2),
    ],
)
def test_filters_select_the_right_rows(table, text, rows):
    assert where(table, text).count().execute() == rows


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("incme < 3", "unknown column 'incme' in filter \\(did you mean 'income'\\?\\)"),
        ("region = north", "expected a value"),
        ("income = 'ten'", "column 'income' is numeric"),
        ("region = 3", "holds text; quote the value"),
        ("region = 'x'; DROP TABLE m", "cannot read the filter"),
        ("region = 'x' OR 1=1", "expected a column name"),
        ("region = 'x' --", "cannot read the filter"),
        ("", "empty"),
        ("(region = 'x'", "expected '\\)'"),
    ],
)
def test_bad_filters_get_clear_errors(table, text, message):
    with pytest.raises(dl.FilterError, match=message):
        where(table, text).count().execute()


def test_injection_attempts_are_values_not_sql(table, store):
    evil = "x'); DROP TABLE m; --"
    assert where(table, Slice(("region", "=", evil))).count().execute() == 0
    assert store.table("m").count().execute() == 4


def test_slice_round_trip_and_readable_text():
    s = Slice.of("region = 'north' AND income < 32000")
    assert str(s) == "region = 'north' AND income < 32,000"
    assert Slice.of(s.expression) == s
    assert s.columns == ["region", "income"]
    with pytest.raises(dl.FilterError, match="joined by AND"):
        Slice.of("a = 1 or b = 2")
    assert columns_of("a = 1 or not b is null") == {"a", "b"}
