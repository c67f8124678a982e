"""Print the conditional router's measured accuracy on labelled_queries.csv.

Usage: python data/router/measure_accuracy.py [--json] [--errors]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core.workflows.conditional_router.accuracy import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
