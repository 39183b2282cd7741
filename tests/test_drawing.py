"""The pictures of the graph: terminal drawing (with a stepper's highlight), standalone SVG, Mermaid."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from pictures import big_traces, sample_trace
from rich.cells import cell_len
from rich.console import Console

from adtrace import Trace, trace
from adtrace.cli import main
from adtrace.expr import number
from adtrace.lesson.math import bar, dot
from adtrace.samples import all_samples, get
from adtrace.views.drawing import ARROW, HOT, MARK, MAX_NODES, GraphDrawing, Highlight, draw
from adtrace.views.graph_svg import graph_svg
from adtrace.views.layout import layered
from adtrace.views.mermaid import mermaid, pretty

JS = Path(__file__).parent / "js"
SEED = ["x1*x2 + sin(x1)", "x1=2", "x2=3"]


def plain(renderable: object, width: int) -> str:
    console = Console(width=width, no_color=True, color_system=None, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(renderable)
    text = console.export_text()
    console.file.close()
    return text


def edges(t: Trace) -> int:
    graph = t.graph
    return sum(1 for i in graph.numbered for a in graph.nodes[i].args if not graph.nodes[a].is_const)


def every_node_with_its_numbers(t: Trace, text: str) -> None:
    for i in t.graph.numbered:
        assert text.count(f" {t.label(i)} = ") == 1, t.label(i)  # each box once, shared or not
    for i in t.graph.numbered:
        assert f"= {number(t.values[i], 4)}" in text
        assert f"{bar('w')} = {number(t.reverse[0].adjoints[i], 4)}" in text


# -- terminal ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["seed", "reuse", "tiny_network"])
def test_drawings_of_crossing_free_samples_have_no_crossing(name: str) -> None:
    t = sample_trace(name)
    assert layered(t.graph).crossings() == 0
    drawing = draw(GraphDrawing(t), 100)
    assert drawing is not None
    assert "┼" not in drawing.plain  # no line runs through another one
    assert drawing.plain.count(ARROW) == edges(t)


@pytest.mark.parametrize("name", [s.name for s in all_samples()])
def test_every_sample_draws_every_node_with_its_value_and_adjoint(name: str) -> None:
    t = sample_trace(name)
    nodes = len(t.graph.numbered)
    drawing = draw(GraphDrawing(t), 80 if nodes <= 20 else 120)  # program samples are class-sized graphs
    if nodes > MAX_NODES:
        assert drawing is None  # the trace says so and shows the table
        return
    if get(name).arrays and len(t.graph.inputs) > 10 and drawing is None:
        return  # an array's element level: one input box per element, too many for one row
    assert drawing is not None
    every_node_with_its_numbers(t, drawing.plain)
    assert drawing.plain.count(ARROW) == edges(t)


@pytest.mark.parametrize("name", ["micrograd", "net221", "net231"])
def test_a_class_sized_graph_fits_120_columns(name: str) -> None:
    t = big_traces()[name]
    drawing = draw(GraphDrawing(t), 120)
    assert drawing is not None, name
    lines = drawing.plain.splitlines()
    assert max(cell_len(line) for line in lines) <= 120
    every_node_with_its_numbers(t, drawing.plain)
    assert drawing.plain.count(ARROW) == edges(t)
    if name == "net231":
        assert len(t.graph.numbered) == 40


def test_too_wide_says_so_in_one_line_then_the_table() -> None:
    t = trace("alpha_beta_gamma_delta*epsilon_zeta_eta_theta + 1", alpha_beta_gamma_delta=1, epsilon_zeta_eta_theta=2)
    assert draw(GraphDrawing(t), 60) is None
    text = plain(GraphDrawing(t), 60)
    assert text.splitlines()[0].rstrip() == "(drawing the graph needs 63 columns, 3 more: see the table)"
    assert "too big to draw" in text  # the table's title
    alone = plain(GraphDrawing(t, fallback=False), 60)
    assert len(alone.splitlines()) == 1 and "see the table" in alone


def test_forward_mode_shows_tangents() -> None:
    t = trace("x1*x2 + sin(x1)", {"x1": 2, "x2": 3}, mode="forward")
    drawing = draw(GraphDrawing(t), 80)
    assert drawing is not None
    assert f"{dot('w')} = " in drawing.plain and "w̄" not in drawing.plain
    assert f"{dot('w')} = {number(t.forward[0].tangents[t.graph.outputs[0].node], 4)}" in drawing.plain


def styled_cells(text: object, style: str) -> set[int]:
    return {k for span in text.spans if span.style == style for k in range(span.start, span.end)}  # type: ignore[attr-defined]


def test_highlight_marks_the_node_the_parent_and_the_edge_between_them() -> None:
    t = sample_trace("seed")
    w1, w3 = t.graph.inputs["x1"], t.graph.numbered[2]
    plain_drawing = draw(GraphDrawing(t), 80)
    hot = draw(GraphDrawing(t, highlight=Highlight.term(w1, w3, running="3 + …")), 80)
    assert plain_drawing is not None and hot is not None
    assert hot.plain.count(MARK) == 1 and f"{MARK} w1 = x1" in hot.plain
    assert "w̄ = 3 + …" in hot.plain and "w̄ = 2.584" not in hot.plain  # the running sum replaces the adjoint
    cells = styled_cells(hot, HOT)
    lines = hot.plain.split("\n")
    offsets = [sum(len(line) + 1 for line in lines[:k]) for k in range(len(lines))]
    box_rows = {k for k, line in enumerate(lines) if "w3 = w1·w2" in line or "w1 = x1" in line}
    assert box_rows and all(any(offsets[k] <= c < offsets[k] + len(lines[k]) for c in cells) for k in box_rows)
    edge_chars = {hot.plain[c] for c in cells}
    assert ARROW in edge_chars and "│" in edge_chars  # the line itself, down to its arrowhead
    # Only one of the two arrows into w3 is the edge from w1.
    arrows = [k for k, ch in enumerate(hot.plain) if ch == ARROW]
    assert sum(1 for k in arrows if k in cells) == 1
    assert not styled_cells(plain_drawing, HOT)
    # The integer form of today's callers still works: the node alone.
    just = draw(GraphDrawing(t, highlight=w1), 80)
    assert just is not None and f"{MARK} w1 = x1" in just.plain and "w̄ = 2.584" in just.plain


def test_a_running_sum_too_long_for_its_box_is_cut() -> None:
    t = sample_trace("seed")
    w5 = t.graph.outputs[0].node
    drawing = draw(GraphDrawing(t, highlight=Highlight(w5, running="1 + 2 + 3 + 4 + 5 + 6 + 7")), 80)
    assert drawing is not None and "…" in drawing.plain
    assert max(cell_len(line) for line in drawing.plain.splitlines()) <= 80


def test_partly_revealed_boxes_keep_their_place() -> None:
    t = sample_trace("reuse")
    full = draw(GraphDrawing(t), 80)
    empty = draw(GraphDrawing(t, values=(), adjoints=()), 80)
    assert full is not None and empty is not None
    assert [len(line) > 0 for line in full.plain.splitlines()] == [len(line) > 0 for line in empty.plain.splitlines()]
    assert "= 1.2" not in empty.plain and "w̄" not in empty.plain
    assert full.plain.replace(" ", "").count("┌") == empty.plain.replace(" ", "").count("┌")


def test_redraws_reuse_the_cells() -> None:
    t = big_traces()["net231"]
    first = draw(GraphDrawing(t), 120)
    again = draw(GraphDrawing(t, highlight=t.graph.numbered[5]), 120)
    assert first is not None and again is not None
    assert len(first.plain) == len(again.plain)


def test_cli_graph_prints_the_picture(runner: CliRunner) -> None:
    result = runner.invoke(main, [*SEED, "--graph", "--width", "80"], env={"NO_COLOR": "1"})
    assert result.exit_code == 0 and "w5 = w3 + w4" in result.stdout and ARROW in result.stdout
    assert "Forward pass" not in result.stdout


# -- SVG -----------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def no_external_references(svg: str) -> None:
    root = ET.fromstring(svg)
    for element in root.iter():
        assert element.tag.split("}")[-1] not in ("script", "image", "foreignObject", "style", "a", "use")
        for key, value in element.attrib.items():
            assert "href" not in key, (element.tag, key)
            assert "http" not in value and "//" not in value, (element.tag, key, value)
            if "url(" in value:
                assert re.fullmatch(r"url\(#[\w-]+\)", value), value
    assert "@import" not in svg and "@font-face" not in svg


@pytest.mark.parametrize("name", ["seed", "reuse", "tiny_network", "logistic"])
def test_svg_is_standalone_and_shows_every_node(name: str) -> None:
    t = sample_trace(name)
    svg = graph_svg(t)
    no_external_references(svg)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    texts = [el.text or "" for el in root.iter(f"{SVG}text")]
    for i in t.graph.numbered:
        assert any(text.startswith(f"{t.label(i)} = ") for text in texts)
        assert f"= {number(t.values[i], 4)}" in texts
        assert f"w̄ = {number(t.reverse[0].adjoints[i], 4)}" in texts
    paths = [p for p in root.iter(f"{SVG}path") if p.get("marker-end") == "url(#arrow)"]
    assert len(paths) == edges(t)
    families = {el.get("font-family") for el in root.iter() if el.get("font-family")}
    assert families and all(f.rstrip().endswith(("monospace", "sans-serif")) for f in families if f)


def test_svg_of_forward_mode_and_dark_theme() -> None:
    t = trace("x1*x2 + sin(x1)", {"x1": 2, "x2": 3}, mode="forward")
    svg = graph_svg(t, theme="dark")
    no_external_references(svg)
    assert f"{dot('w')} = " in svg and "#1e1f22" in svg


def test_cli_graph_svg_writes_the_picture_and_plain_svg_stays_the_terminal_look(
    runner: CliRunner, tmp_path: Path
) -> None:
    picture, terminal = tmp_path / "graph.svg", tmp_path / "trace.svg"
    result = runner.invoke(main, [*SEED, "--graph", "-o", str(picture), "-q"])
    assert result.exit_code == 0, result.output
    svg = picture.read_text(encoding="utf-8")
    no_external_references(svg)
    assert 'id="node-5"' in svg and "w5 = w3 + w4" in svg
    assert not list(tmp_path.glob(".*.tmp"))  # written through the atomic save
    result = runner.invoke(main, [*SEED, "-o", str(terminal), "-q"])
    assert result.exit_code == 0
    assert 'class="rich-terminal"' in terminal.read_text(encoding="utf-8")


# -- Mermaid -------------------------------------------------------------------


def body(diagram: str) -> list[str]:
    lines = diagram.split("\n")
    assert lines[0] == "---"
    return lines[lines.index("---", 1) + 1 :]


@pytest.mark.parametrize("name", ["seed", "reuse", "tiny_network", "logistic"])
def test_mermaid_is_top_down_in_layout_order_with_numbers_on_nodes_and_partials_on_edges(name: str) -> None:
    t = sample_trace(name)
    lines = body(mermaid(t))
    assert lines[0] == "flowchart TD"
    nodes = [line for line in lines[1:] if line.endswith('"]')]
    arrows = [line for line in lines[1:] if " --> " in line or "-->|" in line]
    assert len(nodes) == len(t.graph.numbered) and len(arrows) == edges(t)
    lay = layered(t.graph)
    order = [f"n{t.graph.number[it.node]}" for row in lay.rows for it in row if lay.is_box(it)]
    assert [line.split("[")[0].strip() for line in nodes] == order
    for i in t.graph.numbered:
        label = next(line for line in nodes if line.startswith(f"  n{t.graph.number[i]}["))
        assert f"= {number(t.values[i], 4)}" in label
        assert f"{pretty(bar(t.label(i)))} = {number(t.reverse[0].adjoints[i], 4)}" in label
    assert all('-->|"∂' in line for line in arrows)


def test_mermaid_marks_the_output() -> None:
    diagram = mermaid(sample_trace("seed"))
    assert '<br>output z"]' in diagram


def test_mermaid_parses_under_mermaid_itself(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the mermaid check needs it (CI installs it)")
    if not (JS / "node_modules").is_dir():
        if os.environ.get("CI"):
            pytest.fail("tests/js/node_modules is missing: .ci/run should have run npm ci there")
        pytest.skip("run `npm ci` in tests/js to enable the mermaid check")
    cases = {name: sample_trace(name) for name in ("seed", "reuse", "tiny_network", "logistic")}
    cases.update(big_traces())
    cases["forward"] = trace("x1*x2 + sin(x1)", {"x1": 2, "x2": 3}, mode="forward")
    cases["symbolic"] = trace("x1*x2 + sin(x1)")
    for name, t in cases.items():
        (tmp_path / f"{name}.md").write_text(f"```mermaid\n{mermaid(t)}\n```\n", encoding="utf-8")
    run = subprocess.run(
        [node, str(JS / "check_exports.mjs"), str(tmp_path)], capture_output=True, text=True, timeout=300, check=False
    )
    report = json.loads(run.stdout)
    assert run.returncode == 0, [f["errors"][:2] for f in report["files"].values() if f["errors"]]
    assert all(report["files"][f"{name}.md"]["mermaid"] == 1 for name in cases)
