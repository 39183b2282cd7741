"""The command line: parse arguments, call the engine, pick a renderer, map errors to exit codes.

This is the only module that prints or exits. Everything it shows comes from
a Trace built by `pipeline.trace`.
"""

from __future__ import annotations

import functools
import gc
import os
import random
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.text import Text

from . import __version__
from .errors import AdtraceError, InputValueError, OptionError

if TYPE_CHECKING:  # the engine is imported when a trace is made, not for --help or --version
    from .api import Trace


class _ExpressionFirst(click.Command):
    """Lets an expression or value start with '-' ('-x^2 + 1', x=-2) without '--'.

    Click would read '-x^2 + 1' as a cluster of short options; here anything
    that is not one of our own options is moved behind a '--' in order.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value: dict[str, bool] = {}
        spelled_out: dict[str, str] = {}  # -q → --quiet: click tries '-q' as a long option first; a miss costs difflib
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for opt in [*param.opts, *param.secondary_opts]:
                    takes_value[opt] = not param.is_flag and not param.count
                long = [opt for opt in param.opts if opt.startswith("--")]
                spelled_out.update((opt, long[0]) for opt in param.opts if long and not opt.startswith("--"))
        options: list[str] = []
        positional: list[str] = []
        it = iter(args)
        for arg in it:
            if arg == "--":
                positional.extend(it)
                break
            name = arg.split("=", 1)[0] if arg.startswith("--") else arg
            if name in takes_value:
                options.append(spelled_out.get(arg, arg))
                if takes_value[name] and "=" not in arg:
                    value = next(it, None)
                    if value is None and ctx.resilient_parsing:  # shell completion: the value is being typed
                        break
                    if value is None or value == "":
                        raise click.BadOptionUsage(name, f"{name} needs a value", ctx)
                    options.append(value)
            elif arg.startswith("--") and len(name) > 2:  # '-x^2' may be an expression; '--x' never is
                long_options = [o for o in takes_value if o.startswith("--")]
                raise click.NoSuchOption(name, possibilities=long_options, ctx=ctx)
            else:
                positional.append(arg)
        return super().parse_args(ctx, [*options, "--", *positional] if positional else options)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Every usage error as one 'error:' line (click prints a usage block), Ctrl-C without a traceback."""
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.ClickException as error:
            hint = " (adtrace --help lists the options)"
            message = Text.assemble(("error: ", "bold red"), error.format_message(), hint)
            Console(emoji=False, stderr=True, highlight=False).print(message, soft_wrap=True)
            sys.exit(error.exit_code)
        except (click.Abort, KeyboardInterrupt):
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


class _ProgramFile(click.File):
    """click.File, but a path the OS can't take (an embedded NUL byte) is a usage error, not a traceback."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except ValueError as error:
            self.fail(f"can't open {value!r}: {error}", param, ctx)


def _program_text(file: Any) -> str:
    """A program file's text: UTF-8, a byte-order mark dropped (editors on Windows write one)."""
    data = file.read()
    try:
        return str(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        name = getattr(file, "name", "-")
        name = "stdin" if name in ("-", "<stdin>") or not isinstance(name, str) else repr(name)
        raise InputValueError(
            f"the program file {name} is not UTF-8 text: byte 0x{data[error.start]:02x} at offset {error.start} "
            "can't be read (save it as UTF-8)"
        ) from None


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _parse_seed(text: str | None) -> float | dict[str, float] | None:
    """'2' → 2.0;  'f=1,g=0' → {'f': 1.0, 'g': 0.0}."""
    if text is None:
        return None
    if "=" not in text:
        from .language.values import constant_value

        return constant_value(text, "the seed")
    seeds: dict[str, Any] = {}
    for part in _top_level_commas(text):
        name, eq, value = part.partition("=")
        if not eq or not name.strip():
            raise OptionError(f"--seed takes NAME=VALUE pairs separated by commas, like f=1,g=0 (got '{part}')")
        from .language.values import array_value, constant_value

        if value.lstrip().startswith("["):
            seeds[name.strip()] = array_value(value, name.strip())
        else:
            seeds[name.strip()] = constant_value(value, name.strip())
    return seeds


def _top_level_commas(text: str) -> list[str]:
    """'y=[1,0],g=1' → ['y=[1,0]', 'g=1']: commas inside brackets belong to the array."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        depth += (ch == "[") - (ch == "]")
        if ch == "," and depth == 0:
            parts.append(text[start:k])
            start = k + 1
    return [*parts, text[start:]]


def _version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"adtrace, version {__version__}", color=ctx.color)
        ctx.exit()


def _help(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        if ctx.terminal_width is None and click.formatting.FORCED_WIDTH is None:
            ctx.terminal_width = _help_width(80 if ctx.max_content_width is None else ctx.max_content_width)
        click.echo(ctx.get_help(), color=ctx.color)
        ctx.exit()


def _help_width(max_width: int) -> int:
    """The width click lays the help page out to: the terminal's (COLUMNS first, as shutil.get_terminal_size
    reads it), at most max_width, less 2, at least 50. Worked out here because click's own way imports shutil,
    which imports bz2, lzma and zlib: a twentieth of --help's instructions."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0 and sys.__stdout__ is not None:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return max(min(columns if columns > 0 else 80, max_width) - 2, 50)


