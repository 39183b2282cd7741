"""Regression tests for issue #13 (hardening): each failed on the code before its fix."""

from __future__ import annotations

import json
import math
import time

import pytest

from adtrace import AdtraceError, trace
from adtrace.expr import evaluate, from_syntax, show
from adtrace.language.parser import parse_expression


def parsed_value(code: str, env: dict[str, float]) -> float:
    """A formula printed in adtrace syntax, parsed back and evaluated."""
    return evaluate(from_syntax(parse_expression(code)), env)


# -- 1. huge and tiny literals in the symbolic layer -------------------------------------------------
@pytest.mark.parametrize("literal", ["1e-100000000", "1e-10000000", "1e+99999999999", "5e-324", "1e-400"])
def test_a_literal_with_a_huge_exponent_does_not_hang_the_symbolic_layer(literal: str) -> None:
    start = time.perf_counter()
    try:
        t = trace(f"x*{literal}", x=2)
    except AdtraceError:  # 1e+99999999999 is too large: an error, at once
        t = None
    assert time.perf_counter() - start < 2
    if t is not None:
        assert t.gradient_symbolic is not None
        assert parsed_value(show(t.gradient_symbolic["x"], "code"), {}) == t.gradient["x"]


@pytest.mark.parametrize("text", ["0." + "0" * 4400 + "1", "1" + "0" * 300 + "." + "0" * 4400, "2." + "5" * 4400])
def test_a_literal_of_more_than_4300_digits_is_a_number_not_a_bare_value_error(text: str) -> None:
    t = trace(f"x*{text}", x=2)
    assert t.gradient["x"] == pytest.approx(float(text))
    assert t.gradient_symbolic is not None
    assert parsed_value(show(t.gradient_symbolic["x"], "code"), {}) == pytest.approx(float(text))


def test_latex_of_a_number_with_a_5000_digit_exponent() -> None:
    from adtrace.expr import Const

    text = "1e-" + "0" * 5000 + "1"
    assert show(Const(0.1, text), "latex") == "1 \\times 10^{-1}"


# -- 2. names with non-decimal digit characters -------------------------------------------------------
@pytest.mark.parametrize("names", [("x²", "y"), ("a1²", "a1"), ("x٣", "x3"), ("b" + "1" * 5000, "b2")])
def test_names_with_other_digit_characters_sort_in_the_simplifier(names: tuple[str, str]) -> None:
    a, b = names
    t = trace(f"{a}*{b} + {b}*{a} + {a}", {a: 2, b: 3})
    assert t.gradient == {a: pytest.approx(7), b: pytest.approx(4)}
    sym = t.gradient_symbolic
    assert sym is not None and set(sym) == {a, b}


# -- 3. a named constant in closed forms ---------------------------------------------------------------
def test_a_reassigned_named_constant_is_written_out_in_the_closed_form() -> None:
    t = trace("c = sin(1); a = c*2*x; c = cos(1); a + c*2*x", x=1)
    truth = 2 * math.sin(1) + 2 * math.cos(1)
    assert t.gradient["x"] == pytest.approx(truth)
    sym = t.gradient_symbolic
    assert sym is not None
    code = show(sym["x"], "code")
    assert "c" not in code.replace("cos", "")  # no undefined name c in it
    assert parsed_value(code, {"x": 1}) == pytest.approx(truth)
    assert t.symbolic is not None and t.symbolic.value_of(sym["x"], {"x": 1}) == pytest.approx(truth)


def test_a_named_constant_inside_a_function_parses_back() -> None:
    t = trace("m = sin(7); sin(m*m)*x", x=1)
    sym = t.gradient_symbolic
    assert sym is not None
    assert parsed_value(show(sym["x"], "code"), {}) == pytest.approx(math.sin(math.sin(7) ** 2))
    assert t.symbolic is not None and t.symbolic.value_of(sym["x"], {"x": 1}) == pytest.approx(t.gradient["x"])
    # the trace itself still shows the constant by its name, as typed
    assert any(node.name == "sin(m*m)" for node in t.graph.nodes)


