"""The user's own text as a lesson quotes it: visible, never obeyed."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters but tab and newline: ESC would start a terminal escape sequence (colour, clear screen,
a window title) if printed as it is."""


def visible(text: str) -> str:
    """User text as it may reach a terminal: control characters (ESC and the rest) shown as ^[, not obeyed."""
    return _CONTROL.sub(lambda m: f"^{chr((ord(m.group()) + 64) % 128)}" if ord(m.group()) < 128 else "\ufffd", text)