_F = TypeVar("_F", bound=Callable[..., Any])


def _practice_options(command: _F) -> _F:
    """The practice options, as one block (see docs/guide.md#practice): they reach `main` as **practice."""
    options = [
        click.option(
            "--quiz", is_flag=True, help="Practice: type each adjoint (or tangent); a wrong one is diagnosed."
        ),
        click.option("--quiz-forward", is_flag=True, help="With --quiz or --worksheet: ask the forward values too."),
        click.option("--quiz-partials", is_flag=True, help="With --quiz or --worksheet: ask each local partial too."),
        click.option("--random", "random_exercise", is_flag=True, help="A random exercise instead of an expression."),
        click.option("--level", type=click.IntRange(1, 4), help="With --random: difficulty 1 to 4 (default 1)."),
        click.option("--exercise", type=click.IntRange(min=1), metavar="K", help="With --random: exercise number K."),
        click.option("--worksheet", is_flag=True, help="Write a worksheet with blanks and an answer key (-o x.md)."),
        click.option("--answers", metavar="PATH", help="With --worksheet: write the answer key to PATH instead."),
        click.option(
            "--count", type=click.IntRange(1, 100), help="With --worksheet --random: N exercises, K to K+N-1."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command(cls=_ExpressionFirst, context_settings={"help_option_names": []})  # -h/--help: the last option
@click.argument("arguments", nargs=-1)
@click.option(
    "-f",
    "--file",
    "program_file",
    type=_ProgramFile("rb"),
    help="Read the program from a file ('-' for stdin).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "md", "markdown", "html", "terminal-html", "svg", "terminal-svg", "txt"]),
    default=None,
    help="What to print on stdout: the terminal trace (text, the default), or an export format "
    "(html: the web lesson; terminal-html, svg or terminal-svg: the terminal's look).",
)
@click.option(
    "-o",
    "--output",
    "output_paths",
    multiple=True,
    metavar="PATH",
    help="Also write the trace to PATH, in the format its extension names (.md .html .svg .txt .json; .html is the "
    "web lesson); repeatable.",
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Don't print the terminal trace (with -o: only write the files). An explicit --format still prints.",
)
@click.option(
    "--theme",
    type=click.Choice(["light", "dark"]),
    default="light",
    show_default=True,
    help="Colours of the web lesson, the terminal-look exports and the graph picture.",
)
@click.option(
    "--math",
    type=click.Choice(["dollars", "github"]),
    default="dollars",
    show_default=True,
    help="Markdown math: $…$ and $$ blocks (everywhere), or GitHub's $`…`$ and ```math forms.",
)
@click.option(
    "--digits",
    type=click.IntRange(1, 17),
    default=4,
    show_default=True,
    help="Significant digits shown (JSON is always full precision).",
)
@click.option("--outputs", help="Comma-separated names of the outputs (default: the last statement).")
@click.option(
    "--seed", help="Seed: a number, output seeds like f=1,g=0 (reverse) or input seeds like x1=1,x2=0 (forward)."
)
@click.option(
    "--mode",
    type=click.Choice(["reverse", "forward", "both"]),
    default="reverse",
    show_default=True,
    help="Which AD mode to trace.",
)
@click.option(
    "--notation",
    type=click.Choice(["w", "v"]),
    default="w",
    show_default=True,
    help="Number nodes w1… or, as Griewank & Walther do, v-1, v0, v1…",
)
@click.option(
    "--adjoint-program",
    is_flag=True,
    help="Print the adjoint program: the tape, then one line per chain-rule term, as code adtrace and Python run "
    "(-o adjoint.py writes it; with --format json it is the key adjoint_program).",
)
@click.option(
    "--hessian",
    is_flag=True,
    help="Trace the Hessian of the (scalar) output: forward mode over the adjoint program, one tangent pass per input.",
)
@click.option(
    "--hvp",
    metavar="VECTOR",
    help="With --hessian: one Hessian-vector product H·v in one tangent pass, v as x1=1,x2=0 (missing inputs 0).",
)
@click.option("--sample", "sample_name", help="Run one of the shipped samples by name.")
@click.option("--list-samples", is_flag=True, help="List the shipped samples and exit.")
@click.option("--width", type=click.IntRange(40, 400), help="Terminal width to lay out for (default: the terminal's).")
@click.option(
    "--symbolic/--no-symbolic",
    default=None,
    help="Show or hide the formulas beside the numbers (default: shown up to 200 nodes). "
    "With some values missing, --symbolic keeps those inputs as symbols; with no values the trace is symbolic.",
)
@click.option("--step", is_flag=True, help="Classroom mode: reveal the trace one step per key press.")
@click.option(
    "--delay",
    type=click.FloatRange(0, 3600),
    metavar="SECONDS",
    help="With --step: advance automatically every SECONDS (projector demos); implies --step.",
)
@click.option("--explain", is_flag=True, help="Explain every step in words (also for `adtrace rules`).")
@click.option("--elements", is_flag=True, help="Array programs: take the arrays apart, one scalar per node.")
@click.option(
    "--graph", "graph_only", is_flag=True, help="Print only the drawing of the graph (with -o x.svg: the picture)."
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=0),
    default=200,
    show_default=True,
    help="Rows per section before the middle is skipped (0 = show all).",
)
@click.option(
    "--color/--no-color",
    "color",
    default=None,
    help="Colour on or off (default: on in a terminal, unless NO_COLOR is set; FORCE_COLOR forces it).",
)
# Limits on programs with loops and calls (engine.graph.Limits): a runaway program stops with an error.
@click.option("--max-nodes", type=click.IntRange(min=1), default=1_000_000, show_default=True, help="Most graph nodes.")
@click.option(
    "--max-iterations", type=click.IntRange(min=1), default=100_000, show_default=True, help="Most passes of a loop."
)
@click.option("--max-depth", type=click.IntRange(1, 5000), default=200, show_default=True, help="Deepest nested calls.")
@_practice_options
# --version and --help as click's version_option and help option make them, their texts written here: click looks
# its own texts up in gettext's catalogues at every start (importing locale), 2% of a run that prints a trace.
@click.option(
    "--version", is_flag=True, expose_value=False, is_eager=True, callback=_version, help="Show the version and exit."
)
@click.option(
    "-h", "--help", is_flag=True, expose_value=False, is_eager=True, callback=_help, help="Show this message and exit."
)
def main(
    arguments: tuple[str, ...],
    program_file: Any,
    fmt: str,
    digits: int,
    outputs: str | None,
    seed: str | None,
    mode: str,
    notation: str,
    sample_name: str | None,
    list_samples: bool,
    width: int | None,
    symbolic: bool | None,
    step: bool,
    delay: float | None,
    explain: bool,
    graph_only: bool,
    output_paths: tuple[str, ...],
    quiet: bool,
    theme: str,
    math: str,
    max_rows: int,
    color: bool | None,
    max_nodes: int,
    max_iterations: int,
    max_depth: int,
    adjoint_program: bool,
    hessian: bool,
    hvp: str | None,
    elements: bool,
    **practice: Any,
) -> None:
    """Trace reverse-mode automatic differentiation of EXPRESSION at NAME=VALUE inputs.

    \b
    Examples:
      adtrace 'x1*x2 + sin(x1)' x1=2 x2=3
      adtrace '-x^2 + 1' x=3 --format json
      adtrace 'u = x*y; v = sin(x); f = u + v; g = u*v' x=2 y=3 --outputs f,g
      adtrace --sample neuron
      adtrace 'x1*x2 + sin(x1)'              (no values: a symbolic trace)
      adtrace 'x1*x2 + sin(x1)' x1=2 x2=3 --step --explain
      adtrace rules sin        (the rules card; 'rules' as the first word is reserved)
      adtrace 'x1*x2 + sin(x1)' x1=2 x2=3 -o trace.md
    """
    colour: dict[str, Any] = {} if color is None else {"force_terminal": color, "no_color": not color}
    out = Console(emoji=False, width=width, highlight=False, **colour)
    err = Console(emoji=False, stderr=True, width=width, highlight=False, **colour)
    source = ""
    try:
        if list_samples:
            _print_samples(out)
            return
        args = list(arguments)
        if args[:1] == ["rules"] and not sample_name and program_file is None and not any("=" in a for a in args):
            from .views.rules import rules_card

            out.print(rules_card(args[1:], explain=explain))
            return
        if (step or delay is not None or graph_only) and fmt not in (None, "text"):
            raise OptionError(f"--step, --delay and --graph draw in the terminal: leave out --format {fmt}")
        if sample_name or program_file is not None:
            from . import samples as sample_lib  # loaded only when asked for: start-up time matters

            if sample_name:
                sample = sample_lib.get(sample_name)
            else:
                sample = sample_lib.parse(_program_text(program_file), getattr(program_file, "name", "-"))
            source = sample.source
            given = {arg.split("=", 1)[0].strip() for arg in args}  # the command line overrides the header
            args = [*(v for v in sample.values if v.split("=", 1)[0] not in given), *args]
            outputs = outputs or ",".join(sample.outputs) or None
        elif practice["random_exercise"]:
            pass
        elif args:
            source = args.pop(0)
        else:
            raise click.UsageError("give an expression, e.g. adtrace 'x1*x2 + sin(x1)' x1=2 x2=3 (or --sample NAME)")
        second = _second_derivatives(adjoint_program, hessian, hvp, step, delay, graph_only, fmt)
        if any(practice[k] for k in _PRACTICE):
            if second:
                raise OptionError("--adjoint-program, --hessian and --hvp can't be combined with --quiz or --worksheet")
            if step or delay is not None or graph_only:
                raise OptionError("--quiz and --worksheet can't be combined with --step, --delay or --graph")
            common: dict[str, Any] = {"seed": _parse_seed(seed), "mode": mode, "notation": notation}
            common["outputs"] = _csv(outputs)
            common["elements"] = elements
            common.update(max_nodes=max_nodes, max_iterations=max_iterations, max_depth=max_depth)
            _practice(out, err, source, args, practice, common, symbolic, digits, fmt, output_paths, quiet)
            return
        targets = [(path, _export().format_of(path)) for path in output_paths]
        if graph_only:  # -o x.svg with --graph: the graph's own picture, not the terminal's look
            targets = [(path, "graph-svg" if path_fmt == "terminal-svg" else path_fmt) for path, path_fmt in targets]
        from .api import trace
        from .language.values import parse_assignments

        if quiet and not targets and fmt in (None, "text") and symbolic is None:
            symbolic = False  # nothing will be printed: the symbolic layer would be built for no one
        result = trace(
            source,
            parse_assignments(args),
            outputs=_csv(outputs),
            seed=_parse_seed(seed),
            mode=mode,  # type: ignore[arg-type]
            notation=notation,  # type: ignore[arg-type]
            symbolic=symbolic,
            max_nodes=max_nodes,
            max_iterations=max_iterations,
            max_depth=max_depth,
            elements=elements,
        )
        if second and hessian and getattr(result, "is_arrays", False):
            result = _hessian_elements(result, err, max_nodes)
        for note in result.graph.notes:
            err.print(Text(f"note: {note}", style="dim"), soft_wrap=True)
        for warning in result.warnings:
            err.print(Text(f"warning: {warning}", style="yellow"), soft_wrap=True)
        options: dict[str, Any] = {
            "digits": digits,
            "theme": theme,
            "width": width,
            "math": math,
            "explain": explain,
            "max_rows": max_rows,
        }
        if second:
            _second(result, out, err, targets, options, fmt, quiet, adjoint_program, hessian, hvp, symbolic)
            return
        for path, path_fmt in targets:
            _export().save(result, path, path_fmt, **options)
            if not quiet:
                err.print(Text(f"wrote {path}", style="dim"), soft_wrap=True)
        if fmt in (None, "text"):
            if not quiet:
                _show(result, out, err, digits, explain, max_rows, step, delay, graph_only)
        elif fmt == "json" and getattr(result, "is_arrays", False):
            click.echo(result.to_json())  # the array contract (docs/arrays.md)
        elif fmt == "json":
            from .views.json import file_indent, iter_json

            for piece in iter_json(result, file_indent(result)):  # streamed: a big trace is never held as text
                click.echo(piece, nl=False)
            click.echo()
        else:
            for piece in _export().iter_export(result, fmt, **options):
                click.echo(piece, nl=False)
    except AdtraceError as error:
        _print_error(err, error, source)
        sys.exit(error.exit_code)
    except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt, SystemExit, BrokenPipeError):
        raise
    except Exception as bug:  # a bug of ours: one line, not a traceback (ADTRACE_DEBUG=1 shows it)
        if os.environ.get("ADTRACE_DEBUG"):
            raise
        message = f"internal error: {type(bug).__name__}: {bug} (please report it; ADTRACE_DEBUG=1 shows where)"
        err.print(Text(AdtraceError(message).message), soft_wrap=True)  # one line, whatever the width
        sys.exit(1)