def test_a_named_constant_doubled_many_times_is_written_as_its_value() -> None:
    source = "c = 2; " + "c = c*c; " * 8 + "x*c"
    t = trace(source, x=1)
    sym = t.gradient_symbolic
    assert sym is not None
    code = show(sym["x"], "code")
    assert len(code) < 100 and parsed_value(code, {}) == t.gradient["x"] == 2.0**256


# -- 4. one 'where' per output --------------------------------------------------------------------------
def test_each_output_has_its_own_where_in_definition_order() -> None:
    source = "u = sin(x*y)*cos(x + y)*exp(x - y)*tanh(x*y + 1); v = u*sin(u)*cos(u); f = v*x; g = v*y"
    t = trace(source, x=0.7, y=1.3, outputs=["f", "g"])
    data = json.loads(t.to_json())
    per_output = data["symbolic"]["where_per_output"]
    assert set(per_output) == {"f", "g"}
    for out in ("f", "g"):
        env = {"x": 0.7, "y": 1.3}
        for name, formula in per_output[out].items():  # in let order: each uses only names before it
            env[name] = parsed_value(formula, env)
        for name in ("x", "y"):
            got = parsed_value(data["jacobian_symbolic"][out][name], env)
            assert got == pytest.approx(data["jacobian"][out][name], rel=1e-9)
    assert data["symbolic"]["where"] == {**per_output["f"], **data["symbolic"]["where"]}


# -- 8. tanh and sigmoid in saturation -------------------------------------------------------------------
@pytest.mark.parametrize("a", [-40.0, -20.0, -3.0, 0.0, 1e-8, 0.5, 3.0, 20.0, 40.0, 300.0])
def test_tanh_and_sigmoid_slopes_keep_their_relative_precision(a: float) -> None:
    import mpmath

    mpmath.mp.dps = 40
    tanh_slope = float(mpmath.sech(a) ** 2)
    sigmoid_slope = float(mpmath.exp(-abs(a)) / (1 + mpmath.exp(-abs(a))) ** 2)
    assert trace("tanh(x)", x=a).gradient["x"] == pytest.approx(tanh_slope, rel=1e-14, abs=0)
    assert trace("sigmoid(x)", x=a).gradient["x"] == pytest.approx(sigmoid_slope, rel=1e-14, abs=0)


# -- 9. forward and reverse mode differ only by rounding in a cancelling sum ------------------------------
def test_a_cancelling_sum_is_not_a_false_alarm_and_is_explained() -> None:
    t = trace("x*a + (x*b + x*c)", a=1e16, b=-1e16, c=1, x=2, mode="both")
    forward = t.forward_jacobian
    assert forward is not None and forward["z"]["x"] != t.jacobian["z"]["x"]  # summation order differs
    assert t.modes_agree() is True
    assert [o_x[:2] for o_x in t.cancellations()] == [("z", "x")]
    assert any("rounding" in w and "cancel" in w for w in t.warnings)


def test_a_real_disagreement_is_still_reported() -> None:
    from dataclasses import replace

    t = trace("x*y + sin(x)", x=1, y=2, mode="both")
    assert t.modes_agree() is True and t.cancellations() == []
    wrong = [p._replace(tangents=[v + 1e-3 for v in p.tangents]) for p in t.forward]
    assert replace(t, forward=tuple(wrong)).modes_agree() is False


# -- 10. overflow is not blamed on the domain ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "values", "blamed"),
    [
        ("x^y", {"x": 10, "y": 400}, "a^b needs"),
        ("x/y", {"x": 1e300, "y": 1e-300}, "division by zero"),
        ("exp(x)*y", {"x": 800, "y": 1}, "needs"),
    ],
)
def test_an_overflow_says_too_large_not_the_domain(source: str, values: dict[str, float], blamed: str) -> None:
    with pytest.raises(AdtraceError) as caught:
        trace(source, values)
    assert "too large for a floating-point number" in caught.value.message
    assert blamed not in caught.value.message


def test_a_domain_error_still_names_the_domain() -> None:
    with pytest.raises(AdtraceError, match="division by zero"):
        trace("x/y", x=1, y=0)
    with pytest.raises(AdtraceError, match="a\\^b needs a > 0"):
        trace("x^y", x=-2, y=0.5)


