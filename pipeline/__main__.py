"""``python -m pipeline``: the same command line as the ``pipeline`` console script."""

from pipeline.cli import entry

entry()
