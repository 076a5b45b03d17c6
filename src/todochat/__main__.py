"""`python -m todochat` runs the CLI."""

from todochat.cli import main

main()
