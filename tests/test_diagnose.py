"""The quiz's judge (adtrace.lesson.diagnose), without a terminal: each listed slip typed on purpose is named,
a right answer (number or formula) is right, ambiguity is said, bad input is an AnswerError; and on random
programs (hypothesis) a right answer is never called wrong and a missing path is named wherever it can be."""

from __future__ import annotations

import math

import pytest
from generated import programs
from hypothesis import HealthCheck, given, settings

from adtrace import trace
from adtrace.errors import AdtraceError
from adtrace.expr import number
from adtrace.lesson import diagnose as dx
from adtrace.lesson import quiz_words as qw
from adtrace.lesson.build import build
from adtrace.lesson.math import bar, dot, show
from adtrace.lesson.model import Lesson

SEED = "x1*x2 + sin(x1)"


def lessons(source: str, values: dict[str, float], **options: object) -> list[Lesson]:
    """The Lesson at the values, then at two other points (as the quiz checks formulas)."""
    points = [values, {k: v + 0.37 for k, v in values.items()}, {k: v * 0.8 + 0.11 for k, v in values.items()}]
    return [build(trace(source, p, symbolic=k == 0, **options), terms=True) for k, p in enumerate(points)]  # type: ignore[arg-type]


def question(lesson: Lesson, label: str, **ask: bool) -> dx.Question:
    return next(q for q in dx.questions(lesson, **ask) if dx.lhs_text(lesson, q) == label)


def verdict(source: str, values: dict[str, float], label: str, text: str, **ask: bool) -> dx.Verdict:
    found = lessons(source, values)
    q = question(found[0], label, **ask)
    envs = [dx.environment(lesson, q.pass_index) for lesson in found]
    names = dx.allowed(found[0], q, dx.questions(found[0], **ask))
    typed = dx.read(text, names, envs, label)
    return dx.judge(typed, [dx.facts(lesson, q) for lesson in found])


def slips(v: dx.Verdict) -> list[str]:
    assert not v.right
    return [c.slip for c in v.matches]


def said(source: str, values: dict[str, float], label: str, text: str) -> str:
    """The diagnosis line, as the quiz prints it."""
    v = verdict(source, values, label, text)
    own = label.replace("\u0304", "")
    lines = [qw.diagnosis(c, own, "adjoint", label) for c in v.matches]
    return lines[0] if len(lines) == 1 else qw.ambiguous(lines)


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("z̄", "1"),
        (bar("w5"), "1"),
        (bar("w2"), "2"),
        (bar("w2"), "w1"),
        (bar("w1"), "2.584"),
        (bar("w1"), "2.58"),  # 3 significant digits are enough
        (bar("w1"), "w2 + cos(w1)"),
        (bar("w1"), "wbar3*w2 + w̄4·cos(w1)"),  # ASCII and macron spellings of the adjoints
        (bar("w1"), "w̄1 = x2 + cos(x1)"),  # the left-hand side is allowed, inputs by their names
    ],
)
def test_right_answers_are_right(label: str, text: str) -> None:
    assert verdict(SEED, {"x1": 2, "x2": 3}, label, text).right


def test_the_tolerance_is_three_significant_digits() -> None:
    assert dx.close(2.58, 2.5838531634528574) and dx.close(-0.416, -0.4161468365471424)
    assert not dx.close(2.5, 2.5838531634528574) and not dx.close(2.6, 2.5838531634528574)
    assert dx.close(1.05, 1.0549999) and dx.close(0.0, 1e-12)


def test_one_path_of_two_is_a_missing_path() -> None:
    for text, present in (("3", "w3"), ("-0.4161", "w4")):
        v = verdict(SEED, {"x1": 2, "x2": 3}, bar("w1"), text)
        assert slips(v) == ["missing_path"] and v.matches[0].parents == (present,)
    line = said(SEED, {"x1": 2, "x2": 3}, bar("w1"), "3")
    assert line.startswith("you have one of w1's two paths: w1 feeds w3 and w4, and the adjoint sums both")
    assert "(did you write = where += belongs?)" in line


def test_a_formula_with_one_path_is_a_missing_path_too() -> None:
    assert slips(verdict(SEED, {"x1": 2, "x2": 3}, bar("w1"), "wbar3*w2")) == ["missing_path"]


