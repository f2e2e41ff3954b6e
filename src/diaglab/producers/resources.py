"""What a model call costs: CPU time, wall time, memory and (with NVML) GPU, per call.

:class:`Probe` is read around each instrumented call (``dl.instrument``) and at each
``Logger.log``; the figures become the row's resource columns (:data:`RESOURCE_COLUMNS`), with
the row's id and timestamp:

- ``cpu_ms``: CPU time of the calling thread during the model call, divided among the call's
  rows (so a sum over rows is the CPU the calls took; work the model hands to other threads,
  e.g. BLAS or LightGBM's OpenMP pool, is not counted);
- ``wall_ms``: the call's wall time;
- ``rss_peak_mb`` and ``rss_peak_delta_mb``: the process's peak resident memory after the call,
  and how much the call raised it (0 when it stayed under an earlier peak);
- ``gpu_memory_mb`` and ``gpu_utilization`` (percent): device 0 as NVML last reported it, sampled
  at most once per :data:`GPU_SAMPLE_SECONDS` (an NVML query costs tens of microseconds); NULL
  without ``pynvml`` or a GPU, never an error;
- ``batch_rows`` and ``input_values``: the call's rows, and rows x columns of its input.

A plain ``Logger.log`` (no model call around it) records the memory, batch and input figures;
CPU and wall time need ``instrument``.
"""

from __future__ import annotations

import resource
import sys
import threading
import time
from typing import Any, NamedTuple

GPU_SAMPLE_SECONDS = 1.0
RESOURCE_COLUMNS = (
    "cpu_ms",
    "wall_ms",
    "rss_peak_mb",
    "rss_peak_delta_mb",
    "gpu_memory_mb",
    "gpu_utilization",
    "batch_rows",
    "input_values",
)
_RSS_PER_MB = 1024.0  # ru_maxrss units per MB: kilobytes on Linux


class Usage(NamedTuple):
    """One call's figures, in :data:`RESOURCE_COLUMNS` order; None where not measured.
    ``cpu_ms`` is the whole call's (a row stores its share)."""

    cpu_ms: float | None
    wall_ms: float | None
    rss_peak_mb: float
    rss_peak_delta_mb: float | None
    gpu_memory_mb: float | None
    gpu_utilization: float | None
    batch_rows: int
    input_values: int


class _Gpu:
    """NVML's device 0, sampled at most once per GPU_SAMPLE_SECONDS; absent without pynvml."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handle: Any = None
        self._tried = False
        self._at = 0.0
        self._last: tuple[float | None, float | None] = (None, None)

    def _open(self) -> Any:
        self._tried = True
        try:
            import pynvml

            pynvml.nvmlInit()
            self._handle = (pynvml, pynvml.nvmlDeviceGetHandleByIndex(0))
        except Exception:  # no pynvml, no driver, no device: no GPU columns
            self._handle = None
        return self._handle

    def sample(self) -> tuple[float | None, float | None]:
        now = time.monotonic()
        if self._tried and (self._handle is None or now - self._at < GPU_SAMPLE_SECONDS):
            return self._last
        with self._lock:
            if not self._tried:
                self._open()
            if self._handle is None:
                return self._last
            nvml, handle = self._handle
            try:
                memory = nvml.nvmlDeviceGetMemoryInfo(handle).used / 2**20
                utilization = float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
                self._last = (memory, utilization)
            except Exception:
                self._last = (None, None)
            self._at = now
            return self._last


GPU = _Gpu()


# The CPU figure is the calling thread's clock (exact). getrusage's CPU fields are tick-sampled
# and kept monotonic by scaling, so a delta over a few milliseconds can jump by ~1 ms (seen in CI:
# a 2 ms call read 3.08 ms); its ru_maxrss is the process's peak on Linux whichever "who" is asked,
# and RUSAGE_THREAD reads it cheapest. macOS has no RUSAGE_THREAD and counts ru_maxrss in bytes.
_WHO = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)
if sys.platform == "darwin":
    _RSS_PER_MB = 1024.0 * 1024.0


def _readings() -> tuple[float, int]:
    """(CPU seconds of the calling thread, the process's peak RSS in ru_maxrss units)."""
    return time.thread_time(), resource.getrusage(_WHO).ru_maxrss


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB."""
    return _readings()[1] / _RSS_PER_MB


class Probe(NamedTuple):
    """Readings before a call; :meth:`stop` turns them into the call's :class:`Usage`."""

    cpu_s: float
    wall_ns: int
    rss_units: int

    @classmethod
    def start(cls) -> Probe:
        cpu, rss = _readings()
        return cls(cpu, time.perf_counter_ns(), rss)

    def stop(self, rows: int, columns: int) -> Usage:
        wall = (time.perf_counter_ns() - self.wall_ns) / 1e6
        cpu, rss = _readings()
        gpu_memory, gpu_utilization = GPU.sample()
        return Usage(
            (cpu - self.cpu_s) * 1e3,
            wall,
            rss / _RSS_PER_MB,
            (rss - self.rss_units) / _RSS_PER_MB,
            gpu_memory,
            gpu_utilization,
            rows,
            rows * columns,
        )


def logged_usage(rows: int, columns: int) -> Usage:
    """What a plain ``Logger.log`` knows of a batch: memory, GPU, rows and input size."""
    gpu_memory, gpu_utilization = GPU.sample()
    return Usage(None, None, peak_rss_mb(), None, gpu_memory, gpu_utilization, rows, rows * columns)
