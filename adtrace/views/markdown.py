"""Lesson → Markdown: the same sections as the terminal, with LaTeX math and a Mermaid graph.

Every step, formula and sentence comes from the Lesson; formulas are printed as LaTeX by
`lesson.math.show(..., "latex")`, so nothing is assembled here. The default math form is the one
GitHub, Jupyter, Obsidian, VS Code and pandoc all read: `$…$` inline and `$$ … $$` display blocks on
their own lines with a blank line around them. GitHub runs its markdown parser over the math before
MathJax sees it, so the LaTeX written here keeps to a subset that markdown leaves alone
(tests/test_markdown.py checks every rule on every export):

* every `_` follows a letter or a digit (`\\bar w_{3}`, never `\\bar{w}_{3}`): `}_{` can open emphasis;
* `\\cdot`, never `*`; no `|` (use `\\lvert`/`\\rvert`); no backslash before punctuation, except `\\\\`
  at the very end of a line of an `aligned` block, which GitHub keeps;
* no display line starts with `+ `, `- `, `#` or `>`; math is ASCII only.

`math="github"` writes GitHub's own forms instead (`` $`…`$ `` and ```` ```math ```` blocks), which GitHub
protects from markdown but other renderers do not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from ..engine.trace import Trace
from ..errors import UnknownFormatError
from ..expr import Expr, latex_name
from ..lesson import words
from ..lesson.build import build
from ..lesson.math import Math, show
from ..lesson.model import Block, Lesson, Note, Section, Step, Steps, Words
from .mermaid import mermaid

MathStyle = Literal["dollars", "github"]
MATH_STYLES: tuple[str, ...] = ("dollars", "github")

MERMAID_MAX_NODES = 60
"""Larger graphs get the table only: a diagram that size is unreadable and exceeds mermaid's default limits."""

_ESCAPE = re.compile(r"([\\`*_\[\]<>#|$~&])")


def to_markdown(trace: Trace, digits: int = 4, math: MathStyle = "dollars", *, explain: bool = False) -> str:
    return "".join(iter_markdown(trace, digits, math, explain=explain))


def iter_markdown(
    trace: Trace, digits: int = 4, math: MathStyle = "dollars", *, explain: bool = False, lesson: Lesson | None = None
) -> Iterator[str]:
    """The markdown in pieces (a section's head, or one step), so a big trace streams to a file.

    `explain` adds the sentences of `--explain` under the seed and each step; `lesson` is printed instead of the
    trace's own (a Hessian's, lesson/hessian.py)."""
    if math not in MATH_STYLES:
        raise UnknownFormatError(f"unknown math style '{math}': use {' or '.join(MATH_STYLES)}")
    lesson = lesson or build(trace, digits, explain=explain)
    md = _Writer(math)
    yield md.header(lesson, trace)
    for section in lesson.sections:
        yield from md.section(section, trace, digits)


# -- small pieces -------------------------------------------------------------
def text(words_: str) -> str:
    """Free text (it may hold user names) with every markdown-special character escaped."""
    return _ESCAPE.sub(r"\\\1", words_)


def tex_bar(tex: str) -> str:
    """w_{3} → \\bar w_{3} (no braces before the subscript); a longer name gets \\overline{…}."""
    if re.fullmatch(r"(?:\\[A-Za-z]+|[A-Za-z])(?:_\{[^{}]*\})?(?:\^\{[^{}]*\})?", tex):
        return f"\\bar {tex}"
    return f"\\overline{{{tex}}}"


