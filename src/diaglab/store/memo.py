"""Results derived from a store's data, kept until the data they depend on changes.

Most results depend on everything logged, and are dropped by any change. Some depend only on a
model's registered reference (its bin edges, its binned profile): those outlive the ingests of
predictions and labels, which a live store does all day, and go only when a reference is
ingested or the store is rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from diaglab.store.lru import LRUCache


class Memo:
    """A bounded cache whose entries belong to a generation of the data."""

    def __init__(self, size: int) -> None:
        self._cache = LRUCache(size)
        self.generation = 0
        self._reference_generation = 0

    def changed(self, *, reference: bool = True) -> None:
        """The data changed; ``reference=False`` when no reference row did."""
        self.generation += 1
        if reference:
            self._reference_generation += 1

    def get(self, key: Hashable, compute: Callable[[], Any], *, reference_only: bool) -> Any:
        """``compute()``'s value for ``key`` in the current generation (of the references, when
        the result is computed from registered reference rows alone)."""
        current = ("reference", self._reference_generation) if reference_only else self.generation
        return self._cache.get((current, key), compute)
