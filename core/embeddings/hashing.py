"""A deterministic, dependency-free embedder for fast unit tests (not for real use).

It hashes character bigrams (and whole Latin words) into a fixed number of buckets, so texts
sharing words get similar vectors: enough for tests to check that search plumbing, filtering and
ranking work, without loading a model. Thread-safe (stateless).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence

_TOKEN = re.compile(r"[A-Za-z0-9]+|[\u3400-\u9fff]")


class HashingEmbedder:
    model_id = "test/hashing-256"
    dimension = 256

    def _vector(self, text: str) -> list[float]:
        tokens = [t.lower() for t in _TOKEN.findall(text)]
        features = tokens + [a + b for a, b in zip(tokens, tokens[1:], strict=False)]
        vector = [0.0] * self.dimension
        for feature in features:
            digest = hashlib.blake2b(feature.encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "little") % self.dimension] += 1.0
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        return [x / norm for x in vector]

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._vector(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)
