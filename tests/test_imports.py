"""What ``import diaglab`` costs a service, and that lazily loaded names behave like eager ones."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

HEAVY = ["duckdb", "ibis", "scipy", "sklearn", "shap", "lightgbm", "ipywidgets", "altair"]


def _modules_after(code: str) -> list[str]:
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout.splitlines()[-1])


def test_a_producer_imports_neither_pandas_nor_the_query_engine_nor_the_notebook_stack():
    loaded = _modules_after("import diaglab as dl\ndl.Logger, dl.instrument")
    assert [m for m in (*HEAVY, "pandas") if m in loaded] == []


_SERVICE = """
import json, sys
import numpy as np
import diaglab as dl

class Model:
    feature_names_in_ = np.array(["a", "b"])

    def predict(self, X):
        return np.atleast_2d(np.asarray(X, dtype=float)).sum(axis=1)

logger = dl.Logger(sys.argv[1], model="svc", flush_rows=10**6, flush_seconds=60)
ids = [logger.log({"x": float(i), "c": "k"}, 0.25 * i, latency_ms=1.0) for i in range(3)]
model = dl.instrument(Model(), logger)
model.predict(np.array([[1.0, 2.0], [3.0, 4.0]]))
ids += model.last_prediction_ids
model.predict([5, 6])
ids += model.last_prediction_ids
pandas_while_logging = "pandas" in sys.modules
logger.close()
print(json.dumps({"pandas_while_logging": pandas_while_logging, "ids": ids,
                  "written": logger.written}))
"""


def test_a_service_logs_dicts_and_arrays_without_pandas_until_its_writer_writes(tmp_path):
    import diaglab as dl

    path = tmp_path / "s"
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_SERVICE), str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    result = json.loads(out.stdout.splitlines()[-1])
    assert result["pandas_while_logging"] is False
    assert result["written"] == 6
    t = dl.open(path).table("svc").execute().set_index("prediction_id").loc[result["ids"]]
    assert t.x.tolist()[:3] == [0.0, 1.0, 2.0] and t.c.tolist()[:3] == ["k"] * 3
    assert t.a.tolist()[3:] == [1.0, 3.0, 5.0] and t.b.tolist()[3:] == [2.0, 4.0, 6.0]
    assert t.prediction.tolist() == [0.0, 0.25, 0.5, 3.0, 7.0, 11.0]
    assert t.latency_ms.notna().all()


_FORK_DURING_THE_FIRST_WRITE = """
import json, os, signal, sys, threading, time
import diaglab as dl
from diaglab.producers.flush import load_checks

logger = dl.Logger(sys.argv[1], model="svc", flush_seconds=60)
logger.log({"x": 1.0}, 0.5)
writer = threading.Thread(target=logger.flush)
writer.start()
while "pandas" not in sys.modules:  # the first write has begun importing pandas
    time.sleep(0.0005)
pid = os.fork()
if pid == 0:
    load_checks()  # what the child's first write imports
    os._exit(0)
writer.join()
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.05)
else:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    status = "hung"
logger.close()
print(json.dumps([status, logger.written]))
"""


def test_a_fork_during_the_writers_first_import_leaves_the_child_able_to_import(tmp_path):
    # without the lock the fork waits for, the child found pandas half imported and its
    # module lock held by the parent's writer thread: its first write hung forever
    out = subprocess.run(
        [sys.executable, "-c", _FORK_DURING_THE_FIRST_WRITE, str(tmp_path / "s")],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert json.loads(out.stdout.splitlines()[-1]) == [0, 1]


@pytest.mark.parametrize(
    "values",
    [
        np.array([[1.5, 2.0], [3.0, np.nan]]),
        np.array([[1, 2], [3, 4]], dtype=np.int32),
        np.array([[True, False]]),
        np.array([[1, 2]], dtype=np.uint8),
        np.array([[0.5, 1.0]], dtype=np.float16),
        np.array([["a", "b"], ["c", "d"]]),
        np.array([[1, "a"], [None, 2.5]], dtype=object),
        np.array([["2024-01-01", "2024-01-02"]], dtype="datetime64[ns]"),
        np.empty((2, 0)),
    ],
)
def test_an_array_is_logged_as_the_frame_pandas_would_build_of_it(values):
    import pandas as pd

    from diaglab.producers.buffer import Block, array_columns, frame_columns, labels

    names = [f"x{i}" for i in range(values.shape[1])]
    expected = frame_columns(pd.DataFrame(values, columns=names))
    got = array_columns(values, names)
    if got is None:  # dates: left to pandas, as before
        assert values.dtype.kind == "M"
        return
    assert type(got) is type(expected)
    if isinstance(got, Block):
        assert isinstance(expected, Block)
        assert labels(got.labels) == labels(expected.labels)
        assert got.values.dtype == expected.values.dtype
        np.testing.assert_array_equal(got.values, expected.values)
        assert not np.shares_memory(got.values, values)
    else:
        assert got == expected
        assert [[type(v) for v in col] for col in got.values()] == [
            [type(v) for v in col] for col in expected.values()
        ]


def test_instrument_names_a_wrong_input_shape():
    import diaglab as dl

    class Model:
        def predict(self, X):
            return X

    model = dl.instrument(Model(), dl.Logger.__new__(dl.Logger))
    with pytest.raises(dl.InputError, match=r"2-D.*\(2, 2, 2\)"):
        model.predict(np.zeros((2, 2, 2)))


def test_import_diaglab_alone_loads_only_the_errors():
    loaded = _modules_after("import diaglab")
    assert [m for m in (*HEAVY, "pandas", "pyarrow") if m in loaded] == []


def test_findings_stays_the_function_after_its_subpackage_loads():
    import diaglab as dl
    import diaglab.findings.capture  # loading the subpackage must not rebind dl.findings

    assert callable(dl.findings) and dl.findings.__module__ == "diaglab.findings"
    from diaglab import findings

    assert findings is dl.findings


def test_every_public_name_resolves_and_tab_completes():
    import diaglab as dl

    for name in dl.__all__:
        assert getattr(dl, name) is not None, name
    assert set(dl.__all__) <= set(dir(dl))
    assert "DriftExplorer" in dir(dl) and "otel" in dir(dl)
