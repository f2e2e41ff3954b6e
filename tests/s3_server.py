"""An S3-compatible server on 127.0.0.1 for the object-storage tests and bench (moto's server
mode), with IAM checks on, and a TCP proxy in front of it that can cut every connection."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

# The unauthenticated requests moto allows before it checks credentials: the IAM calls below.
_SETUP_ACTIONS = 6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(
    port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0, name: str = "moto server"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not listen on 127.0.0.1:{port} within {timeout} s")


def stop(proc: subprocess.Popen[bytes], proxy: Proxy | None, *, wait: float) -> None:
    """Close the proxy, then end the server: asked first, killed after ``wait`` seconds."""
    if proxy is not None:
        proxy.close()
    proc.terminate()
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class S3Server:
    endpoint: str  # the proxy's, which clients use
    direct: str  # the server's own
    writer: tuple[str, str]  # access key, secret of a user that may do everything
    reader: tuple[str, str]  # of a user that may only read
    proxy: Proxy

    def env(self, creds: tuple[str, str] | None = None) -> dict[str, str]:
        key, secret = creds or self.writer
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(self, creds: tuple[str, str] | None = None) -> object:
        import boto3

        key, secret = creds or self.writer
        return boto3.client(
            "s3",
            endpoint_url=self.direct,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            region_name="us-east-1",
        )

    def make_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)  # type: ignore[attr-defined]


class Proxy:
    """Forwards 127.0.0.1:<port> to the server; :meth:`cut` drops every open connection and
    refuses new ones until :meth:`restore`."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = int(self.sock.getsockname()[1])
        self.down = threading.Event()
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.dropped = 0  # connections open when cut
        self.refused = 0  # connections tried while down
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if self.down.is_set():
                self.refused += 1
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            with self.lock:
                self.open.discard(src)
                self.open.discard(dst)

    def cut(self) -> None:
        self.down.set()
        with self.lock:
            self.dropped += len(self.open)
            for s in list(self.open):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self.down.clear()

    def close(self) -> None:
        self.sock.close()


@contextlib.contextmanager
def s3_server() -> Iterator[S3Server]:
    """A moto server with a writer and a read-only IAM user, behind a proxy; stopped on exit."""
    import boto3

    port = free_port()
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(_SETUP_ACTIONS))
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proxy = None
    try:
        _wait_port(port, proc)
        direct = f"http://127.0.0.1:{port}"
        iam = boto3.client(
            "iam",
            endpoint_url=direct,
            aws_access_key_id="setup",
            aws_secret_access_key="setup",
            region_name="us-east-1",
        )

        def user(name: str, actions: list[str]) -> tuple[str, str]:
            iam.create_user(UserName=name)
            k = iam.create_access_key(UserName=name)["AccessKey"]
            policy = {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
            }
            iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
            return str(k["AccessKeyId"]), str(k["SecretAccessKey"])

        writer = user("writer", ["*"])
        reader = user("reader", ["s3:Get*", "s3:List*", "s3:Head*"])
        proxy = Proxy(port)
        yield S3Server(f"http://127.0.0.1:{proxy.port}", direct, writer, reader, proxy)
    finally:
        stop(proc, proxy, wait=10)
