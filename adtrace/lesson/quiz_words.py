"""The quiz's wording: every sentence the quiz and the worksheets print is made here, from a diagnosis's data."""

from __future__ import annotations

from collections.abc import Sequence

from ..expr import number
from .diagnose import Candidate, QuestionKind
from .math import BAR, OVERLINE, Partial, bar, dot

TRIES = 3
"""Wrong answers to one question before the quiz shows the answer and goes on."""
HINT_WORDS = ("?", "hint")
GIVE_UP_WORDS = ("give up", "giveup", "answer", "skip")

_COUNTS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def intro(kind: str, symbolic: bool) -> str:
    what = {"tangent": "tangent", "value": "value"}.get(kind, "adjoint")
    if symbolic:
        how = "a formula in the nodes' labels (w2 + cos(w1))"
    else:
        how = "a number (3 significant digits are enough) or a formula in the nodes' labels (w2 + cos(w1))"
    return (
        f"Type each {what}: {how}; an adjoint is written wbar3 (or w̄3), a tangent wdot3. "
        f"'?' gives a hint, 'give up' the answer (shown anyway after {TRIES} wrong tries); Ctrl-D stops."
    )


def exercise_title(level: int, k: int) -> str:
    return f"Exercise {k}, level {level}"


def replay(level: int, k: int) -> str:
    return f"(the same exercise again: --random --level {level} --exercise {k})"


FORWARD_GIVEN = "The forward pass (given):"
FORWARD_ASKED = "The nodes (their values are asked first):"
FORWARD_SECTION = "Forward pass: each node's value"
RIGHT = "right"


def right_formula(lhs: str, value: str) -> str:
    return f"right: {lhs} = {value}"


# -- what a wrong answer is ------------------------------------------------------------------------------
def _who(label: str) -> str:
    """A parent's label, or for the seed term 'the seed z̄'."""
    return f"the seed {label}" if BAR in label or OVERLINE in label else label


def _list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def diagnosis(c: Candidate, own: str, kind: QuestionKind, lhs: str = "") -> str:
    """One line naming the slip a candidate stands for (own: the node's label; lhs: what was asked, z̄)."""
    what = "tangent" if kind == "tangent" else "adjoint"
    if c.slip == "missing_path":
        count = len(c.of)
        have = "one" if len(c.parents) == 1 else str(len(c.parents))
        feeds = _list([_who(p) for p in c.of])
        if kind == "tangent":
            return (
                f"you have {have} of {dot(own)}'s {_COUNTS.get(count, count)} terms: {own} is computed from {feeds}, "
                f"and its tangent sums a term for each"
            )
        missing = [_who(p) for p in c.of if p not in c.parents]
        return (
            f"you have {have} of {own}'s {_COUNTS.get(count, count)} paths: {own} feeds {feeds}, and the adjoint "
            f"sums {'both' if count == 2 else 'all of them'} — the path through {_list(missing)} is missing "
            "(did you write = where += belongs?)"
        )
    if c.slip == "no_adjoint":
        times = "ẇ" if kind == "tangent" else "w̄"
        if c.partial is None or len(c.parents) > 1:
            whose = "tangent" if kind == "tangent" else "parent adjoint"
            return f"that is the local partials alone: multiply each by its {whose} ({times}…)"
        factor = dot(c.parents[0]) if kind == "tangent" else bar(c.parents[0])
        symbol = _partial(c)
        if len(c.of) > 1:
            return f"the term through {c.parents[0]} is {symbol} alone: multiply it by {factor}"
        return f"that is {symbol} alone: multiply by {factor}"
    if c.slip == "value":
        return f"that is {own}'s value, not its {what}"
    if c.slip == "seed_zero":
        if kind == "seed":
            z = lhs.replace(BAR, "").replace(OVERLINE, "") or "z"
            return (
                f"a seed of 0 makes every adjoint 0: the seed is ∂{z}/∂{z} = 1 (a change in {z} changes {z} by as much)"
            )
        return f"that is what a seed of 0 gives: the reverse pass starts from 1 on the output, so {bar(own)} is not 0"
    if c.slip == "sign":
        where = f" of the term through {c.parents[0]}" if len(c.of) > 1 else ""
        if c.partial is None:
            return f"check the sign{where}"
        from .math import show

        return f"check the sign{where}: {show(c.partial.symbol)} = {show(c.partial.formula)} — {c.partial.rule}"
    if c.slip == "function":
        node = _node(c)
        return f"{_for(c)}you used {node} = {c.shown} itself where its derivative {_partial(c)} belongs: {_rule(c)}"
    if c.slip == "swapped":
        node = _node(c)
        return f"{_for(c)}{c.shown} is {node}'s partial by its other argument: {_rule(c)}"
    if c.slip == "one":
        return f"{_for(c)}{_partial(c)} is not 1 here: {_rule(c)}"
    if c.slip == "other_value":
        return f"that is {c.parents[0]}'s value, not {own}'s"
    return "that is not it"