def test_the_partial_alone_forgets_the_parent_adjoint() -> None:
    v = verdict("sin(x)*y", {"x": 1, "y": 3}, bar("w1"), "0.5403")
    assert slips(v) == ["no_adjoint"]
    assert said("sin(x)*y", {"x": 1, "y": 3}, bar("w1"), "cos(w1)") == "that is ∂w3/∂w1 alone: multiply by w̄3"


def test_the_value_instead_of_the_adjoint() -> None:
    assert slips(verdict(SEED, {"x1": 2, "x2": 3}, bar("w3"), "6")) == ["value"]
    assert said(SEED, {"x1": 2, "x2": 3}, bar("w3"), "6") == "that is w3's value, not its adjoint"


def test_a_sign_error_in_a_difference_names_the_rule() -> None:
    v = verdict("x1 - x2", {"x1": 2, "x2": 3}, bar("w2"), "1")
    assert slips(v) == ["sign"]
    assert said("x1 - x2", {"x1": 2, "x2": 3}, bar("w2"), "1").endswith("difference rule: ∂(a - b)/∂b = -1")


def test_a_sign_error_in_one_term_of_a_sum() -> None:
    assert slips(verdict(SEED, {"x1": 2, "x2": 3}, bar("w1"), "3.416")) == ["sign"]


def test_a_seed_of_zero() -> None:
    assert slips(verdict(SEED, {"x1": 2, "x2": 3}, "z̄", "0")) == ["seed_zero"]
    assert slips(verdict(SEED, {"x1": 2, "x2": 3}, bar("w5"), "0")) == ["seed_zero"]


def test_wrong_local_partials() -> None:
    # sin(w1) where cos(w1) belongs: 3 + 0.9093
    assert slips(verdict(SEED, {"x1": 2, "x2": 3}, bar("w1"), "3.909")) == ["function"]
    # the product rule the wrong way round: w1 where w2 belongs, 2 + cos(2)
    assert slips(verdict(SEED, {"x1": 2, "x2": 3}, bar("w1"), "w1 + cos(w1)")) == ["swapped"]


def test_two_slips_giving_the_same_number_are_ambiguous() -> None:
    """x*y + x at x = y = 3: 3 is the path through the product alone, and x's value."""
    v = verdict("x*y + x", {"x": 3, "y": 3}, bar("w1"), "3")
    assert sorted(slips(v)) == ["missing_path", "value"]
    assert said("x*y + x", {"x": 3, "y": 3}, bar("w1"), "3").startswith("that number fits more than one slip")


def test_a_number_in_a_formula_is_right_here_but_not_as_a_formula() -> None:
    v = verdict(SEED, {"x1": 2, "x2": 3}, bar("w1"), "3 + cos(w1)")
    assert not v.right and v.only_here and v.elsewhere is not None


def test_nothing_known_is_said_to_be_nothing_known() -> None:
    v = verdict(SEED, {"x1": 2, "x2": 3}, bar("w1"), "17")
    assert not v.right and v.matches == () and not v.only_here


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("w1 +", "expected"),
        ("w9", "unknown:w9"),
        ("wbar1", "unknown:wbar1"),  # the adjoint being asked for can't be used in its own answer
        ("log(0)", "undefined:"),
    ],
)
def test_what_cannot_be_read_is_an_answer_error(text: str, message: str) -> None:
    with pytest.raises(dx.AnswerError) as raised:
        verdict(SEED, {"x1": 2, "x2": 3}, bar("w1"), text)
    assert message in raised.value.message


def test_a_symbolic_trace_takes_formulas_and_constants() -> None:
    t = trace(SEED)
    lesson = build(t)
    numeric = lessons(SEED, {"x1": 2, "x2": 3})[1:]
    qs = dx.questions(numeric[0])
    q = next(q for q in qs if dx.lhs_text(numeric[0], q) == bar("w1"))
    envs: list[dict[str, float] | None] = [None, *(dx.environment(x, 0) for x in numeric)]
    points: list[dx.Facts | None] = [None, *(dx.facts(x, q) for x in numeric)]
    names = dx.allowed(numeric[0], q, qs)
    assert dx.judge(dx.read("x2 + cos(x1)", names, envs, bar("w1")), points).right
    assert not dx.judge(dx.read("x2", names, envs, bar("w1")), points).right
    assert lesson.symbolic and dx.questions(lesson)  # the symbolic Lesson asks the same steps