class _Writer:
    def __init__(self, math: MathStyle):
        self.math = math
        self._rules: dict[int, tuple[object, str]] = {}
        """A rule's text by the id of its (cached, shared) rule_math: every use of a primitive's rule prints it."""

    # -- math delimiters --------------------------------------------
    def m(self, tex: str) -> str:
        return f"$`{tex}`$" if self.math == "github" else f"${tex}$"

    def display(self, lines: list[str]) -> str:
        """One display block; several lines become an aligned derivation with `\\\\` ending each line."""
        body = lines[0].replace("&=", "=")  # one line needs no alignment points (outside `aligned`, & is an error)
        if len(lines) > 1:
            body = "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"
        if self.math == "github":
            return f"```math\n{body}\n```\n\n"
        return f"$$\n{body}\n$$\n\n"

    def words(self, words_: Words) -> str:
        """Words with formulas: text escaped; formulas joined by ' = ' or ', ' share one math span
        ($w_{1}, w_{2}$, $z = 6.909$)."""
        out: list[str] = []
        run: list[str] = []
        for piece in words_:
            if isinstance(piece, str) and not (run and piece in (", ", " = ", "  ")):
                if run:
                    out.append(self.m("".join(run)))
                    run = []
                out.append(text(piece))
            else:
                run.append(piece if isinstance(piece, str) else show(piece, "latex"))
        if run:
            out.append(self.m("".join(run).replace("  ", ", ")))
        return "".join(out)

    def note(self, note: Note) -> str:
        said = self.words(note.words)
        if note.kind in ("emphasis", "alarm") and all(isinstance(p, str) for p in note.words):
            said = f"**{said}**"
        elif note.kind == "warning":
            said = "**warning:** " + said.removeprefix("warning: ")
        return said + "\n\n"

    # -- the lesson -------------------------------------------------
    def header(self, lesson: Lesson, trace: Trace) -> str:
        h = lesson.header
        source = h.program
        fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", source)), default=0))
        given = ", ".join(f"{latex_name(n)} = {show(_const(v), 'latex')}" for n, v in h.inputs)
        outs = ", ".join(latex_name(o) for o in h.outputs)
        head = (
            f"# {text(h.title)}\n\n"
            f"{fence}text\n{source}\n{fence}\n\n"
            f"- inputs: {self.m(given) if given else 'none'}\n"
            f"- output{'s' if len(h.outputs) > 1 else ''}: {self.m(outs)}\n\n"
        )
        return head + "".join(self.note(n) for n in h.notes)

    def section(self, section: Section, trace: Trace, digits: int) -> Iterator[str]:
        yield f"## {section.number}. {text(section.title)}\n\n"
        for block in _merged(section.blocks):
            if block.kind == "notes":
                yield "".join(self.note(n) for n in block.notes)
            elif block.kind == "table":
                if block.drawing:
                    yield self.graph_picture(trace, digits)
                yield from self.table(block)
            elif _equations(block):
                yield from self.equations(block)
            else:
                for step in block.steps:
                    yield self.step(step)

    def equations(self, block: Block) -> Iterator[str]:
        """One aligned display per run of equations; a note between runs (a loop iteration, a call) as text."""
        run: list[str] = []
        for step in block.steps:
            if step.kind == "note":
                if run:
                    yield self.display(run)
                    run = []
                yield "".join(self.note(n) for n in step.notes)
            else:
                run.append(self.equation(step))
        if run:
            yield self.display(run)

    def equation(self, step: Step) -> str:
        """One line of an aligned block: w3 &= w1·w2, or \\text{where} w̄3 &= … ."""
        lhs = show(step.lhs, "latex") if step.lhs is not None else ""
        if step.prefix:
            lhs = f"\\text{{{step.prefix}}}\\ {lhs}"
        said = f" \\quad \\text{{({step.aside})}}" if step.aside else ""
        return f"{lhs} &= " + " = ".join(show(line.math, "latex") for line in step.lines) + said

    def step(self, step: Step) -> str:
        """A derivation as an aligned display block, then its partials, the formula in the nodes, sentences."""
        if step.kind in ("note", "branch"):
            return "".join(self.note(n) for n in step.notes)
        lhs = show(step.lhs, "latex") if step.lhs is not None else ""
        chain = _dedupe([show(line.math, "latex") for line in step.lines])
        if (step.inline or len(chain) == 1) and step.aside:
            out = [self.m(f"{lhs} = " + " = ".join(chain)) + f" ({text(step.aside)})\n\n"]
        elif step.inline or len(chain) == 1:
            out = [self.display([f"{lhs} = " + " = ".join(chain)])]
        else:
            lines = [f"{lhs} &= {chain[0]}"] + [f"&= {c}" for c in chain[1:]]
            if step.aside:
                lines[-1] += f" \\quad \\text{{({step.aside})}}"
            out = [self.display(lines)]
        if step.also:
            also = _dedupe([show(line.math, "latex") for line in step.also])
            out.append(f"{text(words.IN_THE_NODES)} {self.m(f'{lhs} = ' + ' = '.join(also))}\n\n")
        for use in step.partials:
            rule = self.rule(use.rule_math)
            where = self.m(f"{show(use.symbol, 'latex')} = {show(use.formula, 'latex')}")
            note = f" ({text(words.NOTE)} {text(use.note)})" if use.note else ""
            out.append(f"- {where} ← {rule}{note}\n")
        if step.partials:
            out.append("\n")
        out.extend(f"{text(sentence)}\n\n" for sentence in step.explain)
        out.extend(self.note(n) for n in step.notes)
        return "".join(out)

    def rule(self, rule_math: tuple[str, Math, Math]) -> str:
        """'product rule: $\\frac{…}{…} = b$', printed once per rule."""
        kept = self._rules.get(id(rule_math))
        if kept is not None and kept[0] is rule_math:
            return kept[1]
        name, symbol, formula = rule_math
        said = f"{text(name)}: {self.m(show(symbol, 'latex') + ' = ' + show(formula, 'latex'))}"
        self._rules[id(rule_math)] = (rule_math, said)
        return said

    def table(self, block: Block) -> Iterator[str]:
        heads = [
            self.m(c.title.replace("_i", "_{i}")) if c.title in ("w_i", "v_i") else text(c.title) for c in block.columns
        ]
        aligns = [" ---: |" if c.align == "right" else " --- |" for c in block.columns]
        yield "| " + " | ".join(heads) + " |\n|" + "".join(aligns) + "\n"
        for step in block.steps:
            yield "| " + " | ".join(self.cell(cell) for cell in step.cells) + " |\n"
        yield "\n"

    def cell(self, cell: Words) -> str:
        return self.words(cell) or " "

    # -- the graph picture --------------------------------------------
    def graph_picture(self, trace: Trace, digits: int) -> str:
        numbered = trace.graph.numbered
        if len(numbered) > MERMAID_MAX_NODES:
            return text(words.too_big_to_draw(len(numbered), MERMAID_MAX_NODES)) + "\n\n"
        return f"```mermaid\n{mermaid(trace, digits)}\n```\n\n{text(words.mermaid_legend(trace))}\n\n"


