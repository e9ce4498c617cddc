"""GPU facts and the offload plan: which GPU the loaded llama.cpp build can use, how much video
memory is free, and how many of a GGUF model's layers fit in it.

:func:`probe_gpu` asks, in order: the loaded llama.cpp build itself (its ggml backend registry,
through ctypes on the ``libggml`` that llama-cpp-python ships: backends, GPU devices, free and
total memory); if that tells nothing, the NVIDIA driver through NVML (``libnvidia-ml.so.1`` /
``nvml.dll``); and only if NVML is absent, ``nvidia-smi``. It never raises: whatever fails becomes
:attr:`GpuInfo.error`.

:func:`estimate_offload` reads the GGUF header (no llama.cpp needed): the bytes of each repeating
block ``blk.N.*``, the output layer, and the f16 KV cache a context of ``n_ctx`` tokens needs per
layer; then, like llama.cpp, it offloads the *last* layers first and adds the output layer once
every block fits. A margin (:data:`RESERVE_MIB` + :data:`RESERVE_FRACTION` of the free memory) is
kept for llama.cpp's compute buffers and the CUDA context. The margin is an estimate that has not
been measured on a GPU yet. Layer counts follow llama.cpp's ``n_gpu_layers``: ``block_count + 1``
means every block and the output layer.

Pure functions apart from the probes' native calls; any thread may call them (the probes take a
few milliseconds to a few hundred; call them off the GUI thread).
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.llm.gguf import GgufHeader, NotGguf, read_header

log = logging.getLogger(__name__)

RESERVE_MIB = 512
RESERVE_FRACTION = 0.10
KV_BYTES = 2  # f16 K and V cache entries (llama.cpp's default cache type)
MIB = 1 << 20

# Why a model runs (wholly or partly) on the CPU. The CLI prints the English text; the GUI maps the
# code to a translated sentence.
REASONS = {
    "no_cuda_build": "this llama.cpp build has no CUDA support",
    "no_device": "CUDA found no usable GPU",
    "vram_unknown": "free video memory is unknown",
    "not_enough_vram": "not enough free video memory for every layer",
    "user_setting": "the GPU layers setting",
    "cuda_init_failed": "CUDA failed to initialise",
    "unreadable_model": "the model file's header cannot be read",
}

_GGML_GPU_TYPES = (1, 2)  # GGML_BACKEND_DEVICE_TYPE_GPU, GGML_BACKEND_DEVICE_TYPE_IGPU


@dataclass(frozen=True)
class GpuDevice:
    name: str
    total_mib: int
    free_mib: int


@dataclass(frozen=True)
class GpuInfo:
    """What the probes found. ``source``: ``llama.cpp``, ``nvml``, ``nvidia-smi`` or ``none``."""

    cuda_build: bool
    devices: tuple[GpuDevice, ...] = ()
    source: str = "none"
    backends: tuple[str, ...] = ()
    error: str = ""

    @property
    def free_mib(self) -> int | None:
        """Free video memory over all devices (llama.cpp splits layers across them), or None."""
        return sum(d.free_mib for d in self.devices) if self.devices else None

    @property
    def total_mib(self) -> int | None:
        return sum(d.total_mib for d in self.devices) if self.devices else None

    @property
    def name(self) -> str:
        return ", ".join(d.name for d in self.devices)


# --- probing ---------------------------------------------------------------------------------------


def probe_gpu() -> GpuInfo:
    """The GPU as the loaded llama.cpp build (or, failing that, the driver) sees it; never raises."""
    errors: list[str] = []
    cuda_build = False
    backends: tuple[str, ...] = ()
    try:
        found = _probe_llama()
    except Exception as error:  # noqa: BLE001 - a probe must never take the app down
        found = None
        errors.append(f"llama.cpp: {type(error).__name__}: {error}")
    if found is not None:
        cuda_build, backends, devices = found
        if devices:
            return GpuInfo(cuda_build, devices, "llama.cpp", backends)
    driver: tuple[GpuDevice, ...] | None = None
    source = "none"
    try:
        driver, source = _probe_nvml(), "nvml"
        if driver is None:
            driver, source = _probe_smi(), "nvidia-smi"
    except Exception as error:  # noqa: BLE001
        errors.append(f"driver: {type(error).__name__}: {error}")
    if driver:
        return GpuInfo(cuda_build, driver, source, backends, "; ".join(errors))
    return GpuInfo(cuda_build, (), "none", backends, "; ".join(errors))


def _library_dir() -> Path | None:
    try:
        import llama_cpp
    except ImportError:
        return None
    return Path(llama_cpp.__file__).parent / "lib"


def _load_ggml(lib_dir: Path) -> list[Any]:
    """The ggml libraries llama-cpp-python loaded (same files, so the same instances)."""
    if sys.platform == "win32":
        names = ("ggml.dll", "ggml-base.dll")
    elif sys.platform == "darwin":
        names = ("libggml.dylib", "libggml-base.dylib")
    else:
        names = ("libggml.so", "libggml-base.so")
    return [ctypes.CDLL(str(lib_dir / name)) for name in names if (lib_dir / name).exists()]


def _symbol(libraries: list[Any], name: str, restype: Any, argtypes: list[Any]) -> Any:
    for library in libraries:
        function = getattr(library, name, None)
        if function is not None:
            function.restype, function.argtypes = restype, argtypes
            return function
    raise AttributeError(f"{name} is not exported by the ggml library")


def _probe_llama() -> tuple[bool, tuple[str, ...], tuple[GpuDevice, ...]] | None:
    """(CUDA build?, backend names, GPU devices) from ggml's backend registry; None without llama.cpp."""
    lib_dir = _library_dir()
    if lib_dir is None:
        return None
    import llama_cpp  # loads libllama and, with it, the ggml libraries below

    libraries = _load_ggml(lib_dir)
    if not libraries:
        supports = bool(llama_cpp.llama_supports_gpu_offload())
        return supports, (), ()
    void_p, size_t = ctypes.c_void_p, ctypes.c_size_t
    reg_count = _symbol(libraries, "ggml_backend_reg_count", size_t, [])
    reg_get = _symbol(libraries, "ggml_backend_reg_get", void_p, [size_t])
    reg_name = _symbol(libraries, "ggml_backend_reg_name", ctypes.c_char_p, [void_p])
    dev_count = _symbol(libraries, "ggml_backend_dev_count", size_t, [])
    dev_get = _symbol(libraries, "ggml_backend_dev_get", void_p, [size_t])
    dev_type = _symbol(libraries, "ggml_backend_dev_type", ctypes.c_int, [void_p])
    dev_description = _symbol(libraries, "ggml_backend_dev_description", ctypes.c_char_p, [void_p])
    dev_memory = _symbol(libraries, "ggml_backend_dev_memory", None,
                         [void_p, ctypes.POINTER(size_t), ctypes.POINTER(size_t)])
    backends = tuple((reg_name(reg_get(i)) or b"").decode("utf-8", "replace") for i in range(reg_count()))
    devices = []
    for i in range(dev_count()):
        device = dev_get(i)
        if dev_type(device) not in _GGML_GPU_TYPES:
            continue
        free, total = size_t(0), size_t(0)
        dev_memory(device, ctypes.byref(free), ctypes.byref(total))
        name = (dev_description(device) or b"GPU").decode("utf-8", "replace")
        devices.append(GpuDevice(name, total.value // MIB, free.value // MIB))
    return "CUDA" in backends, backends, tuple(devices)


class _NvmlMemory(ctypes.Structure):
    _fields_ = [("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong), ("used", ctypes.c_ulonglong)]


def _nvml_library() -> Any:
    """NVML, or None when the NVIDIA driver is not installed."""
    candidates = ["libnvidia-ml.so.1"]
    if sys.platform == "win32":
        system = Path(os.environ.get("SystemRoot", r"C:\Windows")) / "System32" / "nvml.dll"
        program = Path(os.environ.get("ProgramFiles", r"C:\Program Files")) / "NVIDIA Corporation" / "NVSMI" / "nvml.dll"
        candidates = [str(system), str(program), "nvml.dll"]
    for candidate in candidates:
        try:
            return ctypes.CDLL(candidate)
        except OSError:
            continue
    return None


def _probe_nvml(library: Any = None) -> tuple[GpuDevice, ...] | None:
    """The driver's view of the NVIDIA GPUs; None when NVML is absent (then nvidia-smi is tried)."""
    nvml = library if library is not None else _nvml_library()
    if nvml is None:
        return None
    if nvml.nvmlInit_v2() != 0:
        return ()
    try:
        count = ctypes.c_uint(0)
        if nvml.nvmlDeviceGetCount_v2(ctypes.byref(count)) != 0:
            return ()
        devices = []
        for index in range(count.value):
            handle = ctypes.c_void_p()
            if nvml.nvmlDeviceGetHandleByIndex_v2(ctypes.c_uint(index), ctypes.byref(handle)) != 0:
                continue
            memory = _NvmlMemory()
            if nvml.nvmlDeviceGetMemoryInfo(handle, ctypes.byref(memory)) != 0:
                continue
            name = ctypes.create_string_buffer(96)
            nvml.nvmlDeviceGetName(handle, name, ctypes.c_uint(96))
            devices.append(GpuDevice(name.value.decode("utf-8", "replace") or "NVIDIA GPU",
                                     memory.total // MIB, memory.free // MIB))
        return tuple(devices)
    finally:
        nvml.nvmlShutdown()


def _probe_smi() -> tuple[GpuDevice, ...]:
    tool = shutil.which("nvidia-smi")
    if not tool:
        return ()
    try:
        out = subprocess.run([tool, "--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=5, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return parse_smi(out)


def parse_smi(output: str) -> tuple[GpuDevice, ...]:
    """``name, total, free`` lines (MiB) from ``nvidia-smi --query-gpu`` into devices."""
    devices = []
    for line in output.splitlines():
        match = re.fullmatch(r"\s*(.+?)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*", line)
        if match:
            devices.append(GpuDevice(match.group(1), int(float(match.group(2))), int(float(match.group(3)))))
    return tuple(devices)


# --- planning ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelLayout:
    """A model's bytes as llama.cpp places them: per repeating block, output layer, the rest."""

    block_count: int
    block_bytes: tuple[int, ...]
    output_bytes: int
    other_bytes: int  # token embeddings and anything else that stays on the CPU
    kv_bytes_per_token: tuple[int, ...]  # per block, K + V at f16


def model_layout(header: GgufHeader) -> ModelLayout:
    """Per-block weights from ``blk.N.*`` tensors and per-block KV cache from the attention shape."""
    blocks = int(header.arch_value("block_count", 0) or 0)
    block_bytes = [0] * blocks
    output = other = 0
    embeddings = 0
    has_output = False
    for tensor in header.tensors:
        match = re.match(r"blk\.(\d+)\.", tensor.name)
        if match and int(match.group(1)) < blocks:
            block_bytes[int(match.group(1))] += tensor.size
        elif tensor.name.startswith("output"):  # output.weight, output_norm.weight (and biases)
            output += tensor.size
            has_output = has_output or tensor.name.startswith("output.")
        else:
            other += tensor.size
            if tensor.name.startswith("token_embd."):
                embeddings += tensor.size
    if not has_output:  # tied embeddings: llama.cpp puts a copy of token_embd on the output's device
        output += embeddings
    return ModelLayout(blocks, tuple(block_bytes), output, other, _kv_per_token(header, blocks))


def _per_layer(value: Any, blocks: int) -> list[int]:
    if isinstance(value, list):
        values = [int(v) for v in value[:blocks]]
        return values + [values[-1] if values else 0] * (blocks - len(values))
    return [int(value or 0)] * blocks


def _kv_per_token(header: GgufHeader, blocks: int) -> tuple[int, ...]:
    embedding = int(header.arch_value("embedding_length", 0) or 0)
    heads = _per_layer(header.arch_value("attention.head_count", 0), blocks)
    kv_heads = _per_layer(header.arch_value("attention.head_count_kv") or header.arch_value("attention.head_count", 0),
                          blocks)
    sizes = []
    for layer in range(blocks):
        head_dim = embedding // heads[layer] if heads[layer] else 0
        key = int(header.arch_value("attention.key_length", head_dim) or head_dim)
        value = int(header.arch_value("attention.value_length", head_dim) or head_dim)
        sizes.append(kv_heads[layer] * (key + value) * KV_BYTES)
    return tuple(sizes)


@dataclass(frozen=True)
class OffloadPlan:
    """How many layers to give llama.cpp (``gpu_layers``, its ``n_gpu_layers``) and why."""

    gpu_layers: int
    total_layers: int  # repeating blocks (the model's "layers"); 0 when the header is unreadable
    reason: str = ""  # a key of REASONS when not every layer goes to the GPU, or for an override
    needed_mib: int = 0  # every block + output layer + KV cache
    usable_mib: int | None = None  # free video memory less the reserve
    kv_cache_mib: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def blocks_offloaded(self) -> int:
        """Repeating blocks on the GPU (``gpu_layers`` may count the output layer too)."""
        if self.gpu_layers < 0:
            return self.total_layers
        return min(self.gpu_layers, self.total_layers) if self.total_layers else self.gpu_layers


def usable_vram_mib(free_mib: int) -> int:
    """Free video memory less the reserve for compute buffers and the CUDA context."""
    return max(0, int(free_mib * (1 - RESERVE_FRACTION)) - RESERVE_MIB)


def estimate_offload(model_path: str | Path, free_vram_mib: int | None, context_length: int,
                     user_layers: int | None = None) -> OffloadPlan:
    """The plan for ``model_path``: a user's layer count wins; otherwise as many layers as fit."""
    try:
        layout = model_layout(read_header(model_path))
    except (OSError, NotGguf) as error:
        log.warning("event=offload_plan_unreadable path=%s error=%s", model_path, error)
        if user_layers is not None:
            return OffloadPlan(user_layers, 0, "user_setting")
        return OffloadPlan(0, 0, "unreadable_model")
    blocks = layout.block_count
    costs = [weights + kv * context_length for weights, kv in zip(layout.block_bytes, layout.kv_bytes_per_token, strict=True)]
    kv_mib = -(-sum(layout.kv_bytes_per_token) * context_length // MIB)
    needed = -(-(sum(costs) + layout.output_bytes) // MIB)
    facts: dict[str, Any] = {"block_mib": round(sum(layout.block_bytes) / MIB / max(blocks, 1), 1),
                             "output_mib": round(layout.output_bytes / MIB, 1), "cpu_only_mib": round(layout.other_bytes / MIB, 1)}
    if user_layers is not None:
        layers = blocks + 1 if user_layers < 0 else user_layers
        reason = "" if layers >= blocks else "user_setting"
        usable = usable_vram_mib(free_vram_mib) if free_vram_mib is not None else None
        return OffloadPlan(layers, blocks, reason, needed, usable, kv_mib, facts)
    if free_vram_mib is None:
        return OffloadPlan(0, blocks, "vram_unknown", needed, None, kv_mib, facts)
    usable = usable_vram_mib(free_vram_mib)
    budget, used, layers = usable * MIB, 0, 0
    for cost in reversed(costs):  # llama.cpp offloads the last blocks first
        if used + cost > budget:
            break
        used, layers = used + cost, layers + 1
    if layers == blocks and used + layout.output_bytes <= budget:
        layers = blocks + 1
    reason = "" if layers > blocks else "not_enough_vram"
    return OffloadPlan(layers, blocks, reason, needed, usable, kv_mib, facts)


def plan_offload(model_path: str | Path, free_vram_mib: int | None, context_length: int,
                 user_layers: int | None = None) -> int:
    """Layers to offload (llama.cpp's ``n_gpu_layers``): see :func:`estimate_offload`."""
    return estimate_offload(model_path, free_vram_mib, context_length, user_layers).gpu_layers


def reason_text(code: str) -> str:
    return REASONS.get(code, code)


def summary(report: dict[str, Any]) -> str:
    """One line for a device report: ``cuda, 28/28 layers`` or ``cpu (no CUDA: reason)``."""
    device = report.get("device", "cpu")
    reason = str(report.get("reason") or "")
    if device == "cuda":
        text = f"cuda, {report.get('gpu_layers', 0)}/{report.get('total_layers', 0)} layers on the GPU"
        return f"{text} ({reason_text(reason)})" if reason else text
    if reason and reason != "user_setting":
        why = reason_text(reason)
        if reason == "cuda_init_failed" and report.get("fallback_reason"):
            why += f": {report['fallback_reason']}"
        return f"cpu (CUDA unavailable: {why})"
    return "cpu"
