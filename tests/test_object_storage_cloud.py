"""``dl.open("gs://…")`` and ``dl.open("abfs://…")`` against real servers on 127.0.0.1
(tests/cloud_servers.py: gcp-storage-emulator and Azurite, behind the cutting proxy), with the
behaviours tests/test_object_storage.py and tests/test_compaction_s3.py prove for S3: producer
processes on hosts sharing no disk, a reader, a killed producer and a dropped connection; compaction
and its lease; verify; and each kind of bad input, as a clear error at ``dl.open``.

What the servers cannot show: gcp-storage-emulator checks no credentials and has no permissions,
so for ``gs://`` "wrong credentials" is a credentials file gcsfs cannot use, and a read-only
bucket is tested on Azure (a read-and-list SAS) and S3 only."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

import diaglab as dl
from cloud_servers import AZURE_KEY, CloudServer, cloud_server
from diaglab.cli import main
from diaglab.errors import InputError, ReadOnlyStoreError, StorageError
from diaglab.store import object_store
from diaglab.store.compaction import compact, is_merged
from diaglab.store.remote_compaction import acquire
from s3_server import free_port
from test_compaction_s3 import ROWS, _log_segments, compaction_killed_at
from test_object_storage import _ids, host_env, run_fleet


@pytest.fixture(scope="module", params=["gs", "abfs"])
def cloud(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    with cloud_server(request.param, tmp_path_factory.mktemp(request.param)) as server:
        yield server


@pytest.fixture
def bucket(cloud: CloudServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket (container); this process's environment points at the server."""
    name = f"b{secrets.token_hex(6)}"
    cloud.make_bucket(name)
    host_env(monkeypatch, cloud.env(), tmp_path)
    return name


def test_producers_on_other_hosts_a_killed_one_and_a_dropped_connection_lose_nothing(
    cloud: CloudServer, bucket: str, tmp_path: Path
) -> None:
    met = run_fleet(f"{cloud.scheme}://{bucket}/fleet", cloud.proxy, tmp_path, steady=2, rows=200)
    # the cut met the producers' requests (gcp-storage-emulator keeps no connection open
    # between requests, so there it refuses them rather than dropping them)
    assert met > 0


def test_compaction_keeps_every_row_once_for_a_reader_on_another_host(
    cloud: CloudServer, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"{cloud.scheme}://{bucket}/merge"
    ids = sorted(_log_segments(url, 8))
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(tmp_path / "reader"))
    reader = dl.open(url, read_only=True)
    assert sorted(_ids(reader)) == ids
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(tmp_path / "compactor"))
    assert main(["compact", url, "--min-age", "0", "--grace", "0"]) == 0
    start = "merge/segments/predictions/m/"
    merged = [k[len(start) :] for k in cloud.objects(bucket) if k.startswith(start)]
    assert len(merged) == 1 and is_merged(merged[0][: -len(".parquet")]), merged
    reader.refresh()
    assert sorted(_ids(reader)) == ids
    assert reader.table("m").label.notnull().sum().execute() == 2 * ROWS
    assert reader.verify().ok
    assert main(["verify", url]) == 0


def test_a_compaction_killed_before_its_record_is_rolled_back(
    cloud: CloudServer, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The merged object stored, its record not: readers never see it, the next run deletes it
    and merges again (the other steps are tested on S3, tests/test_compaction_s3.py)."""
    url = f"{cloud.scheme}://{bucket}/kill"
    ids = sorted(_log_segments(url, 6))
    compaction_killed_at("segment-uploaded", url, tmp_path / "comp")
    _assert_fresh_reader_sees(url, ids, tmp_path / "after-kill", monkeypatch)
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(tmp_path / "comp"))
    report = compact(url, min_age=0, grace=0)
    assert report.rolled_back == 1 and not report.skipped, str(report)
    start = "kill/segments/predictions/m/"
    assert len([k for k in cloud.objects(bucket) if k.startswith(start)]) == 1
    _assert_fresh_reader_sees(url, ids, tmp_path / "after-rerun", monkeypatch)


def _assert_fresh_reader_sees(
    url: str, ids: list[str], cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader on a host that never saw the store sees each row and label once, and verifies."""
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(cache))
    reader = dl.open(url, read_only=True)
    assert sorted(_ids(reader)) == ids
    assert reader.table("m").label.notnull().sum().execute() == 2 * ROWS
    assert reader.verify().ok
    reader.close()


