"""Work started on a thread of its own and collected later (its result, or its exception)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def in_background(fn: Callable[[], Any], *, large: bool = True) -> Callable[[], Any]:
    """Start ``fn`` on a thread when the work is ``large``; the returned callable waits for it and
    gives its result, or raises what it raised (``fn`` runs there and then when not started)."""
    if not large:
        return fn
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # re-raised on the caller's thread
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def result() -> Any:
        thread.join()
        if "error" in out:
            raise out["error"]
        return out["value"]

    return result
