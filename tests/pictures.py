"""Graphs for the picture tests: the samples, and the bigger ones a class draws (imported by the tests)."""

from __future__ import annotations

import re

from adtrace import Trace, trace
from adtrace.language.values import parse_assignments
from adtrace.samples import get

MICROGRAD = """c = a + b
d = a*b + b^3
c = c + c + 1
c = c + 1 + c + (-a)
d = d + d*2 + relu(b + a)
d = d + 3*d + relu(b - a)
k = c - d
f = k^2
g = f/2
g = g + 10/f"""
"""micrograd's README example (its `e` is `k` here: `e` is the constant), 27 nodes."""

NET_221 = """h1 = tanh(p11*x1 + p12*x2 + b1)
h2 = tanh(p21*x1 + p22*x2 + b2)
y = tanh(q1*h1 + q2*h2 + c)
loss = (y - t)^2"""
"""A 2-2-1 network with a squared error, 29 nodes."""

NET_231 = """h1 = tanh(p11*x1 + p12*x2 + b1)
h2 = tanh(p21*x1 + p22*x2 + b2)
h3 = tanh(p31*x1 + p32*x2 + b3)
y = tanh(q1*h1 + q2*h2 + q3*h3 + c)
loss = (y - t)^2"""
"""A 2-3-1 network with a squared error, 40 nodes."""


def sample_trace(name: str, **options: object) -> Trace:
    s = get(name)
    options.setdefault("elements", s.arrays)  # an array sample's views are tested at its element level
    return trace(s.source, parse_assignments(s.values), outputs=list(s.outputs) or None, **options)  # type: ignore[arg-type]


def program_trace(source: str, **options: object) -> Trace:
    """A trace of a program with a made-up value for each of its inputs (±0.1, ±0.2, …)."""
    assigned = set(re.findall(r"^(\w+) =", source, re.M))
    names = sorted(set(re.findall(r"[A-Za-z]\w*", source)) - {"tanh", "relu"} - assigned)
    values = {n: 0.1 * (k + 1) * (-1) ** k for k, n in enumerate(names)}
    return trace(source, values, **options)  # type: ignore[arg-type]


def big_traces() -> dict[str, Trace]:
    return {
        "micrograd": trace(MICROGRAD, a=-4, b=2),
        "net221": program_trace(NET_221),
        "net231": program_trace(NET_231),
    }
