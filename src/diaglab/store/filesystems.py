"""Which filesystem a store's URL names, with every request bounded, and what to tell the user
about its scheme when a request fails.

- ``s3://`` (and ``s3a://``): pyarrow's S3 client, endpoint from ``AWS_ENDPOINT_URL``.
- ``gs://`` (``gcs://``): fsspec's gcsfs, endpoint from ``STORAGE_EMULATOR_HOST``, credentials
  from Google's default chain (``GOOGLE_APPLICATION_CREDENTIALS``, gcloud, the metadata server).
  diaglab uses gcsfs's plain ``GCSFileSystem``: the experimental class gcsfs picks by default
  asks a gRPC control API for each bucket's layout first, which waits 60 s per call wherever that
  API is missing (emulators, private endpoints); diaglab writes whole objects and never renames,
  so a bucket's layout changes nothing for it.
- ``abfs://``, ``abfss://``, ``az://``: fsspec's adlfs, credentials from
  ``AZURE_STORAGE_CONNECTION_STRING``, ``AZURE_STORAGE_ACCOUNT_NAME`` with
  ``AZURE_STORAGE_ACCOUNT_KEY`` or ``AZURE_STORAGE_SAS_TOKEN``, else Azure's default chain.
- any other scheme: pyarrow's own filesystem for it, else fsspec's.

fsspec filesystems are reached through :class:`GuardedHandler`, which turns each library error
into an ``OSError`` carrying the library's words, so one mapping
(:meth:`diaglab.store.object_store.ObjectStore.error`) reads them all.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
from pyarrow.fs import FSSpecHandler, PyFileSystem

from diaglab.errors import InputError, StorageError

# Bounds on every request, so a dead endpoint is an error within seconds, never a hang: a
# connection is given CONNECT_TIMEOUT, a request REQUEST_TIMEOUT, and a failed request is tried
# MAX_ATTEMPTS times in all (S3 and Azure; gcsfs always tries 6 times, with about 35 s of
# back-off in all). storage_options may override each.
CONNECT_TIMEOUT = 5.0
REQUEST_TIMEOUT = 30.0
MAX_ATTEMPTS = 4
_URL = re.compile(r"^([a-z][a-z0-9+.-]*)://(.*)$")


@dataclass(frozen=True)
class Backend:
    """What a failed request's error says about one kind of object storage."""

    scheme: str
    endpoint_hint: str
    credentials_hint: str
    grant_hint: str
    create_hint: str
    has_buckets: bool = True


_S3 = Backend(
    "s3",
    "AWS_ENDPOINT_URL or storage_options={'endpoint_url': ...}",
    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the instance role",
    "grant s3:PutObject on {base}/*",
    "aws s3 mb s3://{bucket}",
)
_GCS = Backend(
    "gs",
    "STORAGE_EMULATOR_HOST or storage_options={'endpoint_url': ...}",
    "GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login` or the "
    "instance's service account",
    "grant roles/storage.objectUser on the bucket",
    "gcloud storage buckets create gs://{bucket}",
)
_AZURE = Backend(
    "abfs",
    "the BlobEndpoint of AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT_NAME or "
    "storage_options={'account_host': ...}",
    "AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT_NAME with AZURE_STORAGE_ACCOUNT_KEY "
    "or AZURE_STORAGE_SAS_TOKEN, or Azure's default chain (az login, managed identity)",
    "use a key or a SAS with write (w), create (c) and delete (d) permissions, or grant the "
    "Storage Blob Data Contributor role",
    "az storage container create --name {bucket}",
)
_OTHER = Backend("", "storage_options", "the filesystem's own settings", "allow writes", "")


@dataclass(frozen=True)
class Opened:
    """A store URL's filesystem: the path of the store in it, the endpoint requests go to, and
    the backend whose hints errors give."""

    fs: pafs.FileSystem
    base: str
    endpoint: str
    backend: Backend


