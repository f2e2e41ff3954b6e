"""Progress for long work: a bar in a terminal, a progress widget in a notebook (tqdm.auto)."""

from __future__ import annotations

from typing import Any

from tqdm.auto import tqdm


def progress_bar(*, total: int | None, desc: str, unit: str = "it", disable: bool = False) -> Any:
    """A tqdm bar (notebook widget under Jupyter) used as a context manager."""
    return tqdm(total=total, desc=desc, unit=unit, disable=disable, dynamic_ncols=True)
