"""`--step` in a real pseudo-terminal (pexpect): keys advance and go back, the marker moves, q and Ctrl-C
leave the terminal as it was (cooked mode, main screen), and a non-terminal falls back to the full trace."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

pexpect = pytest.importorskip("pexpect")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
COMMAND = [sys.executable, "-m", "adtrace", "x1*x2 + sin(x1)", "x1=2", "x2=3", "--step"]
ENV = {**os.environ, "NO_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "", "LINES": ""}


class Screen:
    """Everything the program has written; `wait` searches it, with escape sequences removed, past the last match."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.raw = ""
        self.pos = 0

    def wait(self, pattern: str, timeout: float = 10.0) -> re.Match[str]:
        end = time.monotonic() + timeout
        ended = False
        while True:
            text = ANSI.sub("", self.raw)
            match = re.compile(pattern).search(text, self.pos)
            if match:
                self.pos = match.end()
                return match
            if ended or time.monotonic() > end:
                why = "the program ended" if ended else "timed out"
                raise AssertionError(f"{pattern!r} never appeared ({why}); output:\n{text[self.pos :][-1500:]}")
            try:
                self.raw += self.child.read_nonblocking(65536, timeout=0.1)
            except pexpect.TIMEOUT:
                pass
            except pexpect.EOF:
                ended = True


# Runs a command in the terminal, then reports its exit status and whether the terminal is back in
# cooked mode (line editing and echo on). Ctrl-C reaches the command, not this wrapper.
AFTERWARDS = """
import signal, subprocess, sys, termios
signal.signal(signal.SIGINT, signal.SIG_IGN)
code = subprocess.call(sys.argv[1:], preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
flags = termios.tcgetattr(sys.stdin.fileno())[3]
print(f"status={code}", "icanon" if flags & termios.ICANON else "-icanon", "echo" if flags & termios.ECHO else "-echo")
"""


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # even when the test runner ignores Ctrl-C


@contextmanager
def lesson(command: list[str], *, then_report: bool = False) -> Iterator[tuple[pexpect.spawn, Screen]]:
    """The command in a pseudo-terminal; when the block ends, its end is awaited and the terminal closed
    (also when the block fails), so `child.exitstatus` can be read after the block."""
    if then_report:
        command = [sys.executable, "-c", AFTERWARDS, *command]
    child = pexpect.spawn(
        command[0],
        command[1:],
        dimensions=(60, 140),
        env=ENV,
        encoding="utf-8",
        codec_errors="replace",  # Ctrl-C may cut a write in the middle of a multi-byte character
        preexec_fn=_default_sigint,
    )
    try:
        yield child, Screen(child)
        child.expect(pexpect.EOF, timeout=10)
    finally:
        child.close(force=True)


def test_keys_move_the_highlight_forward_and_back_and_q_restores_the_terminal() -> None:
    with lesson(COMMAND, then_report=True) as (child, screen):
        screen.wait(r"step 1 of 14: start")
        child.send("\r")
        screen.wait(r"step 2 of 14: forward w1(.|\n)*▶ w1 = x1")
        child.send(" ")
        screen.wait(r"step 3 of 14: forward w2(.|\n)*▶ w2 = x2")
        child.send("\x1b[C")  # →
        screen.wait(r"step 4 of 14: forward w3(.|\n)*▶ w3 = w1·w2")
        child.send("b")
        screen.wait(r"step 3 of 14: forward w2(.|\n)*▶ w2 = x2")
        child.send("\x1b[D")  # ←
        screen.wait(r"step 2 of 14: forward w1")
        child.send("?")
        screen.wait(r"Each key press reveals one step")
        child.send("q")
        screen.wait(r"left the lesson at step 2")
        report = screen.wait(r"status=\S+ \S+ \S+").group(0)
    assert report == "status=0 icanon echo"  # cooked mode is back: line editing and echo on
    assert "\x1b[?1049l" in screen.raw  # the alternate screen was left
    assert "\x1b[?25h" in screen.raw  # the cursor is shown again


def test_the_whole_lesson_reaches_the_gradient() -> None:
    with lesson([*COMMAND, "--explain"]) as (child, screen):
        screen.wait(r"step 1 of 14")
        for _ in range(12):
            child.send("\r")
        screen.wait(r"step 13 of 14: sum w1(.|\n)*w̄1 = 3 \+ \(-0.4161\) = 2.584(.|\n)*two paths")
        child.send("\r")
        screen.wait(r"Done: ∂z/∂x1 = 2.584, ∂z/∂x2 = 2")
        child.send("\r")  # past the end: stays on the last step
        screen.wait(r"step 14 of 14")
        child.send("q")
    assert child.exitstatus == 0


def test_ctrl_c_restores_the_terminal() -> None:
    with lesson(COMMAND, then_report=True) as (child, screen):
        screen.wait(r"step 1 of 14")
        child.send("\r")
        screen.wait(r"step 2 of 14")
        child.sendintr()
        report = screen.wait(r"status=\S+ \S+ \S+").group(0)
    assert report == "status=130 icanon echo"
    assert "\x1b[?1049l" in screen.raw


def test_delay_advances_by_itself() -> None:
    with lesson([*COMMAND, "--delay", "0.05"]) as (child, screen):
        screen.wait(r"step 14 of 14: done", timeout=15)
        child.send("q")
    assert child.exitstatus == 0


def test_not_a_terminal_prints_the_whole_trace_with_a_note() -> None:
    done = subprocess.run(COMMAND, capture_output=True, text=True, env=ENV, stdin=subprocess.DEVNULL, timeout=30)
    assert done.returncode == 0
    assert done.stderr.strip() == "note: --step needs a terminal (stdin and stdout); printing the whole trace instead"
    assert "5. Reverse pass" in done.stdout and "\x1b[?1049h" not in done.stdout
