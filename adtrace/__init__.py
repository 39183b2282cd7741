"""adtrace: watch reverse-mode automatic differentiation happen, step by step."""

from .api import Trace, trace
from .errors import AdtraceError

__all__ = ["AdtraceError", "Trace", "trace"]
__version__ = "0.1.0"
