"""Hostile input: random and mutated text through the lexer, the parser, NAME=VALUE and the CLI.

The contract: the only exceptions that escape the library are AdtraceError subclasses, whose span (when
there is one) lies inside the source they point into; the CLI never prints a traceback and exits 0, 1 or 2.
"""

from __future__ import annotations

import math
import os
import time

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adtrace import AdtraceError, trace
from adtrace.cli import main
from adtrace.errors import EvaluationError, ParseError
from adtrace.language.lexer import Locator, kind, tokenize
from adtrace.language.parser import MAX_DEPTH, parse, parse_expression
from adtrace.language.values import parse_assignments
from adtrace.primitives import CONSTANTS, FUNCTIONS

SCALE = int(os.environ.get("ADTRACE_FUZZ_SCALE", "1"))
"""Multiply the number of cases for a longer hunt: ADTRACE_FUZZ_SCALE=50 python -m pytest tests/test_fuzz.py"""
FUZZ = settings(max_examples=600 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like adtrace often enough to get past the lexer and deep into the parser.
PIECES = [*FUNCTIONS, *CONSTANTS, "x", "y1", "θ", "a", "=", ";", "\n", "#", " ", "(", ")", ",", "+", "-", "*"]
PIECES += ["/", "^", "**", "0", "1", "2.5", ".5", "1e3", "1e999", "1e-999", "9" * 400, "_", "[", "×", "\x00", "é"]
PIECES += ["1e-99999999", "0." + "0" * 4400 + "1", "²", "a1²", "x٣", "\ufeff", "\x1b[2J", "c = sin(1)", "@"]  # #13
adtrace_like = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
any_text = st.one_of(st.text(max_size=40), adtrace_like)

SEEDS = [
    "x1*x2 + sin(x1)",
    "a = x*y; b = sin(x); z = a + b",
    "-x^2 + 1",
    "max(x, y) - min(x, 2)^3",
    "sqrt(1 + x^2)/log(2 + y)",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid program with a few characters inserted, deleted or replaced."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.sampled_from(PIECES))
        if action == "insert":
            text = text[:at] + piece + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + piece + text[at + 1 :]
    return text


hostile = st.one_of(any_text, mutated())


def check_error(error: AdtraceError, source: str) -> None:
    assert error.message and "\n" not in error.message
    if error.span is not None:
        where = error.source if error.source is not None else source
        assert 0 <= error.span.start <= error.span.end <= len(where), (error.span, len(where))
        assert error.caret_lines() or error.source is None


@FUZZ
@given(hostile)
@example("pow(x, 2)  # a comment at the very end, with no newline")
@example("x # one\r\n# two\n\ny  ")
def test_lexer_never_fails_and_every_token_is_its_own_text(source: str) -> None:
    texts, kinds = tokenize(source)
    assert texts[-1] == "" and kind(texts[-1]) == "eof" and set(kinds) == set(texts)
    assert all(kind(text) != "eof" for text in texts[:-1])
    locator = Locator(source)
    spans = [locator.span(i) for i in range(len(texts))]
    assert spans[-1] == (len(source), len(source))
    assert all(source[a:b] == text for text, (a, b) in zip(texts, spans, strict=True))
    ends = [0] + [b for _, b in spans]
    skipped = [source[end:start] for end, (start, _) in zip(ends, spans, strict=False)]
    assert all(end <= start for end, (start, _) in zip(ends, spans, strict=False))
    assert all(not gap.strip(" \t\r\f\v") or gap.lstrip(" \t\r\f\v").startswith("#") for gap in skipped)
    for gap, text in zip(skipped, texts, strict=True):  # a comment runs to the end of its line, never into a token
        assert "#" not in gap or text in ("\n", ""), (gap, text)


@FUZZ
@given(hostile)
@example("sin(" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1))
@example("sin(" * (MAX_DEPTH + 5) + "x")
@example("(" * 100_000)
@example("max(" + "x, " * 100_000 + "x)")
@example("-" * 100_000 + "x")
def test_parser_raises_only_adtrace_errors(source: str) -> None:
    for parse_one in (parse, parse_expression):
        try:
            parse_one(source)
        except AdtraceError as error:
            check_error(error, source)


@FUZZ
@given(
    hostile,
    st.dictionaries(
        st.sampled_from(["x", "y", "x1", "x2", "a", "θ"]), st.one_of(st.floats(), st.integers()), max_size=3
    ),
)
@example("A/1E310", {})  # found by this test: a literal past a float's range became inf
@example("x*1e300*1e300", {})  # and the simplifier folded constants into inf
@example("x*y", {"x": float("inf"), "y": 1.0})  # found by this test: inf and nan inputs were accepted
@example("x*y", {"x": 10**400, "y": 1})
@example("x*1e-100000000", {"x": 2.0})  # issue #13: the symbolic layer built 10^100000000 (a hang)
@example("a1²*x + x", {"x": 1.0, "a1²": 2.0})  # issue #13: '²'.isdigit() broke the simplifier's sort
@example("m = sin(7); sin(m*m)*x", {"x": 1.0})  # issue #13: a closed form naming a constant
def test_engine_raises_only_adtrace_errors(source: str, values: dict[str, float]) -> None:
    start = time.perf_counter()
    try:
        result = trace(source, values)
    except AdtraceError as error:
        check_error(error, source)
        return
    finally:
        assert time.perf_counter() - start < 10, f"a hang: {source!r} took more than 10 s"
    if result.symbolic_only:  # no value for some input: a symbolic trace, its gradient a formula
        assert result.gradient_symbolic is not None
        return
    assert all(math.isfinite(v) for v in result.values)
    assert all(math.isfinite(g) for g in result.gradient.values())


assignment = st.one_of(
    st.text(max_size=20),
    st.builds(lambda n, v: f"{n}={v}", st.sampled_from(["x", "x1", " y ", "", "1x", "sin", "θ"]), hostile),
)


@FUZZ
@given(st.lists(assignment, max_size=4))
@example(["A="])  # found by this test: the span pointed past the end of the argument
@example([":="])  # found by this test: the tokenizer's error escaped, pointing into the name alone
@example(["\n"])  # found by this test: the message quoting the argument ran over two lines
@example([" y =2", "y=1/0"])
def test_assignments_raise_only_adtrace_errors(arguments: list[str]) -> None:
    for arg in arguments:
        try:
            values = parse_assignments([arg])
        except AdtraceError as error:
            check_error(error, arg)
            assert error.source == arg
        else:
            assert all(math.isfinite(v) for v in values.values())


OPTIONS = ["--format", "json", "text", "--digits", "0", "17", "--outputs", "--seed", "--mode", "both", "forward"]
OPTIONS += ["--notation", "v", "--width", "40", "--max-rows", "1", "--sample", "neuron", "-f", "-", "--", "-h"]
cli_argument = st.one_of(hostile, st.sampled_from(OPTIONS), st.sampled_from(["x=2", "y=-1", "x1=pi/4", "z=1e999"]))


@settings(max_examples=250 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(cli_argument, max_size=6))
@example(["x^2^2^2^2^2^2", "x=2"])
@example(["2^2^2^2^2^2"])
@example(["-f", "\x00"])  # found by this test: open() raised ValueError through click.File
def test_cli_never_prints_a_traceback(arguments: list[str]) -> None:
    result = CliRunner().invoke(main, arguments, input="x*y\n")
    assert result.exit_code in (0, 1, 2), (arguments, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), (arguments, result.exception)
    assert "Traceback" not in result.output


# -- limits: big inputs give results or one clear error, never a hang or a crash ----


def test_nesting_of_a_thousand_levels_is_accepted_and_deeper_is_a_clear_error() -> None:
    for opening in ("(", "sin(", "-(", "sqrt(1 + "):
        depth = 1000
        source = opening * depth + "x" + ")" * (depth * opening.count("("))
        assert math.isfinite(trace(source, x=0.5).gradient["x"]), opening
    with pytest.raises(ParseError, match="nested too deeply"):
        parse("sin(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1))


def test_a_megabyte_expression_is_accepted() -> None:
    terms = 100_001
    source = " + ".join(f"x{k % 7} * x{(k + 3) % 7}" for k in range(terms))
    assert len(source) > 1_000_000
    start = time.perf_counter()
    result = trace(source, {f"x{k}": k / 7 for k in range(7)})
    assert time.perf_counter() - start < 60
    assert len(result.graph.nodes) == 7 + 2 * terms - 1
    expected = sum((k + 3) % 7 / 7 for k in range(terms) if k % 7 == 1)
    expected += sum(k % 7 / 7 for k in range(terms) if (k + 3) % 7 == 1)
    assert math.isclose(result.gradient["x1"], expected, rel_tol=1e-12)


@pytest.mark.parametrize(
    ("source", "values", "names"),
    [
        ("2^2^2^2^2^2", {}, "2^2^2^2^2"),
        ("x^2^2^2^2^2^2", {"x": 2}, "2^2^2^2^2"),
        ("x^x^x^x", {"x": 3}, "w4 = w1^w3"),
        ("exp(exp(exp(x)))", {"x": 3}, "w4 = exp(w3)"),
        ("10^x", {"x": 400}, "w2 = 10^w1"),
    ],
)
def test_exponent_towers_that_overflow_name_the_node(source: str, values: dict[str, float], names: str) -> None:
    with pytest.raises(EvaluationError) as caught:
        trace(source, values)
    assert names in caught.value.message
    assert "overflow" in caught.value.message
    assert caught.value.span is not None
    runner = CliRunner()
    result = runner.invoke(main, [source, *(f"{k}={v}" for k, v in values.items())])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and names in result.output