# -- 13. API type errors are AdtraceErrors ------------------------------------------------------------------
@pytest.mark.parametrize(
    "options",
    [
        {"seed": 10**400},
        {"seed": "2"},
        {"seed": [1]},
        {"seed": {"z": None}},
        {"seed": True},
        {"seed": {"z": True}},
        {"seed": {1: 2}},
        {"outputs": [1]},
        {"outputs": "z"},
    ],
)
def test_bad_api_arguments_are_adtrace_errors(options: dict[str, object]) -> None:
    with pytest.raises(AdtraceError) as caught:
        trace("x*2", {"x": 1}, **options)  # type: ignore[arg-type]
    assert "\n" not in caught.value.message and len(caught.value.message) < 200


@pytest.mark.parametrize("values", [{1: 2}, [("x", 1)], {"x": None}, {"x": True}])
def test_bad_api_values_are_adtrace_errors(values: object) -> None:
    with pytest.raises(AdtraceError):
        trace("x*2", values)  # type: ignore[arg-type]


# -- 14. small ones ------------------------------------------------------------------------------------------
def test_a_bare_last_statement_is_not_named_like_an_assigned_z() -> None:
    t = trace("z = x*2; z + 1", x=1)
    assert t.graph.outputs[0].name != "z" and list(t.jacobian) == [t.graph.outputs[0].name]
    assert trace("x*2", x=1).graph.outputs[0].name == "z"
    t = trace("z*f + 1", z=1, f=2)  # an input named z is not the output either
    assert t.graph.outputs[0].name not in ("z", "f")


def test_5000_nested_levels_are_accepted_and_5001_refused() -> None:
    assert trace("(" * 5000 + "x" + ")" * 5000, x=1).value == 1
    assert trace("sin(" * 4999 + "x" + ")" * 4999, x=0.5).gradient["x"] > 0
    with pytest.raises(AdtraceError, match="nested too deeply"):
        trace("(" * 5001 + "x" + ")" * 5001, x=1)


def test_forward_mode_json_nodes_carry_adjoint_like_adjoint_symbolic() -> None:
    data = json.loads(trace("x*y", x=1, y=2, mode="forward").to_json())
    for node in data["nodes"]:
        assert "adjoint" in node and "adjoint_symbolic" in node
        assert node["adjoint"] is None and node["adjoint_symbolic"] is None


@pytest.mark.parametrize("literal", ["1e-400", "2.5e-330", "0.0000" + "0" * 400 + "1"])
def test_a_literal_that_underflows_to_zero_is_warned_about(literal: str) -> None:
    t = trace(f"x + {literal}*x", x=1)
    assert any(literal in w and "too small" in w for w in t.warnings)
    assert not any("too small" in w for w in trace("x + 0.0*x + 0e5*x", x=1).warnings)


def test_json_definitions_and_partials_write_named_constants_out() -> None:
    data = json.loads(trace("c = sin(1); a = c*2*x; c = cos(1); a + c*2*x", x=1).to_json())
    assert [n["definition"] for n in data["nodes"]] == ["x", "(sin(1)*2)*w1", "(cos(1)*2)*w1", "w2 + w3"]
    partials = [t["partial_symbolic"] for s in data["steps"] for t in s["terms"]]
    assert "sin(1)*2" in partials and "cos(1)*2" in partials
    assert not any("c*" in p for p in partials)


def test_an_exact_number_past_a_float_in_the_symbolic_layer_leaves_the_layer_out() -> None:
    """(1e15*x)^30 holds 10^450 in its closed form: the numbers are fine, the layer is left out and says why."""
    t = trace("(1e15*x)^30", x=1e-20)
    assert t.symbolic is None
    assert "too large for a floating-point number" in t.symbolic_note
    assert math.isclose(t.gradient["x"], 30 * 1e15 * (1e-5) ** 29, rel_tol=1e-12)


def test_an_exact_number_past_a_float_in_a_symbolic_trace_is_a_clear_error() -> None:
    with pytest.raises(
        AdtraceError, match=r"too large for a floating-point number.*give every input a value"
    ) as caught:
        trace("(1e15*x)^30")
    assert caught.value.span is not None
