"""A small, predictable simplifier for formulas: enough to read like a textbook, no more.

Rules (each has a table test in tests/test_simplify.py):

* constants folded: `2*3 → 6`, `1/2*4 → 2`, `cos(0) → 1`; functions of numbers are folded
  only when the answer is exact (`cos(2)` stays `cos(2)`), and `pi`, `e` stay named;
* `1·a → a`, `a + 0 → a`, `a·0 → 0`, `a^1 → a`, `a^0 → 1`, `1^b → 1`, `0^b → 0`, `a/1 → a`;
* like terms combined: `a - a → 0`, `a + a → 2·a`, `2·a + 3·a → 5·a`;
* equal factors gathered into powers: `a·a → a^2`, `a^2·a → a^3`, `a/a → 1`;
* double negation removed: `-(-a) → a`;
* a canonical, stable order: in a product the number first, then named constants,
  symbols (natural order: x2 before x10), functions, sums; in a sum polynomial terms
  first, then the others, the constant last.

It never expands a product of sums, never uses trigonometric identities and never
rewrites a function, so each chain-rule term stays recognisable in the result
(`2·x·cos(x^2)·exp(sin(x^2))`). Every rewrite is an identity wherever the original
is defined (`x/x → 1` forgets only that x = 0 was excluded).

The walk over a formula is iterative (an explicit stack), so depth is no concern here;
callers keep formulas small (see `symbolic.LIMIT`).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from ..errors import AdtraceError, EvaluationError
from ..expr import Apply, Const, Expr, Sym, show
from ..primitives import BY_NAME, CONSTANTS, Primitive

Number = int | Fraction | float
"""An exact number is an int when whole (cheap to add, multiply and hash), else a Fraction; a float otherwise."""

ADD, SUB, MUL, DIV, POW, NEG = (BY_NAME[n] for n in ("add", "sub", "mul", "div", "pow", "neg"))
_EXACT_FUNCTIONS = frozenset({"relu", "abs", "step", "sign", "max", "min"})
_DECIMAL = re.compile(r"\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?")
_RATIO = re.compile(r"\d+/\d+")
"""A fraction as `const` prints it (1/3)."""
_MAX_TEXT = 200
"""A folded constant with a longer source text is used as its number, not re-read as a formula."""
_MAX_POWER = 64
"""Numbers are raised only to whole powers up to this size, so exact arithmetic stays small."""
_MAX_EXACT = 40
"""A decimal is read exactly only when its digits and its exponent together stay below this: exact
fractions bigger than _tidy keeps would become floats anyway, and `1e-100000000` as a fraction needs
10^100000000 (a hang), a literal of 5,000 digits Python's int-conversion limit. Larger ones are floats."""
_EXPONENT = re.compile(r"[eE]([+-]?\d+)$")


def simplify(expr: Expr) -> Expr:
    """The simplified formula (a new tree; the argument is not changed)."""
    return Simplifier().run(expr)


def size(expr: Expr) -> int:
    """How many nodes (symbols, numbers, operations) the formula has, counting repeats."""
    count = 0
    stack = [expr]
    while stack:
        node = stack.pop()
        count += 1
        if isinstance(node, Apply):
            stack.extend(node.args)
    return count


def const(value: Number) -> Const:
    """A number as a formula, printed exactly (`3`, `0.25`, `1/3`) or as Python's shortest float text."""
    if isinstance(value, float):
        return Const(value, _float_text(value))
    return _exact(value)


@lru_cache(maxsize=4096)
def _exact(value: int | Fraction) -> Const:
    """An exact number's formula, made once: the same object each time, so the memos by identity find it."""
    if isinstance(value, int):  # value / 1 is float(Fraction(value)): the same float, the same error past its range
        return Const(value / 1, str(value))
    if value.denominator == 1:
        return Const(float(value), str(value.numerator))
    if _is_decimal(value.denominator, 2):
        return Const(float(value), _float_text(float(value)))
    return Const(float(value), f"{value.numerator}/{value.denominator}")