def _second_derivatives(
    adjoint_program: bool,
    hessian: bool,
    hvp: str | None,
    step: bool,
    delay: float | None,
    graph_only: bool,
    fmt: str | None,
) -> bool:
    """Whether the adjoint program or a Hessian is asked for, and the options are ones that go with it."""
    if hvp is not None and not hessian:
        raise OptionError("--hvp gives a Hessian-vector product: add --hessian")
    if not (adjoint_program or hessian):
        return False
    if adjoint_program and hessian:
        raise OptionError("--adjoint-program prints the program and --hessian traces it: pick one")
    if step or delay is not None or graph_only:
        raise OptionError("--adjoint-program and --hessian print on their own: leave out --step, --delay and --graph")
    allowed = ("text", "json", "txt") if adjoint_program else ("text", "json", "md", "markdown", "txt")
    if fmt is not None and fmt not in allowed:
        what = "--adjoint-program" if adjoint_program else "--hessian"
        raise OptionError(f"{what} goes with --format {', '.join(a for a in allowed if a != 'markdown')}, not {fmt}")
    return True


def _parse_vector(text: str) -> dict[str, float]:
    """'x1=1,x2=0' → {'x1': 1.0, 'x2': 0.0} (the --hvp vector); an array input's part is an array, 'x=[1,0]',
    given as its elements (x[0], x[1]: the Hessian of an array program is its elements')."""
    from .language.values import array_value, constant_value

    vector: dict[str, float] = {}
    for part in _top_level_commas(text):
        name, eq, value = part.partition("=")
        if not eq or not name.strip() or not value.strip():
            raise OptionError(f"--hvp takes NAME=VALUE pairs separated by commas, like x1=1,x2=0 (got '{part}')")
        if name.strip() in vector:
            raise OptionError(f"--hvp gives {name.strip()} twice")
        if value.lstrip().startswith("["):
            from .engine.arrays.elements import element_name

            for index, v in _ndenumerate(array_value(value, name.strip())):
                vector[element_name(name.strip(), index)] = v
        else:
            vector[name.strip()] = constant_value(value, name.strip())
    return vector


