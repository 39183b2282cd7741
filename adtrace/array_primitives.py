"""The one table of array operations: numpy's value, and each vector–Jacobian product as a rule to read.

An array program is recorded on a tape of array nodes (engine/arrays). Each operation here says how to
evaluate it (numpy), how an adjoint flows back into each argument (`vjp`, and the same rule as a formula a
learner reads, `rules`: for `Y = A @ B`, Ā = Ȳ·Bᵀ), how a tangent flows forward (`jvp`), where the rule
comes from (`index_form`: y_i = Σ_j A_ij·B_j, so ∂L/∂A_ij = ȳ_i·B_j), and how the operation falls apart
into scalar nodes (`elements`, for --elements). Nobody builds an operation's full local Jacobian: a VJP
costs about as much as the operation itself.

Elementwise operations are made from the scalar table (primitives.py): their local partials are the
scalar ones, elementwise, and broadcasting adds the adjoint up over the axes it copied along. An
operation with parameters (`sum(x, axis=0)`, `x[1:]`, `reshape(x, (2, 3))`) is one primitive per
parameter value (`variant`), so a node still holds one primitive and its arguments.

This module imports numpy: only array programs load it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, reduce
from typing import Any, NamedTuple

import numpy as np

from .primitives import ADD, ATOM, BY_NAME, MUL, NEG, Notation, Primitive

Array = Any
"""A numpy array (np.ndarray; a 0-d array for a scalar)."""
Key = tuple[Any, ...]
"""A basic index: ints and slices (numpy's meaning)."""
Elements = Any
"""An object array of scalar nodes (engine/arrays/elements.py): what `elements` rules work on."""


def _np(f: Callable[..., Any]) -> Callable[..., float]:
    """An array operation's evaluation, in the table's field typed for scalars (its values are arrays)."""
    return f


def _no_grad(*args: Any) -> tuple[float, ...]:
    raise TypeError("an array operation has VJP rules, not scalar partials")


@dataclass(frozen=True, slots=True, eq=False)
class ArrayPrimitive(Primitive):
    """An array operation: its value, its VJP and JVP, and the rules a learner reads."""

    vjp: tuple[Callable[..., Array], ...] = ()
    """vjp[k](g, ans, *args): the contribution of the result's adjoint g to argument k's adjoint (its shape)."""
    rules: tuple[str, ...] = ()
    """vjp[k] as a formula over $g (the result's adjoint), $y (the result), $a, $b …: 'Ȳ·Bᵀ' is '$g·$bᵀ'."""
    rules_latex: tuple[str, ...] = ()
    """The same rules in LaTeX ('$g \\cdot $b^{\\top}'), the placeholders filled with LaTeX names."""
    jvp: Callable[..., Array] | None = None
    """jvp(tangents, ans, *args): the result's tangent (a tangent is None for an argument that has none)."""
    index_form: str = ""
    """The operation element by element: 'y_i = Σ_j a_ij·b_j'."""
    index_rules: tuple[str, ...] = ()
    """Each vjp read off the index form: 'ā_ij = Σ_i ȳ_i·b_j' (the chain rule on one element)."""
    elements: Callable[..., Elements] | None = None
    """The operation on object arrays of scalar nodes (engine/arrays/elements.py), for --elements."""
    tangent_rule: str = ""
    """The JVP of an operation that is neither elementwise nor linear nor a matrix product, over $t (the
    argument's tangent), $a and $y: 'Σ $t ⊙ softmax($a)' for logsumexp (the others follow from the table)."""
    local: tuple[Callable[..., Array], ...] = ()
    """For an elementwise operation: each argument's local partial, elementwise, called as (*args, y)."""
    elementwise: Primitive | None = None
    """The scalar primitive this one applies element by element, if it does."""
    linear: bool = False
    """Whether the operation only moves, copies or adds elements (indexing, reshape, sum): its JVP is itself."""
    vjp_code: Callable[[Site, int], str] | None = None
    """The VJP into argument k as numpy code that adtrace reads back (the adjoint program): code(site, k)."""


class Site(NamedTuple):
    """Where a VJP is written as code: the names of the result's adjoint, the result and the arguments (their
    code), with their shapes (a rule's code depends on them: a vector's transpose, the axes to sum over)."""

    g: str
    y: str
    args: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    out: tuple[int, ...]


def shape_code(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def unbroadcast_code(code: str, shape: tuple[int, ...], to: tuple[int, ...]) -> str:
    """np.sum over the axes broadcasting copied along, as code: the adjoint of a copy is a sum."""
    for _ in range(len(shape) - len(to)):
        code = f"np.sum({code}, axis=0)"
    shape = shape[len(shape) - len(to) :]
    axes = [k for k, n in enumerate(to) if n == 1 and shape[k] != 1]
    for k in reversed(axes):
        code = f"np.sum({code}, axis={k})"
    if axes:
        code = f"np.reshape({code}, {shape_code(to)})"
    if not to and shape:
        code = f"np.sum({code})"
    return code


def _spread(code: str, to: tuple[int, ...], keep: tuple[int, ...]) -> str:
    """A reduction's adjoint copied back over the array it reduced: reshaped to `keep` (1 on the reduced
    axes), times ones of the array's shape."""
    return (
        f"np.reshape({code}, {shape_code(keep)})*np.ones({shape_code(to)})"
        if keep
        else f"{code}*np.ones({shape_code(to)})"
    )


def _unbroadcast(g: Array, shape: tuple[int, ...]) -> Array:
    """Add g up over the axes broadcasting copied the argument along: the adjoint of a copy is a sum."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(k for k, n in enumerate(shape) if n == 1 and g.shape[k] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


# -- elementwise operations, made from the scalar table ----------------------------------------------------

_UFUNCS: dict[str, Callable[..., Array]] = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.true_divide,
    "neg": np.negative,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "tanh": np.tanh,
    "abs": np.abs,
    "max": np.maximum,
    "min": np.minimum,
    "relu": lambda a: np.maximum(a, 0.0),
    "sigmoid": lambda a: 0.5 * (1.0 + np.tanh(0.5 * a)),
}
"""numpy's own functions where they compute what the scalar primitive does (the rest are vectorized)."""


def _step(a: Array) -> Array:
    """Heaviside step, 1/2 at 0: the kink convention of the scalar table (relu, max, min)."""
    return np.where(a > 0, 1.0, np.where(a < 0, 0.0, 0.5))


def _pow_base(a: Array, b: Array, y: Array) -> Array:
    """∂(a^b)/∂a = b·a^(b-1), 0 where b = 0 (as the scalar table)."""
    return np.where(b == 0, 0.0, b * np.power(a, b - 1.0))


def _pow_exponent(a: Array, b: Array, y: Array) -> Array:
    """∂(a^b)/∂b = a^b·log(a) for a > 0, its limit 0 at a = 0 (b > 0), undefined for a < 0 (as the scalar table)."""
    return np.where(a > 0, y * np.log(np.where(a > 0, a, 1.0)), np.where((a == 0) & (b > 0), 0.0, np.nan))


_PARTIALS: dict[str, tuple[Callable[..., Array], ...]] = {
    "add": (lambda a, b, y: 1.0, lambda a, b, y: 1.0),
    "sub": (lambda a, b, y: 1.0, lambda a, b, y: -1.0),
    "mul": (lambda a, b, y: b, lambda a, b, y: a),
    "div": (lambda a, b, y: 1.0 / b, lambda a, b, y: -y / b),
    "pow": (_pow_base, _pow_exponent),
    "neg": (lambda a, y: -1.0,),
    "sin": (lambda a, y: np.cos(a),),
    "cos": (lambda a, y: -np.sin(a),),
    "exp": (lambda a, y: y,),
    "log": (lambda a, y: 1.0 / a,),
    "sqrt": (lambda a, y: 0.5 / y,),
    "tanh": (lambda a, y: 1.0 - y * y,),
    "sigmoid": (lambda a, y: y * (1.0 - y),),
    "relu": (lambda a, y: _step(a),),
    "max": (lambda a, b, y: _step(a - b), lambda a, b, y: _step(b - a)),
    "min": (lambda a, b, y: _step(b - a), lambda a, b, y: _step(a - b)),
}
"""Each argument's local partial elementwise, in numpy, called as (*args, y), where the scalar table's are
plain formulas (the rest are vectorized); one function per argument, so a VJP computes only its own."""


def _vectorized(prim: Primitive) -> tuple[Callable[..., Array], tuple[Callable[..., Array], ...]]:
    value = np.vectorize(prim.evaluate, otypes=[float])
    each = tuple(
        np.vectorize(lambda *a, k=k: prim.grad(*a)[k], otypes=[float]) for k in range(prim.arity)
    )  # called as (*args, y): the scalar grad's own order
    return value, each


def _rule_of(partial: str) -> str:
    """A scalar partial over a, b ('cos(a)', '-a/b^2') as the elementwise rule over $g, $a, $b."""
    if partial == "1":
        return "$g"
    if partial == "-1":
        return "-$g"
    if partial == "0":
        return "0"
    body = re.sub(r"\b([ab])\b", r"$\1", partial)
    if not re.fullmatch(r"\$[ab]|\w+\(.*\)", body):
        body = f"({body})"
    return f"$g ⊙ {body}"


def _elementwise(prim: Primitive) -> ArrayPrimitive:
    value = _UFUNCS.get(prim.name)
    partials = _PARTIALS.get(prim.name)
    if value is None or partials is None:
        slow_value, slow_partials = _vectorized(prim)
        value = value or slow_value
        partials = partials or slow_partials
    local = partials

    def vjp(k: int) -> Callable[..., Array]:
        def rule(g: Array, y: Array, *args: Array) -> Array:
            return _unbroadcast(np.asarray(g * local[k](*args, y), dtype=float), np.shape(args[k]))

        return rule

    def jvp(tangents: Sequence[Array | None], y: Array, *args: Array) -> Array:
        total: Array = np.zeros(np.shape(y))
        for k, t in enumerate(tangents):
            if t is not None:
                total = total + local[k](*args, y) * t
        return total

    plain = prim.plain
    if prim.name == "mul":
        plain = Notation("$a ⊙ $b", MUL, (MUL, MUL + 1))
    letters = "ab"[: prim.arity]
    each = ", ".join(f"{c}_i" for c in letters)
    return ArrayPrimitive(
        prim.name,
        prim.arity,
        _np(value),
        _no_grad,
        prim.partials,
        plain,
        prim.code,
        prim.latex,
        python=prim.python,
        rule=f"{prim.rule}, elementwise",
        reads=prim.reads,
        explain=prim.explain,
        domain=prim.domain,
        vjp=tuple(vjp(k) for k in range(prim.arity)),
        local=tuple(local),
        rules=tuple(_rule_of(p) for p in prim.partials),
        jvp=jvp,
        index_form=f"y_i = {prim.name}({each})",
        index_rules=tuple(f"{c}̄_i = ȳ_i·∂y_i/∂{c}_i (summed over the axes {c} was broadcast along)" for c in letters),
        elements=lambda *e: np.frompyfunc(lambda *x: x[0].apply(prim, *x[1:]), prim.arity, 1)(*e),
        elementwise=prim,
    )


ELEMENTWISE: dict[str, ArrayPrimitive] = {}


def elementwise(prim: Primitive) -> ArrayPrimitive:
    """The array form of a scalar primitive: the same function on every element, broadcasting as numpy does."""
    found = ELEMENTWISE.get(prim.name)
    if found is None:
        found = ELEMENTWISE[prim.name] = _elementwise(prim)
    return found


# -- linear algebra -------------------------------------------------------------------------------------------


def _as_matrices(a: Array, b: Array) -> tuple[Array, Array]:
    """numpy's matmul of vectors: a vector on the left is a row (1×n), on the right a column (n×1)."""
    return (a[None, :] if a.ndim == 1 else a), (b[:, None] if b.ndim == 1 else b)


def _matmul_grad(g: Array, a: Array, b: Array, pos: int) -> Array:
    """Ā = Ȳ·Bᵀ (pos 0) or B̄ = Aᵀ·Ȳ (pos 1), vectors read as numpy reads them; a vector times a vector's
    adjoint is an outer product, which numpy's own `outer` makes fastest."""
    if a.ndim == 2 and b.ndim == 1:
        return np.outer(g, b) if pos == 0 else a.T @ g
    if a.ndim == 1 and b.ndim == 2:
        return b @ g if pos == 0 else np.outer(a, g)
    a2, b2 = _as_matrices(a, b)
    g2 = np.reshape(g, (a2.shape[0], b2.shape[1]))
    return np.reshape(g2 @ b2.T, a.shape) if pos == 0 else np.reshape(a2.T @ g2, b.shape)


def _matmul_elements(a: Elements, b: Elements) -> Elements:
    a2, b2 = _as_matrices(a, b)
    out = np.empty((a2.shape[0], b2.shape[1]), dtype=object)
    for i in range(a2.shape[0]):
        for k in range(b2.shape[1]):
            out[i, k] = reduce(lambda s, t: s + t, [a2[i, j] * b2[j, k] for j in range(a2.shape[1])])
    shape = np.matmul(np.zeros(a.shape), np.zeros(b.shape)).shape
    return out.reshape(shape)


def _check_matmul(a: Array, b: Array) -> Array:
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul needs arrays of at least one dimension (use * for a number times an array)")
    if a.ndim > 2 or b.ndim > 2:
        raise ValueError("matmul of arrays of more than two dimensions is not supported")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ValueError(f"inner sizes {inner_a} and {inner_b} differ")
    return a @ b


_LINALG_NOTE = "with a vector on the left as a row and on the right as a column, as numpy does"

MATMUL = ArrayPrimitive(
    "matmul",
    2,
    _np(_check_matmul),
    _no_grad,
    (),
    Notation("$a @ $b", MUL, (MUL, MUL + 1)),
    Notation("$a @ $b", MUL, (MUL, MUL + 1)),
    Notation("$a $b", MUL, (MUL, MUL + 1)),
    rule="matrix product rule",
    reads="the matrix product of $a and $b",
    explain="each y_ik is a sum of products a_ij·b_jk: nudging a_ij moves y_ik by b_jk, for every k",
    vjp=(lambda g, y, a, b: _matmul_grad(g, a, b, 0), lambda g, y, a, b: _matmul_grad(g, a, b, 1)),
    rules=("$g·$bᵀ", "$aᵀ·$g"),
    rules_latex=("$g \\cdot $b^{\\top}", "$a^{\\top} \\cdot $g"),
    jvp=lambda t, y, a, b: (t[0] @ b if t[0] is not None else 0.0) + (a @ t[1] if t[1] is not None else 0.0),
    index_form="y_ik = Σ_j a_ij·b_jk",
    index_rules=(
        "∂y_ik/∂a_ij = b_jk, so ā_ij = Σ_k ȳ_ik·b_jk: that is (Ȳ·Bᵀ)_ij",
        "∂y_ik/∂b_jk = a_ij, so b̄_jk = Σ_i a_ij·ȳ_ik: that is (Aᵀ·Ȳ)_jk",
    ),
    elements=_matmul_elements,
    vjp_code=lambda s, k: _matmul_code(s, k),
)


def _outer_elements(a: Elements, b: Elements) -> Elements:
    out = np.empty((a.size, b.size), dtype=object)
    for i, x in enumerate(a.ravel()):
        for j, y in enumerate(b.ravel()):
            out[i, j] = x * y
    return out


OUTER = ArrayPrimitive(
    "outer",
    2,
    _np(np.outer),
    _no_grad,
    (),
    Notation("outer($a, $b)", ATOM, (0, 0)),
    Notation("np.outer($a, $b)", ATOM, (0, 0)),
    Notation("$a $b^{\\top}", ATOM, (0, 0)),
    rule="outer product rule",
    reads="the outer product of $a and $b",
    vjp=(lambda g, y, a, b: (g @ b.ravel()).reshape(a.shape), lambda g, y, a, b: (g.T @ a.ravel()).reshape(b.shape)),
    rules=("$g·$b", "$gᵀ·$a"),
    rules_latex=("$g \\cdot $b", "$g^{\\top} \\cdot $a"),
    jvp=lambda t, y, a, b: (
        (np.outer(t[0], b) if t[0] is not None else 0.0) + (np.outer(a, t[1]) if t[1] is not None else 0.0)
    ),
    index_form="y_ij = a_i·b_j",
    index_rules=("ā_i = Σ_j ȳ_ij·b_j", "b̄_j = Σ_i ȳ_ij·a_i"),
    elements=_outer_elements,
    vjp_code=lambda s, k: _outer_code(s, k),
)


# -- reductions, with an axis -------------------------------------------------------------------------------


def _keep(g: Array, a: Array, axis: int | None) -> Array:
    """A reduction's adjoint (or result) put back where the reduced axis was, to broadcast against `a`."""
    if axis is None:
        return np.reshape(g, (1,) * a.ndim)
    return np.expand_dims(g, axis)


def _axis_text(axis: int | None) -> str:
    return "" if axis is None else f", axis={axis}"


def _reduce_elements(op: Callable[[Any, Any], Any], axis: int | None) -> Callable[[Elements], Elements]:
    def rule(a: Elements) -> Elements:
        if axis is None:
            return np.array(reduce(op, list(a.ravel())), dtype=object)
        moved = np.moveaxis(a, axis, 0)
        out = np.empty(moved.shape[1:], dtype=object)
        for index in np.ndindex(*out.shape):
            out[index] = reduce(op, [moved[(k, *index)] for k in range(moved.shape[0])])
        return out

    return rule


def _count(a: Array, axis: int | None) -> int:
    return int(a.size if axis is None else a.shape[axis])


def _ties(a: Array, y: Array, axis: int | None) -> Array:
    """Where the maximum (or minimum) is, each tie taking an equal share (1/2 each at a tie of two, as the
    scalar max does)."""
    hit = (a == _keep(y, a, axis)).astype(float)
    return hit / hit.sum(axis=axis, keepdims=True)


def _prod_others(a: Array, axis: int | None) -> Array:
    """∂(Π a)/∂a_i = the product of the others (exact at zeros, unlike Π a / a_i)."""
    moved = np.moveaxis(a.reshape(-1) if axis is None else a, 0 if axis is None else axis, 0)
    left = np.cumprod(np.concatenate([np.ones((1, *moved.shape[1:])), moved[:-1]]), axis=0)
    right = np.cumprod(np.concatenate([np.ones((1, *moved.shape[1:])), moved[::-1][:-1]]), axis=0)[::-1]
    others = np.moveaxis(left * right, 0, 0 if axis is None else axis)
    return others.reshape(a.shape)


def _softmax(a: Array, axis: int) -> Array:
    shifted = np.exp(a - a.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def _logsumexp(a: Array, axis: int | None) -> Array:
    top = a.max(axis=axis, keepdims=True)
    out = np.log(np.exp(a - top).sum(axis=axis, keepdims=True)) + top
    return out.reshape(np.sum(a, axis=axis).shape)


def _softmax_elements(axis: int) -> Callable[[Elements], Elements]:
    def rule(a: Elements) -> Elements:
        e = np.frompyfunc(lambda x: x.apply(BY_NAME["exp"]), 1, 1)(a)
        total = _reduce_elements(lambda s, t: s + t, axis)(e)
        return e / np.expand_dims(total, axis)

    return rule


def _logsumexp_elements(axis: int | None) -> Callable[[Elements], Elements]:
    def rule(a: Elements) -> Elements:
        e = np.frompyfunc(lambda x: x.apply(BY_NAME["exp"]), 1, 1)(a)
        total = _reduce_elements(lambda s, t: s + t, axis)(e)
        return np.frompyfunc(lambda x: x.apply(BY_NAME["log"]), 1, 1)(total)

    return rule


def _reduction(name: str, axis: int | None) -> ArrayPrimitive:
    text = _axis_text(axis)
    plain = Notation(f"{name}($a{text})", ATOM, (0,))
    code = Notation(f"np.{name}($a{text})", ATOM, (0,))
    over = "every element" if axis is None else f"axis {axis}"
    sub = "i" if axis is None else "k"

    def linear_jvp(t: Sequence[Array | None], y: Array, a: Array) -> Array:
        assert t[0] is not None
        return np.asarray(REDUCTIONS[name](t[0], axis))

    common: dict[str, Any] = {
        "rule": f"{name} rule",
        "reads": f"the {name} of $a over {over}",
        "vjp_code": _reduction_code(name, axis),
    }
    if name == "sum":
        return ArrayPrimitive(
            name, 1, _np(lambda a: np.sum(a, axis=axis)), _no_grad, (), plain, code,
            Notation(f"\\sum{{$a}}{text}", ATOM, (0,)), **common,
            explain="every element is added in once, so each partial is 1: the adjoint is copied back to each",
            vjp=(lambda g, y, a: np.broadcast_to(_keep(g, a, axis), a.shape).astype(float),),
            rules=("$g·1",), rules_latex=("$g \\cdot \\mathbf{1}",), jvp=linear_jvp, linear=True,
            index_form=f"y = Σ_{sub} a_{sub}", index_rules=(f"∂y/∂a_{sub} = 1, so ā_{sub} = ȳ",),
            elements=_reduce_elements(lambda s, u: s + u, axis),
        )  # fmt: skip
    if name == "mean":
        return ArrayPrimitive(
            name, 1, _np(lambda a: np.mean(a, axis=axis)), _no_grad, (), plain, code,
            Notation(f"\\operatorname{{mean}}($a{text})", ATOM, (0,)), **common,
            explain="each of the n elements counts 1/n, so each partial is 1/n",
            vjp=(lambda g, y, a: np.broadcast_to(_keep(g, a, axis) / _count(a, axis), a.shape).astype(float),),
            rules=("$g/n",), rules_latex=("$g / n",), jvp=linear_jvp, linear=True,
            index_form=f"y = (1/n)·Σ_{sub} a_{sub}", index_rules=(f"∂y/∂a_{sub} = 1/n, so ā_{sub} = ȳ/n",),
            elements=lambda a: _reduce_elements(lambda s, u: s + u, axis)(a) / _count(a, axis),
        )  # fmt: skip
    if name in ("max", "min"):
        pick = np.max if name == "max" else np.min
        scalar = BY_NAME[name]
        return ArrayPrimitive(
            name, 1, _np(lambda a: pick(a, axis=axis)), _no_grad, (), plain, code,
            Notation(f"\\{name}($a{text})", ATOM, (0,)), **common,
            explain=f"only the {name}imum element moves the result: its partial is 1, the others' 0 "
            "(a tie shares it equally)",
            vjp=(lambda g, y, a: _keep(g, a, axis) * _ties(a, y, axis),),
            rules=(f"$g·[$a = {name}]",), rules_latex=(f"$g \\cdot [$a = \\{name}]",),
            tangent_rule=f"Σ $t·[$a = {name}]",
            jvp=lambda t, y, a: np.sum(t[0] * _ties(a, y, axis), axis=axis),
            index_form=f"y = {name}_{sub} a_{sub}",
            index_rules=(
                f"∂y/∂a_{sub} = 1 where a_{sub} is the {name}imum, else 0; at a tie of k elements, 1/k each (as "
                "the scalar max splits a tie, 1/2 each)",
            ),
            elements=_reduce_elements(lambda s, u: s.apply(scalar, u), axis),
        )  # fmt: skip
    if name == "prod":
        return ArrayPrimitive(
            name, 1, _np(lambda a: np.prod(a, axis=axis)), _no_grad, (), plain, code,
            Notation(f"\\prod{{$a}}{text}", ATOM, (0,)), **common,
            explain="nudging one factor scales the product by the product of the others",
            vjp=(lambda g, y, a: _keep(g, a, axis) * _prod_others(a, axis),),
            rules=("$g·∏ of the others",), rules_latex=("$g \\cdot \\prod_{j \\ne i} a_j",),
            tangent_rule="Σ $t·∏ of the others",
            jvp=lambda t, y, a: np.sum(t[0] * _prod_others(a, axis), axis=axis),
            index_form=f"y = Π_{sub} a_{sub}", index_rules=(f"∂y/∂a_{sub} = Π_(j≠{sub}) a_j",),
            elements=_reduce_elements(lambda s, u: s * u, axis),
        )  # fmt: skip
    if name == "logsumexp":
        return ArrayPrimitive(
            name, 1, _np(lambda a: _logsumexp(a, axis)), _no_grad, (), plain,
            Notation(f"logsumexp($a{text})", ATOM, (0,)),
            Notation(f"\\log\\sum e^{{$a}}{text}", ATOM, (0,)), **common,
            explain="∂ log Σ exp(a_j) / ∂a_i = exp(a_i)/Σ exp(a_j): the softmax of a",
            vjp=(lambda g, y, a: _keep(g, a, axis) * np.exp(a - _keep(y, a, axis)),),
            rules=("$g·softmax($a)",), rules_latex=("$g \\cdot \\operatorname{softmax}($a)",),
            tangent_rule="Σ $t ⊙ softmax($a)",
            jvp=lambda t, y, a: np.sum(t[0] * np.exp(a - _keep(y, a, axis)), axis=axis),
            index_form=f"y = log Σ_{sub} exp(a_{sub})", index_rules=(f"ā_{sub} = ȳ·exp(a_{sub} - y)",),
            elements=_logsumexp_elements(axis),
        )  # fmt: skip
    assert name == "norm"
    return ArrayPrimitive(
        name, 1, _np(lambda a: np.sqrt(np.sum(a * a, axis=axis))), _no_grad, (), plain,
        Notation(f"np.linalg.norm($a{text})", ATOM, (0,)), Notation(f"\\lVert $a \\rVert{text}", ATOM, (0,)),
        **common, domain="the norm's derivative is undefined at the zero vector",
        explain="‖a‖ = sqrt(Σ a_i²), so ∂‖a‖/∂a_i = a_i/‖a‖",
        vjp=(lambda g, y, a: _keep(g, a, axis) * a / _keep(y, a, axis),),
        rules=("$g·$a/$y",), rules_latex=("$g \\cdot $a / $y",), tangent_rule="Σ $a ⊙ $t / $y",
        jvp=lambda t, y, a: np.sum(t[0] * a, axis=axis) / y,
        index_form=f"y = sqrt(Σ_{sub} a_{sub}²)", index_rules=(f"ā_{sub} = ȳ·a_{sub}/y",),
        elements=lambda a: np.frompyfunc(lambda x: x.apply(BY_NAME["sqrt"]), 1, 1)(
            _reduce_elements(lambda s, u: s + u, axis)(a * a)
        ),
    )  # fmt: skip


REDUCTIONS: dict[str, Callable[[Array, int | None], Array]] = {
    "sum": lambda a, axis: np.sum(a, axis=axis),
    "mean": lambda a, axis: np.mean(a, axis=axis),
}


def _softmax_prim(axis: int) -> ArrayPrimitive:
    def vjp(g: Array, y: Array, a: Array) -> Array:
        return y * (g - np.sum(g * y, axis=axis, keepdims=True))

    return ArrayPrimitive(
        "softmax", 1, _np(lambda a: _softmax(a, axis)), _no_grad, (),
        Notation(f"softmax($a{_axis_text(axis) if axis != -1 else ''})", ATOM, (0,)),
        Notation(f"softmax($a, axis={axis})", ATOM, (0,)),
        Notation("\\operatorname{softmax}($a)", ATOM, (0,)),
        rule="softmax rule", reads="the softmax of $a",
        explain="∂y_i/∂a_j = y_i·(δ_ij - y_j): the Jacobian is diag(y) - y·yᵀ, applied without building it",
        vjp=(vjp,), rules=("$y ⊙ ($g - Σ($g ⊙ $y))",), tangent_rule="$y ⊙ ($t - Σ($t ⊙ $y))",
        rules_latex=("$y \\odot ($g - \\sum ($g \\odot $y))",),
        jvp=lambda t, y, a: y * (t[0] - np.sum(t[0] * y, axis=axis, keepdims=True)),
        index_form="y_i = exp(a_i)/Σ_j exp(a_j)",
        index_rules=("ā_j = Σ_i ȳ_i·y_i·(δ_ij - y_j) = y_j·(ȳ_j - Σ_i ȳ_i·y_i)",),
        elements=_softmax_elements(axis), vjp_code=_softmax_code(axis),
    )  # fmt: skip


# -- moving elements: transpose, reshape, indexing, joining -------------------------------------------------

TRANSPOSE = ArrayPrimitive(
    "transpose",
    1,
    _np(np.transpose),
    _no_grad,
    (),
    Notation("$aᵀ", ATOM, (ATOM,)),
    Notation("$a.T", ATOM, (ATOM,)),
    Notation("{$a}^{\\top}", ATOM, (ATOM,)),
    rule="transpose rule",
    reads="the transpose of $a",
    explain="the transpose only moves elements: the adjoint moves back the same way",
    vjp=(lambda g, y, a: np.transpose(g),),
    rules=("$gᵀ",),
    rules_latex=("$g^{\\top}",),
    jvp=lambda t, y, a: np.transpose(t[0]),
    index_form="y_ji = a_ij",
    index_rules=("ā_ij = ȳ_ji",),
    elements=lambda a: np.transpose(a),
    linear=True,
    vjp_code=lambda s, k: f"{s.g}.T",
)


def _reshape(shape: tuple[int, ...]) -> ArrayPrimitive:
    text = ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "")
    return ArrayPrimitive(
        "reshape", 1, _np(lambda a: np.reshape(a, shape)), _no_grad, (),
        Notation(f"reshape($a, ({text}))", ATOM, (0,)), Notation(f"np.reshape($a, ({text}))", ATOM, (0,)),
        Notation(f"\\operatorname{{reshape}}($a, ({text}))", ATOM, (0,)),
        rule="reshape rule", reads=f"$a reshaped to ({text})",
        explain="a reshape keeps every element and its order: the adjoint is reshaped back",
        vjp=(lambda g, y, a: np.reshape(g, a.shape),), rules=("reshape($g, shape of $a)",),
        rules_latex=("\\operatorname{reshape}($g)",),
        jvp=lambda t, y, a: np.reshape(t[0], shape), index_form="y (flat) = a (flat)",
        index_rules=("ā (flat) = ȳ (flat)",), elements=lambda a: np.reshape(a, shape), linear=True,
        vjp_code=lambda s, k: f"np.reshape({s.g}, {shape_code(s.shapes[0])})",
    )  # fmt: skip


def key_text(key: Key) -> str:
    """A basic index as typed: (slice(1, None), 0) → '1:, 0'."""
    parts = []
    for item in key:
        if isinstance(item, slice):
            text = ":".join("" if v is None else str(v) for v in (item.start, item.stop))
            parts.append(text + ("" if item.step is None else f":{item.step}"))
        else:
            parts.append(str(item))
    return ", ".join(parts)


def _index(key: Key) -> ArrayPrimitive:
    text = key_text(key)

    def vjp(g: Array, y: Array, a: Array) -> Array:
        out = np.zeros(a.shape)
        out[key] += g  # basic indexing picks each element once: += is a plain scatter
        return out

    return ArrayPrimitive(
        "index", 1, _np(lambda a: a[key]), _no_grad, (),
        Notation(f"$a[{text}]", ATOM, (ATOM,)), Notation(f"$a[{text}]", ATOM, (ATOM,)),
        Notation(f"{{$a}}_{{[{text}]}}", ATOM, (ATOM,)),
        rule="indexing rule", reads=f"$a at [{text}]",
        explain="indexing picks elements out: each picked element's adjoint goes back to its place, the rest get 0",
        vjp=(vjp,), rules=(f"$g scattered into zeros at [{text}]",),
        rules_latex=(f"$g \\text{{ placed at [{text}] in zeros}}",),
        jvp=lambda t, y, a: t[0][key], index_form=f"y = a[{text}]",
        index_rules=(f"ā[{text}] = ȳ, and 0 elsewhere",), elements=lambda a: a[key], linear=True,
        vjp_code=_index_code(key),
    )  # fmt: skip


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
MAX_JOINED = len(_LETTERS)


def _join(name: str, n: int, axis: int) -> ArrayPrimitive:
    names = ", ".join(f"${c}" for c in _LETTERS[:n])
    text = "" if axis == 0 else f", axis={axis}"

    def split(g: Array, args: tuple[Array, ...]) -> list[Array]:
        if name == "stack":
            return [np.take(g, k, axis=axis) for k in range(n)]
        edges = np.cumsum([a.shape[axis] for a in args])[:-1]
        return list(np.split(g, edges, axis=axis))

    def vjp(k: int) -> Callable[..., Array]:
        return lambda g, y, *args: split(g, args)[k]

    join = np.stack if name == "stack" else np.concatenate
    return ArrayPrimitive(
        name, n, _np(lambda *a: join(a, axis=axis)), _no_grad, (),
        Notation(f"{name}([{names}]{text})", ATOM, (0,) * n), Notation(f"np.{name}([{names}]{text})", ATOM, (0,) * n),
        Notation(f"\\operatorname{{{name}}}({names}){text}", ATOM, (0,) * n),
        rule=f"{name} rule", reads=f"the arrays joined along axis {axis}",
        explain=f"{name} only places elements side by side: the adjoint is cut back into the pieces",
        vjp=tuple(vjp(k) for k in range(n)), rules=tuple(f"the part of $g for ${c}" for c in _LETTERS[:n]),
        rules_latex=tuple(f"$g \\text{{, the part of }} ${c}" for c in _LETTERS[:n]),
        jvp=lambda t, y, *args: join([np.zeros(np.shape(a)) if d is None else d for d, a in zip(t, args, strict=True)],
                                     axis=axis),
        index_form="y = [a, b, …] side by side", index_rules=("each piece's adjoint is its part of ȳ",) * n,
        elements=lambda *e: join(e, axis=axis), linear=True, vjp_code=_join_code(name, axis),
    )  # fmt: skip


# -- the table ---------------------------------------------------------------------------------------------


@cache
def variant(name: str, params: tuple[Any, ...] = ()) -> ArrayPrimitive:
    """The primitive `name` with its parameters (an axis, a shape, an index, how many arrays are joined):
    one primitive per parameter value, made once."""
    if name == "matmul":
        return MATMUL
    if name == "outer":
        return OUTER
    if name == "transpose":
        return TRANSPOSE
    if name in ("sum", "mean", "max", "min", "prod", "logsumexp", "norm"):
        return _reduction(name, params[0] if params else None)
    if name == "softmax":
        return _softmax_prim(params[0] if params else -1)
    if name == "reshape":
        return _reshape(tuple(params))
    if name == "index":  # slices come as ('slice', start, stop, step): a slice can't be a cache key before 3.12
        return _index(tuple(slice(*p[1:]) if isinstance(p, tuple) else p for p in params))
    if name in ("concatenate", "stack"):
        n, axis = params
        return _join(name, n, axis)
    raise KeyError(name)


NAMED = ("matmul", "outer", "transpose", "sum", "mean", "max", "min", "prod", "logsumexp", "norm", "softmax",
         "reshape", "index", "concatenate", "stack")  # fmt: skip
"""Every array operation that is not elementwise (the rules card and the tests walk this)."""

__all__ = ["ADD", "NEG", "ArrayPrimitive", "elementwise", "variant"]


# -- each VJP as numpy code, for the adjoint program ------------------------------------------------------------


def _matmul_code(s: Site, k: int) -> str:
    (a, b), (sa, sb) = s.args, s.shapes
    if len(sa) == 1 and len(sb) == 1:
        return f"{s.g}*{b}" if k == 0 else f"{s.g}*{a}"
    if k == 0:
        return f"np.outer({s.g}, {b})" if len(sb) == 1 else f"{b} @ {s.g}" if len(sa) == 1 else f"{s.g} @ {b}.T"
    return f"np.outer({a}, {s.g})" if len(sa) == 1 else f"{a}.T @ {s.g}"


def _outer_code(s: Site, k: int) -> str:
    return f"{s.g} @ {s.args[1]}" if k == 0 else f"{s.g}.T @ {s.args[0]}"


def _kept(shape: tuple[int, ...], axis: int | None) -> tuple[int, ...]:
    """The reduced shape with its axis kept as 1 (numpy's keepdims), () for a reduction of everything."""
    if axis is None:
        return ()
    return tuple(1 if k == axis % len(shape) else n for k, n in enumerate(shape))


def _reduction_code(name: str, axis: int | None) -> Callable[[Site, int], str]:
    def code(s: Site, k: int) -> str:
        (a,), (shape,) = s.args, s.shapes
        keep = _kept(shape, axis)
        ax = "" if axis is None else f", axis={axis}"

        def kept(x: str) -> str:
            return f"np.reshape({x}, {shape_code(keep)})" if keep else x

        if name == "sum":
            return _spread(s.g, shape, keep)
        if name == "mean":
            return f"{_spread(s.g, shape, keep)}/{int(np.prod(shape) if axis is None else shape[axis])}"
        if name in ("max", "min"):
            gap = f"{kept(s.y)} - {a}" if name == "max" else f"{a} - {kept(s.y)}"
            mask = f"(1 - np.sign({gap}))"
            return f"{kept(s.g)}*{mask}/{kept(f'np.sum({mask}{ax})')}"
        if name == "prod":
            return (
                _prod_others_code(s.g, a, shape)
                if axis is None and 1 < int(np.prod(shape)) <= MAX_JOINED
                else (
                    f"{kept(s.g)}*{kept(s.y)}/{a}"  # divides by a: past 26 elements or along an axis, not at a zero
                )
            )
        if name == "logsumexp":
            return f"{kept(s.g)}*np.exp({a} - {kept(s.y)})"
        return f"{kept(s.g)}*{a}/{kept(s.y)}"  # norm

    return code


def _prod_others_code(g: str, a: str, shape: tuple[int, ...]) -> str:
    """ā_i = ȳ·(the product of the others), exactly, zeros too: each as np.prod of the array without element i."""
    flat = f"np.reshape({a}, (-1,))" if len(shape) != 1 else a
    n = int(np.prod(shape))
    others = [
        f"np.prod({flat}[1:])" if i == 0 else f"np.prod({flat}[:-1])" if i == n - 1
        else f"np.prod(np.concatenate([{flat}[:{i}], {flat}[{i + 1}:]]))"
        for i in range(n)
    ]  # fmt: skip
    stacked = f"np.stack([{', '.join(others)}])"
    return f"{g}*np.reshape({stacked}, {shape_code(shape)})" if len(shape) != 1 else f"{g}*{stacked}"


def _softmax_code(axis: int) -> Callable[[Site, int], str]:
    def code(s: Site, k: int) -> str:
        keep = _kept(s.out, axis)
        return f"{s.y}*({s.g} - np.reshape(np.sum({s.g}*{s.y}, axis={axis}), {shape_code(keep)}))"

    return code


def _index_code(key: Key) -> Callable[[Site, int], str]:
    def code(s: Site, k: int) -> str:
        (shape,) = s.shapes
        if len(shape) == 1 and len(key) == 1:
            (item,) = key
            n = shape[0]
            if isinstance(item, int):
                return f"{s.g}*np.eye({n})[{item % n}]"
            start, stop, step = item.indices(n)
            if step == 1:
                parts = [f"np.zeros({start})"] if start else []
                parts.append(s.g)
                parts += [f"np.zeros({n - stop})"] if stop < n else []
                return f"np.concatenate([{', '.join(parts)}])" if len(parts) > 1 else s.g
        if len(shape) == 2 and all(isinstance(i, int) or i == slice(None) for i in key):
            m, n = shape
            rows, cols = (*key, slice(None))[:2]
            if isinstance(rows, int) and isinstance(cols, int):
                return f"{s.g}*np.outer(np.eye({m})[{rows % m}], np.eye({n})[{cols % n}])"
            if isinstance(rows, int):
                return f"np.outer(np.eye({m})[{rows % m}], {s.g})"
            if isinstance(cols, int):
                return f"np.outer({s.g}, np.eye({n})[{cols % n}])"
        picked = np.arange(int(np.prod(shape))).reshape(shape)[key].ravel()
        select = np.zeros((int(np.prod(shape)), picked.size))
        select[picked, np.arange(picked.size)] = 1.0
        literal = "[" + ", ".join("[" + ", ".join(f"{v:g}" for v in row) + "]" for row in select) + "]"
        return f"np.reshape(np.array({literal}) @ np.reshape({s.g}, (-1,)), {shape_code(shape)})"

    return code


def _join_code(name: str, axis: int) -> Callable[[Site, int], str]:
    def code(s: Site, k: int) -> str:
        lead = ":, " * (axis % len(s.out))
        if name == "stack":
            return f"{s.g}[{lead}{k}]"
        start = sum(shape[axis] for shape in s.shapes[:k])
        return f"{s.g}[{lead}{start}:{start + s.shapes[k][axis]}]"

    return code
