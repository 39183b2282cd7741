"""The terminal view printed from the Lesson: wrapping at 80 columns, no dim teaching text, colour
options, and the stepper on every kind of trace (symbolic, forward mode, several outputs, seeds)."""

from __future__ import annotations

import io
import itertools
import os
import re

from click.testing import CliRunner
from rich.cells import cell_len
from rich.console import Console

from adtrace import trace
from adtrace.cli import main
from adtrace.lesson.math import bar
from adtrace.views.stepper import KeyReader, jump, reveal_states, screen
from adtrace.views.terminal import print_trace, to_text


def test_wrapped_lines_at_80_columns_hang_under_their_start() -> None:
    text = to_text(trace("x1*x2 + sin(x1)", x1=2, x2=3), width=80)
    lines = text.splitlines()
    assert max(cell_len(line) for line in lines) == 80
    for before, line in itertools.pairwise(lines):
        if before.startswith("│ The parents") or before.startswith("│ Reverse mode: the seed"):
            assert line.startswith("│   ")  # a wrapped sentence continues indented
    header = to_text(trace(" + ".join(f"x{k}" for k in range(40)), {f"x{k}": k for k in range(40)}), width=80)
    rows = header.splitlines()
    at = next(k for k, line in enumerate(rows) if line.startswith("┃ inputs"))
    assert rows[at].startswith("┃ inputs      x0 = 0") and rows[at + 1].startswith("┃             x")


def test_teaching_text_is_never_dim() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, force_terminal=True, color_system="truecolor")
    print_trace(console, trace("x1*x2 + sin(x1)", x1=2, x2=3), explain=True)
    out = buffer.getvalue()
    assert "\x1b[3m" in out  # asides are italic …
    assert not re.search(r"\x1b\[(?:[0-9;]*;)?2(?:;[0-9;]*)?m", out)  # … and nothing is dim (SGR 2)


def test_color_options(runner: CliRunner) -> None:
    coloured = runner.invoke(main, ["x*x", "x=3", "--color"])
    plain = runner.invoke(main, ["x*x", "x=3", "--no-color"], env={"FORCE_COLOR": "1"})
    assert coloured.exit_code == plain.exit_code == 0
    assert "\x1b[" in coloured.output and "\x1b[" not in plain.output


def test_the_seed_example_at_80_columns_shows_w1s_step() -> None:
    text = to_text(trace("x1*x2 + sin(x1)", x1=2, x2=3), width=80)
    assert "│ w̄1 = w̄3·∂w3/∂w1 + w̄4·∂w4/∂w1" in text and "│    = 1·3 + 1·cos(2)" in text


# -- the stepper on every trace --------------------------------------------------
def kinds(states: list) -> list[str]:  # type: ignore[type-arg]
    return [s.kind for s in states]


def test_step_through_a_symbolic_trace_reaches_the_reverse_pass() -> None:
    t = trace("x1*x2 + sin(x1)")
    states = reveal_states(t)
    assert kinds(states).count("seed") == 1 and kinds(states).count("sum") == len(t.graph.numbered) - 1
    texts = " ".join(s.text for s in states)
    assert "nan" not in texts and "Done: ." not in texts
    k = next(i for i, s in enumerate(states) if s.kind == "sum" and s.node == t.graph.numbered[0])
    shown = " ".join(_plain(screen(t, states, k, width=80, height=30), 80).replace("│", " ").split())
    assert f"{bar('w1')} = " in shown and "= w2 + cos(w1) = x2 + cos(x1)" in shown


def test_step_in_forward_mode_steps_through_tangents() -> None:
    t = trace("x1*x2 + sin(x1)", x1=2, x2=3, mode="forward")
    states = reveal_states(t)
    assert kinds(states).count("tangent") == 2 * len(t.graph.numbered)  # one pass per input
    last_tangent = [s for s in states if s.kind == "tangent"][-1]
    shown = _plain(screen(t, states, states.index(last_tangent), width=100, height=40), 100)
    assert "tangent" in shown


def test_step_with_several_outputs_and_a_custom_seed() -> None:
    two = trace("u = x*y; f = u + x; g = u*u", x=2, y=3, outputs=["f", "g"])
    assert kinds(reveal_states(two)).count("seed") == 2  # one unit-seed pass per output
    seeded = trace("x*x", x=3, seed=2)
    states = reveal_states(seeded)
    assert any("= 2" in s.text for s in states if s.kind == "seed")
    both = trace("x*y", x=2, y=3, mode="both")
    assert {"term", "tangent"} <= set(kinds(reveal_states(both)))


def test_jump_keys() -> None:
    t = trace("x1*x2 + sin(x1)", x1=2, x2=3)
    states = reveal_states(t)
    seed = kinds(states).index("seed")
    assert jump(states, 0, "home", t) == 0 and jump(states, 3, "end", t) == len(states) - 1
    assert jump(states, 0, "s", t) == seed and jump(states, 0, "r", t) == seed + 1
    w2 = jump(states, 0, "", t, typed="2")
    assert states[w2].node == t.graph.numbered[1] and states[w2].kind != "forward"


def test_a_key_typed_right_after_an_arrow_is_kept() -> None:
    read, write = os.pipe()
    try:
        os.write(write, b"\x1b[Cq\x1b[Dx\x1b[H")
        reader = KeyReader(read)
        assert [reader.read(0.5) for _ in range(5)] == ["right", "q", "left", "x", "home"]
    finally:
        os.close(read)
        os.close(write)


def test_a_terminal_too_small_for_the_graph_says_so() -> None:
    t = trace("x1*x2 + sin(x1)", x1=2, x2=3)
    states = reveal_states(t)
    shown = _plain(screen(t, states, 3, width=80, height=24), 80)
    assert "the graph is not drawn" in shown


def _plain(renderable: object, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, no_color=True)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def test_colour_written_as_text_is_what_rich_writes_from_the_segments() -> None:
    """A frame hands rich its ANSI text made (views/frame.py); recording for an export, rich gets the
    segments and renders them itself: both must write the same bytes (wrapped rows, asides, explain,
    notes, every colour system)."""
    t = trace("x1*x2 + sin(x1)/x2 + x1**2", x1=2, x2=3)
    for system, width in itertools.product(("standard", "256", "truecolor"), (50, 100)):
        outputs = []
        for record in (False, True):
            console = Console(file=io.StringIO(), width=width, force_terminal=True, color_system=system, record=record)
            print_trace(console, t, explain=True)
            outputs.append(console.file.getvalue())  # type: ignore[attr-defined]
        assert "\x1b[" in outputs[0]
        assert outputs[0] == outputs[1], (system, width)
