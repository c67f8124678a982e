"""Pure text analysis for the contextual loop: terms, context shift, window figures."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

from core.routing import RoutingConfig, quality_score

MAX_RECORD_CHARS = 10_000
TOP_TERMS = 8
_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
STOPWORDS = frozenset(
    "this that with from were have been their there which after into when then than "
    "they them over only also what your about none".split()
)


def normalise(text: str) -> str:
    """NFKC, control characters dropped, whitespace collapsed, length capped."""
    text = unicodedata.normalize("NFKC", str(text)[: MAX_RECORD_CHARS * 2])
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())[:MAX_RECORD_CHARS]


def malformed(text: str) -> bool:
    """Empty, oversized, or without a single word."""
    return not text.strip() or len(text) > MAX_RECORD_CHARS or not _WORD.search(text)


def top_terms(texts: Sequence[str], k: int = TOP_TERMS) -> list[str]:
    """The k most frequent words of four letters or more, ties by alphabet."""
    counts = Counter(
        w for t in texts for w in _WORD.findall(t[:MAX_RECORD_CHARS].lower()) if w not in STOPWORDS
    )
    return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


def context_shift(previous: Sequence[str], current: Sequence[str]) -> float:
    """1 − Jaccard similarity of two term sets (0 when both are empty)."""
    a, b = set(previous), set(current)
    if not a and not b:
        return 0.0
    return 1.0 - len(a & b) / len(a | b)


def window_figures(texts: Sequence[str], config: RoutingConfig) -> dict[str, Any]:
    """Size, malformed share and the routing engine's quality score of a window."""
    joined = "\n".join(t[:MAX_RECORD_CHARS] for t in texts)
    quality = quality_score(joined, config)
    return {
        "records": len(texts),
        "chars": len(joined),
        "malformed": sum(1 for t in texts if malformed(t)),
        "quality": round(quality.score, 4),
        "quality_components": quality.to_dict(),
    }
