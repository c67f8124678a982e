"""``python -m bench [--quick]``: measure, print the table, write bench/results.json."""

from __future__ import annotations

import sys

from bench.run import main

sys.exit(main())