def _ndenumerate(array: Any) -> list[tuple[tuple[int, ...], float]]:
    import numpy as np

    return [(tuple(int(k) for k in index), float(v)) for index, v in np.ndenumerate(array)]


def _second(
    result: Trace,
    out: Console,
    err: Console,
    targets: list[tuple[str, str]],
    options: dict[str, Any],
    fmt: str | None,
    quiet: bool,
    adjoint_program: bool,
    hessian: bool,
    hvp: str | None,
    symbolic: bool | None,
) -> None:
    """--adjoint-program and --hessian: the program, or the traced Hessian, on stdout and in the -o files."""
    from pathlib import Path

    from .engine import adjoint as adjoint_lib
    from .views import json as json_view

    digits = options["digits"]
    if adjoint_program:
        program = adjoint_lib.adjoint_program(result)
        for path, path_fmt in targets:
            if path_fmt == "py" or path_fmt == "txt":
                _export().write_atomic(Path(path), iter([program]))
            elif getattr(result, "is_arrays", False):
                result.save(path, path_fmt, **options)
            else:
                _export().save(result, path, path_fmt, **options)
            if not quiet:
                err.print(Text(f"wrote {path}", style="dim"), soft_wrap=True)
        if fmt == "json" and getattr(result, "is_arrays", False):
            from .views.arrays import to_json as arrays_json

            click.echo(arrays_json(result, adjoint_program=program))  # type: ignore[arg-type]
        elif fmt == "json":
            click.echo(json_view.to_json(result, adjoint_program=program))
        elif not quiet or fmt is not None:
            if out.is_terminal and not out.no_color and out.color_system is not None:
                from rich.syntax import Syntax

                out.print(Syntax(program.rstrip("\n"), "python", theme="ansi_light", word_wrap=False), crop=False)
            else:
                click.echo(program, nl=False)
        return
    from .engine import hessian as hessian_lib
    from .lesson.hessian import build_hessian

    vector = _parse_vector(hvp) if hvp is not None else None
    if vector is not None:
        found = hessian_lib.hessian(result, vector, symbolic=symbolic)
        found_all = None
    elif fmt == "json" and len(adjoint_lib.sweeps(result)) > 1:
        found_all = hessian_lib.hessians(result, symbolic=symbolic)
        found = next(iter(found_all.values()))
    else:
        found = hessian_lib.hessian(result, symbolic=symbolic)
        found_all = {found.output: found}
    lesson = build_hessian(found, result, digits, explain=options["explain"])
    for path, path_fmt in targets:
        if path_fmt == "json":
            text = json_view.to_json(result, hessians=found_all, hvp=found if vector is not None else None)
            _export().write_atomic(Path(path), iter([text + "\n"]))
        elif path_fmt in ("md", "txt"):
            _export().write_atomic(Path(path), _export().lesson_pieces(lesson, found.trace, path_fmt, **options))
        else:
            raise OptionError(f"--hessian writes .md, .txt and .json files, not .{path_fmt} ('{path}')")
        if not quiet:
            err.print(Text(f"wrote {path}", style="dim"), soft_wrap=True)
    if fmt == "json":
        click.echo(json_view.to_json(result, hessians=found_all, hvp=found if vector is not None else None))
    elif fmt in ("md", "markdown", "txt"):
        for piece in _export().lesson_pieces(lesson, found.trace, "md" if fmt == "markdown" else fmt, **options):
            click.echo(piece, nl=False)
    elif not quiet:
        from .views.terminal import pieces

        for piece in pieces(lesson, found.trace, options["max_rows"]):
            out.print(piece, soft_wrap=True, crop=False)


