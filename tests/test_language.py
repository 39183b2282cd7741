"""The Python subset (issue 14): statements parse to the tree they should, and every misplaced keyword or
unsupported construct is an error about that keyword, with a caret, through the CLI (exit 2)."""

from __future__ import annotations

import contextlib

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from adtrace.cli import main
from adtrace.errors import AdtraceError, ControlFlowError, LimitError, ParseError, UnsupportedError
from adtrace.language import program as pg
from adtrace.language.lexer import Locator, tokenize


def parse(source: str) -> pg.Program:
    return pg.parse_program(source, tokenize(source), Locator(source))


def shape(stmts: tuple[pg.Stmt, ...]) -> list[object]:
    """A compact picture of a statement tree: kinds and nesting, no token indices."""
    out: list[object] = []
    for s in stmts:
        if isinstance(s, pg.Assign):
            out.append("=".join(n for n, _ in s.targets) + "=")
        elif isinstance(s, pg.AugAssign):
            out.append(f"{s.target} {s.prim.name}=")
        elif isinstance(s, pg.ExprStmt):
            out.append("expr")
        elif isinstance(s, pg.If):
            out.append(("if", [shape(body) for _, body, _ in s.branches]))
        elif isinstance(s, pg.While):
            out.append(("while", shape(s.body)))
        elif isinstance(s, pg.For):
            out.append((f"for {s.var}", shape(s.body)))
        elif isinstance(s, pg.Def):
            out.append((f"def {s.name}({','.join(p for p, _ in s.params)})", shape(s.body)))
        elif isinstance(s, pg.Return):
            out.append("return")
        elif isinstance(s, pg.Jump):
            out.append(s.kind)
        elif isinstance(s, pg.Skip):
            out.append(f"skip {s.note}")
        elif isinstance(s, pg.Backward):
            out.append(f"backward {s.name}")
    return out


STATEMENTS = [
    ("y = x", ["y="]),
    ("a = b = x", ["a=b="]),
    (
        "x += 1; x -= 1; x *= 2; x /= 2; x **= 2; x //= 2; x %= 3",
        [f"x {p}=" for p in "add sub mul div pow floordiv mod".split()],
    ),
    ("if x > 0:\n    y = x\nelse:\n    y = -x", [("if", [["y="], ["y="]])]),
    ("if x > 0: y = x\nelif x < -1: y = 2\nelse: y = 0", [("if", [["y="], ["y="], ["y="]])]),
    ("while x < 10:\n    x = x * 2\n    if x > 5:\n        break", [("while", ["x=", ("if", [["break"]])])]),
    ("for i in range(3):\n    continue", [("for i", ["continue"])]),
    ("for v in [a, b]:\n    s = v", [("for v", ["s="])]),
    ("def f(a, b):\n    return a*b\ny = f(x, 2)", [("def f(a,b)", ["return"]), "y="]),
    (
        "import math\nfrom micrograd.engine import Value\nprint(x)\ny = x",
        ["skip import", "skip import", "skip print", "y="],
    ),
    ("a = Value(-4.0)\nb = a*a\nb.backward()", ["a=", "b=", "backward b"]),
    ("# a comment\n\ny = x  # another\n", ["y="]),
    ("def f(x):\n    '''doc'''\n    return x\ny = f(2)", [("def f(x)", ["return"]), "y="]),
    ("y = (x +\n     1)", ["y="]),
    ("pass\ny = x", ["y="]),
    (
        "a = Value(2.0, label='a')\nb = a*a; b.label = 'b'\nb.backward(retain_graph=True)",
        ["a=", "b=", "skip label", "backward b"],
    ),
]


@pytest.mark.parametrize(("source", "expected"), STATEMENTS, ids=[s for s, _ in STATEMENTS])
def test_statements_parse_to_their_tree(source: str, expected: list[object]) -> None:
    assert shape(parse(source).body) == expected


def test_inputs_are_names_read_before_assignment() -> None:
    program = parse("x = x / 2\ny = x + z\ndef f(a):\n    return a * w\nq = f(y)")
    assert list(program.inputs) == ["x", "z", "w"]
    declared = parse("a = Value(-4.0)\nb = torch.tensor(2.0, requires_grad=True)\nc = a*b")
    assert declared.declared == {"a": -4.0, "b": 2.0}