def _equations(block: Block) -> bool:
    """Whether a block is one-line equations (the decomposition, the outputs, the closed forms): told by its first
    step that is not a note, since a block's steps are made by one maker (so a long block is not made twice)."""
    if block.kind != "steps":
        return False
    for step in block.steps:
        if step.kind != "note":
            return step.kind in ("definition", "closed_form")
    return True


def _merged(blocks: tuple[Block, ...]) -> list[Block]:
    """Consecutive blocks of one-line equations (the decomposition's nodes and its outputs) as one block,
    so they share one aligned display."""
    out: list[Block] = []
    for block in blocks:
        if out and _equations(out[-1]) and _equations(block):
            out[-1] = out[-1]._replace(steps=_joined(out[-1].steps, block.steps))
        else:
            out.append(block)
    return out


def _joined(first: Steps, then: Steps) -> Steps:
    """Two blocks' steps as one sequence, still made a step at a time."""
    cut = len(first)
    return Steps(cut + len(then), lambda k: first[k] if k < cut else then[k - cut])


def _const(text_: str) -> Expr:
    from ..expr import Const

    return Const(float("nan"), text_)


def _dedupe(lines: list[str]) -> list[str]:
    """Drop a line that shows what the line before it showed (as the terminal does: 1·1 = 1 = 1)."""
    return [line for k, line in enumerate(lines) if not k or line != lines[k - 1]]
