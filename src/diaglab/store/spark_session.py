"""The SparkSession ``dl.open(path, engine="spark")`` uses when it is given none.

The session already active in the process (a notebook's, a cluster job's) is used as it is. Without
one, :func:`default_session` builds a local session sized for this machine: Spark's defaults are
made for a cluster (200 shuffle partitions: 200 tasks per ``GROUP BY`` even over a few thousand
rows) and open a web UI on every interface. See docs/spark.md for pointing it at a cluster.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from diaglab.errors import InputError

JAVA_MIN = 17
DRIVER_MEMORY_GIB = (2, 8)
"""Bounds of the local session's driver memory: a quarter of the machine's, within these."""
INSTALL = "pip install 'diaglab[spark]'"


def local_settings(cores: int | None = None, *, memory: int | None = None) -> dict[str, str]:
    """The settings of the local session diaglab builds on a machine with ``cores`` cores.

    Parameters
    ----------
    cores : int, optional
        The cores Spark may use (default: ``os.cpu_count()``).
    memory : int, optional
        The machine's memory in bytes (default: the physical memory); the driver (the one JVM
        of a local session) gets a quarter of it, between 2 and 8 GiB.

    Returns
    -------
    dict
        Spark configuration keys and values (``spark.master`` included).
    """
    n = max(1, cores or os.cpu_count() or 1)
    return {
        "spark.master": f"local[{n}]",
        "spark.app.name": "diaglab",
        # Two shuffle partitions per core keeps every core busy when one task runs long; the
        # default 200 makes each GROUP BY 200 tasks of a few rows each.
        "spark.sql.shuffle.partitions": str(2 * n),
        "spark.default.parallelism": str(2 * n),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        # 10M cached predictions take ~1.1 GB of Spark's memory: with 2 GB of heap its storage
        # pool (~1.1 GB) is full and the JVM spent more time collecting garbage than computing.
        "spark.driver.memory": f"{driver_memory_gib(memory)}g",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.log.level": "ERROR",
    }


def driver_memory_gib(memory: int | None = None) -> int:
    """A quarter of ``memory`` bytes (default: this machine's physical memory) in whole GiB,
    within :data:`DRIVER_MEMORY_GIB`."""
    if memory is None:
        try:
            memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError):  # no sysconf (Windows): the lower bound
            memory = 0
    low, high = DRIVER_MEMORY_GIB
    return max(low, min(high, memory // 4 // 2**30))


def default_session() -> Any:
    """The active SparkSession, else a new local one with :func:`local_settings`.

    Raises
    ------
    InputError
        pyspark is not installed, or no Java 17+ runtime is found (``JAVA_HOME`` or ``PATH``).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise InputError(
            f"engine='spark' needs pyspark and a Java {JAVA_MIN}+ runtime: {INSTALL} ({exc})"
        ) from exc
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    _check_java()
    builder = SparkSession.builder
    for key, value in local_settings().items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def java_version(java: str) -> int | None:
    """The major version of the Java runtime ``java`` (8 for "1.8"), None when it does not run."""
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def _check_java() -> None:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    where = f"JAVA_HOME={home}" if home else "PATH"
    if java is None or not Path(java).exists():
        raise InputError(
            f"engine='spark' needs a Java {JAVA_MIN}+ runtime, but none was found on {where}: "
            f"install one (e.g. apt-get install openjdk-{JAVA_MIN}-jre-headless) and set "
            "JAVA_HOME or put java on PATH"
        )
    major = java_version(java)
    if major is None or major < JAVA_MIN:
        raise InputError(
            f"engine='spark' needs a Java {JAVA_MIN}+ runtime; {java} (from {where}) is "
            f"{'not runnable' if major is None else f'Java {major}'}: install Java {JAVA_MIN}+ "
            "and point JAVA_HOME at it"
        )


__all__ = ["default_session", "driver_memory_gib", "java_version", "local_settings"]
