"""Exports: one Trace to markdown, HTML, SVG, plain text or JSON, written safely.

The format comes from the file's extension (or is named, for stdout). A file is
written completely or not at all: the export streams into a temporary file in
the same folder, which then replaces the target in one `os.replace`, so an
existing file is only ever replaced by a complete new one.

HTML is the web lesson (views/web.py): one self-contained page that steps
through the trace and documents it. terminal-html, (terminal-)svg and text are
the terminal view (`views/terminal.render`, honouring `max_rows` as the
terminal does) as rich records it; markdown and JSON have their own renderers.
Markdown, JSON, text and the web lesson are streamed to the file piece by
piece; terminal-html and SVG are built in memory by rich first (rich exports a
whole recording at once).
"""

from __future__ import annotations

import contextlib
import html
import io
import os
import re
import secrets
import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.terminal_theme import MONOKAI, TerminalTheme

from ..engine.trace import Trace
from ..errors import ExportError, UnknownFormatError
from ..lesson.model import Lesson

Theme = Literal["light", "dark"]

FORMATS: dict[str, str] = {
    "md": "markdown: the trace with LaTeX math and a Mermaid graph (GitHub, Jupyter, Obsidian, VS Code, pandoc)",
    "html": "the web lesson: one self-contained page that steps through the trace (no network needed)",
    "terminal-html": "the terminal trace as a self-contained web page",
    "terminal-svg": "the terminal trace as a picture",
    "txt": "the terminal trace as plain text, without colour",
    "json": "the JSON contract, indented",
    "graph-svg": "the graph alone as a picture (an .svg file with --graph)",
    "py": "the adjoint program: the reverse pass as code that adtrace and Python both run",
}
ALIASES = {"markdown": "md", "htm": "html", "text": "txt", "svg": "terminal-svg"}
EXTENSIONS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".svg": "terminal-svg", ".txt": "txt"}
EXTENSIONS[".json"] = "json"
EXTENSIONS[".py"] = "py"
THEMES: tuple[Theme, ...] = ("light", "dark")
DEFAULT_WIDTH = 100

LIGHT = TerminalTheme(
    (255, 255, 255),
    (20, 20, 20),
    # black, red, green, yellow, blue, magenta, cyan, white: dark enough to read on white from the back of a room
    [
        (20, 20, 20),
        (170, 20, 20),
        (0, 120, 30),
        (150, 95, 0),
        (20, 60, 190),
        (140, 20, 140),
        (0, 110, 130),
        (90, 90, 90),
    ],
    [
        (90, 90, 90),
        (200, 30, 30),
        (0, 140, 40),
        (170, 110, 0),
        (40, 80, 210),
        (160, 40, 160),
        (0, 130, 150),
        (40, 40, 40),
    ],
)
DARK = MONOKAI

_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{{stylesheet}}
body {{{{
    color: {{foreground}};
    background-color: {{background}};
    margin: 2em;
}}}}
pre {{{{
    font-family: Menlo, 'DejaVu Sans Mono', Consolas, 'Courier New', monospace;
    font-size: 18px;
    line-height: 1.15;
}}}}
</style>
</head>
<body>
<pre><code style="font-family:inherit">{{code}}</code></pre>
</body>
</html>
"""


def supported() -> str:
    """'md (.md, .markdown), html (.html, .htm), …' for error messages and help."""
    parts = []
    for fmt in FORMATS:
        exts = ", ".join(e for e, f in EXTENSIONS.items() if f == fmt)
        if exts:  # graph-svg is asked for by --graph, not by a name
            parts.append(f"{fmt} ({exts})")
    return ", ".join(parts)


def normalise(fmt: str) -> str:
    """A format name as typed ('markdown', 'MD') → its key in FORMATS."""
    key = fmt.lower().lstrip(".")
    key = ALIASES.get(key, key)
    if key not in FORMATS:
        raise UnknownFormatError(f"unknown export format '{fmt}': the supported formats are {supported()}")
    return key


def format_of(path: str | os.PathLike[str]) -> str:
    """The format a file name asks for, from its extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        what = f"extension '{suffix}'" if suffix else "no extension"
        raise UnknownFormatError(f"cannot tell the format of '{os.fspath(path)}' ({what}): use one of {supported()}")
    return EXTENSIONS[suffix]


