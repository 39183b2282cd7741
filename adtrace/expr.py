"""Formulas as small trees, and the one printer for plain text, adtrace syntax and LaTeX.

Renderers never build formula strings by hand: a node's definition, a local
partial with its arguments filled in, or the same with numbers substituted are
all `Expr` trees printed here, so parentheses and notation agree everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache, lru_cache
from string import Template
from typing import Literal, NamedTuple, TypeVar

from .language import syntax as st
from .primitives import ATOM, BY_NAME, CONSTANTS, NEG, Notation, Primitive

Format = Literal["plain", "code", "python", "latex"]
T = TypeVar("T")
BAR = "\u0304"
"""The combining macron of an adjoint's name (w̄3)."""
DOT = "\u0307"
"""The combining dot of a tangent's name (ẇ3)."""
OVERLINE = "\u0305"
"""The combining overline on every letter of a longer adjoint's name (l̅o̅s̅s̅)."""


class Const(NamedTuple):
    """A number, printed as `text` (its source spelling, or a formatted value)."""

    value: float
    text: str


class Sym(NamedTuple):
    """A named quantity: an input (`x1`), a node (`w3`) or a rule argument (`a`)."""

    name: str


class Apply(NamedTuple):
    prim: Primitive
    args: tuple[Expr, ...]


Expr = Const | Sym | Apply

_ATOMIC = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[^\W\d_]\w*")


def fold(expr: Expr, leaf: Callable[[Const | Sym], T], apply: Callable[[Apply, list[T]], T]) -> T:
    """Post-order, iteratively: `leaf` on constants and symbols, `apply` on each operation with its
    arguments' results. Every walk over a formula goes through here, so none can hit the recursion limit."""
    results: list[T] = []
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if not isinstance(node, Apply):
            results.append(leaf(node))
        elif not expanded:
            stack.append((node, True))
            stack.extend((arg, False) for arg in reversed(node.args))
        else:
            count = len(node.args)
            args = results[-count:]
            del results[-count:]
            results.append(apply(node, args))
    return results[0]


def from_syntax(node: st.Node) -> Expr:
    """A syntax tree as a formula (names become symbols, pi and e stay named); iterative."""
    results: list[Expr] = []
    stack: list[tuple[st.Node, bool]] = [(node, False)]
    while stack:
        item, expanded = stack.pop()
        if isinstance(item, st.Num):
            results.append(Const(item.value, item.text))
        elif isinstance(item, st.Name):
            constant = CONSTANTS.get(item.name)
            results.append(Sym(item.name) if constant is None else Const(constant, item.name))
        elif not expanded:
            stack.append((item, True))
            stack.extend((arg, False) for arg in reversed(item.args))
        else:
            count = len(item.args)
            args = tuple(results[-count:])
            del results[-count:]
            results.append(Apply(BY_NAME[item.op], args))
    return results[0]


@cache
def partial_rule(prim: Primitive, k: int) -> Expr:
    """The symbolic local partial ∂prim/∂(argument k), over the symbols a and b."""
    from .language.parser import parse_expression  # the parser's tables come from primitives too

    return from_syntax(parse_expression(prim.partials[k]))


def product(left: Expr, right: Expr) -> Expr:
    """left·right: how a step writes an adjoint times a local partial."""
    return Apply(BY_NAME["mul"], (left, right))


def symbols(expr: Expr) -> list[str]:
    """The names a formula uses, each once, in the order first met (iterative: no recursion limit)."""
    found: dict[str, None] = {}
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, Sym):
            found[e.name] = None
        elif isinstance(e, Apply):
            stack.extend(reversed(e.args))
    return list(found)


def substitute(expr: Expr, mapping: dict[str, Expr]) -> Expr:
    """Replace symbols by formulas (rule arguments by node names, or names by numbers)."""
    try:
        return _substitute(expr, mapping, 0)
    except _TooDeep:  # nested past what recursion may walk: the iterative fold
        return fold(
            expr,
            lambda leaf: mapping.get(leaf.name, leaf) if isinstance(leaf, Sym) else leaf,
            lambda node, args: Apply(node.prim, tuple(args)),
        )


def _substitute(expr: Expr, mapping: dict[str, Expr], depth: int) -> Expr:
    cls = expr.__class__
    if cls is Sym:
        return mapping.get(expr[0], expr)  # type: ignore[arg-type]
    if cls is not Apply:
        return expr
    if depth > _NESTED:
        raise _TooDeep
    return Apply(expr[0], tuple([_substitute(a, mapping, depth + 1) for a in expr[1]]))  # type: ignore[arg-type, misc]