def test_a_lapsed_lease_is_taken_over_by_its_age(
    cloud: CloudServer, bucket: str, tmp_path: Path
) -> None:
    """A lease's age is its object's modification time, which adlfs keeps as ``last_modified``
    (pyarrow's fsspec handler read only ``mtime``, so an Azure lease never lapsed)."""
    url = f"{cloud.scheme}://{bucket}/lease"
    ids = sorted(_log_segments(url, 4))
    store = object_store.attach(url)
    held = acquire(store, "predictions", "m")
    assert not isinstance(held, str)
    leases = store.list_objects("compaction", "listing", recursive=True)
    assert [i.mtime is not None for i in leases if i.type.name == "File"] == [True]
    report = compact(url, min_age=0, grace=0, kinds=["predictions"])
    assert report.merged == 0 and "another compaction holds" in report.skipped[0], str(report)
    taken = acquire(store, "predictions", "m", ttl=0.0)  # the live process's lease, by its age
    assert not isinstance(taken, str)
    taken.release()
    report = compact(url, min_age=0, grace=0, kinds=["predictions"])
    assert report.merged == 1 and report.segments == 4, str(report)
    assert sorted(_ids(dl.open(url))) == ids


def test_verify_names_a_changed_segment(cloud: CloudServer, bucket: str) -> None:
    url = f"{cloud.scheme}://{bucket}/tamper"
    store = dl.open(url)
    for i in range(2):
        store.log("m", {"x": [float(i)]}, [0.5])
    assert store.verify().ok
    fs = cloud.fs()
    seg = next(k for k in cloud.objects(bucket) if k.startswith("tamper/segments/"))
    body = fs.cat(f"{bucket}/{seg}")
    fs.pipe(f"{bucket}/{seg}", body[:-1] + b"X")
    report = store.verify()
    assert not report.ok and "changed" in {p.kind for p in report.problems}, str(report)


def test_a_reader_cut_off_mid_refresh_tries_max_attempts_then_gets_every_row(
    cloud: CloudServer, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Azure's storage SDK waits 15 + 3^n s before its n-th retry unless told otherwise;
    diaglab's ``max_attempts`` bounds the tries. (gcsfs always tries 6 times, with about 35 s
    of back-off in all: docs/storage.md.)"""
    if cloud.scheme == "gs":
        pytest.skip("gcsfs's retries are its own (6 attempts); the cut is tested on abfs and s3")
    url = f"{cloud.scheme}://{bucket}/drop"
    writer = dl.open(url)
    writer.log("m", {"x": [1.0]}, [0.5])
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(tmp_path / "reader-host"))
    quick = {"max_attempts": 2, "connect_timeout": 1, "request_timeout": 5}
    reader = dl.open(url, storage_options=quick)
    for i in range(5):
        writer.log("m", {"x": [float(i)]}, [0.5], prediction_ids=[f"late-{i}"])
    refused = cloud.proxy.refused
    cloud.proxy.cut()
    try:
        with pytest.raises(StorageError, match="cannot reach the object store") as err:
            reader.refresh()
        assert url in str(err.value)
        tries = cloud.proxy.refused - refused
    finally:
        cloud.proxy.restore()
    # (the refresh's listing takes two requests here)
    assert quick["max_attempts"] <= tries <= 2 * quick["max_attempts"], tries
    reader.refresh()
    ids = _ids(reader)
    assert len(ids) == len(set(ids)) == 6
    assert reader.verify().ok


def test_credentials_given_in_storage_options_stay_out_of_the_mirror(
    cloud: CloudServer, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An Azure connection string carries the account key under a name that says neither key
    nor secret; it was written to the mirror's remote.json."""
    if cloud.scheme == "gs":
        options = {"endpoint_url": cloud.endpoint, "token": "anon"}
        monkeypatch.delenv("STORAGE_EMULATOR_HOST")
    else:
        options = {"connection_string": cloud.env()["AZURE_STORAGE_CONNECTION_STRING"]}
        monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING")
    url = f"{cloud.scheme}://{bucket}/opts"
    with dl.open(url, storage_options=options) as store:
        store.log("m", {"x": [1.0]}, [0.5])
        saved = (store.path / "remote.json").read_text()
    assert AZURE_KEY not in saved and "anon" not in saved, saved
    if cloud.scheme == "gs":
        assert cloud.endpoint in saved  # what is not secret is kept, to attach again


