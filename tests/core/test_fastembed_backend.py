"""The fastembed backend loads an ONNX model from a local folder, with no hub access.

A tiny but real model folder is built in the test: an ONNX graph (an embedding table looked up by
token id, mean-pooled by fastembed) and a word-level tokenizer, with the config files a Hugging
Face ONNX export has.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from core.errors import ModelMissing

onnx = pytest.importorskip("onnx", reason="the onnx package (test extra) builds the tiny model")
pytest.importorskip("fastembed")

WORDS = ["owl", "owls", "hunt", "hunting", "night", "bridge", "river", "thames", "stone", "mice"]
DIM = 8


def _make_model_folder(folder: Path) -> Path:
    from onnx import TensorProto, helper, numpy_helper
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    folder.mkdir(parents=True)
    vocab = {"[PAD]": 0, "[UNK]": 1, **{w: i + 2 for i, w in enumerate(WORDS)}}
    rng = np.random.default_rng(7)
    table = rng.standard_normal((len(vocab), DIM)).astype(np.float32)
    animal = rng.standard_normal(DIM).astype(np.float32) * 3
    for word in ("owl", "owls", "hunt", "hunting", "night", "mice"):
        table[vocab[word]] += animal  # related words share a direction
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["last_hidden_state"], axis=0)],
        "tiny-embedder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", DIM])],
        initializer=[numpy_helper.from_array(table, "table")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, folder / "model.onnx")
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 64, "pad_token": "[PAD]"}))
    (folder / "special_tokens_map.json").write_text(json.dumps({"pad_token": "[PAD]", "unk_token": "[UNK]"}))
    (folder / "config.json").write_text(json.dumps({"pad_token_id": 0, "hidden_size": DIM}))
    return folder


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def test_local_onnx_folder_embeds_without_network(tmp_path: Path) -> None:
    from core.embeddings.fastembed_backend import FastEmbedEmbedder

    embedder = FastEmbedEmbedder(_make_model_folder(tmp_path / "tiny"), DIM, name="tiny")
    owls, bridge = embedder.embed_passages(["owls hunting mice", "stone bridge over the river thames"])
    query = embedder.embed_query("when do owls hunt at night")
    assert len(owls) == DIM and abs(math.sqrt(sum(x * x for x in owls)) - 1) < 1e-4
    assert _cosine(query, owls) > _cosine(query, bridge)
    assert embedder.model_id == "fastembed/tiny"


def test_engine_uses_a_fastembed_model_end_to_end(tmp_path: Path, data_dir: Path) -> None:
    from core import Engine
    from core.datatypes import SearchRequest
    from core.embeddings.fastembed_backend import FastEmbedEmbedder
    from tests.core import pdfs

    embedder = FastEmbedEmbedder(_make_model_folder(tmp_path / "tiny"), DIM, name="tiny")
    with Engine.create(data_dir, embedder=embedder, ocr=None) as engine:
        engine.create_workspace("w")
        pdf = pdfs.text_pdf(tmp_path / "a.pdf", ["stone bridge river thames", "owls hunting mice at night"])
        assert engine.ingest("w", [pdf]).files[0].status == "added"
        assert engine.search(SearchRequest("w", "owl hunt", top_k=1))[0].page == 2


def test_incomplete_folder_is_a_clear_error(tmp_path: Path) -> None:
    from core.embeddings.fastembed_backend import FastEmbedEmbedder

    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelMissing, match="model.onnx|tokenizer.json"):
        FastEmbedEmbedder(tmp_path / "empty", DIM).embed_query("hello")


def test_cli_uses_an_onnx_model_folder(tmp_path: Path, data_dir: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import REPO
    from tests.core import pdfs

    folder = _make_model_folder(tmp_path / "tiny")
    pdf = pdfs.text_pdf(tmp_path / "a.pdf", ["stone bridge river thames", "owls hunting mice at night"])

    def wenku(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "core", "--data-dir", str(data_dir), "--embedding-model",
                               str(folder), *args], cwd=REPO, capture_output=True, text=True, timeout=300)

    assert wenku("create", "w").returncode == 0
    assert wenku("ingest", "w", str(pdf), "--json").returncode == 0
    result = wenku("search", "w", "owl hunt", "--top-k", "1", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["passages"][0]["page"] == 2
    listed = subprocess.run([sys.executable, "-m", "core", "--data-dir", str(data_dir), "workspaces", "--json"],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert json.loads(listed.stdout)["workspaces"][0]["embedding_model"] == "fastembed/tiny"
