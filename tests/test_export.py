"""Exports through the CLI and the Python API: every format, atomic writes, and every error path."""

from __future__ import annotations

import errno
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from adtrace import trace
from adtrace.cli import main
from adtrace.errors import ExportError, UnknownFormatError
from adtrace.lesson.model import Section
from adtrace.views.export import format_of, iter_export, normalise, write_atomic
from adtrace.views.terminal import to_text

SEED = ["x1*x2 + sin(x1)", "x1=2", "x2=3"]


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(main, list(args), env={"NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_markdown_file_from_the_extension_and_the_terminal_trace_still_shown(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "trace.md"
    code, out, err = run(runner, *SEED, "-o", str(target))
    assert code == 0
    assert "6. Result" in out and "w̄1 = w̄3·∂w3/∂w1" in out  # the terminal view, as without -o
    assert f"wrote {target}" in err
    assert target.read_text(encoding="utf-8") == trace("x1*x2 + sin(x1)", x1=2, x2=3).to_markdown()
    assert leftovers(tmp_path) == []


def test_format_and_output_combine(runner: CliRunner, tmp_path: Path) -> None:
    code, out, _ = run(runner, *SEED, "--format", "json", "-o", str(tmp_path / "t.md"), "-o", str(tmp_path / "t.txt"))
    assert code == 0
    assert json.loads(out)["gradient"]["x2"] == 2.0
    assert (tmp_path / "t.md").read_text(encoding="utf-8").startswith("# adtrace")
    assert "6. Result" in (tmp_path / "t.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["md", "markdown", "html", "svg", "txt"])
def test_every_format_to_stdout(runner: CliRunner, fmt: str) -> None:
    code, out, _ = run(runner, *SEED, "--format", fmt)
    assert code == 0 and "2.584" in out
    assert out.startswith(
        {"md": "# adtrace", "markdown": "# adtrace", "html": "<!DOCTYPE html>", "svg": "<svg"}.get(fmt, "┏")
    )


def test_quiet_prints_nothing_on_stdout(runner: CliRunner, tmp_path: Path) -> None:
    code, out, err = run(runner, *SEED, "-o", str(tmp_path / "t.html"), "--quiet")
    assert code == 0 and out == "" and err == ""
    assert (tmp_path / "t.html").is_file()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_html_svg_txt_json_exist_complete_and_hold_the_gradient(runner: CliRunner, tmp_path: Path, theme: str) -> None:
    names = ["t.html", "t.svg", "t.txt", "t.json", "t.markdown"]
    args = [a for name in names for a in ("-o", str(tmp_path / name))]
    code, _, _ = run(runner, *SEED, *args, "--theme", theme, "-q")
    assert code == 0
    page = (tmp_path / "t.html").read_text(encoding="utf-8")
    svg = (tmp_path / "t.svg").read_text(encoding="utf-8")
    txt = (tmp_path / "t.txt").read_text(encoding="utf-8")
    for text in (page, svg, txt):
        assert "2.584" in text and "0.9093" in text  # ∂z/∂x1 and w4
        assert "Result" in text
    assert page.rstrip().endswith("</html>") and "http" not in page.split("<body>")[0]  # self-contained
    assert svg.rstrip().endswith("</svg>") and 'url("http' not in svg
    # w̄1 takes two terminal cells, like w1: its run must not be stretched over the next one.
    widths = {m[1]: m[0] for m in re.findall(r'textLength="([0-9.]+)"[^>]*>(w̄1|w1)</text>', svg)}
    assert widths["w̄1"] == widths["w1"]
    assert f'data-theme="{theme}"' in page  # the web lesson; its colours are CSS variables of the theme
    assert "\x1b[" not in txt and txt.rstrip().endswith("╯")  # no colour, and the last panel is closed
    data = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert data["gradient"] == pytest.approx({"x1": 2.5838531634528574, "x2": 2.0})
    assert (tmp_path / "t.json").read_text(encoding="utf-8").startswith('{\n  "expression"')  # indented
    assert (tmp_path / "t.markdown").read_text(encoding="utf-8").startswith("# adtrace")


def test_unknown_extension_is_a_usage_error_listing_the_formats(runner: CliRunner, tmp_path: Path) -> None:
    code, out, err = run(runner, *SEED, "-o", str(tmp_path / "trace.docx"))
    assert code == 2 and out == ""
    line = err.splitlines()[0]
    assert line.startswith("error: cannot tell the format of") and "'.docx'" in line
    for ext in (".md", ".html", ".svg", ".txt", ".json"):
        assert ext in line
    assert list(tmp_path.iterdir()) == []
    code, _, err = run(runner, *SEED, "-o", str(tmp_path / "trace"))
    assert code == 2 and "(no extension)" in err


def test_unknown_format_option_is_rejected_by_click(runner: CliRunner) -> None:
    code, _, err = run(runner, *SEED, "--format", "docx")
    assert code == 2 and "docx" in err


def test_unwritable_paths_are_one_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    code, out, err = run(runner, *SEED, "-o", str(tmp_path / "missing" / "t.md"))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"error: cannot write '{tmp_path / 'missing' / 't.md'}': the folder '{tmp_path / 'missing'}' does not exist"
    ]
    (tmp_path / "afolder.md").mkdir()
    code, _, err = run(runner, *SEED, "-o", str(tmp_path / "afolder.md"))
    assert code == 1 and "it is a folder" in err and "Traceback" not in err
    (tmp_path / "file").write_text("x", encoding="utf-8")
    code, _, err = run(runner, *SEED, "-o", str(tmp_path / "file" / "t.md"))
    assert code == 1 and "does not exist" in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write into a read-only folder")
def test_read_only_folder(runner: CliRunner, tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        code, _, err = run(runner, *SEED, "-o", str(tmp_path / "t.md"))
    finally:
        tmp_path.chmod(0o700)
    assert code == 1 and "permission denied" in err


def test_a_failure_mid_write_leaves_the_old_file_and_no_temporary(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "trace.md"
    target.write_text("the old, complete trace\n", encoding="utf-8")
    target.chmod(0o640)
    from adtrace.views import markdown

    original = markdown._Writer.section

    def disk_full(self: markdown._Writer, section: Section, *args: Any) -> Iterator[str]:
        if section.kind == "result":  # a late section: most of the file is written
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, section, *args)

    monkeypatch.setattr(markdown._Writer, "section", disk_full)
    code, out, err = run(runner, *SEED, "-o", str(target))
    assert code == 1 and out == ""
    assert err.splitlines() == [f"error: cannot write '{target}': no space left on device"]
    assert target.read_text(encoding="utf-8") == "the old, complete trace\n"
    assert leftovers(tmp_path) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["trace.md"]
    monkeypatch.undo()
    code, _, _ = run(runner, *SEED, "-o", str(target))
    assert code == 0 and target.read_text(encoding="utf-8").startswith("# adtrace")
    assert target.stat().st_mode & 0o777 == 0o640  # replaced, permissions kept


def test_write_atomic_cleans_up_on_interrupt(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    target.write_text("old", encoding="utf-8")

    def pieces() -> object:
        yield "new "
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, pieces())  # type: ignore[arg-type]
    assert target.read_text(encoding="utf-8") == "old" and leftovers(tmp_path) == []


def test_txt_is_the_terminal_view_without_colour_written_a_section_at_a_time() -> None:
    t = trace("x1*x2 + sin(x1)", x1=2, x2=3)
    pieces = list(iter_export(t, "txt"))
    assert len(pieces) > 8 and "".join(pieces) == to_text(t)  # the header and seven sections, in pieces
    assert sum(piece.startswith("╭─") for piece in pieces) == 7


def test_format_names() -> None:
    assert format_of("a/b.MD") == "md" and format_of("x.htm") == "html" and normalise("markdown") == "md"
    with pytest.raises(UnknownFormatError) as info:
        normalise("pdf")
    assert info.value.exit_code == 2 and "md (.md, .markdown)" in info.value.message
    assert ExportError("x").exit_code == 1


def test_python_api(tmp_path: Path) -> None:
    t = trace("x1*x2 + sin(x1)", x1=2, x2=3)
    md = t.to_markdown()
    assert md.startswith("# adtrace") and "\\bar w_{1} &= \\bar w_{3}" in md
    assert t._repr_markdown_() == md
    assert t.to_html().startswith("<!DOCTYPE html>") and "2.584" in t.to_html(theme="dark")
    assert json.loads(t.to_json())["gradient"]["x2"] == 2.0
    assert t.save(tmp_path / "t.md") == tmp_path / "t.md"
    assert (tmp_path / "t.md").read_text(encoding="utf-8") == md
    t.save(tmp_path / "as_html.txt", "html")
    assert (tmp_path / "as_html.txt").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "6. Result" in str(t)
    t.save(tmp_path / "t.json")
    assert (tmp_path / "t.json").read_text(encoding="utf-8") == t.to_json() + "\n"
    with pytest.raises(UnknownFormatError):
        t.to_markdown(math="mathjax")  # type: ignore[arg-type]
    with pytest.raises(UnknownFormatError):
        t.save(tmp_path / "t.pdf")


@pytest.mark.slow
def test_a_big_trace_exports_completely(runner: CliRunner, tmp_path: Path) -> None:
    source = "; ".join(["y = x*x"] + ["y = sin(y) + x"] * 5000)  # 10 002 nodes
    code, out, _ = run(runner, source, "x=0.5", "-o", str(tmp_path / "big.md"), "-o", str(tmp_path / "big.json"), "-q")
    assert code == 0 and out == ""
    text = (tmp_path / "big.md").read_text(encoding="utf-8")
    assert "too many to draw" in text and text.count("\\bar w_{") > 10_000
    assert "## 6. Result" in text and "symbolic layer left out: the graph has 10002 nodes" in text
    assert text.rstrip().endswith("1 asks for ∂y/∂w itself.") and "## 7. Why seeds?" in text
    data = json.loads((tmp_path / "big.json").read_text(encoding="utf-8"))
    assert len(data["nodes"]) == 10_002 and leftovers(tmp_path) == []
