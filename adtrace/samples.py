"""Worked examples shipped with adtrace: `samples/NAME.adt`, a program with a small header.

Format (documented in samples/README.md):

    # description: one line saying what the sample teaches
    # values: x1=2 x2=3
    # outputs: f,g            (optional)
    x1*x2 + sin(x1)          (the program: any adtrace expression or statements)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import OptionError
from .language.parser import suggest


@dataclass(frozen=True)
class Sample:
    name: str
    description: str
    source: str
    values: tuple[str, ...]
    outputs: tuple[str, ...]

    @property
    def arrays(self) -> bool:
        """Whether the sample is an array program (an input's value is an array: x=[1,2,3])."""
        return any("=[" in v for v in self.values)


def samples_dir() -> Path:
    """The packaged copy in a wheel, or the repository's samples/ in a source checkout."""
    packaged = Path(__file__).parent / "_samples"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "samples"


def load(path: Path) -> Sample:
    return parse(path.read_text(encoding="utf-8"), path.stem)


def parse(text: str, name: str) -> Sample:
    """A sample (or any program file) with its `# description:`, `# values:` and `# outputs:` header."""
    header: dict[str, str] = {}
    body: list[str] = []
    for line in text.splitlines():
        key, sep, rest = line.lstrip("# ").partition(":")
        if line.startswith("#") and sep and key.strip() in ("description", "values", "outputs") and not body:
            header[key.strip()] = rest.strip()
        elif body or (line.strip() and not line.startswith("#")):
            body.append(line)  # blank lines in the body stay, so a program's line numbers are the file's
    return Sample(
        name=name,
        description=header.get("description", ""),
        source="\n".join(body).rstrip("\n "),
        values=tuple(header.get("values", "").split()),
        outputs=tuple(o for o in header.get("outputs", "").replace(" ", "").split(",") if o),
    )


def all_samples() -> list[Sample]:
    return [load(p) for p in sorted(samples_dir().glob("*.adt"))]


def get(name: str) -> Sample:
    names = {p.stem for p in samples_dir().glob("*.adt")}
    path = samples_dir() / f"{name}.adt"
    if name not in names:  # only a shipped sample: a name is never a path ('../x', '/tmp/y')
        raise OptionError(f"no sample named '{name}'{suggest(name, sorted(names))} (adtrace --list-samples lists them)")
    return load(path)
