"""Frozen-bundle entry point of ``wenku-desktop``, the GUI (PyInstaller script; see wenku.spec)."""

from desktop.app import main

if __name__ == "__main__":
    main()
