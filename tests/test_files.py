"""Files in and out (issue #13, items 5, 6 and 14): what -o may replace, how, and how -f reads."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from adtrace import trace
from adtrace.cli import main
from adtrace.errors import ExportError
from adtrace.views.export import write_atomic

SEED = ["x1*x2 + sin(x1)", "x1=2", "x2=3"]


def run(runner: CliRunner, *args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = runner.invoke(main, list(args), env={"NO_COLOR": "1"}, input=stdin)
    return result.exit_code, result.stdout, result.stderr


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


# -- 5. what -o may replace ---------------------------------------------------------------------------
def test_a_read_only_file_is_refused_and_left_as_it_was(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "t.md"
    target.write_text("keep me", encoding="utf-8")
    target.chmod(0o444)
    code, _, err = run(runner, *SEED, "-q", "-o", str(target))
    assert code == 1 and "read-only" in one_error_line(err)
    assert target.read_text(encoding="utf-8") == "keep me"


def test_a_fifo_at_the_target_is_refused_not_turned_into_a_file(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "t.md"
    os.mkfifo(target)
    code, _, err = run(runner, *SEED, "-q", "-o", str(target))
    assert code == 1 and "FIFO" in one_error_line(err)
    assert stat.S_ISFIFO(os.lstat(target).st_mode)


def test_a_symlink_is_followed_and_its_target_replaced_atomically(runner: CliRunner, tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_text("old", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.md"
    link.symlink_to("real.md")
    code, _, _ = run(runner, *SEED, "-q", "-o", str(link))
    assert code == 0
    assert link.is_symlink() and os.readlink(link) == "real.md"  # the link stays a link
    assert real.read_text(encoding="utf-8") == trace(*SEED[:1], x1=2, x2=3).to_markdown()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # the mode is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.md", "real.md"]


def test_a_dangling_symlink_or_a_symlink_to_a_fifo_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "dangling.md").symlink_to("nowhere.md")
    code, _, err = run(runner, *SEED, "-q", "-o", str(tmp_path / "dangling.md"))
    assert code == 1 and "symlink" in one_error_line(err)
    assert not (tmp_path / "nowhere.md").exists()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "tofifo.md").symlink_to("fifo")
    code, _, err = run(runner, *SEED, "-q", "-o", str(tmp_path / "tofifo.md"))
    assert code == 1 and "FIFO" in one_error_line(err)


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "null.md"
    link.symlink_to("/dev/null")
    with pytest.raises(ExportError, match="device"):
        trace("x*2", x=1).save(link)


def test_a_hard_link_is_broken_and_the_owner_and_mode_kept(tmp_path: Path) -> None:
    target = tmp_path / "t.md"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o604)
    other = tmp_path / "other.md"
    os.link(target, other)
    trace("x*2", x=1).save(target)
    assert other.read_text(encoding="utf-8") == "old"  # documented: the new file is a new inode
    assert stat.S_IMODE(target.stat().st_mode) == 0o604
    assert target.stat().st_uid == other.stat().st_uid


def test_a_too_long_file_name_is_one_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err = run(runner, *SEED, "-q", "-o", str(tmp_path / ("x" * 300 + ".md")))
    assert code == 1 and "too long" in one_error_line(err)


def test_a_name_of_exactly_255_characters_is_written(tmp_path: Path) -> None:
    target = tmp_path / ("y" * 252 + ".md")
    trace("x*2", x=1).save(target)
    assert target.is_file() and [p.name for p in tmp_path.iterdir()] == [target.name]


@pytest.mark.parametrize("suffix", ["/", "/."])
def test_a_trailing_slash_is_a_folder_not_a_file(runner: CliRunner, tmp_path: Path, suffix: str) -> None:
    code, _, err = run(runner, *SEED, "-q", "-o", str(tmp_path / "a.md") + suffix)
    assert code == 1 and "folder" in one_error_line(err)
    assert list(tmp_path.iterdir()) == []


def test_stale_temporary_files_of_killed_runs_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    """A run killed mid-export leaves its temporary file; the next run removes it (its process is gone),
    but never the file of a run that is still writing."""
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from adtrace.views.export import write_atomic
        def pieces():
            yield "x" * 100000
            print("writing", flush=True)
            time.sleep(60)
            yield "never"
        write_atomic(Path({str(tmp_path / "t.md")!r}), pieces())
        """
    )
    killed = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    live = subprocess.Popen([sys.executable, "-c", script.replace("t.md", "u.md")], stdout=subprocess.PIPE)
    try:
        assert killed.stdout is not None and killed.stdout.readline() == b"writing\n"
        assert live.stdout is not None and live.stdout.readline() == b"writing\n"
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        temps = sorted(p.name for p in tmp_path.iterdir())
        assert len(temps) == 2 and all(name.endswith(".adtrace.tmp") for name in temps)
        trace("x*2", x=1).save(tmp_path / "v.md")
        left = sorted(p.name for p in tmp_path.iterdir())
        assert "v.md" in left and not any(name.startswith(".t.md.") for name in left)
        assert any(name.startswith(".u.md.") for name in left)  # the live run's file is kept
    finally:
        for process in (killed, live):
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    def pieces():  # type: ignore[no-untyped-def]
        yield "part"
        raise OSError(28, "No space left on device")

    with pytest.raises(ExportError, match="no space left"):
        write_atomic(tmp_path / "t.md", pieces())
    assert list(tmp_path.iterdir()) == []


# -- 6. -f: UTF-8, a byte-order mark, bad bytes --------------------------------------------------------
def test_a_program_file_with_a_byte_order_mark_reads_its_header(runner: CliRunner, tmp_path: Path) -> None:
    program = tmp_path / "p.adt"
    program.write_bytes("\ufeff# values: x=3\nx*x\n".encode())
    code, out, err = run(runner, "-f", str(program), "--format", "json")
    assert code == 0, err
    assert '"x": 3.0' in out and '"expression": "x*x"' in out


@pytest.mark.parametrize("via_stdin", [False, True])
def test_a_program_that_is_not_utf8_is_a_usage_error(runner: CliRunner, tmp_path: Path, via_stdin: bool) -> None:
    data = b"x*\xff + 1\n"
    if via_stdin:
        code, _, err = run(runner, "-f", "-", "x=1", stdin=data)
    else:
        program = tmp_path / "p.adt"
        program.write_bytes(data)
        code, _, err = run(runner, "-f", str(program), "x=1")
    line = one_error_line(err)
    assert code == 2 and "not UTF-8" in line and "0xff" in line


# -- 14. --sample takes a name, not a path; internal errors are one line ----------------------------
@pytest.mark.parametrize("name", ["../samples/seed", "/etc/passwd", "seed.adt", "../../README"])
def test_sample_takes_only_a_shipped_sample_name(runner: CliRunner, name: str) -> None:
    code, _, err = run(runner, "--sample", name)
    assert code == 2 and "no sample named" in one_error_line(err)


def test_an_internal_error_is_one_line_at_any_width(monkeypatch: pytest.MonkeyPatch) -> None:
    import adtrace.api as api

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a long message " * 20 + "\nwith a newline")

    monkeypatch.setattr(api, "trace", broken)  # the CLI imports it when it makes a trace
    result = CliRunner().invoke(main, ["x*2", "x=1", "--width", "40"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("internal error: RuntimeError")
