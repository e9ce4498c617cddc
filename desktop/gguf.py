"""A tiny GGUF header reader: name, architecture, quantization and context length of a model file.

Reads only the metadata key/value section at the start of the file (no tensors), so showing a
model's facts in Preferences costs milliseconds and needs no llama.cpp. Any thread may call it.
Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

# general.file_type values (llama_ftype) and the names people know them by.
FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M",
    18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S",
    25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M",
    32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
}
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


class NotGguf(ValueError):
    """The file is not a GGUF model (or its header is damaged)."""


@dataclass(frozen=True)
class GgufInfo:
    path: str
    size: int
    name: str
    architecture: str
    quantization: str
    context_length: int
    layers: int


def _read(handle: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = handle.read(size)
    if len(data) != size:
        raise NotGguf("the file ends inside its header")
    return struct.unpack(fmt, data)[0]


def _string(handle: BinaryIO) -> str:
    length = _read(handle, "<Q")
    if length > 1 << 24:
        raise NotGguf("implausible string length in the header")
    return handle.read(length).decode("utf-8", "replace")


def _value(handle: BinaryIO, kind: int, keep: bool) -> Any:
    if kind in _SCALARS:
        return _read(handle, _SCALARS[kind])
    if kind == 8:
        return _string(handle)
    if kind == 9:
        item_kind, count = _read(handle, "<I"), _read(handle, "<Q")
        if item_kind in _SCALARS and not keep:
            handle.seek(struct.calcsize(_SCALARS[item_kind]) * count, 1)
            return None
        items = [_value(handle, item_kind, keep) for _ in range(count)]
        return items if keep else None
    raise NotGguf(f"unknown metadata value type {kind}")


def read_gguf(path: str | Path) -> GgufInfo:
    """The model's facts from its header; raises :class:`NotGguf` or ``OSError``."""
    path = Path(path)
    meta: dict[str, Any] = {}
    with open(path, "rb") as handle:
        if handle.read(4) != b"GGUF":
            raise NotGguf(f"{path.name} is not a GGUF file")
        version = _read(handle, "<I")
        if version < 2:
            raise NotGguf(f"GGUF version {version} is too old")
        _read(handle, "<Q")  # tensor count
        for _ in range(_read(handle, "<Q")):
            key = _string(handle)
            kind = _read(handle, "<I")
            meta[key] = _value(handle, kind, keep=not key.startswith("tokenizer."))
    arch = str(meta.get("general.architecture", ""))
    file_type = meta.get("general.file_type")
    quant = FILE_TYPES.get(int(file_type), f"type {file_type}") if file_type is not None else _quant_from_name(path.name)
    return GgufInfo(
        path=str(path),
        size=path.stat().st_size,
        name=str(meta.get("general.name", path.stem)),
        architecture=arch,
        quantization=quant,
        context_length=int(meta.get(f"{arch}.context_length", 0) or 0),
        layers=int(meta.get(f"{arch}.block_count", 0) or 0),
    )


def _quant_from_name(name: str) -> str:
    upper = name.upper()
    for quant in sorted(FILE_TYPES.values(), key=len, reverse=True):
        if quant in upper:
            return quant
    return "?"