def filesystem(url: str, storage_options: Mapping[str, Any] | None) -> Opened:
    """The filesystem for ``url``, with diaglab's bounds on each request (module text).

    Raises
    ------
    InputError
        ``url`` is no URL, names no bucket, or no installed package serves its scheme.
    """
    m = _URL.match(url)
    if m is None:
        raise InputError(f"{url!r} is not a URL such as s3://bucket/prefix")
    scheme, rest = m.group(1), m.group(2).strip("/")
    opts = dict(storage_options or {})
    if not rest:
        raise InputError(f"{url} names no bucket: use {scheme}://bucket/prefix")
    if scheme in ("s3", "s3a"):
        return _s3(url, rest, opts)
    if scheme in ("gs", "gcs"):
        return _gcs(url, opts)
    if scheme in ("abfs", "abfss", "az"):
        return _azure(url, opts)
    if not opts:
        with contextlib.suppress(pa.ArrowInvalid, OSError, ValueError):
            fs, path = pafs.FileSystem.from_uri(url)
            return Opened(fs, path.rstrip("/"), scheme, _OTHER)
    try:
        import fsspec

        spec = fsspec.filesystem(scheme, **opts)
    except (ImportError, ValueError, TypeError) as exc:
        raise InputError(
            f"no filesystem for {url}: pyarrow does not know {scheme}:// and fsspec cannot make "
            f"one ({exc}); install the fsspec package for it (e.g. gcsfs, adlfs)"
        ) from exc
    return Opened(_wrap(spec), _path(spec, url), scheme, _OTHER)


def _s3(url: str, rest: str, opts: dict[str, Any]) -> Opened:
    endpoint = str(
        opts.pop("endpoint_url", None)
        or os.environ.get("AWS_ENDPOINT_URL_S3")
        or os.environ.get("AWS_ENDPOINT_URL")
        or ""
    )
    kwargs: dict[str, Any] = {
        "connect_timeout": float(opts.pop("connect_timeout", CONNECT_TIMEOUT)),
        "request_timeout": float(opts.pop("request_timeout", REQUEST_TIMEOUT)),
        "retry_strategy": pafs.AwsStandardS3RetryStrategy(
            max_attempts=int(opts.pop("max_attempts", MAX_ATTEMPTS))
        ),
    }
    if endpoint:
        em = _URL.match(endpoint)
        kwargs["scheme"], kwargs["endpoint_override"] = (
            (em.group(1), em.group(2).rstrip("/")) if em else ("https", endpoint)
        )
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        kwargs["region"] = region
    kwargs.update(opts)
    try:
        return Opened(pafs.S3FileSystem(**kwargs), rest, endpoint or "aws", _S3)
    except (TypeError, ValueError) as exc:
        raise InputError(f"storage_options for {url} are not valid: {exc}") from exc


def _gcs(url: str, opts: dict[str, Any]) -> Opened:
    try:
        from gcsfs.core import GCSFileSystem
    except ImportError as exc:
        raise InputError(f"{url} needs gcsfs: pip install gcsfs (or 'diaglab[cloud]')") from exc
    endpoint = str(
        opts.pop("endpoint_url", None)
        or os.environ.get("STORAGE_EMULATOR_HOST")
        or "https://storage.googleapis.com"
    )
    if "://" not in endpoint:
        endpoint = f"http://{endpoint}"
    connect = float(opts.pop("connect_timeout", CONNECT_TIMEOUT))
    request = float(opts.pop("request_timeout", REQUEST_TIMEOUT))
    opts.pop("max_attempts", None)  # gcsfs's own, fixed
    if os.environ.get("STORAGE_EMULATOR_HOST") and "token" not in opts:
        opts["token"] = "anon"  # an emulator takes no credentials; asking Google's chain waits
    import aiohttp
    from google.auth.exceptions import GoogleAuthError

    try:
        spec = GCSFileSystem(
            endpoint_url=endpoint,
            requests_timeout=aiohttp.ClientTimeout(total=request, connect=connect),
            skip_instance_cache=True,
            **opts,
        )
    except (TypeError, ValueError, KeyError, OSError, GoogleAuthError) as exc:
        # (gcsfs reads a credentials file without the fields it expects as a KeyError)
        raise InputError(
            f"cannot use the credentials for {url} ({type(exc).__name__}: {exc}); check "
            f"{_GCS.credentials_hint}"
        ) from exc
    return Opened(_wrap(spec), _path(spec, url), endpoint, _GCS)