_PRACTICE = "quiz quiz_forward quiz_partials random_exercise level exercise worksheet answers count".split()


def _practice(
    out: Console,
    err: Console,
    source: str,
    args: list[str],
    p: dict[str, Any],
    common: dict[str, Any],
    symbolic: bool | None,
    digits: int,
    fmt: str | None,
    output_paths: tuple[str, ...],
    quiet: bool,
) -> None:
    """--quiz and --worksheet: on the expression given, or on random exercises (--random)."""
    from .api import trace
    from .language.values import parse_assignments

    quiz, sheet, rand = p["quiz"], p["worksheet"], p["random_exercise"]
    if "forward" in args:
        raise OptionError("--quiz takes no value: to be asked the forward values too, add --quiz-forward")
    if not quiz and not sheet:
        raise OptionError(
            "--random, --level, --exercise, --count, --answers, --quiz-forward and --quiz-partials "
            "go with --quiz or --worksheet"
        )
    if quiz and sheet:
        raise OptionError("--quiz asks in the terminal and --worksheet writes a sheet: pick one")
    if not rand and (p["level"] or p["exercise"] or p["count"]):
        raise OptionError("--level, --exercise and --count choose random exercises: add --random")
    if quiz and (p["count"] or p["answers"] or output_paths or fmt not in (None, "text")):
        raise OptionError("--quiz asks in the terminal: leave out --count, --answers, -o and --format")
    if rand and (source or args):
        raise OptionError("--random makes its own exercise: leave out the expression and its values")
    sheets: list[tuple[str, str, dict[str, Any]]] = []
    if rand:
        from .exercises import exercise

        level = p["level"] or 1
        first = p["exercise"] or random.SystemRandom().randint(1, 9999)
        for k in range(first, first + (p["count"] or 1)):
            made = exercise(level, k)
            sheets.append((_words().exercise_title(level, k), made.source, dict(made.values)))
        common = {**common, "outputs": None}
        if quiz:
            err.print(Text(_words().replay(level, first), style="dim"), soft_wrap=True)
    else:
        sheets.append((" ".join(source.split()), source, dict(parse_assignments(args))))
    traces = [(title, src, trace(src, values, symbolic=symbolic, **common)) for title, src, values in sheets]
    if any(getattr(found, "is_arrays", False) for _, _, found in traces):
        raise OptionError(
            "--quiz and --worksheet ask for scalar adjoints: add --elements to practise on an array program"
        )
    for _, _, found in traces:
        for warning in found.warnings:
            err.print(Text(f"warning: {warning}", style="yellow"), soft_wrap=True)
    if quiz:
        from .views import quiz as quiz_view

        title, src, found = traces[0]
        retrace = functools.partial(_retrace, src, common)
        gc.enable()  # the quiz waits on a person: the collector runs as usual (`adtrace` starts with it off)
        quiz_view.run(
            found,
            out,
            sys.stdin,
            retrace,
            digits=digits,
            values=p["quiz_forward"],
            partials=p["quiz_partials"],
            title=title if rand else "",
        )
        return
    _write_worksheet(out, err, traces, p, digits, fmt, output_paths, quiet)


