"""The markdown export says what the terminal says: symbolic traces, the symbolic layer, 'Why seeds?',
'Forward or reverse?', the Jacobian, and --explain (the format rules themselves are in test_markdown.py)."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from conftest import check_golden

from adtrace import trace
from adtrace.cli import main
from adtrace.views import words
from adtrace.views.markdown import text
from adtrace.views.terminal import to_text

BOTH = "u = x*y; v = sin(x); f = u + v; g = u*v"
SEED = "x1*x2 + sin(x1)"


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(main, list(args), env={"NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def test_a_symbolic_trace_exports_through_the_cli(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "s.md"
    code, out, err = run(runner, SEED, "-o", str(target), "-q")
    assert (code, out, err) == (0, "", "")
    md = target.read_text(encoding="utf-8")
    assert md == trace(SEED).to_markdown()
    assert "No values given: a symbolic trace. x1, x2 stay symbols" in md
    assert "## 3. Forward pass: each node as a formula in the inputs" in md
    assert "| $w_{5}$ | $w_{3} + w_{4}$ | $x_{1} \\cdot x_{2} + \\sin(x_{1})$ |" in md
    assert "&= w_{2} + \\cos(w_{1}) \\\\\n&= x_{2} + \\cos(x_{1}) \\quad \\text{(in the inputs)}" in md
    assert "\\frac{\\partial z}{\\partial x_{1}} &= x_{2} + \\cos(x_{1}) \\\\" in md
    assert "\\frac{\\partial z}{\\partial x_{2}} &= x_{1}\n" in md
    assert "nan" not in md and 'n1["w₁ = x₁"]' in md and "-.->" not in md  # no values, no adjoint numbers
    code, out, _ = run(runner, SEED, "--format", "md")
    assert code == 0 and out == md


def test_partial_evaluation_keeps_the_values_it_has() -> None:
    md = trace(SEED, x1=2, symbolic=True).to_markdown()
    assert "Partial evaluation: x1 = 2 substituted; x2 stays a symbol (no value given)." in md
    assert (
        "| $w_{4}$ | $\\sin(w_{1})$ | $\\sin(2)$ | $0.9093$ |" in md
        and "| $w_{3}$ | $w_{1} \\cdot w_{2}$ | $2 \\cdot x_{2}$ |  |" in md
    )
    assert 'n4["w₄ = sin(w₁) = 0.9093"]' in md and 'n3["w₃ = w₁·w₂"]' in md
    assert "\\frac{\\partial z}{\\partial x_{1}} &= x_{2} + \\cos(2)" in md


def test_named_intermediates_get_a_where_list() -> None:
    source = "; ".join(["y = x*x"] + ["y = y*sin(y)"] * 4)
    for t in (trace(source), trace(source, x=0.7)):
        md = t.to_markdown()
        assert (
            "\\text{where}\\ \\bar w_{8} &= " in md
            and "\\frac{\\partial y}{\\partial x} &= 2 \\cdot \\bar w_{2} \\cdot x" in md
        )
        assert "w̄8, w̄6, w̄2 are kept as named intermediates" in md


def test_reverse_steps_gain_the_symbolic_lines_and_the_result_the_closed_form() -> None:
    md = trace(SEED, x1=2, x2=3).to_markdown()
    step = (
        "&= \\bar w_{3} \\cdot w_{2} + \\bar w_{4} \\cdot \\cos(w_{1}) \\\\\n"
        "&= 1 \\cdot w_{2} + 1 \\cdot \\cos(w_{1}) \\\\\n"
        "&= w_{2} + \\cos(w_{1}) \\\\\n"
        "&= 1 \\cdot 3 + 1 \\cdot \\cos(2) \\\\\n"
    )
    assert step in md
    assert text(words.CLOSED_FORM) in md and "\\frac{\\partial z}{\\partial x_{1}} &= x_{2} + \\cos(x_{1})" in md
    terminal = to_text(trace(SEED, x1=2, x2=3))
    assert "= 1·w2 + 1·cos(w1) " in terminal and "= w2 + cos(w1) " in terminal  # the same two lines
    plain = trace(SEED, x1=2, x2=3, symbolic=False).to_markdown()
    assert "1 \\cdot w_{2} + 1 \\cdot \\cos(w_{1})" not in plain and "In closed form" not in plain
    assert "&= 1 \\cdot 3 + 1 \\cdot \\cos(2) \\\\" in plain


def test_why_seeds_and_the_mode_comparison_say_what_the_terminal_says(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "both.md"
    code, _, _ = run(runner, BOTH, "x=2", "y=3", "--outputs", "f,g", "--mode", "both", "-o", str(target), "-q")
    assert code == 0
    md = target.read_text(encoding="utf-8")
    check_golden("both.md", md)
    t = trace(BOTH, x=2, y=3, outputs=["f", "g"], mode="both")
    said = [line for _, line in words.why_seeds(t)] + [*words.passes_needed(t), words.mode_cost(t)]
    for sentence in said:
        assert f"\n{text(sentence)}\n" in md, sentence
    terminal = " ".join(to_text(t, width=400).split())
    for sentence in said:
        assert " ".join(sentence.split()) in terminal, sentence
    assert "## 11. Why seeds?" in md and "## 12. Forward or reverse?" in md
    assert md.count("| $J$ | $\\frac{\\partial}{\\partial x}$ | $\\frac{\\partial}{\\partial y}$ |") == 3
    assert md.count("| $g$ | $0.231$ | $1.819$ |") == 3 and "**Both modes gave the same Jacobian.**" in md
    assert text(words.jacobian_caption(True)) in md


def test_a_vector_seed_and_a_forward_only_trace_pick_the_terminal_s_jacobian() -> None:
    vjp = trace("u = x*y; f = u + x; g = u*u", x=2, y=3, outputs=["f", "g"], seed={"f": 1, "g": 2}).to_markdown()
    assert text(words.UNSHOWN_PASSES) in vjp and "| $g$ | $36$ | $24$ |" in vjp
    assert "the vector–Jacobian product seedᵀ·J gives $\\bar x = 76, \\bar y = 50$" in vjp
    assert "\\bar x &= y \\cdot \\left(4 \\cdot x \\cdot y + 1\\right) + 1" in vjp
    forward = trace(BOTH, x=2, y=3, outputs=["f", "g"], mode="forward").to_markdown()
    assert text(words.jacobian_caption(False)) in forward and text(words.UNSHOWN_PASSES) not in forward


def test_explain_reaches_the_exports(runner: CliRunner, tmp_path: Path) -> None:
    t = trace(SEED, x1=2, x2=3)
    md, txt = tmp_path / "t.md", tmp_path / "t.txt"
    code, _, _ = run(runner, SEED, "x1=2", "x2=3", "--explain", "-o", str(md), "-o", str(txt), "-q")
    assert code == 0
    explained = md.read_text(encoding="utf-8")
    assert explained == t.to_markdown(explain=True)
    sentences = [words.explain_seed(t, t.reverse[0])]
    for j in t.graph.numbered[:-1]:  # the output's own step is its seed, explained in the seed section
        sentences += words.explain_step(t, t.reverse[0], j)
    for sentence in sentences:
        assert f"\n{text(sentence)}\n" in explained, sentence
    assert "w1 reaches z along two paths" in explained
    assert "Using the chain rule" not in t.to_markdown()
    assert "w1 reaches z along two paths" in txt.read_text(encoding="utf-8")
    code, _, _ = run(runner, SEED, "x1=2", "x2=3", "-o", str(md), "-q")
    assert code == 0 and "Using the chain rule" not in md.read_text(encoding="utf-8")


def test_every_case_has_the_terminal_s_sections_in_the_terminal_s_order() -> None:
    from test_markdown import CASES

    for name, make in CASES.items():
        t = make()
        in_markdown = [re.sub(r"\\(.)", r"\1", title) for title in re.findall(r"^## (.*)$", t.to_markdown(), re.M)]
        in_terminal = [title.strip() for title in re.findall(r"^╭─ (.*?) ─+╮$", to_text(t, width=200), re.M)]
        assert in_markdown == in_terminal, name
        assert len(in_markdown) >= 6, name


def test_explain_says_in_markdown_what_it_says_in_the_terminal() -> None:
    from test_markdown import CASES, EXPLAINED

    for name in EXPLAINED:
        t = CASES[name]()
        md = " ".join(t.to_markdown(explain=True).split()).replace("\\", "")
        terminal = " ".join(to_text(t, explain=True, width=1000).split())
        for phrase in ("Using the chain rule", "paths, through", "The reverse pass starts", "No node uses"):
            assert md.count(phrase) == terminal.count(phrase), (name, phrase)
        assert md.count("Using the chain rule") >= 4, name


def derivation_lengths_in_markdown(md: str) -> list[int]:
    """Lines of each reverse-step derivation (an aligned block for an adjoint) before the Result."""
    md = md[: md.index("Result\n")]
    lengths = []
    for block in re.findall(r"^\$\$\n(.*?)\n\$\$$", md, re.S | re.M):
        lines = [line for line in block.split("\n") if "&=" in line]
        if lines and lines[0].startswith(("\\bar", "\\overline")):
            lengths.append(len(lines))
    return lengths


def derivation_lengths_in_terminal(view: str) -> list[int]:
    """Lines of each reverse step's 'w̄j = … / = …' column before the Result (one-line steps left out)."""
    lengths: list[int] = []
    current = 0
    for line in view[: view.index("Result ─")].splitlines():
        line = line.strip("│ ").rstrip()
        if re.match(r"^\S+\u0304\S* = ", line):
            lengths.append(current)
            current = 1
        elif current and re.match(r"^\s*= ", line):
            current += 1
        else:
            lengths.append(current)
            current = 0
    lengths.append(current)
    return [n for n in lengths if n > 1]


def test_every_reverse_step_has_as_many_lines_as_in_the_terminal() -> None:
    from test_markdown import CASES

    for name, make in CASES.items():
        t = make()
        if len(t.graph.numbered) > 60:
            continue
        in_markdown = derivation_lengths_in_markdown(t.to_markdown())
        assert in_markdown == derivation_lengths_in_terminal(to_text(t, width=400)), name
        assert in_markdown or t.mode == "forward", name
