"""`python -m adtrace` runs the command line."""

from .cli import main

main()
