"""What a quiz asks, and what a learner's answer means: pure data in, a verdict out.

A quiz asks, one step at a time, for the answer a Lesson step expects (`questions`). To judge an answer it
reads the Lesson at several points: the trace's own input values and a few random ones, each traced by the
engine (the view builds those Lessons). At each point `facts` reads, from that Lesson's data alone, the right
number and the numbers the usual slips give (a candidate per slip: one path of several, the partial without
the parent's adjoint, the node's value, a term with its sign flipped, a seed of 0, a wrong local partial).
`judge` compares what the learner typed with them: a number at the trace's values, a formula at every point.

Nothing here prints or words a sentence (that is `quiz_words`), and nothing recognises a mistake by the
text typed: a slip is named when the answer's numbers are the numbers that slip gives.

Numbers are accepted within `REL_TOLERANCE` of the right value: anything rounded to 3 significant digits
(or more) passes (rounding to 3 digits moves a number by at most half a unit in its third digit, 0.5% of
it). A formula is checked at every point with `FORMULA_TOLERANCE` (it has no rounding to forgive).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from itertools import combinations
from typing import Literal, NamedTuple, cast

from ..errors import AdtraceError
from ..expr import Apply, Const, Expr, Sym, evaluate, fold, from_syntax, symbols
from ..expr import show as show_expr
from .math import BAR, DOT, OVERLINE, Math, Partial, Sum, Titled, bar, dot
from .math import show as show_math
from .model import Lesson, PartialUse, Step

REL_TOLERANCE = 0.005
"""A number is right within 0.5% of the value (plus ABS_TOLERANCE): every rounding to 3 significant digits."""
ABS_TOLERANCE = 1e-9
FORMULA_TOLERANCE = 1e-7
"""A formula must agree to 1e-7 (relative, plus ABS_TOLERANCE) at the trace's values and at every random point."""
MAX_SUBSETS = 4
"""Up to this many contributions every proper subset is a 'missing path' candidate; beyond, one term alone
and all terms but one."""

QuestionKind = Literal["value", "seed", "adjoint", "partial", "tangent"]
Slip = Literal[
    "missing_path",  # some of the node's paths (terms) but not all: = where += belongs
    "no_adjoint",  # a local partial without the parent's adjoint (or tangent) it multiplies
    "value",  # the node's value where its adjoint (or tangent) belongs
    "sign",  # one term with its sign flipped
    "seed_zero",  # what a seed of 0 gives
    "function",  # a local partial replaced by the parent's own value (sin where cos belongs)
    "swapped",  # the partial of the parent's other argument (product rule the wrong way round)
    "one",  # a local partial taken as 1, as if the parent were a sum
    "other_value",  # another node's value (forward values)
]


class Question(NamedTuple):
    """One answer the quiz asks for: the step of a section (by kind and pass), and for a partial which one."""

    kind: QuestionKind
    section: str
    """The section's kind: forward, seed, reverse, tangent (symbolic_forward for a symbolic trace)."""
    pass_index: int
    """Which section of that kind (the k-th reverse pass), from 0."""
    node: int
    partial: int = -1
    """For a 'partial' question: the index into the step's partials."""


class Candidate(NamedTuple):
    """A number a slip gives, and what the slip is about (labels and rules, for its sentence)."""

    slip: Slip
    value: float
    parents: tuple[str, ...] = ()
    """The parents (or, for tangents, the arguments) the slip is about, as labels."""
    of: tuple[str, ...] = ()
    """All the node's parents (missing_path: the paths it has)."""
    partial: PartialUse | None = None
    """The local partial the slip is about (sign, no_adjoint, function, swapped, one)."""
    shown: str = ""
    """What was used instead (function: the parent's formula; swapped: the other partial's formula)."""

    @property
    def key(self) -> tuple[object, ...]:
        """The same slip at every point: everything but the number."""
        return (self.slip, self.parents, self.of, self.partial, self.shown)


class Facts(NamedTuple):
    """One question at one point: the right number, the slips' numbers, and every name's value there."""

    right: float
    candidates: tuple[Candidate, ...]
    env: dict[str, float]
    """Every name a formula may use at this point: labels, inputs, adjoints (w̄3 and wbar3), tangents."""


