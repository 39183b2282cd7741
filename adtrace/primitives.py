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
    python: Notation | None = None
    """How it prints as Python code (the adjoint program), where that differs from `code`: a^b is a**b."""


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
        python=Notation("$a**$b", POW, (POW + 1, POW)),
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

_TWO_OVER_SQRT_PI: float = 2.0 / math.sqrt(math.pi)
_LN10: float = math.log(10.0)
_LN2: float = math.log(2.0)


def _jump(what: str, at: Callable[[Number], bool]) -> Callable[[Number], str | None]:
    def note(a: Number) -> str | None:
        if at(a):
            return f"{what} jumps at {a:g} and has no derivative there; adtrace uses 0, as on either side"
        return None

    return note


def _whole(a: Number) -> bool:
    return math.isfinite(a) and a == math.floor(a)


def _half(a: Number) -> bool:
    return math.isfinite(a) and a - math.floor(a) == 0.5


def _mod_grad(a: Number, b: Number, ans: Number) -> tuple[Number, Number]:
    return 1.0, -float(math.floor(a / b))


def _atan2_grad(a: Number, b: Number, ans: Number) -> tuple[Number, Number]:
    h = math.hypot(a, b)
    return b / h / h, -a / h / h


def _mod_at_jump(a: Number, b: Number) -> str | None:
    if b != 0 and _whole(a / b):
        return "a % b jumps where a/b is a whole number; adtrace uses the partials of the piece on the right"
    return None


def _f(name: str, latex: str, arity: int = 1) -> tuple[Notation, Notation, Notation]:
    return _func(name, latex, arity)