@cache
def latex_name(name: str) -> str:
    """x1 → x_{1}, v-1 → v_{-1}, theta → \\theta, c@2 → c^{(2)}: names as a textbook typesets them."""
    base, _, version = name.partition("@")
    if DOT in base:  # ẇ3 → \dot w_{3}, a tangent
        inner = latex_name(name.replace(DOT, ""))
        return "\\dot " + inner if re.match(r"^(\\[A-Za-z]+|[A-Za-z])(_|$)", inner) else f"\\dot{{{inner}}}"
    if OVERLINE in base:  # l̅o̅s̅s̅ → \overline{\mathrm{loss}}
        return f"\\overline{{{latex_name(name.replace(OVERLINE, ''))}}}"
    if BAR in base:  # w̄3 → \bar w_{3}: no braces before the subscript (GitHub reads }_{ as emphasis)
        inner = latex_name(name.replace(BAR, ""))
        if re.match(r"^(\\[A-Za-z]+|[A-Za-z])(_|$)", inner):
            return "\\bar " + inner
        return f"\\overline{{{inner}}}"
    match = re.fullmatch(r"([^\W\d_]+?)_?(-?\d+)", base)  # v-1: Griewank's input labels
    element = re.fullmatch(r"(.+)\[(-?\d+(?:,-?\d+)*)\]", base)  # an array's element: W[0,2] → W_{0,2}
    if element:
        text = _subscript(latex_name(element.group(1)), element.group(2))
    elif match:
        letters, digits = match.groups()
        text = _subscript(_latex_letters(letters), digits if digits.isascii() else _ascii_tex(digits))
    elif "_" in base:  # loss_total → loss with the subscript total, as LaTeX reads an underscore
        head, _, rest = base.partition("_")
        text = _subscript(_latex_letters(head), latex_name(rest))
    else:
        text = _latex_letters(base)
    return f"{text}^{{({version})}}" if version else text


def _subscript(head: str, sub: str) -> str:
    """\\mathrm{ab_{1}}, never \\mathrm{ab}_{1}: markdown reads `}_{` as the start of emphasis."""
    return f"{head[:-1]}_{{{sub}}}}}" if head.endswith("}") else f"{head}_{{{sub}}}"


_GREEK = frozenset(
    (
        "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon phi "
        "chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega"
    ).split()
)


def _latex_letters(letters: str) -> str:
    if letters in _GREEK:
        return "\\" + letters
    greek = _unicode_greek(letters)
    if greek is not None:
        return greek
    if len(letters) == 1 and letters.isascii():
        return letters
    if letters.isascii():
        return f"\\mathrm{{{letters}}}"
    tex = _ascii_tex(letters)
    one = re.fullmatch(r"[A-Za-z]|\\[A-Za-z]+(\{[A-Za-z]\})?", tex)  # one letter, \\mu, \\ddot{u}
    return tex if one else f"\\mathrm{{{tex}}}"


_ACCENTS = {
    "\u0300": "\\grave",
    "\u0301": "\\acute",
    "\u0302": "\\hat",
    "\u0303": "\\tilde",
    "\u0304": "\\bar",
    "\u0306": "\\breve",
    "\u0307": "\\dot",
    "\u0308": "\\ddot",
    "\u030a": "\\mathring",
    "\u030c": "\\check",
}
_LETTERLIKE = {
    "ϑ": "\\vartheta",
    "ϕ": "\\phi",
    "ϖ": "\\varpi",
    "ϱ": "\\varrho",
    "ς": "\\varsigma",
    "ϵ": "\\epsilon",
    "ℵ": "\\aleph",
    "ℶ": "\\beth",
    "ℷ": "\\gimel",
    "ℓ": "\\ell",
    "ħ": "\\hbar",
}


def _ascii_tex(text: str) -> str:
    """Any name as ASCII LaTeX that KaTeX accepts in strict mode, a character at a time: ü → \\ddot{u},
    ﬁ → fi, µ → \\mu, ϑ → \\vartheta, ٣ → 3, and any other character by its code point (ع → U0639, set upright)."""
    out = []
    for char in text:
        if char.isascii():
            out.append(char)
            continue
        folded = unicodedata.normalize("NFKC", char)
        digit = unicodedata.decimal(char, None)
        if char in _LETTERLIKE:
            out.append(_LETTERLIKE[char] + " ")
        elif digit is not None:
            out.append(str(digit))
        elif folded.isascii():
            out.append(folded)
        elif (command := _unicode_greek(folded) or _LETTERLIKE.get(folded)) is not None:
            out.append(command + " ")
        elif (parts := unicodedata.normalize("NFD", folded))[0].isascii() and all(m in _ACCENTS for m in parts[1:]):
            tex = parts[0]
            for mark in parts[1:]:
                tex = f"{_ACCENTS[mark]}{{{tex}}}"
            out.append(tex)
        else:
            out.append(f"U{ord(char):04X}")
    return "".join(out).strip()