class Verdict(NamedTuple):
    right: bool
    matches: tuple[Candidate, ...] = ()
    """The slips that give the answer's numbers: one is a diagnosis, several are ambiguous."""
    only_here: bool = False
    """A formula that is right at the trace's values but not at the other points."""
    elsewhere: tuple[dict[str, float], float, float] | None = None
    """For only_here: a point where it differs (input values), what it gives there and what is right."""


class Typed(NamedTuple):
    """What a learner typed, read: a number, or a formula (and its values at every point)."""

    text: str
    formula: Expr | None
    values: tuple[float | None, ...]
    """At each point (None: not compared there: a number is compared at the trace's values only)."""


class AnswerError(Exception):
    """A typed answer that can't be read: the message, and the caret lines under the typed text."""

    def __init__(self, message: str, carets: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.carets = tuple(carets)


# -- what to ask --------------------------------------------------------------------------------------
def questions(lesson: Lesson, *, values: bool = False, partials: bool = False) -> list[Question]:
    """Every answer the quiz asks for, in the Lesson's order: (forward values,) seeds, adjoints (each
    local partial first, with `partials`), tangents."""
    asked: list[Question] = []
    counts: dict[str, int] = {}
    for section in lesson.sections:
        k = counts.get(section.kind, 0)
        counts[section.kind] = k + 1
        for step in section_steps(lesson, section.kind, k):
            if step.node is None:
                continue
            if section.kind in ("forward", "symbolic_forward") and values:
                asked.append(Question("value", section.kind, k, step.node))
            elif section.kind == "seed":
                asked.append(Question("seed", "seed", k, step.node))
            elif section.kind == "reverse":
                if partials:
                    asked += [Question("partial", "reverse", k, step.node, m) for m in range(len(step.partials))]
                asked.append(Question("adjoint", "reverse", k, step.node))
            elif section.kind == "tangent":
                if partials:
                    asked += [Question("partial", "tangent", k, step.node, m) for m in range(len(step.partials))]
                asked.append(Question("tangent", "tangent", k, step.node))
    return asked


def section_steps(lesson: Lesson, kind: str, k: int) -> list[Step]:
    """The steps of the k-th section of a kind (every block but notes)."""
    found = [s for s in lesson.sections if s.kind == kind]
    if k >= len(found):
        return []
    return [step for block in found[k].blocks if block.kind != "notes" for step in block.steps]


def step_of(lesson: Lesson, question: Question) -> Step:
    """The Lesson step a question asks about (the same node's step in another point's Lesson)."""
    section = question.section
    if section == "symbolic_forward" and not lesson.symbolic:
        section = "forward"
    elif section == "forward" and lesson.symbolic:
        section = "symbolic_forward"
    for step in section_steps(lesson, section, question.pass_index):
        if step.node == question.node:
            return step
    raise LookupError(f"no {section} step for node {question.node}")


def lhs_text(lesson: Lesson, question: Question) -> str:
    """What the question asks for: w̄1, ∂w3/∂w1, ẇ3, w3, z̄."""
    step = step_of(lesson, question)
    if question.kind == "partial":
        return _plain(step.partials[question.partial].symbol)
    if question.kind == "value":
        return labels(lesson)[question.node]
    assert step.lhs is not None
    return _plain(step.lhs)


def labels(lesson: Lesson) -> dict[int, str]:
    """Node index → label, from the forward section's rows."""
    kind = "symbolic_forward" if lesson.symbolic else "forward"
    out: dict[int, str] = {}
    for step in section_steps(lesson, kind, 0):
        if step.node is not None and step.lhs is not None:
            out[step.node] = step.lhs.label if isinstance(step.lhs, Titled) else _plain(step.lhs)
    return out


# -- the names a formula may use ------------------------------------------------------------------------
def code_name(name: str) -> str:
    """How an adjoint or tangent is typed in ASCII: w̄3 → wbar3, l̅o̅s̅s̅ → lossbar, ẇ3 → wdot3."""
    if OVERLINE in name:
        return name.replace(OVERLINE, "") + "bar"
    return name.replace(BAR, "bar").replace(DOT, "dot").replace("-", "m")


def allowed(lesson: Lesson, question: Question, asked: Sequence[Question]) -> tuple[str, ...]:
    """The names an answer to `question` may use: for a forward value, the inputs and the earlier nodes;
    otherwise every node and input, and the adjoints (tangents) of the steps already asked in this pass."""
    names = labels(lesson)
    inputs = _inputs(lesson)
    if question.kind == "value":
        earlier = [n for i, n in names.items() if i < question.node]
        return (*inputs, *earlier)
    found: list[str] = [*inputs, *names.values()]
    if question.kind in ("adjoint", "seed", "tangent"):
        for q in asked:
            if q == question:
                break
            if q.pass_index != question.pass_index or q.kind == "partial":
                continue
            if (q.kind == "tangent") == (question.kind == "tangent"):  # adjoints for adjoints, tangents for tangents
                found.append(lhs_text(lesson, q))
    return tuple(dict.fromkeys(found))


def _inputs(lesson: Lesson) -> list[str]:
    return [name for name, _ in lesson.header.inputs] or _symbol_inputs(lesson)


def _symbol_inputs(lesson: Lesson) -> list[str]:
    """A symbolic trace's inputs: the names its input rows are defined as."""
    out = []
    for step in section_steps(lesson, "symbolic_forward", 0):
        first = step.lines[0].math if step.lines else None
        if isinstance(first, Sym) and step.lhs is not None and _plain(step.lhs) != first.name:
            out.append(first.name)
    return out


# -- reading what was typed ----------------------------------------------------------------------------
def read(text: str, names: Sequence[str], envs: Sequence[dict[str, float] | None], lhs: str) -> Typed:
    """A typed answer: a number, or a formula over `names` evaluated at each point's env (None: no numbers
    there). `lhs = …` is read as `…`. Raises AnswerError for what can't be read."""
    body = text.strip()
    if "=" in body:
        body = body.rsplit("=", 1)[1].strip()
    if not body:
        raise AnswerError("empty")
    spelled = _ascii(body, names)
    from ..language.parser import parse_expression

    try:
        formula = from_syntax(parse_expression(spelled))
    except AdtraceError as error:
        error.with_source(spelled)
        raise AnswerError(error.message, error.caret_lines()) from error
    free = symbols(formula)
    by_code = {code_name(n): n for n in names}
    unknown = [s for s in free if s not in by_code]
    if unknown:
        raise AnswerError(f"unknown:{unknown[0]}")
    renamed = _rename(formula, by_code)
    if not free:  # a number (or a formula of numbers): compared at the trace's values (if it has them)
        value = _value(renamed, {})
        if envs and envs[0] is not None:
            return Typed(text, None, (value, *(None for _ in envs[1:])))
        return Typed(text, None, tuple(value for _ in envs))
    values: list[float | None] = []
    for env in envs:
        values.append(None if env is None else _value(renamed, env))
    return Typed(text, renamed, tuple(values))


def _ascii(text: str, names: Sequence[str]) -> str:
    """The typed text in the parser's spelling: w̄3 → wbar3, ẇ3 → wdot3, · → *, − → -."""
    text = unicodedata.normalize("NFD", text)  # ẇ typed as one character is w and a combining dot
    for name in sorted(names, key=len, reverse=True):
        if name != code_name(name):
            text = text.replace(name, code_name(name))
    text = text.replace("·", "*").replace("×", "*").replace("−", "-").replace("÷", "/")
    return re.sub(r"([^\W\d_]+)[\u0304\u0305](\d*)", r"\1bar\2", text)  # a bar typed on a name we don't know


def _rename(expr: Expr, by_code: dict[str, str]) -> Expr:
    return fold(
        expr,
        lambda leaf: Sym(by_code.get(leaf.name, leaf.name)) if isinstance(leaf, Sym) else leaf,
        lambda node, args: Apply(node.prim, tuple(args)),
    )


def _value(expr: Expr, env: dict[str, float]) -> float:
    try:
        value = evaluate(expr, env)
    except (ArithmeticError, ValueError, AdtraceError) as error:
        raise AnswerError(f"undefined:{getattr(error, 'message', error)}") from error
    if not math.isfinite(value):
        raise AnswerError("undefined:not a finite number")
    return value


def show(expr: Expr) -> str:
    return show_expr(expr)


# -- the facts of one question at one point -------------------------------------------------------------
def environment(lesson: Lesson, pass_index: int = 0) -> dict[str, float]:
    """Every name's number in a (numeric) Lesson: labels and inputs, then the adjoints and tangents of one pass."""
    env: dict[str, float] = {}
    for step in section_steps(lesson, "forward", 0):
        if step.answer is None or step.lhs is None:
            continue
        label = step.lhs.label if isinstance(step.lhs, Titled) else _plain(step.lhs)
        env[label] = step.answer.value
        first = step.lines[0].math if step.lines else None
        if isinstance(first, Sym) and first.name != label:
            env.setdefault(first.name, step.answer.value)  # an input's own name: x1
    for kind in ("seed", "reverse", "tangent"):
        for step in section_steps(lesson, kind, pass_index):
            if step.answer is not None and step.lhs is not None:
                env[_plain(step.lhs)] = step.answer.value
    return env


def facts(lesson: Lesson, question: Question) -> Facts:
    """The right number and every slip's number for one question, from one numeric Lesson."""
    step = step_of(lesson, question)
    env = environment(lesson, question.pass_index)
    names = labels(lesson)
    if question.kind == "partial":
        use = step.partials[question.partial]
        return Facts(_eval(use.formula, env), tuple(_partial_slips(lesson, use, env, names)), env)
    assert step.answer is not None and step.node is not None
    right = step.answer.value
    own = names[step.node]
    if question.kind == "value":
        found = [Candidate("other_value", env[n], (n,)) for i, n in names.items() if i < step.node]
        return Facts(right, tuple(found), env)
    slips = [Candidate("value", env[own])]
    if question.kind in ("seed", "adjoint"):
        slips.append(Candidate("seed_zero", 0.0))
    if question.kind == "seed":
        return Facts(right, tuple(slips), env)
    contributions = _contributions(lesson, step, question, env, names)
    slips += _sum_slips(lesson, contributions, right, question.kind == "tangent", env, names)
    return Facts(right, tuple(slips), env)


class _Contribution(NamedTuple):
    """One term of a sum: through `label` (a parent, an argument, or the seed), partial × factor = product."""

    label: str
    use: PartialUse | None
    partial: float
    factor: float
    product: float


def _contributions(
    lesson: Lesson, step: Step, question: Question, env: dict[str, float], names: dict[int, str]
) -> list[_Contribution]:
    out: list[_Contribution] = []
    if question.kind == "adjoint":
        head = step.lines[0].math if step.lines else None
        if isinstance(head, Sum) and head.terms and isinstance(head.terms[0], Sym) and step.partials:
            seed = step.answer.value - sum(t.value for t in step.terms) if step.answer else 0.0
            out.append(_Contribution(head.terms[0].name, None, 1.0, seed, seed))
        for term, use in zip(step.terms, step.partials, strict=True):
            parent = names[use.parent]
            partial = _eval(use.formula, env)
            out.append(_Contribution(parent, use, partial, env.get(bar(parent), 1.0), term.value))
    else:
        for (arg, _), use in zip(step.edges, step.partials, strict=True):
            label = names[arg]
            partial = _eval(use.formula, env)
            factor = env[dot(label)]
            out.append(_Contribution(label, use, partial, factor, partial * factor))
    return out


def _sum_slips(
    lesson: Lesson,
    terms: list[_Contribution],
    right: float,
    tangent: bool,
    env: dict[str, float],
    names: dict[int, str],
) -> Iterator[Candidate]:
    everyone = tuple(t.label for t in terms)
    n = len(terms)
    if n >= 2:  # some paths but not all
        if n <= MAX_SUBSETS:
            subsets = [c for size in range(1, n) for c in combinations(range(n), size)]
        else:
            subsets = [(k,) for k in range(n)] + [tuple(m for m in range(n) if m != k) for k in range(n)]
        for subset in subsets:
            yield Candidate(
                "missing_path", sum(terms[k].product for k in subset), tuple(terms[k].label for k in subset), everyone
            )
    with_partials = [t for t in terms if t.use is not None]
    if len(with_partials) == 1 and n == 1:
        t = with_partials[0]
        yield Candidate("no_adjoint", t.partial, (t.label,), everyone, t.use)
    elif len(with_partials) >= 2:
        yield Candidate("no_adjoint", sum(t.partial for t in with_partials), everyone, everyone)
        for t in with_partials:
            yield Candidate("no_adjoint", right - t.product + t.partial, (t.label,), everyone, t.use)
    for t in terms:
        if t.use is not None:
            yield Candidate("sign", right - 2 * t.product, (t.label,), everyone, t.use)
    for t in with_partials:
        assert t.use is not None
        for wrong in _partial_slips(lesson, t.use, env, names):
            if wrong.slip in ("function", "swapped", "one"):
                value = right - t.product + t.factor * wrong.value
                yield wrong._replace(value=value, parents=(t.label,), of=everyone)


def _partial_slips(
    lesson: Lesson, use: PartialUse, env: dict[str, float], names: dict[int, str]
) -> Iterator[Candidate]:
    """Wrong local partials: the parent's value, the other argument's partial, 1, the sign flipped."""
    parent = names[use.parent]
    right = _eval(use.formula, env)
    yield Candidate("function", env[parent], (parent,), partial=use, shown=_definition(lesson, use.parent))
    other = _other_partial(lesson, use)
    if other is not None and not (isinstance(other.formula, Const) and isinstance(use.formula, Const)):
        # (a - b's partials, 1 and -1, swapped are the sign slip: said once)
        yield Candidate("swapped", _eval(other.formula, env), (parent,), partial=use, shown=_plain(other.formula))
    if right not in (1.0, -1.0):  # -1 taken as 1 is the sign slip, said once
        yield Candidate("one", 1.0, (parent,), partial=use)
    yield Candidate("sign", -right, (parent,), partial=use)


def _other_partial(lesson: Lesson, use: PartialUse) -> PartialUse | None:
    """The partial of the same parent by its other argument, where the Lesson has it."""
    for kind in ("reverse", "tangent"):
        for step in section_steps(lesson, kind, 0):
            for other in step.partials:
                if other.parent == use.parent and other.position != use.position and other.formula != use.formula:
                    return other
    return None


def _definition(lesson: Lesson, node: int) -> str:
    for step in section_steps(lesson, "forward", 0):
        if step.node == node and step.lines:
            return _plain(step.lines[0].math)
    return ""


def _eval(math_: Math, env: dict[str, float]) -> float:
    """A local partial's formula (always an Expr) at a point; nan where it is undefined."""
    try:
        return evaluate(cast(Expr, math_), env)
    except (ArithmeticError, ValueError, AdtraceError):
        return math.nan


def _plain(math_: Math) -> str:
    return show_math(math_)


# -- judging ---------------------------------------------------------------------------------------------
def close(answer: float, right: float, *, formula: bool = False) -> bool:
    """Whether a number is the right one: within 0.5% (a formula: 1e-7), plus ABS_TOLERANCE."""
    if math.isnan(right) or math.isnan(answer):
        return False
    rel = FORMULA_TOLERANCE if formula else REL_TOLERANCE
    return abs(answer - right) <= rel * abs(right) + ABS_TOLERANCE


def judge(typed: Typed, points: Sequence[Facts | None], inputs: Sequence[dict[str, float]] = ()) -> Verdict:
    """The verdict on an answer, from its numbers and each point's facts (None: a point with no numbers).

    Right means right at every point compared. Otherwise the slips that give the same numbers at every point
    are the matches (several: ambiguous); a formula right at the trace's values alone is `only_here`."""
    compared = [(k, v, f) for k, (v, f) in enumerate(zip(typed.values, points, strict=True)) if v is not None and f]
    if not compared:
        return Verdict(False)
    formula = typed.formula is not None
    oks = [close(v, f.right, formula=formula) for _, v, f in compared]
    if all(oks):
        return Verdict(True)
    first_k, _, first_f = compared[0]
    if formula and first_k == 0 and oks[0]:
        k, v, f = next(c for c, ok in zip(compared, oks, strict=True) if not ok)
        where = inputs[k] if k < len(inputs) else {}
        return Verdict(False, (), True, (where, v, f.right))
    matches: dict[tuple[object, ...], Candidate] = {}
    for c, first in enumerate(first_f.candidates):
        fits = all(
            c < len(f.candidates)
            and f.candidates[c].key == first.key
            and close(v, f.candidates[c].value, formula=formula)
            for _, v, f in compared
        )
        if fits and not close(first.value, first_f.right):  # a slip that gives the right number is not a slip
            matches.setdefault(first.key, first)
    return Verdict(False, tuple(matches.values()))


def partial_symbol(use: PartialUse) -> str:
    symbol = use.symbol
    return _plain(symbol) if isinstance(symbol, Partial) else str(symbol)
