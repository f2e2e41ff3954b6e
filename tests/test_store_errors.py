"""Bad input gets a clear diaglab error, never a library traceback, and stores nothing."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from diaglab.errors import FilterError, InputError, SchemaError
from diaglab.queries.filters import Condition, Slice, parse


def _stored(store: dl.Store, model: str) -> int:
    return int(store.table(model).count().execute()) if model in store.models() else 0


@pytest.mark.parametrize(
    ("existing", "new", "clash"),
    [
        ([], ["age", "AGE"], "'age'"),
        (["Score"], ["score"], "'Score'"),
        (["age"], ["Age"], "'age'"),
    ],
)
def test_names_clashing_ignoring_case_are_refused_before_anything_is_written(
    tmp_path, existing, new, clash
):
    store = dl.open(tmp_path / "s")
    n = 5
    if existing:
        store.log("m", pd.DataFrame({c: np.arange(n, dtype=float) for c in existing}), [0.5] * n)
    schema_before = (
        (tmp_path / "s" / "models" / "m" / "schema.json").read_bytes() if existing else None
    )
    segments_before = sorted((tmp_path / "s" / "segments").rglob("*.parquet"))
    with pytest.raises(InputError, match=clash) as err:
        store.log("m", pd.DataFrame({c: np.arange(n, dtype=float) for c in new}), [0.5] * n)
    assert repr(new[-1]) in str(err.value)
    assert sorted((tmp_path / "s" / "segments").rglob("*.parquet")) == segments_before
    if schema_before is not None:
        assert (tmp_path / "s" / "models" / "m" / "schema.json").read_bytes() == schema_before
    store.close()
    # the store still opens, rebuilds and takes good rows
    again = dl.open(tmp_path / "s")
    again.rebuild()
    again.log("m", pd.DataFrame({"ok": [1.0]}), [0.5])
    assert _stored(again, "m") == (n if existing else 0) + 1
    again.close()


def test_a_reference_with_a_clashing_name_is_refused(store):
    store.log("m", pd.DataFrame({"age": [1.0, 2.0]}), [0.1, 0.9])
    with pytest.raises(InputError, match=r"'AGE'.*'age'"):
        store.set_reference("m", pd.DataFrame({"AGE": [1.0, 2.0]}))
    assert dl.open(store.path, read_only=True).models() == ["m"]


def test_the_logger_path_checks_names_too(tmp_path):
    from diaglab.store.producer import prepare_predictions
    from diaglab.store.schema import SchemaRegistry

    reg = SchemaRegistry(tmp_path)
    with pytest.raises(InputError, match="'AGE'"):
        prepare_predictions(reg, "m", pd.DataFrame({"age": [1.0], "AGE": [1.0]}), [0.5])
    assert reg.get("m") is None or "AGE" not in reg.get("m").features
    # a name of diaglab's own columns, in any case, is a feature in its own namespace
    done = prepare_predictions(reg, "m", pd.DataFrame({"Score": [1.0]}), [0.5])
    assert done is not None and "feature:Score" in done.table.column_names


def test_integers_beyond_2_53_are_refused_naming_the_column(store):
    big = pd.DataFrame({"x": np.array([1, 2**53 + 1], dtype=np.int64)})
    with pytest.raises(InputError, match=r"feature 'x'.*2\*\*53.*9007199254740993"):
        store.log("m", big, [0.1, 0.2])
    assert store.models() == [] or _stored(store, "m") == 0
    ok = pd.DataFrame({"x": np.array([1, 2**53], dtype=np.int64)})
    store.log("m", ok, [0.1, 0.2])
    assert _stored(store, "m") == 2


def test_integers_beyond_2_53_as_outputs_or_labels_are_refused(store):
    big = np.array([1, 2**53 + 1], dtype=np.int64)
    with pytest.raises(InputError, match=r"predictions has 1 integer\(s\) beyond"):
        store.log("m", pd.DataFrame({"x": [1.0, 2.0]}), big)
    ids = store.log("r", pd.DataFrame({"x": [1.0, 2.0]}), [1.5, 2.5])
    with pytest.raises(InputError, match=r"labels has 1 integer\(s\) beyond"):
        store.log_labels("r", ids, big)
    assert store.labels("r").count().execute() == 0


def test_nanosecond_timestamps_are_floored_and_said(store, caplog):
    ts = pd.Series(
        pd.to_datetime(["2026-01-01T00:00:00.000001999Z", "2026-01-01T00:00:01.000000000Z"])
    )
    with caplog.at_level("WARNING", logger="diaglab"):
        from diaglab.store import batch

        batch._NANOSECONDS_SAID.clear()
        ids = store.log("m", pd.DataFrame({"x": [1.0, 2.0]}), [0.1, 0.2], timestamps=ts)
    assert "nanoseconds" in caplog.text and "microsecond" in caplog.text
    got = store.table("m").filter(store.table("m").prediction_id == ids[0]).timestamp.execute()
    assert got.iloc[0] == pd.Timestamp("2026-01-01T00:00:00.000001Z")


def test_probabilities_wider_than_the_models_classes_are_refused(store):
    proba = np.array([[0.2, 0.3, 0.5], [0.1, 0.8, 0.1]])
    store.log("m", pd.DataFrame({"x": [1.0, 2.0]}), proba)
    assert store.schema("m").classes == ("0", "1", "2")
    wide = np.array([[0.1, 0.2, 0.3, 0.4]])
    with pytest.raises(SchemaError, match=r"4 class probabilities.*3 classes"):
        store.log("m", pd.DataFrame({"x": [3.0]}), wide)
    assert store.schema("m").classes == ("0", "1", "2")
    assert _stored(store, "m") == 2


@pytest.mark.parametrize("version", [1, "a/../b", "../x", ""])
def test_set_reference_checks_the_version_like_log(store, version):
    store.log("m", pd.DataFrame({"x": [1.0]}), [0.5])
    with pytest.raises(InputError, match="model_version"):
        store.set_reference("m", pd.DataFrame({"x": [1.0]}), model_version=version)
    with pytest.raises(InputError, match="model_version"):
        store.log("m", pd.DataFrame({"x": [1.0]}), [0.5], model_version=version)


def test_model_versions_refuses_a_path(store, tmp_path):
    (tmp_path / "x" / "versions" / "secret").mkdir(parents=True)
    with pytest.raises(InputError, match="invalid model name"):
        store.model_versions("../../x")


@pytest.mark.parametrize(
    "value", ["ends with \\", "it\\'s", "a\\\\b", "it's", "\\", "'", "a\\nb", 'say "hi"']
)
def test_slice_values_round_trip_through_the_expression(value):
    s = Slice(Condition("c", "=", value), Condition("d", "in", (value, "x")))
    assert Slice.of(s.expression) == s


def test_deeply_nested_filters_get_a_clear_error():
    deep = "(" * 3000 + "a = 1" + ")" * 3000
    with pytest.raises(FilterError, match=r"nests .* more than 100 levels"):
        parse(deep)
    with pytest.raises(FilterError, match="more than 100 levels"):
        parse("NOT " * 3000 + "a = 1")
    assert parse("(" * 50 + "a = 1" + ")" * 50) == parse("a = 1")


def test_deeply_nested_otlp_attributes_get_a_clear_error(tmp_path):
    from diaglab.otel import read_otlp_json

    def doc(depth: int) -> str:
        # written as text: json.dumps itself stops near 1,000 levels
        value = '{"stringValue": "leaf"}'
        open_, close = '{"kvlistValue": {"values": [{"key": "k", "value": ', "}]}}"
        attrs = f'[{{"key": "deep", "value": {open_ * depth}{value}{close * depth}}}]'
        span = (
            f'{{"traceId": "{"0" * 31}1", "spanId": "{"0" * 15}1", "name": "s", '
            f'"startTimeUnixNano": "1", "endTimeUnixNano": "2", "attributes": {attrs}}}'
        )
        return f'{{"resourceSpans": [{{"scopeSpans": [{{"spans": [{span}]}}]}}]}}'

    for depth in (100, 2000):
        f = tmp_path / f"d{depth}.json"
        f.write_text(doc(depth))
        with pytest.raises(InputError, match="nest"):
            list(read_otlp_json(f))
    f = tmp_path / "ok.json"
    f.write_text(doc(10))
    assert json.loads(doc(10))
    assert sum(t.num_rows for t in read_otlp_json(f)) == 1


def test_slice_metrics_on_an_empty_selection_says_why(logged):
    store, _, _ = logged
    out_result = dl.slice_metrics(store, "credit", by="region", where="age > 1000")
    out = out_result.table
    assert len(out) == 0 and out_result.n == 0
    assert "no predictions in this selection" in out_result.empty_reason
    assert str(dl.Slice.of("age > 1000")) in out_result.empty_reason  # the slice, as shown