def _unicode_greek(letters: str) -> str | None:
    """θ → \\theta, Ω → \\Omega: LaTeX (and KaTeX in strict mode) wants the commands, not the characters."""
    if len(letters) != 1:
        return None
    words = unicodedata.name(letters, "").split()
    if len(words) != 4 or words[0] != "GREEK" or words[1] not in ("SMALL", "CAPITAL") or words[2] != "LETTER":
        return None
    name = words[3].lower() if words[1] == "SMALL" else words[3].capitalize()
    name = {"lamda": "lambda", "Lamda": "Lambda"}.get(name, name)
    return "\\" + name if name in _GREEK else None


def show(expr: Expr, fmt: Format = "plain") -> str:
    """Print a formula with the fewest parentheses that keep its structure."""
    if expr.__class__ is not Apply:
        return _show_leaf(expr, fmt)[0]  # type: ignore[arg-type]
    try:
        return _show_nested(expr, fmt, 0)[0]
    except _TooDeep:  # a formula nested past what recursion may walk: the iterative fold
        return fold(expr, lambda leaf: _show_leaf(leaf, fmt), lambda node, args: _show_apply(node, args, fmt))[0]


_NESTED = 200
"""How deep the recursive printer goes (fast for the small formulas of every step) before the iterative one."""


class _TooDeep(Exception):
    pass


class Printed(NamedTuple):
    """A formula already printed: its text and how tightly it binds (for `show_filled`)."""

    text: str
    prec: int


def printed(expr: Expr, fmt: Format) -> Printed:
    """A formula printed once, to be filled into many (a node's label or a constant's text)."""
    if expr.__class__ is not Apply:
        return Printed(*_show_leaf(expr, fmt))  # type: ignore[arg-type]
    return Printed(*_show_nested(expr, fmt, 0))


def show_filled(expr: Expr, fmt: Format, mapping: dict[str, Expr | Printed]) -> str:
    """show(substitute(expr, mapping), fmt), without making the substituted formula (a rule with its
    arguments filled in, printed once)."""
    try:
        return _show_nested(expr, fmt, 0, mapping)[0]
    except _TooDeep:
        exprs = {k: Sym(v.text) if v.__class__ is Printed else v for k, v in mapping.items()}  # printed as is
        return show(substitute(expr, exprs), fmt)  # type: ignore[arg-type]


def _show_nested(
    expr: Expr, fmt: Format, depth: int, mapping: dict[str, Expr | Printed] | None = None
) -> tuple[str, int]:
    """As `fold` with `_show_apply`, recursively (a formula of a step is a few levels deep; a deeper one
    goes to the iterative fold, so no formula can hit the recursion limit); symbols in `mapping` print as
    the formula they map to."""
    if expr.__class__ is not Apply:
        if mapping is not None and expr.__class__ is Sym and expr[0] in mapping:
            value = mapping[expr[0]]
            return value if value.__class__ is Printed else _show_nested(value, fmt, depth + 1)  # type: ignore[arg-type]
        return _show_leaf(expr, fmt)  # type: ignore[arg-type]
    if depth > _NESTED:
        raise _TooDeep
    notation = _notation(expr.prim, fmt)
    arg_prec = notation.arg_prec
    texts = []
    plain = fmt == "plain"
    for k, arg in enumerate(expr.args):
        cls = arg.__class__
        if cls is Apply or (mapping is not None and cls is Sym and arg[0] in mapping):
            text, prec = _show_nested(arg, fmt, depth + 1, mapping)
        elif plain and cls is Sym:  # a label: the commonest argument, printed here without a call
            text, prec = arg[0], ATOM  # type: ignore[assignment]
        else:
            text, prec = _show_leaf(arg, fmt)  # type: ignore[arg-type]
        need = arg_prec[k]
        if prec < need or (k > 0 and need > 0 and text.startswith("-")):
            text = f"\\left({text}\\right)" if fmt == "latex" else f"({text})"
        texts.append(text)
    return _template(notation.template).format(*texts), notation.prec


