"""`--quiz`: ask, step by step, for the answer each Lesson step expects, and name the slip in a wrong one.

The loop reads one line per answer from a stream (the terminal, a pipe, a test) and prints with rich. What
to ask, how to read an answer and what a wrong one means all come from `lesson.diagnose` (from the Lesson's
data, at the trace's values and at a few random points the engine traces again); the sentences come from
`lesson.quiz_words`. This module only asks, prints and counts.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import NamedTuple, TextIO

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from ..engine.trace import Trace
from ..errors import AdtraceError
from ..expr import number
from ..lesson import diagnose as dx
from ..lesson import quiz_words as qw
from ..lesson.build import build
from ..lesson.math import show
from ..lesson.model import Lesson, Step
from ..lesson.source import visible
from .terminal import text_of

RANDOM_POINTS = 3
"""Random input values a formula is checked at, besides the trace's own."""
Retrace = Callable[[dict[str, float]], Trace]


class Record(NamedTuple):
    lhs: str
    wrong: int
    outcome: str  # "right", "right later", "shown", "stopped" (input ended)
    first: str
    """The diagnosis of the first wrong answer."""


class Result(NamedTuple):
    records: tuple[Record, ...]
    total: int
    ended: bool
    """Input ended (Ctrl-D) before the last question."""

    @property
    def right_first(self) -> int:
        return sum(1 for r in self.records if r.outcome == "right" and r.wrong == 0)


class Points(NamedTuple):
    """The Lesson at each point: the trace's own (None if it has no numbers), then the random ones."""

    lessons: tuple[Lesson | None, ...]
    inputs: tuple[dict[str, float], ...]


def random_points(trace: Trace, retrace: Retrace, digits: int, count: int = RANDOM_POINTS) -> Points:
    """The trace's Lesson and `count` more at random inputs near its values (reproducible from the source)."""
    lessons: list[Lesson | None] = [None if trace.symbolic_only else build(trace, digits, terms=True)]
    inputs: list[dict[str, float]] = [dict(trace.inputs)]
    rng = random.Random(f"quiz:{trace.source}")
    for _ in range(30 * count):
        if len(lessons) > count:
            break
        point = {}
        for name in trace.graph.inputs:
            base = trace.inputs.get(name, 1.0)
            point[name] = round(base + rng.uniform(-0.5, 0.5) * max(1.0, abs(base)), 3)
        try:
            found = retrace(point)
        except AdtraceError:
            continue
        numbers = [*found.values, *(a for p in found.reverse for a in p.adjoints)]
        numbers += [t for p in found.forward for t in p.tangents]
        if all(math.isfinite(v) for v in numbers):
            lessons.append(build(found, digits, terms=True))
            inputs.append(point)
    return Points(tuple(lessons), tuple(inputs))


class Quiz:
    """One quiz over one trace: its questions, and the facts of each at every point."""

    def __init__(
        self, trace: Trace, retrace: Retrace, digits: int = 4, *, values: bool = False, partials: bool = False
    ) -> None:
        self.trace = trace
        self.digits = digits
        self.lesson = build(trace, digits, terms=not trace.symbolic_only)
        self.points = random_points(trace, retrace, digits)
        structure = next((p for p in self.points.lessons if p is not None), self.lesson)
        self.questions = dx.questions(structure, values=values, partials=partials)
        self.structure = structure

    def facts(self, q: dx.Question) -> list[dx.Facts | None]:
        return [None if p is None else dx.facts(p, q) for p in self.points.lessons]

    def names(self, q: dx.Question) -> tuple[str, ...]:
        return dx.allowed(self.structure, q, self.questions)

    def read(self, q: dx.Question, text: str) -> dx.Typed:
        envs = [None if p is None else dx.environment(p, q.pass_index) for p in self.points.lessons]
        return dx.read(text, self.names(q), envs, dx.lhs_text(self.structure, q))

    def step(self, q: dx.Question) -> Step:
        """The step as the trace itself shows it (formulas for a symbolic trace)."""
        try:
            return dx.step_of(self.lesson, q)
        except LookupError:
            return dx.step_of(self.structure, q)


def run(
    trace: Trace,
    console: Console,
    stream: TextIO,
    retrace: Retrace,
    *,
    digits: int = 4,
    values: bool = False,
    partials: bool = False,
    title: str = "",
) -> Result:
    """Ask every question of the trace's Lesson, reading answers from `stream`; returns what happened."""
    quiz = Quiz(trace, retrace, digits, values=values, partials=partials)
    _intro(console, quiz, title, values)
    records: list[Record] = []
    heading = ""
    for q in quiz.questions:
        now = _heading(quiz.lesson, q)
        if now != heading:
            heading = now
            console.print(Text(f"\n{heading}", style="bold"))
        record, ended = _ask(console, stream, quiz, q)
        if record is not None and _passes(quiz, q) > 1:
            record = record._replace(lhs=f"{record.lhs} (pass {q.pass_index + 1})")
        if record is not None:
            records.append(record)
        if ended:
            console.print(Text(qw.END_OF_INPUT, style="yellow"))
            _summary(console, records, len(quiz.questions))
            return Result(tuple(records), len(quiz.questions), True)
    _summary(console, records, len(quiz.questions))
    return Result(tuple(records), len(quiz.questions), False)


