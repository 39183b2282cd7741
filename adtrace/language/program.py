"""Tokens → a statement tree for adtrace's Python subset: blocks by indentation, `def`, loops, branches.

Straight-line programs never come here: `engine.tape.build` lowers them straight from the Pratt parser
(parser.py), the fast path. A program that uses a keyword or Python-only punctuation (`:`, `.`, `+=`,
`==`, …) is parsed here into statements whose expressions keep token indices (like the fast path's
builder calls), and `engine.interpreter` runs them, recording the tape as it goes.

The meaning is Python's: `**` binds tighter than a prefix minus, comparisons chain, `and`/`or`
short-circuit. `^` keeps adtrace's meaning (a power), as everywhere in adtrace.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import AdtraceError, ArityError, NameResolutionError, ParseError, UnsupportedError
from ..primitives import CONSTANTS, FUNCTIONS, INFIX, PREFIX, Primitive
from .lexer import ARRAY_FUNCTIONS, KEYWORDS, Locator, Tokens, bad_character, describe

# -- the tree -------------------------------------------------------------------------------------------
# Expressions and statements are named tuples with token indices (`first`, `last`, or `tok`), which a
# Locator turns into spans for errors and lines.


class Num(NamedTuple):
    value: float
    text: str
    tok: int


class Name(NamedTuple):
    name: str
    tok: int


class Bool(NamedTuple):
    value: bool
    tok: int


class Op(NamedTuple):
    """A primitive applied to its arguments (an operator, a function, a method or a math./np. call)."""

    prim: Primitive
    args: tuple[Expr, ...]
    first: int
    last: int


class Call(NamedTuple):
    """A call of a function the program defines."""

    function: str
    args: tuple[Expr, ...]
    first: int
    last: int


class Declare(NamedTuple):
    """`Value(-4.0)` or `torch.tensor(2.0, requires_grad=True)`: an input, named by its assignment."""

    value: float
    first: int
    last: int


class Compare(NamedTuple):
    """`a < b <= c`: operands and the operators between them (chained, as in Python)."""

    ops: tuple[str, ...]
    operands: tuple[Expr, ...]
    first: int
    last: int


class Logic(NamedTuple):
    """`a and b`, `a or b` (short-circuit), `not a` (one operand)."""

    op: str
    operands: tuple[Expr, ...]
    first: int
    last: int


class IfExp(NamedTuple):
    """`a if c else b`."""

    then: Expr
    cond: Expr
    orelse: Expr
    first: int
    last: int


class List(NamedTuple):
    """`[a, b, c]` (or a tuple `(a, b)`): what a `for` loop iterates over, or an array literal (numpy's
    meaning: `[a, b] + [c]` adds elementwise)."""

    items: tuple[Expr, ...]
    first: int
    last: int


class ArrayCall(NamedTuple):
    """An operation with numpy's meaning on arrays: `sum(x)`, `x.mean(axis=0)`, `W @ x` (matmul), `W.T`
    (transpose), `np.dot(a, b)`, `len(x)`, `x.shape`; a method's receiver is its first argument."""

    name: str
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...]
    first: int
    last: int


class Slice(NamedTuple):
    """`start:stop:step` inside `[ ]`, each part optional."""

    start: Expr | None
    stop: Expr | None
    step: Expr | None
    first: int
    last: int


class Index(NamedTuple):
    """`x[0]`, `x[1:]`, `W[i, j]`, `W[:, 0]`: numpy's basic indexing."""

    value: Expr
    items: tuple[Expr | Slice, ...]
    first: int
    last: int


Expr = Num | Name | Bool | Op | Call | Declare | Compare | Logic | IfExp | List | ArrayCall | Index


class Assign(NamedTuple):
    targets: tuple[tuple[str, int], ...]
    """`a = b = expr`: every target name with its token, left to right."""
    value: Expr
    first: int
    last: int


class AugAssign(NamedTuple):
    target: str
    tok: int
    prim: Primitive
    value: Expr
    first: int
    last: int


class ExprStmt(NamedTuple):
    value: Expr
    first: int
    last: int


class If(NamedTuple):
    branches: tuple[tuple[Expr | None, tuple[Stmt, ...], int], ...]
    """(condition, body, keyword token) for `if`, each `elif`, and `else` (condition None)."""


class While(NamedTuple):
    cond: Expr
    body: tuple[Stmt, ...]
    tok: int


class For(NamedTuple):
    var: str
    var_tok: int
    iterable: Expr
    body: tuple[Stmt, ...]
    tok: int


class Jump(NamedTuple):
    """`break` or `continue`."""

    kind: str
    tok: int


class Return(NamedTuple):
    value: Expr | None
    tok: int
    last: int


class Def(NamedTuple):
    name: str
    params: tuple[tuple[str, int], ...]
    body: tuple[Stmt, ...]
    tok: int


class Skip(NamedTuple):
    """A line adtrace skips with a note (an import, a print, a read of .data or .grad)."""

    note: str
    tok: int


class Backward(NamedTuple):
    """`g.backward()`: g is the output."""

    name: str
    tok: int


Stmt = Assign | AugAssign | ExprStmt | If | While | For | Jump | Return | Def | Skip | Backward


class Program(NamedTuple):
    source: str
    body: tuple[Stmt, ...]
    inputs: dict[str, int]
    """Names read before they are assigned (the inputs), in order of appearance, with their first token."""
    declared: dict[str, float]
    """Inputs declared with their value (`a = Value(-4.0)`)."""
    notes: tuple[str, ...]
    """Skipped lines and shadowed constants, said once each."""
    arrays: bool = False
    """Whether the program uses array syntax (indexing, `@`, an array function, an array literal): it is run
    on the array tape (engine/arrays)."""


# -- the language ---------------------------------------------------------------------------------------

