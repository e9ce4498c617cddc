"""Frozen-bundle entry point of the ``wenku`` command line (PyInstaller script; see wenku.spec)."""

from core.cli import main

if __name__ == "__main__":
    main()
