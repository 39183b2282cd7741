"""The rules card (`adtrace rules [NAME]`): every primitive's definition and local partials.

Everything comes from the primitives table, so adding a primitive adds its row.
"""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from ..errors import OptionError
from ..language.parser import suggest
from ..lesson.rules import definition_text, partial_text
from ..lesson.words import fill
from ..primitives import ARG_NAMES, PRIMITIVES, Primitive


def lookup(name: str) -> list[Primitive]:
    """Primitives called `name`: an op name (mul), a function name or alias (ln), or an operator (*, -)."""
    found = [p for p in PRIMITIVES if name in (p.name, p.token) or name in p.functions]
    if not found:
        names = sorted({p.name for p in PRIMITIVES} | {f for p in PRIMITIVES for f in p.functions})
        raise OptionError(f"no primitive named '{name}'{suggest(name, names)} (adtrace rules lists them)")
    return found


def rules_card(names: list[str] | None = None, *, explain: bool = False) -> Table:
    """One row per primitive: name, definition, rule, local partials (and, with `explain`, why)."""
    prims = [p for name in names for p in lookup(name)] if names else list(PRIMITIVES)
    table = Table(
        title="Rules card: the local partial derivatives of every primitive",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_lines=True,
    )
    widest = max(len(partial_text(p, k)) for p in prims for k in range(p.arity))
    table.add_column("primitive", no_wrap=True)
    table.add_column("rule", max_width=16)
    table.add_column("local partials" + (" and why" if explain else ""), min_width=widest)
    for prim in dict.fromkeys(prims):
        partials = Text("\n".join(partial_text(prim, k) for k in range(prim.arity)))
        if explain and prim.explain:
            partials.append("\n" + fill(prim.explain, ARG_NAMES), style="italic")
        aliases = [*prim.functions[1:], *([prim.token] if prim.token else [])]
        name = prim.name + (f" ({', '.join(aliases)})" if aliases else "")
        head = Text(name, style="bold")
        head.append("\n" + definition_text(prim))
        table.add_row(head, Text(prim.rule), partials)
    return table
