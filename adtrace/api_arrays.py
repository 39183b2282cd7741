"""The Python API's trace of an array program (array level): the engine's ArrayTrace with its views (every
export goes through views/export.py, whose views print the array lesson as they print a scalar one).

Kept apart from api.py so that a scalar trace never imports numpy.
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .engine.arrays.trace import ArrayTrace as _EngineArrayTrace

if TYPE_CHECKING:
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

    def to_html(self, digits: int = 4, theme: str = "light") -> str:
        """The web lesson: one self-contained HTML page that steps through the array level."""
        from .views.export import render

        return render(self, "html", digits=digits, theme=theme)  # type: ignore[arg-type]

    def save(self, path: str | os.PathLike[str], format: str | None = None, **options: Any) -> Path:
        """Write an export (atomically), the format from the extension (.md .html .svg .txt .json) unless
        `format` names it; with format "graph-svg", the graph alone. Options: digits, theme, width, math, explain."""
        from .views.export import save

        return save(self, path, format, **options)  # type: ignore[arg-type]

    def _repr_html_(self) -> str:
        """Jupyter shows the array level as the web lesson, as it shows a scalar trace."""
        from .views.web import fragment

        return fragment(self)  # type: ignore[arg-type]
