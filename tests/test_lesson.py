"""The Lesson: what each step knows (kind, node, uses, lines, rules, answer), laziness, and the wording
fixes found in class (seeds 0 and -1, notation clashes, the quotient rule's sentences, x*x)."""

from __future__ import annotations

import math

import pytest

from adtrace import trace
from adtrace.expr import Sym
from adtrace.lesson import passes
from adtrace.lesson.build import build, visible
from adtrace.lesson.lazy import Kept
from adtrace.lesson.math import Partial, Prod, Running, Sum, bar, dot, show
from adtrace.lesson.model import Lesson, Step, Steps
from adtrace.views.terminal import to_text

SEED = ("x1*x2 + sin(x1)", {"x1": 2, "x2": 3})


def section(lesson: Lesson, kind: str, k: int = 0) -> list[Step]:
    found = [s for s in lesson.sections if s.kind == kind][k]
    return [step for block in found.blocks if block.kind != "notes" for step in block.steps]


def reverse_step(lesson: Lesson, label: str) -> Step:
    return next(s for s in section(lesson, "reverse") if s.lhs is not None and show(s.lhs) == label)


def test_the_seed_examples_reverse_step_for_w1_knows_everything_a_view_prints() -> None:
    t = trace(*SEED)
    lesson = build(t, explain=True, terms=True)
    step = reverse_step(lesson, bar("w1"))
    w1, w3, w4 = (t.graph.numbered[k] for k in (0, 2, 3))
    assert step.kind == "reverse" and step.node == w1
    assert [line.layer for line in step.lines] == ["symbols", "rules", "numbers", "products", "value"]
    assert [show(line.math) for line in step.lines] == [
        "w̄3·∂w3/∂w1 + w̄4·∂w4/∂w1",
        "w̄3·w2 + w̄4·cos(w1)",
        "1·3 + 1·cos(2)",
        "3 + (-0.4161)",
        "2.584",
    ]
    assert [show(line.math) for line in step.also] == ["1·w2 + 1·cos(w1)", "w2 + cos(w1)"]
    assert step.uses == (w1, w3, w4) and step.edges == ((w1, w3), (w1, w4))
    assert [u.rule for u in step.partials] == [
        "product rule: ∂(a·b)/∂a = b",
        "derivative of sine: ∂ sin(a)/∂a = cos(a)",
    ]
    assert step.answer is not None and math.isclose(step.answer.value, 2.5838531634528574)
    assert step.answer.formula is not None and show(step.answer.formula) == "w2 + cos(w1)"
    assert "two paths" in step.explain[-1]
    first, second = step.terms
    assert show(first.running) == "3 + …" and show(second.running) == "3 + (-0.4161) + …"


def test_formulas_print_as_plain_text_and_as_latex() -> None:
    symbols = Sum((Prod((Sym(bar("w3")), Partial("w3", "w1"))),))
    assert show(symbols) == "w̄3·∂w3/∂w1"
    assert show(symbols, "latex") == "\\bar w_{3} \\cdot \\frac{\\partial w_{3}}{\\partial w_{1}}"
    assert show(Running((Sym("a"), Sym("b")), 1)) == "a + …"


def test_steps_are_made_only_when_asked_for() -> None:
    made: list[int] = []
    steps = Steps(10**6, lambda k: made.append(k) or Step("note"))  # type: ignore[func-returns-value]
    assert len(steps) == 10**6 and made == []
    steps[5], steps[-1]
    assert made == [5, 10**6 - 1]


def test_a_cut_view_never_builds_the_steps_it_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    t = trace(" + ".join(f"x*{k}" for k in range(1, 400)), x=1)
    calls: list[int] = []
    original = passes.reverse_step

    def counting(*args: object, **kwargs: object) -> Step:
        calls.append(1)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(passes, "reverse_step", counting)
    import adtrace.lesson.build as build_module

    monkeypatch.setattr(build_module, "reverse_step", counting)
    text = to_text(t, max_rows=10)
    assert "steps skipped" in text and len(calls) == 10


def test_squares_read_as_a_textbook_writes_them() -> None:
    lesson = build(trace("x^2", x=3))
    (use,) = reverse_step(lesson, bar("w1")).partials
    assert show(use.formula) == "2·w1"  # not 2·w1^(2 - 1)


@pytest.mark.parametrize(
    ("seed", "said", "never"), [(0.0, "With seed 0 every adjoint is 0", "∂()"), (-1.0, "∂(-z)/∂wi", "-1·z")]
)
def test_seeds_zero_and_minus_one_are_worded(seed: float, said: str, never: str) -> None:
    text = to_text(trace("x*x", x=3, seed=seed), width=200)
    assert said in text and never not in text


