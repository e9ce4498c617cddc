"""Building an embedded shard's HNSW index without stopping searches.

Why this module exists: Qdrant Edge searches a segment that has no HNSW graph by exact scan —
about 20 ms at 100k chunks but half a second at 1M (README "Vector store at scale"). Its
``EdgeShard.optimize`` builds the graphs, but it holds the Python GIL and the shard for the whole
build (measured: 22 s for 30k chunks on an idle 2-core machine, ~10 min for 100k on busy cores),
so calling it on the app's own shard would freeze every thread of the app. So the graph is built
on a copy, in another process:

1. :func:`copy_shard` copies the flushed shard folder to a new shard folder beside it (the caller
   holds off every write meanwhile, so the copy sees no half-done one) and the live store starts
   a write journal;
2. :func:`optimize_in_child` loads the copy in a child process (its own GIL), runs ``optimize``
   at low priority and waits for it; the app searches, answers and imports meanwhile;
3. the caller opens the copy, replays the journal into it and makes it the workspace's store by
   one atomic settings write (``store.folder``); the old folder is deleted after. A copy that
   never became the store (a crash, a cancel) is an unreferenced shard folder, which the engine
   deletes when it opens the workspace (:func:`core.store.factory.leftover_shards`).

Functions here are pure file and process operations; any thread may call them.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core.cancel import CancelToken
from core.errors import DiskFull, StoreError

log = logging.getLogger(__name__)

#: The copy needs the shard's size again plus the graph (~10% of the vectors) and slack.
SPACE_FACTOR = 1.5
#: ``nice`` increment of the builder process: answers and imports keep priority over it.
CHILD_NICENESS = 10
POLL_SECONDS = 0.2
#: First argument that makes a frozen Wenku executable run the builder (see ``packaging/entry_*.py``).
FROZEN_FLAG = "--wenku-build-vector-index"


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def copy_shard(live: Path, target: Path) -> None:
    """Copy a flushed shard folder no one writes to ``target`` (which must not exist).

    Raises :class:`DiskFull` before copying anything when the disk cannot hold the copy and its
    graph, :class:`StoreError` (nothing left behind) when the copy fails."""
    needed = int(folder_bytes(live) * SPACE_FACTOR)
    free = shutil.disk_usage(live.parent).free
    if free < needed:
        raise DiskFull(f"building the search index needs {needed / 1e6:,.0f} MB free next to {live}, "
                       f"only {free / 1e6:,.0f} MB are: searches stay exact scans until space is freed")
    try:
        shutil.copytree(live, target)
    except OSError as error:
        shutil.rmtree(target, ignore_errors=True)
        raise StoreError(f"could not copy {live} to build its search index: {error}") from error


def builder_command(folder: Path, dimension: int, indexing_threshold_kb: int | None) -> list[str]:
    """The command line of the builder process: ``python -m core.store.edge_index`` from source,
    the frozen app itself with :data:`FROZEN_FLAG` in a PyInstaller bundle (its entry points hand
    that flag to :func:`main`). A plain process rather than multiprocessing: spawn would re-run
    the caller's ``__main__`` module, which scripts embedding the engine do not guard."""
    arguments = [str(folder), str(dimension), str(indexing_threshold_kb or 0)]
    if getattr(sys, "frozen", False):
        return [sys.executable, FROZEN_FLAG, *arguments]
    return [sys.executable, "-m", "core.store.edge_index", *arguments]


def _child_environment() -> dict[str, str]:
    """The parent's environment, with the folder this ``core`` package was imported from first on
    the module path, so the child runs the same code (a checkout, a worktree, an install)."""
    environment = dict(os.environ)
    source_root = str(Path(__file__).resolve().parents[2])
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [source_root, environment.get("PYTHONPATH")]))
    return environment


def optimize_in_child(folder: Path, dimension: int, cancel: CancelToken, *,
                      indexing_threshold_kb: int | None = None) -> float | None:
    """Build the HNSW graphs of the shard at ``folder`` in a child process and wait for it.

    Returns the seconds it took, or None when cancelled (the process is killed; the folder is then
    half-written and must be deleted). Raises :class:`StoreError` when the process fails."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(builder_command(folder, dimension, indexing_threshold_kb), env=_child_environment(),
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors)
        while True:
            if cancel.cancelled:
                process.kill()
                process.wait()
                return None
            try:
                code = process.wait(POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                continue
        if code != 0:
            errors.seek(0)
            lines = errors.read().decode("utf-8", "replace").strip().splitlines()
            raise StoreError(f"building the search index failed (exit code {code}): "
                             f"{lines[-1] if lines else 'no message'}")
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    """The builder process: load the copy, optimise it at low priority, flush, close."""
    folder, dimension, threshold = argv[0], int(argv[1]), int(argv[2]) or None
    if hasattr(os, "nice"):
        os.nice(CHILD_NICENESS)
    from core.store.common import qdrant_edge
    from core.store.edge import edge_config

    shard = qdrant_edge().EdgeShard.load(folder, edge_config(dimension, indexing_threshold_kb=threshold))
    try:
        shard.optimize()
        shard.flush()
    finally:
        shard.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
