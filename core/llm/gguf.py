"""A GGUF header reader: a model's facts (name, architecture, quantization, context, layers) and,
for planning GPU offload, its tensor table (name, shape, type, offset, byte size).

Reads only the header (metadata key/values and tensor infos) through a read-only memory map, never
the tensor data, so it costs milliseconds even for a multi-gigabyte file and needs no llama.cpp.
Byte sizes come from the tensor offsets (each tensor runs to the next one's offset, the last to the
end of the file), which avoids a table of ggml block sizes. Pure functions; any thread may call them.
Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# general.file_type values (llama_ftype) and the names people know them by.
FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M",
    18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S",
    25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M",
    32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
}
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
_U64 = struct.Struct("<Q")
DEFAULT_ALIGNMENT = 32
_MAX_TENSORS = 1 << 20
_MAX_DIMS = 8


class NotGguf(ValueError):
    """The file is not a GGUF model (or its header is damaged)."""


@dataclass(frozen=True)
class GgufInfo:
    """What Preferences shows about a model file."""

    path: str
    size: int
    name: str
    architecture: str
    quantization: str
    context_length: int
    layers: int


@dataclass(frozen=True)
class TensorInfo:
    """One tensor of the file: ``offset`` is relative to the data section, ``size`` in bytes."""

    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int
    size: int


@dataclass(frozen=True)
class GgufHeader:
    """The whole header: metadata (``tokenizer.*`` arrays left out) and the tensor table."""

    path: str
    file_size: int
    version: int
    metadata: dict[str, Any]
    tensors: tuple[TensorInfo, ...]
    data_offset: int

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    def arch_value(self, key: str, default: Any = None) -> Any:
        """``<architecture>.<key>`` from the metadata (e.g. ``block_count``)."""
        return self.metadata.get(f"{self.architecture}.{key}", default)


class _Cursor:
    """Sequential little-endian reads from a buffer, raising :class:`NotGguf` past its end."""

    def __init__(self, data: Any) -> None:
        self.data = data
        self.pos = 0

    def read(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise NotGguf("the file ends inside its header")
        value = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += size
        return value

    def string(self, keep: bool = True) -> str:
        length = self.read("<Q")
        if length > 1 << 24 or self.pos + length > len(self.data):
            raise NotGguf("implausible string length in the header")
        start, self.pos = self.pos, self.pos + length
        return bytes(self.data[start:self.pos]).decode("utf-8", "replace") if keep else ""

    def _skip_strings(self, count: int) -> None:
        """Skip an array of strings (a tokenizer's 150k tokens) without decoding them."""
        data, pos, end = self.data, self.pos, len(self.data)
        for _ in range(count):
            if pos + 8 > end:
                raise NotGguf("the file ends inside its header")
            pos += 8 + _U64.unpack_from(data, pos)[0]
        if pos > end:
            raise NotGguf("the file ends inside its header")
        self.pos = pos

    def value(self, kind: int, keep: bool) -> Any:
        if kind in _SCALARS:
            return self.read(_SCALARS[kind])
        if kind == _STRING:
            return self.string(keep)
        if kind == _ARRAY:
            item_kind, count = self.read("<I"), self.read("<Q")
            if item_kind in _SCALARS and not keep:
                self.pos += struct.calcsize(_SCALARS[item_kind]) * count
                if self.pos > len(self.data):
                    raise NotGguf("the file ends inside its header")
                return None
            if item_kind == _STRING and not keep:
                self._skip_strings(count)
                return None
            items = [self.value(item_kind, keep) for _ in range(count)]
            return items if keep else None
        raise NotGguf(f"unknown metadata value type {kind}")


def read_header(path: str | Path, *, tensors: bool = True) -> GgufHeader:
    """The file's metadata and (unless ``tensors=False``) its tensor table.

    Raises :class:`NotGguf` for a file that is not GGUF or whose header is damaged, ``OSError`` when
    it cannot be read.
    """
    path = Path(path)
    with open(path, "rb") as handle:
        file_size = path.stat().st_size
        if file_size < 24:
            raise NotGguf(f"{path.name} is not a GGUF file")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _parse(path, file_size, _Cursor(data), tensors)


def _parse(path: Path, file_size: int, cur: _Cursor, with_tensors: bool) -> GgufHeader:
    if bytes(cur.data[:4]) != b"GGUF":
        raise NotGguf(f"{path.name} is not a GGUF file")
    cur.pos = 4
    version = cur.read("<I")
    if version < 2:
        raise NotGguf(f"GGUF version {version} is too old")
    tensor_count, kv_count = cur.read("<Q"), cur.read("<Q")
    if tensor_count > _MAX_TENSORS:
        raise NotGguf("implausible tensor count in the header")
    meta: dict[str, Any] = {}
    for _ in range(kv_count):
        key = cur.string()
        kind = cur.read("<I")
        keep = not key.startswith("tokenizer.")
        value = cur.value(kind, keep)
        if keep:
            meta[key] = value
    if not with_tensors:
        return GgufHeader(str(path), file_size, version, meta, (), 0)
    raw: list[tuple[str, tuple[int, ...], int, int]] = []
    for _ in range(tensor_count):
        name = cur.string()
        n_dims = cur.read("<I")
        if n_dims > _MAX_DIMS:
            raise NotGguf(f"tensor {name} has {n_dims} dimensions")
        shape = tuple(cur.read("<Q") for _ in range(n_dims))
        raw.append((name, shape, cur.read("<I"), cur.read("<Q")))
    alignment = int(meta.get("general.alignment", DEFAULT_ALIGNMENT) or DEFAULT_ALIGNMENT)
    data_offset = -(-cur.pos // alignment) * alignment if raw else cur.pos  # padded only when there are tensors
    data_size = file_size - data_offset
    offsets = [offset for *_, offset in raw]
    if offsets and max(offsets) >= data_size:
        raise NotGguf("a tensor lies past the end of the file (truncated download?)")
    ends = sorted({*offsets, max(data_size, 0)})
    following = dict(zip(ends, ends[1:], strict=False))
    infos = tuple(TensorInfo(name, shape, kind, offset, following.get(offset, offset) - offset)
                  for name, shape, kind, offset in raw)
    return GgufHeader(str(path), file_size, version, meta, infos, data_offset)


def read_gguf(path: str | Path) -> GgufInfo:
    """The model's facts from its header; raises :class:`NotGguf` or ``OSError``."""
    path = Path(path)
    header = read_header(path, tensors=False)
    meta = header.metadata
    arch = header.architecture
    file_type = meta.get("general.file_type")
    quant = FILE_TYPES.get(int(file_type), f"type {file_type}") if file_type is not None else _quant_from_name(path.name)
    return GgufInfo(
        path=str(path),
        size=header.file_size,
        name=str(meta.get("general.name", path.stem)),
        architecture=arch,
        quantization=quant,
        context_length=int(header.arch_value("context_length", 0) or 0),
        layers=int(header.arch_value("block_count", 0) or 0),
    )


def _quant_from_name(name: str) -> str:
    upper = name.upper()
    for quant in sorted(FILE_TYPES.values(), key=len, reverse=True):
        if quant in upper:
            return quant
    return "?"
