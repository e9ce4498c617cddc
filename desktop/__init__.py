"""Wenku's PySide6 desktop GUI: the only package that imports Qt (see desktop/app.py to start)."""