def _retrace(source: str, common: dict[str, Any], values: dict[str, float]) -> Trace:
    """The same program at other input values (the quiz checks formulas there)."""
    from .api import trace

    if common.get("elements"):  # the quiz's values are the elements': put them back into their arrays
        from .engine.arrays.elements import regroup

        values = regroup(values)
    return trace(source, values, symbolic=False, **common)


def _write_worksheet(
    out: Console,
    err: Console,
    traces: list[tuple[str, str, Trace]],
    p: dict[str, Any],
    digits: int,
    fmt: str | None,
    output_paths: tuple[str, ...],
    quiet: bool,
) -> None:
    from pathlib import Path

    from .views import worksheet

    def sheet_format(path: str) -> Any:
        found = _export().format_of(path)
        if found not in ("md", "html"):
            raise OptionError(f"a worksheet is written as .md or .html, not .{found} ('{path}')")
        return found

    if fmt not in (None, "text", "md", "markdown", "html"):
        raise OptionError(f"a worksheet is markdown or HTML: leave out --format {fmt}")
    answers = p["answers"]
    paths = [(path, sheet_format(path)) for path in output_paths]
    key_format: Any = sheet_format(answers) if answers else "md"
    sheets = [worksheet.Sheet(title, found) for title, _, found in traces]
    body, key = worksheet.documents(
        sheets, digits, values=p["quiz_forward"], partials=p["quiz_partials"], separate=bool(answers)
    )
    for path, path_fmt in paths:
        _export().write_atomic(Path(path), worksheet.render(body, path_fmt))
        if not quiet:
            err.print(Text(f"wrote {path}", style="dim"), soft_wrap=True)
    if answers:
        _export().write_atomic(Path(answers), worksheet.render(key, key_format, _words().ANSWER_KEY))
        if not quiet:
            err.print(Text(f"wrote {answers}", style="dim"), soft_wrap=True)
    if not paths and (not quiet or fmt is not None):
        stdout_fmt: Any = "html" if fmt == "html" else "md"
        for piece in worksheet.render(body, stdout_fmt):
            click.echo(piece, nl=False)


