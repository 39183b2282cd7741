"""Shared fixtures: one CliRunner, central finite differences, golden-file comparison."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def central_difference(f: Callable[[dict[str, float]], float], point: dict[str, float], name: str) -> float:
    """∂f/∂name by a central difference with a step scaled to the point."""
    h = 1e-6 * max(1.0, abs(point[name]))
    up = dict(point, **{name: point[name] + h})
    down = dict(point, **{name: point[name] - h})
    return (f(up) - f(down)) / (2 * h)


def close(a: float, b: float, rel: float = 1e-6, abs_: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def check_golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME; set ADTRACE_UPDATE_GOLDEN=1 to rewrite the files."""
    path = GOLDEN / name
    if os.environ.get("ADTRACE_UPDATE_GOLDEN") or not path.exists():
        path.write_text(text, encoding="utf-8")
        if not os.environ.get("ADTRACE_UPDATE_GOLDEN"):
            pytest.fail(f"golden file {name} was missing and has been written; check it and re-run")
    assert text == path.read_text(encoding="utf-8"), f"output differs from tests/golden/{name}"
