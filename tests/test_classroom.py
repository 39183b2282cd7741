"""Classroom mode: --explain, the graph drawing, the rules card and the step-by-step reveal (data and terminal)."""

from __future__ import annotations

import itertools
import re
from string import Template

import pytest
from click.testing import CliRunner
from conftest import check_golden
from rich.cells import cell_len
from rich.console import Console

from adtrace import trace
from adtrace.cli import main
from adtrace.language.values import parse_assignments
from adtrace.primitives import ARG_NAMES, PRIMITIVES
from adtrace.samples import all_samples, get
from adtrace.views.drawing import ARROW, MARK, GraphDrawing, draw
from adtrace.views.rules import lookup
from adtrace.views.stepper import reveal_states, screen


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(main, list(args), env={"NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def plain(renderable: object, width: int = 80) -> str:
    console = Console(width=width, no_color=True, color_system=None, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    text = console.export_text()
    console.file.close()
    return text


# -- --explain ---------------------------------------------------------


@pytest.mark.parametrize("name", ["seed", "square", "reuse", "quotient", "chain"])
def test_explain_golden_on_samples(runner: CliRunner, name: str) -> None:
    code, out, err = run(runner, "--sample", name, "--explain", "--width", "100")
    assert code == 0 and err == ""
    check_golden(f"explain_{name}.txt", out)


def test_explain_says_what_the_issue_asks(runner: CliRunner) -> None:
    code, out, _ = run(runner, "x1*x2 + sin(x1)", "x1=2", "x2=3", "--explain", "--width", "400")
    assert code == 0
    assert "w5 is the sum of w3 and w4, so ∂w5/∂w3 = 1" in out
    assert "Using the chain rule, ∂z/∂w3 = ∂z/∂w5 · ∂w5/∂w3 = 1 × 1 = 1." in out
    assert (
        "w1 reaches z along two paths, through w3 and through w4, so its adjoint is the sum of the two contributions"
        in out
    )
    assert "the path through w4 contributes ∂z/∂w4 · ∂w4/∂w1 = 1 × (-0.4161) = -0.4161" in out
    assert "w5 is the output z, so its adjoint is the seed ∂z/∂z = 1." in out
    code, plain_out, _ = run(runner, "x1*x2 + sin(x1)", "x1=2", "x2=3", "--width", "400")
    assert "Using the chain rule" not in plain_out and "two paths" not in plain_out


def test_explain_of_x_times_x_names_both_arguments(runner: CliRunner) -> None:
    code, out, _ = run(runner, "x*x", "x=3", "--explain", "--width", "400")
    assert code == 0
    assert (
        "w1 reaches z along two paths, through w2 (as its first argument) and through w2 (as its second argument)"
        in out
    )
    assert "3 + 3 = 6" in out


def test_every_primitive_has_an_explanation_template() -> None:
    for prim in PRIMITIVES:
        assert prim.explain, prim.name
        allowed = set(ARG_NAMES[: prim.arity])
        used = {m.group("named") or m.group("braced") for m in Template.pattern.finditer(prim.explain)}
        assert used - {None} <= allowed, (prim.name, used)
        Template(prim.explain).substitute({a: "w1" for a in allowed})


# -- the graph drawing ---------------------------------------------------


GRAPHS = [
    ("graph_shared.txt", ["x*y + x*sin(x)", "x=1.2", "y=0.4"]),
    ("graph_square.txt", ["x*x", "x=3"]),
    ("graph_seed.txt", ["x1*x2 + sin(x1)", "x1=2", "x2=3"]),
]


@pytest.mark.parametrize(("golden", "args"), GRAPHS, ids=[g for g, _ in GRAPHS])
def test_graph_golden(runner: CliRunner, golden: str, args: list[str]) -> None:
    code, out, err = run(runner, *args, "--graph", "--width", "80")
    assert code == 0 and err == ""
    assert max(cell_len(line) for line in out.splitlines()) <= 80
    check_golden(golden, out)


def _edges(t: object) -> int:
    graph = t.graph  # type: ignore[attr-defined]
    return sum(1 for i in graph.numbered for a in graph.nodes[i].args if not graph.nodes[a].is_const)


@pytest.mark.parametrize("sample", all_samples(), ids=lambda s: s.name)
def test_drawing_has_one_box_per_node_and_one_arrow_per_edge(sample: object) -> None:
    s = get(sample.name)  # type: ignore[attr-defined]
    t = trace(s.source, parse_assignments(s.values), outputs=list(s.outputs) or None, elements=s.arrays)
    nodes = len(t.graph.numbered)
    width = 76 if nodes <= 20 else 116  # the panel at 80 columns; the program samples at 120
    drawing = draw(GraphDrawing(t), width)
    if drawing is None:
        wide = s.arrays and len(t.graph.inputs) > 10  # an element level's inputs: one box per element, in a row
        assert nodes > 40 or wide, f"a sample of {nodes} nodes fits the panel at {width + 4} columns"
        return
    text = drawing.plain
    assert text.count(ARROW) == _edges(t)
    for i in t.graph.numbered:
        assert text.count(f" {t.label(i)} = ") == 1  # each node drawn once, shared or not
    assert max(cell_len(line) for line in text.splitlines()) <= width


def test_shared_node_and_square_draw_every_edge() -> None:
    square = draw(GraphDrawing(trace("x*x", x=3)), 80)
    assert square is not None and square.plain.count(ARROW) == 2 and square.plain.count("w1 = x") == 1
    shared = draw(GraphDrawing(trace("x*y + x*sin(x)", x=1.2, y=0.4)), 80)
    assert shared is not None and shared.plain.count(ARROW) == 7 and shared.plain.count("w1 = x ") == 1


def test_a_chain_of_twelve_fits_80_columns() -> None:
    source = "x"
    for _ in range(11):
        source = f"sin({source})"
    t = trace(source, x=0.5)
    assert len(t.graph.numbered) == 12
    text = plain(GraphDrawing(t), 80)
    assert "too big" not in text and text.count(ARROW) == 11
    assert max(cell_len(line) for line in text.splitlines()) <= 80


def test_big_graph_degrades_to_a_table_without_recursion() -> None:
    source = " + ".join(f"x{k}*x{k + 1}" for k in range(400))
    values = {f"x{k}": 1.0 for k in range(401)}
    t = trace(source, values)
    assert draw(GraphDrawing(t), 80) is None
    text = plain(GraphDrawing(t, highlight=t.graph.inputs["x3"]), 100)
    assert "too big to draw" in text and f"{MARK}   w4" in text
    assert len(reveal_states(t)) > 1200


def test_normal_trace_shows_the_drawing_when_it_fits(runner: CliRunner) -> None:
    _, small, _ = run(runner, "x*x", "x=3", "--width", "80")
    assert ARROW in small and "w̄ = 6" in small
    _, sample, _ = run(runner, "--sample", "logistic", "--width", "80")  # 18 nodes: drawn since the layout
    assert ARROW in sample and "too big to draw" not in sample
    big = " + ".join(f"x{k}*x{k + 1}" for k in range(31))  # 63 nodes: more than a drawing shows
    _, out, _ = run(runner, big, *(f"x{k}=1" for k in range(32)), "--width", "80")
    assert ARROW not in out and "too big to draw" not in out and "it is drawn up to 60: see the table" in out


# -- the rules card --------------------------------------------------------


def test_rules_card_golden(runner: CliRunner) -> None:
    code, out, err = run(runner, "rules", "--width", "80")
    assert code == 0 and err == ""
    check_golden("rules_80.txt", out)
    for needle in ("∂(a·b)/∂a = b", "∂ sin(a)/∂a = cos(a)", "∂(a/b)/∂b = -a/b^2"):
        assert needle in out
    assert all(p.name in out for p in PRIMITIVES)


def test_rules_for_one_primitive_with_explanation(runner: CliRunner) -> None:
    code, out, _ = run(runner, "rules", "sin", "--explain", "--width", "100")
    assert code == 0
    assert "∂ sin(a)/∂a = cos(a)" in out and "the slope of the sine curve at a is the cosine there" in out
    assert "cos(a)/∂a" not in out
    code, out, _ = run(runner, "rules", "*", "ln", "--width", "100")
    assert code == 0 and "∂(a·b)/∂b = a" in out and "∂ log(a)/∂a = 1/a" in out
    assert {p.name for p in lookup("-")} == {"sub", "neg"}


def test_unknown_rule_is_a_clear_error(runner: CliRunner) -> None:
    code, out, err = run(runner, "rules", "sinx")
    assert code == 2 and out == ""
    assert err.startswith("error: no primitive named 'sinx' — did you mean 'sin'?")


def test_an_expression_called_rules_still_works(runner: CliRunner) -> None:
    code, out, _ = run(runner, "rules*1", "rules=2", "--format", "json")
    assert code == 0 and '"rules": 1.0' in out
    code, out, _ = run(runner, "rules", "rules=3", "--format", "json")
    assert code == 0 and '"rules": 1.0' in out


# -- the step-by-step reveal, as data ------------------------------------------


def test_reveal_states_for_the_worked_example() -> None:
    t = trace("x1*x2 + sin(x1)", x1=2, x2=3)
    states = reveal_states(t)
    kinds = [s.kind for s in states]
    assert kinds == ["start"] + ["forward"] * 5 + ["seed"] + ["term"] * 5 + ["sum", "done"]
    assert [t.label(s.node) for s in states if s.node is not None] == [
        *("w1", "w2", "w3", "w4", "w5"),
        *("w5", "w4", "w3", "w2", "w1", "w1", "w1"),
    ]
    assert states[0].values == frozenset() and states[0].adjoints == frozenset()
    for before, after in itertools.pairwise(states):
        assert before.values <= after.values and before.adjoints <= after.adjoints
    w1 = t.graph.inputs["x1"]
    first_term, second_term, total = states[-4], states[-3], states[-2]
    assert first_term.running[w1] == "3 + …" and w1 not in first_term.adjoints
    assert first_term.text == "w̄1 += w̄3·∂w3/∂w1 = w̄3·w2 = 1·3 = 3"
    assert second_term.running[w1] == "3 + (-0.4161) + …"
    assert total.text == "w̄1 = 3 + (-0.4161) = 2.584" and w1 in total.adjoints
    assert "two paths" in total.explain
    assert states[-1].adjoints == frozenset(t.graph.numbered)
    assert "∂z/∂x1 = 2.584" in states[-1].text


def test_screen_highlights_the_current_node() -> None:
    t = trace("x*x", x=3)
    states = reveal_states(t)
    k = next(i for i, s in enumerate(states) if s.kind == "sum")
    text = plain(screen(t, states, k, explain=True, width=100, height=60), 100)
    assert f"step {k + 1} of {len(states)}: sum w1" in text
    assert f"{MARK} w1 = x" in text  # the box
    assert re.search(rf"{MARK}\s+w1\s+x", text)  # the table row
    assert "two paths" in text


def test_step_falls_back_when_not_a_terminal(runner: CliRunner) -> None:
    code, out, err = run(runner, "x1*x2 + sin(x1)", "x1=2", "x2=3", "--step", "--width", "100")
    assert code == 0
    assert "--step needs a terminal" in err and len(err.splitlines()) == 1
    assert "5. Reverse pass" in out and "2.584" in out


def test_step_and_json_do_not_mix(runner: CliRunner) -> None:
    code, _, err = run(runner, "x*x", "x=3", "--step", "--format", "json")
    assert code == 2 and "--format json" in err


def test_a_big_lesson_fits_a_small_screen_around_the_current_node() -> None:
    t = trace(" + ".join(f"x{k}*x{k + 1}" for k in range(30)), {f"x{k}": 1 for k in range(31)})
    states = reveal_states(t)
    text = plain(screen(t, states, 40, width=80, height=24), 80)
    assert len(text.splitlines()) <= 24
    assert re.search(r"… \d+ more", text) and re.search(rf"{MARK}\s+w40\s+w38 \+ w39\s+5", text)
    assert "w40 = w38 + w39 = 4 + 1 = 5" in text


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_every_state_of_every_sample_renders_and_fits(size: tuple[int, int]) -> None:
    width, height = size
    for s in all_samples():
        t = trace(s.source, parse_assignments(s.values), outputs=list(s.outputs) or None, elements=s.arrays)
        states = reveal_states(t)
        assert states[0].kind == "start" and states[-1].kind == "done"
        assert sum(1 for st in states if st.kind == "forward") == len(t.graph.numbered)
        for k, state in enumerate(states):
            text = plain(screen(t, states, k, explain=True, width=width, height=height), width)
            assert max(cell_len(line) for line in text.splitlines()) <= width, (s.name, k)
            assert len(text.splitlines()) <= height, (s.name, k)
            if state.node is not None:
                assert MARK in text, (s.name, k)
