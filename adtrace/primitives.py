"""The one table of primitive operations.

Each `Primitive` record holds everything adtrace knows about an operation:
how to evaluate it, its local partials (as numbers and as formulas), how to
print it (plain text, adtrace syntax, LaTeX), the rule a learner should see
and the convention used where it is not differentiable. The parser's operator
table, the rules card and the per-primitive tests are all derived from it, so
adding `tanh` means adding one record here.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

Number = float

# Printing precedences: a sub-expression is wrapped in parentheses when it
# binds less tightly than its position requires.
ADD, MUL, NEG, POW, ATOM = 10, 20, 30, 40, 100


class Notation(NamedTuple):
    """How a primitive prints in one format.

    `template` uses `$a` and `$b` for the arguments; `prec` is how tightly
    the result binds; `arg_prec[k]` is the least precedence argument k may
    have without being put in parentheses.
    """

    template: str
    prec: int
    arg_prec: tuple[int, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Primitive:
    """One operation: evaluation, local partials, printing and teaching text."""

    name: str
    """The op name used in JSON and in the rules card (`add`, `sin`, …)."""
    arity: int
    evaluate: Callable[..., Number]
    grad: Callable[..., tuple[Number, ...]]
    """Numeric local partials, called as grad(*args, ans): one per argument."""
    partials: tuple[str, ...]
    """Symbolic local partials in adtrace syntax over the arguments `a`, `b`."""
    plain: Notation
    code: Notation
    latex: Notation
    rule: str
    """The name of the differentiation rule, as a teacher says it."""
    reads: str
    """How the operation reads in a sentence: '$a times $b'."""
    explain: str = ""
    """Why the local partials are what they are, in one line over `$a`, `$b` (the rules card and --explain)."""
    explain_each: tuple[str, ...] = ()
    """The same for each partial on its own, where one line can't serve both (--explain's sentence for
    ∂/∂a must not give the reason for ∂/∂b)."""
    domain: str = ""
    """Why evaluation can fail, said to a student ('log is defined only for x > 0')."""
    derivative_domain: str = "a local partial is infinite, or too large for a floating-point number"
    """Why a local partial can fail where the value exists (sqrt at 0, a tiny divisor, a^b in b for a < 0)."""
    partials_can_fail: bool = False
    """Whether a local partial can be inf or nan where the arguments and the value are finite. Only such
    primitives have their partials checked node by node in the forward pass; for the others a finite
    value means finite partials, and one bulk check of the values covers both (tests/test_primitives.py
    tries every primitive at extreme arguments to keep this honest)."""
    kink: Callable[..., str | None] | None = None
    """Given the argument values, a note when the partials use a convention."""
    token: str | None = None
    """The operator token for infix or prefix operators."""
    functions: tuple[str, ...] = field(default=())
    """Names the primitive is called by as a function (first is canonical)."""


def _infix(
    sym: str, code: str, latex: str, prec: int, right_assoc: bool = False
) -> tuple[Notation, Notation, Notation]:
    left, right = (prec + 1, prec) if right_assoc else (prec, prec + 1)
    return (
        Notation(f"$a{sym}$b", prec, (left, right)),
        Notation(f"$a{code}$b", prec, (left, right)),
        Notation(f"$a{latex}$b", prec, (left, right)),
    )


def _func(name: str, latex: str, arity: int = 1) -> tuple[Notation, Notation, Notation]:
    params = ", ".join(("$a", "$b")[:arity])
    zeros = (0,) * arity
    return (
        Notation(f"{name}({params})", ATOM, zeros),
        Notation(f"{name}({params})", ATOM, zeros),
        Notation(latex, ATOM, zeros),
    )


def _sigmoid(a: Number) -> Number:
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    ea = math.exp(a)
    return ea / (1.0 + ea)


def _tanh_slope(a: Number) -> Number:
    """1 - tanh(a)^2 as 4t/(1 + t)^2 with t = exp(-2|a|): the same number, but with its relative precision
    where tanh saturates (1 - ans^2 is 0 from |a| ≈ 19 on, though the slope is 1.7e-17 at 20)."""
    t = math.exp(-2.0 * abs(a))
    return 4.0 * t / ((1.0 + t) * (1.0 + t))


def _sigmoid_slope(a: Number) -> Number:
    """sigmoid(a)·(1 - sigmoid(a)) as t/(1 + t)^2 with t = exp(-|a|), precise in saturation (4.2e-18 at 40)."""
    t = math.exp(-abs(a))
    return t / ((1.0 + t) * (1.0 + t))


def _step(a: Number) -> Number:
    """Heaviside step with H(0) = 1/2, the convention behind relu, max and min at a kink."""
    return 1.0 if a > 0 else 0.0 if a < 0 else 0.5


def _sign(a: Number) -> Number:
    return 1.0 if a > 0 else -1.0 if a < 0 else 0.0


def _pow(a: Number, b: Number) -> Number:
    return math.pow(a, b)


def _pow_grad(a: Number, b: Number, ans: Number) -> tuple[Number, Number]:
    """∂/∂a = b·a^(b-1) and ∂/∂b = a^b·log(a). A partial too large for a float is ±inf, never raised: the
    forward pass then names the partial that failed, and ignores one on a constant (`0.5^y` at y = -1023
    has a finite value and ∂/∂y, though ∂/∂a at the constant 0.5 overflows)."""
    if b == 0:
        da = 0.0
    elif a == 0 and b < 1:  # 0 < b < 1 (b < 0 has no value at 0): the slope of a^b at 0 is infinite
        da = math.inf
    else:
        try:
            da = b * math.pow(a, b - 1)
        except OverflowError:  # a^(b-1) is negative for a < 0 and odd whole b - 1
            da = math.copysign(math.inf, -b if a < 0 and (b - 1) % 2 else b)
    if a > 0:
        db = ans * math.log(a)
    elif a == 0 and b > 0:
        db = 0.0
    else:
        db = math.nan
    return da, db


def _at_zero(what: str) -> Callable[[Number], str | None]:
    def note(a: Number) -> str | None:
        return what if a == 0 else None

    return note


def _pow_at_zero(a: Number, b: Number) -> str | None:
    if a == 0 and b > 0:
        return "at a = 0, ∂(a^b)/∂b = a^b·log(a) is 0·log(0): adtrace takes its limit, 0"
    return None


def _at_tie(a: Number, b: Number) -> str | None:
    if a == b:
        return "at a tie (a = b) the partials are not defined; adtrace splits them, 1/2 each (as PyTorch does)"
    return None


PRIMITIVES: tuple[Primitive, ...] = (
    Primitive(
        "add",
        2,
        operator.add,
        lambda a, b, ans: (1.0, 1.0),
        ("1", "1"),
        *_infix(" + ", " + ", " + ", ADD),
        rule="sum rule",
        reads="the sum of $a and $b",
        explain="nudging either term moves the sum by exactly as much, so each partial is 1",
        token="+",
    ),
    Primitive(
        "sub",
        2,
        operator.sub,
        lambda a, b, ans: (1.0, -1.0),
        ("1", "-1"),
        *_infix(" - ", " - ", " - ", ADD),
        rule="difference rule",
        reads="the difference of $a and $b",
        explain="nudging $a moves $a - $b up by as much, nudging $b moves it down by as much",
        token="-",
    ),
    Primitive(
        "mul",
        2,
        operator.mul,
        lambda a, b, ans: (b, a),
        ("b", "a"),
        *_infix("·", "*", " \\cdot ", MUL),
        rule="product rule",
        reads="the product of $a and $b",
        explain="a change in either factor is multiplied by the other factor",
        token="*",
    ),
    Primitive(
        "div",
        2,
        operator.truediv,
        lambda a, b, ans: (1.0 / b, -ans / b),
        ("1/b", "-a/b^2"),
        Notation("$a/$b", MUL, (MUL, MUL + 1)),
        Notation("$a/$b", MUL, (MUL, MUL + 1)),
        Notation("\\frac{$a}{$b}", ATOM, (0, 0)),
        rule="quotient rule",
        reads="the quotient of $a by $b",
        explain="$a/$b is $a times 1/$b: nudging $a scales by 1/$b, and 1/$b changes at the rate -1/$b^2, times $a",
        explain_each=(
            "$a/$b is $a times 1/$b, so nudging $a moves the quotient by 1/$b per unit",
            "1/$b changes at the rate -1/$b^2, and the quotient is $a times it, so the rate is -$a/$b^2",
        ),
        domain="division by zero is undefined",
        partials_can_fail=True,
        token="/",
    ),
    Primitive(
        "pow",
        2,
        _pow,
        _pow_grad,
        ("b*a^(b - 1)", "a^b*log(a)"),
        Notation("$a^$b", POW, (POW + 1, POW)),
        Notation("$a^$b", POW, (POW + 1, POW)),
        Notation("{$a}^{$b}", POW, (POW + 1, 0)),
        rule="power & exp rules",
        reads="$a raised to the power $b",
        explain=(
            "the power rule brings the exponent down: $b·$a^($b - 1); "
            "if the exponent varies too, $a^$b = exp($b·log($a)) gives $a^$b·log($a) for it"
        ),
        explain_each=(
            "the power rule brings the exponent down: $b·$a^($b - 1)",
            "$a^$b = exp($b·log($a)), so nudging the exponent changes it at the rate $a^$b·log($a)",
        ),
        domain="a^b needs a > 0 when b is not a whole number, and a ≠ 0 when b < 0",
        derivative_domain="∂(a^b)/∂b = a^b·log(a) needs a > 0 (for a < 0, a^b exists only at whole b)",
        partials_can_fail=True,
        kink=_pow_at_zero,
        token="^",
        functions=("pow",),
    ),
    Primitive(
        "neg",
        1,
        operator.neg,
        lambda a, ans: (-1.0,),
        ("-1",),
        Notation("-$a", NEG, (NEG + 1,)),
        Notation("-$a", NEG, (NEG + 1,)),
        Notation("-$a", NEG, (NEG + 1,)),
        rule="negation rule",
        reads="minus $a",
        explain="flipping the sign flips every change, so the partial is -1",
        token="-",
    ),
    Primitive(
        "sin",
        1,
        math.sin,
        lambda a, ans: (math.cos(a),),
        ("cos(a)",),
        *_func("sin", "\\sin($a)"),
        rule="derivative of sine",
        reads="the sine of $a",
        explain="the slope of the sine curve at $a is the cosine there, cos($a)",
        functions=("sin",),
    ),
    Primitive(
        "cos",
        1,
        math.cos,
        lambda a, ans: (-math.sin(a),),
        ("-sin(a)",),
        *_func("cos", "\\cos($a)"),
        rule="derivative of cosine",
        reads="the cosine of $a",
        explain="the slope of the cosine curve at $a is minus the sine there, -sin($a)",
        functions=("cos",),
    ),
    Primitive(
        "tan",
        1,
        math.tan,
        lambda a, ans: (1.0 + ans * ans,),
        ("1/cos(a)^2",),
        *_func("tan", "\\tan($a)"),
        rule="derivative of tangent",
        reads="the tangent of $a",
        explain="tan = sin/cos, and the quotient rule gives (cos^2 + sin^2)/cos^2 = 1/cos($a)^2",
        functions=("tan",),
    ),
    Primitive(
        "exp",
        1,
        math.exp,
        lambda a, ans: (ans,),
        ("exp(a)",),
        *_func("exp", "\\exp($a)"),
        rule="exp is its own derivative",
        reads="e to the power $a",
        explain="exp grows at a rate equal to its own value, so its slope at $a is exp($a)",
        domain="the result is too large for a floating-point number",
        functions=("exp",),
    ),
    Primitive(
        "log",
        1,
        math.log,
        lambda a, ans: (1.0 / a,),
        ("1/a",),
        *_func("log", "\\log($a)"),
        rule="derivative of the natural log",
        reads="the natural log of $a",
        explain="log undoes exp, so its slope is one over exp's slope: 1/$a",
        domain="log is defined only for positive numbers",
        partials_can_fail=True,
        functions=("log", "ln"),
    ),
    Primitive(
        "sqrt",
        1,
        math.sqrt,
        lambda a, ans: (0.5 / ans,),
        ("1/(2*sqrt(a))",),
        *_func("sqrt", "\\sqrt{$a}"),
        rule="derivative of the square root",
        reads="the square root of $a",
        explain="sqrt($a) = $a^(1/2), and the power rule gives (1/2)·$a^(-1/2) = 1/(2·sqrt($a))",
        domain="sqrt is defined only for numbers ≥ 0",
        derivative_domain="the slope of sqrt is infinite at 0: it is differentiable only for numbers > 0",
        functions=("sqrt",),
    ),
    Primitive(
        "tanh",
        1,
        math.tanh,
        lambda a, ans: (_tanh_slope(a),),
        ("1 - tanh(a)^2",),
        *_func("tanh", "\\tanh($a)"),
        rule="derivative of tanh",
        reads="the hyperbolic tangent of $a",
        explain="tanh flattens towards ±1, and its slope is 1 - tanh($a)^2",
        functions=("tanh",),
    ),
    Primitive(
        "sigmoid",
        1,
        _sigmoid,
        lambda a, ans: (_sigmoid_slope(a),),
        ("sigmoid(a)*(1 - sigmoid(a))",),
        *_func("sigmoid", "\\sigma($a)"),
        rule="derivative of the logistic sigmoid",
        reads="the sigmoid of $a",
        explain="the sigmoid's slope is its value times one minus its value: sigmoid($a)·(1 - sigmoid($a))",
        functions=("sigmoid",),
    ),
    Primitive(
        "relu",
        1,
        lambda a: a if a > 0 else 0.0,
        lambda a, ans: (_step(a),),
        ("step(a)",),
        *_func("relu", "\\operatorname{relu}($a)"),
        rule="derivative of relu",
        reads="relu of $a",
        explain="relu($a) is $a where $a > 0 (slope 1) and 0 where $a < 0 (slope 0): the slope is step($a)",
        kink=_at_zero("relu is not differentiable at 0; adtrace uses step(0) = 1/2 (PyTorch uses 0)"),
        functions=("relu",),
    ),
    Primitive(
        "abs",
        1,
        abs,
        lambda a, ans: (_sign(a),),
        ("sign(a)",),
        *_func("abs", "\\lvert $a \\rvert"),
        rule="derivative of absolute value",
        reads="the absolute value of $a",
        explain="abs($a) is $a where $a > 0 (slope 1) and -$a where $a < 0 (slope -1): the slope is sign($a)",
        kink=_at_zero("abs is not differentiable at 0; adtrace uses the subgradient sign(0) = 0 (as PyTorch does)"),
        functions=("abs",),
    ),
    Primitive(
        "max",
        2,
        max,
        lambda a, b, ans: (_step(a - b), _step(b - a)),
        ("step(a - b)", "step(b - a)"),
        *_func("max", "\\max($a, $b)", 2),
        rule="derivative of max",
        reads="the larger of $a and $b",
        explain="max passes the larger argument through unchanged, so only a change in the larger one moves it",
        kink=_at_tie,
        functions=("max",),
    ),
    Primitive(
        "min",
        2,
        min,
        lambda a, b, ans: (_step(b - a), _step(a - b)),
        ("step(b - a)", "step(a - b)"),
        *_func("min", "\\min($a, $b)", 2),
        rule="derivative of min",
        reads="the smaller of $a and $b",
        explain="min passes the smaller argument through unchanged, so only a change in the smaller one moves it",
        kink=_at_tie,
        functions=("min",),
    ),
    Primitive(
        "step",
        1,
        _step,
        lambda a, ans: (0.0,),
        ("0",),
        *_func("step", "\\operatorname{step}($a)"),
        rule="derivative of the step function",
        reads="the step function of $a",
        explain="the step function is flat on each side of 0, so its slope is 0",
        kink=_at_zero("step jumps at 0 and has no derivative there; adtrace uses 0"),
        functions=("step",),
    ),
    Primitive(
        "sign",
        1,
        _sign,
        lambda a, ans: (0.0,),
        ("0",),
        *_func("sign", "\\operatorname{sign}($a)"),
        rule="derivative of the sign function",
        reads="the sign of $a",
        explain="the sign function is flat on each side of 0, so its slope is 0",
        kink=_at_zero("sign jumps at 0 and has no derivative there; adtrace uses 0"),
        functions=("sign",),
    ),
)

BY_NAME: dict[str, Primitive] = {p.name: p for p in PRIMITIVES}
FUNCTIONS: dict[str, Primitive] = {f: p for p in PRIMITIVES for f in p.functions}
INFIX: dict[str, Primitive] = {p.token: p for p in PRIMITIVES if p.token and p.arity == 2}
PREFIX: dict[str, Primitive] = {p.token: p for p in PRIMITIVES if p.token and p.arity == 1}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

# Leaves of the graph: they are not operations, but every node has a primitive.
INPUT = Primitive(
    "input",
    0,
    lambda: 0.0,
    lambda ans: (),
    (),
    Notation("", ATOM, ()),
    Notation("", ATOM, ()),
    Notation("", ATOM, ()),
    rule="",
    reads="an input",
)
CONST = Primitive(
    "const",
    0,
    lambda: 0.0,
    lambda ans: (),
    (),
    Notation("", ATOM, ()),
    Notation("", ATOM, ()),
    Notation("", ATOM, ()),
    rule="",
    reads="a constant",
)

ARG_NAMES = ("a", "b")