@cache
def _template(template: str) -> str:
    """A primitive's `$a`, `$b`, … template (string.Template's rules) as a str.format string of {0}, {1}, …"""
    marks = {c: f"\x00{k}\x00" for k, c in enumerate(ARG_LETTERS)}
    marked = Template(template).safe_substitute(marks).replace("{", "{{").replace("}", "}}")
    return re.sub("\x00(\\d+)\x00", r"{\1}", marked)


@lru_cache(maxsize=4096)
def _number_prec(text: str) -> int:
    """How tightly a constant's text binds: a number or a name is atomic, -2 binds as a negation."""
    if _ATOMIC.fullmatch(text):
        return ATOM
    if text.startswith("-") and _ATOMIC.fullmatch(text[1:]):
        return NEG
    return 0


def _show_leaf(leaf: Const | Sym, fmt: Format) -> tuple[str, int]:
    if leaf.__class__ is Sym:
        if fmt == "plain":
            return leaf[0], ATOM
        if fmt in ("code", "python"):  # names adtrace's own parser reads: an adjoint w̄3 is wbar3, Griewank's v-1 is vm1
            name = leaf[0]
            if OVERLINE in name:
                name = name.replace(OVERLINE, "") + "bar"
            return name.replace(BAR, "bar").replace("-", "m"), ATOM
        return latex_name(leaf[0]), ATOM
    text = leaf.text  # type: ignore[union-attr]
    if fmt == "python" and not _NUMERIC.fullmatch(text) and text not in CONSTANTS:
        formula = _constant_formula(text)  # a folded constant as typed (2^3) is Python code too (2**3)
        if not isinstance(formula, Sym):
            return fold(formula, lambda x: _show_leaf(x, fmt), lambda node, args: _show_apply(node, args, fmt))
    if fmt == "latex":
        return _latex_constant(text)
    return text, _number_prec(text)


@lru_cache(maxsize=4096)
def _latex_constant(text: str) -> tuple[str, int]:
    """A constant's text in LaTeX, with how tightly it binds (a value is shown in several steps)."""
    if not _NUMERIC.fullmatch(text) and text not in CONSTANTS:
        formula = _constant_formula(text)  # a folded constant, as typed: 2*pi, 1/3
        return fold(formula, lambda x: _show_leaf(x, "latex"), lambda node, args: _show_apply(node, args, "latex"))
    return _latex_number(text), _number_prec(text)


def _show_apply(node: Apply, args: list[tuple[str, int]], fmt: Format) -> tuple[str, int]:
    notation = _notation(node.prim, fmt)
    texts = []
    for k, (text, prec) in enumerate(args):
        need = notation.arg_prec[k]
        if prec < need or (k > 0 and need > 0 and text.startswith("-")):
            text = f"\\left({text}\\right)" if fmt == "latex" else f"({text})"
        texts.append(text)
    return _template(notation.template).format(*texts), notation.prec


def _notation(prim: Primitive, fmt: Format) -> Notation:
    """How a primitive prints in a format: Python code is adtrace's code but where Python differs (** for ^)."""
    return (prim.python or prim.code) if fmt == "python" else getattr(prim, fmt)


ARG_LETTERS = "abcdefghijklmnopqrstuvwxyz"
"""How a template names its arguments: $a, $b, … (an array join of many arrays uses them all)."""
_NUMERIC = re.compile(r"-?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf)")


@cache
def _constant_formula(text: str) -> Expr:
    from .errors import AdtraceError
    from .language.parser import parse_expression

    try:
        return from_syntax(parse_expression(text))
    except AdtraceError:
        return Sym(text)


def _latex_number(text: str) -> str:
    if text in CONSTANTS:
        return "\\pi" if text == "pi" else "e"
    mantissa, e, exponent = text.lower().partition("e")
    if e and exponent:  # the exponent as text: int() of a 5,000-digit exponent passes Python's limit
        sign = "-" if exponent.startswith("-") else ""
        return f"{mantissa} \\times 10^{{{sign}{exponent.lstrip('+-').lstrip('0') or '0'}}}"
    if text.endswith("inf"):
        return text.replace("inf", "\\infty")
    return text


def number(value: float, digits: int = 4) -> str:
    """A value with `digits` significant digits, in adtrace syntax (2.584, 1e-05, -3)."""
    if value != value:
        return "nan"
    text = f"{value:.{digits}g}"
    if text == "-0":
        return "0"
    return text


def evaluate(expr: Expr, env: dict[str, float]) -> float:
    """The numeric value of a formula, symbols looked up in `env` (used to check formulas)."""
    return fold(
        expr,
        lambda leaf: env[leaf.name] if isinstance(leaf, Sym) else leaf.value,
        lambda node, args: node.prim.evaluate(*args),
    )
