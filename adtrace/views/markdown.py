"""Trace → Markdown: the terminal trace's sections as text that renders the same everywhere.

Everything comes from the Trace (values, partials, adjoints, products, and the
formulas of its symbolic layer) and the primitives' LaTeX notation printed by
`expr.show(..., "latex")`; nothing is recomputed and nothing is taken from
rich's screen output. The sections, their order and their sentences are the
terminal's (`render/words.py` holds the wording both use); a trace with inputs
left as symbols gets the terminal's symbolic sections (`render/symbolic.py`).

The default math form is the one GitHub, Jupyter, Obsidian, VS Code and pandoc
all read: `$…$` inline and `$$ … $$` display blocks on their own lines with a
blank line around them. GitHub runs its markdown parser over the math before
MathJax sees it, so the LaTeX written here keeps to a subset that markdown
leaves alone (tests/test_markdown.py checks every rule on every export):

* every `_` follows a letter or a digit (`\\bar w_{3}`, never `\\bar{w}_{3}`):
  `}_{` can open emphasis;
* `\\cdot`, never `*`; no `|` (use `\\lvert`/`\\rvert`); no backslash before
  punctuation (`\\,` `\\{` `\\}` `\\;` lose their backslash), except `\\\\` at
  the very end of a line of an `aligned` block, which GitHub keeps;
* no display line starts with `+ `, `- `, `#` or `>`; math is ASCII only.

`math="github"` writes GitHub's own forms instead (`` $`…`$ `` and ```` ```math ````
blocks), which GitHub protects from markdown but other renderers do not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from ..engine.symbolic import SymbolicPass, SymbolicTrace, rounded
from ..engine.trace import ReversePass, TangentPass, Trace
from ..errors import UnknownFormatError
from ..expr import Apply, Const, Expr, Sym, latex_name, number, partial_rule, product, show, substitute
from ..primitives import ARG_NAMES, ATOM, Primitive
from . import words
from .words import output_name_of, seed_target

MathStyle = Literal["dollars", "github"]
MATH_STYLES: tuple[str, ...] = ("dollars", "github")

MERMAID_MAX_NODES = 60
"""Larger graphs get the table only: a diagram that size is unreadable and exceeds mermaid's default limits."""

_SUB = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")
_SUP = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")
_ESCAPE = re.compile(r"([\\`*_\[\]<>#|$~&])")


def to_markdown(trace: Trace, digits: int = 4, math: MathStyle = "dollars", *, explain: bool = False) -> str:
    return "".join(iter_markdown(trace, digits, math, explain=explain))


def iter_markdown(
    trace: Trace, digits: int = 4, math: MathStyle = "dollars", *, explain: bool = False
) -> Iterator[str]:
    """The markdown in pieces (a section, or one reverse step), so a big trace can be streamed to a file.

    `explain` adds the sentences of `--explain` under the seed and each reverse step (numeric traces).
    """
    if math not in MATH_STYLES:
        raise UnknownFormatError(f"unknown math style '{math}': use {' or '.join(MATH_STYLES)}")
    writer = _Writer(trace, digits, math, explain)
    sections = _symbolic_sections(writer) if trace.symbolic_only else _sections(writer)
    yield from _numbered(sections)


def _sections(md: _Writer) -> Iterator[str]:
    yield md.header()
    yield md.decomposition()
    yield from md.graph()
    yield from md.forward_table()
    for k, rpass in enumerate(md.t.reverse):
        yield md.seed(rpass, k)
        yield from md.reverse(rpass, k)
    for k, tpass in enumerate(md.t.forward):
        yield from md.tangents(tpass, k)
    yield md.result()
    yield md.why_seeds()
    if md.t.mode == "both":
        yield md.mode_comparison()


def _symbolic_sections(md: _Writer) -> Iterator[str]:
    """Some inputs have no value: formulas instead of numbers, and the gradient in closed form."""
    sym = md.t.symbolic
    assert sym is not None, "a trace without values always has its symbolic layer"
    yield md.header() + text(words.symbolic_intro(md.t)) + "\n\n"
    yield md.decomposition()
    yield from md.graph()
    yield from md.symbolic_forward_table(sym)
    for k, spass in enumerate(sym.passes):
        yield md.symbolic_seed(sym, spass, k)
        yield f"## {text(words.symbolic_reverse_title(k, len(sym.passes), spass.output))}\n\n"
        yield text(words.SYMBOLIC_LAYERS) + "\n\n"
        for j in reversed(md.t.graph.numbered):
            yield md.symbolic_step(spass, j)
    yield md.symbolic_result()


