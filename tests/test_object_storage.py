"""A store on object storage (``dl.open("s3://bucket/prefix")``) against a real S3-compatible
server on 127.0.0.1 (moto's server mode, with IAM checks on), through a proxy that can cut every
connection: several producer processes on "hosts" sharing no disk (each its own cache directory),
a reader, a producer killed mid-write, a dropped connection, and each kind of bad input."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import diaglab as dl
from diaglab.cli import main
from diaglab.errors import InputError, ReadOnlyStoreError, StorageError
from diaglab.store import faults, object_store

pytest.importorskip("moto")
from s3_server import Proxy, S3Server, free_port, s3_server

PRODUCER = Path(__file__).with_name("s3_producer.py")
SRC = Path(dl.__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


@pytest.fixture
def bucket(s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket; this process's credentials are the writer's, its cache under tmp_path."""
    name = f"b{secrets.token_hex(6)}"
    s3.make_bucket(name)
    host_env(monkeypatch, s3.env(), tmp_path)
    return name


def host_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tmp_path: Path) -> None:
    """This process as a host: ``env`` points it at the server, its cache under tmp_path."""
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(tmp_path / "reader-cache"))
    monkeypatch.setenv("DIAGLAB_AUDIT_KEY", "5e" * 16)


def _objects(s3: S3Server, bucket: str) -> list[str]:
    found = s3.client().list_objects_v2(Bucket=bucket)  # type: ignore[attr-defined]
    return sorted(o["Key"] for o in found.get("Contents", []))