def test_names_that_look_like_labels_get_another_letter() -> None:
    t = trace("w2*w1 + sin(w1)", w1=2, w2=3)
    text = to_text(t, width=120)
    assert t.label(t.graph.numbered[2]) == "u3" and "u3 = u1·u2" in text
    assert "Nodes are labelled u1, u2, … here, not w1, w2" in text and "│ w1 = w2" not in text
    v = trace("v1*x", v1=2, x=3, notation="v")
    assert {v.label(i) for i in v.graph.numbered} == {"u-1", "u0", "u1"}
    plain = trace("x1*x2", x1=1, x2=2)
    assert plain.letter == "w" and "Nodes are labelled" not in to_text(plain)


def test_an_input_named_z_does_not_share_the_outputs_name() -> None:
    t = trace("z*x", z=2, x=3)
    assert [o.name for o in t.graph.outputs] == ["f"]
    assert "∂f/∂z" in to_text(t, width=120)
    assert trace("x*2", x=1, outputs=["z"]).graph.outputs[0].name == "z"  # the default output by its name
    assert trace("z = x*2; z + 1", x=1).graph.outputs[0].name == "f"


def test_the_quotient_rule_explains_each_partial_by_its_own_reason() -> None:
    lesson = build(trace("x/y", x=1, y=2), explain=True)
    by_x = " ".join(reverse_step(lesson, bar("w1")).explain)
    by_y = " ".join(reverse_step(lesson, bar("w2")).explain)
    assert "nudging w1 moves the quotient by 1/w2" in by_x and "-w1/w2^2" not in by_x
    assert "the rate is -w1/w2^2" in by_y


def test_x_times_x_says_which_argument_each_sentence_is_about() -> None:
    lesson = build(trace("x*x", x=3), explain=True, terms=True)
    step = reverse_step(lesson, bar("w1"))
    first, second = (term.explain for term in step.terms)
    assert first != second and "first argument" in first and "second argument" in second


def test_forward_mode_wording() -> None:
    text = " ".join(to_text(trace("x1*x2", x1=2, x2=3, mode="forward"), width=200).split())
    assert f"tangents {dot('w')} = ∂w/∂x1" in text and "every adjoint written out" not in text
    seeded = " ".join(to_text(trace("x1*x2", x1=2, x2=3, mode="forward", seed={"x1": 1}), width=200).split())
    assert f"tangents {dot('w')} along the seed" in seeded and f"{dot('w')} = along" not in seeded


def test_explain_works_on_symbolic_traces() -> None:
    lesson = build(trace("x1*x2 + sin(x1)"), explain=True)
    step = reverse_step(lesson, bar("w1"))
    assert step.explain and "two paths" in step.explain[-1]


def test_long_names_get_a_line_over_every_letter() -> None:
    text = to_text(trace("loss = (x - 3)^2", x=1), width=120)
    assert "l̅o̅s̅s̅ = ∂loss/∂loss = 1" in text and "losš" not in text


def test_control_characters_in_a_comment_are_shown_not_obeyed() -> None:
    t = trace("x*2  # \x1b[2J\x1b]0;pwned\x07 hi", x=1)
    text = to_text(t)
    assert "\x1b" not in text and "\x07" not in text and "^[[2J" in text
    assert "\x1b" not in t.to_markdown() and visible("a\x1bb") == "a^[b"


def test_the_api_reads_a_programs_header_as_the_cli_does() -> None:
    program = "# values: x1=2 x2=3\n# outputs: z\nx1*x2 + sin(x1)"
    assert math.isclose(trace(program).gradient["x1"], 2.5838531634528574)
    assert trace(program, x1=1).inputs == {"x1": 1.0, "x2": 3.0}  # given values override the header's


def test_results_list_inputs_in_order_of_first_appearance() -> None:
    t = trace("b*a + c", a=1, b=2, c=3)
    rows = [show(s.lhs) for s in section(build(t), "result") if s.kind == "jacobian_row" and s.lhs is not None]
    assert rows == ["∂z/∂b", "∂z/∂a", "∂z/∂c"]


def test_a_kept_sequence_makes_each_item_once_and_only_those_asked_for() -> None:
    made: list[int] = []

    def make(k: int) -> str:
        made.append(k)
        return f"item {k}"

    items = Kept(1_000_000, make)
    assert (items[0], items[-1], items[0], items[999_999]) == ("item 0", "item 999999", "item 0", "item 999999")
    assert made == [0, 999_999]
    assert list(items[2:4]) == ["item 2", "item 3"] and made == [0, 999_999, 2, 3]
