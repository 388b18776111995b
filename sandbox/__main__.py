"""python -m sandbox serve ..."""

from sandbox.cli import main

main()
