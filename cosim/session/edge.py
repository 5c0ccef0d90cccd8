"""The edge server of a session: tail passes queue in arrival order, and each free server takes
up to ``max_batch`` of them as one batch, timed by the cost model (llm_split.cost: a batch reads
each layer's weights once). ``max_batch: 1`` is a FIFO queue of ``capacity`` servers.

A batch forms from the passes waiting when a server falls free (no waiting for more to arrive),
so under light load every pass runs alone and batching changes nothing; under heavy load the
queue fills and batches grow up to ``max_batch``.
"""
from __future__ import annotations

from collections.abc import Callable

import simpy


class EdgeServer:
    """``capacity`` servers batching up to ``max_batch`` passes; ``seconds(passes)`` times a batch."""

    def __init__(self, env: simpy.Environment, capacity: int, max_batch: int, seconds: Callable[[list], float]):
        self.env, self.capacity, self.max_batch, self.seconds = env, capacity, max_batch, seconds
        self.waiting: list[tuple[object, simpy.Event]] = []
        self.in_service = 0  # passes being computed
        self._free = capacity

    def run(self, work):
        """A request's process waits here for its pass ``work`` to be computed; returns (start, end)."""
        done = self.env.event()
        self.waiting.append((work, done))
        self._dispatch()
        return (yield done)

    @property
    def load(self) -> float:
        """Passes in service and waiting, per server (what the edge would advertise)."""
        return (self.in_service + len(self.waiting)) / self.capacity

    def _dispatch(self) -> None:
        while self._free and self.waiting:
            batch, self.waiting = self.waiting[:self.max_batch], self.waiting[self.max_batch:]
            self._free -= 1
            self.in_service += len(batch)
            self.env.process(self._serve(batch))

    def _serve(self, batch: list):
        start = self.env.now
        yield self.env.timeout(self.seconds([work for work, _ in batch]))
        self._free += 1
        self.in_service -= len(batch)
        for _, done in batch:
            done.succeed((start, self.env.now))
        self._dispatch()
