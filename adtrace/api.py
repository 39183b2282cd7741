"""The Python API: `trace()` returns a Trace that prints itself.

The engine's Trace holds numbers only and imports no view; this subclass adds the ways a Trace shows
itself (print, str, Jupyter, exports) by calling the views, so the dependencies run one way:
engine → lesson → views → api.
"""

from __future__ import annotations

import os
from dataclasses import fields
from typing import TYPE_CHECKING, Any, Literal

from .engine import pipeline
from .engine.graph import MAX_DEPTH_DEFAULT, MAX_ITERATIONS_DEFAULT, MAX_NODES_DEFAULT
from .engine.trace import Trace as _EngineTrace

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from rich.console import Console, ConsoleOptions, RenderResult

    from .engine.hessian import Hessian
    from .engine.pipeline import Seed
    from .engine.trace import Mode, Notation


class Trace(_EngineTrace):
    """A trace that can show itself: `print(t)`, `str(t)`, `t.to_markdown()`, `t.save("t.md")`, Jupyter."""

    @classmethod
    def of(cls, engine_trace: _EngineTrace) -> Trace:
        return cls(**{f.name: getattr(engine_trace, f.name) for f in fields(engine_trace)})

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from .views.terminal import render

        yield render(self)

    def __str__(self) -> str:
        from .views.terminal import to_text

        return to_text(self)

    def to_json(self, indent: int | None = 2) -> str:
        from .views.json import to_json

        return to_json(self, indent=indent)

    def to_markdown(
        self, digits: int = 4, math: Literal["dollars", "github"] = "dollars", *, explain: bool = False
    ) -> str:
        """The trace as markdown with LaTeX math and a Mermaid graph (see docs/exports.md); `explain` adds the
        sentences of --explain."""
        from .views.markdown import to_markdown

        return to_markdown(self, digits, math, explain=explain)

    def to_html(self, digits: int = 4, theme: Literal["light", "dark"] = "light", width: int | None = None) -> str:
        """The web lesson: one self-contained HTML page that steps through the trace (`save(..., "terminal-html")`
        writes the terminal's look instead)."""
        from .views.export import render

        return render(self, "html", digits=digits, theme=theme, width=width)

    def save(self, path: str | os.PathLike[str], format: str | None = None, **options: Any) -> Path:
        """Write an export, the format from the extension (.md .html .svg .txt .json) unless `format` names it.

        The file is written completely or not at all. Options: digits, theme, width, math, explain.
        """
        from .views.export import save

        return save(self, path, format, **options)

    def adjoint_program(self) -> str:
        """The adjoint program: the tape, then one line per chain-rule term, in Python syntax that adtrace reads
        back (`adtrace -f`) and Python runs with the inputs defined (see docs/guide.md#the-adjoint-program)."""
        from .engine.adjoint import adjoint_program

        return adjoint_program(self)

    def hessian(self, hvp: Mapping[str, float] | None = None) -> Hessian:
        """The Hessian of the (one, scalar) output by forward mode over the adjoint program, or with `hvp` (a
        vector, input → number) one Hessian–vector product: `.matrix`, `.hvp`, `.symmetric`, `.closed`, and
        `.trace`, the traced adjoint program."""
        from .engine.hessian import hessian

        return hessian(self, hvp)

    def _repr_html_(self) -> str:
        """Jupyter shows a Trace as the web lesson, interactive in the notebook (its ids are its own, so two
        lessons in one notebook do not collide; click it, then → / ← step)."""
        from .views.web import fragment

        return fragment(self)

    def _repr_markdown_(self) -> str:
        """Front ends without HTML show a Trace as its markdown trace."""
        return self.to_markdown()


def trace(
    source: str,
    values: Mapping[str, float | int | str] | None = None,
    /,
    *,
    outputs: list[str] | None = None,
    seed: Seed | None = None,
    mode: Mode = "reverse",
    notation: Notation = "w",
    symbolic: bool | None = None,
    max_nodes: int = MAX_NODES_DEFAULT,
    max_iterations: int = MAX_ITERATIONS_DEFAULT,
    max_depth: int = MAX_DEPTH_DEFAULT,
    elements: bool = False,
    **named_values: Any,
) -> Trace:
    """Trace reverse-mode (and optionally forward-mode) AD of `source` at the given inputs.

    >>> t = trace("x1*x2 + sin(x1)", x1=2, x2=3)
    >>> round(t.gradient["x1"], 4)
    2.5839

    Values may be numbers or constant expressions ("pi/4"). `seed` is a number (single output) or a
    mapping from output names (reverse mode) or input names (forward mode) to seeds. With no values at all
    the trace is symbolic; see `adtrace.engine.pipeline.trace` for the rest (programs with control flow,
    and the limits max_nodes, max_iterations and max_depth that stop a program which runs away).
    """
    if isinstance(source, str) and "#" in source:
        source, values, outputs = _with_header(source, {**(values or {}), **named_values}, outputs)
        named_values = {}
    found = pipeline.trace(
        source,
        values,
        outputs=outputs,
        seed=seed,
        mode=mode,
        notation=notation,
        symbolic=symbolic,
        max_nodes=max_nodes,
        max_iterations=max_iterations,
        max_depth=max_depth,
        elements=elements,
        **named_values,
    )
    if not isinstance(found, _EngineTrace):
        from .api_arrays import ArrayTrace  # numpy is loaded only for array programs

        return ArrayTrace.of(found)  # type: ignore[return-value]  # documented: an array program's trace
    return Trace.of(found)


def _with_header(
    source: str, given: dict[str, float | int | str], outputs: list[str] | None
) -> tuple[str, dict[str, float | int | str], list[str] | None]:
    """A program's `# values:` and `# outputs:` header lines apply, as on the command line: values given
    here override the header's, name by name."""
    from .language.values import parse_assignments
    from .samples import parse

    program = parse(source, "program")
    if not program.values and not program.outputs:
        return source, given, outputs
    header: dict[str, float | int | str] = dict(parse_assignments(program.values))
    return program.source, {**header, **given}, outputs or list(program.outputs) or None