UNSUPPORTED = frozenset(
    "class lambda with try except finally raise global nonlocal del assert async await yield None is as".split()
)
"""Python keywords for constructs adtrace does not run: each is an error saying so, not a syntax error."""
MODULES = frozenset(("math", "numpy", "torch", "micrograd", "autograd"))
"""Imports of these (and their submodules) are skipped with a note; any other import is an error."""
_PREFIXES = frozenset(("math", "np", "numpy", "torch", "F", "nn", "functional", "anp", "jnp", "autograd"))
_CALL_WORDS = frozenset(("Value", "tensor"))
_AUGMENTED = {"+=": "+", "-=": "-", "*=": "*", "/=": "/", "**=": "^", "//=": "//", "%=": "%"}
_COMPARE = frozenset(("<", "<=", ">", ">=", "==", "!="))
_END = frozenset(("", "\n", ";", "DEDENT", "INDENT"))

# Binding powers as in the fast path (the primitives' printing precedences), with Python's lower levels.
_BINARY: dict[str, tuple[int, int, Primitive]] = {
    tok: (prim.code.arg_prec[0], prim.code.arg_prec[1], prim) for tok, prim in INFIX.items()
}
_BINARY["**"] = _BINARY["^"]
_NEG = PREFIX["-"]
_PREFIX_BP = _NEG.code.prec
_IFEXP_BP, _OR_BP, _AND_BP, _NOT_BP, _CMP_BP = 1, 2, 3, 4, 5
MAX_NESTING = 2000


class _Line(NamedTuple):
    indent: int
    first: int
    """Token index of the line's first token."""
    tokens: list[int]
    """Token indices of the logical line (newlines inside brackets dropped)."""


def parse_program(source: str, tokens: Tokens, locator: Locator) -> Program:
    """Parse a program of the Python subset (see the module's docstring); errors have a caret."""
    return _Parser(source, tokens, locator).program()


