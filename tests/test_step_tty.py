"""`--step` in a real pseudo-terminal (pexpect): keys advance and go back, the marker moves, q and Ctrl-C
leave the terminal as it was (cooked mode, main screen), and a non-terminal falls back to the full trace."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time

import pytest

pexpect = pytest.importorskip("pexpect")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
COMMAND = [sys.executable, "-m", "adtrace", "x1*x2 + sin(x1)", "x1=2", "x2=3", "--step"]
ENV = {**os.environ, "NO_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "", "LINES": ""}


class Screen:
    """What the program has written since the last match, with escape sequences removed."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.raw = ""
        self.seen = ""

    def wait(self, pattern: str, timeout: float = 10.0) -> re.Match[str]:
        end = time.monotonic() + timeout
        while True:
            match = re.search(pattern, ANSI.sub("", self.raw))
            if match:
                self.seen += self.raw
                self.raw = ""
                return match
            if time.monotonic() > end:
                raise AssertionError(f"{pattern!r} never appeared; last output:\n{ANSI.sub('', self.raw)[-1500:]}")
            try:
                self.raw += self.child.read_nonblocking(65536, timeout=0.1)
            except pexpect.TIMEOUT:
                pass
            except pexpect.EOF as ended:
                if not re.search(pattern, ANSI.sub("", self.raw)):
                    output = ANSI.sub("", self.raw)[-1500:]
                    raise AssertionError(f"{pattern!r}: the program ended; output:\n{output}") from ended


def spawn(command: str | list[str]) -> tuple[pexpect.spawn, Screen]:
    if isinstance(command, list):
        child = pexpect.spawn(command[0], command[1:], dimensions=(60, 140), env=ENV, encoding="utf-8")
    else:
        child = pexpect.spawn("sh", ["-c", command], dimensions=(60, 140), env=ENV, encoding="utf-8")
    return child, Screen(child)


def test_keys_move_the_highlight_forward_and_back_and_q_restores_the_terminal() -> None:
    child, screen = spawn(shlex.join(COMMAND) + "; stty -a")
    try:
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
        stty = screen.wait(r"speed(.|\n)*?echoctl").group(0)
        child.expect(pexpect.EOF, timeout=10)
    finally:
        child.close(force=True)
    # cooked mode is back: line editing and echo on
    assert re.search(r"(?<!-)\bicanon\b", stty) and re.search(r"(?<!-)\becho\b", stty)
    assert "\x1b[?1049l" in screen.seen  # the alternate screen was left
    assert "\x1b[?25h" in screen.seen  # the cursor is shown again


def test_the_whole_lesson_reaches_the_gradient() -> None:
    child, screen = spawn([*COMMAND, "--explain"])
    try:
        screen.wait(r"step 1 of 14")
        for _ in range(12):
            child.send("\r")
        screen.wait(r"step 13 of 14: sum w1(.|\n)*w̄1 = 3 \+ \(-0.4161\) = 2.584(.|\n)*two paths")
        child.send("\r")
        screen.wait(r"Done: ∂z/∂x1 = 2.584, ∂z/∂x2 = 2")
        child.send("\r")  # past the end: stays on the last step
        screen.wait(r"step 14 of 14")
        child.send("q")
        child.expect(pexpect.EOF, timeout=10)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


def test_ctrl_c_restores_the_terminal() -> None:
    child, screen = spawn("trap 'echo interrupted' INT; " + shlex.join(COMMAND) + "; echo status=$?; stty -a")
    try:
        screen.wait(r"step 1 of 14")
        child.send("\r")
        screen.wait(r"step 2 of 14")
        child.sendintr()
        status = screen.wait(r"status=(\d+)").group(1)
        stty = screen.wait(r"speed(.|\n)*?echoctl").group(0)
        child.expect(pexpect.EOF, timeout=10)
    finally:
        child.close(force=True)
    assert status == "130"
    assert re.search(r"(?<!-)\bicanon\b", stty) and re.search(r"(?<!-)\becho\b", stty)
    assert "\x1b[?1049l" in screen.seen


def test_delay_advances_by_itself() -> None:
    child, screen = spawn([*COMMAND, "--delay", "0.05"])
    try:
        screen.wait(r"step 14 of 14: done", timeout=15)
        child.send("q")
        child.expect(pexpect.EOF, timeout=10)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


def test_not_a_terminal_prints_the_whole_trace_with_a_note() -> None:
    done = subprocess.run(COMMAND, capture_output=True, text=True, env=ENV, stdin=subprocess.DEVNULL, timeout=30)
    assert done.returncode == 0
    assert done.stderr.strip() == "note: --step needs a terminal (stdin and stdout); printing the whole trace instead"
    assert "5. Reverse pass" in done.stdout and "\x1b[?1049h" not in done.stdout
