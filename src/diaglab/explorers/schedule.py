"""Jobs, and which one runs next: the coordinator's policy (the active tab first, and alone).

After a selection change, what a person waits on is the panel's active tab (the coordinator's
``focus``): its first view above all. On two cores, any other query running beside it halves
its speed (each DuckDB query uses every core), so the policy keeps the active tab's work alone:

1. **Background** jobs (loading a model ahead of need) start only while no other job is queued
   or running.
2. **Previews** of an explorer out of focus wait while its other views are pending: their
   result settles the preview (see :meth:`Coordinator.settle`).
3. **Focus**: while a job of the focused explorers is queued or running, no other job starts,
   and other tabs' jobs already running are *preempted*: interrupted in the engine and queued
   again, to run once the active tab is fresh. A tab not shown is still computed, after; a
   tab brought to the front becomes the focus, so its stale views go first.
4. **Lead**: the focused job a person waits on first (lowest rank, then oldest) runs alone:
   nothing starts beside it, so the first fresh result has both cores.
5. Otherwise the focused explorers' jobs first, then by rank, then by age.

Without a focus (a standalone explorer, ``dl.link``) rules 3-4 do not apply: jobs run by rank
and age on every worker.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from diaglab.explorers.coordinator import Client


class Superseded(Exception):
    """Raised by :meth:`Job.step` when the job's key is no longer its client's."""


class Job:
    """One run of a client's query for one key.

    Attributes
    ----------
    key : hashable
        The request being computed (``client.request()`` when it was made).
    force : bool
        Re-read the store first (the Run button).
    """

    def __init__(self, client: Client, key: Hashable, *, force: bool, seq: int) -> None:
        self.client, self.force, self.seq = client, force, seq
        self.key: Any = key  # what the client's run() reads: a spec, a tuple, an id
        self.generation = client.generation
        self.cancelled = False
        self.preempted = False  # stopped for the active tab's jobs, to be queued again
        self.interrupt: Callable[[], None] | None = None

    def step(self, text: str) -> None:
        """Report progress (shown in the explorer's status line); raises :class:`Superseded`
        when the job has been superseded or preempted, so work between queries stops early."""
        if self.cancelled or self.preempted:
            raise Superseded(self.client.name)
        self.client.owner._lifecycle_step(self.client, text)


def focused(job: Job, focus: Collection[int]) -> bool:
    """Whether ``job`` belongs to a focused explorer (the panel's active tab)."""
    return bool(focus) and id(job.client.owner) in focus


def priority(job: Job, focus: Collection[int]) -> tuple[int, int, int]:
    """The order jobs start in (lower first): focused, then rank, then age."""
    return (0 if not focus or focused(job, focus) else 1, job.client.rank, job.seq)


def waits(job: Job, pending: Iterable[Job], focus: Collection[int]) -> bool:
    """Rule 2: a preview out of focus waits while its explorer's other views are pending (a
    slice picked on the Slices tab does not also run the Drift tab's one-row query)."""
    owner = job.client.owner
    if not job.client.preview or not focus or id(owner) in focus:
        return False
    return any(j.client.owner is owner and not j.client.preview for j in pending)


def lead(pending: Iterable[Job], focus: Collection[int]) -> Job | None:
    """Rule 4: the focused job that runs alone (None without a focus or a focused job)."""
    mine = [j for j in pending if focused(j, focus) and not j.client.background]
    return min(mine, key=lambda j: (j.client.rank, j.seq)) if mine else None


def next_job(queue: list[Job], running: list[Job], focus: Collection[int]) -> Job | None:
    """The queued job to start now, or None when every queued job must wait."""
    pending = [*queue, *running]
    busy = {j.client for j in running}
    ready = [j for j in queue if j.client not in busy and not waits(j, pending, focus)]
    if any(not j.client.background for j in pending):
        ready = [j for j in ready if not j.client.background]
    first = lead(pending, focus)
    if first is not None:
        if first in running:
            return None
        ready = [j for j in ready if focused(j, focus)]
    return min(ready, key=lambda j: priority(j, focus)) if ready else None


def preempted(queue: list[Job], running: list[Job], focus: Collection[int]) -> list[Job]:
    """Rule 3: the running jobs to interrupt and queue again because a focused job waits."""
    if not any(focused(j, focus) and not j.client.background for j in queue):
        return []
    return [
        j for j in running if not focused(j, focus) and not j.client.background and not j.preempted
    ]


__all__ = ["Job", "Superseded", "focused", "lead", "next_job", "preempted", "priority", "waits"]