ERRORS = [
    ("if x > 0\n    y = x", "'if' needs a condition and a colon", ParseError),
    ("if x > 0: \ny = 1", "'if' needs an indented block", ParseError),
    ("while x\n  y = x", "'while' needs a condition and a colon", ParseError),
    ("for i range(3):\n    y = i", "'for' needs a variable, 'in'", ParseError),
    ("def f:\n    return 1", "'def' needs a name, parameters", ParseError),
    ("else:\n    y = 1", "'else' without an 'if'", ParseError),
    ("return x", "'return' outside a function", ParseError),
    ("break", "'break' outside a loop", ParseError),
    ("y = x\n  z = y", "unexpected indentation", ParseError),
    ("class A:\n    pass", "adtrace doesn't support 'class'", UnsupportedError),
    ("f = lambda x: x", "adtrace doesn't support 'lambda'", UnsupportedError),
    ("with open(x) as f:\n    pass", "adtrace doesn't support 'with'", UnsupportedError),
    ("try:\n    y = x\nexcept:\n    y = 0", "adtrace doesn't support 'try'", UnsupportedError),
    ("import os", "adtrace doesn't support importing os", UnsupportedError),
    ("y = x if x > 0", "needs 'else'", ParseError),
    ("a, b = x, y", "adtrace doesn't support assigning several names", UnsupportedError),
    ("x[0] = y", "adtrace doesn't support assigning into an array", UnsupportedError),
    ("y = 'text' + x", "adtrace doesn't support strings", UnsupportedError),
    ("y = Value(x)", "Value(2.0) declares an input", UnsupportedError),
    ("y = x.frobnicate()", "unknown method '.frobnicate()'", AdtraceError),
    ("y = sin(x, x) if x > 0 else x", "sin takes 1 argument", AdtraceError),
]


@pytest.mark.parametrize(("source", "message", "kind"), ERRORS, ids=[s for s, _, _ in ERRORS])
def test_misplaced_keywords_and_unsupported_constructs(source: str, message: str, kind: type[Exception]) -> None:
    with pytest.raises(kind) as info:
        parse(source)
    assert message in str(info.value)
    assert "to multiply" not in str(info.value)


RUN_ERRORS = [
    ("def f(a):\n    return a\ny = f(x, x)", "f takes 1 argument, got 2"),
    ("if x > 5:\n    y = x\nz = y * x", "'y' is used before it is assigned on the path this run took"),
    ("n = x / 3\nfor i in range(n):\n    y = x", "range needs whole numbers"),
    ("y = x\nwhile x > 0:\n    pass", "ran more than 100 iterations"),
    ("def f(a):\n    return f(a)\ny = f(x)", "recursion too deep"),
    ("y = x\nfor i in range(1000):\n    y = y * x", "more than 100 nodes"),
    ("if x > 0:\n    y = x\nelse:\n    y = -x", None),
]


@pytest.mark.parametrize(("source", "message"), RUN_ERRORS, ids=[s for s, _ in RUN_ERRORS])
def test_run_errors_through_the_cli(runner: CliRunner, source: str, message: str | None) -> None:
    result = runner.invoke(
        main, [source, "x=1", "--max-iterations", "100", "--max-depth", "20", "--max-nodes", "100", "--format", "json"]
    )
    if message is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert "^" in result.output  # the caret under the place


CLI_ERRORS = [e for e in ERRORS if e[0] not in ("y = x\n  z = y", "a, b = x, y")]
"""(Those two are straight lines, which the fast path lowers leniently: indentation is ignored, and the
comma is reported as unexpected.)"""


@pytest.mark.parametrize(("source", "message", "kind"), CLI_ERRORS, ids=[s for s, _, _ in CLI_ERRORS])
def test_parse_errors_through_the_cli(runner: CliRunner, source: str, message: str, kind: type[Exception]) -> None:
    result = runner.invoke(main, [source, "x=1", "y=2"])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_symbolic_trace_of_a_value_dependent_branch_is_refused() -> None:
    from adtrace import trace

    with pytest.raises(ControlFlowError, match="'x > 0' depends on x, which has no value"):
        trace("if x > 0:\n    y = x\nelse:\n    y = -x")
    symbolic = trace("def sq(a):\n    return a * a\ny = sq(x) + x.exp()")  # no branch: symbolic is fine
    assert symbolic.symbolic_only


def test_limits_are_errors_from_the_api() -> None:
    from adtrace import trace

    with pytest.raises(LimitError, match="--max-iterations"):
        trace("while x > 0:\n    x = x + 1", x=1, max_iterations=50)
    with pytest.raises(LimitError, match="--max-nodes"):
        trace("y = " + " + ".join(["x"] * 50), x=1, max_nodes=10)


_WORDS = [
    "x", "y", "v", "f", "1", "2.5", "0", "+", "-", "*", "/", "**", "//", "%", "(", ")", "[", "]", ",", ":", ".",
    "=", "+=", "==", "<", ">=", "!=", "\n", "\n    ", "\n        ", ";", "if", "elif", "else", "while", "for", "in",
    "range", "def", "return", "break", "continue", "and", "or", "not", "True", "pass", "sin", "relu", "Value",
    "print", "import", "math", "np", "'s'", "#", "lambda", "class", "e", "pi",
]  # fmt: skip


@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=25), st.floats(-3, 3))
@settings(max_examples=3000, deadline=None)
def test_token_soup_never_crashes(words: list[str], x: float) -> None:
    """Any text made of the subset's words either traces or is an AdtraceError: no other exception,
    no hang (the limits stop loops)."""
    from adtrace import trace

    source = " ".join(words)
    with contextlib.suppress(AdtraceError):
        trace(source, {"x": x, "y": 1.5, "v": 0.5, "f": 2.0}, max_iterations=50, max_nodes=2000, max_depth=10)