def iter_export(
    trace: Trace,
    fmt: str,
    *,
    digits: int = 4,
    theme: Theme = "light",
    width: int | None = None,
    math: str = "dollars",
    explain: bool = False,
    max_rows: int | None = None,
) -> Iterator[str]:
    """The export as text in pieces (one piece for terminal-html and SVG); `explain` adds the --explain
    sentences; `max_rows` elides the terminal looks' long sections as the terminal does (0 = show all)."""
    from .terminal import DEFAULT_MAX_ROWS

    rows = DEFAULT_MAX_ROWS if max_rows is None else max_rows
    fmt = normalise(fmt)
    width = width or DEFAULT_WIDTH
    if fmt == "md":
        from .markdown import iter_markdown

        yield from iter_markdown(trace, digits, math, explain=explain)  # type: ignore[arg-type]
    elif fmt == "json":
        if getattr(trace, "is_arrays", False):  # the array contract (docs/arrays.md); numpy only for arrays
            from .arrays import to_json as arrays_json

            yield arrays_json(trace)  # type: ignore[arg-type]
        else:
            from .json import file_indent, iter_json

            yield from iter_json(trace, file_indent(trace))
        yield "\n"
    elif fmt == "txt":
        yield from _text(trace, digits, width, explain, rows)
    elif fmt == "html":
        from .web import iter_html

        _check_theme(theme)
        yield from iter_html(trace, digits, theme)
    elif fmt == "py":
        from ..engine.adjoint import adjoint_program

        yield adjoint_program(trace)
    elif fmt == "graph-svg":
        from .graph_svg import graph_svg

        yield graph_svg(trace, digits, theme)
    else:
        yield _recorded(trace, fmt, digits, theme, width, explain, rows)


def render(trace: Trace, fmt: str, **options: object) -> str:
    return "".join(iter_export(trace, fmt, **options))  # type: ignore[arg-type]


def save(trace: Trace, path: str | os.PathLike[str], fmt: str | None = None, **options: object) -> Path:
    """Write the export to `path` atomically; the format is `fmt` or comes from the extension."""
    written = os.fspath(path)
    if isinstance(written, str) and (written.endswith(("/", "/.", "/..")) or written in (".", "..")):
        # Path('a.md/') is Path('a.md'): the slash asked for a folder, so don't write a file called a.md
        raise ExportError(f"cannot write '{written}': the name ends in '/', so it names a folder, not a file")
    target = Path(path)
    fmt = normalise(fmt) if fmt else format_of(target)
    pieces = iter_export(trace, fmt, **options)  # type: ignore[arg-type]
    write_atomic(target, pieces)
    return target


_TEMP = re.compile(r"^\.(?P<name>.*)\.(?P<host>[A-Za-z0-9-]*)\.(?P<pid>[0-9]+)\.[0-9a-f]+\.adtrace\.tmp$")
"""A temporary export: `.NAME.HOST.PID.RANDOM.adtrace.tmp`, so a later run can tell whose it is."""


def write_atomic(target: Path, pieces: Iterator[str]) -> None:
    """Stream `pieces` into a temporary file beside `target`, then rename it over `target`.

    On any failure the temporary file is removed and `target` is left as it was. What may be replaced:
    a regular file we may write (read-only ones are refused, as are FIFOs, devices, sockets and folders),
    or nothing. A symlink is followed: the file it points to is replaced atomically (the link stays a
    link), and a dangling one is refused. The new file keeps the old one's permissions and, where the OS
    allows it, its owner and group; it is a new file, so other hard links to the old one keep the old text.
    Temporary files of runs that were killed (their process is gone) are removed when the folder is next
    written to; a live run's never are.
    """
    real = _writable_target(target)
    folder = real.parent
    _remove_stale_temps(folder)
    name = real.name[:80]  # so a long target name still leaves room for the temporary one (NAME_MAX 255)
    try:
        temp = folder / f".{name}.{_host()}.{os.getpid()}.{secrets.token_hex(4)}.adtrace.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as error:
        raise ExportError(f"cannot write '{target}': {_reason(error)}") from error
    try:
        with open(fd, "w", encoding="utf-8", newline="\n") as handle:
            for piece in pieces:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        _copy_owner_and_mode(real, temp)
        os.replace(temp, real)
    except BaseException as error:
        temp.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise ExportError(f"cannot write '{target}': {_reason(error)}") from error
        raise


def _writable_target(target: Path) -> Path:
    """The file to replace (a symlink's target, followed), or an ExportError saying why it may not be."""
    try:
        info = os.lstat(target)
    except (FileNotFoundError, NotADirectoryError):  # nothing there yet (or a file where a folder should be)
        info = None
    except OSError as error:  # a name too long, a file in the way of a folder, no permission to look
        raise ExportError(f"cannot write '{target}': {_reason(error)}") from error
    real = target
    if info is not None and stat.S_ISLNK(info.st_mode):
        try:
            real = Path(os.path.realpath(target, strict=True))
            info = os.stat(real)
        except OSError as error:
            raise ExportError(
                f"cannot write '{target}': it is a symlink to nothing that can be written ({_reason(error)})"
            ) from error
    if info is None:
        folder = target.parent if str(target.parent) else Path(".")
        if not folder.is_dir():
            raise ExportError(f"cannot write '{target}': the folder '{folder}' does not exist")
        return target
    if stat.S_ISDIR(info.st_mode):
        raise ExportError(f"cannot write '{target}': it is a folder")
    if not stat.S_ISREG(info.st_mode):
        what = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode) else "a device"
        raise ExportError(f"cannot write '{target}': it is {what}, not a regular file, so it is left alone")
    if not info.st_mode & 0o222 or not os.access(real, os.W_OK):  # the mode bits too: root may write anything
        raise ExportError(f"cannot write '{target}': permission denied (the file is read-only)")
    return real