def _numbered(pieces: Iterator[str]) -> Iterator[str]:
    """Number the `## ` sections in order, as the terminal view numbers its panels."""
    count = 0
    for piece in pieces:
        if piece.startswith("## "):
            count += 1
            piece = f"## {count}. {piece[3:]}"
        yield piece


# -- small pieces -------------------------------------------------------------
def text(words_: str) -> str:
    """Free text (it may hold user names) with every markdown-special character escaped."""
    return _ESCAPE.sub(r"\\\1", words_)


def tex_bar(tex: str) -> str:
    """w_{3} → \\bar w_{3} (no braces before the subscript); a longer name gets \\overline{…}."""
    return _accent(tex, "\\bar", "\\overline")


def tex_dot(tex: str) -> str:
    return _accent(tex, "\\dot", "\\dot")


def _accent(tex: str, short: str, wide: str) -> str:
    if re.fullmatch(r"(?:\\[A-Za-z]+|[A-Za-z])(?:_\{[^{}]*\})?(?:\^\{[^{}]*\})?", tex):
        return f"{short} {tex}"
    return f"{wide}{{{tex}}}"


def unicode_name(name: str) -> str:
    """x1 → x₁, v-1 → v₋₁, w̄3 → w̄₃, c@2 → c⁽²⁾: names for places where LaTeX is not read (Mermaid labels)."""
    base, _, version = name.partition("@")
    match = re.fullmatch(r"(.*?[^\W\d_]\u0304?\u0307?)_?(-?\d+)", base)
    if match:
        base = match.group(1) + match.group(2).translate(_SUB)
    return base + (f"({version})".translate(_SUP) if version else "")


