"""Lesson → the web lesson: one self-contained HTML file that steps through the trace and documents it.

The page has two parts. At the top, the stepper: the graph (views/graph_svg.py, its nodes and edges
marked for the script) beside a panel with the step's formula, its rule and its sentence; → / ← / Space /
Home / End and the buttons move through exactly the states of `--step` (`stepper.reveal_states`), which
the page carries as JSON, and the step is kept in the URL fragment (`#step-12`, from 1). Below, every
section of the Lesson as a static document (decomposition, graph, forward, seed, reverse, result, closed
form, modes, Jacobian), which is also what prints.

The Lesson is walked once, by the document: each step is printed and the stepper's states are gathered from it
(`stepper.Gather`), then written in chunks among the document as they are ready, so a big lesson is streamed and
never held whole. A state's running sum is sent as how many of its terms are shown; each term is sent once.

Math is plain Unicode text (w̄1 = w̄3·∂w3/∂w1), exactly what the terminal and the stepper print with
`lesson.math.show`: nothing to typeset and nothing to load, so the page opens from disk with no network.
Styles and script are inline (assets/lesson.css, assets/lesson.js) and scoped to the lesson's root
element, so two lessons in one notebook keep to themselves.

This module only prints: every number, formula and sentence comes from the Lesson, the stepper's states,
or the Trace's values formatted as the other views format them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Sequence
from functools import cache
from html import escape
from importlib.resources import files
from typing import Literal

from ..engine.trace import Trace
from ..lesson import words
from ..lesson.build import build
from ..lesson.math import MORE, Math, Running, show, sum_piece
from ..lesson.model import Block, Lesson, Note, Section, Step, Words
from ..lesson.values import shown
from .stepper import Gather, Reveal
from .terminal import dedupe

Theme = Literal["light", "dark"]

GRAPH_CAP = 60
"""The graph is drawn up to this many nodes (as the terminal drawing and the Mermaid diagram are); past it the
stepper shows the node table and the page stays linear in the size of the trace."""


@cache
def _asset(name: str) -> str:
    return files("adtrace.views").joinpath("assets", name).read_text(encoding="utf-8")


def to_html(trace: Trace, digits: int = 4, theme: Theme = "light") -> str:
    """The web lesson as a whole HTML document."""
    return "".join(iter_html(trace, digits, theme))


def iter_html(trace: Trace, digits: int = 4, theme: Theme = "light") -> Iterator[str]:
    title = f"adtrace: {' '.join(trace.source.split())}"
    yield (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="UTF-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f"<style>\nhtml, body {{ margin: 0; }}\n{_asset('lesson.css')}</style>\n</head>\n<body>\n"
    )
    yield from lesson_parts(trace, digits, theme, scope="adtrace-lesson", standalone=True)
    yield "</body>\n</html>\n"


def fragment(trace: Trace, digits: int = 4, theme: Theme = "light") -> str:
    """The web lesson as one element with its own style and script (for Jupyter): its ids are scoped by a
    fresh id, so two lessons in one notebook do not collide, and its keys work while it has the focus."""
    scope = f"adtrace-{uuid.uuid4().hex[:12]}"
    return f"<style>{_asset('lesson.css')}</style>\n" + "".join(lesson_parts(trace, digits, theme, scope=scope))


def lesson_parts(trace: Trace, digits: int, theme: Theme, *, scope: str, standalone: bool = False) -> Iterator[str]:
    """The lesson's root element: header, toolbar, then the stepper (graph and step, kept in view) beside the
    whole trace, then what the states refer to and the script. The Lesson is walked once: the document prints each
    step and the stepper's states are gathered from it in the same walk, written out as they are ready."""
    lesson = build(trace, digits, explain=True, terms=True)
    walk = _Walk(trace, digits, lesson.header.program)
    flag = " data-standalone" if standalone else ""
    yield f'<div class="adl adl-nojs" id="{scope}" data-theme="{theme}" tabindex="-1"{flag}>\n'
    yield _toolbar()
    yield _header(lesson)
    yield f"<noscript><p>{escape(words.WEB_NO_SCRIPT)}</p></noscript>\n"
    yield '<div class="adl-main">\n'
    yield _stepper(trace, digits, theme, scope)
    yield f'<div class="adl-doc">\n<h2 class="adl-doc-title">{escape(words.WEB_DOCUMENT)}</h2>\n'
    for section in lesson.sections:
        yield from _section(section, trace, digits, theme, scope, walk)
    yield walk.finish()
    yield "</div>\n</div>\n"
    yield '<script type="application/json" class="adl-data">'
    yield from (_script_safe(piece) for piece in walk.data())
    yield "</script>\n"
    yield f"<script>\n{_asset('lesson.js').replace('__SCOPE__', scope)}</script>\n"
    yield "</div>\n"