def test_forward_mode_asks_tangents_and_names_a_missing_term() -> None:
    found = lessons("x1*x2", {"x1": 2, "x2": 3}, mode="forward", seed={"x1": 1, "x2": 1})
    q = question(found[0], dot("w3"))
    envs = [dx.environment(x, q.pass_index) for x in found]
    names = dx.allowed(found[0], q, dx.questions(found[0]))
    facts = [dx.facts(x, q) for x in found]
    assert dx.judge(dx.read("5", names, envs, dot("w3")), facts).right  # ẇ3 = w2·ẇ1 + w1·ẇ2 = 3 + 2
    assert dx.judge(dx.read("w2*wdot1 + w1*ẇ2", names, envs, dot("w3")), facts).right
    v = dx.judge(dx.read("w2*wdot1", names, envs, dot("w3")), facts)
    assert [c.slip for c in v.matches] == ["missing_path"]
    line = qw.diagnosis(v.matches[0], "w3", "tangent")
    assert line == f"you have one of {dot('w3')}'s two terms: w3 is computed from w1 and w2, " + (
        "and its tangent sums a term for each"
    )


def test_partial_questions_come_before_their_adjoint() -> None:
    found = lessons(SEED, {"x1": 2, "x2": 3})
    asked = [dx.lhs_text(found[0], q) for q in dx.questions(found[0], partials=True)]
    assert asked[-3:] == ["∂w3/∂w1", "∂w4/∂w1", bar("w1")]
    q = question(found[0], "∂w4/∂w1", partials=True)
    envs = [dx.environment(x, 0) for x in found]
    typed = dx.read("sin(w1)", dx.allowed(found[0], q, []), envs, "∂w4/∂w1")
    v = dx.judge(typed, [dx.facts(x, q) for x in found])
    assert [c.slip for c in v.matches] == ["function"]


# -- on random programs --------------------------------------------------------------------------------
def _random_lessons(program: object) -> list[Lesson] | None:
    source, values = program.source, program.inputs  # type: ignore[attr-defined]
    try:
        found = lessons(source, values)
    except AdtraceError:
        return None
    for lesson in found:
        env = dx.environment(lesson)
        if not all(math.isfinite(v) and abs(v) < 1e6 for v in env.values()):
            return None
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_inputs=3, max_statements=3))
def test_right_answers_are_never_wrong_and_missing_paths_are_named(program: object) -> None:
    found = _random_lessons(program)
    if found is None:
        return
    lesson = found[0]
    qs = dx.questions(lesson)
    for q in qs:
        if q.kind != "adjoint":
            continue
        facts = [dx.facts(x, q) for x in found]
        envs = [dx.environment(x, 0) for x in found]
        lhs = dx.lhs_text(lesson, q)
        names = dx.allowed(lesson, q, qs)
        right = facts[0].right
        for text in (repr(right), number(right, 3), number(right, 4)):
            assert dx.judge(dx.read(text, names, envs, lhs), facts).right, (program, lhs, text)
        step = dx.step_of(lesson, q)
        if step.answer is not None and step.answer.formula is not None:
            formula = show(step.answer.formula)  # the key's formula, as a learner would copy it
            assert dx.judge(dx.read(formula, names, envs, lhs), facts).right, (program, lhs, formula)
        for c in facts[0].candidates:
            if c.slip != "missing_path" or dx.close(c.value, right):
                continue
            v = dx.judge(dx.read(repr(c.value), names, envs, lhs), facts)
            assert not v.right and c.key in [m.key for m in v.matches], (program, lhs, c)
            others = [o for o in facts[0].candidates if o.key != c.key and dx.close(c.value, o.value)]
            if not others:
                assert [m.slip for m in v.matches] == ["missing_path"], (program, lhs, v.matches)
            else:
                assert len(v.matches) >= 2  # said to be ambiguous, not guessed