def _float_text(value: float) -> str:
    if value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _is_decimal(q: int, base: int = 10) -> bool:
    """Whether 1/q is a short decimal: q a power of 10 (or, with base 2, of 2 and 5 too: 1/4 = 0.25)."""
    for prime in (10, 2, 5) if base == 2 else (10,):
        while q % prime == 0:
            q //= prime
    return q == 1


def number_of(expr: Expr) -> Number | None:
    """The value of a plain number (exact when written as a decimal); None for anything else.

    `pi` and `e` and folded constant texts such as `pi/4` are not plain numbers:
    they stay named, as a textbook leaves them.
    """
    if type(expr) is Const:
        return _number(expr.text, expr.value)
    if type(expr) is Apply and expr.prim is NEG:
        inner = number_of(expr.args[0])
        return None if inner is None else -inner
    return None


@lru_cache(maxsize=4096)
def _number(spelled: str, value: float) -> Number | None:
    if spelled in CONSTANTS:
        return None
    text = spelled[1:] if spelled.startswith("-") else spelled
    sign = -1 if spelled.startswith("-") else 1
    if _DECIMAL.fullmatch(text) or _RATIO.fullmatch(text):
        if _exactly_small(text):
            return _tidy(sign * Fraction(text))
        return _tidy(value) if math.isfinite(value) else None
    if math.isfinite(value) and value == int(value) and abs(value) < 2**53:
        return int(value)
    return None


def _exactly_small(text: str) -> bool:
    """Whether a decimal's exact fraction stays small (see _MAX_EXACT), read off its text without building it."""
    match = _EXPONENT.search(text)
    if match is None:
        return len(text) <= _MAX_EXACT
    digits = match.group(1).lstrip("+-").lstrip("0")
    return len(digits) <= 3 and match.start() + int(digits or "0") <= _MAX_EXACT


_WHOLE = 10**15
"""The largest whole number kept exact (and printed in full); beyond it, a float."""


