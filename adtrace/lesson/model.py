"""The Lesson: the explanation of one Trace as ordered sections of steps, which every view prints.

A step knows what it is about (its kind, the node it computes, the nodes and edges it uses), what it
says at every level (the formula in symbols, with the local partials filled in, with numbers), where
each partial comes from, its sentences for --explain, and the answer a learner should give there. Views
print steps; they never compute a number, assemble a formula or word a sentence of their own.

Sections hand out their steps lazily (`Steps`): a view of a million-node trace makes one step at a
time, and a view that elides rows past --max-rows asks only for the head and the tail.

No `from __future__ import annotations` here: a NamedTuple compiles every annotation given as a string
(typing.ForwardRef), and this module's sixty fields cost more to compile than the rest of it to run.
"""

from collections.abc import Sequence
from typing import Literal, NamedTuple

from .lazy import Lazy
from .math import Math, Running

StepKind = Literal[
    "definition",  # a row of the decomposition: w3 = w1·w2
    "graph_row",  # a row of the graph table: node, computed from, parents
    "forward",  # a row of the forward pass: definition, with values, value
    "seed",  # the seed equation of a reverse pass
    "reverse",  # one adjoint: w̄j = Σ w̄p·∂wp/∂wj, every level
    "tangent",  # one tangent in forward mode: ẇi = Σ ∂wi/∂wk·ẇk
    "jacobian_row",  # a row of a Jacobian table (or of the gradient table)
    "closed_form",  # a derivative written out in the inputs
    "branch",  # a branch decision of a program: the condition, its values, the branch taken
    "note",  # a sentence of its own
]
Layer = Literal["symbols", "rules", "expanded", "simplified", "numbers", "products", "value", "closed"]
NoteKind = Literal["text", "formula", "aside", "emphasis", "warning", "alarm"]
Align = Literal["left", "right"]


class Line(NamedTuple):
    """One line of a derivation: `= <math>`, and which level of the explanation it is."""

    layer: Layer
    math: Math


Words = tuple[str | Math, ...]
"""Words with formulas in them: strings are plain words (never markup), the rest formulas."""


class Note(NamedTuple):
    """A sentence: plain words ("text"), words with formulas in them ("formula"), an aside the eye can skip
    ("aside", still readable: never dim), something to stress ("emphasis"), a warning, or an alarm."""

    kind: NoteKind
    words: Words


class PartialUse(NamedTuple):
    """One local partial a step uses: ∂wp/∂wj = its formula, the rule it comes from, a kink's convention."""

    parent: int
    position: int
    symbol: Math
    formula: Math
    rule: str
    """'product rule: ∂(a·b)/∂b = a'."""
    rule_math: tuple[str, Math, Math]
    """The rule as (name, ∂(a·b)/∂b, a): for views that typeset the rule's formula."""
    note: str = ""
    """The convention used at a kink (relu at 0), when there is one."""


class Answer(NamedTuple):
    """What a learner should give at this step: the number, and the formula in the nodes' labels."""

    value: float
    formula: Math | None = None


class Column(NamedTuple):
    title: str
    align: Align = "left"


class Term(NamedTuple):
    """One contribution w̄p·∂wp/∂wj of a reverse step, at every level, and its running sum."""

    parent: int
    position: int
    lines: tuple[Line, ...]
    value: float
    running: Running
    """The sum so far, after this term, open for the terms to come (3 + …)."""
    explain: str = ""


class Step(NamedTuple):
    kind: StepKind
    node: int | None = None
    """The node this step computes (or lists), if any."""
    lhs: Math | None = None
    """What the step computes: w̄1, ẇ3, or a row's first cell."""
    lines: tuple[Line, ...] = ()
    """The derivation, `lhs = line1 = line2 …`, in order: symbols, rules filled in, numbers, value."""
    cells: tuple[Words, ...] = ()
    """For a table row: every cell, in the order of the block's columns."""
    prefix: str = ""
    """A word before the step ('where', for a named intermediate of a closed form)."""
    partials: Sequence[PartialUse] = ()
    aside: str = ""
    """A short remark printed after the step (why a seed, why 0)."""
    uses: tuple[int, ...] = ()
    """The nodes whose values or adjoints the step reads."""
    edges: tuple[tuple[int, int], ...] = ()
    """The edges (from, to) of the graph the step uses, as (argument node, parent node)."""
    explain: tuple[str, ...] = ()
    """The step in words (--explain)."""
    answer: Answer | None = None
    notes: tuple[Note, ...] = ()
    """Extra lines under a step (a kink's convention, the Jacobian's caption)."""
    terms: tuple[Term, ...] = ()
    """For a reverse step: each contribution on its own (the stepper reveals them one at a time)."""
    inline: bool = False
    """The derivation reads as one line (z̄ = ∂z/∂z = 1), not one line per level."""
    also: tuple[Line, ...] = ()
    """The same result at another level, shown after the derivation under `words.IN_THE_NODES`: the
    adjoint as a formula in the nodes (each parent adjoint written out, then simplified)."""


Steps = Lazy[Step]
"""A section's steps, made on demand (lesson/lazy.py): a view never holds every step of a big trace."""


SectionKind = Literal[
    "header",
    "decomposition",
    "graph",
    "forward",
    "symbolic_forward",
    "seed",
    "reverse",
    "tangent",
    "result",
    "why_seeds",
    "modes",
    "branches",
    "closed_form",
    "adjoint_program",
    "hessian",
]


BlockKind = Literal["notes", "table", "steps"]


class Block(NamedTuple):
    """Part of a section: sentences, a table (one step per row), or derivations (one step each)."""

    kind: BlockKind
    notes: tuple[Note, ...] = ()
    steps: Steps = Lazy(0, lambda k: Step("note"))
    columns: tuple[Column, ...] = ()
    """A table's columns: a row's cells, in order."""
    what: str = "steps"
    """What the steps are called when some are skipped: 'nodes', 'rows', 'steps'."""
    groups: tuple[int, ...] = ()
    """Where each run of one loop iteration or call starts (step positions): a view that cuts the block
    cuts between runs, so it folds whole iterations and calls rather than splitting one."""
    drawing: bool = False
    """Whether a picture of the graph belongs after this table (views that can draw it do, when no row is cut)."""


class Section(NamedTuple):
    kind: SectionKind
    title: str
    blocks: tuple[Block, ...]
    number: int = 0
    """The section's number in the lesson, from 1."""


class Header(NamedTuple):
    title: str
    notes: tuple[Note, ...]
    """What kind of trace this is, when it needs saying (a symbolic trace, a label letter changed)."""
    source: tuple[str, ...]
    """The program's lines that are not blank or comments (control characters made visible)."""
    program: str
    """The whole program as typed, comments too, control characters made visible (for exports)."""
    inputs: tuple[tuple[str, str], ...]
    """(name, value as shown)."""
    outputs: tuple[str, ...]


class Lesson(NamedTuple):
    header: Header
    sections: tuple[Section, ...]
    digits: int
    explain: bool
    symbolic: bool
    """A trace with inputs left as symbols: formulas instead of numbers."""