def _node(c: Candidate) -> str:
    """The node whose local partial a slip is about (w4 of ∂w4/∂w1)."""
    symbol = c.partial.symbol if c.partial is not None else None
    return symbol.num if isinstance(symbol, Partial) and isinstance(symbol.num, str) else ""


def _partial(c: Candidate) -> str:
    from .math import show

    return show(c.partial.symbol) if c.partial is not None else "the local partial"


def _rule(c: Candidate) -> str:
    return c.partial.rule if c.partial is not None else ""


def _for(c: Candidate) -> str:
    return f"in the term through {c.parents[0]}, " if len(c.of) > 1 else ""


def ambiguous(lines: Sequence[str]) -> str:
    return "that number fits more than one slip, so which one can't be told: " + "; or ".join(lines)


def no_slip(lhs: str, typed: str) -> str:
    return f"not {lhs}: {typed} is none of the usual slips ('?' gives a hint)"


def only_here(lhs: str, where: dict[str, float], got: float, right: float) -> str:
    at = ", ".join(f"{k} = {number(v, 4)}" for k, v in where.items())
    return (
        f"right at these values, but not as a formula: at {at} it gives {number(got, 4)}, "
        f"and {lhs} is {number(right, 4)} there (a number in it should be a node's label?)"
    )


def tries_left(n: int) -> str:
    return f"{n} {'try' if n == 1 else 'tries'} left"


def shown(lhs: str, value: str, formula: str) -> str:
    return f"the answer: {lhs} = {formula}" + (f" = {value}" if value and value != formula else "")


HINT_SYMBOLS = "the chain rule: "
HINT_RULES = "the local partials filled in: "
HINT_NUMBERS = "with numbers: "
NO_MORE_HINTS = "no more hints: type the answer, or 'give up'"


def hint_parents(own: str, parents: Sequence[str]) -> str:
    if not parents:
        return f"{own} has no parents"
    return f"{own} feeds {_list(list(parents))}: one term per path"


def hint_arguments(own: str, args: Sequence[str]) -> str:
    if not args:
        return f"{own} is an input: its tangent is its seed"
    return f"{own} is computed from {_list(list(args))}: one term per argument"


# -- bad input ---------------------------------------------------------------------------------------------
EMPTY = "type a number or a formula ('?' for a hint, 'give up' for the answer)"


def unknown_name(name: str, lhs: str, typed_lhs: str, names: Sequence[str]) -> str:
    """An unknown name in an answer (typed_lhs: the asked-for name as typed in ASCII, wbar1)."""
    if name == typed_lhs:
        return f"{lhs} is what this step asks for: write it with the nodes and the adjoints already found"
    shown_names = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
    return f"'{name}' is not a name you can use here; you can use {shown_names}"


def unreadable(message: str) -> str:
    return f"can't read that: {message}"


def undefined(message: str) -> str:
    return f"that formula can't be evaluated here: {message}"


END_OF_INPUT = "end of input: the quiz stops here"


def score(right: int, asked: int, total: int, later: int, shown_count: int) -> str:
    pct = round(100 * right / asked) if asked else 0
    line = f"Score: {right} of {asked} right at the first try ({pct}%)"
    extras = []
    if later:
        extras.append(f"{later} right after another try")
    if shown_count:
        extras.append(f"{shown_count} shown")
    if extras:
        line += "; " + ", ".join(extras)
    if asked < total:
        line += f"; {total - asked} not asked"
    return line + "."


WENT_WRONG = "Steps that went wrong:"
ALL_RIGHT = "Every step right at the first try."


def went_wrong(lhs: str, tries: int, outcome: str, first: str) -> str:
    wrong = f"{tries} wrong {'try' if tries == 1 else 'tries'}" if tries else "given up"
    return f"{lhs}: {wrong}, {outcome}" + (f" — {first}" if first else "")


# -- worksheets -------------------------------------------------------------------------------------------
WORKSHEET = "Worksheet"
ANSWER_KEY = "Answer key"
SHEET_INTRO = (
    "Fill in every blank: each adjoint as a number (3 significant digits) and, if you can, as a formula in the nodes."
)
SHEET_INTRO_TANGENT = "Fill in every blank: each tangent as a number (3 significant digits)."
SHEET_NODES = "The nodes and their values"
SHEET_BLANKS = "Your answers"
