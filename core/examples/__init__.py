"""Runnable examples: `python -m core.examples.<name>`."""