def _passes(quiz: Quiz, q: dx.Question) -> int:
    return len({x.pass_index for x in quiz.questions if x.section == q.section})


def _say(console: Console, text: str, style: str = "") -> None:
    """A line under the prompt, indented, and indented again where the terminal wraps it."""
    console.print(Padding(Text(text, style=style), (0, 0, 0, 2), expand=False))


def _heading(lesson: Lesson, q: dx.Question) -> str:
    """The Lesson's title of the section a question is in (a seed belongs to its reverse pass)."""
    if q.kind == "value":
        return qw.FORWARD_SECTION
    kind = "reverse" if q.section == "seed" else q.section
    found = [s for s in lesson.sections if s.kind == kind]
    return found[q.pass_index].title if q.pass_index < len(found) else ""


def _intro(console: Console, quiz: Quiz, title: str, values: bool) -> None:
    lesson = quiz.lesson
    if title:
        console.print(Text(title, style="bold"))
    console.print(Text.assemble(("expression  ", "bold"), visible(" ".join(lesson.header.source))))
    if lesson.header.inputs:
        inputs = ", ".join(f"{n} = {v}" for n, v in lesson.header.inputs)
        console.print(Text.assemble(("inputs      ", "bold"), inputs))
    console.print(Text(qw.FORWARD_ASKED if values else qw.FORWARD_GIVEN, style="bold"))
    kind = "symbolic_forward" if lesson.symbolic else "forward"
    for step in dx.section_steps(lesson, kind, 0):
        if step.lhs is None or not step.lines:
            continue
        parts = [show(step.lhs), show(step.lines[0].math)]
        if not values and not lesson.symbolic:
            parts.append(show(step.lines[-1].math))
        console.print(Text("  " + " = ".join(dict.fromkeys(parts))))
    first = quiz.questions[0].kind if quiz.questions else "adjoint"
    ask = "tangent" if any(q.kind == "tangent" for q in quiz.questions) and first != "value" else first
    console.print(Text(qw.intro(ask, lesson.symbolic), style="dim"))


def _ask(console: Console, stream: TextIO, quiz: Quiz, q: dx.Question) -> tuple[Record | None, bool]:
    """Ask one question until it is answered, given up or shown; (its record, whether input ended)."""
    lhs = dx.lhs_text(quiz.structure, q)
    points = quiz.facts(q)
    hints = _hints(quiz, q)
    given = 0
    wrong = 0
    first = ""
    while True:
        console.print(Text(f"{lhs} = ", style="bold"), end="")
        line = stream.readline()
        if not line:
            console.print()
            return (Record(lhs, wrong, "stopped", first) if wrong else None), True
        text = line.strip()
        if text.lower() in qw.HINT_WORDS:
            if given < len(hints):
                _say(console, "hint: " + hints[given], "cyan")
                given += 1
            else:
                _say(console, qw.NO_MORE_HINTS, "cyan")
            continue
        if text.lower() in qw.GIVE_UP_WORDS:
            _show_answer(console, quiz, q, lhs, points)
            return Record(lhs, wrong, "shown", first), False
        if not text:
            _say(console, qw.EMPTY, "yellow")
            continue
        try:
            typed = quiz.read(q, text)
        except dx.AnswerError as error:
            _bad_input(console, error, lhs, quiz.names(q))
            continue
        verdict = dx.judge(typed, points, quiz.points.inputs)
        if verdict.right:
            right = points[0].right if points[0] is not None else math.nan
            said = (
                qw.right_formula(lhs, number(right, quiz.digits))
                if typed.formula is not None and points[0]
                else qw.RIGHT
            )
            _say(console, said, "green")
            return Record(lhs, wrong, "right" if wrong == 0 else "right later", first), False
        wrong += 1
        said = _diagnosis(quiz, q, lhs, typed, verdict)
        first = first or said
        _say(console, "✗ " + said, "red")
        if wrong >= qw.TRIES:
            _show_answer(console, quiz, q, lhs, points)
            return Record(lhs, wrong, "shown", first), False
        _say(console, qw.tries_left(qw.TRIES - wrong), "dim")


