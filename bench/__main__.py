"""``python -m bench``: see bench/__init__.py and docs/benchmarks.md."""

from __future__ import annotations

import sys

from bench.cli import main

sys.exit(main())