def _words() -> Any:
    from .lesson import quiz_words

    return quiz_words


def _export() -> Any:
    """The export module, imported only when a file or an export format is asked for (start-up time)."""
    from .views import export

    return export


def _show(
    result: Trace,
    out: Console,
    err: Console,
    digits: int,
    explain: bool,
    max_rows: int,
    step: bool,
    delay: float | None,
    graph_only: bool,
) -> None:
    """The terminal view: the whole trace, the graph alone, or the live stepper."""
    if graph_only:
        from .lesson.build import build
        from .views.drawing import GraphDrawing
        from .views.terminal import header

        out.print(*header(build(result, digits)), GraphDrawing(result, digits))
        return
    if step or delay is not None:
        keys = sys.stdin.isatty() and _has_termios()
        if sys.stdout.isatty() and (keys or delay is not None):
            from .views import stepper

            gc.enable()  # the stepper waits on a person: the collector runs as usual (`adtrace` starts with it off)
            try:
                reached = stepper.run(result, out, explain=explain, digits=digits, delay=delay, keys=keys)
            except KeyboardInterrupt:
                err.print(Text("adtrace: stopped (Ctrl-C)"))
                sys.exit(130)
            err.print(Text(f"adtrace: left the lesson at step {reached}."))
            return
        err.print(
            Text("note: --step needs a terminal (stdin and stdout); printing the whole trace instead"), soft_wrap=True
        )
    from .views.terminal import print_trace

    print_trace(out, result, digits, explain=explain, max_rows=max_rows)


