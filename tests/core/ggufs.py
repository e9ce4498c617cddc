"""Real, tiny GGUF v3 files written by hand for tests (metadata, tensor infos, aligned F32 data), so
header reading and offload planning are tested without a multi-gigabyte model.

Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from math import prod
from pathlib import Path

F32 = 0
ALIGNMENT = 32


def _string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def _kv(key: str, value: object) -> bytes:
    if isinstance(value, str):
        return _string(key) + struct.pack("<I", 8) + _string(value)
    if isinstance(value, float):
        return _string(key) + struct.pack("<I", 6) + struct.pack("<f", value)
    if isinstance(value, int):
        return _string(key) + struct.pack("<I", 4) + struct.pack("<I", value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return _string(key) + struct.pack("<I", 9) + struct.pack("<IQ", 8, len(value)) + b"".join(_string(v) for v in value)
    if isinstance(value, list):
        return _string(key) + struct.pack("<I", 9) + struct.pack("<IQ", 6, len(value)) + struct.pack(f"<{len(value)}f", *value)
    raise TypeError(value)


@dataclass(frozen=True)
class TinyModel:
    path: Path
    shapes: dict[str, tuple[int, ...]]
    offsets: dict[str, int]  # relative to the data section
    nbytes: dict[str, int]  # F32: 4 bytes per element, before alignment padding
    data_offset: int
    blocks: int


def tiny_gguf(path: Path, *, blocks: int = 3, embd: int = 64, heads: int = 4, kv_heads: int = 2, ff: int = 96,
              vocab: int = 50, tied: bool = False, arch: str = "llama", context: int = 2048,
              alignment: int | None = None) -> TinyModel:
    """A llama-shaped model with F32 zeros for weights; ``tied`` leaves out ``output.weight``."""
    head_dim = embd // heads
    tensors: list[tuple[str, tuple[int, ...]]] = [("token_embd.weight", (embd, vocab)), ("output_norm.weight", (embd,))]
    if not tied:
        tensors.append(("output.weight", (embd, vocab)))
    for n in range(blocks):
        tensors += [
            (f"blk.{n}.attn_norm.weight", (embd,)), (f"blk.{n}.attn_q.weight", (embd, embd)),
            (f"blk.{n}.attn_k.weight", (embd, kv_heads * head_dim)), (f"blk.{n}.attn_v.weight", (embd, kv_heads * head_dim)),
            (f"blk.{n}.attn_output.weight", (embd, embd)), (f"blk.{n}.ffn_norm.weight", (embd,)),
            (f"blk.{n}.ffn_gate.weight", (embd, ff)), (f"blk.{n}.ffn_up.weight", (embd, ff)),
            (f"blk.{n}.ffn_down.weight", (ff, embd)),
        ]
    align = alignment or ALIGNMENT
    metadata: list[tuple[str, object]] = [
        ("general.architecture", arch), ("general.name", "Tiny Test"), ("general.file_type", 0),
        (f"{arch}.block_count", blocks), (f"{arch}.context_length", context), (f"{arch}.embedding_length", embd),
        (f"{arch}.feed_forward_length", ff), (f"{arch}.attention.head_count", heads),
        (f"{arch}.attention.head_count_kv", kv_heads), (f"{arch}.rope.freq_base", 10000.0),
        ("tokenizer.ggml.model", "llama"), ("tokenizer.ggml.tokens", [f"t{i}" for i in range(vocab)]),
        ("tokenizer.ggml.scores", [float(i) for i in range(vocab)]),
    ]
    if alignment is not None:
        metadata.append(("general.alignment", alignment))
    offsets, nbytes, offset = {}, {}, 0
    infos = b""
    for name, shape in tensors:
        offsets[name], nbytes[name] = offset, 4 * prod(shape)
        infos += _string(name) + struct.pack("<I", len(shape)) + struct.pack(f"<{len(shape)}Q", *shape)
        infos += struct.pack("<IQ", F32, offset)
        offset += -(-nbytes[name] // align) * align
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata)) + b"".join(_kv(k, v) for k, v in metadata) + infos
    data_offset = -(-len(header) // align) * align
    path.write_bytes(header + b"\0" * (data_offset - len(header)) + b"\0" * offset)
    return TinyModel(path, dict(tensors), offsets, nbytes, data_offset, blocks)