def _script_safe(text: str) -> str:
    """Text inside a <script> element must never hold '</' (it would close the element) or '<!--'."""
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


# -- the stepper --------------------------------------------------------------
def _toolbar() -> str:
    toggles = (("large", words.WEB_LARGER), ("contrast", words.WEB_CONTRAST), ("theme", words.WEB_THEME))
    buttons = "".join(
        f'<button type="button" data-toggle="{what}" aria-pressed="false">{escape(label)}</button>'
        for what, label in toggles
    )
    return f'<div class="adl-toolbar adl-toggles">{buttons}</div>\n'


def _stepper(trace: Trace, digits: int, theme: Theme, scope: str) -> str:
    if len(trace.graph.numbered) <= GRAPH_CAP:
        from .graph_svg import graph_svg

        picture = graph_svg(trace, digits, theme, scope=scope)
        size = re.search(r'width="([0-9.]+)" height="([0-9.]+)"', picture)
        if size and float(size.group(2)) > 1.2 * float(size.group(1)):  # tall: drawn at its own size, scrolled
            picture = picture.replace("<svg ", '<svg class="adl-tall" ', 1)
    else:
        picture = f'<p class="aside">{_text(words.too_big_to_draw(len(trace.graph.numbered), GRAPH_CAP))}</p>'
        picture += _node_table(trace, digits)
    buttons = "".join(
        f'<button type="button" class="adl-{name}" aria-label="{label}">{face}</button>'
        for name, label, face in (
            ("first", "first step", "first"),
            ("back", "back", "◀ back"),
            ("next", "next", "next ▶"),
            ("last", "last step", "last"),
        )
    )
    return (
        f'<section class="adl-stepper" aria-label="{escape(words.WEB_STEPPER)}">\n'
        '<div class="adl-head">'
        f'<div class="adl-toolbar adl-moves">{buttons}'
        f'<span class="adl-keys">{escape(words.WEB_KEYS)}</span></div>\n'
        '<div class="adl-panel" aria-live="polite">'
        '<div class="adl-status"></div>'  # the script shows the first state
        '<div class="adl-formula"></div><div class="adl-partial"></div><div class="adl-running"></div>'
        '<p class="adl-explain"></p>'
        "</div></div>\n"
        f'<div class="adl-graph">{picture}</div>\n'
        "</section>\n"
    )


def _node_table(trace: Trace, digits: int) -> str:
    """Past the cap: every node with its definition, value and adjoint, for the script to fill in."""
    rows = []
    for i in trace.graph.numbered:
        value = shown(trace.values[i], digits)
        rows.append(
            f'<tr data-node="{i}"><td>{escape(trace.label(i))}</td><td class="m">{_m(trace.definition(i))}</td>'
            f'<td class="r"><span class="value">{escape(value)}</span></td><td class="r"><span class="adjoint">'
            "</span></td></tr>"
        )
    head = "<tr><th>node</th><th>definition</th><th class='r'>value</th><th class='r'>adjoint</th></tr>"
    return f'<table class="adl-nodes"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


FLUSH = 256
"""The stepper's states are written out every this many steps of the document (a script element of their own, which
the page reads in order), so a big lesson's states are never all held."""