HESSIAN_ELEMENTS = 200
"""The most input elements an array program's Hessian is computed for (one tangent pass each)."""


def _hessian_elements(result: Any, err: Console, max_nodes: int) -> Trace:
    """An array program's Hessian is its elements': forward mode over the element level's adjoint program,
    one tangent pass per input element (the JSON puts them back into arrays)."""
    from .api import trace

    count = sum(int(v.size) for v in result.inputs.values())
    if count > HESSIAN_ELEMENTS:
        raise OptionError(
            f"--hessian of an array program takes one tangent pass per input element: {count:,} elements is more "
            f"than {HESSIAN_ELEMENTS} (use --hvp for one Hessian-vector product)"
        )
    from .lesson.array_words import HESSIAN_OF_ELEMENTS

    err.print(Text(f"note: {HESSIAN_OF_ELEMENTS}", style="dim"), soft_wrap=True)
    outputs = [o.name for o in result.graph.outputs]
    return trace(result.source, dict(result.inputs), outputs=outputs, elements=True, max_nodes=max_nodes)


def _has_termios() -> bool:
    try:
        import termios  # noqa: F401  (POSIX only: raw keys for --step)
    except ImportError:
        return False
    return True


def _print_samples(out: Console) -> None:
    from rich.table import Table

    from . import samples as sample_lib

    table = Table(title="Samples (run one with adtrace --sample NAME)", title_justify="left")
    table.add_column("name", style="bold")
    table.add_column("description")
    table.add_column("program")
    for s in sample_lib.all_samples():
        statements = [line.split("#", 1)[0].strip() for line in s.source.splitlines()]
        program = "; ".join(line for line in statements if line)
        table.add_row(s.name, s.description, Text(program + "   " + " ".join(s.values)))
    out.print(table)


def _print_error(err: Console, error: AdtraceError, source: str) -> None:
    if error.source is None and source:
        error.with_source(source)
    where = error.location()
    err.print(Text.assemble(("error: ", "bold red"), error.message + (f" ({where})" if where else "")), soft_wrap=True)
    for line in error.caret_lines():
        err.print(Text("  " + line), soft_wrap=True)