# -- bad input: a clear error at dl.open naming the URL, nothing written ----------------------


def test_an_unreachable_endpoint_is_a_clear_error(
    cloud: CloudServer, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = free_port()
    env = cloud.env_for(dead, AZURE_KEY)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    url = f"{cloud.scheme}://{bucket}/x"
    with pytest.raises(StorageError, match="cannot reach the object store") as err:
        dl.open(url)
    hint = "STORAGE_EMULATOR_HOST" if cloud.scheme == "gs" else "AZURE_STORAGE_CONNECTION_STRING"
    assert url in str(err.value) and f"127.0.0.1:{dead}" in str(err.value)
    assert hint in str(err.value)


def test_wrong_credentials_are_a_clear_error(
    cloud: CloudServer, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"{cloud.scheme}://{bucket}/x"
    if cloud.scheme == "gs":  # the emulator checks none: a credentials file gcsfs cannot use
        bad = tmp_path / "key.json"
        bad.write_text('{"type": "service_account", "client_email": "x"}')
        with pytest.raises(InputError, match="cannot use the credentials") as err:
            dl.open(url, storage_options={"token": str(bad)})
        assert "GOOGLE_APPLICATION_CREDENTIALS" in str(err.value)
    else:
        wrong = AZURE_KEY[:-8] + "AAAAAAA="
        for k, v in cloud.env(key=wrong).items():
            monkeypatch.setenv(k, v)
        with pytest.raises(ReadOnlyStoreError, match="access denied") as err:
            dl.open(url)
        assert "AZURE_STORAGE_ACCOUNT_KEY" in str(err.value)
    assert url in str(err.value)
    assert cloud.objects(bucket) == []


def test_a_missing_bucket_is_a_clear_error(cloud: CloudServer, bucket: str) -> None:
    url = f"{cloud.scheme}://{bucket}-missing/x"
    with pytest.raises(InputError, match="does not exist") as err:
        dl.open(url)
    assert url in str(err.value) and "create it" in str(err.value)


def test_a_prefix_holding_something_else_is_refused(cloud: CloudServer, bucket: str) -> None:
    cloud.fs().pipe(f"{bucket}/data/sales.csv", b"a,b\n")
    with pytest.raises(InputError, match="not a diaglab store") as err:
        dl.open(f"{cloud.scheme}://{bucket}/data")
    assert "sales.csv" in str(err.value)
    assert cloud.objects(bucket) == ["data/sales.csv"]


def test_a_read_only_container_refuses_a_writer_and_serves_a_reader(
    cloud: CloudServer, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if cloud.scheme == "gs":
        pytest.skip("gcp-storage-emulator has no permissions; read-only is tested on abfs and s3")
    url = f"{cloud.scheme}://{bucket}/ro"
    with dl.open(url) as store:
        store.log("m", {"x": [1.0, 2.0, 3.0]}, [0.1, 0.2, 0.3])
    before = cloud.objects(bucket)
    for k, v in cloud.read_only_env(bucket).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(tmp_path / "read-only-host"))
    with pytest.raises(ReadOnlyStoreError, match="read_only=True") as err:
        dl.open(url)
    assert url in str(err.value) and "SAS" in str(err.value)
    with pytest.raises(ReadOnlyStoreError):
        dl.open(f"{cloud.scheme}://{bucket}/new-store")  # nothing half-created either
    reader = dl.open(url, read_only=True)
    assert reader.table("m").count().execute() == 3
    assert reader.verify().ok
    assert cloud.objects(bucket) == before