def _copy_owner_and_mode(old: Path, new: Path) -> None:
    """Give the new file the permissions (and, if allowed, the owner and group) of the file it replaces;
    a new file gets the usual ones (0o666 less the umask)."""
    try:
        info = os.stat(old)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(new, 0o666 & ~mask)
        return
    if hasattr(os, "chown") and (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
        try:
            os.chown(new, info.st_uid, info.st_gid)
        except OSError:
            with contextlib.suppress(OSError):  # the group alone, where we belong to it
                os.chown(new, -1, info.st_gid)
    os.chmod(new, stat.S_IMODE(info.st_mode))


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40]


def _remove_stale_temps(folder: Path) -> None:
    """Remove temporary exports left by runs on this host whose process no longer exists (SIGKILL)."""
    host = _host()
    try:
        entries = [e.name for e in os.scandir(folder) if e.name.endswith(".adtrace.tmp")]
    except OSError:
        return
    for entry in entries:
        match = _TEMP.match(entry)
        if match is None or match["host"] != host or _alive(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            (folder / entry).unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process, or a pid we can't ask about: never remove its file
    return True


def write_stream(stream: TextIO, trace: Trace, fmt: str, **options: object) -> None:
    for piece in iter_export(trace, fmt, **options):  # type: ignore[arg-type]
        stream.write(piece)


def _reason(error: OSError) -> str:
    return (error.strerror or str(error)).lower()


def _console(width: int, file: TextIO, *, colour: bool, record: bool) -> Console:
    return Console(
        file=file,
        width=width,
        record=record,
        force_terminal=colour,
        color_system="truecolor" if colour else None,
        no_color=not colour,
        highlight=False,
        legacy_windows=False,
        emoji=False,
        force_jupyter=False,
    )


def _text(trace: Trace, digits: int, width: int, explain: bool = False, max_rows: int = 200) -> Iterator[str]:
    """The terminal view without colour, a piece (a chunk of a section) at a time."""
    from ..lesson.build import build
    from .terminal import pieces

    buffer = io.StringIO()
    console = _console(width, buffer, colour=False, record=False)
    for part in pieces(build(trace, digits, explain=explain), trace, max_rows):
        console.print(part, soft_wrap=True, crop=False)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def lesson_pieces(lesson: Lesson, trace: Trace, fmt: str, **options: object) -> Iterator[str]:
    """A lesson other than the trace's own (a Hessian's) as markdown or plain text, in pieces."""
    if fmt == "md":
        from .markdown import iter_markdown

        yield from iter_markdown(trace, lesson.digits, options.get("math", "dollars"), lesson=lesson)  # type: ignore[arg-type]
        return
    from .terminal import pieces

    width = options.get("width") or DEFAULT_WIDTH
    max_rows = options.get("max_rows")
    buffer = io.StringIO()
    console = _console(width, buffer, colour=False, record=False)  # type: ignore[arg-type]
    for part in pieces(lesson, trace, 200 if max_rows is None else max_rows):  # type: ignore[arg-type]
        console.print(part, soft_wrap=True, crop=False)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _check_theme(theme: str) -> None:
    if theme not in THEMES:
        raise UnknownFormatError(f"unknown theme '{theme}': use {' or '.join(THEMES)}")


def _recorded(
    trace: Trace, fmt: str, digits: int, theme: Theme, width: int, explain: bool = False, max_rows: int = 200
) -> str:
    from .terminal import render as render_terminal

    _check_theme(theme)
    console = _console(width, io.StringIO(), colour=True, record=True)
    console.print(render_terminal(trace, digits, explain=explain, max_rows=max_rows))
    palette = LIGHT if theme == "light" else DARK
    title = f"adtrace: {' '.join(trace.source.split())}"
    if fmt == "terminal-html":
        page = _HTML.format(title=_html_escape(title))
        return console.export_html(theme=palette, code_format=page, inline_styles=False)
    svg = console.export_svg(theme=palette, title=title)
    # Self-contained: drop rich's web-font download; the font list falls back to the local monospace font.
    svg = re.sub(r",\s*url\(\"https?://[^\"]*\"\) format\(\"[a-z0-9]+\"\)", "", svg)
    return _TEXT_WITH_MARKS.sub(_fit_marks, svg)


_TEXT_WITH_MARKS = re.compile(r'(<text [^>]*textLength=")([0-9.]+)("[^>]*>)([^<]*[\u0300-\u036f][^<]*)(</text>)')


def _fit_marks(match: re.Match[str]) -> str:
    """Rich sizes an SVG text run by its characters, but places runs by terminal cells; a combining mark
    (the bar of w̄, the dot of ẇ) takes no cell, so without this the run is stretched over the next one."""
    text = html.unescape(match.group(4))
    length = float(match.group(2)) / len(text) * cell_len(text)
    return f"{match.group(1)}{length:g}{match.group(3)}{match.group(4)}{match.group(5)}"


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("{", "{{").replace("}", "}}")
