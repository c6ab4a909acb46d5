"""``python -m pipeline``: the same command line as the ``pipeline`` console script."""

import sys

from pipeline.cli import main

sys.exit(main())
