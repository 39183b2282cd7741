"""adtrace: watch reverse-mode automatic differentiation happen, step by step."""

from .errors import AdtraceError
from .pipeline import trace
from .trace import Trace

__all__ = ["AdtraceError", "Trace", "trace"]
__version__ = "0.1.0"
