"""A producer's process lifecycle: nothing acknowledged is lost at SIGTERM, at exit or across fork.

- **SIGTERM.** uvicorn (and gunicorn's uvicorn worker) shut down gracefully on SIGTERM and then
  raise it again with the default action, which kills the process without running ``atexit``.
  The first Logger or span exporter of a process therefore installs a SIGTERM handler (when
  created on the main thread) that drains every Logger and the OpenTelemetry tracer provider
  within :data:`DRAIN_SECONDS`, then chains to the handler it replaced: a Python handler is
  called (a server's graceful shutdown); the default action is restored and the signal raised
  again; an ignored signal stays ignored. The signal is never swallowed. When the replaced
  handler belongs to a server that would raise the signal again after its graceful shutdown (it
  records it in ``_captured_signals``, as uvicorn does), the raise is deferred to the end of
  interpreter exit, after the rows and spans logged during the graceful shutdown are written: the
  process still ends by SIGTERM.
- **Exit.** ``atexit`` (and a ``multiprocessing`` finalizer, for children that leave through
  ``os._exit``) closes every Logger.
- **Fork.** ``os.register_at_fork``: the child starts with an empty buffer (the parent writes
  what it had buffered, so nothing is written twice), new locks, a new id prefix and no writer
  thread; its first ``log`` starts one. A fork waits while a writer imports what checking a
  batch needs (:data:`IMPORTING`): a child forked mid-import would find pandas half imported and
  its import lock held by a thread the child does not have.
"""

from __future__ import annotations

import atexit
import gc
import logging
import multiprocessing.util
import os
import signal
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("diaglab")

# Seconds a SIGTERM waits for the buffers to drain before chaining (Kubernetes' default grace
# period is 30 s; the flush policy keeps about flush_seconds of traffic, written in well under 1 s).
DRAIN_SECONDS = 2.0
# Seconds interpreter exit keeps retrying rows that cannot be written (e.g. a full disk).
EXIT_SECONDS = 5.0


class Producer(Protocol):
    """What the lifecycle needs of a Logger."""

    def drain(self, *, timeout: float) -> int: ...

    def close(self, *, timeout: float | None = None) -> None: ...

    def _after_fork_in_child(self) -> None: ...

    def _before_fork(self) -> None: ...

    def _after_fork_in_parent(self) -> None: ...


_PRODUCERS: weakref.WeakSet[Any] = weakref.WeakSet()
_FLUSHERS: dict[str, Callable[[float], None]] = {}
_PREVIOUS: dict[int, Any] = {}
_DEFERRED: list[int] = []
# held by the writer that imports the batch checks (and pandas) first; a fork waits for it
IMPORTING = threading.RLock()
# the process whose SIGTERM handler is known to be installed (a forked child must check again:
# servers reset signal handlers in their workers)
_INSTALLED_IN: list[int] = [0]
# the process that asked an event loop's thread to install it
_REQUESTED_IN: list[int] = [0]


def installed() -> bool:
    """Whether this process's SIGTERM handler is installed (cheap: for the hot path)."""
    return _INSTALLED_IN[0] == os.getpid()


def register(producer: Producer) -> None:
    """Drain ``producer`` at SIGTERM, close it at exit, reset it in a forked child."""
    _PRODUCERS.add(producer)
    install_signal_handler()


def unregister(producer: Producer) -> None:
    _PRODUCERS.discard(producer)


def register_flusher(name: str, flush: Callable[[float], None]) -> None:
    """Call ``flush(timeout_seconds)`` at SIGTERM and exit (before the Loggers drain)."""
    _FLUSHERS[name] = flush
    install_signal_handler()


def install_signal_handler() -> bool:
    """Install the SIGTERM handler in this process if it is not installed; True when it is."""
    if threading.current_thread() is not threading.main_thread():
        return _install_from_event_loop()
    if signal.getsignal(signal.SIGTERM) is not _on_sigterm:
        try:
            _PREVIOUS[signal.SIGTERM] = signal.signal(signal.SIGTERM, _on_sigterm)
        except (ValueError, OSError):  # not the main interpreter, or no signals here
            return False
    _INSTALLED_IN[0] = os.getpid()
    return True


