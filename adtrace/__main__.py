"""The `adtrace` command and `python -m adtrace`: the command line, in a process of its own."""

import gc


def run() -> None:
    """Run the command line with the cyclic garbage collector off.

    A command is one short process: start-up makes tens of thousands of objects (modules, classes,
    functions, the lesson) that live until it ends, and the collector's passes over them were a twentieth
    of the instructions of `adtrace 'x1*x2 + sin(x1)' x1=2 x2=3` and of `--help`. Whatever a run leaves in
    cycles is freed when the process ends; the stepper and the quiz, which wait on a person for as long as
    a lesson takes, turn the collector back on (`cli._show`, `cli._practice`).
    """
    gc.disable()
    from .cli import main

    main()


if __name__ == "__main__":
    run()
