"""Google Cloud Storage and Azure Blob servers on 127.0.0.1 for tests/test_object_storage_cloud.py:
gcp-storage-emulator (PyPI, GCS's JSON API) and Azurite (npm, installed by `make emulators` into
tests/emulators/node_modules), each behind the same cutting proxy as the S3 server.

Each server is a :class:`CloudServer`: the environment that points gcsfs or adlfs at it (the
standard variables, nothing diaglab-specific), and a plain fsspec filesystem on its direct port
for what a test does behind diaglab's back (make a bucket, list or change objects)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from s3_server import Proxy, _wait_port, free_port, stop

AZURITE = Path(__file__).with_name("emulators") / "node_modules" / ".bin" / "azurite-blob"
# Azurite's one built-in account and its published development key (not a secret).
AZURE_ACCOUNT = "devstoreaccount1"
AZURE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


@dataclass
class CloudServer:
    scheme: str  # "gs" or "abfs"
    port: int  # the server's own
    proxy: Proxy
    env_for: Callable[[int, str], dict[str, str]]  # (port, key) -> environment

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.proxy.port}"

    def env(self, *, key: str = AZURE_KEY) -> dict[str, str]:
        """The standard variables for this server, through the proxy."""
        return self.env_for(self.proxy.port, key)

    def fs(self) -> Any:
        """A plain gcsfs/adlfs filesystem on the server's own port (no diaglab, no proxy)."""
        if self.scheme == "gs":
            from gcsfs.core import GCSFileSystem

            return GCSFileSystem(
                endpoint_url=f"http://127.0.0.1:{self.port}", token="anon", skip_instance_cache=True
            )
        from adlfs import AzureBlobFileSystem

        conn = _azure_env(self.port, AZURE_KEY)["AZURE_STORAGE_CONNECTION_STRING"]
        return AzureBlobFileSystem(connection_string=conn, skip_instance_cache=True)

    def make_bucket(self, name: str) -> None:
        self.fs().mkdir(name)

    def objects(self, bucket: str) -> list[str]:
        fs = self.fs()
        return sorted(p[len(bucket) + 1 :] for p in fs.find(bucket) if not p.endswith("/"))

    def read_only_env(self, bucket: str) -> dict[str, str]:
        """Credentials that may list and read ``bucket`` but not write (Azure: a SAS)."""
        from datetime import UTC, datetime, timedelta

        from azure.storage.blob import ContainerSasPermissions, generate_container_sas

        sas = generate_container_sas(
            AZURE_ACCOUNT,
            bucket,
            account_key=AZURE_KEY,
            permission=ContainerSasPermissions(read=True, list=True),
            expiry=datetime.now(UTC) + timedelta(hours=1),
        )
        blob = f"http://127.0.0.1:{self.proxy.port}/{AZURE_ACCOUNT}"
        return {
            "AZURE_STORAGE_CONNECTION_STRING": f"BlobEndpoint={blob};SharedAccessSignature={sas}"
        }


def _gcs_env(port: int, key: str) -> dict[str, str]:
    return {"STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{port}"}


def _azure_env(port: int, key: str) -> dict[str, str]:
    conn = (
        f"DefaultEndpointsProtocol=http;AccountName={AZURE_ACCOUNT};AccountKey={key};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{AZURE_ACCOUNT};"
    )
    return {"AZURE_STORAGE_CONNECTION_STRING": conn}


def _command(scheme: str, port: int) -> list[str]:
    if scheme == "gs":
        pytest.importorskip("gcsfs", reason="pip install 'diaglab[cloud]'")
        pytest.importorskip("gcp_storage_emulator", reason="pip install gcp-storage-emulator")
        server = ["-m", "gcp_storage_emulator", "start", "--in-memory"]
        return [sys.executable, *server, "--host", "127.0.0.1", "--port", str(port)]
    pytest.importorskip("adlfs", reason="pip install 'diaglab[cloud]'")
    if not AZURITE.exists() or shutil.which("node") is None:
        if os.environ.get("CI"):
            raise RuntimeError(f"{AZURITE} is missing: `make emulators` installs it")
        pytest.skip("Azurite is not installed: run `make emulators` (npm, Node.js)")
    # (its debug log and settings go to the working directory: see cloud_server)
    options = ["--inMemoryPersistence", "--silent", "--skipApiVersionCheck", "--loose"]
    return [str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(port), *options]


@contextlib.contextmanager
def cloud_server(scheme: str, data: Path) -> Iterator[CloudServer]:
    """The server for ``scheme`` on a free port of 127.0.0.1, behind a proxy; stopped on exit."""
    port = free_port()
    proc = subprocess.Popen(
        _command(scheme, port),
        cwd=data,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proxy = None
    try:
        _wait_port(port, proc, name=f"the {scheme} server")
        proxy = Proxy(port)
        yield CloudServer(scheme, port, proxy, _gcs_env if scheme == "gs" else _azure_env)
    finally:
        stop(proc, proxy, wait=3)  # (Azurite waits for idle connections to close)
