"""The rules as a learner reads them: 'product rule: ∂(a·b)/∂a = b', from the primitives table."""

from __future__ import annotations

from functools import cache

from ..expr import Apply, Expr, Sym, partial_rule, show
from ..primitives import ARG_NAMES, ATOM, Primitive
from .math import Partial


def definition(prim: Primitive) -> Expr:
    """a·b, sin(a): the primitive over the rule arguments."""
    return Apply(prim, tuple(Sym(ARG_NAMES[m]) for m in range(prim.arity)))


def definition_text(prim: Primitive) -> str:
    return show(definition(prim))


@cache
def partial_text(prim: Primitive, k: int) -> str:
    """'∂(a·b)/∂a = b', '∂ sin(a)/∂a = cos(a)'."""
    expr = definition_text(prim)
    expr = f"({expr})" if prim.plain.prec < ATOM else f" {expr}"  # ∂(a^b)/∂a but ∂ sin(a)/∂a
    return f"∂{expr}/∂{ARG_NAMES[k]} = {show(partial_rule(prim, k))}"


@cache
def rule_text(prim: Primitive, k: int) -> str:
    """'product rule: ∂(a·b)/∂a = b' — the textbook rule a partial comes from."""
    return f"{prim.rule}: {partial_text(prim, k)}"


@cache
def rule_math(prim: Primitive, k: int) -> tuple[str, Partial, Expr]:
    """The rule as (name, ∂(a·b)/∂a, b): for views that typeset it."""
    return prim.rule, Partial(definition(prim), ARG_NAMES[k]), partial_rule(prim, k)
