"""Time-left estimates for progress, from the throughput measured so far in the same job.

Reading/OCR is measured in bytes of the files to import (known up front from ``stat``, unlike
page counts, which need each file opened); the file in progress counts its share by pages done.
Files skipped quickly (unchanged, duplicate, failed) leave the total, so they do not inflate the
rate. Embedding is measured in chunks. A rough guide, not a promise: scanned pages are much slower
per byte than text pages. Used on the import worker thread; not thread-safe.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: No estimate before this much time and work: the first seconds are dominated by start-up.
MIN_ELAPSED_S = 1.0


def _now() -> float:
    return time.monotonic()


class ThroughputEta:
    """Seconds left for ``total`` units of work, given how many are done and how long it took."""

    def __init__(self, total: float, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock or _now
        self._start = self._clock()
        self.total = float(total)
        self.done = 0.0

    def skip(self, units: float) -> None:
        """Take work off the total that turned out not to need doing."""
        self.total = max(self.done, self.total - units)

    def finish(self, units: float) -> None:
        self.done += units

    def seconds_left(self, in_progress: float = 0.0) -> float | None:
        """The estimate with ``in_progress`` units of the current item also done; None if too early."""
        done = self.done + in_progress
        elapsed = self._clock() - self._start
        if done <= 0 or elapsed < MIN_ELAPSED_S:
            return None
        return max(0.0, (self.total - done) * elapsed / done)