class _Walk:
    """The stepper's data, gathered as the document prints the steps and written out as it is ready: the states as
    compact rows (stepper.Gather), each running sum's new pieces with them; at the end, what the rows refer to: the
    nodes in the order their values appear, and per pass the order its adjoints (or tangents) complete in, with each
    one as the node shows it (for a pass with no numbers, its answer as a formula in the nodes)."""

    def __init__(self, trace: Trace, digits: int, program: str) -> None:
        self.trace, self.digits, self.program = trace, digits, program
        self.gather = Gather(program)
        self.sums = _Pieces()
        self.fullest: dict[int, Reveal] = {}
        """Per pass, the state with the most adjoints complete."""
        self.answers: dict[tuple[int, int], Math] = {}
        self._numbers = [bool(p.adjoints) for p in trace.reverse] + [bool(p.tangents) for p in trace.forward]
        self._pass = -1
        self._kind = ""
        self._walked = 0

    def section(self, section: Section) -> None:
        self.gather.section(section)
        self._kind = section.kind
        if section.kind in ("reverse", "tangent"):  # passes are counted as the states count them
            self._pass += 1

    def step(self, step: Step) -> str:
        """Take a step as the document prints it; every FLUSH steps, the states ready, as a script element."""
        self.gather.step(step)
        q = self._pass
        answer = step.answer.formula if step.answer is not None else None
        formulas = self._kind == "reverse" and not (q < len(self._numbers) and self._numbers[q])
        if formulas and step.node is not None and answer is not None:  # a pass with no numbers shows its formulas
            self.answers[q, step.node] = answer
        self._walked += 1
        return self.flush() if self._walked >= FLUSH else ""

    def finish(self) -> str:
        self.gather.finish(self.trace, self.digits)
        return self.flush()

    def flush(self) -> str:
        self._walked = 0
        states = self.gather.take()
        if not states:
            return ""
        rows = [self._row(state) for state in states]
        chunk = _json({"states": rows, "sums": self.sums.take()})
        return f'<script type="application/json" class="adl-states">{_script_safe(chunk)}</script>\n'

    def _row(self, state: Reveal) -> list[object]:
        trace = self.trace
        best = self.fullest.get(state.pass_index)
        if best is None or len(state.adjoints) > len(best.adjoints):
            self.fullest[state.pass_index] = state
        if state.kind == "start":
            text = words.web_start(self.program)
        elif state.kind == "done":
            text = words.web_done(trace, self.digits)
        else:
            text = state.text
        status = state.kind if state.node is None else f"{state.kind} {trace.label(state.node)}"
        rule = "   ".join(f"{show(u.symbol)} = {show(u.formula)}   ← {u.rule}" for u in state.uses)
        said = ""
        if state.node is not None and state.node in state.running:
            said = words.running_sum(trace.label(state.node), "")  # the script appends the sum so far
        running = {str(i): self.sums.of(state.pass_index, i, r) for i, r in state.running.formulas.items()}
        if state.kind == "sum" and state.node is not None:
            self.sums.done(state.pass_index, state.node)
        return [
            state.kind,
            state.node,
            state.parent,
            len(state.values),
            len(state.adjoints),
            state.pass_index,
            running,
            status,
            text,
            state.explain,
            rule,
            said,
        ]

    def data(self) -> Iterator[str]:
        trace, digits = self.trace, self.digits
        order = list(trace.graph.numbered)
        sweeps = [(p.adjoints, words.bar(trace.letter)) for p in trace.reverse]
        sweeps += [(p.tangents, words.dot(trace.letter)) for p in trace.forward]
        count = max([len(sweeps), *(q + 1 for q in self.fullest)])
        yield f'{{"order":{_json(order)},"more":{_json(sum_piece(show(MORE), 1))},"step":{_json(words.WEB_STEP)}'
        yield ',"passes":['
        for q in range(count):
            values, mark = sweeps[q] if q < len(sweeps) else ([], words.bar(trace.letter))
            known = {i: shown(values[i], digits) for i in order if i < len(values)}
            on_node = {i: f"{mark} = {text}" for i, text in known.items() if text}
            if not values:  # a symbolic pass: each node shows its adjoint as the Lesson's answer, in the nodes
                on_node = {i: f"{mark} = {show(formula)}" for (p, i), formula in self.answers.items() if p == q}
            done = list(self.fullest[q].adjoints) if q in self.fullest else []
            yield ("," if q else "") + _json({"order": done, "shown": on_node, "mark": mark})
        yield "]}"


class _Pieces:
    """Every running sum's terms as the page prints them (lesson.math.sum_piece), each made and sent once: a
    state's sum of node i is [s, shown], the first `shown` pieces of sequence s, then `more` (' + …')."""

    def __init__(self) -> None:
        self.made: list[int] = []
        """How many pieces of each sequence are made."""
        self.fresh: dict[int, list[str]] = {}
        """The pieces made since the last `take`, by sequence."""
        self._of: dict[tuple[int, int], tuple[int, Sequence[Math]]] = {}
        """(pass, node) → its sequence, and the terms it was made from, while the node's sum is under way."""

    def of(self, q: int, node: int, running: Running) -> list[int]:
        terms = running.terms
        known = self._of.get((q, node))
        if known is None or not _agrees(known[1], terms, self.made[known[0]]):
            known = (len(self.made), terms)
            self.made.append(0)
        s = known[0]
        self._of[q, node] = (s, terms)
        if self.made[s] < running.shown:
            fresh = self.fresh.setdefault(s, [])
            fresh.extend(sum_piece(show(terms[k]), k) for k in range(self.made[s], running.shown))
            self.made[s] = running.shown
        return [s, running.shown]

    def done(self, q: int, node: int) -> None:
        """The node's sum is complete: its terms are no longer kept."""
        self._of.pop((q, node), None)

    def take(self) -> dict[str, list[str]]:
        fresh, self.fresh = self.fresh, {}
        return {str(s): pieces for s, pieces in fresh.items()}


