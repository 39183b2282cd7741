"""Hessian → Lesson: the adjoint program traced, its tangent passes, then the Hessian (or H·v).

The same sections as any forward-mode trace (the tape, the values, one tangent pass per seed, made by
build.py and passes.py), over the adjoint program instead of the expression; each tangent of a program
variable is named as a learner writes it (the tangent of the adjoint wbar3 is ẇ̄3), and the result is the
Hessian matrix with its symmetry stated, or one Hessian–vector product with its cost.
"""

from __future__ import annotations

import re
from functools import partial

from ..engine.hessian import Hessian
from ..engine.symbolic import rounded
from ..engine.trace import Trace
from ..expr import Sym, latex_name, number, symbols
from . import words
from .build import _lazy, _section, decomposition, forward, header
from .math import BAR, DOT, Formula, Matrix, Partial, Titled, dot, num
from .model import Block, Column, Lesson, Line, Note, Section, Step, Steps, Words
from .passes import tangent_step

_ADJOINT = re.compile(r"([^\W\d_]+)bar(\d+)((?:_\w+)?)(@\d+)?")


def tangent_name(variable: str) -> str:
    """The tangent of a program variable, as a learner writes it: wbar3 → ẇ̄3, wbar3@2 → ẇ̄3@2, w3 → ẇ3."""
    match = _ADJOINT.fullmatch(variable)
    if match:
        letter, digits, suffix, version = match.groups()
        return f"{letter[:-1]}{letter[-1]}{DOT}{BAR}{digits}{suffix}{version or ''}"
    return dot(variable)


def second(num: str, a: str, b: str) -> Formula:
    """∂²num/∂a∂b, or ∂²num/∂a² on the diagonal, in both formats."""
    den = f"\\partial {latex_name(a)}^2" if a == b else f"\\partial {latex_name(a)} \\partial {latex_name(b)}"
    plain = f"∂²{num}/∂{a}²" if a == b else f"∂²{num}/∂{a}∂{b}"
    return Formula(plain, f"\\frac{{\\partial^2 {latex_name(num)}}}{{{den}}}")


def build_hessian(h: Hessian, original: Trace, digits: int = 4, *, explain: bool = False) -> Lesson:
    """The lesson of a Hessian (or a Hessian–vector product) of `original`'s output."""
    t = h.trace
    sections: list[Section] = [_program(h), forward(t, digits, explain)]
    count = len(t.forward)
    for k, tpass in enumerate(t.forward):
        seeds: Words = ("seed: ", words.tangent_seed_words(t, tpass))
        make = partial(_tangent, t, tpass, digits=digits, explain=explain)
        sections.append(
            _section(
                "tangent",
                words.hessian_tangent_title(k, count, tpass.input),
                Block(
                    "notes",
                    (Note("formula", seeds), Note("aside", (words.hessian_tangent_intro(tpass.input, h.output),))),
                ),
                Block("steps", steps=_lazy(t.graph.numbered, make)),
            )
        )
    sections.append(_hvp(h, digits) if h.matrix is None else _matrix(h, digits))
    numbered = tuple(s._replace(number=k) for k, s in enumerate(sections, start=1))
    head = header(original)._replace(title=words.HESSIAN_MODE, outputs=(h.output,))
    return Lesson(head, numbered, digits, explain, False)


def _program(h: Hessian) -> Section:
    tape = decomposition(h.trace)
    intro = Block("notes", tuple(Note("text", (s,)) for s in words.adjoint_program_intro(h.trace.letter, h.output)))
    return tape._replace(kind="adjoint_program", title=words.ADJOINT_PROGRAM, blocks=(intro, *tape.blocks))


def _tangent(t: Trace, tpass: object, i: int, digits: int, explain: bool) -> Step:
    step = tangent_step(t, tpass, i, digits, explain)  # type: ignore[arg-type]
    node = t.graph.nodes[i]
    if node.name and not node.is_input:
        return step._replace(lhs=Titled(dot(t.label(i)), tangent_name(node.name)))
    return step


def _matrix(h: Hessian, digits: int) -> Section:
    assert h.matrix is not None
    inputs = list(h.matrix)
    rows = list(h.matrix.items())

    def row(k: int) -> Step:
        xi, values = rows[k]
        cells: tuple[Words, ...] = ((Partial(h.output, xi),), *((num(values[x], digits),) for x in inputs))
        return Step("jacobian_row", None, Partial(h.output, xi), cells=cells)

    columns = (Column("H"), *(Column(f"∂/∂{x}", "right") for x in inputs))
    matrix = Matrix(tuple(tuple(number(h.matrix[a][b], digits) for b in inputs) for a in inputs))
    blocks = [
        Block("notes", (Note("aside", (words.hessian_caption(h.output),)),)),
        Block("table", steps=Steps(len(rows), row), columns=columns, what="rows"),
        Block("notes", (Note("formula", (Sym("H"), " = ", matrix)),)),
        Block(
            "notes",
            (
                Note(
                    "emphasis" if h.symmetric else "alarm",
                    (words.symmetry_verdict(h.symmetric, h.asymmetry, len(inputs)),),
                ),
            ),
        ),
        *_closed(h, digits),
        Block("notes", (Note("aside", (words.hessian_cost(len(inputs)),)),)),
    ]
    return _section("hessian", words.HESSIAN, *blocks)


def _hvp(h: Hessian, digits: int) -> Section:
    assert h.hvp is not None and h.vector is not None
    vector = ", ".join(f"{x} = {number(v, digits)}" for x, v in h.vector.items())
    steps = [
        Step(
            "closed_form",
            None,
            Formula(f"(H·v)[{x}]", f"(H v)_{{{latex_name(x)}}}"),
            (Line("value", num(value, digits)),),
        )
        for x, value in h.hvp.items()
    ]
    blocks = [
        Block("steps", steps=Steps.of(steps)),
        Block("notes", (Note("aside", (words.hvp_cost(vector),)),)),
    ]
    return _section("hessian", words.HVP, *blocks)


def _closed(h: Hessian, digits: int) -> list[Block]:
    """The upper triangle (H is symmetric), row by row, each row with the named intermediates it uses."""
    if h.closed is None or h.matrix is None:
        return []
    inputs = list(h.closed)
    blocks = [Block("notes", (Note("text", (words.HESSIAN_CLOSED,)),))]
    for k, a in enumerate(inputs):
        row = h.closed[a]
        shown = inputs[k:] if h.symmetric else inputs
        steps = [
            Step("closed_form", None, second(h.output, a, b), (Line("closed", rounded(row[b], digits)),)) for b in shown
        ]
        used = {n for b in shown for n in symbols(row[b])}
        bindings = (h.where or {}).get(a, [])
        for name, formula in reversed(bindings):  # let order: a name's own formula may use earlier ones
            if name in used:
                used.update(symbols(formula))
        steps += [
            Step("closed_form", None, Sym(name), (Line("closed", rounded(formula, digits)),), prefix="where")
            for name, formula in bindings
            if name in used
        ]
        blocks.append(Block("steps", steps=Steps.of(steps)))
    if h.symmetric and len(inputs) > 1:
        named = any(h.where.values()) if h.where else False
        blocks.append(Block("notes", (Note("aside", (words.hessian_closed_rest(named),)),)))
    return blocks