def _install_from_event_loop() -> bool:
    """From a thread an anyio event loop (Starlette, FastAPI) runs sync endpoints in: ask the
    loop's thread, the main thread, to install the handler, without waiting for it.

    Waiting could deadlock: the loop's thread may be blocked on a lock the calling thread holds
    (the application's, around its model) until the calling thread returns.
    """
    if "anyio" not in sys.modules or _REQUESTED_IN[0] == os.getpid():
        return False
    import anyio.from_thread

    token = getattr(getattr(anyio.from_thread, "threadlocals", None), "current_token", None)
    if token is None:  # not a worker thread of a running loop
        return False
    _REQUESTED_IN[0] = os.getpid()
    threading.Thread(
        target=_install_on_loop, args=(token,), name="diaglab-signal", daemon=True
    ).start()
    return False


def _install_on_loop(token: Any) -> None:
    import anyio.from_thread

    try:
        anyio.from_thread.run_sync(install_signal_handler, token=token)
    except Exception:  # the loop ended first: a later call asks again
        _REQUESTED_IN[0] = 0


def drain(timeout: float = DRAIN_SECONDS) -> int:
    """Flush the span providers and write every Logger's buffer; returns rows still pending."""
    for flush in list(_FLUSHERS.values()):
        try:
            flush(timeout)
        except Exception:
            log.exception("diaglab: flushing spans at shutdown failed")
    return sum(p.drain(timeout=timeout) for p in list(_PRODUCERS))


def _on_sigterm(sig: int, frame: Any) -> None:
    # Drain in a thread: the main thread may have been interrupted inside a Logger call that
    # holds its lock; the join's deadline bounds the wait whatever happens.
    worker = threading.Thread(target=drain, name="diaglab-drain", daemon=True)
    worker.start()
    worker.join(DRAIN_SECONDS + 0.5)
    previous = _PREVIOUS.get(sig, signal.SIG_DFL)
    if previous is signal.SIG_IGN:
        return
    if callable(previous):
        previous(sig, frame)
        _defer_reraise(previous, sig)
        return
    signal.signal(sig, signal.SIG_DFL)
    signal.raise_signal(sig)


def _defer_reraise(handler: Any, sig: int) -> None:
    """Move a server's planned re-raise of ``sig`` to the end of exit, after the last flush."""
    captured = getattr(getattr(handler, "__self__", None), "_captured_signals", None)
    if isinstance(captured, list) and sig in captured:
        captured.remove(sig)
        _DEFERRED.append(sig)


@atexit.register
def _at_exit() -> None:
    for flush in list(_FLUSHERS.values()):
        try:
            flush(EXIT_SECONDS)
        except Exception:
            log.exception("diaglab: flushing spans at exit failed")
    for producer in list(_PRODUCERS):
        try:
            producer.close(timeout=EXIT_SECONDS)
        except Exception as exc:
            log.error("diaglab: %s", exc)
    if _DEFERRED:
        sig = _DEFERRED.pop()
        _DEFERRED.clear()
        signal.signal(sig, signal.SIG_DFL)
        signal.raise_signal(sig)


class _ExitHook:
    """Registers the exit flush with multiprocessing, whose children end with ``os._exit``."""

    def register(self) -> None:
        multiprocessing.util.Finalize(None, _close_all, exitpriority=100)


def _close_all() -> None:
    for producer in list(_PRODUCERS):
        try:
            producer.close(timeout=EXIT_SECONDS)
        except Exception as exc:
            log.error("diaglab: %s", exc)


_HOOK = _ExitHook()
_HOOK.register()
# multiprocessing clears its finalizers in a new child, then runs these
multiprocessing.util.register_after_fork(_HOOK, _ExitHook.register)


_FROZE: list[bool] = []


def _before_fork() -> None:
    IMPORTING.acquire()
    producers = list(_PRODUCERS)
    for producer in producers:
        producer._before_fork()
    # A child that collects the parent's cyclic garbage runs finalizers of objects (engine
    # connections, pyarrow buffers) whose owning threads did not survive the fork; seen as a
    # rare segfault in a forked Logger's child. Frozen objects are never collected there.
    if producers and gc.get_freeze_count() == 0:
        gc.freeze()
        _FROZE.append(True)


def _after_fork_in_parent() -> None:
    IMPORTING.release()
    if _FROZE:
        _FROZE.clear()
        gc.unfreeze()
    for producer in list(_PRODUCERS):
        producer._after_fork_in_parent()


def _after_fork_in_child() -> None:
    IMPORTING.release()
    _FROZE.clear()
    _DEFERRED.clear()
    for producer in list(_PRODUCERS):
        producer._after_fork_in_child()


os.register_at_fork(
    before=_before_fork,
    after_in_parent=_after_fork_in_parent,
    after_in_child=_after_fork_in_child,
)
