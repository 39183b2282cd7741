"""The array level in the views that draw or step: the stepper (data, screens, a real terminal), the web lesson
(text and Chromium), the graph pictures (terminal drawing, SVG, Mermaid) and the exports of an array program."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import test_web
from click.testing import CliRunner
from rich.cells import cell_len
from rich.console import Console
from test_web import Page

from adtrace import trace
from adtrace.cli import main
from adtrace.language.values import parse_assignments
from adtrace.lesson.build import build
from adtrace.samples import all_samples, get
from adtrace.views.drawing import ARROW, MARK, GraphDrawing, draw
from adtrace.views.graph_svg import graph_svg
from adtrace.views.mermaid import mermaid
from adtrace.views.stepper import reveal_states, screen
from adtrace.views.web import to_html

SAMPLES = ["linear_layer", "mlp"]
ARRAY_SAMPLES = [s.name for s in all_samples() if s.arrays]
browser = test_web.browser  # the Chromium fixture, shared with the scalar lesson's browser tests


def sample_trace(name: str, **options: Any) -> Any:
    s = get(name)
    return trace(s.source, parse_assignments(s.values), outputs=list(s.outputs) or None, **options)


def plain(renderable: object, width: int) -> str:
    console = Console(width=width, no_color=True, color_system=None, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    text = console.export_text()
    console.file.close()
    return text


def edges(t: Any) -> int:
    g = t.graph
    return sum(1 for i in g.numbered for a in g.nodes[i].args if not g.nodes[a].is_const)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env={"NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


# -- the stepper's states ------------------------------------------------------------------


@pytest.mark.parametrize("name", ARRAY_SAMPLES)
def test_the_states_reveal_every_value_the_seed_and_every_vjp(name: str) -> None:
    t = sample_trace(name)
    assert getattr(t, "is_arrays", False)
    states = reveal_states(t)
    kinds = [s.kind for s in states]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert kinds.count("forward") == len(t.graph.numbered)
    assert kinds.count("seed") == 1
    assert kinds.count("term") == sum(len(t.graph.parents[i]) for i in t.graph.numbered)
    for state in states:
        if state.kind == "term":
            assert state.node is not None and state.parent is not None
            assert (state.node, state.parent) in {(j, p) for j in t.graph.numbered for p, _ in t.graph.parents[j]}
            said = state.text.split(" += " if " += " in state.text else " = ", 1)[1]
            assert said.count(" = ") == 1, state.text  # w̄j = (or +=) the rule = the contribution (a matrix)
    assert len(states[-1].adjoints) == len(t.graph.numbered)


def test_the_linear_layer_states_say_the_rules_and_the_matrices() -> None:
    states = reveal_states(sample_trace("linear_layer"))
    texts = [s.text for s in states]
    assert "w1 = W = [[0.5, -1, 2], [1.5, 0.25, -0.5]]   (shape 2×3)" in texts
    assert "w9 = sum(w8) = 24.65   (a scalar)" in texts
    assert "w̄9 = 1   (the seed: the output itself: ∂out/∂out = 1)" in texts
    assert "w̄7 = w̄8 ⊙ (2·w7) = [-8.8, 4.6]" in texts
    assert "w̄1 = w̄5·w2ᵀ = [[-8.8, -17.6, 8.8], [4.6, 9.2, -4.6]]" in texts
    assert states[-1].text == (
        "Done: ∂z/∂W = [[-8.8, -17.6, 8.8], [4.6, 9.2, -4.6]], ∂z/∂x = [2.5, 9.95, -19.9], "
        "∂z/∂b = [-8.8, 4.6], ∂z/∂y = [8.8, -4.6]. Press q to quit."
    )
    w1 = next(s for s in states if s.kind == "term" and s.node == 0)
    assert "y_ik = Σ_j a_ij·b_jk" in w1.explain and "2×6 = 12 numbers" in w1.explain and "= 6 numbers" not in w1.explain


def test_a_node_used_three_times_sums_its_contributions_term_by_term() -> None:
    t = trace("u = x*x\nL = sum(u) + sum(x)", x=[1.0, 2.0])
    states = reveal_states(t)
    x = [s for s in states if s.node == 0 and s.kind in ("term", "sum")]
    assert [s.kind for s in x] == ["term", "term", "term", "sum"]
    assert [s.running.get(0) for s in x[:3]] == ["[1, 2] + …", "[1, 2] + [1, 2] + …", "[1, 2] + [1, 2] + [1, 1] + …"]
    assert x[0].text == "w̄1 += w̄2 ⊙ w1 = [1, 2]"
    assert x[-1].text == "w̄1 = [1, 2] + [1, 2] + [1, 1] = [3, 5]"
    assert "3 paths" in x[-1].explain
    assert states[-1].text == "Done: ∂L/∂x = [3, 5]. Press q to quit."
    lesson = build(t, terms=True)  # the lesson's step: the products, then the adjoint, as every view prints it
    step = next(
        s for sec in lesson.sections if sec.kind == "reverse" for b in sec.blocks for s in b.steps if s.node == 0
    )
    assert [line.layer for line in step.lines] == ["symbols", "products", "value"] and len(step.terms) == 3


def test_an_output_that_other_nodes_use_starts_its_sum_with_its_seed() -> None:
    t = trace("y = W @ x\nL = sum(y*y)", W=[[1.0, 2.0], [3.0, 4.0]], x=[1.0, -1.0], outputs=["y", "L"])
    states = reveal_states(t)
    y = t.graph.outputs[0].node
    first = [s for s in states if s.pass_index == 0 and s.node == y and s.kind != "forward"]
    assert first[0].kind == "seed" and first[0].running[y] == "[1, 1] + …"
    assert first[-1].kind == "sum" and first[-1].text == "w̄3 = [1, 1] + [0, 0] + [0, 0] = [1, 1]"
    assert states[-1].text == "Done: with the seed on y, W̄ = [[1, -1], [1, -1]], x̄ = [4, 6]. Press q to quit."
    text = t.to_text(width=120)
    assert "w̄3 = y\u0304 + w̄4 ⊙ w3 + w̄4 ⊙ w3" in text  # the terminal's step says the seed too


# -- every screen --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("name", ARRAY_SAMPLES)
def test_every_screen_of_the_array_samples_renders_and_fits(name: str, size: tuple[int, int]) -> None:
    width, height = size
    t = sample_trace(name)
    states = reveal_states(t)
    for k, state in enumerate(states):
        text = plain(screen(t, states, k, explain=True, width=width, height=height), width)
        assert max(cell_len(line) for line in text.splitlines()) <= width, (name, k)
        assert len(text.splitlines()) <= height, (name, k)
        assert f"step {k + 1} of {len(states)}: {state.kind}" in text
        if state.node is not None:
            assert MARK in text, (name, k)


def test_a_wide_screen_draws_the_array_graph_beside_the_table() -> None:
    t = sample_trace("linear_layer")
    states = reveal_states(t)
    k = next(k for k, s in enumerate(states) if s.kind == "term" and s.node == 0)
    text = plain(screen(t, states, k, width=160, height=60), 160)
    assert text.count(ARROW) == edges(t) and "w̄1 = w̄5·w2ᵀ = [[-8.8, -17.6, 8.8], [4.6, 9.2, -4.6]]" in text
    assert f"{MARK} w1 = W" in text  # the current node's box


def test_a_big_array_is_shown_by_its_shape_in_boxes_and_cells() -> None:
    t = trace("sum(x*x)", x=[0.1234 * k for k in range(8)])
    drawing = draw(GraphDrawing(t), 80)
    assert drawing is not None and "= 8-vector" in drawing.plain and "w̄ = 8-vector" in drawing.plain
    states = reveal_states(t)
    text = plain(screen(t, states, len(states) - 2, width=80, height=24), 80)
    assert "8-vector" in text
    assert states[-2].text.endswith(
        "= [0, 0.2468, 0.4936, …, 1.234, 1.481, 1.728]"
    )  # the step itself: the numbers, big axes cut


def test_the_stepper_runs_in_a_real_terminal_on_an_array_program() -> None:
    pexpect = pytest.importorskip("pexpect")
    from test_step_tty import ENV, Screen, _default_sigint

    command = [sys.executable, "-m", "adtrace", "--sample", "linear_layer", "--step", "--explain"]
    child = pexpect.spawn(
        command[0], command[1:], dimensions=(40, 120), env=ENV, encoding="utf-8", codec_errors="replace",
        preexec_fn=_default_sigint,
    )  # fmt: skip
    try:
        shown = Screen(child)
        shown.wait(r"step 1 of 20: start")
        child.send("\r")
        shown.wait(r"step 2 of 20: forward w1(.|\n)*w1 = W = \[\[0\.5, -1, 2\], \[1\.5, 0\.25, -0\.5\]\]")
        child.send("s")
        shown.wait(r"step 11 of 20: seed w9")
        child.send("\x1b[F")  # End
        shown.wait(r"step 20 of 20: done(.|\n)*Done: ∂z/∂W = \[\[-8\.8, -17\.6, 8\.8\], \[4\.6, 9\.2, -4\.6\]\]")
        child.send("\x1b[D")  # ←: the last term, w̄1
        shown.wait(r"step 19 of 20: term w1(.|\n)*w̄1 = w̄5·w2ᵀ = \[\[-8\.8, -17\.6, 8\.8\], \[4\.6, 9\.2, -4\.6\]\]")
        shown.wait(r"y_ik = Σ_j a_ij·b_jk")
        child.send("q")
        shown.wait(r"left the lesson at step 19")
        child.expect(pexpect.EOF, timeout=10)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


def test_step_without_a_terminal_prints_the_array_trace() -> None:
    code, out, err = run("--sample", "linear_layer", "--step", "--width", "100")
    assert code == 0 and "--step needs a terminal" in err and "w̄1 = w̄5·w2ᵀ" in out


# -- the graph pictures --------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_the_terminal_drawing_has_a_box_per_node_and_an_arrow_per_edge(name: str) -> None:
    t = sample_trace(name)
    code, out, err = run("--sample", name, "--graph", "--width", "80")
    assert code == 0 and err == ""
    assert out.count(ARROW) == edges(t)
    for i in t.graph.numbered:
        assert out.count(f" {t.label(i)} = ") == 1
    assert max(cell_len(line) for line in out.splitlines()) <= 80
    whole = t.to_text(width=100)  # the trace draws it under the tape, as a scalar trace under its graph
    assert whole.count(ARROW) == edges(t)


@pytest.mark.parametrize("name", SAMPLES)
def test_the_svg_picture_labels_each_edge_with_its_vjp_rule(name: str, tmp_path: Path) -> None:
    t = sample_trace(name)
    path = tmp_path / "graph.svg"
    code, _, err = run("--sample", name, "--graph", "-o", str(path))
    assert code == 0 and f"wrote {path}" in err
    text = path.read_text(encoding="utf-8")
    assert text == graph_svg(t)
    root = ET.fromstring(text)  # well-formed, complete
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f".//{ns}g[@class='node']")) == len(t.graph.numbered)
    assert len(root.findall(f".//{ns}path[@marker-end]")) == edges(t)
    assert "http" not in text.replace("http://www.w3.org/2000/svg", "")
    if name == "linear_layer":
        assert ">w̄5·w2ᵀ</text>" in text and ">w1ᵀ·w̄5</text>" in text and ">= [1, 2, -1]</text>" in text
        assert "<title>w̄1 += w̄5·w2ᵀ (argument 1)</title>" in text
        assert ">= 2×3 matrix</text>" in text


@pytest.mark.parametrize("name", SAMPLES)
def test_markdown_has_a_mermaid_graph_with_the_rules_on_its_edges(name: str) -> None:
    t = sample_trace(name)
    code, out, _ = run("--sample", name, "--format", "markdown")
    assert code == 0
    assert f"```mermaid\n{mermaid(t)}\n```" in out
    body = mermaid(t)
    assert body.count("-->") == edges(t)
    assert "vector–Jacobian rule" in out  # the legend says what the arrows carry
    if name == "linear_layer":
        assert '-->|"w̄₅·w₂ᵀ"|' in body and '-->|"w₁ᵀ·w̄₅"|' in body and "= [1, 2, -1]" in body


# -- the web lesson and the exports -------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_the_web_lesson_carries_the_states_of_step(name: str) -> None:
    t = sample_trace(name)
    page = to_html(t)
    rows = test_web.states_of(page)
    reveals = reveal_states(t)
    assert len(rows) == len(reveals)
    assert [r[0] for r in rows] == [s.kind for s in reveals]
    assert page.rstrip().endswith("</html>") and "<svg" in page and "Reverse pass: vector–Jacobian products" in page


@pytest.mark.parametrize(
    ("suffix", "check"),
    [
        (".html", lambda text: text.rstrip().endswith("</html>") and "adl-data" in text),
        (
            ".svg",
            lambda text: ET.fromstring(text) is not None and "rich-terminal" in text and "vector–Jacobian" in text,
        ),
        (".md", lambda text: "```mermaid" in text and "\\begin{bmatrix}" in text),
        (".txt", lambda text: "w̄1 = w̄5·w2ᵀ" in text and ARROW in text),
        (".json", lambda text: json.loads(text)["arrays"] is True),
    ],
    ids=["html", "svg", "md", "txt", "json"],
)
def test_o_writes_every_export_of_an_array_program_completely(suffix: str, check: Any, tmp_path: Path) -> None:
    path = tmp_path / f"lesson{suffix}"
    code, _, err = run("--sample", "linear_layer", "-o", str(path), "--quiet")
    assert code == 0 and err == ""
    assert check(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", ["html", "terminal-html", "terminal-svg", "txt"])
def test_every_format_prints_an_array_program(fmt: str) -> None:
    code, out, err = run("--sample", "mlp", "--format", fmt)
    assert code == 0 and err == "" and len(out) > 1000


def test_the_api_saves_and_shows_the_array_level(tmp_path: Path) -> None:
    t = sample_trace("linear_layer")
    written = t.save(tmp_path / "lesson.html")
    assert written.read_text(encoding="utf-8") == t.to_html()
    assert t.save(tmp_path / "graph.svg", "graph-svg").read_text(encoding="utf-8") == graph_svg(t)
    assert "adl-data" in t._repr_html_()


def test_scalar_views_still_never_import_numpy() -> None:
    code = (
        "import sys, adtrace\n"
        "from adtrace.views.stepper import reveal_states, screen\n"
        "t = adtrace.trace('x1*x2 + sin(x1)', x1=2, x2=3)\n"
        "from adtrace.views.export import render\n"
        "t.to_html(); t.to_markdown(); render(t, 'graph-svg'); render(t, 'terminal-svg')\n"
        "states = reveal_states(t); screen(t, states, 5)\n"
        "print('numpy' in sys.modules)"
    )
    run_ = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run_.stdout.strip() == "False", run_.stderr


# -- the web lesson in Chromium ---------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_the_array_web_lesson_loads_in_chromium_and_steps_to_the_end(browser: Any, tmp_path: Path, name: str) -> None:
    t = sample_trace(name)
    reveals = reveal_states(t)
    path = tmp_path / f"{name}.html"
    code, _, _ = run("--sample", name, "-o", str(path), "--quiet")
    assert code == 0
    page = Page(browser, path)
    assert page.state()["step"] == "1" and page.state()["kind"] == "start"
    k = next(k for k, s in enumerate(reveals) if s.kind == "term" and s.node == 0)  # w̄1: the weights' adjoint
    page.press("ArrowRight", k)
    s = page.state()
    want = reveals[k]
    assert s["step"] == str(k + 1) and s["kind"] == "term" and s["formula"] == want.text
    assert s["current"] == ["0"] and s["parent"] == str(want.parent) and s["edges"] == [f"0-{want.parent}"]
    assert s["adjoint"] == "w̄ = 2×3 matrix" if name == "linear_layer" else s["adjoint"] == "w̄ = 3×2 matrix"
    assert "matrix product rule" in page.page.text_content(".adl-partial")
    page.press("End")
    s = page.state()
    assert s["step"] == str(len(reveals)) and s["kind"] == "done"
    assert s["formula"].startswith("Done: ∂") and "Press q" not in s["formula"]
    values = page.page.eval_on_selector_all(
        ".adl-stepper .node .value", "els => els.map(e => getComputedStyle(e).visibility)"
    )
    assert values and set(values) == {"visible"}
    adjoints = page.page.eval_on_selector_all(".adl-stepper .node .adjoint", "els => els.map(e => e.textContent)")
    assert len(adjoints) == len(t.graph.numbered) and all(a.startswith("w̄ = ") for a in adjoints)
    page.press("Home")
    assert page.state()["step"] == "1"
    assert page.errors == [] and page.requests == [page.url]
    page.page.close()


def test_forward_mode_steps_through_each_pass_from_the_inputs_seeds() -> None:
    t = trace("sum(W @ x)", W=[[1.0, 2.0], [3.0, 4.0]], x=[1.0, -1.0], mode="both")
    states = reveal_states(t)
    tangents = [s for s in states if s.kind == "tangent"]
    assert len(tangents) == 2 * len(t.graph.numbered)  # one pass per input, every node
    assert tangents[0].text == "w\u03071 = [[1, 1], [1, 1]]   (the seed of W)" and tangents[0].tangents
    assert tangents[-1].text.endswith("= 10")
    for k in range(len(states)):
        text = plain(screen(t, states, k, width=80, height=24), 80)
        assert len(text.splitlines()) <= 24


def test_the_quiz_refuses_the_array_level_clearly_and_works_on_the_elements() -> None:
    code, _, err = run("sum(x*x)", "x=[1,2]", "--quiz")
    assert code == 2 and "add --elements" in err and "internal error" not in err
    code, out, err = run("sum(x*x)", "x=[1,2]", "--worksheet", "--elements")
    assert code == 0 and "# Worksheet" in out


@pytest.mark.parametrize("source", ["[1,2]", "[e]"])
def test_a_constant_array_output_is_a_clear_error(source: str) -> None:
    code, _, err = run(source)
    assert code == 2 and "is the constant" in err and "internal error" not in err