# The primitives Python programs use beyond the core set (issue 14): one record each, like the ones above.
MORE_PRIMITIVES: tuple[Primitive, ...] = (
    Primitive(
        "floordiv",
        2,
        operator.floordiv,
        lambda a, b, ans: (0.0, 0.0),
        ("0", "0"),
        Notation("$a // $b", MUL, (MUL, MUL + 1)),
        Notation("$a // $b", MUL, (MUL, MUL + 1)),
        Notation("\\left\\lfloor \\frac{$a}{$b} \\right\\rfloor", ATOM, (0, 0)),
        rule="floor division is piecewise constant",
        reads="the floor of $a divided by $b",
        explain="a // b = floor(a/b) is flat between its jumps, so both partials are 0 almost everywhere",
        domain="division by zero is undefined",
        kink=lambda a, b: (
            "a // b jumps where a/b is a whole number; adtrace uses 0" if b != 0 and _whole(a / b) else None
        ),
        token="//",
    ),
    Primitive(
        "mod",
        2,
        operator.mod,
        _mod_grad,
        ("1", "-floor(a/b)"),
        Notation("$a % $b", MUL, (MUL, MUL + 1)),
        Notation("$a % $b", MUL, (MUL, MUL + 1)),
        Notation("$a \\bmod $b", MUL, (MUL, MUL + 1)),
        rule="remainder rule",
        reads="the remainder of $a divided by $b",
        explain="a % b = a - b·floor(a/b): between jumps floor(a/b) is constant, so ∂/∂a = 1, ∂/∂b = -floor(a/b)",
        domain="division by zero is undefined",
        kink=_mod_at_jump,
        token="%",
    ),
    Primitive(
        "atan",
        1,
        math.atan,
        lambda a, ans: (1.0 / (1.0 + a * a),),
        ("1/(1 + a^2)",),
        *_f("atan", "\\arctan($a)"),
        rule="derivative of arctangent",
        reads="the arctangent of $a",
        explain="atan undoes tan, whose slope is 1 + tan^2, so atan's slope is 1/(1 + $a^2)",
        functions=("atan", "arctan"),
    ),
    Primitive(
        "asin",
        1,
        math.asin,
        lambda a, ans: (1.0 / math.sqrt(1.0 - a * a),),
        ("1/sqrt(1 - a^2)",),
        *_f("asin", "\\arcsin($a)"),
        rule="derivative of arcsine",
        reads="the arcsine of $a",
        explain="asin undoes sin, whose slope is cos = sqrt(1 - sin^2), so asin's slope is 1/sqrt(1 - $a^2)",
        domain="asin is defined only for -1 ≤ x ≤ 1",
        derivative_domain="the slope of asin is infinite at ±1: it is differentiable only for -1 < x < 1",
        functions=("asin", "arcsin"),
    ),
    Primitive(
        "acos",
        1,
        math.acos,
        lambda a, ans: (-1.0 / math.sqrt(1.0 - a * a),),
        ("-1/sqrt(1 - a^2)",),
        *_f("acos", "\\arccos($a)"),
        rule="derivative of arccosine",
        reads="the arccosine of $a",
        explain="acos undoes cos, whose slope is -sin = -sqrt(1 - cos^2), so acos's slope is -1/sqrt(1 - $a^2)",
        domain="acos is defined only for -1 ≤ x ≤ 1",
        derivative_domain="the slope of acos is infinite at ±1: it is differentiable only for -1 < x < 1",
        functions=("acos", "arccos"),
    ),
    Primitive(
        "atan2",
        2,
        math.atan2,
        _atan2_grad,
        ("b/(a^2 + b^2)", "-a/(a^2 + b^2)"),
        *_f("atan2", "\\operatorname{atan2}($a, $b)", 2),
        rule="derivative of atan2",
        reads="the angle of the point ($b, $a)",
        explain="atan2($a, $b) is the angle of ($b, $a); turning the point changes it by b/(a²+b²) per unit of a "
        "and -a/(a²+b²) per unit of b",
        domain="atan2 is defined everywhere but has no derivative at (0, 0)",
        derivative_domain="atan2 has no derivative at (0, 0), and its partials overflow very close to it",
        partials_can_fail=True,
        functions=("atan2", "arctan2"),
    ),
    Primitive(
        "sinh",
        1,
        math.sinh,
        lambda a, ans: (math.cosh(a),),
        ("cosh(a)",),
        *_f("sinh", "\\sinh($a)"),
        rule="derivative of sinh",
        reads="the hyperbolic sine of $a",
        explain="sinh = (e^x - e^-x)/2, whose slope is (e^x + e^-x)/2 = cosh($a)",
        domain="the result is too large for a floating-point number",
        functions=("sinh",),
    ),
    Primitive(
        "cosh",
        1,
        math.cosh,
        lambda a, ans: (math.sinh(a),),
        ("sinh(a)",),
        *_f("cosh", "\\cosh($a)"),
        rule="derivative of cosh",
        reads="the hyperbolic cosine of $a",
        explain="cosh = (e^x + e^-x)/2, whose slope is (e^x - e^-x)/2 = sinh($a)",
        domain="the result is too large for a floating-point number",
        functions=("cosh",),
    ),
    Primitive(
        "asinh",
        1,
        math.asinh,
        lambda a, ans: (1.0 / math.sqrt(a * a + 1.0),),
        ("1/sqrt(a^2 + 1)",),
        *_f("asinh", "\\operatorname{arsinh}($a)"),
        rule="derivative of asinh",
        reads="the inverse hyperbolic sine of $a",
        explain="asinh undoes sinh, whose slope is cosh = sqrt(sinh^2 + 1), so asinh's slope is 1/sqrt($a^2 + 1)",
        functions=("asinh", "arcsinh"),
    ),
    Primitive(
        "acosh",
        1,
        math.acosh,
        lambda a, ans: (1.0 / math.sqrt(a * a - 1.0),),
        ("1/sqrt(a^2 - 1)",),
        *_f("acosh", "\\operatorname{arcosh}($a)"),
        rule="derivative of acosh",
        reads="the inverse hyperbolic cosine of $a",
        explain="acosh undoes cosh, whose slope is sinh = sqrt(cosh^2 - 1), so acosh's slope is 1/sqrt($a^2 - 1)",
        domain="acosh is defined only for x ≥ 1",
        derivative_domain="the slope of acosh is infinite at 1: it is differentiable only for x > 1",
        functions=("acosh", "arccosh"),
    ),
    Primitive(
        "atanh",
        1,
        math.atanh,
        lambda a, ans: (1.0 / (1.0 - a * a),),
        ("1/(1 - a^2)",),
        *_f("atanh", "\\operatorname{artanh}($a)"),
        rule="derivative of atanh",
        reads="the inverse hyperbolic tangent of $a",
        explain="atanh undoes tanh, whose slope is 1 - tanh^2, so atanh's slope is 1/(1 - $a^2)",
        domain="atanh is defined only for -1 < x < 1",
        functions=("atanh", "arctanh"),
    ),
    Primitive(
        "erf",
        1,
        math.erf,
        lambda a, ans: (_TWO_OVER_SQRT_PI * math.exp(-a * a),),
        ("2/sqrt(pi)*exp(-a^2)",),
        *_f("erf", "\\operatorname{erf}($a)"),
        rule="derivative of the error function",
        reads="the error function of $a",
        explain="erf($a) is 2/sqrt(pi) times the area under exp(-t^2) from 0 to $a, so its slope is "
        "2/sqrt(pi)·exp(-$a^2)",
        functions=("erf",),
    ),
    Primitive(
        "erfc",
        1,
        math.erfc,
        lambda a, ans: (-_TWO_OVER_SQRT_PI * math.exp(-a * a),),
        ("-2/sqrt(pi)*exp(-a^2)",),
        *_f("erfc", "\\operatorname{erfc}($a)"),
        rule="derivative of the complementary error function",
        reads="the complementary error function of $a",
        explain="erfc = 1 - erf, so its slope is minus erf's: -2/sqrt(pi)·exp(-$a^2)",
        functions=("erfc",),
    ),
    Primitive(
        "log10",
        1,
        math.log10,
        lambda a, ans: (1.0 / (a * _LN10),),
        ("1/(a*log(10))",),
        *_f("log10", "\\log_{10}($a)"),
        rule="derivative of the base-10 log",
        reads="the base-10 log of $a",
        explain="log10($a) = log($a)/log(10), so its slope is 1/($a·log(10))",
        domain="log10 is defined only for positive numbers",
        partials_can_fail=True,
        functions=("log10",),
    ),
    Primitive(
        "log2",
        1,
        math.log2,
        lambda a, ans: (1.0 / (a * _LN2),),
        ("1/(a*log(2))",),
        *_f("log2", "\\log_{2}($a)"),
        rule="derivative of the base-2 log",
        reads="the base-2 log of $a",
        explain="log2($a) = log($a)/log(2), so its slope is 1/($a·log(2))",
        domain="log2 is defined only for positive numbers",
        partials_can_fail=True,
        functions=("log2",),
    ),
    Primitive(
        "log1p",
        1,
        math.log1p,
        lambda a, ans: (1.0 / (1.0 + a),),
        ("1/(1 + a)",),
        *_f("log1p", "\\log(1 + $a)"),
        rule="derivative of log(1 + x)",
        reads="the natural log of 1 plus $a",
        explain="log1p($a) = log(1 + $a), so its slope is 1/(1 + $a)",
        domain="log1p is defined only for numbers > -1",
        functions=("log1p",),
    ),
    Primitive(
        "expm1",
        1,
        math.expm1,
        lambda a, ans: (ans + 1.0,),
        ("exp(a)",),
        *_f("expm1", "(e^{$a} - 1)"),
        rule="derivative of exp(x) - 1",
        reads="e to the power $a, minus 1",
        explain="expm1($a) = exp($a) - 1, so its slope is exp($a)",
        domain="the result is too large for a floating-point number",
        functions=("expm1",),
    ),
    Primitive(
        "hypot",
        2,
        math.hypot,
        lambda a, b, ans: (a / ans, b / ans),
        ("a/hypot(a, b)", "b/hypot(a, b)"),
        *_f("hypot", "\\sqrt{{$a}^2 + {$b}^2}", 2),
        rule="derivative of hypot",
        reads="the length of the vector ($a, $b)",
        explain="hypot($a, $b) = sqrt($a^2 + $b^2); the chain rule gives $a/hypot and $b/hypot",
        derivative_domain="hypot has no derivative at (0, 0)",
        functions=("hypot",),
    ),
    Primitive(
        "floor",
        1,
        lambda a: float(math.floor(a)),
        lambda a, ans: (0.0,),
        ("0",),
        *_f("floor", "\\lfloor $a \\rfloor"),
        rule="floor is piecewise constant",
        reads="the floor of $a",
        explain="floor is flat between whole numbers, so its derivative is 0 almost everywhere "
        "(it jumps, with no derivative, at each whole number)",
        domain="floor of an infinite number is undefined",
        kink=_jump("floor", _whole),
        functions=("floor",),
    ),
    Primitive(
        "ceil",
        1,
        lambda a: float(math.ceil(a)),
        lambda a, ans: (0.0,),
        ("0",),
        *_f("ceil", "\\lceil $a \\rceil"),
        rule="ceil is piecewise constant",
        reads="the ceiling of $a",
        explain="ceil is flat between whole numbers, so its derivative is 0 almost everywhere "
        "(it jumps, with no derivative, at each whole number)",
        domain="ceil of an infinite number is undefined",
        kink=_jump("ceil", _whole),
        functions=("ceil",),
    ),
    Primitive(
        "round",
        1,
        lambda a: float(round(a)),
        lambda a, ans: (0.0,),
        ("0",),
        *_f("round", "\\operatorname{round}($a)"),
        rule="round is piecewise constant",
        reads="$a rounded to a whole number",
        explain="round is flat between its jumps (at the halves), so its derivative is 0 almost everywhere",
        domain="round of an infinite number is undefined",
        kink=_jump("round", _half),
        functions=("round",),
    ),
)
PRIMITIVES = PRIMITIVES + MORE_PRIMITIVES

