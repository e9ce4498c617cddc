"""A GGUF chat model in-process through llama-cpp-python.

Device choice at load time (:meth:`LlamaCppModel.load`): a layer count the user set (Preferences or
``--gpu-layers``) wins; otherwise, when the loaded llama.cpp build can offload (a CUDA build that
found a GPU), :func:`core.llm.gpu.estimate_offload` works out from the GGUF header and the free video
memory (:func:`core.llm.gpu.probe_gpu`) how many layers fit. If creating the model on the GPU fails
for any reason, it is created again on the CPU and :meth:`LlamaCppModel.device_report` says why.
One llama.cpp context is not re-entrant, so every call holds a lock; the engine runs answers on
one worker thread anyway.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from core.cancel import CancelToken
from core.errors import DependencyMissing, ModelCorrupt, ModelMissing
from core.llm import ChatMessage, OpeningProbe
from core.llm.gpu import GpuInfo, OffloadPlan, estimate_offload, probe_gpu

log = logging.getLogger(__name__)

DEFAULT_CONTEXT = 4096


def _llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as error:
        raise DependencyMissing("llama-cpp-python is not installed: pip install llama-cpp-python") from error
    except (OSError, RuntimeError) as error:
        # A CUDA build whose libraries (NVIDIA driver, CUDA runtime, cuBLAS) are missing cannot even be
        # imported, so there is nothing to fall back on in-process: say what to install instead.
        log.error("event=llama_cpp_unloadable error=%s", error)
        raise DependencyMissing(
            f"llama-cpp-python is installed but its native library cannot be loaded ({error}). A CUDA build "
            "needs the NVIDIA driver and the CUDA runtime and cuBLAS libraries; without a GPU, install the CPU "
            "build: pip install --force-reinstall --no-deps llama-cpp-python") from error
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
        probe: Callable[[], GpuInfo] = probe_gpu,
    ) -> None:
        self._path = Path(model_path)
        self._context_length = context_length
        self._gpu_layers = gpu_layers  # None: auto (as many layers as fit in free video memory)
        self._threads = threads or max(1, os.cpu_count() or 1)
        self._probe = probe
        self._llama: Any = None
        self._device: Literal["cpu", "cuda"] = "cpu"
        self._lock = threading.RLock()
        self._report: dict[str, Any] = _report(None, None, "cpu", 0, "", "", loaded=False)
        self.load_seconds = 0.0

    @property
    def device(self) -> Literal["cpu", "cuda"]:
        return self._device

    @property
    def context_length(self) -> int:
        return self._context_length

    @property
    def gpu_layers_offloaded(self) -> int:
        return int(self._report["gpu_layers"])

    @property
    def total_layers(self) -> int:
        return int(self._report["total_layers"])

    @property
    def vram_free_mib(self) -> int | None:
        return self._report["vram_free_mib"]  # type: ignore[no-any-return]

    @property
    def fallback_reason(self) -> str:
        return str(self._report["fallback_reason"])

    def device_report(self) -> dict[str, Any]:
        """Where the model runs and why (any thread; a snapshot, complete once loaded).

        Keys: device ("cpu"|"cuda"), cuda_build, gpu_layers (blocks on the GPU), total_layers,
        vram_free_mib / vram_total_mib (before loading; None if unknown), gpu_name, reason (a
        :data:`core.llm.gpu.REASONS` key when not every layer is on the GPU), fallback_reason
        (the error text when CUDA failed to initialise, else ""), n_gpu_layers (what llama.cpp got),
        loaded.
        """
        return dict(self._report)

    def load(self) -> None:
        """Load the model now (any thread; idempotent)."""
        with self._lock:
            if self._llama is not None:
                return
            if not self._path.is_file():
                raise ModelMissing(f"the chat model file {self._path} does not exist; run 'wenku models install'")
            llama_cpp = _llama_cpp()
            started = time.perf_counter()
            gpu, plan = self._probe_and_plan()
            wanted, reason, fallback = plan.gpu_layers, plan.reason, ""
            if wanted == 0:
                self._llama = self._create_on_cpu(llama_cpp)
            else:
                try:
                    self._llama = self._create(llama_cpp, wanted)
                except Exception as error:  # noqa: BLE001 - any GPU failure means: try the CPU
                    fallback = f"{type(error).__name__}: {error}"
                    log.warning("event=gpu_init_failed layers=%d error=%s fallback=cpu", wanted, fallback)
                    reason, wanted = "cuda_init_failed", 0
                    self._llama = self._create_on_cpu(llama_cpp)
            # A CUDA build that found no device, or a CPU build, ignores n_gpu_layers: ask again after loading.
            offloaded, reason = _effective_offload(gpu, plan, wanted, reason)
            self._device = "cuda" if offloaded > 0 else "cpu"
            self._report = _report(gpu, plan, self._device, offloaded, reason, fallback, loaded=True,
                                   n_gpu_layers=wanted)
            self.load_seconds = time.perf_counter() - started
            log.info("event=model_loaded path=%s device=%s gpu_layers=%d total_layers=%d n_gpu_layers=%d "
                     "vram_free_mib=%s reason=%s seconds=%.1f", self._path, self._device, offloaded,
                     plan.total_layers, wanted, gpu.free_mib, reason or "-", self.load_seconds)

    def preview_report(self) -> tuple[dict[str, Any], OffloadPlan]:
        """What :meth:`load` would do, without loading: the report (``loaded: False``) and the plan.

        Probes the GPU and reads the GGUF header (fractions of a second); any thread.
        """
        gpu, plan = self._probe_and_plan()
        offloaded, reason = _effective_offload(gpu, plan, plan.gpu_layers, plan.reason)
        device = "cuda" if offloaded > 0 else "cpu"
        return _report(gpu, plan, device, offloaded, reason, "", loaded=False, n_gpu_layers=plan.gpu_layers), plan

    def _probe_and_plan(self) -> tuple[GpuInfo, OffloadPlan]:
        # "GPU off" touches no GPU at all (probing a CUDA device creates a context on it).
        gpu = GpuInfo(gpu_offload_supported(), source="skipped") if self._gpu_layers == 0 else self._probe()
        return gpu, self._plan(gpu)

    def _plan(self, gpu: GpuInfo) -> OffloadPlan:
        """The user's layer count, else as many layers as fit (0 when this build cannot offload)."""
        if self._gpu_layers is not None:
            return estimate_offload(self._path, gpu.free_mib, self._context_length, self._gpu_layers)
        if not gpu_offload_supported():
            plan = estimate_offload(self._path, gpu.free_mib, self._context_length)
            return replace(plan, gpu_layers=0, reason="no_device" if gpu.cuda_build else "no_cuda_build")
        return estimate_offload(self._path, gpu.free_mib, self._context_length)

    def _create_on_cpu(self, llama_cpp: Any) -> Any:
        try:
            return self._create(llama_cpp, 0)
        except (ValueError, RuntimeError) as error:
            raise ModelCorrupt(f"the chat model {self._path.name} cannot be loaded ({error})") from error

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

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int, cancel: CancelToken,
               probe: OpeningProbe | None = None) -> Iterator[str]:
        with self._lock:
            self.load()
            chunks = self._llama.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                max_tokens=max_tokens,
                temperature=0.0,
                top_p=1.0,
                repeat_penalty=1.05,
                stream=True,
                logits_processor=self._probe_processor(probe) if probe is not None else None,
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

    def _probe_processor(self, probe: OpeningProbe) -> list[Any]:
        """A logits processor that measures ``probe`` at the first sampled token and changes nothing."""
        import numpy as np

        first_tokens = {ids[0] for ids in (self._llama.tokenize(o.encode("utf-8"), add_bos=False, special=False)
                                           for o in probe.openings) if ids}
        seen = False

        def measure(_input_ids: Any, scores: Any) -> Any:
            nonlocal seen
            if not seen:
                seen = True
                logits = np.asarray(scores, dtype=np.float64)
                weights = np.exp(logits - logits.max())
                probe.probability = float(weights[list(first_tokens)].sum() / weights.sum()) if first_tokens else None
            return scores

        return [measure]

    def close(self) -> None:
        with self._lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None


def _effective_offload(gpu: GpuInfo, plan: OffloadPlan, wanted: int, reason: str) -> tuple[int, str]:
    """Blocks really on the GPU for ``n_gpu_layers=wanted``, and the reason when none are: a CPU
    build, or a CUDA build that found no device, ignores the request."""
    offloaded = plan.blocks_offloaded if wanted != 0 and gpu_offload_supported() else 0
    if wanted != 0 and offloaded == 0:
        reason = "no_device" if gpu.cuda_build else "no_cuda_build"
    return offloaded, reason


def _report(gpu: GpuInfo | None, plan: OffloadPlan | None, device: str, offloaded: int, reason: str,
            fallback: str, *, loaded: bool, n_gpu_layers: int = 0) -> dict[str, Any]:
    return {
        "device": device,
        "cuda_build": bool(gpu and gpu.cuda_build),
        "gpu_layers": offloaded,
        "total_layers": plan.total_layers if plan else 0,
        "n_gpu_layers": n_gpu_layers,
        "vram_free_mib": gpu.free_mib if gpu else None,
        "vram_total_mib": gpu.total_mib if gpu else None,
        "gpu_name": gpu.name if gpu else "",
        "reason": reason,
        "fallback_reason": fallback,
        "loaded": loaded,
    }
