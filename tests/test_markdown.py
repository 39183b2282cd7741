"""The markdown export: golden files, every math span found and safe from a markdown pass, and strict
LaTeX (KaTeX) and Mermaid checks run by node over the whole folder of exports at once."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import check_golden
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from adtrace import Trace, trace
from adtrace.language.values import parse_assignments
from adtrace.samples import all_samples, get
from adtrace.views.markdown import MERMAID_MAX_NODES, iter_markdown, tex_bar
from adtrace.views.mermaid import pretty as unicode_name

JS = Path(__file__).parent / "js"
BOTH = "u = x*y; v = sin(x); f = u + v; g = u*v"
VJP = "u = x*y; f = u + x; g = u*u"


def sample_trace(name: str, **options: object) -> Trace:
    sample = get(name)
    outputs = list(sample.outputs) or None
    return trace(sample.source, parse_assignments(sample.values), outputs=outputs, **options)  # type: ignore[arg-type]


CASES: dict[str, Callable[[], Trace]] = {
    "seed": lambda: sample_trace("seed"),
    "neuron": lambda: sample_trace("neuron"),
    "quotient": lambda: sample_trace("quotient"),
    "multi": lambda: trace(
        "u = x*y; v = sin(x); f = u + v; g = u*v", x=2, y=3, outputs=["f", "g"], mode="both", notation="v"
    ),
    "vjp": lambda: trace("u = x*y; f = u + x; g = u*u", x=2, y=3, outputs=["f", "g"], seed={"f": 1, "g": 2}),
    "jvp": lambda: trace("x1*x2 + sin(x1)", x1=2, x2=3, mode="forward", seed={"x1": 1, "x2": -1}),
    "kinks": lambda: trace("relu(x) + abs(y) + max(x, y) + min(x, 0) + step(y)", x=0, y=0),
    "every_primitive": lambda: trace(
        "a1 = x - y/z + x^2 - tan(y) + exp(z) + log(z) + sqrt(z) + tanh(x) + sigmoid(y) + cos(x)\n"
        "b = pow(a1, 2) + sign(y) * -x + 2.5e-3 * pi + e + 1e6 * theta + θ2 * loss1",
        x=1.5,
        y=0.5,
        z=2,
        theta=0.1,
        θ2=0.2,
        loss1=3,
    ),
    "seed_scaled": lambda: trace("x^2", x=3, seed=2),
    "odd_names": lambda: trace(
        "# a comment with $dollars$, ``` backticks and *stars*\n"
        "my_var = α*x_1 + θ; my_var = my_var*my_var  # versioned: my_var@2\n"
        "loss_total = sqrt(my_var) + 2*pi",
        {"α": 2, "x_1": 3, "θ": 0.5, "unused": 1},
    ),
}
UNICODE_NAMES = ["ü_1", "µ", "ع", "ﬁ", "ϑ", "ℵ", "x²", "x٣", "é"]
CASES["unicode_names"] = lambda: trace(" + ".join(f"{n}*{n}" for n in UNICODE_NAMES), dict.fromkeys(UNICODE_NAMES, 2))
CASES.update({f"sample_{s.name}": (lambda n=s.name: sample_trace(n)) for s in all_samples()})
BLOW_UP = "; ".join(["y = x*x"] + ["y = y*sin(y)"] * 4)
CASES.update(
    {
        "both": lambda: trace(BOTH, x=2, y=3, outputs=["f", "g"], mode="both"),
        "symbolic": lambda: trace("x1*x2 + sin(x1)"),
        "symbolic_partial": lambda: trace("x1*x2 + sin(x1)", x1=2, symbolic=True),
        "symbolic_vjp": lambda: trace("u = x*y; f = u + x; g = u*u", outputs=["f", "g"], seed={"f": 1, "g": 2}),
        "symbolic_two_passes": lambda: trace(BOTH, outputs=["f", "g"], notation="v"),
        "symbolic_blow_up": lambda: trace(BLOW_UP),
        "blow_up": lambda: trace(BLOW_UP, x=0.7),
        "explain_seed": lambda: sample_trace("seed"),
        "explain_multi": lambda: trace("u = x*y; f = u + x; g = u*u; h = 2*x", x=2, y=3, outputs=["f", "g", "h"]),
        "explain_vjp": lambda: trace(VJP, x=2, y=3, outputs=["f", "g"], seed={"f": 1, "g": 2}),
    }
)
EXPLAINED = ("explain_seed", "explain_multi", "explain_vjp")
GOLDEN = ("seed", "neuron", "quotient", "multi", "both", "symbolic")

INLINE = MarkdownIt("commonmark").enable("table")
DOLLARS = (
    INLINE.__class__("commonmark")
    .enable("table")
    .use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=False)
)


def math_spans(text: str) -> list[tuple[str, bool]]:
    """(LaTeX, is display) for every math span markdown-it-py + dollarmath finds."""
    spans: list[tuple[str, bool]] = []
    for token in DOLLARS.parse(text):
        if token.type == "math_block":
            spans.append((token.content, True))
        elif token.type == "inline":
            for child in token.children or []:
                if child.type == "math_inline":
                    spans.append((child.content, False))
                elif child.type == "text":
                    assert "$" not in child.content, f"a '$' outside math: {child.content!r}"
    return spans


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {name: make().to_markdown(explain=name in EXPLAINED) for name, make in CASES.items()}


@pytest.mark.parametrize("name", GOLDEN)
def test_markdown_golden(name: str, exports: dict[str, str]) -> None:
    check_golden(f"{name}.md", exports[name])


def test_committed_example_is_current(exports: dict[str, str]) -> None:
    example = Path(__file__).parent.parent / "samples" / "exports" / "seed.md"
    assert example.read_text(encoding="utf-8") == exports["seed"], (
        "run: adtrace --sample seed -o samples/exports/seed.md"
    )


@pytest.mark.parametrize("name", list(CASES))
def test_every_math_span_is_found_and_survives_plain_commonmark(name: str, exports: dict[str, str]) -> None:
    text = exports[name]
    spans = math_spans(text)
    # Every $ in the file belongs to a span: the count of display blocks and inline spans adds up.
    outside_code = re.sub(r"^(`{3,})[a-z]*\n.*?^\1$", "", text, flags=re.S | re.M)
    displays = sum(1 for _, display in spans if display)
    assert outside_code.count("$") == 4 * displays + 2 * (len(spans) - displays)
    assert displays == outside_code.count("\n$$\n") // 2 >= 1
    assert commonmark_damage(text) == []


def commonmark_damage(text: str) -> list[str]:
    """The math spans a plain CommonMark (+ tables) pass changes: markdown first, as GitHub runs it before MathJax."""
    rendered = html.unescape(re.sub(r"<[^>]+>", "", INLINE.render(text)))
    damaged = []
    for tex, display in math_spans(text):
        # GitHub keeps a `\\` that ends a line of a $$ block; plain CommonMark reads it as an escaped backslash.
        typed = "$$" + tex.replace("\\\\\n", "\\\n") + "$$" if display else f"${tex}$"
        if typed not in rendered:
            damaged.append(tex)
    return damaged


@pytest.mark.parametrize(
    "trap",
    [
        "see $\\bar{w}_{3} + \\bar{w}_{4}$ here\n",  # }_{ … }_{ is emphasis on GitHub
        "see $a*b + c*d$ here\n",
        "see $\\{x\\}$ here\n",
        "see $a\\,b$ here\n",
        "$$\n\\begin{aligned}\na &= b \\\\\n- c &= d\n\\end{aligned}\n$$\n",  # '- ' starts a list
        "$$\n\\begin{aligned}\na &= b \\\\ c &= d\n\\end{aligned}\n$$\n",  # \\\\ not at a line end
    ],
)
def test_the_commonmark_check_catches_the_known_traps(trap: str) -> None:
    assert len(math_spans(trap)) == 1
    assert commonmark_damage(trap) != []


@pytest.mark.parametrize("name", list(CASES))
def test_latex_keeps_to_the_markdown_safe_subset(name: str, exports: dict[str, str]) -> None:
    for tex, display in math_spans(exports[name]):
        assert tex.isascii(), tex
        assert not re.search(r"(?<![A-Za-z0-9])_", tex), f"a '_' after a non-alphanumeric (emphasis on GitHub): {tex}"
        assert "*" not in tex and "|" not in tex, tex
        body = re.sub(r" \\\\\n", "\n", tex) if display else tex
        assert not re.search(r"\\[!-/:-@\[-`{-~]", body), f"a backslash before punctuation: {tex}"
        for line in tex.splitlines():
            assert not re.match(r"\s*([-+] |#|>)", line), line


def test_mermaid_labels_use_unicode_subscripts(exports: dict[str, str]) -> None:
    text = exports["seed"]
    assert 'n3["w₃ = w₁·w₂<br>= 6<br>w̄₃ = 1"]' in text and "flowchart TD" in text  # one box: value and adjoint
    assert 'n1 -->|"∂w₃/∂w₁ = 3"| n3' in text and 'n1["w₁ = x₁<br>= 2<br>w̄₁ = 2.584"]' in text
    assert "output z" in text
    assert unicode_name("v-1") == "v₋₁" and unicode_name("c@2") == "c⁽²⁾" and unicode_name("x_1") == "x₁"
    assert tex_bar("w_{3}") == "\\bar w_{3}" and tex_bar("\\mathrm{loss}") == "\\overline{\\mathrm{loss}}"


def test_big_graph_skips_the_diagram_but_keeps_every_node_and_streams() -> None:
    source = "; ".join(["y = x*x"] + ["y = sin(y) + x"] * 40)
    t = trace(source, x=0.5)
    assert len(t.graph.numbered) > MERMAID_MAX_NODES
    pieces = list(iter_markdown(t))
    assert len(pieces) > len(t.graph.numbered)  # one piece per reverse step at least: written as it is made
    text = "".join(pieces)
    assert "```mermaid" not in text and "too many to draw" in text
    assert text.count("\\bar w_{") >= len(t.graph.numbered) and "## 6. Result" in text


def test_github_math_variant(exports: dict[str, str]) -> None:
    text = trace("x1*x2 + sin(x1)", x1=2, x2=3).to_markdown(math="github")
    assert "```math\n\\begin{aligned}" in text and "$`\\bar w_{5} = \\bar z = 1`$" in text
    assert "\n$$\n" not in text


def bad_exports(folder: Path) -> None:
    """Files the node checker must reject: it is only worth something if it can fail."""
    (folder / "bad_katex.md").write_text("$\\frac{a}$ and $\\foo$\n", encoding="utf-8")
    (folder / "bad_mermaid.md").write_text(
        '```mermaid\nflowchart LR\n  end["x"] --> a["y"]\n```\n\n'
        '```mermaid\nflowchart LR\n  a[x]\n  b["<b>y</b>"]\n  a --> b\n```\n',
        encoding="utf-8",
    )


def test_strict_latex_and_mermaid_under_node(tmp_path: Path, exports: dict[str, str]) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the KaTeX and mermaid checks need it (CI installs it)")
    if not (JS / "node_modules").is_dir():
        if os.environ.get("CI"):
            pytest.fail("tests/js/node_modules is missing: .ci/run should have run npm ci there")
        pytest.skip("run `npm ci` in tests/js to enable the KaTeX and mermaid checks")
    for name, text in exports.items():
        (tmp_path / f"{name}.md").write_text(text, encoding="utf-8")
    for name in ("seed", "symbolic", "both"):
        (tmp_path / f"{name}_github.md").write_text(CASES[name]().to_markdown(math="github"), encoding="utf-8")
    bad_exports(tmp_path)
    run = subprocess.run(
        [node, str(JS / "check_exports.mjs"), str(tmp_path)], capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 1, run.stderr  # the bad files fail
    report = json.loads(run.stdout)
    files = report["files"]
    for name, text in exports.items():
        result = files[f"{name}.md"]
        assert result["errors"] == [], (name, result["errors"][:3])
        spans = math_spans(text)
        assert result["display"] == sum(1 for _, d in spans if d)
        assert result["inline"] == sum(1 for _, d in spans if not d)
        assert result["mermaid"] == text.count("```mermaid")
    for name in ("seed", "symbolic", "both"):
        github = files[f"{name}_github.md"]
        assert github["errors"] == [] and github["display"] == files[f"{name}.md"]["display"]
        assert github["inline"] == files[f"{name}.md"]["inline"]
    katex_errors = [e["message"] for e in files["bad_katex.md"]["errors"]]
    assert len(katex_errors) == 2 and any("Undefined control sequence" in m for m in katex_errors)
    kinds = [e["kind"] for e in files["bad_mermaid.md"]["errors"]]
    assert kinds.count("mermaid") == 1 and kinds.count("mermaid-lint") >= 2  # `end` fails to parse; the rest only lints


@pytest.mark.parametrize("name", ["seed", "multi", "every_primitive", "both", "symbolic", "blow_up", "explain_vjp"])
def test_pandoc_reads_every_math_span(name: str, exports: dict[str, str]) -> None:
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        pytest.skip("pandoc is not installed (optional check)")
    run = subprocess.run(
        [pandoc, "-f", "markdown", "-t", "html", "--mathml"],
        input=exports[name],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert run.stdout.count("<math") == len(math_spans(exports[name]))
    assert "$" not in re.sub(r"<math.*?</math>", "", run.stdout, flags=re.S)


@pytest.mark.parametrize(
    ("name", "tex"),
    [
        ("x1", "x_{1}"),
        ("x_1", "x_{1}"),
        ("v-1", "v_{-1}"),
        ("ab1", "\\mathrm{ab_{1}}"),  # not \mathrm{ab}_{1}: `}_{` is emphasis on GitHub
        ("loss_total", "\\mathrm{loss_{\\mathrm{total}}}"),
        ("theta_i", "\\theta_{i}"),
        ("θ2", "\\theta_{2}"),
        ("Ω", "\\Omega"),
        ("c@2", "c^{(2)}"),
    ],
)
def test_latex_names_are_markdown_safe(name: str, tex: str) -> None:
    from adtrace.expr import latex_name

    assert latex_name(name) == tex
