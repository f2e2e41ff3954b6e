"""Real-browser harness: JupyterLab on loopback, driven by Playwright in Debian's headless Chromium.

Every explorer's UI test uses these fixtures (see /work/shared/recipes/jupyterlab-browser-tests.md):

- ``lab`` (session): a JupyterLab server on 127.0.0.1 with a token, whose root is a temporary
  folder holding a copy of ``notebooks/`` and of the sample store (``sample_data/credit``);
  ``DIAGLAB_STORE`` points the kernels at that copy. ``lab.open(page, "notebooks/x.ipynb")`` opens
  a notebook once the app and its kernel are ready; ``lab.run_all(page)`` runs every cell.
- ``page``: a fresh tab in one browser context per session. Every request that does not go to
  127.0.0.1/localhost is blocked, and the test fails if one was attempted (the widgets must work
  offline). Browser console errors are written to ``test-artifacts/ui/<test>.console.log``.
- ``artifacts``: ``test-artifacts/ui/`` (git-ignored) for screenshots.

``jupyter_server`` starts JupyterLab and Notebook 7 alike (and ``bench/browser.py``'s servers);
``chromium_context`` is the guarded browser the ``page`` fixture and the benchmark use.

Tests here are marked ``ui`` and skipped only when no chromium binary exists (``make test`` installs
Debian's; never ``playwright install``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).parents[2]
HERE = Path(__file__).parent
ARTIFACTS = ROOT / "test-artifacts" / "ui"
SAMPLE = ROOT / "sample_data" / "credit"
CHROMIUM = os.environ.get("DIAGLAB_CHROMIUM") or shutil.which("chromium")
TOKEN = "diaglab-ui-test"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# The news toast covers screenshots; the windowed notebook (JupyterLab 4) renders off-screen cells
# lazily, which makes widget outputs below the fold appear late or not at all.
PAGE_CONFIG = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
USER_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}

# Uncaught errors thrown by the host application's own code, not by diaglab or its widgets:
# (message, the host bundle the stack starts in). Notebook 7.x's core throws this one while it
# loads its settings, on every page, with or without diaglab.
HOST_ERRORS = [
    ("Cannot read properties of undefined (reading 'schema')", "/static/notebook/notebook_core."),
]
# JupyterLab's kernel client rejects the futures of requests still pending when a page closes
# its kernel (a subshell or debugger request at teardown); the message names the request.
HOST_REJECTIONS = ("Error: Canceled future for ", "Canceled future for ")

OPEN_JS = """async () => {
    const app = window.jupyterapp; await app.started; await app.restored;
    if (!app.shell.leftCollapsed) { await app.commands.execute('application:toggle-left-area'); }
    let nb = null;
    for (let i = 0; i < 600 && !nb; i++) {
        const w = app.shell.currentWidget; nb = w && w.sessionContext ? w : null;
        if (!nb) await new Promise(r => setTimeout(r, 100));
    }
    if (!nb) throw new Error('no notebook opened');
    await nb.context.ready; await nb.sessionContext.ready;
}"""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="no chromium binary (make browser installs Debian's)")
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.ui)
            if CHROMIUM is None:
                item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Lab:
    """A running JupyterLab: its URL, token and root folder."""

    url: str
    root: Path
    log: Path
    token: str = TOKEN

    def open(self, page: Any, path: str) -> None:
        """Open the notebook at ``path`` (relative to the root) and wait for its kernel."""
        page.goto(f"{self.url}/lab/tree/{path}?reset&token={self.token}")
        page.wait_for_function("window.jupyterapp !== undefined", timeout=90_000)
        page.evaluate(OPEN_JS)

    def run_all(self, page: Any) -> None:
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

    def run_notebook(self, page: Any, path: str, widget: str, *, timeout: int = 180_000) -> Any:
        """Open ``path``, run every cell, and return the explorer ``widget`` (a CSS selector)
        once it is attached, scrolled into view."""
        self.open(page, path)
        self.run_all(page)
        explorer = page.locator(widget)
        explorer.wait_for(state="attached", timeout=timeout)
        explorer.scroll_into_view_if_needed()
        return explorer


@dataclass
class Guard:
    """Requests that tried to leave the machine."""

    blocked: list[str] = field(default_factory=list)


def _sample_store(tmp: Path) -> Path:
    if (SAMPLE / "segments").is_dir():
        return SAMPLE
    built = tmp / "built-sample"
    subprocess.run(
        [sys.executable, "-m", "diaglab.sample", str(built), "--rows", "20000", "--quiet"],
        check=True,
    )
    return built


def notebook_root(tmp: pytest.TempPathFactory, prefix: str) -> Path:
    """A server root holding a copy of ``notebooks/`` and of the sample store at
    ``sample_data/credit``."""
    root = tmp.mktemp(f"{prefix}-root")
    shutil.copytree(
        ROOT / "notebooks",
        root / "notebooks",
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "out"),
    )
    source = _sample_store(tmp.mktemp(f"{prefix}-sample"))
    shutil.copytree(
        source, root / "sample_data" / "credit", ignore=shutil.ignore_patterns(".tmp", "*.wal")
    )
    return root


@contextlib.contextmanager
def jupyter_server(
    app: str,
    root: Path,
    work: Path,
    *,
    log_path: Path,
    args: list[str],
    settings: dict[str, Any] | None = None,
    store: Path | None = None,
) -> Iterator[str]:
    """``python -m <app>`` (jupyterlab or notebook) on loopback with :data:`TOKEN`, serving
    ``root``, with its own config (no news toast), runtime, settings and workspaces folders in
    ``work`` (an empty folder) and ``DIAGLAB_STORE`` set to ``store`` (default
    ``root/sample_data/credit``). Yields its URL once it answers; stops it by its PID (which
    shuts its kernels down). The benchmarks (``bench/browser.py``) start their servers here too."""
    config, settings_dir, runtime, workspaces = (
        work / d for d in ("config", "settings", "runtime", "workspaces")
    )
    for d in (config / "labconfig", settings_dir, runtime, workspaces):
        d.mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(json.dumps(PAGE_CONFIG))
    for name, values in (settings or {}).items():
        target = settings_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTERLAB_SETTINGS_DIR=str(settings_dir),
        JUPYTERLAB_WORKSPACES_DIR=str(workspaces),
        DIAGLAB_STORE=str(store or root / "sample_data" / "credit"),
    )
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                app,
                "--no-browser",
                "--allow-root",
                f"--port={port}",
                "--ServerApp.port_retries=0",
                "--ServerApp.ip=127.0.0.1",
                f"--IdentityProvider.token={TOKEN}",
                f"--ServerApp.root_dir={root}",
                *args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(log_path.read_text()[-3000:]) from None
                    time.sleep(0.2)
            yield url
        finally:
            proc.terminate()  # by its PID; the server shuts its kernels down
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


LAB_ARGS = [
    "--LabApp.expose_app_in_browser=True",
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
]


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = notebook_root(tmp_path_factory, "lab")
    log_path = root / "server.log"
    with jupyter_server(
        "jupyterlab",
        root,
        tmp_path_factory.mktemp("lab-server"),
        log_path=log_path,
        args=LAB_ARGS,
        settings=USER_SETTINGS,
    ) as url:
        yield Lab(url=url, root=root, log=log_path)


@pytest.fixture(scope="session")
def guard() -> Guard:
    return Guard()


@pytest.fixture(scope="session")
def browser_context(guard: Guard) -> Iterator[Any]:
    with chromium_context(guard) as context:
        yield context


@contextlib.contextmanager
def chromium_context(guard: Guard) -> Iterator[Any]:
    """Debian's headless Chromium under Playwright, in a fresh profile, with every request that
    leaves loopback aborted and noted in ``guard``."""
    from playwright.sync_api import Route, sync_playwright

    def route(r: Route) -> None:
        host = urlparse(r.request.url).hostname or ""
        if r.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            r.continue_()
        else:
            guard.blocked.append(r.request.url)
            r.abort("internetdisconnected")

    profile = tempfile.mkdtemp(prefix="diaglab-chromium-")  # a fresh user-data-dir per session
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=FLAGS,
                viewport={"width": 1400, "height": 1000},
            )
            context.route("**/*", route)
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page(
    browser_context: Any, guard: Guard, artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[Any]:
    page = browser_context.new_page()
    console: list[str] = []
    uncaught: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))

    def on_page_error(e: Any) -> None:
        stack = str(getattr(e, "stack", "") or "")
        console.append(f"pageerror: {e}\n{stack}")
        if any(str(e) == text and origin in stack for text, origin in HOST_ERRORS):
            return
        if str(e).startswith(HOST_REJECTIONS) and "diaglab" not in stack:
            return
        uncaught.append(str(e))

    page.on("pageerror", on_page_error)
    page.set_default_timeout(60_000)
    before = len(guard.blocked)
    try:
        yield page
    finally:
        (artifacts / f"{request.node.name}.console.log").write_text("\n".join(console))
        page.close()
    leaked = guard.blocked[before:]
    assert not leaked, f"requests that tried to leave the machine: {leaked}"
    # an uncaught error in the page (e.g. a chart's 'Unrecognized signal name') fails the test
    assert not uncaught, f"uncaught errors in the page: {uncaught}"


# Notebook 7 has no left area to fold; otherwise as OPEN_JS.
NB7_OPEN_JS = OPEN_JS.replace(
    "if (!app.shell.leftCollapsed) { await app.commands.execute('application:toggle-left-area'); }",
    "",
)


@dataclass
class Notebook7:
    """A running Notebook 7 server (same extensions as JupyterLab) on ``root``."""

    url: str
    root: Path
    log: Path
    token: str = TOKEN

    def open(self, page: Any, path: str) -> None:
        """Open the notebook at ``path`` in Notebook 7's single-document UI; wait for its kernel."""
        page.goto(f"{self.url}/notebooks/{path}?token={self.token}")
        page.wait_for_function("window.jupyterapp !== undefined", timeout=90_000)
        page.evaluate(NB7_OPEN_JS)


@pytest.fixture(scope="session")
def notebook7(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Notebook7]:
    """``jupyter notebook`` (7) on loopback with a token, root in a temporary folder holding
    copies of ``notebooks/`` and of the sample store (``DIAGLAB_STORE`` points at it)."""
    root = notebook_root(tmp_path_factory, "nb7")
    log_path = root.parent / f"{root.name}-server.log"
    with jupyter_server(
        "notebook",
        root,
        tmp_path_factory.mktemp("nb7-server"),
        log_path=log_path,
        args=["--JupyterNotebookApp.expose_app_in_browser=True"],
    ) as url:
        yield Notebook7(url=url, root=root, log=log_path)
