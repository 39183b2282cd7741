"""`--worksheet`: exercises with a blank for every answer the quiz would ask, and an answer key.

A sheet is made of the same questions as the quiz (`lesson.diagnose.questions`) and the same answers (the
Lesson steps'), laid out as a small document (headings, paragraphs, tables) and written as markdown or as a
self-contained HTML page, the format its file's extension names, through the atomic writer of `export`.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from typing import Literal, NamedTuple

from ..engine.trace import Trace
from ..lesson import diagnose as dx
from ..lesson import quiz_words as qw
from ..lesson.build import build
from ..lesson.math import show
from ..lesson.source import visible
from .quiz import answer_of

Fmt = Literal["md", "html"]


class Sheet(NamedTuple):
    title: str
    trace: Trace


class _Heading(NamedTuple):
    level: int
    text: str


class _Para(NamedTuple):
    text: str
    code: str = ""
    """Shown after the text as code (a program)."""


class _Table(NamedTuple):
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    code: tuple[bool, ...]
    """Which columns hold formulas (set in code)."""


Item = _Heading | _Para | _Table


def _sheet_items(sheet: Sheet, digits: int, values: bool, partials: bool) -> tuple[list[Item], list[Item]]:
    """The exercise's items, and its answer key's."""
    lesson = build(sheet.trace, digits, terms=not sheet.trace.symbolic_only)
    qs = dx.questions(lesson, values=values, partials=partials)
    inputs = ", ".join(f"{n} = {v}" for n, v in lesson.header.inputs)
    tangents = any(q.kind == "tangent" for q in qs)
    items: list[Item] = [
        _Heading(2, sheet.title),
        _Para("Program: ", visible("; ".join(lesson.header.source))),
    ]
    if inputs:
        items.append(_Para(f"Inputs: {inputs}"))
    items.append(_Para(qw.SHEET_INTRO_TANGENT if tangents else qw.SHEET_INTRO))
    kind = "symbolic_forward" if lesson.symbolic else "forward"
    rows = []
    for step in dx.section_steps(lesson, kind, 0):
        if step.lhs is None or not step.lines:
            continue
        value = "" if values or lesson.symbolic else show(step.lines[-1].math)
        rows.append((show(step.lhs), show(step.lines[0].math), value))
    items.append(_Heading(3, qw.SHEET_NODES))
    items.append(_Table(("node", "definition", "value"), tuple(rows), (True, True, False)))
    items.append(_Heading(3, qw.SHEET_BLANKS))
    blanks, key = [], []
    passes = {kind: len({q.pass_index for q in qs if q.section == kind}) for kind in {q.section for q in qs}}
    for q in qs:
        lhs = dx.lhs_text(lesson, q)
        if passes[q.section] > 1:
            lhs += f" (pass {q.pass_index + 1})"
        blanks.append((lhs, ""))
        here = None if lesson.symbolic else dx.facts(lesson, q)
        value, formula = answer_of(dx.step_of(lesson, q), q, here, digits)
        key.append((lhs, value, formula))
    items.append(_Table(("asked", "your answer"), tuple(blanks), (True, False)))
    key_items: list[Item] = [
        _Heading(3, sheet.title),
        _Table(("asked", "value", "as a formula in the nodes"), tuple(key), (True, False, True)),
    ]
    return items, key_items


def documents(
    sheets: Sequence[Sheet], digits: int = 4, *, values: bool = False, partials: bool = False, separate: bool = False
) -> tuple[list[Item], list[Item]]:
    """The worksheet, and the key (empty when it is at the end of the worksheet, `separate` False)."""
    body: list[Item] = [_Heading(1, qw.WORKSHEET)]
    key: list[Item] = [_Heading(1 if separate else 2, qw.ANSWER_KEY)]
    for sheet in sheets:
        items, answers = _sheet_items(sheet, digits, values, partials)
        body += items
        key += [a._replace(level=a.level - (1 if separate else 0)) if isinstance(a, _Heading) else a for a in answers]
    if separate:
        return body, key
    return body + key, []


def render(items: Sequence[Item], fmt: Fmt, title: str = qw.WORKSHEET) -> Iterator[str]:
    if fmt == "md":
        yield from _markdown(items)
    else:
        yield from _html(items, title)


# -- markdown --------------------------------------------------------------------------------------------
def _md_text(text: str) -> str:
    for ch in "\\`*_[]<>#|$~&":
        text = text.replace(ch, "\\" + ch)
    return text


def _md_code(text: str) -> str:
    return f"`{text}`" if text else ""


def _markdown(items: Sequence[Item]) -> Iterator[str]:
    for item in items:
        if isinstance(item, _Heading):
            yield f"{'#' * item.level} {_md_text(item.text)}\n\n"
        elif isinstance(item, _Para):
            yield _md_text(item.text) + (_md_code(item.code) if item.code else "") + "\n\n"
        else:
            yield "| " + " | ".join(_md_text(c) for c in item.columns) + " |\n"
            yield "| " + " | ".join("---" for _ in item.columns) + " |\n"
            for row in item.rows:
                cells = [
                    (_md_code(c).replace("|", "\\|") if code else _md_text(c))
                    for c, code in zip(row, item.code, strict=True)
                ]
                yield "| " + " | ".join(cells) + " |\n"
            yield "\n"


# -- HTML ------------------------------------------------------------------------------------------------
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 50em; }
code { font-family: Menlo, 'DejaVu Sans Mono', Consolas, monospace; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #888; padding: 0.4em 0.8em; text-align: left; }
td.blank { width: 16em; height: 1.6em; }
h2 { break-before: page; }
h2:first-of-type { break-before: auto; }
"""


def _html(items: Sequence[Item], title: str) -> Iterator[str]:
    esc = html.escape
    yield (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="UTF-8">\n'
        f"<title>{esc(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
    )
    for item in items:
        if isinstance(item, _Heading):
            yield f"<h{item.level}>{esc(item.text)}</h{item.level}>\n"
        elif isinstance(item, _Para):
            code = f"<code>{esc(item.code)}</code>" if item.code else ""
            yield f"<p>{esc(item.text)}{code}</p>\n"
        else:
            yield "<table>\n<tr>" + "".join(f"<th>{esc(c)}</th>" for c in item.columns) + "</tr>\n"
            for row in item.rows:
                cells = []
                for c, is_code in zip(row, item.code, strict=True):
                    if not c:
                        cells.append('<td class="blank"></td>')
                    else:
                        cells.append(f"<td><code>{esc(c)}</code></td>" if is_code else f"<td>{esc(c)}</td>")
                yield "<tr>" + "".join(cells) + "</tr>\n"
            yield "</table>\n"
    yield "</body>\n</html>\n"
