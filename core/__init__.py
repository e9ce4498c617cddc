"""Wenku's Qt-free engine. The only entry point for callers is :class:`core.Engine`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.engine import Engine

__all__ = ["Engine"]


def __getattr__(name: str) -> Any:
    # Lazy, so importing a small module such as core.errors does not load the whole engine.
    if name == "Engine":
        from core.engine import Engine

        return Engine
    raise AttributeError(name)
