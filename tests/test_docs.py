"""The README and docs/ against the code: what can drift when one changes without the other.

Every `--option` the docs mention is one `adtrace --help` lists (or another tool's, on a line that names
that tool); every relative link resolves, down to the heading; the README stays short; its test command is
the one .ci/run runs; the choices the option table lists are the CLI's.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from adtrace.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
README_MAX_LINES = 220

OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*(```|~~~)")

# Options of other tools that the docs show, allowed only on a line that names the tool.
FOREIGN = {"npm": {"--no-audit", "--no-fund", "--loglevel"}, "ruff": {"--check"}}
BENCHES = sorted((ROOT / "tests" / "bench").glob("bench_*.py"))


def _help_options() -> set[str]:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    return set(OPTION.findall(result.output))


def _bench_options() -> dict[str, set[str]]:
    """Each benchmark script's own options, read from its argparse calls."""
    found = {}
    for path in BENCHES:
        found[path.name] = set(re.findall(r"add_argument\(\s*\"(--[a-z][a-z0-9-]*)\"", path.read_text("utf-8")))
    return found


def _prose(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of the lines outside fenced code blocks."""
    lines, fenced = [], False
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append((number, line))
    return lines


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_slug(line.lstrip("#")) for _, line in _prose(path) if re.match(r"#{1,6} ", line)}


def test_the_docs_are_there() -> None:
    names = {p.name for p in DOCS}
    expected = {"guide", "language", "json", "exports", "python-api", "architecture", "testing", "performance"}
    assert {f"{n}.md" for n in expected} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_option_mentioned_exists(page: Path) -> None:
    ours = _help_options()
    benches = _bench_options()
    unknown = []
    for number, line in enumerate(page.read_text("utf-8").splitlines(), 1):
        allowed = set(ours)
        for tool, options in FOREIGN.items():
            if re.search(rf"\b{tool}\b", line):
                allowed |= options
        for script, options in benches.items():
            if script in line:
                allowed |= options
        typed = set(re.findall(r"(--[a-z-]+)<Tab>", line))  # shell completion: a prefix being typed
        allowed |= {prefix for prefix in typed if any(opt.startswith(prefix) for opt in ours)}
        unknown += [f"line {number}: {opt}" for opt in OPTION.findall(line) if opt not in allowed]
    assert not unknown, f"{page.name} mentions options that adtrace --help does not list: {unknown}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for number, line in _prose(page):
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target):  # https:, mailto: — not checked offline
                continue
            file_part, _, anchor = target.partition("#")
            linked = (page.parent / file_part).resolve() if file_part else page
            if not linked.exists():
                broken.append(f"line {number}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"line {number}: {target} (no heading with that anchor)")
    assert not broken, f"{page.name} has broken links: {broken}"


def test_the_readme_links_every_docs_page() -> None:
    linked = {(ROOT / t.partition("#")[0]).resolve() for _, line in _prose(README) for t in LINK.findall(line)}
    assert set(DOCS) <= linked, [p.name for p in DOCS if p not in linked]


def test_the_readme_is_short() -> None:
    lines = README.read_text("utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move detail to docs/"


def test_the_readme_test_command_is_what_ci_runs() -> None:
    readme = README.read_text("utf-8").splitlines()
    commands = [line for line in readme if line.startswith("pip install -e '.[test]'") and "pytest" in line]
    assert len(commands) == 1, "the README should give one test command, on one line"
    ci = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    assert commands[0] in ci, "the README's test command is not a line of .ci/run"
    assert ci[-1] == commands[0], ".ci/run should end with the README's test command"


def test_the_quick_start_installs_only_what_running_needs() -> None:
    readme = README.read_text("utf-8")
    quick = "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && adtrace 'x1*x2 + sin(x1)' x1=2 x2=3"
    assert quick in readme


def test_the_option_table_lists_the_cli_choices() -> None:
    """A row such as `--mode reverse|forward|both` in the guide names exactly the CLI's choices."""
    choices = {
        opt: set(param.type.choices)
        for param in main.params
        if isinstance(param, click.Option) and isinstance(param.type, click.Choice)
        for opt in param.opts
    }
    rows = re.findall(
        r"^\| `(--[a-z-]+) ([a-z-]+(?:\\\|[a-z-]+)+)`", (ROOT / "docs" / "guide.md").read_text("utf-8"), re.M
    )
    assert {opt for opt, _ in rows} == set(choices)
    for opt, listed in rows:
        assert set(listed.split("\\|")) == choices[opt], opt


def test_environment_variables_mentioned_are_read_somewhere() -> None:
    code = "\n".join(
        p.read_text("utf-8")
        for p in [*ROOT.glob("adtrace/**/*.py"), *ROOT.glob("tests/*.py")]
        if p.name != "test_docs.py"
    )
    mentioned = {v for page in PAGES for v in re.findall(r"(?<![\w])ADTRACE_[A-Z_]+", page.read_text("utf-8"))}
    assert mentioned, "expected the docs to name ADTRACE_UPDATE_GOLDEN and ADTRACE_FUZZ_SCALE"
    assert not {v for v in mentioned if v not in code}


def _code_block_after(text: str, first_line: str) -> list[str]:
    """The lines of the fenced block whose first line is `first_line` (without that line)."""
    lines = text.splitlines()
    start = lines.index(first_line)
    end = next(i for i in range(start, len(lines)) if FENCE.match(lines[i]))
    return lines[start + 1 : end]


def test_the_guide_shows_the_golden_seed_trace() -> None:
    """The guide's full sample is tests/golden/seed_100.txt: when the golden file changes, copy it over."""
    guide = (ROOT / "docs" / "guide.md").read_text("utf-8")
    shown = _code_block_after(guide, "$ adtrace 'x1*x2 + sin(x1)' x1=2 x2=3 --width 100")
    golden = (ROOT / "tests" / "golden" / "seed_100.txt").read_text("utf-8").splitlines()
    assert [line.rstrip() for line in shown] == [line.rstrip() for line in golden]


def test_the_readme_sample_is_real_output() -> None:
    """Every line of the README's trimmed sample is a line of the trace at 80 columns (… and ⋮ mark cuts)."""
    result = CliRunner().invoke(main, ["x1*x2 + sin(x1)", "x1=2", "x2=3", "--width", "80"])
    assert result.exit_code == 0, result.output
    printed = {line.rstrip() for line in result.output.splitlines()}
    shown = _code_block_after(README.read_text("utf-8"), "$ adtrace 'x1*x2 + sin(x1)' x1=2 x2=3")
    cut = {"…", "│ ⋮" + " " * 76 + "│"}
    assert len(shown) > 10
    assert [line for line in shown if line.rstrip() not in printed and line not in cut] == []


@pytest.mark.parametrize(
    ("args", "incomplete", "expected"),
    [
        ([], "--mo", {"--mode"}),
        (["--mode"], "", {"reverse", "forward", "both"}),
        (
            ["x1*x2 + sin(x1)", "x1=2", "--format"],
            "",
            {"text", "json", "md", "markdown", "html", "terminal-html", "svg", "terminal-svg", "txt"},
        ),
        (["--theme"], "d", {"dark"}),
    ],
)
def test_shell_completion_as_the_guide_says(args: list[str], incomplete: str, expected: set[str]) -> None:
    """click's completion (docs/guide.md#shell-completion): options, and the choices of the option being typed."""
    from click.shell_completion import BashComplete

    complete = BashComplete(main, {}, "adtrace", "_ADTRACE_COMPLETE")
    assert {c.value for c in complete.get_completions(args, incomplete)} == expected
