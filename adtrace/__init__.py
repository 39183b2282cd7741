"""adtrace: watch reverse-mode automatic differentiation happen, step by step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import AdtraceError

if TYPE_CHECKING:
    from .api import Trace, trace

__all__ = ["AdtraceError", "Trace", "trace"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """`adtrace.trace` and `adtrace.Trace` load the engine on first use, so `adtrace --help` and
    `--version` start without it."""
    if name in ("trace", "Trace"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'adtrace' has no attribute '{name}'")