def _dedupe(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop a line that says what the line before it said (as the terminal does), comparing the plain forms."""
    kept = [lines[0]]
    for line in lines[1:]:
        if line[0] != kept[-1][0]:
            kept.append(line)
    return kept


class _Writer:
    def __init__(self, trace: Trace, digits: int, math: MathStyle, explain: bool = False):
        self.t = trace
        self.digits = digits
        self.math = math
        self.explain = explain
        self._labels: dict[int, str] = {}
        self._rules: dict[tuple[str, int], str] = {}

    # -- math delimiters --------------------------------------------
    def m(self, tex: str) -> str:
        return f"$`{tex}`$" if self.math == "github" else f"${tex}$"

    def display(self, lines: list[str]) -> str:
        """One display block; several lines become an aligned derivation with `\\\\` ending each line."""
        body = lines[0].replace("&=", "=")  # one line needs no alignment points (outside `aligned`, & is an error)
        if len(lines) > 1:
            body = "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"
        if self.math == "github":
            return f"```math\n{body}\n```\n\n"
        return f"$$\n{body}\n$$\n\n"

    # -- names and numbers ------------------------------------------
    def label(self, i: int) -> str:
        tex = self._labels.get(i)
        if tex is None:
            tex = self._labels[i] = latex_name(self.t.label(i))
        return tex

    def value_suffix(self, i: int) -> str:
        """' = 6' for a Mermaid label; nothing where a symbolic trace has no value."""
        value = self.t.values[i]
        return f" = {number(value, self.digits)}" if value == value else ""

    def num(self, value: float) -> str:
        return show(Const(value, number(value, self.digits)), "latex")

    def seed_num(self, value: float) -> str:
        return show(Const(value, f"{value:g}"), "latex")

    def partial(self, p: int, j: int) -> str:
        return f"\\frac{{\\partial {self.label(p)}}}{{\\partial {self.label(j)}}}"

    def title(self, i: int) -> str:
        node = self.t.graph.nodes[i]
        label = self.label(i)
        return f"{label}\\ ({latex_name(node.name)})" if node.name and not node.is_input else label

    # -- sections ---------------------------------------------------
    def header(self) -> str:
        t = self.t
        source = t.source.strip()
        fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", source)), default=0))
        given = ", ".join(f"{latex_name(n)} = {show(Const(v, number(v, 6)), 'latex')}" for n, v in t.inputs.items())
        outs = ", ".join(latex_name(o.name) for o in t.graph.outputs)
        return (
            f"# {text(words.mode_title(t.mode))}\n\n"
            f"{fence}text\n{source}\n{fence}\n\n"
            f"- inputs: {self.m(given) if given else 'none'}\n"
            f"- output{'s' if len(t.graph.outputs) > 1 else ''}: {self.m(outs)}\n\n"
        )

    def decomposition(self) -> str:
        t = self.t
        lines = [f"{self.title(i)} &= {show(t.definition(i), 'latex')}" for i in t.graph.numbered]
        lines += [f"{latex_name(o.name)} &= {self.label(o.node)}" for o in t.graph.outputs]
        return f"## {text(words.DECOMPOSITION)}\n\n{text(words.DECOMPOSITION_INTRO)}\n\n" + self.display(lines)

    def graph(self) -> Iterator[str]:
        t = self.t
        graph = t.graph
        yield f"## {text(words.GRAPH)}\n\n{text(words.PARENTS)}\n\n"
        if len(graph.numbered) <= MERMAID_MAX_NODES:
            yield self.mermaid()
        else:
            yield (
                f"The graph has {len(graph.numbered)} nodes, too many to draw "
                f"(a diagram is drawn up to {MERMAID_MAX_NODES}); the table lists every edge.\n\n"
            )
        yield "| node | computed from (inputs) | parents (used by) |\n| --- | --- | --- |\n"
        for i in graph.numbered:
            node = graph.nodes[i]
            if node.is_input:
                inputs = "input " + self.m(latex_name(node.name or ""))
            else:
                inputs = self.m(", ".join(show(graph.operand(a, t.notation), "latex") for a in node.args))
            parents = [self.m(", ".join(self.label(p) for p, _ in graph.parents[i]))] if graph.parents[i] else []
            out = output_name_of(t, i)
            if out is not None:
                parents.append("output " + self.m(latex_name(out)))
            yield f"| {self.m(self.label(i))} | {inputs} | {', '.join(parents) or 'none'} |\n"
        yield "\n"

    def mermaid(self) -> str:
        """flowchart LR: forward edges solid, the first reverse pass's adjoint flow dashed, labelled."""
        t = self.t
        graph = t.graph
        ids = {i: f"n{graph.number[i]}" for i in graph.numbered}
        lines = ["```mermaid", "flowchart LR"]
        for i in graph.numbered:
            node = graph.nodes[i]
            head = unicode_name(t.label(i))
            if node.name and not node.is_input:
                head += f" ({unicode_name(node.name)})"
            defn = t.definition(i)
            renames: dict[str, Expr] = {}
            for name in _symbols(defn):
                renames[name] = Sym(unicode_name(name))
            shown = show(substitute(defn, renames))
            lines.append(f'  {ids[i]}["{head} = {shown}{self.value_suffix(i)}"]')
        for k, out in enumerate(graph.outputs, 1):
            lines.append(f'  out{k}["{unicode_name(out.name)}{self.value_suffix(out.node)}"]')
        for i in graph.numbered:
            for a in graph.nodes[i].args:
                if not graph.nodes[a].is_const:
                    lines.append(f"  {ids[a]} --> {ids[i]}")
        for k, out in enumerate(graph.outputs, 1):
            lines.append(f"  {ids[out.node]} --> out{k}")
        if t.reverse:
            # The adjoints get nodes of their own (a3 for w̄3): an arrow drawn back onto the forward node would
            # make a cycle with the forward arrow, and mermaid's layout untangles cycles badly.
            rpass = t.reverse[0]
            adj = {i: f"a{graph.number[i]}" for i in graph.numbered}
            for j in reversed(graph.numbered):
                bar = unicode_name(words.bar(t.label(j)))
                lines.append(f'  {adj[j]}["{bar} = {number(rpass.adjoints[j], self.digits)}"]')
            for k, out in enumerate(graph.outputs, 1):
                seed = rpass.seeds.get(out.node, 0.0)
                lines.append(f'  out{k} -.->|"{words.bar(out.name)} = {seed:g}"| {adj[out.node]}')
            for j in reversed(graph.numbered):
                for term in t.terms(rpass, j):
                    parent = unicode_name(t.label(term.parent))
                    flow = f"{unicode_name(words.bar(t.label(term.parent)))}·∂{parent}/∂{unicode_name(t.label(j))}"
                    lines.append(f'  {adj[term.parent]} -.->|"{flow} = {number(term.product, self.digits)}"| {adj[j]}')
        lines.append("```")
        note = "Solid arrows: the forward pass, inputs to output, with each node's value."
        if t.symbolic_only:
            note = "Solid arrows: the forward pass, inputs to output (values where every input they need has one)."
        if t.reverse:
            w = t.notation
            note += (
                " Dashed arrows: the reverse pass, from the seed on the output back to the inputs, one node per "
                f"adjoint {words.bar(w)}i, each arrow labelled with the contribution "
                f"{words.bar(w)}p·∂{w}p/∂{w}j it carries."
            )
        return "\n".join(lines) + "\n\n" + text(note) + "\n\n"

    def forward_table(self) -> Iterator[str]:
        t = self.t
        w = "w_{i}" if t.notation == "w" else "v_{i}"
        yield f"## {text(words.FORWARD)}\n\n"
        yield f"| {self.m(w)} | definition | with values | value |\n| --- | --- | --- | ---: |\n"
        for i in t.graph.numbered:
            definition = t.definition(i)
            value = self.num(t.values[i])
            with_values = value if t.graph.nodes[i].is_input else show(t.with_values(definition, self.digits), "latex")
            row = [self.title(i), show(definition, "latex"), with_values, value]
            yield "| " + " | ".join(self.m(cell) for cell in row) + " |\n"
        yield "\n"

    def seed(self, rpass: ReversePass, k: int) -> str:
        t = self.t
        target = seed_target(t, rpass)
        parts = [f"## {text(words.seed_title(k, len(t.reverse)))}\n\n"]
        if len(t.graph.outputs) == 1:
            out = t.graph.outputs[0]
            name = latex_name(out.name)
            seed = rpass.seeds.get(out.node, 0.0)
            parts.append(
                self.display(
                    [
                        f"{tex_bar(name)} = \\frac{{\\partial {name}}}{{\\partial {name}}} = 1"
                        if seed == 1
                        else f"{tex_bar(name)} = {self.seed_num(seed)} \\quad \\text{{(the seed)}}"
                    ]
                )
            )
            reason = words.SEED_REASON.format(z=out.name)
            if seed != 1:
                reason += words.scaled_seed(number(seed, self.digits), out.name)
            parts.append(text(reason) + "\n\n")
        else:
            seeds = ", ".join(
                f"{tex_bar(latex_name(o.name))} = {self.seed_num(rpass.seeds.get(o.node, 0.0))}"
                for o in t.graph.outputs
            )
            parts.append(self.display([seeds]))
            why = words.unit_seed(rpass.output) if rpass.output is not None else words.vjp_seed(target)
            parts.append(text(why) + "\n\n")
        parts.append(text(words.ADJOINT_NOTATION.format(w=t.notation, z=target)) + "\n\n")
        if self.explain:
            parts.append(text(words.explain_seed(t, rpass, self.digits)) + "\n\n")
        return "".join(parts)

    def reverse(self, rpass: ReversePass, k: int) -> Iterator[str]:
        t = self.t
        yield f"## {text(words.reverse_title(k, len(t.reverse), seed_target(t, rpass)))}\n\n"
        spass = t.symbolic.passes[k] if t.symbolic is not None and k < len(t.symbolic.passes) else None
        for j in reversed(t.graph.numbered):
            yield self.reverse_step(rpass, j, spass)

    def reverse_step(self, rpass: ReversePass, j: int, spass: SymbolicPass | None = None) -> str:
        """w̄j = Σ w̄p·∂wp/∂wj: symbols, rules filled in, (the adjoint as a formula, simplified,) numbers,
        products, sum; then where each partial comes from, and with `explain` the same in words."""
        t = self.t
        label = tex_bar(self.label(j))
        terms = t.terms(rpass, j)
        seed = rpass.seeds.get(j)
        if not terms:
            if seed is not None:
                name = output_name_of(t, j) or ""
                math = self.m(f"{label} = {tex_bar(latex_name(name))} = {self.seed_num(seed)}")
                return f"{math} ({text(words.SEED_IS_OUTPUT.format(z=name))})\n\n"
            said = f"{self.m(f'{label} = 0')} ({text(words.NO_PARENTS)})\n\n"
            # another output's node, used by none: its step is its own pass's seed, so no sentence (as the terminal)
            return said if output_name_of(t, j) is not None else said + self.explained(rpass, j)
        seed_sym = [(words.bar(output_name_of(t, j) or ""), tex_bar(latex_name(output_name_of(t, j) or "")))]
        seed_val = [(f"{seed:g}", self.seed_num(seed))] if seed is not None else []
        if seed is None:
            seed_sym = []
        symbols = seed_sym + [
            (f"s{term.parent}", f"{tex_bar(self.label(term.parent))} \\cdot {self.partial(term.parent, j)}")
            for term in terms
        ]
        rules = seed_sym + [
            (
                show(product(Sym(words.bar(t.label(term.parent))), t.partial_formula(term.parent, term.position))),
                _latex_with(
                    product(HOLE, t.partial_formula(term.parent, term.position)), tex_bar(self.label(term.parent))
                ),
            )
            for term in terms
        ]
        numbers: list[tuple[str, str]] = []
        for term in terms:
            expr = product(
                Const(term.parent_adjoint, number(term.parent_adjoint, self.digits)),
                t.with_values(t.partial_formula(term.parent, term.position), self.digits),
            )
            numbers.append((show(expr), show(expr, "latex")))
        numbers = seed_val + numbers
        products = seed_val + [(number(term.product, self.digits), self.num(term.product)) for term in terms]
        lines = [_join(symbols), _join(rules)]
        if spass is not None and not isinstance(spass.adjoint[j], Const):  # the symbolic layer, as the terminal
            lines += [(show(e), show(e, "latex")) for e in (spass.expanded[j], spass.adjoint[j])]
        lines.append(_join(numbers))
        if len(products) > 1:
            lines.append(_join([(p, f"\\left({x}\\right)" if p.startswith("-") else x) for p, x in products]))
        lines.append((number(rpass.adjoints[j], self.digits), self.num(rpass.adjoints[j])))
        kept = _dedupe(lines)
        body = [f"{label} &= {kept[0][1]}"] + [f"&= {x}" for _, x in kept[1:]]
        out = [self.display(body)]
        for term in terms:
            parent = t.graph.nodes[term.parent]
            partial = show(t.partial_formula(term.parent, term.position), "latex")
            where = self.m(f"{self.partial(term.parent, j)} = {partial}")
            out.append(f"- {where} ← {self.rule(parent.prim, term.position)}")
            note = t.notes.get(term.parent)
            if note:
                out.append(f" (note: {text(note)})")
            out.append("\n")
        out.append("\n")
        out.append(self.explained(rpass, j))
        return "".join(out)

    def explained(self, rpass: ReversePass, j: int) -> str:
        """With `explain`, the step in words (the terminal's --explain sentences), one paragraph each."""
        if not self.explain:
            return ""
        return "".join(f"{text(line)}\n\n" for line in words.explain_step(self.t, rpass, j, self.digits))

    def rule(self, prim: Primitive, k: int) -> str:
        """'product rule: ∂(a·b)/∂a = b' with the formula as math."""
        known = self._rules.get((prim.name, k))
        if known is not None:
            return known
        symbols = tuple(Sym(ARG_NAMES[m]) for m in range(prim.arity))
        expr = show(Apply(prim, symbols), "latex")
        expr = expr if prim.plain.prec >= ATOM else f"\\left({expr}\\right)"
        formula = f"\\frac{{\\partial {expr}}}{{\\partial {ARG_NAMES[k]}}} = {show(partial_rule(prim, k), 'latex')}"
        said = self._rules[prim.name, k] = f"{text(prim.rule)}: {self.m(formula)}"
        return said

    def tangents(self, tpass: TangentPass, k: int) -> Iterator[str]:
        """Forward mode: ẇi = Σ ∂wi/∂wk·ẇk over the node's arguments."""
        t = self.t
        graph = t.graph
        yield f"## {text(words.tangent_title(k, len(t.forward), tpass.input))}\n\n"
        seeds = ", ".join(
            f"{tex_dot(latex_name(name))} = {self.seed_num(tpass.seeds.get(i, 0.0))}"
            for name, i in graph.inputs.items()
        )
        yield f"seed: {self.m(seeds)}\n\n{text(words.TANGENT_INTRO)}\n\n"
        for i in graph.numbered:
            node = graph.nodes[i]
            label = tex_dot(self.label(i))
            if node.is_input:
                name = tex_dot(latex_name(node.name or ""))
                yield self.display([f"{label} = {name} = {self.num(tpass.tangents[i])}"])
                continue
            live = [(pos, a) for pos, a in enumerate(node.args) if not graph.nodes[a].is_const]
            symbols = " + ".join(f"{self.partial(i, a)} \\cdot {tex_dot(self.label(a))}" for _, a in live)
            rules = " + ".join(
                _latex_with(product(t.partial_formula(i, pos), HOLE), tex_dot(self.label(a))) for pos, a in live
            )
            numbers = [
                product(
                    t.with_values(t.partial_formula(i, pos), self.digits),
                    Const(tpass.tangents[a], number(tpass.tangents[a], self.digits)),
                )
                for pos, a in live
            ]
            lines = [
                (f"s{i}", symbols),
                ("r" + " + ".join(show(t.partial_formula(i, pos)) for pos, _ in live), rules),
                (" + ".join(show(n) for n in numbers), " + ".join(show(n, "latex") for n in numbers)),
                (number(tpass.tangents[i], self.digits), self.num(tpass.tangents[i])),
            ]
            kept = _dedupe(lines)
            yield self.display([f"{label} &= {kept[0][1]}"] + [f"&= {x}" for _, x in kept[1:]])

    def result(self) -> str:
        """The output values and the derivatives (from the passes shown, as the terminal picks them), then the
        seeded products and the closed forms."""
        t = self.t
        graph = t.graph
        values = ", ".join(f"{latex_name(o.name)} = {self.num(t.values[o.node])}" for o in graph.outputs)
        parts = [f"## {text(words.RESULT)}\n\n{self.m(values)}\n\n"]
        jacobian, source = t.result_jacobian
        if source == "unshown":
            parts.append(text(words.UNSHOWN_PASSES) + "\n\n")
        if len(graph.outputs) > 1:
            parts.append(text(words.jacobian_caption(source != "forward")) + "\n\n")
            parts.append(self.jacobian_table(jacobian))
        else:
            out = graph.outputs[0]
            parts.append("| derivative | value |\n| --- | ---: |\n")
            for name, i in graph.inputs.items():
                cell = _d(out.name, name)
                if source == "reverse":
                    cell += f" = {tex_bar(self.label(i))}"
                parts.append(f"| {self.m(cell)} | {self.m(self.num(jacobian[out.name][name]))} |\n")
            parts.append("\n")
        for rpass in t.reverse:
            if rpass.output is None:
                seeds = ", ".join(
                    f"{tex_bar(latex_name(o.name))} = {self.seed_num(rpass.seeds.get(o.node, 0.0))}"
                    for o in graph.outputs
                )
                vjp = ", ".join(
                    f"{tex_bar(latex_name(name))} = {self.num(rpass.adjoints[i])}" for name, i in graph.inputs.items()
                )
                parts.append(
                    f"With the seed {self.m(seeds)}, the vector–Jacobian product seedᵀ·J gives {self.m(vjp)}.\n\n"
                )
        parts.append(self.closed_forms())
        for tpass in t.forward:
            if tpass.input is None:
                seeds = ", ".join(
                    f"{tex_dot(latex_name(name))} = {self.seed_num(tpass.seeds.get(i, 0.0))}"
                    for name, i in graph.inputs.items()
                )
                jvp = ", ".join(
                    f"{tex_dot(latex_name(o.name))} = {self.num(tpass.tangents[o.node])}" for o in graph.outputs
                )
                parts.append(
                    f"With the seed {self.m(seeds)}, the Jacobian–vector product J·seed gives {self.m(jvp)}.\n\n"
                )
        parts.append(self.warnings())
        return "".join(parts)

    def warnings(self) -> str:
        return "".join(f"**warning:** {text(warning)}\n\n" for warning in self.t.warnings)

    def jacobian_table(self, jacobian: dict[str, dict[str, float]]) -> str:
        """Rows are outputs, columns are inputs: J[f][x] = ∂f/∂x."""
        inputs = list(self.t.graph.inputs)
        head = " | ".join(self.m(f"\\frac{{\\partial}}{{\\partial {latex_name(x)}}}") for x in inputs)
        rows = [f"| {self.m('J')} | {head} |\n", "| --- |" + " ---: |" * len(inputs) + "\n"]
        for out, row in jacobian.items():
            cells = " | ".join(self.m(self.num(row[x])) for x in inputs)
            rows.append(f"| {self.m(latex_name(out))} | {cells} |\n")
        return "".join(rows) + "\n"

    def closed_forms(self) -> str:
        """The closed-form derivatives in the inputs, each with its 'where' list (render/symbolic.closed_forms)."""
        t = self.t
        sym = t.symbolic
        if sym is None:
            return text(t.symbolic_note) + "\n\n" if t.symbolic_note else ""
        parts = [text(words.CLOSED_FORM) + "\n\n"]
        named: list[str] = []
        for out in sym.outputs:
            spass = sym.units[out]
            lines = [f"{_d(out, name)} &= {self.formula(spass.closed[i])}" for name, i in sym.inputs.items()]
            parts.append(self.display(lines + self.where_lines(sym, spass, named)))
        for spass in sym.passes:
            if spass.output is None:  # a vector seed: the vector–Jacobian product, in closed form
                parts.append(text(words.closed_vjp(words.seed_target(t, spass))) + "\n\n")
                lines = [
                    f"{tex_bar(latex_name(name))} &= {self.formula(spass.closed[i])}" for name, i in sym.inputs.items()
                ]
                parts.append(self.display(lines + self.where_lines(sym, spass, named)))
        if named:
            parts.append(text(words.named_note(list(dict.fromkeys(named)), sym.limit)) + "\n\n")
        return "".join(parts)

    def where_lines(self, sym: SymbolicTrace, spass: SymbolicPass, named: list[str]) -> list[str]:
        """'where w̄3 = …' for every named intermediate the pass's closed forms use (collected into `named`)."""
        formulas = [spass.closed[i] for i in sym.inputs.values()]
        lines = []
        for name, formula in sym.bindings(formulas, spass):
            named.append(name)
            lines.append(f"\\text{{where}}\\ {latex_name(name)} &= {self.formula(formula)}")
        return lines

    def formula(self, expr: Expr) -> str:
        """A symbolic formula in LaTeX, long decimals (substituted values) rounded as the terminal rounds them."""
        return show(rounded(expr, self.digits), "latex")

    def why_seeds(self) -> str:
        sentences = words.why_seeds(self.t, self.digits)
        return f"## {text(words.WHY_SEEDS)}\n\n" + "".join(f"{text(line)}\n\n" for _, line in sentences)

    def mode_comparison(self) -> str:
        """Forward vs reverse on this trace's own numbers: passes needed, the same Jacobian both ways."""
        t = self.t
        parts = [f"## {text(words.FORWARD_OR_REVERSE)}\n\n"]
        parts += [f"{text(line)}\n\n" for line in words.passes_needed(t)]
        forward = t.forward_jacobian
        if forward is not None:
            parts += [text(words.JACOBIAN_FROM_FORWARD) + "\n\n", self.jacobian_table(forward)]
            parts += [text(words.JACOBIAN_FROM_REVERSE) + "\n\n", self.jacobian_table(t.jacobian)]
            parts.append(f"**{text(words.modes_verdict(t.modes_agree()))}**\n\n")
        parts.append(text(words.mode_cost(t)) + "\n\n")
        return "".join(parts)

    # -- a trace with inputs left as symbols ------------------------
    def symbolic_forward_table(self, sym: SymbolicTrace) -> Iterator[str]:
        t = self.t
        w = "w_{i}" if t.notation == "w" else "v_{i}"
        partial = bool(t.inputs)
        yield f"## {text(words.SYMBOLIC_FORWARD)}\n\n"
        yield f"| {self.m(w)} | definition | in the inputs |" + (" value |" if partial else "") + "\n"
        yield "| --- | --- | --- |" + (" ---: |" if partial else "") + "\n"
        for i in t.graph.numbered:
            form = sym.forward_where.get(t.label(i), sym.forward[i])  # a named node's own row writes it out
            row = [self.m(self.title(i)), self.m(show(t.definition(i), "latex")), self.m(self.formula(form))]
            if partial:
                value = t.values[i]
                row.append(self.m(self.num(value)) if value == value else "")
            yield "| " + " | ".join(row) + " |\n"
        yield "\n"
        if sym.forward_where:
            yield text(words.named_note(list(sym.forward_where), sym.limit) + "; later rows use the name") + "\n\n"

    def symbolic_seed(self, sym: SymbolicTrace, spass: SymbolicPass, k: int) -> str:
        t = self.t
        parts = [f"## {text(words.seed_title(k, len(sym.passes)))}\n\n"]
        if spass.output is not None and len(t.graph.outputs) == 1:
            name = latex_name(spass.output)
            parts.append(self.display([f"{tex_bar(name)} = \\frac{{\\partial {name}}}{{\\partial {name}}} = 1"]))
            parts.append(text(words.SEED_REASON.format(z=spass.output)) + "\n\n")
        else:
            seeds = ", ".join(
                f"{tex_bar(latex_name(o.name))} = {self.seed_num(spass.seeds[o.node])}"
                for o in t.graph.outputs
                if o.node in spass.seeds
            )
            parts.append(self.display([seeds]))
        target = words.seed_target(t, spass)
        parts.append(text(words.ADJOINT_NOTATION.format(w=t.notation, z=target)) + "\n\n")
        return "".join(parts)

    def symbolic_step(self, spass: SymbolicPass, j: int) -> str:
        """w̄j: the chain rule in symbols, partials filled in, parent adjoints as formulas, simplified, closed form."""
        t = self.t
        graph = t.graph
        label = tex_bar(self.label(j))
        edges = graph.parents[j]
        if not edges:
            if j in spass.seeds:
                name = output_name_of(t, j) or ""
                math = self.m(f"{label} = {tex_bar(latex_name(name))} = {self.seed_num(spass.seeds[j])}")
                return f"{math} ({text(words.SEED_IS_OUTPUT.format(z=name))})\n\n"
            return f"{self.m(f'{label} = 0')} ({text(words.NO_PARENTS)})\n\n"
        seed: list[tuple[str, str]] = []
        if j in spass.seeds:
            name = output_name_of(t, j) or ""
            seed = [(words.bar(name), tex_bar(latex_name(name)))]
        symbols = seed + [(f"s{p}", f"{tex_bar(self.label(p))} \\cdot {self.partial(p, j)}") for p, _ in edges]
        rules = seed + [
            (
                show(product(Sym(words.bar(t.label(p))), t.partial_formula(p, pos))),
                _latex_with(product(HOLE, t.partial_formula(p, pos)), tex_bar(self.label(p))),
            )
            for p, pos in edges
        ]
        closed = rounded(spass.closed[j], self.digits)
        lines = [_join(symbols), _join(rules)]
        lines += [(show(e), show(e, "latex")) for e in (spass.expanded[j], spass.adjoint[j], closed)]
        kept = _dedupe(lines)
        body = [f"{label} &= {kept[0][1]}"] + [f"&= {x}" for _, x in kept[1:]]
        if show(closed) != show(spass.adjoint[j]):
            body[-1] += f" \\quad \\text{{({words.IN_THE_INPUTS})}}"
        out = [self.display(body)]
        for p, pos in edges:
            partial = show(t.partial_formula(p, pos), "latex")
            where = self.m(f"{self.partial(p, j)} = {partial}")
            out.append(f"- {where} ← {self.rule(graph.nodes[p].prim, pos)}\n")
        out.append("\n")
        return "".join(out)

    def symbolic_result(self) -> str:
        return f"## {text(words.RESULT)}\n\n" + self.closed_forms() + self.warnings()


HOLE = Sym("adtraceplaceholder")
"""Stands for an accented symbol (\\bar w_{3}) in a formula: no node label can spell that."""


def _latex_with(expr: Expr, tex: str) -> str:
    """Print a formula as LaTeX with HOLE replaced by `tex`."""
    return show(expr, "latex").replace(latex_name(HOLE.name), tex)


def _d(out: str, name: str) -> str:
    """∂out/∂name in LaTeX."""
    return f"\\frac{{\\partial {latex_name(out)}}}{{\\partial {latex_name(name)}}}"


def _join(items: list[tuple[str, str]]) -> tuple[str, str]:
    return " + ".join(p for p, _ in items), " + ".join(x for _, x in items)


def _symbols(expr: Expr) -> list[str]:
    found: list[str] = []
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, Sym):
            found.append(e.name)
        elif isinstance(e, Apply):
            stack.extend(e.args)
    return found