BY_NAME: dict[str, Primitive] = {p.name: p for p in PRIMITIVES}
FUNCTIONS: dict[str, Primitive] = {f: p for p in PRIMITIVES for f in p.functions}
INFIX: dict[str, Primitive] = {p.token: p for p in PRIMITIVES if p.token and p.arity == 2}
PREFIX: dict[str, Primitive] = {p.token: p for p in PRIMITIVES if p.token and p.arity == 1}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
PYTHON_DEFS: dict[str, str] = {
    "sigmoid": "def sigmoid(a): return 1.0/(1.0 + exp(-a)) if a >= 0 else exp(a)/(1.0 + exp(a))",
    "relu": "def relu(a): return a if a > 0 else 0.0",
    "step": "def step(a): return 1.0 if a > 0 else 0.0 if a < 0 else 0.5",
    "sign": "def sign(a): return 1.0 if a > 0 else -1.0 if a < 0 else 0.0",
}
"""The primitives Python's math module lacks, as the one-line Python definitions the adjoint program starts
with (the same conventions as evaluate above: step(0) = 1/2, sign(0) = 0). adtrace reads a program with these
lines and uses its own primitive (language/program.py skips a one-line def of a built-in name, with a note);
abs, max, min, pow and round are Python built-ins, every other function is imported from math."""

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
