"""What logging labels did: matched, replaced, and kept for predictions not yet seen."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LabelReport:
    """What :meth:`Store.log_labels` did with each label.

    ``unknown_ids`` lists labels whose prediction is not (yet) in the store: they are kept and
    joined when the prediction arrives, never dropped.
    """

    model: str
    received: int
    matched: int
    replaced: int
    unknown: int
    unknown_ids: tuple[str, ...]

    def __str__(self) -> str:
        return (
            f"{self.received} labels for {self.model!r}: {self.matched} matched a prediction "
            f"({self.replaced} replaced an earlier label), {self.unknown} for unknown ids (kept)"
        )
