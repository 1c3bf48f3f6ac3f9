"""The ``podium`` command line: thin typer commands over plain functions."""

from podium.cli.app import app, main

__all__ = ["app", "main"]