def _azure(url: str, opts: dict[str, Any]) -> Opened:
    try:
        from adlfs import AzureBlobFileSystem
        from azure.storage.blob.aio import ExponentialRetry
    except ImportError as exc:
        raise InputError(f"{url} needs adlfs: pip install adlfs (or 'diaglab[cloud]')") from exc
    attempts = int(opts.pop("max_attempts", MAX_ATTEMPTS))
    kwargs = {
        **AzureBlobFileSystem._get_kwargs_from_urls(url),
        "connection_timeout": int(opts.pop("connect_timeout", CONNECT_TIMEOUT)),
        "read_timeout": int(opts.pop("request_timeout", REQUEST_TIMEOUT)),
        "skip_instance_cache": True,
        **opts,
    }
    try:
        spec = AzureBlobFileSystem(**kwargs)
        client = spec.service_client
        # adlfs keeps the storage SDK's retries, 15 + 3^n s before the n-th. The same client
        # again, with diaglab's attempts and 1 + 2^n s.
        spec.service_client = type(client)(
            account_url=client.url,
            credential=client.credential,
            retry_policy=ExponentialRetry(
                initial_backoff=1,
                increment_base=2,
                retry_total=max(attempts - 1, 0),
                random_jitter_range=1,
            ),
            connection_timeout=kwargs["connection_timeout"],
            read_timeout=kwargs["read_timeout"],
        )
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"cannot use the credentials for {url} ({exc}); set {_AZURE.credentials_hint}"
        ) from exc
    endpoint = str(client.url).split("?", 1)[0].rstrip("/")
    return Opened(_wrap(spec), _path(spec, url), endpoint, _AZURE)


def _path(spec: Any, url: str) -> str:
    return str(spec._strip_protocol(url)).rstrip("/")


def _wrap(spec: Any) -> pafs.FileSystem:
    return PyFileSystem(GuardedHandler(spec))


def check_reachable(endpoint: str, where: str, backend: Backend) -> None:
    """Raise StorageError unless ``endpoint``'s host accepts a connection within
    CONNECT_TIMEOUT: a client whose own retries take longer (gcsfs's) fails at once at open."""
    parsed = urllib.parse.urlparse(endpoint)
    if not parsed.hostname:
        return
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        socket.create_connection((parsed.hostname, port), CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise StorageError(
            f"cannot reach the object store while opening {where} (endpoint {endpoint}; "
            f"connect timeout {CONNECT_TIMEOUT:g} s): {exc}. Check the endpoint "
            f"({backend.endpoint_hint}) and that the server is up"
        ) from exc


class GuardedHandler(FSSpecHandler):
    """fsspec's handler for pyarrow, with every library error an ``OSError`` (its text kept, the
    original as its cause) and each object's modification time wherever the library keeps it
    (adlfs: ``last_modified``), which compaction's leases and grace period read."""

    @staticmethod
    def _create_file_info(path: str, info: dict[str, Any]) -> pafs.FileInfo:
        found = FSSpecHandler._create_file_info(path, info)
        if found.mtime is None and found.type == pafs.FileType.File:
            mtime = info.get("last_modified") or info.get("LastModified") or info.get("updated")
            if mtime is not None:
                return pafs.FileInfo(path, found.type, size=found.size, mtime=mtime)
        return found

    def open_input_stream(self, path: str) -> Any:
        return pa.PythonFile(_GuardedFile(_call(self.fs.open, path, mode="rb")), mode="r")

    def open_input_file(self, path: str) -> Any:
        return self.open_input_stream(path)

    def open_output_stream(self, path: str, metadata: Any) -> Any:
        return pa.PythonFile(_GuardedFile(_call(self.fs.open, path, mode="wb")), mode="w")


def _as_os_error(exc: Exception) -> OSError:
    if isinstance(exc, OSError):
        return exc
    err = OSError(f"{type(exc).__name__}: {exc}")
    err.__cause__ = exc
    return err


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        raise _as_os_error(exc) from exc


def _guarded(name: str) -> Any:
    method = getattr(FSSpecHandler, name)

    def call(self: GuardedHandler, *args: Any) -> Any:
        return _call(method, self, *args)

    call.__name__ = name
    return call


for _name in (
    "get_file_info",
    "get_file_info_selector",
    "create_dir",
    "delete_dir",
    "delete_dir_contents",
    "delete_root_dir_contents",
    "delete_file",
    "move",
    "copy_file",
):
    setattr(GuardedHandler, _name, _guarded(_name))


class _GuardedFile:
    """A file of an fsspec filesystem whose library errors are OSErrors (the upload of a
    written object happens at its ``close``)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr
        return lambda *a, **k: _call(attr, *a, **k)