def _agrees(made_from: Sequence[Math], terms: Sequence[Math], count: int) -> bool:
    """Whether the first `count` terms are the same in both (the seed's sum, then the step's own products)."""
    return made_from is terms or (len(terms) >= count and list(made_from[:count]) == list(terms[:count]))


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- the whole trace, as a document ---------------------------------------------
def _header(lesson: Lesson) -> str:
    h = lesson.header
    given = ", ".join(f"{name} = {value}" for name, value in h.inputs)
    outs = ", ".join(h.outputs)
    notes = "".join(_note(n) for n in h.notes)
    return (
        f"<h1>{escape(h.title)}</h1>\n"
        f'<pre class="adl-program">{escape(h.program)}</pre>\n'
        f'<p class="adl-meta"><b>inputs</b> <span class="m">{escape(given) or "none"}</span> '
        f'<b>output{"s" if len(h.outputs) > 1 else ""}</b> <span class="m">{escape(outs)}</span></p>\n'
        f"{notes}"
    )


def _section(section: Section, trace: Trace, digits: int, theme: Theme, scope: str, walk: _Walk) -> Iterator[str]:
    walk.section(section)
    yield f'<section class="adl-section adl-{section.kind}" id="{scope}-section-{section.number}">\n'
    yield f"<h2>{section.number}. {escape(section.title)}</h2>\n"
    for block in section.blocks:
        if block.kind == "notes":
            yield "".join(_note(n) for n in block.notes)
        elif block.kind == "table":
            yield from _table(block, walk)
            if block.drawing:
                yield _picture(trace, digits, theme, scope)
        else:
            for step in block.steps:
                yield _step(step) + walk.step(step)
    yield "</section>\n"


def _picture(trace: Trace, digits: int, theme: Theme, scope: str) -> str:
    count = len(trace.graph.numbered)
    if count > GRAPH_CAP:
        return f'<p class="aside">{_text(words.too_big_to_draw(count, GRAPH_CAP))}</p>\n'
    from .graph_svg import graph_svg

    return f'<div class="adl-picture">{graph_svg(trace, digits, theme, scope=f"{scope}-doc")}</div>\n'


def _table(block: Block, walk: _Walk) -> Iterator[str]:
    right = [c.align == "right" for c in block.columns]
    heads = "".join(
        f"<th{' class=r' if r else ''}>{escape(c.title)}</th>" for c, r in zip(block.columns, right, strict=True)
    )
    yield f"<table><thead><tr>{heads}</tr></thead><tbody>\n"
    for step in block.steps:
        node = f' data-node="{step.node}"' if step.node is not None else ""
        cells = "".join(
            f"<td{' class=r' if r else ''}>{_words(cell)}</td>" for cell, r in zip(step.cells, right, strict=True)
        )
        yield f"<tr{node}>{cells}</tr>\n" + walk.step(step)  # a script may sit between a table's rows
    yield "</tbody></table>\n"


def _step(step: Step) -> str:
    """A derivation, one level per line (lhs = symbols / = rules filled in / = numbers …), then the formula in
    the nodes, the partials with their rules, the sentences and notes."""
    lhs = _m(step.lhs) if step.lhs is not None else ""
    if step.prefix:
        lhs = f'<span class="aside">{escape(step.prefix)}</span> {lhs}'
    chain = dedupe([show(line.math) for line in step.lines])
    aside = f' <span class="aside">({escape(step.aside)})</span>' if step.aside else ""
    if step.inline or len(chain) <= 1:
        rows = f'<div class="inline">{lhs} = {escape(" = ".join(chain))}{aside}</div>'
    else:
        rows = "".join(
            f'<div class="lhs">{lhs if k == 0 else ""}</div><div>=</div><div>{escape(line)}'
            f"{aside if k == len(chain) - 1 else ''}</div>"
            for k, line in enumerate(chain)
        )
    node = f' data-node="{step.node}"' if step.node is not None else ""
    out = [f'<div class="step step-{step.kind}"{node}><div class="deriv">{rows}</div>']
    if step.also:
        also = " = ".join(dedupe([show(line.math) for line in step.also]))
        out.append(f'<p class="also">{escape(words.IN_THE_NODES)} <span class="m">{lhs} = {escape(also)}</span></p>')
    if step.partials:
        items = []
        for use in step.partials:
            note = f' <span class="note-warning">{escape(words.NOTE)} {escape(use.note)}</span>' if use.note else ""
            items.append(
                f'<li><span class="m">{_m(use.symbol)} = {_m(use.formula)}</span> ← {escape(use.rule)}{note}</li>'
            )
        out.append(f'<ul class="partials">{"".join(items)}</ul>')
    out.extend(f'<p class="explain">{escape(sentence)}</p>' for sentence in step.explain)
    out.extend(_note(n) for n in step.notes)
    out.append("</div>\n")
    return "".join(out)


def _note(note: Note) -> str:
    return f'<p class="note-{note.kind}">{_words(note.words)}</p>\n'


def _words(words_: Words) -> str:
    return "".join(
        escape(piece) if isinstance(piece, str) else f'<span class="m">{_m(piece)}</span>' for piece in words_
    )


def _m(math: Math) -> str:
    return escape(show(math))


def _text(text: str) -> str:
    return escape(text)