def _producer(url: str, name: str, batch: int, tmp: Path, **env: str) -> tuple:
    """A producer process on its own "host": its own cache directory, nothing shared but S3.
    It logs until ``tmp/stop`` exists."""
    acked = tmp / f"{name}.acked"
    full_env = {
        **os.environ,
        "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "DIAGLAB_CACHE_DIR": str(tmp / f"host-{name}"),
        **env,
    }
    args = [url, name, str(batch), str(acked), str(tmp / "stop")]
    proc = subprocess.Popen(
        [sys.executable, str(PRODUCER), *args],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, acked


def _acked(path: Path) -> int:
    lines = path.read_text().split() if path.exists() else []
    return int(lines[-1]) if lines else 0


def _wait_acked(path: Path, rows: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while _acked(path) < rows and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert _acked(path) >= rows, f"{path.stem} acknowledged only {_acked(path)} rows"


def _ids(store: dl.Store) -> list[str]:
    t = store.table("m")
    return list(store.ibis.to_pyarrow(t.select("prediction_id")).column(0).to_pylist())


def run_fleet(url: str, proxy: Proxy, tmp_path: Path, *, steady: int, rows: int) -> int:
    """Producers on other hosts, a killed one and a dropped connection: ``steady`` producer
    processes, a victim killed mid-write once it logged ``rows`` rows and half as many after
    the cut, a producer killed between a segment and its record, and a reader while they write.
    Asserts that nothing is lost, nothing is stored twice and the store verifies; returns the
    connections the cut met."""
    dl.open(url).close()  # created once, before the fleet starts
    fleet = {f"p{k}": _producer(url, f"p{k}", 50, tmp_path) for k in range(steady)}
    victim, victim_acked = _producer(url, "victim", 50, tmp_path)
    # killed by SIGKILL right after a segment is stored and before its record is
    stillborn, _ = _producer(
        url, "stillborn", 50, tmp_path, DIAGLAB_FAULT_KILL_AT="segment-uploaded"
    )
    met = proxy.dropped + proxy.refused
    reader = dl.open(url)
    try:
        _wait_acked(victim_acked, rows, victim)
        reader.refresh()  # a reader while producers write
        seen_midway = len(_ids(reader))
        assert all(proc.poll() is None for proc, _ in fleet.values())
        proxy.cut()  # every open connection dropped, new ones refused, for 1.5 s
        time.sleep(1.5)
        proxy.restore()
        met = proxy.dropped + proxy.refused - met
        at_restore = {name: _acked(acked) for name, (_, acked) in fleet.items()}
        _wait_acked(victim_acked, _acked(victim_acked) + rows // 2, victim)
        victim.send_signal(signal.SIGKILL)  # mid-write: it logs and flushes without pause
        victim.wait(30)
        for name, (proc, acked) in fleet.items():
            _wait_acked(acked, at_restore[name] + rows // 2, proc)  # going again after the drop
        (tmp_path / "stop").touch()
        for proc, _ in fleet.values():
            _, err = proc.communicate(timeout=240)
            assert proc.returncode == 0, err
        assert stillborn.wait(30) == -signal.SIGKILL
        acked_victim = _acked(victim_acked)
        reader.refresh()
        ids = _ids(reader)
    finally:
        reader.close()
    fleet_ids = {f"{n}-{i}" for n, (_, acked) in fleet.items() for i in range(_acked(acked))}
    victim_ids = {i for i in ids if i.startswith("victim-")}
    assert seen_midway > 0
    assert len(ids) == len(set(ids)), "a row was stored twice"
    assert fleet_ids <= set(ids), f"{len(fleet_ids - set(ids))} rows lost"
    assert {f"victim-{i}" for i in range(acked_victim)} <= victim_ids
    assert set(ids) == fleet_ids | victim_ids  # nothing of the stillborn producer
    report = dl.open(url, read_only=True).verify()
    assert report.ok, str(report)
    assert report.streams == steady + 1  # the producers and the victim (not the stillborn)
    assert len(report.unpublished) >= 1  # the stillborn producer's segment
    return met


def test_producers_on_other_hosts_a_killed_one_and_a_dropped_connection_lose_nothing(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    run_fleet(f"s3://{bucket}/fleet", s3.proxy, tmp_path, steady=3, rows=300)
    # the drop cut connections in use and refused producers' writes while down
    assert s3.proxy.dropped > 0 and s3.proxy.refused > 0


def test_a_reader_on_another_host_sees_rows_labels_spans_and_schema(
    s3: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"s3://{bucket}/credit"
    proc, acked = _producer(url, "w", 100, tmp_path)
    _wait_acked(acked, 300, proc)
    (tmp_path / "stop").touch()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    rows = _acked(acked)
    store = dl.open(url)
    assert store.url == url and object_store.cache_root() in store.path.parents
    assert store.schema("m").categorical == ["c"]
    assert sorted(_ids(store)) == sorted(f"w-{i}" for i in range(rows))
    store.log_labels("m", ["w-1", "w-2"], [1.0, 0.0])
    key = (store.path / "sensitive.key").read_bytes().hex()
    span = {"trace_id": ["ab" * 16], "span_id": ["cd" * 8], "name": ["predict"]}
    store.log_spans({**span, "start_ns": [1], "end_ns": [2]})
    store.close()
    # another host: its own cache directory, the same URL
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(tmp_path / "second-host"))
    code = (
        f"import diaglab as dl; s = dl.open({url!r}, read_only=True); t = s.table('m');"
        "print(t.count().execute(), int(t.label.notnull().sum().execute()),"
        " s.spans().count().execute(), s.verify().ok,"
        " (s.path / 'sensitive.key').read_bytes().hex())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    # the same rows, labels, spans; and the same key for hashed columns, so hashes agree
    assert out.stdout.split() == [str(rows), "2", "1", "True", key]


def test_hosts_whose_schemas_conflict_lose_no_other_rows(
    s3: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"s3://{bucket}/conflict"
    with dl.open(url) as store:
        store.log("m", {"x": [1.0, 2.0], "y": [1.0, 1.0]}, [0.1, 0.2])
    # another host, which has not read the first one's schema, logs x as text
    code = (
        f"import diaglab as dl; s = dl.open({url!r}, refresh=False);"
        "s.log('m', {'x': ['a', 'b', 'c'], 'y': [1.0, 2.0, 3.0]}, [0.1, 0.2, 0.3])"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC), "DIAGLAB_CACHE_DIR": str(tmp_path / "other")}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(tmp_path / "third"))
    # a third host reads both
    reader = dl.open(url, read_only=True)
    damaged = reader.damaged_segments()
    assert len(damaged) == 1 and "'x'" in damaged[0].reason, damaged
    rows = 2 if "x" in reader.schema("m").numeric else 3
    assert reader.table("m").count().execute() == rows


def test_a_reader_cut_off_mid_refresh_gets_a_clear_error_then_every_row(
    s3: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"s3://{bucket}/drop"
    writer = dl.open(url)
    writer.log("m", {"x": [1.0]}, [0.5])
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(tmp_path / "reader-host"))
    quick = {"max_attempts": 2, "connect_timeout": 1, "request_timeout": 5}
    reader = dl.open(url, storage_options=quick)
    for i in range(20):
        writer.log("m", {"x": [float(i)]}, [0.5], prediction_ids=[f"late-{i}"])
    s3.proxy.cut()
    try:
        with pytest.raises(StorageError, match="cannot reach the object store") as err:
            reader.refresh()
        assert url in str(err.value)
    finally:
        s3.proxy.restore()
    reader.refresh()
    ids = _ids(reader)
    assert len(ids) == len(set(ids)) == 21
    assert reader.verify().ok


def test_a_record_whose_answer_was_lost_publishes_its_segment_once(
    s3: S3Server, bucket: str
) -> None:
    url = f"s3://{bucket}/retry"
    calls = []

    def lost_answer() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("connection reset after the record was stored")

    faults.hooks["record-written"] = lost_answer
    try:
        logger = dl.Logger(url, model="m", flush_rows=10)
        for i in range(10):
            logger.log({"x": float(i)}, 0.5, f"r-{i}")
        assert logger.drain(timeout=30) == 0
        logger.close()
    finally:
        faults.hooks.pop("record-written")
    assert len(calls) == 2  # the first answer lost, the record written again
    store = dl.open(url)
    assert sorted(_ids(store)) == sorted(f"r-{i}" for i in range(10))
    report = store.verify()
    assert report.ok and report.segments == 1, str(report)
    records = [k for k in _objects(s3, bucket) if k.endswith("0.json")]
    assert len(records) == 1


def test_a_segment_without_its_record_is_never_read(s3: S3Server, bucket: str) -> None:
    url = f"s3://{bucket}/orphan"
    store = dl.open(url)
    store.log("m", {"x": [1.0, 2.0]}, [0.1, 0.2])

    def die() -> None:
        raise OSError("the writer died here")

    faults.hooks["segment-uploaded"] = die
    try:
        with pytest.raises(OSError):
            store.log("m", {"x": [3.0]}, [0.3])
    finally:
        faults.hooks.pop("segment-uploaded")
    store.close()
    segments = [k for k in _objects(s3, bucket) if k.startswith("orphan/segments/")]
    assert len(segments) == 2  # the second is stored, but no record publishes it
    reader = dl.open(url, read_only=True)
    assert reader.table("m").count().execute() == 2
    report = reader.verify()
    assert report.ok and len(report.unpublished) == 1, str(report)


def test_verify_names_a_changed_segment_and_a_removed_record(s3: S3Server, bucket: str) -> None:
    url = f"s3://{bucket}/tamper"
    store = dl.open(url)
    for i in range(3):
        store.log("m", {"x": [float(i)]}, [0.5])
    assert main(["verify", url]) == 0
    assert main(["verify", str(store.path)]) == 0  # the mirror verifies the bucket
    client = s3.client()
    keys = _objects(s3, bucket)
    seg = next(k for k in keys if k.startswith("tamper/segments/"))
    body = client.get_object(Bucket=bucket, Key=seg)["Body"].read()  # type: ignore[attr-defined]
    client.put_object(Bucket=bucket, Key=seg, Body=body[:-1] + b"X")  # type: ignore[attr-defined]
    record = next(k for k in keys if k.endswith("000000000001.json"))
    client.delete_object(Bucket=bucket, Key=record)  # type: ignore[attr-defined]
    report = store.verify()
    kinds = {p.kind for p in report.problems}
    assert not report.ok
    assert "changed" in kinds and "reordered" in kinds, str(report)
    assert main(["verify", url]) == 1


def test_verify_catches_records_cut_from_the_end_of_a_chain(
    s3: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIAGLAB_AUDIT_KEY")  # a key file, beside which heads are logged
    monkeypatch.setenv("DIAGLAB_AUDIT_KEY_DIR", str(tmp_path / "keys"))
    url = f"s3://{bucket}/cut"
    store = dl.open(url)
    for i in range(3):
        store.log("m", {"x": [float(i)]}, [0.5])
    assert store.verify().ok
    client = s3.client()
    last = [k for k in _objects(s3, bucket) if k.endswith("000000000002.json")]
    record = json.loads(client.get_object(Bucket=bucket, Key=last[0])["Body"].read())  # type: ignore[attr-defined]
    segment = f"cut/segments/predictions/m/{record['segment']}"
    client.delete_object(Bucket=bucket, Key=last[0])  # type: ignore[attr-defined]
    client.delete_object(Bucket=bucket, Key=segment)  # type: ignore[attr-defined]
    report = store.verify()
    assert [p.kind for p in report.problems] == ["removed"], str(report)
    assert "cut from its end" in report.problems[0].detail


# -- bad input: a clear error at dl.open naming the URL, nothing written ----------------------


def test_an_unreachable_endpoint_is_a_clear_error(
    bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", dead)
    url = f"s3://{bucket}/x"
    with pytest.raises(StorageError, match="cannot reach the object store") as err:
        dl.open(url, storage_options={"max_attempts": 2, "connect_timeout": 1})
    assert url in str(err.value) and "AWS_ENDPOINT_URL" in str(err.value)


def test_wrong_credentials_are_a_clear_error(
    s3: S3Server, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    url = f"s3://{bucket}/x"
    with pytest.raises(ReadOnlyStoreError, match="access denied") as err:
        dl.open(url)
    assert url in str(err.value) and "AWS_ACCESS_KEY_ID" in str(err.value)
    assert _objects(s3, bucket) == []


def test_a_missing_bucket_is_a_clear_error(bucket: str) -> None:
    with pytest.raises(InputError, match="does not exist") as err:
        dl.open(f"s3://{bucket}-missing/x")
    assert f"s3://{bucket}-missing/x" in str(err.value) and "create it" in str(err.value)


def test_a_prefix_holding_something_else_is_refused(s3: S3Server, bucket: str) -> None:
    s3.client().put_object(Bucket=bucket, Key="data/sales.csv", Body=b"a,b\n")  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="not a diaglab store") as err:
        dl.open(f"s3://{bucket}/data")
    assert "sales.csv" in str(err.value)
    assert _objects(s3, bucket) == ["data/sales.csv"]


def test_a_read_only_bucket_refuses_a_writer_and_serves_a_reader(
    s3: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"s3://{bucket}/ro"
    with dl.open(url) as store:
        store.log("m", {"x": [1.0, 2.0, 3.0]}, [0.1, 0.2, 0.3])
    before = _objects(s3, bucket)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.reader[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.reader[1])
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(tmp_path / "read-only-host"))
    with pytest.raises(ReadOnlyStoreError, match="read_only=True") as err:
        dl.open(url)
    assert url in str(err.value)
    with pytest.raises(ReadOnlyStoreError):
        dl.open(f"s3://{bucket}/new-store")  # nothing half-created either
    reader = dl.open(url, read_only=True)
    assert reader.table("m").count().execute() == 3
    with pytest.raises(ReadOnlyStoreError, match="read_only"):
        reader.log("m", {"x": [4.0]}, [0.4])
    assert _objects(s3, bucket) == before


def test_a_read_only_store_never_writes_even_beside_a_writer_in_its_process(
    s3: S3Server, bucket: str
) -> None:
    url = f"s3://{bucket}/both"
    writer = dl.open(url)
    writer.log("m", {"x": [1.0]}, [0.5])
    before = _objects(s3, bucket)
    reader = dl.open(url, read_only=True)
    with pytest.raises(ReadOnlyStoreError, match="read_only"):
        reader.log("m", {"x": [2.0]}, [0.5])
    assert _objects(s3, bucket) == before


def test_a_read_only_open_of_an_empty_prefix_creates_nothing(s3: S3Server, bucket: str) -> None:
    with pytest.raises(InputError, match="no diaglab store"):
        dl.open(f"s3://{bucket}/empty", read_only=True)
    assert _objects(s3, bucket) == []


def test_storage_options_are_refused_for_a_local_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="storage_options"):
        dl.open(tmp_path / "local", storage_options={"endpoint_url": "http://x"})


def test_the_opentelemetry_exporter_writes_spans_to_object_storage(bucket: str) -> None:
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from diaglab.otel import StoreSpanExporter

    url = f"s3://{bucket}/traces"
    dl.open(url).close()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(StoreSpanExporter(url)))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("request"), tracer.start_as_current_span("predict"):
        pass
    provider.shutdown()
    store = dl.open(url)
    assert sorted(store.spans().name.execute()) == ["predict", "request"]
    assert store.verify().ok


def test_any_pyarrow_filesystem_holds_a_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same layout and chains through pyarrow's local filesystem (``file://``), which has
    folders to make, unlike a bucket."""
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(tmp_path / "host-a"))
    monkeypatch.setenv("DIAGLAB_AUDIT_KEY", "5e" * 16)
    url = f"file://{tmp_path}/shared/store"
    with dl.open(url) as store:
        store.log("m", {"x": [1.0, 2.0]}, [0.1, 0.2])
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(tmp_path / "host-b"))
    reader = dl.open(url, read_only=True)
    assert reader.table("m").count().execute() == 2
    assert reader.verify().ok
    assert (tmp_path / "shared" / "store" / "diaglab-store.json").is_file()


def test_an_unknown_scheme_names_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no filesystem for nosuch://bucket/x"):
        dl.open("nosuch://bucket/x")


@pytest.mark.spark
def test_spark_reads_a_store_on_object_storage(bucket: str) -> None:
    """Spark's s3a connector needs Hadoop jars from Maven: Spark reads the mirror's checked
    copies of the published segments (docs/storage.md)."""
    pyspark = pytest.importorskip("pyspark.sql", reason="pip install 'diaglab[spark]'")
    from diaglab.store.spark_session import default_session

    url = f"s3://{bucket}/spark"
    with dl.open(url) as store:
        store.log("m", {"x": [1.0, 2.0, 3.0]}, [0.1, 0.2, 0.3], prediction_ids=["a", "b", "c"])
    created = pyspark.SparkSession.getActiveSession() is None
    try:
        session = default_session()
    except InputError as exc:  # no Java 17+
        pytest.skip(str(exc))
    try:
        on_spark = dl.open(url, engine="spark")  # the session diaglab builds, or the active one
        assert sorted(on_spark.table("m").prediction_id.execute()) == ["a", "b", "c"]
    finally:
        if created:
            session.stop()
