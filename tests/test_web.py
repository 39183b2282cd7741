"""The web lesson (views/web.py): the page as text, the exports around it, and the page in a real browser.

The browser tests drive Debian's Chromium (/usr/bin/chromium; CI installs it in .ci/run) through
Playwright for Python, never a browser Playwright downloads. They assert on the page's DOM state (which
node is highlighted, what its adjoint says, which step the address names), not on pixels, and every
request the page makes is intercepted: a self-contained page makes none.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pictures import NET_221, program_trace

from adtrace import trace
from adtrace.cli import main
from adtrace.views.stepper import reveal_states
from adtrace.views.web import GRAPH_CAP, fragment, to_html

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SEED = ("x1*x2 + sin(x1)", "x1=2", "x2=3")


def seed_trace() -> Any:
    return trace("x1*x2 + sin(x1)", x1=2, x2=3)


def data_of(page: str) -> dict[str, Any]:
    """The page's data as the script reads it: what the states refer to, then the states and the running sums'
    pieces from every chunk, in order."""
    found = re.search(r'<script type="application/json" class="adl-data">(.*?)</script>', page, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1).replace("<\\/", "</"))
    data["states"], data["sums"] = [], {}
    for chunk in re.findall(r'<script type="application/json" class="adl-states">(.*?)</script>', page, re.S):
        part = json.loads(chunk.replace("<\\/", "</"))
        data["states"] += part["states"]
        for seq, pieces in part["sums"].items():
            data["sums"].setdefault(int(seq), []).extend(pieces)
    return data


def states_of(page: str) -> list[list[Any]]:
    return data_of(page)["states"]  # type: ignore[no-any-return]


# -- the page as text -----------------------------------------------------------------
def test_the_page_is_self_contained_and_holds_every_section() -> None:
    page = to_html(seed_trace())
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing loaded from the network
    assert "@import" not in page and "url(http" not in page
    for title in ("Decomposition into primitives", "The graph", "Forward pass", "Seed", "Reverse pass", "Result"):
        assert title in page
    assert "w̄3·∂w3/∂w1 + w̄4·∂w4/∂w1" in page and "∂z/∂x1 = x2 + cos(x1)" in page
    assert 'data-node="0"' in page and 'data-edge="3-4"' in page  # the script's handles on the graph


def test_the_page_steps_through_the_states_of_step() -> None:
    t = seed_trace()
    states = states_of(to_html(t))
    reveals = reveal_states(t)
    assert len(states) == len(reveals) == 14
    assert [s[0] for s in states] == [r.kind for r in reveals]
    assert [(s[1], s[2]) for s in states] == [(r.node, r.parent) for r in reveals]
    assert [s[8] for s in states[1:-1]] == [r.text for r in reveals[1:-1]]  # the same formulas as --step
    assert states[7][8] == "w̄4 = w̄5·∂w5/∂w4 = w̄5·1 = 1·1 = 1"
    assert "sum rule" in states[7][10]


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["x1*x2 + sin(x1)"], "formula"),  # symbolic
        (["x1*x2 + sin(x1)", "x1=2", "x2=3", "--mode", "forward"], "Forward mode"),
        (["x1*x2 + sin(x1)", "x1=2", "x2=3", "--mode", "both"], "Jacobian"),
        (["u = x*y; v = sin(x); f = u + v; g = u*v", "x=2", "y=3", "--outputs", "f,g"], "∂/∂x"),
        (["u = x*y; v = sin(x); f = u + v; g = u*v", "x=2", "y=3", "--outputs", "f,g", "--seed", "f=1,g=2"], "seed"),
        (["x*x", "x=3", "--seed", "2"], "w̄1"),
    ],
)
def test_every_kind_of_trace_makes_a_page(args: list[str], expect: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "l.html"), "-q"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "l.html").read_text(encoding="utf-8")
    assert expect in page and page.rstrip().endswith("</html>")
    assert len(states_of(page)) >= 3


def test_past_the_cap_the_graph_is_a_table_and_the_page_stays_linear() -> None:
    small = "+".join(f"x{k}*x{k + 1}" for k in range(1, 10))
    big = "+".join(f"x{k}*x{k + 1}" for k in range(1, 100))
    values = {f"x{k}": 0.5 for k in range(1, 101)}
    t_small = trace(small, {k: v for k, v in values.items() if int(k[1:]) <= 10})
    t_big = trace(big, values)
    assert len(t_big.graph.numbered) > GRAPH_CAP >= len(t_small.graph.numbered)
    page = to_html(t_big)
    assert "too many to draw" in page and "<svg" not in page and 'class="adl-nodes"' in page
    per_node = len(page) / len(t_big.graph.numbered)
    assert per_node < 3 * len(to_html(t_small)) / len(t_small.graph.numbered)


def test_running_sums_cost_linear_space_however_many_parents_a_node_has() -> None:
    t = trace("+".join(f"x*y{k}" for k in range(1, 151)), {"x": 2, **{f"y{k}": k for k in range(1, 151)}})
    data = data_of(to_html(t))
    x = t.graph.inputs["x"]
    carried = [s[6][str(x)] for s in data["states"] if str(x) in s[6]]
    assert len(carried) >= 150 and all(len(c) == 2 for c in carried)  # [sequence, how many terms are shown]
    assert len({seq for seq, _ in carried}) == 1  # every state of x's sum shares one sequence of terms
    running = [r.running for r in reveal_states(t) if x in r.running]
    final = running[-1][x]
    assert sum(len(piece) for pieces in data["sums"].values() for piece in pieces) <= len(final)  # each sent once
    for (seq, count), sums in zip(carried, running, strict=True):  # and the page shows what --step shows
        assert "".join(data["sums"][seq][:count]) + data["more"] == sums[x]


def test_exports_terminal_looks_honour_max_rows_and_the_theme(tmp_path: Path) -> None:
    runner = CliRunner()
    big = ["+".join(f"x{k}" for k in range(1, 40)), *(f"x{k}=1" for k in range(1, 40))]
    for fmt in ("terminal-html", "terminal-svg", "svg"):
        short = runner.invoke(main, [*big, "--format", fmt, "--max-rows", "6"]).output
        full = runner.invoke(main, [*big, "--format", fmt, "--max-rows", "0"]).output
        assert "skipped" in short and "skipped" not in full and len(short) < len(full)
    dark = runner.invoke(main, [*SEED, "--format", "terminal-html", "--theme", "dark"]).output
    light = runner.invoke(main, [*SEED, "--format", "terminal-html"]).output
    assert "#ffffff" in light and "#ffffff" not in dark and "6. Result" in light
    assert 'data-theme="dark"' in runner.invoke(main, [*SEED, "--format", "html", "--theme", "dark"]).output
    assert runner.invoke(main, [*SEED, "-o", str(tmp_path / "g.svg"), "--graph", "-q"]).exit_code == 0
    assert 'class="node"' in (tmp_path / "g.svg").read_text(encoding="utf-8")


def test_jupyter_shows_the_lesson_with_ids_of_its_own() -> None:
    t = seed_trace()
    one, two = t._repr_html_(), t._repr_html_()
    ids = [re.search(r'<div class="adl adl-nojs" id="([^"]+)"', html) for html in (one, two)]
    assert ids[0] and ids[1] and ids[0].group(1) != ids[1].group(1)
    assert f'"{ids[0].group(1)}")' in one and "<!DOCTYPE" not in one and 'tabindex="-1">' in one
    assert f'id="{ids[0].group(1)}-node-1"' in one and f"{ids[0].group(1)}-arrow" in one
    assert t._repr_markdown_().startswith("# adtrace")
    assert fragment(t).count("<script>") == 1


# -- the page in a real browser ---------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: .ci/run installs Debian's chromium")
        pytest.skip("no /usr/bin/chromium (CI installs Debian's chromium)")
    from playwright.sync_api import sync_playwright  # the test extra; only the browser may be missing

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


class Page:
    """A page of the lesson, every request it makes recorded (and refused unless it is the file itself)."""

    def __init__(self, browser: Any, path: Path, fragment: str = "") -> None:
        self.page = browser.new_page(viewport={"width": 1200, "height": 800})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.url = path.as_uri()

        def route(r: Any) -> None:
            self.requests.append(r.request.url)
            if r.request.url.split("#")[0] == self.url:
                r.continue_()
            else:
                r.abort()

        self.page.route("**/*", route)
        self.page.goto(self.url + fragment)
        self.page.wait_for_selector(".adl[data-step]")

    def state(self) -> dict[str, Any]:
        return self.page.evaluate(  # type: ignore[no-any-return]
            """() => {
              const root = document.querySelector('.adl');
              const hot = [...root.querySelectorAll('.adl-stepper .node.adl-current, .adl-stepper tr.adl-current')];
              const parent = root.querySelector('.adl-stepper .adl-parent');
              const edges = [...root.querySelectorAll('.adl-stepper .adl-hot')].map(e => e.dataset.edge);
              return {
                step: root.dataset.step, kind: root.dataset.kind, hash: location.hash,
                current: hot.map(e => e.dataset.node),
                adjoint: hot.length ? hot[0].querySelector('.adjoint').textContent : null,
                parent: parent ? parent.dataset.node : null, edges,
                formula: root.querySelector('.adl-formula').textContent,
                status: root.querySelector('.adl-status').textContent,
              };
            }"""
        )

    def press(self, key: str, times: int = 1) -> None:
        for _ in range(times):
            self.page.keyboard.press(key)


@pytest.fixture(scope="module")
def seed_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web") / "seed.html"
    path.write_text(to_html(seed_trace()), encoding="utf-8")
    return path


def test_the_seed_lesson_loads_without_errors_or_requests(browser: Any, seed_page: Path) -> None:
    page = Page(browser, seed_page)
    assert page.state()["step"] == "1" and page.state()["kind"] == "start"
    assert page.errors == []
    assert page.requests == [page.url]  # the file itself, nothing else
    page.page.close()


def test_arrows_step_through_the_lesson_and_mark_node_parent_edge_and_adjoint(browser: Any, seed_page: Path) -> None:
    t = seed_trace()
    reveals = reveal_states(t)
    page = Page(browser, seed_page)
    page.press("ArrowRight", 7)  # step 8: the first reverse term, w̄4 += w̄5·∂w5/∂w4
    s = page.state()
    want = reveals[7]
    assert s["step"] == "8" and s["hash"] == "#step-8" and s["kind"] == "term"
    assert s["current"] == [str(want.node)] and s["parent"] == str(want.parent)
    assert t.label(want.node or 0) == "w4" and s["edges"] == [f"{want.node}-{want.parent}"]
    assert s["adjoint"] == "w̄ = 1" and s["formula"] == want.text
    page.press("ArrowRight", 3)  # step 11: w̄1's first term, the running sum on the node
    s = page.state()
    assert s["step"] == "11" and t.label(int(s["current"][0])) == "w1" and s["adjoint"] == "w̄ = 3 + …"
    assert page.page.text_content(".adl-running") == "w̄1 so far: 3 + …"
    page.press("ArrowRight")
    assert page.state()["adjoint"] == "w̄ = 3 + (-0.4161) + …"
    page.press("ArrowLeft", 2)
    s = page.state()
    assert s["step"] == "10" and s["hash"] == "#step-10"
    page.press("End")
    assert page.state()["step"] == str(len(reveals)) and page.state()["kind"] == "done"
    page.press("Home")
    assert page.state()["step"] == "1" and page.state()["current"] == []
    page.press(" ")
    assert page.state()["step"] == "2" and page.state()["kind"] == "forward"
    page.page.click(".adl-next")
    assert page.state()["step"] == "3"
    assert page.errors == []
    page.page.close()


def test_the_step_in_the_address_is_honoured(browser: Any, seed_page: Path) -> None:
    page = Page(browser, seed_page, "#step-8")
    s = page.state()
    assert s["step"] == "8" and s["kind"] == "term" and s["adjoint"] == "w̄ = 1"
    assert "step 8 of 14" in s["status"]
    page.page.evaluate("location.hash = '#step-3'")
    page.page.wait_for_function("document.querySelector('.adl').dataset.step === '3'")
    assert page.errors == []
    page.page.close()


def test_a_sum_of_many_terms_shows_on_the_page_as_step_shows_it(browser: Any, tmp_path: Path) -> None:
    """The page reads its states from every chunk and builds each running sum from its pieces (sent once): at
    every term of x's sum, the status, the node's adjoint and the line under the step read as --step prints them."""
    t = trace("+".join(f"x*y{k}" for k in range(1, 31)), {"x": -2, **{f"y{k}": (-1) ** k * k for k in range(1, 31)}})
    path = tmp_path / "many.html"
    path.write_text(to_html(t), encoding="utf-8")
    assert path.read_text(encoding="utf-8").count('<script type="application/json" class="adl-states">') > 1
    x = t.graph.inputs["x"]
    reveals = reveal_states(t)
    steps = [k for k, r in enumerate(reveals) if x in r.running]
    assert len(steps) == 30
    page = Page(browser, path, f"#step-{steps[0] + 1}")
    for k in (*steps[:3], steps[-1]):
        page.page.evaluate(f"location.hash = '#step-{k + 1}'")
        page.page.wait_for_function(f"document.querySelector('.adl').dataset.step === '{k + 1}'")
        s = page.state()
        assert s["current"] == [str(x)] and s["adjoint"] == f"w̄ = {reveals[k].running[x]}"
        assert s["status"] == f"step {k + 1} of {len(reveals)}: term w1"  # the states of every chunk, in order
        assert page.page.text_content(".adl-running") == f"w̄1 so far: {reveals[k].running[x]}"
    assert "(-" in reveals[steps[-1]].running[x]  # negative terms, in parentheses, as --step shows them
    assert page.errors == [] and page.requests == [page.url]
    page.page.close()


@pytest.mark.parametrize("which", ["net221", "symbolic", "big"])
def test_a_network_a_symbolic_trace_and_a_big_one_load(browser: Any, tmp_path: Path, which: str) -> None:
    if which == "net221":
        t = program_trace(NET_221)
        assert len(t.graph.numbered) >= 29
    elif which == "symbolic":
        t = trace("x1*x2 + sin(x1)")
    else:
        t = trace("+".join(f"x{k}*x{k + 1}" for k in range(1, 60)), {f"x{k}": 0.5 for k in range(1, 61)})
    path = tmp_path / f"{which}.html"
    path.write_text(to_html(t), encoding="utf-8")
    page = Page(browser, path)
    count = len(reveal_states(t))
    page.press("End")
    assert page.state()["step"] == str(count)
    page.press("ArrowLeft")
    s = page.state()
    assert s["step"] == str(count - 1) and len(s["current"]) == 1
    if which in ("net221", "symbolic"):
        assert s["adjoint"].startswith("w̄ = ")
    if which == "symbolic":  # no numbers: the adjoint on the node is the Lesson's formula in the nodes
        assert s["adjoint"] == "w̄ = w2 + cos(w1)"
    assert page.errors == [] and page.requests == [page.url]
    page.page.close()


def test_two_lessons_in_one_notebook_page_step_on_their_own(browser: Any, tmp_path: Path) -> None:
    """As Jupyter shows them: two fragments in one page, each with its own ids, buttons and keys."""
    t = seed_trace()
    path = tmp_path / "notebook.html"
    path.write_text(f"<!DOCTYPE html><meta charset=utf-8><body>{t._repr_html_()}{t._repr_html_()}</body>", "utf-8")
    page = Page(browser, path)
    roots = page.page.query_selector_all(".adl")
    assert len(roots) == 2 and roots[0].get_attribute("id") != roots[1].get_attribute("id")
    roots[0].query_selector(".adl-next").click()
    roots[0].query_selector(".adl-next").click()
    assert [r.get_attribute("data-step") for r in roots] == ["3", "1"]
    roots[1].focus()
    page.press("End")
    assert [r.get_attribute("data-step") for r in roots] == ["3", "14"]
    assert page.page.evaluate("location.hash") == ""  # a notebook's address is left alone
    assert page.errors == []
    page.page.close()


@pytest.mark.parametrize("name", ["taylor_sine", "black_scholes", "micrograd", "piecewise"])
def test_programs_with_loops_calls_and_branches_load_and_step(browser: Any, tmp_path: Path, name: str) -> None:
    from adtrace.language.values import parse_assignments
    from adtrace.samples import get

    sample = get(name)
    t = trace(sample.source, parse_assignments(sample.values), outputs=list(sample.outputs) or None)
    path = tmp_path / f"{name}.html"
    path.write_text(to_html(t), encoding="utf-8")
    page = Page(browser, path)
    count = len(reveal_states(t))
    page.press("ArrowRight", 3)
    assert page.state()["step"] == "4"
    page.press("End")
    assert page.state()["step"] == str(count)
    assert page.errors == [] and page.requests == [page.url]
    page.page.close()