class _Parser:
    def __init__(self, source: str, tokens: Tokens, locator: Locator):
        self.source = source
        self.texts, self.kinds = tokens
        self.locate = locator
        self.stream: list[int] = []
        """The tokens of the line being parsed, then a sentinel: the index of its end token."""
        self.pos = 0
        self.notes: list[str] = []
        self.aliases: set[str] = set()
        """Names that imports bound to a module (np, F, …): a call through them is a primitive."""
        self.imported: set[str] = set()
        """Names imported from a module (Value, grad, exp, …)."""
        self.functions: set[str] = set()
        self.depth = 0
        self.arrays = False
        """Whether array syntax was met (Program.arrays)."""

    # -- errors --------------------------------------------------------------------------------------
    def error(self, message: str, first: int, last: int | None = None) -> ParseError:
        if self.kinds.get(self.texts[first]) == "bad":
            return bad_character(self.texts[first], self.locate.span(first), self.source)
        return ParseError(message, self.locate.span(first, last), self.source)

    def unsupported(self, what: str, tok: int, hint: str = "") -> UnsupportedError:
        return UnsupportedError(f"adtrace doesn't support {what}{hint}", self.locate.span(tok), self.source)

    def line_of(self, tok: int) -> int:
        return self.source.count("\n", 0, self.locate.span(tok).start) + 1

    # -- lines and blocks ----------------------------------------------------------------------------
    def lines(self) -> list[_Line]:
        texts = self.texts
        out: list[_Line] = []
        depth = 0
        current: list[int] = []
        for i, text in enumerate(texts):
            if text in ("(", "[", "{"):
                depth += 1
            elif text in (")", "]", "}"):
                depth = max(0, depth - 1)
            if (text == "\n" and depth == 0) or not text:
                if current:
                    out.append(_Line(self.locate.column(current[0]) - 1, current[0], current))
                current = []
                if not text:
                    break
            elif text != "\n":
                current.append(i)
        return out

    def program(self) -> Program:
        lines = self.lines()
        self.end_token = len(self.texts) - 1
        if not lines:
            raise ParseError("the program is empty: type something like 'x1*x2 + sin(x1)'", None, self.source)
        if lines[0].indent:
            raise self.error("unexpected indentation: the first line must start at the left margin", lines[0].first)
        body, at = self.block(lines, 0, 0, in_function=False, in_loop=False)
        assert at == len(lines)
        inputs, declared = _inputs(body)
        return Program(self.source, body, inputs, declared, tuple(dict.fromkeys(self.notes)), self.arrays)

    def block(
        self, lines: list[_Line], at: int, indent: int, *, in_function: bool, in_loop: bool
    ) -> tuple[tuple[Stmt, ...], int]:
        """Statements of lines[at:] indented exactly `indent`, up to the first line indented less."""
        body: list[Stmt] = []
        while at < len(lines):
            line = lines[at]
            if line.indent < indent:
                break
            if line.indent > indent:
                raise self.error("unexpected indentation: this line is indented more than the one before", line.first)
            at = self.line(lines, at, body, in_function=in_function, in_loop=in_loop)
        return tuple(body), at

    def body_of(
        self, header: str, lines: list[_Line], at: int, rest: list[int], *, in_function: bool, in_loop: bool
    ) -> tuple[tuple[Stmt, ...], int]:
        """The body after a header's colon: the rest of the line (`if x: y = 1`), or the lines indented
        deeper than the header's line."""
        if rest:
            body: list[Stmt] = []
            self.simple_line(rest, body, in_function=in_function, in_loop=in_loop)
            return tuple(body), at + 1
        here = lines[at]
        if at + 1 >= len(lines) or lines[at + 1].indent <= here.indent:
            colon = here.tokens[-1]
            raise self.error(f"'{header}' needs an indented block after its colon", colon)
        return self.block(lines, at + 1, lines[at + 1].indent, in_function=in_function, in_loop=in_loop)

    def line(self, lines: list[_Line], at: int, body: list[Stmt], *, in_function: bool, in_loop: bool) -> int:
        """Parse the line at `at` (and a compound statement's block); returns the next line's index."""
        toks = lines[at].tokens
        head = self.texts[toks[0]]
        flags = {"in_function": in_function, "in_loop": in_loop}
        if head in ("if", "while", "for", "def"):
            colon = self.header_colon(toks, head)
            header, rest = toks[: colon + 1], toks[colon + 1 :]
            if head == "if":
                return self.if_chain(lines, at, body, header, rest, **flags)
            if head == "while":
                cond = self.expression(header[1:-1], after="while", what="a condition")
                block, at = self.body_of("while", lines, at, rest, in_function=in_function, in_loop=True)
                body.append(While(cond, block, toks[0]))
                return at
            if head == "for":
                var, var_tok, iterable = self.for_header(header)
                block, at = self.body_of("for", lines, at, rest, in_function=in_function, in_loop=True)
                body.append(For(var, var_tok, iterable, block, toks[0]))
                return at
            name, params = self.def_header(header)
            if in_function or in_loop:
                raise self.unsupported("a 'def' inside a function or a loop", toks[0], ": define functions at the top")
            block, at = self.body_of("def", lines, at, rest, in_function=True, in_loop=False)
            if name in FUNCTIONS:  # def step(a): return …, as the adjoint program starts, for plain Python
                if not (
                    rest and len(block) == 1 and isinstance(block[0], Return) and len(params) == FUNCTIONS[name].arity
                ):
                    raise self.error(
                        f"can't define '{name}': it is a built-in function (only a one-line "
                        f"'def {name}(…): return …' with {FUNCTIONS[name].arity} parameter(s) is read, and skipped)",
                        header[1],
                    )
                self.notes.append(
                    f"line {self.line_of(toks[0])}: def {name} skipped: {name} is built into adtrace, which uses "
                    "its own (the line is there for plain Python)"
                )
                body.append(Skip("def", toks[0]))
                return at
            self.functions.add(name)
            body.append(Def(name, params, block, toks[0]))
            return at
        if head in ("elif", "else"):
            raise self.error(f"'{head}' without an 'if' before it at the same indentation", toks[0])
        self.simple_line(toks, body, in_function=in_function, in_loop=in_loop)
        return at + 1

    def header_colon(self, toks: list[int], head: str) -> int:
        """The position in `toks` of the colon that ends a header (`if x > 0:`), at bracket depth 0."""
        depth = 0
        for k, tok in enumerate(toks):
            text = self.texts[tok]
            if text in ("(", "[", "{"):
                depth += 1
            elif text in (")", "]", "}"):
                depth -= 1
            elif text == ":" and depth == 0:
                return k
        needs = {
            "if": "'if' needs a condition and a colon, as in 'if x > 0:'",
            "elif": "'elif' needs a condition and a colon, as in 'elif x > 0:'",
            "else": "'else' needs a colon: 'else:'",
            "while": "'while' needs a condition and a colon, as in 'while x > 0:'",
            "for": "'for' needs a variable, 'in', what to loop over and a colon, as in 'for i in range(3):'",
            "def": "'def' needs a name, parameters in parentheses and a colon, as in 'def f(x):'",
        }[head]
        raise self.error(needs, toks[-1] if len(toks) > 1 else toks[0])

    def if_chain(
        self,
        lines: list[_Line],
        at: int,
        body: list[Stmt],
        header: list[int],
        rest: list[int],
        *,
        in_function: bool,
        in_loop: bool,
    ) -> int:
        indent = lines[at].indent
        branches: list[tuple[Expr | None, tuple[Stmt, ...], int]] = []
        cond = self.expression(header[1:-1], after="if", what="a condition")
        block, at = self.body_of("if", lines, at, rest, in_function=in_function, in_loop=in_loop)
        branches.append((cond, block, header[0]))
        while at < len(lines) and lines[at].indent == indent and self.texts[lines[at].first] in ("elif", "else"):
            toks = lines[at].tokens
            word = self.texts[toks[0]]
            colon = self.header_colon(toks, word)
            header, rest = toks[: colon + 1], toks[colon + 1 :]
            if word == "else":
                if len(header) != 2:
                    raise self.error("'else' takes no condition: write 'else:' (or 'elif condition:')", header[1])
                block, at = self.body_of("else", lines, at, rest, in_function=in_function, in_loop=in_loop)
                branches.append((None, block, toks[0]))
                break
            cond = self.expression(header[1:-1], after="elif", what="a condition")
            block, at = self.body_of("elif", lines, at, rest, in_function=in_function, in_loop=in_loop)
            branches.append((cond, block, toks[0]))
        body.append(If(tuple(branches)))
        return at

    def for_header(self, header: list[int]) -> tuple[str, int, Expr]:
        texts = self.texts
        usage = "'for' needs a variable, 'in', what to loop over and a colon, as in 'for i in range(3):'"
        if len(header) < 2 or self.kinds[texts[header[1]]] != "name" or texts[header[1]] in KEYWORDS:
            raise self.error(usage, header[1] if len(header) > 1 else header[0])
        if texts[header[2]] == ",":
            raise self.unsupported(
                "a loop over several variables", header[2], ": loop over one, as in 'for v in [a, b]'"
            )
        if texts[header[2]] != "in":
            raise self.error(usage, header[2])
        arrays = self.arrays
        iterable = self.expression(header[3:-1], after="in", what="what to loop over")
        if isinstance(iterable, List) and not _array_syntax(iterable.items):
            self.arrays = arrays  # a list looped over is a list, not an array literal
        elif not (isinstance(iterable, Call) and iterable.function == "range"):
            if isinstance(iterable, (Num, Bool, Compare, Logic)):
                raise self.unsupported(
                    "this loop",
                    header[3],
                    ": loop over range(…), a list [a, b, c] or an array (the values must be known)",
                )
            self.arrays = True  # a loop over an array's elements or rows
        return texts[header[1]], header[1], iterable

    def def_header(self, header: list[int]) -> tuple[str, tuple[tuple[str, int], ...]]:
        texts = self.texts
        usage = "'def' needs a name, parameters in parentheses and a colon, as in 'def f(x):'"
        if len(header) < 4 or self.kinds[texts[header[1]]] != "name" or texts[header[2]] != "(":
            raise self.error(usage, header[1] if len(header) > 1 else header[0])
        name = texts[header[1]]
        if name in KEYWORDS:
            raise self.error(f"can't define '{name}': it is a keyword", header[1])
        if texts[header[-2]] != ")":
            raise self.error(usage, header[-2])
        params: list[tuple[str, int]] = []
        inner = header[3:-2]
        k = 0
        while k < len(inner):
            tok = inner[k]
            text = texts[tok]
            if text in ("*", "**") or (k + 1 < len(inner) and texts[inner[k + 1]] == "="):
                raise self.unsupported("default, * or ** parameters", tok)
            if self.kinds[text] != "name" or text in KEYWORDS:
                raise self.error(f"a parameter must be a name, found {describe(text)}", tok)
            if any(p == text for p, _ in params):
                raise self.error(f"the parameter '{text}' is listed twice", tok)
            params.append((text, tok))
            k += 1
            if k < len(inner):
                if texts[inner[k]] == ":":
                    raise self.unsupported("type annotations", inner[k])
                if texts[inner[k]] != ",":
                    raise self.error(f"expected ',' between parameters, found {describe(texts[inner[k]])}", inner[k])
                k += 1
        return name, tuple(params)

    # -- simple statements ---------------------------------------------------------------------------
    def simple_line(self, toks: list[int], body: list[Stmt], *, in_function: bool, in_loop: bool) -> None:
        """Statements separated by ';' on one logical line."""
        part: list[int] = []
        for tok in [*toks, -1]:
            if tok == -1 or self.texts[tok] == ";":
                if part:
                    stmt = self.simple(part, in_function=in_function, in_loop=in_loop)
                    if stmt is not None:
                        body.append(stmt)
                part = []
            else:
                part.append(tok)

    def simple(self, toks: list[int], *, in_function: bool, in_loop: bool) -> Stmt | None:
        texts = self.texts
        head = texts[toks[0]]
        first, last = toks[0], toks[-1]
        if head in ("if", "while", "for", "def", "elif", "else"):
            raise self.error(f"'{head}' must start its own line here", first)
        if head in ("import", "from"):
            return self.import_line(toks)
        if head == "pass":
            return None
        if head in ("break", "continue"):
            if len(toks) > 1:
                raise self.error(f"'{head}' takes nothing after it", toks[1])
            if not in_loop:
                raise self.error(f"'{head}' outside a loop: it can only be used inside 'for' or 'while'", first)
            return Jump(head, first)
        if head == "return":
            if not in_function:
                raise self.error("'return' outside a function: it can only be used inside 'def'", first)
            value = self.expression(toks[1:], after="return", what="a value") if len(toks) > 1 else None
            return Return(value, first, last)
        if head in UNSUPPORTED or head in ("in", "is"):
            raise self.unsupported(f"'{head}'", first)
        if head == "print" and len(toks) > 1 and texts[toks[1]] == "(":
            self.notes.append(f"line {self.line_of(first)}: print(…) skipped: the trace shows every value")
            return Skip("print", first)
        if (
            len(toks) >= 5
            and self.kinds[head] == "name"
            and texts[toks[1]] == "."
            and texts[toks[2]] == "backward"
            and texts[toks[3]] == "("
            and texts[toks[-1]] == ")"
        ):  # g.backward(), or with options (retain_graph=True): g is the output
            return Backward(head, first)
        if any(texts[t] == "." and texts[t + 1] in ("data", "grad") for t in toks):
            at = next(t for t in toks if texts[t] == "." and texts[t + 1] in ("data", "grad"))
            what = texts[at + 1]
            self.notes.append(f"line {self.line_of(first)}: a line reading .{what} skipped: the trace shows them")
            return Skip(what, first)
        if len(toks) > 1 and texts[toks[1]] == "@=":
            raise self.unsupported("'@='", toks[1], f": write {head} = {head} @ …")
        if len(toks) > 1 and texts[toks[1]] in _AUGMENTED:
            if self.kinds[head] != "name" or head in KEYWORDS:
                raise self.error(f"only a plain name can be updated with '{texts[toks[1]]}'", first)
            prim = _BINARY[_AUGMENTED[texts[toks[1]]]][2]
            value = self.expression(toks[2:], after=texts[toks[1]], what="an expression")
            self.check_target(head, first)
            return AugAssign(head, first, prim, value, first, last)
        # a = b = expr: split at each '=' at bracket depth 0
        pieces: list[list[int]] = [[]]
        depth = 0
        for tok in toks:
            text = texts[tok]
            if text in ("(", "[", "{"):
                depth += 1
            elif text in (")", "]", "}"):
                depth -= 1
            if text == "=" and depth == 0:
                pieces.append([])
            else:
                pieces[-1].append(tok)
        if len(pieces) == 1 and len(toks) == 1 and self.kinds[head] == "str":
            return None  # a docstring
        if len(pieces) == 1:
            return ExprStmt(self.expression(toks, after=None, what="an expression"), first, last)
        targets: list[tuple[str, int]] = []
        target = pieces[0]
        if len(pieces) == 2 and len(target) == 3 and texts[target[1]] == "." and self.kinds[texts[target[2]]] == "name":
            what = texts[target[2]]  # n.label = 'n': an attribute of the object, nothing to differentiate
            self.notes.append(f"line {self.line_of(first)}: setting .{what} skipped: it is not part of the computation")
            return Skip(what, first)
        for piece in pieces[:-1]:
            if not piece:
                raise self.error("expected a name before '='", first)
            name = texts[piece[0]]
            if len(piece) > 1 and texts[piece[1]] == ",":
                raise self.unsupported("assigning several names at once", piece[1], ": assign each on its own")
            if len(piece) > 1 and texts[piece[1]] == ":":
                raise self.unsupported("type annotations", piece[1])
            if len(piece) > 1 and texts[piece[1]] == "[":
                raise self.unsupported(
                    "assigning into an array",
                    piece[1],
                    ": make a new one instead (concatenate, stack, or + on a slice)",
                )
            if len(piece) != 1 or self.kinds[name] != "name" or name in KEYWORDS:
                if name in KEYWORDS:
                    raise self.error(f"can't assign to '{name}': it is a keyword", piece[0])
                raise self.error("only a plain name can be assigned, as in 'a = x*y'", piece[0], piece[-1])
            self.check_target(name, piece[0])
            targets.append((name, piece[0]))
        if not pieces[-1]:
            raise self.error(f"expected an expression after '{targets[-1][0]} ='", last)
        value = self.expression(pieces[-1], after="=", what="an expression")
        return Assign(tuple(targets), value, first, last)

    def check_target(self, name: str, tok: int) -> None:
        if name in FUNCTIONS:
            raise self.error(f"can't assign to '{name}': it is a built-in function", tok)
        if name in CONSTANTS:
            self.notes.append(
                f"'{name}' is a variable from line {self.line_of(tok)} on: it no longer means the constant"
            )

    def import_line(self, toks: list[int]) -> Skip:
        texts = self.texts
        head = texts[toks[0]]
        # the modules named: 'import a.b as c, d' or 'from a.b import x, y as z'
        k = 1
        module: list[str] = []
        while k < len(toks) and (self.kinds[texts[toks[k]]] == "name" or texts[toks[k]] == "."):
            if texts[toks[k]] in ("import", "as") or (texts[toks[k]] == "," and head == "import"):
                break
            module.append(texts[toks[k]])
            k += 1
        if not module:
            raise self.error(f"'{head}' needs a module name", toks[min(1, len(toks) - 1)])
        root = module[0]
        if root not in MODULES:
            dotted = "".join(module)
            raise UnsupportedError(
                f"adtrace doesn't support importing {dotted}: only math, numpy, torch, micrograd and autograd "
                "imports are skipped (their functions are built in)",
                self.locate.span(toks[1], toks[k - 1]),
                self.source,
            )
        names = [texts[t] for t in toks[k:] if self.kinds[texts[t]] == "name" and texts[t] not in ("import", "as")]
        if head == "import":
            self.aliases.update(names[-1:] if "as" in (texts[t] for t in toks) else [root])
            self.aliases.add(root)
        else:
            self.imported.update(names)
        self.notes.append(
            f"line {self.line_of(toks[0])}: '{head} {''.join(module)} …' skipped: adtrace needs no imports"
        )
        return Skip("import", toks[0])

    # -- expressions ---------------------------------------------------------------------------------
    def expression(self, toks: list[int], *, after: str | None, what: str) -> Expr:
        """Exactly one expression made of `toks` (a part of a line)."""
        if not toks:
            raise self.error(f"expected {what} after '{after}'", self.end_token)
        self.stream = [*toks, self.end_of(toks[-1])]
        self.pos = 0
        expr = self.expr(0)
        if self.pos < len(toks):
            raise self.unexpected()
        return expr

    def end_of(self, last: int) -> int:
        """The token after `last` (an error at the end of a part points just past it)."""
        return min(last + 1, self.end_token)

    @property
    def text(self) -> str:
        if self.pos >= len(self.stream) - 1:
            return ""
        return self.texts[self.stream[self.pos]]

    @property
    def tok(self) -> int:
        return self.stream[min(self.pos, len(self.stream) - 1)]

    def unexpected(self) -> AdtraceError:
        text = self.text
        if text == ")":
            return self.error("unmatched ')': there is no '(' for it to close", self.tok)
        if text == "=":
            return self.error(
                "unexpected '=': only a plain name can be assigned, as in 'a = x*y' (== compares)", self.tok
            )
        if text in KEYWORDS:
            if text in UNSUPPORTED:
                return self.unsupported(f"'{text}'", self.tok)
            if text == "if":
                return self.error("'if' here needs 'else': write 'a if condition else b'", self.tok)
            return self.error(f"unexpected keyword '{text}' here", self.tok)
        previous = self.texts[self.stream[self.pos - 1]] if self.pos else ""
        if (self.kinds.get(text) in ("name", "num") or text == "(") and previous not in KEYWORDS:
            return self.error(
                f"missing operator before {describe(text)}: write '{previous}*{text}' to multiply", self.tok
            )
        return self.error(f"unexpected {describe(text)}", self.tok)

    def expr(self, min_bp: int) -> Expr:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"the expression is nested too deeply (more than {MAX_NESTING} levels)", self.tok)
        first = self.tok
        lhs = self.prefix()
        while True:
            text = self.text
            if text == "if" and min_bp <= _IFEXP_BP:
                self.pos += 1
                cond = self.expr(_IFEXP_BP + 1)
                if self.text != "else":
                    raise self.error("'a if condition' needs 'else': write 'a if condition else b'", self.tok)
                self.pos += 1
                orelse = self.expr(_IFEXP_BP)
                lhs = IfExp(lhs, cond, orelse, first, self.stream[self.pos - 1])
                continue
            if text in ("or", "and"):
                bp = _OR_BP if text == "or" else _AND_BP
                if bp < min_bp:
                    break
                self.pos += 1
                rhs = self.operand(bp + 1, text)
                lhs = Logic(text, (lhs, rhs), first, self.stream[self.pos - 1])
                continue
            if text in _COMPARE or text in ("in", "is") or (text == "not" and self.peek() == "in"):
                if min_bp > _CMP_BP:
                    break
                ops: list[str] = []
                operands = [lhs]
                while self.text in _COMPARE or self.text in ("in", "is", "not"):
                    if self.text in ("in", "is", "not"):
                        raise self.unsupported(f"'{self.text}' in a comparison", self.tok, ": use < <= > >= == !=")
                    ops.append(self.text)
                    self.pos += 1
                    operands.append(self.operand(_CMP_BP + 1, ops[-1]))
                lhs = Compare(tuple(ops), tuple(operands), first, self.stream[self.pos - 1])
                continue
            binary = _BINARY.get(text)
            if text == "@":  # matmul binds as * does, as in Python
                binary = _BINARY["*"]
            if binary is None or binary[0] < min_bp:
                break
            self.pos += 1
            rhs = self.operand(binary[1], text)
            if text == "@":
                self.arrays = True
                lhs = ArrayCall("matmul", (lhs, rhs), (), first, self.stream[self.pos - 1])
            else:
                lhs = Op(binary[2], (lhs, rhs), first, self.stream[self.pos - 1])
        self.depth -= 1
        return lhs

    def peek(self) -> str:
        k = self.pos + 1
        return self.texts[self.stream[k]] if k < len(self.stream) - 1 else ""

    def operand(self, bp: int, after: str) -> Expr:
        if not self.text or self.text in (")", ",", "]", ":", "="):
            raise self.error(f"expected an operand after '{after}', found {describe(self.text)}", self.tok)
        return self.expr(bp)

    def prefix(self) -> Expr:
        text = self.text
        first = self.tok
        kind = self.kinds.get(text, "eof")
        if text in ("-", "+"):
            self.pos += 1
            arg = self.operand(_PREFIX_BP, text)
            return self.postfix(Op(_NEG, (arg,), first, self.stream[self.pos - 1]) if text == "-" else arg, first)
        if text == "not":
            self.pos += 1
            arg = self.operand(_NOT_BP, "not")
            return Logic("not", (arg,), first, self.stream[self.pos - 1])
        if kind == "num":
            self.pos += 1
            value = float(text)
            if value == float("inf"):
                raise self.error(
                    f"the number {text} is too large for a floating-point number (max about 1.8e308)", first
                )
            return self.postfix(Num(value, text, first), first)
        if kind == "str":
            raise self.unsupported("strings in a calculation", first)
        if text == "(":
            self.pos += 1
            if self.text == ")":
                raise self.error("empty parentheses: put an expression inside", self.tok)
            inner = self.operand(0, "(")
            if self.text == ",":  # a tuple: numpy reads it as it reads a list
                parts = [inner]
                while self.text == ",":
                    self.pos += 1
                    if self.text == ")":
                        break
                    parts.append(self.operand(0, ","))
                if self.text != ")":
                    raise self.error(f"expected ',' or ')' in the tuple, found {describe(self.text)}", self.tok)
                self.pos += 1
                self.arrays = True
                return self.postfix(List(tuple(parts), first, self.stream[self.pos - 1]), first)
            if self.text != ")":
                col = self.locate.column(first)
                raise self.error(
                    f"expected ')' to close the '(' at column {col}, found {describe(self.text)}", self.tok
                )
            self.pos += 1
            return self.postfix(inner, first)
        if text == "[":
            self.pos += 1
            items: list[Expr] = []
            while self.text != "]":
                items.append(self.operand(0, "["))
                if self.text == ",":
                    self.pos += 1
                elif self.text != "]":
                    raise self.error(f"expected ',' or ']' in the list, found {describe(self.text)}", self.tok)
            self.pos += 1
            self.arrays = True
            return self.postfix(List(tuple(items), first, self.stream[self.pos - 1]), first)
        if kind == "name":
            if text in ("True", "False"):
                self.pos += 1
                return Bool(text == "True", first)
            if text in UNSUPPORTED:
                raise self.unsupported(f"'{text}'", first)
            if text in KEYWORDS:
                raise self.error(f"'{text}' is a keyword: it can't be used as a value here", first)
            return self.postfix(self.name_or_call(), first)
        if not text:
            raise self.error("expected a number, a name or '(', found the end of the line", self.tok)
        after = f" after '{self.texts[self.stream[self.pos - 1]]}'" if self.pos else ""
        raise self.error(f"expected a number, a name or '('{after}, found {describe(text)}", first)

    def name_or_call(self) -> Expr:
        """A name, a dotted name through a module (`math.exp`, `torch.tensor`), and a call of either."""
        first = self.tok
        parts = [self.text]
        self.pos += 1
        while (
            self.text == "."
            and (parts[0] in _PREFIXES or parts[0] in self.aliases or parts[0] in MODULES)
            and self.kinds.get(self.peek()) == "name"
        ):
            self.pos += 1
            parts.append(self.text)
            self.pos += 1
        dotted = len(parts) > 1
        name = parts[-1]
        if dotted and self.text != "(":
            if name in CONSTANTS:
                return Num(CONSTANTS[name], name, self.stream[self.pos - 1])
            raise self.unsupported(f"'{'.'.join(parts)}'", first, ": only function calls and pi, e go through a module")
        if self.text != "(":
            if name in FUNCTIONS:
                raise self.error(f"'{name}' is a function: write {name}(…) with its argument in parentheses", first)
            return Name(name, first)
        args, kwargs, last = self.arguments(name, keep=name not in _CALL_WORDS)
        if name in _CALL_WORDS:
            return self.declare(name, args, [(k, t) for k, t, _ in kwargs], first, last)
        if (name in ARRAY_FUNCTIONS or (name in ("max", "min") and (len(args) == 1 or kwargs))) and (
            dotted or name not in self.functions
        ):
            self.arrays = True
            return ArrayCall(name, tuple(args), tuple((k, v) for k, _, v in kwargs), first, last)
        if name == "range" and not dotted:
            if not 1 <= len(args) <= 3:
                raise ArityError(
                    f"range takes 1 to 3 arguments, got {len(args)}", self.locate.span(first, last), self.source
                )
            return Call("range", tuple(args), first, last)
        if kwargs:
            raise self.unsupported("keyword arguments", kwargs[0][1])
        if name == "linalg" and dotted:
            raise NameResolutionError("unknown function 'np.linalg'", self.locate.span(first), self.source)
        if not dotted and name in self.functions:
            return Call(name, tuple(args), first, last)
        prim = FUNCTIONS.get(name) or FUNCTIONS.get(_SYNONYMS.get(name, ""))
        if prim is None:
            if not dotted:
                return Call(name, tuple(args), first, last)  # defined later, or an error when it is called
            raise NameResolutionError(f"unknown function '{'.'.join(parts)}'", self.locate.span(first), self.source)
        if name == "pow" and len(args) == 2:
            return Op(prim, tuple(args), first, last)
        if len(args) != prim.arity:
            plural = "s" if prim.arity != 1 else ""
            raise ArityError(
                f"{name} takes {prim.arity} argument{plural}, got {len(args)}",
                self.locate.span(first, last),
                self.source,
            )
        return Op(prim, tuple(args), first, last)

    def arguments(self, name: str, keep: bool = True) -> tuple[list[Expr], list[tuple[str, int, Expr]], int]:
        """A call's arguments, positional and keyword (`keep`: parse a keyword's value; a declaration's,
        requires_grad=True or label='a', is skipped)."""
        open_at = self.tok
        self.pos += 1
        args: list[Expr] = []
        kwargs: list[tuple[str, int, Expr]] = []
        while self.text != ")":
            if self.kinds.get(self.text) == "name" and self.peek() == "=":
                word, at = self.text, self.tok
                self.pos += 2
                if keep:
                    kwargs.append((word, at, self.operand(0, "=")))
                else:
                    kwargs.append((word, at, Bool(True, at)))
                    self.skip_argument()
            else:
                args.append(self.operand(0, "("))
            if self.text == ",":
                self.pos += 1
            elif self.text != ")":
                col = self.locate.column(open_at)
                raise self.error(
                    f"expected ')' to close the call of {name}(…) at column {col}, found {describe(self.text)}",
                    self.tok,
                )
        self.pos += 1
        return args, kwargs, self.stream[self.pos - 1]

    def skip_argument(self) -> None:
        """Step over a keyword argument's value (requires_grad=True, label='a'): only declarations take
        them, and ignore them."""
        depth = 0
        while self.text and not (depth == 0 and self.text in (",", ")")):
            if self.text in ("(", "[", "{"):
                depth += 1
            elif self.text in (")", "]", "}"):
                depth -= 1
            self.pos += 1

    def declare(self, word: str, args: list[Expr], kwargs: list[tuple[str, int]], first: int, last: int) -> Declare:
        usage = (
            "Value(2.0) declares an input with its value: write a number in it"
            if word == "Value"
            else "torch.tensor(2.0, requires_grad=True) declares an input with its value: write a number in it"
        )
        value: float | None = None
        if len(args) == 1:
            arg = args[0]
            if isinstance(arg, Num):
                value = arg.value
            elif isinstance(arg, Op) and arg.prim is _NEG and isinstance(arg.args[0], Num):
                value = -arg.args[0].value
        if value is None:
            raise UnsupportedError(usage, self.locate.span(first, last), self.source)
        return Declare(value, first, last)

    def postfix(self, expr: Expr, first: int) -> Expr:
        """Method calls on a value (`x.relu()`, `(b + a).tanh()`, `x.sum(axis=0)`), an array's attributes
        (`W.T`, `x.shape`) and indexing (`x[0]`, `W[:, 1:]`)."""
        while self.text in (".", "["):
            if self.text == "[":
                expr = self.index(expr, first)
                continue
            self.pos += 1
            method = self.text
            if self.kinds.get(method) != "name":
                raise self.error(f"expected a method name after '.', found {describe(method)}", self.tok)
            self.pos += 1
            if method in ("data", "grad", "item"):
                raise self.unsupported(f"'.{method}' in a calculation", self.stream[self.pos - 1])
            if self.text != "(":
                if method in _ATTRIBUTES:
                    self.arrays = True
                    expr = ArrayCall(_ATTRIBUTES[method], (expr,), (), first, self.stream[self.pos - 1])
                    continue
                raise self.unsupported(
                    f"the attribute '.{method}'", self.stream[self.pos - 1], ": call a method, x.exp()"
                )
            args, kwargs, last = self.arguments(method)
            prim = FUNCTIONS.get(method) or FUNCTIONS.get(_SYNONYMS.get(method, ""))
            if method in ARRAY_METHODS and (kwargs or prim is None or len(args) + 1 != prim.arity):
                self.arrays = True
                expr = ArrayCall(method, (expr, *args), tuple((k, v) for k, _, v in kwargs), first, last)
                continue
            if kwargs:
                raise self.unsupported("keyword arguments", kwargs[0][1])
            if prim is None:
                raise NameResolutionError(f"unknown method '.{method}()'", self.locate.span(first, last), self.source)
            if len(args) + 1 != prim.arity:
                plural = "s" if prim.arity - 1 != 1 else ""
                raise ArityError(
                    f".{method}() takes {prim.arity - 1} argument{plural}, got {len(args)}",
                    self.locate.span(first, last),
                    self.source,
                )
            expr = Op(prim, (expr, *args), first, last)
        if self.text == "(" and isinstance(expr, Name):
            raise self.error(f"missing operator before '(': write '{expr.name}*(' to multiply", self.tok)
        return expr

    def index(self, value: Expr, first: int) -> Index:
        """`value[item, …]`, each item an expression or a slice `start:stop:step`."""
        open_at = self.tok
        self.pos += 1
        items: list[Expr | Slice] = []
        while True:
            start = self.tok
            parts: list[Expr | None] = [None]
            colons = 0
            while True:
                if self.text not in (":", ",", "]"):
                    parts[-1] = self.operand(0, "[")
                if self.text == ":" and colons < 2:
                    colons += 1
                    parts.append(None)
                    self.pos += 1
                    continue
                break
            if colons:
                parts += [None] * (3 - len(parts))
                items.append(Slice(parts[0], parts[1], parts[2], start, self.stream[self.pos - 1]))
            elif parts[0] is None:
                raise self.error(f"expected an index inside '[ ]', found {describe(self.text)}", self.tok)
            else:
                items.append(parts[0])
            if self.text == ",":
                self.pos += 1
                continue
            if self.text != "]":
                col = self.locate.column(open_at)
                raise self.error(
                    f"expected ']' to close the '[' at column {col}, found {describe(self.text)}", self.tok
                )
            self.pos += 1
            break
        self.arrays = True
        return Index(value, tuple(items), first, self.stream[self.pos - 1])


