"""Wenku's PySide6 desktop GUI: the only package that imports Qt (built in the desktop issue)."""
