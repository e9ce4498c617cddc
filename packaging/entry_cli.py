"""Frozen-bundle entry point of the ``wenku`` command line (PyInstaller script; see wenku.spec)."""

import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["--wenku-build-vector-index"]:  # core.store.edge_index.FROZEN_FLAG
        from core.store.edge_index import main as build_vector_index

        sys.exit(build_vector_index(sys.argv[2:]))
    from core.cli import main

    main()
