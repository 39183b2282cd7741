"""Programs in the views: the tape with each run of a loop iteration or a call under a line saying where
it was made, each node's source line, and the decisions the run made (golden: one loop, one branch)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import check_golden

from adtrace import trace
from adtrace.cli import main
from adtrace.lesson.build import build


@pytest.mark.parametrize(("sample", "golden"), [("taylor_sine", "loop_100.txt"), ("piecewise", "branch_100.txt")])
def test_a_loop_and_a_branch_trace(runner: CliRunner, sample: str, golden: str) -> None:
    result = runner.invoke(main, ["--sample", sample, "--width", "100"])
    assert result.exit_code == 0, result.output
    check_golden(golden, result.stdout)


def test_the_tape_groups_iterations_and_calls() -> None:
    program = "def f(a):\n    return a*a\nz = x\nfor i in range(2):\n    z = f(z) + i\n"
    lesson = build(trace(program, x=1.5))
    decomposition = lesson.sections[0]
    said = [n.words[0] for b in decomposition.blocks for s in b.steps if s.kind == "note" for n in s.notes]
    assert said == [
        "— in f#1, for loop (line 4) iteration 1 —",
        "— for loop (line 4) iteration 1 —",
        "— in f#2, for loop (line 4) iteration 2 —",
        "— for loop (line 4) iteration 2 —",
    ]
    notes = [n.words[0] for b in decomposition.blocks if b.kind == "notes" for n in b.notes]
    assert any("the tape" in str(n) for n in notes)


def test_each_decision_is_a_step_with_its_values() -> None:
    lesson = build(trace("if x > 0:\n    y = x*x\nelse:\n    y = -x\n", x=1))
    (section,) = [s for s in lesson.sections if s.kind == "branches"]
    steps = [s for b in section.blocks for s in b.steps]
    assert [s.kind for s in steps] == ["branch"]
    assert steps[0].notes[0].words[0] == "line 1: x > 0 was true at 1, 0, so the run took its block."
    intro = section.blocks[0].notes[0].words[0]
    assert "A comparison has no derivative" in str(intro)


def test_a_long_loop_is_cut_between_whole_iterations() -> None:
    from adtrace.views.terminal import to_text

    text = to_text(trace("s = x\nfor i in range(40):\n    s = s*x + 1\n", x=0.5), max_rows=20)
    tape = text[text.index("1. Decomposition") : text.index("2. The graph")]
    assert "⋮ 34 loop iterations and calls skipped, whole" in tape
    assert "iteration 3 —" in tape and "iteration 38 —" in tape and "iteration 4 —" not in tape
    assert "w7 (s@4) = w6 + 1" in tape and "w8 " not in tape and "w76 = w75·w1" in tape