def _tidy(value: Number) -> Number:
    """Keep exact numbers while they are small (a whole one as an int); fall back to floats when they grow."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EvaluationError("folding the constants of a formula overflows: they are too large for a float")
        if value == int(value) and abs(value) < 2**53:
            return int(value)
        return value
    if isinstance(value, int):
        if -_WHOLE <= value <= _WHOLE:
            return value
    elif value.denominator <= 10**6 and abs(value.numerator) <= 10**15:
        return value.numerator if value.denominator == 1 else value
    try:
        return float(value)
    except OverflowError:  # beyond a float's range: stay exact rather than turn into inf
        return value


def _inverse(value: Number) -> Number:
    """1/value, exact for an exact value (1/2 of an int is a Fraction, not 0.5)."""
    return Fraction(1, value) if isinstance(value, int) else 1 / value


@lru_cache(maxsize=8192)
def _natural(text: str) -> tuple[str | tuple[int, str, str], ...]:
    """'x10' sorts after 'x2'. re.split with one group alternates text and runs of \\d, so the types line up
    position by position; a run compares by its length without leading zeros, then its text, so no int() is
    made of it (isdigit() also accepts '²', which int() refuses, and 5,000 digits pass Python's int limit)."""
    parts = re.split(r"(\d+)", text)
    return tuple(_digits(part) if k % 2 else part for k, part in enumerate(parts))


def _digits(run: str) -> tuple[int, str, str]:
    value = run.lstrip("0")
    return len(value), value, run


Factor = tuple[Expr, Number]
"""(base, exponent): x^3 is (x, 3)."""
Term = tuple[Number, list[Factor]]
"""(coefficient, factors): -2·x·y^2 is (-2, [(x, 1), (y, 2)])."""


class Simplifier:
    """One simplification run; remembers each sub-formula's printed key (keyed by identity)."""

    def __init__(self) -> None:
        self._keys: dict[int, tuple[Expr, str]] = {}
        self._leaves: dict[Const, Expr] = {}
        """Each number's canonical formula, by its text and value (as _number reads it)."""
        self._symbols: dict[Sym, Sym] = {}
        """One object per name, so formulas over the same names are made from the same parts (see combine)."""
        self._combined: dict[tuple[int, ...], tuple[Primitive, tuple[Expr, ...], Expr]] = {}
        self._simplified: dict[int, Expr] = {}
        """Results of this run, by identity (held here so ids stay unique): not walked again."""
        self._factors: dict[int, tuple[Expr, tuple[Number, list[Factor]]]] = {}
        self._terms: dict[tuple[int, int], tuple[Expr, list[Term]]] = {}
        self._term_orders: dict[int, tuple[list[Factor], str, _Order]] = {}
        self._bases: dict[int, tuple[Expr, str, _Place]] = {}
        self._shapes: dict[int, tuple[list[Factor], tuple[tuple[int, type, Number], ...]]] = {}
        """A factor list's part of a product's memo key, by the list's identity (the lists are shared)."""
        self._products: dict[tuple[type, Number, tuple[tuple[int, type, Number], ...]], Expr] = {}
        """Memos by identity (each holds what its ids refer to, or a base is held by _keys): a sum built
        term by term (a + b + c …, as a node with many parents gives it) reads the sum so far again at each
        term, and would otherwise rebuild and reprint every term each time."""

    def key(self, expr: Expr) -> str:
        """The canonical text of a simplified formula: equal keys mean equal formulas."""
        found = self._keys.get(id(expr))
        if found is None:
            found = (expr, show(expr, "code"))
            self._keys[id(expr)] = found
        return found[1]

    def run(self, expr: Expr) -> Expr:
        if type(expr) is Const:
            return self.leaf(expr)
        if type(expr) is Sym:
            return self._symbols.setdefault(expr, expr)
        if type(expr) is Apply and id(expr) not in self._simplified:
            args = self._ready(expr.args)
            if args is not None:  # one operation over arguments with nothing to walk: no stack
                result = self.combine(expr, args)
                self._simplified[id(result)] = result
                return result
        done: list[Expr] = []
        stack: list[tuple[Expr | _Chain, bool]] = [(expr, False)]
        simplified = self._simplified
        symbols = self._symbols
        while stack:
            node, expanded = stack.pop()
            if type(node) is Const:
                done.append(self.leaf(node))
            elif type(node) is Sym:
                done.append(symbols.setdefault(node, node))
            elif type(node) is Apply:
                if expanded:
                    count = len(node.args)
                    result = self.combine(node, tuple(done[-count:]))
                    del done[-count:]
                    simplified[id(result)] = result
                    done.append(result)
                elif id(node) in simplified:
                    done.append(node)
                else:
                    chain = self._chain(node) if (node.prim is ADD or node.prim is SUB) and self._nested(node) else None
                    if chain is not None:  # a sum of many terms: its operands, then the whole sum at once
                        stack.append((chain, True))
                        stack.extend([(arg, False) for arg in reversed(chain.operands)])
                        continue
                    ready = self._ready(node.args)
                    if ready is None:
                        stack.append((node, True))
                        stack.extend([(arg, False) for arg in reversed(node.args)])
                    else:  # arguments with nothing to walk are taken at once
                        result = self.combine(node, ready)
                        simplified[id(result)] = result
                        done.append(result)
            else:  # a chain whose operands are done
                assert type(node) is _Chain
                count = len(node.signs)
                operands = done[-count:]
                del done[-count:]
                result = self.chain(node, operands)
                simplified[id(result)] = result
                done.append(result)
        return done[0]

    def _ready(self, args: tuple[Expr, ...]) -> tuple[Expr, ...] | None:
        """The arguments simplified, if none needs walking (numbers, symbols, results); else None."""
        out: list[Expr] = []
        for arg in args:
            if type(arg) is Const:
                out.append(self.leaf(arg))
            elif type(arg) is Sym:
                out.append(self._symbols.setdefault(arg, arg))
            elif id(arg) in self._simplified:
                out.append(arg)
            else:
                return None
        return tuple(out)

    # -- a sum of many terms, at once -----------------------------------
    def _nested(self, node: Apply) -> bool:
        """Whether a sum has a sum or difference still to simplify as an argument (else it is no chain)."""
        for arg in node.args:
            if type(arg) is Apply and (arg.prim is ADD or arg.prim is SUB) and id(arg) not in self._simplified:
                return True
        return False

    def _chain(self, node: Apply) -> _Chain | None:
        """A sum or difference of more than two operands read as one (a + b - c …), or None."""
        if node.prim is not ADD and node.prim is not SUB:
            return None
        operands: list[Expr] = []
        signs: list[int] = []
        program: list[Primitive | None] = []  # postfix: None takes the next operand, a primitive combines two
        stack: list[tuple[Expr, int, bool]] = [(node, 1, False)]
        while stack:
            item, sign, expanded = stack.pop()
            inner = isinstance(item, Apply) and (item.prim is ADD or item.prim is SUB)
            if not inner or (item is not node and id(item) in self._simplified):
                operands.append(item)
                signs.append(sign)
                program.append(None)
            elif expanded:
                program.append(item.prim)  # type: ignore[union-attr]
            else:
                assert isinstance(item, Apply)
                stack.append((item, sign, True))
                stack.append((item.args[1], -sign if item.prim is SUB else sign, False))
                stack.append((item.args[0], sign, False))
        if len(operands) <= 2:
            return None
        return _Chain(tuple(operands), tuple(signs), tuple(program))

    def chain(self, chain: _Chain, operands: list[Expr]) -> Expr:
        """The simplified sum of a chain's simplified operands: one build_sum over all their terms, which is
        what adding them two at a time gives when every coefficient is an exact fraction that prints and reads
        back exactly (the sum so far is printed and read again at each step); otherwise two at a time."""
        terms: list[Term] = []
        for operand, sign in zip(operands, chain.signs, strict=True):
            terms.extend(self.terms(operand, sign))
        if _exact_sums(terms):
            return self.build_sum(terms)
        results: list[Expr] = []
        taken = iter(operands)
        for step in chain.program:
            if step is None:
                results.append(next(taken))
                continue
            right = results.pop()
            left = results.pop()
            result = self.combine(Apply(step, (left, right)), (left, right))
            self._simplified[id(result)] = result
            results.append(result)
        return results[0]

    def leaf(self, node: Const) -> Expr:
        """A number in its canonical spelling; a constant folded by the graph ('pi/4') read as a formula."""
        found = self._leaves.get(node)
        if found is None:
            found = self._leaves[node] = self._leaf(node)
        return found

    def _leaf(self, node: Const) -> Expr:
        if node.text in CONSTANTS:
            return node
        value = number_of(node)
        if value is not None:
            return const(value)
        from ..expr import from_syntax
        from ..language.parser import parse_expression

        try:
            if len(node.text) > _MAX_TEXT:
                raise ValueError(node.text)
            tree = from_syntax(parse_expression(node.text))
        except (AdtraceError, ValueError):  # too long, or does not parse alone: keep the number it stands for
            return const(_tidy(node.value)) if math.isfinite(node.value) else node
        return self.run(tree)

    # -- one operation over simplified arguments -----------------------
    def combine(self, node: Apply, args: tuple[Expr, ...]) -> Expr:
        """node's operation over simplified arguments; the same arguments (by identity) give the same result
        object, so a formula made again from the same parts is made once and every memo by identity finds it."""
        signature = (id(node.prim), id(args[0]), id(args[1])) if len(args) == 2 else (id(node.prim), *map(id, args))
        found = self._combined.get(signature)
        if found is None:  # the memo holds the operation and the arguments, so their ids stay their own
            found = self._combined[signature] = (node.prim, args, self._combine(node.prim, args))
        return found[2]

    def _combine(self, prim: Primitive, args: tuple[Expr, ...]) -> Expr:
        if prim is ADD or prim is SUB:
            return self.build_sum([*self.terms(args[0], 1), *self.terms(args[1], -1 if prim is SUB else 1)])
        if prim is NEG:
            return self.build_sum(self.terms(args[0], -1))
        if prim is MUL or prim is DIV:
            c1, f1 = self.factors(args[0])
            c2, f2 = self.factors(args[1])
            if prim is DIV:
                if c2 == 0:
                    return Apply(DIV, args)  # x/0 stays as written: it has no value to simplify to
                c2 = _tidy(_inverse(c2))
                f2 = [(b, -e) for b, e in f2]
            c = c1 * c2
            if type(c) is not int or not -_WHOLE <= c <= _WHOLE:
                c = _tidy(c)
            return self.build_product(c, [*f1, *f2] if f1 and f2 else f1 or f2)
        if prim is POW:
            return self.power(args[0], args[1])
        return self.function(prim, args)

    def power(self, base: Expr, exponent: Expr) -> Expr:
        n = number_of(exponent)
        b = number_of(base)
        if b == 1 or n == 0:
            return const(1)
        if b == 0 and n is None:  # 0^b = 0 where it is defined (b > 0), as the numeric power rule assumes
            return const(0)
        if n == 1:
            return base
        if n is not None and n == int(n) and -_MAX_POWER <= n <= _MAX_POWER:
            whole = int(n)
            coefficient, factors = self.factors(base)
            try:
                exact = Fraction(coefficient) if isinstance(coefficient, int) and whole < 0 else coefficient
                raised = _tidy(exact**whole)  # an int to a negative power stays exact, as a Fraction
            except (ZeroDivisionError, OverflowError):
                return Apply(POW, (base, exponent))
            return self.build_product(raised, [(f, _tidy(e * whole)) for f, e in factors])
        return Apply(POW, (base, exponent))

    def function(self, prim: Primitive, args: tuple[Expr, ...]) -> Expr:
        numbers = [number_of(a) for a in args]
        known = [v for v in numbers if v is not None]
        if len(known) == len(args):
            exact = prim.name in _EXACT_FUNCTIONS
            try:
                value = prim.evaluate(*(known if exact else [float(v) for v in known]))
            except (ValueError, ZeroDivisionError, OverflowError):
                return Apply(prim, args)
            if isinstance(value, (int, Fraction)):
                return const(_tidy(value))
            if math.isfinite(value) and (exact or value == int(value)):
                return const(_tidy(Fraction(value)))
        return Apply(prim, args)

    # -- reading a simplified formula as terms and factors ------------
    def terms(self, expr: Expr, sign: int) -> list[Term]:
        """A simplified formula as a list of signed terms (a sum is flattened). The list is shared: not to be
        changed."""
        found = self._terms.get((id(expr), sign))
        if found is not None and found[0] is expr:
            return found[1]
        out = self._read_terms(expr, sign)
        self._terms[id(expr), sign] = (expr, out)
        return out

    def _read_terms(self, expr: Expr, sign: int) -> list[Term]:
        if type(expr) is not Apply or (expr.prim is not ADD and expr.prim is not SUB and expr.prim is not NEG):
            coefficient, factors = self.factors(expr)
            return [(_tidy(sign * coefficient), factors)]
        out: list[Term] = []
        stack: list[tuple[Expr, int]] = [(expr, sign)]
        while stack:
            node, s = stack.pop()
            if type(node) is Apply:
                prim = node.prim
                if prim is ADD or prim is SUB:
                    stack.append((node.args[1], -s if prim is SUB else s))
                    stack.append((node.args[0], s))
                    continue
                if prim is NEG and type(node.args[0]) is not Const:
                    stack.append((node.args[0], -s))
                    continue
            coefficient, factors = self.factors(node)
            out.append((_tidy(s * coefficient), factors))
        return out

    def factors(self, expr: Expr) -> tuple[Number, list[Factor]]:
        """A simplified formula as coefficient × factors (a product or quotient is flattened). The list is
        shared: not to be changed."""
        found = self._factors.get(id(expr))
        if found is not None and found[0] is expr:
            return found[1]
        made = self._read_factors(expr)
        self._factors[id(expr)] = (expr, made)
        return made

    def _read_factors(self, expr: Expr) -> tuple[Number, list[Factor]]:
        coefficient: Number = 1
        out: list[Factor] = []
        stack: list[tuple[Expr, int]] = [(expr, 1)]
        while stack:
            node, power = stack.pop()
            if type(node) is Sym:
                out.append((node, power))
                continue
            value = number_of(node) if type(node) is Const or (type(node) is Apply and node.prim is NEG) else None
            if value is not None:
                if value == 0 and power < 0:
                    out.append((node, power))
                else:
                    coefficient = _tidy(coefficient * (value if power > 0 else _inverse(value)))
            elif isinstance(node, Apply) and node.prim is NEG:
                coefficient = -coefficient
                stack.append((node.args[0], power))
            elif isinstance(node, Apply) and (node.prim is MUL or node.prim is DIV):
                stack.append((node.args[1], -power if node.prim is DIV else power))
                stack.append((node.args[0], power))
            elif isinstance(node, Apply) and node.prim is POW and number_of(node.args[1]) is not None:
                exponent = number_of(node.args[1])
                assert exponent is not None
                out.append((node.args[0], _tidy(exponent * power)))
            elif isinstance(node, Apply) and (node.prim is ADD or node.prim is SUB) and self.terms(node, 1)[0][0] < 0:
                # a sum that starts with a minus has only negative terms: -(x + 1) as a factor
                coefficient = -coefficient
                out.append((self.build_sum(self.terms(node, -1)), power))
            else:
                out.append((node, power))
        return coefficient, out

    # -- building the canonical formula back --------------------------
    def rank(self, base: Expr) -> int:
        if isinstance(base, Const):
            return 0
        if isinstance(base, Sym):
            return 1
        if base.prim is ADD or base.prim is SUB:
            return 3
        return 2

    def build_product(self, coefficient: Number, factors: list[Factor]) -> Expr:
        if coefficient == 0 or not factors:
            return const(coefficient)
        shape = self._shapes.get(id(factors))
        if shape is None or shape[0] is not factors:
            shape = self._shapes[id(factors)] = (factors, tuple([(id(b), type(e), e) for b, e in factors]))
        signature = (type(coefficient), coefficient, shape[1])
        found = self._products.get(signature)
        if found is None:  # _build_product holds every base (in _keys), so the ids in the memo stay its own
            found = self._products[signature] = self._build_product(coefficient, factors)
        return found

    def _base(self, base: Expr) -> tuple[Expr, str, _Place]:
        """A base's key and its place in a product (numbers, named constants, symbols, functions, sums; each
        in natural order), made once per base (held here, so its id stays its own)."""
        k = self.key(base)
        found = self._bases[id(base)] = (base, k, (self.rank(base), _natural(k)))
        return found

    def _build_product(self, coefficient: Number, factors: list[Factor]) -> Expr:
        bases = self._bases
        kept: list[tuple[_Place, Expr, Number]]
        if len(factors) == 1:  # nothing to gather or to sort
            base, exponent = factors[0]
            kept = [((bases.get(id(base)) or self._base(base))[2], base, exponent)] if exponent != 0 else []
        else:
            gathered: dict[str, tuple[_Place, Expr, Number]] = {}
            for base, exponent in factors:
                _, k, order = bases.get(id(base)) or self._base(base)
                found = gathered.get(k)
                gathered[k] = (
                    (order, base, exponent) if found is None else (found[0], found[1], _tidy(found[2] + exponent))
                )
            kept = [item for item in gathered.values() if item[2] != 0]
            kept.sort(key=_first)
        top: list[Expr] = []
        bottom: list[Expr] = []
        negative = coefficient < 0
        magnitude = -coefficient if negative else coefficient
        if isinstance(magnitude, Fraction) and magnitude.denominator != 1 and not _is_decimal(magnitude.denominator):
            if magnitude.numerator != 1 or not kept:
                top.append(const(magnitude.numerator))
            bottom.append(const(magnitude.denominator))
        elif magnitude != 1 or not kept:
            top.append(const(magnitude))
        whole = isinstance(coefficient, int)
        for _, base, exponent in kept:
            if exponent > 0:
                top.append(base if exponent == 1 else Apply(POW, (base, const(exponent))))
            else:
                bottom.append(base if exponent == -1 else Apply(POW, (base, const(-exponent))))
            whole = whole and isinstance(exponent, int) and type(base) is not Const
        if negative:  # the sign goes on the first factor: -2·x, -x·y, -1/x
            first = top[0] if top else const(1)
            signed = const(-number) if (number := number_of(first)) is not None else Apply(NEG, (first,))
            top = [signed, *top[1:]]
        result = _product(top) if top else const(1)
        if bottom:
            result = Apply(DIV, (result, _product(bottom)))
        if kept and whole:
            # what factors(result) would read back, the numerator's factors before the denominator's: a whole
            # coefficient and whole powers print and read back exactly (a decimal or a float might not)
            read = [(b, e) for _, b, e in kept if e > 0] + [(b, e) for _, b, e in kept if e < 0]
            self._factors.setdefault(id(result), (result, (coefficient, read)))
        return result

    def term_order(self, factors: list[Factor]) -> tuple[list[Factor], str, _Order]:
        """A term's key (its factors printed, without the coefficient) and its place in a sum: polynomial terms
        first, by falling degree, then the others; by the factor list's identity (the lists are shared, see
        terms), held here so the id stays its own."""
        k = self.key(self.build_product(1, factors))
        polynomial = all(isinstance(b, Sym) and e == int(e) and e > 0 for b, e in factors)
        degree = int(sum(e for _, e in factors)) if polynomial else 0
        found = self._term_orders[id(factors)] = (factors, k, (0 if polynomial else 1, -degree, _natural(k)))
        return found

    def build_sum(self, terms: list[Term]) -> Expr:
        constant: Number = 0
        combined: dict[str, tuple[Number, list[Factor], _Order]] = {}
        orders = self._term_orders
        for coefficient, factors in terms:
            if not factors:
                constant = _tidy(constant + coefficient)
                continue
            _, k, order = orders.get(id(factors)) or self.term_order(factors)
            found = combined.get(k)
            if found is None:
                combined[k] = (coefficient, factors, order)
            else:
                combined[k] = (_tidy(found[0] + coefficient), found[1], order)
        parts = [(order, coefficient, factors) for coefficient, factors, order in combined.values() if coefficient != 0]
        parts.sort(key=_first)
        if constant != 0 or not parts:
            parts.append(((2, 0, ()), constant, []))
        if parts[0][1] < 0:  # start with a positive term where there is one: 1 - y, not -y + 1
            first = next((k for k, part in enumerate(parts) if part[1] > 0), 0)
            parts.insert(0, parts.pop(first))
        result: Expr | None = None
        for _, coefficient, factors in parts:
            if result is None:
                result = self.build_product(coefficient, factors)
            elif coefficient < 0:
                result = Apply(SUB, (result, self.build_product(-coefficient, factors)))
            else:
                result = Apply(ADD, (result, self.build_product(coefficient, factors)))
        assert result is not None
        return result


_T = TypeVar("_T")
_Natural = tuple[str | tuple[int, str, str], ...]
"""A key in natural order (see _natural)."""
_Place = tuple[int, _Natural]
"""Where a base sorts in a product: its rank, then its key in natural order."""
_Order = tuple[int, int, _Natural]
"""Where a term sorts in a sum (see Simplifier.term_order); the constant comes last, as (2, 0, ())."""


def _first(item: tuple[_T, Any, Any]) -> _T:
    """What a list of (order, …) sorts by: its order alone (the rest may not compare)."""
    return item[0]


class _Chain(NamedTuple):
    """A sum of many operands: each with its sign, and the order the two-at-a-time sums would take them."""

    operands: tuple[Expr, ...]
    signs: tuple[int, ...]
    program: tuple[Primitive | None, ...]


_EXACT_DENOMINATOR = 10**6


def _exact_sums(terms: list[Term]) -> bool:
    """Whether any partial sum of these coefficients stays an exact fraction that const() prints and
    number_of() reads back unchanged: integers, or decimals of at most six places, small enough that
    every partial sum has at most 15 significant digits (a float's repr then gives back the decimal)."""
    total: int | Fraction = 0
    integers = True
    for coefficient, _ in terms:
        if isinstance(coefficient, int):
            total += abs(coefficient)
            continue
        if not isinstance(coefficient, Fraction) or _EXACT_DENOMINATOR % coefficient.denominator:
            return False
        integers = integers and coefficient.denominator == 1
        total += abs(coefficient)
    return total <= 10**15 if integers else total * _EXACT_DENOMINATOR <= 10**9


def _product(items: list[Expr]) -> Expr:
    result = items[0]
    for item in items[1:]:
        result = Apply(MUL, (result, item))
    return result
