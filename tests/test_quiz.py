"""`--quiz` in a real pseudo-terminal (pexpect), and `--worksheet`, `--random` and the practice options through
the CLI: a quiz answered right scores 100%, each listed slip typed on purpose gets its diagnosis, hints and
giving up work, Ctrl-D ends with the score, exercises are reproducible, a worksheet's key is the trace's."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_step_tty import Screen, lesson

from adtrace import trace
from adtrace.cli import main
from adtrace.exercises import CHECKS, LEVELS, exercise
from adtrace.expr import number
from adtrace.lesson.math import dot

pytest.importorskip("pexpect")

SEED = [sys.executable, "-m", "adtrace", "x1*x2 + sin(x1)", "x1=2", "x2=3", "--quiz"]
RIGHT = ["1", "1", "1", "1", "2", "w2 + cos(w1)"]


def loose(pattern: str) -> str:
    """A pattern that also matches where the terminal wrapped the line."""
    return pattern.replace(" ", r"\s+")


def answer(child: object, screen: Screen, prompt: str, text: str) -> None:
    screen.wait(re.escape(prompt) + " = ")
    child.sendline(text)  # type: ignore[attr-defined]


def test_a_quiz_answered_right_scores_100_percent() -> None:
    with lesson(SEED) as (child, screen):
        for prompt, text in zip(["z̄", "w̄5", "w̄4", "w̄3", "w̄2", "w̄1"], RIGHT, strict=True):
            answer(child, screen, prompt, text)
            screen.wait("right")
        screen.wait(r"Score: 6 of 6 right at the first try \(100%\)")
        screen.wait("Every step right at the first try")
    assert child.exitstatus == 0


def test_each_slip_typed_on_purpose_is_named() -> None:
    with lesson(SEED) as (child, screen):
        answer(child, screen, "z̄", "0")
        screen.wait(r"a seed of 0 makes every adjoint 0: the seed is ∂z/∂z = 1")
        answer(child, screen, "z̄", "1")
        for prompt in ("w̄5", "w̄4"):
            answer(child, screen, prompt, "1")
        answer(child, screen, "w̄3", "6")
        screen.wait(r"that is w3's value, not its adjoint")
        answer(child, screen, "w̄3", "wbar5")
        screen.wait("right")
        answer(child, screen, "w̄2", "2")
        answer(child, screen, "w̄1", "3")
        screen.wait(loose(r"you have one of w1's two paths: w1 feeds w3 and w4, and the adjoint sums both"))
        screen.wait(loose(r"did you write = where \+= belongs\?"))
        answer(child, screen, "w̄1", "3.416")
        screen.wait(r"check the sign of the term through w4")
        answer(child, screen, "w̄1", "3.909")
        screen.wait(loose(r"you used w4 = sin\(w1\) itself where its derivative ∂w4/∂w1 belongs"))
        screen.wait(r"the answer: w̄1 = w2 \+ cos\(w1\) = 2.584")
        screen.wait(r"Score: 3 of 6 right at the first try \(50%\); 2 right after another try, 1 shown\.")
        screen.wait(r"Steps that went wrong:")
        screen.wait(loose(r"w̄1: 3 wrong tries, answer shown — you have one of w1's two paths"))
    assert child.exitstatus == 0


def test_the_partial_alone_and_the_difference_rule() -> None:
    with lesson([sys.executable, "-m", "adtrace", "sin(x)*y - y", "x=1", "y=3", "--quiz"]) as (child, screen):
        for prompt in ("z̄", "w̄5", "w̄4", "w̄3"):
            answer(child, screen, prompt, "give up")
        answer(child, screen, "w̄2", "1.841")  # w̄2 = w̄4·w3 + w̄5·(-1) = 0.8415 - 1, with the second sign flipped
        screen.wait(loose(r"check the sign of the term through w5: ∂w5/∂w2 = -1 — difference rule: ∂\(a - b\)/∂b = -1"))
        answer(child, screen, "w̄2", "give up")
        answer(child, screen, "w̄1", "cos(w1)")
        screen.wait(r"that is ∂w3/∂w1 alone: multiply by w̄3")
        child.sendeof()
        screen.wait("end of input")
    assert child.exitstatus == 0


def test_hints_come_one_by_one_and_giving_up_shows_the_answer() -> None:
    with lesson(SEED) as (child, screen):
        for prompt, text in zip(["z̄", "w̄5", "w̄4", "w̄3", "w̄2"], RIGHT, strict=False):
            answer(child, screen, prompt, text)
        answer(child, screen, "w̄1", "?")
        screen.wait(r"hint: w1 feeds w3 and w4: one term per path")
        answer(child, screen, "w̄1", "hint")
        screen.wait(r"hint: the chain rule: w̄1 = w̄3·∂w3/∂w1 \+ w̄4·∂w4/∂w1")
        answer(child, screen, "w̄1", "?")
        screen.wait(r"hint: the local partials filled in: w̄1 = w̄3·w2 \+ w̄4·cos\(w1\)")
        answer(child, screen, "w̄1", "?")
        screen.wait(r"hint: with numbers: w̄1 = 1·3 \+ 1·cos\(2\)")
        answer(child, screen, "w̄1", "?")
        screen.wait(r"no more hints")
        answer(child, screen, "w̄1", "give up")
        screen.wait(r"the answer: w̄1 = w2 \+ cos\(w1\) = 2.584")
        screen.wait(r"Score: 5 of 6 right at the first try \(83%\); 1 shown")
    assert child.exitstatus == 0


def test_bad_input_gets_a_line_and_the_question_again_and_ctrl_d_ends_with_the_score() -> None:
    with lesson(SEED) as (child, screen):
        answer(child, screen, "z̄", "")
        screen.wait(r"type a number or a formula")
        answer(child, screen, "z̄", "w1 +")
        screen.wait(r"can't read that: ")
        answer(child, screen, "z̄", "w9")
        screen.wait(r"'w9' is not a name you can use here")
        answer(child, screen, "z̄", "zbar")
        screen.wait(r"z̄ is what this step asks for")
        answer(child, screen, "z̄", "1")
        screen.wait("right")
        screen.wait("w̄5 = ")
        child.sendeof()
        screen.wait(r"end of input: the quiz stops here")
        screen.wait(r"Score: 1 of 1 right at the first try \(100%\); 5 not asked")
    assert child.exitstatus == 0
    assert "Traceback" not in screen.raw


def test_forward_mode_asks_tangents(runner: CliRunner) -> None:
    answers = "\n".join(["1", "0", "3", "cos(w1)", "wdot3 + wdot4", "0", "1", "2", "0", "2"]) + "\n"
    result = runner.invoke(main, ["x1*x2 + sin(x1)", "x1=2", "x2=3", "--quiz", "--mode", "forward"], input=answers)
    assert result.exit_code == 0, result.output
    assert f"{dot('w3')} = " in result.output and "Score: 10 of 10 right at the first try (100%)" in result.output


def test_forward_values_and_partials_can_be_asked(runner: CliRunner) -> None:
    args = ["x1*x2", "x1=2", "x2=3", "--quiz", "--quiz-forward", "--quiz-partials"]
    answers = "\n".join(["2", "3", "w1*w2", "1", "1", "w1", "2", "w2", "3"]) + "\n"
    result = runner.invoke(main, args, input=answers)
    assert result.exit_code == 0, result.output
    assert "∂w3/∂w2 = " in result.output
    assert "Score: 9 of 9 right at the first try (100%)" in result.output


def test_a_symbolic_trace_is_quizzed_in_formulas(runner: CliRunner) -> None:
    answers = "\n".join(["1", "1", "wbar5", "1", "w1", "x2 + cos(x1)"]) + "\n"
    result = runner.invoke(main, ["x1*x2 + sin(x1)", "--quiz"], input=answers)
    assert result.exit_code == 0, result.output
    assert "Score: 6 of 6 right at the first try (100%)" in result.output


def test_quiz_takes_no_value_and_says_how_to_ask_forward_values(runner: CliRunner) -> None:
    result = runner.invoke(main, ["x1*x2 + sin(x1)", "x1=2", "x2=3", "--quiz", "forward"])
    assert result.exit_code == 2
    assert "--quiz takes no value" in result.output and "--quiz-forward" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x*y", "x=1", "y=2", "--level", "2"], "go with --quiz or --worksheet"),
        (["x*y", "x=1", "y=2", "--quiz", "--level", "2"], "add --random"),
        (["x*y", "x=1", "y=2", "--quiz", "--worksheet"], "pick one"),
        (["x*y", "x=1", "y=2", "--quiz", "-o", "a.md"], "asks in the terminal"),
        (["x*y", "x=1", "--quiz", "--random"], "leave out the expression"),
        (["x*y", "x=1", "y=2", "--worksheet", "-o", "a.svg"], "as .md or .html"),
        (["x*y", "x=1", "y=2", "--quiz", "--step"], "can't be combined"),
    ],
)
def test_practice_option_errors(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(main, args)
    assert result.exit_code == 2 and message in result.output, result.output


def test_a_random_exercise_is_the_same_for_the_same_number_and_level(runner: CliRunner) -> None:
    for level in LEVELS:
        assert exercise(level, 7) == exercise(level, 7)
        assert {exercise(level, k).source for k in range(1, 6)} != {exercise(level, 7).source}
    first = runner.invoke(main, ["--quiz", "--random", "--level", "3", "--exercise", "12"], input="")
    second = runner.invoke(main, ["--quiz", "--random", "--level", "3", "--exercise", "12"], input="")
    assert first.exit_code == 0, first.output
    assert first.output == second.output and exercise(3, 12).source.split()[0] in first.output
    assert "Exercise 12, level 3" in first.output


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_every_level_teaches_what_it_says(level: int) -> None:
    kinds = set()
    for k in range(1, 21):
        made = exercise(level, k)
        found = trace(made.source, made.values)
        assert CHECKS[level](found)
        if level == 4:  # a program: a loop, a branch, or statements
            kinds.add("loop" if "for " in made.source else "branch" if found.graph.branches else "statements")
            assert "\n" in made.source or ";" in made.source
    assert level != 4 or kinds == {"loop", "branch", "statements"}


def test_a_worksheets_answer_key_matches_the_trace(runner: CliRunner, tmp_path: Path) -> None:
    sheet, key = tmp_path / "sheet.md", tmp_path / "key.md"
    args = ["--worksheet", "--random", "--level", "2", "--exercise", "5", "--count", "3", "-o", str(sheet)]
    result = runner.invoke(main, [*args, "--answers", str(key)])
    assert result.exit_code == 0, result.output
    text, answers = sheet.read_text("utf-8"), key.read_text("utf-8")
    assert [f"## Exercise {k}, level 2" for k in (5, 6, 7)] == re.findall(r"^## Exercise \d+, level 2", text, re.M)
    assert "Answer key" not in text and "| `w̄1` |  |" in text
    for k, block in zip((5, 6, 7), re.split(r"^## ", answers, flags=re.M)[1:], strict=True):
        made = exercise(2, k)
        t = trace(made.source, made.values)
        adjoints = t.reverse[0].adjoints
        rows = dict(re.findall(r"^\| `(w̄\d+)` \| (\S+) \|", block, re.M))
        assert rows == {f"w̄{n}": number(adjoints[i], 4) for n, i in enumerate(t.graph.numbered, start=1)}


def test_a_worksheet_for_an_expression_is_markdown_or_html(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["x1*x2 + sin(x1)", "x1=2", "x2=3", "--worksheet"])
    assert result.exit_code == 0 and "## Answer key" in result.output
    assert "| `w̄1` | 2.584 | `w2 + cos(w1)` |" in result.output
    page = tmp_path / "sheet.html"
    result = runner.invoke(main, ["x1*x2 + sin(x1)", "x1=2", "x2=3", "--worksheet", "-o", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<td><code>w̄1</code></td><td>2.584</td>" in html
