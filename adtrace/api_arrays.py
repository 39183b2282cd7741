"""The Python API's trace of an array program (array level): the engine's ArrayTrace with its views.

Kept apart from api.py so that a scalar trace never imports numpy.
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .engine.arrays.trace import ArrayTrace as _EngineArrayTrace

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rich.console import Console, ConsoleOptions, RenderResult


class ArrayTrace(_EngineArrayTrace):
    """An array program's trace at the array level, with its views: print, markdown, JSON, exports."""

    @classmethod
    def of(cls, engine_trace: _EngineArrayTrace) -> ArrayTrace:
        return cls(**{f.name: getattr(engine_trace, f.name) for f in fields(engine_trace)})

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from .lesson.arrays import build_arrays
        from .views.terminal import pieces

        yield from pieces(build_arrays(self), self)  # type: ignore[arg-type]

    def print_to(self, console: Console, digits: int = 4, *, explain: bool = False, max_rows: int = 200) -> None:
        from .views.arrays import print_arrays

        print_arrays(console, self, digits, explain=explain, max_rows=max_rows)

    def to_text(self, width: int = 100, digits: int = 4, *, explain: bool = False, max_rows: int = 200) -> str:
        from .views.arrays import arrays_text

        return arrays_text(self, width, digits, explain=explain, max_rows=max_rows)

    def __str__(self) -> str:
        return self.to_text()

    def to_json(self, indent: int | None = 2) -> str:
        from .views.arrays import to_json

        return to_json(self, indent)

    def to_markdown(self, digits: int = 4, math: str = "dollars", *, explain: bool = False) -> str:
        from .views.arrays import iter_arrays_markdown

        return "".join(iter_arrays_markdown(self, digits, math, explain=explain))

    def save(self, path: str | os.PathLike[str], format: str | None = None, **options: Any) -> Path:
        """Write a markdown, JSON or plain-text export (atomically), the format from the extension."""
        from .errors import UnknownFormatError
        from .views.arrays import iter_arrays_markdown, to_json
        from .views.export import format_of, normalise, write_atomic

        target = Path(path)
        fmt = normalise(format) if format else format_of(target)
        digits = int(options.get("digits", 4))
        explain = bool(options.get("explain", False))
        pieces: Iterator[str]
        if fmt == "markdown":
            pieces = iter_arrays_markdown(self, digits, str(options.get("math", "dollars")), explain=explain)
        elif fmt == "json":
            pieces = iter([to_json(self) + "\n"])
        elif fmt == "txt":
            pieces = iter([self.to_text(int(options.get("width") or 100), digits, explain=explain)])
        else:
            raise UnknownFormatError(
                f"the {fmt} export is not there yet for an array program's array level: write .md, .json or .txt"
            )
        write_atomic(target, pieces)
        return target
