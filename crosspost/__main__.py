"""`python -m crosspost` runs the command line."""

from crosspost.cli import main

main()
