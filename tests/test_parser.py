"""The parser: source → S-expression, precedence, associativity, and every syntax error."""

from __future__ import annotations

import pytest

from adtrace.engine.tape import build
from adtrace.errors import AdtraceError, ArityError, NameResolutionError, ParseError
from adtrace.language.lexer import tokenize
from adtrace.language.parser import MAX_DEPTH, free_names, parse, parse_expression
from adtrace.language.syntax import Assign, Op, sexpr


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x", "x"),
        ("3", "3"),
        (".5", ".5"),
        ("1e-3", "1e-3"),
        ("2.5E+4", "2.5E+4"),
        ("x1*x2 + sin(x1)", "(add (mul x1 x2) (sin x1))"),
        ("a + b * c", "(add a (mul b c))"),
        ("a * b + c", "(add (mul a b) c)"),
        ("a - b - c", "(sub (sub a b) c)"),
        ("a / b / c", "(div (div a b) c)"),
        ("2^3^2", "(pow 2 (pow 3 2))"),
        ("2**3**2", "(pow 2 (pow 3 2))"),
        ("-x^2", "(neg (pow x 2))"),
        ("-x*y", "(mul (neg x) y)"),
        ("(-x)^2", "(pow (neg x) 2)"),
        ("2^-x", "(pow 2 (neg x))"),
        ("--x", "(neg (neg x))"),
        ("+x", "x"),
        ("a*(b + c)", "(mul a (add b c))"),
        ("pow(a, b)", "(pow a b)"),
        ("max(a, b) - min(a, b)", "(sub (max a b) (min a b))"),
        ("ln(x)", "(log x)"),
        ("sigmoid(relu(abs(x)))", "(sigmoid (relu (abs x)))"),
        ("θ*x_1", "(mul θ x_1)"),
        ("pi*e", "(mul pi e)"),
    ],
)
def test_expression_table(source: str, expected: str) -> None:
    assert sexpr(parse_expression(source)) == expected


def test_program_statements_and_comments() -> None:
    program = parse("a = x*y  # product\nb = sin(x); z = a + b\n\n")
    assert [type(s).__name__ for s in program.statements] == ["Assign", "Assign", "Assign"]
    last = program.statements[-1]
    assert isinstance(last, Assign) and last.target == "z" and sexpr(last.value) == "(add a b)"


@pytest.mark.parametrize(
    ("source", "error", "message", "column"),
    [
        ("x1*(x2", ParseError, "expected ')' to close the '(' at column 4", 7),
        ("x1 +* 2", ParseError, "after '+', found '*'", 5),
        ("2x", ParseError, "write '2*x' to multiply", 2),
        ("x1 $ 2", ParseError, "unexpected character '$'", 4),
        ("", ParseError, "the expression is empty", 1),
        ("   ", ParseError, "the expression is empty", 1),
        ("sine(x)", NameResolutionError, "did you mean 'sin'", 1),
        ("sin(x, y)", ArityError, "sin takes 1 argument, got 2", 1),
        ("max(x)", ArityError, "max takes 2 arguments, got 1", 1),
        ("x y", ParseError, "missing operator", 3),
        ("sin x", ParseError, "'sin' is a function", 1),
        ("x)", ParseError, "unmatched ')'", 2),
        ("()", ParseError, "empty parentheses", 2),
        ("x +", ParseError, "found the end of the input", 4),
        ("sin = 2", ParseError, "built-in function", 1),
        ("x [2]", ParseError, "use ( ) for grouping", 3),
    ],
)
def test_syntax_errors(source: str, error: type[AdtraceError], message: str, column: int) -> None:
    with pytest.raises(error) as info:
        parse(source)
    assert message in info.value.message
    assert info.value.span is not None and info.value.span.start == column - 1
    lines = info.value.caret_lines()
    assert lines[1].index("^") == column - 1


def test_deep_nesting_is_accepted_up_to_the_limit() -> None:
    depth = 1500
    assert sexpr(parse_expression("(" * depth + "x" + ")" * depth)) == "x"
    assert sexpr(parse_expression("-" * 1000 + "x")).count("neg") == 1000


def test_nesting_past_the_limit_is_an_error_not_a_crash() -> None:
    depth = MAX_DEPTH + 10
    with pytest.raises(ParseError, match="nested too deeply"):
        parse_expression("(" * depth + "x" + ")" * depth)


def test_long_flat_expression() -> None:
    source = "+".join(["x"] * 100_000)
    assert parse_expression(source) is not None


def test_columns_in_messages_count_from_the_start_of_the_line() -> None:
    with pytest.raises(ParseError) as info:
        parse("a = x*y\nb = sin(a\n")
    assert "to close the call of sin(…) at column 8" in info.value.message
    assert info.value.location() == "line 2, column 10"


def test_free_names_are_the_inputs_in_order_of_first_appearance() -> None:
    tokens = tokenize("a = y*x  # x and y are inputs\nb = sin(a) + pi; z = a*b + w")
    names = free_names(tokens)
    assert list(names) == ["y", "x", "w"]  # not a, b, z (assigned), sin (called) or pi (a constant)
    assert [tokens.texts[i] for i in names.values()] == ["y", "x", "w"]


@pytest.mark.parametrize(
    "source",
    ["x1*x2 + sin(x1)", "(a + b)*-c^2", "a = x*y\nb = max(a, (x - 1))\nz = a/b", "  pow( x , 2 )  # comment"],
)
def test_every_graph_node_spans_its_own_text(source: str) -> None:
    """Graph nodes keep token indices; Graph.span turns them into the text that parses back to the node."""
    graph = build(source)
    for i, node in enumerate(graph.nodes):
        start, end = graph.span(i)
        text = source[start:end]
        if node.is_input:
            assert text == node.name
        elif node.args:
            tree = parse_expression(text)
            assert isinstance(tree, Op) and tree.op == node.prim.name, (text, node.prim.name)


@pytest.mark.parametrize(("source", "column"), [("a + b = 3", 7), ("x = y = 3", 7), ("x*y = 2", 5)])
def test_only_a_name_starting_a_statement_is_assigned(source: str, column: int) -> None:
    """free_names must not take `b` in `a + b = 3` for an assigned name (that said 'b is used before it is
    assigned'); the parser reports the '='."""
    with pytest.raises(ParseError, match="only a plain name can be assigned") as info:
        build(source)
    assert info.value.span is not None and info.value.span.start == column - 1