_ATTRIBUTES = {"T": "transpose", "shape": "shape", "size": "size", "ndim": "ndim"}
"""An array's attributes (no call): `W.T` is its transpose."""
ARRAY_METHODS = frozenset("sum mean prod max min dot matmul reshape transpose flatten".split())
"""Methods with numpy's meaning (`x.sum()`, `x.dot(y)`); `x.max(y)` of two values stays the scalar max."""


def _array_syntax(items: tuple[Expr, ...]) -> bool:
    """Whether any of a list's items is itself array syntax (a list of lists is a matrix)."""
    return any(isinstance(item, (List, ArrayCall, Index)) for item in items)


_SYNONYMS = {"fabs": "abs", "maximum": "max", "minimum": "min", "power": "pow", "arctan": "atan", "absolute": "abs"}
"""numpy and torch spellings of adtrace's functions."""


# -- inputs ---------------------------------------------------------------------------------------------


def _inputs(body: tuple[Stmt, ...]) -> tuple[dict[str, int], dict[str, float]]:
    """Names read before they are assigned, in order of appearance (a function's free names count when no
    top-level statement assigns them), and the inputs declared with a value (`a = Value(-4.0)`)."""
    inputs: dict[str, int] = {}
    declared: dict[str, float] = {}
    functions = {stmt.name for stmt in body if isinstance(stmt, Def)}
    bound: set[str] = set(functions)
    deferred: list[tuple[str, int]] = []

    def reads(expr: Expr, local: set[str] | None) -> None:
        stack: list[Expr] = [expr]
        while stack:
            item = stack.pop()
            if isinstance(item, Name):
                name = item.name
                if (local is not None and name in local) or name in functions:
                    continue
                if local is not None:
                    deferred.append((name, item.tok))
                elif name not in bound and name not in inputs and name not in CONSTANTS:
                    inputs[name] = item.tok
            elif isinstance(item, (Op, Call, List)):
                stack.extend(reversed(item.args if not isinstance(item, List) else item.items))
            elif isinstance(item, ArrayCall):
                stack.extend(reversed([*item.args, *(v for _, v in item.kwargs)]))
            elif isinstance(item, Index):
                parts: list[Expr | None] = [item.value]
                for part in item.items:
                    parts += [part.start, part.stop, part.step] if isinstance(part, Slice) else [part]
                stack.extend(reversed([p for p in parts if p is not None]))
            elif isinstance(item, (Compare, Logic)):
                stack.extend(reversed(item.operands))
            elif isinstance(item, IfExp):
                stack.extend((item.orelse, item.then, item.cond))

    def walk(stmts: tuple[Stmt, ...], local: set[str] | None) -> None:
        for stmt in stmts:
            if isinstance(stmt, Assign):
                if isinstance(stmt.value, Declare) and local is None:
                    for name, tok in stmt.targets:
                        if name not in bound and name not in inputs:
                            inputs[name] = tok
                            declared[name] = stmt.value.value
                else:
                    reads(stmt.value, local)
                    (local if local is not None else bound).update(n for n, _ in stmt.targets)
            elif isinstance(stmt, AugAssign):
                reads(Name(stmt.target, stmt.tok), local)
                reads(stmt.value, local)
                (local if local is not None else bound).add(stmt.target)
            elif isinstance(stmt, ExprStmt):
                reads(stmt.value, local)
            elif isinstance(stmt, Return):
                if stmt.value is not None:
                    reads(stmt.value, local)
            elif isinstance(stmt, If):
                for cond, block, _ in stmt.branches:
                    if cond is not None:
                        reads(cond, local)
                    walk(block, local)
            elif isinstance(stmt, While):
                reads(stmt.cond, local)
                walk(stmt.body, local)
            elif isinstance(stmt, For):
                reads(stmt.iterable, local)
                (local if local is not None else bound).add(stmt.var)
                walk(stmt.body, local)
            elif isinstance(stmt, Def):
                walk(stmt.body, {p for p, _ in stmt.params} | _assigned(stmt.body))

    walk(body, None)
    for name, tok in deferred:  # a function's global: an input only if the program never assigns it
        if name not in bound and name not in inputs and name not in CONSTANTS:
            inputs[name] = tok
    return inputs, declared


def _assigned(body: tuple[Stmt, ...]) -> set[str]:
    """The names a function's body assigns anywhere (its locals, as Python decides them)."""
    names: set[str] = set()
    stack = list(body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, Assign):
            names.update(n for n, _ in stmt.targets)
        elif isinstance(stmt, AugAssign):
            names.add(stmt.target)
        elif isinstance(stmt, For):
            names.add(stmt.var)
            stack.extend(stmt.body)
        elif isinstance(stmt, While):
            stack.extend(stmt.body)
        elif isinstance(stmt, If):
            for _, block, _ in stmt.branches:
                stack.extend(block)
    return names
