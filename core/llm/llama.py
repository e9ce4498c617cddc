"""A GGUF chat model in-process through llama-cpp-python.

Device choice: when the installed llama.cpp build supports GPU offload (a CUDA build), all layers
are offloaded (``n_gpu_layers=-1``, llama.cpp fits what it can) unless the user set a number; if
initialising on the GPU fails, the model is loaded again on the CPU and :attr:`device` says so.
One llama.cpp context is not re-entrant, so every call holds a lock; the engine runs answers on
one worker thread anyway.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from core.cancel import CancelToken
from core.errors import DependencyMissing, ModelCorrupt, ModelMissing
from core.llm import ChatMessage

log = logging.getLogger(__name__)

DEFAULT_CONTEXT = 4096


def _llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as error:
        raise DependencyMissing("llama-cpp-python is not installed: pip install llama-cpp-python") from error
    return llama_cpp


def gpu_offload_supported() -> bool:
    """Whether the installed llama.cpp build can offload layers to a GPU (CUDA build)."""
    try:
        return bool(_llama_cpp().llama_supports_gpu_offload())
    except DependencyMissing:
        return False


class LlamaCppModel:
    """A GGUF model loaded lazily on first use (loading takes seconds; callers show status)."""

    def __init__(
        self,
        model_path: Path,
        *,
        context_length: int = DEFAULT_CONTEXT,
        gpu_layers: int | None = None,
        threads: int | None = None,
    ) -> None:
        self._path = Path(model_path)
        self._context_length = context_length
        self._gpu_layers = gpu_layers  # None: auto (all on GPU if the build supports it)
        self._threads = threads or max(1, os.cpu_count() or 1)
        self._llama: Any = None
        self._device: Literal["cpu", "cuda"] = "cpu"
        self._lock = threading.RLock()
        self.load_seconds = 0.0

    @property
    def device(self) -> Literal["cpu", "cuda"]:
        return self._device

    @property
    def context_length(self) -> int:
        return self._context_length

    def load(self) -> None:
        """Load the model now (any thread; idempotent)."""
        with self._lock:
            if self._llama is not None:
                return
            if not self._path.is_file():
                raise ModelMissing(f"the chat model file {self._path} does not exist; run 'wenku models install'")
            llama_cpp = _llama_cpp()
            started = time.perf_counter()
            wanted = self._gpu_layers if self._gpu_layers is not None else (-1 if gpu_offload_supported() else 0)
            try:
                self._llama = self._create(llama_cpp, wanted)
                self._device = "cuda" if wanted != 0 and gpu_offload_supported() else "cpu"
            except (ValueError, RuntimeError) as error:
                if wanted == 0:
                    raise ModelCorrupt(f"the chat model {self._path.name} cannot be loaded ({error})") from error
                log.warning("event=gpu_init_failed error=%s fallback=cpu", error)
                self._llama = self._create(llama_cpp, 0)
                self._device = "cpu"
            self.load_seconds = time.perf_counter() - started
            log.info("event=model_loaded path=%s device=%s seconds=%.1f", self._path, self._device, self.load_seconds)

    def _create(self, llama_cpp: Any, gpu_layers: int) -> Any:
        return llama_cpp.Llama(
            model_path=str(self._path),
            n_ctx=self._context_length,
            n_gpu_layers=gpu_layers,
            n_threads=self._threads,
            n_batch=512,
            seed=0,
            verbose=False,
        )

    def count_tokens(self, text: str) -> int:
        with self._lock:
            self.load()
            return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int, cancel: CancelToken) -> Iterator[str]:
        with self._lock:
            self.load()
            chunks = self._llama.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                max_tokens=max_tokens,
                temperature=0.0,
                top_p=1.0,
                repeat_penalty=1.05,
                stream=True,
            )
            try:
                for chunk in chunks:
                    if cancel.cancelled:
                        break
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()

    def close(self) -> None:
        with self._lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None
