"""The decisions a program's run made on the values (its branches and loop tests), as a lesson section: the
scalar and the array lessons both show them."""

from __future__ import annotations

from ..engine.trace import Trace
from . import words
from .model import Block, Note, Section, Step, Steps
from .source import visible


def branches(trace: Trace, digits: int) -> Section | None:
    """Each decision the run made on the values, and why the derivative is that of the path taken."""
    g = trace.graph
    if not g.branches:
        return None
    decisions = g.branches

    def step(k: int) -> Step:
        b = decisions[k]
        context = g.contexts[b.context]
        where = words.context_words(context.call, [(lp.kind, lp.line, lp.iteration) for lp in context.loops])
        said = words.branch_sentence(b.line, visible(b.condition), b.values, b.taken, b.kind, b.went, where, digits)
        return Step("branch", notes=(Note("text", (said,)),))

    return Section(
        "branches",
        words.BRANCHES,
        (
            Block("notes", (Note("aside", (words.BRANCHES_INTRO,)),)),
            Block("steps", steps=Steps(len(decisions), step), what="decisions"),
        ),
    )
