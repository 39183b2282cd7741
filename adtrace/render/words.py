"""Shared wording and symbols for every renderer, so all formats say the same thing."""

from __future__ import annotations

from ..trace import ReversePass, TangentPass, Trace

BAR = "\u0304"  # combining macron: w̄
DOT = "\u0307"  # combining dot above: ẇ

PARENTS = (
    "The parents of a node are the nodes computed directly from it: its adjoint flows back from them. "
    "(HIPS autograd and some textbooks use 'parents' the other way round, for a node's inputs; "
    "here a node's inputs are always called its inputs.)"
)
SEED_REASON = (
    "A change in {z} changes {z} by exactly as much, so ∂{z}/∂{z} = 1; "
    "every other adjoint is this seed pushed back through the chain rule."
)
ADJOINT_NOTATION = "Notation: {w}̄i = ∂{z}/∂{w}i, the adjoint of {w}i: how much {z} changes per unit change of {w}i."

TITLE = "adtrace: reverse-mode automatic differentiation"
DECOMPOSITION = "1. Decomposition into primitives"
DECOMPOSITION_INTRO = "Inputs first, in order of appearance; then each operation in evaluation order."
GRAPH = "2. The graph"
FORWARD = "3. Forward pass: evaluate every node, inputs to output"
RESULT = "6. Result"
SEED_IS_OUTPUT = "seed: this node is the output {z}"
NO_PARENTS = "no parents: the output does not depend on this node"


def seed_title(k: int, count: int) -> str:
    return "4. Seed" if count == 1 else f"4.{k + 1} Seed for reverse pass {k + 1} of {count}"


def reverse_title(k: int, count: int, target: str) -> str:
    if count == 1:
        return "5. Reverse pass: adjoints, output to inputs"
    return f"5.{k + 1} Reverse pass {k + 1} of {count}: adjoints of {target}"


def tangent_title(k: int, count: int, by: str | None) -> str:
    return f"Forward mode, pass {k + 1} of {count}: tangents ẇ = ∂w/∂{by or 'the seed direction'}"


def scaled_seed(shown: str, z: str) -> str:
    """Said when a single output's seed is not 1."""
    return f" With seed {shown} every adjoint is {shown} times ∂{z}/∂w (the chain rule is linear)."


def unit_seed(output: str) -> str:
    return f"Seed 1 on {output} and 0 on the other outputs: the adjoints are exactly ∂{output}/∂w."


def vjp_seed(target: str) -> str:
    return f"The adjoints are ∂{target}/∂w: this pass computes the vector–Jacobian product seedᵀ·J."


def bar(label: str) -> str:
    """w3 → w̄3 (the macron sits on the letter, before the digits)."""
    head = label.rstrip("0123456789-")
    return head + BAR + label[len(head) :] if head else label + BAR


def dot(label: str) -> str:
    head = label.rstrip("0123456789-")
    return head + DOT + label[len(head) :] if head else label + DOT


def seed_target(trace: Trace, rpass: ReversePass) -> str:
    """What the adjoints of this pass are derivatives of: 'z', 'f', or 'f̄·f + ḡ·g' in words."""
    if rpass.output is not None:
        return rpass.output
    names = [o.name for o in trace.graph.outputs if o.node in rpass.seeds]
    if len(names) == 1 and len(trace.graph.outputs) == 1:
        return names[0]
    return "(" + " + ".join(f"{_num(rpass.seeds[o.node])}·{o.name}" for o in trace.graph.outputs) + ")"


def seed_words(trace: Trace, rpass: ReversePass) -> str:
    parts = []
    for out in trace.graph.outputs:
        value = rpass.seeds.get(out.node, 0.0)
        parts.append(f"{bar(out.name)} = {_num(value)}")
    return ", ".join(parts)


def tangent_seed_words(trace: Trace, tpass: TangentPass) -> str:
    return ", ".join(f"{dot(name)} = {_num(tpass.seeds.get(i, 0.0))}" for name, i in trace.graph.inputs.items())


def output_name_of(trace: Trace, i: int) -> str | None:
    for out in trace.graph.outputs:
        if out.node == i:
            return out.name
    return None


def _num(value: float) -> str:
    return f"{value:g}"