def _diagnosis(quiz: Quiz, q: dx.Question, lhs: str, typed: dx.Typed, verdict: dx.Verdict) -> str:
    if verdict.only_here and verdict.elsewhere is not None:
        where, got, right = verdict.elsewhere
        return qw.only_here(lhs, where, got, right)
    own = dx.labels(quiz.structure).get(q.node, lhs)
    said = [qw.diagnosis(c, own, q.kind, lhs) for c in verdict.matches]
    said = list(dict.fromkeys(said))
    if len(said) == 1:
        return said[0]
    if said:
        return qw.ambiguous(said)
    return qw.no_slip(lhs, typed.text.strip())


def _bad_input(console: Console, error: dx.AnswerError, lhs: str, names: Sequence[str]) -> None:
    message = error.message
    if message == "empty":
        said = qw.EMPTY
    elif message.startswith("unknown:"):
        name = message.removeprefix("unknown:")
        said = qw.unknown_name(name, lhs, dx.code_name(lhs), [dx.code_name(n) for n in names])
    elif message.startswith("undefined:"):
        said = qw.undefined(message.removeprefix("undefined:"))
    else:
        said = qw.unreadable(message)
    _say(console, said, "yellow")
    for caret in error.carets:
        console.print(Text("    " + caret, style="yellow"), soft_wrap=True)  # the caret stays under its column


def _show_answer(console: Console, quiz: Quiz, q: dx.Question, lhs: str, points: Sequence[dx.Facts | None]) -> None:
    value, formula = answer_of(quiz.step(q), q, points[0], quiz.digits)
    _say(console, qw.shown(lhs, value, formula), "magenta")


def answer_of(step: Step, q: dx.Question, here: dx.Facts | None, digits: int) -> tuple[str, str]:
    """The answer as (number, formula) text, from the Lesson step (number '' for a symbolic trace)."""
    value = number(here.right, digits) if here is not None else ""
    if q.kind == "partial":
        return value, show(step.partials[q.partial].formula)
    formula = show(step.answer.formula) if step.answer is not None and step.answer.formula is not None else value
    return value, formula


def _hints(quiz: Quiz, q: dx.Question) -> list[str]:
    """Hints in order, from the step's lines: who feeds whom, the chain rule, the partials, the numbers."""
    step = quiz.step(q)
    layers = {line.layer: show(line.math) for line in step.lines}
    lhs = dx.lhs_text(quiz.structure, q)
    names = dx.labels(quiz.structure)
    own = names.get(q.node, lhs)
    if q.kind == "partial":
        use = step.partials[q.partial]
        return [use.rule]
    if q.kind == "tangent" and not step.partials:  # an input: its tangent is its seed in this pass
        found = [s for s in quiz.lesson.sections if s.kind == "tangent"][q.pass_index]
        notes = [n for b in found.blocks if b.kind == "notes" for n in b.notes if n.kind == "formula"]
        return [text_of(notes[0].words)] if notes else []
    if q.kind == "value":
        out = [f"{own} = {layers.get('symbols', '')}"]
        if "numbers" in layers:
            out.append(f"{own} = {layers['numbers']}")
        return out
    if q.kind == "seed":
        return [f"{lhs} = {layers.get('symbols', '∂z/∂z')}: how much the output changes per unit change of itself"]
    hints: list[str] = []
    if q.kind == "adjoint":
        parents = list(dict.fromkeys(names[u.parent] for u in step.partials))
        hints.append(qw.hint_parents(own, parents))
    else:
        hints.append(qw.hint_arguments(own, [names[a] for a, _ in step.edges]))
    if "symbols" in layers:
        hints.append(qw.HINT_SYMBOLS + f"{lhs} = {layers['symbols']}")
    if step.partials:
        rules = "; ".join(f"{show(u.symbol)} = {show(u.formula)} ({u.rule})" for u in step.partials)
        hints.append(qw.HINT_RULES + f"{lhs} = {layers.get('rules', '')}, where {rules}")
    if "numbers" in layers:
        hints.append(qw.HINT_NUMBERS + f"{lhs} = {layers['numbers']}")
    return hints


def _summary(console: Console, records: Sequence[Record], total: int) -> None:
    right = sum(1 for r in records if r.outcome == "right" and r.wrong == 0)
    later = sum(1 for r in records if r.outcome == "right later")
    shown_count = sum(1 for r in records if r.outcome == "shown")
    console.print()
    console.print(Text(qw.score(right, len(records), total, later, shown_count), style="bold"))
    bad = [r for r in records if r.wrong or r.outcome == "shown"]
    if not bad:
        if records:
            console.print(Text(qw.ALL_RIGHT, style="green"))
        return
    console.print(Text(qw.WENT_WRONG, style="bold"))
    for r in bad:
        outcome = {"shown": "answer shown", "stopped": "not answered"}.get(r.outcome, "then right")
        _say(console, qw.went_wrong(r.lhs, r.wrong, outcome, r.first))
